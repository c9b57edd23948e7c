// The interactive form of a document (core/forms.ts): on the document page, the PDF's AcroForm fields
// as a labelled HTML form below the pdf.js page (each input labelled by the field's tooltip or name,
// read-only, required, max length and export values as the PDF says); its POST checks the values in
// core (unknown names, read-only fields changed, too long, not an export value: a translated 400 page,
// nothing written) and puts them into the merged PDF that is then shown and signed.
import type express from 'express';
import { ValidationError } from '../../core/errors';
import type { PortalDocument } from '../../core/portal';
import type { FormField, FormWidget } from '../../core/types';
import { formPost } from '../formpost';
import { html, join, type Html } from '../html';
import { t, type LangLike } from '../i18n';
import { viewable } from '../task';
import type { Ctx, PageKit } from '../kit';

/** Field inputs are named `field:<the PDF field's full name>`; nothing else of the body is a field. */
const PREFIX = 'field:';

/** Where the control goes over the pdf.js page (viewer.js): page index and the widget's rectangle in PDF points. */
const at = (w: FormWidget | undefined): Html =>
  w ? html` form="docform" data-widget="${[w.page, w.x, w.y, w.width, w.height].join(',')}"` : html` form="docform"`;

function input(lang: LangLike, f: FormField, i: number): Html {
  const id = `ff-${i}`;
  const name = PREFIX + f.name;
  const need = f.required && !f.readOnly;
  const label = html`<label for="${id}">${f.label}${need ? html` <span class="hint">${t(lang, 'form.required')}</span>` : ''}</label>`;
  if (f.kind === 'text') {
    const attrs = html`id="${id}" name="${name}"${at(f.widgets[0])}${f.maxLength !== undefined ? html` maxlength="${f.maxLength}"` : ''}${need ? html` required aria-required="true"` : ''}${f.readOnly ? html` readonly` : ''}`;
    const control = f.multiline
      ? html`<textarea ${attrs} rows="4">${f.value}</textarea>`
      : html`<input type="text" ${attrs} value="${f.value}">`;
    return html`<div class="field">${label}${control}</div>`;
  }
  if (f.kind === 'checkbox') {
    const on = f.options[0] ?? 'Yes';
    return html`<div class="field check"><input type="checkbox" id="${id}" name="${name}"${at(f.widgets[0])} value="${on}"${f.value === on ? html` checked` : ''}${f.readOnly ? html` disabled` : ''}${need ? html` required` : ''}>${label}</div>`;
  }
  if (f.kind === 'radio') {
    const radios = f.options.map(
      (o, j) =>
        html`<div class="check"><input type="radio" id="${`${id}-${j}`}" name="${name}"${at(f.widgets[j])} value="${o}"${f.value === o ? html` checked` : ''}${f.readOnly ? html` disabled` : ''}${need ? html` required` : ''}><label for="${`${id}-${j}`}">${o}</label></div>`,
    );
    return html`<fieldset class="field"><legend>${f.label}${need ? html` <span class="hint">${t(lang, 'form.required')}</span>` : ''}</legend>${radios}</fieldset>`;
  }
  const options = [
    ...(need ? [] : [html`<option value=""${f.value === '' ? html` selected` : ''}>${t(lang, 'form.none')}</option>`]),
    ...f.options.map((o) => html`<option value="${o}"${f.value === o ? html` selected` : ''}>${o}</option>`),
  ];
  const size = f.kind === 'list' ? html` size="${Math.min(6, options.length)}"` : '';
  return html`<div class="field">${label}<select id="${id}" name="${name}"${at(f.widgets[0])}${size}${f.readOnly ? html` disabled` : ''}${need ? html` required` : ''}>${options}</select></div>`;
}

/** The form section of a document page (nothing for a document without an interactive form, or one already signed). */
export function formSection(c: Ctx, doc: PortalDocument): Html | undefined {
  if (!doc.form || doc.signed || doc.action !== 'sign') return undefined;
  const action = `${c.base}/form?${c.query}&document_id=${encodeURIComponent(doc.id)}`;
  const saved = doc.formFilled && html`<p class="status ok" role="status">${t(c.lang, 'form.saved')}</p>`;
  const fields = join(doc.form.map((f, i) => input(c.lang, f, i)));
  return html`<section aria-labelledby="form-title"><h2 id="form-title">${t(c.lang, 'form.title')}</h2>${saved}<p>${t(c.lang, 'form.lead')}</p><form id="docform" method="post" action="${action}"><input type="hidden" name="csrf" value="${c.session.csrf}">${fields}<div class="actions"><button class="button">${t(c.lang, 'form.save')}</button></div></form></section>`;
}

/** The submitted values by field name; a field sent twice (or not as text) is forged input. */
function submitted(body: Record<string, unknown>): Map<string, string> | undefined {
  const out = new Map<string, string>();
  for (const [k, v] of Object.entries(body)) {
    if (!k.startsWith(PREFIX)) continue;
    if (typeof v !== 'string') return undefined;
    out.set(k.slice(PREFIX.length), v);
  }
  return out;
}

export function mountForm(r: express.Router, d: PageKit): void {
  formPost(r, d, '/std/docaction/:service/form', async (c, body, req, res) => {
    const doc = viewable(c, req);
    if (!doc?.form) {
      d.notFound(res, c.lang);
      return;
    }
    const values = submitted(body);
    const refuse = (names: string[]) => {
      const back = html`<p><a href="${`${c.base}/document?${c.query}&document_id=${encodeURIComponent(doc.id)}`}">${t(c.lang, 'doc.back')}</a></p>`;
      // the fields' labels where known, else the names as sent
      const labels = names.map((n) => doc.form!.find((f) => f.name === n)?.label ?? n).join(', ');
      d.send(res, 400, c, t(c.lang, 'form.refused.title'), listed(c.lang, labels, back));
    };
    if (!values) return refuse([]);
    try {
      await d.signer.fillForm(c.svc, c.pt.requestId, c.pt.taskId, doc.id, values);
    } catch (e) {
      if (e instanceof ValidationError) return refuse(e.violations.map((v) => v.path));
      throw e;
    }
    d.redirect(res, c, `${c.base}/document?${c.query}&document_id=${encodeURIComponent(doc.id)}`);
  });
}

function listed(lang: LangLike, labels: string, back: Html): Html {
  return html`<h1>${t(lang, 'form.refused.title')}</h1><p class="status warn" role="alert">${t(lang, 'form.refused.body', { list: labels })}</p>${back}`;
}

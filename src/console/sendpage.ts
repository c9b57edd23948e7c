// The console's "Send for signature" form (send.ts): PDFs, a subject and message, the signers in rows, their
// order, methods and notifications. No script (the console's CSP forbids it): "Add a signer" is a submit
// button that comes back with one more row; every message stands next to its field.
import { html, join, type Html } from '../portal/html';
import { LANGUAGES, t, type Lang } from '../portal/i18n';
import { page } from '../portal/layout';

export interface SignerInput {
  first: string;
  last: string;
  nid: string;
  email: string;
  mobile: string;
  method: string;
}

export interface SendInput {
  subject: string;
  message: string;
  reference: string;
  days: string;
  language: Lang;
  order: 'sequential' | 'parallel';
  email: boolean;
  sms: boolean;
  signers: SignerInput[];
}

/** A choice of the signing-method select: its value (kind:name) and what the clerk reads. */
export interface MethodOption {
  value: string;
  label: string;
}

export interface SendView {
  service: string;
  csrf: string;
  input: SendInput;
  methods: MethodOption[];
  maxMb: number;
  maxFiles: number;
  /** field name → message shown next to it; `form` for the whole form */
  errors: Record<string, string>;
  /** files were chosen before this page came back: they must be chosen again */
  filesAgain?: boolean;
}

export const blankSigner = (method = ''): SignerInput => ({ first: '', last: '', nid: '', email: '', mobile: '', method });

/** A labelled input with its message (aria-describedby, aria-invalid) when the field has one. */
function field(v: SendView, name: string, label: string, value: string, type = 'text', extra: Html | string = ''): Html {
  const err = v.errors[name];
  const described = err ? html` aria-invalid="true" aria-describedby="${name}-error"` : '';
  const msg = err ? html`<br><span class="error" id="${name}-error">${err}</span>` : '';
  return html`<p><label for="${name}">${label}</label><br><input id="${name}" name="${name}" type="${type}" value="${value}"${described}${extra}>${msg}</p>`;
}

function signerRow(lang: Lang, v: SendView, s: SignerInput, i: number): Html {
  const k = (f: string) => `s${i}_${f}`;
  const err = v.errors[k('method')];
  const options = join(
    v.methods.map((m) => html`<option value="${m.value}"${m.value === s.method ? html` selected` : ''}>${m.label}</option>`),
  );
  return html`<fieldset class="signer"><legend>${t(lang, 'console.send.signerN', { n: i + 1 })}</legend>
${field(v, k('first'), t(lang, 'console.send.first'), s.first, 'text', html` autocomplete="off"`)}
${field(v, k('last'), t(lang, 'console.send.last'), s.last, 'text', html` autocomplete="off"`)}
${field(v, k('nid'), t(lang, 'console.send.nid'), s.nid, 'text', html` autocomplete="off" inputmode="numeric"`)}
${field(v, k('email'), t(lang, 'console.send.email'), s.email, 'email', html` autocomplete="off"`)}
${field(v, k('mobile'), t(lang, 'console.send.mobile'), s.mobile, 'tel', html` autocomplete="off" placeholder="+4512345678"`)}
<p><label for="${k('method')}">${t(lang, 'console.send.method')}</label><br><select id="${k('method')}" name="${k('method')}"${
    err ? html` aria-invalid="true" aria-describedby="${k('method')}-error"` : ''
  }>${options}</select>${err ? html`<br><span class="error" id="${k('method')}-error">${err}</span>` : ''}</p></fieldset>`;
}

function radio(name: string, value: string, checked: boolean, label: string): Html {
  return html`<input type="radio" id="${name}-${value}" name="${name}" value="${value}"${checked ? html` checked` : ''}> <label class="inline" for="${name}-${value}">${label}</label><br>`;
}

function check(name: string, checked: boolean, label: string): Html {
  return html`<input type="checkbox" id="${name}" name="${name}" value="on"${checked ? html` checked` : ''}> <label class="inline" for="${name}">${label}</label><br>`;
}

export function sendPage(lang: Lang, v: SendView, top: Html): string {
  const i = v.input;
  const general = v.errors.form && html`<p class="error" role="alert">${v.errors.form}</p>`;
  const filesErr = v.errors.files;
  const languages = join(
    LANGUAGES.map((l) => html`<option value="${l}"${l === i.language ? html` selected` : ''}>${t(l, 'console.send.langName')}</option>`),
  );
  const main = html`${top}<h1>${t(lang, 'console.send.title')}</h1>${general}
<form method="post" action="/console/send?lang=${lang}" enctype="multipart/form-data" novalidate>
<input type="hidden" name="_csrf" value="${v.csrf}"><input type="hidden" name="rows" value="${String(i.signers.length)}">
<h2>${t(lang, 'console.send.what')}</h2>
${field(v, 'subject', t(lang, 'console.send.subject'), i.subject)}
<p><label for="message">${t(lang, 'console.send.message')}</label><br><textarea id="message" name="message" rows="3"${
    v.errors.message ? html` aria-invalid="true" aria-describedby="message-error"` : ''
  }>${i.message}</textarea>${v.errors.message ? html`<br><span class="error" id="message-error">${v.errors.message}</span>` : ''}</p>
${field(v, 'reference', t(lang, 'console.send.reference'), i.reference)}
${field(v, 'days', t(lang, 'console.send.days'), i.days, 'number', html` min="1" max="3650" inputmode="numeric"`)}
<p><label for="language">${t(lang, 'console.send.language')}</label><br><select id="language" name="language">${languages}</select></p>
<h2>${t(lang, 'console.send.signers')}</h2>
<fieldset><legend>${t(lang, 'console.send.order')}</legend>
${radio('order', 'sequential', i.order === 'sequential', t(lang, 'console.send.sequential'))}${radio('order', 'parallel', i.order === 'parallel', t(lang, 'console.send.parallel'))}</fieldset>
<fieldset><legend>${t(lang, 'console.send.notify')}</legend>
${check('notify_email', i.email, t(lang, 'console.send.notifyEmail'))}${check('notify_sms', i.sms, t(lang, 'console.send.notifySms'))}</fieldset>
${join(i.signers.map((s, n) => signerRow(lang, v, s, n)))}
<p><button type="submit" name="do" value="add" class="button secondary">${t(lang, 'console.send.add')}</button></p>
<h2>${t(lang, 'console.send.documents')}</h2>
${v.filesAgain ? html`<p class="notice" role="status">${t(lang, 'console.send.filesAgain')}</p>` : ''}
<p><label for="files">${t(lang, 'console.send.files', { mb: v.maxMb, n: v.maxFiles })}</label><br><input id="files" name="files" type="file" accept="application/pdf,.pdf" multiple${
    filesErr ? html` aria-invalid="true" aria-describedby="files-error"` : ''
  }>${filesErr ? html`<br><span class="error" id="files-error">${filesErr}</span>` : ''}</p>
<p><button type="submit" name="do" value="send" class="button">${t(lang, 'console.send.submit')}</button></p>
</form>`;
  return page({ lang, title: t(lang, 'console.send.title'), main, service: v.service });
}

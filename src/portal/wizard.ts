// The signer's wizard as HTML: the task's documents (open, read or not, optional, upload), the buttons
// Send in / Postpone / Start over / Decline, the login page before it, and what still stops Send in.
import { missingUploads, unreadMandatory } from '../core/portal';
import { t, type TextKey } from './i18n';
import { html, join, raw, type Html } from './html';
import { docName, loggedIn } from './task';
import type { Ctx } from './kit';

/** An eID method's login form for one of the task's methods ('' when it is not that method's). */
export type LoginForm = { loginForm(c: Ctx, method: string): string };

/** The task's documents: what each asks, once logged in open and read or not; in the wizard also the choices and upload forms. */
function documentList(c: Ctx, withChoices: boolean): Html {
  const viewed = new Set(c.login?.viewed ?? []);
  const kind = (a: string): TextKey => (a === 'sign' ? 'task.sign' : a === 'upload' ? 'task.upload' : 'task.view');
  const items = c.pt.documents.map((doc) => {
    const name = docName(c.lang, doc);
    const viewable = doc.action !== 'upload' || doc.uploaded;
    const open =
      loggedIn(c) && viewable
        ? html`<a href="${`${c.base}/document?${c.query}&document_id=${encodeURIComponent(doc.id)}`}">${t(c.lang, 'task.open')}<span class="sr"> ${name}</span></a>`
        : '';
    const read =
      loggedIn(c) && doc.action !== 'upload' && !doc.signed
        ? html`<span class="tag ${viewed.has(doc.id) ? 'done' : ''}">${t(c.lang, viewed.has(doc.id) ? 'doc.read' : 'doc.unread')}</span>`
        : '';
    const choose =
      withChoices && doc.optional && doc.action === 'sign' && !doc.signed
        ? html`<label class="choice"><input type="checkbox" name="include" value="${doc.id}" form="sendin" checked> ${t(c.lang, 'doc.include')}</label>`
        : '';
    const upload = withChoices && doc.action === 'upload' ? uploadForm(c, doc.id, name) : '';
    const status = t(c.lang, doc.signed ? 'task.signed' : doc.uploaded ? 'upload.done' : kind(doc.action));
    return html`<li><span class="name">${name}</span><span class="tag${doc.uploaded ? ' done' : ''}">${status}</span>${
      doc.optional ? html`<span class="tag">${t(c.lang, 'doc.optional')}</span>` : ''
    }${read}${open}${choose}${upload}</li>`;
  });
  return html`<h2>${t(c.lang, 'task.documents')}</h2><ul class="docs">${items}</ul>`;
}

/** The form sending the file of an upload action. */
function uploadForm(c: Ctx, docId: string, name: string): Html {
  const action = `${c.base}/upload?${c.query}&document_id=${encodeURIComponent(docId)}`;
  const file = html`<label for="file-${docId}">${t(c.lang, 'upload.choose', { name })}</label><input type="file" id="file-${docId}" name="file" accept=".pdf,.txt,application/pdf,text/plain" required>`;
  return html`<form class="upload" method="post" enctype="multipart/form-data" action="${action}">${csrfField(c)}${file}<button class="button secondary">${t(c.lang, 'upload.submit')}</button></form>`;
}

const csrfField = (c: Ctx) => html`<input type="hidden" name="csrf" value="${c.session.csrf}">`;

/** The task page once logged in; `notice` (markup: an alert, a status) goes above the title. */
export function wizard(c: Ctx, notice: string | Html = ''): string {
  const title = c.pt.dialog?.title ?? t(c.lang, 'task.title');
  const intro = c.pt.dialog?.message ? html`<p class="lead">${c.pt.dialog.message}</p>` : '';
  const employee = c.login?.employee && html` ${t(c.lang, 'session.employee', { ...c.login.employee })}`;
  const who = c.login ? html`<p class="status ok" role="status">${t(c.lang, 'session.ok')}${employee}</p>` : '';
  const signs = c.pt.documents.some((x) => x.action === 'sign' && !x.signed);
  const form = (id: string, inner: Html) =>
    html`<form id="${id}" method="post" action="${`${c.base}/act?${c.query}`}">${csrfField(c)}${inner}</form>`;
  const button = (cls: string, act: string, label: TextKey) =>
    html`<button class="${cls}" name="do" value="${act}">${t(c.lang, label)}</button>`;
  const actions = [
    form('sendin', button('button', 'sendin', signs ? 'wizard.sendin' : 'wizard.sendinView')),
    form('postpone', button('button secondary', 'postpone', 'wizard.postpone')),
    form('restart', button('button secondary', 'restart', 'wizard.restart')),
  ];
  const decline = form(
    'decline',
    html`<label for="reason">${t(c.lang, 'wizard.declineReason')}</label><textarea id="reason" name="reason" rows="2" maxlength="1000"></textarea><div class="actions">${button('button secondary', 'decline', 'wizard.decline')}</div>`,
  );
  const task = html`${who}${raw(String(notice))}<h1>${title}</h1>${intro}<p>${t(c.lang, 'wizard.readFirst')}</p>${documentList(c, true)}<div class="actions">${actions}</div><h2>${t(c.lang, 'wizard.declineTitle')}</h2>${decline}`;
  return task.value;
}

/** The task page before login: the eID methods' forms (or just their names) and the documents, not yet openable. */
export function loginPage(
  c: Ctx,
  eidForms: readonly LoginForm[],
  methodName: (method: string) => string,
  notice: string | Html = '',
): string {
  const forms = c.pt.authentication.flatMap((m) => eidForms.map((e) => e.loginForm(c, m))).filter(Boolean);
  const methods = forms.length
    ? raw(forms.join(''))
    : html`<ul>${c.pt.authentication.map((m) => html`<li>${t(c.lang, 'login.with', { method: methodName(m) })}</li>`)}</ul>`;
  const login = html`${raw(String(notice))}<h1>${t(c.lang, 'login.title')}</h1><p class="lead">${t(c.lang, 'login.body')}</p>${methods}${documentList(c, false)}`;
  return login.value;
}

/**
 * What stops the signer from signing `docIds` (the sign-documents of this act; optional ones not in
 * it are left out) and sending in: documents not yet delivered to them in this session, uploads
 * still missing. The server's own check: a POST straight to Send in or to the signing steps meets it too.
 */
const unready = (c: Ctx, docIds: readonly string[]) => {
  const skipped = new Set(c.pt.documents.filter((x) => x.optional && x.action === 'sign' && !docIds.includes(x.id)).map((x) => x.id));
  const unfilled = c.pt.documents.filter((x) => x.form && !x.formFilled && !x.signed && x.action === 'sign' && !skipped.has(x.id));
  return { unread: unreadMandatory(c.pt, new Set(c.login?.viewed ?? []), skipped), missing: missingUploads(c.pt), unfilled };
};

/** The alerts the wizard shows when the signer may not go on yet with `docIds`; undefined when they may. */
export function unreadyAlerts(c: Ctx, docIds: readonly string[]): string | undefined {
  const { unread, missing, unfilled } = unready(c, docIds);
  if (!unread.length && !missing.length && !unfilled.length) return undefined;
  const names = (xs: typeof unread) => xs.map((x) => docName(c.lang, x)).join(', ');
  const alerts = [
    unread.length ? t(c.lang, 'wizard.mustRead', { list: names(unread) }) : '',
    missing.length ? t(c.lang, 'upload.missing', { list: names(missing) }) : '',
    unfilled.length ? t(c.lang, 'form.mustFill', { list: names(unfilled) }) : '',
  ].filter(Boolean);
  return join(alerts.map((x) => html`<p class="status warn" role="alert">${x}</p>`)).value;
}

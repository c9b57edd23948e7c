// The signer's wizard as HTML: the task's documents (open, read or not, optional, upload), the buttons
// Send in / Postpone / Start over / Decline, the login page before it, and what still stops Send in.
import { missingUploads, unreadMandatory } from '../core/portal';
import { t, type TextKey } from './i18n';
import { h } from './layout';
import { loggedIn } from './task';
import type { Ctx } from './kit';

/** An eID method's login form for one of the task's methods ('' when it is not that method's). */
export type LoginForm = { loginForm(c: Ctx, method: string): string };

function documentList(c: Ctx, withChoices: boolean): string {
  const viewed = new Set(c.login?.viewed ?? []);
  const kind = (a: string): TextKey => (a === 'sign' ? 'task.sign' : a === 'upload' ? 'task.upload' : 'task.view');
  const items = c.pt.documents
    .map((doc) => {
      const viewable = doc.action !== 'upload' || doc.uploaded;
      const open =
        loggedIn(c) && viewable
          ? `<a href="${h(`${c.base}/document?${c.query}&document_id=${encodeURIComponent(doc.id)}`)}">${h(t(c.lang, 'task.open'))}<span class="sr"> ${h(doc.description ?? doc.id)}</span></a>`
          : '';
      const read =
        loggedIn(c) && doc.action !== 'upload' && !doc.signed
          ? `<span class="tag ${viewed.has(doc.id) ? 'done' : ''}">${h(t(c.lang, viewed.has(doc.id) ? 'doc.read' : 'doc.unread'))}</span>`
          : '';
      const choose =
        withChoices && doc.optional && doc.action === 'sign' && !doc.signed
          ? `<label class="choice"><input type="checkbox" name="include" value="${h(doc.id)}" form="sendin" checked> ${h(t(c.lang, 'doc.include'))}</label>`
          : '';
      const upload =
        withChoices && doc.action === 'upload'
          ? `<form class="upload" method="post" enctype="multipart/form-data" action="${h(`${c.base}/upload?${c.query}&document_id=${encodeURIComponent(doc.id)}`)}">` +
            `<input type="hidden" name="csrf" value="${h(c.session.csrf)}">` +
            `<label for="file-${h(doc.id)}">${h(t(c.lang, 'upload.choose', { name: doc.description ?? doc.id }))}</label>` +
            `<input type="file" id="file-${h(doc.id)}" name="file" accept=".pdf,.txt,application/pdf,text/plain" required>` +
            `<button class="button secondary">${h(t(c.lang, 'upload.submit'))}</button></form>`
          : '';
      return (
        `<li><span class="name">${h(doc.description ?? doc.id)}</span>` +
        `<span class="tag${doc.uploaded ? ' done' : ''}">${h(t(c.lang, doc.signed ? 'task.signed' : doc.uploaded ? 'upload.done' : kind(doc.action)))}</span>` +
        (doc.optional ? `<span class="tag">${h(t(c.lang, 'doc.optional'))}</span>` : '') +
        `${read}${open}${choose}${upload}</li>`
      );
    })
    .join('');
  return `<h2>${h(t(c.lang, 'task.documents'))}</h2><ul class="docs">${items}</ul>`;
}

/** The task page once logged in; `notice` goes above the title (an alert, a status). */
export function wizard(c: Ctx, notice = ''): string {
  const title = c.pt.dialog?.title ?? t(c.lang, 'task.title');
  const intro = c.pt.dialog?.message ? `<p class="lead">${h(c.pt.dialog.message)}</p>` : '';
  const who = c.login ? `<p class="status ok" role="status">${h(t(c.lang, 'session.ok'))}</p>` : '';
  const signs = c.pt.documents.some((x) => x.action === 'sign' && !x.signed);
  const hidden = `<input type="hidden" name="csrf" value="${h(c.session.csrf)}">`;
  const form = (id: string, inner: string) =>
    `<form id="${id}" method="post" action="${h(`${c.base}/act?${c.query}`)}">${hidden}${inner}</form>`;
  return (
    `${who}${notice}<h1>${h(title)}</h1>${intro}<p>${h(t(c.lang, 'wizard.readFirst'))}</p>${documentList(c, true)}` +
    `<div class="actions">${form('sendin', `<button class="button" name="do" value="sendin">${h(t(c.lang, signs ? 'wizard.sendin' : 'wizard.sendinView'))}</button>`)}` +
    `${form('postpone', `<button class="button secondary" name="do" value="postpone">${h(t(c.lang, 'wizard.postpone'))}</button>`)}` +
    `${form('restart', `<button class="button secondary" name="do" value="restart">${h(t(c.lang, 'wizard.restart'))}</button>`)}</div>` +
    `<h2>${h(t(c.lang, 'wizard.declineTitle'))}</h2>` +
    form(
      'decline',
      `<label for="reason">${h(t(c.lang, 'wizard.declineReason'))}</label><textarea id="reason" name="reason" rows="2" maxlength="1000"></textarea>` +
        `<div class="actions"><button class="button secondary" name="do" value="decline">${h(t(c.lang, 'wizard.decline'))}</button></div>`,
    )
  );
}

/** The task page before login: the eID methods' forms (or just their names) and the documents, not yet openable. */
export function loginPage(c: Ctx, eidForms: readonly LoginForm[], methodName: (method: string) => string, notice = ''): string {
  const forms = c.pt.authentication.flatMap((m) => eidForms.map((e) => e.loginForm(c, m))).filter(Boolean);
  const methods = forms.length
    ? forms.join('')
    : `<ul>${c.pt.authentication.map((m) => `<li>${h(t(c.lang, 'login.with', { method: methodName(m) }))}</li>`).join('')}</ul>`;
  return `${notice}<h1>${h(t(c.lang, 'login.title'))}</h1><p class="lead">${h(t(c.lang, 'login.body'))}</p>${methods}${documentList(c, false)}`;
}

/**
 * What stops the signer from signing `docIds` (the sign-documents of this act; optional ones not in
 * it are left out) and sending in: documents not yet delivered to them in this session, uploads
 * still missing. The server's own check: a POST straight to Send in or to the signing steps meets it too.
 */
const unready = (c: Ctx, docIds: readonly string[]) => {
  const skipped = new Set(c.pt.documents.filter((x) => x.optional && x.action === 'sign' && !docIds.includes(x.id)).map((x) => x.id));
  return { unread: unreadMandatory(c.pt, new Set(c.login?.viewed ?? []), skipped), missing: missingUploads(c.pt) };
};

/** The alerts the wizard shows when the signer may not go on yet with `docIds`; undefined when they may. */
export function unreadyAlerts(c: Ctx, docIds: readonly string[]): string | undefined {
  const { unread, missing } = unready(c, docIds);
  if (!unread.length && !missing.length) return undefined;
  const names = (xs: typeof unread) => xs.map((x) => x.description ?? x.id).join(', ');
  return [
    unread.length ? t(c.lang, 'wizard.mustRead', { list: names(unread) }) : '',
    missing.length ? t(c.lang, 'upload.missing', { list: names(missing) }) : '',
  ]
    .filter(Boolean)
    .map((x) => `<p class="status warn" role="alert">${h(x)}</p>`)
    .join('');
}

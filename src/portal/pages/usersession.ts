// The user session's page as HTML: every task of the session in the order the signer works on them
// (core/usersession.ts sessionOrder), each with where it stands — open (logged in or still to log in),
// to sign in the act right after the earlier tasks it depends on, waiting for an earlier task, being
// sealed, signed, closed, or not for this person — and a link to the task's own page. A ready (or
// `after`) task lists its documents, each to open (the task's document page, which records it as
// read) with its read state; the act's form signs every such task an eID method offers in one go;
// "Postpone" and "Leave without signing" end the visit.
import type { PortalTask } from '../../core/portal';
import type { SessionEntry } from '../../core/usersession';
import { t, tn, type LangLike, type TextKey } from '../i18n';
import { html, type Html } from '../html';
import { docName } from '../task';
import type { SessionCtx, SessionRow } from '../kit';

export type EntryState = SessionRow['state'];

const CLOSED_TITLE: Record<string, TextKey> = {
  withdrawn: 'closed.withdrawn.title',
  expired: 'closed.expired.title',
  completed: 'closed.completed.title',
  rejected: 'closed.rejected.title',
  failed: 'closed.failed.title',
};

const STATE_TEXT: Record<Exclude<EntryState, 'completed' | 'closed'>, TextKey> = {
  ready: 'usersession.ready',
  after: 'usersession.after',
  login: 'usersession.login',
  waiting: 'usersession.waiting',
  sealing: 'usersession.sealing',
  mismatch: 'usersession.mismatch',
  gone: 'usersession.gone',
};

/** What a row's state reads as. */
export function stateText(lang: LangLike, e: Pick<SessionRow, 'entry' | 'state'>): string {
  const pt = e.entry.task;
  if (e.state !== 'completed' && e.state !== 'closed') return t(lang, STATE_TEXT[e.state]);
  return pt?.access.kind === 'closed' ? t(lang, CLOSED_TITLE[pt.access.status] ?? 'closed.failed.title') : t(lang, 'usersession.gone');
}

/** What the signer sees a task called: the session's description, the task's dialog title, or its ids. */
export const entryName = (e: SessionEntry) => e.description ?? e.task?.dialog?.title ?? `${e.requestId} / ${e.taskId}`;

/** A ready task's documents: each to open on the task's document page (back to this page), read or not. */
function readyDocuments(sc: SessionCtx, x: SessionRow): Html[] {
  const c = x.c!;
  const viewed = new Set(c.login?.viewed ?? []);
  return c.pt.documents.map((d) => {
    const name = docName(sc.lang, d);
    if (d.action === 'upload' && !d.uploaded) return html`<li>${name}</li>`;
    const href = `${c.base}/document?${c.query}&document_id=${encodeURIComponent(d.id)}&${sc.query}`;
    const read = d.action !== 'upload' && !d.signed;
    const tag = read
      ? html` <span class="tag${viewed.has(d.id) ? ' done' : ''}">${t(sc.lang, viewed.has(d.id) ? 'doc.read' : 'doc.unread')}</span>`
      : '';
    return html`<li><a href="${href}">${name}</a>${tag}</li>`;
  });
}

const csrf = (sc: SessionCtx) => html`<input type="hidden" name="csrf" value="${sc.session.csrf}">`;

/**
 * The rows one act signs, in the session's order: every ready task an eID method signs in one go, and
 * every `after` task whose tasks it depends on are in the act before it.
 */
function actRows(sc: SessionCtx, signsInAct: (pt: PortalTask) => boolean): SessionRow[] {
  const act: SessionRow[] = [];
  const keys = new Set<string>();
  for (const x of sc.rows) {
    if (!x.c || !signsInAct(x.c.pt) || !(x.state === 'ready' || (x.state === 'after' && x.after!.every((k) => keys.has(k))))) continue;
    act.push(x);
    keys.add(`${x.entry.requestId}/${x.entry.taskId}`);
  }
  return act;
}

/** The act (every task an eID method signs in one go: actRows) and the buttons that end the visit. */
function actions(sc: SessionCtx, signsInAct: (pt: PortalTask) => boolean): Html {
  const act = actRows(sc, signsInAct);
  const tasks = act.map((x) => html`<input type="hidden" name="task" value="${`${x.entry.requestId}/${x.entry.taskId}`}">`);
  const sign = act.length
    ? html`<h2>${t(sc.lang, 'usersession.actTitle')}</h2><p>${t(sc.lang, 'usersession.actBody')}</p><form id="signall" method="post" action="${`${sc.base}/sign?${sc.query}`}">${csrf(sc)}${tasks}<div class="actions"><button class="button">${t(sc.lang, 'usersession.signAll')}</button></div></form>`
    : '';
  const leave = html`<form id="leave" method="post" action="${`${sc.base}/act?${sc.query}`}">${csrf(sc)}<div class="actions"><button class="button secondary" name="do" value="postpone">${t(sc.lang, 'wizard.postpone')}</button><button class="button secondary" name="do" value="cancel">${t(sc.lang, 'usersession.cancel')}</button></div></form>`;
  return html`${sign}${leave}`;
}

/** The session page's content; `notice` (markup: an alert) goes under the title. */
export function sessionPage(sc: SessionCtx, signsInAct: (pt: PortalTask) => boolean, notice: Html | string = ''): Html {
  const { lang } = sc;
  const open = sc.rows.filter((x) => ['ready', 'after', 'login', 'waiting', 'sealing'].includes(x.state)).length;
  const items = sc.rows.map((x) => {
    const name = entryName(x.entry);
    const docs = x.c ? readyDocuments(sc, x) : (x.entry.task?.documents ?? []).map((d) => html`<li>${d.description ?? d.id}</li>`);
    const done = x.state === 'completed' || x.state === 'sealing';
    const link = x.href
      ? html`<a class="button secondary" href="${x.href}">${t(lang, 'usersession.open')}<span class="sr"> ${name}</span></a>`
      : '';
    const cls = x.state === 'mismatch' ? 'status warn' : `tag${done ? ' done' : ''}`;
    const role = x.state === 'mismatch' ? html` role="alert"` : '';
    return html`<li><span class="name">${name}</span> <span class="${cls}"${role}>${stateText(lang, x)}</span>${
      docs.length ? html`<ul>${docs}</ul>` : ''
    }${link}</li>`;
  });
  return html`<h1>${t(lang, 'usersession.title')}</h1>${notice}<p class="lead">${t(lang, 'usersession.body')}</p><p role="status">${tn(
    lang,
    'usersession.count',
    open,
  )}</p><ol class="docs">${items}</ol>${actions(sc, signsInAct)}`;
}

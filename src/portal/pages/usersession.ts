// The user session's page as HTML: every task of the session in the order the signer works on them
// (core/usersession.ts sessionOrder), each with where it stands — open (logged in or still to log in),
// waiting for an earlier task, being sealed, signed, closed, or not for this person — and a link to
// the task's own page, where its documents are read and signed exactly as from a task URL.
import type { SessionEntry } from '../../core/usersession';
import { t, tn, type LangLike, type TextKey } from '../i18n';
import { html, type Html } from '../html';

/** One row's state as the page shows it. */
export type EntryState = 'ready' | 'login' | 'waiting' | 'sealing' | 'mismatch' | 'gone' | 'completed' | 'closed';

export interface ShownEntry {
  entry: SessionEntry;
  state: EntryState;
  /** the task's own page (open tasks only) */
  href?: string;
}

const CLOSED_TITLE: Record<string, TextKey> = {
  withdrawn: 'closed.withdrawn.title',
  expired: 'closed.expired.title',
  completed: 'closed.completed.title',
  rejected: 'closed.rejected.title',
  failed: 'closed.failed.title',
};

const STATE_TEXT: Record<Exclude<EntryState, 'completed' | 'closed'>, TextKey> = {
  ready: 'usersession.ready',
  login: 'usersession.login',
  waiting: 'usersession.waiting',
  sealing: 'usersession.sealing',
  mismatch: 'usersession.mismatch',
  gone: 'usersession.gone',
};

function stateText(lang: LangLike, e: ShownEntry): string {
  const pt = e.entry.task;
  if (e.state !== 'completed' && e.state !== 'closed') return t(lang, STATE_TEXT[e.state]);
  return pt?.access.kind === 'closed' ? t(lang, CLOSED_TITLE[pt.access.status] ?? 'closed.failed.title') : t(lang, 'usersession.gone');
}

/** What the signer sees a task called: the session's description, the task's dialog title, or its ids. */
const entryName = (e: SessionEntry) => e.description ?? e.task?.dialog?.title ?? `${e.requestId} / ${e.taskId}`;

/** The session page's content. */
export function sessionPage(lang: LangLike, shown: readonly ShownEntry[]): Html {
  const open = shown.filter((x) => ['ready', 'login', 'waiting', 'sealing'].includes(x.state)).length;
  const items = shown.map((x) => {
    const name = entryName(x.entry);
    const docs = (x.entry.task?.documents ?? []).map((d) => html`<li>${d.description ?? d.id}</li>`);
    const done = x.state === 'completed' || x.state === 'sealing';
    const link = x.href ? html`<a class="button" href="${x.href}">${t(lang, 'usersession.open')}<span class="sr"> ${name}</span></a>` : '';
    const cls = x.state === 'mismatch' ? 'status warn' : `tag${done ? ' done' : ''}`;
    const role = x.state === 'mismatch' ? html` role="alert"` : '';
    return html`<li><span class="name">${name}</span> <span class="${cls}"${role}>${stateText(lang, x)}</span>${
      docs.length ? html`<ul>${docs}</ul>` : ''
    }${link}</li>`;
  });
  return html`<h1>${t(lang, 'usersession.title')}</h1><p class="lead">${t(lang, 'usersession.body')}</p><p role="status">${tn(
    lang,
    'usersession.count',
    open,
  )}</p><ol class="docs">${items}</ol>`;
}

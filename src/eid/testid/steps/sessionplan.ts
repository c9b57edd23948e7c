// Which tasks of a user session one act of the test eID signs (steps/session.ts), checked again at
// every step of it from the state now: every task named must be in this session, ready (open, not
// being sealed, logged in by this browser or asking no login: one to log in to, another person's are
// not) or `after` — waiting only for tasks of its request that the same act names (sessionrows.ts);
// a task waiting for one outside the act, being sealed or not completed, is not —, signed by the test
// eID, and every document it signs delivered to the signer; else the act is refused whole, nothing
// written. The act's tasks are signed in the session's order, which puts a task after those it
// depends on (core/usersession.ts sessionOrder). An act whose tasks are all signed already is a
// second submission of it: refused as such.
import type { PortalTask } from '../../../core/portal';
import { t, type TextKey } from '../../../portal/i18n';
import { html, raw, type Html } from '../../../portal/html';
import type { Ctx, SessionCtx, SessionRow } from '../../../portal/kit';
import { entryName, stateText } from '../../../portal/pages/usersession';
import { unreadyAlerts } from '../../../portal/wizard';
import { list } from './shared';
import { sessionMethodOk } from './sign';

/** One task of the act: its row, page context, the documents it signs, and the tasks of its request the act signs before it. */
export interface ActTask {
  row: SessionRow;
  c: Ctx;
  docIds: string[];
  /** task ids (of the same request) it depends on, signed earlier in this act */
  after: string[];
}

export type ActPlan =
  | { ok: true; tasks: ActTask[]; keys: string[] }
  | { ok: false; status: number; title: TextKey; body: TextKey; extra?: Html; unread?: Html };

export const rowKey = (r: SessionRow) => `${r.entry.requestId}/${r.entry.taskId}`;

/** The documents a task signs in the act: every sign action not signed yet (optional ones too: to leave one out, sign the task alone). */
const toSign = (pt: PortalTask) => pt.documents.filter((x) => x.action === 'sign' && !x.signed).map((x) => x.id);

/** The act the form names (its `task` fields), or why it is refused. */
export function planAct(sc: SessionCtx, body: Record<string, unknown>): ActPlan {
  const keys = list(body.task);
  const rows = keys.map((k) => sc.rows.find((r) => rowKey(r) === k));
  if (!keys.length || keys.length > 50 || new Set(keys).size !== keys.length || rows.some((r) => !r))
    return { ok: false, status: 400, title: 'usersession.foreign.title', body: 'usersession.foreign.body' };
  // in the session's order: a task after the tasks it depends on
  const named = (rows as SessionRow[]).sort((a, b) => sc.rows.indexOf(a) - sc.rows.indexOf(b));
  if (named.every((r) => r.state === 'sealing' || r.state === 'completed'))
    return { ok: false, status: 409, title: 'usersession.sent.title', body: 'usersession.sent.body' };
  const why = (r: SessionRow): string | undefined => {
    if (r.state === 'after' && !r.after!.every((k) => keys.includes(k))) return t(sc.lang, 'usersession.waiting');
    if ((r.state !== 'ready' && r.state !== 'after') || !r.c) return stateText(sc.lang, r);
    if (!sessionMethodOk(r.c.pt)) return t(sc.lang, 'sign.unavailable');
    if (!toSign(r.c.pt).length) return t(sc.lang, 'usersession.sealing');
    return undefined;
  };
  const bad = named.flatMap((r) => {
    const w = why(r);
    return w ? [html`<li><span class="name">${entryName(r.entry)}</span>: ${w}</li>`] : [];
  });
  if (bad.length)
    return {
      ok: false,
      status: 409,
      title: 'usersession.notReady.title',
      body: 'usersession.notReady.body',
      extra: html`<ul class="docs">${bad}</ul>`,
    };
  const tasks = named.map((r) => {
    const after = (r.after ?? []).map((k) => k.slice(r.entry.requestId.length + 1));
    return { row: r, c: r.c!, docIds: toSign(r.c!.pt), after };
  });
  const unread = tasks.flatMap((x) => {
    const alerts = unreadyAlerts(x.c, x.docIds);
    return alerts === undefined ? [] : [html`<h2>${entryName(x.row.entry)}</h2>${raw(alerts)}`];
  });
  if (unread.length)
    return { ok: false, status: 400, title: 'usersession.notReady.title', body: 'usersession.notReady.body', unread: html`${unread}` };
  return { ok: true, tasks, keys };
}

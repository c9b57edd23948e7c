// A user session as one request to its pages sees it (kit.ts SessionCtx): the service, the session's
// tasks in order (core/usersession.ts sessionOrder), each task's row, and this browser's portal
// session. The eID login the session's tasks share is carried to the open tasks it may stand for
// (core/usersession.ts loginCarries: the same eID method; a task naming a national id only for a
// login checked against that same national id), with a user-authenticated event in that task's own
// request; a ready row gets the task's page context, so that the act (an eID method's session
// steps) checks and signs each task exactly as the task's own pages would.
import type express from 'express';
import { NotFoundError } from '../core/errors';
import type { Clock, ServiceAccount } from '../core/ports';
import type { SignerActions } from '../core/signer';
import { loginCarries, type SessionEntry } from '../core/usersession';
import type { PortalTask } from '../core/portal';
import type { UserSession } from '../core/types';
import type { ProfileRepository } from '../store/profiles';
import type { ServiceRepository } from '../store/services';
import { equalSecret } from '../util/bytes';
import { message, type Answers } from './answer';
import { pickLanguage, type LangLike } from './i18n';
import { page, type PageLook } from './layout';
import { taskKey, type PortalSession, type PortalSessions, type TaskLogin } from './session';
import { lookOf } from './task';
import type { Ctx, SessionCtx, SessionRow } from './kit';

export interface SessionDeps {
  services: ServiceRepository;
  profiles?: ProfileRepository;
  clock: Clock;
  signer: SignerActions;
}

/** Where a browser that holds a user session keeps it (beside its task logins). */
export const sessionMarker = (id: string) => `usersession/${id}`;

const str = (v: unknown) => (typeof v === 'string' ? v : '');

/** What the session's pages know before this browser's hold on the session is checked. */
export interface SessionHead {
  svc: ServiceAccount;
  id: string;
  lang: LangLike;
  look?: PageLook;
  read: { session: UserSession; entries: SessionEntry[] };
  session: PortalSession;
  now: number;
  base: string;
  query: string;
}

/** The service, the session and this browser's portal session; undefined (the 404 page sent) for an unknown or foreign session. */
export async function sessionHead(
  d: SessionDeps,
  sessions: PortalSessions,
  a: Pick<Answers, 'notFound'>,
  req: express.Request,
  res: express.Response,
): Promise<SessionHead | undefined> {
  const accept = req.headers['accept-language'];
  const now = d.clock.now().getTime();
  const svc = await d.services.find(String(req.params.service));
  const id = str(req.query.session_id);
  const read = svc && id ? await d.signer.userSessionTasks(svc, id).catch(notFound) : undefined;
  if (!svc || !read) return void a.notFound(res, pickLanguage(undefined, accept));
  const lang: LangLike = { code: pickLanguage(read.session.language, accept), texts: {} };
  const chosen = d.profiles ? await d.profiles.resolve(svc.id, read.entries.find((x) => x.task)?.task?.profile) : null;
  const session = await sessions.load(req.headers.cookie, now);
  const base = `/std/docaction/${encodeURIComponent(svc.name)}/session`;
  return { svc, id, lang, look: lookOf(svc, chosen), read, session, now, base, query: new URLSearchParams({ session_id: id }).toString() };
}

const notFound = (e: unknown): undefined => {
  if (e instanceof NotFoundError) return undefined;
  throw e;
};

/** The page a browser that does not hold the session gets (a stale or used link): 410, nothing written. */
export function refusedSession(send: Answers['send'], res: express.Response, h: SessionHead): void {
  const m = message(h.lang, 'usersession.expired.title', 'usersession.expired.body', 'warn');
  send(res, 410, page({ lang: h.lang, service: h.svc.name, look: h.look, ...m }));
}

/** The session as its pages work on it, once this browser is known to hold it (the shared login carried where it may be). */
export async function sessionCtx(signer: SignerActions, h: SessionHead): Promise<SessionCtx> {
  const rows = await showEntries(signer, h);
  return {
    svc: h.svc,
    lang: h.lang,
    look: h.look,
    session: h.session,
    now: h.now,
    id: h.id,
    base: h.base,
    query: h.query,
    user: h.read.session,
    rows,
  };
}

export const sessionCsrfOk = (sc: Pick<SessionCtx, 'session'>, form: Record<string, unknown>): boolean =>
  equalSecret(Buffer.from(typeof form.csrf === 'string' ? form.csrf : ''), Buffer.from(sc.session.csrf));

/** The session artifact logs in the open tasks that accept an artifact, as a task URL's artifact does. */
export async function artifactLogins(signer: SignerActions, h: SessionHead): Promise<void> {
  for (const e of h.read.entries) {
    if (!e.task || e.task.access.kind !== 'open' || e.task.sealing || !e.task.artifactAllowed) continue;
    h.session.tasks[taskKey(e.requestId, e.taskId)] = { method: 'artifact', at: h.now };
    await signer.recordPortalEvent(h.svc, e.requestId, e.taskId, 'user-authenticated', `single sign-on artifact of user session ${h.id}`);
  }
}

/** The eID login this session's tasks share: a complete one made on (or carried to) one of them, not an artifact's. */
function sharedLogin(entries: readonly SessionEntry[], session: PortalSession): { entry: SessionEntry; login: TaskLogin } | undefined {
  let best: { entry: SessionEntry; login: TaskLogin } | undefined;
  for (const entry of entries) {
    const login = session.tasks[taskKey(entry.requestId, entry.taskId)];
    if (!entry.task || !login || login.pending || login.method === 'artifact') continue;
    // one checked against a national id first (it may stand for more tasks), then the newest
    const rank = (x: { entry: SessionEntry; login: TaskLogin }) => [x.entry.task?.nationalId ? 1 : 0, x.login.at] as const;
    const [nid, at] = rank({ entry, login });
    const [bestNid, bestAt] = best ? rank(best) : [-1, -1];
    if (nid > bestNid || (nid === bestNid && at > bestAt)) best = { entry, login };
  }
  return best;
}

/**
 * A waiting task a user session's act may sign right after the tasks it waits for: when it waits only
 * for tasks of its own request that are in this session before it (`rows`: sessionOrder puts them
 * first) and ready there, or `after` themselves. Their keys, else undefined. Not a task waiting for a
 * package, for a task outside the session or being sealed already (a dependency is signed in the same act).
 */
function afterInAct(pt: PortalTask, rows: readonly SessionRow[]): string[] | undefined {
  if (pt.access.kind !== 'waiting') return undefined;
  const keys = pt.access.waitingFor.map((id) => `${pt.requestId}/${id}`);
  const ok = keys.every((k) =>
    rows.some((r) => `${r.entry.requestId}/${r.entry.taskId}` === k && (r.state === 'ready' || r.state === 'after')),
  );
  return ok && keys.length ? keys : undefined;
}

/** Each task's row: the shared login carried to the open tasks it may stand for (a user-authenticated event on each). */
async function showEntries(signer: SignerActions, h: SessionHead): Promise<SessionRow[]> {
  const { svc, session, now } = h;
  const shared = sharedLogin(h.read.entries, session);
  const taskBase = `/std/docaction/${encodeURIComponent(svc.name)}`;
  const out: SessionRow[] = [];
  for (const entry of h.read.entries) {
    const pt = entry.task;
    if (!pt) {
      out.push({ entry, state: 'gone' });
      continue;
    }
    const after = afterInAct(pt, out);
    if (pt.sealing) out.push({ entry, state: 'sealing' });
    else if (pt.access.kind === 'closed') out.push({ entry, state: pt.access.status === 'completed' ? 'completed' : 'closed' });
    else if (pt.access.kind === 'waiting' && !after) out.push({ entry, state: 'waiting' });
    else {
      const query = new URLSearchParams({ request_id: entry.requestId, task_id: entry.taskId }).toString();
      const href = `${taskBase}?${query}`;
      const key = taskKey(entry.requestId, entry.taskId);
      const own = session.tasks[key];
      const ctx = (): Ctx => ({ svc, pt, lang: h.lang, look: h.look, session, login: session.tasks[key], now, base: taskBase, query });
      // (an `after` task has no link of its own: its page says it waits; only the act signs it)
      const ready = after ? { state: 'after' as const, after, href: undefined } : { state: 'ready' as const };
      if (pt.authentication.length === 0 || (own && !own.pending)) {
        // (an `after` task asking no login: the session holds it, so that its documents open: task.ts)
        if (after && !own) session.tasks[key] = { method: 'none', at: now };
        out.push({ entry, href, ...ready, c: ctx() });
        continue;
      }
      const carries = shared && !own ? loginCarries(shared.entry.task!, shared.login.method, pt) : 'login';
      if (carries === 'mismatch') {
        out.push({ entry, state: 'mismatch' });
        continue;
      }
      if (after && carries !== 'ok') out.push({ entry, state: 'waiting' });
      else if (carries === 'ok' && shared) {
        const { method, pid, userId, employee } = shared.login;
        session.tasks[key] = { method, pid, userId, ...(employee ? { employee } : {}), at: now };
        const from = `${shared.entry.requestId}/${shared.entry.taskId}`;
        await signer.recordPortalEvent(
          svc,
          entry.requestId,
          entry.taskId,
          'user-authenticated',
          `${method}; the login of user session task ${from}`,
        );
        out.push({ entry, href, ...ready, c: ctx() });
      } else out.push({ entry, state: 'login', href });
    }
  }
  return out;
}

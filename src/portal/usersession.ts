// The user session's page (createUserSession, reference §3.10): `/std/docaction/{service}/session?
// session_id=<user-session-id>&artifact=<artifact>`. The artifact (once, within its 30 s, this
// service's session only) gives this browser the session, and logs in the session's tasks that accept
// an artifact (authentication/@artifact), as a task URL's artifact does; the URL is then reloaded
// without it. The page lists every task of the session across requests in an order that respects
// depends-on, and links each open task to its own page: reading and signing are the task URL's pages,
// the one signing path. One eID login is enough: a login made on one task of the session stands for
// the others that accept the same method, where core/usersession.ts loginCarries allows it (a task
// naming a national id only for a login checked against that same national id; another person's
// task is shown as such and stays unsigned). Each task's events go to its own request's history.
// A stale, used or foreign artifact, or an unknown session: a translated page, nothing written.
import express from 'express';
import type { Logger } from 'pino';
import { NotFoundError } from '../core/errors';
import type { Clock, ServiceAccount } from '../core/ports';
import type { SignerActions } from '../core/signer';
import { loginCarries, type SessionEntry } from '../core/usersession';
import type { UserSession } from '../core/types';
import type { ProfileRepository } from '../store/profiles';
import type { ServiceRepository } from '../store/services';
import { answers, message, SECURITY_HEADERS } from './answer';
import { pickLanguage, t, type LangLike } from './i18n';
import { page } from './layout';
import { taskKey, type PortalSession, type PortalSessions, type TaskLogin } from './session';
import { lookOf } from './task';
import { sessionPage, type ShownEntry } from './pages/usersession';

export interface UserSessionDeps {
  services: ServiceRepository;
  profiles?: ProfileRepository;
  clock: Clock;
  signer: SignerActions;
  log: Logger;
}

/** Where a browser that holds a user session keeps it (beside its task logins). */
const sessionMarker = (id: string) => `usersession/${id}`;

const str = (v: unknown) => (typeof v === 'string' ? v : '');

export function mountUserSession(r: express.Router, d: UserSessionDeps, sessions: PortalSessions): void {
  const a = answers(sessions, d.log);
  const redirect = (res: express.Response, session: PortalSession, now: number, location: string) => {
    void sessions
      .save(session, now)
      .then((cookie) => {
        res.append('set-cookie', cookie).status(303).set(SECURITY_HEADERS).location(location).end();
      })
      .catch((e: unknown) => a.failed(res, e, pickLanguage(undefined, undefined)));
  };
  r.get('/std/docaction/:service/session', async (req, res) => {
    const accept = req.headers['accept-language'];
    try {
      const now = d.clock.now().getTime();
      const svc = await d.services.find(String(req.params.service));
      const id = str(req.query.session_id);
      const read = svc && id ? await d.signer.userSessionTasks(svc, id).catch(notFound) : undefined;
      if (!svc || !read) return void a.notFound(res, pickLanguage(undefined, accept));
      const lang: LangLike = { code: pickLanguage(read.session.language, accept), texts: {} };
      const chosen = d.profiles ? await d.profiles.resolve(svc.id, read.entries.find((x) => x.task)?.task?.profile) : null;
      const look = lookOf(svc, chosen);
      const here = `/std/docaction/${encodeURIComponent(svc.name)}/session?${new URLSearchParams({ session_id: id }).toString()}`;
      const session = await sessions.load(req.headers.cookie, now);
      const refused = () => {
        const m = message(lang, 'usersession.expired.title', 'usersession.expired.body', 'warn');
        a.send(res, 410, page({ lang, service: svc.name, look, ...m }));
      };
      const artifact = req.query.artifact;
      if (artifact !== undefined) {
        if (typeof artifact === 'string' && (await d.signer.redeemSessionArtifact(svc, id, artifact))) {
          sessions.rotate(session);
          session.tasks[sessionMarker(id)] = { method: 'usersession', at: now };
          await artifactLogins(d.signer, svc, id, read.entries, session, now);
          return void redirect(res, session, now, here);
        }
        // (the browser that redeemed it may come back through its history: it holds the session already)
        if (session.tasks[sessionMarker(id)]) return void redirect(res, session, now, here);
        return void refused();
      }
      if (!session.tasks[sessionMarker(id)]) return void refused();
      const shown = await showEntries(d.signer, svc, read, session, now);
      a.send(
        res,
        200,
        page({ lang, service: svc.name, look, title: t(lang, 'usersession.title'), main: sessionPage(lang, shown) }),
        session,
        now,
      );
    } catch (e) {
      a.failed(res, e, pickLanguage(undefined, accept));
    }
  });
}

const notFound = (e: unknown): undefined => {
  if (e instanceof NotFoundError) return undefined;
  throw e;
};

const openNow = (e: SessionEntry) => e.task !== undefined && e.task.access.kind === 'open' && !e.task.sealing;

/** The session artifact logs in the open tasks that accept an artifact, as a task URL's artifact does. */
async function artifactLogins(
  signer: SignerActions,
  svc: ServiceAccount,
  id: string,
  entries: readonly SessionEntry[],
  session: PortalSession,
  now: number,
): Promise<void> {
  for (const e of entries) {
    if (!openNow(e) || !e.task!.artifactAllowed) continue;
    session.tasks[taskKey(e.requestId, e.taskId)] = { method: 'artifact', at: now };
    await signer.recordPortalEvent(svc, e.requestId, e.taskId, 'user-authenticated', `single sign-on artifact of user session ${id}`);
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

/** Each task's row: the shared login carried to the open tasks it may stand for (a user-authenticated event on each). */
async function showEntries(
  signer: SignerActions,
  svc: ServiceAccount,
  read: { session: UserSession; entries: SessionEntry[] },
  session: PortalSession,
  now: number,
): Promise<ShownEntry[]> {
  const shared = sharedLogin(read.entries, session);
  const base = `/std/docaction/${encodeURIComponent(svc.name)}`;
  const out: ShownEntry[] = [];
  for (const entry of read.entries) {
    const pt = entry.task;
    if (!pt) {
      out.push({ entry, state: 'gone' });
      continue;
    }
    if (pt.sealing) out.push({ entry, state: 'sealing' });
    else if (pt.access.kind === 'closed') out.push({ entry, state: pt.access.status === 'completed' ? 'completed' : 'closed' });
    else if (pt.access.kind === 'waiting') out.push({ entry, state: 'waiting' });
    else {
      const href = `${base}?${new URLSearchParams({ request_id: entry.requestId, task_id: entry.taskId }).toString()}`;
      const key = taskKey(entry.requestId, entry.taskId);
      const own = session.tasks[key];
      if (pt.authentication.length === 0 || (own && !own.pending)) {
        out.push({ entry, state: 'ready', href });
        continue;
      }
      const carries = shared && !own ? loginCarries(shared.entry.task!, shared.login.method, pt) : 'login';
      if (carries === 'mismatch') {
        out.push({ entry, state: 'mismatch' });
        continue;
      }
      if (carries === 'ok' && shared) {
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
      }
      out.push({ entry, state: carries === 'ok' ? 'ready' : 'login', href });
    }
  }
  return out;
}

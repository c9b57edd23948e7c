// One request to a task URL: the ids it names, the service, task, language, look and session it
// resolves to (or the page that says why the task cannot be worked on), and the checks every step
// makes on it: logged in, the session's CSRF token, a document the signer may see.
import type express from 'express';
import { NotFoundError } from '../core/errors';
import type { PortalDocument, PortalTask, TaskAccess } from '../core/portal';
import type { Clock, ServiceAccount } from '../core/ports';
import type { ProfileRepository } from '../store/profiles';
import type { ServiceRepository } from '../store/services';
import { equalSecret } from '../util/bytes';
import { message, type Answers } from './answer';
import { isTextKey, pickLanguage, t, tn, type LangLike, type TextKey } from './i18n';
import { html } from './html';
import { page, type PageLook } from './layout';
import { taskKey, type PortalSession, type PortalSessions, type TaskLogin } from './session';
import type { Ctx, Kit } from './kit';
import { sealingMessage } from './pages/sealing';

const CLOSED: Record<string, { title: TextKey; body: TextKey; status: number; cls: 'ok' | 'warn' }> = {
  withdrawn: { title: 'closed.withdrawn.title', body: 'closed.withdrawn.body', status: 410, cls: 'warn' },
  expired: { title: 'closed.expired.title', body: 'closed.expired.body', status: 410, cls: 'warn' },
  completed: { title: 'closed.completed.title', body: 'closed.completed.body', status: 200, cls: 'ok' },
  rejected: { title: 'closed.rejected.title', body: 'closed.rejected.body', status: 200, cls: 'warn' },
  failed: { title: 'closed.failed.title', body: 'closed.failed.body', status: 200, cls: 'warn' },
};

/** The `request_id` and `task_id` of the query ('' when missing). */
export const ids = (req: express.Request) => {
  const q = req.query as Record<string, unknown>;
  return { requestId: typeof q.request_id === 'string' ? q.request_id : '', taskId: typeof q.task_id === 'string' ? q.task_id : '' };
};

/** What resolving a task needs of the portal's dependencies. */
interface ResolveDeps extends Pick<Kit, 'signer'> {
  services: ServiceRepository;
  profiles?: ProfileRepository;
  clock: Clock;
}

/** The graphical profile's stylesheet, logo and name as the task's pages show them. */
export function lookOf(svc: ServiceAccount, chosen: Awaited<ReturnType<ProfileRepository['resolve']>>): PageLook | undefined {
  return chosen
    ? {
        css: `/portal/profile/${encodeURIComponent(svc.name)}/${encodeURIComponent(chosen.name)}.css`,
        logo: chosen.profile.logo
          ? {
              src: `/portal/profile/${encodeURIComponent(svc.name)}/${encodeURIComponent(chosen.name)}/logo`,
              alt: chosen.profile.logo.alt,
            }
          : undefined,
        displayName: chosen.profile.displayName,
      }
    : undefined;
}

/** How core's waitingFor names a package not made yet (core/portal.ts taskAccess): `packaging-task <id>`. */
const PACKAGE_WAIT = 'packaging-task ';

/**
 * A waiting task a user session's act may sign (its login was carried to it by the session page,
 * sessionrows.ts: a task's own login pages refuse a waiting task), waiting for tasks only, no package.
 */
const inActWaiting = (access: Extract<TaskAccess, { kind: 'waiting' }>, login: TaskLogin | undefined) =>
  login !== undefined && !login.pending && access.waitingFor.every((x) => !x.startsWith(PACKAGE_WAIT));

/**
 * The page of a task that cannot be worked on yet. A package that failed will never come: the page
 * says so (contact the sender) instead of asking to wait. Others who must sign first are counted
 * (signatures, not packages); a package still to be made after them gets its own line. A task
 * waiting only for its package says that the signed PDF has not been made yet.
 */
function waitingMessage(lang: LangLike, access: Extract<TaskAccess, { kind: 'waiting' }>) {
  if (access.failedPackages?.length) return message(lang, 'package.failed.title', 'package.failed.body', 'warn');
  const tasks = access.waitingFor.filter((x) => !x.startsWith(PACKAGE_WAIT));
  if (!tasks.length) return message(lang, 'package.waiting.title', 'package.waiting.body', 'info');
  const after = tasks.length < access.waitingFor.length ? html`<p>${t(lang, 'package.waiting.after')}</p>` : '';
  return message(lang, 'waiting.title', 'waiting.body', 'info', html`<p>${tn(lang, 'waiting.count', tasks.length)}</p>${after}`);
}

/** What the signer sees a document called: its description; a package, by what it is; else its id. */
export const docName = (lang: LangLike, doc: PortalDocument): string =>
  doc.description ?? (doc.packagingTaskId !== undefined ? t(lang, 'package.name') : doc.id);

/** Kit.resolve: resolves service, task and session; answers itself (and returns undefined) when the task cannot be worked on. */
export function taskResolver(d: ResolveDeps, sessions: PortalSessions, a: Pick<Answers, 'send' | 'notFound'>): Kit['resolve'] {
  const { send, notFound } = a;
  return async (req, res, ids, opts) => {
    const now = d.clock.now().getTime();
    const accept = req.headers['accept-language'];
    const svc = await d.services.find(String(req.params.service));
    if (!svc || !ids.requestId || !ids.taskId) {
      notFound(res, pickLanguage(undefined, accept));
      return undefined;
    }
    let pt: PortalTask;
    try {
      pt = await d.signer.portalTask(svc, ids.requestId, ids.taskId);
    } catch (e) {
      if (e instanceof NotFoundError) {
        notFound(res, pickLanguage(undefined, accept));
        return undefined;
      }
      throw e;
    }
    const code = pickLanguage(pt.language, accept);
    const chosen = d.profiles ? await d.profiles.resolve(svc.id, pt.profile) : null;
    const texts = Object.fromEntries(Object.entries(chosen?.profile.texts?.[code] ?? {}).filter(([k]) => isTextKey(k)));
    const lang: LangLike = { code, texts };
    const look = lookOf(svc, chosen);
    if (pt.sealing) {
      const m = sealingMessage(lang, { svc, requestId: ids.requestId, taskId: ids.taskId });
      send(res, 200, page({ lang, service: svc.name, look, ...m }));
      return undefined;
    }
    if (pt.access.kind === 'closed') {
      const c = CLOSED[pt.access.status]!;
      send(res, c.status, page({ lang, service: svc.name, look, ...message(lang, c.title, c.body, c.cls) }));
      return undefined;
    }
    let session: PortalSession | undefined;
    if (pt.access.kind === 'waiting') {
      session = opts?.inAct ? await sessions.load(req.headers.cookie, now) : undefined;
      if (!session || !inActWaiting(pt.access, session.tasks[taskKey(ids.requestId, ids.taskId)])) {
        send(res, 200, page({ lang, service: svc.name, look, ...waitingMessage(lang, pt.access) }));
        return undefined;
      }
    }
    session ??= await sessions.load(req.headers.cookie, now);
    const base = `/std/docaction/${encodeURIComponent(svc.name)}`;
    const query = new URLSearchParams({ request_id: ids.requestId, task_id: ids.taskId }).toString();
    return { svc, pt, lang, look, session, login: session.tasks[taskKey(ids.requestId, ids.taskId)], now, base, query };
  };
}

export const loggedIn = (c: Ctx) => c.pt.authentication.length === 0 || (c.login !== undefined && !c.login.pending);

/** The `document_id` of the query, if the signer may see it now (logged in; uploads once they have arrived). */
export const viewable = (c: Ctx, req: express.Request) => {
  const docId = typeof req.query.document_id === 'string' ? req.query.document_id : '';
  return loggedIn(c) ? c.pt.documents.find((x) => x.id === docId && (x.action !== 'upload' || x.uploaded)) : undefined;
};

export const csrfOk = (c: Ctx, form: Record<string, unknown>) => {
  const got = typeof form.csrf === 'string' ? Buffer.from(form.csrf) : Buffer.alloc(0);
  const want = Buffer.from(c.session.csrf);
  return equalSecret(got, want);
};

/** The answer to a POST without this session's CSRF token: nothing changed, go back. */
export const csrfRefused = (c: Ctx) =>
  message(c.lang, 'csrf.title', 'csrf.body', 'warn', html`<p><a href="${`${c.base}?${c.query}`}">${t(c.lang, 'doc.back')}</a></p>`);

/** The documents delivered to the signer in this session, as lines of the package's audit trail (before the signature). */
export const shownAudit = (c: Ctx): Array<{ type: string; text: string }> => {
  const viewed = new Set(c.login?.viewed ?? []);
  return c.pt.documents
    .filter((x) => viewed.has(x.id))
    .map((x) => ({
      type: x.mimeType === 'application/pdf' ? 'pdf-shown' : 'document-shown',
      text: `${x.description ?? x.id} shown to the signer`,
    }));
};

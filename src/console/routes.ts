// The back-office console at /console (issue 15, part 2): a service, one of its console accounts or an
// operator signs in (accounts.ts: the throttle the SOAP API uses, an optional TOTP code), then reads
// the service's requests and, as a manager, acts on them (actions.ts, send.ts; each recorded in
// console_audit) and changes its settings (settings.ts).
// Every read goes through core's use cases or the service-scoped queries of store/consolequeries.ts,
// each given the session's service: another tenant's request id answers 404 like one that does not exist.
import { randomBytes } from 'node:crypto';
import express from 'express';
import type { Logger } from 'pino';
import { TASK_STATUSES, type TaskStatus } from '../core/enums';
import { NotFoundError } from '../core/errors';
import type { RequestService } from '../core/requests';
import type { LoginThrottle } from '../core/ratelimit';
import type { BlobStore, PendingBlob } from '../store/blobs';
import type { SdsUploads } from '../core/sds';
import type { ConsoleAuditRepository } from '../store/consoleaudit';
import type { ConsoleAccountRepository } from '../store/consoleaccounts';
import type { ConsoleQueries } from '../store/consolequeries';
import type { OutboxRepository } from '../store/outbox';
import type { ServiceRepository } from '../store/services';
import { setTenantDownloadHeaders } from '../content/download';
import { pickLanguage, t, type Lang } from '../portal/i18n';
import { listPage, loginPage, messagePage, requestPage } from './pages';
import { sendRoutes } from './send';
import { actionRoutes } from './actions';
import { taskSearchRoute } from './tasks';
import { settingsRoutes, type SettingsDeps } from './settings';
import { accountRoutes, PRE, type PendingLogins } from './accounts';
import { cookieValue, COOKIE, csrfMatches, type ConsoleSession, type ConsoleSessions } from './session';

export interface ConsoleDeps {
  services: Pick<ServiceRepository, 'authenticate' | 'find' | 'list' | 'setPassword'>;
  limiter: LoginThrottle;
  sessions: ConsoleSessions;
  /** console accounts and second factors (accounts.ts) */
  accounts: ConsoleAccountRepository;
  /** sign-ins waiting for their TOTP code */
  pending: PendingLogins;
  /** the /admin password: operators sign in with it (absent: no operator sign-in) */
  operatorPassword?: string;
  requests: RequestService;
  queries: ConsoleQueries;
  outbox: Pick<OutboxRepository, 'log'>;
  blobs: BlobStore;
  /** sending for signature (send.ts): SDS uploads of the form's PDFs, their size limit, the portal's URL for messages */
  uploads: SdsUploads<PendingBlob>;
  maxBytes: number;
  publicUrl: () => string;
  /** the console actions and their audit log (actions.ts) */
  audit: ConsoleAuditRepository;
  clock: { now(): Date };
  /** the settings pages' stores (settings.ts); without them there are no settings pages */
  settings?: Omit<SettingsDeps, 'audit' | 'clock' | 'log'>;
  /** /admin is on (ADMIN_PASSWORD): the pages link to Bull Board and /metrics */
  operatorLinks?: boolean;
  /** whether segl is reached over https (PUBLIC_URL): the cookies get Secure */
  https: boolean;
  log: Logger;
}

const PER_PAGE = 25;
const form = express.urlencoded({ extended: false, limit: '4kb', parameterLimit: 20 });

/** The pages run no script and are framed by nobody; request ids in URLs stay on this site. */
const HEADERS = {
  'Content-Security-Policy': "default-src 'self'; script-src 'none'; frame-ancestors 'none'; form-action 'self'; base-uri 'none'",
  'X-Content-Type-Options': 'nosniff',
  'Referrer-Policy': 'same-origin',
  'Cache-Control': 'no-store',
};

export type Authed = express.Request & { session?: ConsoleSession; lang?: Lang };

/** What every console route shares: cookies, answers, the session and CSRF checks, errors as pages. */
export function web(d: ConsoleDeps) {
  const cookie = (name: string, value: string, maxAgeS?: number) =>
    `${name}=${value}; Path=/console; HttpOnly; SameSite=Strict${d.https ? '; Secure' : ''}${maxAgeS === undefined ? '' : `; Max-Age=${maxAgeS}`}`;
  const langOf = (req: express.Request): Lang =>
    pickLanguage(typeof req.query.lang === 'string' ? req.query.lang : undefined, req.headers['accept-language']);
  const send = (res: express.Response, code: number, body: string) => res.status(code).set(HEADERS).type('html').send(body);
  const showLogin = (req: express.Request, res: express.Response, code = 200, message?: string, service = '', user = '') => {
    const token = randomBytes(24).toString('base64url');
    res.append('Set-Cookie', cookie(PRE, token));
    send(res, code, loginPage(langOf(req), token, message, service, user));
  };

  /** The session, or the login page (an ended session says so). */
  const session: express.RequestHandler = (req: Authed, res, next) => {
    const id = cookieValue(req.headers.cookie, COOKIE);
    d.sessions.use(id).then((s) => {
      req.lang = langOf(req);
      if (!s) {
        if (id) res.append('Set-Cookie', cookie(COOKIE, '', 0));
        if (req.method !== 'GET')
          return send(res, 403, messagePage(req.lang, t(req.lang, 'console.expired'), t(req.lang, 'console.unchanged')));
        return showLogin(req, res, 200, id ? t(req.lang, 'console.expired') : undefined);
      }
      req.session = s;
      // an operator who has not picked a service yet: the picker first
      if (s.operator && !s.serviceId && req.method === 'GET' && req.path !== '/console/services' && req.path !== '/console/account')
        return res.redirect(303, `/console/services?lang=${req.lang}`);
      next();
    }, next);
  };
  /** POSTs of a session carry its CSRF token, else they are refused and change nothing. */
  const csrf: express.RequestHandler = (req: Authed, res, next) => {
    const body = (req.body ?? {}) as Record<string, unknown>;
    if (csrfMatches(req.session!.csrf, body._csrf)) return next();
    send(res, 403, messagePage(req.lang!, t(req.lang!, 'console.csrf'), t(req.lang!, 'console.unchanged'), req.session!.service));
  };
  /** Actions need the manager role; a viewer is refused (403) and nothing changes. */
  const manager: express.RequestHandler = (req: Authed, res, next) => {
    if (req.session!.role === 'manager') return next();
    send(res, 403, messagePage(req.lang!, t(req.lang!, 'console.forbidden'), t(req.lang!, 'console.unchanged'), req.session!.service));
  };
  const guard =
    (f: (req: Authed, res: express.Response) => Promise<void>): express.RequestHandler =>
    (req, res, next) => {
      f(req, res).catch((e: unknown) => {
        const a = req as Authed;
        if (e instanceof NotFoundError)
          return send(
            res,
            404,
            messagePage(a.lang!, t(a.lang!, 'console.notfound'), t(a.lang!, 'console.notfound.body'), a.session?.service),
          );
        next(e);
      });
    };

  return { cookie, send, showLogin, session, csrf, manager, guard };
}

export function consoleRoutes(d: ConsoleDeps): express.Router {
  const r = express.Router();
  const w = web(d);
  const { cookie, send, showLogin, session, csrf, manager, guard } = w;
  r.post(
    '/console/logout',
    form,
    session,
    csrf,
    guard(async (req, res) => {
      await d.sessions.close(cookieValue(req.headers.cookie, COOKIE));
      res.append('Set-Cookie', cookie(COOKIE, '', 0));
      res.redirect(303, `/console?lang=${req.lang}`);
    }),
  );
  r.get(
    '/console',
    session,
    guard((req, res) => list(d, req, res, send)),
  );
  r.get(
    '/console/requests/:id',
    session,
    guard((req, res) => show(d, req, res, send)),
  );
  r.post(
    '/console/requests/:id/withdraw',
    form,
    session,
    csrf,
    manager,
    guard((req, res) => withdraw(d, req, res, send)),
  );
  r.get(
    '/console/requests/:id/tasks/:task/documents/:doc/:kind',
    session,
    guard((req, res) => download(d, req, res)),
  );
  r.get(
    '/console/requests/:id/packages/:pkg',
    session,
    guard((req, res) => packageDownload(d, req, res)),
  );
  sendRoutes(r, d, w);
  actionRoutes(r, d, { send, session, csrf, manager, guard }, form);
  taskSearchRoute(r, d.requests, { send, session, guard });
  if (d.settings)
    settingsRoutes(r, { ...d.settings, audit: d.audit, clock: d.clock, log: d.log }, { send, session, csrf, manager, guard }, form);
  accountRoutes(r, d, { cookie, send, showLogin, session, csrf, manager, guard }, form);
  return r;
}

const account = (s: ConsoleSession) => ({ id: s.serviceId, name: s.service, public: s.isPublic });

type Send = (res: express.Response, code: number, body: string) => void;

async function list(d: ConsoleDeps, req: Authed, res: express.Response, send: Send): Promise<void> {
  const s = req.session!;
  const raw = typeof req.query.status === 'string' ? req.query.status : '';
  const status = (TASK_STATUSES as readonly string[]).includes(raw) ? (raw as TaskStatus) : undefined;
  const reference = typeof req.query.reference === 'string' ? req.query.reference.trim().slice(0, 1024) : '';
  const asked = Number(req.query.page);
  const pageNo = Number.isInteger(asked) && asked > 0 ? asked : 1;
  const [found, counts] = await Promise.all([
    d.queries.requests(s.serviceId, { status, clientReference: reference || undefined, offset: (pageNo - 1) * PER_PAGE, limit: PER_PAGE }),
    d.queries.taskCounts(s.serviceId),
  ]);
  const pages = Math.max(1, Math.ceil(found.total / PER_PAGE));
  send(
    res,
    200,
    listPage(req.lang!, {
      service: s.service,
      csrf: s.csrf,
      rows: found.rows,
      total: found.total,
      counts,
      operatorLinks: d.operatorLinks,
      status,
      reference,
      pageNo,
      pages,
      manager: s.role === 'manager',
    }),
  );
}

async function show(d: ConsoleDeps, req: Authed, res: express.Response, send: Send): Promise<void> {
  const s = req.session!;
  const svc = account(s);
  const id = String(req.params.id);
  const statuses = await d.requests.getStatus(svc, [id]);
  const [request, history, deliveries, packages, audit] = await Promise.all([
    d.requests.getRequest(svc, id),
    d.queries.history(s.serviceId, id),
    d.outbox.log({ requestId: id, service: s.service, limit: 500 }),
    d.queries.packages(s.serviceId, id),
    d.audit.list(s.serviceId, id),
  ]);
  const done = (['withdrawn', 'resent', 'redriven', 'extended', 'deleted', 'sent'] as const).find((x) => x === req.query.done);
  const notice =
    done && t(req.lang!, done === 'withdrawn' ? 'console.withdrawn' : done === 'sent' ? 'console.sent' : `console.done.${done}`);
  send(
    res,
    200,
    requestPage(req.lang!, {
      service: s.service,
      csrf: s.csrf,
      requestId: id,
      request,
      statuses,
      history,
      deliveries,
      packages,
      notice,
      audit,
      manager: s.role === 'manager',
      today: d.clock.now().toISOString().slice(0, 10),
    }),
  );
}

async function download(d: ConsoleDeps, req: Authed, res: express.Response): Promise<void> {
  const svc = account(req.session!);
  const { id, task, doc, kind } = req.params as Record<string, string>;
  let blob: { blobKey: string; mimeType: string; name: string };
  if (kind === 'result') {
    const r = await d.requests.resultDocument(svc, id!, task!, doc!);
    blob = { blobKey: r.blobKey, mimeType: 'application/x-ltv-sdo', name: `${doc}-ltvsdo` };
  } else if (kind === 'original') {
    const r = await d.requests.originalDocument(svc, id!, task!, doc!);
    if (!r.blobKey) throw new NotFoundError('document-id', 'no stored bytes');
    blob = { blobKey: r.blobKey, mimeType: r.mimeType ?? 'application/octet-stream', name: doc! };
  } else throw new NotFoundError('kind', 'use original or result');
  setTenantDownloadHeaders(res, blob.mimeType, blob.name);
  res.set('Cache-Control', 'private, no-store');
  sendBlob(d, res, blob.blobKey);
}

/** Streams a stored blob; a store that fails mid-way ends the response (logged) instead of an unhandled error. */
function sendBlob(d: ConsoleDeps, res: express.Response, blobKey: string): void {
  const stream = d.blobs.get(blobKey);
  stream.on('error', (e: Error) => {
    d.log.error({ err: e.message, blob: blobKey }, 'console: blob read failed');
    res.destroy(e);
  });
  res.on('close', () => stream.destroy());
  stream.pipe(res);
}

/**
 * Withdraw = SOAP deleteRequest (core's use case). Only a request with an open task is withdrawn from
 * here: the button is shown for those, and a POST for another request (completed, already withdrawn)
 * is refused with 409 and changes nothing, rather than deleting a finished request's documents by a click.
 */
async function withdraw(d: ConsoleDeps, req: Authed, res: express.Response, send: Send): Promise<void> {
  const id = String(req.params.id);
  const svc = account(req.session!);
  const statuses = await d.requests.getStatus(svc, [id]); // 404 for another tenant's id, before anything is written
  if (!statuses.some((x) => x.taskStatus === 'created')) {
    send(res, 409, messagePage(req.lang!, t(req.lang!, 'console.nothingOpen'), t(req.lang!, 'console.unchanged'), svc.name));
    return;
  }
  const open = statuses.filter((x) => x.taskStatus === 'created').map((x) => x.taskId);
  await d.requests.deleteRequest(svc, [id]);
  await d.audit.record(
    { serviceId: svc.id, actor: req.session!.actor },
    id,
    'withdraw',
    `request withdrawn (open tasks: ${open.join(', ')})`,
  );
  d.log.info({ service: svc.name, actor: req.session!.actor, requestId: id }, 'request withdrawn from the console');
  res.redirect(303, `/console/requests/${encodeURIComponent(id)}?lang=${req.lang}&done=withdrawn#history`);
}

async function packageDownload(d: ConsoleDeps, req: Authed, res: express.Response): Promise<void> {
  const pkg = (await d.queries.packages(req.session!.serviceId, String(req.params.id))).find((p) => p.packagingTaskId === req.params.pkg);
  if (!pkg?.blobKey) throw new NotFoundError('packaging-task-id', 'no package');
  setTenantDownloadHeaders(res, 'application/pdf', `${pkg.packagingTaskId}.pdf`);
  res.set('Cache-Control', 'private, no-store');
  sendBlob(d, res, pkg.blobKey);
}

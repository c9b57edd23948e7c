// Who signs in to the console (docs/console.md "Login, accounts and roles"): the service with its own
// credentials (a manager), a named console account of the service (its role, viewer or manager), or an
// operator with the /admin password (any service, picked on /console/services). Every password check is
// throttled by the LoginThrottle the SOAP API shares. With a second factor on, a right password leads
// to a page asking the TOTP code (util/totp.ts); wrong codes are throttled too, five end the attempt,
// and a code is good once. A manager changes the service's password here; the other console sessions
// of the service end with it.
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import express from 'express';
import type { Redis } from 'ioredis';
import type { Logger } from 'pino';
import { pause, type LoginThrottle } from '../core/ratelimit';
import type { ConsoleAccountRepository, TotpOwner } from '../store/consoleaccounts';
import { hashPassword, MIN_SERVICE_PASSWORD, type ServiceRepository } from '../store/services';
import { pickLanguage, t, type Lang } from '../portal/i18n';
import { otpauthUri } from '../util/totp';
import { accountPage, codePage, enrolPage, operatorLoginPage, servicesPage } from './accountpages';
import { messagePage } from './pages';
import { cookieValue, COOKIE, csrfMatches, type ConsoleSession, type ConsoleSessions } from './session';

export interface AccountDeps {
  services: Pick<ServiceRepository, 'authenticate' | 'find' | 'list' | 'setPassword'>;
  accounts: ConsoleAccountRepository;
  /** the /admin password: operators sign in with it; absent, there is no operator sign-in */
  operatorPassword?: string;
  limiter: LoginThrottle;
  sessions: ConsoleSessions;
  pending: PendingLogins;
  log: Logger;
}

type Authed = express.Request & { session?: ConsoleSession; lang?: Lang };
type Send = (res: express.Response, code: number, body: string) => void;

/** The pieces of web() (routes.ts) these routes use. */
export interface AccountWeb {
  cookie: (name: string, value: string, maxAgeS?: number) => string;
  send: Send;
  showLogin: (req: express.Request, res: express.Response, code?: number, message?: string, service?: string, user?: string) => void;
  session: express.RequestHandler;
  csrf: express.RequestHandler;
  manager: express.RequestHandler;
  guard: (f: (req: Authed, res: express.Response) => Promise<void>) => express.RequestHandler;
}

/** The login form's token before there is a session (double submit: cookie and field must match). */
export const PRE = 'segl_console_login';
/** The cookie of a sign-in waiting for its TOTP code. */
const PENDING = 'segl_console_code';
/** Wrong codes one password entry allows. */
const MAX_CODES = 5;
/** The throttle's account name for operator sign-ins (no service can be named so). */
const OPERATOR = '\u0000operator';

/**
 * Sign-ins waiting for their second factor, in Redis (under the SHA-256 of the cookie's id) for five
 * minutes: the session-to-be, the code form's token and the wrong codes so far.
 */
export class PendingLogins {
  constructor(
    private readonly redis: Redis,
    private readonly prefix: string,
    private readonly ttlMs = 5 * 60_000,
  ) {}

  private key(id: string): string {
    return `${this.prefix}:console:pending:${createHash('sha256').update(id).digest('hex')}`;
  }

  async open(s: Omit<ConsoleSession, 'csrf' | 'gen'>): Promise<string> {
    const id = randomBytes(32).toString('base64url');
    const k = this.key(id);
    await this.redis
      .multi()
      .hset(k, 'session', JSON.stringify(s), 'csrf', randomBytes(32).toString('base64url'), 'wrong', '0')
      .pexpire(k, this.ttlMs)
      .exec();
    return id;
  }

  async get(id: string | undefined): Promise<{ session: Omit<ConsoleSession, 'csrf' | 'gen'>; csrf: string } | undefined> {
    if (!id || !/^[A-Za-z0-9_-]{43}$/.test(id)) return undefined;
    const v = await this.redis.hgetall(this.key(id));
    return v.session && v.csrf ? { session: JSON.parse(v.session) as ConsoleSession, csrf: v.csrf } : undefined;
  }

  /** One more wrong code; answers how many so far. */
  async wrong(id: string): Promise<number> {
    return this.redis.hincrby(this.key(id), 'wrong', 1);
  }

  async close(id: string): Promise<void> {
    await this.redis.del(this.key(id));
  }
}

/** A session of a named account follows the account: removed, it ends; its role is today's (SessionCheck). */
export function accountCheck(accounts: Pick<ConsoleAccountRepository, 'byId'>) {
  return async (s: ConsoleSession): Promise<ConsoleSession | undefined> => {
    if (s.accountId === undefined) return s;
    const a = await accounts.byId(s.accountId);
    return a && a.serviceId === s.serviceId ? { ...s, role: a.role } : undefined;
  };
}

const sourceOf = (req: express.Request) => req.ip ?? req.socket.remoteAddress ?? 'unknown';
const field = (req: express.Request, name: string, max = 1024) => {
  const v = ((req.body ?? {}) as Record<string, unknown>)[name];
  return typeof v === 'string' ? v.slice(0, max) : '';
};
const langOf = (req: express.Request): Lang =>
  pickLanguage(typeof req.query.lang === 'string' ? req.query.lang : undefined, req.headers['accept-language']);
const digest = (s: string) => createHash('sha256').update(s).digest();
/** Whose second factor a session's login is: none for operators. */
const ownerOf = (s: ConsoleSession): TotpOwner | undefined => (s.operator ? undefined : { serviceId: s.serviceId, accountId: s.accountId });

export function accountRoutes(r: express.Router, d: AccountDeps, w: AccountWeb, form: express.RequestHandler): void {
  const h = helpers(d, w);
  passwordRoutes(r, d, w, form, h);
  codeRoutes(r, d, w, form, h);
  operatorRoutes(r, d, w, form, h);
  settingsRoutes(r, d, w, form);
}

function helpers(d: AccountDeps, w: AccountWeb): Helpers {
  /** A sign-in that passed every check: the session, its cookie, on to the requests (or the service picker). */
  const begin = async (req: express.Request, res: express.Response, s: Omit<ConsoleSession, 'csrf' | 'gen'>) => {
    const id = await d.sessions.open(s);
    if (s.accountId !== undefined) await d.accounts.markLogin(s.accountId);
    d.log.info({ service: s.service || undefined, actor: s.actor, source: sourceOf(req) }, 'console sign-in');
    res.append('Set-Cookie', w.cookie(COOKIE, id));
    res.append('Set-Cookie', w.cookie(PRE, '', 0));
    res.redirect(303, `${s.operator ? '/console/services' : '/console'}?lang=${langOf(req)}`);
  };
  const preOk = (req: express.Request) => {
    const pre = cookieValue(req.headers.cookie, PRE);
    return !!pre && csrfMatches(pre, field(req, '_csrf'));
  };
  const throttled = (req: express.Request, res: express.Response, retryMs: number, show: (code: number, msg: string) => void) => {
    const s = Math.ceil(retryMs / 1000);
    res.set('Retry-After', String(s));
    show(429, t(langOf(req), 'console.login.throttled', { s }));
  };
  return { begin, preOk, throttled };
}

/** The sign-in form: the service's own credentials, or one of its accounts (a user name). */
function passwordRoutes(r: express.Router, d: AccountDeps, w: AccountWeb, form: express.RequestHandler, h: Helpers): void {
  const { begin, preOk, throttled } = h;
  r.post(
    '/console/login',
    form,
    w.guard(async (req, res) => {
      const lang = langOf(req);
      if (!preOk(req)) return w.showLogin(req, res, 403, t(lang, 'console.csrf'));
      const service = field(req, 'service', 64).trim();
      const user = field(req, 'username', 64).trim().toLowerCase();
      const password = field(req, 'password');
      const again = (code: number, msg: string) => w.showLogin(req, res, code, msg, service, user);
      const attempt = d.limiter.admit(sourceOf(req), user ? `${service}/${user}` : service);
      if (!attempt.ok) return throttled(req, res, attempt.retryAfterMs, again);
      await pause(attempt.waitMs);
      let s: Omit<ConsoleSession, 'csrf' | 'gen'> | undefined;
      try {
        s = await checkPassword(d, service, user, password);
      } catch (e) {
        attempt.cancel();
        throw e;
      }
      if (!s) {
        attempt.fail();
        d.log.info({ service, user: user || undefined, source: sourceOf(req) }, 'console login refused');
        return again(401, t(lang, 'console.login.bad'));
      }
      attempt.succeed();
      if (!(await d.accounts.totpOn({ serviceId: s.serviceId, accountId: s.accountId }))) return begin(req, res, s);
      const id = await d.pending.open(s);
      res.append('Set-Cookie', w.cookie(PENDING, id, 300));
      res.redirect(303, `/console/login/code?lang=${lang}`);
    }),
  );
}

/** The second step of a sign-in with TOTP on: the code, throttled, MAX_CODES wrong ones per password entry. */
function codeRoutes(r: express.Router, d: AccountDeps, w: AccountWeb, form: express.RequestHandler, h: Helpers): void {
  const { begin, throttled } = h;
  const pendingOf = (req: express.Request) => d.pending.get(cookieValue(req.headers.cookie, PENDING));
  r.get(
    '/console/login/code',
    w.guard(async (req, res) => {
      const p = await pendingOf(req);
      if (!p) return w.showLogin(req, res, 200, t(langOf(req), 'console.code.again'));
      w.send(res, 200, codePage(langOf(req), p.csrf));
    }),
  );
  r.post(
    '/console/login/code',
    form,
    w.guard(async (req, res) => {
      const lang = langOf(req);
      const id = cookieValue(req.headers.cookie, PENDING)!;
      const p = await pendingOf(req);
      if (!p) return w.showLogin(req, res, 401, t(lang, 'console.code.again'));
      if (!csrfMatches(p.csrf, field(req, '_csrf'))) return w.send(res, 403, codePage(lang, p.csrf, t(lang, 'console.csrf')));
      const s = p.session;
      const attempt = d.limiter.admit(sourceOf(req), `${s.actor}#code`);
      if (!attempt.ok) return throttled(req, res, attempt.retryAfterMs, (code, msg) => w.send(res, code, codePage(lang, p.csrf, msg)));
      await pause(attempt.waitMs);
      let ok: boolean;
      try {
        ok = await d.accounts.useCode({ serviceId: s.serviceId, accountId: s.accountId }, field(req, 'code', 32));
      } catch (e) {
        attempt.cancel();
        throw e;
      }
      if (ok) {
        attempt.succeed();
        await d.pending.close(id);
        res.append('Set-Cookie', w.cookie(PENDING, '', 0));
        return begin(req, res, s);
      }
      attempt.fail();
      d.log.info({ service: s.service, actor: s.actor, source: sourceOf(req) }, 'console sign-in: wrong code');
      if ((await d.pending.wrong(id)) >= MAX_CODES) {
        await d.pending.close(id);
        res.append('Set-Cookie', w.cookie(PENDING, '', 0));
        return w.showLogin(req, res, 401, t(lang, 'console.code.tooMany'), s.service);
      }
      w.send(res, 401, codePage(lang, p.csrf, t(lang, 'console.code.bad')));
    }),
  );
}

/** The session-to-be when the password is right: the service's own login, or one of its accounts. */
async function checkPassword(
  d: AccountDeps,
  service: string,
  user: string,
  password: string,
): Promise<Omit<ConsoleSession, 'csrf' | 'gen'> | undefined> {
  if (!service || !password) return undefined;
  if (!user) {
    const svc = await d.services.authenticate(service, password);
    return svc ? { serviceId: svc.id, service: svc.name, isPublic: svc.public, role: 'manager', actor: svc.name } : undefined;
  }
  const svc = await d.services.find(service);
  const a = svc ? await d.accounts.authenticate(svc.id, user, password) : (await hashPassword(password), undefined);
  if (!svc || !a) return undefined;
  return { serviceId: svc.id, service: svc.name, isPublic: svc.public, role: a.role, actor: `${svc.name}/${a.username}`, accountId: a.id };
}

interface Helpers {
  begin: (req: express.Request, res: express.Response, s: Omit<ConsoleSession, 'csrf' | 'gen'>) => Promise<void>;
  preOk: (req: express.Request) => boolean;
  throttled: (req: express.Request, res: express.Response, retryMs: number, show: (code: number, msg: string) => void) => void;
}

/** Operators: sign in with the /admin password, then pick a service; the session then is that service's. */
function operatorRoutes(r: express.Router, d: AccountDeps, w: AccountWeb, form: express.RequestHandler, h: Helpers): void {
  const showForm = (req: express.Request, res: express.Response, code: number, message?: string) => {
    const token = randomBytes(24).toString('base64url');
    res.append('Set-Cookie', w.cookie(PRE, token));
    w.send(res, code, operatorLoginPage(langOf(req), token, message));
  };
  const off = (req: express.Request, res: express.Response) =>
    w.send(res, 404, messagePage(langOf(req), t(langOf(req), 'console.operator.off'), t(langOf(req), 'console.operator.offBody')));
  r.get('/console/operator', (req, res) => (d.operatorPassword ? showForm(req, res, 200) : off(req, res)));
  r.post(
    '/console/operator',
    form,
    w.guard(async (req, res) => {
      const lang = langOf(req);
      if (!d.operatorPassword) return off(req, res);
      if (!h.preOk(req)) return showForm(req, res, 403, t(lang, 'console.csrf'));
      const attempt = d.limiter.admit(sourceOf(req), OPERATOR);
      if (!attempt.ok) return h.throttled(req, res, attempt.retryAfterMs, (code, msg) => showForm(req, res, code, msg));
      await pause(attempt.waitMs);
      if (!timingSafeEqual(digest(field(req, 'password')), digest(d.operatorPassword))) {
        attempt.fail();
        d.log.info({ source: sourceOf(req) }, 'console operator sign-in refused');
        return showForm(req, res, 401, t(lang, 'console.operator.bad'));
      }
      attempt.succeed();
      await h.begin(req, res, { serviceId: 0, service: '', isPublic: false, role: 'manager', actor: 'operator', operator: true });
    }),
  );
  const operatorOnly: express.RequestHandler = (req: Authed, res, next) => {
    if (req.session!.operator) return next();
    w.send(
      res,
      403,
      messagePage(req.lang!, t(req.lang!, 'console.operator.only'), t(req.lang!, 'console.unchanged'), req.session!.service),
    );
  };
  r.get(
    '/console/services',
    w.session,
    operatorOnly,
    w.guard(async (req, res) => {
      const all = await d.services.list();
      w.send(
        res,
        200,
        servicesPage(req.lang!, { csrf: req.session!.csrf, current: req.session!.service, services: all.map((s) => s.name) }),
      );
    }),
  );
  r.post(
    '/console/services',
    form,
    w.session,
    w.csrf,
    operatorOnly,
    w.guard(async (req, res) => {
      const svc = await d.services.find(field(req, 'service', 64));
      if (!svc)
        return w.send(res, 404, messagePage(req.lang!, t(req.lang!, 'console.operator.noService'), t(req.lang!, 'console.unchanged')));
      const s = req.session!;
      await d.sessions.replace(cookieValue(req.headers.cookie, COOKIE)!, {
        ...s,
        serviceId: svc.id,
        service: svc.name,
        isPublic: svc.public,
      });
      d.log.info({ service: svc.name, actor: s.actor }, 'console: operator picked a service');
      res.redirect(303, `/console?lang=${req.lang}`);
    }),
  );
}

/** The account page: who one is, the second factor (enrol, confirm, turn off) and, for managers, the service's password. */
function settingsRoutes(r: express.Router, d: AccountDeps, w: AccountWeb, form: express.RequestHandler): void {
  const view = async (req: Authed, res: express.Response, code = 200, message?: string) => {
    const s = req.session!;
    const owner = ownerOf(s);
    const done = ['totp-on', 'totp-off', 'password'].find((x) => x === req.query.done);
    w.send(
      res,
      code,
      accountPage(req.lang!, {
        session: s,
        totp: owner && (await d.accounts.totpOn(owner)),
        notice: done && t(req.lang!, `console.done.${done as 'password'}`),
        message,
      }),
    );
  };
  const owned = (f: (req: Authed, res: express.Response, owner: TotpOwner) => Promise<void>) =>
    w.guard(async (req, res) => {
      const owner = ownerOf(req.session!);
      if (!owner) return w.send(res, 403, messagePage(req.lang!, t(req.lang!, 'console.totp.operator'), t(req.lang!, 'console.unchanged')));
      await f(req, res, owner);
    });
  const enrol = async (req: Authed, res: express.Response, owner: TotpOwner, code = 200, message?: string) => {
    const key = await d.accounts.pendingTotp(owner);
    if (!key) return res.redirect(303, `/console/account?lang=${req.lang}`);
    const s = req.session!;
    const uri = otpauthUri(`segl ${s.service}`, s.actor, key);
    w.send(res, code, enrolPage(req.lang!, { csrf: s.csrf, service: s.service, uri, key, message }));
  };
  r.get('/console/account', w.session, w.guard(view));
  r.get(
    '/console/account/totp',
    w.session,
    owned((req, res, owner) => enrol(req, res, owner)),
  );
  r.post(
    '/console/account/totp',
    form,
    w.session,
    w.csrf,
    owned(async (req, res, owner) => {
      const action = field(req, 'action', 16);
      const code = field(req, 'code', 32);
      if (action === 'start') {
        if (await d.accounts.totpOn(owner)) return view(req, res, 409, t(req.lang!, 'console.totp.already'));
        await d.accounts.startTotp(owner);
        return res.redirect(303, `/console/account/totp?lang=${req.lang}`);
      }
      if (action === 'confirm') {
        if (!(await d.accounts.useCode(owner, code, 'confirm'))) return enrol(req, res, owner, 400, t(req.lang!, 'console.code.bad'));
        d.log.info({ service: req.session!.service, actor: req.session!.actor }, 'console: second factor on');
        return res.redirect(303, `/console/account?lang=${req.lang}&done=totp-on`);
      }
      if (action === 'off' && (await d.accounts.useCode(owner, code, 'off'))) {
        d.log.info({ service: req.session!.service, actor: req.session!.actor }, 'console: second factor off');
        return res.redirect(303, `/console/account?lang=${req.lang}&done=totp-off`);
      }
      await view(req, res, 400, `${t(req.lang!, 'console.code.bad')} ${t(req.lang!, 'console.unchanged')}`);
    }),
  );
  r.post(
    '/console/account/password',
    form,
    w.session,
    w.csrf,
    w.manager,
    w.guard(async (req, res) => changePassword(d, req, res, (code, msg) => view(req, res, code, msg))),
  );
}

/** The service's password, changed by a manager who knows the current one; the other console sessions end. */
async function changePassword(d: AccountDeps, req: Authed, res: express.Response, refuse: (code: number, msg: string) => Promise<void>) {
  const lang = req.lang!;
  const s = req.session!;
  const [current, next, again] = [field(req, 'current'), field(req, 'password'), field(req, 'password2')];
  const no = (key: 'console.password.mismatch' | 'console.password.short' | 'console.password.wrong') =>
    refuse(key === 'console.password.wrong' ? 403 : 400, `${t(lang, key, { n: MIN_SERVICE_PASSWORD })} ${t(lang, 'console.unchanged')}`);
  if (next !== again) return no('console.password.mismatch');
  if (next.length < MIN_SERVICE_PASSWORD) return no('console.password.short');
  const attempt = d.limiter.admit(sourceOf(req), s.service);
  if (!attempt.ok) {
    res.set('Retry-After', String(Math.ceil(attempt.retryAfterMs / 1000)));
    return refuse(429, t(lang, 'console.login.throttled', { s: Math.ceil(attempt.retryAfterMs / 1000) }));
  }
  await pause(attempt.waitMs);
  let svc;
  try {
    svc = await d.services.authenticate(s.service, current);
  } catch (e) {
    attempt.cancel();
    throw e;
  }
  if (!svc || svc.id !== s.serviceId) {
    attempt.fail();
    return no('console.password.wrong');
  }
  attempt.succeed();
  await d.services.setPassword(s.service, next);
  await d.sessions.endOthers(s.serviceId, cookieValue(req.headers.cookie, COOKIE)!);
  d.log.info({ service: s.service, actor: s.actor }, 'console: service password changed; other console sessions ended');
  res.redirect(303, `/console/account?lang=${lang}&done=password`);
}

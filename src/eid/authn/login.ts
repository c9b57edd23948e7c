// The login core: logins that are not a task, for the front doors that answer a relying party (SAML
// 1.1 `/std/method` now; the SAML 2.0 IdP and the OIDC provider later). Its interface is two calls:
//
//   core.start(req, res, { service, method, profile, language, door, answer })
//       a front door has checked its request; the core opens a login transaction bound to the
//       browser's portal session and sends the browser to the login pages;
//   door.finish({ service, answer, outcome, lang, look })
//       called exactly once per transaction with an Identity or an EidErrorCode; returns the page
//       (and the CSP it needs) that carries the answer back.
//
// The pages (`/std/login/{service}?tx=…`) run the test eID (user id and password, then a key-card
// code; cancel at each step) in the portal's look (the graphical profile and language the front door
// passed), then PID-CPR: a public service in lookup mode gets the CPR from the PID; otherwise a CPR
// the person chose to store is used, or the person types it (matched against the PID) or goes on
// without it — the Identity carries the CPR only then. The test eID's forms are its own views
// (src/eid/testid/steps/views.ts).
import express from 'express';
import type { Logger } from 'pino';
import type { Clock, ServiceAccount } from '../../core/ports';
import { SECURITY_HEADERS } from '../../portal/answer';
import { html, type Html } from '../../portal/html';
import { pickLanguage, t, type Lang, type LangLike, type TextKey } from '../../portal/i18n';
import { page, type PageLook } from '../../portal/layout';
import { PortalSessions, type PortalSession } from '../../portal/session';
import { lookOf } from '../../portal/task';
import type { AuthnRepository } from '../../store/authn';
import type { PortalSessionRepository } from '../../store/portalsessions';
import type { ProfileRepository } from '../../store/profiles';
import type { ServiceRepository } from '../../store/services';
import { cprBirthDate } from '../cprnumber';
import type { EidErrorCode } from '../errors';
import { pidCprTextKey, type PidCprService } from '../pidcpr';
import { LOGIN } from '../testid/steps/shared';
import { alert, codeForm, failureText, hidden, passwordField, type StepView } from '../testid/steps/views';
import type { Failure, TestIdEnvironment } from '../testid/users';
import type { Identity, LoginOutcome } from './identity';
import { LoginTransactions, type LoginState } from './transactions';

/** What a front door is given at the end of a login. */
export interface DoorAnswer {
  service: ServiceAccount;
  answer: Record<string, string>;
  outcome: LoginOutcome;
  lang: LangLike;
  look?: PageLook;
  now: Date;
}

/** A front door: it starts logins (core.start) and answers once each ends. */
export interface FrontDoor {
  readonly name: string;
  finish(a: DoorAnswer): Promise<{ title: string; main: Html; csp?: string }>;
}

export interface LoginStart {
  service: ServiceAccount;
  method: string;
  profile?: string;
  language?: Lang;
  door: string;
  answer: Record<string, string>;
}

export interface LoginCoreDeps {
  services: ServiceRepository;
  profiles: ProfileRepository;
  sessions: PortalSessionRepository;
  repo: AuthnRepository;
  secret: string;
  /** cookies Secure */
  production: boolean;
  clock: Clock;
  log: Logger;
  /** the test eID (the only method so far); none: no method */
  testid?: TestIdEnvironment;
  pidcpr: PidCprService;
}

/** One request to a login page. */
interface LoginCtx extends StepView {
  id: string;
  svc: ServiceAccount;
  state: LoginState;
  lang: LangLike;
  look?: PageLook;
  session: PortalSession;
  now: Date;
}

/** Wrong CPR numbers a person may type before the login ends as `wrong-person`. */
const MAX_CPR_TRIES = 3;
const form = express.urlencoded({ extended: false, limit: '16kb', parameterLimit: 50 });
const str = (v: unknown) => (typeof v === 'string' ? v.trim() : '');

export class LoginCore {
  private readonly tx: LoginTransactions;
  private readonly sessions: PortalSessions;
  private readonly doors = new Map<string, FrontDoor>();

  constructor(private readonly d: LoginCoreDeps) {
    this.tx = new LoginTransactions(d.repo, d.secret);
    this.sessions = new PortalSessions(d.sessions, d.secret, d.production);
  }

  /** The eID methods a login can run. */
  methods(): string[] {
    return this.d.testid ? [LOGIN] : [];
  }

  addDoor(door: FrontDoor): void {
    this.doors.set(door.name, door);
  }

  /** The portal's look and language for a service's profile (the graphical profile's texts included). */
  async look(svc: ServiceAccount, profile: string | undefined, code: Lang): Promise<{ lang: LangLike; look?: PageLook }> {
    const chosen = await this.d.profiles.resolve(svc.id, profile);
    const texts = chosen?.profile.texts?.[code] ?? {};
    return { lang: { code, texts }, look: lookOf(svc, chosen) };
  }

  /** A translated page; the session's cookie goes with it when given. */
  async send(
    res: express.Response,
    status: number,
    p: { lang: LangLike; title: string; main: Html; look?: PageLook; service?: string; csp?: string },
    session?: PortalSession,
  ): Promise<void> {
    const headers = { ...SECURITY_HEADERS, ...(p.csp ? { 'content-security-policy': p.csp } : {}) };
    if (session) res.append('set-cookie', await this.sessions.save(session, this.d.clock.now().getTime()));
    res
      .status(status)
      .set(headers)
      .type('html')
      .send(page({ lang: p.lang, title: p.title, main: p.main, service: p.service, look: p.look }));
  }

  /** The page that says a login cannot start or has ended (nothing is sent anywhere). */
  refuse(res: express.Response, status: number, lang: LangLike, which: 'refused' | 'ended', look?: PageLook): Promise<void> {
    const title = t(lang, `authn.${which}.title` as TextKey);
    const body = t(lang, `authn.${which}.body` as TextKey);
    return this.send(res, status, { lang, title, look, main: html`<h1 class="status warn">${title}</h1><p class="lead">${body}</p>` });
  }

  /** Opens a login for a front door's checked request and sends the browser to its first page. */
  async start(req: express.Request, res: express.Response, s: LoginStart): Promise<void> {
    const now = this.d.clock.now();
    const session = await this.sessions.load(req.headers.cookie, now.getTime());
    const lang = s.language ?? pickLanguage(undefined, req.headers['accept-language']);
    const state: LoginState = { door: s.door, answer: s.answer, method: s.method, profile: s.profile, lang, step: 'login' };
    const id = await this.tx.create(s.service.id, session.id, state, now);
    res.append('set-cookie', await this.sessions.save(session, now.getTime()));
    res.status(303).set(SECURITY_HEADERS).location(loginUrl(s.service.name, id)).end();
  }

  /** Mounts the login pages. */
  mount(r: express.Router): void {
    r.get(
      '/std/login/:service',
      this.guard(async (req, res) => this.page(req, res)),
    );
    r.post(
      '/std/login/:service/login',
      form,
      this.step((c, body, res) => this.password(c, body, res)),
    );
    r.post(
      '/std/login/:service/login/code',
      form,
      this.step((c, body, res) => this.code(c, body, res)),
    );
    r.post(
      '/std/login/:service/cpr',
      form,
      this.step((c, body, res) => this.cpr(c, body, res)),
    );
  }

  private guard(h: (req: express.Request, res: express.Response) => Promise<void>): express.RequestHandler {
    return (req, res, next) => {
      h(req, res).catch(next);
    };
  }

  /**
   * The open transaction of the request (`?tx=`) in this browser. Otherwise undefined, answered: an
   * expired one by its front door (`expired`, once), any other by the "ended" page.
   */
  private async resolve(req: express.Request, res: express.Response): Promise<LoginCtx | undefined> {
    const now = this.d.clock.now();
    const accept = pickLanguage(undefined, req.headers['accept-language']);
    const id = typeof req.query.tx === 'string' ? req.query.tx : '';
    const svc = await this.d.services.find(String(req.params.service));
    const session = await this.sessions.load(req.headers.cookie, now.getTime());
    const loaded = svc ? await this.tx.load(id, session.id, now) : ({ kind: 'unknown' } as const);
    if (!svc || (loaded.kind !== 'open' && loaded.kind !== 'expired') || loaded.serviceId !== svc.id) {
      await this.refuse(res, loaded.kind === 'unknown' ? 404 : 410, accept, 'ended');
      return undefined;
    }
    const { lang, look } = await this.look(svc, loaded.state.profile, loaded.state.lang);
    const c: LoginCtx = {
      id,
      svc,
      state: loaded.state,
      lang,
      look,
      session,
      now,
      base: `/std/login/${encodeURIComponent(svc.name)}`,
      query: `tx=${id}`,
    };
    if (loaded.kind === 'open') return c;
    await this.finish(res, c, { ok: false, error: 'expired' }, true); // the front door hears that it expired, once
    return undefined;
  }

  /** A POST step: an open transaction of this browser and the session's CSRF token, else nothing changes. */
  private step(h: (c: LoginCtx, body: Record<string, unknown>, res: express.Response) => Promise<void>): express.RequestHandler {
    return this.guard(async (req, res) => {
      const c = await this.resolve(req, res);
      if (!c) return;
      const body = (req.body ?? {}) as Record<string, unknown>;
      const got = Buffer.from(str(body.csrf));
      const want = Buffer.from(c.session.csrf);
      if (got.length !== want.length || !got.equals(want)) {
        const title = t(c.lang, 'csrf.title');
        await this.show(res, 403, c, title, html`<h1 class="status warn">${title}</h1><p class="lead">${t(c.lang, 'csrf.body')}</p>`);
        return;
      }
      await h(c, body, res);
    });
  }

  private show(res: express.Response, status: number, c: LoginCtx, title: string, main: Html): Promise<void> {
    return this.send(res, status, { lang: c.lang, title, main, look: c.look, service: c.svc.name }, c.session);
  }

  /** GET: the step the login is at. */
  private async page(req: express.Request, res: express.Response): Promise<void> {
    const c = await this.resolve(req, res);
    if (!c) return;
    if (c.state.step === 'cpr') await this.show(res, 200, c, t(c.lang, 'cpr.title'), cprForm(c));
    else await this.show(res, 200, c, t(c.lang, 'authn.title'), loginForm(c));
  }

  /** Step 1: user id and password → a key-card challenge. */
  private async password(c: LoginCtx, body: Record<string, unknown>, res: express.Response): Promise<void> {
    if (body.do === 'cancel') return this.finish(res, c, { ok: false, error: 'usercancel' });
    if (c.state.step !== 'login' || !this.d.testid) return this.back(res, c);
    const started = await this.d.testid.startLogin(str(body.user), str(body.password));
    if ('challengeId' in started) {
      await this.show(res, 200, c, t(c.lang, 'code.title'), codeForm(c, 'login/code', started, { user: str(body.user) }));
      return;
    }
    if (started.reason === 'user-locked') return this.finish(res, c, { ok: false, error: 'user-locked' });
    await this.show(res, 401, c, t(c.lang, 'authn.title'), loginForm(c, alert(failureText(c.lang, started))));
  }

  /** Step 2: the key-card code → who it is. */
  private async code(c: LoginCtx, body: Record<string, unknown>, res: express.Response): Promise<void> {
    if (body.do === 'cancel') return this.finish(res, c, { ok: false, error: 'usercancel' });
    if (c.state.step !== 'login' || !this.d.testid) return this.back(res, c);
    const answered = await this.d.testid.answer(str(body.challenge), str(body.code));
    if (answered.ok) return this.authenticated(c, answered.pid, res);
    if (answered.reason === 'user-locked') return this.finish(res, c, { ok: false, error: 'user-locked' });
    if (answered.next && answered.reason === 'wrong-code') {
      const again = codeForm(c, 'login/code', answered.next, { user: str(body.user) }, alert(failureText(c.lang, answered)));
      await this.show(res, 401, c, t(c.lang, 'code.title'), again);
      return;
    }
    await this.show(res, 401, c, t(c.lang, 'authn.title'), loginForm(c, alert(failureText(c.lang, answered as Failure))));
  }

  /** Back to the page of the step the login is at (a POST for another step). */
  private back(res: express.Response, c: LoginCtx): Promise<void> {
    res.status(303).set(SECURITY_HEADERS).location(`${c.base}?${c.query}`).end();
    return Promise.resolve();
  }

  /** After the eID: a new session id (the transaction moves with it), the certificate's state, then PID-CPR. */
  private async authenticated(c: LoginCtx, pid: string, res: express.Response): Promise<void> {
    const testid = this.d.testid!;
    const state = await testid.certificateState(pid);
    if (state === 'revoked') return this.finish(res, c, { ok: false, error: 'certificate-revoked' });
    if (state === 'locked') return this.finish(res, c, { ok: false, error: 'user-locked' });
    this.sessions.rotate(c.session);
    c.state = { ...c.state, pid, authenticatedAt: c.now.toISOString() };
    const begun = await this.d.pidcpr.begin(c.svc, pid);
    if (begun.ok) return this.finish(res, c, { ok: true, identity: await this.identity(c, begun.cpr) });
    if (begun.reason !== 'ask-user') return this.finish(res, c, { ok: true, identity: await this.identity(c) });
    c.state.step = 'cpr';
    if (!(await this.tx.save(c.id, c.session.id, c.state, c.now))) return this.refuse(res, 410, c.lang, 'ended', c.look);
    await this.show(res, 200, c, t(c.lang, 'cpr.title'), cprForm(c));
  }

  /** PID-CPR match: the CPR typed (or none: go on without it). */
  private async cpr(c: LoginCtx, body: Record<string, unknown>, res: express.Response): Promise<void> {
    if (body.do === 'cancel') return this.finish(res, c, { ok: false, error: 'usercancel' });
    if (c.state.step !== 'cpr' || !c.state.pid) return this.back(res, c);
    if (body.do === 'skip') return this.finish(res, c, { ok: true, identity: await this.identity(c) });
    const matched = await this.d.pidcpr.match(c.svc, c.state.pid, str(body.cpr), { store: body.store === '1' });
    if (matched.ok) return this.finish(res, c, { ok: true, identity: await this.identity(c, matched.cpr) });
    if (matched.reason === 'unknown-pid') return this.finish(res, c, { ok: true, identity: await this.identity(c) });
    if (matched.reason === 'mismatch') {
      c.state.cprTries = (c.state.cprTries ?? 0) + 1;
      if (c.state.cprTries >= MAX_CPR_TRIES) return this.finish(res, c, { ok: false, error: 'wrong-person' });
      if (!(await this.tx.save(c.id, c.session.id, c.state, c.now))) return this.refuse(res, 410, c.lang, 'ended', c.look);
    }
    await this.show(res, 400, c, t(c.lang, 'cpr.title'), cprForm(c, alert(t(c.lang, pidCprTextKey(matched.reason)))));
  }

  /** The Identity of the test user with the login's PID; the CPR only when PID-CPR released it. */
  private async identity(c: LoginCtx, cpr?: string): Promise<Identity> {
    const u = (await this.d.testid!.user(c.state.pid!))!;
    const born = cpr ? cprBirthDate(cpr) : undefined;
    return {
      method: c.state.method,
      pid: u.pid,
      ...(cpr ? { cpr } : {}),
      name: u.name,
      firstName: u.firstName,
      lastName: u.lastName,
      ...(born ? { dateOfBirth: born.toISOString().slice(0, 10) } : {}),
      securityLevel: 3,
      certificateSubject: u.certificate.subject,
      subjectSerialNumber: `PID:${u.pid}`,
      authenticatedAt: new Date(c.state.authenticatedAt!),
    };
  }

  /** Ends the transaction (once) and lets its front door answer. */
  private async finish(res: express.Response, c: LoginCtx, outcome: LoginOutcome, expired = false): Promise<void> {
    const door = this.doors.get(c.state.door);
    if (!door || !(await this.tx.finish(c.id, c.now, expired))) return this.refuse(res, 410, c.lang, 'ended', c.look);
    const result: EidErrorCode | 'ok' = outcome.ok ? 'ok' : outcome.error;
    this.d.log.info(
      { service: c.svc.name, door: door.name, method: c.state.method, result, released: outcome.ok ? !!outcome.identity.cpr : undefined },
      'login finished',
    );
    const answer = await door.finish({ service: c.svc, answer: c.state.answer, outcome, lang: c.lang, look: c.look, now: c.now });
    await this.send(res, 200, { lang: c.lang, look: c.look, service: c.svc.name, ...answer }, c.session);
  }
}

export const loginUrl = (service: string, id: string) => `/std/login/${encodeURIComponent(service)}?tx=${id}`;

function loginForm(c: LoginCtx, notice?: Html): Html {
  const user = html`<label for="user">${t(c.lang, 'login.userId')}</label><input type="text" id="user" name="user" autocomplete="username" required>`;
  const buttons = html`<div class="actions"><button class="button" name="do" value="next">${t(c.lang, 'login.next')}</button><button class="button secondary" name="do" value="cancel" formnovalidate>${t(c.lang, 'login.cancel')}</button></div>`;
  return html`${notice}<h1>${t(c.lang, 'authn.title')}</h1><form method="post" action="${`${c.base}/login?${c.query}`}">${hidden(c)}${user}${passwordField(c)}${buttons}</form>`;
}

function cprForm(c: LoginCtx, notice?: Html): Html {
  const store = html`<p class="choice"><input type="checkbox" id="store" name="store" value="1"> <label for="store" class="inline">${t(c.lang, 'cpr.store')}</label></p>`;
  const fields = html`<label for="cpr">${t(c.lang, 'cpr.label')}</label><input type="text" id="cpr" name="cpr" inputmode="numeric" autocomplete="off" maxlength="11">${store}`;
  const buttons = html`<div class="actions"><button class="button" name="do" value="next">${t(c.lang, 'login.next')}</button><button class="button secondary" name="do" value="skip" formnovalidate>${t(c.lang, 'authn.cpr.skip')}</button><button class="button secondary" name="do" value="cancel" formnovalidate>${t(c.lang, 'login.cancel')}</button></div>`;
  return html`${notice}<h1>${t(c.lang, 'cpr.title')}</h1><p class="lead">${t(c.lang, 'cpr.body')}</p><form method="post" action="${`${c.base}/cpr?${c.query}`}">${hidden(c)}${fields}${buttons}</form>`;
}

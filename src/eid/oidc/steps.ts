// The OIDC eID method in the portal (docs/oidc-eid.md): on the task's login page a link per OIDC
// method of the service that the task names; GET oidc/start begins a login at the broker (state,
// nonce and PKCE verifier stored server-side for 10 minutes, bound to the portal session and the
// task); the broker sends the browser back to the service's one callback URL, which takes that
// login once, lets the RP check the answer (rp.ts), and then holds the mapped national id against
// the task's subject: another person is refused with the catalogue's `wrong-person`. A good login
// gets a new session id, an event, and the task page.
import { createHash } from 'node:crypto';
import type express from 'express';
import { SECURITY_HEADERS } from '../../portal/answer';
import { html } from '../../portal/html';
import { codeOf, pickLanguage, t } from '../../portal/i18n';
import type { Ctx, Kit, PortalEidMethod } from '../../portal/kit';
import { page } from '../../portal/layout';
import { taskKey } from '../../portal/session';
import { eidError, errorEvent, errorTextKey, type EidErrorCode } from '../errors';
import { normaliseNationalId } from './config';
import type { BeginLogin, OidcDeps, Pending } from './deps';
import { OidcLoginError, type OidcRelyingParty, type RpLogin, type RpMethod } from './rp';
import { finishSigning, mountSigning } from './signing';

const LOGIN_TTL_MS = 10 * 60_000;
const sha256 = (s: string) => createHash('sha256').update(s).digest('hex');
const str = (v: unknown) => (typeof v === 'string' ? v : '');

/** The exact redirect_uri of a service (registered at the broker). */
export const callbackUrl = (publicUrl: string, service: string) =>
  `${publicUrl}/std/docaction/${encodeURIComponent(service)}/oidc/callback`;

/** The OIDC methods as the portal runs them (registered per service, so `methods` lists none up front). */
export function oidcMethod(d: OidcDeps): PortalEidMethod {
  return { methods: [], mount: (r, kit) => mountOidc(r, kit, d) };
}

function mountOidc(r: express.Router, kit: Kit, d: OidcDeps): { loginForm(c: Ctx, method: string): string } {
  // the service's methods, read before each page of its tasks (the login page's links are drawn synchronously)
  const known = new Map<string, RpMethod[]>();
  r.use('/std/docaction/:service', (req, _res, next) => {
    const service = String(req.params.service);
    d.methods.forServiceName(service).then((ms) => {
      if (ms.length) known.set(service, ms);
      else known.delete(service);
      next();
    }, next);
  });
  const find = (c: Ctx, method: string) => known.get(c.svc.name)?.find((m) => m.config.name === method);

  r.get(
    '/std/docaction/:service/oidc/start',
    kit.guard(async (req, res) => {
      const c = await kit.resolve(req, res, kit.ids(req));
      if (!c) return;
      const method = str(req.query.method);
      const m = (await d.methods.forService(c.svc.id)).find((x) => x.config.name === method);
      if (!m || !c.pt.authentication.includes(method) || !m.config.use.includes('authentication')) {
        kit.send(res, 400, c, t(c.lang, 'login.title'), kit.loginPage(c));
        return;
      }
      await begin(d, kit, c, res, m);
    }),
  );

  r.get(
    '/std/docaction/:service/oidc/callback',
    kit.guard(async (req, res) => {
      await callback(d, kit, req, res);
    }),
  );

  mountSigning(r, kit, d, (...a) => begin(d, ...a));

  return {
    loginForm: (c, method) => {
      const m = find(c, method);
      if (!m) return '';
      const label = m.config.label ?? m.config.name;
      const href = `${c.base}/oidc/start?${c.query}&method=${encodeURIComponent(m.config.name)}`;
      return html`<h2>${t(c.lang, 'login.with', { method: label })}</h2><p class="actions"><a class="button" href="${href}">${t(c.lang, 'oidc.continue', { method: label })}</a></p>`
        .value;
    },
  };
}

/** Stores the login (single use, 10 minutes, bound to this session) and sends the browser to the broker. */
async function begin(d: OidcDeps, ...[kit, c, res, m, o]: Parameters<BeginLogin>): Promise<void> {
  const redirectUri = callbackUrl(d.publicUrl(), c.svc.name);
  let started: Awaited<ReturnType<OidcRelyingParty['begin']>>;
  try {
    started = await d.rp.begin(m, { redirectUri, lang: codeOf(c.lang), nonce: o?.nonce });
  } catch (e) {
    if (!(e instanceof OidcLoginError)) throw e;
    await refused(d, kit, c, res, 'method-unavailable', e.message, 503);
    return;
  }
  const pending: Pending = { requestId: c.pt.requestId, taskId: c.pt.taskId, method: m.config.name, begun: started.begun, sign: o?.sign };
  await d.logins.begin(
    started.begun.state,
    c.session.id,
    c.svc.id,
    JSON.stringify(pending),
    new Date(c.now).toISOString(),
    new Date(c.now + LOGIN_TTL_MS).toISOString(),
  );
  kit.redirect(res, c, started.url);
}

/** The page for a callback that belongs to no login of this browser (unknown, used, expired state). */
function expiredPage(req: express.Request, res: express.Response): void {
  const lang = pickLanguage(undefined, req.headers['accept-language']);
  const title = t(lang, 'refused.title');
  res
    .status(400)
    .set(SECURITY_HEADERS)
    .type('html')
    .send(page({ lang, title, main: html`<h1 class="status warn">${title}</h1><p class="lead">${t(lang, 'oidc.expired')}</p>` }));
}

async function callback(d: OidcDeps, kit: Kit, req: express.Request, res: express.Response): Promise<void> {
  const state = str(req.query.state);
  const taken = state ? await d.logins.take(state, new Date().toISOString()) : undefined;
  if (!taken) {
    d.log.info({ event: 'oidc-callback-refused' }, 'OIDC callback without a live login (unknown, used or expired state)');
    expiredPage(req, res);
    return;
  }
  const p = JSON.parse(taken.data) as Pending;
  const c = await kit.resolve(req, res, { requestId: p.requestId, taskId: p.taskId });
  if (!c) return;
  // the state is bound to the session that began the login, and to this service
  if (taken.sessionHash !== sha256(c.session.id) || taken.serviceId !== c.svc.id) {
    d.log.info({ event: 'oidc-callback-refused' }, 'OIDC callback from another session or service');
    expiredPage(req, res);
    return;
  }
  const m = (await d.methods.forService(c.svc.id)).find((x) => x.config.name === p.method);
  if (!m) {
    await refused(d, kit, c, res, 'method-unavailable', `the OIDC method ${p.method} is no longer configured`, 503);
    return;
  }
  if (p.sign) {
    await finishSigning(d, kit, c, req, res, m, { ...p, sign: p.sign });
    return;
  }
  let login: RpLogin;
  try {
    login = await d.rp.finish(m, new URL(req.originalUrl, 'http://callback.invalid'), p.begun);
  } catch (e) {
    if (!(e instanceof OidcLoginError)) throw e;
    await refused(d, kit, c, res, e.code, e.message, e.kind === 'cancelled' ? 200 : 401, m);
    return;
  }
  await loggedIn(d, kit, c, res, m, login);
}

/** Recorded (with the catalogue's code), the task's login forgotten, and the login page again with why. */
async function refused(
  d: OidcDeps,
  kit: Kit,
  c: Ctx,
  res: express.Response,
  code: EidErrorCode,
  why: string,
  status: number,
  m?: RpMethod,
): Promise<void> {
  d.log.info({ event: 'oidc-login-refused', code, method: m?.config.name, why }, 'OIDC login refused');
  await kit.signer.recordPortalEvent(c.svc, c.pt.requestId, c.pt.taskId, 'user-authentication-cancelled', errorEvent(code, why));
  delete c.session.tasks[taskKey(c.pt.requestId, c.pt.taskId)];
  const label = m?.config.label ?? m?.config.name ?? '';
  const text = code === 'usercancel' ? 'oidc.cancelled' : 'oidc.failed';
  kit.send(
    res,
    status,
    c,
    t(c.lang, 'login.title'),
    kit.loginPage(c, html`<p class="status warn" role="alert">${t(c.lang, text, { method: label })}</p>`),
  );
}

/** The person the broker vouched for: checked against the task's subject, then logged in for the task. */
async function loggedIn(d: OidcDeps, kit: Kit, c: Ctx, res: express.Response, m: RpMethod, login: RpLogin): Promise<void> {
  const nin = login.mapped.nationalId;
  if (m.config.nationalIdRequired && !nin) {
    await refused(d, kit, c, res, 'broker-refused', 'the broker sent no national id (none of the configured claims)', 401, m);
    return;
  }
  if (c.pt.nationalId && (!nin || normaliseNationalId(nin) !== normaliseNationalId(c.pt.nationalId))) {
    const wrong = eidError('wrong-person');
    d.log.info({ event: 'oidc-login-refused', code: wrong.code, method: m.config.name }, 'OIDC login refused');
    await kit.signer.recordPortalEvent(c.svc, c.pt.requestId, c.pt.taskId, 'user-authentication-cancelled', errorEvent(wrong.code, ''));
    delete c.session.tasks[taskKey(c.pt.requestId, c.pt.taskId)];
    const msg = kit.message(c.lang, 'refused.title', errorTextKey(wrong.code), 'warn');
    kit.send(res, 403, c, msg.title, msg.main);
    return;
  }
  const key = taskKey(c.pt.requestId, c.pt.taskId);
  const before = c.session.tasks[key];
  const pid = login.mapped.uniqueId ?? String(login.claims.sub);
  kit.rotate(c);
  c.session.tasks[key] = { method: m.config.name, pid, at: c.now, viewed: before?.pid === pid ? before.viewed : undefined };
  const acr = typeof login.claims.acr === 'string' ? `, acr ${login.claims.acr.slice(0, 200)}` : '';
  await kit.signer.recordPortalEvent(c.svc, c.pt.requestId, c.pt.taskId, 'user-authenticated', `${m.config.name} (OpenID Connect${acr})`);
  kit.redirect(res, c, `${c.base}?${c.query}`);
}

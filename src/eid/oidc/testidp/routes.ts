// The test IdP's HTTP surface (preprod only): `/testidp/{dialect}` is an OpenID provider (discovery,
// JWKS, authorize, token, userinfo) for each dialect in dialects.ts, and
// `/testidp/{dialect}/interaction/{uid}` its login page: the test eID's user id and password, then a
// key-card code (TestIdEnvironment.startLogin / answer), in the language of `ui_locales`.
import { createPublicKey } from 'node:crypto';
import express from 'express';
import type { Logger } from 'pino';
import type Provider from 'oidc-provider';
import type { ClientMetadata } from 'oidc-provider';
import { SECURITY_HEADERS } from '../../../portal/answer';
import { html, type Html } from '../../../portal/html';
import { pickLanguage, t, type Lang } from '../../../portal/i18n';
import { page } from '../../../portal/layout';
import type { OidcMethodRepository } from '../../../store/oidcmethods';
import { failureText } from '../../testid/steps/views';
import type { Challenge, TestIdEnvironment } from '../../testid/users';
import { toRpMethod } from '../methods';
import { callbackUrl } from '../steps';
import { DIALECT, DIALECTS, type DialectName } from './dialects';
import { formParser, oidcProvider } from './provider';

export interface TestIdpDeps {
  testid: TestIdEnvironment;
  methods: OidcMethodRepository;
  /** the instance's public URL (the issuer is `${url}/testidp/{dialect}`) */
  publicUrl: () => string;
  log: Logger;
}

export const testIdpIssuer = (publicUrl: string, dialect: DialectName) => `${publicUrl}/testidp/${dialect}`;

/** The clients of one issuer: segl's OIDC methods that name it (all services' with that client id share one client). */
function clientsOf(d: TestIdpDeps, issuer: string) {
  return async (clientId: string): Promise<ClientMetadata | undefined> => {
    const rows = (await d.methods.byIssuer(issuer))
      .map((r) => ({ row: r, m: toRpMethod(r) }))
      .filter((x) => x.m.config.clientId === clientId);
    if (!rows.length) return undefined;
    const first = rows[0]!.m;
    const base: ClientMetadata = {
      client_id: clientId,
      redirect_uris: [...new Set(rows.map((x) => callbackUrl(d.publicUrl(), x.row.serviceName)))],
      response_types: ['code'],
      grant_types: ['authorization_code'],
      token_endpoint_auth_method: first.config.clientAuth,
    };
    if (first.config.clientAuth === 'client_secret_basic') return { ...base, client_secret: first.clientSecret };
    const jwk = createPublicKey(first.privateKeyPem!).export({ format: 'jwk' });
    return { ...base, jwks: { keys: [{ ...jwk, kid: first.config.privateKeyKid }] } } as ClientMetadata;
  };
}

const send = (res: express.Response, status: number, lang: Lang, title: string, main: Html) =>
  res
    .status(status)
    .set(SECURITY_HEADERS)
    .type('html')
    .send(page({ lang, title, main, service: 'segl test IdP' }));

const userForm = (lang: Lang, action: string, notice?: Html) =>
  html`${notice}<h1>${t(lang, 'login.title')}</h1><form method="post" action="${action}"><label for="user">${t(lang, 'login.userId')}</label><input type="text" id="user" name="user" autocomplete="username" required><label for="password">${t(lang, 'login.password')}</label><input type="password" id="password" name="password" autocomplete="current-password" required><div class="actions"><button class="button" name="do" value="login">${t(lang, 'login.next')}</button><button class="button secondary" name="do" value="cancel" formnovalidate>${t(lang, 'login.cancel')}</button></div></form>`;

const codeForm = (lang: Lang, action: string, ch: Challenge, notice?: Html) =>
  html`${notice}<h1>${t(lang, 'code.title')}</h1><p class="lead">${t(lang, 'code.body', { card: ch.cardId, number: ch.keyNumber })}</p><form method="post" action="${action}"><input type="hidden" name="challenge" value="${ch.challengeId}"><label for="code">${t(lang, 'code.label', { number: ch.keyNumber })}</label><input type="text" id="code" name="code" inputmode="numeric" autocomplete="one-time-code" pattern="[0-9]{6}" maxlength="6" required><div class="actions"><button class="button" name="do" value="code">${t(lang, 'login.next')}</button><button class="button secondary" name="do" value="cancel" formnovalidate>${t(lang, 'login.cancel')}</button></div></form>`;

const alert = (text: string) => html`<p class="status warn" role="alert">${text}</p>`;
const str = (v: unknown) => (typeof v === 'string' ? v.trim() : '');

/** The login page of one dialect's provider. */
function mountInteraction(r: express.Router, dialect: DialectName, provider: () => Promise<Provider>, d: TestIdpDeps): void {
  const path = `/testidp/${dialect}/interaction/:uid`;
  const details = async (req: express.Request, res: express.Response) => {
    const i = await (await provider()).interactionDetails(req, res);
    const lang = pickLanguage(String(i.params.ui_locales ?? '').split(' ')[0], req.headers['accept-language']);
    return { i, lang, action: `/testidp/${dialect}/interaction/${i.uid}` };
  };
  r.get(path, async (req, res, next) => {
    try {
      const { lang, action } = await details(req, res);
      send(res, 200, lang, t(lang, 'login.title'), userForm(lang, action));
    } catch (e) {
      next(e);
    }
  });
  r.post(path, formParser, async (req, res, next) => {
    try {
      const { i, lang, action } = await details(req, res);
      const body = (req.body ?? {}) as Record<string, unknown>;
      if (body.do === 'cancel') {
        await (
          await provider()
        ).interactionFinished(req, res, { error: 'access_denied', error_description: 'End-User aborted interaction' });
        return;
      }
      if (body.do === 'code') {
        const answered = await d.testid.answer(str(body.challenge), str(body.code));
        if (!answered.ok) {
          const again = answered.next && answered.reason === 'wrong-code';
          const notice = alert(failureText(lang, answered));
          if (again) send(res, 401, lang, t(lang, 'code.title'), codeForm(lang, action, answered.next!, notice));
          else send(res, 401, lang, t(lang, 'login.title'), userForm(lang, action, notice));
          return;
        }
        // another person than the IdP session's (a shared browser; the wrong person at signing): the old
        // session ends here, so the login is simply the new person's (oidc-provider would otherwise run its
        // logout-confirm round trip, which this demo's pages do not offer)
        if (i.session?.accountId && i.session.accountId !== answered.pid) {
          const p = await provider();
          await (await p.Session.findByUid(i.session.uid))?.destroy();
          delete i.session;
          await i.save(Math.max(1, (i.exp ?? 0) - Math.floor(Date.now() / 1000)));
        }
        const asked = String(i.params.acr_values ?? '').split(' ');
        const acr = DIALECT[dialect].acrValues.find((a) => asked.includes(a)) ?? DIALECT[dialect].acrValues[0]!;
        await (
          await provider()
        ).interactionFinished(
          req,
          res,
          { login: { accountId: answered.pid, acr, amr: ['pwd', 'otp'] } },
          { mergeWithLastSubmission: false },
        );
        return;
      }
      const started = await d.testid.startLogin(str(body.user), str(body.password));
      if ('ok' in started) {
        send(res, 401, lang, t(lang, 'login.title'), userForm(lang, action, alert(failureText(lang, started))));
        return;
      }
      send(res, 200, lang, t(lang, 'code.title'), codeForm(lang, action, started));
    } catch (e) {
      next(e);
    }
  });
}

/** The test IdP's routes: each dialect's login page and provider (made on first use, when the public URL is known). */
export function testIdpRoutes(d: TestIdpDeps): express.Router {
  const r = express.Router();
  for (const dialect of DIALECTS) {
    let made: Promise<Provider> | undefined;
    const provider = () =>
      (made ??= oidcProvider({
        issuer: testIdpIssuer(d.publicUrl(), dialect),
        clients: clientsOf(d, testIdpIssuer(d.publicUrl(), dialect)),
        findAccount: async (_ctx, sub) => {
          const u = await d.testid.user(sub);
          if (!u) return undefined;
          return {
            accountId: sub,
            claims: async (use: string) => ({ sub, ...DIALECT[dialect].claims(u, use === 'userinfo' ? 'userinfo' : 'id_token') }),
          };
        },
        scopes: DIALECT[dialect].scopes,
        acrValues: DIALECT[dialect].acrValues,
        interactionUrl: (uid) => `/testidp/${dialect}/interaction/${uid}`,
        log: d.log,
      }));
    mountInteraction(r, dialect, provider, d);
    let callback: ReturnType<Provider['callback']> | undefined;
    r.use(`/testidp/${dialect}`, (req, res, next) => {
      provider().then((p) => (callback ??= p.callback())(req, res), next);
    });
  }
  return r;
}

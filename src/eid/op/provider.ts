// segl's OpenID provider for integrators (issue 14 part 3; docs/authentication.md, "OpenID Connect"):
// oidc-provider (a certified OP library, set up by the same factory as the test IdP) at `/oidc`,
// issuer `${SEGL_PUBLIC_URL}/oidc`. Authorization code only, PKCE S256 required for every client,
// client_secret_basic / client_secret_post / none (public clients, registered so), `iss` in the
// authorization response (RFC 9207), no refresh tokens (clients get only the authorization_code
// grant), codes valid 60 s. Its storage is segl's database (store/oidcop.ts), so several api
// processes share codes, tokens and interactions, and a code is redeemed once whichever process
// sees it. The clients are segl's (`segl oidc client add`), each belonging to one service.
//
// A login runs through the login core (src/eid/authn): the interaction page starts `core.start`
// with the `oidc` front door (the method from `acr_values`, the language from `ui_locales`); the
// door's finish records the outcome on the interaction and sends the browser back to the provider:
// an Identity becomes a login (a fresh one for each authorization: no single sign-on across
// services, since what PID-CPR released is the service's), an eID error ends the authorization with
// the catalogue's OIDC error (src/eid/errors.ts) at the client's redirect_uri.
import { createHash, createHmac, KeyObject, randomBytes } from 'node:crypto';
import express from 'express';
import type { Logger } from 'pino';
import type { Adapter, AdapterPayload, ClientMetadata, KoaContextWithOIDC, default as Provider } from 'oidc-provider';
import type { Clock } from '../../core/ports';
import { SECURITY_HEADERS } from '../../portal/answer';
import { html } from '../../portal/html';
import { LANGUAGES, pickLanguage, t, type Lang } from '../../portal/i18n';
import { page } from '../../portal/layout';
import type { OidcOpRepository } from '../../store/oidcop';
import type { ServiceRepository } from '../../store/services';
import type { CryptoKey } from '../../trust/crypto';
import { keyFromSecret } from '../../util/secretbox';
import type { Identity } from '../authn/identity';
import type { DoorAnswer, FrontDoor, LoginCore } from '../authn/login';
import { eidError } from '../errors';
import { oidcProvider } from '../oidc/testidp/provider';

export const OIDC_DOOR = 'oidc';
export const OP_PATH = '/oidc';
/** `acr_values` names a method as Signicat's OIDC did: `urn:signicat:oidc:method:nemid` */
export const ACR_PREFIX = 'urn:signicat:oidc:method:';
/** a finished login's identity, by login id, until the grant takes it; then by grant id */
const LOGIN_MODEL = 'SeglLogin';
const IDENTITY_MODEL = 'SeglIdentity';
const CONTINUE_PATH = '/std/static/oidc-continue.js';
/** Follows the answer page's link as soon as it has loaded (the link does it without JavaScript). */
const CONTINUE_JS = "location.replace(document.getElementById('oidc-continue').href);\n";
const TTL = { AccessToken: 300, AuthorizationCode: 60, IdToken: 300, Interaction: 600, Session: 600, Grant: 600 };

/** Claims per scope (the ID token and userinfo carry the claims of the scopes granted). */
export const OP_SCOPES = {
  openid: ['sub', 'idp'],
  profile: ['name', 'given_name', 'family_name', 'birthdate'],
  nin: ['nin', 'nin_type', 'nin_issuing_country'],
};

/** The ID-token signing key: a private RSA key and its certificate. */
export interface OpSigning {
  privateKey: CryptoKey | KeyObject;
  certificateDer: Uint8Array;
}

export interface OpDeps {
  core: LoginCore;
  repo: OidcOpRepository;
  services: ServiceRepository;
  signing: () => Promise<OpSigning>;
  /** the instance's public URL (the issuer is `${url}/oidc`) */
  publicUrl: () => string;
  secret: string;
  /** SEGL_TRUSTED_PROXIES is set (a TLS-terminating proxy in front) */
  behindProxy: boolean;
  clock: Clock;
  log: Logger;
}

type OidcProviderModule = typeof import('oidc-provider');
const iso = (ms: number) => new Date(ms).toISOString();

/** oidc-provider's storage of one model on segl's database. */
class DbAdapter implements Adapter {
  constructor(
    private readonly model: string,
    private readonly d: OpDeps,
    private readonly invalidGrant: (message: string) => Error,
  ) {}
  private now() {
    return this.d.clock.now().getTime();
  }
  async upsert(id: string, payload: AdapterPayload, expiresIn: number): Promise<void> {
    const now = this.now();
    await this.d.repo.upsert(this.model, id, JSON.stringify(payload), {
      grantId: payload.grantId,
      uid: payload.uid,
      expiresAt: iso(now + (expiresIn || 3600) * 1000),
      now: iso(now),
    });
  }
  private parse(e: { payload: string; consumedAt?: string } | undefined): AdapterPayload | undefined {
    if (!e) return undefined;
    const p = JSON.parse(e.payload) as AdapterPayload;
    return e.consumedAt ? { ...p, consumed: Math.floor(Date.parse(e.consumedAt) / 1000) } : p;
  }
  async find(id: string): Promise<AdapterPayload | undefined> {
    return this.parse(await this.d.repo.find(this.model, id, iso(this.now())));
  }
  async findByUid(uid: string): Promise<AdapterPayload | undefined> {
    return this.parse(await this.d.repo.findByUid(this.model, uid, iso(this.now())));
  }
  async findByUserCode(): Promise<undefined> {}
  /**
   * Once only, across processes: the provider checks `consumed` after find(), but two processes may
   * both find a code unconsumed; the one that loses the UPDATE gets invalid_grant here, and the
   * grant's tokens are revoked (RFC 6749 §4.1.2: a code used twice SHOULD revoke what it issued).
   */
  async consume(id: string): Promise<void> {
    if (await this.d.repo.consume(this.model, id, iso(this.now()))) return;
    const p = await this.find(id);
    if (p?.grantId) await this.d.repo.revokeByGrantId(p.grantId);
    throw this.invalidGrant('authorization code already consumed');
  }
  async destroy(id: string): Promise<void> {
    await this.d.repo.destroy(this.model, id);
  }
  async revokeByGrantId(grantId: string): Promise<void> {
    await this.d.repo.revokeByGrantId(grantId);
  }
}

/** A segl client as oidc-provider's client metadata. */
async function clientMetadata(d: OpDeps, clientId: string): Promise<ClientMetadata | undefined> {
  const c = await d.repo.findClient(clientId);
  if (!c) return undefined;
  return {
    client_id: c.clientId,
    client_name: c.name,
    redirect_uris: c.redirectUris,
    response_types: ['code'],
    grant_types: ['authorization_code'],
    token_endpoint_auth_method: c.public ? 'none' : c.tokenAuth,
    ...(c.secret === undefined ? {} : { client_secret: c.secret }),
  };
}

/**
 * `sub`: pairwise per service. The PID is a person identifier (the same for every service the person
 * logs in to), so handing it out would let services link their users; an HMAC of the service's name
 * and the PID under a key from SEGL_SECRET is stable for the service (all its clients, every login)
 * and unlinkable across services. It changes when SEGL_SECRET does.
 */
export function pairwiseSub(secret: string, service: string, pid: string): string {
  return createHmac('sha256', keyFromSecret(secret, 'segl oidc sub v1')).update(`${service}\0${pid}`).digest('base64url');
}

/** The claims of a login for the service: the national id and the birth date only where PID-CPR released them. */
export function opClaims(secret: string, service: string, id: Identity): { sub: string } & Record<string, string> {
  return {
    sub: pairwiseSub(secret, service, id.pid),
    idp: id.method,
    name: id.name,
    ...(id.firstName ? { given_name: id.firstName } : {}),
    ...(id.lastName ? { family_name: id.lastName } : {}),
    ...(id.cpr ? { nin: id.cpr, nin_type: 'PERSON', nin_issuing_country: 'DK' } : {}),
    ...(id.cpr && id.dateOfBirth ? { birthdate: id.dateOfBirth } : {}),
  };
}

/** The private signing key as a JWK with its certificate (x5c) and a kid from the certificate. */
function signingJwk(s: OpSigning): Record<string, unknown> {
  const key = s.privateKey instanceof KeyObject ? s.privateKey : KeyObject.from(s.privateKey);
  const der = Buffer.from(s.certificateDer);
  return {
    ...(key.export({ format: 'jwk' }) as Record<string, unknown>),
    alg: 'RS256',
    use: 'sig',
    kid: createHash('sha256').update(der).digest('base64url').slice(0, 16),
    x5c: [der.toString('base64')],
  };
}

/** Every authorization needs its own login (no single sign-on: what a login released belongs to one service). */
function policy({ interactionPolicy }: OidcProviderModule) {
  const p = interactionPolicy.base();
  p.get('login')!.checks.push(
    new interactionPolicy.Check('segl_login_per_authorization', 'each authorization needs a login', (ctx: KoaContextWithOIDC) =>
      ctx.oidc.result?.login ? interactionPolicy.Check.NO_NEED_TO_PROMPT : interactionPolicy.Check.REQUEST_PROMPT,
    ),
  );
  return p;
}

/** The provider's error page: translated, with the protocol's description; nothing is redirected. */
function renderError(ctx: KoaContextWithOIDC, out: { error?: unknown; error_description?: unknown }): void {
  const lang = pickLanguage(undefined, ctx.get('accept-language'));
  const title = t(lang, 'authn.refused.title');
  const main = html`<h1 class="status warn">${title}</h1><p class="lead">${t(lang, 'authn.refused.body')}</p><p><code>${String(out.error ?? 'error')}</code>: ${String(out.error_description ?? '')}</p>`;
  ctx.set(SECURITY_HEADERS);
  ctx.type = 'html';
  ctx.body = page({ lang, title, main });
}

/** The provider, made on first use (the public URL and the signing key are known then). */
function providerOnce(d: OpDeps): () => Promise<Provider> {
  let p: Promise<Provider> | undefined;
  const make = async () => {
    // loaded on first use (as the test IdP's): oidc-provider warns on load that it wants Node 22
    const lib = await import('oidc-provider');
    const jwk = signingJwk(await d.signing());
    const issuer = `${d.publicUrl()}${OP_PATH}`;
    const methods = d.core.methods();
    const provider = await oidcProvider({
      issuer,
      keys: [jwk],
      clients: (id) => clientMetadata(d, id),
      // the account is the pairwise sub; what a login released is kept per grant (one per login)
      findAccount: async (_ctx, sub, token) => {
        if (!token) return { accountId: sub, claims: () => ({ sub }) };
        const e = token.grantId ? await d.repo.find(IDENTITY_MODEL, token.grantId, iso(d.clock.now().getTime())) : undefined;
        if (!e) return undefined;
        const { service, identity } = JSON.parse(e.payload) as { service: string; identity: Identity };
        return { accountId: sub, claims: () => opClaims(d.secret, service, identity) };
      },
      onGrant: async (ctx, grantId) => {
        const login = (ctx.oidc.result as { segl?: { login?: string } } | undefined)?.segl?.login;
        const e = login ? await d.repo.find(LOGIN_MODEL, login, iso(d.clock.now().getTime())) : undefined;
        if (!e) return;
        const now = d.clock.now().getTime();
        await d.repo.upsert(IDENTITY_MODEL, grantId, e.payload, { expiresAt: iso(now + TTL.Grant * 1000), now: iso(now) });
        await d.repo.destroy(LOGIN_MODEL, login!);
      },
      scopes: OP_SCOPES,
      acrValues: methods.map((m) => `${ACR_PREFIX}${m}`),
      interactionUrl: (uid) => `${OP_PATH}/interaction/${uid}`,
      log: d.log,
      adapter: (model) => new DbAdapter(model, d, (m) => new lib.errors.InvalidGrant(m)),
      cookieKeys: [keyFromSecret(d.secret, 'segl oidc provider cookies v1').toString('base64url')],
      configure: {
        clientAuthMethods: ['client_secret_basic', 'client_secret_post', 'none'],
        features: { devInteractions: { enabled: false }, rpInitiatedLogout: { enabled: false } },
        interactions: { url: (_ctx, interaction) => `${OP_PATH}/interaction/${interaction.uid}`, policy: policy(lib) },
        ttl: TTL,
        renderError,
      },
    });
    // X-Forwarded-Proto/Host are believed only where segl is configured to run behind a proxy
    provider.proxy = d.behindProxy;
    return provider;
  };
  return () =>
    (p ??= make().catch((e) => {
      p = undefined;
      throw e;
    }));
}

/** The method `acr_values` asks for (the first segl runs), the default method when none is asked; undefined: none runs. */
export function methodOf(acrValues: unknown, methods: string[]): string | undefined {
  const asked = String(acrValues ?? '')
    .split(' ')
    .filter(Boolean);
  if (!asked.length) return methods[0];
  return asked.map((a) => (a.startsWith(ACR_PREFIX) ? a.slice(ACR_PREFIX.length) : a)).find((m) => methods.includes(m));
}

/** The `oidc` front door: the login's outcome onto the interaction, and the browser back to the provider. */
function oidcDoor(d: OpDeps, provider: () => Promise<Provider>): FrontDoor {
  return {
    name: OIDC_DOOR,
    async finish(a: DoorAnswer) {
      const p = await provider();
      const interaction = await p.Interaction.find(a.answer.uid!);
      if (!interaction) {
        const title = t(a.lang, 'authn.ended.title');
        return { title, main: html`<h1 class="status warn">${title}</h1><p class="lead">${t(a.lang, 'authn.ended.body')}</p>` };
      }
      const now = Math.floor(a.now.getTime() / 1000);
      if (a.outcome.ok) {
        const login = randomBytes(18).toString('base64url');
        const identity = a.outcome.identity;
        await d.repo.upsert(LOGIN_MODEL, login, JSON.stringify({ service: a.service.name, identity }), {
          expiresAt: iso(a.now.getTime() + TTL.Interaction * 1000),
          now: a.now.toISOString(),
        });
        const ts = Math.floor(identity.authenticatedAt.getTime() / 1000);
        const accountId = pairwiseSub(d.secret, a.service.name, identity.pid);
        interaction.result = { login: { accountId, acr: `${ACR_PREFIX}${identity.method}`, amr: ['pwd', 'otp'], ts }, segl: { login } };
      } else {
        const e = eidError(a.outcome.error);
        interaction.result = { error: e.oidc, error_description: e.message };
      }
      await interaction.save(Math.max(interaction.exp - now, 1));
      // a page, not a redirect: the login page's form-action 'self' would stop a form POST redirected
      // on to the client; a link (followed at once by a script) is a navigation CSP lets through
      const site = new URL(String(interaction.params.redirect_uri)).origin;
      const title = t(a.lang, 'authn.continue');
      const main = html`<h1>${t(a.lang, 'authn.returning', { site })}</h1><div class="actions"><a id="oidc-continue" class="button" href="${interaction.returnTo}">${title}</a></div><script src="${CONTINUE_PATH}"></script>`;
      return { title, main };
    },
  };
}

/** The interaction page: who the client is, then the login core. */
async function interaction(d: OpDeps, provider: Provider, req: express.Request, res: express.Response): Promise<void> {
  const details = await provider.interactionDetails(req, res).catch(() => undefined);
  if (!details) return d.core.refuse(res, 410, pickLanguage(undefined, req.headers['accept-language']), 'ended');
  const client = await d.repo.findClient(String(details.params.client_id));
  const svc = client && (await d.services.find(client.serviceName));
  const method = methodOf(details.params.acr_values, d.core.methods());
  if (!svc || !method) {
    const e = eidError('method-unavailable');
    await provider.interactionFinished(req, res, { error: e.oidc, error_description: e.message }, { mergeWithLastSubmission: false });
    return;
  }
  const locales = String(details.params.ui_locales ?? '').split(' ');
  const language = locales.find((l): l is Lang => (LANGUAGES as readonly string[]).includes(l));
  await d.core.start(req, res, { service: svc, method, language, door: OIDC_DOOR, answer: { uid: details.uid } });
}

/** Mounts the provider at /oidc with its interaction page, and adds the `oidc` door to the login core. */
export function mountOidcProvider(r: express.Router, d: OpDeps): void {
  const provider = providerOnce(d);
  d.core.addDoor(oidcDoor(d, provider));
  r.get(CONTINUE_PATH, (_req, res) => {
    res.set({ 'cache-control': 'public, max-age=3600', 'x-content-type-options': 'nosniff' }).type('text/javascript').send(CONTINUE_JS);
  });
  r.get(`${OP_PATH}/interaction/:uid`, (req, res, next) => {
    provider()
      .then((p) => interaction(d, p, req, res))
      .catch(next);
  });
  r.use(OP_PATH, (req, res, next) => {
    provider().then((p) => p.callback()(req, res), next);
  });
}

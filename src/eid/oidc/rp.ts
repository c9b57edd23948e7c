// The relying party of the OIDC eID method, on openid-client 6 (a certified RP library; its
// oauth4webapi does the protocol checks). What each step checks, and where:
//   discovery   — the issuer is pinned: the document's `issuer` must equal the configured one
//                 (OIDC Discovery 1.0 §4.3, checked by openid-client); never another issuer's document.
//   authorize   — code flow, PKCE S256 (RFC 7636 §4.2), `state` and `nonce` random (or the nonce the
//                 signing step computes), `acr_values`, `ui_locales`, `prompt=login`.
//   callback    — `state` (RFC 6749 §10.12), RFC 9207 `iss` when the broker advertises
//                 authorization_response_iss_parameter_supported (both by openid-client).
//   ID token    — signature by a key of the broker's JWKS (openid-client's non-repudiation checks,
//                 on although OIDC Core §3.1.3.7 item 6 lets TLS stand in for it) (refetched once when the kid is unknown and
//                 the keys are 60 s old or more: oauth4webapi's rate limit), `alg` among the configured
//                 ones (never none/HS*), `iss`, `aud`/`azp`, `exp`/`iat` with 60 s tolerance, `nonce`
//                 (OIDC Core §3.1.3.7, by openid-client); `acr` among the configured acr_values (§3.1.3.7
//                 item 12, checked here: openid-client leaves it to the caller).
//   userinfo    — only when a mapped field is missing from the ID token; its `sub` must equal the ID
//                 token's (OIDC Core §5.3.2, by openid-client).
// Not implemented: encrypted ID tokens (Signicat's FTN message-level encryption), request objects,
// PAR, `max_age`/`auth_time` (prompt=login asks for a fresh login instead).
import { createPrivateKey } from 'node:crypto';
import * as client from 'openid-client';
import type { EidErrorCode } from '../errors';
import { DEFAULT_CLAIMS, mappedClaim, type ClaimField, type OidcMethodConfig } from './config';

/** A method as the RP runs it: its checked config and its secret part. */
export interface RpMethod {
  /** what the caches are keyed by: service id, name and last change */
  key: string;
  config: OidcMethodConfig;
  clientSecret?: string;
  privateKeyPem?: string;
}

/** What the callback needs from the beginning of the login (stored server-side, single use). */
export interface BegunLogin {
  state: string;
  nonce: string;
  verifier: string;
  redirectUri: string;
}

/** A login the broker completed and segl checked. */
export interface RpLogin {
  /** the ID token as received (compact JWS) */
  idToken: string;
  claims: Record<string, unknown>;
  userinfo?: Record<string, unknown>;
  mapped: Partial<Record<ClaimField, string>>;
  /** the discovery document and the JWKS as fetched (the evidence of an authentication-based signature) */
  discovery: string;
  jwks: string;
}

/** Why a login was refused; `message` names the check and never a person's data. */
export class OidcLoginError extends Error {
  constructor(
    readonly kind: 'broker-error' | 'cancelled' | 'refused' | 'unavailable',
    message: string,
  ) {
    super(message);
    this.name = 'OidcLoginError';
  }

  /** The eID error catalogue's code for this refusal (src/eid/errors.ts). */
  get code(): EidErrorCode {
    return this.kind === 'cancelled' ? 'usercancel' : this.kind === 'unavailable' ? 'method-unavailable' : 'broker-refused';
  }
}

interface Cached {
  config: client.Configuration;
  discovery: string;
  jwks: { text: string };
  at: number;
}

const DISCOVERY_TTL_MS = 10 * 60_000;
const TOLERANCE_S = 60;

export interface RpOptions {
  /** http issuers (the test IdP on loopback) */
  allowHttp: boolean;
  /** JWKS caches by issuer, kept across discovery refreshes (oauth4webapi's export format) */
  jwksCaches?: Map<string, client.ExportedJWKSCache>;
  /** every request the RP sends, for tests and metrics */
  onRequest?: (url: string) => void;
}

export class OidcRelyingParty {
  private readonly cache = new Map<string, Cached>();
  private readonly jwksCaches: Map<string, client.ExportedJWKSCache>;
  constructor(private readonly o: RpOptions) {
    this.jwksCaches = o.jwksCaches ?? new Map();
  }

  private async configuration(m: RpMethod): Promise<Cached> {
    const hit = this.cache.get(m.key);
    if (hit && Date.now() - hit.at < DISCOVERY_TTL_MS) return hit;
    const c = m.config;
    let discovery = '';
    const jwks = { text: hit?.jwks.text ?? '' };
    const recording: client.CustomFetch = async (url, options) => {
      this.o.onRequest?.(url);
      const res = await fetch(url, { ...options, redirect: 'manual' } as RequestInit);
      if (url.endsWith('/.well-known/openid-configuration') && !discovery) discovery = await res.clone().text();
      else if (options.method === 'GET' && res.ok && url === jwksUri(discovery)) jwks.text = await res.clone().text();
      return res;
    };
    let cfg: client.Configuration;
    const metadata: Partial<client.ClientMetadata> = {
      // an array is accepted by oauth4webapi's checkSigningAlgorithm: the token's alg must be one of them
      id_token_signed_response_alg: c.idTokenAlgs as unknown as string,
      [client.clockTolerance]: TOLERANCE_S,
    };
    try {
      cfg = await client.discovery(new URL(c.issuer), c.clientId, metadata, await clientAuth(m), {
        [client.customFetch]: recording,
        // the ID token's signature is checked against the JWKS (openid-client's non-repudiation checks: the
        // token is evidence of an authentication-based signature, where TLS to the token endpoint alone is not)
        execute: [client.enableNonRepudiationChecks, ...(this.o.allowHttp ? [client.allowInsecureRequests] : [])],
        timeout: 10,
      });
    } catch (e) {
      throw new OidcLoginError('unavailable', `the broker's discovery document could not be used: ${describe(e)}`);
    }
    const kept = this.jwksCaches.get(c.issuer);
    if (kept) client.setJwksCache(cfg, kept);
    const entry = { config: cfg, discovery, jwks, at: Date.now() };
    this.cache.set(m.key, entry);
    return entry;
  }

  /** The broker's authorization URL for a new login; `nonce` given when it must commit to something (signing). */
  async begin(m: RpMethod, o: { redirectUri: string; lang: string; nonce?: string }): Promise<{ url: string; begun: BegunLogin }> {
    const { config } = await this.configuration(m);
    const verifier = client.randomPKCECodeVerifier();
    const state = client.randomState();
    const nonce = o.nonce ?? client.randomNonce();
    const params: Record<string, string> = {
      redirect_uri: o.redirectUri,
      scope: m.config.scope,
      response_type: 'code',
      code_challenge: await client.calculatePKCECodeChallenge(verifier),
      code_challenge_method: 'S256',
      state,
      nonce,
      ui_locales: o.lang,
      prompt: 'login',
    };
    if (m.config.acrValues.length) params.acr_values = m.config.acrValues.join(' ');
    const url = client.buildAuthorizationUrl(config, params);
    return { url: url.href, begun: { state, nonce, verifier, redirectUri: o.redirectUri } };
  }

  /** Takes the broker's answer at the callback: code for tokens, every check, userinfo when needed, the claims mapped. */
  async finish(m: RpMethod, callbackUrl: URL, begun: BegunLogin): Promise<RpLogin> {
    const entry = await this.configuration(m);
    const error = callbackUrl.searchParams.get('error');
    if (error) {
      const cancelled = error === 'access_denied' || error === 'login_required' || error === 'consent_required';
      throw new OidcLoginError(cancelled ? 'cancelled' : 'broker-error', `the broker answered ${error.slice(0, 64)}`);
    }
    let tokens: Awaited<ReturnType<typeof client.authorizationCodeGrant>>;
    try {
      // the callback URL as registered (the query is the broker's answer)
      const current = new URL(begun.redirectUri);
      current.search = callbackUrl.search;
      tokens = await client.authorizationCodeGrant(entry.config, current, {
        pkceCodeVerifier: begun.verifier,
        expectedState: begun.state,
        expectedNonce: begun.nonce,
        idTokenExpected: true,
      });
    } catch (e) {
      throw new OidcLoginError('refused', `the broker's answer failed a check: ${describe(e)}`);
    } finally {
      const exported = client.getJwksCache(entry.config);
      if (exported) this.jwksCaches.set(m.config.issuer, exported);
    }
    const claims = { ...tokens.claims()! } as Record<string, unknown>;
    const acr = typeof claims.acr === 'string' ? claims.acr : undefined;
    if (m.config.acrValues.length && (!acr || !m.config.acrValues.includes(acr)))
      throw new OidcLoginError('refused', `the ID token's acr is not among the configured acr_values`);
    let userinfo: Record<string, unknown> | undefined;
    if (needsUserinfo(m.config, claims) && tokens.access_token) {
      try {
        userinfo = { ...(await client.fetchUserInfo(entry.config, tokens.access_token, claims.sub as string)) };
      } catch (e) {
        throw new OidcLoginError('refused', `userinfo failed a check: ${describe(e)}`);
      }
    }
    const mapped: RpLogin['mapped'] = {};
    for (const f of Object.keys(DEFAULT_CLAIMS) as ClaimField[]) {
      const v = mappedClaim(m.config, f, claims, userinfo);
      if (v !== undefined) mapped[f] = v;
    }
    return { idToken: tokens.id_token!, claims, userinfo, mapped, discovery: entry.discovery, jwks: entry.jwks.text };
  }
}

/** The fields segl needs (national id, unique id, a name) are missing from the ID token. */
function needsUserinfo(c: OidcMethodConfig, claims: Record<string, unknown>): boolean {
  const has = (f: ClaimField) => mappedClaim(c, f, claims) !== undefined;
  return !has('nationalId') || !has('uniqueId') || !(has('name') || has('givenName') || has('familyName'));
}

const jwksUri = (discovery: string): string | undefined => {
  try {
    return (JSON.parse(discovery) as { jwks_uri?: string }).jwks_uri;
  } catch {
    return undefined;
  }
};

/** client_secret_basic, or private_key_jwt signed with the configured key (RS256 for RSA, ES256 for P-256). */
async function clientAuth(m: RpMethod): Promise<client.ClientAuth> {
  if (m.config.clientAuth === 'client_secret_basic') return client.ClientSecretBasic(m.clientSecret);
  const key = createPrivateKey(m.privateKeyPem!);
  const der = key.export({ format: 'der', type: 'pkcs8' });
  const algorithm =
    key.asymmetricKeyType === 'ec' ? { name: 'ECDSA', namedCurve: 'P-256' } : { name: 'RSASSA-PKCS1-v1_5', hash: 'SHA-256' };
  const webKey = await crypto.subtle.importKey('pkcs8', der, algorithm, false, ['sign']);
  return client.PrivateKeyJwt({ key: webKey, kid: m.config.privateKeyKid });
}

/**
 * An error's message and code and, from its cause, only what names the check (the claim, the
 * parameter, the header's alg and kid, a reason): never the claims themselves, which may hold a
 * national id.
 */
function describe(e: unknown): string {
  const code = (e as { code?: unknown }).code;
  // openid-client's error wraps oauth4webapi's: its message and its cause name the check (never a value)
  let c: Record<string, unknown> = {};
  let inner = '';
  for (
    let x: unknown = (e as { cause?: unknown }).cause, i = 0;
    x && typeof x === 'object' && i < 3;
    x = (x as { cause?: unknown }).cause, i++
  ) {
    if (x instanceof Error && !inner && x.message !== (e as Error).message) inner = x.message.slice(0, 200);
    const o = x as Record<string, unknown>;
    if ('claim' in o || 'header' in o || 'parameter' in o || 'reason' in o) {
      c = o;
      break;
    }
  }
  const header = c.header && typeof c.header === 'object' ? (c.header as Record<string, unknown>) : {};
  const detail = [
    typeof c.claim === 'string' ? `claim "${c.claim}"` : '',
    typeof c.parameter === 'string' ? `parameter "${c.parameter}"` : '',
    typeof header.alg === 'string' ? `alg "${header.alg.slice(0, 20)}"` : '',
    typeof header.kid === 'string' ? `kid "${header.kid.slice(0, 64)}"` : '',
    typeof c.reason === 'string' ? c.reason.slice(0, 100) : '',
    inner,
  ].filter(Boolean);
  return `${(e as Error).message ?? String(e)}${typeof code === 'string' ? ` (${code})` : ''}${detail.length ? `: ${detail.join(', ')}` : ''}`;
}

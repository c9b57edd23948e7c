// Rechecking an authentication-based signature's OpenID Connect evidence from what the LTV-SDO holds
// (reference authentication.md §5.5), without the broker: the ID token's signature against the JWKS as
// fetched then, its claims against the discovery document, and its nonce against the act. Validation
// only; the nonce's definition is nonce.ts's.
//
// What is checked, and where it comes from:
//   discovery  the document's `issuer` equals the evidence's issuer (OIDC Discovery 1.0 §4.3)
//   signature  the JWS verifies with a key of the stored JWKS (RFC 7515 §5.2, by jose), `alg` asymmetric
//              (never none or HS*: a shared secret proves nothing to a third party)
//   claims     `iss` = issuer, `aud` holds the client id and `azp` names it when there are several
//              (OIDC Core §3.1.3.7 items 2–5, by jose); `exp` after `iat` — the token was valid when it
//              was issued, which is the time that counts here (checked at `iat`, not today: evidence is
//              read years later)
//   time       `iat` no later than the package's trusted signing time (with 5 minutes for clocks): the
//              login happened before the act was time-stamped
//   nonce      equals nonce.ts's value over the stored inputs, and those inputs name the act's sign text
//              and every document the native signature covers, with the same digests
// Not checked: revocation of the broker's keys (JWKS has no such notion; the keys as fetched are what
// the broker published then), `x5c` chains (rare in brokers' JWKS), and the broker's own identity
// beyond its issuer URL.
import { createLocalJWKSet, decodeJwt, decodeProtectedHeader, jwtVerify, type JSONWebKeySet } from 'jose';
import { normaliseSignText, signingNonce, type SigningNonceInputs } from './nonce';

export interface IdTokenEvidence {
  issuer: string;
  clientId: string;
  idToken: string;
  /** bytes as fetched, base64 */
  jwks: string;
  discovery: string;
  nonceInputs: SigningNonceInputs;
}

/** What the native signature says was signed: its sign text and each document's SHA-256 (base64). */
export interface SignedAct {
  signText: string;
  documents: ReadonlyArray<{ id: string; sha256: string }>;
}

export interface EvidenceCheck {
  name: string;
  ok: boolean;
  detail: string;
}

export interface EvidenceResult {
  ok: boolean;
  checks: EvidenceCheck[];
  /** the verified token's claims (undefined when its signature did not verify) */
  claims?: Record<string, unknown>;
}

const ASYMMETRIC = ['RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512', 'ES256', 'ES384', 'ES512', 'EdDSA'];
const CLOCK_SKEW_S = 300;

function json<T>(b64: string): T | undefined {
  try {
    return JSON.parse(Buffer.from(b64, 'base64').toString('utf8')) as T;
  } catch {
    return undefined;
  }
}

export async function verifyIdTokenEvidence(e: IdTokenEvidence, signingTime: Date, act: SignedAct): Promise<EvidenceResult> {
  const checks: EvidenceCheck[] = [];
  const check = (name: string, ok: boolean, detail: string) => checks.push({ name, ok, detail });
  const done = (claims?: Record<string, unknown>): EvidenceResult => ({ ok: checks.every((c) => c.ok), checks, claims });

  const discovery = json<{ issuer?: unknown }>(e.discovery);
  check(
    'oidc-discovery',
    discovery?.issuer === e.issuer,
    discovery ? `the discovery document names issuer ${String(discovery.issuer)}` : 'the discovery document is not JSON',
  );
  const jwks = json<JSONWebKeySet>(e.jwks);
  if (!jwks || !Array.isArray(jwks.keys)) {
    check('oidc-jwks', false, 'the JWKS is not a JSON Web Key Set');
    return done();
  }
  let iat: number;
  let alg: unknown;
  try {
    alg = decodeProtectedHeader(e.idToken).alg;
    iat = Number(decodeJwt(e.idToken).iat);
  } catch {
    check('oidc-id-token', false, 'the ID token is not a compact JWS');
    return done();
  }
  if (!Number.isFinite(iat)) {
    check('oidc-id-token', false, 'the ID token has no iat');
    return done();
  }
  let claims: Record<string, unknown>;
  try {
    const r = await jwtVerify(e.idToken, createLocalJWKSet(jwks), {
      issuer: e.issuer,
      audience: e.clientId,
      algorithms: ASYMMETRIC,
      currentDate: new Date(iat * 1000),
      requiredClaims: ['iss', 'aud', 'exp', 'iat', 'nonce', 'sub'],
    });
    claims = r.payload as Record<string, unknown>;
  } catch (x) {
    const code = (x as { code?: string }).code;
    check('oidc-id-token', false, `the ID token does not verify (alg ${String(alg).slice(0, 20)}): ${code ?? (x as Error).message}`);
    return done();
  }
  const aud = claims.aud;
  const azpOk = !Array.isArray(aud) || aud.length < 2 || claims.azp === e.clientId;
  check(
    'oidc-id-token',
    azpOk,
    azpOk ? `signed ${String(alg)} by a key of the stored JWKS; iss, aud, exp as issued` : 'several audiences and azp is not the client',
  );
  const late = iat - signingTime.getTime() / 1000;
  check('oidc-time', late <= CLOCK_SKEW_S, `issued ${new Date(iat * 1000).toISOString()}, signing time ${signingTime.toISOString()}`);
  let expected: string | undefined;
  try {
    expected = signingNonce(e.nonceInputs);
  } catch (x) {
    check('oidc-nonce', false, `the nonce inputs are malformed: ${(x as Error).message}`);
  }
  if (expected !== undefined)
    check(
      'oidc-nonce',
      claims.nonce === expected,
      claims.nonce === expected ? 'the nonce commits to the task, the sign text and the documents' : 'the nonce does not match its inputs',
    );
  const inputs = new Map(e.nonceInputs.documents.map((d) => [d.id, d.sha256]));
  const covered = act.documents.every((d) => inputs.get(d.id) === d.sha256) && act.documents.length > 0;
  const sameText = normaliseSignText(act.signText) === normaliseSignText(e.nonceInputs.signText);
  check(
    'oidc-act',
    covered && sameText,
    covered && sameText
      ? 'the nonce inputs name the signed sign text and every signed document with its digest'
      : `${sameText ? '' : 'the sign text differs from the nonce input; '}${covered ? '' : 'a signed document is not among the nonce inputs with the same digest'}`,
  );
  return done(claims);
}

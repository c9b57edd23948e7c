// A small OpenID provider that misbehaves on demand, for the relying party's refusals (a certified
// OP such as the test IdP would never send these): it approves every authorization at once and
// answers the token request with an ID token shaped by `next` — another issuer, audience, nonce or
// acr, an HMAC or unsigned token, a key it never published. It checks what a real OP checks of the
// client (Basic auth, the PKCE verifier against the S256 challenge) and counts requests per path.
import { createHash, generateKeyPairSync, randomBytes, type KeyObject } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import express from 'express';
import { SignJWT, exportJWK } from 'jose';

export interface IdTokenShape {
  iss?: string;
  aud?: string | string[];
  azp?: string;
  nonce?: string;
  acr?: string;
  iat?: number;
  exp?: number;
  /** RS256 (default), PS256, HS256 (with the client secret) or none */
  alg?: 'RS256' | 'PS256' | 'HS256' | 'none';
  /** sign with the key not (yet) in the JWKS */
  unpublishedKey?: boolean;
  claims?: Record<string, unknown>;
}

export interface RogueOp {
  url: string;
  issuer: string;
  /** requests per path (`/jwks`, `/token`, …) */
  counts: Record<string, number>;
  /** the shape of the next ID tokens (until changed) */
  next: IdTokenShape;
  /** the discovery document's issuer (default: the real one) */
  discoveryIssuer?: string;
  /** the RFC 9207 `iss` of the authorization response: another value, or null to leave it out (default: the issuer) */
  responseIss?: string | null;
  /** the nonce of the last authorization request */
  lastNonce?: string;
  /** the last ID token sent */
  lastIdToken?: string;
  /** publishes the second key (and signs with it from now on) */
  rotate(): void;
  close(): Promise<void>;
}

interface Key {
  kid: string;
  privateKey: KeyObject;
  publicKey: KeyObject;
}
const newKey = (): Key => ({ kid: randomBytes(6).toString('hex'), ...generateKeyPairSync('rsa', { modulusLength: 2048 }) });

export async function startRogueOp(o: { clientId: string; clientSecret: string; claims: Record<string, unknown> }): Promise<RogueOp> {
  const keys = [newKey(), newKey()];
  let published = 1;
  const codes = new Map<string, { nonce: string; challenge: string; redirectUri: string }>();
  const app = express();
  const op: RogueOp = {
    url: '',
    issuer: '',
    counts: {},
    next: {},
    rotate: () => {
      published = 2;
    },
    close: () => new Promise((r) => server.close(() => r())),
  };
  app.use((req, _res, next) => {
    op.counts[req.path] = (op.counts[req.path] ?? 0) + 1;
    next();
  });
  app.get('/.well-known/openid-configuration', (_req, res) => {
    res.json({
      issuer: op.discoveryIssuer ?? op.issuer,
      authorization_endpoint: `${op.url}/authorize`,
      token_endpoint: `${op.url}/token`,
      userinfo_endpoint: `${op.url}/userinfo`,
      jwks_uri: `${op.url}/jwks`,
      response_types_supported: ['code'],
      subject_types_supported: ['public'],
      id_token_signing_alg_values_supported: ['RS256', 'PS256'],
      code_challenge_methods_supported: ['S256'],
      token_endpoint_auth_methods_supported: ['client_secret_basic'],
      authorization_response_iss_parameter_supported: true,
    });
  });
  app.get('/jwks', async (_req, res) => {
    const pub = await Promise.all(
      keys.slice(0, published).map(async (k) => ({ ...(await exportJWK(k.publicKey)), kid: k.kid, alg: 'RS256', use: 'sig' })),
    );
    res.json({ keys: pub });
  });
  app.get('/authorize', (req, res) => {
    const q = req.query as Record<string, string>;
    const code = randomBytes(12).toString('hex');
    codes.set(code, { nonce: q.nonce!, challenge: q.code_challenge!, redirectUri: q.redirect_uri! });
    op.lastNonce = q.nonce;
    const back = new URL(q.redirect_uri!);
    back.searchParams.set('code', code);
    back.searchParams.set('state', q.state!);
    if (op.responseIss !== null) back.searchParams.set('iss', op.responseIss ?? op.issuer);
    res.redirect(302, back.href);
  });
  app.post('/token', express.urlencoded({ extended: false }), async (req, res) => {
    // RFC 6749 §2.3.1: client id and secret form-urlencoded, then Basic
    const [id, secret] = Buffer.from((req.headers.authorization ?? '').replace(/^Basic /, ''), 'base64')
      .toString('utf8')
      .split(':')
      .map((x) => decodeURIComponent(x.replace(/\+/g, ' ')));
    const body = req.body as Record<string, string>;
    const grant = codes.get(body.code ?? '');
    codes.delete(body.code ?? '');
    const verifierOk =
      grant &&
      createHash('sha256')
        .update(body.code_verifier ?? '')
        .digest('base64url') === grant.challenge;
    if (id !== o.clientId || secret !== o.clientSecret || !grant || !verifierOk || body.redirect_uri !== grant.redirectUri) {
      res.status(400).json({ error: 'invalid_grant' });
      return;
    }
    const n = op.next;
    const now = Math.floor(Date.now() / 1000);
    const payload = {
      sub: 'rogue-sub-1',
      ...o.claims,
      ...n.claims,
      nonce: n.nonce ?? grant.nonce,
      ...(n.acr ? { acr: n.acr } : {}),
      ...(n.azp ? { azp: n.azp } : {}),
    };
    const jwt = new SignJWT(payload)
      .setIssuer(n.iss ?? op.issuer)
      .setAudience(n.aud ?? o.clientId)
      .setIssuedAt(n.iat ?? now)
      .setExpirationTime(n.exp ?? now + 300);
    const alg = n.alg ?? 'RS256';
    const key = keys[n.unpublishedKey ? 1 : published - 1]!;
    let idToken: string;
    if (alg === 'none') {
      const b64 = (x: unknown) => Buffer.from(JSON.stringify(x)).toString('base64url');
      idToken = `${b64({ alg: 'none', typ: 'JWT' })}.${b64({ ...payload, iss: n.iss ?? op.issuer, aud: n.aud ?? o.clientId, iat: now, exp: now + 300 })}.`;
    } else if (alg === 'HS256') idToken = await jwt.setProtectedHeader({ alg }).sign(new TextEncoder().encode(o.clientSecret));
    else idToken = await jwt.setProtectedHeader({ alg, kid: key.kid }).sign(key.privateKey);
    op.lastIdToken = idToken;
    res.json({ access_token: randomBytes(16).toString('hex'), token_type: 'Bearer', expires_in: 300, id_token: idToken });
  });
  app.get('/userinfo', (_req, res) => {
    res.json({ sub: 'rogue-sub-1', ...o.claims });
  });
  const server = app.listen(0, '127.0.0.1');
  await new Promise((r) => server.once('listening', r));
  op.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  op.issuer = op.url;
  return op;
}

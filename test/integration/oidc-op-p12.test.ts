// The OpenID provider's ID-token signing key from configuration (SEGL_OIDC_P12, as production takes
// it): a PKCS#12 file made by openssl. The JWKS publishes that key (its modulus and certificate as
// the operator's PEM has them, no private part); a passphrase that does not open the file is said in
// the log at start (never the passphrase) and the provider answers nothing.
import { createPublicKey, X509Certificate } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { capturedLog, opensslP12 } from '../support/p12';
import { startServer, type TestServer } from '../support/server';

jest.setTimeout(120_000);

describe('ID-token signing key from SEGL_OIDC_P12', () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'segl-oidc-p12-'));
  const servers: TestServer[] = [];
  const p12 = path.join(dir, 'oidc.p12');

  beforeAll(() => opensslP12(dir, 'oidc', '/CN=login.example.com\\/oidc/O=Example A\\/S/C=DK', 'p12-secret'));
  afterAll(async () => {
    for (const s of servers) await s.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  test('the JWKS publishes the configured key and certificate', async () => {
    const s = await startServer('sqlite', { SEGL_OIDC_P12: p12, SEGL_OIDC_P12_PASSPHRASE: 'p12-secret' });
    servers.push(s);
    const meta = (await (await fetch(`${s.url}/oidc/.well-known/openid-configuration`)).json()) as Record<string, unknown>;
    expect(meta).toMatchObject({
      issuer: `${s.url}/oidc`,
      response_types_supported: ['code'],
      code_challenge_methods_supported: ['S256'],
      authorization_response_iss_parameter_supported: true,
      id_token_signing_alg_values_supported: expect.arrayContaining(['RS256']),
      token_endpoint_auth_methods_supported: expect.arrayContaining(['client_secret_basic', 'client_secret_post', 'none']),
    });
    expect(meta.grant_types_supported).not.toContain('refresh_token');
    const jwks = (await (await fetch(String(meta.jwks_uri))).json()) as { keys: Array<Record<string, unknown>> };
    expect(jwks.keys).toHaveLength(1);
    const key = jwks.keys[0]!;
    const pem = readFileSync(path.join(dir, 'oidc.pem'), 'utf8');
    expect(key).toMatchObject({ kty: 'RSA', alg: 'RS256', use: 'sig', n: createPublicKey(pem).export({ format: 'jwk' }).n });
    expect(key.d).toBeUndefined();
    expect(new X509Certificate(Buffer.from((key.x5c as string[])[0]!, 'base64')).fingerprint256).toBe(
      new X509Certificate(pem).fingerprint256,
    );
  });

  test('a passphrase that does not open the file: said in the log at start, and the provider answers nothing', async () => {
    const { log, lines } = capturedLog();
    const s = await startServer('sqlite', { SEGL_OIDC_P12: p12, SEGL_OIDC_P12_PASSPHRASE: 'not-the-p12-passphrase' }, { log });
    servers.push(s);
    await new Promise((r) => setTimeout(r, 500));
    expect(lines.join('')).toContain('SEGL_OIDC_P12 cannot be used');
    expect(lines.join('')).not.toContain('not-the-p12-passphrase');
    const r = await fetch(`${s.url}/oidc/.well-known/openid-configuration`);
    expect(r.status).toBe(500);
  });
});

// Issue 10 items 1 and 6 at the real start: `segl start` (the built CLI) in production with the
// test eID, the test CA or a weak secret stops before opening anything (exit code 2) and says why;
// a proper production configuration starts without /testid/ and without /pki/. Also: a refused
// start writes nothing into DATA_DIR.
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { loadConfig } from '../../src/config';
import { startRuntime } from '../../src/runtime';
import { productionEnv } from '../support/production';
import { REPO } from '../support/soap';

const exec = promisify(execFile);
const BIN = path.join(REPO, 'bin', 'segl.js');

async function start(env: Record<string, string>): Promise<{ code: number; stderr: string }> {
  try {
    await exec(process.execPath, [BIN, 'start'], {
      env: { PATH: process.env.PATH, HOME: process.env.HOME, LOG_LEVEL: 'warn', PORT: '0', ...env },
      timeout: 30_000,
    });
    return { code: 0, stderr: '' };
  } catch (e) {
    const err = e as { code: number; stderr: string };
    return { code: err.code, stderr: err.stderr };
  }
}

describe('production start refusals (built CLI)', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'segl-prod-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  test('SEGL_TEST_EID=1 in production: exit 2, the reason, nothing written', async () => {
    const r = await start({ ...productionEnv({ SEGL_TEST_EID: '1' }), DATA_DIR: path.join(dir, 'data') });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('segl: production mode refuses to start:');
    expect(r.stderr).toContain(
      'SEGL_TEST_EID=1: the test eID lets anyone create a test user with any CPR and sign as that person; production never offers it (use a preprod instance for testing)',
    );
    expect(existsSync(path.join(dir, 'data'))).toBe(false);
  });

  test('SEGL_TEST_CA=1 in production: exit 2', async () => {
    const r = await start({ ...productionEnv({ SEGL_TEST_CA: '1' }), DATA_DIR: dir });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('SEGL_TEST_CA=1: the test CA is a self-made root');
  });

  test.each([
    ['aaaa…', 'a'.repeat(44)],
    ['1234…', '1234567890'.repeat(5)],
  ])('a %s SEGL_SECRET in production: exit 2 with how to make one', async (_w, secret) => {
    const r = await start({ ...productionEnv({ SEGL_SECRET: secret }), DATA_DIR: dir });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/SEGL_SECRET is too predictable \(estimated \d+ bits, production needs 128/);
    expect(r.stderr).toContain('openssl rand -base64 32');
    expect(r.stderr).not.toContain(secret);
    expect(readdirSync(dir)).toEqual([]);
  });

  test('the docker-compose placeholder is refused in preprod too', async () => {
    const r = await start({ SEGL_SECRET: 'change-me-in-production-please-32chars', DATA_DIR: dir });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('SEGL_SECRET looks like a default or placeholder');
  });

  test('a proper production instance has no test eID tool, no test PKI and no test eID methods', async () => {
    const rt = await startRuntime(loadConfig({ ...productionEnv(), PORT: '0', HOST: '127.0.0.1', DATA_DIR: dir, LOG_LEVEL: 'silent' }), {
      http: true,
      worker: false,
    });
    try {
      expect(rt.testid).toBeUndefined();
      expect((await fetch(`${rt.url}/testid/`)).status).toBe(404);
      expect((await fetch(`${rt.url}/pki/root.pem`)).status).toBe(404);
      // the test IdP (docs/oidc-eid.md) is preprod only
      expect((await fetch(`${rt.url}/testidp/eidhub/.well-known/openid-configuration`)).status).toBe(404);
      // without SEGL_SAML_P12 the authentication service is off (the start banner says so)
      expect((await fetch(`${rt.url}/std/saml-certificate.pem`)).status).toBe(404);
      expect((await fetch(`${rt.url}/std/method/demo?id=nemid&target=https%3A%2F%2Fa.example%2F`)).status).toBe(404);
      // without SEGL_OIDC_P12 the OpenID provider is off too
      expect((await fetch(`${rt.url}/oidc/.well-known/openid-configuration`)).status).toBe(404);
      const svc = await rt.services.create('bank', 'bank-password-1');
      await expect(
        rt.documents.requests.createRequest(svc, [
          {
            document: [{ kind: 'provided-document', id: 'd', mimeType: 'text/plain', description: 'd' }],
            task: [{ id: 't', documentAction: [{ type: 'sign', documentRef: 'd' }], signature: [{ method: [{ value: 'nemid-sign' }] }] }],
          },
        ]),
      ).rejects.toThrow(/"nemid-sign" is not a known eID method here/);
    } finally {
      await rt.close();
    }
  });

  test('a Config built by hand cannot slip the test eID into production either', async () => {
    const cfg = { ...loadConfig({ ...productionEnv(), DATA_DIR: dir, LOG_LEVEL: 'silent' }), testEid: true };
    await expect(startRuntime(cfg, { http: false, worker: false })).rejects.toThrow('production mode refuses the test eID and the test CA');
  });
});

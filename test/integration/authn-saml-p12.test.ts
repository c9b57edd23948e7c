// The SAML signing key from configuration (SEGL_SAML_P12, as production takes it): a PKCS#12 file made
// by openssl. segl publishes that certificate and signs its Responses with that key (xmlsec1 verifies
// them against the operator's own PEM); a passphrase that does not open the file is said in the log
// at start and no login starts.
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import { promisify } from 'node:util';
import pino from 'pino';
import { AuthnRepository } from '../../src/store/authn';
import { PortalClient } from '../support/portalclient';
import { startServer, type TestServer } from '../support/server';

jest.setTimeout(120_000);
const run = promisify(execFile);
const TARGET = 'https://rp.example/auth/verify';

describe('SAML signing key from SEGL_SAML_P12', () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'segl-saml-p12-'));
  const servers: TestServer[] = [];
  const pem = () => readFileSync(path.join(dir, 'saml.pem'), 'utf8');

  beforeAll(async () => {
    await run('openssl', [
      'req',
      '-x509',
      '-newkey',
      'rsa:2048',
      '-nodes',
      '-keyout',
      path.join(dir, 'saml.key'),
      '-out',
      path.join(dir, 'saml.pem'),
      '-subj',
      '/CN=login.example.com\\/std/O=Example A\\/S/C=DK',
      '-days',
      '30',
    ]);
    await run('openssl', [
      'pkcs12',
      '-export',
      '-inkey',
      path.join(dir, 'saml.key'),
      '-in',
      path.join(dir, 'saml.pem'),
      '-passout',
      'pass:p12-secret',
      '-out',
      path.join(dir, 'saml.p12'),
    ]);
  });
  afterAll(async () => {
    for (const s of servers) await s.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  test('publishes the configured certificate and signs with its key', async () => {
    const s = await startServer('sqlite', { SEGL_SAML_P12: path.join(dir, 'saml.p12'), SEGL_SAML_P12_PASSPHRASE: 'p12-secret' });
    servers.push(s);
    const published = await (await fetch(`${s.url}/std/saml-certificate.pem`)).text();
    const body = (p: string) => p.replace(/-----[^-]+-----|\s/g, '');
    expect(body(published)).toBe(body(pem()));
    const demo = (await s.rt.services.find('demo'))!;
    await new AuthnRepository(s.rt.db).setTargets(demo.id, ['https://rp.example/auth/'], new Date().toISOString());
    const c = new PortalClient(s.url);
    const started = await c.get(`/std/method/demo?id=nemid&target=${encodeURIComponent(TARGET)}`);
    await c.get(started.location!);
    const [base, q] = started.location!.split('?');
    const done = await c.post(`${base}/login?${q}`, { do: 'cancel' });
    const xml = Buffer.from(/name="SAMLResponse" value="([^"]+)"/.exec(done.text)![1]!, 'base64').toString('utf8');
    const file = path.join(dir, 'response.xml');
    writeFileSync(file, xml);
    const verified = await run('xmlsec1', [
      '--verify',
      '--id-attr:ResponseID',
      'Response',
      '--pubkey-cert-pem',
      path.join(dir, 'saml.pem'),
      file,
    ]);
    expect(verified.stderr).toContain('OK');
  });

  test('a passphrase that does not open the file: said in the log at start, and no login starts', async () => {
    const lines: string[] = [];
    const sink = new Writable({
      write(chunk: Buffer, _e, done) {
        lines.push(chunk.toString('utf8'));
        done();
      },
    });
    const s = await startServer(
      'sqlite',
      { SEGL_SAML_P12: path.join(dir, 'saml.p12'), SEGL_SAML_P12_PASSPHRASE: 'not-the-p12-passphrase' },
      { log: pino({ level: 'info' }, sink) },
    );
    servers.push(s);
    const demo = (await s.rt.services.find('demo'))!;
    await new AuthnRepository(s.rt.db).setTargets(demo.id, ['https://rp.example/auth/'], new Date().toISOString());
    await new Promise((r) => setTimeout(r, 500));
    expect(lines.join('')).toContain('SEGL_SAML_P12 cannot be used');
    expect(lines.join('')).not.toContain('not-the-p12-passphrase');
    const r = await fetch(`${s.url}/std/method/demo?id=nemid&target=${encodeURIComponent(TARGET)}`, { redirect: 'manual' });
    expect(r.status).toBe(500);
    const n = (await s.rt.db.query('SELECT COUNT(*) AS n FROM login_transaction')) as Array<{ n: number }>;
    expect(Number(n[0]!.n)).toBe(0);
  });
});

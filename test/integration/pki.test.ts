// segl's public trust endpoints against openssl (the outside verifier): certificates, the CRL,
// OCSP over POST and GET for good, revoked, locked and unlocked certificates, and the TSA.
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import type * as x509 from '@peculiar/x509';
import { generateKeys } from '../../src/trust/crypto';
import { serialHex } from '../../src/testca/pki';
import { startServer, type TestServer } from '../support/server';

const run = promisify(execFile);
/** openssl's output (stdout and stderr together), without throwing on a non-zero exit. */
async function openssl(args: string[]): Promise<{ code: number; out: string }> {
  try {
    const r = await run('openssl', args, { encoding: 'utf8' });
    return { code: 0, out: r.stdout + r.stderr };
  } catch (e) {
    const err = e as { code: number; stdout: string; stderr: string };
    return { code: err.code, out: err.stdout + err.stderr };
  }
}

describe('trust endpoints (SQLite)', () => {
  let s: TestServer;
  let dir: string;
  const file = (n: string) => path.join(dir, n);
  const person = async (name: string): Promise<x509.X509Certificate> => {
    const keys = await generateKeys();
    return (await s.rt.ca()).issuePerson({
      commonName: name,
      pid: `9208-2002-2-${Math.floor(Math.random() * 1e12)}`,
      publicKey: keys.publicKey,
    });
  };
  const ocsp = (cert: string, extra: string[] = []) =>
    openssl([
      'ocsp',
      '-issuer',
      file('ca.pem'),
      '-cert',
      cert,
      '-url',
      `${s.url}/pki/ocsp`,
      '-CAfile',
      file('chain.pem'),
      '-resp_text',
      ...extra,
    ]);

  beforeAll(async () => {
    s = await startServer('sqlite');
    dir = mkdtempSync(path.join(os.tmpdir(), 'segl-pki-'));
    for (const [name, url] of [
      ['root.pem', '/pki/root.pem'],
      ['ca.pem', '/pki/ca.pem'],
      ['seal.pem', '/pki/seal.pem'],
      ['tsa.pem', '/pki/tsa.pem'],
      ['service-ca.pem', '/pki/service-ca.pem'],
    ]) {
      const res = await fetch(`${s.url}${url}`);
      expect(res.status).toBe(200);
      writeFileSync(file(name!), await res.text());
    }
    writeFileSync(file('chain.pem'), `${readFileSync(file('root.pem'), 'utf8').trim()}\n${readFileSync(file('ca.pem'), 'utf8').trim()}\n`);
  }, 60_000);
  afterAll(async () => {
    await s.stop();
  });

  test('the published certificates chain to the root; the seal verifies through the service CA', async () => {
    expect((await openssl(['verify', '-CAfile', file('root.pem'), file('ca.pem')])).out).toContain(': OK');
    expect((await openssl(['verify', '-CAfile', file('root.pem'), file('service-ca.pem')])).out).toContain(': OK');
    expect((await openssl(['verify', '-CAfile', file('root.pem'), '-untrusted', file('service-ca.pem'), file('seal.pem')])).out).toContain(
      ': OK',
    );
  });

  test('OCSP over POST: good, revoked with keyCompromise, locked (certificateHold) and unlocked again', async () => {
    const good = await person('Good Person');
    const revoked = await person('Revoked Person');
    const locked = await person('Locked Person');
    for (const [n, c] of [
      ['good', good],
      ['revoked', revoked],
      ['locked', locked],
    ] as const)
      writeFileSync(file(`${n}.pem`), c.toString('pem'));
    const ca = await s.rt.ca();
    await ca.revoke(serialHex(revoked), 'keyCompromise');
    await ca.lock(serialHex(locked));

    const g = await ocsp(file('good.pem'), ['-nonce']);
    expect(g.out).toContain('Response verify OK');
    expect(g.out).toMatch(/good\.pem: good/);
    expect(g.out).not.toContain('WARNING: no nonce');
    expect(g.out).not.toMatch(/Produced At: \w+ +\d+ [\d:]+\.\d/); // whole seconds (NSS refuses fractions)
    const r = await ocsp(file('revoked.pem'));
    expect(r.out).toMatch(/revoked\.pem: revoked/);
    expect(r.out).toContain('Reason: keyCompromise');
    const l = await ocsp(file('locked.pem'));
    expect(l.out).toMatch(/locked\.pem: revoked/);
    expect(l.out).toContain('Reason: certificateHold');
    await ca.unlock(serialHex(locked));
    expect((await ocsp(file('locked.pem'))).out).toMatch(/locked\.pem: good/);
    await expect(ca.unlock(serialHex(revoked))).rejects.toThrow(/revocation is final/);
  }, 60_000);

  test('OCSP over GET (RFC 6960 A.1) answers the same', async () => {
    const c = await person('Get Person');
    writeFileSync(file('get.pem'), c.toString('pem'));
    await openssl(['ocsp', '-issuer', file('ca.pem'), '-cert', file('get.pem'), '-reqout', file('req.der'), '-no_nonce']);
    const b64 = readFileSync(file('req.der')).toString('base64');
    const res = await fetch(`${s.url}/pki/ocsp/${encodeURIComponent(b64)}`);
    expect(res.headers.get('content-type')).toBe('application/ocsp-response');
    writeFileSync(file('resp.der'), Buffer.from(await res.arrayBuffer()));
    const v = await openssl([
      'ocsp',
      '-respin',
      file('resp.der'),
      '-issuer',
      file('ca.pem'),
      '-cert',
      file('get.pem'),
      '-CAfile',
      file('chain.pem'),
    ]);
    expect(v.out).toContain('Response verify OK');
    expect(v.out).toMatch(/get\.pem: good/);
  }, 30_000);

  test('the CRL lists revoked and locked certificates: openssl verify -crl_check refuses them', async () => {
    const ok = await person('Crl Good');
    const bad = await person('Crl Revoked');
    writeFileSync(file('crl-ok.pem'), ok.toString('pem'));
    writeFileSync(file('crl-bad.pem'), bad.toString('pem'));
    await (await s.rt.ca()).revoke(serialHex(bad), 'keyCompromise');
    writeFileSync(file('crl.der'), Buffer.from(await (await fetch(`${s.url}/pki/crl`)).arrayBuffer()));
    writeFileSync(file('root.crl.der'), Buffer.from(await (await fetch(`${s.url}/pki/root.crl`)).arrayBuffer()));
    await openssl(['crl', '-inform', 'DER', '-in', file('crl.der'), '-out', file('crl.pem')]);
    await openssl(['crl', '-inform', 'DER', '-in', file('root.crl.der'), '-out', file('root.crl.pem')]);
    writeFileSync(
      file('crls.pem'),
      `${readFileSync(file('crl.pem'), 'utf8').trim()}\n${readFileSync(file('root.crl.pem'), 'utf8').trim()}\n`,
    );
    const text = await openssl(['crl', '-in', file('crl.pem'), '-noout', '-text']);
    expect(text.out).toContain(serialHex(bad).toUpperCase());
    const args = (f: string) => ['verify', '-crl_check_all', '-CRLfile', file('crls.pem'), '-CAfile', file('chain.pem'), f];
    expect((await openssl(args(file('crl-ok.pem')))).out).toContain(': OK');
    const refused = await openssl(args(file('crl-bad.pem')));
    expect(refused.code).not.toBe(0);
    expect(refused.out).toMatch(/error 23 at 0 depth lookup: certificate revoked/);
  }, 60_000);

  test('the TSA answers RFC 3161 queries that openssl ts -verify accepts', async () => {
    writeFileSync(file('data.txt'), 'what was signed, and when\n');
    await openssl(['ts', '-query', '-data', file('data.txt'), '-sha256', '-cert', '-out', file('q.tsq')]);
    const res = await fetch(`${s.url}/pki/tsa`, {
      method: 'POST',
      headers: { 'content-type': 'application/timestamp-query' },
      body: readFileSync(file('q.tsq')),
    });
    expect(res.headers.get('content-type')).toBe('application/timestamp-reply');
    writeFileSync(file('r.tsr'), Buffer.from(await res.arrayBuffer()));
    const v = await openssl([
      'ts',
      '-verify',
      '-data',
      file('data.txt'),
      '-in',
      file('r.tsr'),
      '-CAfile',
      file('root.pem'),
      '-untrusted',
      file('service-ca.pem'),
    ]);
    expect(v.out).toContain('Verification: OK');
    writeFileSync(file('other.txt'), 'something else\n');
    const w = await openssl([
      'ts',
      '-verify',
      '-data',
      file('other.txt'),
      '-in',
      file('r.tsr'),
      '-CAfile',
      file('root.pem'),
      '-untrusted',
      file('service-ca.pem'),
    ]);
    expect(w.out).not.toContain('Verification: OK');
    const bad = await fetch(`${s.url}/pki/tsa`, { method: 'POST', headers: { 'content-type': 'text/plain' }, body: 'x' });
    expect(bad.status).toBe(415);
  }, 30_000);
});

// The platform's own certificates (seal, TSA) have their own issuing CA, "segl test Service CA", under
// the same root as the person CA, with its own OCSP responder and CRL; outside tools (openssl, xmlsec1)
// check all of it against a real segl. An installation whose DATA_DIR/pki was made before the service
// CA existed (test/fixtures/pki-v1, written by that segl) is upgraded on start and keeps working.
import { signTask } from '../support/sign';
import { execFile } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { generateKeys } from '../../src/trust/crypto'; // first: it loads reflect-metadata, which @peculiar/x509 needs
import * as x509 from '@peculiar/x509';
import type { ServiceAccount } from '../../src/core/ports';
import { verifyLtvSdo } from '../../src/signing/offline';
import { startServer, type TestServer } from '../support/server';
import { envelope, NS, post } from '../support/soap';

const run = promisify(execFile);
async function tool(cmd: string, args: string[]): Promise<{ code: number; out: string }> {
  try {
    const r = await run(cmd, args, { encoding: 'utf8' });
    return { code: 0, out: r.stdout + r.stderr };
  } catch (e) {
    const err = e as { code: number; stdout: string; stderr: string };
    return { code: err.code, out: (err.stdout ?? '') + (err.stderr ?? '') };
  }
}
const openssl = (args: string[]) => tool('openssl', args);

/** One signed and sealed LTV-SDO from a fresh request (a test-eID person signs a text document). */
async function sealedPackage(s: TestServer): Promise<string> {
  const doc = Buffer.from('The platform seal is issued by the service CA.\n');
  const r = await post(
    s.endpoint,
    envelope(
      `<create-request-request xmlns="${NS}"><service>demo</service><password>${s.demoPassword}</password><request>` +
        `<document xsi:type="provided-document" id="d" mime-type="text/plain"><data>${doc.toString('base64')}</data><description>d</description></document>` +
        '<task id="t1"><document-action type="sign"><document-ref>d</document-ref></document-action></task></request></create-request-request>',
    ),
  );
  const requestId = /<request-id>([^<]+)</.exec(r.text)![1]!;
  const keys = await generateKeys();
  const certificate = await (
    await s.rt.ca()
  ).issuePerson({ commonName: 'Sara Service', pid: '9208-2002-2-000000000042', publicKey: keys.publicKey });
  const svc = (await s.rt.services.find('demo')) as ServiceAccount;
  const out = await signTask(s.rt, svc, requestId, { certificate, keys }, { documentIds: ['d'] });
  if (!out.ok) throw new Error(`signing failed at ${out.stage}: ${out.reason}`);
  return out.packageXml;
}

/**
 * The xmlsec1 command (docs/security.md "The test PKI") that verifies one signature of an LTV-SDO: the test root as the trust
 * anchor, both issuing CAs as untrusted intermediates (the native signature chains through the person
 * CA, the seal through the service CA), and the ds:Signature's Id declared as an ID so --node-id finds it.
 */
const xmlsecArgs = (dir: string, id: string, file: string): string[] => [
  '--verify',
  '--trusted-pem',
  path.join(dir, 'root.pem'),
  '--untrusted-pem',
  path.join(dir, 'ca.pem'),
  '--untrusted-pem',
  path.join(dir, 'service-ca.pem'),
  '--id-attr:Id',
  'http://www.w3.org/2000/09/xmldsig#:Signature',
  '--node-id',
  id,
  file,
];

/** The same as docs/security.md gives it: both signatures of sdo.xml, with root.pem, ca.pem and service-ca.pem beside it. */
const README_XMLSEC = `for id in $(grep -o '<ds:Signature [^>]*Id="[^"]*"' sdo.xml | sed 's/.*Id="//; s/"$//'); do
  xmlsec1 --verify --trusted-pem root.pem --untrusted-pem ca.pem --untrusted-pem service-ca.pem \\
    --id-attr:Id http://www.w3.org/2000/09/xmldsig#:Signature --node-id "$id" sdo.xml || echo "FAILED: $id"
done`;

describe('the service CA (SQLite)', () => {
  let s: TestServer;
  let dir: string;
  const file = (n: string) => path.join(dir, n);

  beforeAll(async () => {
    s = await startServer('sqlite');
    dir = mkdtempSync(path.join(os.tmpdir(), 'segl-service-ca-'));
    for (const name of ['root.pem', 'ca.pem', 'service-ca.pem', 'seal.pem', 'tsa.pem', 'ocsp.pem', 'service-ocsp.pem']) {
      const res = await fetch(`${s.url}/pki/${name}`);
      expect(res.status).toBe(200);
      writeFileSync(file(name), await res.text());
    }
    writeFileSync(
      file('service-chain.pem'),
      `${readFileSync(file('root.pem'), 'utf8').trim()}\n${readFileSync(file('service-ca.pem'), 'utf8').trim()}\n`,
    );
  }, 60_000);
  afterAll(async () => {
    await s.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  test('the seal, the TSA and the service OCSP responder are issued by the service CA, which the root issued; not by the person CA', async () => {
    for (const leaf of ['seal.pem', 'tsa.pem', 'service-ocsp.pem']) {
      expect((await openssl(['x509', '-in', file(leaf), '-noout', '-issuer'])).out).toMatch(
        /^issuer=CN = segl test Service CA, O = segl test, C = DK$/m,
      );
      expect((await openssl(['verify', '-CAfile', file('root.pem'), '-untrusted', file('service-ca.pem'), file(leaf)])).out).toContain(
        ': OK',
      );
      const viaPersonCa = await openssl(['verify', '-CAfile', file('root.pem'), '-untrusted', file('ca.pem'), file(leaf)]);
      expect(viaPersonCa.code).not.toBe(0);
    }
    expect((await openssl(['x509', '-in', file('service-ca.pem'), '-noout', '-subject', '-issuer'])).out).toMatch(
      /subject=CN = segl test Service CA, O = segl test, C = DK\nissuer=CN = segl test Root CA/,
    );
    // RFC 6960 §4.2.2.2: the responder for person certificates stays under the person CA.
    expect((await openssl(['x509', '-in', file('ocsp.pem'), '-noout', '-issuer'])).out).toMatch(/issuer=CN = segl test Person CA/);
  });

  test("/pki/ocsp answers for the seal and the TSA with the service CA's own responder (openssl ocsp)", async () => {
    for (const leaf of ['seal.pem', 'tsa.pem']) {
      const r = await openssl([
        'ocsp',
        '-issuer',
        file('service-ca.pem'),
        '-cert',
        file(leaf),
        '-url',
        `${s.url}/pki/ocsp`,
        '-CAfile',
        file('service-chain.pem'),
        '-nonce',
        '-resp_text',
      ]);
      expect(r.out).toContain('Response verify OK');
      expect(r.out).toContain(`${file(leaf)}: good`);
      expect(r.out).toMatch(/Subject: CN ?= ?segl test Service OCSP Responder,/);
      expect(r.out).not.toMatch(/Subject: CN ?= ?segl test OCSP Responder,/);
    }
    // The person CA did not issue the seal: asked in the person CA's name about its serial, the answer is unknown.
    const wrongCa = await openssl([
      'ocsp',
      '-issuer',
      file('ca.pem'),
      '-cert',
      file('seal.pem'),
      '-url',
      `${s.url}/pki/ocsp`,
      '-CAfile',
      `${file('root.pem')}`,
      '-verify_other',
      file('ca.pem'),
      '-resp_text',
    ]);
    expect(wrongCa.out).toContain(`${file('seal.pem')}: unknown`);
  }, 60_000);

  test("the service CA's CRL (/pki/service.crl) and the root's CRL pass openssl verify -crl_check_all for the seal and the TSA", async () => {
    writeFileSync(file('service.crl.der'), Buffer.from(await (await fetch(`${s.url}/pki/service.crl`)).arrayBuffer()));
    writeFileSync(file('root.crl.der'), Buffer.from(await (await fetch(`${s.url}/pki/root.crl`)).arrayBuffer()));
    await openssl(['crl', '-inform', 'DER', '-in', file('service.crl.der'), '-out', file('service.crl.pem')]);
    await openssl(['crl', '-inform', 'DER', '-in', file('root.crl.der'), '-out', file('root.crl.pem')]);
    expect((await openssl(['crl', '-in', file('service.crl.pem'), '-noout', '-issuer'])).out).toMatch(/issuer=CN = segl test Service CA/);
    expect((await openssl(['crl', '-in', file('service.crl.pem'), '-noout', '-verify', '-CAfile', file('service-ca.pem')])).out).toMatch(
      /verify OK/,
    );
    writeFileSync(
      file('crls.pem'),
      `${readFileSync(file('service.crl.pem'), 'utf8').trim()}\n${readFileSync(file('root.crl.pem'), 'utf8').trim()}\n`,
    );
    for (const leaf of ['seal.pem', 'tsa.pem']) {
      const r = await openssl(['verify', '-crl_check_all', '-CRLfile', file('crls.pem'), '-CAfile', file('service-chain.pem'), file(leaf)]);
      expect(r.out).toContain(': OK');
    }
    // Without the service CA's CRL the same check cannot be made: the CRL is what vouches for the seal.
    const missing = await openssl([
      'verify',
      '-crl_check_all',
      '-CRLfile',
      file('root.crl.pem'),
      '-CAfile',
      file('service-chain.pem'),
      file('seal.pem'),
    ]);
    expect(missing.out).toMatch(/unable to get certificate CRL/);
    // The seal names that CRL and the service CA's certificate.
    const text = (await openssl(['x509', '-in', file('seal.pem'), '-noout', '-text'])).out;
    expect(text).toContain(`URI:${s.url}/pki/service.crl`);
    expect(text).toContain(`CA Issuers - URI:${s.url}/pki/service-ca.pem`);
  }, 60_000);

  test("a sealed LTV-SDO: xmlsec1 verifies both signatures with both issuing CAs, not with the person CA alone; segl's offline verification passes", async () => {
    const sdo = await sealedPackage(s);
    writeFileSync(file('sdo.xml'), sdo);
    const ids = [...sdo.matchAll(/<ds:Signature[^>]*\sId="([^"]+)"/g)].map((m) => m[1]!);
    expect(ids).toHaveLength(2);
    const [nativeId, sealId] = ids as [string, string];
    expect(sealId).toMatch(/^seal-/);
    for (const id of ids) {
      const r = await tool('xmlsec1', xmlsecArgs(dir, id, file('sdo.xml')));
      expect(r.out).toMatch(/^OK$/m);
      expect(r.code).toBe(0);
    }
    // The shell loop of docs/security.md, run as written: two OKs; one flipped byte of the signed text fails both.
    const readme = await tool('sh', ['-c', `cd '${dir}' && ${README_XMLSEC}`]);
    expect(readme.out.match(/^OK$/gm)).toHaveLength(2);
    expect(readme.out).not.toContain('FAILED');
    const bad = mkdtempSync(path.join(os.tmpdir(), 'segl-service-ca-bad-'));
    for (const f of ['root.pem', 'ca.pem', 'service-ca.pem']) copyFileSync(file(f), path.join(bad, f));
    writeFileSync(path.join(bad, 'sdo.xml'), sdo.replace('I agree.', 'I agreE.'));
    const broken = await tool('sh', ['-c', `cd '${bad}' && ${README_XMLSEC}`]);
    expect(broken.out).not.toMatch(/^OK$/m);
    expect(broken.out.match(/^FAILED: /gm)).toHaveLength(2);
    rmSync(bad, { recursive: true, force: true });

    // The person CA alone (the command before the service CA existed) verifies the native signature only.
    const personOnly = (id: string) =>
      tool('xmlsec1', [
        '--verify',
        '--trusted-pem',
        file('root.pem'),
        '--untrusted-pem',
        file('ca.pem'),
        '--id-attr:Id',
        'http://www.w3.org/2000/09/xmldsig#:Signature',
        '--node-id',
        id,
        file('sdo.xml'),
      ]);
    expect((await personOnly(nativeId)).out).toMatch(/^OK$/m);
    expect((await personOnly(sealId)).out).not.toMatch(/^OK$/m);

    // The seal carries the service CA in CertificateValues and the service responder's OCSP answer.
    const serviceCa = new x509.X509Certificate(readFileSync(file('service-ca.pem'), 'utf8'));
    expect(sdo).toContain(Buffer.from(serviceCa.rawData).toString('base64'));
    const result = await verifyLtvSdo(sdo, [new x509.X509Certificate(readFileSync(file('root.pem'), 'utf8'))]);
    expect(result.indication).toBe('TOTAL-PASSED');
    expect(result.seal.chain?.map((c) => c.subject)).toEqual([
      'CN=segl test Seal, O=segl test, C=DK',
      'CN=segl test Service CA, O=segl test, C=DK',
      'CN=segl test Root CA, O=segl test, C=DK',
    ]);
    expect(result.native?.chain?.[1]?.subject).toBe('CN=segl test Person CA, O=segl test, C=DK');
    expect(result.seal.revocation?.[0]).toMatchObject({ source: 'embedded', status: { status: 'good' } });
  }, 120_000);
});

describe('an installation whose DATA_DIR/pki was made before the service CA (SQLite)', () => {
  // Written by segl's test CA store (src/testca/store.ts) before the service CA existed, with this SEGL_SECRET.
  const fixture = path.join(__dirname, '..', 'fixtures', 'pki-v1');
  const secret = 'segl-v1-fixture-Kq8vT3nZr6Wp2yLm9Xc4Hb7J';
  let s: TestServer;
  let dir: string;
  const file = (n: string) => path.join(dir, n);

  beforeAll(async () => {
    s = await startServer(
      'sqlite',
      { SEGL_SECRET: secret },
      {
        seed: (dataDir) => {
          mkdirSync(path.join(dataDir, 'pki'), { mode: 0o700 });
          for (const f of readdirSync(fixture)) copyFileSync(path.join(fixture, f), path.join(dataDir, 'pki', f));
        },
      },
    );
    dir = mkdtempSync(path.join(os.tmpdir(), 'segl-service-ca-upgrade-'));
  }, 60_000);
  afterAll(async () => {
    await s.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  test('keeps its root, person CA and responder, gets a service CA with a new seal and TSA, and seals packages that verify to the old root', async () => {
    for (const [url, f] of [
      ['/pki/root.pem', 'root.pem'],
      ['/pki/ca.pem', 'personca.pem'],
      ['/pki/ocsp.pem', 'ocsp.pem'],
    ]) {
      expect((await (await fetch(`${s.url}${url}`)).text()).trim()).toBe(readFileSync(path.join(fixture, f!), 'utf8').trim());
    }
    for (const name of ['root.pem', 'ca.pem', 'service-ca.pem', 'seal.pem'])
      writeFileSync(file(name), await (await fetch(`${s.url}/pki/${name}`)).text());
    expect((await openssl(['x509', '-in', file('seal.pem'), '-noout', '-issuer'])).out).toMatch(/issuer=CN = segl test Service CA/);
    expect(
      (await openssl(['verify', '-CAfile', path.join(fixture, 'root.pem'), '-untrusted', file('service-ca.pem'), file('seal.pem')])).out,
    ).toContain(': OK');
    expect(readFileSync(file('seal.pem'), 'utf8').trim()).not.toBe(readFileSync(path.join(fixture, 'seal.pem'), 'utf8').trim());

    const sdo = await sealedPackage(s);
    writeFileSync(file('sdo.xml'), sdo);
    for (const id of [...sdo.matchAll(/<ds:Signature[^>]*\sId="([^"]+)"/g)].map((m) => m[1]!)) {
      expect((await tool('xmlsec1', xmlsecArgs(dir, id, file('sdo.xml')))).out).toMatch(/^OK$/m);
    }
    const result = await verifyLtvSdo(sdo, [new x509.X509Certificate(readFileSync(path.join(fixture, 'root.pem'), 'utf8'))]);
    expect(result.indication).toBe('TOTAL-PASSED');
  }, 120_000);

  test('the retired seal and TSA (issued by the person CA before the upgrade) are still good at OCSP, so older packages keep validating', async () => {
    writeFileSync(
      file('chain.pem'),
      `${readFileSync(path.join(fixture, 'root.pem'), 'utf8').trim()}\n${readFileSync(path.join(fixture, 'personca.pem'), 'utf8').trim()}\n`,
    );
    for (const leaf of ['seal.pem', 'tsa.pem']) {
      const r = await openssl([
        'ocsp',
        '-issuer',
        path.join(fixture, 'personca.pem'),
        '-cert',
        path.join(fixture, leaf),
        '-url',
        `${s.url}/pki/ocsp`,
        '-CAfile',
        file('chain.pem'),
        '-resp_text',
      ]);
      expect(r.out).toContain('Response verify OK');
      expect(r.out).toContain(`${path.join(fixture, leaf)}: good`);
    }
    const files = readdirSync(path.join(s.dataDir, 'pki'));
    expect(files).toEqual(expect.arrayContaining(['serviceca.pem', 'serviceocsp.pem', 'retired']));
    expect(JSON.parse(readFileSync(path.join(s.dataDir, 'pki', 'pki.json'), 'utf8'))).toMatchObject({ version: 2 });
  }, 60_000);
});

// Production trust services by configuration: the seal key and chain from a PKCS#12 file made by
// openssl, an external RFC 3161 TSA over HTTP and a directory of trust anchors. The package is
// sealed by the external key (xmlsec1 trusts only the external root for it) and time-stamped by
// the external TSA; the signer still comes from the test eID's CA.
import { signTask } from '../support/sign';
import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { loadConfig } from '../../src/config';
import { crypto, generateKeys } from '../../src/trust/crypto';
import { createTestPki, toPem, type TestPki } from '../../src/testca/pki';
import { respondOcsp } from '../../src/trust/ocsp/responder';
import { readTimestampToken } from '../../src/trust/tsp/token';
import { respondTimestamp } from '../../src/trust/tsp/responder';
import { readBody } from '../support/http';
import { startServer, type TestServer } from '../support/server';
import { envelope, NS, post } from '../support/soap';

const run = promisify(execFile);

describe('external trust services (SQLite)', () => {
  let ext: TestPki;
  let extServer: http.Server;
  let tsaCalls = 0;
  let s: TestServer;
  let dir: string;

  beforeAll(async () => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'segl-ext-'));
    // The external CA's OCSP responder and TSA, on their own port.
    extServer = http.createServer(async (req, res) => {
      const body = await readBody(req);
      if (req.url === '/ocsp') {
        res.setHeader('content-type', 'application/ocsp-response');
        res.end(
          Buffer.from(
            await respondOcsp(body, [
              { responder: ext.ocsp, issuer: ext.personCa.certificate, lookup: async () => ({ status: 'good' }) },
              { responder: ext.serviceOcsp, issuer: ext.serviceCa.certificate, lookup: async () => ({ status: 'good' }) },
            ]),
          ),
        );
      } else if (req.url === '/tsa') {
        tsaCalls++;
        res.setHeader('content-type', 'application/timestamp-reply');
        res.end(Buffer.from(await respondTimestamp(body, { tsa: ext.tsa, policyOid: '1.3.6.1.4.1.99999.9.9' })));
      } else {
        res.statusCode = 404;
        res.end();
      }
    });
    await new Promise<void>((r) => extServer.listen(0, '127.0.0.1', () => r()));
    const base = `http://127.0.0.1:${(extServer.address() as AddressInfo).port}`;
    ext = await createTestPki({ name: 'external qualified', urls: { ocsp: `${base}/ocsp`, crl: `${base}/crl` } });
    // The seal key and chain as a PKCS#12 file, made by openssl.
    const pkcs8 = new Uint8Array(await crypto.subtle.exportKey('pkcs8', ext.seal.keys.privateKey));
    writeFileSync(path.join(dir, 'seal.key'), toPem(pkcs8, 'PRIVATE KEY'));
    writeFileSync(path.join(dir, 'seal.pem'), ext.seal.certificate.toString('pem'));
    writeFileSync(path.join(dir, 'chain.pem'), `${ext.serviceCa.certificate.toString('pem')}\n${ext.root.certificate.toString('pem')}\n`);
    await run('openssl', [
      'pkcs12',
      '-export',
      '-inkey',
      path.join(dir, 'seal.key'),
      '-in',
      path.join(dir, 'seal.pem'),
      '-certfile',
      path.join(dir, 'chain.pem'),
      '-passout',
      'pass:p12-secret',
      '-out',
      path.join(dir, 'seal.p12'),
    ]);
    mkdirSync(path.join(dir, 'anchors'));
    writeFileSync(path.join(dir, 'anchors', 'external-root.pem'), ext.root.certificate.toString('pem'));
    s = await startServer('sqlite', {
      SEGL_SEAL_P12: path.join(dir, 'seal.p12'),
      SEGL_SEAL_P12_PASSPHRASE: 'p12-secret',
      SEGL_TSA_URL: `${base}/tsa`,
      SEGL_TRUST_ANCHORS: path.join(dir, 'anchors'),
    });
  }, 60_000);
  afterAll(async () => {
    await s.stop();
    await new Promise<void>((r) => extServer.close(() => r()));
  });

  test('the package is sealed with the PKCS#12 key and time-stamped by the external TSA', async () => {
    const r = await post(
      s.endpoint,
      envelope(
        `<create-request-request xmlns="${NS}"><service>demo</service><password>${s.demoPassword}</password><request>` +
          `<document xsi:type="provided-document" id="d" mime-type="text/plain"><data>${Buffer.from('external').toString('base64')}</data><description>d</description></document>` +
          '<task id="t1"><document-action type="sign"><document-ref>d</document-ref></document-action></task></request></create-request-request>',
      ),
    );
    const requestId = /<request-id>([^<]+)</.exec(r.text)![1]!;
    const keys = await generateKeys();
    const certificate = await (
      await s.rt.ca()
    ).issuePerson({ commonName: 'Eve External', pid: '9208-2002-2-000000000001', publicKey: keys.publicKey });
    const out = await signTask(s.rt, (await s.rt.services.find('demo'))!, requestId, { certificate, keys }, { documentIds: ['d'] });
    expect(out.ok).toBe(true);
    if (!out.ok) return;
    expect(tsaCalls).toBe(1);
    const token = Buffer.from(/<TimeStampToken>([^<]+)</.exec(out.packageXml)![1]!, 'base64');
    expect(readTimestampToken(token).policy).toBe('1.3.6.1.4.1.99999.9.9');
    const file = path.join(dir, 'sdo.xml');
    writeFileSync(file, out.packageXml);
    const sealId = [...out.packageXml.matchAll(/<ds:Signature[^>]*\sId="([^"]+)"/g)].map((m) => m[1]!).pop()!;
    writeFileSync(path.join(dir, 'ext-root.pem'), ext.root.certificate.toString('pem'));
    const verify = (root: string) =>
      run('xmlsec1', [
        '--verify',
        '--trusted-pem',
        root,
        '--untrusted-pem',
        path.join(dir, 'chain.pem'),
        '--id-attr:Id',
        'http://www.w3.org/2000/09/xmldsig#:Signature',
        '--node-id',
        sealId,
        file,
      ]).then(
        (x) => x.stdout + x.stderr,
        (e) => `${e.stdout}${e.stderr}`,
      );
    expect(await verify(path.join(dir, 'ext-root.pem'))).toMatch(/^OK$/m);
    // The test root does not vouch for the external seal.
    writeFileSync(path.join(dir, 'test-root.pem'), await (await fetch(`${s.url}/pki/root.pem`)).text());
    expect(await verify(path.join(dir, 'test-root.pem'))).not.toMatch(/^OK$/m);
    expect(out.packageXml).toContain(Buffer.from(ext.serviceCa.certificate.rawData).toString('base64')); // CertificateValues
  }, 60_000);

  test('configuration errors name what is missing', () => {
    expect(() => loadConfig({ SEGL_TEST_CA: '0', SEGL_TEST_EID: '0' })).toThrow(
      'SEGL_TEST_CA=0 needs external trust services: set SEGL_SEAL_P12 (the seal key), SEGL_TSA_URL (a time-stamping authority), SEGL_TRUST_ANCHORS (trust anchors)',
    );
    expect(() =>
      loadConfig({ SEGL_TEST_CA: '0', SEGL_SEAL_P12: 'x', SEGL_TSA_URL: 'http://tsa.example', SEGL_TRUST_ANCHORS: '/tmp' }),
    ).toThrow(/test eID .* needs SEGL_TEST_CA on/);
  });
});

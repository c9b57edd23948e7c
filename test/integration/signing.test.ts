// One signature end to end: native XAdES signature by a test-CA certificate → initial verification
// with OCSP → LTV-SDO → seal → result-uri. Outside checks: xmlsec1 verifies the seal and the native
// signature; one flipped byte fails them and `segl verify`. Revoked and locked signers get no package.
import { signTask } from '../support/sign';
import { execFile } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import type { ServiceAccount } from '../../src/core/ports';
import { generateKeys } from '../../src/trust/crypto';
import { serialHex } from '../../src/testca/pki';
import { startServer, type TestServer } from '../support/server';
import { envelope, NS, post, REPO } from '../support/soap';
import { makePdf } from '../support/pdf';

const run = promisify(execFile);
async function tool(cmd: string, args: string[], env?: NodeJS.ProcessEnv): Promise<{ code: number; out: string }> {
  try {
    const r = await run(cmd, args, { encoding: 'utf8', env: env ?? process.env });
    return { code: 0, out: r.stdout + r.stderr };
  } catch (e) {
    const err = e as { code: number; stdout: string; stderr: string };
    return { code: err.code, out: (err.stdout ?? '') + (err.stderr ?? '') };
  }
}

describe('signing and the sealed LTV-SDO (SQLite)', () => {
  let s: TestServer;
  let svc: ServiceAccount;
  let dir: string;
  const pdf = makePdf({ text: 'Loan agreement 42' });
  const text = 'Terms: 3 % a year.\n';
  const auth = () => `Basic ${Buffer.from(`demo:${s.demoPassword}`).toString('base64')}`;

  async function newRequest(): Promise<string> {
    const doc = (id: string, type: string, bytes: Buffer) =>
      `<document xsi:type="provided-document" id="${id}" mime-type="${type}"><data>${bytes.toString('base64')}</data><description>${id}</description></document>`;
    const r = await post(
      s.endpoint,
      envelope(
        `<create-request-request xmlns="${NS}"><service>demo</service><password>${s.demoPassword}</password><request>` +
          doc('loan', 'application/pdf', pdf) +
          doc('terms', 'text/plain', Buffer.from(text)) +
          '<task id="t1"><document-action type="sign"><document-ref>loan</document-ref></document-action><document-action type="sign"><document-ref>terms</document-ref></document-action></task>' +
          '<client-reference>case-42</client-reference></request></create-request-request>',
      ),
    );
    return /<request-id>([^<]+)</.exec(r.text)![1]!;
  }

  async function signer(name: string) {
    const keys = await generateKeys();
    const certificate = await (
      await s.rt.ca()
    ).issuePerson({ commonName: name, pid: '9208-2002-2-123456789012', publicKey: keys.publicKey });
    return { certificate, keys };
  }

  async function sign(requestId: string, who: Awaited<ReturnType<typeof signer>>) {
    return signTask(s.rt, svc, requestId, who, {
      documentIds: ['loan', 'terms'],
      audit: [{ type: 'pdf-shown', text: 'loan shown to the signer' }],
      act: {
        signText: 'I approve the loan agreement and its terms.',
        userAgent: 'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/156.0.0.0 Safari/537.36',
        clientIp: '127.0.0.1',
        nationalId: '0101801234',
        externalContext: 'client-reference: case-42',
      },
    });
  }

  beforeAll(async () => {
    s = await startServer('sqlite');
    svc = (await s.rt.services.find('demo'))!;
    dir = mkdtempSync(path.join(os.tmpdir(), 'segl-sign-'));
    for (const [n, u] of [
      ['root.pem', '/pki/root.pem'],
      ['ca.pem', '/pki/ca.pem'],
      ['service-ca.pem', '/pki/service-ca.pem'],
    ]) {
      writeFileSync(path.join(dir, n!), await (await fetch(`${s.url}${u}`)).text());
    }
  }, 60_000);
  afterAll(async () => {
    await s.stop();
  });

  test('a good signer gets a sealed LTV-SDO that xmlsec1 and segl verify accept, and one flipped byte breaks', async () => {
    const requestId = await newRequest();
    const out = await sign(requestId, await signer('Ann Berg'));
    expect(out.ok).toBe(true);
    if (!out.ok) return;
    const st = await post(
      s.endpoint,
      envelope(
        `<get-status-request xmlns="${NS}"><service>demo</service><password>${s.demoPassword}</password><request-id>${requestId}</request-id></get-status-request>`,
      ),
    );
    const uris = [...st.text.matchAll(/<result-uri>([^<]+)</g)].map((m) => m[1]);
    expect(uris).toEqual([`${s.url}/doc/demo/order/${requestId}/t1/loan/sdo`, `${s.url}/doc/demo/order/${requestId}/t1/terms/sdo`]);
    const got = await fetch(uris[0]!, { headers: { authorization: auth() } });
    expect(got.status).toBe(200);
    expect(got.headers.get('content-type')).toBe('application/x-ltv-sdo');
    const sdo = await got.text();
    expect(sdo).toBe(out.packageXml);

    // Every element the packaging policy lists.
    for (const el of [
      'SignedDataObject',
      'SignerPid',
      'SignerNationalId',
      'TrustedSigningTime',
      'TimeStampToken',
      'Certificates',
      'RevocationValues',
      'OcspResponse',
      'InitialVerification',
      'SignatureCreationContext',
      'VerificationContext',
      'ExternalContext',
      'AuditTrail',
    ]) {
      expect(sdo).toContain(`<${el}`);
    }
    expect(sdo).toMatch(/<InitialVerification [^>]*Indication="TOTAL-PASSED"/);
    for (const t of [
      'pdf-shown',
      'signature-created',
      'core-validation-succeeded',
      'path-validation-succeeded',
      'revocation-succeeded',
      'cpr-verified',
    ]) {
      expect(sdo).toContain(`Type="${t}"`);
    }
    expect(sdo).toContain('<Browser>Chrome/156.0.0.0</Browser>');
    expect(sdo).toMatch(/<Runtime>Node\.js v20/);
    expect(sdo).toContain('attachedpdf');

    const ids = [...sdo.matchAll(/<ds:Signature[^>]*\sId="([^"]+)"/g)].map((m) => m[1]!);
    expect(ids).toHaveLength(2);
    const file = path.join(dir, 'ok.xml');
    writeFileSync(file, sdo);
    // The native signature chains through the person CA, the seal through the service CA.
    const xmlsec = (f: string, id: string) =>
      tool('xmlsec1', [
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
        f,
      ]);
    for (const id of ids) expect((await xmlsec(file, id)).out).toMatch(/^OK$/m);

    const cli = (f: string) =>
      tool(process.execPath, [path.join(REPO, 'bin', 'segl.js'), 'verify', f, '--anchor', path.join(dir, 'root.pem')], {
        ...process.env,
        DATA_DIR: s.dataDir,
        LOG_LEVEL: 'silent',
      });
    const good = await cli(file);
    expect(good.code).toBe(0);
    expect(good.out).toMatch(/^TOTAL-PASSED/);
    expect(good.out).toMatch(/seal: TOTAL-PASSED/);
    expect(good.out).toMatch(/native signature: TOTAL-PASSED/);

    // One byte of the signed PDF (inside the native signature's object): both signatures break.
    const pdfB64 = /attachedpdf[^>]*>([^<]+)</.exec(sdo)![1]!;
    const flipped = sdo.replace(pdfB64, pdfB64.slice(0, 40) + (pdfB64[40] === 'A' ? 'B' : 'A') + pdfB64.slice(41));
    writeFileSync(path.join(dir, 'doc.xml'), flipped);
    for (const id of ids) expect((await xmlsec(path.join(dir, 'doc.xml'), id)).out).not.toMatch(/^OK$/m);
    const bad = await cli(path.join(dir, 'doc.xml'));
    expect(bad.code).toBe(1);
    expect(bad.out).toMatch(/^TOTAL-FAILED/);
    // One byte of the audit trail: the seal breaks, the native signature still holds.
    writeFileSync(path.join(dir, 'audit.xml'), sdo.replace('loan shown to the signer', 'loan shown to the signeR'));
    expect((await xmlsec(path.join(dir, 'audit.xml'), ids[1]!)).out).not.toMatch(/^OK$/m);
    expect((await xmlsec(path.join(dir, 'audit.xml'), ids[0]!)).out).toMatch(/^OK$/m);
    expect((await cli(path.join(dir, 'audit.xml'))).out).toMatch(/seal: TOTAL-FAILED HASH_FAILURE/);

    const history = await post(
      s.endpoint,
      envelope(
        `<get-request-history-request xmlns="${NS}"><service>demo</service><password>${s.demoPassword}</password><request-id>${requestId}</request-id><task-id>t1</task-id></get-request-history-request>`,
      ),
    );
    expect((history.text.match(/<event>document-signed<\/event>/g) ?? []).length).toBe(2);
  }, 120_000);

  test.each([
    ['revoked', 'REVOKED'],
    ['locked', 'certificateHold'],
  ] as const)(
    'a %s signer gets no package and an error event',
    async (state, expected) => {
      const requestId = await newRequest();
      const who = await signer(`The ${state} one`);
      const ca = await s.rt.ca();
      if (state === 'revoked') await ca.revoke(serialHex(who.certificate), 'keyCompromise');
      else await ca.lock(serialHex(who.certificate));
      const out = await sign(requestId, who);
      expect(out.ok).toBe(false);
      if (out.ok) return;
      expect(out.stage).toBe('initial-verification');
      expect(out.reason).toContain(expected);
      const st = await post(
        s.endpoint,
        envelope(
          `<get-status-request xmlns="${NS}"><service>demo</service><password>${s.demoPassword}</password><request-id>${requestId}</request-id></get-status-request>`,
        ),
      );
      expect(st.text).not.toContain('<result-uri>');
      const history = await post(
        s.endpoint,
        envelope(
          `<get-request-history-request xmlns="${NS}"><service>demo</service><password>${s.demoPassword}</password><request-id>${requestId}</request-id><task-id>t1</task-id></get-request-history-request>`,
        ),
      );
      expect(history.text).toContain('<event>error</event>');
      expect(history.text).toContain(expected);
      expect((await fetch(`${s.url}/doc/demo/order/${requestId}/t1/loan/sdo`, { headers: { authorization: auth() } })).status).toBe(404);
    },
    60_000,
  );
});

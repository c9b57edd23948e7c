// Issue 17, the proof in a running segl on its own test clock (SEGL_TEST_CLOCK=1): a task signed and sealed, its
// LTV-SDO archived by send-result-to-archive; the clock moved inside the preservation margin of the test TSA
// certificate's end (or of its RSA-2048 key's, whichever comes first), where the test CA rolls its TSA and OCSP
// responder certificates over (testca/rollover.ts) and the `preserve` timer renews the archived document with an
// archive time-stamp from the new TSA certificate; the clock moved past the first TSA certificate's end: the archived
// document as downloaded now is TOTAL-PASSED at the clock's time, the document as first archived INDETERMINATE
// OUT_OF_BOUNDS_NO_POE. /metrics counts the renewal and `openssl ts -verify` verifies the new archive time-stamp over
// its imprint input at its time. Both databases.
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import type { ServiceAccount } from '../../src/core/ports';
import { verifyLtvSdo } from '../../src/signing/offline';
import { CertificateRepository } from '../../src/store/certificates';
import { serialHex } from '../../src/testca/pki';
import { TestCa } from '../../src/testca/testca';
import { ALGORITHM_ENDS, keyEnd } from '../../src/trust/algorithms';
import { generateKeys } from '../../src/trust/crypto';
import { readTimestampToken } from '../../src/trust/tsp/token';
import { parseDocument } from '../../src/trust/validation/xmldsig';
import { sealOf } from '../../src/trust/xades/archive';
import { archiveTimeStampInputBytes, kids, unsignedSignatureProperties } from '../../src/trust/xades/archivedata';
import { seglVerifyAt } from '../support/preserve';
import { databases, startServer, type TestServer } from '../support/server';
import { signTask } from '../support/sign';
import { envelope, NS, post } from '../support/soap';

const exec = promisify(execFile);
const DAY = 86_400_000;
const XADES141 = 'http://uri.etsi.org/01903/v1.4.1#';
const XADES132 = 'http://uri.etsi.org/01903/v1.3.2#';

describe.each(databases())('preservation on the test clock in a running segl (%s)', (db) => {
  let s: TestServer;
  let dir: string;
  let svc: ServiceAccount;
  const auth = () => `Basic ${Buffer.from(`demo:${s.demoPassword}`).toString('base64')}`;
  const get = async (url: string) => {
    const r = await fetch(url, { headers: { authorization: auth() } });
    if (r.status !== 200) throw new Error(`GET ${url}: ${r.status}`);
    return Buffer.from(await r.arrayBuffer()).toString('utf8');
  };
  const note = async () => {
    const rows = (await s.rt.db.query('SELECT preservation_note FROM archive_document')) as Array<{ preservation_note: string | null }>;
    return rows.map((r) => r.preservation_note).join('; ') || null;
  };
  /** moves segl's clock forward to `to` (the runtime's clock API, as /admin/clock does) */
  const moveTo = (to: Date) => s.rt.clock.advance(to.getTime() - s.rt.clock.now().getTime());

  beforeAll(async () => {
    dir = mkdtempSync(path.join(tmpdir(), 'segl-preserveclock-'));
    s = await startServer(db, { SEGL_TEST_CLOCK: '1' });
    svc = (await s.rt.services.find('demo'))!;
  }, 60_000);
  afterAll(async () => {
    await s.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  async function archivedResult(): Promise<string> {
    const text = Buffer.from('a deed kept past its time-stamp').toString('base64');
    const body =
      `<document xsi:type="provided-document" id="d1" mime-type="text/plain"><data>${text}</data><description>Deed</description></document>` +
      '<task id="t1"><document-action type="sign" send-result-to-archive="true"><document-ref>d1</document-ref></document-action></task>';
    const r = await post(
      s.endpoint,
      envelope(
        `<create-request-request xmlns="${NS}"><service>demo</service><password>${s.demoPassword}</password><request>${body}</request></create-request-request>`,
      ),
    );
    const requestId = /<request-id>([^<]+)</.exec(r.text)?.[1];
    if (!requestId) throw new Error(`createRequest failed: ${r.text}`);
    const keys = await generateKeys();
    const ca = await s.rt.ca();
    const certificate = await ca.issuePerson({ commonName: 'Keld Varig', pid: '9208-2002-2-444444444444', publicKey: keys.publicKey });
    const out = await signTask(s.rt, svc, requestId, { certificate, keys }, { documentIds: ['d1'] });
    if (!out.ok) throw new Error(`signing failed: ${out.reason}`);
    expect(out.resultUris[0]).toMatch(new RegExp(`^${s.url}/doc/demo/archive/`));
    return out.resultUris[0]!;
  }

  /** `openssl ts -verify` of a token over `data` at `at`, the service CAs untrusted, the root trusted. */
  async function opensslTs(name: string, token: Uint8Array, data: Uint8Array, at: Date): Promise<string> {
    const ca = await s.rt.ca();
    writeFileSync(path.join(dir, `${name}.tst`), token);
    writeFileSync(path.join(dir, `${name}.data`), data);
    writeFileSync(path.join(dir, 'root.pem'), ca.pem('root'));
    writeFileSync(path.join(dir, 'service-ca.pem'), ca.pem('serviceCa'));
    const args = ['ts', '-verify', '-token_in', '-in', `${name}.tst`, '-data', `${name}.data`, '-CAfile', 'root.pem'];
    args.push('-untrusted', 'service-ca.pem', '-attime', String(Math.floor(at.getTime() / 1000)));
    const r = await exec('openssl', args, { cwd: dir, env: { PATH: process.env.PATH } }).catch(
      (e: { stdout?: string; stderr?: string }) => e,
    );
    return `${r.stdout ?? ''}${r.stderr ?? ''}`;
  }

  /** `segl verify <file> --at <at>` (the built CLI) against the test root: exit code and output. */
  async function seglVerify(name: string, xml: string, at: Date): Promise<{ code: number; out: string }> {
    writeFileSync(path.join(dir, name), xml);
    writeFileSync(path.join(dir, 'root.pem'), (await s.rt.ca()).pem('root'));
    return seglVerifyAt(dir, name, at);
  }

  test('renewed inside the margin with a rolled-over TSA: TOTAL-PASSED past the first TSA certificate, as first archived INDETERMINATE', async () => {
    const uri = await archivedResult();
    const asArchived = await get(uri);
    const ca = await s.rt.ca();
    const anchors = [ca.pki.root.certificate];
    const tsa0 = ca.pki.tsa.certificate;
    expect((await verifyLtvSdo(asArchived, anchors, undefined, { now: s.rt.clock.now() })).indication).toBe('TOTAL-PASSED');
    expect((await s.rt.runTimers()).preserved).toBe(0); // not due yet: given its due time

    // inside the margin: 30 days before the TSA certificate ends, or before its RSA-2048 key does (trust/algorithms.ts):
    // renewed later, the signature time-stamp would have no POE before its algorithm's end (CRYPTO_CONSTRAINTS_FAILURE_NO_POE)
    const tsa0End = Math.min(tsa0.notAfter.getTime(), keyEnd(tsa0, ALGORITHM_ENDS)?.at.getTime() ?? Infinity);
    const renewalTime = moveTo(new Date(tsa0End - 30 * DAY));
    const run = (await s.rt.runTimers()).preserved;
    expect([run, await note()]).toEqual([1, null]);
    const tsa1 = ca.pki.tsa.certificate;
    expect(serialHex(tsa1)).not.toBe(serialHex(tsa0));
    expect(tsa1.notBefore.getTime()).toBeLessThanOrEqual(s.rt.clock.now().getTime());
    expect(tsa1.notBefore.getTime()).toBeGreaterThanOrEqual(renewalTime.getTime() - 3_600_000 - 1000); // backdated an hour
    expect((tsa1.publicKey.algorithm as { modulusLength?: number }).modulusLength).toBe(3072);
    expect(ca.pki.retired.map(serialHex)).toContain(serialHex(tsa0));
    expect(readdirSync(path.join(s.dataDir, 'pki', 'rolled')).sort()).toEqual(
      ['ocsp-1', 'serviceocsp-1', 'tsa-1'].flatMap((f) => [`${f}.key.json`, `${f}.pem`]),
    );
    // the rolled certificates are what the test CA opens with next time
    const again = await TestCa.open(s.dataDir, s.rt.config.secret!, s.url, new CertificateRepository(s.rt.db), s.rt.clock);
    expect(serialHex(again.pki.tsa.certificate)).toBe(serialHex(tsa1));
    expect(serialHex(again.pki.serviceOcsp.certificate)).toBe(serialHex(ca.pki.serviceOcsp.certificate));
    expect((await s.rt.runTimers()).preserved).toBe(0); // renewed once: due again only years later

    // past the first TSA certificate's end
    const later = moveTo(new Date(tsa0.notAfter.getTime() + DAY));
    const renewed = await get(uri);
    expect(renewed).not.toBe(asArchived);
    const now = await verifyLtvSdo(renewed, anchors, undefined, { now: later });
    expect(now.timeStamps.stamps.map((t) => [t.kind, t.indication])).toEqual([
      ['signature-time-stamp', 'TOTAL-PASSED'],
      ['archive-time-stamp', 'TOTAL-PASSED'],
    ]);
    expect(now.indication).toBe('TOTAL-PASSED');
    const first = await verifyLtvSdo(asArchived, anchors, undefined, { now: later });
    expect([first.indication, first.timeStamps.subIndication]).toEqual(['INDETERMINATE', 'OUT_OF_BOUNDS_NO_POE']);
    // the same by `segl verify --at` on the downloaded files (exit codes 0 and 1)
    const cliNow = await seglVerify('renewed.xml', renewed, later);
    expect([cliNow.code, cliNow.out]).toEqual([0, expect.stringMatching(/^TOTAL-PASSED[\s\S]*archive-time-stamp .* TOTAL-PASSED/)]);
    const cliFirst = await seglVerify('archived.xml', asArchived, later);
    expect([cliFirst.code, cliFirst.out]).toEqual([1, expect.stringMatching(/time-stamps: INDETERMINATE OUT_OF_BOUNDS_NO_POE/)]);

    const metrics = await (
      await fetch(`${s.url}/metrics`, {
        headers: { authorization: `Basic ${Buffer.from(`admin:${s.rt.adminPassword}`).toString('base64')}` },
      })
    ).text();
    expect(metrics).toMatch(/^segl_archive_preservation\{state="renewals"\} 1$/m);
    expect(metrics).toMatch(/^segl_archive_preservation\{state="preserved"\} 1$/m);

    // the new archive time-stamp: by the rolled TSA certificate, verified by openssl at its time over its input
    const doc = parseDocument(renewed);
    const seal = sealOf(doc);
    const ats = kids(unsignedSignatureProperties(seal)!, XADES141, 'ArchiveTimeStamp');
    expect(ats).toHaveLength(1);
    const token = new Uint8Array(
      Buffer.from(kids(ats[0]!, XADES132, 'EncapsulatedTimeStamp')[0]!.textContent.replace(/\s+/g, ''), 'base64'),
    );
    const info = readTimestampToken(token);
    expect(serialHex(info.certificates[0]!)).toBe(serialHex(tsa1));
    const input = archiveTimeStampInputBytes(doc, seal, ats[0]!);
    expect(await opensslTs('ats', token, input, later)).toMatch(/Verification: OK/);
    const changed = Buffer.from(input);
    changed[changed.length - 1] ^= 1;
    expect(await opensslTs('ats-bad', token, changed, later)).not.toMatch(/Verification: OK/);
    expect(existsSync(path.join(s.dataDir, 'pki', 'tsa.pem'))).toBe(true); // the original stays beside the rolled one
  }, 180_000);
});

// Issue 17 part 1, the proof: a sealed LTV-SDO outlives its TSA certificate only when it was renewed in time.
// Time moves by the validation time the validator is given (and the TSA, OCSP responder and the second TSA
// certificate are made at the renewal's time): past the first TSA certificate's expiry, the package as sealed is
// INDETERMINATE (OUT_OF_BOUNDS_NO_POE), the package renewed before that expiry TOTAL-PASSED — in process and by
// `segl verify --at`. Each time-stamp of the chain is also verified by `openssl ts -verify` over its token and
// imprint input at its own time, and xmlsec1 still verifies both XMLDSig signatures of the renewed file.
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { SigningPipeline } from '../../src/signing/pipeline';
import { verifyLtvSdo } from '../../src/signing/offline';
import { preservationDue, renewLtvSdo, PRESERVATION_DEFAULT_MARGIN_MS } from '../../src/signing/preserve';
import { createTestPki, type ServiceBranch, type TestPki } from '../../src/testca/pki';
import { parseDocument } from '../../src/trust/validation/xmldsig';
import { archiveTimeStampInputBytes, kids, unsignedSignatureProperties } from '../../src/trust/xades/archivedata';
import { sealOf } from '../../src/trust/xades/archive';
import { TEST_URLS } from '../support/person';
import { seglVerifyAt, strongTsaBranch, trustAt } from '../support/preserve';
import { sealedSdo, trustFor } from '../support/sdo';
import { xmlsecEachSignature } from '../support/xmlsec';

const exec = promisify(execFile);
const YEAR = 365.25 * 86_400_000;
const XADES141 = 'http://uri.etsi.org/01903/v1.4.1#';

let dir: string;
let pki: TestPki;
let sealed: string;
let t0: Date;

beforeAll(async () => {
  dir = mkdtempSync(path.join(tmpdir(), 'segl-preserve-'));
  t0 = new Date();
  pki = await createTestPki({ urls: TEST_URLS });
  const pipeline = new SigningPipeline(trustFor(pki));
  const bytes = await sealedSdo(pki, pipeline, {
    name: 'Preserved Person',
    pid: '9208-2002-2-111111111111',
    taskId: 't1',
    signText: 'I agree, for the long term',
    documents: [{ id: 'd1', description: 'Contract', mimeType: 'text/plain', bytes: Buffer.from('terms that must stay provable') }],
  });
  sealed = Buffer.from(bytes).toString('utf8');
  writeFileSync(path.join(dir, 'root.pem'), pki.root.certificate.toString('pem') + '\n');
}, 60_000);

afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** `openssl ts -verify` of one token over `data` at `at` (its own time), with the CA certificates as untrusted. */
async function opensslTs(name: string, token: Uint8Array, data: Uint8Array, at: Date, cas: string[]): Promise<string> {
  writeFileSync(path.join(dir, `${name}.tst`), token);
  writeFileSync(path.join(dir, `${name}.data`), data);
  writeFileSync(path.join(dir, `${name}.chain.pem`), cas.join('\n'));
  const args = ['ts', '-verify', '-token_in', '-in', `${name}.tst`, '-data', `${name}.data`, '-CAfile', 'root.pem'];
  args.push('-untrusted', `${name}.chain.pem`, '-attime', String(Math.floor(at.getTime() / 1000)));
  const r = await exec('openssl', args, { cwd: dir, env: { PATH: process.env.PATH } }).catch(
    (e: { stdout?: string; stderr?: string }) => e,
  );
  return `${r.stdout ?? ''}${r.stderr ?? ''}`;
}

describe('preservation of an LTV-SDO by archive time-stamps', () => {
  let renewed: string;
  let branch2: ServiceBranch;
  let t1: Date;
  let afterExpiry: Date;

  beforeAll(async () => {
    t1 = new Date(t0.getTime() + 1.5 * YEAR);
    afterExpiry = new Date(pki.tsa.certificate.notAfter.getTime() + 30 * 86_400_000);
    // RSA-3072, as testca/rollover.ts issues TSA certificates: validated after 2030, an RSA-2048 archive time-stamp would
    // itself be INDETERMINATE CRYPTO_CONSTRAINTS_FAILURE_NO_POE (test/interop/crypto-constraints.test.ts)
    branch2 = await strongTsaBranch(pki, { name: 'segl Test 2030', urls: TEST_URLS, now: t1 });
    renewed = (await renewLtvSdo(sealed, trustAt(pki, branch2, t1), t1)).xml;
  }, 60_000);

  test('as sealed: TOTAL-PASSED now, INDETERMINATE OUT_OF_BOUNDS_NO_POE past the TSA certificate', async () => {
    const today = await verifyLtvSdo(sealed, [pki.root.certificate]);
    expect(today.indication).toBe('TOTAL-PASSED');
    expect(today.timeStamps.stamps.map((s) => s.kind)).toEqual(['signature-time-stamp']);
    const later = await verifyLtvSdo(sealed, [pki.root.certificate], undefined, { now: afterExpiry });
    expect(later.indication).toBe('INDETERMINATE');
    expect(later.timeStamps.subIndication).toBe('OUT_OF_BOUNDS_NO_POE');
    // past 2030 too: the seal's RSA-2048 key has no proof of existence before its end (validation/cryptoconstraints.ts)
    expect([later.seal.indication, later.seal.subIndication]).toEqual(['INDETERMINATE', 'CRYPTO_CONSTRAINTS_FAILURE_NO_POE']);
  });

  test('due a margin before the seal or TSA certificate ends; renewed before expiry: TOTAL-PASSED after it', async () => {
    const due = preservationDue(sealed, PRESERVATION_DEFAULT_MARGIN_MS);
    expect(due.getTime()).toBeLessThan(t1.getTime());
    expect(due.getTime()).toBe(pki.seal.certificate.notAfter.getTime() - PRESERVATION_DEFAULT_MARGIN_MS);
    expect(renewed.startsWith(sealed.slice(0, sealed.lastIndexOf('</xades:UnsignedSignatureProperties>')))).toBe(true);
    const later = await verifyLtvSdo(renewed, [pki.root.certificate], undefined, { now: afterExpiry });
    expect(later.timeStamps.stamps.map((s) => [s.kind, s.indication])).toEqual([
      ['signature-time-stamp', 'TOTAL-PASSED'],
      ['archive-time-stamp', 'TOTAL-PASSED'],
    ]);
    expect(later.timeStamps.stamps[0]!.validatedAt.getTime()).toBe(later.timeStamps.stamps[1]!.genTime!.getTime());
    expect(later.indication).toBe('TOTAL-PASSED');
    // once its own TSA certificate is past too, the renewed package needs the next renewal
    const muchLater = await verifyLtvSdo(renewed, [pki.root.certificate], undefined, {
      now: new Date(branch2.tsa.certificate.notAfter.getTime() + 86_400_000),
    });
    expect(muchLater.timeStamps.subIndication).toBe('OUT_OF_BOUNDS_NO_POE');
    expect(preservationDue(renewed, PRESERVATION_DEFAULT_MARGIN_MS).getTime()).toBeGreaterThan(t1.getTime());
  });

  test("a TSA answering in the next second after the run took its time: the renewal is verified at the token's genTime", async () => {
    // the run's time is taken before the TSA is asked; a genTime (whole seconds) after it is not "in the future"
    const asked = new Date(Math.floor(t1.getTime() / 1000) * 1000 + 999);
    const r = await renewLtvSdo(sealed, trustAt(pki, branch2, new Date(asked.getTime() + 1)), asked);
    expect(r.genTime.getTime()).toBeGreaterThan(asked.getTime());
  });

  test('a changed validation data element under the archive time-stamp: TOTAL-FAILED HASH_FAILURE', async () => {
    const tampered = renewed.replace(
      /(<xades:EncapsulatedOCSPValue>)([A-Za-z0-9+/]{8})/,
      (_m, tag: string, b: string) => `${tag}${b === 'AAAAAAAA' ? 'BBBBBBBB' : 'AAAAAAAA'}`,
    );
    expect(tampered).not.toBe(renewed);
    const r = await verifyLtvSdo(tampered, [pki.root.certificate], undefined, { now: afterExpiry });
    expect(r.timeStamps.indication).toBe('TOTAL-FAILED');
    expect(r.timeStamps.subIndication).toBe('HASH_FAILURE');
  });

  test('openssl ts -verify: every time-stamp over its imprint input at its own time', async () => {
    const doc = parseDocument(renewed);
    const seal = sealOf(doc);
    const ats = kids(unsignedSignatureProperties(seal)!, XADES141, 'ArchiveTimeStamp');
    expect(ats).toHaveLength(1);
    const b = (s: string) => new Uint8Array(Buffer.from(s.replace(/\s+/g, ''), 'base64'));
    const token = b(kids(ats[0]!, 'http://uri.etsi.org/01903/v1.3.2#', 'EncapsulatedTimeStamp')[0]!.textContent);
    const input = archiveTimeStampInputBytes(doc, seal, ats[0]!);
    const cas = [pki.serviceCa.certificate.toString('pem'), branch2.serviceCa.certificate.toString('pem')];
    expect(await opensslTs('ats1', token, input, t1, cas)).toMatch(/Verification: OK/);
    // a changed input is refused: the check can fail
    const changed = Buffer.from(input);
    changed[changed.length - 1] ^= 1;
    expect(await opensslTs('ats1-bad', token, changed, t1, cas)).not.toMatch(/Verification: OK/);
    // the signature time-stamp over the native SignatureValue, at its genTime
    const ts0 = b(/<TimeStampToken>([^<]+)</.exec(renewed)![1]!);
    const value = b(/<ds:SignatureValue>([^<]+)</.exec(renewed)![1]!);
    expect(await opensslTs('ts0', ts0, value, new Date(), cas)).toMatch(/Verification: OK/);
  });

  test('xmlsec1 verifies both signatures of the renewed file', async () => {
    const outs = await xmlsecEachSignature(dir, renewed, pki.root.certificate.toString('pem'), [
      pki.serviceCa.certificate.toString('pem'),
      pki.personCa.certificate.toString('pem'),
    ]);
    expect(outs).toHaveLength(2);
    for (const o of outs) expect(o).toMatch(/^OK/m);
  });

  test('segl verify --at: INDETERMINATE as sealed, TOTAL-PASSED renewed (exit codes 1 and 0)', async () => {
    writeFileSync(path.join(dir, 'sealed.xml'), sealed);
    writeFileSync(path.join(dir, 'renewed.xml'), renewed);
    const run = (file: string) => seglVerifyAt(dir, file, afterExpiry);
    const before = await run('sealed.xml');
    expect(before.code).toBe(1);
    expect(before.out).toMatch(/^INDETERMINATE/);
    expect(before.out).toMatch(/time-stamps: INDETERMINATE OUT_OF_BOUNDS_NO_POE/);
    const after = await run('renewed.xml');
    expect(after.out).toMatch(/^TOTAL-PASSED/);
    expect(after.out).toMatch(/archive-time-stamp .* TOTAL-PASSED/);
    expect(after.code).toBe(0);
  });
});

// Issue 17, cryptographic constraints at each time-stamp's proof of existence (src/trust/validation/
// cryptoconstraints.ts, ETSI EN 319 102-1 §5.2.8 / §5.6.2.5), on both shapes of chain: an LTV-SDO's signature
// time-stamp and archive time-stamps (validation/archive.ts) and a PAdES B-LTA's document time-stamps
// (validation/pades.ts). The test PKI's end entities have RSA-2048 keys, its CAs RSA-3072 (testca/pki.ts); a renewal
// TSA has an RSA-3072 key (as testca/rollover.ts issues them) and OCSP responder (test/support/preserve.ts) or an
// RSA-2048 one ("weak"). The seal and the native signature are judged too, each at its own POE (signing/offline.ts).
// Timeline: sealed at t0 (now), renewed at t1 = t0 + 1.5 years, validated at V = t0 + 2.5 years, before the first
// TSA certificate (5 years) expires, so only the algorithms decide. With a table that ends RSA-2048 at
// E = t0 + 2 years: as sealed and as renewed with an RSA-2048 TSA the newest time-stamp is INDETERMINATE
// CRYPTO_CONSTRAINTS_FAILURE_NO_POE; renewed in time with RSA-3072 it passes; renewed after E (even with RSA-3072)
// the older time-stamp's POE comes too late. With the default table (RSA-2048 through 2030) the same is shown by
// `segl verify --at` after 2030. openssl reads the TSA keys' sizes the table is applied to.
import '../../src/trust/crypto';
import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { PDFDocument, StandardFonts } from '@cantoo/pdf-lib';
import { SigningPipeline } from '../../src/signing/pipeline';
import { verifyLtvSdo } from '../../src/signing/offline';
import { renewLtvSdo } from '../../src/signing/preserve';
import { createServiceBranch, createTestPki, type ServiceBranch, type TestPki } from '../../src/testca/pki';
import { TSA_POLICY } from '../../src/testca/testca';
import { ALGORITHM_ENDS, type AlgorithmEnds } from '../../src/trust/algorithms';
import { createPades } from '../../src/trust/pades/pades';
import { renewPades, type RenewalDeps } from '../../src/trust/pades/renew';
import { respondTimestamp } from '../../src/trust/tsp/responder';
import { validatePades } from '../../src/trust/validation/pades';
import { rawSignatures } from '../support/pades';
import { TEST_URLS } from '../support/person';
import { seglVerifyAt, strongTsaBranch, trustAt } from '../support/preserve';
import { sealedSdo, trustFor } from '../support/sdo';

const exec = promisify(execFile);
const YEAR = 365.25 * 86_400_000;
const CRYPTO = 'CRYPTO_CONSTRAINTS_FAILURE_NO_POE';
const RSA2048_END = ALGORITHM_ENDS.rsa.find((r) => r.minBits === 2048)!.end!;

let dir: string;
let pki: TestPki;
let t0: Date;
let t1: Date;
let E: Date;
let V: Date;
let late: Date;
let ends: AlgorithmEnds;
let strong: ServiceBranch;
let weak: ServiceBranch;
let lateBranch: ServiceBranch;

const at = (years: number) => new Date(t0.getTime() + years * YEAR);

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'segl-crypto-'));
  pki = await createTestPki({ urls: TEST_URLS });
  t0 = new Date();
  [t1, E, V, late] = [at(1.5), at(2), at(2.5), at(2.25)];
  ends = { ...ALGORITHM_ENDS, rsa: ALGORITHM_ENDS.rsa.map((r) => (r.minBits === 2048 ? { ...r, end: E } : r)) };
  strong = await strongTsaBranch(pki, { name: 'segl strong', urls: TEST_URLS, now: t1 });
  weak = await createServiceBranch(pki.root, { name: 'segl weak', urls: TEST_URLS, now: t1 });
  lateBranch = await strongTsaBranch(pki, { name: 'segl late', urls: TEST_URLS, now: late });
  await writeFile(join(dir, 'root.pem'), pki.root.certificate.toString('pem') + '\n');
}, 120_000);

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** `segl verify FILE --at WHEN` with the root as anchor (the default table of algorithm ends). */
async function cli(file: string, bytes: Uint8Array | string, when: Date): Promise<{ code: number; out: string }> {
  await writeFile(join(dir, file), bytes);
  return seglVerifyAt(dir, file, when);
}

/** The default table's case: RSA-2048 ends 2030; `segl verify --at` two months later, before the first TSA certificate expires. */
function afterDefaultEnd(): Date {
  const when = new Date(RSA2048_END.getTime() + 60 * 86_400_000);
  // the timeline this test assumes: renewed before 2030, and the first TSA certificate still valid then
  expect([t1 < RSA2048_END, when < pki.tsa.certificate.notAfter]).toEqual([true, true]);
  return when;
}

describe('LTV-SDO: signature time-stamp and archive time-stamps', () => {
  let sealed: string;
  const renewed: Record<'strong' | 'weak' | 'late', string> = { strong: '', weak: '', late: '' };
  const verify = (xml: string, now: Date) => verifyLtvSdo(xml, [pki.root.certificate], undefined, { now, algorithmEnds: ends });

  beforeAll(async () => {
    const deed = { id: 'd1', description: 'Deed', mimeType: 'text/plain', bytes: Buffer.from('a deed kept for decades') };
    const signer = { name: 'Long Term Person', pid: '9208-2002-2-222222222222', taskId: 't-crypto' };
    const sign = { ...signer, signText: 'I agree, for longer than RSA-2048 lasts', documents: [deed] };
    const bytes = await sealedSdo(pki, new SigningPipeline(trustFor(pki)), sign);
    sealed = Buffer.from(bytes).toString('utf8');
    renewed.strong = (await renewLtvSdo(sealed, trustAt(pki, strong, t1), t1)).xml;
    renewed.weak = (await renewLtvSdo(sealed, trustAt(pki, weak, t1), t1)).xml;
    renewed.late = (await renewLtvSdo(sealed, trustAt(pki, lateBranch, late), late)).xml;
  }, 120_000);

  test('as sealed: TOTAL-PASSED before the end, INDETERMINATE CRYPTO_CONSTRAINTS_FAILURE_NO_POE after it', async () => {
    expect((await verify(sealed, at(1))).timeStamps.indication).toBe('TOTAL-PASSED');
    const r = await verify(sealed, V);
    expect([r.indication, r.timeStamps.indication, r.timeStamps.subIndication]).toEqual(['INDETERMINATE', 'INDETERMINATE', CRYPTO]);
    expect(r.timeStamps.stamps[0]!.detail).toBe(
      `its token: RSA-2048 key of ${pki.tsa.certificate.subject} is acceptable only until ${E.toISOString()}, ` +
        `with no proof of existence before then (POE ${V.toISOString()})`,
    );
    // the seal (an XMLDSig signature with an RSA-2048 key) has no POE but the validation time either; nor has the native
    // signature, whose signature time-stamp fails and so proves nothing
    expect([r.seal.indication, r.seal.subIndication, r.seal.message]).toEqual([
      'INDETERMINATE',
      CRYPTO,
      `the seal: RSA-2048 key of ${pki.seal.certificate.subject} is acceptable only until ${E.toISOString()}, ` +
        `with no proof of existence before then (POE ${V.toISOString()})`,
    ]);
    expect([r.native?.indication, r.native?.subIndication, r.native?.message]).toEqual([
      'INDETERMINATE',
      CRYPTO,
      expect.stringMatching(/^the native signature: RSA-2048 key of CN=Long Term Person/),
    ]);
    const before = await verify(sealed, at(1));
    expect([before.seal.indication, before.native?.indication]).toEqual(['TOTAL-PASSED', 'TOTAL-PASSED']);
    expect(before.seal.checks.find((c) => c.name === 'cryptographic-constraints')?.detail).toBe(
      `algorithms acceptable at ${at(1).toISOString()}`,
    );
  });

  test('renewed before the end with an RSA-3072 TSA: TOTAL-PASSED, each time-stamp at its own time', async () => {
    const r = await verify(renewed.strong, V);
    expect(r.timeStamps.stamps.map((s) => [s.kind, s.indication, s.validatedAt.getTime()])).toEqual([
      ['signature-time-stamp', 'TOTAL-PASSED', r.timeStamps.stamps[1]!.genTime!.getTime()],
      ['archive-time-stamp', 'TOTAL-PASSED', V.getTime()],
    ]);
    expect(r.indication).toBe('TOTAL-PASSED');
    // the archive time-stamp is the seal's POE; the signature time-stamp the native signature's (its path and OCSP: t1)
    const [sealCheck, nativeCheck] = [r.seal, r.native!].map((v) => v.checks.find((c) => c.name === 'cryptographic-constraints')?.detail);
    const t0Stamp = r.timeStamps.stamps[0]!.genTime!.toISOString();
    expect([sealCheck, nativeCheck]).toEqual([
      `algorithms acceptable at ${r.timeStamps.stamps[1]!.genTime!.toISOString()}`,
      `algorithms acceptable at ${t0Stamp} (path and revocation data ${r.timeStamps.stamps[1]!.genTime!.toISOString()})`,
    ]);
  });

  test('renewed in time but with an RSA-2048 TSA: the archive time-stamp itself fails the constraints', async () => {
    const r = await verify(renewed.weak, V);
    expect(r.timeStamps.stamps.map((s) => [s.indication, s.subIndication])).toEqual([
      ['TOTAL-PASSED', undefined],
      ['INDETERMINATE', CRYPTO],
    ]);
    expect(r.timeStamps.message).toMatch(/^archive-time-stamp of .* its token: RSA-2048 key of CN=segl weak TSA/);
  });

  test('renewed after the end: the signature time-stamp has no POE before it', async () => {
    const r = await verify(renewed.late, V);
    expect(r.timeStamps.stamps.map((s) => [s.indication, s.subIndication])).toEqual([
      ['INDETERMINATE', CRYPTO],
      ['TOTAL-PASSED', undefined],
    ]);
    expect(r.timeStamps.stamps[0]!.validatedAt.getTime()).toBe(r.timeStamps.stamps[1]!.genTime!.getTime());
  });

  test('the default table, by segl verify --at after 2030: INDETERMINATE as sealed (exit 1), TOTAL-PASSED renewed (exit 0)', async () => {
    const when = afterDefaultEnd();
    const before = await cli('sealed.xml', sealed, when);
    expect(before.out).toMatch(/^INDETERMINATE/);
    expect(before.out).toMatch(
      /time-stamps: INDETERMINATE CRYPTO_CONSTRAINTS_FAILURE_NO_POE — .*RSA-2048 key of CN=segl test TSA.* until 2030-12-31T23:59:59\.000Z/,
    );
    expect(before.code).toBe(1);
    const after = await cli('renewed.xml', renewed.strong, when);
    expect(after.out).toMatch(/^TOTAL-PASSED/);
    expect(after.code).toBe(0);
  });
});

describe('PAdES B-LTA: document time-stamps', () => {
  let lta: Uint8Array;
  const renewed: Record<'strong' | 'weak' | 'late', Uint8Array> = {
    strong: new Uint8Array(),
    weak: new Uint8Array(),
    late: new Uint8Array(),
  };
  const validate = (pdf: Uint8Array, when: Date) => validatePades(pdf, { anchors: [pki.root.certificate], at: when, algorithmEnds: ends });
  const docTs = async (pdf: Uint8Array, when: Date) =>
    (await validate(pdf, when)).documentTimestamps.map((d) => [d.fieldName, d.indication, d.subIndication]);

  /** A renewal at `t` by `branch`'s TSA, OCSP answered at `t` (trust-pades-renew.test.ts does the same). */
  const deps = (branch: ServiceBranch, t: Date): RenewalDeps => {
    const trust = trustAt(pki, branch, t);
    return {
      timestamps: (req) => respondTimestamp(req, { tsa: branch.tsa, policyOid: TSA_POLICY, now: () => t }),
      revocation: trust.revocation,
      certificatePool: [pki.serviceCa.certificate, branch.serviceCa.certificate, pki.root.certificate],
      clock: () => t,
    };
  };

  beforeAll(async () => {
    const doc = await PDFDocument.create();
    const font = await doc.embedFont(StandardFonts.Helvetica);
    doc.addPage([595, 842]).drawText('A deed, to be kept for decades', { x: 50, y: 760, size: 14, font });
    const chain = [pki.serviceCa.certificate, pki.root.certificate];
    const t = trustAt(pki, strong, t0);
    lta = await createPades(await doc.save({ useObjectStreams: false }), {
      level: 'B-LTA',
      signer: pki.seal,
      chain,
      certificatePool: chain,
      time: t0,
      timestamps: (req) => respondTimestamp(req, { tsa: pki.tsa, policyOid: TSA_POLICY, now: () => t0 }),
      revocation: t.revocation,
    });
    renewed.strong = (await renewPades(lta, deps(strong, t1))).pdf;
    renewed.weak = (await renewPades(lta, deps(weak, t1))).pdf;
    renewed.late = (await renewPades(lta, deps(lateBranch, late))).pdf;
  }, 120_000);

  test('as sealed: the document time-stamp passes before the end, is INDETERMINATE CRYPTO_CONSTRAINTS_FAILURE_NO_POE after it', async () => {
    expect(await docTs(lta, at(1))).toEqual([['DocTimeStamp1', 'TOTAL-PASSED', undefined]]);
    const r = await validate(lta, V);
    const d = r.documentTimestamps[0]!;
    expect([d.indication, d.subIndication, r.indication]).toEqual(['INDETERMINATE', CRYPTO, 'INDETERMINATE']);
    expect(d.message).toMatch(
      new RegExp(
        `^time-stamp of .* by CN=segl test TSA.*: document-time-stamp of .*: RSA-2048 key of CN=segl test TSA.* until ${E.toISOString()}`,
      ),
    );
    expect(d.checks.find((c) => c.name === 'cryptographic-constraints')).toMatchObject({ ok: false });
  });

  test('renewed before the end with an RSA-3072 TSA: TOTAL-PASSED', async () => {
    expect(await docTs(renewed.strong, V)).toEqual([
      ['DocTimeStamp1', 'TOTAL-PASSED', undefined],
      ['DocTimeStamp2', 'TOTAL-PASSED', undefined],
    ]);
    const r = await validate(renewed.strong, V);
    expect(r.documentTimestamps[0]!.validatedAt).toEqual(r.documentTimestamps[1]!.genTime);
    expect(r.indication).toBe('TOTAL-PASSED');
  });

  test('renewed with an RSA-2048 TSA: the newest fails, so proves nothing; renewed after the end: the older has no POE in time', async () => {
    // a time-stamp that does not pass is no POE (validation/pades.ts): the first is validated at V as well
    const weak = await validate(renewed.weak, V);
    expect(weak.documentTimestamps.map((d) => [d.fieldName, d.indication, d.subIndication, d.validatedAt])).toEqual([
      ['DocTimeStamp1', 'INDETERMINATE', CRYPTO, V],
      ['DocTimeStamp2', 'INDETERMINATE', CRYPTO, V],
    ]);
    expect(weak.documentTimestamps[1]!.message).toMatch(/RSA-2048 key of CN=segl weak TSA/);
    expect(await docTs(renewed.late, V)).toEqual([
      ['DocTimeStamp1', 'INDETERMINATE', CRYPTO],
      ['DocTimeStamp2', 'TOTAL-PASSED', undefined],
    ]);
  });

  test('the default table, by segl verify --at after 2030; openssl reads the key sizes it judged', async () => {
    const when = afterDefaultEnd();
    const before = await cli('sealed.pdf', lta, when);
    expect(before.out).toMatch(/CRYPTO_CONSTRAINTS_FAILURE_NO_POE/);
    expect(before.code).toBe(1);
    const after = await cli('renewed.pdf', renewed.strong, when);
    expect(after.out).toMatch(/^TOTAL-PASSED/);
    expect(after.code).toBe(0);
    const bits: string[] = [];
    for (const [k, s] of rawSignatures(renewed.strong)
      .filter((x) => x.docTimestamp)
      .entries()) {
      await writeFile(join(dir, `dts${k}.der`), s.der);
      const r = await exec('openssl', ['pkcs7', '-inform', 'DER', '-in', `dts${k}.der`, '-print_certs', '-text', '-noout'], {
        cwd: dir,
        env: { PATH: process.env.PATH },
      });
      bits.push(/Subject: .*TSA[\s\S]*?Public-Key: \((\d+) bit\)/.exec(r.stdout)?.[1] ?? '?');
    }
    expect(bits).toEqual(['2048', '3072']);
  });
});

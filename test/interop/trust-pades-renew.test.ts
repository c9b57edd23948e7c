// src/trust/pades/renew.ts (renewPades) and renewaldue.ts (renewalDue) on a PAdES B-LTA made by createPades with
// the built-in test PKI, on a timeline: the PKI and the seal at T0 (5.5 years ago), so the first TSA certificate
// (5 years) expired half a year ago; a renewal at T1 = T0 + 4 years with a second TSA (a new service branch under
// the same root, issued at T1); validation now. Outside tools check the renewed files: qpdf --check, pdfsig
// (-nocert: the CMS over its ByteRange), openssl ts -verify of each document time-stamp over its ByteRange bytes
// (-attime: at the time the next time-stamp proves, and now). Bad input is refused before the TSA is asked.
import '../../src/trust/crypto';
import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PDFDocument, StandardFonts } from '@cantoo/pdf-lib';
import type * as x509 from '@peculiar/x509';
import type { OcspResponderOptions } from '../../src/trust/ocsp/certid';
import { respondOcsp } from '../../src/trust/ocsp/responder';
import { addDss } from '../../src/trust/pades/dss';
import { createPades, type PadesLevel } from '../../src/trust/pades/pades';
import { renewPades, RenewalError, type RenewalDeps, type RenewalResult } from '../../src/trust/pades/renew';
import { ALGORITHM_ENDS } from '../../src/trust/algorithms';
import { renewalDue } from '../../src/trust/pades/renewaldue';
import type { RevocationSource, SigningIdentity, TimestampSource } from '../../src/trust/sources';
import { respondTimestamp } from '../../src/trust/tsp/responder';
import { validatePades } from '../../src/trust/validation/pades';
import { ocspRevocationSource } from '../../src/trust/validation/revocation';
import { createCrl, createServiceBranch, createTestPki, type ServiceBranch, type TestPki } from '../../src/testca/pki';
import { BIN } from '../support/cli';
import { covered, rawSignatures, run } from '../support/pades';
import { TEST_URLS } from '../support/person';

const YEAR = 365.25 * 86_400_000;
const NOW = new Date();
const T0 = new Date(Math.floor((NOW.getTime() - 5.5 * YEAR) / 1000) * 1000);
const T1 = new Date(T0.getTime() + 4 * YEAR);
const POLICY = '1.3.6.1.4.1.99999.2.1';

let dir: string;
let pki: TestPki;
let second: ServiceBranch;
let lta: Uint8Array;
let renewed: RenewalResult;
let tsaCalls = 0;
let n = 0;

const tsaAt =
  (tsa: SigningIdentity, t: Date): TimestampSource =>
  (req) => {
    tsaCalls++;
    return respondTimestamp(req, { tsa, policyOid: POLICY, now: () => t });
  };

const good = async () => ({ status: 'good' as const });
const ocspAt = (t: Date, responders: Array<Pick<OcspResponderOptions, 'responder' | 'issuer'>>): RevocationSource =>
  ocspRevocationSource({
    now: () => t,
    fetch: async (_url, der) =>
      respondOcsp(
        der,
        responders.map((r) => ({ ...r, lookup: good, now: () => t })),
      ),
  });

async function makePdf(): Promise<Uint8Array> {
  const doc = await PDFDocument.create();
  const font = await doc.embedFont(StandardFonts.Helvetica);
  doc.addPage([595, 842]).drawText('Lease agreement, to be kept for ten years', { x: 50, y: 760, size: 14, font });
  return doc.save({ useObjectStreams: false });
}

const seal = async (level: PadesLevel): Promise<Uint8Array> => {
  const chain = [pki.serviceCa.certificate, pki.root.certificate];
  return createPades(await makePdf(), {
    level,
    signer: pki.seal,
    chain,
    certificatePool: chain,
    time: T0,
    timestamps: tsaAt(pki.tsa, T0),
    revocation: ocspAt(T0, [
      { responder: pki.serviceOcsp, issuer: pki.serviceCa.certificate },
      { responder: pki.root, issuer: pki.root.certificate },
    ]),
  });
};

/** Renewal at `t` with the second TSA; OCSP at `t` from the old service CA itself (its delegated responder has expired). */
const deps = (t: Date): RenewalDeps => ({
  timestamps: tsaAt(second.tsa, t),
  revocation: ocspAt(t, [
    { responder: pki.serviceCa, issuer: pki.serviceCa.certificate },
    { responder: pki.root, issuer: pki.root.certificate },
    { responder: second.serviceOcsp, issuer: second.serviceCa.certificate },
  ]),
  certificatePool: [pki.serviceCa.certificate, second.serviceCa.certificate, pki.root.certificate],
  clock: () => t,
});

const validate = (pdf: Uint8Array, at: Date) => validatePades(pdf, { anchors: [pki.root.certificate], at });

async function save(pdf: Uint8Array): Promise<string> {
  const f = `f${++n}.pdf`;
  await writeFile(join(dir, f), pdf);
  return f;
}

/** openssl ts -verify of document time-stamp `which` (0-based among them) over its ByteRange bytes, at `at`. */
async function tsVerify(pdf: Uint8Array, which: number, untrusted: x509.X509Certificate, at: Date): Promise<string> {
  const sig = rawSignatures(pdf).filter((s) => s.docTimestamp)[which]!;
  const k = ++n;
  await writeFile(join(dir, `ts${k}.der`), sig.der);
  await writeFile(join(dir, `ts${k}.bin`), covered(pdf, sig.range));
  await writeFile(join(dir, `ca${k}.pem`), untrusted.toString('pem'));
  const args = ['ts', '-verify', '-data', `ts${k}.bin`, '-in', `ts${k}.der`, '-token_in', '-CAfile', 'root.pem'];
  const r = await run('openssl', [...args, '-untrusted', `ca${k}.pem`, '-attime', String(Math.floor(at.getTime() / 1000))], dir);
  return r.out;
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'segl-pades-renew-'));
  pki = await createTestPki({ urls: TEST_URLS, now: T0 });
  second = await createServiceBranch(pki.root, { name: 'segl renewal', urls: TEST_URLS, now: T1 });
  await writeFile(join(dir, 'root.pem'), pki.root.certificate.toString('pem'));
  lta = await seal('B-LTA');
  renewed = await renewPades(lta, deps(T1));
}, 120_000);

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('renewPades', () => {
  test('appends a DSS and a document time-stamp; the input byte for byte; qpdf, pdfsig and openssl ts agree', async () => {
    expect(Buffer.from(renewed.pdf.subarray(0, lta.length)).equals(Buffer.from(lta))).toBe(true);
    expect(renewed).toMatchObject({ fieldName: 'DocTimeStamp2', genTime: T1, covered: ['DocTimeStamp1'], tsaDataIncluded: true });
    expect(renewed.tsa.equal(second.tsa.certificate)).toBe(true);
    const file = await save(renewed.pdf);
    const q = await run('qpdf', ['--check', file], dir);
    expect([q.code, q.out]).toEqual([0, expect.stringContaining('No syntax or stream encoding errors')]);
    const sig = await run('pdfsig', ['-nocert', file], dir);
    const parts = sig.out.split(/Signature #\d+:/).slice(1);
    expect(parts).toHaveLength(3);
    expect(parts[0]).toContain('Signature Validation: Signature is Valid.');
    // pdfsig 22.12 reads a document time-stamp's ranges and TSA but cannot verify an ETSI.RFC3161 token (stderr:
    // "Unable to validate this type of signature"): openssl ts -verify checks each token below
    expect(parts[1]).toMatch(/Field Name: DocTimeStamp1\n.*Common Name: segl test TSA\n[^]*\n {2}- Not total document signed/);
    expect(parts[2]).toMatch(/Field Name: DocTimeStamp2\n.*Common Name: segl renewal TSA\n[^]*\n {2}- Total document signed/);
    expect(sig.out).toContain('Unable to validate this type of signature');
    // the new time-stamp verifies now; the first one at the time the new one proves, and no longer now
    expect(await tsVerify(renewed.pdf, 1, second.serviceCa.certificate, NOW)).toContain('Verification: OK');
    expect(await tsVerify(renewed.pdf, 0, pki.serviceCa.certificate, T1)).toContain('Verification: OK');
    expect(await tsVerify(renewed.pdf, 0, pki.serviceCa.certificate, NOW)).toMatch(/certificate has expired/);
  });

  test("past the first TSA certificate's expiry: the unrenewed file is INDETERMINATE, the renewed one TOTAL-PASSED", async () => {
    expect(pki.tsa.certificate.notAfter.getTime()).toBeLessThan(NOW.getTime());
    const before = await validate(lta, new Date(T1.getTime() + 86_400_000));
    expect(before.indication).toBe('TOTAL-PASSED');
    const old = await validate(lta, NOW);
    expect([old.indication, old.documentTimestamps[0]!.subIndication]).toEqual(['INDETERMINATE', 'OUT_OF_BOUNDS_NO_POE']);
    const r = await validate(renewed.pdf, NOW);
    expect([r.indication, r.message, r.revisions]).toEqual(['TOTAL-PASSED', expect.stringContaining('all TOTAL-PASSED'), 6]);
    const [first, last] = r.documentTimestamps;
    // each time-stamp at the time of the next one over it; the newest at the validation time
    expect([last!.fieldName, last!.validatedAt, last!.genTime]).toEqual(['DocTimeStamp2', NOW, T1]);
    expect([first!.fieldName, first!.validatedAt, first!.genTime]).toEqual(['DocTimeStamp1', T1, T0]);
    expect(r.signatures[0]!.validatedAt).toEqual(T0);
    expect(r.signatures[0]!.level).toEqual({ level: 'B-LTA', missing: [] });
    expect(first!.laterChanges).toEqual([
      expect.stringMatching(/^revision 5: .*Document Security Store/),
      expect.stringMatching(/^revision 6: .*document time-stamp field/),
    ]);
    expect(r.updates.flatMap((u) => u.refused)).toEqual([]);
  });

  test("segl verify (the built CLI): each document time-stamp valid at the next one's time; the unrenewed file is not", async () => {
    await writeFile(join(dir, 'renewed.pdf'), renewed.pdf);
    await writeFile(join(dir, 'lta.pdf'), lta);
    const env = { PATH: process.env.PATH, HOME: process.env.HOME, DATA_DIR: dir, LOG_LEVEL: 'silent' };
    const verify = (f: string): Promise<{ code: number; out: string }> =>
      new Promise((resolve) => {
        const args = [BIN, 'verify', join(dir, f), '--anchor', join(dir, 'root.pem')];
        execFile(process.execPath, args, { env, encoding: 'utf8' }, (e, stdout, stderr) =>
          resolve({ code: e ? (typeof e.code === 'number' ? e.code : 1) : 0, out: `${stdout}${stderr}` }),
        );
      });
    const r = await verify('renewed.pdf');
    expect([r.code, r.out]).toEqual([0, expect.stringMatching(/^TOTAL-PASSED \(PAdES: TOTAL-PASSED; 6 revision\(s\)/)]);
    const line = (field: string) => r.out.split('\n').find((l) => l.startsWith(`document time-stamp "${field}"`));
    expect(line('DocTimeStamp1')).toContain(
      `TOTAL-PASSED — time-stamp of ${T0.toISOString()} by ${pki.tsa.certificate.subject}: valid at ${T1.toISOString()}`,
    );
    expect(line('DocTimeStamp2')).toContain(
      `TOTAL-PASSED — time-stamp of ${T1.toISOString()} by ${second.tsa.certificate.subject}: valid at `,
    );
    const old = await verify('lta.pdf');
    expect([old.code, old.out]).toEqual([1, expect.stringMatching(/^INDETERMINATE \(PAdES: INDETERMINATE OUT_OF_BOUNDS_NO_POE;/)]);
  });

  test('renewing twice adds two revisions each time; each renewal covers the time-stamp before it', async () => {
    const t = new Date(T1.getTime() + 30 * 86_400_000);
    const again = await renewPades(renewed.pdf, deps(t));
    expect(Buffer.from(again.pdf.subarray(0, renewed.pdf.length)).equals(Buffer.from(renewed.pdf))).toBe(true);
    expect([again.fieldName, again.covered]).toEqual(['DocTimeStamp3', ['DocTimeStamp2']]);
    const r = await validate(again.pdf, NOW);
    expect([r.indication, r.revisions, r.documentTimestamps.map((d) => d.validatedAt)]).toEqual(['TOTAL-PASSED', 8, [T1, t, NOW]]);
    const file = await save(again.pdf);
    expect((await run('qpdf', ['--check', file], dir)).code).toBe(0);
    expect(await tsVerify(again.pdf, 2, second.serviceCa.certificate, NOW)).toContain('Verification: OK');
  }, 60_000);
});

describe("validation: each time-stamp's TSA not revoked before the time the next one proves", () => {
  /** `pdf` with a later DSS update holding a CRL of the first service CA that revokes the first TSA at `revokedAt`. */
  const withTsaRevoked = async (pdf: Uint8Array, revokedAt: Date): Promise<Uint8Array> => {
    const entry = { serialHex: pki.tsa.certificate.serialNumber, revokedAt, reason: 'keyCompromise' as const };
    const crl = new Uint8Array(await createCrl(pki.serviceCa, [entry], { crlNumber: 7, thisUpdate: revokedAt }));
    return addDss(pdf, [{ data: { certificates: [], ocsps: [], crls: [crl] } }], { time: NOW });
  };

  test('revoked after the renewal: the renewed file stays TOTAL-PASSED', async () => {
    const r = await validate(await withTsaRevoked(renewed.pdf, new Date(T1.getTime() + 86_400_000)), NOW);
    expect([r.indication, r.revisions]).toEqual(['TOTAL-PASSED', 7]);
    expect(r.documentTimestamps[0]!.laterChanges).toContainEqual(expect.stringMatching(/^revision 7: .*Document Security Store/));
  });

  test('revoked between its genTime and the renewal: INDETERMINATE REVOKED_NO_POE', async () => {
    const r = await validate(await withTsaRevoked(renewed.pdf, new Date(T0.getTime() + YEAR)), NOW);
    const [first, last] = r.documentTimestamps;
    expect([first!.indication, first!.subIndication, last!.indication]).toEqual(['INDETERMINATE', 'REVOKED_NO_POE', 'TOTAL-PASSED']);
    expect(first!.message).toMatch(/was revoked at .* after genTime .* but before the token's POE/);
    expect(r.indication).toBe('INDETERMINATE');
  });

  test('revoked before its genTime: TOTAL-FAILED REVOKED', async () => {
    const r = await validate(await withTsaRevoked(renewed.pdf, new Date(T0.getTime() - 86_400_000)), NOW);
    expect([r.documentTimestamps[0]!.indication, r.documentTimestamps[0]!.subIndication]).toEqual(['TOTAL-FAILED', 'REVOKED']);
    expect(r.indication).toBe('TOTAL-FAILED');
  });
});

describe('renewalDue', () => {
  const margin = 2 * YEAR;

  test("the newest time-stamp's TSA certificate ends first: due two years before it", async () => {
    const tsaEnd = pki.tsa.certificate.notAfter;
    const early = await renewalDue(lta, new Date(T0.getTime() + YEAR), margin);
    expect(early).toMatchObject({ due: false, endsAt: tsaEnd, cause: 'certificate', dueAt: new Date(tsaEnd.getTime() - margin) });
    expect(early.reason).toMatch(/^certificate CN=segl test TSA.* expires at /);
    expect(early.newest).toEqual({ fieldName: 'DocTimeStamp1', genTime: T0, tsa: pki.tsa.certificate.subject });
    expect((await renewalDue(lta, new Date(T0.getTime() + 3.5 * YEAR), margin)).due).toBe(true);
    // after renewal the newest is the second TSA's; RSA-2048 ends 2030 by the default table
    const after = await renewalDue(renewed.pdf, NOW, margin);
    const rsaEnd = ALGORITHM_ENDS.rsa.find((x) => x.minBits === 2048)!.end!;
    const end = second.tsa.certificate.notAfter < rsaEnd ? second.tsa.certificate.notAfter : rsaEnd;
    expect([after.newest.fieldName, after.endsAt]).toEqual(['DocTimeStamp2', end]);
  });

  test('the weakest algorithm, when it ends before the certificates', async () => {
    const sha256End = new Date(T0.getTime() + 2 * YEAR);
    const ends = { ...ALGORITHM_ENDS, hashes: { ...ALGORITHM_ENDS.hashes, 'SHA-256': sha256End } };
    const r = await renewalDue(lta, new Date(T0.getTime() + 0.5 * YEAR), margin, { algorithmEnds: ends });
    expect([r.due, r.endsAt, r.cause, r.reason]).toEqual([
      true,
      sha256End,
      'algorithm',
      expect.stringMatching(/^message imprint: SHA-256 at /),
    ]);
  });
});

describe('bad input: a clear error, nothing produced, the TSA not asked', () => {
  test.each([
    ['a truncated PDF', async () => lta.subarray(0, lta.length - 200), /^not a complete PDF: /],
    ['a PDF without signatures', makePdf, /^not a PAdES: the PDF holds no signature/],
    [
      'a B-LT (its last revision a DSS update)',
      () => seal('B-LT'),
      /^the last revision \(3 of 3\) is not covered by a document time-stamp/,
    ],
    [
      'a B-T (its last revision a signature)',
      () => seal('B-T'),
      /^the last revision is Signature1, a Sig \/ETSI.CAdES.detached, not a document/,
    ],
    [
      'a B-LTA whose document time-stamp no longer holds',
      async () => {
        // one digit of the VRI's /TU, which the document time-stamp covers
        const broken = new Uint8Array(lta);
        const at = Buffer.from(lta).indexOf('/TU (D:', 0, 'latin1') + '/TU (D:'.length + 3;
        broken[at] = broken[at] === 0x30 ? 0x31 : 0x30;
        return broken;
      },
      /^the newest document time-stamp DocTimeStamp1 does not hold: the message imprint is not the hash/,
    ],
  ])(
    '%s',
    async (_what, make, message) => {
      const input = await make();
      const copy = Buffer.from(input);
      const calls = tsaCalls;
      await expect(renewPades(input, deps(T1))).rejects.toThrow(RenewalError);
      await expect(renewPades(input, deps(T1))).rejects.toThrow(message);
      await expect(renewalDue(input, NOW, 0)).rejects.toThrow(message);
      expect(tsaCalls).toBe(calls);
      expect(Buffer.from(input).equals(copy)).toBe(true);
    },
    60_000,
  );
});

// `segl verify FILE.pdf` (src/signing/offlinepdf.ts through the built CLI, bin/segl.js → dist/): a real package —
// two LTV-SDOs made the real way (SigningPipeline with the built-in test PKI answering OCSP and time-stamps in
// process), composed by src/packaging/compose.ts and sealed PAdES B-LTA by createPades with a visible seal — is
// verified offline with only the root as anchor: its seal, its document time-stamp and each attached LTV-SDO.
// A package whose attached LTV-SDO was tampered with before sealing, and one with a page changed after sealing,
// exit 1 and say why. pdfdetach and pdfsig look at the same files from outside.
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { deflateSync } from 'node:zlib';
import path from 'node:path';
import { PDFDocument, StandardFonts } from '@cantoo/pdf-lib';
import { SigningPipeline } from '../../src/signing/pipeline';
import type { TrustSetup } from '../../src/signing/trust';
import { createTestPki, type TestPki } from '../../src/testca/pki';
import { createPades } from '../../src/trust/pades/pades';
import { renewPades } from '../../src/trust/pades/renew';
import { composePackage } from '../../src/packaging/compose';
import { readLtvSdo } from '../../src/packaging/sdo';
import type { PackageContent } from '../../src/packaging/types';
import { TEST_URLS } from '../support/person';
import { sealedSdo, trustFor } from '../support/sdo';
import { attachmentPdf, deflatedZeros, objectStreamBomb } from '../support/pdfbomb';
import { REPO } from '../support/soap';

function tool(cmd: string, args: string[]): Promise<{ code: number; out: string }> {
  return new Promise((resolve) => {
    const env = { PATH: process.env.PATH, HOME: process.env.HOME, DATA_DIR: dir, LOG_LEVEL: 'silent' };
    execFile(cmd, args, { encoding: 'utf8', maxBuffer: 1 << 26, env }, (e, stdout, stderr) => {
      resolve({ code: e ? (typeof e.code === 'number' ? e.code : 1) : 0, out: `${stdout}${stderr}` });
    });
  });
}

const dir = mkdtempSync(path.join(os.tmpdir(), 'segl-verify-pades-'));
const verify = (file: string) =>
  tool(process.execPath, [path.join(REPO, 'bin', 'segl.js'), 'verify', path.join(dir, file), '--anchor', path.join(dir, 'root.pem')]);

let pki: TestPki;
let trust: TrustSetup;
const sdos: Uint8Array[] = [];

const sealedSdoOf = (pipeline: SigningPipeline, name: string, pid: string, doc: Uint8Array) =>
  sealedSdo(pki, pipeline, {
    name,
    pid,
    taskId: `task-${pid.slice(-1)}`,
    signText: 'I approve the loan agreement.',
    documents: [{ id: 'loan', description: 'Loan agreement', mimeType: 'application/pdf', bytes: doc }],
  });

/** The package of `attached` (the LTV-SDOs as bytes), described from the genuine ones, sealed B-LTA. */
async function sealedPackage(attached: Uint8Array[]): Promise<Uint8Array> {
  const summaries = sdos.map((b) => readLtvSdo(b));
  const content: PackageContent = {
    packageId: 'pkg-verify',
    serviceName: 'demo',
    createdAt: new Date('2025-03-01T12:00:00Z'),
    language: 'en',
    documents: summaries[0]!.documents,
    signers: summaries.map((s) => ({
      name: s.signer.name,
      signedAt: s.trustedSigningTime,
      certSubject: s.signerCertificate.subject,
      certIssuer: s.signerCertificate.issuer,
      indication: s.initialVerification.indication,
      documentIds: s.documents.map((d) => d.id),
    })),
    seal: summaries[0]!.seal,
    attachments: attached.map((bytes, i) => ({
      name: `loan-task-${i + 1}.ltvsdo.xml`,
      mimeType: 'application/x-ltv-sdo',
      bytes,
      afRelationship: 'Source' as const,
    })),
    manifest: { packageId: 'pkg-verify' },
  };
  const composed = await composePackage(content);
  return createPades(composed.pdf, {
    level: 'B-LTA',
    signer: pki.seal,
    chain: trust.sealChain,
    timestamps: trust.timestamp,
    revocation: trust.revocation,
    appearance: {
      ...composed.sealAppearance,
      lines: ['Sealed by segl test Seal'],
      font: readFileSync(require.resolve('dejavu-fonts-ttf/ttf/DejaVuSans.ttf')),
    },
  });
}

beforeAll(async () => {
  pki = await createTestPki({ urls: TEST_URLS });
  trust = trustFor(pki);
  writeFileSync(path.join(dir, 'root.pem'), pki.root.certificate.toString('pem'));
  const loan = await PDFDocument.create();
  loan.addPage().drawText('Loan agreement', { x: 72, y: 700, size: 20, font: await loan.embedFont(StandardFonts.Helvetica) });
  const pipeline = new SigningPipeline(trust);
  const loanPdf = await loan.save();
  sdos.push(await sealedSdoOf(pipeline, 'Ada Lovelace', '9208-2002-2-111111111111', loanPdf));
  sdos.push(await sealedSdoOf(pipeline, 'Alan Turing', '9208-2002-2-222222222222', loanPdf));
}, 120_000);

afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('segl verify FILE.pdf', () => {
  test('a sealed package: exit 0; the seal, its level, the document time-stamp and both LTV-SDOs TOTAL-PASSED', async () => {
    writeFileSync(path.join(dir, 'good.pdf'), await sealedPackage(sdos));
    const listed = await tool('pdfdetach', ['-list', path.join(dir, 'good.pdf')]);
    expect(listed.out).toMatch(/loan-task-1\.ltvsdo\.xml[\s\S]*loan-task-2\.ltvsdo\.xml[\s\S]*package\.json/);
    expect((await tool('pdfsig', ['-nocert', path.join(dir, 'good.pdf')])).out).toContain('Signature is Valid.');
    const r = await verify('good.pdf');
    expect([r.code, r.out]).toEqual([
      0,
      expect.stringMatching(/^TOTAL-PASSED \(PAdES: TOTAL-PASSED; 4 revision\(s\); 2 LTV-SDO attachment\(s\)/),
    ]);
    expect(r.out).toMatch(/^signature "Signature1" \(ETSI\.CAdES\.detached\): TOTAL-PASSED, level B-LTA — /m);
    expect(r.out).toMatch(/^ {4}signature time-stamp: TOTAL-PASSED/m);
    expect(r.out).toMatch(/^document time-stamp "DocTimeStamp1" \(ETSI\.RFC3161\): TOTAL-PASSED/m);
    for (const name of ['loan-task-1.ltvsdo.xml', 'loan-task-2.ltvsdo.xml'])
      expect(r.out).toMatch(new RegExp(`^attachment ${name}: TOTAL-PASSED$`, 'm'));
    expect(r.out).toMatch(/^ {4}seal: TOTAL-PASSED/m);
    expect(r.out).toMatch(/^ {4}native signature: TOTAL-PASSED/m);
  }, 120_000);

  test('a sealed package renewed (trust/pades/renew.ts): exit 0, 6 revisions, both LTV-SDOs still TOTAL-PASSED', async () => {
    const good = new Uint8Array(readFileSync(path.join(dir, 'good.pdf')));
    const renewal = { timestamps: trust.timestamp, revocation: trust.revocation, certificatePool: trust.sealChain };
    writeFileSync(path.join(dir, 'renewed.pdf'), (await renewPades(good, renewal)).pdf);
    expect((await tool('qpdf', ['--check', path.join(dir, 'renewed.pdf')])).code).toBe(0);
    const r = await verify('renewed.pdf');
    expect([r.code, r.out]).toEqual([
      0,
      expect.stringMatching(/^TOTAL-PASSED \(PAdES: TOTAL-PASSED; 6 revision\(s\); 2 LTV-SDO attachment\(s\)/),
    ]);
    expect(r.out).toMatch(/^document time-stamp "DocTimeStamp2" \(ETSI\.RFC3161\): TOTAL-PASSED/m);
    expect(r.out).toMatch(/^ {4}later: revision 6: .*document time-stamp field/m);
    for (const name of ['loan-task-1.ltvsdo.xml', 'loan-task-2.ltvsdo.xml'])
      expect(r.out).toMatch(new RegExp(`^attachment ${name}: TOTAL-PASSED$`, 'm'));
  }, 120_000);

  test('an LTV-SDO tampered with before sealing: the PAdES holds, the attachment does not; exit 1 names it', async () => {
    const xml = Buffer.from(sdos[1]!).toString('utf8');
    // one base64 character inside the seal's (the last) ds:SignatureValue
    const at = xml.indexOf('>', xml.lastIndexOf('<ds:SignatureValue')) + 11;
    expect(xml[at]).toMatch(/[A-Za-z0-9+/]/);
    const tampered = xml.slice(0, at) + (xml[at] === 'A' ? 'B' : 'A') + xml.slice(at + 1);
    writeFileSync(path.join(dir, 'tampered.pdf'), await sealedPackage([sdos[0]!, new Uint8Array(Buffer.from(tampered))]));
    const r = await verify('tampered.pdf');
    expect(r.code).toBe(1);
    expect(r.out).toMatch(/^TOTAL-FAILED \(PAdES: TOTAL-PASSED;/);
    expect(r.out).toMatch(/^attachment loan-task-1\.ltvsdo\.xml: TOTAL-PASSED$/m);
    expect(r.out).toMatch(/^attachment loan-task-2\.ltvsdo\.xml: TOTAL-FAILED$/m);
    expect(r.out).toMatch(/^ {4}seal: TOTAL-FAILED SIG_CRYPTO_FAILURE/m);
  }, 120_000);

  test('a page changed after sealing: exit 1, modified after signing', async () => {
    const good = readFileSync(path.join(dir, 'good.pdf'));
    const doc = await PDFDocument.load(good, { forIncrementalUpdate: true, updateMetadata: false });
    doc.getPage(1).drawText('Amount: 1,000,000', { x: 72, y: 600, size: 20, font: await doc.embedFont(StandardFonts.Helvetica) });
    writeFileSync(path.join(dir, 'changed.pdf'), await doc.commit({ useObjectStreams: false }));
    expect((await tool('pdfsig', ['-nocert', path.join(dir, 'changed.pdf')])).out).toContain('Signature is Valid.');
    const r = await verify('changed.pdf');
    expect(r.code).toBe(1);
    expect(r.out).toMatch(/^TOTAL-FAILED \(PAdES: TOTAL-FAILED FORMAT_FAILURE;/);
    expect(r.out).toMatch(
      /^signature "Signature1" \(ETSI\.CAdES\.detached\): TOTAL-FAILED FORMAT_FAILURE, level B-LTA — modified after signing: revision 5: page 2 changed/m,
    );
  }, 60_000);

  test.each([
    ['an attached LTV-SDO', async () => attachmentPdf(deflateSync(await deflatedZeros(1024 ** 3)), '[/FlateDecode /FlateDecode]')],
    ['an object stream', async () => objectStreamBomb(await deflatedZeros(1024 ** 3))],
  ])(
    'a PDF whose %s unpacks to 1 GiB: exit 1 at the decode bound, at once, naming the file',
    async (_what, bomb) => {
      writeFileSync(path.join(dir, 'bomb.pdf'), await bomb());
      const t0 = Date.now();
      const r = await verify('bomb.pdf');
      expect(r.code).toBe(1);
      expect(r.out).toBe(`segl: ${path.join(dir, 'bomb.pdf')}: its compressed streams unpack to more than 64 MB: a compression bomb\n`);
      expect(Date.now() - t0).toBeLessThan(20_000);
    },
    60_000,
  );
});

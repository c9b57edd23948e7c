// src/trust/validation/pades.ts (validatePades) on real PDFs sealed with createPades and the built-in test PKI
// (src/testca/pki.ts: seal and TSA under the service CA, OCSP answered in process), and on files broken by hand
// the ways reference/packagingservice-v4.md §6 lists (a flipped byte, an appended page change, a ByteRange that
// does not cover its revision or is shifted). Outside tools say the same: pdfsig (-nocert: the CMS over its
// ByteRange, and "Total document signed" or not), openssl cms -verify over the ByteRange bytes, openssl ts -verify
// for the document time-stamp, qpdf --check. An adbe.pkcs7.detached signature is made by openssl cms -sign.
import '../../src/trust/crypto';
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PDFDocument, PDFName, StandardFonts } from '@cantoo/pdf-lib';
import * as x509 from '@peculiar/x509';
import { readTlv } from '../../src/trust/asn1/der';
import { crypto } from '../../src/trust/crypto';
import { respondOcsp } from '../../src/trust/ocsp/responder';
import { addDocumentTimestamp } from '../../src/trust/pades/doctimestamp';
import { addDss } from '../../src/trust/pades/dss';
import { addSignatureField, commitIncrement, openIncrement, pdfDate } from '../../src/trust/pades/field';
import { createPades, type PadesLevel } from '../../src/trust/pades/pades';
import { fillPlaceholder, setPlaceholders } from '../../src/trust/pades/placeholder';
import { readSignatures } from '../../src/trust/pades/signatures';
import { collectValidationData } from '../../src/trust/pades/validationdata';
import type { RevocationSource, TimestampSource } from '../../src/trust/sources';
import { respondTimestamp } from '../../src/trust/tsp/responder';
import { validatePades, type PadesReport } from '../../src/trust/validation/pades';
import { ocspRevocationSource } from '../../src/trust/validation/revocation';
import { normalizeSerialHex } from '../../src/trust/x509/serial';
import { createCrl, createTestPki, toPem, type TestPki } from '../../src/testca/pki';
import { TEST_URLS } from '../support/person';

interface Run {
  code: number;
  out: string;
}
function run(cmd: string, args: string[]): Promise<Run> {
  return new Promise((resolve) => {
    execFile(cmd, args, { cwd: dir, encoding: 'utf8', maxBuffer: 1 << 26 }, (err, stdout, stderr) => {
      resolve({ code: err ? (typeof err.code === 'number' ? err.code : 1) : 0, out: `${stdout}\n${stderr}` });
    });
  });
}

let dir: string;
let pki: TestPki;
let other: TestPki;
let chain: x509.X509Certificate[];
let timestamps: TimestampSource;
let revocation: RevocationSource;
let n = 0;

async function save(pdf: Uint8Array): Promise<string> {
  const f = `f${++n}.pdf`;
  await writeFile(join(dir, f), pdf);
  return f;
}

async function makePdf(): Promise<Uint8Array> {
  const doc = await PDFDocument.create();
  const font = await doc.embedFont(StandardFonts.Helvetica);
  doc.addPage([595, 842]).drawText('Purchase agreement: the bicycle for 4,000 DKK', { x: 50, y: 760, size: 14, font });
  doc.addPage([595, 842]).drawText('Page 2: signatures follow', { x: 50, y: 760, size: 14, font });
  return doc.save({ useObjectStreams: false });
}

const seal = (level: PadesLevel, pdf?: Uint8Array): Promise<Uint8Array> =>
  (pdf ? Promise.resolve(pdf) : makePdf()).then((p) =>
    createPades(p, { level, signer: pki.seal, chain, certificatePool: chain, timestamps, revocation, reason: 'Sealed by segl' }),
  );

const validate = (pdf: Uint8Array, anchor = pki.root.certificate): Promise<PadesReport> => validatePades(pdf, { anchors: [anchor] });

/** The ByteRange numbers written in the file, read by hand: [start of the array text, numbers]. */
function byteRanges(pdf: Uint8Array): Array<{ at: number; text: string; range: number[] }> {
  const s = Buffer.from(pdf).toString('latin1');
  return [...s.matchAll(/\/ByteRange \[([^\]]*)\]/g)].map((m) => ({
    at: m.index + '/ByteRange '.length,
    text: `[${m[1]}]`,
    range: m[1]!.trim().split(/\s+/).map(Number),
  }));
}

/** Rewrites a ByteRange in place, the same width (the writer pads it with spaces). */
function patchRange(pdf: Uint8Array, which: number, range: number[]): Uint8Array {
  const out = new Uint8Array(pdf);
  const br = byteRanges(pdf)[which]!;
  const text = `[${range.join(' ')}`.padEnd(br.text.length - 1, ' ') + ']';
  expect(text.length).toBe(br.text.length);
  out.set(Buffer.from(text, 'latin1'), br.at);
  return out;
}

/** The bytes a ByteRange covers and the DER in its gap, written for openssl. */
async function extract(pdf: Uint8Array, which: number): Promise<{ der: string; data: string }> {
  const { range } = byteRanges(pdf)[which]!;
  const [a, b, c, d] = range as [number, number, number, number];
  const contents = Buffer.from(Buffer.from(pdf.subarray(b + 1, c - 1)).toString('latin1'), 'hex');
  const der = contents.subarray(0, readTlv(contents, 0).end);
  await writeFile(join(dir, `sig${n}.der`), der);
  await writeFile(join(dir, `data${n}.bin`), Buffer.concat([pdf.subarray(a, a + b), pdf.subarray(c, c + d)]));
  return { der: `sig${n}.der`, data: `data${n}.bin` };
}

const cmsVerify = (f: { der: string; data: string }, ca = 'root.pem') =>
  run('openssl', [
    'cms',
    '-verify',
    '-binary',
    '-inform',
    'DER',
    '-in',
    f.der,
    '-content',
    f.data,
    '-CAfile',
    ca,
    '-purpose',
    'any',
    '-out',
    '/dev/null',
  ]);

const pdfsig = (file: string) => run('pdfsig', ['-nocert', file]);

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'segl-pades-validate-'));
  pki = await createTestPki({ urls: TEST_URLS });
  other = await createTestPki({ name: 'other', urls: TEST_URLS });
  chain = [pki.serviceCa.certificate, pki.root.certificate];
  timestamps = (req) => respondTimestamp(req, { tsa: pki.tsa, policyOid: '1.3.6.1.4.1.99999.2.1' });
  const good = async () => ({ status: 'good' as const });
  revocation = ocspRevocationSource({
    fetch: async (_url, der) =>
      respondOcsp(der, [
        { responder: pki.serviceOcsp, issuer: pki.serviceCa.certificate, lookup: good },
        { responder: pki.root, issuer: pki.root.certificate, lookup: good },
      ]),
  });
  await writeFile(join(dir, 'root.pem'), pki.root.certificate.toString('pem'));
  await writeFile(join(dir, 'other-root.pem'), other.root.certificate.toString('pem'));
  await writeFile(join(dir, 'chain.pem'), [pki.serviceCa, pki.tsa].map((i) => i.certificate.toString('pem')).join('\n'));
}, 120_000);

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('validatePades on createPades output', () => {
  let lta: Uint8Array;
  beforeAll(async () => {
    lta = await seal('B-LTA');
  }, 60_000);

  test('B-LTA: TOTAL-PASSED, level B-LTA; pdfsig, openssl cms and openssl ts agree', async () => {
    const r = await validate(lta);
    expect([r.indication, r.subIndication, r.revisions]).toEqual(['TOTAL-PASSED', undefined, 4]);
    const [s] = r.signatures;
    expect(s).toMatchObject({ fieldName: 'Signature1', subFilter: 'ETSI.CAdES.detached', indication: 'TOTAL-PASSED', revision: 1 });
    expect(s!.level).toEqual({ level: 'B-LTA', missing: [] });
    expect(s!.timestamps.map((t) => t.indication)).toEqual(['TOTAL-PASSED']);
    // the signer validated at the signature time-stamp's time, not now
    expect(s!.validatedAt).toEqual(s!.timestamps[0]!.genTime);
    expect(s!.laterChanges).toEqual([expect.stringMatching(/Document Security Store/), expect.stringMatching(/document time-stamp field/)]);
    expect(r.documentTimestamps.map((d) => [d.fieldName, d.indication, d.coversWholeFile])).toEqual([
      ['DocTimeStamp1', 'TOTAL-PASSED', true],
    ]);
    expect(s!.revocation!.map((x) => x.status.status)).toEqual(['good', 'good']);

    const file = await save(lta);
    const sig = await pdfsig(file);
    expect(sig.out.split(/Signature #\d+:/)[1]).toContain('Signature Validation: Signature is Valid.');
    expect((await cmsVerify(await extract(lta, 0))).out).toContain('Verification successful');
    const dts = await extract(lta, 1);
    const ts = await run('openssl', [
      'ts',
      '-verify',
      '-data',
      dts.data,
      '-in',
      dts.der,
      '-token_in',
      '-CAfile',
      'root.pem',
      '-untrusted',
      'chain.pem',
    ]);
    expect(ts.out).toContain('Verification: OK');
  });

  test('B-B, B-T and B-LT each report their level; without a DSS revocation is indeterminate offline', async () => {
    const bb = await validate(await seal('B-B'));
    expect([bb.signatures[0]!.level!.level, bb.indication, bb.subIndication]).toEqual(['B-B', 'INDETERMINATE', 'TRY_LATER']);
    expect(bb.signatures[0]!.validatedAt).toEqual(bb.at);
    const bt = await validate(await seal('B-T'));
    expect([bt.signatures[0]!.level!.level, bt.indication, bt.subIndication]).toEqual(['B-T', 'INDETERMINATE', 'TRY_LATER']);
    expect(bt.signatures[0]!.level!.missing).toEqual(['no DSS in the catalog']);
    const lt = await validate(await seal('B-LT'));
    expect([lt.signatures[0]!.level!.level, lt.indication]).toEqual(['B-LT', 'TOTAL-PASSED']);
    expect(lt.documentTimestamps).toEqual([]);
  }, 60_000);

  test('one flipped byte in a signed range: TOTAL-FAILED HASH_FAILURE; pdfsig and openssl say broken too', async () => {
    const flipped = new Uint8Array(lta);
    // the first page's /MediaBox [0 0 595 842] becomes [0 0 495 842]: still a well-formed PDF
    const at = Buffer.from(lta).indexOf('595');
    expect(at).toBeGreaterThan(0);
    expect(at).toBeLessThan(byteRanges(lta)[0]!.range[1]!);
    flipped[at]! ^= 0x01;
    const r = await validate(flipped);
    expect([r.indication, r.subIndication]).toEqual(['TOTAL-FAILED', 'HASH_FAILURE']);
    expect(r.signatures[0]).toMatchObject({ indication: 'TOTAL-FAILED', subIndication: 'HASH_FAILURE' });
    expect(r.documentTimestamps[0]).toMatchObject({ indication: 'TOTAL-FAILED', subIndication: 'HASH_FAILURE' });
    const file = await save(flipped);
    expect((await pdfsig(file)).out.split(/Signature #\d+:/)[1]).toMatch(/Digest Mismatch|Signature is Invalid/);
    const bad = await cmsVerify(await extract(flipped, 0));
    expect(bad.code).not.toBe(0);
    expect(bad.out).toMatch(/digest failure|Verification failure/);
  });

  test('an update that draws on page 1 after the seal: modified after signing; one that only adds to the DSS: still TOTAL-PASSED', async () => {
    const doc = await PDFDocument.load(lta, { forIncrementalUpdate: true, updateMetadata: false });
    const font = await doc.embedFont(StandardFonts.HelveticaBold);
    doc.getPage(0).drawText('PAID IN FULL', { x: 50, y: 700, size: 30, font });
    const changed = await doc.commit({ useObjectStreams: false });
    const file = await save(changed);
    // the outside tools see a well-formed file whose signatures still verify over their ranges
    expect((await run('qpdf', ['--check', file])).out).toContain('No syntax or stream encoding errors found');
    const poppler = await pdfsig(file);
    expect(poppler.out).toContain('Signature is Valid.');
    expect(poppler.out).not.toContain('Total document signed');
    expect((await run('pdftotext', ['-f', '1', '-l', '1', file, '-'])).out).toContain('PAID IN FULL');
    const r = await validate(changed);
    expect([r.indication, r.subIndication]).toEqual(['TOTAL-FAILED', 'FORMAT_FAILURE']);
    expect(r.signatures[0]!.message).toMatch(/^modified after signing: revision 5: page 1 changed its .*\/Contents/);
    expect(r.documentTimestamps[0]!.message).toMatch(/^modified after signing/);

    const [sealSig] = (await readSignatures(lta)).filter((x) => x.type === 'Sig');
    const data = await collectValidationData(sealSig!.der, { certificatePool: chain, revocation });
    const more = await addDss(lta, [{ contents: sealSig!.contents, data }]);
    expect((await run('qpdf', ['--check', await save(more)])).out).toContain('No syntax or stream encoding errors found');
    const ok = await validate(more);
    expect([ok.indication, ok.revisions]).toEqual(['TOTAL-PASSED', 5]);
    expect(ok.signatures[0]!.laterChanges).toContainEqual(expect.stringMatching(/^revision 5: the Document Security Store/));
  });

  test('a ByteRange that stops short of its revision, or a shifted one (pdf-insecurity style), is refused', async () => {
    const bt = await seal('B-T');
    const [, a, b, c] = byteRanges(bt)[0]!.range as [number, number, number, number];
    const short = await validate(patchRange(bt, 0, [0, a, b, c - 7]));
    expect([short.indication, short.subIndication]).toEqual(['TOTAL-FAILED', 'FORMAT_FAILURE']);
    expect(short.signatures[0]!.message).toMatch(/ByteRange is refused: .*not the end of a revision/);
    const shifted = await validate(patchRange(bt, 0, [0, a + 2, b + 2, c - 2]));
    expect(shifted.signatures[0]!.message).toMatch(/ByteRange is refused: the \/ByteRange gap is not a hex string/);
    const wider = await validate(patchRange(bt, 0, [0, a - 10, b, c]));
    expect(wider.signatures[0]!.message).toMatch(/ByteRange is refused/);
    const notZero = await validate(patchRange(bt, 0, [1, a - 1, b, c]));
    expect(notZero.signatures[0]!.message).toMatch(/does not start at byte 0/);
    // pdfsig, which checks the CMS over whatever range is written, fails them too
    for (const f of [patchRange(bt, 0, [0, a, b, c - 7]), patchRange(bt, 0, [0, a + 2, b + 2, c - 2])])
      expect((await pdfsig(await save(f))).out).not.toContain('Signature is Valid.');
  }, 60_000);

  test("another PKI's root as the only anchor: INDETERMINATE NO_CERTIFICATE_CHAIN_FOUND; openssl cannot chain it either", async () => {
    const r = await validate(lta, other.root.certificate);
    expect([r.indication, r.subIndication]).toEqual(['INDETERMINATE', 'NO_CERTIFICATE_CHAIN_FOUND']);
    expect(r.signatures[0]).toMatchObject({ indication: 'INDETERMINATE', subIndication: 'NO_CERTIFICATE_CHAIN_FOUND' });
    expect(r.signatures[0]!.level!.level).toBe('B-LTA');
    const v = await cmsVerify(await extract(lta, 0), 'other-root.pem');
    expect(v.code).not.toBe(0);
    expect(v.out).toMatch(/unable to get local issuer certificate|certificate verify error/);
  });

  test("a DSS without the seal's OCSP response: the level stops at B-T and the seal's revocation is indeterminate", async () => {
    const bt = await seal('B-T');
    const [sig] = await readSignatures(bt);
    const data = await collectValidationData(sig!.der, { certificatePool: chain, revocation });
    const sealSerial = normalizeSerialHex(pki.seal.certificate.serialNumber);
    const ocsps = data.ocsps.filter((der) => !Buffer.from(der).includes(Buffer.from(sealSerial, 'hex')));
    expect(ocsps).toHaveLength(data.ocsps.length - 1);
    const holed = await addDocumentTimestamp(await addDss(bt, [{ contents: sig!.contents, data: { ...data, ocsps } }]), timestamps);
    const r = await validate(holed);
    const s = r.signatures[0]!;
    expect(s.level!.level).toBe('B-T');
    expect(s.level!.missing).toEqual([`no revocation data for ${pki.seal.certificate.subject}`]);
    expect([s.indication, s.subIndication]).toEqual(['INDETERMINATE', 'TRY_LATER']);
    expect(s.message).toMatch(/status of certificate CN=segl test Seal.* is unknown offline/);
    expect(r.documentTimestamps[0]!.indication).toBe('TOTAL-PASSED');
  }, 60_000);

  test('an adbe.pkcs7.detached signature made by openssl cms -sign: verified, but its level is PDF-NOT-ETSI', async () => {
    const pkcs8 = new Uint8Array(await crypto.subtle.exportKey('pkcs8', pki.seal.keys.privateKey));
    await writeFile(join(dir, 'seal.key'), toPem(pkcs8, 'PRIVATE KEY'));
    await writeFile(join(dir, 'seal.pem'), pki.seal.certificate.toString('pem'));
    await writeFile(join(dir, 'service-ca.pem'), pki.serviceCa.certificate.toString('pem'));
    const inc = await openIncrement(await makePdf());
    const dict = inc.doc.context.obj({ Type: 'Sig', Filter: 'Adobe.PPKLite', SubFilter: 'adbe.pkcs7.detached', M: pdfDate(new Date()) });
    setPlaceholders(dict, 8192);
    await addSignatureField(inc.doc, inc.doc.context.register(dict), { prefix: 'Signature' });
    const signed = await fillPlaceholder(await commitIncrement(inc), inc.start, async (covered) => {
      await writeFile(join(dir, 'adbe.bin'), covered);
      const args = [
        'cms',
        '-sign',
        '-binary',
        '-in',
        'adbe.bin',
        '-signer',
        'seal.pem',
        '-inkey',
        'seal.key',
        '-certfile',
        'service-ca.pem',
      ];
      const r = await run('openssl', [...args, '-md', 'sha256', '-nosmimecap', '-outform', 'DER', '-out', 'adbe.der']);
      expect(r.code).toBe(0);
      return new Uint8Array(await readFile(join(dir, 'adbe.der')));
    });
    const [sig] = await readSignatures(signed);
    const data = await collectValidationData(sig!.der, { certificatePool: chain, revocation });
    const withDss = await addDss(signed, [{ contents: sig!.contents, data }]);
    const poppler = await pdfsig(await save(withDss));
    expect(poppler.out).toContain('Signature Type: adbe.pkcs7.detached');
    expect(poppler.out).toContain('Signature is Valid.');
    const r = await validate(withDss);
    expect([r.indication, r.signatures[0]!.subFilter]).toEqual(['TOTAL-PASSED', 'adbe.pkcs7.detached']);
    expect(r.signatures[0]!.level!.level).toBe('PDF-NOT-ETSI');
    expect(r.signatures[0]!.level!.missing).toEqual(
      expect.arrayContaining([
        '/SubFilter is adbe.pkcs7.detached, not ETSI.CAdES.detached',
        'a signing-time attribute (PAdES: the time is /M)',
      ]),
    );
    expect(r.signatures[0]!.signingTime).toBeInstanceOf(Date);
  }, 60_000);

  test('a second signature (B-LT over a B-LT) is a later change the first one allows; both TOTAL-PASSED, pdfsig agrees', async () => {
    const twice = await seal('B-LT', await seal('B-LT'));
    const r = await validate(twice);
    expect(r.signatures.map((s) => [s.fieldName, s.indication, s.level!.level])).toEqual([
      ['Signature1', 'TOTAL-PASSED', 'B-LT'],
      ['Signature2', 'TOTAL-PASSED', 'B-LT'],
    ]);
    expect(r.signatures[0]!.laterChanges).toEqual([
      expect.stringMatching(/^revision 3: the Document Security Store/),
      expect.stringMatching(/^revision 4: a signature field/),
      expect.stringMatching(/^revision 5: the Document Security Store/),
    ]);
    const poppler = await pdfsig(await save(twice));
    expect(poppler.out.match(/Signature is Valid\./g)).toHaveLength(2);
  }, 60_000);

  test('an original with object streams, a cross-reference stream, a form field and an indirect /Annots: B-LTA TOTAL-PASSED; qpdf and pdfsig agree', async () => {
    const doc = await PDFDocument.create();
    doc.addPage([595, 842]);
    doc.getForm().createTextField('buyer').addToPage(doc.getPage(0), { x: 50, y: 600, width: 200, height: 20 });
    // the page's /Annots as an object of its own: the seal's widget is appended to that array, not to the page
    const page = doc.getPage(0).node;
    page.set(PDFName.of('Annots'), doc.context.register(page.lookup(PDFName.of('Annots'))!));
    const base = await doc.save({ useObjectStreams: true });
    expect(Buffer.from(base).includes('/XRef')).toBe(true);
    const sealed = await seal('B-LTA', base);
    const r = await validate(sealed);
    expect([r.indication, r.revisions, r.signatures[0]!.level!.level]).toEqual(['TOTAL-PASSED', 4, 'B-LTA']);
    const qpdf = await run('qpdf', ['--check', await save(sealed)]);
    expect(qpdf.out).toContain('No syntax or stream encoding errors found');
    expect((await pdfsig(`f${n}.pdf`)).out.split(/Signature #\d+:/)[1]).toContain('Signature is Valid.');
  }, 60_000);

  test('revocation from CRLs in the DSS: good CRLs pass; a CRL listing the seal as revoked before signing is TOTAL-FAILED REVOKED, as openssl says', async () => {
    const crlSource =
      (revokedSeal: boolean): RevocationSource =>
      async (cert, issuer) => {
        const ca = issuer.equal(pki.root.certificate) ? pki.root : pki.serviceCa;
        const entries =
          revokedSeal && cert.equal(pki.seal.certificate)
            ? [{ serialHex: cert.serialNumber, revokedAt: new Date(Date.now() - 3600_000), reason: 'keyCompromise' as const }]
            : [];
        const der = new Uint8Array(await createCrl(ca, entries, { crlNumber: 1 }));
        return { status: { status: 'good' }, source: 'crl', responseDer: der };
      };
    const make = (revokedSeal: boolean) =>
      makePdf().then((p) =>
        createPades(p, { level: 'B-LTA', signer: pki.seal, chain, certificatePool: chain, timestamps, revocation: crlSource(revokedSeal) }),
      );
    const good = await validate(await make(false));
    expect([good.indication, good.signatures[0]!.level!.level]).toEqual(['TOTAL-PASSED', 'B-LTA']);
    expect(good.signatures[0]!.revocation!.map((x) => x.source)).toEqual(['crl', 'crl']);
    const revoked = await make(true);
    const r = await validate(revoked);
    expect([r.indication, r.subIndication]).toEqual(['TOTAL-FAILED', 'REVOKED']);
    expect(r.signatures[0]!.message).toMatch(/certificate CN=segl test Seal.* was revoked at/);
    // openssl, given the same CRL from the DSS, refuses the seal certificate
    const [sig] = (await readSignatures(revoked)).filter((x) => x.type === 'Sig');
    const data = await collectValidationData(sig!.der, { certificatePool: chain, revocation: crlSource(true) });
    await writeFile(join(dir, 'crls.pem'), data.crls.map((c) => toPem(c, 'X509 CRL')).join(''));
    await writeFile(join(dir, 'seal.pem'), pki.seal.certificate.toString('pem'));
    await writeFile(join(dir, 'service-ca.pem'), pki.serviceCa.certificate.toString('pem'));
    const v = await run('openssl', [
      'verify',
      '-crl_check_all',
      '-CRLfile',
      'crls.pem',
      '-CAfile',
      'root.pem',
      '-untrusted',
      'service-ca.pem',
      'seal.pem',
    ]);
    expect(v.out).toMatch(/certificate revoked/);
  }, 60_000);

  test('a PDF without signatures is INDETERMINATE; bytes that are not a PDF are TOTAL-FAILED FORMAT_FAILURE', async () => {
    const none = await validate(await makePdf());
    expect([none.indication, none.subIndication]).toEqual(['INDETERMINATE', 'SIGNED_DATA_NOT_FOUND']);
    const junk = await validate(new Uint8Array(Buffer.from('%PDF-1.7\nnot really')));
    expect([junk.indication, junk.subIndication]).toEqual(['TOTAL-FAILED', 'FORMAT_FAILURE']);
  });
});

describe('what a later update may change (validation/pdfchanges.ts)', () => {
  let lta: Uint8Array;
  beforeAll(async () => {
    lta = await seal('B-LTA');
  }, 60_000);

  /** An incremental update made with pdf-lib; qpdf reads it without errors (exit 0, or 3 for warnings only). */
  async function update(edit: (doc: PDFDocument) => void): Promise<PadesReport & { file: string }> {
    const doc = await PDFDocument.load(lta, { forIncrementalUpdate: true, updateMetadata: false });
    edit(doc);
    const out = await doc.commit({ useObjectStreams: false });
    const file = await save(out);
    expect([0, 3]).toContain((await run('qpdf', ['--check', file])).code);
    return { ...(await validate(out)), file };
  }

  test('a new text annotation on page 2 is refused', async () => {
    const r = await update((doc) => {
      const annot = doc.context.register(
        doc.context.obj({ Type: 'Annot', Subtype: 'FreeText', Rect: [50, 50, 300, 80], Contents: 'VOID', DA: '/Helv 12 Tf 0 g' }),
      );
      doc.getPage(1).node.set(PDFName.of('Annots'), doc.context.obj([annot]));
    });
    expect(r.indication).toBe('TOTAL-FAILED');
    expect(r.signatures[0]!.message).toMatch(
      /modified after signing: revision 5: page 2's \/Annots .* not new signature fields; revision 5: object \d+ 0 \(\/Annot\) added/,
    );
  });

  test('a new page is refused', async () => {
    const r = await update((doc) => {
      doc.addPage([595, 842]);
    });
    expect(r.signatures[0]!.message).toMatch(/modified after signing: .*\(\/Pages\) changed/);
  });

  test('the document information dictionary may change (the choice in pdfchanges.ts), and is named', async () => {
    const r = await update((doc) => doc.setTitle('Retitled after sealing'));
    expect(r.indication).toBe('TOTAL-PASSED');
    expect(r.signatures[0]!.laterChanges).toContain('revision 5: the document information dictionary (/Info) (metadata, not page content)');
    expect((await run('pdfinfo', [r.file])).out).toContain('Retitled after sealing');
  });
});

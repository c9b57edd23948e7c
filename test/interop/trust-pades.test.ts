// src/trust/pades/ (signPdf, addDss, addDocumentTimestamp, createPades) checked by outside tools on PDFs made with
// @cantoo/pdf-lib (2 pages of DejaVuSans text), sealed with the built-in test PKI (src/testca/pki.ts: the seal and
// the TSA under the service CA, OCSP from the service CA's delegated responder and, for the service CA itself, the
// root): qpdf --check; pdfsig against an NSS database trusting the test root; openssl cms -verify over the ByteRange
// bytes and cms -cmsout -print for the attributes; openssl ts -verify for the signature time-stamp (over the
// SignatureValue) and the document time-stamp (over the ByteRange bytes); qpdf --json for the DSS and the VRI key;
// pdffonts for the visible signature's embedded font. The ByteRange, /Contents and DSS are read back here by
// hand and with qpdf, not with the code under test.
import '../../src/trust/crypto';
import { createHash } from 'node:crypto';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import fontkit from '@cantoo/fontkit';
import { PDFArray, PDFDict, PDFDocument, PDFName } from '@cantoo/pdf-lib';
import * as x509 from '@peculiar/x509';
import * as pkijs from 'pkijs';
import { childrenOf, contentOf, encodingOf, readDer, TAG } from '../../src/trust/asn1/der';
import { ocspGetPath, respondOcsp } from '../../src/trust/ocsp/responder';
import { addDocumentTimestamp } from '../../src/trust/pades/doctimestamp';
import { addDss, vriKey } from '../../src/trust/pades/dss';
import { createPades } from '../../src/trust/pades/pades';
import { PlaceholderTooSmallError } from '../../src/trust/pades/placeholder';
import { signPdf } from '../../src/trust/pades/sign';
import { readSignatures } from '../../src/trust/pades/signatures';
import { collectValidationData, ValidationDataError } from '../../src/trust/pades/validationdata';
import type { RevocationSource, TimestampSource } from '../../src/trust/sources';
import { respondTimestamp } from '../../src/trust/tsp/responder';
import { ocspRevocationSource } from '../../src/trust/validation/revocation';
import { normalizeSerialHex } from '../../src/trust/x509/serial';
import { createTestPki, type TestPki } from '../../src/testca/pki';
import { postOcsp } from '../../src/signing/online';
import { readBody } from '../support/http';
import { covered, rawSignatures, run as runTool, type Run } from '../support/pades';

const run = (cmd: string, args: string[], cwd = dir): Promise<Run> => runTool(cmd, args, cwd);

const DEJAVU = require.resolve('dejavu-fonts-ttf/ttf/DejaVuSans.ttf');
const POLICY = '1.3.6.1.4.1.99999.2.1';

let dir: string;
let pki: TestPki;
let font: Uint8Array;
let timestamps: TimestampSource;
let revocation: RevocationSource;
let chain: x509.X509Certificate[];

/** A 2-page PDF in DejaVuSans; with `form`, an AcroForm text field too, saved with object streams. */
async function makePdf(form = false): Promise<Uint8Array> {
  const doc = await PDFDocument.create();
  doc.registerFontkit(fontkit);
  const f = await doc.embedFont(font, { subset: true });
  const texts = ['Købsaftale: cyklen for 4.000 kr.', 'Side 2 — underskrifter følger'];
  for (const t of texts) doc.addPage([595, 842]).drawText(t, { x: 50, y: 760, size: 14, font: f });
  if (form) doc.getForm().createTextField('buyer').addToPage(doc.getPage(0), { x: 50, y: 600, width: 200, height: 20 });
  return doc.save({ useObjectStreams: form });
}

/** The signature time-stamp token and SignatureValue of a CMS (RFC 5652 SignerInfo, unsigned attribute). */
function signatureTimestampOf(cms: Uint8Array): { signatureValue: Uint8Array; token: Uint8Array } {
  const [, explicit] = childrenOf(readDer(cms));
  const signedData = childrenOf(childrenOf(explicit!)[0]!);
  const fields = childrenOf(childrenOf(signedData[signedData.length - 1]!)[0]!);
  const unsigned = fields[fields.length - 1]!;
  expect(unsigned.tag).toBe(0xa1);
  const [, values] = childrenOf(childrenOf(unsigned)[0]!);
  return { signatureValue: contentOf(fields.find((f) => f.tag === TAG.octetString)!), token: encodingOf(childrenOf(values!)[0]!) };
}

async function cmsVerify(sigFile: string, dataFile: string): Promise<Run> {
  return run(
    'openssl',
    ['cms', '-verify', '-binary', '-inform', 'DER', '-in', sigFile, '-content', dataFile, '-CAfile', 'root.pem'].concat([
      '-purpose',
      'any',
      '-out',
      '/dev/null',
    ]),
  );
}

const tsVerify = (tokenFile: string, digestHex: string): Promise<Run> =>
  run('openssl', ['ts', '-verify', '-digest', digestHex, '-in', tokenFile, '-token_in', '-CAfile', 'root.pem', '-untrusted', 'chain.pem']);

const pdfsig = (file: string): Promise<Run> => run('pdfsig', ['-nssdir', `sql:${join(dir, 'nss')}`, file]);

const serial = (c: x509.X509Certificate): string => normalizeSerialHex(c.serialNumber);

/** qpdf --json (v2) objects, stream data decoded and inlined as base64. */
async function qpdfObjects(file: string): Promise<Record<string, any>> {
  const r = await run('qpdf', ['--json=2', '--json-stream-data=inline', '--decode-level=generalized', file]);
  expect(r.code).toBe(0);
  return JSON.parse(r.out.slice(0, r.out.lastIndexOf('}') + 1)).qpdf[1];
}

/** The test PKI's OCSP responders: the service CA's delegated one, and the root for the issuing CAs. */
function answerOcsp(der: Uint8Array): Promise<Uint8Array> {
  const good = async () => ({ status: 'good' as const });
  return respondOcsp(der, [
    { responder: pki.serviceOcsp, issuer: pki.serviceCa.certificate, lookup: good },
    // RFC 6960 §4.2.2.2: the CA that issued the certificate may sign the answer itself
    { responder: pki.root, issuer: pki.root.certificate, lookup: good },
  ]);
}

/** OCSP over HTTP (RFC 6960 §A.1, POST and GET), for segl's RevocationSource and for NSS inside pdfsig. */
let server: http.Server;
async function startOcspServer(): Promise<string> {
  server = http.createServer((req, res) => {
    void (async () => {
      const der = req.method === 'POST' ? await readBody(req) : ocspGetPath(decodeURIComponent((req.url ?? '').replace(/^\/ocsp\/?/, '')));
      const out = Buffer.from(await answerOcsp(der));
      res.writeHead(200, { 'content-type': 'application/ocsp-response', 'content-length': out.length }).end(out);
    })();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'segl-pades-'));
  font = await readFile(DEJAVU);
  const base = await startOcspServer();
  pki = await createTestPki({ urls: { ocsp: `${base}/ocsp`, crl: `${base}/crl` } });
  chain = [pki.serviceCa.certificate, pki.root.certificate];
  revocation = ocspRevocationSource({ fetch: postOcsp });
  timestamps = (req) => respondTimestamp(req, { tsa: pki.tsa, policyOid: POLICY });
  await writeFile(join(dir, 'root.pem'), pki.root.certificate.toString('pem'));
  await writeFile(join(dir, 'chain.pem'), [pki.serviceCa, pki.tsa].map((i) => i.certificate.toString('pem')).join('\n'));
  const nss = join(dir, 'nss');
  await mkdir(nss);
  expect((await run('certutil', ['-N', '-d', `sql:${nss}`, '--empty-password'])).code).toBe(0);
  expect((await run('certutil', ['-A', '-d', `sql:${nss}`, '-n', 'segl-test-root', '-t', 'CT,C,C', '-i', 'root.pem'])).code).toBe(0);
}, 120_000);

afterAll(async () => {
  await new Promise((resolve) => server.close(resolve));
  await rm(dir, { recursive: true, force: true });
});

describe('PAdES B-LTA (ETSI EN 319 142-1) checked by qpdf, pdfsig and openssl', () => {
  let sealed: Uint8Array;
  let base: Uint8Array;

  beforeAll(async () => {
    base = await makePdf();
    const t0 = performance.now();
    sealed = await createPades(base, {
      level: 'B-LTA',
      signer: pki.seal,
      chain,
      certificatePool: chain,
      timestamps,
      revocation,
      time: new Date(),
      reason: 'Forseglet af segl',
      location: 'København',
    });
    const ms = Math.round(performance.now() - t0);
    const sz = rawSignatures(sealed)
      .map((x) => `${x.der.length}/${x.contents.length}`)
      .join(', ');
    process.stdout.write(`PAdES B-LTA of a 2-page PDF: ${base.byteLength} → ${sealed.byteLength} bytes in ${ms} ms; DER/reserved ${sz}\n`);
    await writeFile(join(dir, 'lta.pdf'), sealed);
  }, 60_000);

  test('qpdf --check finds no problem; the original bytes are kept as the first revision', async () => {
    const r = await run('qpdf', ['--check', 'lta.pdf']);
    expect([r.code, r.out]).toEqual([0, expect.stringContaining('No syntax or stream encoding errors found')]);
    expect(r.out).not.toMatch(/WARNING/);
    expect(Buffer.from(sealed.subarray(0, base.byteLength)).equals(Buffer.from(base))).toBe(true);
    // no page content changed: each page keeps its /Contents; the seal's widget is invisible on page 1
    await writeFile(join(dir, 'base.pdf'), base);
    const pages = async (file: string) => {
      const objs = await qpdfObjects(join(dir, file));
      const get = (ref: string) => objs[`obj:${ref}`].value;
      return { get, kids: get(get(objs.trailer.value['/Root'])['/Pages'])['/Kids'] as string[] };
    };
    const before = await pages('base.pdf');
    const after = await pages('lta.pdf');
    expect(after.kids.map((k) => after.get(k)['/Contents'])).toEqual(before.kids.map((k) => before.get(k)['/Contents']));
    const annots = after.kids.map((k) => (after.get(k)['/Annots'] ?? []) as string[]);
    expect(annots.map((a) => a.map((ref) => after.get(ref)['/T']))).toEqual([['u:Signature1', 'u:DocTimeStamp1'], []]);
    expect(after.get(annots[0]![0]!)['/Rect']).toEqual([0, 0, 0, 0]);
  });

  test('pdfsig: the seal is valid and trusted, ETSI.CAdES.detached; the document time-stamp is listed', async () => {
    const r = await pdfsig('lta.pdf');
    const [seal, dts] = r.out.split(/Signature #\d+:/).slice(1);
    expect(seal).toContain('Signature Type: ETSI.CAdES.detached');
    expect(seal).toContain('Signature Validation: Signature is Valid.');
    expect(seal).toContain('Certificate Validation: Certificate is Trusted.');
    expect(seal).toContain('segl test Seal');
    expect(dts).toBeDefined();
  });
  test('openssl: the seal CMS verifies over the ByteRange bytes; signing-certificate-v2, no signing-time; a signature time-stamp', async () => {
    const sigs = rawSignatures(sealed);
    expect(sigs.map((x) => x.docTimestamp)).toEqual([false, true]);
    const seal = sigs[0]!;
    // ISO 32000-1 §12.8.1: one gap, exactly the /Contents string with its delimiters, up to the end of that revision
    expect(seal.range[0]).toBe(0);
    expect(String.fromCharCode(sealed[seal.range[1]!]!, sealed[seal.range[2]! - 1]!)).toBe('<>');
    expect(seal.range[2]! - seal.range[1]!).toBe(2 * seal.contents.length + 2);
    await writeFile(join(dir, 'seal.der'), seal.der);
    await writeFile(join(dir, 'seal-ranges.bin'), covered(sealed, seal.range));
    const ok = await cmsVerify('seal.der', 'seal-ranges.bin');
    expect([ok.code, ok.out]).toEqual([0, expect.stringContaining('Verification successful')]);
    const printed = (await run('openssl', ['cms', '-cmsout', '-print', '-inform', 'DER', '-in', 'seal.der'])).out;
    expect(printed).toMatch(/id-smime-aa-signingCertificateV2/);
    expect(printed).not.toMatch(/signingTime/);
    expect(printed).toMatch(/eContent: <ABSENT>/);
    expect(printed).toMatch(/id-smime-aa-timeStampToken/);
  });

  test('openssl ts: the signature time-stamp covers the SignatureValue, the document time-stamp the ByteRange bytes', async () => {
    const [seal, dts] = rawSignatures(sealed);
    const { signatureValue, token } = signatureTimestampOf(seal!.der);
    await writeFile(join(dir, 'sigts.der'), token);
    const sha256 = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');
    expect((await tsVerify('sigts.der', sha256(signatureValue))).out).toContain('Verification: OK');
    expect((await tsVerify('sigts.der', sha256(covered(sealed, seal!.range)))).out).not.toContain('Verification: OK');
    await writeFile(join(dir, 'dts.der'), dts!.der);
    await writeFile(join(dir, 'dts-ranges.bin'), covered(sealed, dts!.range));
    const r = await run('openssl', [
      'ts',
      '-verify',
      '-data',
      'dts-ranges.bin',
      '-in',
      'dts.der',
      '-token_in',
      '-CAfile',
      'root.pem',
      '-untrusted',
      'chain.pem',
    ]);
    expect(r.out).toContain('Verification: OK');
    // the document time-stamp is the last revision and covers the DSS
    expect(dts!.range[2]! + dts!.range[3]!).toBe(sealed.byteLength);
    expect(dts!.range[1]!).toBeGreaterThan(Buffer.from(sealed).indexOf('/DSS'));
  });

  test('the DSS holds the certificates and OCSP responses of the seal chain and the TSA chain; the VRI key is SHA-1 of /Contents', async () => {
    const objs = await qpdfObjects(join(dir, 'lta.pdf'));
    const get = (ref: string) => objs[`obj:${ref}`];
    const root = get(objs.trailer.value['/Root']).value;
    const dss = get(root['/DSS']).value;
    const data = (ref: string) => Buffer.from(get(ref).stream.data, 'base64');
    const certSerials = (dss['/Certs'] as string[]).map((r) => serial(new x509.X509Certificate(data(r))));
    const ocspSerials = (dss['/OCSPs'] as string[]).map((r) => {
      const response = pkijs.OCSPResponse.fromBER(data(r));
      const basic = pkijs.BasicOCSPResponse.fromBER(response.responseBytes!.response.valueBlock.valueHexView);
      const [single] = basic.tbsResponseData.responses;
      expect(single!.certStatus.idBlock.tagNumber).toBe(0); // good
      return normalizeSerialHex(Buffer.from(single!.certID.serialNumber.valueBlock.valueHexView).toString('hex'));
    });
    const { seal, serviceCa, root: rootCa, tsa, serviceOcsp } = pki;
    expect(certSerials.sort()).toEqual([seal, serviceCa, rootCa, tsa, serviceOcsp].map((i) => serial(i.certificate)).sort());
    expect(ocspSerials.sort()).toEqual([seal, serviceCa, tsa].map((i) => serial(i.certificate)).sort());
    expect(dss['/CRLs']).toBeUndefined();
    const sealSig = rawSignatures(sealed)[0]!;
    const key = createHash('sha1').update(sealSig.contents).digest('hex').toUpperCase();
    expect(Object.keys(dss['/VRI'])).toEqual([`/${key}`]);
    expect(vriKey(sealSig.contents)).toBe(key);
    expect(dss['/VRI'][`/${key}`]['/OCSP']).toEqual(dss['/OCSPs']);
  });

  test('one flipped byte inside the signed range: pdfsig reports the seal invalid and openssl fails', async () => {
    const flipped = Buffer.from(sealed);
    const at = flipped.indexOf('%', 5); // the binary comment after the header (ISO 32000-1 §7.5.2)
    expect(at).toBeLessThan(20);
    flipped[at + 1]! ^= 0x01;
    await writeFile(join(dir, 'flipped.pdf'), flipped);
    const r = await pdfsig('flipped.pdf');
    const seal = r.out.split(/Signature #\d+:/)[1]!;
    expect(seal).not.toContain('Signature is Valid');
    expect(seal).toMatch(/Digest Mismatch|Invalid/);
    const sig = rawSignatures(flipped)[0]!;
    await writeFile(join(dir, 'flipped-ranges.bin'), covered(flipped, sig.range));
    const bad = await cmsVerify('seal.der', 'flipped-ranges.bin');
    expect(bad.code).not.toBe(0);
    expect(bad.out).toMatch(/digest failure|Verification failure/);
  });

  test('addDss again with the same data merges: no value stored twice, qpdf and pdfsig still content', async () => {
    const [sig] = (await readSignatures(sealed)).filter((x) => x.type === 'Sig');
    const data = await collectValidationData(sig!.der, { certificatePool: chain, revocation });
    const again = await addDss(sealed, [{ contents: sig!.contents, data }]);
    await writeFile(join(dir, 'again.pdf'), again);
    expect((await run('qpdf', ['--check', 'again.pdf'])).out).toContain('No syntax or stream encoding errors found');
    const objs = await qpdfObjects(join(dir, 'again.pdf'));
    const dss = objs[`obj:${objs[`obj:${objs.trailer.value['/Root']}`].value['/DSS']}`].value;
    expect(dss['/Certs']).toHaveLength(5);
    expect(Object.keys(dss['/VRI'])).toHaveLength(1);
    expect((await pdfsig('again.pdf')).out).toContain('Signature is Valid.');
  });
});

describe('signPdf and createPades at the other levels, on other inputs', () => {
  test('a /Contents reservation too small for the CMS throws PlaceholderTooSmallError', async () => {
    const attempt = signPdf(await makePdf(), { signer: pki.seal, chain, contentsSize: 1024 });
    await expect(attempt).rejects.toBeInstanceOf(PlaceholderTooSmallError);
    await expect(attempt).rejects.toMatchObject({ reserved: 1024, needed: expect.any(Number) });
    const token = addDocumentTimestamp(await makePdf(), timestamps, { contentsSize: 512 });
    await expect(token).rejects.toBeInstanceOf(PlaceholderTooSmallError);
  });

  test('a PDF with an AcroForm (object streams, xref stream) gets a visible B-T signature: qpdf, pdfsig, pdffonts agree', async () => {
    const base = await makePdf(true);
    const signed = await createPades(base, {
      level: 'B-T',
      signer: pki.seal,
      chain,
      timestamps,
      fieldName: 'Segl seal',
      appearance: {
        pageIndex: 1,
        rect: [50, 50, 260, 60],
        lines: ['Forseglet af segl test Seal', 'Sted: København, 2026-01-01 12:00 UTC'],
        font,
      },
    });
    await writeFile(join(dir, 'visible.pdf'), signed);
    const check = await run('qpdf', ['--check', 'visible.pdf']);
    expect([check.code, check.out]).toEqual([0, expect.stringContaining('No syntax or stream encoding errors found')]);
    const r = await pdfsig('visible.pdf');
    expect(r.out).toContain('Signature Field Name: Segl seal');
    expect(r.out).toContain('Signature Validation: Signature is Valid.');
    expect(r.out).toContain('Certificate Validation: Certificate is Trusted.');
    expect(r.out).toContain('Total document signed');
    // the old field is kept, the new one added; its widget on page 2 has an /AP /N form XObject using the embedded font
    const objs = await qpdfObjects(join(dir, 'visible.pdf'));
    const get = (ref: string) => objs[`obj:${ref}`];
    const form = get(get(objs.trailer.value['/Root']).value['/AcroForm']).value;
    const fields = (form['/Fields'] as string[]).map((ref) => get(ref).value);
    expect(fields.map((f) => f['/T'])).toEqual(['u:buyer', 'u:Segl seal']);
    expect(form['/SigFlags']).toBe(3);
    const widget = fields[1];
    expect(widget['/Rect']).toEqual([50, 50, 310, 110]);
    const ap = get(widget['/AP']['/N']).stream;
    expect(ap.dict['/Subtype']).toBe('/Form');
    expect(Buffer.from(ap.data, 'base64').toString('latin1')).toMatch(/\/F1 [\d.]+ Tf/);
    const page2 = get(widget['/P']).value;
    expect(page2['/Annots']).toContain(form['/Fields'][1]);
    // pdffonts lists the appearance's font (it reads annotation appearances too) as an embedded CID TrueType font
    const [fontObj] = (ap.dict['/Resources']['/Font']['/F1'] as string).split(' ');
    const fonts = await run('pdffonts', ['-f', '2', '-l', '2', 'visible.pdf']);
    expect(fonts.out).toMatch(new RegExp(`DejaVuSans\\S*\\s+CID TrueType\\s+Identity-H\\s+yes\\s+\\w+\\s+yes\\s+${fontObj}\\s+0`));
    // poppler draws the widget's appearance, so its text is extracted with the page's
    const text = (await run('pdftotext', ['-f', '2', '-l', '2', 'visible.pdf', '-'])).out;
    expect(text).toContain('Forseglet af segl test Seal');
    expect(text).toContain('Sted: København, 2026-01-01 12:00 UTC');
    expect(rawSignatures(signed)).toHaveLength(1);
    expect(Buffer.from(signed).includes('/DSS')).toBe(false);
  });

  test("objects held by reference (/Fields, a page's /Annots, the DSS and its /Certs) are written again in each update", async () => {
    // createPades builds its objects with pdf-lib's change tracking off and names the existing objects it changes
    // (field.ts untracked): an array held by reference is its own object, which must go into the update too.
    const doc = await PDFDocument.load(await makePdf(true));
    const ctx = doc.context;
    const form = doc.catalog.lookup(PDFName.of('AcroForm'), PDFDict);
    form.set(PDFName.of('Fields'), ctx.register(form.lookup(PDFName.of('Fields'), PDFArray)));
    const page = doc.getPage(0).node;
    page.set(PDFName.of('Annots'), ctx.register(page.lookup(PDFName.of('Annots'), PDFArray)));
    const rootCert = ctx.register(ctx.flateStream(new Uint8Array(pki.root.certificate.rawData)));
    doc.catalog.set(PDFName.of('DSS'), ctx.register(ctx.obj({ Type: 'DSS', Certs: ctx.register(ctx.obj([rootCert])) })));
    const base = await doc.save({ useObjectStreams: false });
    const appearance = { pageIndex: 0, rect: [300, 700, 250, 60] as [number, number, number, number], lines: ['segl'], font };
    const lta = await createPades(base, { level: 'B-LTA', signer: pki.seal, chain, timestamps, revocation, appearance });
    await writeFile(join(dir, 'byref.pdf'), lta);
    expect((await run('qpdf', ['--check', 'byref.pdf'])).out).toContain('No syntax or stream encoding errors found');
    const objs = await qpdfObjects(join(dir, 'byref.pdf'));
    const get = (ref: string) => objs[`obj:${ref}`];
    const catalog = get(objs.trailer.value['/Root']).value;
    const fieldsRef = get(catalog['/AcroForm']).value['/Fields'] as string;
    expect(fieldsRef).toMatch(/^\d+ 0 R$/); // still an indirect array, now with both new fields
    const fields = (get(fieldsRef).value as string[]).map((ref) => get(ref).value);
    expect(fields.map((f) => f['/T'])).toEqual(['u:buyer', 'u:Signature1', 'u:DocTimeStamp1']);
    const firstPage = get(fields[1]['/P']).value;
    expect(get(firstPage['/Annots']).value).toHaveLength(3);
    const dss = get(catalog['/DSS']).value;
    const certs = get(dss['/Certs']).value as string[];
    expect(certs[0]).toBe(rootCert.toString());
    expect(certs).toHaveLength(5); // the root already there is not stored again
    expect(Object.keys(dss['/VRI'])).toHaveLength(1);
    const [seal, dts] = (await pdfsig('byref.pdf')).out.split(/Signature #\d+:/).slice(1);
    expect(seal).toContain('Signature Validation: Signature is Valid.');
    expect(dts).toContain('Signature Field Name: DocTimeStamp1'); // listed; poppler does not validate RFC 3161 ones
    expect(dts).toContain('Total document signed');
  });

  test('B-B: no time-stamp and no DSS; B-LT: a DSS and no document time-stamp', async () => {
    const bb = await createPades(await makePdf(), { level: 'B-B', signer: pki.seal, chain, timestamps });
    await writeFile(join(dir, 'bb.der'), rawSignatures(bb)[0]!.der);
    expect((await run('openssl', ['cms', '-cmsout', '-print', '-inform', 'DER', '-in', 'bb.der'])).out).not.toMatch(/timeStampToken/);
    const lt = await createPades(await makePdf(), { level: 'B-LT', signer: pki.seal, chain, timestamps, revocation });
    await writeFile(join(dir, 'lt.pdf'), lt);
    expect(rawSignatures(lt).map((x) => x.docTimestamp)).toEqual([false]);
    const objs = await qpdfObjects(join(dir, 'lt.pdf'));
    const dss = objs[`obj:${objs[`obj:${objs.trailer.value['/Root']}`].value['/DSS']}`].value;
    expect(dss['/Certs']).toHaveLength(5);
    expect((await pdfsig('lt.pdf')).out).toContain('Signature is Valid.');
    await expect(createPades(await makePdf(), { level: 'B-LT', signer: pki.seal, chain, timestamps })).rejects.toThrow(/RevocationSource/);
  });
  test('collectValidationData refuses a revoked TSA certificate, and a TSA path the pool cannot complete', async () => {
    const bt = await signPdf(await makePdf(), { signer: pki.seal, chain, timestamps });
    const [sig] = await readSignatures(bt);
    const tsaSerial = serial(pki.tsa.certificate);
    const revokedTsa = ocspRevocationSource({
      fetch: async (_url, der) =>
        respondOcsp(der, [
          {
            responder: pki.serviceOcsp,
            issuer: pki.serviceCa.certificate,
            lookup: async (s) =>
              s === tsaSerial ? { status: 'revoked', revokedAt: new Date(), reason: 'keyCompromise' } : { status: 'good' },
          },
          { responder: pki.root, issuer: pki.root.certificate, lookup: async () => ({ status: 'good' }) },
        ]),
    });
    const revoked = collectValidationData(sig!.der, { certificatePool: chain, revocation: revokedTsa });
    await expect(revoked).rejects.toBeInstanceOf(ValidationDataError);
    await expect(revoked).rejects.toThrow(/CN=segl test TSA.* is revoked/);
    // the seal's path comes from its CMS; the TSA's token carries only the TSA certificate, so its issuer must be in the pool
    await expect(collectValidationData(sig!.der, { certificatePool: [], revocation })).rejects.toThrow(/no issuer of .*segl test TSA/);
    const ok = await collectValidationData(sig!.der, { certificatePool: chain, revocation });
    expect(ok.certificates).toHaveLength(5);
    expect(ok.ocsps).toHaveLength(3);
  });
});

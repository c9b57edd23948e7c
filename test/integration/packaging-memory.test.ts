// What keeps a large package's memory down (bench/README.md, the packaging memory run), each checked for what it
// must not change:
//   - an SDO's document decoded from base64 a slice at a time (src/packaging/sdo.ts): the same bytes, with line
//     breaks, with padding;
//   - pdf-lib's parsed and copied streams sharing the file's bytes (src/trust/pades/sharedbytes.ts);
//   - the composed package with room after it, and the seal's updates written there (compose.ts, field.ts
//     IncrementalPdf appendInPlace): the composed bytes unchanged, the result one buffer, qpdf --check clean and
//     segl's PAdES validation passed; the copy made when there is no room.
// The PadesMaker end to end on a multi-MB document: pdfdetach gives back the SDO; segl's validation passes.
import '../../src/trust/crypto';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { PDFDocument, PDFRawStream } from '@cantoo/pdf-lib';
import { composePackage } from '../../src/packaging/compose';
import { PadesMaker } from '../../src/packaging/maker';
import { parseLtvSdo, readLtvSdo } from '../../src/packaging/sdo';
import type { PackageContent } from '../../src/packaging/types';
import { SigningPipeline } from '../../src/signing/pipeline';
import type { TrustSetup } from '../../src/signing/trust';
import { createTestPki, type TestPki } from '../../src/testca/pki';
import { createPades } from '../../src/trust/pades/pades';
import { sharedBytesInstalled } from '../../src/trust/pades/sharedbytes';
import { validatePades } from '../../src/trust/validation/pades';
import { run } from '../support/pades';
import { makePdf } from '../support/pdf';
import { TEST_URLS } from '../support/person';
import { sealedSdo, trustFor } from '../support/sdo';

jest.setTimeout(180_000);

const dir = mkdtempSync(path.join(os.tmpdir(), 'segl-pkgmem-'));
let pki: TestPki;
let trust: TrustSetup;
/** a random-filled PDF of about 5 MB (the package then gets room after it) whose length leaves base64 padding ('==') */
let big: Buffer;
let sdo: Uint8Array;

beforeAll(async () => {
  pki = await createTestPki({ urls: TEST_URLS });
  trust = trustFor(pki);
  for (let pad = 5 << 20; ; pad++) {
    big = makePdf({ text: 'Large loan agreement', padBytes: pad });
    if (big.length % 3 === 1) break;
  }
  sdo = await sealedSdo(pki, new SigningPipeline(trust), {
    name: 'Åse Øvergård',
    pid: '9208-2002-2-111111111111',
    taskId: 't1',
    signText: 'I agree.',
    documents: [{ id: 'loan', description: 'Loan', mimeType: 'application/pdf', bytes: big }],
  });
});

const sealOptions = () => ({
  level: 'B-LTA' as const,
  signer: trust.seal,
  chain: trust.sealChain,
  certificatePool: [...trust.intermediates, ...trust.anchors],
  timestamps: trust.timestamp,
  revocation: trust.revocation,
});
const validate = (pdf: Uint8Array) => validatePades(pdf, { anchors: trust.anchors, intermediates: trust.intermediates });
const qpdfCheck = async (name: string, pdf: Uint8Array) => {
  writeFileSync(path.join(dir, name), pdf);
  return run('qpdf', ['--check', path.join(dir, name)]);
};

test("an SDO's multi-MB document decodes to its bytes, also with line breaks in the base64", () => {
  const xml = Buffer.from(sdo).toString('utf8');
  // the attachedpdf element's text, found by hand (a regular expression over 4 MB of it can overflow the stack)
  const open = xml.indexOf('>', xml.indexOf('attachedpdf')) + 1;
  const close = xml.indexOf('<', open);
  const base64 = xml.slice(open, close);
  expect(/^[A-Za-z0-9+/]+=*$/.test(base64.slice(0, 1000) + base64.slice(-1000))).toBe(true);
  expect(base64.length).toBeGreaterThan(3 << 20); // several 1 MiB slices
  expect(base64.endsWith('==')).toBe(true);
  const read = (text: string) => readLtvSdo(parseLtvSdo(new Uint8Array(Buffer.from(text, 'utf8'))));
  expect(Buffer.from(read(xml).documents[0]!.bytes).equals(big)).toBe(true);
  // xs:base64Binary allows whitespace: lines of 76 characters (RFC 2045) and CRLF, decoded to the same bytes
  const wrapped = base64.replace(/.{76}/g, '$&\r\n');
  const folded = xml.slice(0, open) + wrapped + xml.slice(close);
  expect(folded.length).toBeGreaterThan(xml.length);
  expect(Buffer.from(read(folded).documents[0]!.bytes).equals(big)).toBe(true);
  // one character out of the alphabet anywhere is refused, not skipped
  const bad = xml.slice(0, open) + base64.slice(0, 2_500_000) + '*' + base64.slice(2_500_001) + xml.slice(close);
  expect(() => read(bad)).toThrow(/is not base64/);
});

test("pdf-lib's parsed streams are views of the file, and a copied page's streams share them", async () => {
  expect(sharedBytesInstalled).toBe(true);
  const src = await PDFDocument.load(big, { updateMetadata: false });
  const streams = src.context
    .enumerateIndirectObjects()
    .map(([, o]) => o)
    .filter((o): o is PDFRawStream => o instanceof PDFRawStream);
  const largest = streams.reduce((a, b) => (a.contents.byteLength >= b.contents.byteLength ? a : b));
  expect(largest.contents.byteLength).toBeGreaterThan(3 << 20);
  expect(largest.contents.buffer).toBe(big.buffer);
  expect(largest.clone().contents).toBe(largest.contents);
  const copy = await PDFDocument.create();
  const [page] = await copy.copyPages(src, [0]);
  const contents = page!.node.Contents();
  const copied = copy.context.lookup(contents) as PDFRawStream;
  expect(copied.contents.buffer).toBe(big.buffer);
});

test('the composed package leaves room after it; the seal is written there, the composed bytes unchanged', async () => {
  const summary = readLtvSdo(sdo);
  const content: PackageContent = {
    packageId: 'pkgmem-1',
    serviceName: 'demo',
    createdAt: new Date('2026-12-07T04:00:00Z'),
    language: 'en',
    documents: summary.documents,
    signers: [],
    seal: { subject: 'CN=seal', issuer: 'CN=ca' },
    attachments: [{ name: 'a.ltvsdo.xml', mimeType: 'application/x-ltv-sdo', bytes: sdo }],
    manifest: { test: true },
  };
  const composed = await composePackage(content);
  const pdf = composed.pdf;
  expect(pdf.buffer.byteLength - pdf.byteOffset - pdf.byteLength).toBeGreaterThanOrEqual(1 << 20);
  const before = Buffer.from(pdf); // a copy
  const sealed = await createPades(pdf, { ...sealOptions(), appendInPlace: true });
  expect(sealed.buffer).toBe(pdf.buffer);
  expect(sealed.byteOffset).toBe(pdf.byteOffset);
  expect(sealed.byteLength).toBeGreaterThan(pdf.byteLength);
  expect(Buffer.from(sealed.subarray(0, pdf.byteLength)).equals(before)).toBe(true);
  expect((await qpdfCheck('inplace.pdf', sealed)).out).toMatch(/No syntax or stream encoding errors/);
  const report = await validate(sealed);
  expect(report.indication).toBe('TOTAL-PASSED');
  expect(report.signatures[0]?.level?.level).toBe('B-LTA');

  // no room (a plain copy of the file): the updates are kept apart and the result is a new buffer
  const plain = new Uint8Array(before);
  const copied = await createPades(plain, { ...sealOptions(), appendInPlace: true });
  expect(copied.buffer).not.toBe(plain.buffer);
  expect(Buffer.from(copied.subarray(0, plain.byteLength)).equals(before)).toBe(true);
  expect((await validate(copied)).indication).toBe('TOTAL-PASSED');
});

test('PadesMaker: a multi-MB document packaged; pdfdetach gives the SDO back, and the package validates', async () => {
  const maker = new PadesMaker({ trust, verificationUrl: 'https://segl.example/verify' });
  const out = await maker.make({
    serviceId: 1,
    serviceName: 'demo',
    method: 'pades',
    packageId: 'pkgmem-2',
    sources: [{ ref: 'order:r/t1/loan', sdo }],
    now: new Date(),
  });
  if (!out.ok) throw new Error(out.message);
  const file = path.join(dir, 'package.pdf');
  writeFileSync(file, out.pdf);
  expect((await run('qpdf', ['--check', file])).out).toMatch(/No syntax or stream encoding errors/);
  await run('pdfdetach', ['-save', '1', '-o', path.join(dir, 'sdo.xml'), file]);
  expect(readFileSync(path.join(dir, 'sdo.xml')).equals(Buffer.from(sdo))).toBe(true);
  expect((await validate(out.pdf)).indication).toBe('TOTAL-PASSED');
});

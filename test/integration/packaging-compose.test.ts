// src/packaging: the unsigned package PDF composed from two sealed LTV-SDOs made the real way
// (SigningPipeline: native XAdES → initial verification with OCSP → RFC 3161 time → LTV-SDO → seal,
// with the built-in test PKI answering OCSP and time-stamps in process). Outside tools are the proof:
// qpdf --check, pdftotext, pdfinfo, pdfdetach, pdffonts; qpdf --json for the form and the catalog.
import { execFile } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { PDFDocument } from '@cantoo/pdf-lib';
import * as fontkit from '@cantoo/fontkit';
import { SigningPipeline } from '../../src/signing/pipeline';
import { createTestPki, type TestPki } from '../../src/testca/pki';
import { composePackage } from '../../src/packaging/compose';
import { readLtvSdo, LtvSdoFormatError, signerOf, type LtvSdoSummary } from '../../src/packaging/sdo';
import { TEMPLATE_FIELDS } from '../../src/packaging/template';
import { PACKAGE_LANGUAGES } from '../../src/packaging/texts';
import { TemplateError, UnreadableOriginalError, type PackageContent } from '../../src/packaging/types';
import { TEST_URLS } from '../support/person';
import { sealedSdo, trustFor } from '../support/sdo';
import { testPng } from '../support/inkpng';
import { deflatedZeros, objectStreamBomb } from '../support/pdfbomb';

function tool(cmd: string, args: string[]): Promise<{ code: number; out: string; err: string }> {
  return new Promise((resolve) => {
    execFile(cmd, args, { encoding: 'utf8', maxBuffer: 1 << 26 }, (e, stdout, stderr) => {
      resolve({ code: e ? (typeof e.code === 'number' ? e.code : 1) : 0, out: stdout, err: stderr });
    });
  });
}

const dir = mkdtempSync(path.join(os.tmpdir(), 'segl-pkg-'));
let n = 0;
function file(bytes: Uint8Array, ext = 'pdf'): string {
  const f = path.join(dir, `f${++n}.${ext}`);
  writeFileSync(f, bytes);
  return f;
}
const text = async (f: string, first?: number, last?: number) =>
  (await tool('pdftotext', [...(first ? ['-f', String(first), '-l', String(last ?? first)] : []), '-enc', 'UTF-8', f, '-'])).out;
/** Every object's dictionary (a stream's dict), from qpdf's JSON v2. */
async function objectsOf(f: string): Promise<Array<Record<string, unknown>>> {
  const json = JSON.parse((await tool('qpdf', ['--json=2', '--json-key=qpdf', f])).out);
  const objects = json.qpdf[1] as Record<string, { value?: unknown; stream?: { dict: Record<string, unknown> } }>;
  return Object.values(objects).map((o) => (o.stream?.dict ?? o.value ?? {}) as Record<string, unknown>);
}
const pages = async (f: string) => Number(/^Pages:\s+(\d+)/m.exec((await tool('pdfinfo', [f])).out)![1]);

// The originals: a two-page PDF (made with pdf-lib, its font embedded) and a long text with Nordic
// letters (it wraps and runs over a page).
let loanPdf: Buffer;
async function makeLoanPdf(): Promise<Buffer> {
  const doc = await PDFDocument.create();
  doc.registerFontkit(fontkit);
  const font = await doc.embedFont(readFileSync(require.resolve('dejavu-fonts-ttf/ttf/DejaVuSans.ttf')), { subset: true });
  for (const t of ['Loan agreement page one', 'Loan agreement page two']) doc.addPage().drawText(t, { x: 72, y: 700, size: 20, font });
  return Buffer.from(await doc.save());
}
const NORDIC = 'Blåbærsyltetøy ÆØÅ æøå, smörgåsbord ÄÖ äö, Šárka Žižka šž, Jyväskylä.';
const termsText = [
  'Vilkår for lånet',
  NORDIC,
  ...Array.from(
    { length: 90 },
    (_, i) => `${i + 1}. Låntager betaler renter hver måned; en lang linje som skal brydes ordentligt ${'ord '.repeat(i % 12)}slut.`,
  ),
  'Sidste linje: Øresund.',
].join('\n');
const SIGN_TEXT = 'Jeg godkender låneaftalen og vilkårene (Åse Øvergård & Jürgen Šebestík).';

let pki: TestPki;
const sdoBytes: Uint8Array[] = [];
let sdos: LtvSdoSummary[];

const sealedSdoOf = (pipeline: SigningPipeline, name: string, pid: string, nationalId: string) =>
  sealedSdo(pki, pipeline, {
    name,
    pid,
    nationalId,
    taskId: `task-${pid.slice(-1)}`,
    signText: SIGN_TEXT,
    documents: [
      { id: 'loan', description: 'Låneaftale', mimeType: 'application/pdf', bytes: loanPdf },
      { id: 'terms', description: 'Vilkår', mimeType: 'text/plain;charset=utf-8', bytes: new Uint8Array(Buffer.from(termsText)) },
    ],
  });

const CREATED = new Date('2025-03-01T12:00:00Z');

/** What the integrator does: the documents from the first SDO, a signer per SDO, the SDOs attached. */
function contentFrom(options: PackageContent['options'] = {}, language: PackageContent['language'] = 'da'): PackageContent {
  const docs = sdos[0]!.documents;
  return {
    packageId: 'pkg-1',
    serviceName: 'demo',
    createdAt: CREATED,
    language,
    verificationUrl: 'https://segl.example/verify/pkg-1',
    requestId: 'req-1',
    clientReference: 'case-42',
    documents: docs.map((d) => ({ ...d, externalReference: `ext-${d.id}` })),
    signers: sdos.map((s) => signerOf(s)),
    seal: sdos[0]!.seal,
    attachments: sdoBytes.map((b, i) => ({
      name: `doc-task-${i + 1}.ltvsdo.xml`,
      mimeType: 'application/x-ltv-sdo',
      bytes: b,
      description: `LTV-SDO ${i + 1}`,
      afRelationship: 'Source' as const,
    })),
    manifest: { packageId: 'pkg-1', sdos: sdos.map((s) => s.id) },
    options,
  };
}

beforeAll(async () => {
  pki = await createTestPki({ urls: TEST_URLS });
  loanPdf = await makeLoanPdf();
  const pipeline = new SigningPipeline(trustFor(pki));
  sdoBytes.push(await sealedSdoOf(pipeline, 'Åse Øvergård', '9208-2002-2-111111111111', '0102031234'));
  sdoBytes.push(await sealedSdoOf(pipeline, 'Jürgen Šebestík', '9208-2002-2-222222222222', '1112139876'));
  sdos = sdoBytes.map((b) => readLtvSdo(b));
}, 120_000);

describe('readLtvSdo', () => {
  test('reads the documents, sign text, signer, time, indication and both certificates of a sealed LTV-SDO', () => {
    const s = sdos[0]!;
    expect(s.documents.map((d) => [d.id, d.description, d.mimeType])).toEqual([
      ['loan', 'Låneaftale', 'application/pdf'],
      ['terms', 'Vilkår', 'text/plain;charset=utf-8'],
    ]);
    expect(Buffer.from(s.documents[0]!.bytes).equals(loanPdf)).toBe(true);
    expect(Buffer.from(s.documents[1]!.bytes).toString('utf8')).toBe(termsText);
    expect(s.documents[1]!.sha256).toMatch(/^[0-9a-f]{64}$/);
    expect(s.signText).toBe(SIGN_TEXT);
    expect(s.signer).toEqual({
      name: 'Åse Øvergård',
      pid: '9208-2002-2-111111111111',
      nationalId: '0102031234',
      nationality: 'DK',
      certificateKind: 'POCES',
    });
    expect(Math.abs(s.trustedSigningTime.getTime() - Date.now())).toBeLessThan(300_000);
    expect(s.signerCertificate.subject).toContain('CN=Åse Øvergård');
    expect(s.signerCertificate.issuer).toBe(pki.personCa.certificate.subject);
    expect(s.initialVerification.indication).toBe('TOTAL-PASSED');
    expect(s.seal).toEqual({ subject: pki.seal.certificate.subject, issuer: pki.serviceCa.certificate.subject });
  });

  test('anything else is an LtvSdoFormatError', () => {
    const xml = Buffer.from(sdoBytes[0]!).toString('utf8');
    const bad = [
      loanPdf,
      Buffer.from('<a xmlns="urn:other"/>'),
      Buffer.from(xml.replace('<SignerName>', '<SignerNam>').replace('</SignerName>', '</SignerNam>')),
      // one character of the text document changed: its digest no longer matches
      Buffer.from(xml.replace('Sidste linje', 'Sidste linie')),
      Buffer.from([0xff, 0xfe, 0x00]),
    ];
    for (const b of bad) expect(() => readLtvSdo(new Uint8Array(b))).toThrow(LtvSdoFormatError);
  });
});

describe('composePackage', () => {
  test('cover, originals, sign text and attachments, checked by qpdf, pdftotext, pdfinfo, pdfdetach and pdffonts', async () => {
    const content = contentFrom();
    const out = await composePackage(content);
    const f = file(out.pdf);

    const check = await tool('qpdf', ['--check', f]);
    expect(check.code).toBe(0);
    expect(check.out).toContain('No syntax or stream encoding errors found');

    // pages: cover + the PDF's own pages (pdfinfo on the original) + the text's pages + the sign text's
    const cover = out.sections.find((s) => s.kind === 'cover')!;
    const terms = out.sections.find((s) => s.documentId === 'terms')!;
    const signText = out.sections.find((s) => s.kind === 'sign-text')!;
    expect(terms.pageCount).toBeGreaterThanOrEqual(2);
    expect(out.sections.find((s) => s.documentId === 'loan')!.pageCount).toBe(await pages(file(loanPdf)));
    expect(await pages(f)).toBe(cover.pageCount + 2 + terms.pageCount + signText.pageCount);
    expect(out.pageCount).toBe(await pages(f));

    const all = await text(f);
    for (const s of ['Åse Øvergård', 'Jürgen Šebestík', 'Underskrevne dokumenter', 'Underskrivere', 'Platformens segl', 'case-42']) {
      expect(all).toContain(s);
    }
    expect(all).toContain('https://segl.example/verify/pkg-1');
    // national ids masked by default
    expect(all).toContain('010203-****');
    expect(all).toContain('111213-****');
    expect(all).not.toContain('0102031234');
    // the originals where the sections say
    expect(await text(f, cover.pageCount + 1)).toContain('Loan agreement page one');
    expect(await text(f, cover.pageCount + 2)).toContain('Loan agreement page two');
    const termsPages = await text(f, terms.firstPageIndex + 1, terms.firstPageIndex + terms.pageCount);
    for (const s of [NORDIC, 'Vilkår for lånet', 'Sidste linje: Øresund.', '90. Låntager betaler'])
      expect(termsPages.replace(/\s+/g, ' ')).toContain(s);
    expect(await text(f, signText.firstPageIndex + 1)).toContain(SIGN_TEXT);
    // the cover lists the page range of each document and each SHA-256
    expect(all).toContain(`${cover.pageCount + 1}–${cover.pageCount + 2}`);
    for (const d of sdos[0]!.documents) expect(all.replace(/\s+/g, '')).toContain(d.sha256);

    // the seal box is empty: no text inside its rectangle
    const { pageIndex, rect } = out.sealAppearance;
    expect(pageIndex).toBe(0);
    const [x, y, w, h] = rect;
    expect(x).toBeGreaterThan(0);
    expect(x + w).toBeLessThan(595.3);
    const crop = [
      '-f',
      '1',
      '-l',
      '1',
      '-x',
      String(Math.ceil(x + 1)),
      '-y',
      String(Math.ceil(841.89 - y - h + 1)),
      '-W',
      String(Math.floor(w - 2)),
      '-H',
      String(Math.floor(h - 2)),
    ];
    expect((await tool('pdftotext', [...crop, f, '-'])).out.trim()).toBe('');

    // attachments: the two LTV-SDOs and package.json, with their exact bytes
    const list = await tool('pdfdetach', ['-list', f]);
    expect(list.out).toContain('3 embedded files');
    for (const a of ['doc-task-1.ltvsdo.xml', 'doc-task-2.ltvsdo.xml', 'package.json']) expect(list.out).toContain(a);
    const saved = mkdtempSync(path.join(dir, 'detach-'));
    expect((await tool('pdfdetach', ['-saveall', '-o', saved, f])).code).toBe(0);
    expect(readdirSync(saved).sort()).toEqual(['doc-task-1.ltvsdo.xml', 'doc-task-2.ltvsdo.xml', 'package.json']);
    sdoBytes.forEach((b, i) => expect(readFileSync(path.join(saved, `doc-task-${i + 1}.ltvsdo.xml`)).equals(Buffer.from(b))).toBe(true));
    expect(JSON.parse(readFileSync(path.join(saved, 'package.json'), 'utf8'))).toEqual(content.manifest);

    // every font embedded; segl's own (DejaVu Sans regular and bold) as tagged subsets, with ToUnicode
    const fonts = (await tool('pdffonts', [f])).out.split('\n').slice(2).filter(Boolean);
    for (const line of fonts) expect(line).toMatch(/\s+yes\s+(yes|no)\s+yes\s+\d+\s+\d+$/);
    const own = fonts.filter((l) => l.startsWith('SEGLC'));
    expect(own.map((l) => l.split(/\s+/)[0]).sort()).toEqual(['SEGLCA+DejaVuSans', 'SEGLCB+DejaVuSans-Bold']);
    for (const line of own) expect(line).toMatch(/\s+yes\s+yes\s+yes\s+\d+\s+\d+$/);

    // /AF with /AFRelationship and MIME subtypes; a URI link; no object streams; same input, same bytes
    const objects = await objectsOf(f);
    const catalog = objects.find((o) => o['/Type'] === '/Catalog')!;
    expect(catalog['/AF']).toHaveLength(3);
    const specs = objects.filter((o) => o['/Type'] === '/Filespec');
    expect(specs.map((s) => s['/AFRelationship']).sort()).toEqual(['/Data', '/Source', '/Source']);
    const embedded = objects.filter((o) => o['/Type'] === '/EmbeddedFile');
    expect(embedded.map((o) => o['/Subtype']).sort()).toEqual(['/application/json', '/application/x-ltv-sdo', '/application/x-ltv-sdo']);
    const links = objects.filter((o) => o['/Subtype'] === '/Link');
    expect(links.length).toBeGreaterThanOrEqual(1);
    expect(JSON.stringify(links[0])).toContain('https://segl.example/verify/pkg-1');
    expect(Buffer.from(out.pdf).includes('/ObjStm')).toBe(false);
    expect(Buffer.from((await composePackage(contentFrom())).pdf).equals(Buffer.from(out.pdf))).toBe(true);
  }, 60_000);

  test('maskNationalId: false shows the numbers in full', async () => {
    const all = await text(file((await composePackage(contentFrom({ maskNationalId: false }))).pdf));
    expect(all).toContain('0102031234');
    expect(all).toContain('1112139876');
    expect(all).not.toContain('****');
  });

  test('the cover speaks each of the five languages', async () => {
    const titles = {
      en: 'Signed documents',
      da: 'Underskrevne dokumenter',
      nb: 'Signerte dokumenter',
      sv: 'Undertecknade dokument',
      fi: 'Allekirjoitetut asiakirjat',
    };
    for (const lang of PACKAGE_LANGUAGES) {
      const cover = await text(file((await composePackage(contentFrom({}, lang))).pdf), 1);
      expect(cover).toContain(titles[lang]);
    }
  }, 60_000);

  test('long tables and a very long value flow onto more cover pages, inside the margins', async () => {
    const c = contentFrom();
    const one = c.signers[0]!;
    c.signers = Array.from({ length: 30 }, (_, i) => ({ ...one, name: `Signer ${i + 1} Ærø`, signText: undefined }));
    c.documents[0] = { ...c.documents[0]!, description: `Lang beskrivelse ${'ord '.repeat(1500)}SLUTORD` };
    const out = await composePackage(c);
    const f = file(out.pdf);
    const cover = out.sections[0]!;
    expect(cover.pageCount).toBeGreaterThan(3);
    const all = await text(f, 1, cover.pageCount);
    expect(all).toContain('SLUTORD');
    expect(all).toContain('Signer 30 Ærø');
    expect(all.indexOf('Signer 30 Ærø')).toBeGreaterThan(all.indexOf('Signer 29 Ærø'));
    expect(await text(f, cover.pageCount)).toContain('https://segl.example/verify/pkg-1');
    expect((await tool('qpdf', ['--check', f])).code).toBe(0);
    // nothing in the bottom margin (the lowest 40 points) of any cover page
    for (let p = 1; p <= cover.pageCount; p++) {
      const crop = ['-f', String(p), '-l', String(p), '-x', '0', '-y', String(842 - 40), '-W', '596', '-H', '40'];
      expect((await tool('pdftotext', [...crop, f, '-'])).out.trim()).toBe('');
    }
  });

  test('PDF/A-3b mode writes XMP pdfaid part 3 / conformance B and an sRGB output intent', async () => {
    const out = await composePackage(contentFrom({ pdfa: true }));
    const f = file(out.pdf);
    expect((await tool('qpdf', ['--check', f])).code).toBe(0);
    const raw = Buffer.from(out.pdf).toString('latin1');
    expect(raw).toMatch(/<pdfaid:part>3<\/pdfaid:part>/);
    expect(raw).toMatch(/<pdfaid:conformance>B<\/pdfaid:conformance>/);
    expect(raw.startsWith('%PDF-1.7')).toBe(true);
    const objects = await objectsOf(f);
    const catalog = objects.find((o) => o['/Type'] === '/Catalog')!;
    expect(catalog['/OutputIntents']).toHaveLength(1);
    expect(catalog['/Metadata']).toBeDefined();
    const intent = objects.find((o) => o['/Type'] === '/OutputIntent')!;
    expect(intent['/S']).toBe('/GTS_PDFA1');
    expect(intent['/OutputConditionIdentifier']).toBe('u:sRGB IEC61966-2.1');
    expect((await tool('pdfinfo', [f])).out).toMatch(/^Producer:\s+segl /m);
  });

  test('an encrypted PDF original is an UnreadableOriginalError naming the document; so is a broken one', async () => {
    const enc = path.join(dir, 'enc.pdf');
    expect((await tool('qpdf', ['--encrypt', 'u', 'o', '256', '--', file(loanPdf), enc])).code).toBe(0);
    const c = contentFrom();
    c.documents[0] = { ...c.documents[0]!, bytes: new Uint8Array(readFileSync(enc)), sha256: undefined };
    await expect(composePackage(c)).rejects.toThrow(UnreadableOriginalError);
    await expect(composePackage(c)).rejects.toMatchObject({ documentId: 'loan', reason: 'encrypted' });
    c.documents[0] = { ...c.documents[0]!, bytes: new Uint8Array(Buffer.from('this is not a PDF')) };
    await expect(composePackage(c)).rejects.toMatchObject({ documentId: 'loan', reason: 'unreadable' });
  });

  test('an original whose object stream unpacks to 1 GiB (a compression bomb) is refused at the decode bound, at once', async () => {
    const c = contentFrom();
    const bomb = objectStreamBomb(await deflatedZeros(1024 * 1024 * 1024));
    c.documents[0] = { ...c.documents[0]!, bytes: new Uint8Array(bomb), sha256: undefined };
    const rss = process.memoryUsage().rss;
    const t0 = Date.now();
    const e = await composePackage(c).then(
      () => undefined,
      (x: unknown) => x,
    );
    expect(e).toBeInstanceOf(UnreadableOriginalError);
    expect(e).toMatchObject({ documentId: 'loan', reason: 'unreadable' });
    expect((e as Error).message).toMatch(/its compressed streams unpack to more than 64 MB: a compression bomb/);
    expect([Date.now() - t0 < 10_000, process.memoryUsage().rss - rss < 256 * 1024 * 1024]).toEqual([true, true]);
  }, 60_000);
});

describe('template covers', () => {
  async function template(fields: string[], box = true): Promise<Uint8Array> {
    const doc = await PDFDocument.create();
    doc.registerFontkit(fontkit);
    const font = await doc.embedFont(readFileSync(require.resolve('dejavu-fonts-ttf/ttf/DejaVuSans.ttf')), { subset: true });
    const page = doc.addPage([595.28, 841.89]);
    page.drawText('Kundens egen forside – Ærø', { x: 50, y: 800, size: 14, font });
    const form = doc.getForm();
    fields.forEach((name, i) => {
      page.drawText(name, { x: 50, y: 760 - i * 24, size: 8, font });
      // pdf-lib puts Helvetica in the field's /DA, as a form designer might: the fill must not use it.
      form.createTextField(name).addToPage(page, { x: 200, y: 752 - i * 24, width: 360, height: 18 });
    });
    if (box) form.createTextField('seal.box').addToPage(page, { x: 330, y: 60, width: 220, height: 80 });
    return doc.save();
  }

  test('filled in DejaVu Sans, flattened, the seal box where seal.box was, the link over verification.url', async () => {
    const fields = [
      'package.id',
      'signers.1.name',
      'signers.2.name',
      'signers.1.nationalId',
      'documents.2.pages',
      'documents.1.sha256',
      'verification.url',
      'signers.3.name',
    ];
    expect(fields.every((f) => TEMPLATE_FIELDS.includes(f.replace(/\.\d+\./, '.N.')))).toBe(true);
    const out = await composePackage(contentFrom({ template: await template(fields) }));
    const f = file(out.pdf);
    expect((await tool('qpdf', ['--check', f])).code).toBe(0);
    const cover = await text(f, 1);
    // (the SHA-256 field is narrower than the digest: the template's design clips it)
    for (const s of [
      'pkg-1',
      'Åse Øvergård',
      'Jürgen Šebestík',
      '010203-****',
      'Kundens egen forside – Ærø',
      'https://segl.example/verify/pkg-1',
      sdos[0]!.documents[0]!.sha256.slice(0, 40),
    ]) {
      expect(cover).toContain(s);
    }
    const terms = out.sections.find((s) => s.documentId === 'terms')!;
    expect(cover).toContain(`${terms.firstPageIndex + 1}–${terms.firstPageIndex + terms.pageCount}`);
    expect(out.sections[0]).toEqual({ kind: 'cover', firstPageIndex: 0, pageCount: 1 });
    // pdf-lib widens the widget by half its border
    expect(out.sealAppearance.pageIndex).toBe(0);
    out.sealAppearance.rect.forEach((v, i) => expect(Math.abs(v - [330, 60, 220, 80][i]!)).toBeLessThanOrEqual(1));
    // no AcroForm fields and no widgets are left
    const form = JSON.parse((await tool('qpdf', ['--json', '--json-key=acroform', f])).out);
    expect(form.acroform.fields).toEqual([]);
    expect(Buffer.from(out.pdf).includes('/Widget')).toBe(false);
    // every font embedded (the template's own labels are in an untagged DejaVu subset); the fill is in segl's tagged one
    const fonts = (await tool('pdffonts', [f])).out.split('\n').slice(2).filter(Boolean);
    for (const line of fonts) expect(line).toMatch(/\s+yes\s+(yes|no)\s+yes\s+\d+\s+\d+$/);
    expect(fonts.some((l) => l.startsWith('SEGLTA+DejaVuSans '))).toBe(true);
    expect(fonts.some((l) => /^Helvetica/.test(l))).toBe(false);
    const links = (await objectsOf(f)).filter((o) => o['/Subtype'] === '/Link');
    expect(links).toHaveLength(1);
    expect(await pages(f)).toBe(out.pageCount);
  }, 60_000);

  test('signers.N.handwriting: the drawing scaled into its box (aspect kept), nothing in a box whose signer drew none', async () => {
    const c = contentFrom({ template: await template(['signers.1.name', 'signers.1.handwriting', 'signers.2.handwriting']) });
    c.signers[0] = { ...c.signers[0]!, handwriting: { png: new Uint8Array(testPng(300, 100)), width: 300, height: 100 } };
    const f = file((await composePackage(c)).pdf);
    expect((await tool('qpdf', ['--check', f])).code).toBe(0);
    // page num type width height color comp bpc enc interp object ID x-ppi y-ppi …: one image, on the cover, its
    // 300 × 100 pixels drawn 57 × 19 pt (the box is 361 × 19 pt, pdf-lib having widened the 360 × 18 widget by half
    // its border; its height bounds the drawing): 379 pixels per inch both ways
    const list = (await tool('pdfimages', ['-list', f])).out.trim().split('\n').slice(2);
    expect(list.map((l) => l.trim().split(/\s+/)).map((r) => [r[0], r[2], r[3], r[4], r[12], r[13]])).toEqual([
      ['1', 'image', '300', '100', '379', '379'],
    ]);
    expect(JSON.parse((await tool('qpdf', ['--json', '--json-key=acroform', f])).out).acroform.fields).toEqual([]);
    expect(await text(f, 1)).toContain('Åse Øvergård');
  }, 60_000);

  test('a template without seal.box, or with a field that is not a package field, is a TemplateError', async () => {
    await expect(composePackage(contentFrom({ template: await template(['package.id'], false) }))).rejects.toThrow(TemplateError);
    await expect(composePackage(contentFrom({ template: await template(['package.idd']) }))).rejects.toThrow(/package\.idd/);
    await expect(composePackage(contentFrom({ template: new Uint8Array(Buffer.from('no pdf')) }))).rejects.toThrow(TemplateError);
  });
});

// The viewer's validation report as PDF (src/portal/viewer/reportpdf.ts), through every way the viewer offers it:
// the JSON API (?format=pdf), the report page's download link (a data: URL, nothing kept) and the integrators'
// flow (/viewer/r/{id}/report.pdf). A sealed LTV-SDO from a PKI whose root is a configured trust anchor
// (SEGL_TRUST_ANCHORS) is TOTAL-PASSED; the same with one signed byte changed is TOTAL-FAILED. Each PDF passes
// `qpdf --check`, embeds its fonts (pdffonts), and its text (pdftotext) has the indication, the signer's Nordic
// name, the masked national id and never the whole one, the file's SHA-256 and the footer. An LTV-SDO with a
// handwritten signature (InkSign) shows the drawing as signed: on the report page (an <img> with a translated
// alt text whose PNG is the signed one), in the JSON, and in the PDF (pdfimages lists it at its pixel size, and
// its pixels are the signed PNG's); a report without a drawing has no image.
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { SigningPipeline } from '../../src/signing/pipeline';
import { createTestPki, toPem } from '../../src/testca/pki';
import { SEGL_VERSION } from '../../src/version';
import { blobFiles } from '../support/blobs';
import { pngSamples, pnm, testPng, testStrokes } from '../support/inkpng';
import { TEST_URLS } from '../support/person';
import { sealedSdo, trustFor } from '../support/sdo';
import { startServer, type TestServer } from '../support/server';

const exec = promisify(execFile);
const SIGNER = 'Søren Ærø Åberg';
const NATIONAL_ID = '0102031234';
/** the drawing: an 8-bit greyscale PNG 300×100 with a diagonal line */
const DRAWING = testPng(300, 100);

describe('the validation report as PDF (sqlite)', () => {
  let s: TestServer;
  let dir: string;
  let sdo: Buffer;
  let flipped: Buffer;
  let inked: Buffer;
  let rootSubject: string;
  const sha = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');

  /** The PDF checked by qpdf; its text (pdftotext, UTF-8) and its fonts (pdffonts). */
  async function inspect(pdf: Uint8Array, name: string): Promise<{ text: string; fonts: string[][] }> {
    const file = path.join(dir, name);
    writeFileSync(file, pdf);
    const check = await exec('qpdf', ['--check', file]); // rejects on errors (2) and warnings (3)
    expect(check.stdout).toContain('No syntax or stream encoding errors found');
    const { stdout: text } = await exec('pdftotext', ['-enc', 'UTF-8', file, '-']);
    const { stdout: fonts } = await exec('pdffonts', [file]);
    // name, type…, emb, sub, uni per font (the columns after the dashed line)
    const rows = fonts
      .split('\n')
      .slice(2)
      .filter((l) => l.trim())
      .map((l) => {
        const m = /^(\S+)\s.*\s(yes|no)\s+(yes|no)\s+(yes|no)\s+\d+\s+\d+\s*$/.exec(l);
        if (!m) throw new Error(`unexpected pdffonts line: ${l}`);
        return [m[1]!, m[2]!, m[3]!, m[4]!];
      });
    return { text, fonts: rows };
  }

  /** The signer's Nordic name, the national id masked and never whole, the file's SHA-256 (wherever lines break it). */
  function expectSigner(text: string, file: Uint8Array): void {
    expect(text).toContain(SIGNER);
    expect(text).toContain('010203-****');
    expect(text).not.toContain(NATIONAL_ID);
    expect(text).not.toContain('010203-1234');
    expect(text.replace(/\s+/g, '')).toContain(sha(file));
  }

  const apiPdf = async (body: Uint8Array, query: string) => {
    const r = await fetch(`${s.url}/viewer/api?format=pdf&${query}`, {
      method: 'POST',
      headers: { 'content-type': 'application/octet-stream' },
      body,
    });
    return { status: r.status, type: r.headers.get('content-type'), disposition: r.headers.get('content-disposition'), body: r };
  };

  beforeAll(async () => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'segl-vpdf-'));
    const pki = await createTestPki({ name: 'report pdf', urls: TEST_URLS });
    rootSubject = pki.root.certificate.subject;
    mkdirSync(path.join(dir, 'anchors'));
    writeFileSync(path.join(dir, 'anchors', 'root.pem'), toPem(new Uint8Array(pki.root.certificate.rawData), 'CERTIFICATE'));
    s = await startServer('sqlite', { SEGL_TRUST_ANCHORS: path.join(dir, 'anchors') });
    const pipeline = new SigningPipeline(trustFor(pki));
    const act = { name: SIGNER, pid: '9208-2002-2-474747474747', nationalId: NATIONAL_ID, signText: 'Jeg bekræfter lånet på 4711 kr.' };
    const documents = [{ id: 'loan', description: 'Låneaftale', mimeType: 'text/plain', bytes: new Uint8Array(Buffer.from('Lån 4711')) }];
    sdo = Buffer.from(await sealedSdo(pki, pipeline, { ...act, taskId: 't1', documents }));
    const strokes = testStrokes(3, 20).map((st) => ({
      pointerType: st.pointerType,
      points: st.points.map(([x, y, t, p]) => ({ x: x!, y: y!, t: t!, p })),
    }));
    const device = { userAgent: 'segl-viewer-test', pointerType: 'touch', screen: '360x740' };
    const handwriting = { strokes, png: new Uint8Array(DRAWING), width: 300, height: 100, device };
    inked = Buffer.from(await sealedSdo(pki, pipeline, { ...act, taskId: 't2', documents, handwriting }));
    flipped = Buffer.from(sdo);
    flipped[flipped.indexOf('Låneaftale')] = 'l'.charCodeAt(0);
  }, 120_000);
  afterAll(async () => {
    await s?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('makes a TOTAL-PASSED report with the signer, the masked national id, the SHA-256 and embedded fonts, in Danish', async () => {
    const r = await apiPdf(sdo, `lang=da&name=${encodeURIComponent('lån-æøå.xml')}`);
    expect([r.status, r.type, r.disposition]).toEqual([200, 'application/pdf', 'attachment; filename=validation-report.pdf']);
    const pdf = new Uint8Array(await r.body.arrayBuffer());
    expect(Buffer.from(pdf.subarray(0, 5)).toString('latin1')).toBe('%PDF-');
    const { text, fonts } = await inspect(pdf, 'passed.pdf');
    expect(text).toContain('Valideringsrapport');
    expect(text).toContain('Underskrifterne er gyldige (TOTAL-PASSED)');
    expect(text).toContain('lån-æøå.xml');
    expectSigner(text, sdo);
    expect(text).toContain('Revisionsspor'); // the audit trail
    expect(text).toContain('cpr-verified');
    expect(text).toContain('Ikke relevant: en LTV-SDO er ét XML-dokument uden revisioner.');
    expect(text).toContain('Tillidsankre, der er kontrolleret mod');
    expect(text.replace(/\s+/g, ' ')).toContain(rootSubject);
    expect(text.replace(/\s+/g, ' ')).toContain(`Lavet af segl ${SEGL_VERSION} på ${s.url}`);
    expect(fonts.length).toBeGreaterThanOrEqual(2);
    for (const [name, emb] of fonts) expect([name, emb]).toEqual([expect.stringMatching(/^[A-Z]{6}\+DejaVuSans/), 'yes']);
  });

  it('makes a TOTAL-FAILED report with the plain reason for a changed byte, from the report page and keeping nothing', async () => {
    const blobsBefore = blobFiles(s.dataDir);
    const form = new FormData();
    form.append('file', new Blob([flipped]), 'lån-ændret.xml');
    const page = await fetch(`${s.url}/viewer?lang=en`, { method: 'POST', body: form });
    const html = await page.text();
    expect(page.status).toBe(200);
    const link =
      /<a class="button secondary" download="validation-report.pdf" href="data:application\/pdf;base64,([A-Za-z0-9+/=]+)">([^<]+)</.exec(
        html,
      );
    expect(link?.[2]).toBe('Download the validation report (PDF)');
    const pdf = new Uint8Array(Buffer.from(link![1]!, 'base64'));
    const { text, fonts } = await inspect(pdf, 'failed.pdf');
    expect(text).toContain('The signatures are not valid (TOTAL-FAILED / HASH_FAILURE)');
    expect(text).toContain('What was signed has been changed since it was signed.');
    expect(text).toContain('lån-ændret.xml');
    expectSigner(text, flipped);
    expect(text.replace(/\s+/g, '')).not.toContain(sha(sdo));
    expect(fonts.every(([, emb]) => emb === 'yes')).toBe(true);
    expect(blobFiles(s.dataDir)).toEqual(blobsBefore);
  });

  it('offers the PDF of a kept result of the integrators’ flow in the language asked for, without the file name', async () => {
    const form = new FormData();
    form.append('localfile', new Blob([sdo]), 'never-kept.xml');
    const made = await fetch(`${s.url}/viewer/parser`, { method: 'POST', body: form });
    expect(made.status).toBe(201);
    const { url } = (await made.json()) as { url: string };
    const page = await (await fetch(`${url}?lang=sv`)).text();
    const id = url.split('/').pop()!;
    expect(page).toContain(`href="/viewer/r/${id}/report.pdf?lang=sv">Hämta valideringsrapporten (PDF)</a>`);
    const got = await fetch(`${url}/report.pdf?lang=sv`);
    expect([got.status, got.headers.get('content-type')]).toEqual([200, 'application/pdf']);
    const { text } = await inspect(new Uint8Array(await got.arrayBuffer()), 'kept.pdf');
    expect(text).toContain('Signaturerna är giltiga (TOTAL-PASSED)');
    expect(text).toContain('(namn inte angivet)');
    expect(text).not.toContain('never-kept.xml');
    expect(text).toContain(SIGNER);
    expect(text).not.toContain(NATIONAL_ID);
    const gone = await fetch(`${s.url}/viewer/r/${'x'.repeat(32)}/report.pdf`);
    expect(gone.status).toBe(404);
  });

  it('shows a handwritten signature as signed: on the page, in the JSON and in the PDF; none without a drawing', async () => {
    const page = async (file: Buffer) => {
      const form = new FormData();
      form.append('file', new Blob([file]), 'ink.xml');
      const r = await fetch(`${s.url}/viewer?lang=da`, { method: 'POST', body: form });
      expect(r.status).toBe(200);
      return r.text();
    };
    const img = /<img src="data:image\/png;base64,([A-Za-z0-9+/=]+)" width="(\d+)" height="(\d+)" alt="([^"]+)">/.exec(await page(inked));
    expect(img?.slice(2)).toEqual(['300', '100', `Håndskrevet underskrift af ${SIGNER}, en del af det underskrevne bevis`]);
    expect(Buffer.from(img![1]!, 'base64').equals(DRAWING)).toBe(true);
    expect(await page(sdo)).not.toContain('<img src="data:image/png');

    const json = async (file: Buffer) =>
      ((await (await fetch(`${s.url}/viewer/api`, { method: 'POST', body: file })).json()) as { sdos: Array<Record<string, unknown>> })
        .sdos[0]!;
    expect((await json(inked)).handwriting).toEqual({ png: DRAWING.toString('base64'), width: 300, height: 100 });
    expect(await json(sdo)).not.toHaveProperty('handwriting');

    const images = async (file: Buffer, name: string) => {
      const r = await apiPdf(file, 'lang=sv');
      const pdf = new Uint8Array(await r.body.arrayBuffer());
      const { text } = await inspect(pdf, name);
      const { stdout } = await exec('pdfimages', ['-list', path.join(dir, name)]);
      // page num type width height color comp bpc …, after the two header lines
      const list = stdout
        .trim()
        .split('\n')
        .slice(2)
        .map((l) => l.trim().split(/\s+/).slice(2, 7));
      return { text, list, file: path.join(dir, name) };
    };
    const withInk = await images(inked, 'ink.pdf');
    expect(withInk.list).toEqual([['image', '300', '100', 'rgb', '3']]); // pdf-lib embeds a greyscale PNG as RGB
    expect(withInk.text).toContain('Handskriven underskrift');
    // the drawn pixels are the signed PNG's: the samples pdfimages extracts (PPM) against the PNG's grey, as RGB
    await exec('pdfimages', [withInk.file, path.join(dir, 'ink-img')]);
    const got = pnm(readFileSync(path.join(dir, 'ink-img-000.ppm')));
    const grey = pngSamples(DRAWING).samples;
    expect([got.kind, got.width, got.height]).toEqual(['P6', 300, 100]);
    expect(got.samples.equals(Buffer.from([...grey].flatMap((v) => [v, v, v])))).toBe(true);
    expect(new Set(grey)).toEqual(new Set([0, 255])); // the line drawn, and the paper
    const without = await images(sdo, 'plain.pdf');
    expect([without.list, without.text.includes('Handskriven underskrift')]).toEqual([[], false]);
  });

  it('answers a file it cannot check with the API’s refusal, not a PDF, and writes nothing', async () => {
    const blobsBefore = blobFiles(s.dataDir);
    const r = await apiPdf(new Uint8Array(Buffer.from('<not-an-sdo/>')), 'lang=fi');
    expect(r.status).toBe(422);
    expect(await r.body.json()).toMatchObject({ error: 'bad' });
    expect(blobFiles(s.dataDir)).toEqual(blobsBefore);
  });
});

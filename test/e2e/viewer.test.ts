// The viewer (/viewer, public) in headless Chromium with axe, and its JSON API: a sealed LTV-SDO and
// a PAdES from the real flow (signTask → seal job; PackagingService v4 create-package) are
// TOTAL-PASSED with the right signer; a flipped byte is TOTAL-FAILED with the reason; an SDO from
// another root is INDETERMINATE "no trusted root"; a PAdES with a page appended after sealing says
// "modified after signing"; bad input (not a signature file, too large, no file) gets a clear answer;
// and nothing is kept (no blob, no temporary file).
import { execFile } from 'node:child_process';
import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { PDFDocument } from '@cantoo/pdf-lib';
import type { Browser, Page } from 'playwright-core';
import { SigningPipeline } from '../../src/signing/pipeline';
import { createTestPki } from '../../src/testca/pki';
import { generateKeys } from '../../src/trust/crypto';
import { blobFiles } from '../support/blobs';
import { inNewContext, launchChromium } from '../support/chromium';
import { nodeSoapClient } from '../support/packaging';
import { makePdf } from '../support/pdf';
import { TEST_URLS } from '../support/person';
import { sealedSdo, trustFor } from '../support/sdo';
import { signTask } from '../support/sign';
import { envelope, NS, post } from '../support/soap';
import { startServer, type TestServer } from '../support/server';

const exec = promisify(execFile);
const AXE = readFileSync(require.resolve('axe-core/axe.min.js'), 'utf8');
const LIMIT = 2 * 1024 * 1024;
/** each checked page as a picture (test-artifacts/ is not committed; docs/img/viewer-*.png are copies) */
const SHOTS = path.join(__dirname, '..', '..', 'test-artifacts', 'viewer');

describe('the viewer (sqlite, Chromium)', () => {
  let s: TestServer;
  let browser: Browser;
  let sdo: Buffer;
  let pades: Buffer;
  let foreign: Buffer;
  const dir = path.join(os.tmpdir(), `segl-vtest-${process.pid}`);

  const axe = async (p: Page, name: string) => {
    await p.evaluate(AXE);
    const violations = await p.evaluate<string[]>(
      "axe.run(document, { resultTypes: ['violations'] }).then((r) => r.violations.map((v) => v.id))",
    );
    expect([name, violations]).toEqual([name, []]);
    await p.screenshot({ path: path.join(SHOTS, `${name}.png`), fullPage: true });
  };

  /** The file uploaded through the form; the result page's h1 and main text. */
  async function upload(p: Page, bytes: Buffer, name: string, lang = 'en'): Promise<{ h1: string; text: string; status: number }> {
    await p.goto(`${s.url}/viewer?lang=${lang}`);
    const file = path.join(dir, name);
    writeFileSync(file, bytes);
    await p.setInputFiles('#file', file);
    const [res] = await Promise.all([p.waitForNavigation(), p.locator('form button').first().click()]);
    return { h1: await p.locator('h1').innerText(), text: await p.locator('main').innerText(), status: res!.status() };
  }

  /** The PDF report of the page open in `p` (a data: link), checked by qpdf; its text (pdftotext). */
  async function pdfReport(p: Page, name: string): Promise<string> {
    const href = (await p.locator('a[download="validation-report.pdf"]').getAttribute('href'))!;
    const file = path.join(dir, name);
    writeFileSync(file, Buffer.from(href.replace(/^data:application\/pdf;base64,/, ''), 'base64'));
    await exec('qpdf', ['--check', file]);
    return (await exec('pdftotext', ['-enc', 'UTF-8', file, '-'])).stdout.replace(/\s+/g, ' ');
  }

  const api = async (body: Uint8Array | string) => {
    const r = await fetch(`${s.url}/viewer/api`, { method: 'POST', headers: { 'content-type': 'application/octet-stream' }, body });
    return { status: r.status, json: (await r.json()) as Record<string, unknown> };
  };

  beforeAll(async () => {
    mkdirSync(dir, { recursive: true });
    mkdirSync(SHOTS, { recursive: true });
    s = await startServer('sqlite', { SEGL_SDS_LIMIT: String(LIMIT) });
    const svc = (await s.rt.services.find('demo'))!;
    const pdf = makePdf({ text: 'Loan agreement 4711' });
    const doc = `<document xsi:type="provided-document" id="loan" mime-type="application/pdf"><data>${Buffer.from(pdf).toString('base64')}</data><description>Loan agreement</description></document>`;
    const task = '<task id="t1"><document-action type="sign"><document-ref>loan</document-ref></document-action></task>';
    const r = await post(
      s.endpoint,
      envelope(
        `<create-request-request xmlns="${NS}"><service>demo</service><password>${s.demoPassword}</password><request>${doc}${task}</request></create-request-request>`,
      ),
    );
    const requestId = /<request-id>([^<]+)</.exec(r.text)![1]!;
    const keys = await generateKeys();
    const certificate = await (
      await s.rt.ca()
    ).issuePerson({ commonName: 'Åse Viewer', pid: '9208-2002-2-474747474747', publicKey: keys.publicKey });
    const signed = await signTask(s.rt, svc, requestId, { certificate, keys }, { documentIds: ['loan'] });
    if (!signed.ok) throw new Error(JSON.stringify(signed));
    sdo = Buffer.from(signed.packageXml, 'utf8');
    const call = await nodeSoapClient(`${s.url}/ws/packagingservice-v4`, { service: 'demo', password: s.demoPassword });
    const made = await call({ sdo: [{ 'order-document-id': { 'request-id': requestId, 'task-id': 't1', 'document-id': 'loan' } }] });
    if ('fault' in made) throw new Error(made.fault);
    const got = await fetch(`${s.url}/doc/demo/sds/${made.result.id!}`, {
      headers: { authorization: `Basic ${Buffer.from(`demo:${s.demoPassword}`).toString('base64')}` },
    });
    pades = Buffer.from(await got.arrayBuffer());
    // an SDO made the same way on another PKI: its root is not this platform's
    const pki = await createTestPki({ name: 'other test', urls: TEST_URLS });
    foreign = Buffer.from(
      await sealedSdo(pki, new SigningPipeline(trustFor(pki)), {
        name: 'Other Root',
        pid: '9208-2002-2-999999999999',
        taskId: 't1',
        signText: 'I agree.',
        documents: [{ id: 'x', description: 'X', mimeType: 'text/plain', bytes: new Uint8Array(Buffer.from('hello')) }],
      }),
    );
    browser = await launchChromium();
  }, 120_000);
  afterAll(async () => {
    await browser?.close();
    await s?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('shows a sealed LTV-SDO as valid, with its signer, document and audit trail, and keeps nothing', async () => {
    const blobsBefore = blobFiles(s.dataDir);
    await inNewContext(browser, async (p) => {
      await p.goto(`${s.url}/viewer`);
      expect(await p.locator('h1').innerText()).toBe('Check a signed file');
      await axe(p, 'viewer-form');
      const r = await upload(p, sdo, 'package.xml');
      expect([r.status, r.h1]).toEqual([200, 'The signatures are valid']);
      expect(r.text).toContain('Result (ETSI EN 319 102-1): TOTAL-PASSED');
      expect(r.text).toContain('Åse Viewer');
      expect(r.text).toContain('Loan agreement');
      expect(r.text).toContain('signature-created');
      expect(r.text).toContain('Nothing from this file was kept.');
      // the signed PDF drawn by pdf.js from the page itself (nothing fetched: the viewer keeps nothing)
      await p.waitForSelector('[data-pdf-from][data-pages="1"] canvas');
      expect(await p.locator('[data-pdf-from] canvas').getAttribute('aria-label')).toBe('Page 1 of 1');
      await axe(p, 'viewer-sdo');
      // the validation report as XML, handed over in the page itself (nothing kept): well-formed for xmllint
      const href = (await p.locator('a[download="validation-report.xml"]').getAttribute('href'))!;
      const xml = Buffer.from(href.replace(/^data:application\/xml;base64,/, ''), 'base64').toString('utf8');
      writeFileSync(path.join(dir, 'report.xml'), xml);
      await exec('xmllint', ['--noout', path.join(dir, 'report.xml')]);
      expect(xml).toContain('<MainIndication>urn:etsi:019102:mainindication:total-passed</MainIndication>');
      expect(xml).toContain('<Signer>Åse Viewer</Signer>');
    });
    expect(blobFiles(s.dataDir)).toEqual(blobsBefore);
    expect(readdirSync(os.tmpdir()).filter((f) => f.startsWith('segl-viewer-'))).toEqual([]);
  });

  it('shows a PAdES with its level and its attached LTV-SDO; a page appended after sealing is "modified after signing"', async () => {
    await inNewContext(browser, async (p) => {
      const r = await upload(p, pades, 'package.pdf');
      expect([r.status, r.h1]).toEqual([200, 'The signatures are valid']);
      expect(r.text).toContain('Level reached: B-LTA');
      expect(r.text).toMatch(/Attached signature: .*\.xml/);
      expect(r.text).toContain('Åse Viewer');
      await axe(p, 'viewer-pades');
      // the PDF report: the level, the revisions check, the attached LTV-SDO's signer
      const report = await pdfReport(p, 'pades-report.pdf');
      expect(report).toContain('The signatures are valid (TOTAL-PASSED)');
      expect(report).toMatch(/The PDF has \d+ revisions\. Nothing was changed after signing that a signature does not allow\./);
      expect(report).toMatch(/Level B-LTA/);
      expect(report).toContain('Åse Viewer');
      const doc = await PDFDocument.load(pades, { forIncrementalUpdate: true, updateMetadata: false });
      doc.addPage([595, 842]);
      const changed = Buffer.from(await doc.commit({ useObjectStreams: false }));
      const m = await upload(p, changed, 'changed.pdf');
      expect(m.h1).toBe('The signatures are not valid');
      expect(m.text).toMatch(/The PDF was modified after signing in a way a signature does not allow: .*\(\/Pages\) changed/);
      expect(await pdfReport(p, 'changed-report.pdf')).toMatch(
        /The PDF was modified after signing in a way a signature does not allow: .*\(\/Pages\) changed/,
      );
    });
  });

  it('says TOTAL-FAILED with the reason for a flipped byte, and "no trusted root" for another PKI, in Danish too', async () => {
    const i = sdo.indexOf('Loan agreement');
    const flipped = Buffer.from(sdo);
    flipped[i] = 'l'.charCodeAt(0);
    await inNewContext(browser, async (p) => {
      const bad = await upload(p, flipped, 'flipped.xml');
      expect(bad.h1).toBe('The signatures are not valid');
      expect(bad.text).toMatch(/Result \(ETSI EN 319 102-1\): TOTAL-FAILED \/ HASH_FAILURE/);
      expect(bad.text).toContain('What was signed has been changed since it was signed.');
      const other = await upload(p, foreign, 'other.xml', 'da');
      expect(other.h1).toBe('Underskrifterne kunne ikke bekræftes');
      expect(other.text).toContain('INDETERMINATE / NO_CERTIFICATE_CHAIN_FOUND');
      expect(other.text).toContain('Certifikaterne fører til en rod, som denne fremviser ikke har tillid til.');
      await axe(p, 'viewer-untrusted');
    });
  });

  it('refuses what it cannot check with a clear page, and answers the same as JSON', async () => {
    await inNewContext(browser, async (p) => {
      const junk = await upload(p, Buffer.from('%PDF-1.7\nnot really a pdf'), 'junk.pdf');
      expect([junk.status, junk.h1]).toEqual([422, 'Check a signed file']);
      await axe(p, 'viewer-refused');
      expect(await p.getByRole('alert').innerText()).toMatch(
        /^This file cannot be checked: it is not a signed PDF or LTV-SDO, or it is damaged\./,
      );
      const big = await upload(p, Buffer.alloc(LIMIT + 1, 0x41), 'big.xml');
      expect(big.status).toBe(413);
      expect(await p.getByRole('alert').innerText()).toBe('The file is larger than the 2 MB this viewer accepts.');
      await axe(p, 'viewer-too-large');
    });
    const ok = await api(new Uint8Array(sdo));
    expect(ok.status).toBe(200);
    expect(ok.json).toMatchObject({ kind: 'ltv-sdo', indication: 'TOTAL-PASSED', sdos: [{ signer: { name: 'Åse Viewer' } }] });
    // the JSON names each document (type, size, SHA-256) but does not carry its bytes
    expect(JSON.stringify(ok.json)).not.toContain('"pdf"');
    const pdfOk = await api(new Uint8Array(pades));
    expect(pdfOk.json).toMatchObject({
      kind: 'pades',
      indication: 'TOTAL-PASSED',
      pades: { items: expect.arrayContaining([expect.objectContaining({ level: 'B-LTA' })]) },
    });
    expect(await api('<not-an-sdo/>')).toMatchObject({ status: 422, json: { error: 'bad' } });
    expect(await api('')).toMatchObject({ status: 400, json: { error: 'none' } });
    expect(await api(new Uint8Array(LIMIT + 1))).toMatchObject({ status: 413, json: { error: 'tooLarge' } });
  });

  it('the integrators’ flow: POST the file, open the answered URL for 10 minutes (the report kept, never the file)', async () => {
    const form = new FormData();
    form.append('localfile', new Blob([new Uint8Array(pades)], { type: 'application/pdf' }), 'package.pdf');
    const r = await fetch(`${s.url}/viewer/parser`, { method: 'POST', body: form });
    expect(r.status).toBe(201);
    const { url, expiresAt } = (await r.json()) as { url: string; expiresAt: string };
    expect(url).toMatch(new RegExp(`^${s.url}/viewer/r/[\\w-]{32}$`));
    expect(new Date(expiresAt).getTime() - Date.now()).toBeGreaterThan(590_000);
    const id = url.split('/').pop()!;
    const ttl = await s.rt.redis.ttl(`${s.rt.config.notify.queuePrefix}:viewer:${id}`);
    expect(ttl).toBeGreaterThan(590);
    expect(ttl).toBeLessThanOrEqual(600);
    await inNewContext(browser, async (p) => {
      await p.goto(url);
      expect(await p.locator('h1').innerText()).toBe('The signatures are valid');
      expect(await p.locator('main').innerText()).toContain('Level reached: B-LTA');
      await axe(p, 'viewer-result-url');
      const xml = await (await fetch(`${url}/report.xml`)).text();
      expect(xml).toContain('<SignatureValidationProcessID>urn:etsi:019102:validationprocess:LTA</SignatureValidationProcessID>');
      const gone = await p.goto(`${s.url}/viewer/r/${'A'.repeat(32)}`);
      expect(gone!.status()).toBe(404);
      expect(await p.getByRole('alert').innerText()).toBe(
        'This result is no longer available: results are kept for 10 minutes. Check the file again.',
      );
      await axe(p, 'viewer-result-gone');
    });
    const refused = new FormData();
    refused.append('localfile', new Blob(['not a signature']), 'x.txt');
    expect((await fetch(`${s.url}/viewer/parser`, { method: 'POST', body: refused })).status).toBe(422);
    const xmlApi = await fetch(`${s.url}/viewer/api?format=xml`, { method: 'POST', body: new Uint8Array(sdo) });
    expect([xmlApi.status, xmlApi.headers.get('content-type')]).toEqual([200, 'application/xml; charset=utf-8']);
  });
});

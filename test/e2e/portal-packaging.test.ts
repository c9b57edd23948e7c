// A request's packaging task seen through the portal, end to end in headless Chromium with the test
// eID and the real worker: createRequest over SOAP (t1 and t2 sign one PDF, packaging task p1 over
// both, t3 views p1's package once t1 and t2 are done) → Anna and Bent log in and sign → the
// segl-packaging worker makes ONE PAdES B-LTA (segl's own maker) → getStatus and
// getPackagingTaskStatus through node-soap from Signicat's WSDL → the result-uri's bytes accepted by
// qpdf, pdfsig (seal valid, trusted under the root from /pki/root.pem), pdftotext (both names) and
// pdfdetach (two LTV-SDOs and package.json) → Carl opens t3: the package is listed, pdf.js draws it,
// the download is the same bytes, the view task completes. And the pages before: t3 waiting for a
// signature and then its package, a task waiting only for its package, and the package that can
// never come because t2 was declined. Every page checked by axe-core; screenshots in
// test-artifacts/portal-packaging/.
import { mkdirSync, readFileSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import * as soap from 'soap';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { makePdf } from '../support/pdf';
import { pdfsigTrusting, run, type Run } from '../support/pades';
import { eventually } from '../support/receiver';
import { startServer, type TestServer } from '../support/server';
import { bodyPayload, createRequestXml, REFERENCE_WSDL, REPO, xmllintErrors } from '../support/soap';

jest.setTimeout(240_000);

const SHOTS = path.join(REPO, 'test-artifacts', 'portal-packaging');
const AXE = readFileSync(require.resolve('axe-core/axe.min.js'), 'utf8');
const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
  '--disable-quic',
];
/** The test-eID users: alias, and the name their certificate (and so the package) carries. */
const PEOPLE = { anna: ['Anna', 'Holm'], bent: ['Bent', 'Lund'], carl: ['Carl', 'Moe'] } as const;
type Alias = keyof typeof PEOPLE;
const PACKAGE = 'Signed PDF with all signatures';
type SoapCall = (a: unknown) => Promise<[any, string]>;

let s: TestServer;
let browser: Browser;
let dir: string;
let client: soap.Client & Record<string, SoapCall>;
let shot = 0;
const passwords: Partial<Record<Alias, string>> = {};

const pdf = makePdf({ text: 'Joint loan agreement' }).toString('base64');
const nemid = '<authentication><method>nemid</method></authentication>';
const signs = (id: string) =>
  `<task id="${id}"><document-action type="sign"><document-ref>loan</document-ref></document-action>${nemid}<signature><method>nemid-sign</method></signature></task>`;
/** t1 and t2 sign the PDF, p1 packages both, t3 views the package (after t1 and t2 with `depends`). */
const requestBody = (depends: boolean) =>
  `<document xsi:type="provided-document" id="loan" mime-type="application/pdf"><description>Loan agreement</description><data>${pdf}</data></document>` +
  '<document xsi:type="packaging-result-document" id="pr1" ref-packaging-task-id="p1"/>' +
  signs('t1') +
  signs('t2') +
  `<task id="t3"><document-action type="view"><document-ref>pr1</document-ref></document-action>${nemid}` +
  (depends ? '<depends-on-task>t1</depends-on-task><depends-on-task>t2</depends-on-task>' : '') +
  '</task>' +
  '<packaging-task packaging-task-id="p1" method="pades">' +
  '<packaging-task-document task-id="t1" document-id="loan"/><packaging-task-document task-id="t2" document-id="loan"/></packaging-task>';
const create = (depends: boolean) => createRequestXml(s.endpoint, 'demo', s.demoPassword, requestBody(depends));
const taskUrl = (requestId: string, taskId: string) => `${s.url}/std/docaction/demo?request_id=${requestId}&task_id=${taskId}`;
const basic = () => ({ authorization: `Basic ${Buffer.from(`demo:${s.demoPassword}`).toString('base64')}` });

/** getStatus and getPackagingTaskStatus through node-soap, each answer checked against the reference schema. */
async function soapCall(op: 'getStatusAsync' | 'getPackagingTaskStatusAsync', requestId: string): Promise<any> {
  const [result, raw] = await client[op]!({ service: 'demo', password: s.demoPassword, 'request-id': [requestId] });
  expect(await xmllintErrors(bodyPayload(raw)!)).toBe('');
  return result;
}
const taskStates = async (requestId: string) =>
  Object.fromEntries(
    ((await soapCall('getStatusAsync', requestId))['task-status-info'] as any[]).map((x) => [x['task-id'], x['task-status']]),
  );
const packaging = async (requestId: string) => (await soapCall('getPackagingTaskStatusAsync', requestId))['packaging-task-status-info'][0];

async function codeFor(alias: Alias, keyNumber: string): Promise<string> {
  for (const card of await s.rt.testid!.keyCards(alias)) {
    const hit = card.codes.find((c) => c.keyNumber === keyNumber && !c.used);
    if (hit) return hit.code;
  }
  throw new Error(`no unused code ${keyNumber} for ${alias}`);
}
const keyNumberOnPage = async (p: Page) => /key number (\d+)/.exec(await p.locator('main').innerText())![1]!;

/** axe-core on the page (no violations) and a screenshot. */
async function axe(p: Page, name: string): Promise<void> {
  await p.evaluate(AXE);
  expect([
    name,
    await p.evaluate<string[]>("axe.run(document, { resultTypes: ['violations'] }).then((r) => r.violations.map((v) => v.id))"),
  ]).toEqual([name, []]);
  await p.screenshot({ path: path.join(SHOTS, `${String(++shot).padStart(2, '0')}-${name}.png`), fullPage: true });
}

/** NemID login at a task URL: user id and password, then the code for the key number shown. */
async function logIn(p: Page, url: string, alias: Alias): Promise<void> {
  await p.goto(url);
  await p.getByLabel('User ID (alias, CPR or PID)').fill(alias);
  await p.getByLabel('Password').fill(passwords[alias]!);
  await p.getByRole('button', { name: 'Next' }).click();
  const n = await keyNumberOnPage(p);
  await p.getByLabel(`Code for key ${n}`).fill(await codeFor(alias, n));
  await p.getByRole('button', { name: 'Next' }).click();
}

/** Logs in to the signing task, reads the PDF (pdf.js draws it), signs with password and a fresh code. */
async function signTask(p: Page, requestId: string, taskId: string, alias: Alias): Promise<void> {
  await logIn(p, taskUrl(requestId, taskId), alias);
  await p.getByRole('link', { name: 'Open Loan agreement' }).click();
  await p.waitForSelector('#pdf[data-pages] canvas');
  await p.getByRole('link', { name: 'Back to the documents' }).click();
  await p.getByRole('button', { name: 'Sign and send in' }).click();
  await p.getByRole('button', { name: 'Next' }).click();
  const n = await keyNumberOnPage(p);
  await p.getByLabel('Password').fill(passwords[alias]!);
  await p.getByLabel(`Code for key ${n}`).fill(await codeFor(alias, n));
  await p.getByRole('button', { name: 'Sign', exact: true }).click();
  await p.waitForSelector('h1:text("Your signature has been received")', { timeout: 60_000 });
}

/** A fresh browser context (its own cookies) and a tab in it. */
async function freshTab(): Promise<{ ctx: BrowserContext; tab: Page }> {
  const ctx = await browser.newContext({ locale: 'en-GB', acceptDownloads: true });
  return { ctx, tab: await ctx.newPage() };
}

beforeAll(async () => {
  mkdirSync(SHOTS, { recursive: true });
  dir = await mkdtemp(path.join(os.tmpdir(), 'segl-portal-package-'));
  s = await startServer('sqlite', { SEGL_RELAY_INTERVAL: '100ms' }, { worker: true });
  client = (await soap.createClientAsync(REFERENCE_WSDL, { endpoint: s.endpoint })) as typeof client;
  browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: CHROMIUM_ARGS });
  for (const [alias, [firstName, lastName]] of Object.entries(PEOPLE) as [Alias, readonly [string, string]][]) {
    const password = `pw-${alias}-123`;
    await s.rt.testid!.createUser({ ...s.rt.testid!.autofill(), alias, firstName, lastName, password });
    passwords[alias] = password;
  }
});

afterAll(async () => {
  await browser?.close();
  await s?.stop();
  if (dir) await rm(dir, { recursive: true, force: true });
});

/** The outside tools on the package: qpdf, pdfsig trusting the root served at /pki/root.pem, pdftotext, pdfdetach. */
async function checkPackage(file: string): Promise<void> {
  const q = await run('qpdf', ['--check', file]);
  expect([q.code, q.out]).toEqual([0, expect.stringMatching(/No syntax or stream encoding errors found/)]);

  const root = await fetch(`${s.url}/pki/root.pem`);
  expect(root.status).toBe(200);
  const pdfsig: (f: string) => Promise<Run> = await pdfsigTrusting(dir, await root.text());
  const sigs = (await pdfsig(file)).out.split(/^Signature #\d+:/m);
  const seal = sigs.find((x) => /Signature Field Name: segl-seal/.test(x));
  expect(seal).toMatch(/Signature Validation: Signature is Valid\./);
  expect(seal).toMatch(/Certificate Validation: Certificate is Trusted\./);

  const text = await run('pdftotext', [file, '-']);
  expect(text.code).toBe(0);
  for (const [first, last] of [PEOPLE.anna, PEOPLE.bent]) expect(text.out).toContain(`${first} ${last}`);

  const list = await run('pdfdetach', ['-list', file]);
  expect(list.code).toBe(0);
  const names = list.out
    .split('\n')
    .map((l) => /^\s*\d+:\s*(.+?)\s*$/.exec(l)?.[1])
    .filter((x): x is string => x !== undefined);
  expect(names.filter((n) => n.endsWith('.ltvsdo.xml'))).toHaveLength(2);
  expect(names).toContain('package.json');
}

test('two signers in Chromium → the worker packages → outside tools accept the PAdES → the third signer sees, downloads and confirms it', async () => {
  const requestId = await create(true);
  const a = await freshTab();
  await signTask(a.tab, requestId, 't1', 'anna');
  await a.ctx.close();

  // t3 now waits for one signature (not for three: the package is not counted as one) and then its package
  const c = await freshTab();
  await c.tab.goto(taskUrl(requestId, 't3'));
  expect(await c.tab.locator('h1').innerText()).toBe('Waiting for others');
  const waiting = await c.tab.locator('main').innerText();
  expect(waiting).toContain('1 signature is still missing before yours.');
  expect(waiting).toContain('After that, the signed PDF with all signatures is made for you.');
  await axe(c.tab, 'waiting-signature-then-package');

  const b = await freshTab();
  await signTask(b.tab, requestId, 't2', 'bent');
  await b.ctx.close();

  const done = await eventually(
    async () => {
      const p = await packaging(requestId);
      return p['packaging-task-status'] !== 'created' ? p : null;
    },
    150_000,
    'the packaging task to end',
  );
  expect([done['request-id'], done['packaging-task-id'], done['packaging-task-status']]).toEqual([requestId, 'p1', 'completed']);
  expect(done['packaging-document-status']).toHaveLength(1);
  const status = done['packaging-document-status'][0];
  expect(status.attributes).toEqual({ id: 'p1' });
  const resultUri = status['result-uri'] as string;
  expect(await taskStates(requestId)).toEqual({ t1: 'completed', t2: 'completed', t3: 'created' });

  // the result-uri: the PAdES, for the service only (HTTP Basic)
  expect((await fetch(resultUri)).status).toBe(401);
  const got = await fetch(resultUri, { headers: basic() });
  expect([got.status, got.headers.get('content-type')]).toEqual([200, 'application/x-pades']);
  const bytes = Buffer.from(await got.arrayBuffer());
  const file = path.join(dir, 'package.pdf');
  await writeFile(file, bytes);
  await checkPackage(file);

  // Carl logs in to t3: the package is listed, pdf.js draws it, the download is the same bytes
  await logIn(c.tab, taskUrl(requestId, 't3'), 'carl');
  const list = await c.tab.locator('ul.docs').innerText();
  expect(list).toContain(PACKAGE);
  expect(list).toContain('For your information');
  await axe(c.tab, 'wizard-package');
  await c.tab.getByRole('link', { name: `Open ${PACKAGE}` }).click();
  expect(await c.tab.locator('h1').innerText()).toBe(PACKAGE);
  await c.tab.waitForSelector('#pdf[data-pages] canvas', { timeout: 60_000 });
  expect(Number(await c.tab.locator('#pdf').getAttribute('data-pages'))).toBeGreaterThanOrEqual(1);
  // the canvas really has drawing on it (not a blank page)
  expect(
    await c.tab.evaluate<boolean>(
      "(() => { const cv = document.querySelector('#pdf canvas'); const d = cv.getContext('2d').getImageData(0, 0, cv.width, cv.height).data; for (let i = 0; i < d.length; i += 4) if (d[i + 3] !== 0 && (d[i] < 200 || d[i + 1] < 200 || d[i + 2] < 200)) return true; return false; })()",
    ),
  ).toBe(true);
  await axe(c.tab, 'document-package');
  const [download] = await Promise.all([
    c.tab.waitForEvent('download'),
    c.tab.getByRole('link', { name: 'Download the document' }).click(),
  ]);
  expect(download.suggestedFilename()).toMatch(/\.pdf$/);
  expect((await readFile((await download.path())!)).equals(bytes)).toBe(true);

  await c.tab.getByRole('link', { name: 'Back to the documents' }).click();
  expect(await c.tab.locator('ul.docs').innerText()).toContain('Read');
  await c.tab.getByRole('button', { name: 'Confirm and send in' }).click();
  expect(await c.tab.locator('h1').innerText()).toBe('Thank you: your confirmation has been received');
  await axe(c.tab, 'package-confirmed');
  await c.ctx.close();
  expect(await taskStates(requestId)).toEqual({ t1: 'completed', t2: 'completed', t3: 'completed' });
  const history = (await s.rt.documents.requests.getRequestHistory((await s.rt.services.find('demo'))!, requestId, 't3')).map((e) =>
    `${e.event} ${e.data ?? ''}`.trim(),
  );
  expect(history).toEqual(expect.arrayContaining([expect.stringMatching(/^document-viewed pr1/), 'task-completed']));
});

test('a task waiting only for its package says so; once t2 is declined the package fails and the page says to contact the sender', async () => {
  const requestId = await create(false);
  const c = await freshTab();
  await c.tab.goto(taskUrl(requestId, 't3'));
  expect(await c.tab.locator('h1').innerText()).toBe('Your document is not ready yet');
  const waiting = await c.tab.locator('main').innerText();
  expect(waiting).toContain('It is made once every signature is in, and it has not been made yet.');
  expect(waiting).not.toMatch(/still missing before yours/);
  await axe(c.tab, 'waiting-package');
  // the same page in Danish (the browser's language)
  const da = await browser.newContext({ locale: 'da-DK' });
  const daTab = await da.newPage();
  await daTab.goto(taskUrl(requestId, 't3'));
  expect(await daTab.locator('h1').innerText()).toBe('Dit dokument er ikke klar endnu');
  await da.close();

  // Bent declines t2 in the portal: the packaging task fails at once
  const b = await freshTab();
  await logIn(b.tab, taskUrl(requestId, 't2'), 'bent');
  await b.tab.getByLabel('Reason (optional)').fill('not this loan');
  await b.tab.getByRole('button', { name: 'Decline' }).click();
  expect(await b.tab.locator('h1').innerText()).toBe('This task was declined');
  await b.ctx.close();
  expect((await packaging(requestId))['packaging-task-status']).toBe('failed');

  await c.tab.goto(taskUrl(requestId, 't3'));
  expect(await c.tab.locator('h1').innerText()).toBe('The signed PDF could not be made');
  const failed = await c.tab.locator('main').innerText();
  expect(failed).toContain('Contact the sender.');
  expect(failed).not.toMatch(/Open this link again later/);
  await axe(c.tab, 'package-failed');
  await c.ctx.close();
  expect(await taskStates(requestId)).toEqual({ t1: 'created', t2: 'rejected', t3: 'created' });
});

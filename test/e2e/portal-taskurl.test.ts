// The signer's task URL in headless Chromium (Debian's, driven by playwright-core): every state has a
// readable, translated page that passes axe-core, fits 360 px and starts with a skip link; artifacts
// log in once within 30 s for their own task only. Screenshots go to test-artifacts/portal/.
import * as nodeOs from 'node:os';
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { envelope, NS, post, REPO } from '../support/soap';
import { makePdf } from '../support/pdf';
import { startServer, type TestServer } from '../support/server';

const SHOTS = path.join(REPO, 'test-artifacts', 'portal');
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

const doc = (id: string, text: string) =>
  `<document xsi:type="provided-document" id="${id}" mime-type="text/plain"><description>${text}</description><data>${Buffer.from(text).toString('base64')}</data></document>`;
const act = (type: string, ref: string) => `<document-action type="${type}"><document-ref>${ref}</document-ref></document-action>`;

async function create(
  s: TestServer,
  inner: string,
  service = 'demo',
  password = s.demoPassword,
): Promise<{ requestId: string; artifact?: string }> {
  const r = await post(
    s.endpoint,
    envelope(
      `<create-request-request xmlns="${NS}"><service>${service}</service><password>${password}</password><request>${inner}</request></create-request-request>`,
    ),
  );
  const requestId = /<request-id>([^<]+)</.exec(r.text)?.[1];
  if (!requestId) throw new Error(r.text);
  return { requestId, artifact: /<artifact>([^<]+)</.exec(r.text)?.[1] };
}

describe('task URL pages (sqlite, Chromium)', () => {
  let s: TestServer;
  let browser: Browser;
  let ctx: BrowserContext;
  let tab: Page;
  const url = (requestId: string, taskId: string, extra = '', service = 'demo') =>
    `${s.url}/std/docaction/${service}?request_id=${requestId}&task_id=${taskId}${extra}`;

  beforeAll(async () => {
    mkdirSync(SHOTS, { recursive: true });
    s = await startServer('sqlite', { SEGL_TEST_CLOCK: '1' });
    await s.rt.services.create('other', 'other-password-1');
    browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: CHROMIUM_ARGS });
  });
  afterAll(async () => {
    await browser?.close();
    await s?.stop();
  });
  beforeEach(async () => {
    ctx = await browser.newContext({ bypassCSP: true, locale: 'en-GB' }); // bypassCSP: only so axe can be injected
    tab = await ctx.newPage();
  });
  afterEach(async () => {
    await ctx.close();
  });

  /** Opens a page, checks status, heading, axe, 360 px and the skip link; saves a screenshot. */
  async function visit(target: string, expect_: { status: number; heading: string | RegExp; shot: string }): Promise<string> {
    const res = await tab.goto(target);
    expect(res!.status()).toBe(expect_.status);
    const heading = (await tab.locator('h1').innerText()).trim();
    if (typeof expect_.heading === 'string') expect(heading).toBe(expect_.heading);
    else expect(heading).toMatch(expect_.heading);
    await tab.evaluate(AXE);
    // (expressions as strings: they run in the page, whose DOM types this Node project does not load)
    const violations = await tab.evaluate<string[]>(
      "axe.run(document, { resultTypes: ['violations'] }).then((r) => r.violations.map((v) => v.id + ' (' + v.nodes.length + ')'))",
    );
    expect(violations).toEqual([]);
    await tab.keyboard.press('Tab');
    expect(await tab.evaluate<string>('document.activeElement && document.activeElement.className')).toBe('skip');
    await tab.evaluate('document.activeElement && document.activeElement.blur()');
    await tab.setViewportSize({ width: 360, height: 740 });
    const wide = await tab.evaluate<string[]>(
      "[...document.querySelectorAll('body *')].filter((e) => e.getBoundingClientRect().right > 360.5).map((e) => e.tagName + '.' + e.className + ' ' + (e.textContent || '').slice(0, 40))",
    );
    expect([(await tab.evaluate<number>('document.documentElement.scrollWidth')) <= 360, wide]).toEqual([true, []]);
    await tab.screenshot({ path: path.join(SHOTS, `${expect_.shot}.png`), fullPage: true });
    await tab.setViewportSize({ width: 1024, height: 768 });
    return tab.locator('main').innerText();
  }

  test('an open task without authentication shows its dialog and documents in order', async () => {
    const { requestId } = await create(
      s,
      `${doc('a', 'Purchase agreement')}${doc('b', 'Terms of delivery')}<task id="t1"><dialog><title>Sign your purchase</title><message>Read both documents, then sign.</message></dialog>${act('sign', 'a')}${act('view', 'b')}</task>`,
    );
    const text = await visit(url(requestId, 't1'), { status: 200, heading: 'Sign your purchase', shot: 'task-open' });
    expect(text).toContain('Read both documents, then sign.');
    expect(text.indexOf('Purchase agreement')).toBeLessThan(text.indexOf('Terms of delivery'));
    expect(text).toContain('To sign');
    expect(text).toContain('For your information');
  });

  test("unknown ids, a missing parameter and another service's task all get the same not-found page", async () => {
    const { requestId } = await create(s, `${doc('a', 'Contract')}<task id="t1">${act('sign', 'a')}</task>`);
    await visit(url(requestId, 'nope'), { status: 404, heading: 'We could not find this task', shot: 'not-found' });
    await visit(url('01012026' + 'x'.repeat(49), 't1'), { status: 404, heading: 'We could not find this task', shot: 'not-found-2' });
    await visit(`${s.url}/std/docaction/demo?task_id=t1`, { status: 404, heading: 'We could not find this task', shot: 'not-found-3' });
    await visit(url(requestId, 't1', '', 'other'), {
      status: 404,
      heading: 'We could not find this task',
      shot: 'not-found-other-service',
    });
    await visit(url(requestId, 't1', '', 'no-such-service'), { status: 404, heading: 'We could not find this task', shot: 'not-found-4' });
  });

  test('withdrawn, completed, declined and expired tasks say so', async () => {
    const account = (await s.rt.services.find('demo'))!;
    const many = await create(
      s,
      `${doc('a', 'Contract')}<task id="done">${act('sign', 'a')}</task><task id="no">${act('sign', 'a')}</task><task id="gone">${act('sign', 'a')}</task><task id="late"><days-to-live>1</days-to-live>${act('sign', 'a')}</task>`,
    );
    await s.rt.documents.signer.completeTask(account, many.requestId, 'done');
    await s.rt.documents.signer.rejectTask(account, many.requestId, 'no');
    await s.rt.documents.requests.disableTask(account, many.requestId, 'gone');
    await visit(url(many.requestId, 'done'), { status: 200, heading: 'This task is completed', shot: 'closed-completed' });
    await visit(url(many.requestId, 'no'), { status: 200, heading: 'This task was declined', shot: 'closed-rejected' });
    await visit(url(many.requestId, 'gone'), { status: 410, heading: 'This task has been withdrawn', shot: 'closed-withdrawn' });
    s.rt.clock.advance(86_400_000 + 1000);
    await s.rt.documents.housekeeping.expireDueTasks();
    await visit(url(many.requestId, 'late'), { status: 410, heading: 'This task has expired', shot: 'closed-expired' });
    const deleted = await create(s, `${doc('a', 'Contract')}<task id="t1">${act('sign', 'a')}</task>`);
    await s.rt.documents.requests.deleteRequest(account, [deleted.requestId]);
    await visit(url(deleted.requestId, 't1'), { status: 410, heading: 'This task has been withdrawn', shot: 'closed-deleted' });
  });

  test('a task depending on others waits until they are completed', async () => {
    const account = (await s.rt.services.find('demo'))!;
    const { requestId } = await create(
      s,
      `${doc('a', 'Contract')}<task id="A">${act('sign', 'a')}</task><task id="B">${act('sign', 'a')}</task><task id="C">${act('sign', 'a')}<depends-on-task>A</depends-on-task><depends-on-task>B</depends-on-task></task>`,
    );
    const text = await visit(url(requestId, 'C'), { status: 200, heading: 'Waiting for others', shot: 'waiting' });
    expect(text).toContain('2 signatures are still missing before yours.');
    // no promise of a message segl has no way to send (the task has no notification)
    expect(text).toContain('Others must sign before you. Open this link again later: it works as soon as it is your turn.');
    expect(text).not.toMatch(/let you know|\(s\)/);
    await s.rt.documents.signer.completeTask(account, requestId, 'A');
    expect(await visit(url(requestId, 'C'), { status: 200, heading: 'Waiting for others', shot: 'waiting-1' })).toContain(
      '1 signature is still missing before yours.',
    );
    await s.rt.documents.signer.completeTask(account, requestId, 'B');
    await visit(url(requestId, 'C'), { status: 200, heading: 'Documents to sign', shot: 'waiting-done' });
  });

  test('the waiting page in all five languages: proper plurals, no "(s)", no promise of a message', async () => {
    const expected: Record<string, [string, string, string]> = {
      en: ['Waiting for others', '1 signature is still missing before yours.', '2 signatures are still missing before yours.'],
      da: ['Venter på andre', 'Der mangler stadig 1 underskrift før din.', 'Der mangler stadig 2 underskrifter før din.'],
      nb: ['Venter på andre', 'Det mangler fortsatt 1 signatur før din.', 'Det mangler fortsatt 2 signaturer før din.'],
      sv: ['Väntar på andra', '1 signatur saknas fortfarande före din.', '2 signaturer saknas fortfarande före din.'],
      fi: ['Odotetaan muita', 'Ennen sinua puuttuu vielä 1 allekirjoitus.', 'Ennen sinua puuttuu vielä 2 allekirjoitusta.'],
    };
    for (const [lang, [heading, one, two]] of Object.entries(expected)) {
      const { requestId } = await create(
        s,
        `${doc('a', 'Contract')}<task id="A">${act('sign', 'a')}</task><task id="B">${act('sign', 'a')}</task>` +
          `<task id="C">${act('sign', 'a')}<depends-on-task>A</depends-on-task><depends-on-task>B</depends-on-task><language>${lang}</language></task>` +
          `<task id="D">${act('sign', 'a')}<depends-on-task>A</depends-on-task><language>${lang}</language></task>`,
      );
      const many = await visit(url(requestId, 'C'), { status: 200, heading, shot: `waiting-${lang}-2` });
      const single = await visit(url(requestId, 'D'), { status: 200, heading, shot: `waiting-${lang}-1` });
      expect([lang, many.includes(two), single.includes(one)]).toEqual([lang, true, true]);
      expect([lang, `${many}${single}`]).not.toEqual([
        lang,
        expect.stringMatching(/\((s|er|ta)\)|let you know|giver besked|gir beskjed|meddelar dig|Ilmoitamme/),
      ]);
    }
  });

  test('the task language wins, then Accept-Language; unknown ones fall back to English', async () => {
    const da = await create(s, `${doc('a', 'Kontrakt')}<task id="t1">${act('sign', 'a')}<language>da</language></task>`);
    await visit(url(da.requestId, 't1'), { status: 200, heading: 'Dokumenter til underskrift', shot: 'lang-da' });
    expect(await tab.getAttribute('html', 'lang')).toBe('da');
    const plain = await create(s, `${doc('a', 'Contract')}<task id="t1">${act('sign', 'a')}</task>`);
    await ctx.close();
    for (const [locale, heading] of [
      ['sv-SE', 'Dokument att signera'],
      ['nb-NO', 'Dokumenter til signering'],
      ['fi-FI', 'Allekirjoitettavat asiakirjat'],
      ['de-DE', 'Documents to sign'],
    ] as const) {
      ctx = await browser.newContext({ bypassCSP: true, locale });
      tab = await ctx.newPage();
      await visit(url(plain.requestId, 't1'), { status: 200, heading, shot: `lang-${locale}` });
      await ctx.close();
    }
    ctx = await browser.newContext();
  });

  test('a graphical profile chosen by the task: colours, logo, name and texts; bad input refused by the CLI', async () => {
    const { execFile } = await import('node:child_process');
    const { promisify } = await import('node:util');
    const { writeFileSync } = await import('node:fs');
    const exec = promisify(execFile);
    const logo = path.join(s.dataDir, 'acme.svg');
    writeFileSync(logo, '<svg xmlns="http://www.w3.org/2000/svg" width="64" height="32"><rect width="64" height="32" fill="#fff"/></svg>');
    const cli = (...args: string[]) =>
      exec(process.execPath, [path.join(REPO, 'bin', 'segl.js'), 'profile', 'set', 'demo', ...args], {
        env: { ...process.env, DATA_DIR: s.dataDir, LOG_LEVEL: 'silent' },
      });
    await expect(cli('acme', '--brand', 'green')).rejects.toMatchObject({
      stderr: expect.stringContaining('colour brand "green" must be #rgb or #rrggbb'),
    });
    await expect(cli('acme', '--text', 'en:no.such.key=x')).rejects.toMatchObject({
      stderr: expect.stringContaining('KEY a text of the portal'),
    });
    await expect(cli('acme', '--logo', logo)).rejects.toMatchObject({ stderr: expect.stringContaining('--logo needs --logo-alt') });
    expect(
      (
        await cli(
          'acme',
          '--brand',
          '#0b5e3f',
          '--brand-ink',
          '#ffffff',
          '--logo',
          logo,
          '--logo-alt',
          'Acme Bank logo',
          '--display-name',
          'Acme Bank',
          '--text',
          'en:task.title=Sign your Acme loan',
          '--text',
          'da:task.title=Underskriv dit Acme-lån',
        )
      ).stdout,
    ).toBe('profile acme of demo saved\n');
    const { requestId } = await create(s, `${doc('a', 'Loan')}<task id="t1">${act('sign', 'a')}<profile>acme</profile></task>`);
    await visit(url(requestId, 't1'), { status: 200, heading: 'Sign your Acme loan', shot: 'profile-acme' });
    expect(await tab.locator('header .service').innerText()).toBe('· Acme Bank');
    expect(await tab.locator('header img.logo').getAttribute('alt')).toBe('Acme Bank logo');
    const css = await (await fetch(`${s.url}/portal/profile/demo/acme.css`)).text();
    expect(css).toContain('--brand: #0b5e3f;');
    expect(await tab.evaluate<string>("getComputedStyle(document.querySelector('header.bar')).backgroundColor")).toBe('rgb(11, 94, 63)');
    const logoRes = await fetch(`${s.url}/portal/profile/demo/acme/logo`);
    expect([logoRes.status, logoRes.headers.get('content-type')]).toEqual([200, 'image/svg+xml']);
    // a task without a profile keeps segl's look
    const plain = await create(s, `${doc('a', 'Loan')}<task id="t1">${act('sign', 'a')}</task>`);
    await visit(url(plain.requestId, 't1'), { status: 200, heading: 'Documents to sign', shot: 'profile-none' });
    expect(await tab.locator('header img.logo').count()).toBe(0);
    // four CLI processes (each opens the database and runs its checks) and two page visits: 60 s was too short on
    // a loaded 2-core machine, and the next test then shared the browser tab with this one's late visits
  }, 180_000);

  test('an artifact logs in once, for its own task, within 30 s; otherwise the login page explains', async () => {
    const task = (id: string) =>
      `<task id="${id}">${act('sign', 'a')}<authentication artifact="true"><method>nemid</method></authentication></task>`;
    const made = await create(s, `${doc('a', 'Loan agreement')}${task('t1')}`);
    expect(made.artifact).toMatch(/^[0-9a-z]{32}$/);
    // without the artifact: log in first
    await visit(url(made.requestId, 't1'), { status: 200, heading: 'Log in to continue', shot: 'login' });
    expect(await tab.locator('main').innerText()).toContain('Log in with NemID (test)');
    // with it: logged in, and the URL no longer carries it
    await visit(url(made.requestId, 't1', `&artifact=${made.artifact}`), {
      status: 200,
      heading: 'Documents to sign',
      shot: 'artifact-ok',
    });
    expect(tab.url()).not.toContain('artifact');
    expect(await tab.locator('main').innerText()).toContain('You are logged in for this task.');
    const cookie = (await ctx.cookies()).find((c) => c.name === 'segl_portal')!;
    expect(cookie).toMatchObject({ httpOnly: true, sameSite: 'Lax', path: '/std/' });
    // the session keeps working on the plain URL
    await visit(url(made.requestId, 't1'), { status: 200, heading: 'Documents to sign', shot: 'session' });
    // the same artifact in another browser: already used
    const other = await browser.newContext({ bypassCSP: true });
    tab = await other.newPage();
    const again = await visit(url(made.requestId, 't1', `&artifact=${made.artifact}`), {
      status: 200,
      heading: 'Log in to continue',
      shot: 'artifact-used',
    });
    expect(again).toContain('valid only once');
    // a fresh artifact for another task of the request does not open this one
    const two = await create(s, `${doc('a', 'Loan agreement')}${task('t1')}${task('t2')}`);
    const forT2 = await s.rt.documents.requests.createArtifact((await s.rt.services.find('demo'))!, two.requestId, 't2');
    await visit(url(two.requestId, 't1', `&artifact=${forT2}`), { status: 200, heading: 'Log in to continue', shot: 'artifact-foreign' });
    // and one older than 30 s is refused
    const late = await s.rt.documents.requests.createArtifact((await s.rt.services.find('demo'))!, two.requestId, 't2');
    s.rt.clock.advance(31_000);
    await visit(url(two.requestId, 't2', `&artifact=${late}`), { status: 200, heading: 'Log in to continue', shot: 'artifact-expired' });
    await other.close();
  });

  test('the session ends 30 minutes after the last page; the task URL still works (it asks to log in again)', async () => {
    const { requestId, artifact } = await create(
      s,
      `${doc('a', 'Contract')}<task id="t1">${act('sign', 'a')}<authentication artifact="true"><method>nemid</method></authentication></task>`,
    );
    await tab.goto(url(requestId, 't1', `&artifact=${artifact}`));
    expect(await tab.locator('h1').innerText()).toBe('Documents to sign');
    s.rt.clock.advance(29 * 60_000);
    await tab.goto(url(requestId, 't1'));
    expect(await tab.locator('h1').innerText()).toBe('Documents to sign'); // each page renews it
    s.rt.clock.advance(31 * 60_000);
    const res = await tab.goto(url(requestId, 't1'));
    expect(res!.status()).toBe(200);
    expect(await tab.locator('h1').innerText()).toBe('Log in to continue');
  });

  test('a tampered session cookie is ignored', async () => {
    const { requestId, artifact } = await create(
      s,
      `${doc('a', 'Contract')}<task id="t1">${act('sign', 'a')}<authentication artifact="true"><method>nemid</method></authentication></task>`,
    );
    await tab.goto(url(requestId, 't1', `&artifact=${artifact}`));
    expect(await tab.locator('h1').innerText()).toBe('Documents to sign');
    const c = (await ctx.cookies()).find((x) => x.name === 'segl_portal')!;
    // the cookie holds an id and its MAC only (what the session knows is on the server)
    expect(c.value).toMatch(/^[A-Za-z0-9_-]{32}\.[A-Za-z0-9_-]{43}$/);
    const [id, sig] = c.value.split('.');
    const other = `${id!.slice(0, -1)}${id!.endsWith('A') ? 'B' : 'A'}`;
    await ctx.addCookies([{ ...c, value: `${other}.${sig}` }]);
    await tab.goto(url(requestId, 't1'));
    expect(await tab.locator('h1').innerText()).toBe('Log in to continue');
  });
});

describe('signing a waiting task is refused by the API too (sqlite)', () => {
  let s: TestServer;
  beforeAll(async () => {
    s = await startServer('sqlite');
  });
  afterAll(async () => {
    await s.stop();
  });

  test('completeTask and signTask refuse a task whose depends-on-task is not completed', async () => {
    const account = (await s.rt.services.find('demo'))!;
    const { requestId } = await create(
      s,
      `${doc('a', 'Contract')}<task id="A">${act('sign', 'a')}</task><task id="C">${act('sign', 'a')}<depends-on-task>A</depends-on-task></task>`,
    );
    await expect(s.rt.documents.signer.completeTask(account, requestId, 'C')).rejects.toThrow(
      `task-id: task-id "C" of request-id "${requestId}" waits for "A" to complete first`,
    );
    let made = 0;
    const maker = {
      nativeSignature: async () => {
        made++;
        return '<native/>';
      },
    };
    const input = { documentIds: ['a'], signer: {}, audit: [], defaultSignText: 'I agree' };
    await expect(s.rt.documents.signer.signTask(account, requestId, 'C', input, maker)).rejects.toThrow('waits for "A" to complete first');
    expect(made).toBe(0); // refused before any signature is made
    expect(
      (await s.rt.documents.requests.getStatus(account, [requestId])).map((x) => [
        x.taskId,
        x.taskStatus,
        x.documentStatus?.[0]?.resultUri,
      ]),
    ).toEqual([
      ['A', 'created', undefined],
      ['C', 'created', undefined],
    ]);
    await s.rt.documents.signer.completeTask(account, requestId, 'A');
    await s.rt.documents.signer.completeTask(account, requestId, 'C');
    await expect(s.rt.documents.signer.completeTask(account, requestId, 'C')).rejects.toThrow('is completed');
  });
});

describe('the signing wizard (sqlite, Chromium)', () => {
  let s: TestServer;
  let browser: Browser;
  let ctx: BrowserContext;
  let tab: Page;
  const pdf = makePdf({ text: 'Purchase agreement page one' }).toString('base64');
  const pdfDoc = `<document xsi:type="provided-document" id="p" mime-type="application/pdf"><description>Agreement (PDF)</description><data>${pdf}</data></document>`;
  const axeViolations = async () => {
    await tab.evaluate(AXE);
    return tab.evaluate<string[]>("axe.run(document, { resultTypes: ['violations'] }).then((r) => r.violations.map((v) => v.id))");
  };

  beforeAll(async () => {
    s = await startServer('sqlite');
    browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: CHROMIUM_ARGS });
  });
  afterAll(async () => {
    await browser?.close();
    await s?.stop();
  });
  beforeEach(async () => {
    ctx = await browser.newContext({ bypassCSP: false });
    tab = await ctx.newPage();
  });
  afterEach(async () => {
    await ctx.close();
  });

  const taskUrl = (requestId: string, taskId = 't1') => `${s.url}/std/docaction/demo?request_id=${requestId}&task_id=${taskId}`;
  const history = async (requestId: string, taskId = 't1') =>
    (await s.rt.documents.requests.getRequestHistory((await s.rt.services.find('demo'))!, requestId, taskId)).map(
      (e) => `${e.event}${e.data ? `:${e.data}` : ''}`,
    );
  const status = async (requestId: string) =>
    (await s.rt.documents.requests.getStatus((await s.rt.services.find('demo'))!, [requestId]))[0]!.taskStatus;

  test('documents must be read before Send in; a PDF is drawn by pdf.js; view-only tasks complete and redirect with the ids', async () => {
    const done = `${s.url}/healthz?r=\${requestId}&t=%24%7BtaskId%7D`;
    const { requestId } = await create(
      s,
      `${doc('a', 'Terms')}${pdfDoc}<task id="t1">${act('view', 'a')}${act('view', 'p')}<on-task-complete>${done.replace(/&/g, '&amp;')}</on-task-complete></task>`,
    );
    await tab.goto(taskUrl(requestId));
    expect(await tab.locator('h1').innerText()).toBe('Documents to sign');
    await tab.getByRole('button', { name: 'Confirm and send in' }).click();
    expect(await tab.locator('[role=alert]').innerText()).toBe('Read these documents before you send in: Terms, Agreement (PDF)');
    expect(await status(requestId)).toBe('created');
    // the PDF page: pdf.js draws one canvas per page, under the page's own CSP
    await tab.getByRole('link', { name: 'Open Agreement (PDF)' }).click();
    await tab.waitForSelector('#pdf[data-pages="1"] canvas', { timeout: 15_000 });
    expect(await tab.locator('#pdf canvas').getAttribute('aria-label')).toBe('Page 1 of 1');
    expect(await axeViolations()).toEqual([]);
    await tab.screenshot({ path: path.join(SHOTS, 'document-pdf.png'), fullPage: true });
    const raw = await ctx.request.get(
      await tab
        .getByRole('link', { name: 'Download the document' })
        .getAttribute('href')
        .then((hr) => `${s.url}${hr}`),
    );
    expect(Buffer.from(await raw.body()).toString('base64')).toBe(pdf);
    await tab.getByRole('link', { name: 'Back to the documents' }).click();
    await tab.getByRole('link', { name: 'Open Terms' }).click();
    expect(await tab.locator('pre.text').innerText()).toBe('Terms');
    await tab.getByRole('link', { name: 'Back to the documents' }).click();
    expect(await tab.locator('ul.docs').innerText()).not.toContain('Not read yet');
    expect(await axeViolations()).toEqual([]);
    await tab.screenshot({ path: path.join(SHOTS, 'wizard-read.png'), fullPage: true });
    await tab.getByRole('button', { name: 'Confirm and send in' }).click();
    await tab.waitForURL(/\/healthz/);
    const u = new URL(tab.url());
    expect([u.searchParams.get('r'), u.searchParams.get('t')]).toEqual([requestId, 't1']);
    expect(await status(requestId)).toBe('completed');
    const h = await history(requestId);
    expect(h.filter((e) => e === 'task-started')).toHaveLength(1);
    expect(h).toEqual(expect.arrayContaining(['document-viewed:p', 'document-viewed:a', 'task-completed']));
  });

  test('Start over forgets what was read; Postpone keeps the task open; Decline with a reason rejects it and redirects', async () => {
    const { requestId } = await create(
      s,
      `${doc('a', 'Terms')}<task id="t1">${act('view', 'a')}<on-task-cancel>${s.url}/healthz?declined=\${taskId}</on-task-cancel></task>`,
    );
    await tab.goto(taskUrl(requestId));
    await tab.getByRole('link', { name: 'Open Terms' }).click();
    await tab.getByRole('link', { name: 'Back to the documents' }).click();
    expect(await tab.locator('ul.docs').innerText()).toContain('Read');
    await tab.getByRole('button', { name: 'Start over' }).click();
    expect(await tab.locator('ul.docs').innerText()).toContain('Not read yet');
    await tab.getByRole('button', { name: 'Postpone' }).click();
    expect(await tab.locator('h1').innerText()).toBe('You can come back later');
    expect(await axeViolations()).toEqual([]);
    expect(await status(requestId)).toBe('created');
    await tab.goto(taskUrl(requestId));
    await tab.getByLabel('Reason (optional)').fill('The price is wrong');
    await tab.getByRole('button', { name: 'Decline' }).click();
    await tab.waitForURL(/declined=t1/);
    expect(await status(requestId)).toBe('rejected');
    expect(await history(requestId)).toContain('task-rejected:declined by the signer: The price is wrong');
  });

  test('keyboard only: read, postpone (redirect with the ids), come back, send in', async () => {
    const { requestId } = await create(
      s,
      `${doc('a', 'Terms')}<task id="t1">${act('view', 'a')}<on-task-postpone>${s.url}/healthz?later=%24%7BrequestId%7D</on-task-postpone></task>`,
    );
    const press = async (label: string) => {
      for (let i = 0; i < 40; i++) {
        await tab.keyboard.press('Tab');
        const text = await tab.evaluate<string>('(document.activeElement && document.activeElement.textContent || "").trim()');
        if (text === label) {
          await tab.keyboard.press('Enter');
          return;
        }
      }
      throw new Error(`"${label}" cannot be reached with Tab`);
    };
    await tab.goto(taskUrl(requestId));
    await press('Open Terms');
    await tab.waitForSelector('pre.text');
    await press('Back to the documents');
    await tab.waitForSelector('text=Read');
    await press('Postpone');
    await tab.waitForURL(/\/healthz\?later=/);
    expect(new URL(tab.url()).searchParams.get('later')).toBe(requestId);
    expect(await status(requestId)).toBe('created');
    await tab.goto(taskUrl(requestId));
    await press('Confirm and send in');
    await tab.waitForSelector('h1:text("Thank you: your confirmation has been received")');
    expect(await status(requestId)).toBe('completed');
  });

  test("a POST without the session's CSRF token changes nothing", async () => {
    const { requestId } = await create(s, `${doc('a', 'Terms')}<task id="t1">${act('view', 'a')}</task>`);
    const res = await fetch(`${s.url}/std/docaction/demo/act?request_id=${requestId}&task_id=t1`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: 'do=decline&csrf=forged',
    });
    expect(res.status).toBe(403);
    expect(await res.text()).toContain('This page has expired');
    expect(await status(requestId)).toBe('created');
  });

  test('Send in on a task with documents to sign goes on to the eID signature, skipping optional ones left out', async () => {
    const { requestId } = await create(
      s,
      `${doc('a', 'Contract')}${doc('b', 'Newsletter consent')}<task id="t1">${act('sign', 'a')}<document-action type="sign" optional="true"><document-ref>b</document-ref></document-action></task>`,
    );
    await tab.goto(taskUrl(requestId));
    expect(await tab.locator('ul.docs').innerText()).toContain('Optional');
    await tab.getByRole('link', { name: 'Open Contract' }).click();
    await tab.getByRole('link', { name: 'Back to the documents' }).click();
    await tab.getByLabel('Sign this document').uncheck();
    const [response] = await Promise.all([
      tab.waitForResponse((r) => r.url().includes('/act?') && r.request().method() === 'POST'),
      tab.getByRole('button', { name: 'Sign and send in' }).click(),
    ]);
    expect(response.status()).toBe(303);
    const next = new URL(response.headers().location!, s.url);
    expect(next.pathname).toBe('/std/docaction/demo/sign');
    expect(next.searchParams.getAll('document_id')).toEqual(['a']);
  });
});

describe('uploads in the wizard (sqlite, Chromium)', () => {
  let s: TestServer;
  let browser: Browser;
  let ctx: BrowserContext;
  let tab: Page;
  beforeAll(async () => {
    s = await startServer('sqlite', { SEGL_SDS_LIMIT: '64kb' });
    browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: CHROMIUM_ARGS });
  });
  afterAll(async () => {
    await browser?.close();
    await s?.stop();
  });
  beforeEach(async () => {
    ctx = await browser.newContext();
    tab = await ctx.newPage();
  });
  afterEach(async () => {
    await ctx.close();
  });

  test('an upload action takes a checked file into the request; Send in waits for it', async () => {
    const { requestId } = await create(
      s,
      `${doc('a', 'Application form')}<document xsi:type="upload-document" id="u"><description>Payslip</description></document>` +
        `<task id="t1">${act('view', 'a')}<document-action type="upload"><document-ref>u</document-ref></document-action></task>`,
    );
    const url = `${s.url}/std/docaction/demo?request_id=${requestId}&task_id=t1`;
    await tab.goto(url);
    await tab.getByRole('link', { name: 'Open Application form' }).click();
    await tab.getByRole('link', { name: 'Back to the documents' }).click();
    await tab.getByRole('button', { name: 'Confirm and send in' }).click();
    expect(await tab.locator('[role=alert]').innerText()).toBe('Upload these documents before you send in: Payslip');
    // a damaged PDF is refused with the reason, nothing stored
    const dir = mkdtempSync(path.join(nodeOs.tmpdir(), 'segl-up-'));
    writeFileSync(path.join(dir, 'bad.pdf'), '%PDF-1.7\nthis is not a pdf');
    await tab.getByLabel('Choose a file for Payslip').setInputFiles(path.join(dir, 'bad.pdf'));
    await tab.getByRole('button', { name: 'Upload' }).click();
    expect(await tab.locator('[role=alert]').innerText()).toMatch(/^The file could not be accepted: The PDF file is incomplete/);
    // too large (the limit is 64 KiB here)
    writeFileSync(path.join(dir, 'big.txt'), 'x'.repeat(70 * 1024));
    await tab.getByLabel('Choose a file for Payslip').setInputFiles(path.join(dir, 'big.txt'));
    await tab.getByRole('button', { name: 'Upload' }).click();
    expect(await tab.locator('[role=alert]').innerText()).toBe('The file is too large: at most 64 KB.');
    // a good one
    writeFileSync(path.join(dir, 'payslip.txt'), 'Salary: 42 000 DKK');
    await tab.getByLabel('Choose a file for Payslip').setInputFiles(path.join(dir, 'payslip.txt'));
    await tab.getByRole('button', { name: 'Upload' }).click();
    expect(await tab.locator('ul.docs').innerText()).toContain('Uploaded');
    await tab.getByRole('button', { name: 'Confirm and send in' }).click();
    expect(await tab.locator('h1').innerText()).toBe('Thank you: your confirmation has been received');
    // and coming back later says it is done
    await tab.goto(url);
    expect(await tab.locator('h1').innerText()).toBe('This task is completed');
    const account = (await s.rt.services.find('demo'))!;
    const st = await s.rt.documents.requests.getStatus(account, [requestId]);
    expect(st[0]!.taskStatus).toBe('completed');
    const original = st[0]!.documentStatus!.find((x) => x.id === 'u')!.originalUri!;
    const got = await fetch(original, { headers: { authorization: `Basic ${Buffer.from(`demo:${s.demoPassword}`).toString('base64')}` } });
    expect([got.status, got.headers.get('content-type'), await got.text()]).toEqual([200, 'text/plain', 'Salary: 42 000 DKK']);
    const h = await s.rt.documents.requests.getRequestHistory(account, requestId, 't1');
    expect(h.filter((e) => e.event === 'document-uploaded').map((e) => e.data)).toEqual([
      expect.stringMatching(/^u: text\/plain, 18 bytes, sha256 [0-9a-f]{64}$/),
    ]);
  });
});

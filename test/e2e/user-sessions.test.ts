// A user session in headless Chromium (sqlite): the artifact opens the session page, one test eID
// login (with the CPR) on the first task stands for the others, each task is read and signed on its
// own pages, the dependent task opens on the session page once its dependency is sealed. Every
// session page passes axe-core and fits 360 px; the stale-link page too.
import path from 'node:path';
import { mkdirSync } from 'node:fs';
import type { Browser, Page } from 'playwright-core';
import { launchChromium } from '../support/chromium';
import { checkPage, keyNumberOn, testIdLogin, unusedCode } from '../support/sessionpages';
import { createRequestXml, REPO } from '../support/soap';
import { startServer, type TestServer } from '../support/server';

const SHOTS = path.join(REPO, 'test-artifacts', 'user-sessions');

describe('user session page (sqlite, Chromium)', () => {
  let s: TestServer;
  let browser: Browser;
  let u: { alias: string; password: string; cpr: string };
  beforeAll(async () => {
    mkdirSync(SHOTS, { recursive: true });
    s = await startServer('sqlite', { SEGL_RELAY_INTERVAL: '100ms' }, { worker: true });
    browser = await launchChromium();
    const draft = { ...s.rt.testid!.autofill(), alias: 'session-signer', password: 'pw-session-signer-123' };
    u = { ...(await s.rt.testid!.createUser(draft)), password: draft.password };
  });
  afterAll(async () => {
    await browser?.close();
    await s?.stop();
  });

  const doc = (id: string, text: string) =>
    `<document xsi:type="provided-document" id="${id}" mime-type="text/plain"><description>${text}</description><data>${Buffer.from(`${text}.`).toString('base64')}</data></document>`;
  const task = (id: string, docId: string, dependsOn?: string) =>
    `<task id="${id}"><subject><national-id>${u.cpr}</national-id></subject><language>en</language>${dependsOn ? `<depends-on-task>${dependsOn}</depends-on-task>` : ''}` +
    `<document-action type="sign"><document-ref>${docId}</document-ref></document-action>` +
    '<authentication><method>nemid</method></authentication><signature><method>nemid-sign</method></signature></task>';
  const create = (inner: string) => createRequestXml(s.endpoint, 'demo', s.demoPassword, inner);
  const codeFor = (n: string) => unusedCode(s, u.alias, n);
  const keyNumber = keyNumberOn;

  const check = (p: Page, name: string) => checkPage(p, name, path.join(SHOTS, `${name}.png`));

  /** On a task's page, logged in: open its document, back, Sign and send in, the signing code: "Signed, being sealed". */
  async function sign(p: Page, docName: string): Promise<void> {
    await p.getByRole('link', { name: `Open ${docName}` }).click();
    await p.getByRole('link', { name: 'Back to the documents' }).click();
    await p.getByRole('button', { name: 'Sign and send in' }).click();
    await p.getByRole('button', { name: 'Next' }).click();
    const n = await keyNumber(p);
    await p.getByLabel('Password').fill(u.password);
    await p.getByLabel(`Code for key ${n}`).fill(await codeFor(n));
    await p.getByRole('button', { name: 'Sign', exact: true }).click();
    await p.waitForSelector('h1:text("Your signature has been received")', { timeout: 60_000 });
  }

  test('three requests, one login, each signed, the dependent task opening in the same visit', async () => {
    const r1 = await create(`${doc('loan', 'Loan agreement')}${task('t1', 'loan')}`);
    const r2 = await create(`${doc('terms', 'Account terms')}${task('t1', 'terms')}`);
    const r3 = await create(`${doc('deed', 'Deed')}${doc('annex', 'Annex')}${task('a', 'deed')}${task('b', 'annex', 'a')}`);
    const svc = (await s.rt.services.find('demo'))!;
    const { userSessionId, artifact } = await s.rt.documents.requests.createUserSession(svc, {
      language: 'en',
      // (listed with the annex before the deed it depends on: the page puts the deed first)
      sessionTask: [
        [r1, 't1', 'Loan'],
        [r2, 't1', 'Terms'],
        [r3, 'b', 'Annex'],
        [r3, 'a', 'Deed'],
      ].map(([requestId, taskId, description], i) => ({ requestId: requestId!, taskId: taskId!, order: i + 1, description })),
    });
    const ctx = await browser.newContext({ bypassCSP: true, locale: 'en-GB' }); // bypassCSP: only so axe can be injected
    const p = await ctx.newPage();
    const sessionUrl = `${s.url}/std/docaction/demo/session?session_id=${userSessionId}`;
    try {
      await p.goto(`${sessionUrl}&artifact=${artifact}`);
      expect(p.url()).toBe(sessionUrl);
      expect(await p.locator('h1').innerText()).toBe('Your tasks to sign');
      await check(p, '01-session');
      await p.getByRole('link', { name: 'Open Loan' }).click();
      await testIdLogin(s, p, u);
      await sign(p, 'Loan agreement');
      await p.goto(sessionUrl);
      const text = await p.locator('main').innerText();
      expect(text).toMatch(/Terms\s*Ready: you are logged in/);
      // (the deed is ready: the annex may be signed right after it in one act)
      expect(text).toMatch(/Annex\s*Ready: signed in the same go, right after the task it depends on/);
      await check(p, '02-session-logged-in');
      for (const [row, docName] of [
        ['Terms', 'Account terms'],
        ['Deed', 'Deed'],
      ]) {
        await p.goto(sessionUrl);
        await p.getByRole('link', { name: `Open ${row}` }).click();
        await sign(p, docName!);
      }
      await p.goto(sessionUrl);
      expect(await p.locator('main').innerText()).toMatch(/Annex\s*Ready: you are logged in/);
      await p.getByRole('link', { name: 'Open Annex' }).click();
      await sign(p, 'Annex');
      await p.goto(sessionUrl);
      expect(await p.locator('main').innerText()).toContain('0 tasks are still open.');
      await check(p, '03-session-done');
      const status = await s.rt.documents.requests.getStatus(svc, [r1, r2, r3]);
      expect(status.map((x) => x.taskStatus)).toEqual(['completed', 'completed', 'completed', 'completed']);
      // the used artifact, in a fresh browser: the stale-link page
      const other = await browser.newContext({ bypassCSP: true, locale: 'en-GB' });
      const q = await other.newPage();
      const res = await q.goto(`${sessionUrl}&artifact=${artifact}`);
      expect(res!.status()).toBe(410);
      expect(await q.locator('h1').innerText()).toBe('This link can no longer be used');
      await check(q, '04-stale');
      await other.close();
    } finally {
      await ctx.close();
    }
  });
});

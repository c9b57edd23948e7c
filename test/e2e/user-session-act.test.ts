// A user session signed in one act in headless Chromium, on both databases: one test eID login on the
// first task, each document opened from the session page, "Sign all ready tasks", the user id, one
// password and key-card code: every ready task signed, being sealed; the dependent task opens once
// its dependency is sealed and a second act signs it. The session page (documents read and not),
// the act's page and its outcome pass axe-core and fit 360 px.
import path from 'node:path';
import { mkdirSync } from 'node:fs';
import type { Browser, Page } from 'playwright-core';
import { launchChromium } from '../support/chromium';
import { checkPage, keyNumberOn, testIdLogin, unusedCode } from '../support/sessionpages';
import { createRequestXml, REPO } from '../support/soap';
import { databases, startServer, type TestServer } from '../support/server';
import { fourTasks, newSessionUser, threeRequests } from '../support/usersessions';

const SHOTS = path.join(REPO, 'test-artifacts', 'user-session-act');

describe.each(databases())('one act over a user session (%s, Chromium)', (db) => {
  let s: TestServer;
  let browser: Browser;
  let u: Awaited<ReturnType<typeof newSessionUser>>;
  beforeAll(async () => {
    mkdirSync(SHOTS, { recursive: true });
    s = await startServer(db, { SEGL_RELAY_INTERVAL: '100ms' }, { worker: true });
    browser = await launchChromium();
    u = await newSessionUser(s, `act-e2e-${db}`, Date.now());
  });
  afterAll(async () => {
    await browser?.close();
    await s?.stop();
  });

  const codeFor = (n: string) => unusedCode(s, u.alias, n);
  const keyNumber = keyNumberOn;

  const check = (p: Page, name: string) => checkPage(p, name, path.join(SHOTS, `${db}-${name}.png`));

  /** `read()` again every half second until `ok` (at most 60 s); the last value. */
  async function until<T>(read: () => Promise<T>, ok: (v: T) => boolean): Promise<T> {
    const end = Date.now() + 60_000;
    let v = await read();
    while (!ok(v) && Date.now() < end) {
      await new Promise((r) => setTimeout(r, 500));
      v = await read();
    }
    return v;
  }

  /** Every document link of the session page opened, and back. */
  async function readAll(p: Page, names: string[]): Promise<void> {
    for (const name of names) {
      await p.getByRole('link', { name, exact: true }).click();
      await p.getByRole('link', { name: 'Back to your tasks' }).click();
    }
  }

  /** Sign all ready tasks: the user id, the password and one code. */
  async function signAll(p: Page, name: string): Promise<void> {
    await p.getByRole('button', { name: 'Sign all ready tasks' }).click();
    await check(p, name);
    await p.getByRole('button', { name: 'Next' }).click();
    const n = await keyNumber(p);
    await p.getByLabel('Password').fill(u.password);
    await p.getByLabel(`Code for key ${n}`).fill(await codeFor(n));
    await p.getByRole('button', { name: 'Sign', exact: true }).click();
  }

  test('three requests in one act, the dependent task in a second', async () => {
    const { r1, r2, r3 } = await threeRequests((inner) => createRequestXml(s.endpoint, 'demo', s.demoPassword, inner), u.cpr);
    const svc = (await s.rt.services.find('demo'))!;
    const { userSessionId, artifact } = await s.rt.documents.requests.createUserSession(svc, {
      language: 'en',
      onSessionComplete: `${s.url}/portal/static/none-after-session`,
      sessionTask: fourTasks({ r1, r2, r3 }),
    });
    const ctx = await browser.newContext({ bypassCSP: true, locale: 'en-GB' }); // bypassCSP: only so axe can be injected
    const p = await ctx.newPage();
    const sessionUrl = `${s.url}/std/docaction/demo/session?session_id=${userSessionId}`;
    try {
      await p.goto(`${sessionUrl}&artifact=${artifact}`);
      await p.getByRole('link', { name: 'Open Loan' }).click();
      await testIdLogin(s, p, u);
      await p.goto(sessionUrl);
      expect(await p.locator('main').innerText()).toContain('Not read yet');
      await check(p, '01-session-unread');
      await readAll(p, ['Loan agreement', 'Account terms', 'Deed']);
      expect(await p.locator('main').innerText()).not.toContain('Not read yet');
      await check(p, '02-session-read');
      await signAll(p, '03-act');
      await p.waitForSelector('h1:text("Your signatures have been received")');
      const done = await p.locator('main').innerText();
      for (const name of ['Loan', 'Terms', 'Deed']) expect(done).toMatch(new RegExp(`${name}\\s*:\\s*Signed, being sealed`));
      await check(p, '04-act-done');
      // the annex opens once the deed's seal completes the deed
      expect(
        await until(
          async () => (await p.goto(sessionUrl), await p.locator('main').innerText()),
          (t) => /Annex\s*Ready: you are logged in/.test(t),
        ),
      ).toMatch(/Annex/);
      await readAll(p, ['Annex']);
      await signAll(p, '05-second-act');
      // nothing left to sign: the session's on-session-complete
      await p.waitForURL(/none-after-session/);
      const states = async () => (await s.rt.documents.requests.getStatus(svc, [r1, r2, r3])).map((x) => x.taskStatus);
      expect(await until(states, (x) => x.every((v) => v === 'completed'))).toEqual(['completed', 'completed', 'completed', 'completed']);
    } finally {
      await ctx.close();
    }
  });
});

// A user session signed in one act in headless Chromium, on both databases: one test eID login on the
// first task, each document opened from the session page, "Sign all ready tasks", the user id, one
// password and key-card code: every ready task signed, being sealed — the task that depends on a task
// of its request too, right after it, sealed and completed after it; each request's history its own,
// in order. A task whose dependency the act leaves out (or another person's) is refused with the
// translated page, nothing written. The session page (documents read and not), the act's page and its
// outcome pass axe-core and fit 360 px.
import path from 'node:path';
import { mkdirSync } from 'node:fs';
import type { Browser, Page } from 'playwright-core';
import { launchChromium } from '../support/chromium';
import { checkPage, keyNumberOn, testIdLogin, unusedCode } from '../support/sessionpages';
import { createRequestXml, REPO } from '../support/soap';
import { databases, startServer, type TestServer } from '../support/server';
import { fourTasks, historyLines, newSessionUser, signingTask, textDoc, threeRequests } from '../support/usersessions';

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

  const svcOf = async () => (await s.rt.services.find('demo'))!;
  const seals = async () => Number(((await s.rt.db.query('SELECT COUNT(*) AS n FROM seal_job', [])) as Array<{ n: unknown }>)[0]!.n);

  test('three requests in one act, the dependent task signed right after the task it depends on; history per request', async () => {
    const { r1, r2, r3 } = await threeRequests((inner) => createRequestXml(s.endpoint, 'demo', s.demoPassword, inner), u.cpr);
    const svc = await svcOf();
    const { userSessionId, artifact } = await s.rt.documents.requests.createUserSession(svc, {
      language: 'en',
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
      const before = await p.locator('main').innerText();
      expect(before).toContain('Not read yet');
      expect(before).toMatch(/Deed\s*Ready: you are logged in/);
      expect(before).toMatch(/Annex\s*Ready: signed in the same go, right after the task it depends on/);
      await check(p, '01-session-unread');
      await readAll(p, ['Loan agreement', 'Account terms', 'Deed', 'Annex']);
      expect(await p.locator('main').innerText()).not.toContain('Not read yet');
      await check(p, '02-session-read');
      await signAll(p, '03-act');
      await p.waitForSelector('h1:text("Your signatures have been received")');
      const done = await p.locator('main').innerText();
      for (const name of ['Loan', 'Terms', 'Deed', 'Annex']) expect(done).toMatch(new RegExp(`${name}\\s*:\\s*Signed, being sealed`));
      await check(p, '04-act-done');
      const states = async () => (await s.rt.documents.requests.getStatus(svc, [r1, r2, r3])).map((x) => x.taskStatus);
      expect(await until(states, (x) => x.every((v) => v === 'completed'))).toEqual(['completed', 'completed', 'completed', 'completed']);
      // each request's history: its own task's events, in order; the deed signed and completed before the annex
      const own = { [r1]: ['t1', 'loan'], [r2]: ['t1', 'terms'] } as Record<string, [string, string]>;
      for (const [r, [t, doc]] of Object.entries(own)) {
        const h = await historyLines(s, r, t);
        expect(h.filter((e) => /^(document-viewed|document-signed|task-completed)/.test(e)).map((e) => e.split(':')[0])).toEqual([
          'document-viewed',
          'document-signed',
          'task-completed',
          'task-completed',
        ]);
        expect(h.at(-1)).toBe('task-completed: all tasks of the request are completed');
        expect(h.filter((e) => e.startsWith('document-')).every((e) => e.includes(doc))).toBe(true);
      }
      const events = async (t: string) => s.rt.documents.requests.getRequestHistory(svc, r3, t);
      const [deed, annex] = [await events('a'), await events('b')];
      const time = (h: typeof deed, event: string) => h.find((e) => e.event === event)!.eventTime;
      expect(deed.filter((e) => e.data?.includes('annex'))).toEqual([]);
      expect(annex.filter((e) => e.data?.includes('deed'))).toEqual([]);
      expect(time(deed, 'document-signed') <= time(annex, 'document-signed')).toBe(true);
      expect(time(deed, 'task-completed') < time(annex, 'task-completed')).toBe(true);
      expect(time(annex, 'document-signed') < time(annex, 'task-completed')).toBe(true);
    } finally {
      await ctx.close();
    }
  });

  test('a task whose dependency is not in the act (left out, or another person’s): the translated refusal, nothing written', async () => {
    const other = await newSessionUser(s, `act-o-${db}`, Date.now());
    const create = (inner: string) => createRequestXml(s.endpoint, 'demo', s.demoPassword, inner);
    const rx = await create(
      `${textDoc('deed', 'Deed')}${textDoc('annex', 'Annex')}${signingTask('a', 'deed', { nationalId: u.cpr })}` +
        signingTask('b', 'annex', { nationalId: u.cpr, dependsOn: 'a' }),
    );
    const ry = await create(
      `${textDoc('lease', 'Lease')}${textDoc('rider', 'Rider')}${signingTask('a', 'lease', { nationalId: other.cpr })}` +
        signingTask('b', 'rider', { nationalId: u.cpr, dependsOn: 'a' }),
    );
    const svc = await svcOf();
    const sessionTask = (
      [
        [rx, 'a', 'Deed'],
        [rx, 'b', 'Annex'],
        [ry, 'a', 'Lease'],
        [ry, 'b', 'Rider'],
      ] as const
    ).map(([requestId, taskId, description], i) => ({ requestId, taskId, order: i + 1, description }));
    const { userSessionId, artifact } = await s.rt.documents.requests.createUserSession(svc, { language: 'da', sessionTask });
    const ctx = await browser.newContext({ bypassCSP: true, locale: 'da-DK' });
    const p = await ctx.newPage();
    const sessionUrl = `${s.url}/std/docaction/demo/session?session_id=${userSessionId}`;
    const tasks = [`${rx}/a`, `${rx}/b`, `${ry}/a`, `${ry}/b`];
    const snapshot = async () => ({
      events: await Promise.all(tasks.map((k) => historyLines(s, k.split('/')[0]!, k.split('/')[1]!))),
      seals: await seals(),
    });
    try {
      await p.goto(`${sessionUrl}&artifact=${artifact}`);
      await p.getByRole('link', { name: 'Åbn Deed' }).click();
      await testIdLogin(s, p, u);
      await p.goto(sessionUrl);
      const page = await p.locator('main').innerText();
      // the rider waits for the lease, another person's task: not in the act
      expect(page).toMatch(/Rider\s*Venter på en tidligere opgave/);
      expect(page).toMatch(/Annex\s*Klar: underskrives i samme omgang/);
      await readAll(p, ['Deed', 'Annex']);
      const before = await snapshot();
      // the form as a forger would send it: the annex without the deed, and the rider
      await p.evaluate(`(() => {
        const form = document.getElementById('signall');
        form.querySelector('input[value="${rx}/a"]').remove();
        const input = Object.assign(document.createElement('input'), { type: 'hidden', name: 'task', value: '${ry}/b' });
        form.appendChild(input);
      })()`);
      const [res] = await Promise.all([
        p.waitForResponse((r) => r.url().includes('/session/sign?')),
        p.getByRole('button', { name: 'Underskriv alle klare opgaver' }).click(),
      ]);
      expect(res.status()).toBe(409);
      expect(await p.locator('h1').innerText()).toBe('Ikke alle opgaver kan underskrives nu');
      const refused = await p.locator('main').innerText();
      expect(refused).toMatch(/Annex\s*:\s*Venter på en tidligere opgave/);
      expect(refused).toMatch(/Rider\s*:\s*Venter på en tidligere opgave/);
      expect(await p.locator('html').getAttribute('lang')).toBe('da');
      await check(p, '05-refused-da');
      expect(await snapshot()).toEqual(before);
    } finally {
      await ctx.close();
    }
  });
});

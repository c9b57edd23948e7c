// The back-office console (/console) in headless Chromium with axe on every page: a service logs in with
// its SOAP name and password (bad ones get a translated page and are throttled), lists the request it
// made over SOAP with the counts by state, opens it after a signature (the result downloads in the
// session, the history shows the signing), withdraws it (in the history), cannot see another service's
// request (404, direct URL), and a POST without the CSRF token is refused and changes nothing; a manager
// extends an open request's expiry (a console action in the timeline).
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { generateKeys } from '../../src/trust/crypto';
import { axeViolations, inNewContext, launchChromium } from '../support/chromium';
import { makePdf } from '../support/pdf';
import { signTask } from '../support/sign';
import { envelope, NS, post } from '../support/soap';
import { startServer, type TestServer } from '../support/server';

const SHOTS = path.join(__dirname, '..', '..', 'test-artifacts', 'console');

describe('the back-office console (sqlite, Chromium)', () => {
  let s: TestServer;
  let browser: Browser;
  let signedId: string;
  let openId: string;
  let otherId: string;

  /** axe-core finds nothing on the page; the page kept as a picture (test-artifacts/ is not committed) */
  const axe = async (p: Page, name: string) => {
    expect([name, await axeViolations(p)]).toEqual([name, []]);
    // 360 px up: nothing wider than the window
    await p.setViewportSize({ width: 360, height: 740 });
    expect([name, await p.evaluate<number>('document.documentElement.scrollWidth')]).toEqual([name, 360]);
    await p.screenshot({ path: path.join(SHOTS, `${name}.png`), fullPage: true });
  };

  async function create(service: string, password: string, reference: string): Promise<string> {
    const pdf = Buffer.from(makePdf({ text: `Loan ${reference}` })).toString('base64');
    const doc = `<document xsi:type="provided-document" id="loan" mime-type="application/pdf"><data>${pdf}</data><description>Loan</description></document>`;
    const t1 =
      '<task id="t1"><subject><national-id>0101901234</national-id><first-name>Åse</first-name><last-name>Berg</last-name></subject>' +
      '<document-action type="sign"><document-ref>loan</document-ref></document-action>' +
      '<notification type="URL" notification-id="cb"><recipient>http://127.0.0.1:9/cb</recipient><message>x</message></notification></task>';
    const t2 =
      '<task id="t2"><depends-on-task>t1</depends-on-task><document-action type="sign"><document-ref>loan</document-ref></document-action></task>';
    const r = await post(
      s.endpoint,
      envelope(
        `<create-request-request xmlns="${NS}"><service>${service}</service><password>${password}</password><request>${doc}${t1}${t2}<client-reference>${reference}</client-reference></request></create-request-request>`,
      ),
    );
    const id = /<request-id>([^<]+)</.exec(r.text)?.[1];
    if (!id) throw new Error(r.text);
    return id;
  }

  async function login(p: Page, service: string, password: string, lang = 'en'): Promise<number> {
    await p.goto(`${s.url}/console?lang=${lang}`);
    await p.fill('#service', service);
    await p.fill('#password', password);
    const [res] = await Promise.all([p.waitForNavigation(), p.locator('main form button').click()]);
    return res!.status();
  }
  const statuses = async (id: string) =>
    (await s.rt.documents.requests.getStatus((await s.rt.services.find('demo'))!, [id])).map((x) => x.taskStatus);

  beforeAll(async () => {
    mkdirSync(SHOTS, { recursive: true });
    s = await startServer('sqlite');
    await s.rt.services.create('other', 'other-password-1');
    signedId = await create('demo', s.demoPassword, 'order-42');
    openId = await create('demo', s.demoPassword, 'order-43');
    otherId = await create('other', 'other-password-1', 'theirs-1');
    const svc = (await s.rt.services.find('demo'))!;
    const keys = await generateKeys();
    const certificate = await (
      await s.rt.ca()
    ).issuePerson({ commonName: 'Åse Berg', pid: '9208-2002-2-474747474747', publicKey: keys.publicKey });
    const signed = await signTask(s.rt, svc, signedId, { certificate, keys }, { documentIds: ['loan'] });
    if (!signed.ok) throw new Error(JSON.stringify(signed));
    browser = await launchChromium();
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    await s?.stop();
  });

  test('a wrong password gets a translated page, sets no session, and repeated failures are throttled', async () => {
    await inNewContext(browser, async (p) => {
      await p.goto(`${s.url}/console?lang=da`);
      await axe(p, 'login-da');
      expect(await login(p, 'demo', 'wrong-password', 'da')).toBe(401);
      expect(await p.locator('[role=alert]').innerText()).toBe('Tjenestens navn eller adgangskoden er forkert.');
      expect((await p.context().cookies()).map((c) => c.name)).not.toContain('segl_console');
      await axe(p, 'login-refused-da');
      // the same throttle as SOAP (core/ratelimit.ts): past the free allowance attempts are spaced out and queue behind
      // each other, so a burst of guesses in parallel is refused at once with 429 and Retry-After
      for (let i = 0; i < 4; i++) expect(await login(p, 'demo', `wrong-${i}`)).toBe(401);
      const token = await p.locator('input[name=_csrf]').inputValue();
      const pre = (await p.context().cookies()).find((c) => c.name === 'segl_console_login')!.value;
      const burst = await Promise.all(
        Array.from({ length: 40 }, (_, i) =>
          fetch(`${s.url}/console/login?lang=en`, {
            method: 'POST',
            headers: { cookie: `segl_console_login=${pre}`, 'content-type': 'application/x-www-form-urlencoded' },
            body: new URLSearchParams({ _csrf: token, service: 'demo', password: `burst-${i}` }),
            redirect: 'manual',
          }),
        ),
      );
      const refused = burst.filter((r) => r.status === 429);
      expect(refused.length).toBeGreaterThan(0);
      expect(Number(refused[0]!.headers.get('retry-after'))).toBeGreaterThan(0);
      expect(await refused[0]!.text()).toMatch(/Too many failed sign-ins\. Try again in \d+ seconds\./);
      expect(burst.every((r) => r.status === 429 || r.status === 401)).toBe(true);
    });
  }, 120_000);

  test('the list shows this service’s requests with counts, filters and search; the request page after a signature', async () => {
    await inNewContext(browser, async (p) => {
      expect(await login(p, 'demo', s.demoPassword)).toBe(200);
      const cookie = (await p.context().cookies()).find((c) => c.name === 'segl_console')!;
      expect([cookie.httpOnly, cookie.sameSite, cookie.path]).toEqual([true, 'Strict', '/console']);
      const main = await p.locator('main').innerText();
      expect(main).toContain(signedId);
      expect(main).toContain(openId);
      expect(main).not.toContain(otherId);
      expect(main.indexOf(openId)).toBeLessThan(main.indexOf(signedId)); // newest first
      // counts by state: t1 of the signed one completed; the other three tasks open
      expect(await p.locator('ul.counts').innerText()).toMatch(/Open: 3[\s\S]*Completed: 1/);
      await axe(p, 'list');
      await p.fill('#reference', 'order-42');
      await Promise.all([p.waitForNavigation(), p.getByRole('button', { name: 'Show' }).click()]);
      let rows = await p.locator('tbody tr').allInnerTexts();
      expect(rows.length).toBe(1);
      expect(rows[0]).toContain(signedId);
      await p.goto(`${s.url}/console?lang=en&status=completed`);
      rows = await p.locator('tbody tr').allInnerTexts();
      expect(rows.map((r) => r.includes(signedId))).toEqual([true]);

      await p.goto(`${s.url}/console/requests/${signedId}?lang=en`);
      const page = await p.locator('main').innerText();
      expect(page).toContain('Task t1: Completed');
      expect(page).toContain('Åse Berg (national id 010190-****)');
      expect(page).not.toContain('0101901234');
      expect(page).toContain('Waits for: t1');
      // the depends-on graph as a drawing: an image named by its title, t2's box right of t1's, the order in words
      const graph = p.getByRole('img', { name: 'Order of signing' });
      expect(await graph.locator('desc').textContent()).toBe('t2 waits for t1');
      const box = async (id: string) => (await graph.locator('g', { hasText: id }).locator('rect').boundingBox())!;
      expect((await box('t2')).x).toBeGreaterThan((await box('t1')).x + (await box('t1')).width);
      expect(await graph.locator('g', { hasText: 't1' }).locator('title').textContent()).toBe('t1: Completed');
      expect(page).toMatch(/task-completed/);
      expect(page).toContain('cb');
      await axe(p, 'request-signed');
      const href = await p.locator('a', { hasText: 'signed result (LTV-SDO)' }).getAttribute('href');
      const got = await p.request.get(`${s.url}${href!}`);
      expect(got.status()).toBe(200);
      expect((await got.text()).includes('SignedObject') || (await got.text()).includes('Signature')).toBe(true);
      const original = await p.request.get(`${s.url}${(await p.locator('a', { hasText: 'original' }).first().getAttribute('href'))!}`);
      expect((await original.body()).subarray(0, 5).toString()).toBe('%PDF-');
    });
  }, 120_000);

  test('another service’s request is 404, its downloads included; a POST without the token changes nothing', async () => {
    await inNewContext(browser, async (p) => {
      await login(p, 'demo', s.demoPassword);
      const page = await p.goto(`${s.url}/console/requests/${otherId}?lang=en`);
      expect(page!.status()).toBe(404);
      expect(await p.locator('h1').innerText()).toBe('Request not found');
      await axe(p, 'not-found');
      expect((await p.request.get(`${s.url}/console/requests/${otherId}/tasks/t1/documents/loan/original`)).status()).toBe(404);
      expect((await p.request.post(`${s.url}/console/requests/${otherId}/withdraw`, { form: { _csrf: 'x' } })).status()).toBe(403);
      const bare = await p.request.post(`${s.url}/console/requests/${openId}/withdraw`, { form: {} });
      expect(bare.status()).toBe(403);
      expect(await bare.text()).toContain('Nothing was changed.');
      expect(await statuses(openId)).toEqual(['created', 'created']);
      // with the token, but for another tenant's request: 404 and it stays open
      await p.goto(`${s.url}/console/requests/${openId}?lang=en`);
      const token = await p.locator('input[name=_csrf]').first().inputValue();
      expect((await p.request.post(`${s.url}/console/requests/${otherId}/withdraw`, { form: { _csrf: token } })).status()).toBe(404);
      const other = (await s.rt.services.find('other'))!;
      expect((await s.rt.documents.requests.getStatus(other, [otherId])).map((x) => x.taskStatus)).toEqual(['created', 'created']);
    });
  }, 120_000);

  test('a manager extends the expiry from the request page; the timeline shows it as a console action', async () => {
    await inNewContext(browser, async (p) => {
      await login(p, 'demo', s.demoPassword, 'fi');
      await p.goto(`${s.url}/console/requests/${openId}?lang=fi`);
      await p.fill('#until', new Date(Date.now() + 90 * 86_400_000).toISOString().slice(0, 10));
      await Promise.all([p.waitForNavigation(), p.getByRole('button', { name: 'Pidennä', exact: true }).click()]);
      expect(await p.locator('[role=status]').innerText()).toBe('Avoimet tehtävät vanhenevat nyt myöhemmin.');
      expect(await p.locator('#history + div').innerText()).toMatch(/Voimassaoloa pidennetty\s+taustatoimistossa, demo/);
      await axe(p, 'request-extended-fi');
    });
  }, 120_000);

  test('settings: every section, and a profile previewed in its colours before it is saved (Danish)', async () => {
    await inNewContext(browser, async (p) => {
      await login(p, 'demo', s.demoPassword, 'da');
      await p.goto(`${s.url}/console/settings?lang=da`);
      expect(await p.locator('h1').innerText()).toBe('Indstillinger');
      await axe(p, 'settings-da');
      await Promise.all([p.waitForNavigation(), p.getByRole('button', { name: 'Rediger profil' }).click()]);
      await p.getByLabel('Brandfarve (#rgb eller #rrggbb)').fill('#0b6e4f');
      await p.getByLabel('Tekst på brandfarven').fill('#ffffff');
      await Promise.all([p.waitForNavigation(), p.getByRole('button', { name: 'Forhåndsvisning' }).click()]);
      expect(await p.evaluate<string>("getComputedStyle(document.querySelector('.preview header.bar')).backgroundColor")).toBe(
        'rgb(11, 110, 79)',
      );
      await axe(p, 'profile-preview-da');
      expect(await s.rt.db.query('SELECT name FROM portal_profile')).toEqual([]);
    });
  }, 120_000);

  test('withdraw from the request page lands in its history; logout ends the session', async () => {
    await inNewContext(browser, async (p) => {
      await login(p, 'demo', s.demoPassword, 'sv');
      await p.goto(`${s.url}/console/requests/${openId}?lang=sv`);
      await axe(p, 'request-open-sv');
      await Promise.all([p.waitForNavigation(), p.getByRole('button', { name: 'Återkalla förfrågan' }).click()]);
      expect(await p.locator('[role=status]').innerText()).toBe('Förfrågan har återkallats.');
      expect(await statuses(openId)).toEqual(['deleted', 'deleted']);
      expect(await p.locator('#history + div').innerText()).toMatch(/document-deleted\s+request deleted/);
      await axe(p, 'request-withdrawn-sv');
      // again (the button is gone; a replayed POST): refused, nothing changes
      const token = await p.locator('input[name=_csrf]').first().inputValue();
      const again = await p.request.post(`${s.url}/console/requests/${openId}/withdraw?lang=en`, { form: { _csrf: token } });
      expect([again.status(), await again.text()]).toEqual([409, expect.stringContaining('Nothing to withdraw')]);
      const signed = await p.request.post(`${s.url}/console/requests/${signedId}/withdraw?lang=en`, { form: { _csrf: token } });
      // t2 of the signed request is still open, so it may be withdrawn; like SOAP deleteRequest, every task becomes deleted
      expect(signed.status()).toBe(200);
      expect(await statuses(signedId)).toEqual(['deleted', 'deleted']);
      await Promise.all([p.waitForNavigation(), p.locator('nav form button').click()]);
      expect(await p.locator('h1').innerText()).toBe('Logga in i back office');
      await p.goto(`${s.url}/console/requests/${signedId}?lang=en`);
      expect(await p.locator('h1').innerText()).toBe('Sign in to the back office');
    });
  }, 120_000);
});

// The test-user tool (/testid/) in headless Chromium (Debian's, driven by playwright-core): Autofill
// and create a user, its overview and key card (codes proven real by a login with one), certificate
// lock / unlock / revoke as OCSP sees it, the user's lock after wrong passwords, bad input, CSRF,
// 404s and translations; every page passes axe-core, fits 360 px and starts with a skip link.
// The router is mounted on an app of its own (port 0) over the running segl's test eID, so the test
// does not depend on the runtime mounting it. Screenshots go to test-artifacts/testid/.
import { mkdirSync, readFileSync } from 'node:fs';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import express from 'express';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { ALIAS, PID, testIdFromRuntime, type Challenge, type TestIdEnvironment } from '../../src/eid/testid/users';
import { KEY_CARD_SIZE } from '../../src/eid/testid/keycard';
import { PORTAL_CSS } from '../../src/portal/assets';
import { CSRF_COOKIE, testIdToolRoutes } from '../../src/eid/testid/tool';
import { REPO } from '../support/soap';
import { startServer, type TestServer } from '../support/server';

const SHOTS = path.join(REPO, 'test-artifacts', 'testid');
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

/** An app with only the tool (and the portal's stylesheet) on an ephemeral port. */
async function toolApp(testid: TestIdEnvironment, s: TestServer, production = false): Promise<{ url: string; close: () => Promise<void> }> {
  const app = express();
  app.get('/portal/static/portal.css', (_req, res) => {
    res.type('text/css').send(PORTAL_CSS);
  });
  app.use(testIdToolRoutes({ testid, secret: s.rt.config.secret!, production, log: s.rt.log, clock: s.rt.clock }));
  const server = await new Promise<Server>((resolve) => {
    const x = app.listen(0, '127.0.0.1', () => resolve(x));
  });
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

describe('test-user tool (sqlite, Chromium)', () => {
  let s: TestServer;
  let testid: TestIdEnvironment;
  let tool: { url: string; close: () => Promise<void> };
  let browser: Browser;
  let ctx: BrowserContext;
  let tab: Page;
  /** the user the first test creates through the pages */
  const made = { alias: '', password: '', cpr: '', pid: '', serial: '', name: '' };

  beforeAll(async () => {
    mkdirSync(SHOTS, { recursive: true });
    s = await startServer('sqlite');
    testid = (s.rt as { testid?: TestIdEnvironment }).testid ?? testIdFromRuntime(s.rt);
    tool = await toolApp(testid, s);
    browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: CHROMIUM_ARGS });
  });
  afterAll(async () => {
    await browser?.close();
    await tool?.close();
    await s?.stop();
  });
  beforeEach(async () => {
    ctx = await browser.newContext({ bypassCSP: true, locale: 'en-GB' }); // bypassCSP: only so axe can be injected
    tab = await ctx.newPage();
  });
  afterEach(async () => {
    await ctx.close();
  });

  const userUrl = (alias: string) => `${tool.url}/testid/users/${alias}`;

  /** The page now open: axe-core without violations, the skip link first, no horizontal scroll at 360 px; a screenshot. */
  async function check(shot: string): Promise<void> {
    await tab.evaluate(AXE);
    // (expressions as strings: they run in the page, whose DOM types this Node project does not load)
    const violations = await tab.evaluate<string[]>(
      "axe.run(document, { resultTypes: ['violations'] }).then((r) => r.violations.map((v) => v.id + ' (' + v.nodes.length + ')'))",
    );
    expect(violations).toEqual([]);
    await tab.evaluate('document.activeElement && document.activeElement.blur()');
    await tab.keyboard.press('Tab');
    expect(await tab.evaluate<string>('document.activeElement && document.activeElement.className')).toBe('skip');
    await tab.evaluate('document.activeElement && document.activeElement.blur()');
    await tab.screenshot({ path: path.join(SHOTS, `${shot}.png`), fullPage: true });
    await tab.setViewportSize({ width: 360, height: 740 });
    // what sticks out, named, so a failure says which element is too wide
    const wide = await tab.evaluate<string[]>(
      "[...document.querySelectorAll('body *')].filter((e) => e.getBoundingClientRect().right > 360.5).map((e) => e.tagName + '.' + e.className + ' ' + Math.round(e.getBoundingClientRect().right) + ' ' + (e.textContent || '').slice(0, 40))",
    );
    expect([(await tab.evaluate<number>('document.documentElement.scrollWidth')) <= 360, wide]).toEqual([true, []]);
    await tab.screenshot({ path: path.join(SHOTS, `${shot}-360.png`), fullPage: true });
    await tab.setViewportSize({ width: 1024, height: 768 });
  }

  async function visit(target: string, want: { status: number; heading: string; shot: string }): Promise<string> {
    const res = await tab.goto(target);
    expect(res!.status()).toBe(want.status);
    expect((await tab.locator('h1').innerText()).trim()).toBe(want.heading);
    await check(want.shot);
    return tab.locator('main').innerText();
  }

  /** Clicks a button and returns the status of the response the browser ends on. */
  async function press(name: string): Promise<number> {
    const [res] = await Promise.all([
      tab.waitForResponse((r) => r.request().isNavigationRequest() && r.status() !== 303),
      tab.getByRole('button', { name, exact: true }).click(),
    ]);
    await tab.waitForLoadState();
    return res.status();
  }

  const logEvents = async () => tab.locator('table.data tbody tr td:nth-child(2)').allInnerTexts();

  test('Autofill fills the form; Create makes a user whose bookmarkable overview shows CPR, PID and a good certificate', async () => {
    const text = await visit(`${tool.url}/testid/`, { status: 200, heading: 'Test users', shot: 'home' });
    expect(text).toContain('The test eID is a NemID-style login');
    expect(await press('Autofill')).toBe(200);
    expect(await tab.getByRole('status').innerText()).toContain('Filled in with new test data');
    const value = (label: string) => tab.getByLabel(label, { exact: true }).inputValue();
    made.alias = await value('Alias (user ID)');
    made.password = await value('Password');
    made.cpr = await value('CPR number');
    made.name = `${await value('First name')} ${await value('Last name')}`;
    expect(made.alias).toMatch(ALIAS);
    expect(made.password.length).toBeGreaterThanOrEqual(8);
    expect(made.cpr).toMatch(/^\d{6}-\d{4}$/);
    expect(await value('Address')).toMatch(/\d{4} /);
    await check('home-autofilled');

    expect(await press('Create test user')).toBe(200);
    expect(new URL(tab.url()).pathname).toBe(`/testid/users/${made.alias}`);
    expect(await tab.locator('h1').innerText()).toBe(made.name);
    expect(await tab.getByRole('status').innerText()).toBe('The test user was created.');
    const main = await tab.locator('main').innerText();
    expect(main).toContain(made.cpr);
    made.pid = /9208-2002-2-\d{12}/.exec(main)?.[0] ?? '';
    expect(made.pid).toMatch(PID);
    expect(await tab.locator('#certificate-status').innerText()).toBe('Status: Good');
    expect(await tab.locator('#user-status').innerText()).toBe('The user is not locked. Wrong attempts in a row: 0 of 5.');
    await check('overview');

    const u = (await testid.user(made.alias))!;
    expect([u.cpr, u.pid, u.name]).toEqual([made.cpr.replace('-', ''), made.pid, made.name]);
    made.serial = u.certificate.serial;
    expect(main).toContain(made.serial);
    // bookmarkable: the same address works on its own, without the notice
    await visit(userUrl(made.alias), { status: 200, heading: made.name, shot: 'overview-bookmark' });
    expect(await tab.getByRole('status').count()).toBe(0);
  });

  test('the key card page lists every code, and they are the real ones: a login answers with one', async () => {
    await tab.goto(userUrl(made.alias));
    await tab.getByRole('link', { name: 'Show the key card' }).click();
    await tab.waitForURL(/\/keycard$/);
    expect(await tab.locator('h1').innerText()).toBe('Key card');
    expect(await tab.locator('table.keys tbody tr').count()).toBe(KEY_CARD_SIZE);
    expect(await tab.locator('main').innerText()).toContain(`${KEY_CARD_SIZE} of ${KEY_CARD_SIZE} codes left`);
    await check('keycard');

    const challenge = (await testid.startLogin(made.alias, made.password)) as Challenge;
    expect(challenge.keyNumber).toMatch(/^\d{4}$/);
    expect(await tab.getByRole('heading', { name: `Key card ${challenge.cardId}` }).count()).toBe(1);
    const row = tab.locator('table.keys tbody tr').filter({ has: tab.getByRole('rowheader', { name: challenge.keyNumber, exact: true }) });
    expect(await row.count()).toBe(1);
    const code = await row.locator('.code').innerText();
    expect(code).toMatch(/^\d{6}$/);
    const ok = await testid.answer(challenge.challengeId, code);
    expect(ok).toMatchObject({ ok: true, alias: made.alias, pid: made.pid });

    await tab.reload();
    const used = tab.locator('table.keys tbody tr.used');
    expect(await used.count()).toBe(1);
    expect(await used.getByRole('rowheader').innerText()).toBe(challenge.keyNumber);
    expect(await used.locator('td').innerText()).toContain('(used)');
    expect(await tab.locator('main').innerText()).toContain(`${KEY_CARD_SIZE - 1} of ${KEY_CARD_SIZE} codes left`);
    await check('keycard-used');
  });

  test('Lock, Unlock and Revoke change what OCSP says about the certificate; the transaction log lists every step, newest first', async () => {
    const ca = await s.rt.ca();
    await tab.goto(userUrl(made.alias));
    expect(await press('Lock certificate')).toBe(200);
    expect(new URL(tab.url()).search).toBe('?done=lock');
    expect(await tab.getByRole('status').innerText()).toBe('The certificate is locked.');
    expect(await tab.locator('#certificate-status').innerText()).toBe('Status: Locked (on hold)');
    expect(await ca.status(made.serial)).toMatchObject({ status: 'revoked', reason: 'certificateHold' });
    expect(await testid.certificateState(made.alias)).toBe('locked');
    await check('overview-locked');

    expect(await press('Unlock certificate')).toBe(200);
    expect(await tab.locator('#certificate-status').innerText()).toBe('Status: Good');
    expect(await ca.status(made.serial)).toEqual({ status: 'good' });

    expect(await press('Revoke certificate')).toBe(200);
    expect(await tab.getByRole('status').innerText()).toBe('The certificate is revoked.');
    expect(await tab.locator('#certificate-status').innerText()).toBe('Status: Revoked');
    const revoked = await ca.status(made.serial);
    expect(revoked.status).toBe('revoked');
    expect((revoked as { reason?: string }).reason).not.toBe('certificateHold');
    // revoking is final: no more certificate buttons
    for (const name of ['Lock certificate', 'Unlock certificate', 'Revoke certificate'])
      expect(await tab.getByRole('button', { name }).count()).toBe(0);

    const events = await logEvents();
    expect(events.slice(0, 5)).toEqual([
      'Certificate revoked',
      'Certificate unlocked',
      'Certificate locked',
      'Logged in',
      'Key-card code used',
    ]);
    expect(events.slice(-2)).toEqual(['Key card issued', 'User created']);
    const stamps = tab.locator('table.data tbody tr td:nth-child(1) time');
    const times: string[] = [];
    for (let i = 0; i < (await stamps.count()); i++) times.push((await stamps.nth(i).getAttribute('datetime'))!);
    expect(times).toEqual([...times].sort().reverse());
    expect(await tab.locator('table.data tbody tr').first().locator('td').first().innerText()).toMatch(
      /^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC$/,
    );
    expect(await tab.locator('table.data tbody tr').first().innerText()).toContain(made.serial);
    await check('overview-revoked');
  });

  test('a user locked after 5 wrong passwords shows it, and Unlock user lets it log in again', async () => {
    for (let i = 0; i < 5; i++) await testid.startLogin(made.alias, 'not-the-password');
    expect(await testid.startLogin(made.alias, made.password)).toMatchObject({ ok: false, reason: 'user-locked' });
    await tab.goto(userUrl(made.alias));
    expect(await tab.locator('#user-status').innerText()).toMatch(
      /^The user is locked after 5 wrong attempts in a row \(since \d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC\)/,
    );
    expect((await logEvents())[0]).toBe('Login failed');
    expect(await logEvents()).toContain('User locked');
    await check('overview-user-locked');
    expect(await press('Unlock user')).toBe(200);
    expect(await tab.getByRole('status').innerText()).toBe('The user is unlocked.');
    expect(await tab.locator('#user-status').innerText()).toBe('The user is not locked. Wrong attempts in a row: 0 of 5.');
    expect(await tab.getByRole('button', { name: 'Unlock user' }).count()).toBe(0);
    expect((await logEvents())[0]).toBe('User unlocked');
    expect(await testid.startLogin(made.alias, made.password)).toHaveProperty('challengeId');
  });

  test('bad input is shown next to its field with HTTP 400 and creates nobody: a bad CPR number, a taken alias, a taken CPR number', async () => {
    await tab.goto(`${tool.url}/testid/`);
    const fill = async (v: Record<string, string>) => {
      for (const [label, text] of Object.entries(v)) await tab.getByLabel(label, { exact: true }).fill(text);
    };
    const good = {
      'First name': 'Bente',
      'Last name': 'Testesen',
      'CPR number': '010190-1234',
      Address: 'Testvej 1, 1050 København K',
      'Alias (user ID)': 'bente.t',
      Password: 'Test-password-1',
    };

    await fill({ ...good, 'CPR number': '310299-1234' });
    expect(await press('Create test user')).toBe(400);
    const message = 'The date part 310299 of the CPR number is not a valid date (DDMMYY).';
    expect(await tab.locator('#f-cpr-error').innerText()).toBe(message);
    expect(await tab.getByRole('alert').innerText()).toContain('The test user was not created');
    expect(await tab.getByRole('alert').innerText()).toContain(message);
    expect(await tab.locator('#f-cpr').getAttribute('aria-invalid')).toBe('true');
    // what was typed is kept
    expect(await tab.getByLabel('Alias (user ID)', { exact: true }).inputValue()).toBe('bente.t');
    expect(await testid.user('bente.t')).toBeNull();
    await check('create-bad-cpr');

    await fill({ ...good, 'Alias (user ID)': made.alias });
    expect(await press('Create test user')).toBe(400);
    expect(await tab.locator('#f-alias-error').innerText()).toBe('This alias is taken. Choose another one.');
    expect(await testid.user('0101901234')).toBeNull();
    expect((await testid.user(made.alias))!.pid).toBe(made.pid);
    await check('create-alias-taken');

    await fill({ ...good, 'CPR number': made.cpr });
    expect(await press('Create test user')).toBe(400);
    expect(await tab.locator('#f-cpr-error').innerText()).toContain('A test user with this CPR number exists already');
    expect(await testid.user('bente.t')).toBeNull();

    await fill({ ...good, Password: 'short' });
    expect(await press('Create test user')).toBe(400);
    expect(await tab.locator('#f-password-error').innerText()).toBe('The password must have at least 8 characters.');
    expect(await testid.user('bente.t')).toBeNull();
  });

  test('POSTs without a valid CSRF token get 403 and change nothing; the cookie is HttpOnly, SameSite=Lax (Secure in production)', async () => {
    const other = await testid.createUser(testid.autofill());
    const get = async () => {
      const res = await fetch(`${tool.url}/testid/`);
      const cookie = res.headers.get('set-cookie') ?? '';
      const token = /name="csrf" value="([^"]+)"/.exec(await res.text())?.[1] ?? '';
      return { cookie, nonce: cookie.split(';')[0]!, token };
    };
    const a = await get();
    const b = await get();
    expect(a.cookie).toMatch(new RegExp(`^${CSRF_COOKIE}=[A-Za-z0-9_-]{24}; Path=/testid/; HttpOnly; SameSite=Lax$`));
    expect(a.token).not.toBe('');
    const post = (where: string, body: string, cookie?: string) =>
      fetch(`${tool.url}${where}`, {
        method: 'POST',
        redirect: 'manual',
        body,
        headers: { 'content-type': 'application/x-www-form-urlencoded', ...(cookie ? { cookie } : {}) },
      });
    const refused = async (res: Response) => {
      expect(res.status).toBe(403);
      expect(res.headers.get('content-security-policy')).toContain("default-src 'self'");
      expect(await res.text()).toContain('This page has expired');
    };
    const certPath = `/testid/users/${other.alias}/certificate`;
    await refused(await post(certPath, 'do=revoke'));
    await refused(await post(certPath, 'do=revoke&csrf=forged', a.nonce));
    await refused(await post(certPath, `do=revoke&csrf=${a.token}`)); // the token without its cookie
    await refused(await post(certPath, `do=revoke&csrf=${a.token}`, b.nonce)); // another browser's token
    expect(await testid.certificateState(other.alias)).toBe('good');
    const draft = testid.autofill();
    await refused(await post('/testid/users', new URLSearchParams({ ...draft, do: 'create' }).toString(), a.nonce));
    expect(await testid.user(draft.alias)).toBeNull();
    for (let i = 0; i < 5; i++) await testid.startLogin(other.alias, 'not-the-password');
    await refused(await post(`/testid/users/${other.alias}/unlock`, 'do=unlock', b.nonce));
    expect((await testid.user(other.alias))!.locked).toBe(true);

    // with its own cookie the same token works
    const ok = await post(certPath, `do=lock&csrf=${a.token}`, a.nonce);
    expect(ok.status).toBe(303);
    expect(ok.headers.get('location')).toBe(`/testid/users/${other.alias}?done=lock`);
    expect(await testid.certificateState(other.alias)).toBe('locked');

    const prod = await toolApp(testid, s, true);
    try {
      expect((await fetch(`${prod.url}/testid/`)).headers.get('set-cookie')).toMatch(/; HttpOnly; SameSite=Lax; Secure$/);
    } finally {
      await prod.close();
    }
  });

  test('an unknown alias is a readable 404; Find goes to the overview by alias, CPR number or PID; a CPR or PID address redirects to the alias', async () => {
    const bare = await fetch(`${tool.url}/testid`, { redirect: 'manual' });
    expect([bare.status, bare.headers.get('location')]).toEqual([301, '/testid/']);
    const text = await visit(userUrl('nobody.here'), { status: 404, heading: 'We could not find this test user', shot: 'user-not-found' });
    expect(text).toContain('No test user has this alias.');
    expect((await tab.goto(`${userUrl('nobody.here')}/keycard`))!.status()).toBe(404);

    for (const q of [made.cpr, made.pid, made.alias.toUpperCase()]) {
      await tab.goto(`${tool.url}/testid/`);
      await tab.getByLabel('Alias, CPR number or PID').fill(q);
      await tab.getByRole('button', { name: 'Find', exact: true }).click();
      await tab.waitForURL(`**/testid/users/${made.alias}`);
      expect(await tab.locator('h1').innerText()).toBe(made.name);
    }
    await tab.goto(`${tool.url}/testid/`);
    await tab.getByLabel('Alias, CPR number or PID').fill('nobody.here');
    expect(await press('Find')).toBe(404);
    expect(await tab.locator('#f-find-error').innerText()).toBe('No test user has this alias, CPR number or PID.');
    await check('find-not-found');

    await tab.goto(userUrl(made.pid));
    expect(new URL(tab.url()).pathname).toBe(`/testid/users/${made.alias}`);
    await tab.goto(`${userUrl(made.cpr.replace('-', ''))}/keycard`);
    expect(new URL(tab.url()).pathname).toBe(`/testid/users/${made.alias}/keycard`);
  });

  test("the pages follow the browser's language (Danish, Finnish)", async () => {
    await ctx.close();
    ctx = await browser.newContext({ bypassCSP: true, locale: 'da-DK' });
    tab = await ctx.newPage();
    await visit(`${tool.url}/testid/`, { status: 200, heading: 'Testbrugere', shot: 'home-da' });
    expect(await tab.getByRole('button', { name: 'Autoudfyld' }).count()).toBe(1);
    const text = await visit(userUrl(made.alias), { status: 200, heading: made.name, shot: 'overview-da' });
    expect(text).toContain('Status: Spærret');
    expect(text).toContain('Transaktionslog');
    await ctx.close();
    ctx = await browser.newContext({ bypassCSP: true, locale: 'fi-FI' });
    tab = await ctx.newPage();
    await visit(`${userUrl(made.alias)}/keycard`, { status: 200, heading: 'Avainkortti', shot: 'keycard-fi' });
  });

  test('an employee user: Employee + Autofill, Create; its overview and the home page list it; a bad CVR number in Danish; every page passes axe at 360 px', async () => {
    await tab.goto(`${tool.url}/testid/`);
    await tab.getByLabel('Employee (MOCES-style certificate with organisation, CVR and RID)').check();
    expect(await press('Autofill')).toBe(200);
    const value = (label: string) => tab.getByLabel(label, { exact: true }).inputValue();
    expect(await tab.getByLabel('Employee (MOCES-style certificate with organisation, CVR and RID)').isChecked()).toBe(true);
    const [organisation, cvr, rid, alias] = [
      await value('Organisation'),
      await value('CVR number'),
      await value('RID (employee number)'),
      await value('Alias (user ID)'),
    ];
    expect(cvr).toMatch(/^[1-9]\d{7}$/);
    expect(rid).toMatch(/^\d{1,16}$/);
    await check('home-employee-autofilled');
    expect(await press('Create test user')).toBe(200);
    const text = await tab.locator('main').innerText();
    for (const v of ['Employee (MOCES-style certificate', organisation, cvr, rid, `CVR:${cvr}-RID:${rid}`, `${organisation} // CVR:${cvr}`])
      expect(text).toContain(v);
    await check('overview-employee');
    await visit(`${tool.url}/testid/`, { status: 200, heading: 'Test users', shot: 'home-employees' });
    const row = await tab.locator('table[aria-labelledby=employees] tbody tr').filter({ hasText: alias }).innerText();
    expect(row.split('\t').map((x) => x.trim())).toEqual([expect.any(String), alias, organisation, cvr, rid]);

    await ctx.close();
    ctx = await browser.newContext({ bypassCSP: true, locale: 'da-DK' });
    tab = await ctx.newPage();
    await tab.goto(`${tool.url}/testid/`);
    await tab.getByLabel('Medarbejder (certifikat som MOCES med organisation, CVR og RID)').check();
    expect(await press('Autoudfyld')).toBe(200);
    await tab.getByLabel('CVR-nummer', { exact: true }).fill('12345678');
    const bad = await value('Alias (bruger-id)');
    expect(await press('Opret testbruger')).toBe(400);
    expect(await tab.locator('#f-cvr-error').innerText()).toBe(
      'CVR-nummeret skal være 8 cifre, ikke begynde med 0 og bestå modulus 11-kontrollen.',
    );
    expect(await tab.getByLabel('CVR-nummer', { exact: true }).getAttribute('aria-invalid')).toBe('true');
    await check('home-employee-bad-cvr-da');
    expect(await testid.user(bad)).toBeNull();
  });
});

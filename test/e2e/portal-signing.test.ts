// The whole signer journey in headless Chromium with the test eID: createRequest over SOAP → task URL
// → NemID login with a key-card code → CPR matched through PID-CPR → read both documents → sign with
// password and a fresh code → "signed, being sealed" while the worker seals → redirect with the ids →
// getStatus completed → the sealed LTV-SDO that xmlsec1 verifies. Then the refusals: revoked and
// locked certificates, a national-id that is not the signer's, three signers where C waits for A and B.
import * as nodeFs from 'node:fs';
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import type { TestUser } from '../../src/eid/testid/users';
import { makePdf } from '../support/pdf';
import { envelope, NS, post, REPO } from '../support/soap';
import { startServer, type TestServer } from '../support/server';

const exec = promisify(execFile);
const SHOTS = path.join(REPO, 'test-artifacts', 'portal-signing');
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

describe('signing in the portal with the test eID (sqlite, Chromium)', () => {
  let s: TestServer;
  let browser: Browser;
  let ctx: BrowserContext;
  let tab: Page;
  let shot = 0;
  const users: Record<string, TestUser & { password: string }> = {};

  const newUser = async (alias: string) => {
    const draft = { ...s.rt.testid!.autofill(), alias, password: `pw-${alias}-123` };
    users[alias] = { ...(await s.rt.testid!.createUser(draft)), password: draft.password };
    return users[alias]!;
  };
  const codeFor = async (alias: string, keyNumber: string) => {
    for (const card of await s.rt.testid!.keyCards(alias)) {
      const hit = card.codes.find((c) => c.keyNumber === keyNumber && !c.used);
      if (hit) return hit.code;
    }
    throw new Error(`no unused code ${keyNumber} for ${alias}`);
  };
  const cprText = (cpr: string) => `${cpr.slice(0, 6)}-${cpr.slice(6)}`;
  const axe = async (name: string) => {
    await tab.evaluate(AXE);
    expect([
      name,
      await tab.evaluate<string[]>("axe.run(document, { resultTypes: ['violations'] }).then((r) => r.violations.map((v) => v.id))"),
    ]).toEqual([name, []]);
    await tab.screenshot({ path: path.join(SHOTS, `${String(++shot).padStart(2, '0')}-${name}.png`), fullPage: true });
  };
  const keyNumberOnPage = async (p: Page = tab) => /key number (\d+)/.exec(await p.locator('main').innerText())![1]!;

  async function create(tasks: string, docs: string): Promise<string> {
    const r = await post(
      s.endpoint,
      envelope(
        `<create-request-request xmlns="${NS}"><service>demo</service><password>${s.demoPassword}</password><request>${docs}${tasks}<client-reference>order-42</client-reference></request></create-request-request>`,
      ),
    );
    const id = /<request-id>([^<]+)</.exec(r.text)?.[1];
    if (!id) throw new Error(r.text);
    return id;
  }
  const pdf = makePdf({ text: 'Loan agreement' }).toString('base64');
  const docs =
    `<document xsi:type="provided-document" id="loan" mime-type="application/pdf"><description>Loan agreement</description><data>${pdf}</data></document>` +
    `<document xsi:type="provided-document" id="terms" mime-type="text/plain"><description>Terms</description><data>${Buffer.from('Interest 3 %').toString('base64')}</data></document>`;
  const signTask = (id: string, opts: { nationalId?: string; depends?: string[]; complete?: string } = {}) =>
    `<task id="${id}">` +
    (opts.nationalId ? `<subject><national-id>${opts.nationalId}</national-id></subject>` : '') +
    '<document-action type="sign"><document-ref>loan</document-ref></document-action><document-action type="sign"><document-ref>terms</document-ref></document-action>' +
    '<authentication><method>nemid</method></authentication>' +
    (opts.complete ? `<on-task-complete>${opts.complete.replace(/&/g, '&amp;')}</on-task-complete>` : '') +
    (opts.depends ?? []).map((d) => `<depends-on-task>${d}</depends-on-task>`).join('') +
    '<signature><method>nemid-sign</method></signature></task>';
  const taskUrl = (requestId: string, taskId: string) => `${s.url}/std/docaction/demo?request_id=${requestId}&task_id=${taskId}`;
  const status = async (requestId: string) =>
    Object.fromEntries(
      (await s.rt.documents.requests.getStatus((await s.rt.services.find('demo'))!, [requestId])).map((x) => [x.taskId, x.taskStatus]),
    );

  /** Login with alias + password + key-card code, the CPR when asked, then reading both documents. */
  /** NemID login at a task URL: user id and password, then the code for the key number shown. */
  async function logIn(url: string, alias: string, check = false, p: Page = tab, typed = alias): Promise<void> {
    await p.goto(url);
    if (check) await axe('login');
    await p.getByLabel('User ID (alias, CPR or PID)').fill(typed);
    await p.getByLabel('Password').fill(users[alias]!.password);
    await p.getByRole('button', { name: 'Next' }).click();
    if (check) await axe('key-card-code');
    const n = await keyNumberOnPage(p);
    await p.getByLabel(`Code for key ${n}`).fill(await codeFor(alias, n));
    await p.getByRole('button', { name: 'Next' }).click();
  }

  async function loginAndRead(
    requestId: string,
    taskId: string,
    alias: string,
    check = false,
    p: Page = tab,
    typed = alias,
  ): Promise<void> {
    const u = users[alias]!;
    await logIn(taskUrl(requestId, taskId), alias, check, p, typed);
    if ((await p.locator('h1').innerText()) === 'Confirm your CPR number') {
      if (check) await axe('cpr');
      await p.getByLabel('CPR number (DDMMYY-SSSS)').fill(cprText(u.cpr));
      await p.getByRole('button', { name: 'Next' }).click();
    }
    await p.getByRole('link', { name: 'Open Loan agreement' }).click();
    await p.waitForSelector('#pdf[data-pages] canvas');
    await p.getByRole('link', { name: 'Back to the documents' }).click();
    await p.getByRole('link', { name: 'Open Terms' }).click();
    await p.getByRole('link', { name: 'Back to the documents' }).click();
    if (check) await axe('wizard');
  }

  /**
   * Send in, then the nemid-sign step: the user id as typed at login (prefilled), then password and a
   * fresh code under a heading that asks for both, and the button that says what it does: Sign.
   */
  async function signIn(alias: string, check = false, p: Page = tab, typed = alias): Promise<void> {
    await p.getByRole('button', { name: 'Sign and send in' }).click();
    if (check) await axe('sign');
    expect(await p.getByLabel('User ID (alias, CPR or PID)').inputValue()).toBe(typed);
    await p.getByRole('button', { name: 'Next' }).click();
    if (check) await axe('sign-code');
    expect(await p.locator('main h3').innerText()).toBe('Confirm with your password and a key-card code');
    // the password field comes after that heading, inside the same form as the code
    expect(
      await p.evaluate<boolean>(
        "(() => { const h = document.querySelector('main h3'); const pw = document.getElementById('password'); return !!(h.compareDocumentPosition(pw) & Node.DOCUMENT_POSITION_FOLLOWING) && pw.form === document.getElementById('code').form; })()",
      ),
    ).toBe(true);
    expect(await p.getByRole('button', { name: 'Next' }).count()).toBe(0);
    const n = await keyNumberOnPage(p);
    await p.getByLabel('Password').fill(users[alias]!.password);
    await p.getByLabel(`Code for key ${n}`).fill(await codeFor(alias, n));
    await p.getByRole('button', { name: 'Sign', exact: true }).click();
  }
  const SIGNED = 'h1:text("Your signature has been received")';

  beforeAll(async () => {
    // the worker in this process seals what the portal's Sign recorded (as `segl start` does)
    s = await startServer('sqlite', { SEGL_RELAY_INTERVAL: '100ms' }, { worker: true });
    browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: CHROMIUM_ARGS });
    nodeFs.mkdirSync(SHOTS, { recursive: true });
    await Promise.all(['anna', 'bent', 'carl', 'revoked-rita', 'locked-lars'].map(newUser));
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

  test('full flow: login, CPR match, read, sign, Send in, redirect, completed, and a sealed LTV-SDO that xmlsec1 verifies', async () => {
    const anna = users.anna!;
    const requestId = await create(
      signTask('t1', { nationalId: anna.cpr, complete: `${s.url}/healthz?done=\${requestId}&task=\${taskId}` }),
      docs,
    );
    await loginAndRead(requestId, 't1', 'anna', true);
    await signIn('anna', true);
    await tab.waitForURL(/\/healthz\?/, { timeout: 30_000 });
    const u = new URL(tab.url());
    expect([u.searchParams.get('done'), u.searchParams.get('task')]).toEqual([requestId, 't1']);
    expect(await status(requestId)).toEqual({ t1: 'completed' });

    const st = await post(
      s.endpoint,
      envelope(
        `<get-status-request xmlns="${NS}"><service>demo</service><password>${s.demoPassword}</password><request-id>${requestId}</request-id></get-status-request>`,
      ),
    );
    const uris = [...st.text.matchAll(/<result-uri>([^<]+)</g)].map((m) => m[1]!);
    expect(uris).toHaveLength(2);
    const get = async (uri: string) =>
      (await fetch(uri, { headers: { authorization: `Basic ${Buffer.from(`demo:${s.demoPassword}`).toString('base64')}` } })).text();
    const sdo = await get(uris[0]!);
    expect(await get(uris[1]!)).toBe(sdo); // bundle: both documents signed in one act, one package
    expect(sdo).toContain(`<SignerNationalId>${anna.cpr}</SignerNationalId>`);
    expect(sdo).toContain('Type="pdf-shown"');
    expect(sdo).toContain('Type="cpr-verified"');
    expect(sdo).toContain('order-42');
    const dir = mkdtempSync(path.join(os.tmpdir(), 'segl-portal-sdo-'));
    const ca = await s.rt.ca();
    writeFileSync(path.join(dir, 'root.pem'), ca.pem('root'));
    writeFileSync(path.join(dir, 'ca.pem'), ca.pem('personCa'));
    writeFileSync(path.join(dir, 'service-ca.pem'), ca.pem('serviceCa')); // the seal's issuing CA
    writeFileSync(path.join(dir, 'sdo.xml'), sdo);
    const ids = [...sdo.matchAll(/<ds:Signature[^>]*\sId="([^"]+)"/g)].map((m) => m[1]!);
    expect(ids).toHaveLength(2);
    for (const id of ids) {
      const r = await exec('xmlsec1', [
        '--verify',
        '--trusted-pem',
        path.join(dir, 'root.pem'),
        '--untrusted-pem',
        path.join(dir, 'ca.pem'),
        '--untrusted-pem',
        path.join(dir, 'service-ca.pem'),
        '--id-attr:Id',
        'http://www.w3.org/2000/09/xmldsig#:Signature',
        '--node-id',
        id,
        path.join(dir, 'sdo.xml'),
      ]).catch((e) => e);
      expect(`${r.stdout}${r.stderr}`).toMatch(/^OK$/m);
    }
    const h = (await s.rt.documents.requests.getRequestHistory((await s.rt.services.find('demo'))!, requestId, 't1')).map((e) => e.event);
    for (const e of ['task-started', 'user-authenticated', 'document-viewed', 'document-signed', 'task-completed']) expect(h).toContain(e);
  });

  test('revoked and locked certificates: signing refused with a clear message, task still open', async () => {
    for (const [alias, action, text] of [
      ['revoked-rita', 'revoke', 'revoked'],
      ['locked-lars', 'lock', 'locked'],
    ] as const) {
      await s.rt.testid!.certificateAction(alias, action);
      const requestId = await create(signTask('t1'), docs);
      await loginAndRead(requestId, 't1', alias);
      await signIn(alias);
      expect(await tab.locator('h1').innerText()).toBe('You cannot sign this task');
      expect(await tab.locator('main').innerText()).toContain(
        text === 'revoked' ? 'The certificate of this eID has been revoked' : 'This eID is locked and cannot be used until it is unlocked.',
      );
      await axe(`refused-${text}`);
      expect(await status(requestId)).toEqual({ t1: 'created' });
      const h = await s.rt.documents.requests.getRequestHistory((await s.rt.services.find('demo'))!, requestId, 't1');
      expect(h.find((e) => e.event === 'error')!.data).toMatch(
        text === 'revoked' ? /^eid-error=certificate-revoked: .*revoked/ : /^eid-error=user-locked: .*on hold/,
      );
    }
  });

  test("a national-id that is not the logged-in person's is refused", async () => {
    const requestId = await create(signTask('t1', { nationalId: users.anna!.cpr }), docs);
    await logIn(taskUrl(requestId, 't1'), 'bent');
    // match mode: Bent types his own CPR; it is not the task's
    await tab.getByLabel('CPR number (DDMMYY-SSSS)').fill(cprText(users.bent!.cpr));
    await tab.getByRole('button', { name: 'Next' }).click();
    expect(await tab.locator('h1').innerText()).toBe('You cannot sign this task');
    expect(await tab.locator('main').innerText()).toContain('This eID belongs to another person than the one asked for.');
    await axe('refused-national-id');
    const h = await s.rt.documents.requests.getRequestHistory((await s.rt.services.find('demo'))!, requestId, 't1');
    expect(
      h.some((e) => e.event === 'user-authentication-cancelled' && /^eid-error=wrong-person: .*national-id mismatch/.test(e.data ?? '')),
    ).toBe(true);
    // and typing someone else's CPR (Anna's) does not pass as Bent either
    await tab.goto(taskUrl(requestId, 't1'));
    expect(await tab.locator('h1').innerText()).toBe('Log in to continue');
  });

  test('wrong password and wrong code are refused with attempts left', async () => {
    const requestId = await create(signTask('t1'), docs);
    await tab.goto(taskUrl(requestId, 't1'));
    await tab.getByLabel('User ID (alias, CPR or PID)').fill('carl');
    await tab.getByLabel('Password').fill('not-the-password');
    await tab.getByRole('button', { name: 'Next' }).click();
    expect(await tab.locator('[role=alert]').innerText()).toBe('The password is wrong. Attempts left: 4.');
    await tab.getByLabel('User ID (alias, CPR or PID)').fill('carl');
    await tab.getByLabel('Password').fill(users.carl!.password);
    await tab.getByRole('button', { name: 'Next' }).click();
    const n = await keyNumberOnPage();
    await tab.getByLabel(`Code for key ${n}`).fill('000000' === (await codeFor('carl', n)) ? '111111' : '000000');
    await tab.getByRole('button', { name: 'Next' }).click();
    expect(await tab.locator('[role=alert]').innerText()).toBe('The code from the key card is wrong. Attempts left: 3.');
    await axe('wrong-code');
  });

  test('an optional document left out is not signed; bundle="false" signs each document in its own act', async () => {
    const optional = await create(
      `<task id="t1"><document-action type="sign"><document-ref>loan</document-ref></document-action>` +
        '<document-action type="sign" optional="true"><document-ref>terms</document-ref></document-action>' +
        '<authentication><method>nemid</method></authentication><signature><method>nemid-sign</method></signature></task>',
      docs,
    );
    // logged in with the CPR number: the signing step offers what was typed, not the PID
    await loginAndRead(optional, 't1', 'carl', false, tab, cprText(users.carl!.cpr));
    await tab.getByLabel('Sign this document').uncheck();
    await signIn('carl', false, tab, cprText(users.carl!.cpr));
    // "signed, being sealed" first; the page then follows the seal job without reloading
    await tab.waitForSelector('h1:text("Signed, being sealed")', { timeout: 30_000 });
    await tab.evaluate(() => Object.assign(globalThis, { notReloaded: true }));
    await tab.waitForSelector(SIGNED, { timeout: 30_000 });
    expect(await tab.evaluate(() => (globalThis as unknown as { notReloaded?: boolean }).notReloaded)).toBe(true);
    expect(await tab.locator('main').innerText()).toContain('Thank you. The documents are signed and sent in.');
    await axe('signed');
    const st = (await s.rt.documents.requests.getStatus((await s.rt.services.find('demo'))!, [optional]))[0]!;
    expect([st.taskStatus, st.documentStatus!.map((d) => [d.id, d.resultUri !== undefined])]).toEqual([
      'completed',
      [
        ['loan', true],
        ['terms', false],
      ],
    ]);

    // (and an authentication-based signature with nemid instead of a nemid-sign signature)
    const separate = await create(
      signTask('t1')
        .replace('<task id="t1">', '<task id="t1" bundle="false">')
        .replace(
          '<signature><method>nemid-sign</method></signature>',
          '<authentication-based-signature><method>nemid</method></authentication-based-signature>',
        ),
      docs,
    );
    await loginAndRead(separate, 't1', 'carl');
    await signIn('carl');
    await tab.waitForSelector(SIGNED, { timeout: 30_000 });
    const uris = (await s.rt.documents.requests.getStatus((await s.rt.services.find('demo'))!, [separate]))[0]!.documentStatus!.map(
      (d) => d.resultUri!,
    );
    const auth = { authorization: `Basic ${Buffer.from(`demo:${s.demoPassword}`).toString('base64')}` };
    const [a, b] = await Promise.all(uris.map(async (u) => (await fetch(u, { headers: auth })).text()));
    expect(a).not.toBe(b); // two acts, two packages
    expect(a).toContain('Loan agreement');
    expect(b).toContain('Terms');
  });

  test('PID-CPR lookup for a public service: no CPR step; refused for a private one', async () => {
    const cli = (...args: string[]) =>
      exec(process.execPath, [path.join(REPO, 'bin', 'segl.js'), 'service', ...args], {
        env: { ...process.env, DATA_DIR: s.dataDir, LOG_LEVEL: 'silent' },
      });
    await cli('create', 'shop', '--password', 'shop-password-1');
    await expect(cli('set', 'shop', '--pid-cpr', 'lookup')).rejects.toMatchObject({
      stderr: expect.stringContaining('service "shop" is not public: PID-CPR lookup is only for public services'),
    });
    await cli('create', 'kommune', '--password', 'kommune-password-1', '--public');
    expect((await cli('set', 'kommune', '--pid-cpr', 'lookup')).stdout).toBe('PID-CPR of kommune: lookup\n');
    const r = await post(
      s.endpoint,
      envelope(
        `<create-request-request xmlns="${NS}"><service>kommune</service><password>kommune-password-1</password><request>${docs}${signTask('t1', { nationalId: users.bent!.cpr })}</request></create-request-request>`,
      ),
    );
    const requestId = /<request-id>([^<]+)</.exec(r.text)![1]!;
    await logIn(`${s.url}/std/docaction/kommune?request_id=${requestId}&task_id=t1`, 'bent');
    expect(await tab.locator('h1').innerText()).toBe('Documents to sign'); // no CPR question
    const h = await s.rt.documents.requests.getRequestHistory((await s.rt.services.find('kommune'))!, requestId, 't1');
    expect(h.some((e) => e.event === 'user-authenticated')).toBe(true);
  });

  test('three signers: C waits for A and B, who sign in parallel; then C signs', async () => {
    const requestId = await create(signTask('A') + signTask('B') + signTask('C', { depends: ['A', 'B'] }), docs);
    await tab.goto(taskUrl(requestId, 'C'));
    expect(await tab.locator('h1').innerText()).toBe('Waiting for others');
    const other = await browser.newContext();
    const tabB = await other.newPage();
    const run = async (p: Page, taskId: string, alias: string) => {
      await loginAndRead(requestId, taskId, alias, false, p);
      await signIn(alias, false, p);
      await p.waitForSelector(SIGNED, { timeout: 30_000 });
    };
    const tabA = await ctx.newPage();
    await Promise.all([run(tabA, 'A', 'anna'), run(tabB, 'B', 'bent')]);
    await other.close();
    expect(await status(requestId)).toEqual({ A: 'completed', B: 'completed', C: 'created' });
    await loginAndRead(requestId, 'C', 'carl');
    await signIn('carl');
    await tab.waitForSelector(SIGNED, { timeout: 30_000 });
    expect(await status(requestId)).toEqual({ A: 'completed', B: 'completed', C: 'completed' });
  });
});

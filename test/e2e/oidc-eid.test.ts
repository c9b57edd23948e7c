// The generic OIDC eID method end to end in headless Chromium, against segl's own test IdP
// (/testidp/{dialect}, oidc-provider running the test eID): for each broker dialect's claim set a
// task whose subject is the test user logs in (the national id read from nin, signicat.national_id
// in userinfo, cprNumberIdentifier or ssn); another person is refused as `wrong-person`; and no
// national id reaches the log.
import { generateKeyPairSync } from 'node:crypto';
import { chromium, type Browser, type Page } from 'playwright-core';
import type { TestUser } from '../../src/eid/testid/users';
import { DIALECT, DIALECTS, personnummerOf, type DialectName } from '../../src/eid/oidc/testidp/dialects';
import { capturedLog } from '../support/p12';
import { addOidcMethod, atTestIdp, createOidcTask, testIdpMethod } from '../support/oidc';
import { CHROMIUM_ARGS, inNewContext } from '../support/chromium';
import { startServer, type TestServer } from '../support/server';

describe('the OIDC eID method against the test IdP (sqlite, Chromium)', () => {
  let s: TestServer;
  let browser: Browser;
  let logLines: string[] = [];
  const users: Record<string, TestUser & { password: string }> = {};

  const newUser = async (alias: string) => {
    const password = `pw-${alias}-123`;
    users[alias] = { ...(await s.rt.testid!.createUser({ ...s.rt.testid!.autofill(), alias, password })), password };
  };
  const history = async (requestId: string) =>
    (await s.rt.documents.requests.getRequestHistory((await s.rt.services.find('demo'))!, requestId, 't1')).map(
      (e) => `${e.event} ${e.data ?? ''}`,
    );
  const taskUrl = (requestId: string) => `${s.url}/std/docaction/demo?request_id=${requestId}&task_id=t1`;

  const inNewBrowser = (f: (p: Page) => Promise<void>) => inNewContext(browser, f);

  /** At the task URL: the link to the broker, then the test IdP's user id + password and key-card code. */
  async function brokerLogin(p: Page, requestId: string, label: string, alias: string): Promise<void> {
    await p.goto(taskUrl(requestId));
    await p.getByRole('link', { name: `Continue to ${label}` }).click();
    await atTestIdp(p, s.rt.testid!, alias, users[alias]!.password);
  }

  beforeAll(async () => {
    const captured = capturedLog('debug');
    logLines = captured.lines;
    // every line the runtime logs is kept, to look for national ids
    s = await startServer('sqlite', {}, { log: captured.log });
    for (const dialect of DIALECTS) {
      await addOidcMethod(s.rt, 'demo', testIdpMethod(s.url, dialect, { name: `broker-${dialect}`, label: `Broker ${dialect}` }));
    }
    // one client authenticating with private_key_jwt (an EC key; the test IdP knows its public half from this config)
    await addOidcMethod(s.rt, 'demo', {
      name: 'broker-pkjwt',
      label: 'Broker with a client key',
      issuer: `${s.url}/testidp/eidhub`,
      clientId: 'segl-eidhub-pkjwt',
      clientAuth: 'private_key_jwt',
      privateKeyPem: generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey.export({ format: 'pem', type: 'pkcs8' }).toString(),
      privateKeyKid: 'segl-key-1',
      scope: DIALECT.eidhub.example.scope,
      acrValues: DIALECT.eidhub.example.acrValues,
    });
    await newUser('anna');
    await newUser('bodil');
    browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: CHROMIUM_ARGS });
  });
  afterAll(async () => {
    await browser?.close();
    await s?.stop();
  });

  const subjectOf = (dialect: DialectName, u: TestUser) =>
    dialect === 'idura-sebankid' ? personnummerOf(u.cpr) : `${u.cpr.slice(0, 6)}-${u.cpr.slice(6)}`;

  // each dialect with a client secret, and eidhub once more with a client authenticating by private_key_jwt
  const logins: Array<[DialectName, string, string]> = [
    ...DIALECTS.map((d): [DialectName, string, string] => [d, `broker-${d}`, `Broker ${d}`]),
    ['eidhub', 'broker-pkjwt', 'Broker with a client key'],
  ];
  it.each(logins)('logs in through the %s dialect (%s) and records the login', async (dialect, method, label) => {
    const anna = users.anna!;
    const { requestId, text } = await createOidcTask(s.endpoint, s.demoPassword, { method, nationalId: subjectOf(dialect, anna) });
    expect([requestId, text]).toEqual([expect.any(String), expect.anything()]);
    await inNewBrowser(async (p) => {
      await brokerLogin(p, requestId!, label, 'anna');
      await p.waitForURL((u) => u.pathname === '/std/docaction/demo' && u.searchParams.get('request_id') === requestId);
      expect(await p.locator('main').innerText()).toContain('You are logged in for this task.');
      expect(await history(requestId!)).toContain(`user-authenticated ${method} (OpenID Connect, acr ${DIALECT[dialect].acrValues[0]})`);
    });
  });

  it('takes a cancel at the IdP back to the login page, in the task language, and records it', async () => {
    const { requestId } = await createOidcTask(s.endpoint, s.demoPassword, { method: 'broker-eidhub', language: 'da' });
    await inNewBrowser(async (p) => {
      await p.goto(taskUrl(requestId!));
      await p.getByRole('link', { name: 'Fortsæt til Broker eidhub' }).click();
      // ui_locales=da: the IdP's page speaks Danish too
      expect(await p.locator('html').getAttribute('lang')).toBe('da');
      await p.getByRole('button', { name: 'Annullér' }).click();
      await p.waitForURL((u) => u.pathname.endsWith('/oidc/callback'));
      expect(await p.getByRole('alert').innerText()).toBe('Login med Broker eidhub blev afbrudt.');
      expect(await history(requestId!)).toContainEqual(expect.stringMatching(/^user-authentication-cancelled eid-error=usercancel: /));
    });
  });

  it('refuses another person than the task names (wrong-person), and records why', async () => {
    const { requestId } = await createOidcTask(s.endpoint, s.demoPassword, {
      method: 'broker-eidhub',
      nationalId: subjectOf('eidhub', users.anna!),
    });
    await inNewBrowser(async (p) => {
      await brokerLogin(p, requestId!, 'Broker eidhub', 'bodil');
      await p.waitForURL((u) => u.pathname.endsWith('/oidc/callback'));
      expect(await p.locator('h1').innerText()).toBe('You cannot sign this task');
      expect(await history(requestId!)).toContain(
        'user-authentication-cancelled eid-error=wrong-person: The person who logged in is not the one asked for',
      );
      // the task page asks for a login again
      await p.goto(taskUrl(requestId!));
      expect(await p.locator('h1').innerText()).toBe('Log in to continue');
    });
  });

  it('writes no national id to the log', () => {
    expect(logLines.length).toBeGreaterThan(0);
    for (const u of Object.values(users)) {
      const ids = [u.cpr, `${u.cpr.slice(0, 6)}-${u.cpr.slice(6)}`, personnummerOf(u.cpr)];
      expect(logLines.filter((l) => ids.some((id) => l.includes(id)))).toEqual([]);
    }
  });
});

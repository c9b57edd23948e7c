// The console's account pages in headless Chromium with axe, from 360 px: operator sign-in and the
// service picker, the sign-in with a user name, the account page, the TOTP enrolment page and the code
// page after the password (the code from Debian's oathtool, from the key the page shows).
import { execFileSync } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { ConsoleAccountRepository } from '../../src/store/consoleaccounts';
import { axeViolations, inNewContext, launchChromium } from '../support/chromium';
import { startServer, type TestServer } from '../support/server';

const SHOTS = path.join(__dirname, '..', '..', 'test-artifacts', 'console');
const OPERATOR = 'Vb3nQ8rT1zXk6mWp4LsD';

describe('console accounts in Chromium (sqlite)', () => {
  let s: TestServer;
  let browser: Browser;
  let password: string;

  const axe = async (p: Page, name: string) => {
    expect([name, await axeViolations(p)]).toEqual([name, []]);
    await p.setViewportSize({ width: 360, height: 740 });
    expect([name, await p.evaluate<number>('document.documentElement.scrollWidth')]).toEqual([name, 360]);
    await p.screenshot({ path: path.join(SHOTS, `${name}.png`), fullPage: true });
  };
  const submit = async (p: Page, selector = 'main form button') => {
    const [res] = await Promise.all([p.waitForNavigation(), p.locator(selector).first().click()]);
    return res!.status();
  };

  beforeAll(async () => {
    mkdirSync(SHOTS, { recursive: true });
    s = await startServer('sqlite', { SEGL_ADMIN_PASSWORD: OPERATOR });
    password = (await new ConsoleAccountRepository(s.rt.db).add('demo', 'mia', 'manager')).password;
    browser = await launchChromium();
  }, 120_000);
  afterAll(async () => {
    await browser?.close();
    await s?.stop();
  });

  test('operator: sign-in page, the service picker, then the service', async () => {
    await inNewContext(browser, async (p) => {
      await p.goto(`${s.url}/console/operator?lang=fi`);
      await axe(p, 'operator-login-fi');
      await p.fill('#password', OPERATOR);
      expect(await submit(p)).toBe(200);
      expect(p.url()).toContain('/console/services');
      await axe(p, 'services-fi');
      expect(await submit(p, 'main form button:has-text("demo")')).toBe(200);
      expect(await p.locator('h1').innerText()).toBe('Pyynnöt');
    });
  }, 60_000);

  test('an account enrols a second factor and signs in with a code', async () => {
    await inNewContext(browser, async (p) => {
      await p.goto(`${s.url}/console?lang=en`);
      await p.fill('#service', 'demo');
      await p.fill('#username', 'mia');
      await p.fill('#password', password);
      expect(await submit(p)).toBe(200);
      await p.goto(`${s.url}/console/account?lang=en`);
      await axe(p, 'account-en');
      expect(await submit(p, 'main form button:has-text("Set up")')).toBe(200);
      await axe(p, 'totp-enrol-en');
      const uri = await p.inputValue('#uri');
      const secret = new URL(uri).searchParams.get('secret')!;
      const code = (steps: number) =>
        execFileSync('oathtool', ['--totp', '--base32', '-N', `@${Math.floor(Date.now() / 1000) + steps * 30}`, secret], {
          encoding: 'utf8',
        }).trim();
      await p.fill('#code', code(0));
      expect(await submit(p, 'main form button:has-text("Confirm")')).toBe(200);
      expect(await p.locator('[role=status]').innerText()).toBe('The second factor is on.');
      await p.context().clearCookies();
      await p.goto(`${s.url}/console?lang=sv`);
      await p.fill('#service', 'demo');
      await p.fill('#username', 'mia');
      await p.fill('#password', password);
      expect(await submit(p)).toBe(200);
      expect(p.url()).toContain('/console/login/code');
      await axe(p, 'code-sv');
      await p.fill('#code', code(1));
      expect(await submit(p)).toBe(200);
      expect(await p.locator('h1').innerText()).toBe('Förfrågningar');
    });
  }, 60_000);
});

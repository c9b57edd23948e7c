// Send for signature from the console in headless Chromium, axe on every page and nothing wider than 360 px:
// a clerk adds a signer row, is told next to the field that an e-mail is wrong, sends a two-signer sequential
// request with a PDF, both signers sign in the portal (test eID, as a browser would), the request page's
// timeline shows each signature as it happens, and the signed results download in the console session.
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { axeViolations, inNewContext, launchChromium } from '../support/chromium';
import { makePdf } from '../support/pdf';
import { pageText, prepareSigning, type PortalSigner } from '../support/portalflow';
import { startServer, type TestServer } from '../support/server';

const SHOTS = path.join(__dirname, '..', '..', 'test-artifacts', 'console-send');

describe('console: send for signature from the browser (sqlite, Chromium)', () => {
  let s: TestServer;
  let browser: Browser;
  const signers: Array<PortalSigner & { first: string; last: string }> = [];

  const axe = async (p: Page, name: string) => {
    expect([name, await axeViolations(p)]).toEqual([name, []]);
    await p.setViewportSize({ width: 360, height: 740 });
    expect([name, await p.evaluate<number>('document.documentElement.scrollWidth')]).toEqual([name, 360]);
    await p.screenshot({ path: path.join(SHOTS, `${name}.png`), fullPage: true });
    await p.setViewportSize({ width: 1280, height: 900 });
  };

  beforeAll(async () => {
    mkdirSync(SHOTS, { recursive: true });
    // the worker in this process seals what the portal's Sign recorded (as `segl start` does)
    s = await startServer('sqlite', { SEGL_RELAY_INTERVAL: '100ms' }, { worker: true });
    for (const alias of ['send-ana', 'send-bo']) {
      const d = { ...s.rt.testid!.autofill(), alias, password: `${alias}-password-1` };
      await s.rt.testid!.createUser(d);
      signers.push({ alias, password: d.password, cpr: d.cpr, first: d.firstName, last: d.lastName });
    }
    browser = await launchChromium();
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    await s?.stop();
  });

  const statuses = async (id: string) =>
    (await s.rt.documents.requests.getStatus((await s.rt.services.find('demo'))!, [id])).map((x) => x.taskStatus);
  async function until(what: string, f: () => Promise<boolean>): Promise<void> {
    const end = Date.now() + 30_000;
    while (!(await f())) {
      if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
      await new Promise((r) => setTimeout(r, 200));
    }
  }
  async function sign(requestId: string, taskId: string, u: PortalSigner): Promise<void> {
    const flow = await prepareSigning(s.url, s.rt.testid!, u, { service: 'demo', requestId, taskId, documents: ['doc1'], raw: ['doc1'] });
    const a = await flow.browser.request('POST', ...flow.confirm);
    if (a.status !== 200 && a.status !== 303) throw new Error(`sign/confirm answered ${a.status}: ${pageText(a.html)}`);
  }

  test('send a two-signer request, sign it in the portal, watch the timeline, download the results', async () => {
    await inNewContext(browser, async (p) => {
      await p.goto(`${s.url}/console?lang=en`);
      await p.fill('#service', 'demo');
      await p.fill('#password', s.demoPassword);
      await Promise.all([p.waitForNavigation(), p.locator('main form button').click()]);
      await axe(p, 'list-manager');
      await Promise.all([p.waitForNavigation(), p.getByRole('link', { name: 'Send for signature' }).click()]);
      expect(await p.locator('h1').innerText()).toBe('Send for signature');
      await axe(p, 'send-form');

      await p.fill('#subject', 'Loan agreement 9');
      await p.fill('#reference', 'loan-9');
      for (const [i, u] of signers.entries()) {
        await p.fill(`#s${i}_first`, u.first);
        await p.fill(`#s${i}_last`, u.last);
        await p.fill(`#s${i}_nid`, u.cpr);
        await p.fill(`#s${i}_email`, i === 1 ? 'bo-at-example' : `${u.alias}@example.com`);
      }
      // one row more, without script: the form comes back with the values kept
      await Promise.all([p.waitForNavigation(), p.getByRole('button', { name: 'Add a signer' }).click()]);
      expect(await p.locator('fieldset.signer').count()).toBe(3);
      expect(await p.inputValue('#s0_first')).toBe(signers[0]!.first);
      await p.setInputFiles('#files', { name: 'loan-9.pdf', mimeType: 'application/pdf', buffer: makePdf({ text: 'Loan agreement 9' }) });
      const [refused] = await Promise.all([p.waitForNavigation(), p.getByRole('button', { name: 'Send for signature' }).click()]);
      expect(refused!.status()).toBe(422);
      expect(await p.locator('#s1_email-error').innerText()).toBe('Give a valid e-mail address, such as name@example.com.');
      expect(await p.getAttribute('#s1_email', 'aria-invalid')).toBe('true');
      await axe(p, 'send-refused');

      await p.fill('#s1_email', 'bo@example.com');
      await p.setInputFiles('#files', { name: 'loan-9.pdf', mimeType: 'application/pdf', buffer: makePdf({ text: 'Loan agreement 9' }) });
      await Promise.all([p.waitForNavigation(), p.getByRole('button', { name: 'Send for signature' }).click()]);
      const requestId = /\/console\/requests\/([^?]+)\?/.exec(p.url())![1]!;
      expect(await p.locator('[role=status]').innerText()).toBe('The request was sent for signature.');
      let main = await p.locator('main').innerText();
      expect(main).toContain('Task t1: Open');
      expect(main).toContain('Task t2: Open');
      expect(main).toContain('Waits for: t1');
      expect(main).toContain('Sent by demo');
      expect(main).toContain('email-t1');
      expect(await p.locator('#history + div').innerText()).toContain('Sent for signature');
      await axe(p, 'sent');
      expect(await statuses(requestId)).toEqual(['created', 'created']);

      // the first signer signs; the timeline shows it once sealed
      await sign(requestId, 't1', signers[0]!);
      await until('t1 completed', async () => (await statuses(requestId))[0] === 'completed');
      await p.reload();
      let history = await p.locator('#history + div').innerText();
      expect(history).toMatch(/t1\s+document-signed/);
      expect(history).toMatch(/t1\s+task-completed/);
      expect(history).not.toMatch(/t2\s+task-completed/);
      main = await p.locator('main').innerText();
      expect(main).toContain('Task t1: Completed');
      await axe(p, 'signed-first');

      await sign(requestId, 't2', signers[1]!);
      await until('t2 completed', async () => (await statuses(requestId))[1] === 'completed');
      await p.reload();
      history = await p.locator('#history + div').innerText();
      expect(history).toMatch(/t2\s+task-completed/);
      expect(await p.locator('main').innerText()).toContain('Task t2: Completed');
      await axe(p, 'signed-both');

      const results = await p.locator('a', { hasText: 'signed result (LTV-SDO)' }).all();
      expect(results).toHaveLength(2);
      // each task's sealed LTV-SDO names its own signer
      for (const [i, link] of results.entries()) {
        const got = await p.request.get(`${s.url}${(await link.getAttribute('href'))!}`);
        const sdo = await got.text();
        const u = signers[i]!;
        expect([
          got.status(),
          sdo.startsWith('<?xml'),
          sdo.includes('<LtvSdo'),
          sdo.includes(`<SignerName>${u.first} ${u.last}</SignerName>`),
        ]).toEqual([200, true, true, true]);
      }
    });
  }, 180_000);
});

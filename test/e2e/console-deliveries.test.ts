// The console's delivery actions in headless Chromium with axe (issue 15's proof): a callback whose
// receiver was down is dead-lettered; the receiver comes back and a manager clicks "Deliver again" on the
// request page: it is delivered and the timeline says who did it. An e-mail is sent again from the same
// page and a second mail reaches the real SMTP server. segl runs with its workers, Redis and SQLite.
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { axeViolations, inNewContext, launchChromium } from '../support/chromium';
import { eventually, startReceiver, type Receiver } from '../support/receiver';
import { startSmtpSink, type SmtpSink } from '../support/smtp';
import { createRequestXml } from '../support/soap';
import { startServer, type TestServer } from '../support/server';

const SHOTS = path.join(__dirname, '..', '..', 'test-artifacts', 'console');

describe('console delivery actions (sqlite, Chromium)', () => {
  let s: TestServer;
  let browser: Browser;
  let smtp: SmtpSink;
  let rx: Receiver;

  const axe = async (p: Page, name: string) => {
    expect([name, await axeViolations(p)]).toEqual([name, []]);
    await p.setViewportSize({ width: 360, height: 740 });
    expect([name, await p.evaluate<number>('document.documentElement.scrollWidth')]).toEqual([name, 360]);
    await p.screenshot({ path: path.join(SHOTS, `${name}.png`), fullPage: true });
  };

  beforeAll(async () => {
    mkdirSync(SHOTS, { recursive: true });
    smtp = await startSmtpSink();
    rx = await startReceiver();
    s = await startServer(
      'sqlite',
      {
        SEGL_CALLBACK_RETRY_SCHEDULE: '200ms,200ms',
        SEGL_RELAY_INTERVAL: '100ms',
        SEGL_RELAY_LEASE: '1s',
        SEGL_JOB_LOCK: '2s',
        SEGL_CALLBACK_ALLOW: '127.0.0.1',
        SMTP_URL: smtp.url,
      },
      { worker: true },
    );
    browser = await launchChromium();
  }, 120_000);
  afterAll(async () => {
    await browser?.close();
    await s?.stop();
    await rx.close();
    await smtp.close();
  });

  test('a dead-lettered callback is delivered again, and an e-mail sent again, from the request page', async () => {
    rx.answer = () => 503; // the integrator's receiver is down
    const requestId = await createRequestXml(
      s.endpoint,
      'demo',
      s.demoPassword,
      `<document xsi:type="provided-document" id="d" mime-type="text/plain"><data>${Buffer.from('Terms').toString('base64')}</data><description>Terms</description></document>` +
        `<task id="t1"><document-action type="sign"><document-ref>d</document-ref></document-action>` +
        `<notification type="URL" notification-id="cb"><recipient>${rx.base}/hook</recipient><message>x</message></notification>` +
        `<notification type="EMAIL" notification-id="mail"><recipient>signer@example.com</recipient><header>Please sign</header><message>Sign at \${taskUrl}</message></notification></task>`,
    );
    await eventually(
      async () => (await s.rt.outbox.log({ requestId })).find((d) => d.channel === 'URL' && d.status === 'dead'),
      20_000,
      'the dead letter',
    );
    await eventually(async () => smtp.mails.length === 1, 10_000, 'the first mail');
    rx.answer = () => 200; // back up
    await inNewContext(browser, async (p) => {
      await p.goto(`${s.url}/console?lang=en`);
      await p.fill('#service', 'demo');
      await p.fill('#password', s.demoPassword);
      await Promise.all([p.waitForNavigation(), p.locator('main form button').click()]);
      await p.goto(`${s.url}/console/requests/${requestId}?lang=en`);
      await axe(p, 'deliveries-dead');
      await Promise.all([p.waitForNavigation(), p.getByRole('button', { name: 'Deliver again' }).click()]);
      expect(await p.locator('[role=status]').innerText()).toBe('The delivery is put back to be delivered again.');
      await rx.waitDelivered(1, 15_000);
      await eventually(
        async () => (await s.rt.outbox.log({ requestId })).find((d) => d.channel === 'URL' && d.status === 'delivered'),
        15_000,
        'the re-driven callback',
      );
      await Promise.all([p.waitForNavigation(), p.getByRole('button', { name: 'Send again' }).first().click()]);
      expect(await p.locator('[role=status]').innerText()).toBe('The notification is queued to be sent again.');
      await eventually(async () => smtp.mails.length === 2, 15_000, 'the second mail');
      await p.goto(`${s.url}/console/requests/${requestId}?lang=en`);
      const history = await p.locator('#history + div').innerText();
      expect(history).toMatch(/in the console by demo/);
      await axe(p, 'deliveries-redriven');
    });
  }, 120_000);
});

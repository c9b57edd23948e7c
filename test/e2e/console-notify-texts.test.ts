// The console's notification texts (issue 16 part 5) in headless Chromium with axe, on both databases:
// a manager opens the texts page from the settings, writes an SMS text in two languages, previews it
// (each language with sample values filled in, nothing saved yet), is told of an unknown placeholder
// (nothing saved), saves it (console_audit records it); a request whose SMS names it sends the Danish
// text to the outbox. A POST without the CSRF token, or by a viewer, is refused and changes nothing.
import { mkdirSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { axeViolations, inNewContext, launchChromium } from '../support/chromium';
import { consoleLogins } from '../support/console';
import { eventually } from '../support/receiver';
import { databases, startServer, type TestServer } from '../support/server';
import { createRequestXml } from '../support/soap';

const SHOTS = path.join(__dirname, '..', '..', 'test-artifacts', 'console');

describe.each(databases())('console notification texts (%s, Chromium)', (db) => {
  let s: TestServer;
  let browser: Browser;

  const axe = async (p: Page, name: string) => {
    expect([name, await axeViolations(p)]).toEqual([name, []]);
    const wide = p.viewportSize();
    await p.setViewportSize({ width: 360, height: 740 });
    expect([name, await p.evaluate<number>('document.documentElement.scrollWidth')]).toEqual([name, 360]);
    await p.screenshot({ path: path.join(SHOTS, `${name}-${db}.png`), fullPage: true });
    if (wide) await p.setViewportSize(wide);
  };
  const stored = async () => (await s.rt.db.query('SELECT name, texts FROM notify_text')) as Array<{ name: string; texts: string }>;
  const smsDir = () => path.join(s.dataDir, 'outbox', 'sms');
  const smsTexts = (): Array<{ to: string; text: string }> => {
    try {
      return readdirSync(smsDir()).map((f) => JSON.parse(readFileSync(path.join(smsDir(), f), 'utf8')));
    } catch {
      return [];
    }
  };

  beforeAll(async () => {
    mkdirSync(SHOTS, { recursive: true });
    s = await startServer(db, { SEGL_RELAY_INTERVAL: '100ms', SEGL_RELAY_LEASE: '1s', SEGL_JOB_LOCK: '2s' }, { worker: true });
    browser = await launchChromium();
  }, 120_000);
  afterAll(async () => {
    await browser?.close();
    await s?.stop();
  });

  test('write, preview, refuse an unknown placeholder, save; a request sends the saved text in its language', async () => {
    await inNewContext(browser, async (p) => {
      await p.goto(`${s.url}/console?lang=en`);
      await p.fill('#service', 'demo');
      await p.fill('#password', s.demoPassword);
      await Promise.all([p.waitForNavigation(), p.locator('main form button').click()]);
      await p.goto(`${s.url}/console/settings?lang=en`);
      await Promise.all([p.waitForNavigation(), p.getByRole('link', { name: 'Notification texts (e-mail and SMS)' }).click()]);
      expect(await p.locator('h1').innerText()).toBe('Notification texts');
      await axe(p, 'texts-empty');
      await p.fill('#text-name', 'reminder');
      await p.selectOption('#text-channel', 'SMS');
      await Promise.all([p.waitForNavigation(), p.getByRole('button', { name: 'Open the editor' }).click()]);
      expect(await p.locator('h1').innerText()).toBe('Notification text reminder');
      await p.fill('#body-en', 'Reminder: sign at ${taskUrl} (${language})');
      await p.fill('#body-da', 'Påmindelse: underskriv på ${taskUrl} (${language})');
      await Promise.all([p.waitForNavigation(), p.getByRole('button', { name: 'Preview' }).click()]);
      const sample = `${s.url}/std/docaction/demo?request_id=230101120000000000000a1b2c3d4e5f&task_id=task-1`;
      expect(await p.locator('pre[data-language=da]').innerText()).toBe(`Påmindelse: underskriv på ${sample} (da)`);
      expect(await p.locator('pre[data-language=en]').innerText()).toBe(`Reminder: sign at ${sample} (en)`);
      expect(await p.locator('pre[data-language=sv]').count()).toBe(0);
      expect(await p.inputValue('#body-da')).toBe('Påmindelse: underskriv på ${taskUrl} (${language})'); // the form keeps what was typed
      expect(await stored()).toEqual([]); // a preview saves nothing
      await axe(p, 'texts-preview');
      await p.fill('#body-fi', 'Muistutus ${nimi}');
      const [refused] = await Promise.all([p.waitForNavigation(), p.getByRole('button', { name: 'Preview' }).click()]);
      expect(refused!.status()).toBe(400);
      expect(await p.locator('[role=alert]').innerText()).toBe(
        'fi body: unknown placeholder ${nimi} (known: ${taskUrl}, ${requestId}, ${taskId}, ${language}, ${service}). Nothing was changed.',
      );
      await axe(p, 'texts-refused');
      const [refusedSave] = await Promise.all([p.waitForNavigation(), p.getByRole('button', { name: 'Save' }).click()]);
      expect(refusedSave!.status()).toBe(400);
      expect(await p.locator('[role=alert]').innerText()).toMatch(/^fi body: unknown placeholder \$\{nimi\}/);
      expect(await stored()).toEqual([]);
      await p.fill('#body-fi', '');
      await Promise.all([p.waitForNavigation(), p.getByRole('button', { name: 'Save' }).click()]);
      expect(await p.locator('[role=status]').innerText()).toBe('Saved.');
      expect(await p.locator('table.data tbody').innerText()).toMatch(/^reminder\s+SMS\s+en\s+en, da\s+Remove$/);
      await axe(p, 'texts-saved');
    });
    expect((await stored()).map((r) => [r.name, JSON.parse(r.texts)])).toEqual([
      [
        'reminder',
        { en: { body: 'Reminder: sign at ${taskUrl} (${language})' }, da: { body: 'Påmindelse: underskriv på ${taskUrl} (${language})' } },
      ],
    ]);
    const audit = (await s.rt.db.query("SELECT actor, action, detail FROM console_audit WHERE action = 'settings'")) as Array<
      Record<string, string>
    >;
    expect(audit).toEqual([{ actor: 'demo', action: 'settings', detail: 'notification text reminder saved (SMS, en, da; default en)' }]);
    const requestId = await createRequestXml(
      s.endpoint,
      'demo',
      s.demoPassword,
      `<document xsi:type="provided-document" id="d" mime-type="text/plain"><data>${Buffer.from('Terms').toString('base64')}</data><description>Terms</description></document>` +
        '<task id="t1"><document-action type="sign"><document-ref>d</document-ref></document-action>' +
        '<notification type="SMS" notification-id="sms"><recipient>+4512345678</recipient><message>template:reminder</message></notification><language>da</language></task>',
    );
    const sms = await eventually(async () => smsTexts().find((x) => x.to === '+4512345678'), 20_000, 'the SMS');
    expect(sms.text).toBe(`Påmindelse: underskriv på ${s.url}/std/docaction/demo?request_id=${requestId}&task_id=t1 (da)`);
  }, 120_000);

  test('without the CSRF token, or as a viewer, a text is not saved', async () => {
    const as = await consoleLogins(s);
    const before = await stored();
    const send = (who: { cookie: string }, body: Record<string, string>) =>
      fetch(`${s.url}/console/settings/texts?lang=en`, {
        method: 'POST',
        headers: { cookie: who.cookie, 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({ name: 'sneaky', channel: 'SMS', defaultLanguage: 'en', body_en: 'x', action: 'save', ...body }),
        redirect: 'manual',
      });
    expect((await send(as.manager, {})).status).toBe(403);
    expect((await send(as.viewer, { _csrf: as.viewer.csrf })).status).toBe(403);
    expect(await stored()).toEqual(before);
    const ok = await send(as.manager, { _csrf: as.manager.csrf });
    expect([ok.status, ok.headers.get('location')]).toEqual([303, '/console/settings/texts?lang=en&done=texts']);
    expect((await stored()).map((r) => r.name).sort()).toEqual(['reminder', 'sneaky']);
  }, 60_000);
});

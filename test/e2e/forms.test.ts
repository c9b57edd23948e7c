// The form step in headless Chromium (issue 16 part 1): the interactive form's controls sit over their
// widgets on the pdf.js page, keep their labels (the field's tooltip or name), pass axe-core, and
// filling them by label puts the answers into the document.
import type { Browser, Page } from 'playwright-core';
import { axeViolations, inNewContext, launchChromium } from '../support/chromium';
import { formPdf } from '../support/formpdf';
import { keyCardCode } from '../support/portalflow';
import { createRequestXml } from '../support/soap';
import { startServer, type TestServer } from '../support/server';

describe('the form step (sqlite, Chromium)', () => {
  let s: TestServer;
  let browser: Browser;
  beforeAll(async () => {
    s = await startServer('sqlite');
    browser = await launchChromium();
  });
  afterAll(async () => {
    await browser?.close();
    await s?.stop();
  });

  test('controls over the page, labelled, axe-clean; filled by label and saved into the document', async () => {
    const testid = s.rt.testid!;
    const u = { ...testid.autofill(), alias: 'form-e2e', password: 'form-e2e-password' };
    await testid.createUser(u);
    const pdf = await formPdf();
    const requestId = await createRequestXml(
      s.endpoint,
      'demo',
      s.demoPassword,
      '<document xsi:type="provided-document" id="f1" mime-type="application/pdf"><description>Application</description>' +
        `<form id="interactive"><input-param name="ref" value="Kunde 4711"/></form><data>${pdf.toString('base64')}</data></document>` +
        `<task id="t1"><subject><national-id>${u.cpr}</national-id></subject><document-action type="sign"><document-ref>f1</document-ref></document-action>` +
        '<authentication><method>nemid</method></authentication><signature><method>nemid-sign</method></signature></task>',
    );
    const q = `request_id=${requestId}&task_id=t1`;
    await inNewContext(browser, async (p: Page) => {
      await p.goto(`${s.url}/std/docaction/demo?${q}`);
      await p.getByLabel('User ID (alias, CPR or PID)').fill(u.alias);
      await p.getByLabel('Password').fill(u.password);
      await p.getByRole('button', { name: 'Next' }).click();
      const code = await keyCardCode(testid, u.alias, { status: 200, html: await p.content(), url: p.url() }, 'login code');
      await p.getByLabel(/^Code for key/).fill(code);
      await p.getByRole('button', { name: 'Next' }).click();
      if ((await p.locator('h1').innerText()) === 'Confirm your CPR number') {
        await p.getByLabel('CPR number (DDMMYY-SSSS)').fill(`${u.cpr.slice(0, 6)}-${u.cpr.slice(6)}`);
        await p.getByRole('button', { name: 'Next' }).click();
      }
      await p.goto(`${s.url}/std/docaction/demo/document?${q}&document_id=f1`);
      await p.waitForSelector('#pdf[data-overlaid] .pdf-field');
      expect(await axeViolations(p)).toEqual([]);

      // the "Full name" box over its widget: x 49.5 of 595 pt, top (842 - 699.5 - 25) of 842 pt
      const canvas = (await p.locator('.pdf-page canvas').first().boundingBox())!;
      const name = p.getByLabel('Full name');
      const box = (await name.boundingBox())!;
      expect(Math.abs(box.x - canvas.x - (49.5 / 595) * canvas.width)).toBeLessThan(3);
      expect(Math.abs(box.y - canvas.y - ((842 - 699.5 - 25) / 842) * canvas.height)).toBeLessThan(3);
      expect(await p.getByLabel('ref').getAttribute('readonly')).toBe('');
      expect(await name.getAttribute('maxlength')).toBe('40');

      // keyboard: Tab from the name reaches the next field in page order
      await name.focus();
      await p.keyboard.type('Æble Øst Åse');
      await p.keyboard.press('Tab');
      expect(await p.evaluate<string | null>("document.activeElement?.getAttribute('name')")).toBe('field:note');
      await p.getByLabel('agree').check();
      await p.getByLabel('blue').check();
      await p.getByLabel('city').selectOption('Malmö');
      await p.getByLabel('size').selectOption('M');
      await p.getByRole('button', { name: 'Put the answers into the document' }).click();
      await p.waitForSelector('#pdf[data-pages]');
      expect(await p.getByRole('status').first().innerText()).toContain('Your answers are in the document');
      expect(await p.getByLabel('Full name').inputValue()).toBe('Æble Øst Åse');
      expect(await axeViolations(p)).toEqual([]);
    });
    const svc = (await s.rt.services.find('demo'))!;
    const row = await s.rt.documents.signer.originalDocument(svc, requestId, 't1', 'f1');
    expect(row.formFields?.find((f) => f.name === 'city')?.value).toBe('Malmö');
  });
});

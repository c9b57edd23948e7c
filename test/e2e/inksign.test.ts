// InkSign's drawing pad in headless Chromium on a 360 px touch phone: the pad page passes axe-core and fits
// 360 px; a stroke drawn with touch (Chromium's own input pipeline through CDP touch events, with force, so
// the page sees Pointer Events of type touch with pressure), the phone rotated mid-drawing (viewport
// 360×740 → 740×360: the first stroke is redrawn where it was drawn, relative to the pad), a second stroke,
// Next, password and key-card code, Sign: the task completes, and the package's strokes are the ones drawn. Every
// other step (login, key-card codes, Send in, the pad's buttons, Next, Sign) is done with the keyboard.
// Handwriting only (`<method handwritten="true"/>`): no eID login at all; the document read, Send in, the pad
// (axe-clean) drawn with the mouse, Sign: the task completes, the package holds the strokes, says "simple
// electronic signature", and xmlsec1 verifies its two signatures.
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Browser, CDPSession, Page } from 'playwright-core';
import { axeViolations, launchChromium } from '../support/chromium';
import { keyCardCode } from '../support/portalflow';
import { createRequestXml } from '../support/soap';
import { startServer, type TestServer } from '../support/server';
import { xmlsecEachSignature } from '../support/xmlsec';
import { completedPackage } from '../support/inkflow';

describe('the InkSign drawing pad (sqlite, Chromium, touch)', () => {
  let s: TestServer;
  let browser: Browser;
  beforeAll(async () => {
    s = await startServer('sqlite', { SEGL_RELAY_INTERVAL: '100ms' }, { worker: true });
    browser = await launchChromium();
  });
  afterAll(async () => {
    await browser?.close();
    await s?.stop();
  });

  /** A touch stroke through Chromium's input pipeline: touchStart, moves, touchEnd at viewport points. */
  async function touchStroke(cdp: CDPSession, pts: Array<[number, number]>, force = 0.7): Promise<void> {
    const at = (i: number) => [{ x: pts[i]![0], y: pts[i]![1], force, id: 1 }];
    await cdp.send('Input.dispatchTouchEvent', { type: 'touchStart', touchPoints: at(0) });
    for (let i = 1; i < pts.length; i++) await cdp.send('Input.dispatchTouchEvent', { type: 'touchMove', touchPoints: at(i) });
    await cdp.send('Input.dispatchTouchEvent', { type: 'touchEnd', touchPoints: [] });
  }
  const padBox = async (p: Page) => (await p.locator('#ink-pad').boundingBox())!;
  /** the pad's pixel at (fx, fy) of its box, darkness: alpha of the drawn ink */
  const inkAt = (p: Page, fx: number, fy: number) =>
    p.evaluate<number>(
      `(() => { const c = document.getElementById('ink-pad'); const d = c.getContext('2d')` +
        `.getImageData(Math.round(${fx} * c.width) - 4, Math.round(${fy} * c.height) - 4, 9, 9).data;` +
        ' let max = 0; for (let i = 3; i < d.length; i += 4) max = Math.max(max, d[i]); return max; })()',
    );

  test('drawn with touch at 360 px, rotated mid-drawing, submitted: the task completes with the strokes drawn', async () => {
    const testid = s.rt.testid!;
    const u = { ...testid.autofill(), alias: 'ink-e2e', password: 'ink-e2e-password' };
    await testid.createUser(u);
    const requestId = await createRequestXml(
      s.endpoint,
      'demo',
      s.demoPassword,
      `<document xsi:type="provided-document" id="d1" mime-type="text/plain"><description>Lease</description><data>${Buffer.from('Lease: 3 years.\n').toString('base64')}</data></document>` +
        `<task id="t1"><document-action type="sign"><document-ref>d1</document-ref></document-action>` +
        '<authentication><method>nemid</method></authentication><signature><method handwritten="true">nemid-sign</method></signature></task>',
    );
    const q = `request_id=${requestId}&task_id=t1`;
    const ctx = await browser.newContext({ viewport: { width: 360, height: 740 }, hasTouch: true, isMobile: true, deviceScaleFactor: 2 });
    try {
      const p = await ctx.newPage();
      // everything but the pad by keyboard: type, Tab, Enter
      await p.goto(`${s.url}/std/docaction/demo?${q}`);
      await p.getByLabel('User ID (alias, CPR or PID)').focus();
      await p.keyboard.type(u.alias);
      await p.keyboard.press('Tab');
      await p.keyboard.type(u.password);
      await p.keyboard.press('Enter');
      await p.getByLabel(/^Code for key/).focus();
      await p.keyboard.type(await keyCardCode(testid, u.alias, { status: 200, html: await p.content(), url: p.url() }, 'login code'));
      await p.keyboard.press('Enter');
      await p.waitForSelector('button:has-text("Send in")');
      await p.goto(`${s.url}/std/docaction/demo/document?${q}&document_id=d1`);
      await p.goto(`${s.url}/std/docaction/demo?${q}`);
      await p.getByRole('button', { name: 'Send in' }).focus();
      await p.keyboard.press('Enter');
      await p.locator('#user').focus();
      await p.keyboard.press('Enter');
      // the pad page: its label and instructions, axe-clean, no horizontal scroll at 360 px
      await p.waitForSelector('#ink-pad');
      expect(await p.locator('#ink-title').innerText()).toBe('Draw your signature');
      expect(await axeViolations(p)).toEqual([]);
      expect(await p.evaluate<number>('document.documentElement.scrollWidth')).toBeLessThanOrEqual(360);
      const portrait = await padBox(p);
      expect(portrait.width).toBeLessThanOrEqual(360);

      // stroke 1 in portrait: from 20 % to 60 % across, at 50 % height
      const cdp = await ctx.newCDPSession(p);
      const along = (b: typeof portrait, fy: number, from: number, to: number, n = 12): Array<[number, number]> =>
        Array.from({ length: n }, (_, i) => [b.x + b.width * (from + ((to - from) * i) / (n - 1)), b.y + b.height * fy]);
      await touchStroke(cdp, along(portrait, 0.5, 0.2, 0.6));
      expect(await inkAt(p, 0.4, 0.5)).toBeGreaterThan(100);

      // rotated: the pad grows, stroke 1 is redrawn at the same place relative to the pad
      await p.setViewportSize({ width: 740, height: 360 });
      await p.waitForFunction(`document.getElementById('ink-pad').getBoundingClientRect().width > ${portrait.width + 50}`);
      await p.waitForTimeout(100);
      const landscape = await padBox(p);
      expect(await inkAt(p, 0.4, 0.5)).toBeGreaterThan(100);
      expect(await inkAt(p, 0.4, 0.8)).toBe(0);
      // stroke 2 in landscape, at 80 % height; then back to portrait (both stay)
      await p.evaluate<void>(`document.getElementById('ink-pad').scrollIntoView()`);
      await touchStroke(cdp, along(await padBox(p), 0.8, 0.3, 0.7));
      expect(landscape.width).toBeGreaterThan(portrait.width);
      await p.setViewportSize({ width: 360, height: 740 });
      await p.waitForTimeout(150);
      expect(await inkAt(p, 0.4, 0.5)).toBeGreaterThan(100);
      expect(await inkAt(p, 0.5, 0.8)).toBeGreaterThan(100);

      // Undo and Clear are buttons the keyboard reaches; Next goes on to the eID's password and code
      await p.getByRole('button', { name: 'Undo last stroke' }).focus();
      await p.keyboard.press('Tab');
      expect(await p.evaluate<string>('document.activeElement.id')).toBe('ink-clear');
      await p.keyboard.press('Tab');
      expect(await p.evaluate<string>('document.activeElement.textContent')).toBe('Next');
      await p.keyboard.press('Enter');
      await p.getByLabel('Password').focus();
      await p.keyboard.type(u.password);
      await p.keyboard.press('Tab');
      await p.keyboard.type(await keyCardCode(testid, u.alias, { status: 200, html: await p.content(), url: p.url() }, 'signing code'));
      await p.keyboard.press('Enter');
      await p.waitForSelector('h1:text("Your signature has been received")', { timeout: 30_000 });
    } finally {
      await ctx.close();
    }
    const xml = await completedPackage(s, requestId);
    const strokes = [...xml.matchAll(/<sp:Stroke Index="\d+" PointerType="([a-z]+)">([^<]*)<\/sp:Stroke>/g)].map((m) => ({
      type: m[1],
      points: m[2]!.split(' ').map((x) => x.split(',').map(Number)),
    }));
    expect(strokes.map((x) => x.type)).toEqual(['touch', 'touch']);
    // where they were drawn, relative to the pad, whatever its size then; with the touch's force as pressure
    const [one, two] = strokes;
    for (const pt of one!.points) expect(Math.abs(pt[1]! - 0.5)).toBeLessThan(0.02);
    for (const pt of two!.points) expect(Math.abs(pt[1]! - 0.8)).toBeLessThan(0.02);
    expect(one!.points[0]![0]).toBeCloseTo(0.2, 1);
    expect(two!.points.at(-1)![0]).toBeCloseTo(0.7, 1);
    expect(one!.points[0]![3]).toBeCloseTo(0.7, 2);
    expect(xml).toMatch(/<sp:Device PointerType="touch" Screen="\d+x\d+"><sp:UserAgent>[^<]*Chrome/);
    expect(xml).toMatch(/<sp:Image Encoding="base64" Height="300" MimeType="image\/png" Width="750">/);
  });

  test('handwriting only: no eID login, the document read, drawn with the mouse, Sign: completed, the strokes sealed, xmlsec1 verifies', async () => {
    const requestId = await createRequestXml(
      s.endpoint,
      'demo',
      s.demoPassword,
      `<document xsi:type="provided-document" id="d1" mime-type="text/plain"><description>Receipt</description><data>${Buffer.from('Received: one bicycle.\n').toString('base64')}</data></document>` +
        '<task id="t1"><document-action type="sign"><document-ref>d1</document-ref></document-action><signature><method handwritten="true"/></signature></task>',
    );
    const q = `request_id=${requestId}&task_id=t1`;
    const ctx = await browser.newContext({ viewport: { width: 800, height: 900 } });
    try {
      const p = await ctx.newPage();
      await p.goto(`${s.url}/std/docaction/demo?${q}`);
      expect(await p.locator('input[type="password"]').count()).toBe(0); // no login
      await p.getByRole('link', { name: /Open/ }).first().click();
      await p.waitForSelector('pre.text');
      await p.goto(`${s.url}/std/docaction/demo?${q}`);
      await p.getByRole('button', { name: 'Send in' }).click();
      await p.waitForSelector('#ink-pad');
      expect(await p.locator('h2').first().innerText()).toBe('Sign with a handwritten signature only (simple electronic signature)');
      expect(await axeViolations(p)).toEqual([]);
      const b = (await p.locator('#ink-pad').boundingBox())!;
      await p.mouse.move(b.x + b.width * 0.2, b.y + b.height * 0.4);
      await p.mouse.down();
      for (let i = 1; i <= 10; i++) await p.mouse.move(b.x + b.width * (0.2 + 0.05 * i), b.y + b.height * (0.4 + 0.02 * i));
      await p.mouse.up();
      await p.getByRole('button', { name: 'Sign', exact: true }).click();
      await p.waitForSelector('h1:text("Your signature has been received")', { timeout: 30_000 });
    } finally {
      await ctx.close();
    }
    const xml = await completedPackage(s, requestId);
    const strokes = [...xml.matchAll(/<sp:Stroke Index="\d+" PointerType="mouse">([^<]*)<\/sp:Stroke>/g)];
    expect(strokes).toHaveLength(1);
    const first = strokes[0]![1]!.split(' ')[0]!.split(',').map(Number);
    expect(first[0]).toBeCloseTo(0.2, 1);
    expect(first[1]).toBeCloseTo(0.4, 1);
    expect(xml).toMatch(/<SignatureLevel Level="simple">simple electronic signature/);
    const dir = mkdtempSync(path.join(os.tmpdir(), 'segl-inkalone-e2e-'));
    try {
      const pem = async (n: string) => (await fetch(`${s.url}/pki/${n}.pem`)).text();
      const outs = await xmlsecEachSignature(dir, xml, await pem('root'), [await pem('ca'), await pem('service-ca')]);
      expect(outs).toHaveLength(2);
      for (const out of outs) expect(out).toMatch(/^OK$/m);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

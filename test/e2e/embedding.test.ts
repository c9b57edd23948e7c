// The portal in an integrator's page, in headless Chromium (docs/embedding.md). segl runs at
// http://localhost:P; the integrator's pages come from two other local servers. http://localhost:A is on
// the service's frame-origin list (same site as segl, so its Lax cookies reach the frame): through
// /embed.js it frames the task, the signer logs in with the test eID, reads, signs, and the page receives
// loaded → authenticated → signed from segl's origin. http://127.0.0.1:A is allowed too but another site:
// the cookie round trip fails and the frame offers the task in a top-level window. http://localhost:B is
// not on the list: the browser refuses the frame (frame-ancestors) and the page gets no event; a `parent`
// naming it from an allowed page gets none either. axe checks the pages in the frame.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Browser, Frame, Page } from 'playwright-core';
import type { TestUser } from '../../src/eid/testid/users';
import { axeViolations, launchChromium } from '../support/chromium';
import { keyCardCode } from '../support/portalflow';
import { startServer, type TestServer } from '../support/server';
import { createRequestXml } from '../support/soap';

interface SeglEvent {
  source: string;
  version: number;
  type: string;
  requestId: string | null;
  taskId: string | null;
  code?: string;
}

/** The integrator's page: `embed` frames `task` through segl's /embed.js; `raw` frames `src` as given and records every message. */
const PARENT = `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Shop checkout</title></head>
<body><main><h1>Checkout</h1><div id="sign"></div></main><script src="SEGL/embed.js"></script><script>
window.events = [];
var q = new URLSearchParams(location.search);
if (q.get('raw')) {
  window.addEventListener('message', function (e) { window.events.push({ origin: e.origin, data: e.data }); });
  var f = document.createElement('iframe'); f.title = 'Signing'; f.src = q.get('raw'); f.style.height = '700px';
  document.getElementById('sign').appendChild(f);
} else {
  segl.embed(document.getElementById('sign'), q.get('task'), { onEvent: function (e) { window.events.push(e); } });
}
</script></body></html>`;

async function parentServer(seglUrl: string): Promise<{ server: Server; port: number }> {
  const server = createServer((_req, res) => {
    res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' }).end(PARENT.replace('SEGL', seglUrl));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { server, port: (server.address() as AddressInfo).port };
}

describe('the portal in an iframe on the integrator’s page (sqlite, Chromium)', () => {
  let s: TestServer;
  let browser: Browser;
  let allowed: { server: Server; port: number };
  let other: { server: Server; port: number };
  let user: TestUser & { password: string };

  const task = async () => {
    const doc = `<document xsi:type="provided-document" id="terms" mime-type="text/plain"><description>Terms</description><data>${Buffer.from(
      'Interest 3 %',
    ).toString('base64')}</data></document>`;
    const t =
      '<task id="t1"><document-action type="sign"><document-ref>terms</document-ref></document-action>' +
      '<authentication><method>nemid</method></authentication><signature><method>nemid-sign</method></signature></task>';
    const requestId = await createRequestXml(s.endpoint, 'shop', 'shop-password-1', doc + t);
    return { requestId, url: `${s.url}/std/docaction/shop?request_id=${requestId}&task_id=t1` };
  };
  const events = (p: Page) => p.evaluate<SeglEvent[]>('window.events');
  /** The frame once it shows a portal page (its #segl-embed marker). */
  const portalFrame = async (p: Page): Promise<Frame> => {
    await p.waitForFunction("document.querySelector('iframe') !== null");
    for (let i = 0; i < 100; i++) {
      const f = p.frames().find((x) => x !== p.mainFrame());
      if (
        f &&
        (await f
          .locator('#segl-embed')
          .count()
          .catch(() => 0)) > 0
      )
        return f;
      await p.waitForTimeout(100);
    }
    throw new Error('the frame never showed the portal');
  };
  const axe = async (f: Frame, name: string) => {
    expect([name, await axeViolations(f as unknown as Page)]).toEqual([name, []]);
  };
  const mainHtml = async (f: Frame) => ({ status: 200, html: await f.locator('main').innerHTML(), url: f.url() });

  beforeAll(async () => {
    s = await startServer('sqlite', { SEGL_RELAY_INTERVAL: '100ms' }, { worker: true });
    await s.rt.services.create('shop', 'shop-password-1');
    allowed = await parentServer(s.url);
    other = await parentServer(s.url);
    await s.rt.services.setFrameOrigins('shop', [`http://localhost:${allowed.port}`, `http://127.0.0.1:${allowed.port}`]);
    const draft = { ...s.rt.testid!.autofill(), alias: 'emma', password: 'pw-emma-123' };
    user = { ...(await s.rt.testid!.createUser(draft)), password: draft.password };
    browser = await launchChromium();
  });
  afterAll(async () => {
    await browser?.close();
    await Promise.all([allowed, other].map((x) => x && new Promise((r) => x.server.close(r))));
    await s?.stop();
  });
  const inPage = async (f: (p: Page) => Promise<void>) => {
    const ctx = await browser.newContext({ locale: 'en-GB' });
    try {
      await f(await ctx.newPage());
    } finally {
      await ctx.close();
    }
  };

  test('an allowed origin frames the task, the signer signs in the frame, the page gets loaded, authenticated, signed', async () => {
    const { requestId, url } = await task();
    await inPage(async (p) => {
      await p.goto(`http://localhost:${allowed.port}/?task=${encodeURIComponent(url)}`);
      let f = await portalFrame(p);
      await axe(f, 'login in the frame');
      await f.getByLabel('User ID (alias, CPR or PID)').fill('emma');
      await f.getByLabel('Password').fill(user.password);
      await f.getByRole('button', { name: 'Next' }).click();
      await f.getByLabel(/Code for key/).waitFor();
      await f.getByLabel(/Code for key/).fill(await keyCardCode(s.rt.testid!, 'emma', await mainHtml(f), 'login code'));
      await f.getByRole('button', { name: 'Next' }).click();
      f = await portalFrame(p);
      if ((await f.locator('h1').innerText()) === 'Confirm your CPR number') {
        await f.getByLabel('CPR number (DDMMYY-SSSS)').fill(`${user.cpr.slice(0, 6)}-${user.cpr.slice(6)}`);
        await f.getByRole('button', { name: 'Next' }).click();
      }
      await f.getByRole('link', { name: 'Open Terms' }).click();
      await f.getByRole('link', { name: 'Back to the documents' }).click();
      await f.getByRole('button', { name: 'Sign and send in' }).waitFor();
      await f.waitForLoadState();
      await axe(f, 'wizard in the frame');
      await f.getByRole('button', { name: 'Sign and send in' }).click();
      await f.getByRole('button', { name: 'Next' }).click();
      await f.getByLabel(/Code for key/).waitFor();
      await f.getByLabel('Password').fill(user.password);
      await f.getByLabel(/Code for key/).fill(await keyCardCode(s.rt.testid!, 'emma', await mainHtml(f), 'signing code'));
      await f.getByRole('button', { name: 'Sign', exact: true }).click();
      await f.locator('h1:text("Your signature has been received")').waitFor({ timeout: 30_000 });
      await axe(f, 'signed in the frame');
      const got = await events(p);
      expect(got.every((e) => e.source === 'segl' && e.version === 1 && e.requestId === requestId && e.taskId === 't1')).toBe(true);
      expect(got[0]!.type).toBe('loaded');
      expect(got.map((e) => e.type).filter((x) => x !== 'loaded')).toEqual(['authenticated', 'signed']);
      expect(got.filter((e) => e.type === 'loaded').length).toBeGreaterThanOrEqual(5);
    });
    const [st] = await s.rt.documents.requests.getStatus((await s.rt.services.find('shop'))!, [requestId]);
    expect(st!.taskStatus).toBe('completed');
  }, 120_000);

  test("declined, through the service's cancel URL (the event first, then the URL), and postponed", async () => {
    const doc = `<document xsi:type="provided-document" id="terms" mime-type="text/plain"><description>Terms</description><data>eA==</data></document>`;
    const cancelUrl = `http://localhost:${allowed.port}/declined`;
    const plain = (extra: string) =>
      `<task id="t1"><document-action type="sign"><document-ref>terms</document-ref></document-action>${extra}</task>`;
    const declined = await createRequestXml(
      s.endpoint,
      'shop',
      'shop-password-1',
      doc + plain(`<on-task-cancel>${cancelUrl}</on-task-cancel>`),
    );
    const postponed = await createRequestXml(s.endpoint, 'shop', 'shop-password-1', doc + plain(''));
    const types = async (p: Page) => (await events(p)).map((e) => e.type).filter((x) => x !== 'loaded');
    await inPage(async (p) => {
      await p.goto(
        `http://localhost:${allowed.port}/?task=${encodeURIComponent(`${s.url}/std/docaction/shop?request_id=${declined}&task_id=t1`)}`,
      );
      const f = await portalFrame(p);
      await f.getByRole('button', { name: 'Decline' }).click();
      await p.waitForFunction('window.events.some((e) => e.type === "declined")');
      // the cancel URL is on the parent's origin: the parent can read where its frame went
      await p.waitForFunction(
        `(() => { try { return document.querySelector('iframe').contentWindow.location.href === ${JSON.stringify(cancelUrl)}; } catch (e) { return false; } })()`,
      );
      expect(await types(p)).toEqual(['authenticated', 'declined']);
    });
    await inPage(async (p) => {
      await p.goto(
        `http://localhost:${allowed.port}/?task=${encodeURIComponent(`${s.url}/std/docaction/shop?request_id=${postponed}&task_id=t1`)}`,
      );
      const f = await portalFrame(p);
      await f.getByRole('button', { name: 'Postpone' }).click();
      await p.waitForFunction('window.events.some((e) => e.type === "postponed")');
      expect(await f.locator('h1').innerText()).toBe('You can come back later');
      expect(await types(p)).toEqual(['authenticated', 'postponed']);
    });
    const status = async (id: string) =>
      (await s.rt.documents.requests.getStatus((await s.rt.services.find('shop'))!, [id]))[0]!.taskStatus;
    expect([await status(declined), await status(postponed)]).toEqual(['rejected', 'created']);
  }, 60_000);

  test('an allowed origin on another site without cookies: a clear page that opens the task in a top-level window', async () => {
    const { url } = await task();
    await inPage(async (p) => {
      await p.goto(`http://127.0.0.1:${allowed.port}/?task=${encodeURIComponent(url)}`);
      const f = await portalFrame(p);
      expect(await f.locator('h1').innerText()).toBe('This page cannot work inside the other site');
      await axe(f, 'cookies blocked');
      await p.waitForFunction('window.events.length >= 2');
      expect((await events(p)).map((e) => [e.type, e.code])).toEqual([
        ['loaded', undefined],
        ['error', 'cookies-blocked'],
      ]);
      await f.getByRole('link', { name: 'Open in its own window' }).click();
      await p.waitForURL(url);
      expect(await p.locator('h1').innerText()).toBe('Log in to continue');
    });
  }, 60_000);

  test('an origin not on the list: the browser refuses the frame and the page gets no event', async () => {
    const { url } = await task();
    await inPage(async (p) => {
      const refusals: string[] = [];
      p.on('console', (m) => {
        if (/frame-ancestors/.test(m.text())) refusals.push(m.text());
      });
      await p.goto(`http://localhost:${other.port}/?task=${encodeURIComponent(url)}`);
      await p.waitForFunction("document.querySelector('iframe') !== null");
      await p.waitForTimeout(2000);
      const f = p.frames().find((x) => x !== p.mainFrame())!;
      expect(
        await f
          .locator('#segl-embed')
          .count()
          .catch(() => 0),
      ).toBe(0);
      expect(f.url()).not.toContain('/std/docaction/');
      expect(refusals.length).toBeGreaterThan(0);
      expect(await events(p)).toEqual([]);
    });
  }, 60_000);

  test('a `parent` naming an origin not on the list, from an allowed page: the portal shows, no event is sent', async () => {
    const { url } = await task();
    await inPage(async (p) => {
      const src = `${url}&parent=${encodeURIComponent(`http://localhost:${other.port}`)}`;
      await p.goto(`http://localhost:${allowed.port}/?raw=${encodeURIComponent(src)}`);
      const f = await portalFrame(p);
      expect(await f.locator('h1').innerText()).toBe('Log in to continue');
      await p.waitForTimeout(1500);
      expect(await events(p)).toEqual([]);
    });
  }, 60_000);
});

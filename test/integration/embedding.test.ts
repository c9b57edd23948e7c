// Embedding the portal (docs/embedding.md): `segl service set --frame-origin` takes exact origins only
// (bad ones refused with the reason, nothing stored), on both databases; the task pages of that service
// open frame-ancestors to them while other services and other pages stay 'none'; the cookie round trip
// and its top-level fallback; /embed.js; and over an https PUBLIC_URL the cross-site session cookie.
import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import { frameOriginEntry } from '../../src/portal/embed';
import { databases, startServer, type TestServer } from '../support/server';
import { createRequestXml, REPO } from '../support/soap';

const exec = promisify(execFile);
const DOC = `<document xsi:type="provided-document" id="d" mime-type="text/plain"><data>eA==</data><description>d</description></document>`;
const TASK = '<task id="t1"><document-action type="sign"><document-ref>d</document-ref></document-action></task>';
const frameAncestors = (r: Response) => /frame-ancestors ([^;]+)/.exec(r.headers.get('content-security-policy') ?? '')?.[1];

describe.each(databases())('embedding the portal (%s)', (db) => {
  let s: TestServer;
  let cli: (...args: string[]) => Promise<{ stdout: string; stderr: string }>;
  beforeAll(async () => {
    s = await startServer(db);
    const env = {
      ...process.env,
      DATA_DIR: s.dataDir,
      LOG_LEVEL: 'silent',
      ...(s.rt.config.databaseUrl ? { DATABASE_URL: s.rt.config.databaseUrl } : {}),
    };
    cli = (...args) => exec(process.execPath, [path.join(REPO, 'bin', 'segl.js'), ...args], { env });
    await s.rt.services.create('shop', 'shop-password-1');
  });
  afterAll(async () => {
    await s?.stop();
  });

  test('`segl service set --frame-origin` refuses what is not an exact origin, stores nothing, and stores good ones normalised', async () => {
    await cli('service', 'set', 'shop', '--frame-origin', 'https://kept.example');
    const refused: Array<[string, string]> = [
      ['https://*.shop.example', 'has a wildcard'],
      ['*', 'has a wildcard'],
      ['https://user:pw@shop.example', 'carries user info'],
      ['https://shop.example/checkout', 'has a path, query or fragment'],
      ['https://shop.example?x=1', 'has a path, query or fragment'],
      ['https://shop.example#top', 'has a path, query or fragment'],
      ['http://shop.example', 'is not https'],
      ['ftp://shop.example', 'must be https'],
      ['shop.example', 'is not an origin'],
      ['https://sh op.example', 'is not a valid origin'],
      ["https://shop.example'; script-src *", 'has a wildcard'],
    ];
    for (const [origin, why] of refused) expect([origin, String(frameOriginEntry(origin))]).toEqual([origin, expect.stringContaining(why)]);
    // the command line says why, for each kind (each run costs a process start)
    for (const [origin, why] of refused.filter((_x, i) => i % 2 === 0)) {
      const r = cli('service', 'set', 'shop', '--frame-origin', 'https://good.example', '--frame-origin', origin);
      await expect(r).rejects.toMatchObject({ stderr: expect.stringContaining(why) });
    }
    // one bad origin among good ones, or with other settings: nothing changed
    await expect(
      cli('service', 'set', 'shop', '--callback-allow', '127.0.0.1:9', '--frame-origin', 'https://a@b.example'),
    ).rejects.toMatchObject({ stderr: expect.stringContaining('carries user info') });
    expect(await s.rt.services.frameOrigins('shop')).toEqual(['https://kept.example']);
    expect((await s.rt.services.settings('shop')).callbackAllow).toEqual([]);

    const set = await cli(
      'service',
      'set',
      'shop',
      '--frame-origin',
      'https://Shop.Example:443',
      '--frame-origin',
      'http://localhost:3000/',
      '--frame-origin',
      'http://127.0.0.1:8081',
      '--frame-origin',
      'https://shop.example',
    );
    expect(set.stdout).toBe('frame origins of shop: https://shop.example http://localhost:3000 http://127.0.0.1:8081\n');
    expect((await cli('service', 'show', 'shop')).stdout).toContain(
      'frame-origin:    https://shop.example http://localhost:3000 http://127.0.0.1:8081\n',
    );
    expect((await cli('service', 'set', 'shop', '--frame-origin', '')).stdout).toBe('frame origins of shop: (none)\n');
    expect((await cli('service', 'show', 'demo')).stdout).toContain('frame-origin:    (none: the portal may not be framed)\n');
  }, 240_000);

  test("the service's task pages may be framed by its origins only; other services and pages stay 'none'", async () => {
    await s.rt.services.setFrameOrigins('shop', ['https://shop.example', 'http://localhost:3000']);
    const requestId = await createRequestXml(s.endpoint, 'shop', 'shop-password-1', DOC + TASK);
    const task = await fetch(`${s.url}/std/docaction/shop?request_id=${requestId}&task_id=t1`);
    expect(task.status).toBe(200);
    expect(frameAncestors(task)).toBe("'self' https://shop.example http://localhost:3000");
    expect(task.headers.get('x-frame-options')).toBeNull();
    expect(task.headers.getSetCookie().find((c) => c.startsWith('segl_portal='))).toMatch(/; SameSite=Lax; /);
    const body = await task.text();
    expect(body).toContain('<script src="/portal/static/embedded.js" defer></script>');
    expect(body).toContain('data-parent=""');
    const unknown = await fetch(`${s.url}/std/docaction/shop?request_id=nope&task_id=t1`);
    expect([unknown.status, frameAncestors(unknown)]).toEqual([404, "'self' https://shop.example http://localhost:3000"]);

    const demoId = await createRequestXml(s.endpoint, 'demo', s.demoPassword, DOC + TASK);
    const demo = await fetch(`${s.url}/std/docaction/demo?request_id=${demoId}&task_id=t1&parent=https%3A%2F%2Fshop.example`);
    expect(frameAncestors(demo)).toBe("'none'");
    expect(await demo.text()).not.toContain('segl-embed');
    expect(frameAncestors(await fetch(`${s.url}/verify`))).toBe("'none'");
  });

  test('a frame without cookies: a round trip, then a translated page that opens the task in a top-level window', async () => {
    const requestId = await createRequestXml(s.endpoint, 'shop', 'shop-password-1', DOC + TASK);
    const url = `${s.url}/std/docaction/shop?request_id=${requestId}&task_id=t1&parent=${encodeURIComponent('http://localhost:3000')}`;
    const first = await fetch(url, { redirect: 'manual' });
    expect(first.status).toBe(303);
    expect(first.headers.getSetCookie()).toEqual(['segl_probe=1; Path=/std/; HttpOnly; Max-Age=600; SameSite=Lax']);
    expect(first.headers.get('location')).toBe(`${url.slice(s.url.length)}&cookie_check=1`);
    const back = await fetch(`${s.url}${first.headers.get('location')}`, { headers: { 'accept-language': 'da' } });
    expect(back.status).toBe(200);
    const page = await back.text();
    expect(page).toContain('Siden kan ikke bruges inde på det andet websted');
    expect(page).toContain(`href="/std/docaction/shop?request_id=${requestId}&amp;task_id=t1" target="_top"`);
    expect(page).toContain('data-state="error" data-code="cookies-blocked"');
    expect(page).toContain('data-parent="http://localhost:3000"');
    // the cookie came back: the task itself
    const withCookie = await fetch(`${s.url}${first.headers.get('location')}`, { headers: { cookie: 'segl_probe=1' } });
    expect(await withCookie.text()).not.toContain('cookies-blocked');
    // a parent not on the list: no round trip, no parent for the events
    const foreign = await fetch(url.replace(encodeURIComponent('http://localhost:3000'), encodeURIComponent('https://evil.example')), {
      redirect: 'manual',
    });
    expect(foreign.status).toBe(200);
    expect(await foreign.text()).toContain('data-parent=""');
  });

  test('GET /embed.js is the integrator script', async () => {
    const r = await fetch(`${s.url}/embed.js`);
    expect([r.status, r.headers.get('content-type'), r.headers.get('x-content-type-options')]).toEqual([
      200,
      'text/javascript; charset=utf-8',
      'nosniff',
    ]);
    expect(await r.text()).toContain('w.segl.embed = embed;');
  });
});

describe('embedding over an https PUBLIC_URL (sqlite)', () => {
  let s: TestServer;
  beforeAll(async () => {
    s = await startServer('sqlite', { PUBLIC_URL: 'https://localhost' });
    await s.rt.services.create('shop', 'shop-password-1');
    await s.rt.services.setFrameOrigins('shop', ['https://shop.example']);
  });
  afterAll(async () => {
    await s?.stop();
  });

  test('the session cookie of an embeddable service is SameSite=None; Secure; Partitioned, of others Lax', async () => {
    const base = s.url.replace('https://localhost', 'http://127.0.0.1');
    const cookie = async (service: string, password: string) => {
      const id = await createRequestXml(`${base}/ws/documentservice-v3`, service, password, DOC + TASK);
      const r = await fetch(`${base}/std/docaction/${service}?request_id=${id}&task_id=t1`);
      expect(r.status).toBe(200);
      return r.headers.getSetCookie().find((c) => c.startsWith('segl_portal='));
    };
    expect(await cookie('shop', 'shop-password-1')).toMatch(/; HttpOnly; SameSite=None; Secure; Partitioned; Max-Age=1800$/);
    expect(await cookie('demo', s.demoPassword)).toMatch(/; HttpOnly; SameSite=Lax; Max-Age=1800$/);
  });
});

// The admin surface (issue 10 items 5 and 9): the dev outbox behind the admin login, back-off on
// admin password guessing, and state-changing admin requests refused when a browser says they are
// cross-site (a form on another site posting to /admin/clock/advance, or to Bull Board's API).
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { startServer, type TestServer } from '../support/server';

describe('admin surface', () => {
  let s: TestServer;
  let admin: string;
  const basic = (pw: string) => `Basic ${Buffer.from(`admin:${pw}`).toString('base64')}`;

  beforeAll(async () => {
    // behind a proxy at 127.0.0.1, so the tests can speak as several client addresses
    s = await startServer('sqlite', { SEGL_TEST_CLOCK: '1', SEGL_TRUSTED_PROXIES: '127.0.0.1' });
    admin = basic(s.rt.adminPassword!);
  }, 60_000);
  afterAll(async () => {
    await s.stop();
  });

  describe('dev outbox (item 5)', () => {
    const smsName = '2026-01-01T000000.000Z-0f0e0d0c-0b0a-4908-8706-050403020100.json';
    const mailName = '2026-01-01T000000.000Z-0f0e0d0c-0b0a-4908-8706-050403020100.eml';
    beforeAll(() => {
      const sms = path.join(s.dataDir, 'outbox', 'sms');
      const mail = path.join(s.dataDir, 'outbox', 'mail');
      mkdirSync(sms, { recursive: true });
      mkdirSync(mail, { recursive: true });
      writeFileSync(
        path.join(sms, smsName),
        JSON.stringify({
          id: 'x',
          from: 'Bank',
          to: '+4712345678',
          text: 'sign: /std/docaction/demo?artifact=secret',
          at: '2026-01-01T00:00:00.000Z',
        }),
      );
      writeFileSync(path.join(mail, mailName), 'From: a@example.com\r\nTo: b@example.com\r\nSubject: s\r\n\r\nbody with an artifact\r\n');
    });

    test.each(['/dev/outbox', '/dev/outbox.json', `/dev/outbox/mail/${mailName}`])('%s answers 401 without the admin login', async (p) => {
      const r = await fetch(`${s.url}${p}`);
      expect(r.status).toBe(401);
      expect(r.headers.get('www-authenticate')).toMatch(/^Basic realm="segl admin"/);
      expect(await r.text()).not.toContain('artifact');
    });

    test('with the admin login it shows the mails and SMS', async () => {
      const list = (await (await fetch(`${s.url}/dev/outbox.json`, { headers: { authorization: admin } })).json()) as {
        sms: Array<{ text: string }>;
        mails: Array<{ subject: string }>;
      };
      expect(list.sms.map((m) => m.text)).toEqual(['sign: /std/docaction/demo?artifact=secret']);
      expect(list.mails.map((m) => m.subject)).toEqual(['s']);
      const page = await fetch(`${s.url}/dev/outbox`, { headers: { authorization: admin } });
      expect(page.status).toBe(200);
      expect(await page.text()).toContain('+4712345678');
      const eml = await fetch(`${s.url}/dev/outbox/mail/${mailName}`, { headers: { authorization: admin } });
      expect(eml.status).toBe(200);
      expect(await eml.text()).toContain('body with an artifact');
    });
  });

  describe('same-origin rule for admin changes (item 9)', () => {
    const advance = (headers: Record<string, string>, by = '1h') =>
      fetch(`${s.url}/admin/clock/advance?by=${by}`, {
        method: 'POST',
        headers: { authorization: admin, 'content-type': 'application/x-www-form-urlencoded', ...headers },
        body: 'x=1',
      });

    test('a cross-site form POST (Origin: http://evil.example) is 403 and the clock does not move', async () => {
      const before = s.rt.clock.offset;
      const r = await advance({ origin: 'http://evil.example', 'sec-fetch-site': 'cross-site', 'sec-fetch-mode': 'navigate' }, '2d');
      expect(r.status).toBe(403);
      expect(await r.text()).toMatch(/^cross-site request refused: Sec-Fetch-Site is "cross-site"/);
      expect(s.rt.clock.offset).toBe(before);
    });

    test.each([
      ['an older browser: Origin only', { origin: 'http://evil.example' }, 'Origin "http://evil.example" is not'],
      ['a sandboxed or privacy-redirected form: Origin null', { origin: 'null' }, 'Origin "null" is not'],
      ['same-site but another origin (Sec-Fetch-Site: same-site)', { 'sec-fetch-site': 'same-site' }, 'Sec-Fetch-Site is "same-site"'],
    ])('%s is 403', async (_name, headers, says) => {
      const before = s.rt.clock.offset;
      const r = await advance(headers);
      expect(r.status).toBe(403);
      expect(await r.text()).toContain(says);
      expect(s.rt.clock.offset).toBe(before);
    });

    test("segl's own origin, and a client that sends no Origin (curl), may move the clock", async () => {
      const before = s.rt.clock.offset;
      const same = await advance({ origin: new URL(s.url).origin, 'sec-fetch-site': 'same-origin' });
      expect(same.status).toBe(200);
      const curl = await advance({});
      expect(curl.status).toBe(200);
      expect(s.rt.clock.offset - before).toBeGreaterThanOrEqual(2 * 3_600_000);
    });

    test("Bull Board's API: a cross-site pause is 403 and the queue keeps running; same-origin works", async () => {
      const queue = s.rt.queues.all().find((q) => q.name === 'segl-callback')!;
      const pause = (headers: Record<string, string>) =>
        fetch(`${s.url}/admin/queues/api/queues/segl-callback/pause`, { method: 'PUT', headers: { authorization: admin, ...headers } });
      const evil = await pause({ origin: 'http://evil.example' });
      expect(evil.status).toBe(403);
      expect(await queue.isPaused()).toBe(false);
      const own = await pause({ origin: new URL(s.url).origin });
      expect(own.status).toBeLessThan(300);
      expect(await queue.isPaused()).toBe(true);
      await queue.resume();
    });
  });

  describe('admin password guessing (item 9)', () => {
    const from = (ip: string, pw: string) => {
      const t0 = Date.now();
      return fetch(`${s.url}/admin/clock`, { headers: { authorization: basic(pw), 'x-forwarded-for': ip } }).then(async (r) => {
        await r.arrayBuffer();
        return { status: r.status, ms: Date.now() - t0 };
      });
    };

    test('wrong passwords from one address are slowed down; the right one still gets in; other addresses are not slowed', async () => {
      for (let i = 0; i < 5; i++) expect((await from('198.51.100.20', `guess-${i}`)).status).toBe(401);
      const sixth = await from('198.51.100.20', 'guess-5');
      expect(sixth.status).toBe(401);
      expect(sixth.ms).toBeGreaterThanOrEqual(450);
      const seventh = await from('198.51.100.20', 'guess-6');
      expect(seventh.ms).toBeGreaterThanOrEqual(900);
      // a burst from that address gets the throttle's 429 instead of more guesses
      const burst = await Promise.all(Array.from({ length: 10 }, (_, i) => from('198.51.100.20', `burst-${i}`)));
      expect(burst.filter((b) => b.status === 429).length).toBeGreaterThan(0);
      // the operator elsewhere is not slowed
      const other = await from('198.51.100.21', s.rt.adminPassword!);
      expect(other.status).toBe(200);
      expect(other.ms).toBeLessThan(400);
    }, 60_000);
  });
});

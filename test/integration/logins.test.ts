// Logins and limits (issue 10 items 4 and 7): the SOAP endpoint authenticates before it parses, an
// anonymous flood of large bodies neither stalls the server nor escapes the login throttle, failures
// are counted per (source, account) and per source, a right password is slowed rather than refused,
// and X-Forwarded-For is believed only from SEGL_TRUSTED_PROXIES.
import { loadConfig } from '../../src/config';
import { startServer, type TestServer } from '../support/server';
import { probeHealth, stallOver } from '../support/stalls';

const NS = 'https://id.signicat.com/definitions/wsdl/Document-v3';
const MB = 1024 * 1024;

function getTaskCount(service: string, password: string, filler = ''): string {
  return (
    `<?xml version="1.0" encoding="UTF-8"?><soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/"><soap:Body>` +
    `<get-task-count-request xmlns="${NS}"><service>${service}</service><password>${password}</password>${filler}<filter/>` +
    `</get-task-count-request></soap:Body></soap:Envelope>`
  );
}

interface Answer {
  status: number;
  faultstring: string;
  text: string;
  ms: number;
}

async function soap(url: string, body: string, headers: Record<string, string> = {}): Promise<Answer> {
  const t0 = Date.now();
  const res = await fetch(`${url}/ws/documentservice-v3`, {
    method: 'POST',
    headers: { 'Content-Type': 'text/xml; charset=utf-8', ...headers },
    body,
  });
  const text = await res.text();
  const faultstring = /<faultstring>([^<]*)<\/faultstring>/.exec(text)?.[1] ?? '';
  return { status: res.status, faultstring, text, ms: Date.now() - t0 };
}

const basic = (user: string, password: string) => `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;

async function sds(
  url: string,
  service: string,
  password: string,
  headers: Record<string, string> = {},
): Promise<{ status: number; ms: number }> {
  const t0 = Date.now();
  const res = await fetch(`${url}/doc/${service}/sds`, {
    method: 'POST',
    headers: { authorization: basic(service, password), 'content-type': 'text/plain', ...headers },
    body: 'hello',
  });
  await res.arrayBuffer();
  return { status: res.status, ms: Date.now() - t0 };
}

describe('SOAP: authentication before the parse (item 4)', () => {
  let s: TestServer;
  beforeAll(async () => {
    s = await startServer('sqlite');
  }, 60_000);
  afterAll(async () => {
    await s.stop();
  });

  test('four 7.7 MB bodies with an unknown service: /healthz stays quick, and the throttle counts them', async () => {
    // ~77 000 elements after the credentials: under the element cap, so the old code parsed them all before login
    const filler = `<client-reference>${'x'.repeat(80)}</client-reference>`.repeat(Math.ceil((7.7 * MB) / 100));
    const big = getTaskCount('nobody', 'not-the-password', filler);
    expect(big.length).toBeGreaterThan(7.7 * MB);
    const probe = probeHealth(s.url);
    const answers = await Promise.all(Array.from({ length: 4 }, () => soap(s.url, big)));
    const stalls = await probe.stop();
    expect(stalls.waits.length).toBeGreaterThan(0);
    // the same bound as a logged-in caller's parse below: a stall is the whole parse of 30 MB (seconds);
    // 500 ms was exceeded (660 ms) on the 2-core CI machine while other suites ran beside this one
    expect(stallOver(stalls, 1000)).toBe('no stall');
    for (const a of answers) {
      expect(a.status).toBe(500);
      expect(a.faultstring).toBe('service, password: service or password is wrong');
    }
    // 4 failures of (this address, "nobody") were counted: one more is free, the one after is slowed
    const fifth = await soap(s.url, getTaskCount('nobody', 'guess-5'));
    expect(fifth.faultstring).toBe('service, password: service or password is wrong');
    expect(fifth.ms).toBeLessThan(400);
    const sixth = await soap(s.url, getTaskCount('nobody', 'guess-6'));
    expect(sixth.faultstring).toBe('service, password: service or password is wrong');
    expect(sixth.ms).toBeGreaterThanOrEqual(450);
  }, 120_000);

  test("a logged-in caller's large bodies are parsed without stalling the server for seconds", async () => {
    const filler = `<x/>`.repeat(400_000); // 1.6 MB of elements: the densest work per byte, under the 500 000 cap
    const big = getTaskCount('demo', s.demoPassword, filler);
    const probe = probeHealth(s.url);
    const answers = await Promise.all(Array.from({ length: 4 }, () => soap(s.url, big)));
    const stalls = await probe.stop();
    // past the login, the whole body was parsed (the codec then names the unknown element)
    for (const a of answers) expect(a.faultstring).toBe('x: unknown element (expected: service, password, filter)');
    expect(stallOver(stalls, 1000)).toBe('no stall');
  }, 120_000);

  test('credentials not at the start of the body: refused before any parse of the rest', async () => {
    const envelopeAfter = (header: string) =>
      `<soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/"><soap:Header>${header}</soap:Header><soap:Body>` +
      `<get-task-count-request xmlns="${NS}"><service>demo</service><password>${s.demoPassword}</password><filter/></get-task-count-request></soap:Body></soap:Envelope>`;
    const many = await soap(s.url, envelopeAfter('<x/>'.repeat(1500)));
    expect(many.status).toBe(500);
    expect(many.faultstring).toMatch(/^service, password: not found within the first 1000 elements; send them first/);
    const long = await soap(s.url, envelopeAfter(`<x>${'y'.repeat(90)}</x>`.repeat(2000)));
    expect(long.faultstring).toMatch(/^service, password: not found within the first 64 KiB; send them first/);
    // the same credentials first are fine, header and all
    expect((await soap(s.url, getTaskCount('demo', s.demoPassword, ''))).status).toBe(200);
  });

  test('a body over SEGL_BODY_LIMIT by its Content-Length is 413 before it is read', async () => {
    const t = await startServer('sqlite', { SEGL_BODY_LIMIT: '1kb' });
    try {
      const a = await soap(t.url, getTaskCount('demo', t.demoPassword, '<x>'.repeat(1000)));
      expect(a.status).toBe(413);
      expect(a.faultstring).toBe('the request body exceeds the limit of 1024 bytes');
      // a right call under the limit still works
      expect((await soap(t.url, getTaskCount('demo', t.demoPassword))).status).toBe(200);
    } finally {
      await t.stop();
    }
  }, 60_000);

  test('a wrong HTTP Basic header is 401 with a challenge; the right one passes', async () => {
    const wrong = await soap(s.url, getTaskCount('demo', s.demoPassword), { authorization: basic('demo', 'wrong-basic') });
    expect(wrong.status).toBe(401);
    expect(wrong.faultstring).toBe('service, password: service or password is wrong (HTTP Basic)');
    const right = await soap(s.url, getTaskCount('demo', s.demoPassword), { authorization: basic('demo', s.demoPassword) });
    expect(right.status).toBe(200);
  });
});

describe('login throttle per source and account (item 7)', () => {
  let s: TestServer;
  beforeAll(async () => {
    s = await startServer('sqlite');
    await s.rt.services.create('tenant-a', 'tenant-a-password', false);
    await s.rt.services.create('tenant-b', 'tenant-b-password', false);
  }, 60_000);
  afterAll(async () => {
    await s.stop();
  });

  test("others' failures behind a shared address slow, never refuse, a right password; a known tenant is not slowed", async () => {
    // tenant-a logs in from here once (so this address is known for it), then fails 6 times
    expect((await sds(s.url, 'tenant-a', 'tenant-a-password')).status).toBe(201);
    for (let i = 0; i < 6; i++) expect((await sds(s.url, 'tenant-a', `wrong-${i}`)).status).toBe(401);
    // its own right password: answered after a back-off, not refused
    const a = await sds(s.url, 'tenant-a', 'tenant-a-password');
    expect(a.status).toBe(201);
    expect(a.ms).toBeGreaterThanOrEqual(450);
    // a spray over 20 unknown names from the same address throttles the address…
    for (let i = 0; i < 20; i++)
      expect((await soap(s.url, getTaskCount(`ghost-${i}`, 'pw'))).faultstring).toBe('service, password: service or password is wrong');
    const ghost = await soap(s.url, getTaskCount('ghost-x', 'pw'));
    expect(ghost.ms).toBeGreaterThanOrEqual(450);
    // …yet tenant-b, never seen here, gets in with its right password (late at most), on SDS and SOAP
    const b = await sds(s.url, 'tenant-b', 'tenant-b-password');
    expect(b.status).toBe(201);
    const soapB = await soap(s.url, getTaskCount('tenant-b', 'tenant-b-password'));
    expect(soapB.status).toBe(200);
    // and once it has logged in from here, the address's throttle no longer applies to it
    expect(soapB.ms).toBeLessThan(400);
  }, 120_000);

  test('X-Forwarded-For from loopback is not believed by default: rotating it does not escape the throttle', async () => {
    const times: number[] = [];
    for (let i = 0; i < 9; i++) {
      const r = await sds(s.url, 'tenant-b', `spoof-${i}`, { 'x-forwarded-for': `203.0.113.${i + 1}` });
      expect(r.status).toBe(401);
      times.push(r.ms);
    }
    // failures past the 5th of (127.0.0.1, tenant-b) are spaced out: 500 ms, 1 s, 2 s …
    expect(times.slice(5).every((ms) => ms >= 450)).toBe(true);
  }, 60_000);

  test('SEGL_TRUSTED_PROXIES takes IPs, CIDRs and the named ranges; anything else stops the start', () => {
    expect(loadConfig({ SEGL_TRUSTED_PROXIES: '10.0.0.5, 10.1.0.0/16,fd00::/8,loopback' }).trustedProxies).toEqual([
      '10.0.0.5',
      '10.1.0.0/16',
      'fd00::/8',
      'loopback',
    ]);
    expect(loadConfig({}).trustedProxies).toEqual([]);
    expect(() => loadConfig({ SEGL_TRUSTED_PROXIES: '10.0.0.0/33,proxy.example' })).toThrow(
      /SEGL_TRUSTED_PROXIES: "10\.0\.0\.0\/33" is not an IP address or CIDR[\s\S]*"proxy\.example" is not an IP address or CIDR/,
    );
  });

  test('with SEGL_TRUSTED_PROXIES the forwarded client address is the source', async () => {
    const t = await startServer('sqlite', { SEGL_TRUSTED_PROXIES: '127.0.0.1' });
    try {
      for (let i = 0; i < 8; i++) expect((await sds(t.url, 'demo', `wrong-${i}`, { 'x-forwarded-for': '198.51.100.7' })).status).toBe(401);
      const slowed = await sds(t.url, 'demo', 'wrong-x', { 'x-forwarded-for': '198.51.100.7' });
      expect(slowed.ms).toBeGreaterThanOrEqual(450);
      // another client behind the same proxy is its own source
      const other = await sds(t.url, 'demo', 'wrong-y', { 'x-forwarded-for': '198.51.100.8' });
      expect(other.status).toBe(401);
      expect(other.ms).toBeLessThan(400);
    } finally {
      await t.stop();
    }
  }, 90_000);
});

// The event feed (docs/events.md) on each database, over HTTP against a real segl with its worker:
// who may read (Basic, tokens and their expiry and revocation, another service's path), bad input
// (cursors, parameters, methods) answered as RFC 9457 problems, the order and the resumption by
// cursor (every event exactly once), the delivery id of a callback, long-poll and server-sent events,
// the OpenAPI document checked by swagger-parser against what the feed really answers, and on
// PostgreSQL an event whose transaction commits after a later one's (a naive id cursor loses it).
import SwaggerParser from '@apidevtools/swagger-parser';
import { Client } from 'pg';
import { ApiTokenRepository } from '../../src/store/eventfeed';
import { parseExpiry } from '../../src/ops/apitokencli';
import { eventually, startReceiver, type Receiver } from '../support/receiver';
import { databases, startServer, type TestServer } from '../support/server';
import { createRequestXml } from '../support/soap';
import { runSegl } from '../support/cli';

interface FeedEvent {
  cursor: string;
  requestId: string;
  taskId?: string;
  type: string;
  time: string;
  data?: string;
  deliveryId?: string;
}
interface Page {
  events: FeedEvent[];
  next: string;
}

const basic = (user: string, password: string) => `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;

describe.each(databases())('event feed (%s)', (db) => {
  let s: TestServer;
  let rx: Receiver;
  let tokens: ApiTokenRepository;
  let demoAuth: string;
  const feed = (service = 'demo', query = '') => `${s.url}/api/v1/services/${service}/events${query}`;
  const get = (url: string, auth = demoAuth, headers: Record<string, string> = {}) =>
    fetch(url, { headers: { authorization: auth, ...headers } });
  const page = async (query = '', auth = demoAuth): Promise<Page> => {
    const r = await get(feed('demo', query), auth);
    expect(r.status).toBe(200);
    return (await r.json()) as Page;
  };
  /** Every event from `after` on, one page of `limit` at a time. */
  const drain = async (after?: string, limit = 100): Promise<{ events: FeedEvent[]; next: string }> => {
    const all: FeedEvent[] = [];
    let cursor = after;
    for (;;) {
      const p = await page(`?limit=${limit}${cursor ? `&after=${cursor}` : ''}`);
      all.push(...p.events);
      if (cursor !== undefined || p.events.length) expect(p.next).toBe(p.events.length ? p.events.at(-1)!.cursor : cursor);
      cursor = p.next;
      if (p.events.length < limit) return { events: all, next: cursor };
    }
  };
  const create = (service = 'demo', password = s.demoPassword, callback = ''): Promise<string> =>
    createRequestXml(
      s.endpoint,
      service,
      password,
      `<document xsi:type="provided-document" id="d" mime-type="text/plain"><data>eA==</data><description>d</description></document>` +
        `<task id="t1"><document-action type="sign"><document-ref>d</document-ref></document-action>${callback}</task>`,
    );

  beforeAll(async () => {
    rx = await startReceiver();
    s = await startServer(
      db,
      { SEGL_CALLBACK_ALLOW: '127.0.0.1', SEGL_RELAY_INTERVAL: '100ms', SEGL_CALLBACK_RETRY_SCHEDULE: '200ms,200ms' },
      { worker: true },
    );
    await s.rt.services.create('other', 'other-password-1');
    tokens = new ApiTokenRepository(s.rt.db);
    demoAuth = basic('demo', s.demoPassword);
  });
  afterAll(async () => {
    await s.stop();
    await rx.close();
  });

  describe('who may read', () => {
    test('no credentials: 401 as a problem document naming both schemes', async () => {
      const r = await fetch(feed());
      expect(r.status).toBe(401);
      expect(r.headers.get('content-type')).toMatch(/^application\/problem\+json/);
      expect(r.headers.get('www-authenticate')).toMatch(/^Bearer realm="segl", Basic realm="segl"/);
      const p = (await r.json()) as Record<string, unknown>;
      expect(p).toMatchObject({ status: 401, title: 'Unauthorized' });
      expect(p.detail).toMatch(/token \(Bearer\) or HTTP Basic/);
    });

    test('Basic: a wrong password, or another service in the path, is 401', async () => {
      expect((await get(feed(), basic('demo', 'wrong-password'))).status).toBe(401);
      const r = await get(feed('other'), demoAuth);
      expect(r.status).toBe(401);
      expect(((await r.json()) as { detail: string }).detail).toMatch(/must be the service in the path, "other"/);
      expect((await get(feed('other'), basic('other', 'other-password-1'))).status).toBe(200);
    });

    test("a token reads its own service's feed; another service's path is 403", async () => {
      const { token } = await tokens.create('demo', 'feed reader');
      expect((await get(feed(), `Bearer ${token}`)).status).toBe(200);
      const r = await get(feed('other'), `Bearer ${token}`);
      expect(r.status).toBe(403);
      expect(((await r.json()) as { detail: string }).detail).toMatch(/not one of service "other"/);
      const [listed] = (await tokens.list('demo')).filter((t) => t.name === 'feed reader');
      expect(listed!.lastUsedAt).toBeDefined();
    });

    test('unknown, expired and revoked tokens are 401 with the reason', async () => {
      const detail = async (auth: string) => {
        const r = await get(feed(), auth);
        expect(r.status).toBe(401);
        expect(r.headers.get('www-authenticate')).toMatch(/error="invalid_token"/);
        return ((await r.json()) as { detail: string }).detail;
      };
      expect(await detail(`Bearer segl_${'A'.repeat(43)}`)).toMatch(/is not a token of this instance/);
      expect(await detail('Bearer nonsense')).toMatch(/is not a token of this instance/);
      const soon = await new ApiTokenRepository(s.rt.db, () => new Date(Date.now() - 2 * 86_400_000)).create(
        'demo',
        'short-lived',
        new Date(Date.now() - 86_400_000),
      );
      expect(await detail(`Bearer ${soon.token}`)).toMatch(/has expired/);
      const gone = await tokens.create('demo', 'to revoke');
      expect((await get(feed(), `Bearer ${gone.token}`)).status).toBe(200);
      expect(await tokens.revoke('demo', gone.id)).toBe(true);
      expect(await tokens.revoke('demo', gone.id)).toBe(false);
      expect(await tokens.revoke('other', gone.id)).toBe(false);
      expect(await detail(`Bearer ${gone.token}`)).toMatch(/has been revoked/);
    });

    test('tokens are kept as hashes only; bad names and past expiries are refused', async () => {
      const { token } = await tokens.create('demo', 'hashed');
      const rows = await s.rt.db.query('SELECT token_hash FROM api_token');
      expect(JSON.stringify(rows)).not.toContain(token);
      await expect(tokens.create('demo', '  ')).rejects.toThrow(/a name/);
      await expect(tokens.create('demo', 'x', new Date(Date.now() - 1000))).rejects.toThrow(/in the future/);
      await expect(tokens.create('nobody', 'x')).rejects.toThrow(/no service "nobody"/);
      expect(() => parseExpiry('soon')).toThrow(/90d/);
      expect(parseExpiry('30d', new Date('2027-01-01T00:00:00Z')).toISOString()).toBe('2027-01-31T00:00:00.000Z');
    });
  });

  describe('bad input is a 400 (or 405) problem and changes nothing', () => {
    test.each([
      ['?after=42', /after: "42" is not a cursor of this feed/],
      ['?after=v2.0.1', /not a cursor of this feed/],
      ['?after=v1.0.99999999999999999', /not a cursor of this feed/],
      ['?after=v1.0.1&after=v1.0.2', /"after" must be given once/],
      ['?limit=0', /"limit" must be a whole number from 1 to 1000/],
      ['?limit=1001', /"limit" must be a whole number from 1 to 1000/],
      ['?limit=ten', /"limit"/],
      ['?wait=31', /"wait" must be a whole number from 0 to 30/],
      ['?cursor=v1.0.1', /unknown query parameter\(s\): cursor/],
    ])('%s', async (query, message) => {
      const before = await s.rt.db.query('SELECT COUNT(*) AS n FROM event');
      const r = await get(feed('demo', query));
      expect(r.status).toBe(400);
      expect(r.headers.get('content-type')).toMatch(/^application\/problem\+json/);
      expect(((await r.json()) as { detail: string }).detail).toMatch(message);
      expect(await s.rt.db.query('SELECT COUNT(*) AS n FROM event')).toEqual(before);
    });

    test('a POST is 405 with Allow', async () => {
      const r = await fetch(feed(), { method: 'POST', headers: { authorization: demoAuth } });
      expect(r.status).toBe(405);
      expect(r.headers.get('allow')).toBe('GET, HEAD');
    });
  });

  describe('order and resumption', () => {
    test("the service's events only, in order, each exactly once however the pages are cut", async () => {
      const mine = [await create(), await create(), await create()];
      const theirs = await create('other', 'other-password-1');
      const all = (await drain()).events;
      expect(all.some((e) => e.requestId === theirs)).toBe(false);
      for (const id of mine) expect(all.filter((e) => e.requestId === id).map((e) => e.type)).toContain('request-created');
      // cursors strictly increase in feed order and are unique
      expect(new Set(all.map((e) => e.cursor)).size).toBe(all.length);
      // a consumer that stops after every event and resumes from its cursor gets the same sequence
      expect((await drain(undefined, 1)).events).toEqual(all);
      expect((await drain(undefined, 7)).events).toEqual(all);
      // resuming from the middle gives exactly the rest
      const mid = Math.floor(all.length / 2);
      expect((await drain(all[mid - 1]!.cursor)).events).toEqual(all.slice(mid));
      // the same types and texts as getRequestHistory, in its order
      const svc = (await s.rt.services.find('demo'))!;
      const history = await s.rt.documents.requests.getRequestHistory(svc, mine[0]!, 't1');
      expect(all.filter((e) => e.requestId === mine[0]).map((e) => ({ event: e.type, eventTime: e.time, data: e.data }))).toEqual(
        history.map((h) => ({ event: h.event, eventTime: h.eventTime, data: h.data })),
      );
    });

    test('at the end the page is empty and `next` is the cursor asked with', async () => {
      const { next } = await drain();
      const p = await page(`?after=${next}`);
      expect(p).toEqual({ events: [], next });
    });

    test('a callback delivery event carries the delivery id the receiver got', async () => {
      const { next } = await drain();
      const cb = `<notification type="URL" notification-id="cb"><recipient>${rx.base}/hook</recipient><message>created</message></notification>`;
      const requestId = await create('demo', s.demoPassword, cb);
      const [call] = await rx.waitDelivered(1);
      const sent = await eventually(async () => (await drain(next)).events.find((e) => e.type === 'notification-sent'));
      expect(sent).toMatchObject({ requestId, taskId: 't1', deliveryId: call!.headers['x-segl-delivery-id'] });
    });
  });

  describe('live', () => {
    test('long-poll: an empty page waits and answers as soon as an event is written', async () => {
      const { next } = await drain();
      const started = Date.now();
      const waiting = page(`?after=${next}&wait=20`);
      await new Promise((r) => setTimeout(r, 400));
      const id = await create();
      const p = await waiting;
      expect(p.events[0]).toMatchObject({ requestId: id, type: 'request-created' });
      expect(Date.now() - started).toBeLessThan(10_000);
      // with nothing to come, wait=1 answers an empty page after about a second
      const t0 = Date.now();
      expect((await page(`?after=${p.next}&limit=1000&wait=1`)).events.length).toBeLessThanOrEqual(1000);
      expect(Date.now() - t0).toBeGreaterThanOrEqual(900);
    });

    test('server-sent events: ids are cursors, a reconnect with Last-Event-ID resumes after it', async () => {
      const all = (await drain()).events;
      const read = async (headers: Record<string, string>, n: number): Promise<Array<{ id: string; data: FeedEvent }>> => {
        const ac = new AbortController();
        const r = await fetch(feed(), { headers: { authorization: demoAuth, accept: 'text/event-stream', ...headers }, signal: ac.signal });
        expect(r.status).toBe(200);
        expect(r.headers.get('content-type')).toBe('text/event-stream; charset=utf-8');
        const got: Array<{ id: string; data: FeedEvent }> = [];
        const decoder = new TextDecoder();
        let text = '';
        for await (const chunk of r.body as unknown as AsyncIterable<Uint8Array>) {
          text += decoder.decode(chunk, { stream: true });
          let end;
          while ((end = text.indexOf('\n\n')) >= 0) {
            const block = text.slice(0, end);
            text = text.slice(end + 2);
            const id = /^id: (.*)$/m.exec(block)?.[1];
            const data = /^data: (.*)$/m.exec(block)?.[1];
            if (id && data) got.push({ id, data: JSON.parse(data) as FeedEvent });
          }
          if (got.length >= n) break;
        }
        ac.abort();
        return got.slice(0, n);
      };
      const first = await read({}, 3);
      expect(first.map((e) => e.data)).toEqual(all.slice(0, 3));
      expect(first.map((e) => e.id)).toEqual(all.slice(0, 3).map((e) => e.cursor));
      const resumed = await read({ 'last-event-id': first[2]!.id }, 2);
      expect(resumed.map((e) => e.data)).toEqual(all.slice(3, 5));
      // a live event reaches an open stream
      const tail = read({ 'last-event-id': all.at(-1)!.cursor }, 1);
      await new Promise((r) => setTimeout(r, 300));
      const id = await create();
      expect((await tail)[0]!.data).toMatchObject({ requestId: id, type: 'request-created' });
      // a bad Last-Event-ID is a 400 before any stream starts
      const bad = await get(feed(), demoAuth, { accept: 'text/event-stream', 'last-event-id': 'nope' });
      expect(bad.status).toBe(400);
    });
  });

  test('the OpenAPI document is valid and describes what the feed answers', async () => {
    const r = await fetch(`${s.url}/api/v1/openapi.json`);
    expect(r.status).toBe(200);
    const doc = (await r.json()) as Record<string, unknown>;
    const api = (await SwaggerParser.validate(structuredClone(doc) as never)) as unknown as {
      paths: Record<string, { get: { parameters: Array<{ name: string }> } }>;
      components: {
        schemas: Record<string, { properties: Record<string, unknown>; required: string[]; pattern?: string; enum?: string[] }>;
      };
    };
    const op = api.paths['/api/v1/services/{service}/events']!.get;
    expect(op.parameters.map((p) => p.name).sort()).toEqual(['Last-Event-ID', 'after', 'limit', 'service', 'wait']);
    const { Event, EventPage, Cursor, EventType } = api.components.schemas;
    const events = (await drain()).events;
    expect(events.some((e) => e.deliveryId)).toBe(true);
    for (const e of events) {
      expect(Object.keys(e).every((k) => k in Event!.properties)).toBe(true);
      expect(Event!.required.every((k) => k in e)).toBe(true);
      expect(e.cursor).toMatch(new RegExp(Cursor!.pattern!));
      expect(EventType!.enum).toContain(e.type);
    }
    expect(Object.keys(await page()).sort()).toEqual(Object.keys(EventPage!.properties).sort());
  });

  if (db === 'postgres')
    test('an event whose transaction commits late is not skipped (a naive id cursor would lose it)', async () => {
      const requestId = await create();
      const { next } = await drain();
      const url = new URL(s.rt.config.databaseUrl!);
      const slow = new Client({ connectionString: url.toString() });
      await slow.connect();
      try {
        await slow.query('BEGIN');
        const [early] = (
          await slow.query(
            `INSERT INTO event (request_id, type, time, data) VALUES ($1, 'error', $2, 'written first, committed last') RETURNING id`,
            [requestId, new Date().toISOString()],
          )
        ).rows as Array<{ id: number }>;
        const later = await create(); // its events get higher ids and commit at once
        const [laterEvent] = (await s.rt.db.query('SELECT id FROM event WHERE request_id = $1', [later])) as Array<{ id: number }>;
        expect(Number(laterEvent!.id)).toBeGreaterThan(Number(early!.id));
        // what a reader sees now: nothing past the open transaction's line
        const seen = await drain(next);
        expect(seen.events.some((e) => e.requestId === later)).toBe(false);
        // an id cursor would have moved past the open transaction's id already
        const naive = (await s.rt.db.query('SELECT MAX(id) AS m FROM event')) as Array<{ m: number }>;
        expect(Number(naive[0]!.m)).toBeGreaterThan(Number(early!.id));
        await slow.query('COMMIT');
        const after = await drain(seen.next);
        const order = after.events.map((e) => e.data ?? e.type);
        expect(order[0]).toBe('written first, committed last');
        expect(after.events.some((e) => e.requestId === later)).toBe(true);
      } finally {
        await slow.query('ROLLBACK').catch(() => undefined);
        await slow.end();
      }
    });

  test('segl api-token add prints a token once; list never shows it; revoke stops it; bad input adds nothing', async () => {
    const env = {
      PATH: process.env.PATH,
      HOME: process.env.HOME,
      DATA_DIR: s.dataDir,
      LOG_LEVEL: 'warn',
      ...(s.rt.config.databaseUrl ? { DATABASE_URL: s.rt.config.databaseUrl } : {}),
    };
    const segl = (...args: string[]) => runSegl(env, ...args);
    const added = await segl('api-token', 'add', 'demo', 'from the CLI', '--expires', '30d');
    expect(added.code).toBe(0);
    const [, id, token] = /token (tok_[0-9a-f]{16}) for demo \(from the CLI\), expires \S+:\n(segl_\S+)\n/.exec(added.stdout)!;
    expect(added.stderr).toMatch(/Keep it now/);
    expect((await get(feed(), `Bearer ${token}`)).status).toBe(200);
    const listed = await segl('api-token', 'list', 'demo');
    expect(listed.stdout).toMatch(new RegExp(`${id}  demo  from the CLI  active  created \\S+  expires \\S+  last used 20`));
    expect(listed.stdout).not.toContain(token!);
    const before = await tokens.list();
    for (const bad of [
      ['api-token', 'add', 'demo', 'x', '--expires', 'tomorrow'],
      ['api-token', 'add', 'nobody', 'x'],
      ['api-token', 'revoke', 'other', id!],
    ]) {
      const r = await segl(...bad);
      expect(r.code).not.toBe(0);
      expect(r.stderr).toMatch(/--expires "tomorrow"|no service "nobody"|has no active token/);
    }
    expect(await tokens.list()).toEqual(before);
    expect((await segl('api-token', 'revoke', 'demo', id!)).stdout).toBe(`token ${id} of demo revoked\n`);
    expect((await get(feed(), `Bearer ${token}`)).status).toBe(401);
  });

  test('deleting a service removes its tokens', async () => {
    await s.rt.services.create('brief', 'brief-password-1');
    await tokens.create('brief', 'one');
    expect((await tokens.list('brief')).length).toBe(1);
    await s.rt.services.delete('brief');
    expect(await tokens.list('brief')).toEqual([]);
  });
});

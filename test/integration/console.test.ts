// The console's parts below the browser, on each database: the service-scoped queries of
// store/consolequeries.ts (another service's rows never come back), the session's idle expiry in Redis
// (renewed by use, gone after the idle time), and the Secure flag on the cookies when PUBLIC_URL is https.
import { createHash } from 'node:crypto';
import { unlinkSync } from 'node:fs';
import { ConsoleSessions } from '../../src/console/session';
import { ConsoleQueries } from '../../src/store/consolequeries';
import { blobFiles } from '../support/blobs';
import { envelope, NS, post } from '../support/soap';
import { databases, startServer, type TestServer } from '../support/server';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe.each(databases())('console queries and session (%s)', (db) => {
  let s: TestServer;
  /** where the server listens (PUBLIC_URL names the https front a proxy would have) */
  let local: string;
  const ids: Record<string, string> = {};

  async function create(service: string, password: string, reference: string): Promise<string> {
    const doc = `<document xsi:type="provided-document" id="d" mime-type="text/plain"><data>${Buffer.from('x').toString('base64')}</data><description>d</description></document>`;
    const task = '<task id="t1"><document-action type="sign"><document-ref>d</document-ref></document-action></task>';
    const r = await post(
      `${local}/ws/documentservice-v3`,
      envelope(
        `<create-request-request xmlns="${NS}"><service>${service}</service><password>${password}</password><request>${doc}${task}<client-reference>${reference}</client-reference></request></create-request-request>`,
      ),
    );
    const id = /<request-id>([^<]+)</.exec(r.text)?.[1];
    if (!id) throw new Error(r.text);
    return id;
  }

  beforeAll(async () => {
    s = await startServer(db, { PUBLIC_URL: 'https://segl.example.test' });
    local = `http://127.0.0.1:${(s.rt.server!.address() as { port: number }).port}`;
    await s.rt.services.create('other', 'other-password-1');
    for (const ref of ['a-1', 'a-2', 'a-3']) ids[ref] = await create('demo', s.demoPassword, ref);
    ids.theirs = await create('other', 'other-password-1', 'a-1');
    const demo = (await s.rt.services.find('demo'))!;
    await s.rt.documents.requests.deleteRequest(demo, [ids['a-2']!]);
  }, 60_000);
  afterAll(async () => {
    await s?.stop();
  });

  test('requests: this service only, newest first, paged, by status and by client reference; counts by state', async () => {
    const q = new ConsoleQueries(s.rt.db);
    const demo = (await s.rt.services.find('demo'))!;
    const all = await q.requests(demo.id, { offset: 0, limit: 2 });
    expect(all.total).toBe(3);
    expect(all.rows.map((r) => r.id)).toEqual([ids['a-3'], ids['a-2']]);
    expect(all.rows[1]!.deleted).toBe(true);
    expect((await q.requests(demo.id, { offset: 2, limit: 2 })).rows.map((r) => r.id)).toEqual([ids['a-1']]);
    const withdrawn = await q.requests(demo.id, { status: 'deleted', offset: 0, limit: 10 });
    expect(withdrawn.rows.map((r) => [r.id, r.tasks])).toEqual([[ids['a-2'], [{ taskId: 't1', status: 'deleted' }]]]);
    const byRef = await q.requests(demo.id, { clientReference: 'a-1', offset: 0, limit: 10 });
    expect(byRef.rows.map((r) => r.id)).toEqual([ids['a-1']]);
    expect(await q.taskCounts(demo.id)).toEqual({ created: 2, completed: 0, rejected: 0, expired: 0, deleted: 1, failed: 0 });
    // another service's request: not in the history or packages of this one
    expect(await q.history(demo.id, ids.theirs!)).toEqual([]);
    expect((await q.history(demo.id, ids['a-2']!)).map((e) => e.event)).toContain('document-deleted');
  });

  test('a session lasts while used and ends after the idle time', async () => {
    const sessions = new ConsoleSessions(s.rt.redis, s.rt.config.notify.queuePrefix, 1_000);
    const id = await sessions.open({ serviceId: 1, service: 'demo', isPublic: false, role: 'manager', actor: 'demo' });
    for (let i = 0; i < 3; i++) {
      await sleep(600);
      expect((await sessions.use(id))?.service).toBe('demo');
    }
    await sleep(1_300);
    expect(await sessions.use(id)).toBeUndefined();
    expect(await sessions.use('not-a-session')).toBeUndefined();
  }, 20_000);

  test('over https the cookies are Secure, HttpOnly and SameSite=Strict', async () => {
    const r = await fetch(`${local}/console`);
    const cookie = r.headers.get('set-cookie')!;
    expect(r.headers.get('content-security-policy')).toContain("script-src 'none'");
    expect(cookie).toMatch(/^segl_console_login=[\w-]+; Path=\/console; HttpOnly; SameSite=Strict; Secure$/);
  });

  test('a download whose blob store fails mid-way ends that response and nothing else (the server answers on)', async () => {
    const demo = (await s.rt.services.find('demo'))!;
    const sessions = new ConsoleSessions(s.rt.redis, s.rt.config.notify.queuePrefix);
    const id = await sessions.open({ serviceId: demo.id, service: 'demo', isPublic: false, role: 'manager', actor: 'demo' });
    const url = `${local}/console/requests/${ids['a-1']!}/tasks/t1/documents/d/original`;
    const get = () => fetch(url, { headers: { cookie: `segl_console=${id}` } }).then(async (r) => [r.status, await r.text()]);
    expect(await get()).toEqual([200, 'x']);
    // the document's blob is gone from the store (a disk fault): the response breaks off, and is logged
    const sha = createHash('sha256').update('x').digest('hex');
    for (const f of blobFiles(s.dataDir).filter((b) => b.endsWith(sha))) unlinkSync(f);
    await expect(get()).rejects.toThrow();
    expect((await fetch(`${local}/healthz`)).status).toBe(200);
  });
});

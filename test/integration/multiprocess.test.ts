// Many processes, one truth (issue 13 item 4): two `segl api` and two `segl worker` processes from
// the built CLI on one database (PostgreSQL when it answers, else SQLite — said at the start), one
// Redis and one blob store. 200 requests with two signers each are signed through the portal over
// HTTP, spread over both APIs, with a URL callback per completed task; a third of the way in one API
// and one worker are SIGKILLed and started again. Then: every task completed and sealed exactly
// once, every result downloadable with the SHA-256 its row names (no blob lost), every callback
// delivered, a delivery called twice only when its first call was already made at the kill, each
// request's PAdES (a packaging task over both signatures) made once and downloadable, and no row
// duplicated.
import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { DataSource } from 'typeorm';
import { loadConfig } from '../../src/config';
import type { ServiceAccount } from '../../src/core/ports';
import { ensureRedis, type RedisHandle } from '../../src/queue/redis';
import { startRuntime, type Runtime } from '../../src/runtime';
import { spawnSegl, type SeglProcess } from '../support/cli';
import { prepareSigning, pageText, type PortalSigner } from '../support/portalflow';
import { eventually, startReceiver, type Call, type Receiver } from '../support/receiver';
import { localPortsTo, stopProcess } from '../support/sockets';
import { databases, freshPgDatabase } from '../support/server';
import { createRequestXml } from '../support/soap';

const REQUESTS = Number(process.env.SEGL_TEST_MULTI_REQUESTS ?? 200);
const USERS = 24;
const FLOWS = 6; // portal flows at once
const PASSWORD = 'demo-password-1';
const db = databases().includes('postgres') ? 'postgres' : 'sqlite';

describe(`many processes, one truth: 2 × segl api + 2 × segl worker on ${db}, Redis and a shared blob store`, () => {
  const dataDir = mkdtempSync(path.join(os.tmpdir(), 'segl-multi-'));
  let pg: { url: string; drop: () => Promise<void> } | undefined;
  let redis: RedisHandle;
  let rx: Receiver;
  let observer: Runtime;
  let env: NodeJS.ProcessEnv;
  const apis: Array<SeglProcess | undefined> = [undefined, undefined];
  const workers: Array<SeglProcess | undefined> = [undefined, undefined];
  const all: SeglProcess[] = [];

  beforeAll(async () => {
    process.stdout.write(
      db === 'postgres'
        ? '\n[multiprocess] on PostgreSQL\n'
        : '\n[multiprocess] PostgreSQL does not answer: the processes share one SQLite file instead\n',
    );
    if (db === 'postgres') pg = await freshPgDatabase();
    redis = await ensureRedis(undefined, mkdtempSync(path.join(os.tmpdir(), 'segl-multi-redis-')));
    rx = await startReceiver();
    env = {
      DATA_DIR: dataDir,
      HOST: '127.0.0.1',
      PORT: '0',
      LOG_LEVEL: 'info',
      REDIS_URL: redis.url,
      SEGL_QUEUE_PREFIX: `segl-multi-${process.pid}`,
      SEGL_SECRET: randomBytes(32).toString('base64'),
      SEGL_DEMO_PASSWORD: PASSWORD,
      SEGL_TEST_EID: '1',
      SEGL_CALLBACK_ALLOW: `127.0.0.1:${rx.port}`,
      SEGL_CALLBACK_RETRY_SCHEDULE: '1s,1s,2s,5s',
      SEGL_JOB_LOCK: '2s',
      SEGL_RELAY_LEASE: '2s',
      ...(pg ? { DATABASE_URL: pg.url } : {}),
    };
    // The observer: a segl runtime in this process on the same database and secret, for the test
    // eID's key cards and for getStatus/history (no HTTP, no workers). It makes the test PKI first,
    // so the processes find it rather than race to create it.
    observer = await startRuntime(loadConfig({ ...env, LOG_LEVEL: 'silent' } as Record<string, string>), { http: false, worker: false });
    await observer.ca();
    for (const i of [0, 1]) {
      apis[i] = await spawnSegl('api', env);
      workers[i] = await spawnSegl('worker', env, /segl worker started/);
    }
    all.push(...(apis as SeglProcess[]), ...(workers as SeglProcess[]));
  }, 180_000);

  afterAll(async () => {
    for (const p of all) if (p.proc.exitCode === null && p.proc.signalCode === null) p.proc.kill('SIGKILL');
    await Promise.all(all.map((p) => p.exit));
    await observer?.close();
    await rx?.close();
    await redis?.stop();
    await pg?.drop();
    rmSync(dataDir, { recursive: true, force: true });
  });

  test('200 requests × 2 signers through signing, sealing and callbacks while an API and a worker are killed', async () => {
    const svc: ServiceAccount = (await observer.services.find('demo'))!;
    const testid = observer.testid!;
    const users: PortalSigner[] = [];
    for (let i = 0; i < USERS; i++) {
      const d = { ...testid.autofill(), alias: `multi-${i}`, password: `multi-password-${i}` };
      await testid.createUser(d);
      users.push({ alias: d.alias, password: d.password, cpr: d.cpr });
    }

    // createRequest through both APIs, alternately
    const requests: Array<{ ref: string; requestId: string; signers: [PortalSigner, PortalSigner] }> = [];
    for (let i = 0; i < REQUESTS; i++) {
      const signers: [PortalSigner, PortalSigner] = [users[(2 * i) % USERS]!, users[(2 * i + 1) % USERS]!];
      const ref = `multi-${i}`;
      const task = (id: string, u: PortalSigner) =>
        `<task id="${id}"><subject><national-id>${u.cpr}</national-id></subject>` +
        `<document-action type="sign"><document-ref>d</document-ref></document-action>` +
        '<authentication><method>nemid</method></authentication><signature><method>nemid-sign</method></signature>' +
        `<notification type="URL" notification-id="cb-${id}"><recipient>${rx.base}/cb/${ref}/${id}</recipient><message>m</message>` +
        '<schedule><state-is>completed</state-is></schedule></notification></task>';
      const body =
        `<document xsi:type="provided-document" id="d" mime-type="text/plain"><description>Agreement ${i}</description>` +
        `<data>${Buffer.from(`Agreement number ${i}: the parties agree.\n`).toString('base64')}</data></document>` +
        `${task('t1', signers[0])}${task('t2', signers[1])}` +
        // one PAdES of both signers' LTV-SDOs, made by a worker once both tasks are sealed
        '<packaging-task packaging-task-id="p1" method="pades"><packaging-task-document task-id="t1" document-id="d"/>' +
        '<packaging-task-document task-id="t2" document-id="d"/></packaging-task>' +
        `<client-reference>${ref}</client-reference>`;
      const requestId = await createRequestXml(`${apis[i % 2]!.url}/ws/documentservice-v3`, 'demo', PASSWORD, body);
      requests.push({ ref, requestId, signers });
    }

    const status = async (requestId: string, taskId: string) =>
      (await observer.documents.requests.getStatus(svc, [requestId])).find((t) => t.taskId === taskId);

    // Sign every task through the portal, FLOWS at a time, spread over the live APIs. A flow cut
    // off by the kill is started again on an API that answers, unless the task got completed.
    const jobs = requests.flatMap((r) => (['t1', 't2'] as const).map((taskId, k) => ({ ...r, taskId, signer: r.signers[k]! })));
    let next = 0;
    let signed = 0;
    let killAt = 0;
    let inFlight = new Set<number>();
    let restarted: Promise<void> | undefined;
    const retried: string[] = [];
    const signOne = async (j: (typeof jobs)[number], attempt: number): Promise<void> => {
      const live = apis.filter((a): a is SeglProcess => !!a && a.proc.exitCode === null && a.proc.signalCode === null);
      const api = live[(next + attempt) % live.length]!;
      try {
        const flow = await prepareSigning(api.url, testid, j.signer, {
          service: 'demo',
          requestId: j.requestId,
          taskId: j.taskId,
          documents: ['d'],
        });
        const a = await flow.browser.request('POST', ...flow.confirm);
        if (a.status !== 200 && a.status !== 303) throw new Error(`sign/confirm answered ${a.status}: ${pageText(a.html)}`);
      } catch (e) {
        if ((await status(j.requestId, j.taskId))?.taskStatus === 'completed') return;
        if (attempt >= 5) throw e;
        retried.push(`${j.ref}/${j.taskId}: ${(e as Error).message.slice(0, 120)}`);
        await new Promise((r) => setTimeout(r, 500));
        return signOne(j, attempt + 1);
      }
    };
    const lane = async () => {
      while (next < jobs.length) {
        const j = jobs[next++]!;
        await signOne(j, 0);
        if (++signed === Math.floor(jobs.length / 3)) {
          // one API and one worker die without warning, mid-batch; both come back a second later
          // the worker is stopped first, so the connections it holds to the receiver can be read: a call
          // on one of them that arrives after the kill was made before it (in flight), not after
          stopProcess(workers[0]!.proc.pid!);
          inFlight = localPortsTo(workers[0]!.proc.pid!, rx.port);
          killAt = Date.now();
          apis[0]!.proc.kill('SIGKILL');
          workers[0]!.proc.kill('SIGKILL');
          restarted = (async () => {
            await Promise.all([apis[0]!.exit, workers[0]!.exit]);
            apis[0] = undefined;
            await new Promise((r) => setTimeout(r, 1000));
            const [api, worker] = await Promise.all([spawnSegl('api', env), spawnSegl('worker', env, /segl worker started/)]);
            all.push(api, worker);
            apis[0] = api;
            workers[0] = worker;
          })();
        }
      }
    };
    await Promise.all(Array.from({ length: FLOWS }, lane));
    await restarted;
    expect(killAt).toBeGreaterThan(0);
    process.stdout.write(`[multiprocess] the killed worker held ${inFlight.size} connection(s) to the receiver\n`);

    // every task completed (sealed: its result is there), every callback delivered
    await eventually(
      async () => {
        for (const r of requests)
          for (const t of ['t1', 't2']) if ((await status(r.requestId, t))?.taskStatus !== 'completed') return false;
        return true;
      },
      180_000,
      'every task completed',
    );
    const packaged = async () =>
      observer.documents.requests.getPackagingTaskStatus(
        svc,
        requests.map((r) => r.requestId),
      );
    await eventually(
      async () => (await packaged()).every((p) => p.packagingTaskStatus === 'completed'),
      180_000,
      'every packaging task completed',
    );
    const deliveryIds = () => new Set(rx.calls.filter((c) => c.status === 200).map((c) => String(c.headers['x-segl-delivery-id'])));
    await eventually(async () => deliveryIds().size >= jobs.length, 120_000, `${jobs.length} callbacks delivered`);
    await new Promise((r) => setTimeout(r, 3000)); // anything still to go out twice would go out now

    // callbacks: one per completed task, each to its own URL; repeats only of calls made before the kill
    const byDelivery = new Map<string, Call[]>();
    for (const c of rx.calls) {
      const id = String(c.headers['x-segl-delivery-id']);
      byDelivery.set(id, [...(byDelivery.get(id) ?? []), c]);
    }
    expect(byDelivery.size).toBe(jobs.length);
    const paths = new Set(rx.calls.map((c) => c.url.pathname));
    expect(paths.size).toBe(jobs.length);
    // a repeat is excused when the first call was made before the kill: it arrived before, or it came
    // over a connection the killed worker held (made before it died, read by the receiver after)
    const madeBeforeKill = (c: Call) => c.at <= killAt || inFlight.has(c.remotePort ?? -1);
    const lateRepeats = [...byDelivery]
      .filter(([, calls]) => calls.length > 1 && !madeBeforeKill(calls[0]!))
      .map(([id, calls]) => [id, calls.map((c) => ({ at: c.at, port: c.remotePort }))] as const);
    if (lateRepeats.length) {
      // what each process logged about those deliveries (the workers log every settle at info)
      const said = lateRepeats.flatMap(([id]) =>
        all.flatMap((p, k) =>
          p
            .out()
            .split('\n')
            .filter((l) => l.includes(id))
            .map((l) => `process ${k}: ${l.slice(0, 400)}`),
        ),
      );
      process.stdout.write(`[multiprocess] killed at ${killAt}; late repeats ${JSON.stringify(lateRepeats)}\n${said.join('\n')}\n`);
    }
    expect(lateRepeats).toEqual([]);

    // every task sealed once: one document-signed and one task-completed event, one result with its blob
    // (and one request-level task-completed per request, "all tasks of the request are completed")
    const ds = (observer as unknown as { db: DataSource }).db;
    const twice = await ds.query(
      `SELECT request_id, task_id, type, COUNT(*) AS n FROM event WHERE type IN ('document-signed', 'task-completed')
       GROUP BY request_id, task_id, type HAVING COUNT(*) > 1`,
    );
    expect(twice).toEqual([]);
    const counts = await ds.query(
      `SELECT type, COUNT(*) AS n FROM event WHERE type IN ('document-signed', 'task-completed') AND task_id IS NOT NULL GROUP BY type`,
    );
    expect(Object.fromEntries(counts.map((r: { type: string; n: string | number }) => [r.type, Number(r.n)]))).toEqual({
      'document-signed': jobs.length,
      'task-completed': jobs.length,
    });
    const requestDone = await ds.query(`SELECT COUNT(*) AS n FROM event WHERE type = 'task-completed' AND task_id IS NULL`);
    expect(Number(requestDone[0].n)).toBe(REQUESTS);
    const outboxTwice = await ds.query(`SELECT delivery_id FROM outbox GROUP BY delivery_id HAVING COUNT(*) > 1`);
    expect(outboxTwice).toEqual([]);

    // no blob lost: each result downloads (through either API) with the SHA-256 its row names
    const results: Array<{ request_id: string; task_id: string; result_blob_key: string; result_sha256: string }> = await ds.query(
      `SELECT request_id, task_id, result_blob_key, result_sha256 FROM task_document WHERE action_type = 'sign'`,
    );
    expect(results).toHaveLength(jobs.length);
    const auth = `Basic ${Buffer.from(`demo:${PASSWORD}`).toString('base64')}`;
    for (const [i, r] of results.entries()) {
      expect(r.result_blob_key).toBeTruthy();
      const st = await status(r.request_id, r.task_id);
      const uri = st!.documentStatus![0]!.resultUri!;
      const res = await fetch(uri.replace(/^https?:\/\/[^/]+/, apis[i % 2]!.url), { headers: { authorization: auth } });
      expect(res.status).toBe(200);
      expect(
        createHash('sha256')
          .update(Buffer.from(await res.arrayBuffer()))
          .digest('hex'),
      ).toBe(r.result_sha256);
    }
    // each request's PAdES: made once, downloadable, a PDF with both signatures' SDOs attached
    const made = await ds.query(`SELECT COUNT(*) AS n FROM packaging_task WHERE status = 'completed' AND result_blob_key IS NOT NULL`);
    expect(Number(made[0].n)).toBe(REQUESTS);
    for (const [i, p] of (await packaged()).entries()) {
      const uri = p.packagingDocumentStatus![0]!.resultUri!;
      const res = await fetch(uri.replace(/^https?:\/\/[^/]+/, apis[i % 2]!.url), { headers: { authorization: auth } });
      expect([res.status, res.headers.get('content-type')]).toEqual([200, 'application/x-pades']);
      expect(
        Buffer.from(await res.arrayBuffer())
          .subarray(0, 5)
          .toString(),
      ).toBe('%PDF-');
    }
    if (retried.length) process.stdout.write(`[multiprocess] flows started again after the kill: ${retried.length}\n`);
  }, 900_000);
});

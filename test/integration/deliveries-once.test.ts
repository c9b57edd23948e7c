// Each delivery is sent once unless it was in flight (issue 13 item 3): `segl api` and `segl worker`
// as separate processes (the built CLI, bin/segl.js → dist/), 400 URL callbacks, the worker killed
// with SIGKILL mid-batch, the queue's keys deleted from Redis (only this test's prefix), two workers
// started again, one of them then given no CPU for 3 s (SIGSTOP … SIGCONT: a busy event loop on a
// loaded machine right after the restart), so that BullMQ's stalled-job check hands its running jobs
// to the other. Every delivery must arrive, and none whose first call came after the restart may be
// called twice (the calls in flight at the kill may be repeated: the delivery id stays the same).
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import Redis from 'ioredis';
import type { DataSource } from 'typeorm';
import { openDatabase } from '../../src/store/datasource';
import { OutboxRepository } from '../../src/store/outbox';
import { eventually } from '../support/receiver';
import { databases, freshPgDatabase } from '../support/server';
import { envelope, NS, post, REPO } from '../support/soap';

const BIN = path.join(REPO, 'bin', 'segl.js');
const COUNT = 400;
const PER_CALL = 20;
// PostgreSQL is where the repeats were seen; without it the same runs on SQLite (one file, both processes).
const DB = databases().includes('postgres') ? 'postgres' : 'sqlite';

interface Proc {
  proc: ChildProcess;
  out: () => string;
  exit: Promise<void>;
}

function run(mode: 'api' | 'worker', env: NodeJS.ProcessEnv): Proc {
  const proc = spawn(process.execPath, [BIN, mode], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  proc.stdout!.setEncoding('utf8').on('data', (s: string) => (out += s));
  proc.stderr!.setEncoding('utf8').on('data', (s: string) => (out += s));
  const exit = new Promise<void>((resolve) => proc.once('exit', () => resolve()));
  return { proc, out: () => out, exit };
}

async function stop(p: Proc | undefined): Promise<void> {
  if (!p || p.proc.exitCode !== null || p.proc.signalCode !== null) return;
  p.proc.kill('SIGTERM');
  await Promise.race([p.exit, new Promise((r) => setTimeout(r, 12_000))]);
  if (p.proc.exitCode === null && p.proc.signalCode === null) p.proc.kill('SIGKILL');
}

/** A callback receiver that answers 200 after 20–120 ms and notes when each delivery id was called. */
async function slowReceiver(): Promise<{ base: string; calls: Map<string, number[]>; total: () => number; close(): Promise<void> }> {
  const calls = new Map<string, number[]>();
  let total = 0;
  const server = http.createServer((req, res) => {
    const id = String(req.headers['x-segl-delivery-id'] ?? '');
    const list = calls.get(id) ?? [];
    list.push(Date.now());
    calls.set(id, list);
    total++;
    setTimeout(() => res.writeHead(200).end('ok'), 20 + Math.floor(Math.random() * 100));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    base: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    calls,
    total: () => total,
    close: async () => {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

const doc = `<document xsi:type="provided-document" id="d" mime-type="text/plain"><description>x</description><data>${Buffer.from('x').toString('base64')}</data></document>`;
const oneRequest = (url: string) =>
  `<request>${doc}<task id="t1"><document-action type="sign"><document-ref>d</document-ref></document-action>` +
  `<notification type="URL" notification-id="cb"><recipient>${url}</recipient><message>x</message></notification></task></request>`;

describe(`each delivery sent once: segl api + segl worker on ${DB}, worker killed mid-batch, Redis emptied`, () => {
  const prefix = `segl-once-${process.pid}-${Math.random().toString(36).slice(2, 8)}`;
  const dataDir = mkdtempSync(path.join(os.tmpdir(), 'segl-once-'));
  let pg: { url: string; drop: () => Promise<void> } | undefined;
  let api: Proc | undefined;
  const workers: Proc[] = [];
  let rx: Awaited<ReturnType<typeof slowReceiver>>;
  let db: DataSource | undefined;
  let redis: Redis | undefined;

  beforeAll(async () => {
    rx = await slowReceiver();
    if (DB === 'postgres') pg = await freshPgDatabase();
    else process.stdout.write('[deliveries-once] PostgreSQL does not answer: api and worker share one SQLite file instead\n');
  });
  afterAll(async () => {
    for (const w of workers) {
      if (w.proc.exitCode === null) w.proc.kill('SIGCONT');
      await stop(w);
    }
    if (redis) {
      const keys = await redis.keys(`${prefix}:*`).catch(() => []);
      if (keys.length) await redis.del(...keys).catch(() => undefined);
      redis.disconnect();
    }
    await stop(api);
    await db?.destroy();
    await rx?.close();
    await pg?.drop();
    rmSync(dataDir, { recursive: true, force: true });
  });

  test('every delivery arrives, and none first called after the restart is called twice', async () => {
    const env: NodeJS.ProcessEnv = {
      ...process.env,
      DATA_DIR: dataDir,
      PORT: '0',
      HOST: '127.0.0.1',
      LOG_LEVEL: 'debug', // a repeat is told from the processes' own lines (below)
      SEGL_DEMO_PASSWORD: 'demo-password-1',
      SEGL_TEST_EID: '0',
      SEGL_CALLBACK_ALLOW: '127.0.0.1',
      SEGL_QUEUE_PREFIX: prefix,
      SEGL_RELAY_INTERVAL: '100ms',
      SEGL_RELAY_LEASE: '1s',
      SEGL_JOB_LOCK: '2s',
      ...(pg ? { DATABASE_URL: pg.url } : {}),
      ...(process.env.TEST_REDIS_URL ? { REDIS_URL: process.env.TEST_REDIS_URL } : {}),
    };
    if (!process.env.TEST_REDIS_URL) delete env.REDIS_URL; // the api starts a private redis-server; the worker uses it
    api = run('api', env);
    await eventually(
      async () => {
        if (api!.proc.exitCode !== null) throw new Error(`segl api exited:\n${api!.out()}`);
        return /segl is running/.test(api!.out());
      },
      60_000,
      'segl api',
    );
    const url = /segl is running \(preprod\) at (http:\/\/\S+)/.exec(api.out())![1]!.replace('//localhost:', '//127.0.0.1:');
    const redisUrl = process.env.TEST_REDIS_URL ?? /private redis-server at (redis:\/\/\S+)/.exec(api.out())![1]!;
    redis = new Redis(redisUrl, { maxRetriesPerRequest: 1 });
    db = await openDatabase(pg ? { databaseUrl: pg.url, dataDir } : { dataDir });
    const outbox = new OutboxRepository(db);

    // 400 callbacks in the outbox (and queued by the api's relay) before any worker runs
    for (let i = 0; i < COUNT / PER_CALL; i++) {
      const r = await post(
        `${url}/ws/documentservice-v3`,
        envelope(
          `<create-request-request xmlns="${NS}"><service>demo</service><password>demo-password-1</password>` +
            `${Array.from({ length: PER_CALL }, () => oneRequest(`${rx.base}/cb`)).join('')}</create-request-request>`,
        ),
      );
      expect(r.status).toBe(200);
    }
    const workerEnv = { ...env, REDIS_URL: redisUrl };
    const first = run('worker', workerEnv);
    workers.push(first);
    // mid-batch: some delivered, many in flight, most still waiting
    await eventually(async () => rx.total() >= 120, 60_000, 'the first worker calling 120 times');
    first.proc.kill('SIGKILL');
    await first.exit;
    const keys = await redis.keys(`${prefix}:*`);
    expect(keys.length).toBeGreaterThan(0);
    await redis.del(...keys);
    const restartAt = Date.now();
    const paused = run('worker', workerEnv);
    workers.push(paused, run('worker', workerEnv));
    const total = rx.total();
    await eventually(async () => rx.total() >= total + 60, 30_000, 'the restarted workers calling');
    paused.proc.kill('SIGSTOP');
    await new Promise((r) => setTimeout(r, 3000)); // longer than SEGL_JOB_LOCK: its jobs' locks lapse
    paused.proc.kill('SIGCONT');

    await eventually(async () => rx.calls.size >= COUNT, 45_000, `all ${COUNT} deliveries arriving (${rx.calls.size} so far)`);
    await eventually(async () => (await outbox.counts()).delivered === COUNT, 20_000, 'every outbox row delivered');
    await new Promise((r) => setTimeout(r, 1500)); // time for a late repeat to show up

    const ids = [...rx.calls.keys()];
    expect(ids.every((id) => /^d[0-9a-f]{40}$/.test(id))).toBe(true);
    expect(ids).toHaveLength(COUNT);
    const after = ids.filter((id) => rx.calls.get(id)![0]! >= restartAt);
    const repeatedAfter = after.filter((id) => rx.calls.get(id)!.length > 1);
    const inFlight = ids.filter((id) => rx.calls.get(id)![0]! < restartAt && rx.calls.get(id)!.length > 1).length;
    process.stdout.write(
      `[deliveries-once] ${COUNT} delivered; first called after the restart: ${after.length}, of them repeated: ${repeatedAfter.length}; ` +
        `called before the kill and again after it (in flight, excused): ${inFlight}\n`,
    );
    expect(after.length).toBeGreaterThan(0); // the restarted worker did deliver some
    if (repeatedAfter.length) {
      const procs = { api: api!, 'worker 1 (killed)': first, 'worker 2 (paused)': paused, 'worker 3': workers[2]! };
      for (const id of repeatedAfter.slice(0, 3)) {
        const times = rx.calls
          .get(id)!
          .map((t) => `${t - restartAt} ms`)
          .join(', ');
        process.stdout.write(`[deliveries-once] ${id} called at ${times} after the restart; the processes say:\n`);
        for (const [name, p] of Object.entries(procs))
          for (const line of p
            .out()
            .split('\n')
            .filter((l) => l.includes(id)))
            process.stdout.write(`  ${name}: ${line.slice(0, 400)}\n`);
      }
    }
    expect(repeatedAfter.map((id) => `${id} called ${rx.calls.get(id)!.length} times`)).toEqual([]);
  });
});

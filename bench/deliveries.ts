// The deliveries phase: URL callbacks from segl's outbox to a local receiver (bench/receiver.js, its own
// process), against autocannon GETting the same receiver with as many connections as segl has callback
// workers. segl runs in the bench process through startRuntime with its workers in-process, on SQLite
// and (when it answers) PostgreSQL; Redis is REDIS_URL or each runtime's private one.
// - throughput: K requests with one URL notification each are created (core createRequest, 20
//   requests per call) while the relay is stopped and no worker runs, so the outbox holds K pending
//   rows; then the workers start, then the relay, and the receiver's arrivals are timed. Every delivery
//   id must arrive exactly once and every row must end delivered.
// - latency: createRequest at a steady rate (open loop, evenly spaced) with workers and relay running;
//   each delivery is timed from just before its createRequest to its arrival at the receiver.
import { fork, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { Session } from 'node:inspector/promises';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { Client } from 'pg';
import { loadConfig } from '../src/config';
import type { ServiceAccount } from '../src/core/ports';
import type { SigningRequest } from '../src/core/types';
import { verifyWebhook } from '../src/notify/signature';
import { startRuntime, type Runtime } from '../src/runtime';
import { runLoadInChild } from './child';
import { isMeasured, measured, type Goal, type Outcome } from './report';
import type { Arrival, ReceiverCommand, ReceiverMessage } from './receiver';
import { summariseProfile, type SealProfile } from './seal';
import { PASSWORD, PG_URL, type DbKind } from './servers';

export const DELIVERY_TARGET = { perSec: 1000, ratio: 0.3, p50Ms: 50 } as const;

export interface DeliveriesOptions {
  /** requests (one callback each) in the throughput run */
  count: number;
  /** segl's SEGL_WORKER_CONCURRENCY and autocannon's connections */
  concurrency: number;
  /** state changes per second in the latency run, and for how long */
  latencyRate: number;
  latencySeconds: number;
  warmup: number;
  postgres: boolean;
  /** take a CPU profile of the bench process (segl) during each throughput run */
  profile: boolean;
  resultsDir: string;
}

export type ProfileSummary = Pick<SealProfile, 'seconds' | 'topSelf' | 'byModule' | 'other'> & { file: string };

export interface Throughput {
  deliveries: number;
  /** seconds to write the K pending rows (createRequest, 100 per call) */
  fillSeconds: number;
  /** K − 1 deliveries ÷ seconds between the first and the last arrival */
  perSec: number;
  /** K ÷ seconds from starting the relay to the last arrival */
  perSecFromStart: number;
  firstArrivalMs: number;
  lastArrivalMs: number;
  /** from starting the relay until every row is delivered in the database */
  allSettledMs: number;
  distinctIds: number;
  duplicates: number;
  missing: number;
  rowsDelivered: number;
  signatureVerified: boolean;
  /** CPU milliseconds per delivery from starting the relay to the last settle (receiver: to the report) */
  cpuMsPerDelivery: { segl: number; redis: number; receiver: number };
  /** Redis commands per delivery over the same span (INFO commandstats; EVALSHA counts once, not its redis.call()s) */
  redisCommandsPerDelivery: Record<string, number>;
  /** event-loop utilisation of the bench process (segl) over the same span */
  seglEventLoopUtilization: number;
  profile?: ProfileSummary;
}

export interface Latency {
  rate: number;
  seconds: number;
  samples: number;
  /** before createRequest → arrival at the receiver */
  p50Ms: number;
  p90Ms: number;
  p99Ms: number;
  maxMs: number;
  /** the createRequest call itself (validation + commit), for the split */
  createP50Ms: number;
  createP99Ms: number;
  /** after createRequest resolved (committed) → arrival */
  afterCommitP50Ms: number;
  afterCommitP99Ms: number;
  missing: number;
  duplicates: number;
}

export type Side =
  { throughput: Throughput | { failed: string }; latency: Latency | { failed: string } } | { skipped: string } | { failed: string };

export interface DeliveriesMeasurement {
  sqlite: Side;
  postgres: Side;
  baseline: Outcome;
  baselineSeconds: number;
}

interface Ctx {
  log(msg: string): void;
  problems: string[];
}

const now = (): number => performance.timeOrigin + performance.now();
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
const round = (x: number, digits = 1): number => (Number.isFinite(x) ? Number(x.toFixed(digits)) : x);
function percentile(sorted: number[], p: number): number {
  if (!sorted.length) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))]!;
}
export const isThroughput = (t: unknown): t is Throughput => !!t && typeof t === 'object' && 'perSec' in t;
export const isLatency = (t: unknown): t is Latency => !!t && typeof t === 'object' && 'p50Ms' in t;
const hasRuns = (s: Side): s is Extract<Side, { throughput: unknown }> => 'throughput' in s;

// ---------------------------------------------------------------------------------------------
// The receiver child
// ---------------------------------------------------------------------------------------------

interface ReceiverHandle {
  base: string;
  call(c: ReceiverCommand): Promise<ReceiverMessage>;
  /** resolves once `n` callbacks arrived since the last reset */
  expect(n: number, timeoutMs: number): Promise<void>;
  stop(): Promise<void>;
}

const receivers = new Set<ChildProcess>();
/** Stops receiver children still running (the bench was interrupted). */
export function killReceivers(): void {
  for (const c of receivers) if (c.exitCode === null) c.kill('SIGTERM');
}

async function startReceiver(): Promise<ReceiverHandle> {
  const child = fork(path.join(__dirname, 'receiver.js'), [], { stdio: ['ignore', 'ignore', 'inherit', 'ipc'] });
  receivers.add(child);
  child.once('exit', () => receivers.delete(child));
  const replies: Array<(m: ReceiverMessage) => void> = [];
  const reached: Array<() => void> = [];
  let onListening: ((port: number) => void) | undefined;
  child.on('message', (m: ReceiverMessage) => {
    if (m.cmd === 'listening') onListening?.(m.port);
    else if (m.cmd === 'reached') reached.shift()?.();
    else replies.shift()?.(m);
  });
  const port = await new Promise<number>((resolve, reject) => {
    onListening = resolve;
    child.once('exit', (code) => reject(new Error(`receiver exited with ${code} before listening`)));
  });
  return {
    base: `http://127.0.0.1:${port}`,
    call: (c) =>
      new Promise((resolve) => {
        replies.push(resolve);
        child.send(c);
      }),
    expect: (n, timeoutMs) =>
      new Promise((resolve, reject) => {
        const t = setTimeout(
          () => reject(new Error(`the receiver got fewer than ${n} callbacks within ${Math.round(timeoutMs / 1000)} s`)),
          timeoutMs,
        );
        reached.push(() => {
          clearTimeout(t);
          resolve();
        });
        child.send({ cmd: 'expect', n } satisfies ReceiverCommand);
      }),
    stop: async () => {
      if (child.exitCode !== null) return;
      await new Promise<void>((resolve) => {
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
      });
    },
  };
}

async function report(rx: ReceiverHandle): Promise<Extract<ReceiverMessage, { cmd: 'report' }>> {
  const m = await rx.call({ cmd: 'report' });
  if (m.cmd !== 'report') throw new Error(`receiver answered ${m.cmd} to report`);
  return m;
}

// ---------------------------------------------------------------------------------------------
// segl
// ---------------------------------------------------------------------------------------------

interface Segl {
  rt: Runtime;
  svc: ServiceAccount;
  stop(): Promise<void>;
}
const live = new Set<Segl>();
/** Stops runtimes still running (the bench was interrupted). */
export async function stopDeliverySegl(): Promise<void> {
  await Promise.allSettled([...live].map((s) => s.stop()));
}

async function pgAdmin(sql: string): Promise<void> {
  const c = new Client({ connectionString: PG_URL });
  await c.connect();
  try {
    await c.query(sql);
  } finally {
    await c.end();
  }
}

/** segl without HTTP (createRequest through the core), callbacks allowed to 127.0.0.1, workers not yet started. */
async function startDeliverySegl(db: DbKind, concurrency: number): Promise<Segl> {
  const dataDir = mkdtempSync(path.join(os.tmpdir(), 'segl-bench-'));
  const pgName = db === 'postgres' ? `segl_bench_dlv_${process.pid}_${Math.random().toString(36).slice(2, 8)}` : undefined;
  const cleanup = async () => {
    if (pgName) await pgAdmin(`DROP DATABASE IF EXISTS ${pgName} WITH (FORCE)`);
    rmSync(dataDir, { recursive: true, force: true });
  };
  try {
    let databaseUrl: string | undefined;
    if (pgName) {
      await pgAdmin(`CREATE DATABASE ${pgName}`);
      const u = new URL(PG_URL);
      u.pathname = `/${pgName}`;
      databaseUrl = u.toString();
    }
    const cfg = loadConfig({
      PORT: '0',
      HOST: '127.0.0.1',
      DATA_DIR: dataDir,
      LOG_LEVEL: 'silent',
      SEGL_DEMO_PASSWORD: PASSWORD,
      SEGL_CALLBACK_ALLOW: '127.0.0.1',
      SEGL_WORKER_CONCURRENCY: String(concurrency),
      ...(databaseUrl ? { DATABASE_URL: databaseUrl } : {}),
      ...(process.env.REDIS_URL ? { REDIS_URL: process.env.REDIS_URL } : {}),
    });
    const rt = await startRuntime(cfg, { http: false, worker: false });
    const s: Segl = {
      rt,
      svc: (await rt.services.find('demo'))!,
      stop: async () => {
        live.delete(s);
        try {
          await rt.close();
        } finally {
          await cleanup();
        }
      },
    };
    live.add(s);
    return s;
  } catch (e) {
    await cleanup().catch(() => undefined);
    throw e;
  }
}

/** A request with one task and one URL notification on it (sent when the task is created). */
function request(recipient: string): SigningRequest {
  return {
    document: [{ kind: 'provided-document', id: 'd1', mimeType: 'text/plain', description: 'x', data: Buffer.from('abc') }],
    task: [
      {
        id: 't1',
        documentAction: [{ type: 'sign', documentRef: 'd1' }],
        notification: [{ type: 'URL', notificationId: 'cb', recipient, message: 'x' }],
      },
    ],
  };
}

async function outboxRows(rt: Runtime): Promise<Array<{ id: string; status: string }>> {
  const rows = (await rt.db.query('SELECT delivery_id, status FROM outbox')) as Array<{ delivery_id: string; status: string }>;
  return rows.map((r) => ({ id: r.delivery_id, status: r.status }));
}

/** used_cpu_user + used_cpu_sys of the Redis server, ms */
async function redisCpuMs(rt: Runtime): Promise<number> {
  const info = await rt.redis.info('cpu');
  const v = (k: string) => Number(new RegExp(`^${k}:([0-9.]+)`, 'm').exec(info)?.[1] ?? NaN);
  return (v('used_cpu_user') + v('used_cpu_sys')) * 1000;
}

/** calls per command so far (INFO commandstats) */
async function redisCommands(rt: Runtime): Promise<Record<string, number>> {
  const info = await rt.redis.info('commandstats');
  return Object.fromEntries([...info.matchAll(/^cmdstat_([^:]+):calls=(\d+)/gm)].map((m) => [m[1]!, Number(m[2])]));
}

async function profiled<T>(on: boolean, f: () => Promise<T>): Promise<{ value: T; profile?: unknown; seconds: number }> {
  if (!on) return { value: await f(), seconds: 0 };
  const session = new Session();
  session.connect();
  await session.post('Profiler.enable');
  await session.post('Profiler.setSamplingInterval', { interval: 200 });
  await session.post('Profiler.start');
  const t = now();
  try {
    const value = await f();
    const { profile } = await session.post('Profiler.stop');
    return { value, profile, seconds: (now() - t) / 1000 };
  } finally {
    session.disconnect();
  }
}

/** requests per createRequest call while filling the outbox (the most the API takes) */
const CHUNK = 20;

async function throughput(ctx: Ctx, s: Segl, rx: ReceiverHandle, label: string, opts: DeliveriesOptions): Promise<Throughput> {
  const { rt, svc } = s;
  const K = opts.count;
  await rt.relay.stop(); // rows stay pending until the measured run starts the relay
  ctx.log(`${label}: writing ${K} pending callbacks (createRequest, ${CHUNK} requests per call)…`);
  const t0 = now();
  const chunks = Array.from({ length: Math.ceil(K / CHUNK) }, (_, c) => Math.min(CHUNK, K - c * CHUNK));
  for (let i = 0; i < chunks.length; i += 8) {
    await Promise.all(
      chunks.slice(i, i + 8).map((n) =>
        rt.documents.requests.createRequest(
          svc,
          Array.from({ length: n }, () => request(`${rx.base}/cb`)),
        ),
      ),
    );
  }
  const fillSeconds = (now() - t0) / 1000;
  const before = await outboxRows(rt);
  if (before.length !== K || before.some((r) => r.status !== 'pending')) {
    throw new Error(
      `${label}: expected ${K} pending outbox rows, found ${before.length} (${[...new Set(before.map((r) => r.status))].join(', ')})`,
    );
  }
  await rx.call({ cmd: 'reset' });
  await rt.startWorkers();
  ctx.log(`${label}: delivering ${K} callbacks with ${opts.concurrency} workers…`);
  const timeoutMs = Math.max(60_000, K * 20);
  let start = 0;
  let settledAt = 0;
  let seglCpu = { user: 0, system: 0 };
  let redisCpu = 0;
  let elu = 0;
  let commands: Record<string, number> = {};
  const run = await profiled(opts.profile, async () => {
    const arrived = rx.expect(K, timeoutMs);
    const cpu0 = process.cpuUsage();
    const redis0 = await redisCpuMs(rt);
    const cmd0 = await redisCommands(rt);
    const elu0 = performance.eventLoopUtilization();
    start = now();
    rt.relay.start();
    await arrived;
    const deadline = Date.now() + 30_000;
    while ((await rt.outbox.counts()).delivered < K) {
      if (Date.now() > deadline) throw new Error(`${label}: not every row was settled delivered within 30 s of the last arrival`);
      await sleep(10);
    }
    settledAt = now();
    seglCpu = process.cpuUsage(cpu0);
    elu = performance.eventLoopUtilization(elu0).utilization;
    redisCpu = (await redisCpuMs(rt)) - redis0;
    const cmd1 = await redisCommands(rt);
    commands = Object.fromEntries(
      Object.entries(cmd1)
        .map(([k, n]) => [k, round((n - (cmd0[k] ?? 0)) / K, 2)])
        .filter(([, n]) => (n as number) >= 0.01),
    );
  });
  await sleep(500); // time for a duplicate to show up
  const rep = await report(rx);
  const at = rep.arrivals.map((a) => a[2]).sort((a, b) => a - b);
  const byId = new Map<string, number>();
  for (const [id] of rep.arrivals) byId.set(id, (byId.get(id) ?? 0) + 1);
  const after = await outboxRows(rt);
  const missing = after.filter((r) => !byId.has(r.id)).length;
  const duplicates = [...byId.values()].reduce((n, c) => n + c - 1, 0);
  const rowsDelivered = after.filter((r) => r.status === 'delivered').length;
  let signatureVerified = false;
  if (rep.sample) {
    const h = rep.sample.headers;
    const { webhookSecret } = await rt.services.settings('demo');
    signatureVerified = verifyWebhook(
      webhookSecret,
      { id: h['webhook-id']!, timestamp: h['webhook-timestamp']!, signature: h['webhook-signature']! },
      `${rx.base}${rep.sample.url}`,
    );
  }
  if (duplicates) ctx.problems.push(`${label}: ${duplicates} callbacks arrived more than once`);
  if (missing) ctx.problems.push(`${label}: ${missing} deliveries never arrived`);
  if (byId.size !== K) ctx.problems.push(`${label}: ${byId.size} distinct delivery ids arrived, expected ${K}`);
  if (rowsDelivered !== K) ctx.problems.push(`${label}: ${rowsDelivered} of ${K} outbox rows delivered`);
  if (!signatureVerified) ctx.problems.push(`${label}: the sample callback's webhook-signature did not verify`);
  let profile: ProfileSummary | undefined;
  if (run.profile) {
    const file = path.join(opts.resultsDir, `deliveries-${label.includes('PostgreSQL') ? 'postgres' : 'sqlite'}.cpuprofile.json`);
    writeFileSync(file, JSON.stringify(run.profile));
    const sum = summariseProfile(run.profile as Parameters<typeof summariseProfile>[0], path.resolve(__dirname, '..', '..'));
    profile = {
      file: path.relative(process.cwd(), file),
      seconds: round(run.seconds, 2),
      topSelf: sum.topSelf,
      byModule: sum.byModule,
      other: sum.other,
    };
  }
  const first = at[0]! - start;
  const last = at[at.length - 1]! - start;
  return {
    deliveries: K,
    fillSeconds: round(fillSeconds, 2),
    perSec: round((K - 1) / ((last - first) / 1000)),
    perSecFromStart: round(K / (last / 1000)),
    firstArrivalMs: round(first),
    lastArrivalMs: round(last),
    allSettledMs: round(settledAt - start),
    distinctIds: byId.size,
    duplicates,
    missing,
    rowsDelivered,
    signatureVerified,
    cpuMsPerDelivery: {
      segl: round((seglCpu.user + seglCpu.system) / 1000 / K, 3),
      redis: round(redisCpu / K, 3),
      receiver: round(rep.cpuMs / K, 3),
    },
    redisCommandsPerDelivery: commands,
    seglEventLoopUtilization: round(elu, 3),
    ...(profile ? { profile } : {}),
  };
}

async function latency(ctx: Ctx, s: Segl, rx: ReceiverHandle, label: string, opts: DeliveriesOptions): Promise<Latency> {
  const { rt, svc } = s;
  const rate = opts.latencyRate;
  const total = Math.max(1, Math.round(rate * opts.latencySeconds));
  await rt.startWorkers(); // both already running unless the throughput run failed early
  rt.relay.start();
  await rx.call({ cmd: 'reset' });
  ctx.log(`${label}: latency at ${rate} state changes/s for ${opts.latencySeconds} s…`);
  const sent: number[] = new Array(total);
  const committed: number[] = new Array(total);
  const arrived = rx.expect(total, 60_000 + opts.latencySeconds * 1000);
  const begin = now() + 5;
  const inflight: Array<Promise<unknown>> = [];
  for (let i = 0; i < total; i++) {
    const wait = begin + (i * 1000) / rate - now();
    if (wait > 0) await sleep(wait);
    sent[i] = now();
    inflight.push(
      rt.documents.requests.createRequest(svc, [request(`${rx.base}/lat?seq=${i}`)]).then(() => {
        committed[i] = now();
      }),
    );
  }
  await Promise.all(inflight);
  await arrived;
  await sleep(300);
  const rep = await report(rx);
  const seen = new Map<number, number>();
  const lat: number[] = [];
  const afterCommit: number[] = [];
  for (const [, url, at] of rep.arrivals as Arrival[]) {
    const seq = Number(/[?&]seq=(\d+)/.exec(url)?.[1]);
    if (!Number.isInteger(seq) || seq >= total) continue;
    seen.set(seq, (seen.get(seq) ?? 0) + 1);
    lat.push(at - sent[seq]!);
    afterCommit.push(at - committed[seq]!);
  }
  const create = sent.map((t, i) => committed[i]! - t).sort((a, b) => a - b);
  lat.sort((a, b) => a - b);
  afterCommit.sort((a, b) => a - b);
  const duplicates = [...seen.values()].reduce((n, c) => n + c - 1, 0);
  const missing = total - seen.size;
  if (duplicates) ctx.problems.push(`${label} latency: ${duplicates} callbacks arrived more than once`);
  if (missing) ctx.problems.push(`${label} latency: ${missing} callbacks never arrived`);
  return {
    rate,
    seconds: opts.latencySeconds,
    samples: lat.length,
    p50Ms: round(percentile(lat, 50), 2),
    p90Ms: round(percentile(lat, 90), 2),
    p99Ms: round(percentile(lat, 99), 2),
    maxMs: round(lat[lat.length - 1] ?? NaN, 2),
    createP50Ms: round(percentile(create, 50), 2),
    createP99Ms: round(percentile(create, 99), 2),
    afterCommitP50Ms: round(percentile(afterCommit, 50), 2),
    afterCommitP99Ms: round(percentile(afterCommit, 99), 2),
    missing,
    duplicates,
  };
}

async function side(ctx: Ctx, db: DbKind, rx: ReceiverHandle, opts: DeliveriesOptions): Promise<Side> {
  const label = `deliveries (${db === 'sqlite' ? 'SQLite' : 'PostgreSQL'})`;
  const failed = (e: unknown): { failed: string } => {
    const first = ((e as Error).message ?? String(e)).split('\n')[0]!;
    ctx.problems.push(first.startsWith(label) ? first : `${label}: ${first}`);
    ctx.log(`${label} FAILED: ${(e as Error).stack ?? first}`);
    return { failed: first };
  };
  let s: Segl;
  try {
    s = await startDeliverySegl(db, opts.concurrency);
  } catch (e) {
    return failed(e);
  }
  try {
    const t = await throughput(ctx, s, rx, label, opts).catch(failed);
    const l = await latency(ctx, s, rx, label, opts).catch(failed);
    return { throughput: t, latency: l };
  } finally {
    await s.stop();
  }
}

export async function measureDeliveries(ctx: Ctx, opts: DeliveriesOptions): Promise<DeliveriesMeasurement> {
  const rx = await startReceiver();
  try {
    const sqlite = await side(ctx, 'sqlite', rx, opts);
    const postgres: Side = opts.postgres ? await side(ctx, 'postgres', rx, opts) : { skipped: 'skipped: no PostgreSQL' };
    const ran = hasRuns(sqlite) && isThroughput(sqlite.throughput) ? sqlite.throughput.lastArrivalMs / 1000 : 5;
    const baselineSeconds = Math.max(3, Math.ceil(ran));
    ctx.log(`receiver baseline: autocannon GET x ${opts.concurrency} connections, ${opts.warmup} s warm-up + ${baselineSeconds} s…`);
    let baseline: Outcome;
    try {
      await rx.call({ cmd: 'reset' });
      baseline = measured(
        'autocannon → receiver',
        await runLoadInChild({
          title: 'receiver baseline',
          url: `${rx.base}/baseline?requestId=x&taskId=t1`,
          method: 'GET',
          headers: {},
          connections: opts.concurrency,
          duration: baselineSeconds,
          warmup: opts.warmup,
        }),
      );
      if (baseline.non2xx || baseline.errors) ctx.problems.push(`receiver baseline: ${baseline.non2xx} non-2xx, ${baseline.errors} errors`);
    } catch (e) {
      const first = ((e as Error).message ?? String(e)).split('\n')[0]!;
      ctx.problems.push(`receiver baseline: ${first}`);
      baseline = { failed: first };
    }
    return { sqlite, postgres, baseline, baselineSeconds };
  } finally {
    await rx.stop();
  }
}

// ---------------------------------------------------------------------------------------------
// Figures, goals, the result file and the table
// ---------------------------------------------------------------------------------------------

const perSec = (s: Side | undefined): number | null => (s && hasRuns(s) && isThroughput(s.throughput) ? s.throughput.perSec : null);
const p50 = (s: Side | undefined): number | null => (s && hasRuns(s) && isLatency(s.latency) ? s.latency.p50Ms : null);

export function deliveriesRatios(m: DeliveriesMeasurement | undefined): { sqlite: number | null; postgres: number | null } {
  const base = m && isMeasured(m.baseline) && m.baseline.reqPerSec > 0 ? m.baseline.reqPerSec : null;
  const r = (v: number | null) => (v === null || base === null ? null : round(v / base, 3));
  return { sqlite: r(perSec(m?.sqlite)), postgres: r(perSec(m?.postgres)) };
}

export function deliveriesGoals(m: DeliveriesMeasurement | undefined): Goal[] {
  const goal = (name: string, target: string, value: number | null, ok: (v: number) => boolean): Goal => ({
    name,
    target,
    value,
    pass: value === null ? null : ok(value),
  });
  const ratios = deliveriesRatios(m);
  return [
    goal('callbacks/s SQLite', `>= ${DELIVERY_TARGET.perSec}`, perSec(m?.sqlite), (v) => v >= DELIVERY_TARGET.perSec),
    goal('callbacks/s PostgreSQL', `>= ${DELIVERY_TARGET.perSec}`, perSec(m?.postgres), (v) => v >= DELIVERY_TARGET.perSec),
    goal('callbacks ratio SQLite / autocannon', `>= ${DELIVERY_TARGET.ratio}`, ratios.sqlite, (v) => v >= DELIVERY_TARGET.ratio),
    goal('callbacks ratio PostgreSQL / autocannon', `>= ${DELIVERY_TARGET.ratio}`, ratios.postgres, (v) => v >= DELIVERY_TARGET.ratio),
    goal('state change → callback p50 ms SQLite', `< ${DELIVERY_TARGET.p50Ms}`, p50(m?.sqlite), (v) => v < DELIVERY_TARGET.p50Ms),
    goal('state change → callback p50 ms PostgreSQL', `< ${DELIVERY_TARGET.p50Ms}`, p50(m?.postgres), (v) => v < DELIVERY_TARGET.p50Ms),
  ];
}

export function deliveriesDoc(
  m: DeliveriesMeasurement | undefined,
  instead: string | undefined,
  opts: DeliveriesOptions,
): Record<string, unknown> {
  return {
    operation: 'URL callback deliveries',
    ...(instead ? { outcome: instead } : {}),
    setup: {
      segl: 'startRuntime in the bench process (no HTTP; createRequest through rt.documents), workers in-process, LOG_LEVEL silent, SEGL_CALLBACK_ALLOW=127.0.0.1',
      workerConcurrency: opts.concurrency,
      jobs: 'the relay puts up to 50 deliveries of one channel in a BullMQ job; a worker claims them in one statement, sends at most workerConcurrency at a time and settles each on its own (grouped statements)',
      redis: process.env.REDIS_URL ? 'REDIS_URL' : 'a private redis-server per runtime',
      receiver:
        'bench/receiver.js in a child node process: node http.createServer, 200 "ok" to every GET, notes delivery id, URL and arrival time',
      request: 'one provided text/plain document, one task with one URL notification (no schedule: sent when the task is created)',
    },
    throughputMethod:
      `${opts.count} requests created (${CHUNK} per createRequest call, 8 calls at a time) while the relay is stopped and no worker runs, so the outbox holds ${opts.count} pending rows; ` +
      'then the workers start, then the relay (time 0). perSec = (K − 1) ÷ (last arrival − first arrival); perSecFromStart = K ÷ last arrival; ' +
      'allSettledMs = until every row is delivered in the database. Each delivery id must arrive exactly once (500 ms grace for duplicates).',
    latencyMethod:
      `${opts.latencyRate} createRequest/s evenly spaced (open loop) for ${opts.latencySeconds} s with workers and relay running; ` +
      'each callback timed from just before its createRequest call to its arrival (performance.timeOrigin + performance.now() in both processes)',
    baselineMethod:
      'autocannon 8 (bench/load.js in a child) GET at the same receiver, as many connections as segl has callback workers, ' +
      'for as many seconds as the SQLite delivery run took (rounded up, at least 3), after a warm-up',
    ...(m
      ? {
          sqlite: m.sqlite,
          postgres: m.postgres,
          baseline: m.baseline,
          baselineSeconds: m.baselineSeconds,
          ratios: deliveriesRatios(m),
        }
      : {}),
    targets: {
      perSec: `>= ${DELIVERY_TARGET.perSec}`,
      ratio: `>= ${DELIVERY_TARGET.ratio} × autocannon at the receiver`,
      p50Ms: `< ${DELIVERY_TARGET.p50Ms}`,
    },
    goals: deliveriesGoals(m),
  };
}

const pad = (s: string, n: number): string => (s.length >= n ? s : s + ' '.repeat(n - s.length));
const lpad = (s: string, n: number): string => (s.length >= n ? s : ' '.repeat(n - s.length) + s);
const num = (x: number | null | undefined, d = 1): string => (x === null || x === undefined || !Number.isFinite(x) ? '-' : x.toFixed(d));

/** The table's lines for this phase. */
export function deliveriesLines(m: DeliveriesMeasurement | undefined, instead: string | undefined, opts: DeliveriesOptions): string[] {
  const head = `Callback deliveries, ${opts.concurrency} workers / connections, receiver in a child`;
  if (instead || !m) return [head, `  ${instead ?? '-'}`];
  const lines = [`${pad(head, 62)}${lpad('per s', 9)}${lpad('ratio', 8)}${lpad('p50 ms', 9)}${lpad('p99 ms', 9)}`];
  const ratios = deliveriesRatios(m);
  const row = (name: string, s: Side, ratio: number | null): void => {
    if (!hasRuns(s)) {
      lines.push(`  ${pad(name, 60)}${'skipped' in s ? s.skipped : `FAILED: ${s.failed}`}`);
      return;
    }
    const t = s.throughput;
    const l = s.latency;
    lines.push(
      `  ${pad(`${name}, ${opts.count} callbacks`, 60)}${isThroughput(t) ? lpad(num(t.perSec), 9) : `  FAILED: ${t.failed}`}${lpad(num(ratio, 2), 8)}` +
        `${isLatency(l) ? `${lpad(num(l.p50Ms, 1), 9)}${lpad(num(l.p99Ms, 1), 9)}` : `  latency FAILED: ${l.failed}`}`,
    );
  };
  row('segl SQLite', m.sqlite, ratios.sqlite);
  row('segl PostgreSQL', m.postgres, ratios.postgres);
  const b = m.baseline;
  lines.push(
    isMeasured(b)
      ? `  ${pad(`autocannon GET → receiver, ${m.baselineSeconds} s`, 60)}${lpad(num(b.reqPerSec), 9)}${lpad('1.00', 8)}${lpad(num(b.p50Ms, 1), 9)}${lpad(num(b.p99Ms, 1), 9)}`
      : `  ${pad('autocannon GET → receiver', 60)}${'skipped' in b ? b.skipped : `FAILED: ${b.failed}`}`,
  );
  lines.push(`  (p50/p99: state change → callback at ${opts.latencyRate}/s for segl; response time for autocannon)`);
  return lines;
}

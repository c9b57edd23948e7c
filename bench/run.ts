// `npm run bench`: createRequest throughput on segl (SQLite, PostgreSQL) against a bare node-soap echo
// baseline, getStatus latency at a fixed rate, and SDS upload/download throughput of a large PDF against
// a bare node http + fs baseline, and the signing pipeline (native signature → … → seal) on one core
// against openssl's RSA-2048 signs/s, in one run. Servers run in this process; the load comes from child
// processes (bench/load.js, bench/transfer.js); the sealing pipeline runs in its own (bench/seal.js).
// And URL callback deliveries (outbox → relay → BullMQ → workers → a receiver in a child process)
// against autocannon at the same receiver (bench/deliveries.ts). And the portal's final "Sign" (nemid-sign
// confirmation → signed, sealed, task completed) driven over HTTP like a browser (bench/portal.ts).
// And PAdES B-LTA packaging (PadesMaker.make) against qpdf, 3× its input's memory and the RSA ceiling (bench/packaging.ts).
// Results: bench/results/{createrequest,getstatus,sds,sds-blobs,sealing,deliveries,portal,packaging,summary}.json.
// BENCH_ONLY=deliveries,sds (phases: createrequest, getstatus, sds, sds-blobs, sealing, deliveries, portal, packaging) runs only those.
// Exit 0 even when a target is missed; 1 only when something broke (faults, non-2xx, errors, crashes).
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { killLoadChildren, runLoadWhere } from './child';
import {
  deliveriesDoc,
  deliveriesGoals,
  deliveriesLines,
  killReceivers,
  measureDeliveries,
  stopDeliverySegl,
  type DeliveriesOptions,
} from './deliveries';
import { countElements, createRequestEnvelope, expectResponse, firstText, getStatusEnvelope, post, SOAP_HEADERS } from './envelopes';
import type { LoadSpec } from './load';
import { measurePortal, portalDoc, portalGoals, portalLines, stopPortalSegl, type PortalOptions } from './portal';
import { measurePackaging, packagingOptions, removePackagingTemp } from './packaging';
import { killPackChildren } from './pkgchild';
import { packagingDoc, packagingGoals, packagingLines, packagingNotes } from './pkgreport';
import { cpuBusy, environment, isMeasured, measured, table, type Goal, type Outcome } from './report';
import { measureSds, removeSdsTemp, sdsGoals } from './sds';
import { sdsDocOf, sdsTableOf } from './sdsdoc';
import { measureSdsBlobs, sdsBlobsDoc, sdsBlobsGoals, sdsBlobsLines } from './sdsblobs';
import { isSeal, measureSealing, sealingDoc, sealingGoals, sealingTable } from './sealing';
import { PASSWORD, PG_URL, postgresAnswers, SERVICE, startEcho, startSegl, type BenchServer } from './servers';

function intEnv(name: string, fallback: number, min = 1): number {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < min) throw new Error(`${name} must be a whole number ≥ ${min} (got "${raw}")`);
  return n;
}

const SECONDS = intEnv('BENCH_SECONDS', 10);
const WARMUP = intEnv('BENCH_WARMUP', 2, 0);
const CONCURRENCY = intEnv('BENCH_CONNECTIONS', 16);
const STATUS_RATE = 100;
const STATUS_CONNECTIONS = 10;
const INPROCESS = process.env.BENCH_INPROCESS === '1';
/** size of the SDS transfer in MiB; 0 skips the SDS phase */
const SDS_MB = intEnv('BENCH_SDS_MB', 200, 0);
/** measured seconds of the sealing phase; 0 skips it */
const SEAL_SECONDS = intEnv('BENCH_SEAL_SECONDS', 10, 0);
/** seconds of the profiled sealing run after the measured one; 0 takes no profile */
const SEAL_PROFILE_SECONDS = intEnv('BENCH_SEAL_PROFILE_SECONDS', 3, 0);
/** requests (one callback each) in the deliveries throughput run; 0 skips the deliveries phase */
const DELIVERIES = intEnv('BENCH_DELIVERIES', 10_000, 0);
/** timed portal Sign acts per run (sequential, and again in parallel waves); 0 skips the portal phase */
const PORTAL_OPTS: PortalOptions = { count: intEnv('BENCH_PORTAL', 60, 0), parallel: intEnv('BENCH_PORTAL_PARALLEL', 4, 0) };
/** the packaging phase (bench/packaging.ts): BENCH_PACKAGING_REPS=0 skips it */
const PACKAGING_OPTS = packagingOptions(intEnv);
const RESULTS = path.resolve(__dirname, '..', '..', 'bench', 'results');
const PHASES = ['createrequest', 'getstatus', 'sds', 'sds-blobs', 'sealing', 'deliveries', 'portal', 'packaging'] as const;
const ONLY = (process.env.BENCH_ONLY ?? '')
  .split(',')
  .map((x) => x.trim().toLowerCase())
  .filter(Boolean);
for (const p of ONLY)
  if (!(PHASES as readonly string[]).includes(p)) throw new Error(`BENCH_ONLY: unknown phase "${p}" (${PHASES.join(', ')})`);
/** whether BENCH_ONLY (when set) names the phase */
const wanted = (p: (typeof PHASES)[number]): boolean => !ONLY.length || ONLY.includes(p);
const NOT_WANTED = `skipped: BENCH_ONLY=${ONLY.join(',')}`;
const DELIVERY_OPTS: DeliveriesOptions = {
  count: DELIVERIES,
  concurrency: intEnv('BENCH_DELIVERY_WORKERS', 50),
  latencyRate: intEnv('BENCH_DELIVERY_RATE', 50),
  latencySeconds: SECONDS,
  warmup: WARMUP,
  postgres: false,
  profile: process.env.BENCH_DELIVERIES_PROFILE === '1',
  resultsDir: RESULTS,
};

const TARGET = { createSqliteReqPerSec: 300, ratio: 0.5, statusP99Ms: 20 } as const;

/** Things that broke: any makes the exit code 1. */
const problems: string[] = [];
const live = new Set<BenchServer>();

async function withServer<T>(start: () => Promise<BenchServer>, use: (s: BenchServer) => Promise<T>): Promise<T> {
  const s = await start();
  live.add(s);
  try {
    return await use(s);
  } finally {
    live.delete(s);
    await s.stop();
  }
}

function log(msg: string): void {
  process.stderr.write(`[bench] ${msg}\n`);
}

function createSpec(title: string, endpoint: string, body: string): LoadSpec {
  return {
    title,
    url: endpoint,
    method: 'POST',
    headers: { ...SOAP_HEADERS },
    body,
    connections: CONCURRENCY,
    duration: SECONDS,
    warmup: WARMUP,
  };
}

/** Checks a sample answer, then measures createRequest; non-2xx or socket errors are problems. */
async function measureCreate(label: string, s: BenchServer, where: 'child' | 'in-process' = 'child'): Promise<Outcome> {
  const body = createRequestEnvelope(SERVICE, PASSWORD);
  const sample = await post(s.endpoint, body);
  expectResponse(`${label}: sample createRequest`, sample, 'create-request-response');
  if (countElements(sample.body, 'request-id') !== 1)
    throw new Error(`${label}: sample createRequest: expected one request-id\n${sample.body}`);
  log(`${label}: createRequest x ${CONCURRENCY} connections, ${WARMUP} s warm-up + ${SECONDS} s (${where} load)…`);
  const cpu0 = process.cpuUsage();
  const r = measured(label, await runLoadWhere(createSpec(label, s.endpoint, body), where));
  // The server runs in this process and the load in a child: this process's CPU time per answered call
  // (warm-up included) is what one createRequest costs the server, a figure other load on the machine
  // changes far less than req/s. Not with in-process load, where the load generator's CPU is in it too.
  if (where === 'child') {
    const used = process.cpuUsage(cpu0);
    const calls = r.ok2xx + r.non2xx + r.warmup.ok2xx + r.warmup.non2xx;
    if (calls > 0) r.serverCpuMsPerCall = Math.round(((used.user + used.system) / 1000 / calls) * 1000) / 1000;
    log(`${label}: ${String(r.serverCpuMsPerCall)} ms of server CPU per call`);
  }
  if (r.non2xx > 0) problems.push(`${label}: ${r.non2xx} non-2xx createRequest responses (${JSON.stringify(r.statusCodes)})`);
  if (r.errors > 0) problems.push(`${label}: ${r.errors} createRequest socket errors/timeouts`);
  if (r.warmup.non2xx > 0 || r.warmup.errors > 0)
    problems.push(`${label}: warm-up had ${r.warmup.non2xx} non-2xx and ${r.warmup.errors} errors`);
  if (r.ok2xx === 0) problems.push(`${label}: no successful createRequest during the measurement`);
  return r;
}

async function measureStatus(s: BenchServer): Promise<{ burst: Outcome; paced: Outcome }> {
  const created = await post(s.endpoint, createRequestEnvelope(SERVICE, PASSWORD));
  expectResponse('getStatus setup: createRequest', created, 'create-request-response');
  const requestId = firstText(created.body, 'request-id')!;
  const body = getStatusEnvelope(SERVICE, PASSWORD, requestId);
  const sample = await post(s.endpoint, body);
  expectResponse('sample getStatus', sample, 'get-status-response');
  const infos = countElements(sample.body, 'task-status-info');
  if (infos !== 2) throw new Error(`sample getStatus: expected 2 task-status-info, got ${infos}\n${sample.body}`);
  const spec: LoadSpec = {
    title: 'getStatus',
    url: s.endpoint,
    method: 'POST',
    headers: { ...SOAP_HEADERS },
    body,
    connections: STATUS_CONNECTIONS,
    duration: SECONDS,
    warmup: WARMUP,
    overallRate: STATUS_RATE,
  };
  const check = (name: string, r: ReturnType<typeof measured>) => {
    if (r.non2xx > 0) problems.push(`${name}: ${r.non2xx} non-2xx responses (${JSON.stringify(r.statusCodes)})`);
    if (r.errors > 0) problems.push(`${name}: ${r.errors} socket errors/timeouts`);
    if (r.ok2xx === 0) problems.push(`${name}: no successful getStatus during the measurement`);
    return r;
  };
  log(
    `segl (SQLite): getStatus at ${STATUS_RATE} req/s (autocannon overallRate), ${STATUS_CONNECTIONS} connections, ${WARMUP} s warm-up + ${SECONDS} s…`,
  );
  const burst = check('getStatus', measured('segl (SQLite) getStatus, autocannon overallRate', await runLoadWhere(spec, 'child')));
  log(`segl (SQLite): getStatus at ${STATUS_RATE} req/s evenly paced, ${WARMUP} s warm-up + ${SECONDS} s…`);
  const paced = check(
    'getStatus (paced)',
    measured('segl (SQLite) getStatus, evenly paced', await runLoadWhere({ ...spec, engine: 'paced' }, 'child')),
  );
  return { burst, paced };
}

/** Runs one phase; a thrown error is recorded as a problem and the phase's outcome as failed. */
async function phase(name: string, f: () => Promise<Outcome>): Promise<Outcome> {
  try {
    return await f();
  } catch (e) {
    const msg = (e as Error).message ?? String(e);
    const first = msg.split('\n')[0]!;
    problems.push(first.startsWith(name) ? first : `${name}: ${first}`);
    log(`${name} FAILED: ${(e as Error).stack ?? msg}`);
    return { failed: msg.split('\n')[0]! };
  }
}

/**
 * A phase with its own result shape: `skip` (a reason) skips it; a thrown error is recorded as a
 * problem and reported as `FAILED: …` instead of figures.
 */
async function optionalPhase<T>(name: string, skip: string | undefined, f: () => Promise<T>): Promise<{ value?: T; instead?: string }> {
  if (skip) return { instead: skip };
  try {
    return { value: await f() };
  } catch (e) {
    const first = ((e as Error).message ?? String(e)).split('\n')[0]!;
    problems.push(first.startsWith(name) ? first : `${name}: ${first}`);
    log(`${name} FAILED: ${(e as Error).stack ?? first}`);
    return { instead: `FAILED: ${first}` };
  }
}

function ratio(a: Outcome | undefined, b: Outcome | undefined): number | null {
  return isMeasured(a) && isMeasured(b) && b.reqPerSec > 0 ? Number((a.reqPerSec / b.reqPerSec).toFixed(3)) : null;
}

async function main(): Promise<void> {
  mkdirSync(RESULTS, { recursive: true });
  const env = await environment();
  const pgUp = await postgresAnswers();
  log(
    `node ${process.version}, ${String(env.cpuCount)} CPUs; PostgreSQL ${pgUp ? 'answers' : 'does not answer'} at ${PG_URL.replace(/\/\/([^@/]*)@/, '//***@')}`,
  );

  let status: Outcome | undefined;
  let statusPaced: Outcome | undefined;
  let sqliteInProcess: Outcome | undefined;
  const creating = wanted('createrequest');
  if (!wanted('getstatus')) status = statusPaced = { skipped: NOT_WANTED };
  const sqlite =
    creating || wanted('getstatus')
      ? await phase('segl (SQLite)', () =>
          withServer(
            () => startSegl('sqlite'),
            async (s) => {
              const r: Outcome = creating ? await measureCreate('segl (SQLite)', s) : { skipped: NOT_WANTED };
              if (INPROCESS && creating)
                sqliteInProcess = await phase('segl (SQLite), in-process load', () =>
                  measureCreate('segl (SQLite), in-process load', s, 'in-process'),
                );
              if (wanted('getstatus')) {
                try {
                  ({ burst: status, paced: statusPaced } = await measureStatus(s));
                } catch (e) {
                  status = await phase('getStatus (SQLite)', () => Promise.reject(e));
                }
              }
              return r;
            },
          ),
        )
      : { skipped: NOT_WANTED };
  const postgres: Outcome = !creating
    ? { skipped: NOT_WANTED }
    : pgUp
      ? await phase('segl (PostgreSQL)', () =>
          withServer(
            () => startSegl('postgres'),
            (s) => measureCreate('segl (PostgreSQL)', s),
          ),
        )
      : { skipped: 'skipped: no PostgreSQL' };
  let echoInProcess: Outcome | undefined;
  const echo = !creating
    ? { skipped: NOT_WANTED }
    : await phase('echo baseline', () =>
        withServer(startEcho, async (s) => {
          const r = await measureCreate('echo baseline', s);
          if (INPROCESS)
            echoInProcess = await phase('echo baseline, in-process load', () =>
              measureCreate('echo baseline, in-process load', s, 'in-process'),
            );
          return r;
        }),
      );

  const sealOpts = { seconds: SEAL_SECONDS, profileSeconds: SEAL_PROFILE_SECONDS };
  const { value: sds, instead: sdsInstead } = await optionalPhase(
    'SDS',
    !wanted('sds') ? NOT_WANTED : SDS_MB === 0 ? 'skipped: BENCH_SDS_MB=0' : undefined,
    () => measureSds({ withServer, log, problems }, SDS_MB),
  );
  const { value: sdsBlobs, instead: sdsBlobsInstead } = await optionalPhase(
    'sds-blobs',
    !wanted('sds-blobs') ? NOT_WANTED : SDS_MB === 0 ? 'skipped: BENCH_SDS_MB=0' : undefined,
    () => measureSdsBlobs({ withServer, log, problems }, SDS_MB, pgUp),
  );
  const { value: sealing, instead: sealingInstead } = await optionalPhase(
    'sealing',
    !wanted('sealing') ? NOT_WANTED : SEAL_SECONDS === 0 ? 'skipped: BENCH_SEAL_SECONDS=0' : undefined,
    () => measureSealing({ log, problems }, sealOpts),
  );
  const { value: deliveries, instead: deliveriesInstead } = await optionalPhase(
    'deliveries',
    !wanted('deliveries') ? NOT_WANTED : DELIVERIES === 0 ? 'skipped: BENCH_DELIVERIES=0' : undefined,
    () => measureDeliveries({ log, problems }, { ...DELIVERY_OPTS, postgres: pgUp }),
  );
  const { value: portal, instead: portalInstead } = await optionalPhase(
    'portal',
    !wanted('portal') ? NOT_WANTED : PORTAL_OPTS.count === 0 ? 'skipped: BENCH_PORTAL=0' : undefined,
    () => measurePortal({ log, problems }, PORTAL_OPTS),
  );
  const { value: packaging, instead: packagingInstead } = await optionalPhase(
    'packaging',
    !wanted('packaging') ? NOT_WANTED : PACKAGING_OPTS.reps === 0 ? 'skipped: BENCH_PACKAGING_REPS=0' : undefined,
    () => measurePackaging({ log, problems }, PACKAGING_OPTS),
  );
  /** the sealing phase's per-package p50 of this run, beside the portal's */
  const sealingP50 = isSeal(sealing?.segl) ? sealing.segl.measured.p50Ms : null;

  const ratios = { sqlite: ratio(sqlite, echo), postgres: ratio(postgres, echo) };
  const goal = (name: string, target: string, value: number | null, ok: (v: number) => boolean): Goal => ({
    name,
    target,
    value,
    pass: value === null ? null : ok(value),
  });
  const createGoals: Goal[] = [
    goal(
      'createRequest SQLite req/s',
      `>= ${TARGET.createSqliteReqPerSec}`,
      isMeasured(sqlite) ? sqlite.reqPerSec : null,
      (v) => v >= TARGET.createSqliteReqPerSec,
    ),
    goal('ratio SQLite / echo', `>= ${TARGET.ratio}`, ratios.sqlite, (v) => v >= TARGET.ratio),
    goal('ratio PostgreSQL / echo', `>= ${TARGET.ratio}`, ratios.postgres, (v) => v >= TARGET.ratio),
  ];
  const statusGoals: Goal[] = [
    // 100 req/s means one request every 10 ms: the paced sender. autocannon's overallRate sends
    // each connection's quota for the second back to back (a burst of 100), reported beside it.
    goal(
      'getStatus p99 ms (SQLite, 100 req/s paced)',
      `< ${TARGET.statusP99Ms}`,
      isMeasured(statusPaced) ? statusPaced.p99Ms : null,
      (v) => v < TARGET.statusP99Ms,
    ),
    goal(
      'getStatus p99 ms (100-request bursts, info)',
      `< ${TARGET.statusP99Ms}`,
      isMeasured(status) ? status.p99Ms : null,
      (v) => v < TARGET.statusP99Ms,
    ),
  ];
  const sdsGoalList: Goal[] = sdsGoals(sds);
  const sdsBlobsGoalList: Goal[] = sdsBlobsGoals(sdsBlobs);
  const sealingGoalList: Goal[] = sealingGoals(sealing);
  const deliveriesGoalList: Goal[] = deliveriesGoals(deliveries);
  const portalGoalList: Goal[] = portalGoals(portal);
  const packagingGoalList: Goal[] = packagingGoals(packaging);
  const allGoals = [
    ...createGoals,
    ...statusGoals,
    ...sdsGoalList,
    ...sdsBlobsGoalList,
    ...sealingGoalList,
    ...deliveriesGoalList,
    ...portalGoalList,
    ...packagingGoalList,
  ];

  const cpuBusyAfterPercent = await cpuBusy();
  const notes: string[] = [];
  const busy = Math.max(Number(env.cpuBusyBeforeStartPercent), cpuBusyAfterPercent);
  if (busy > 20) notes.push(`the machine was ${busy}% busy with other work before/after the run: figures are pessimistic and noisy`);
  notes.push(...(sealing?.notes ?? []), ...packagingNotes(packaging));
  const common = {
    ...env,
    cpuBusyAfterRunPercent: cpuBusyAfterPercent,
    loadGenerator: 'autocannon 8 in a child node process (servers in the bench process)',
    durationSeconds: SECONDS,
    warmupSeconds: WARMUP,
  };
  const createDoc = {
    ...common,
    operation: 'createRequest',
    concurrency: CONCURRENCY,
    envelopeBytes: Buffer.byteLength(createRequestEnvelope(SERVICE, PASSWORD)),
    targets: { sqlite, postgres },
    baseline: echo,
    ratios,
    ...(INPROCESS ? { inProcessLoad: { sqlite: sqliteInProcess, echo: echoInProcess, ratio: ratio(sqliteInProcess, echoInProcess) } } : {}),
    goals: createGoals,
  };
  const statusDoc = {
    ...common,
    operation: 'getStatus',
    database: 'sqlite',
    overallRate: STATUS_RATE,
    connections: STATUS_CONNECTIONS,
    target: status,
    /** same rate, requests evenly spaced (autocannon sends each connection's quota for a second back to back) */
    paced: statusPaced,
    goals: statusGoals,
  };
  const sdsDoc = sdsDocOf(env, cpuBusyAfterPercent, sds, sdsInstead, SDS_MB, sdsGoalList);
  const sdsBlobsJson = { ...env, cpuBusyAfterRunPercent: cpuBusyAfterPercent, ...sdsBlobsDoc(sdsBlobs, sdsBlobsInstead, sdsBlobsGoalList) };
  const sealingJson = {
    ...env,
    cpuBusyAfterRunPercent: cpuBusyAfterPercent,
    ...sealingDoc(sealing, sealingInstead, sealOpts),
  };
  const deliveriesJson = {
    ...env,
    cpuBusyAfterRunPercent: cpuBusyAfterPercent,
    ...deliveriesDoc(deliveries, deliveriesInstead, { ...DELIVERY_OPTS, postgres: pgUp }),
  };
  const portalJson = {
    ...env,
    cpuBusyAfterRunPercent: cpuBusyAfterPercent,
    ...portalDoc(portal, portalInstead, PORTAL_OPTS, sealingP50),
  };
  const packagingJson = {
    ...env,
    cpuBusyAfterRunPercent: cpuBusyAfterPercent,
    ...packagingDoc(packaging, packagingInstead, PACKAGING_OPTS),
  };
  const ok = problems.length === 0;
  writeFileSync(path.join(RESULTS, 'createrequest.json'), `${JSON.stringify(createDoc, null, 2)}\n`);
  writeFileSync(path.join(RESULTS, 'getstatus.json'), `${JSON.stringify(statusDoc, null, 2)}\n`);
  writeFileSync(path.join(RESULTS, 'sds.json'), `${JSON.stringify(sdsDoc, null, 2)}\n`);
  writeFileSync(path.join(RESULTS, 'sds-blobs.json'), `${JSON.stringify(sdsBlobsJson, null, 2)}\n`);
  writeFileSync(path.join(RESULTS, 'sealing.json'), `${JSON.stringify(sealingJson, null, 2)}\n`);
  writeFileSync(path.join(RESULTS, 'deliveries.json'), `${JSON.stringify(deliveriesJson, null, 2)}\n`);
  writeFileSync(path.join(RESULTS, 'portal.json'), `${JSON.stringify(portalJson, null, 2)}\n`);
  writeFileSync(path.join(RESULTS, 'packaging.json'), `${JSON.stringify(packagingJson, null, 2)}\n`);
  writeFileSync(
    path.join(RESULTS, 'summary.json'),
    `${JSON.stringify(
      {
        ...env,
        ok,
        problems,
        notes,
        createRequest: createDoc,
        getStatus: statusDoc,
        sds: sdsDoc,
        sdsBlobs: sdsBlobsJson,
        sealing: sealingJson,
        deliveries: deliveriesJson,
        portal: portalJson,
        packaging: packagingJson,
        goals: allGoals,
        allGoalsMet: allGoals.every((g) => g.pass !== false),
      },
      null,
      2,
    )}\n`,
  );
  const sdsTable = sdsTableOf(sds, sdsInstead, SDS_MB);

  const rows: Array<{ name: string; outcome: Outcome | undefined }> = [
    { name: 'segl SQLite', outcome: sqlite },
    { name: 'segl PostgreSQL', outcome: postgres },
    { name: 'echo baseline (node soap)', outcome: echo },
  ];
  if (INPROCESS) {
    rows.push(
      { name: 'segl SQLite, in-process load', outcome: sqliteInProcess },
      { name: 'echo, in-process load', outcome: echoInProcess },
    );
  }
  process.stdout.write(
    `\n${table({
      header: `segl bench: node ${process.version}, ${String(env.cpuCount)} CPUs, ${SECONDS} s measured after ${WARMUP} s warm-up, load from a child process`,
      concurrency: CONCURRENCY,
      rows,
      ratios: [
        { name: 'ratio SQLite / echo', value: ratios.sqlite },
        { name: 'ratio PostgreSQL / echo', value: ratios.postgres },
        ...(INPROCESS ? [{ name: 'ratio SQLite / echo, in-process', value: ratio(sqliteInProcess, echoInProcess) }] : []),
      ],
      status: { rate: STATUS_RATE, connections: STATUS_CONNECTIONS, outcome: status, paced: statusPaced },
      sds: sdsTable,
      sdsBlobs: sdsBlobsLines(sdsBlobs, sdsBlobsInstead),
      sealing: sealingTable(sealing, sealingInstead, SEAL_SECONDS),
      deliveries: deliveriesLines(deliveries, deliveriesInstead, DELIVERY_OPTS),
      portal: portalLines(portal, portalInstead, PORTAL_OPTS, sealingP50),
      packaging: packagingLines(packaging, packagingInstead),
      goals: allGoals,
      notes,
      problems,
    })}\n\nResults: ${path.relative(process.cwd(), RESULTS) || RESULTS}/{createrequest,getstatus,sds,sds-blobs,sealing,deliveries,portal,packaging,summary}.json\n`,
  );
  process.exitCode = ok ? 0 : 1;
}

let stopping = false;
async function interrupted(signal: NodeJS.Signals): Promise<void> {
  if (stopping) return;
  stopping = true;
  log(`${signal}: stopping load and servers…`);
  killLoadChildren();
  killReceivers();
  killPackChildren();
  await Promise.allSettled([...live].map((s) => s.stop()));
  await stopDeliverySegl();
  await stopPortalSegl();
  removeSdsTemp();
  removePackagingTemp();
  process.exit(130);
}
process.once('SIGINT', (s) => void interrupted(s));
process.once('SIGTERM', (s) => void interrupted(s));

main().catch(async (e: unknown) => {
  log(`crashed: ${(e as Error).stack ?? String(e)}`);
  killLoadChildren();
  killReceivers();
  killPackChildren();
  await Promise.allSettled([...live].map((s) => s.stop()));
  await stopDeliverySegl();
  await stopPortalSegl();
  removeSdsTemp();
  removePackagingTemp();
  process.exitCode = 1;
});

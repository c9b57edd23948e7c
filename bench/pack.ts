// The packaging worker: segl's PAdES maker (src/packaging/maker.ts PadesMaker.make: every LTV-SDO read and
// verified, the PDF composed, sealed as PAdES B-LTA) run in a child process (`node dist/bench/pack.js`, a PackSpec
// as the first JSON line on stdin, a PackResult as the last JSON line on stdout), so nothing else shares its event
// loop, and a fresh process for the memory run. Modes:
//   prepare     makes the inputs in a directory (bench/pkgsetup.ts): the test PKI, the 100-page PDF and its
//               sealed LTV-SDOs, distinct 1-page PDFs with one SDO each, the large PDF and its SDO;
//   latency     one package from the 100-page PDF's SDOs, made `reps` times one after another (and profiled after);
//   throughput  1-page packages back to back for `seconds`, started by a `go` line so that workers run together;
//   memory      one package from the large PDF's SDO, with peak RSS and per-step memory (bench/pkgsteps.ts).
// @peculiar/x509 (through tsyringe) needs the Reflect polyfill before it loads; src/trust/crypto.ts loads it too late here.
import 'reflect-metadata';
import { readFileSync, statSync, writeFileSync } from 'node:fs';
import { Session } from 'node:inspector/promises';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { createInterface } from 'node:readline';
import type { PackageSource } from '../src/core/packagemaker';
import { PadesMaker } from '../src/packaging/maker';
import type { CryptoKey } from '../src/trust/crypto';
import { FILES, loadPki, prepare, trustFor, type PrepareResult, type PrepareSpec } from './pkgsetup';
import {
  countRsaSigns,
  instrumentSteps,
  peakRss,
  resetPeakRss,
  rssSampler,
  stepTimes,
  type MemoryMark,
  type RsaCounter,
  type StepRecord,
} from './pkgsteps';
import { latencySummary, type LatencySummary } from './report';
import type { SealProfile } from './seal';

export type PackSpec = { title: string; dir: string } & (
  | ({ mode: 'prepare' } & PrepareSpec)
  | { mode: 'latency'; warmup: number; reps: number; profileReps: number }
  | { mode: 'throughput'; warmup: number; seconds: number; worker: number; profileReps: number }
  | { mode: 'memory'; intervalMs: number; diagnose: boolean }
);

/** ms per step, the mean over the packages it covers */
export type Steps = Record<string, number>;
export interface RsaPerPackage {
  /** RSA private-key operations counted in each measured make() */
  min: number;
  max: number;
  mean: number;
  byKeyPerPackage: Record<string, number>;
}

export interface LatencyResult {
  mode: 'latency';
  /** the process's first make(): modules, fonts and JIT cold */
  coldMs: number;
  warmupMs: number[];
  ms: number[];
  summary: LatencySummary;
  /** mean ms per step over the measured makes */
  steps: Steps;
  rsa: RsaPerPackage;
  packageBytes: number;
  cpuCores: number;
  failures: string[];
  profile?: Omit<SealProfile, 'method'>;
}

export interface ThroughputResult {
  mode: 'throughput';
  worker: number;
  /** epoch ms of the first make() after `go`, and of the end of the last one */
  startEpochMs: number;
  endEpochMs: number;
  packages: number;
  summary: LatencySummary;
  steps: Steps;
  rsa: RsaPerPackage;
  cpuCores: number;
  failures: string[];
  /** worker 0 only: makes profiled after the measured run */
  profile?: Omit<SealProfile, 'method'>;
}

/** One part of the big make(): a step (bench/pkgsteps.ts STEPS) or the maker's own code between two steps. */
export interface MemoryPart {
  part: string;
  ms: number;
  /** MB = 2^20 bytes: RSS when the part started (for a step: its own mark; between steps: the previous step's end) */
  rssStartMb: number | null;
  /** the highest RSS sample during the part */
  rssPeakMb: number | null;
  heapUsedStartMb?: number;
  heapUsedEndMb?: number;
  externalEndMb?: number;
  arrayBuffersEndMb?: number;
  /** bytes of the PDF the step returned */
  outBytes?: number;
}

export interface MemoryRun {
  makeMs: number;
  /** RSS just before make() (after gc when available) */
  beforeMb: number;
  /** Linux VmHWM after make(), reset just before it: the exact peak of make() */
  peakMb: number | null;
  /** highest RSS sample during make() (worker-thread sampler) */
  sampledPeakMb: number;
  samples: number;
  afterMb: number;
  /** peakMb (or the sampled peak when VmHWM is not available) − beforeMb */
  growthMb: number;
  parts: MemoryPart[];
}

export interface MemoryResult {
  mode: 'memory';
  input: { pdfBytes: number; sdoBytes: number };
  gcCalled: boolean;
  packageBytes: number;
  /** RSS at the worker's start, before anything was read */
  atStartMb: number;
  sampleIntervalMs: number;
  peakResetWorked: boolean;
  /** process.resourceUsage().maxRSS at the end (the process's whole life, not reset) */
  maxRssMb: number;
  /** the figure: make() as the product runs it */
  measured: MemoryRun;
  /** a second make() with gc() forced before and after every step (diagnostic: what is live vs garbage) */
  diagnostic: MemoryRun | null;
  failures: string[];
}

export type PackResult = PrepareResult | LatencyResult | ThroughputResult | MemoryResult;

const MB = 2 ** 20;
const round = (x: number, d = 1): number => Number(x.toFixed(d));
const mb = (bytes: number): number => round(bytes / MB);
const since = (t: number): number => (performance.now() - t) / 1000;
/** global.gc() twice when node runs with --expose-gc (the memory worker); false when it does not */
const gc = (): boolean => {
  const f = (globalThis as { gc?: () => void }).gc;
  if (!f) return false;
  f();
  f();
  return true;
};

// ---------------------------------------------------------------------------------------------
// making packages
// ---------------------------------------------------------------------------------------------

interface Made {
  ms: number;
  /** RSA signs counted during this make() */
  rsa: number;
  /** epoch ms */
  start: number;
  end: number;
  pdf?: Uint8Array;
}

interface Bench {
  make(sources: Uint8Array[]): Promise<Made>;
  rsa: RsaCounter;
  steps: { records: StepRecord[]; gcAtSteps: boolean };
  failures: string[];
}

/** The maker under the saved PKI, with every RSA sign counted by key and the steps instrumented. */
async function bench(dir: string, memory: boolean): Promise<Bench> {
  const pki = await loadPki(path.join(dir, FILES.pki));
  const names = new Map<CryptoKey, string>();
  for (const [role, issuer] of Object.entries(pki) as Array<[string, { keys?: { privateKey?: CryptoKey } }]>)
    if (issuer?.keys?.privateKey) names.set(issuer.keys.privateKey, role);
  const rsa = countRsaSigns(names);
  const steps = instrumentSteps({ memory, gc: () => void gc() });
  const maker = new PadesMaker({ trust: trustFor(pki), verificationUrl: 'https://segl.bench/verify' });
  const failures: string[] = [];
  let n = 0;
  const epoch = (): number => performance.timeOrigin + performance.now();
  return {
    rsa,
    steps,
    failures,
    async make(sdos) {
      const sources: PackageSource[] = sdos.map((sdo, i) => ({ ref: `bench:sdo-${i + 1}`, sdo }));
      const before = rsa.total;
      const start = epoch();
      let pdf: Uint8Array | undefined;
      try {
        const out = await maker.make({
          serviceId: 1,
          serviceName: 'bench',
          method: 'pades',
          packageId: `bench-${process.pid}-${++n}`,
          sources,
          now: new Date(),
        });
        if (out.ok) pdf = out.pdf;
        else failures.push(`make() refused: ${out.code}: ${out.message}`);
      } catch (e) {
        failures.push(`make() threw: ${(e as Error).message ?? String(e)}`);
      }
      const end = epoch();
      if (failures.length >= 5) throw new Error(`packaging: make() failed ${failures.length} times; first: ${failures[0]}`);
      return { ms: end - start, rsa: rsa.total - before, start, end, ...(pdf ? { pdf } : {}) };
    },
  };
}

/** RSA signs per package over `packages` makes, from the counts of each and the by-key totals before/after. */
function rsaPerPackage(counts: number[], before: Record<string, number>, after: Record<string, number>): RsaPerPackage {
  const n = Math.max(1, counts.length);
  return {
    min: counts.length ? Math.min(...counts) : 0,
    max: counts.length ? Math.max(...counts) : 0,
    mean: round(counts.reduce((a, b) => a + b, 0) / n, 3),
    byKeyPerPackage: Object.fromEntries(
      Object.entries(after)
        .map(([k, v]) => [k, round((v - (before[k] ?? 0)) / n, 3)] as const)
        .filter(([, v]) => v > 0),
    ),
  };
}

/** Mean ms per step over the given make() windows. */
function meanSteps(records: StepRecord[], windows: Array<{ start: number; end: number }>): Steps {
  const sum: Steps = {};
  for (const w of windows) for (const [k, v] of Object.entries(stepTimes(records, w.start, w.end))) sum[k] = (sum[k] ?? 0) + v;
  return Object.fromEntries(Object.entries(sum).map(([k, v]) => [k, round(v / Math.max(1, windows.length), 2)]));
}

const readSdos = (dir: string, name: (i: number) => string, count: number): Uint8Array[] =>
  Array.from({ length: count }, (_, i) => new Uint8Array(readFileSync(path.join(dir, name(i)))));

function countFiles(dir: string, name: (i: number) => string): number {
  let i = 0;
  while (existsFile(path.join(dir, name(i)))) i++;
  return i;
}
function existsFile(f: string): boolean {
  try {
    return statSync(f).isFile();
  } catch {
    return false;
  }
}

// ---------------------------------------------------------------------------------------------
// latency: the 100-page PDF with its SDOs
// ---------------------------------------------------------------------------------------------

async function latency(spec: Extract<PackSpec, { mode: 'latency' }>): Promise<LatencyResult> {
  const b = await bench(spec.dir, false);
  const sdos = readSdos(spec.dir, FILES.contractSdo, countFiles(spec.dir, FILES.contractSdo));
  // fresh bytes for every timed make, as a job reads its SDOs from the blob store: compose.ts keeps what it deflated
  // ahead by the identity of the bytes, and the same arrays again would be deflated only once (a flattered figure)
  const fresh = () => sdos.map((x) => new Uint8Array(x));
  const cold = await b.make(fresh());
  const warmupMs: number[] = [];
  for (let i = 1; i < spec.warmup; i++) warmupMs.push(round((await b.make(fresh())).ms, 2));
  if (b.failures.length) throw new Error(`packaging: warm-up make() failed: ${b.failures[0]}`);
  const made: Made[] = [];
  const before = { ...b.rsa.byKey };
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  for (let i = 0; i < spec.reps; i++) made.push(await b.make(fresh()));
  const wall = since(t0);
  const cpu = process.cpuUsage(cpu0);
  const last = made[made.length - 1]?.pdf;
  if (last) writeFileSync(path.join(spec.dir, FILES.contractPackage), last);
  const result: LatencyResult = {
    mode: 'latency',
    coldMs: round(cold.ms, 2),
    warmupMs,
    ms: made.map((m) => round(m.ms, 2)),
    summary: latencySummary(made.map((m) => m.ms)),
    steps: meanSteps(b.steps.records, made),
    rsa: rsaPerPackage(
      made.map((m) => m.rsa),
      before,
      b.rsa.byKey,
    ),
    packageBytes: last?.byteLength ?? 0,
    cpuCores: round((cpu.user + cpu.system) / 1e6 / wall, 3),
    failures: b.failures,
  };
  if (spec.profileReps > 0) result.profile = await profiled(spec.profileReps, () => b.make(fresh()));
  return result;
}

/** `reps` more makes under the V8 CPU profiler (node:inspector; what `node --cpu-prof` writes), after the measured ones. */
async function profiled(reps: number, make: () => Promise<unknown>): Promise<Omit<SealProfile, 'method'>> {
  const { summariseProfile } = await import('./seal');
  const session = new Session();
  session.connect();
  try {
    const interval = 1000;
    await session.post('Profiler.enable');
    await session.post('Profiler.setSamplingInterval', { interval });
    await session.post('Profiler.start');
    const t = performance.now();
    for (let i = 0; i < reps; i++) await make();
    const seconds = since(t);
    const { profile } = await session.post('Profiler.stop');
    await session.post('Profiler.disable');
    const summary = summariseProfile(profile as never, path.resolve(__dirname, '..', '..'));
    return { seconds: round(seconds, 3), packages: reps, sampleIntervalUs: interval, ...summary };
  } finally {
    session.disconnect();
  }
}

// ---------------------------------------------------------------------------------------------
// throughput: 1-page packages, back to back, after `go`
// ---------------------------------------------------------------------------------------------

async function throughput(spec: Extract<PackSpec, { mode: 'throughput' }>, go: () => Promise<void>): Promise<ThroughputResult> {
  const b = await bench(spec.dir, false);
  const pool = readSdos(spec.dir, FILES.onePageSdo, countFiles(spec.dir, FILES.onePageSdo));
  if (!pool.length) throw new Error('packaging: no 1-page SDOs were prepared');
  // Each worker starts at its own place in the pool, so the two do not package the same SDO at once.
  let next = spec.worker * Math.floor(pool.length / 2);
  // fresh bytes each time (see fresh() above): a job reads its SDO from the blob store
  const one = (): Promise<Made> => b.make([new Uint8Array(pool[next++ % pool.length]!)]);
  for (let i = 0; i < spec.warmup; i++) await one();
  if (b.failures.length) throw new Error(`packaging: warm-up make() failed: ${b.failures[0]}`);
  process.stdout.write(`${JSON.stringify({ ready: true })}\n`);
  await go();
  const made: Made[] = [];
  const before = { ...b.rsa.byKey };
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  const deadline = t0 + spec.seconds * 1000;
  while (performance.now() < deadline) {
    const { pdf: _pdf, ...m } = await one(); // the package is not kept
    made.push(m);
  }
  const wall = since(t0);
  const cpu = process.cpuUsage(cpu0);
  const profile = spec.profileReps > 0 ? await profiled(spec.profileReps, one) : undefined;
  return {
    ...(profile ? { profile } : {}),
    mode: 'throughput',
    worker: spec.worker,
    startEpochMs: made[0]?.start ?? 0,
    endEpochMs: made[made.length - 1]?.end ?? 0,
    packages: made.length,
    summary: latencySummary(made.map((m) => m.ms)),
    steps: meanSteps(b.steps.records, made),
    rsa: rsaPerPackage(
      made.map((m) => m.rsa),
      before,
      b.rsa.byKey,
    ),
    cpuCores: round((cpu.user + cpu.system) / 1e6 / wall, 3),
    failures: b.failures,
  };
}

// ---------------------------------------------------------------------------------------------
// memory: the large PDF's SDO, in a fresh process
// ---------------------------------------------------------------------------------------------

async function memory(spec: Extract<PackSpec, { mode: 'memory' }>): Promise<MemoryResult> {
  const atStart = process.memoryUsage.rss();
  const b = await bench(spec.dir, true);
  // One 1-page package first: the code, the fonts and the PKI are loaded once per process, not per input.
  await b.make(readSdos(spec.dir, FILES.onePageSdo, 1));
  if (b.failures.length) throw new Error(`packaging: warm-up make() failed: ${b.failures[0]}`);
  const readBig = (): Uint8Array => new Uint8Array(readFileSync(path.join(spec.dir, FILES.bigSdo)));
  let sdo: Uint8Array | undefined = readBig();
  const sdoBytes = sdo.byteLength;
  const measured = await memoryRun(b, sdo, spec.intervalMs);
  let diagnostic: MemoryRun | null = null;
  if (spec.diagnose && gc()) {
    // Fresh bytes, the first dropped: what the maker keeps for as long as the caller holds an SDO's bytes (its
    // deflated copy, compose.ts deflateSoon) is then neither counted in the diagnostic's "before" nor reused by it.
    sdo = readBig();
    b.steps.gcAtSteps = true;
    diagnostic = (await memoryRun(b, sdo, spec.intervalMs)).run;
    b.steps.gcAtSteps = false;
  }
  return {
    mode: 'memory',
    input: { pdfBytes: statSync(path.join(spec.dir, FILES.big)).size, sdoBytes },
    gcCalled: measured.gcCalled,
    packageBytes: measured.packageBytes,
    atStartMb: mb(atStart),
    sampleIntervalMs: spec.intervalMs,
    peakResetWorked: measured.peakResetWorked,
    maxRssMb: mb(process.resourceUsage().maxRSS * 1024),
    measured: measured.run,
    diagnostic,
    failures: b.failures,
  };
}

/** One big make() with RSS sampled, the peak reset before it, and its parts. */
async function memoryRun(
  b: Bench,
  sdo: Uint8Array,
  intervalMs: number,
): Promise<{ run: MemoryRun; gcCalled: boolean; peakResetWorked: boolean; packageBytes: number }> {
  const sampler = await rssSampler(intervalMs);
  const gcCalled = gc();
  const before = process.memoryUsage.rss();
  const peakResetWorked = resetPeakRss();
  const from = b.steps.records.length;
  const made = await b.make([sdo]);
  const peak = peakResetWorked ? peakRss() : null;
  const samples = (await sampler.stop()).filter(([t]) => t >= made.start && t <= made.end);
  const sampledPeak = Math.max(before, ...samples.map(([, r]) => r));
  const run: MemoryRun = {
    makeMs: round(made.ms),
    beforeMb: mb(before),
    peakMb: peak === null ? null : mb(peak),
    sampledPeakMb: mb(sampledPeak),
    samples: samples.length,
    afterMb: mb(process.memoryUsage.rss()),
    growthMb: mb((peak ?? sampledPeak) - before),
    parts: memoryParts(b.steps.records.slice(from), samples, made),
  };
  return { run, gcCalled, peakResetWorked, packageBytes: made.pdf?.byteLength ?? 0 };
}

/** The steps of the big make() in order, with the maker's own code between them as parts of their own. */
function memoryParts(records: StepRecord[], samples: Array<[number, number]>, made: Made): MemoryPart[] {
  const peakIn = (a: number, b: number): number | null => {
    const inside = samples.filter(([t]) => t >= a && t <= b).map(([, r]) => r);
    return inside.length ? mb(Math.max(...inside)) : null;
  };
  const m = (x: MemoryMark | undefined, k: keyof MemoryMark): number => mb(x?.[k] ?? 0);
  const parts: MemoryPart[] = [];
  let at = made.start;
  let rss: number | null = null;
  const gap = (until: number, label: string): void => {
    if (until - at >= 1) parts.push({ part: label, ms: round(until - at), rssStartMb: rss, rssPeakMb: peakIn(at, until) });
  };
  for (const r of [...records].sort((x, y) => x.start - y.start)) {
    gap(r.start, `maker, before ${r.step}`);
    parts.push({
      part: r.step,
      ms: round(r.end - r.start),
      rssStartMb: m(r.memStart, 'rss'),
      rssPeakMb: peakIn(r.start, r.end),
      heapUsedStartMb: m(r.memStart, 'heapUsed'),
      heapUsedEndMb: m(r.memEnd, 'heapUsed'),
      externalEndMb: m(r.memEnd, 'external'),
      arrayBuffersEndMb: m(r.memEnd, 'arrayBuffers'),
      ...(r.outBytes !== undefined ? { outBytes: r.outBytes } : {}),
    });
    at = r.end;
    rss = m(r.memEnd, 'rss');
  }
  gap(made.end, 'maker, after the last step');
  return parts;
}

// ---------------------------------------------------------------------------------------------
// main
// ---------------------------------------------------------------------------------------------

async function main(): Promise<void> {
  const lines = createInterface({ input: process.stdin })[Symbol.asyncIterator]();
  const first = await lines.next();
  if (first.done) throw new Error('pack: no spec on stdin');
  const spec = JSON.parse(String(first.value)) as PackSpec;
  const go = async (): Promise<void> => {
    const l = await lines.next();
    if (l.done || String(l.value).trim() !== 'go') throw new Error('pack: expected "go" on stdin');
  };
  const result: PackResult =
    spec.mode === 'prepare'
      ? await prepare(spec.dir, spec)
      : spec.mode === 'latency'
        ? await latency(spec)
        : spec.mode === 'throughput'
          ? await throughput(spec, go)
          : await memory(spec);
  process.stdout.write(`${JSON.stringify(result)}\n`);
}

if (require.main === module) {
  main().then(
    () => process.exit(0),
    (e: unknown) => {
      process.stderr.write(`pack: ${(e as Error).stack ?? String(e)}\n`);
      process.exit(1);
    },
  );
}

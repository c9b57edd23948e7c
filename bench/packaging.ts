// The packaging phase: segl's PAdES B-LTA maker (src/packaging/maker.ts PadesMaker.make) measured three ways, each
// beside a baseline, in worker processes (bench/pack.js; bench/pkgchild.ts runs them):
//   1. latency: one package from a 100-page PDF signed by 3 signers (3 sealed LTV-SDOs made before timing), made
//      `reps` times, against `qpdf --empty --pages in.pdf -- out.pdf` on the same PDF, timed before AND after;
//   2. memory: one package from a large PDF's single SDO in a fresh process: peak RSS during make() minus RSS before,
//      against 3× the input, with each step's memory;
//   3. throughput: 2 workers making 1-page packages in parallel, against the RSA ceiling of 2 cores
//      (`openssl speed -multi 2 rsa2048` ÷ RSA signs per package, counted and listed from the code).
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { LatencyResult, MemoryResult, ThroughputResult } from './pack';
import { FILES, type PrepareResult } from './pkgsetup';
import { loadAverage, opensslRsa, qpdfCheck, qpdfRuns, runPack, startPack, type QpdfRuns } from './pkgchild';
import { latencySummary, type LatencySummary } from './report';

export const PACKAGING_TARGET = { p50Ms: 1000, qpdfRatio: 5, rssFactor: 3, throughputRatio: 0.25 } as const;
export const CONTRACT_PAGES = 100;
export const SIGNERS = 3;
export const WORKERS = 2;
/** distinct 1-page SDOs the throughput workers cycle through */
export const ONE_PAGE_SDOS = 16;
const OPENSSL_SECONDS = 3;
const MIB = 2 ** 20;

export interface PackagingOptions {
  /** measured makes of the 100-page package; 0 skips the phase */
  reps: number;
  /** timed qpdf runs before and after */
  qpdfReps: number;
  /** profiled makes after the measured ones; 0 = no profile */
  profileReps: number;
  /** MiB of the large PDF; 0 skips the memory run */
  bigMib: number;
  /** measured seconds of the throughput run; 0 skips it */
  seconds: number;
}

export function packagingOptions(intEnv: (name: string, fallback: number, min?: number) => number): PackagingOptions {
  return {
    reps: intEnv('BENCH_PACKAGING_REPS', 7, 0),
    qpdfReps: intEnv('BENCH_PACKAGING_QPDF_REPS', 7, 1),
    profileReps: intEnv('BENCH_PACKAGING_PROFILE', 3, 0),
    bigMib: intEnv('BENCH_PACKAGING_MB', 50, 0),
    seconds: intEnv('BENCH_PACKAGING_SECONDS', 10, 0),
  };
}

/**
 * The RSA private-key operations of one PadesMaker.make, read from the code; the same for any number of SDOs (their
 * verification is offline, with the OCSP they carry). The workers count the real calls by key to check it.
 */
export const PACKAGE_RSA_SIGNS_FROM_CODE: ReadonlyArray<{ key: string; what: string; where: string }> = [
  {
    key: 'seal',
    what: "the seal's CMS signature",
    where: 'src/trust/pades/pades.ts createPades → sign.ts signPdf → cms.ts createPadesCms → cms/signeddata.ts createSignedData',
  },
  {
    key: 'tsa',
    what: 'the signature time-stamp token (B-T)',
    where: 'cms.ts signatureTimestamp → TimestampSource → trust/tsp/responder.ts (in process)',
  },
  {
    key: 'serviceOcsp',
    what: 'the OCSP response for the seal certificate',
    where: 'pades.ts → validationdata.ts collectValidationData → Collector.path(seal) → revocationOf(seal, service CA)',
  },
  {
    key: 'root',
    what: 'the OCSP response for the service CA certificate (the root answers for its own CAs in this setup)',
    where: 'validationdata.ts revocationOf(service CA, root); the root is self-signed, so not checked',
  },
  {
    key: 'serviceOcsp',
    what: 'the OCSP response for the TSA certificate',
    where: "validationdata.ts Collector.path(TSA) → revocationOf(TSA, service CA) (the service CA's answer is reused)",
  },
  {
    key: 'tsa',
    what: 'the document time-stamp token (B-LTA)',
    where: 'pades.ts → doctimestamp.ts addDocumentTimestamp → TimestampSource',
  },
];
// Not signed: the responders' own certificates (the service CA's responder carries id-pkix-ocsp-nocheck, the
// root is self-signed), and no validation data for the document time-stamp's TSA (pades.ts: not implemented).

export interface QpdfBaseline {
  before: QpdfRuns | { failed: string };
  after: QpdfRuns | { failed: string };
  /** every timed run, before and after */
  pooled: LatencySummary | null;
}

export interface PackagingMeasurement {
  prepared: PrepareResult;
  latency: LatencyResult | { failed: string };
  qpdf: QpdfBaseline;
  packageCheck: { ok: boolean; text: string } | null;
  memory: MemoryResult | { failed: string } | { skipped: string };
  throughput: { workers: ThroughputResult[]; packagesPerSec: number; seconds: number } | { failed: string } | { skipped: string };
  openssl: {
    multi: Awaited<ReturnType<typeof opensslRsa>> | { failed: string };
    single: Awaited<ReturnType<typeof opensslRsa>> | { failed: string };
  };
  loadAverage: Record<string, number[]>;
  notes: string[];
}

export const isLatency = (x: unknown): x is LatencyResult => !!x && typeof x === 'object' && (x as { mode?: string }).mode === 'latency';
export const isMemory = (x: unknown): x is MemoryResult => !!x && typeof x === 'object' && (x as { mode?: string }).mode === 'memory';
const isRuns = (x: unknown): x is QpdfRuns => !!x && typeof x === 'object' && 'summary' in x;
const failed = (e: unknown): { failed: string } => ({ failed: ((e as Error).message ?? String(e)).split('\n')[0]! });

export interface PackagingContext {
  log(msg: string): void;
  problems: string[];
}

let tempDir: string | undefined;
/** Removes the phase's temporary directory (inputs, PKI keys, packages); also called when the bench is interrupted. */
export function removePackagingTemp(): void {
  if (tempDir) rmSync(tempDir, { recursive: true, force: true });
  tempDir = undefined;
}

/** The whole phase; a failed part is recorded (and a problem), the rest still runs. */
export async function measurePackaging(ctx: PackagingContext, o: PackagingOptions): Promise<PackagingMeasurement> {
  const dir = (tempDir = mkdtempSync(path.join(os.tmpdir(), 'segl-bench-packaging-')));
  try {
    const loads: Record<string, number[]> = { start: loadAverage() };
    ctx.log(
      `packaging: preparing inputs (test PKI; ${CONTRACT_PAGES}-page PDF and ${SIGNERS} sealed SDOs; ${ONE_PAGE_SDOS} 1-page SDOs; ${o.bigMib} MiB PDF and its SDO)…`,
    );
    const prepared = await runPack(
      {
        mode: 'prepare',
        title: 'prepare',
        dir,
        contractPages: CONTRACT_PAGES,
        signers: SIGNERS,
        onePageSdos: ONE_PAGE_SDOS,
        bigBytes: o.bigMib * MIB,
      },
      900_000,
    );
    ctx.log(`packaging: prepared in ${JSON.stringify(prepared.seconds)} s`);
    const notes: string[] = [];
    const problem = (what: string, e: unknown): { failed: string } => {
      const f = failed(e);
      ctx.problems.push(`packaging: ${what}: ${f.failed}`);
      ctx.log(`packaging ${what} FAILED: ${(e as Error).stack ?? f.failed}`);
      return f;
    };
    const { qpdf, latency, packageCheck } = await measureLatency(ctx, o, dir, loads, problem);
    const openssl = {
      multi: await opensslRsa(OPENSSL_SECONDS, WORKERS).catch(failed),
      single: await opensslRsa(OPENSSL_SECONDS, 1).catch(failed),
    };
    loads.throughput = loadAverage();
    const throughput =
      o.seconds === 0
        ? { skipped: 'skipped: BENCH_PACKAGING_SECONDS=0' }
        : await measureThroughput(ctx, o, dir).catch((e) => problem('throughput', e));
    loads.memory = loadAverage();
    const memory =
      o.bigMib === 0
        ? { skipped: 'skipped: BENCH_PACKAGING_MB=0' }
        : await (ctx.log(`packaging: memory, one package from the ${o.bigMib} MiB PDF's SDO in a fresh worker (--expose-gc)…`),
          runPack({ mode: 'memory', title: 'memory', dir, intervalMs: 5, diagnose: true }, 900_000, ['--expose-gc'])).catch((e) =>
            problem('memory', e),
          );
    loads.end = loadAverage();
    for (const r of [latency, memory, ...('workers' in throughput ? throughput.workers : [])])
      for (const f of 'failures' in r ? r.failures : []) ctx.problems.push(`packaging: ${f}`);
    return { prepared, latency, qpdf, packageCheck, memory, throughput, openssl, loadAverage: loads, notes };
  } finally {
    removePackagingTemp();
  }
}

async function measureLatency(
  ctx: PackagingContext,
  o: PackagingOptions,
  dir: string,
  loads: Record<string, number[]>,
  problem: (what: string, e: unknown) => { failed: string },
): Promise<Pick<PackagingMeasurement, 'qpdf' | 'latency' | 'packageCheck'>> {
  const input = path.join(dir, FILES.contract);
  const output = path.join(dir, 'qpdf-out.pdf');
  ctx.log(`packaging: qpdf baseline before, ${o.qpdfReps} runs…`);
  const before = await qpdfRuns(input, output, o.qpdfReps).catch((e) => problem('qpdf before', e));
  loads.latency = loadAverage();
  ctx.log(`packaging: ${CONTRACT_PAGES} pages × ${SIGNERS} SDOs, 2 warm-up + ${o.reps} measured makes, then ${o.profileReps} profiled…`);
  const latency = await runPack(
    { mode: 'latency', title: 'latency', dir, warmup: 2, reps: o.reps, profileReps: o.profileReps },
    (120 + 30 * (o.reps + o.profileReps)) * 1000,
  ).catch((e) => problem('latency', e));
  ctx.log(`packaging: qpdf baseline after, ${o.qpdfReps} runs…`);
  const after = await qpdfRuns(input, output, o.qpdfReps).catch((e) => problem('qpdf after', e));
  const pooledMs = [...(isRuns(before) ? before.ms : []), ...(isRuns(after) ? after.ms : [])];
  let packageCheck: PackagingMeasurement['packageCheck'] = null;
  if (isLatency(latency)) {
    packageCheck = await qpdfCheck(path.join(dir, FILES.contractPackage));
    if (!packageCheck.ok) ctx.problems.push(`packaging: qpdf --check of the 100-page package failed: ${packageCheck.text}`);
    ctx.log(
      `packaging: ${CONTRACT_PAGES}-page package p50 ${latency.summary.p50Ms} ms, min ${latency.summary.minMs} ms; steps ${JSON.stringify(latency.steps)}`,
    );
  }
  return { qpdf: { before, after, pooled: pooledMs.length ? latencySummary(pooledMs) : null }, latency, packageCheck };
}

async function measureThroughput(
  ctx: PackagingContext,
  o: PackagingOptions,
  dir: string,
): Promise<{ workers: ThroughputResult[]; packagesPerSec: number; seconds: number }> {
  ctx.log(`packaging: throughput, ${WORKERS} workers making 1-page packages in parallel for ${o.seconds} s…`);
  const runs = Array.from({ length: WORKERS }, (_, worker) =>
    startPack(
      {
        mode: 'throughput',
        title: `throughput ${worker + 1}`,
        dir,
        warmup: 5,
        seconds: o.seconds,
        worker,
        // worker 1 alone profiles a few 1-page makes after the measured run (not in the figures)
        profileReps: worker === 0 ? 4 * o.profileReps : 0,
      },
      (240 + 3 * o.seconds) * 1000,
    ),
  );
  try {
    await Promise.all(runs.map((r) => r.ready));
    for (const r of runs) r.go();
  } catch (e) {
    for (const r of runs) r.stop();
    throw e;
  }
  const workers = (await Promise.all(runs.map((r) => r.result))) as ThroughputResult[];
  const start = Math.min(...workers.map((w) => w.startEpochMs));
  const end = Math.max(...workers.map((w) => w.endEpochMs));
  const seconds = (end - start) / 1000;
  const packages = workers.reduce((n, w) => n + w.packages, 0);
  return { workers, packagesPerSec: Number((packages / seconds).toFixed(2)), seconds: Number(seconds.toFixed(3)) };
}

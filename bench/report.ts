// Shapes of the result files and the human-readable table printed at the end of a run.
import os from 'node:os';
import type { LoadResult } from './load';

export interface Figures {
  reqPerSec: number;
  p50Ms: number;
  p99Ms: number;
  non2xx: number;
  errors: number;
}

export interface Measured extends Figures {
  label: string;
  engine: LoadResult['engine'];
  maxMs: number;
  p90Ms: number;
  meanMs: number;
  ok2xx: number;
  statusCodes: Record<string, number>;
  timeouts: number;
  errorFraction: number;
  duration: number;
  warmup: LoadResult['warmup'];
  autocannon?: LoadResult['autocannon'];
  /** the server's CPU ms per answered call (server in the bench process, load in a child; createRequest) */
  serverCpuMsPerCall?: number;
}

export type Skipped = { skipped: string };
export type Outcome = Measured | Skipped | { failed: string };

export interface Goal {
  name: string;
  target: string;
  value: number | null;
  pass: boolean | null;
}

export function measured(label: string, r: LoadResult): Measured {
  return {
    label,
    engine: r.engine,
    reqPerSec: r.reqPerSec,
    p50Ms: r.p50Ms,
    p99Ms: r.p99Ms,
    non2xx: r.non2xx,
    errors: r.errors,
    maxMs: r.maxMs,
    p90Ms: r.p90Ms,
    meanMs: r.meanMs,
    ok2xx: r.ok2xx,
    statusCodes: r.statusCodes,
    timeouts: r.timeouts,
    errorFraction: r.errorFraction,
    duration: r.duration,
    warmup: r.warmup,
    ...(r.autocannon ? { autocannon: r.autocannon } : {}),
  };
}

export const isMeasured = (o: Outcome | undefined): o is Measured => !!o && 'reqPerSec' in o;

/** Percent of all CPUs busy over `ms` (other work on the machine skews every figure). */
export async function cpuBusy(ms = 1000): Promise<number> {
  const total = () =>
    os.cpus().reduce(
      (acc, c) => {
        const t = c.times;
        acc.idle += t.idle;
        acc.all += t.user + t.nice + t.sys + t.idle + t.irq;
        return acc;
      },
      { idle: 0, all: 0 },
    );
  const a = total();
  await new Promise((r) => setTimeout(r, ms));
  const b = total();
  const all = b.all - a.all;
  return all > 0 ? Number((100 * (1 - (b.idle - a.idle) / all)).toFixed(1)) : 0;
}

export async function environment(): Promise<Record<string, unknown>> {
  const cpus = os.cpus();
  return {
    timestamp: new Date().toISOString(),
    node: process.version,
    cpuCount: cpus.length,
    cpuModel: cpus[0]?.model ?? 'unknown',
    platform: `${process.platform} ${os.release()} ${process.arch}`,
    totalMemMb: Math.round(os.totalmem() / 2 ** 20),
    loadAverageAtStart: os.loadavg().map((x) => Number(x.toFixed(2))),
    cpuBusyBeforeStartPercent: await cpuBusy(),
  };
}

const pad = (s: string, n: number): string => (s.length >= n ? s : s + ' '.repeat(n - s.length));
const lpad = (s: string, n: number): string => (s.length >= n ? s : ' '.repeat(n - s.length) + s);
const num = (x: number | null | undefined, d = 1): string => (x === null || x === undefined || !Number.isFinite(x) ? '-' : x.toFixed(d));
const verdict = (p: boolean | null): string => (p === null ? 'n/a' : p ? 'PASS' : 'MISS');

/** What the table shows of the SDS phase (bench/sds.ts). */
export interface SdsTable {
  /** 'skipped: …' or 'FAILED: …' instead of figures */
  instead?: string;
  mib: number;
  runs: number;
  segl: { upload: number; download: number } | { failed: string };
  baseline: { upload: number; download: number } | { failed: string };
  ratios: { upload: number | null; download: number | null };
  rssGrowthMb: number | null;
  gcAvailable: boolean | null;
  sha256AllMatch: boolean | null;
}

function sdsLines(t: SdsTable): string[] {
  const head = `SDS ${num(t.mib, 0)} MiB PDF, SQLite, HTTP 127.0.0.1, best of ${t.runs}`;
  if (t.instead) return [head, `  ${t.instead}`];
  const lines = [`${pad(head, 52)}${lpad('upload MB/s', 13)}${lpad('download MB/s', 15)}`];
  const row = (name: string, v: SdsTable['segl']): void => {
    lines.push(
      'failed' in v ? `  ${pad(name, 50)}FAILED: ${v.failed}` : `  ${pad(name, 50)}${lpad(num(v.upload), 13)}${lpad(num(v.download), 15)}`,
    );
  };
  row('segl (SQLite)', t.segl);
  row('baseline (node http ⇄ fs streams)', t.baseline);
  lines.push(`  ${pad('ratio segl / baseline', 50)}${lpad(num(t.ratios.upload, 2), 13)}${lpad(num(t.ratios.download, 2), 15)}`);
  lines.push(
    `  ${pad('segl RSS growth during upload + download', 50)}${lpad(t.rssGrowthMb === null ? '-' : `${num(t.rssGrowthMb)} MB`, 13)}` +
      `  (global.gc ${t.gcAvailable === null ? '?' : t.gcAvailable ? 'called before' : 'not available'})`,
  );
  lines.push(
    `  ${pad("downloads hash to the file's SHA-256", 50)}${lpad(t.sha256AllMatch === null ? '-' : t.sha256AllMatch ? 'yes' : 'NO', 13)}`,
  );
  return lines;
}

/** What the table shows of the sealing phase (bench/sealing.ts). */
export interface SealingTable {
  /** 'skipped: …' instead of figures */
  instead?: string;
  seconds: number;
  segl: { packagesPerSec: number; p50Ms: number; p99Ms: number; packages: number; cpuCores: number } | { failed: string };
  opensslSignPerSec: number | null;
  nodeRsaSignPerSec: number | null;
  rsaSignsPerPackage: number | null;
  rsaSignsFromCode: number;
  ceilingPackagesPerSec: number | null;
  ratio: number | null;
  profile: {
    seconds: number;
    top: Array<{ functionName: string; location: string; selfPercent: number }>;
    byModule: Array<{ module: string; selfPercent: number }>;
  } | null;
}

function sealingLines(t: SealingTable): string[] {
  const head = `Sealing: signTask + seal job (SealRuns.run), 1 core, SQLite, ${t.seconds} s sequential`;
  if (t.instead) return [head, `  ${t.instead}`];
  const lines = [`${pad(head, 60)}${lpad('pkg/s', 9)}${lpad('p50 ms', 9)}${lpad('p99 ms', 9)}`];
  const s = t.segl;
  lines.push(
    'failed' in s
      ? `  ${pad('segl, 1 small PDF per package', 58)}FAILED: ${s.failed}`
      : `  ${pad(`segl, 1 small PDF per package (${s.packages} packages, ${num(s.cpuCores, 2)} cores busy)`, 58)}${lpad(num(s.packagesPerSec, 2), 9)}${lpad(num(s.p50Ms), 9)}${lpad(num(s.p99Ms), 9)}`,
  );
  lines.push(
    `  ${pad('openssl speed rsa2048, 1 thread: RSA-2048 signs/s', 58)}${lpad(num(t.opensslSignPerSec), 9)}` +
      `${t.nodeRsaSignPerSec === null ? '' : `  (Node WebCrypto, awaited one at a time: ${num(t.nodeRsaSignPerSec)})`}`,
  );
  lines.push(
    `  ${pad(`RSA private-key ops per package (counted; code: ${t.rsaSignsFromCode})`, 58)}${lpad(num(t.rsaSignsPerPackage, t.rsaSignsPerPackage !== null && Number.isInteger(t.rsaSignsPerPackage) ? 0 : 2), 9)}`,
  );
  lines.push(`  ${pad('ceiling: RSA signs/s ÷ ops per package (pkg/s)', 58)}${lpad(num(t.ceilingPackagesPerSec), 9)}`);
  lines.push(`  ${pad('ratio segl pkg/s ÷ ceiling', 58)}${lpad(num(t.ratio, 3), 9)}`);
  if (t.profile) {
    lines.push(
      `  CPU profile (${num(t.profile.seconds)} s after the run), top self time:` +
        ` ${t.profile.byModule.map((m) => `${m.module} ${num(m.selfPercent)}%`).join(', ')}`,
    );
    for (const f of t.profile.top) lines.push(`    ${lpad(`${num(f.selfPercent)}%`, 6)}  ${f.functionName}  ${f.location}`);
  }
  return lines;
}

export function table(o: {
  header: string;
  concurrency: number;
  rows: Array<{ name: string; outcome: Outcome | undefined }>;
  ratios: Array<{ name: string; value: number | null }>;
  status: { rate: number; connections: number; outcome: Outcome | undefined; paced: Outcome | undefined };
  sds?: SdsTable;
  sealing?: SealingTable;
  /** the deliveries phase's lines (bench/deliveries.ts deliveriesLines) */
  deliveries?: string[];
  /** the sds-blobs phase's lines (bench/sdsblobs.ts sdsBlobsLines) */
  sdsBlobs?: string[];
  /** the portal phase's lines (bench/portal.ts portalLines) */
  portal?: string[];
  /** the packaging phase's lines (bench/pkgreport.ts packagingLines) */
  packaging?: string[];
  notes?: string[];
  goals: Goal[];
  problems: string[];
}): string {
  const lines: string[] = [o.header, ''];
  lines.push(
    `${pad(`createRequest, ${o.concurrency} connections`, 34)}${lpad('req/s', 9)}${lpad('p50 ms', 9)}${lpad('p99 ms', 9)}${lpad('non-2xx', 9)}${lpad('errors', 8)}`,
  );
  for (const r of o.rows) {
    const m = r.outcome;
    if (isMeasured(m)) {
      lines.push(
        `  ${pad(r.name, 32)}${lpad(num(m.reqPerSec), 9)}${lpad(num(m.p50Ms), 9)}${lpad(num(m.p99Ms), 9)}${lpad(String(m.non2xx), 9)}${lpad(String(m.errors), 8)}`,
      );
    } else {
      lines.push(`  ${pad(r.name, 32)}${m ? ('skipped' in m ? m.skipped : `FAILED: ${m.failed}`) : '-'}`);
    }
  }
  for (const r of o.ratios) lines.push(`  ${pad(r.name, 32)}${lpad(num(r.value, 2), 9)}`);
  lines.push('');
  const s = o.status.outcome;
  lines.push(
    `getStatus, fixed ${o.status.rate} req/s, ${o.status.connections} connections, SQLite` +
      `${lpad('p50 ms', 9)}${lpad('p99 ms', 9)}${lpad('max ms', 9)}${lpad('req/s', 8)}${lpad('errors', 9)}`,
  );
  const statusRow = (name: string, m: Outcome | undefined): void => {
    if (isMeasured(m)) {
      lines.push(
        `  ${pad(name, 56)}${lpad(num(m.p50Ms, 2), 9)}${lpad(num(m.p99Ms, 2), 9)}${lpad(num(m.maxMs, 2), 9)}` +
          `${lpad(num(m.reqPerSec), 8)}${lpad(`${(m.errorFraction * 100).toFixed(2)}%`, 9)}`,
      );
    } else {
      lines.push(`  ${pad(name, 56)}${m ? ('skipped' in m ? m.skipped : `FAILED: ${m.failed}`) : '-'}`);
    }
  };
  statusRow('autocannon overallRate (100-request bursts, info)', s);
  statusRow('evenly paced, 1 request every 10 ms (target)', o.status.paced);
  if (o.sds) lines.push('', ...sdsLines(o.sds));
  if (o.sealing) lines.push('', ...sealingLines(o.sealing));
  if (o.sdsBlobs) lines.push('', ...o.sdsBlobs);
  if (o.deliveries) lines.push('', ...o.deliveries);
  if (o.portal) lines.push('', ...o.portal);
  if (o.packaging) lines.push('', ...o.packaging);
  lines.push('', 'Targets (reported, not enforced)');
  for (const g of o.goals)
    lines.push(
      `  ${pad(g.name, 46)}${pad(g.target, 12)}${lpad(num(g.value, g.value !== null && g.value < 10 ? 2 : 1), 9)}  ${verdict(g.pass)}`,
    );
  if (o.notes?.length) lines.push('');
  for (const n of o.notes ?? []) lines.push(`note: ${n}`);
  if (o.problems.length) {
    lines.push('', 'BROKEN (exit 1):');
    for (const p of o.problems) lines.push(`  - ${p}`);
  }
  return lines.join('\n');
}

/** The value at percentile p (nearest rank) of ascending `sorted`; NaN when empty. */
export function percentile(sorted: number[], p: number): number {
  if (!sorted.length) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))]!;
}

/** Exact latency figures of a set of samples (ms, rounded to 0.1 ms). */
export interface LatencySummary {
  count: number;
  p50Ms: number;
  p90Ms: number;
  p99Ms: number;
  maxMs: number;
  minMs: number;
  meanMs: number;
}

export function latencySummary(ms: number[]): LatencySummary {
  const s = ms.filter(Number.isFinite).sort((a, b) => a - b);
  const r = (x: number): number => (Number.isFinite(x) ? Number(x.toFixed(1)) : x);
  return {
    count: s.length,
    p50Ms: r(percentile(s, 50)),
    p90Ms: r(percentile(s, 90)),
    p99Ms: r(percentile(s, 99)),
    maxMs: r(s[s.length - 1] ?? NaN),
    minMs: r(s[0] ?? NaN),
    meanMs: r(s.reduce((a, b) => a + b, 0) / (s.length || NaN)),
  };
}

export { lpad, num, pad };

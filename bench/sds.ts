// The SDS transfer phase: upload then download a large PDF (BENCH_SDS_MB MiB, default 200) to segl
// on SQLite and to a bare node http + fs baseline, with the client in a child process streaming
// from/to disk; throughput of each direction (best of SDS_RUNS), the ratios to the baseline, and
// the bench process's RSS growth while segl moves the bytes.
import { createHash, randomFillSync } from 'node:crypto';
import { createWriteStream, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { checkPdfFile } from '../src/content/pdf';
import { runTransferInChild } from './child';
import type { Goal } from './report';
import { FILE_BASELINE_DOWNLOAD, FILE_BASELINE_UPLOAD, PASSWORD, SERVICE, startFileBaseline, startSegl, type BenchServer } from './servers';
import type { TransferResult } from './transfer';
import { lineContent, pdfHead, pdfTail } from '../src/util/pdf';

export const MIB = 2 ** 20;
/** Runs per direction; the best (highest MB/s) counts, so one disk hiccup does not decide the figure. */
export const SDS_RUNS = 2;
export const RSS_SAMPLE_MS = 50;
export const SDS_TARGET = { ratio: 0.5, rssGrowthMb: 64 } as const;

// ---------------------------------------------------------------------------------------------
// The PDF on disk
// ---------------------------------------------------------------------------------------------

/**
 * Writes a valid one-page PDF of exactly `totalBytes` (when reachable) to `file` in 4 MiB chunks, never
 * holding it in memory: the structure of test/support/pdf.ts makePdf({ padBytes }) (objects 1–5, a
 * random-filled stream object 6, an xref table with the real offsets, a trailer with /Root, startxref,
 * %%EOF). Returns its size and SHA-256.
 */
export async function writePdfFile(file: string, totalBytes: number): Promise<{ bytes: number; sha256: string }> {
  const { head: prefix, offsets } = pdfHead([lineContent('Hello from segl bench')]);
  const prefixBytes = Buffer.byteLength(prefix, 'latin1');
  offsets[6] = prefixBytes;
  const head6 = (pad: number): string => `6 0 obj\n<< /Length ${pad} >>\nstream\n`;
  const tail6 = '\nendstream\nendobj\n';
  const tail = (pad: number): string => tail6 + pdfTail(offsets, 6, prefixBytes + head6(pad).length + pad + tail6.length);
  const size = (pad: number): number => prefixBytes + head6(pad).length + pad + tail(pad).length;
  // The overhead depends on the digits of the pad length and of the xref offset: a few rounds settle it.
  let pad = Math.max(1, totalBytes - 1000);
  for (let i = 0; i < 6 && size(pad) !== totalBytes; i++) pad = Math.max(1, pad + totalBytes - size(pad));

  const hash = createHash('sha256');
  let written = 0;
  const CHUNK = 4 * MIB;
  async function* bytes(): AsyncGenerator<Buffer> {
    const emit = (b: Buffer): Buffer => {
      hash.update(b);
      written += b.length;
      return b;
    };
    yield emit(Buffer.from(prefix + head6(pad), 'latin1'));
    for (let left = pad; left > 0; left -= CHUNK) yield emit(randomFillSync(Buffer.allocUnsafe(Math.min(CHUNK, left))));
    yield emit(Buffer.from(tail(pad), 'latin1'));
  }
  await pipeline(Readable.from(bytes()), createWriteStream(file, { flags: 'wx' }));
  return { bytes: written, sha256: hash.digest('hex') };
}

// ---------------------------------------------------------------------------------------------
// Temp files: removed at the end of the phase, and on any exit of the process
// ---------------------------------------------------------------------------------------------

const tempDirs = new Set<string>();

export function makeTempDir(): string {
  if (!tempDirs.size) process.once('exit', removeSdsTemp);
  const dir = mkdtempSync(path.join(os.tmpdir(), 'segl-bench-sds-'));
  tempDirs.add(dir);
  return dir;
}

/** Removes the client-side temp files (synchronous: also safe in an 'exit' handler). */
export function removeSdsTemp(): void {
  for (const d of tempDirs) {
    rmSync(d, { recursive: true, force: true });
    tempDirs.delete(d);
  }
}

// ---------------------------------------------------------------------------------------------
// RSS of this process (where segl runs)
// ---------------------------------------------------------------------------------------------

const toMb = (bytes: number): number => Number((bytes / MIB).toFixed(1));

/** Samples process.memoryUsage().rss every RSS_SAMPLE_MS; take() returns the peak since the last take(). */
function rssSampler(): { take(): number; stop(): { samples: number } } {
  let peak = 0;
  let samples = 0;
  const sample = (): void => {
    samples++;
    peak = Math.max(peak, process.memoryUsage().rss);
  };
  const timer = setInterval(sample, RSS_SAMPLE_MS);
  sample();
  return {
    take: () => {
      sample();
      const p = peak;
      peak = 0;
      return p;
    },
    stop: () => {
      clearInterval(timer);
      return { samples };
    },
  };
}

const gcAvailable = (): boolean => typeof (globalThis as { gc?: unknown }).gc === 'function';

async function settledRss(): Promise<{ rss: number; gcCalled: boolean }> {
  const gc = (globalThis as { gc?: () => void }).gc;
  if (typeof gc === 'function') {
    gc();
    await new Promise((r) => setTimeout(r, 100));
    gc();
  }
  return { rss: process.memoryUsage().rss, gcCalled: typeof gc === 'function' };
}

// ---------------------------------------------------------------------------------------------
// The measurement
// ---------------------------------------------------------------------------------------------

export interface SdsRun {
  run: number;
  upload: { mbPerSec: number; seconds: number; bytes: number; status: number; id: string };
  download: { mbPerSec: number; seconds: number; bytes: number; status: number; sha256Matches: boolean };
  /** segl only: peak RSS of the bench process during this upload + download, minus the RSS before the first upload */
  rssGrowthMb?: number;
}

export interface SdsSide {
  label: string;
  /** best of the runs per direction (highest MB/s); upload and download may come from different runs */
  upload: { mbPerSec: number; seconds: number; run: number };
  download: { mbPerSec: number; seconds: number; run: number };
  runs: SdsRun[];
}

export type SdsSideOutcome = SdsSide | { failed: string };
export const isSide = (o: SdsSideOutcome | undefined): o is SdsSide => !!o && 'runs' in o;

export interface SdsRss {
  sampleIntervalMs: number;
  samples: number;
  /** whether node ran with --expose-gc: then global.gc() ran (twice) before the "before" sample */
  gcAvailable: boolean;
  gcCalledBeforeBaseline: boolean;
  beforeUploadMb: number;
  peakMb: number;
  /** peak during all segl uploads and downloads minus the RSS just before the first upload */
  growthMb: number;
}

export interface SdsMeasurement {
  file: { bytes: number; mib: number; sha256: string; writeSeconds: number };
  segl: SdsSideOutcome;
  baseline: SdsSideOutcome;
  rss?: SdsRss;
  /** every download's SHA-256 equalled the file's (null: no download completed) */
  sha256AllMatch: boolean | null;
}

export interface SdsContext {
  withServer<T>(start: () => Promise<BenchServer>, use: (s: BenchServer) => Promise<T>): Promise<T>;
  log(msg: string): void;
  /** things that broke (exit 1) */
  problems: string[];
}

export interface Target {
  name: string;
  uploadUrl: string;
  downloadUrl(id: string): string;
}

export const AUTH = { authorization: `Basic ${Buffer.from(`${SERVICE}:${PASSWORD}`, 'utf8').toString('base64')}` };

export async function oneRun(
  ctx: SdsContext,
  t: Target,
  run: number,
  file: { path: string; bytes: number; sha256: string },
): Promise<SdsRun> {
  const headers = { ...AUTH, 'content-type': 'application/pdf' };
  const up: TransferResult = await runTransferInChild({
    title: `${t.name} upload ${run}`,
    direction: 'upload',
    url: t.uploadUrl,
    headers,
    file: file.path,
  });
  if (up.status !== 201) throw new Error(`${t.name}: upload ${run} answered HTTP ${up.status}, expected 201: ${up.body ?? ''}`);
  const id = (up.body ?? '').trim();
  if (!id) throw new Error(`${t.name}: upload ${run} answered 201 without an id`);
  if (up.bytes !== file.bytes) throw new Error(`${t.name}: upload ${run} sent ${up.bytes} bytes, the file has ${file.bytes}`);
  const down = await runTransferInChild({
    title: `${t.name} download ${run}`,
    direction: 'download',
    url: t.downloadUrl(id),
    headers: { ...AUTH },
  });
  if (down.status !== 200) throw new Error(`${t.name}: download ${run} answered HTTP ${down.status}, expected 200`);
  const sha256Matches = down.sha256 === file.sha256 && down.bytes === file.bytes;
  if (!sha256Matches) {
    ctx.problems.push(
      `${t.name}: download ${run} differs from the file (${down.bytes} bytes, SHA-256 ${down.sha256 ?? '?'}; file ${file.bytes} bytes, ${file.sha256})`,
    );
  }
  if (down.contentLength !== undefined && down.contentLength !== file.bytes) {
    ctx.problems.push(`${t.name}: download ${run} declared Content-Length ${down.contentLength}, the file has ${file.bytes} bytes`);
  }
  ctx.log(
    `${t.name}: run ${run}: upload ${up.mbPerSec} MB/s (${up.seconds} s), download ${down.mbPerSec} MB/s (${down.seconds} s), SHA-256 ${sha256Matches ? 'ok' : 'DIFFERS'}`,
  );
  return {
    run,
    upload: { mbPerSec: up.mbPerSec, seconds: up.seconds, bytes: up.bytes, status: up.status, id },
    download: { mbPerSec: down.mbPerSec, seconds: down.seconds, bytes: down.bytes, status: down.status, sha256Matches },
  };
}

export function best(label: string, runs: SdsRun[]): SdsSide {
  const pick = (dir: 'upload' | 'download') => {
    const r = runs.reduce((a, b) => (b[dir].mbPerSec > a[dir].mbPerSec ? b : a));
    return { mbPerSec: r[dir].mbPerSec, seconds: r[dir].seconds, run: r.run };
  };
  return { label, upload: pick('upload'), download: pick('download'), runs };
}

export async function side(ctx: SdsContext, name: string, f: () => Promise<SdsSide>): Promise<SdsSideOutcome> {
  try {
    return await f();
  } catch (e) {
    const msg = ((e as Error).message ?? String(e)).split('\n')[0]!;
    ctx.problems.push(msg.startsWith(name) ? msg : `${name}: ${msg}`);
    ctx.log(`${name} FAILED: ${(e as Error).stack ?? msg}`);
    return { failed: msg };
  }
}

/** The whole phase. Throws only when the file cannot be made; the temp files are gone when it returns. */
export async function measureSds(ctx: SdsContext, mib: number): Promise<SdsMeasurement> {
  const dir = makeTempDir();
  try {
    const filePath = path.join(dir, `bench-${mib}mib.pdf`);
    ctx.log(`SDS: writing a ${mib} MiB PDF to ${filePath}…`);
    const t0 = Date.now();
    const written = await writePdfFile(filePath, mib * MIB);
    const writeSeconds = (Date.now() - t0) / 1000;
    const problem = await checkPdfFile(filePath);
    if (problem) throw new Error(`SDS: the generated PDF fails segl's check: ${problem.message}`);
    const file = { path: filePath, bytes: written.bytes, sha256: written.sha256 };
    const sdsLimit = String(Math.max(100 * MIB, file.bytes + MIB));

    let rss: SdsRss | undefined;
    const segl = await side(ctx, 'SDS segl (SQLite)', () =>
      ctx.withServer(
        () => startSegl('sqlite', { SEGL_SDS_LIMIT: sdsLimit }),
        async (s) => {
          const t: Target = {
            name: 'SDS segl (SQLite)',
            uploadUrl: `${s.baseUrl}/doc/${SERVICE}/sds`,
            downloadUrl: (id) => `${s.baseUrl}/doc/${SERVICE}/sds/${encodeURIComponent(id)}`,
          };
          const before = await settledRss();
          const sampler = rssSampler();
          sampler.take();
          const runs: SdsRun[] = [];
          let peak = before.rss;
          try {
            for (let i = 1; i <= SDS_RUNS; i++) {
              const r = await oneRun(ctx, t, i, file);
              const p = sampler.take();
              peak = Math.max(peak, p);
              runs.push({ ...r, rssGrowthMb: toMb(p - before.rss) });
            }
          } finally {
            const { samples } = sampler.stop();
            rss = {
              sampleIntervalMs: RSS_SAMPLE_MS,
              samples,
              gcAvailable: gcAvailable(),
              gcCalledBeforeBaseline: before.gcCalled,
              beforeUploadMb: toMb(before.rss),
              peakMb: toMb(peak),
              growthMb: toMb(peak - before.rss),
            };
          }
          ctx.log(
            `SDS segl (SQLite): RSS ${rss.beforeUploadMb} MB before the first upload, peak ${rss.peakMb} MB: growth ${rss.growthMb} MB (gc ${rss.gcAvailable ? 'called' : 'not available'})`,
          );
          return best('segl (SQLite)', runs);
        },
      ),
    );

    const baseline = await side(ctx, 'SDS file baseline', () =>
      ctx.withServer(startFileBaseline, async (s) => {
        const t: Target = {
          name: 'SDS file baseline',
          uploadUrl: `${s.baseUrl}${FILE_BASELINE_UPLOAD}`,
          downloadUrl: (id) => `${s.baseUrl}${FILE_BASELINE_DOWNLOAD}${encodeURIComponent(id)}`,
        };
        const runs: SdsRun[] = [];
        for (let i = 1; i <= SDS_RUNS; i++) runs.push(await oneRun(ctx, t, i, file));
        return best('file baseline (node http + fs streams)', runs);
      }),
    );

    const downloads = [segl, baseline].flatMap((o) => (isSide(o) ? o.runs : []));
    return {
      file: {
        bytes: file.bytes,
        mib: Number((file.bytes / MIB).toFixed(3)),
        sha256: file.sha256,
        writeSeconds: Number(writeSeconds.toFixed(2)),
      },
      segl,
      baseline,
      ...(rss ? { rss } : {}),
      sha256AllMatch: downloads.length ? downloads.every((r) => r.download.sha256Matches) : null,
    };
  } finally {
    removeSdsTemp();
  }
}

export function sdsRatios(m: SdsMeasurement | undefined): { upload: number | null; download: number | null } {
  const r = (dir: 'upload' | 'download'): number | null => {
    if (!m || !isSide(m.segl) || !isSide(m.baseline) || !(m.baseline[dir].mbPerSec > 0)) return null;
    return Number((m.segl[dir].mbPerSec / m.baseline[dir].mbPerSec).toFixed(3));
  };
  return { upload: r('upload'), download: r('download') };
}

export function sdsGoals(m: SdsMeasurement | undefined): Goal[] {
  const ratios = sdsRatios(m);
  const growth = m?.rss && isSide(m.segl) ? m.rss.growthMb : null;
  const goal = (name: string, target: string, value: number | null, ok: (v: number) => boolean): Goal => ({
    name,
    target,
    value,
    pass: value === null ? null : ok(value),
  });
  return [
    goal('SDS upload ratio segl / baseline', `>= ${SDS_TARGET.ratio}`, ratios.upload, (v) => v >= SDS_TARGET.ratio),
    goal('SDS download ratio segl / baseline', `>= ${SDS_TARGET.ratio}`, ratios.download, (v) => v >= SDS_TARGET.ratio),
    goal('SDS segl RSS growth MB', `< ${SDS_TARGET.rssGrowthMb}`, growth, (v) => v < SDS_TARGET.rssGrowthMb),
  ];
}

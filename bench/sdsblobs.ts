// The sds-blobs phase: the SDS transfer of bench/sds.ts (a BENCH_SDS_MB MiB PDF up and down, the
// client in a child process, best of SDS_RUNS per direction) through segl with each blob store:
// the filesystem (the baseline of this phase), S3 (s3rver in a child process, scripts/s3-test-server.js)
// and PostgreSQL large objects (a fresh database, when PostgreSQL answers). The database is SQLite
// in all three, so only the blob store differs. Goal: each store's MB/s ≥ 0.5 × the filesystem's.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { checkPdfFile } from '../src/content/pdf';
import type { Goal } from './report';
import { freshPgDatabase, SERVICE, startSegl } from './servers';
import {
  best,
  isSide,
  makeTempDir,
  MIB,
  oneRun,
  removeSdsTemp,
  SDS_RUNS,
  side,
  writePdfFile,
  type SdsContext,
  type SdsRun,
  type SdsSideOutcome,
  type Target,
} from './sds';

export const SDS_BLOBS_TARGET = 0.5;
type Store = 'fs' | 's3' | 'postgres';

type StoreOutcome = SdsSideOutcome | { skipped: string };

export interface SdsBlobsMeasurement {
  file: { bytes: number; mib: number; sha256: string };
  stores: Partial<Record<Store, StoreOutcome>>;
  /** store MB/s ÷ filesystem MB/s, per direction */
  ratios: Partial<Record<'s3' | 'postgres', { upload: number | null; download: number | null }>>;
  s3Server: string;
}

/** s3rver on a free port with bucket segl-bench, data under `dir`; stop() kills it. */
async function startS3rver(dir: string): Promise<{ endpoint: string; stop: () => Promise<void> }> {
  mkdirSync(dir, { recursive: true });
  const script = path.resolve(__dirname, '..', '..', 'scripts', 's3-test-server.js');
  const child: ChildProcess = spawn(process.execPath, [script, '--dir', dir, '--bucket', 'segl-bench'], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const port = await new Promise<number>((resolve, reject) => {
    child.once('exit', (code) => reject(new Error(`s3rver exited with ${code}`)));
    createInterface({ input: child.stdout! }).once('line', (l) => resolve((JSON.parse(l) as { port: number }).port));
  });
  return {
    endpoint: `http://127.0.0.1:${port}`,
    stop: () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null) return resolve();
        child.removeAllListeners('exit');
        child.once('exit', () => resolve());
        child.kill();
      }),
  };
}

async function runStore(ctx: SdsContext, name: string, env: Record<string, string>, file: { path: string; bytes: number; sha256: string }) {
  return side(ctx, name, () =>
    ctx.withServer(
      () => startSegl('sqlite', env),
      async (s) => {
        const t: Target = {
          name,
          uploadUrl: `${s.baseUrl}/doc/${SERVICE}/sds`,
          downloadUrl: (id) => `${s.baseUrl}/doc/${SERVICE}/sds/${encodeURIComponent(id)}`,
        };
        const runs: SdsRun[] = [];
        for (let i = 1; i <= SDS_RUNS; i++) runs.push(await oneRun(ctx, t, i, file));
        return best(name, runs);
      },
    ),
  );
}

/** The whole phase; temporary files, s3rver and the database are gone when it returns. */
export async function measureSdsBlobs(ctx: SdsContext, mib: number, postgres: boolean): Promise<SdsBlobsMeasurement> {
  const dir = makeTempDir();
  const s3 = await startS3rver(path.join(dir, 's3'));
  const pg = postgres ? await freshPgDatabase() : undefined;
  try {
    const filePath = path.join(dir, `bench-${mib}mib.pdf`);
    ctx.log(`sds-blobs: writing a ${mib} MiB PDF…`);
    const written = await writePdfFile(filePath, mib * MIB);
    const problem = await checkPdfFile(filePath);
    if (problem) throw new Error(`sds-blobs: the generated PDF fails segl's check: ${problem.message}`);
    const file = { path: filePath, ...written };
    const limit = { SEGL_SDS_LIMIT: String(Math.max(100 * MIB, file.bytes + MIB)) };
    const stores: SdsBlobsMeasurement['stores'] = {};
    stores.fs = await runStore(ctx, 'sds-blobs fs', { ...limit, SEGL_BLOBS: 'fs' }, file);
    stores.s3 = await runStore(
      ctx,
      'sds-blobs s3',
      {
        ...limit,
        SEGL_BLOBS: 's3',
        SEGL_S3_BUCKET: 'segl-bench',
        SEGL_S3_ENDPOINT: s3.endpoint,
        SEGL_S3_FORCE_PATH_STYLE: '1',
        AWS_ACCESS_KEY_ID: 'S3RVER',
        AWS_SECRET_ACCESS_KEY: 'S3RVER',
      },
      file,
    );
    stores.postgres = pg
      ? await runStore(ctx, 'sds-blobs postgres', { ...limit, SEGL_BLOBS: 'postgres', SEGL_BLOBS_DATABASE_URL: pg.url }, file)
      : { skipped: 'PostgreSQL does not answer' };
    const rate = (o: StoreOutcome | undefined, dir: 'upload' | 'download') => (o && 'runs' in o ? o[dir].mbPerSec : null);
    const ratio = (o: StoreOutcome | undefined, dir: 'upload' | 'download'): number | null => {
      const a = rate(o, dir);
      const b = rate(stores.fs, dir);
      return a !== null && b ? Number((a / b).toFixed(3)) : null;
    };
    const ratios: SdsBlobsMeasurement['ratios'] = {
      s3: { upload: ratio(stores.s3, 'upload'), download: ratio(stores.s3, 'download') },
      ...(pg ? { postgres: { upload: ratio(stores.postgres, 'upload'), download: ratio(stores.postgres, 'download') } } : {}),
    };
    return {
      file: { bytes: file.bytes, mib: Number((file.bytes / MIB).toFixed(3)), sha256: file.sha256 },
      stores,
      ratios,
      s3Server: 's3rver 3.7.1 in a child process (scripts/s3-test-server.js), its files in the same temporary directory',
    };
  } finally {
    await s3.stop();
    await pg?.drop();
    removeSdsTemp();
  }
}

export function sdsBlobsGoals(m: SdsBlobsMeasurement | undefined): Goal[] {
  const goals: Goal[] = [];
  for (const store of ['s3', 'postgres'] as const)
    for (const dir of ['upload', 'download'] as const) {
      const value = m?.ratios[store]?.[dir] ?? null;
      goals.push({
        name: `SDS ${dir} ratio ${store} store / fs store`,
        target: `>= ${SDS_BLOBS_TARGET}`,
        value,
        pass: value === null ? null : value >= SDS_BLOBS_TARGET,
      });
    }
  return goals;
}

/** sds-blobs.json. */
export function sdsBlobsDoc(m: SdsBlobsMeasurement | undefined, instead: string | undefined, goals: Goal[]): Record<string, unknown> {
  return {
    operation: 'SDS upload + download through each blob store (SQLite database in all)',
    ...(instead ? { outcome: instead } : {}),
    reported: `best (highest MB/s) of ${SDS_RUNS} runs per direction and store, as in sds.json`,
    baseline: 'the filesystem blob store (SEGL_BLOBS=fs) in the same run',
    ...(m ?? {}),
    goals,
  };
}

/** The printed table's lines. */
export function sdsBlobsLines(m: SdsBlobsMeasurement | undefined, instead: string | undefined): string[] {
  const head = `SDS through each blob store (${m ? `${m.file.mib} MiB` : '-'}, MB/s, best of ${SDS_RUNS})`;
  if (!m) return [head, `  ${instead ?? '-'}`];
  const lines = [head];
  for (const store of ['fs', 's3', 'postgres'] as const) {
    const o = m.stores[store];
    const r = store === 'fs' ? undefined : m.ratios[store];
    if (!o) continue;
    if ('skipped' in o) lines.push(`  ${store.padEnd(9)} skipped: ${o.skipped}`);
    else if (!isSide(o)) lines.push(`  ${store.padEnd(9)} FAILED: ${o.failed}`);
    else
      lines.push(
        `  ${store.padEnd(9)} upload ${o.upload.mbPerSec.toFixed(1).padStart(7)}  download ${o.download.mbPerSec.toFixed(1).padStart(7)}` +
          (r ? `   ratio to fs: upload ${r.upload ?? '-'}, download ${r.download ?? '-'}` : '   (baseline)'),
      );
  }
  return lines;
}

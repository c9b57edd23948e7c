// The SDS phase's sds.json and its table rows (moved out of run.ts, which builds them from measureSds's result).
import type { Goal, SdsTable } from './report';
import { isSide, SDS_RUNS, SDS_TARGET, sdsRatios, type SdsMeasurement } from './sds';

/** sds.json: the environment, the transfers beside the baseline, the ratios, RSS and goals. */
export function sdsDocOf(
  env: Record<string, unknown>,
  cpuBusyAfterPercent: number,
  sds: SdsMeasurement | undefined,
  sdsInstead: string | undefined,
  mib: number,
  goals: Goal[],
): Record<string, unknown> {
  const sdsRatio = sdsRatios(sds);
  return {
    ...env,
    cpuBusyAfterRunPercent: cpuBusyAfterPercent,
    operation: 'SDS upload + download',
    database: 'sqlite',
    requestedMiB: mib,
    ...(sdsInstead ? { outcome: sdsInstead } : {}),
    transport:
      'HTTP/1.1 on 127.0.0.1, one fresh connection per transfer; segl: POST /doc/demo/sds (Basic auth, Content-Type application/pdf) then GET /doc/demo/sds/{id}',
    client:
      'bench/transfer.js in a child node process: fs.createReadStream → http.request with Content-Length; the download is SHA-256-hashed and discarded',
    units: 'MB = 2^20 bytes; MB/s = bytes ÷ 2^20 ÷ wall seconds',
    timing: {
      upload: 'from the first byte handed to the request until the 201 status line arrives',
      download: 'from the request until the last byte of the body',
    },
    runsPerDirection: SDS_RUNS,
    reported: `best (highest MB/s) of ${SDS_RUNS} runs per direction, for segl and the baseline separately; each run is an upload then a download of that upload; every run is listed under runs`,
    ...(sds
      ? {
          file: sds.file,
          segl: sds.segl,
          baseline: {
            ...(isSide(sds.baseline) ? sds.baseline : { outcome: sds.baseline }),
            description:
              "bare node http.createServer in the bench process: POST body → stream.pipeline → fs.createWriteStream in a temp dir (like segl's DATA_DIR), 201 with the id; GET → fs.createReadStream with Content-Length. No auth, hashing, checks or database.",
          },
          ratios: sdsRatio,
          serverRss: sds.rss
            ? {
                ...sds.rss,
                what: 'process.memoryUsage().rss of the bench process (where segl runs) sampled every 50 ms during all segl uploads and downloads; growthMb = peak − RSS just before the first upload (after global.gc() when available)',
              }
            : null,
          sha256AllMatch: sds.sha256AllMatch,
        }
      : {}),
    targets: { ratio: `>= ${SDS_TARGET.ratio} (upload and download separately)`, rssGrowthMb: `< ${SDS_TARGET.rssGrowthMb}` },
    goals,
  };
}

/** What the printed table shows of the SDS phase. */
export function sdsTableOf(sds: SdsMeasurement | undefined, sdsInstead: string | undefined, mib: number): SdsTable {
  return {
    ...(sdsInstead ? { instead: sdsInstead } : {}),
    mib: sds?.file.mib ?? mib,
    runs: SDS_RUNS,
    segl: !sds ? { failed: '-' } : isSide(sds.segl) ? { upload: sds.segl.upload.mbPerSec, download: sds.segl.download.mbPerSec } : sds.segl,
    baseline: !sds
      ? { failed: '-' }
      : isSide(sds.baseline)
        ? { upload: sds.baseline.upload.mbPerSec, download: sds.baseline.download.mbPerSec }
        : sds.baseline,
    ratios: sdsRatios(sds),
    rssGrowthMb: sds?.rss && isSide(sds.segl) ? sds.rss.growthMb : null,
    gcAvailable: sds?.rss ? sds.rss.gcAvailable : null,
    sha256AllMatch: sds?.sha256AllMatch ?? null,
  };
}

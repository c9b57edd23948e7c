// The preservation job as the runtime wires it (queue/jobs/preserve.ts, docs/ltvsdo.md "Archive time-stamps and
// renewal"): the archive's rows, the clock, the margin from SEGL_PRESERVATION_MARGIN_DAYS, the configured trust
// (TSA, OCSP, anchors) — and its counts for /metrics.
import type { DataSource } from 'typeorm';
import type { Config } from '../config';
import type { Clock } from '../core/ports';
import { preservationRunner, type PadesRenewer } from '../queue/jobs/preserve';
import type { RenewalTrust } from '../signing/preserve';
import type { BlobStore } from '../store/blobs';
import { PreservationRepository, type PreservationCounts } from '../store/preservation';

/**
 * The PAdES side of preservation (PadesRenewer, queue/jobs/preserve.ts): the hook for src/trust/pades/renew.ts
 * renewPades (a new DSS + document time-stamp, PAdES B-LTA renewal) with a due time for a PDF. Unset until that
 * lands: archived PDFs are then left alone.
 */
export const PADES_RENEWER: PadesRenewer | undefined = undefined;

export interface Preservation {
  /** one run of the `preserve` timer: how many documents were renewed */
  renewDue(): Promise<number>;
  /** for /metrics */
  counts(): Promise<PreservationCounts>;
}

export function preservationOn(
  db: DataSource,
  blobs: BlobStore,
  clock: Clock,
  cfg: Pick<Config, 'preservationMarginDays'>,
  trust: () => Promise<RenewalTrust>,
  log: { warn(o: object, msg: string): void },
): Preservation {
  const repo = new PreservationRepository(db, blobs);
  const marginMs = cfg.preservationMarginDays * 86_400_000;
  const runner = preservationRunner({ repo, clock, marginMs, trust, pades: PADES_RENEWER, log });
  return { renewDue: () => runner.renewDue(), counts: () => repo.counts(clock.now()) };
}

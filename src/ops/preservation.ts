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
import { renewPades } from '../trust/pades/renew';
import { renewalDue } from '../trust/pades/renewaldue';
import { validatePades } from '../trust/validation/pades';

/**
 * The PAdES side of preservation (PadesRenewer, queue/jobs/preserve.ts): due when the newest document time-stamp's
 * TSA certificate or algorithm nears its end (trust/pades/renewaldue.ts); renewed by a new DSS and document
 * time-stamp (trust/pades/renew.ts, PAdES B-LTA renewal), and stored only when the result validates TOTAL-PASSED.
 * A PDF that does not end with a document time-stamp (not a B-LTA) is refused with the reason, tried again later.
 */
export function padesRenewer(trust: () => Promise<RenewalTrust>, clock: Clock): PadesRenewer {
  const pool = (t: RenewalTrust) => [...t.intermediates, ...t.anchors];
  return {
    due: async (pdf, marginMs) => (await renewalDue(pdf, clock.now(), marginMs, { certificatePool: pool(await trust()) })).dueAt,
    renew: async (pdf) => {
      const t = await trust();
      const renewed = await renewPades(pdf, {
        timestamps: t.timestamp,
        revocation: t.revocation,
        certificatePool: pool(t),
        clock: () => clock.now(),
      });
      const check = await validatePades(renewed.pdf, { anchors: t.anchors, intermediates: t.intermediates, at: clock.now() });
      if (check.indication !== 'TOTAL-PASSED')
        throw new Error(
          `the renewed PDF does not validate: ${check.indication}${check.subIndication ? ` ${check.subIndication}` : ''}: ${check.message}`,
        );
      return renewed.pdf;
    },
  };
}

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
  const runner = preservationRunner({ repo, clock, marginMs, trust, pades: padesRenewer(trust, clock), log });
  return { renewDue: () => runner.renewDue(), counts: () => repo.counts(clock.now()) };
}

// The preservation job (issue 17 part 1, docs/ltvsdo.md "Archive time-stamps and renewal"), run nightly by the
// `preserve` timer (timers.ts): every archived LTV-SDO whose evidence is due — a margin (SEGL_PRESERVATION_MARGIN_DAYS,
// default 730) before its newest time-stamp's TSA certificate or algorithm, or before the first renewal the seal's
// certificate, ends — gets fresh validation data and a new archive time-stamp (signing/preserve.ts), verified before
// it is stored as a new blob; the row moves onto it in one transaction (store/preservation.ts). Documents not due
// are given their due time; one that cannot be renewed now (TSA or OCSP away, a result that does not verify) is tried
// again a day later, and one whose renewal would not push the due time out (the TSA's own certificate or algorithm
// ends as soon) 30 days later, each with the reason in preservation_note.
//
// Idempotent: a document renewed is due again only years later, so a second run finds nothing; two workers renewing
// the same version at once store one result (the second write finds the row changed and drops its blob).
//
// PAdES: archived PDFs are renewed by the hook `pades` (a PadesRenewer), which the runtime wires to the PAdES B-LTA
// renewal (src/trust/pades/renew.ts renewPades: a new DSS and document time-stamp). Without it PDFs are left alone.
import type { Clock } from '../../core/ports';
import { preservationDue, renewLtvSdo, type RenewalTrust } from '../../signing/preserve';
import type { PreservationRepository, PreservationRow } from '../../store/preservation';

const DAY_MS = 86_400_000;
const BATCH = 100;

/** The PAdES side of preservation (B-LTA renewal), plugged in by the runtime. */
export interface PadesRenewer {
  /** when the PDF's evidence is due (its newest document time-stamp's TSA certificate or algorithm ends, less `marginMs`) */
  due(pdf: Uint8Array, marginMs: number): Date | Promise<Date>;
  /** the PDF with a new DSS (validation data) and document time-stamp, verified */
  renew(pdf: Uint8Array): Promise<Uint8Array>;
}

export interface PreservationDeps {
  repo: PreservationRepository;
  clock: Clock;
  marginMs: number;
  trust: () => Promise<RenewalTrust>;
  pades?: PadesRenewer;
  log: { warn(o: object, msg: string): void };
}

export interface PreservationRun {
  renewed: number;
  scheduled: number;
  failed: number;
}

type Outcome = keyof PreservationRun;

async function renewOne(d: PreservationDeps, row: PreservationRow, now: Date): Promise<Outcome> {
  const bytes = await d.repo.read(row);
  const pdf = row.mimeType === 'application/pdf' || row.mimeType === 'application/x-pades';
  if (pdf && !d.pades) return 'scheduled';
  const dueOf = (b: Uint8Array): Date | Promise<Date> =>
    pdf ? d.pades!.due(b, d.marginMs) : preservationDue(Buffer.from(b).toString('utf8'), d.marginMs);
  const due = await dueOf(bytes);
  if (due > now) {
    await d.repo.schedule(row, due);
    return 'scheduled';
  }
  const next = pdf
    ? await d.pades!.renew(bytes)
    : Buffer.from((await renewLtvSdo(bytes.toString('utf8'), await d.trust(), now)).xml, 'utf8');
  const nextDue = await dueOf(next);
  if (nextDue <= due) {
    const why = `a renewal now would not push the due time (${due.toISOString()}) out: the TSA's certificate or algorithm ends as soon`;
    await d.repo.schedule(row, new Date(now.getTime() + 30 * DAY_MS), why);
    return 'failed';
  }
  const stored = await d.repo.renewed(row, next, now, new Date(Math.max(nextDue.getTime(), now.getTime() + DAY_MS)));
  return stored ? 'renewed' : 'scheduled';
}

/** One run over everything due now (the top of this file). */
export async function preserveDue(d: PreservationDeps): Promise<PreservationRun> {
  const now = d.clock.now();
  const run: PreservationRun = { renewed: 0, scheduled: 0, failed: 0 };
  const types = d.pades ? undefined : ['application/x-ltv-sdo'];
  const seen = new Set<string>();
  for (;;) {
    // a row left due (changed meanwhile by another run) is not taken twice
    const rows = (await d.repo.due(now, BATCH, types)).filter((r) => !seen.has(r.id));
    for (const row of rows) {
      seen.add(row.id);
      try {
        run[await renewOne(d, row, now)]++;
      } catch (e) {
        const why = e instanceof Error ? e.message : String(e);
        d.log.warn({ archiveId: row.id, err: why }, 'archived evidence not renewed (tried again in a day)');
        await d.repo.schedule(row, new Date(now.getTime() + DAY_MS), why.slice(0, 1000));
        run.failed++;
      }
    }
    if (rows.length === 0) return run;
  }
}

/** The job as the `preserve` timer runs it: how many documents were renewed. A store that fails is logged; the next run goes on. */
export function preservationRunner(d: PreservationDeps): { renewDue(): Promise<number> } {
  return {
    renewDue: async () => {
      try {
        return (await preserveDue(d)).renewed;
      } catch (e) {
        d.log.warn({ err: e instanceof Error ? e.message : String(e) }, 'the preservation run stopped (the next run goes on)');
        return 0;
      }
    },
  };
}

// The packaging job as a use case (run by src/queue/jobs/packaging.ts for each segl-packaging job):
// one packaging task's sealed LTV-SDOs read, ONE package made by the PackageMaker for all of them,
// the PDF kept in Session Data Storage (or the archive with @send-to-archive="true") and the task
// marked completed in one transaction, its packaging notifications with it.
//
// Idempotent: a run finds a packaging task that has ended (completed, failed) and does nothing, and
// the completing write only applies to a task still `created` (a second run racing the first rolls
// back and takes its bytes back). A crash before that commit leaves no row: the blob it wrote is
// found by the orphan sweep. A thrown maker error or an `internal-error` answer is retried (the
// caller's queue backs off) until the last attempt, when the task fails; any other code is a
// refusal and fails it at once.
import { newSignicatId } from './ids';
import type { PackageMaker, PackageOutcome } from './packagemaker';
import { applyPackagingSteps, packageId, planPackagingEnd } from './packagingtasks';
import type { BlobSink, BlobSource, PackagingResult, PackagingTaskRow, PackagingWrites, RequestWrites, SealWrites } from './ports';
import { DAY_MS, iso, UseCase, type BaseTx, type UseCaseDeps } from './usecase';

type Tx = BaseTx & PackagingWrites & Pick<RequestWrites, 'insertArchive' | 'insertSds'> & Pick<SealWrites, 'historyHead'>;

export interface PackagingRunDeps extends UseCaseDeps<Tx> {
  blobs: BlobSink & BlobSource;
  maker: PackageMaker;
  /** how long the package lives in SDS (as an upload does) */
  sdsTtlDays: number;
  /** runs after which an internal failure is final even when the queue would try again (lost jobs are re-queued) */
  maxAttempts: number;
}

export type PackagingRunOutcome = 'completed' | 'failed' | 'skipped';

/** The MIME type of a package as SDS and the archive keep it (what Signicat's clients expect). */
export const PADES_MIME = 'application/x-pades';

/** Thrown for a failure worth another run: the queue retries the job with backoff. */
export class PackagingRetry extends Error {}

/** The completing write found the packaging task ended by another run (or a deletion) meanwhile. */
class AlreadyEnded extends Error {}

interface Work {
  row: PackagingTaskRow;
  serviceName: string;
  attempts: number;
  sources: Array<{ ref: string; blobKey: string }>;
  missing: string[];
  /** the head of the request's history chain when the run began (docs/audit.md) */
  historyHead?: { seq: number; hash: string };
}

export class PackagingRuns extends UseCase<Tx, PackagingRunDeps> {
  /**
   * One run of the job for a packaging task. `lastAttempt`: the queue will not try again, so an
   * internal failure is final. Throws PackagingRetry (or whatever the store threw) to be retried.
   */
  async run(requestId: string, packagingTaskId: string, opts: { lastAttempt?: boolean } = {}): Promise<PackagingRunOutcome> {
    const work = await this.begin(requestId, packagingTaskId);
    if (!work) return 'skipped';
    if (work.missing.length) return this.fail(work.row, 'no-result', `no signed result for ${work.missing.join(', ')}`);
    const last = opts.lastAttempt === true || work.attempts >= this.d.maxAttempts;
    let outcome: PackageOutcome;
    try {
      outcome = await this.make(work);
    } catch (e) {
      outcome = { ok: false, code: 'internal-error', message: (e as Error).message };
    }
    if (outcome.ok) return this.complete(work, outcome.pdf);
    if (outcome.code !== 'internal-error') return this.fail(work.row, outcome.code, outcome.message);
    const message = `${outcome.message} (attempt ${work.attempts})`;
    if (last) return this.fail(work.row, 'internal-error', `${message}; no attempts left`);
    throw new PackagingRetry(`packaging task "${packagingTaskId}" of request "${requestId}": ${message}; will be retried`);
  }

  /** Reads the packaging task and where its SDOs are, and counts the attempt; null when there is nothing to do. */
  private begin(requestId: string, packagingTaskId: string): Promise<Work | null> {
    const n = iso(this.now());
    return this.d.store.tx(async (tx) => {
      const job = await tx.packagingJob(requestId, packagingTaskId);
      if (!job || job.row.status !== 'created') return null;
      const sources: Work['sources'] = [];
      const missing: string[] = [];
      for (const d of job.row.documents) {
        const r = await tx.getResult(requestId, d.taskId, d.documentId);
        if (r) sources.push({ ref: `order:${requestId}/${d.taskId}/${d.documentId}`, blobKey: r.blobKey });
        else missing.push(`document "${d.documentId}" of task "${d.taskId}"`);
      }
      const attempts = await tx.countPackagingAttempt(requestId, packagingTaskId, n);
      return { row: job.row, serviceName: job.serviceName, attempts, sources, missing, historyHead: await tx.historyHead(requestId) };
    });
  }

  /** One call of the maker with every SDO of the packaging task, in the order of its packaging-task-documents. */
  private async make(work: Work): Promise<PackageOutcome> {
    const sources = [];
    for (const s of work.sources) sources.push({ ref: s.ref, sdo: new Uint8Array(await this.d.blobs.getBytes(s.blobKey)) });
    return this.d.maker.make({
      serviceId: work.row.serviceId,
      serviceName: work.serviceName,
      method: work.row.method,
      packageId: packageId(work.row.requestId, work.row.packagingTaskId),
      sources,
      now: this.now(),
      historyHead: work.historyHead && { requestId: work.row.requestId, ...work.historyHead },
    });
  }

  /** Keeps the package and marks the packaging task completed, together (or neither). */
  private async complete(work: Work, pdf: Uint8Array): Promise<PackagingRunOutcome> {
    const { row } = work;
    const now = this.now();
    const n = iso(now);
    try {
      await this.releasingOnFailure(async (written) => {
        const blob = await this.d.blobs.putBytes(pdf);
        if (blob.created !== false) written.push(blob.key);
        const entry = {
          id: newSignicatId(now),
          mimeType: PADES_MIME,
          size: blob.size,
          sha256: blob.sha256,
          blobKey: blob.key,
          createdAt: n,
        };
        const result: PackagingResult = {
          kind: row.sendToArchive ? 'archive' : 'sds',
          id: entry.id,
          blobKey: blob.key,
          sha256: blob.sha256,
        };
        await this.write(async (tx, out) => {
          if (!(await tx.completePackaging(row.requestId, row.packagingTaskId, result, n))) throw new AlreadyEnded();
          if (result.kind === 'archive') {
            await tx.insertArchive(row.serviceId, [{ ...entry, requestId: row.requestId, documentId: row.packagingTaskId }]);
          } else {
            await tx.insertSds({
              ...entry,
              serviceId: row.serviceId,
              expiresAt: iso(new Date(now.getTime() + this.d.sdsTtlDays * DAY_MS)),
            });
          }
          await out.insert(tx, planPackagingEnd(await tx.allNotifications(row.requestId), row.packagingTaskId, 'completed', now));
        });
      });
    } catch (e) {
      if (e instanceof AlreadyEnded) return 'skipped';
      throw e;
    }
    return 'completed';
  }

  /** The packaging task fails for good (with its error event and notifications), unless it ended meanwhile. */
  private async fail(row: PackagingTaskRow, code: string, message: string): Promise<PackagingRunOutcome> {
    const now = this.now();
    const step = { kind: 'fail' as const, packagingTaskId: row.packagingTaskId, code, message: message.slice(0, 2000) };
    const applied = await this.write((tx, out) =>
      applyPackagingSteps(tx, out, row.requestId, [step], () => tx.allNotifications(row.requestId), now),
    );
    return applied ? 'failed' : 'skipped';
  }
}

// The seal job as a use case (run by src/queue/jobs/seal.ts for each segl-seal job): one act of
// signing whose native signature the portal recorded (core/signer.ts signTask) is verified, given a
// trusted time, packaged as an LTV-SDO and sealed by the SealMaker (src/signing/pipeline.ts); the
// package is stored as the result of each document of the act, the seal job ends and — after the
// task's last act — the task completes, all in ONE transaction, so the `completed` notifications
// are planned by the sealing itself and fire after it.
//
// Retried, never lost: a thrown maker or blob store error and an answer that says "try later" (TSA
// or OCSP unreachable) put the job back into the outbox, due after the next wait of the published
// schedule (SEGL_SEAL_RETRY_SCHEDULE); after the last wait the task fails (an `error` event, task
// status `failed`). A refusal (the initial verification of the native signature failed) ends the job
// with an `error` event and leaves the task open, so the signer may sign again. Exactly once: a run
// begins only for a job still queued with the attempt its BullMQ job names, and the completing write
// applies only to a job not yet ended (a second run racing the first rolls back and takes its
// package back).
import { createHash } from 'node:crypto';
import { newSignicatId } from './ids';
import { parseRetrySchedule } from './outbox';
import { portalTask, type PortalDocument } from './portal';
import type {
  AuthenticationEvidence,
  BlobSink,
  BlobSource,
  RequestWrites,
  SealJobKey,
  SealJobRow,
  SealWrites,
  ServiceAccount,
  SignerWrites,
  TaskRow,
} from './ports';
import { moveTask } from './transitions';
import { iso, UseCase, type BaseTx, type UseCaseDeps } from './usecase';
import type { AuditEntry } from './signer';

type Tx = BaseTx & SealWrites & SignerWrites & Pick<RequestWrites, 'insertArchive'>;

/** The waits between seal attempts when SEGL_SEAL_RETRY_SCHEDULE is not set: about 52 hours in all. */
export const DEFAULT_SEAL_RETRY_SCHEDULE = parseRetrySchedule('5s,15s,30s,1m,2m,5m,10m,15m,30m,1h,2h,4h,8h,12h,24h');

/** What the seal maker gets: the signer's native signature and what the package says about the act. */
export interface SealAct {
  /** the service whose package this is: sealed with its own seal when it has one */
  serviceId?: number;
  requestId: string;
  taskId: string;
  nativeXml: string;
  /** what the portal saw and did up to and including the signature */
  audit: AuditEntry[];
  userAgent?: string;
  clientIp?: string;
  /** the signer's CPR, only where collected and allowed (PID-CPR) */
  nationalId?: string;
  /** free text from the request, e.g. its client-reference */
  externalContext?: string;
  /** an authentication-based signature: the signer as the eID named them, and the eID's answer as evidence */
  authentication?: AuthenticationEvidence;
  /** a handwriting-only signature: no eID, no signer certificate; a simple electronic signature (the drawing is in the native signature) */
  handwritingOnly?: boolean;
  /** the head of the request's history chain when the run began (docs/audit.md) */
  historyHead?: { seq: number; hash: string };
}

/**
 * The sealed package and what it is ("sealed LTV-SDO"), or why not: `retry` when the answer may be
 * different later (a trust service unreachable: INDETERMINATE TRY_LATER), else a refusal.
 */
export type SealOutcome = { ok: true; bytes: Uint8Array; note: string } | { ok: false; stage: string; reason: string; retry: boolean };

/** Verifies, time-stamps, packages and seals one act (src/signing/pipeline.ts). A throw is retried. */
export interface SealMaker {
  seal(act: SealAct): Promise<SealOutcome>;
}

export interface SealRunDeps extends UseCaseDeps<Tx> {
  blobs: BlobSink & BlobSource;
  maker: () => Promise<SealMaker>;
  /** waits between attempts (ms); after the last the task fails */
  retrySchedule: readonly number[];
}

export type SealRunOutcome = 'completed' | 'retry' | 'refused' | 'failed' | 'skipped';

/** The seal job's BullMQ job: its key and the runs begun when the relay queued it (one job per attempt). */
export interface SealJobData extends SealJobKey {
  attempts: number;
}

/**
 * The job id of one attempt of a seal job (a duplicate add of the same attempt does nothing): hashed,
 * as task ids may hold characters BullMQ refuses in ids (`:`).
 */
export const sealJobId = (j: SealJobData): string =>
  `s${createHash('sha256').update(`${j.requestId}\u0000${j.taskId}\u0000${j.act}`).digest('hex').slice(0, 40)}-${j.attempts}`;

/** The completing write found the job ended by another run (or the task closed) meanwhile. */
class AlreadyEnded extends Error {}

interface Work {
  row: SealJobRow;
  svc: ServiceAccount;
  group: PortalDocument[];
  act: SealAct;
  attempts: number;
}

export class SealRuns extends UseCase<Tx, SealRunDeps> {
  /**
   * One run of a seal job's attempt. Whatever the store throws is thrown on (the queue tries the same
   * attempt again). `maker`: another maker than the composition's (tests that vary the package).
   */
  async run(job: SealJobData, maker?: SealMaker): Promise<SealRunOutcome> {
    const work = await this.begin(job);
    if (!work) return 'skipped';
    let outcome: SealOutcome;
    try {
      outcome = await (maker ?? (await this.d.maker())).seal(work.act);
    } catch (e) {
      outcome = { ok: false, stage: 'sealing', reason: (e as Error).message, retry: true };
    }
    if (outcome.ok) {
      try {
        return await this.complete(work, outcome);
      } catch (e) {
        if (e instanceof AlreadyEnded) return 'skipped';
        // the blob store or the database refused the package: the act is kept, tried again
        return this.retry(work, `storing the sealed package failed: ${(e as Error).message}`);
      }
    }
    if (!outcome.retry) return this.refuse(work, `signature not sealed at ${outcome.stage}: ${outcome.reason}`);
    return this.retry(work, `${outcome.stage}: ${outcome.reason}`);
  }

  /** Reads the job and its task and counts the attempt; null when there is nothing (more) to do. */
  private begin(job: SealJobData): Promise<Work | null> {
    const n = iso(this.now());
    return this.d.store.tx(async (tx) => {
      const found = await tx.sealJob(job);
      if (!found || found.row.status !== 'queued' || found.row.attempts !== job.attempts || !found.row.nativeXml) return null;
      const { row, serviceName } = found;
      const svc: ServiceAccount = { id: row.serviceId, name: serviceName, public: false };
      const request = await tx.getRequest(row.serviceId, row.requestId);
      const tasks = await tx.getTasks(row.requestId);
      const task = tasks.find((t) => t.taskId === row.taskId);
      if (!request || !task || request.deleted || task.status !== 'created') {
        // the request was deleted or the task closed (disabled …) while the act waited: nothing to seal for
        await tx.endSealJob(row, 'failed', `not sealed: the task is ${request?.deleted ? 'deleted' : (task?.status ?? 'gone')}`, n);
        return null;
      }
      if (!(await this.dependenciesDone(tx, row, task, tasks))) return null;
      if (!(await tx.beginSealRun(row, job.attempts, n))) return null;
      const pt = portalTask(request, task, tasks, await tx.getTaskDocuments([row.requestId]));
      const group = row.documentIds.map((id) => pt.documents.find((d) => d.id === id)).filter((d): d is PortalDocument => !!d);
      const c = row.context;
      const act: SealAct = {
        serviceId: row.serviceId,
        requestId: row.requestId,
        taskId: row.taskId,
        nativeXml: row.nativeXml!,
        audit: c.audit.map((a) => ({ ...a, time: new Date(a.time) })),
        userAgent: c.userAgent,
        clientIp: c.clientIp,
        nationalId: pt.nationalId,
        externalContext: pt.clientReference,
        authentication: c.authentication,
        handwritingOnly: c.handwritingOnly,
        historyHead: await tx.historyHead(row.requestId),
      };
      return { row, svc, group, act, attempts: job.attempts + 1 };
    });
  }

  /**
   * A task signed in a user session's act right after tasks it depends on (core/signer.ts signTask
   * `signedInAct`) is sealed only once they are completed, so that their completion comes first. While
   * one is still being sealed the job is due again (not counted as an attempt; the wait grows with the
   * job's age, at most a minute); when one is no longer being sealed and not completed (its signature
   * refused, the task failed or closed) the job is refused as a refused signature is (an `error` event,
   * the task open again, waiting for it). True when the job may run now.
   */
  private async dependenciesDone(tx: Tx, row: SealJobRow, task: TaskRow, tasks: readonly TaskRow[]): Promise<boolean> {
    const now = this.now();
    const n = iso(now);
    const open = (task.body.dependsOnTask ?? []).filter((id) => tasks.find((t) => t.taskId === id)?.status !== 'completed');
    let waits: string | undefined;
    for (const id of open) {
      const jobs = await tx.sealJobs(row.requestId, id);
      const sealing =
        tasks.find((t) => t.taskId === id)?.status === 'created' && jobs.some((j) => j.status === 'pending' || j.status === 'queued');
      if (!sealing) {
        const reason = `signature not sealed: task "${id}", which this task depends on and which was signed in the same act, was not completed`;
        if (await tx.endSealJob(row, 'failed', reason, n))
          await tx.insertEvents([{ requestId: row.requestId, taskId: row.taskId, event: 'error', eventTime: n, data: reason }]);
        return false;
      }
      waits ??= id;
    }
    if (waits === undefined) return true;
    const wait = Math.min(60_000, Math.max(1_000, (now.getTime() - Date.parse(row.createdAt)) / 4));
    await tx.retrySealJob(row, iso(new Date(now.getTime() + wait)), `waits for the seal of task "${waits}", which it depends on`, n);
    return false;
  }

  /**
   * Stores the package and records it as the result of each document of its act; a document whose
   * action says `send-result-to-archive="true"` also gets an archive entry for the package (same
   * blob, `application/x-ltv-sdo`), and its result-uri is then the archive's (reference §3.5). The
   * job ends, and after the task's last act the task completes — in one transaction, or nothing.
   */
  private async complete(work: Work, outcome: { bytes: Uint8Array; note: string }): Promise<SealRunOutcome> {
    const { row, svc, group } = work;
    const now = this.now();
    const n = iso(now);
    await this.releasingOnFailure(async (written) => {
      const blob = await this.d.blobs.putBytes(outcome.bytes);
      if (blob.created !== false) written.push(blob.key);
      await this.write(async (tx, out) => {
        if (!(await tx.endSealJob(row, 'done', undefined, n))) throw new AlreadyEnded();
        // locked: the task's siblings may be completing in other processes (ports.ts getRequest)
        const request = await tx.getRequest(row.serviceId, row.requestId, true);
        const tasks = await tx.getTasks(row.requestId);
        const task = tasks.find((t) => t.taskId === row.taskId);
        if (!request || request.deleted || !task || task.status !== 'created') throw new AlreadyEnded();
        for (const d of group) {
          const toArchive = task.body.documentAction.some(
            (a) => (a.documentRef ?? a.document?.id) === d.id && a.sendResultToArchive === true,
          );
          let uri = this.d.uris.result(svc.name, row.requestId, row.taskId, d.id);
          if (toArchive) {
            const id = newSignicatId(now);
            const entry = { id, mimeType: 'application/x-ltv-sdo', size: blob.size, sha256: blob.sha256, blobKey: blob.key };
            await tx.insertArchive(svc.id, [{ ...entry, createdAt: n, requestId: row.requestId, documentId: d.id }]);
            uri = this.d.uris.stored(svc.name, 'archive', id);
          }
          await tx.setResult(row.requestId, row.taskId, d.id, { blobKey: blob.key, sha256: blob.sha256, uri });
        }
        const others = (await tx.sealJobs(row.requestId, row.taskId)).filter((j) => j.act !== row.act);
        if (!others.some((j) => j.status === 'pending' || j.status === 'queued')) {
          const note = `${outcome.note} ${blob.sha256} for ${group.map((d) => d.id).join(', ')}`;
          await moveTask(tx, out, task, tasks, 'completed', now, note);
        }
      });
    });
    return 'completed';
  }

  /** Another attempt after the schedule's next wait; after the last one the task fails. */
  private async retry(work: Work, reason: string): Promise<SealRunOutcome> {
    const { row, attempts } = work;
    const wait = this.d.retrySchedule[attempts - 1];
    if (wait === undefined) return this.giveUp(work, `${reason} (attempt ${attempts}); no attempts left`);
    const now = this.now();
    const due = iso(new Date(now.getTime() + wait));
    await this.d.store.tx((tx) => tx.retrySealJob(row, due, `${reason} (attempt ${attempts}); next at ${due}`.slice(0, 2000), iso(now)));
    return 'retry';
  }

  /** The initial verification refused the signature: an `error` event; the task stays open for another try. */
  private async refuse(work: Work, reason: string): Promise<SealRunOutcome> {
    const { row } = work;
    const n = iso(this.now());
    const ended = await this.d.store.tx(async (tx) => {
      if (!(await tx.endSealJob(row, 'failed', reason.slice(0, 2000), n))) return false;
      await tx.insertEvents([{ requestId: row.requestId, taskId: row.taskId, event: 'error', eventTime: n, data: reason.slice(0, 2000) }]);
      return true;
    });
    return ended ? 'refused' : 'skipped';
  }

  /** The schedule ran out: the job fails and so does the task (its `error` event and `failed` notifications). */
  private async giveUp(work: Work, reason: string): Promise<SealRunOutcome> {
    const { row } = work;
    const now = this.now();
    const n = iso(now);
    const ended = await this.write(async (tx, out) => {
      if (!(await tx.endSealJob(row, 'failed', reason.slice(0, 2000), n))) return false;
      await tx.getRequest(row.serviceId, row.requestId, true); // locked, as above
      const tasks = await tx.getTasks(row.requestId);
      const task = tasks.find((t) => t.taskId === row.taskId);
      if (task?.status === 'created')
        await moveTask(tx, out, task, tasks, 'failed', now, `the signature could not be sealed: ${reason}`.slice(0, 2000));
      return true;
    });
    return ended ? 'failed' : 'skipped';
  }
}

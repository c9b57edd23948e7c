// The outbox relay: moves due deliveries from the database into BullMQ and marks them queued, a few
// of one channel per job (each row names its job). It is woken after each commit that wrote outbox
// rows and also polls (other processes write too, and reminders fall due with time). Queued rows
// whose job vanished (Redis flushed, restarted without persistence) are queued again after a lease;
// on start every queued row is checked at once. Rows a worker claimed (sending) are given back only
// when their job is gone and the claim is older than the lease plus the send timeout (the worker
// died): only those can be sent twice. The packaging jobs' outbox (packaging_task rows made due when
// their last task completed) is moved into segl-packaging the same way, one job per packaging task;
// and the seal jobs' (seal_job rows, due at their next attempt) into segl-seal, one job per act and
// attempt.
import { randomBytes } from 'node:crypto';
import type { Logger } from 'pino';
import { packageId } from '../core/packagingtasks';
import type { Clock } from '../core/ports';
import type { JobBatch, OutboxRepository, Unsettled } from '../store/outbox';
import type { PackagingJobKey, PackagingJobs } from '../store/packagingtasks';
import { CHANNEL_QUEUE, type DeliveryJob, type Queues } from './queues';
import { sealJobId } from '../core/sealrun';
import type { SealJobClaim, SealJobs } from '../store/sealjobs';

export interface RelayOptions {
  intervalMs: number;
  leaseMs: number;
  /** how long a claimed (sending) row may stay unsettled before it is given back if its job is gone: more than the longest send */
  sendingLeaseMs: number;
  /** rows claimed per statement */
  batch?: number;
  /** deliveries per job (default DELIVERIES_PER_JOB) */
  perJob?: number;
}

/**
 * Deliveries per BullMQ job: each job costs a claim statement and a few Redis calls (add, fetch,
 * complete), shared by its deliveries; the worker's gate, not the job, bounds the calls in flight.
 */
export const DELIVERIES_PER_JOB = 50;

/** A new job id (BullMQ refuses ids that look like integers: a letter first). */
const newJobId = (): string => `j${randomBytes(12).toString('base64url')}`;

export class OutboxRelay {
  private timer?: NodeJS.Timeout;
  private running = false;
  private again = false;
  private stopped = false;
  private lastRedrive = 0;
  private idle?: Promise<void>;
  private idleResolve?: () => void;
  /** deliveries moved to the queues, and re-queued after their job was lost */
  readonly stats = { queued: 0, redriven: 0, errors: 0 };

  constructor(
    private readonly outbox: OutboxRepository,
    private readonly queues: Queues,
    private readonly clock: Clock,
    private readonly log: Logger,
    private readonly opts: RelayOptions,
    private readonly packaging?: PackagingJobs,
    private readonly sealing?: SealJobs,
  ) {}

  start(): void {
    this.stopped = false;
    this.lastRedrive = 0; // the first round checks every queued row
    this.schedule(0);
  }

  /** Something was written: run as soon as possible (coalesced). */
  kick(): void {
    if (this.stopped) return;
    if (this.running) {
      this.again = true;
      return;
    }
    this.schedule(0);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    if (this.running) await this.idle;
  }

  private schedule(ms: number): void {
    clearTimeout(this.timer);
    this.timer = setTimeout(() => void this.round(), ms);
    this.timer.unref?.();
  }

  /** One pass; resolves once all that was due has been queued (tests and the admin clock use it). */
  async round(): Promise<void> {
    if (this.running) {
      this.again = true;
      return this.idle;
    }
    this.running = true;
    this.idle = new Promise((r) => {
      this.idleResolve = r;
    });
    try {
      do {
        this.again = false;
        const began = Date.now();
        while ((await this.moveDue()) === (this.opts.batch ?? 500));
        while ((await this.movePackaging()) === (this.opts.batch ?? 500));
        while ((await this.moveSeals()) === (this.opts.batch ?? 500));
        if (Date.now() - this.lastRedrive >= Math.min(this.opts.leaseMs, 5000)) await this.redrive(began);
      } while (this.again && !this.stopped);
    } catch (e) {
      this.stats.errors++;
      this.log.warn({ err: (e as Error).message }, 'outbox relay: round failed; trying again');
    } finally {
      this.running = false;
      this.idleResolve?.();
      if (!this.stopped) this.schedule(this.opts.intervalMs);
    }
  }

  private async enqueue(jobs: JobBatch[]): Promise<void> {
    const byQueue = new Map<string, JobBatch[]>();
    for (const j of jobs) {
      const list = byQueue.get(CHANNEL_QUEUE[j.channel]);
      if (list) list.push(j);
      else byQueue.set(CHANNEL_QUEUE[j.channel], [j]);
    }
    await Promise.all(
      [...byQueue].map(([name, list]) =>
        this.queues.byName[name as keyof Queues['byName']].addBulk(
          list.map((j) => ({ name: j.channel, data: { deliveries: j.deliveryIds } satisfies DeliveryJob, opts: { jobId: j.jobId } })),
        ),
      ),
    );
  }

  private async moveDue(): Promise<number> {
    const now = new Date().toISOString();
    const jobs = await this.outbox.claimDue(
      this.clock.now().toISOString(),
      now,
      this.opts.batch ?? 500,
      this.opts.perJob ?? DELIVERIES_PER_JOB,
      newJobId,
    );
    if (!jobs.length) return 0;
    const ids = jobs.flatMap((j) => j.deliveryIds);
    return this.queueClaimed(
      ids.length,
      () => this.enqueue(jobs),
      () => this.outbox.release(ids),
    );
  }

  /** Claimed rows go into their queue; when adding fails they are given back for the next round. Returns how many. */
  private async queueClaimed(count: number, enqueue: () => Promise<void>, release: () => Promise<void>): Promise<number> {
    try {
      await enqueue();
      this.stats.queued += count;
    } catch (e) {
      await release();
      throw e;
    }
    return count;
  }

  /** Packaging jobs made due are added to segl-packaging (job id = core's packageId: a duplicate add does nothing). */
  private async enqueuePackaging(list: PackagingJobKey[]): Promise<void> {
    await this.queues.packaging.addBulk(
      list.map((k) => ({ name: 'package', data: k, opts: { jobId: packageId(k.requestId, k.packagingTaskId) } })),
    );
  }

  private async movePackaging(): Promise<number> {
    if (!this.packaging) return 0;
    const rows = await this.packaging.claimDue(new Date().toISOString(), this.opts.batch ?? 500);
    if (!rows.length) return 0;
    const packaging = this.packaging;
    return this.queueClaimed(
      rows.length,
      () => this.enqueuePackaging(rows),
      () => packaging.release(rows),
    );
  }

  /** Queued packaging jobs older than `before` whose job is gone from Redis are added again. */
  private async redrivePackaging(before: string): Promise<void> {
    if (!this.packaging) return;
    const stale = await this.packaging.staleQueued(before, 1000);
    if (!stale.length) return;
    const lost: PackagingJobKey[] = [];
    for (const k of stale) if (!(await this.queues.packaging.getJob(packageId(k.requestId, k.packagingTaskId)))) lost.push(k);
    if (lost.length) {
      await this.enqueuePackaging(lost);
      this.stats.redriven += lost.length;
      this.log.warn({ count: lost.length }, 'outbox relay: re-queued packaging jobs that were lost');
    }
    await this.packaging.touchQueued(stale, new Date().toISOString());
  }

  /** Seal jobs due (their first attempt, or the next after a wait of the schedule) are added to segl-seal. */
  private async moveSeals(): Promise<number> {
    if (!this.sealing) return 0;
    const rows = await this.sealing.claimDue(this.clock.now().toISOString(), new Date().toISOString(), this.opts.batch ?? 500);
    if (!rows.length) return 0;
    const sealing = this.sealing;
    return this.queueClaimed(
      rows.length,
      () => this.enqueueSeals(rows),
      () => sealing.release(rows),
    );
  }

  private async enqueueSeals(list: SealJobClaim[]): Promise<void> {
    await this.queues.seal.addBulk(list.map((k) => ({ name: 'seal', data: k, opts: { jobId: sealJobId(k) } })));
  }

  /** Queued seal jobs older than `before` whose job is gone from Redis are added again. */
  private async redriveSeals(before: string): Promise<void> {
    if (!this.sealing) return;
    const stale = await this.sealing.staleQueued(before, 1000);
    if (!stale.length) return;
    const lost: SealJobClaim[] = [];
    // a running job is named by the attempts counted when it was queued: its run has counted one more since
    const present = async (k: SealJobClaim) =>
      !!(await this.queues.seal.getJob(sealJobId(k))) ||
      (k.attempts > 0 && !!(await this.queues.seal.getJob(sealJobId({ ...k, attempts: k.attempts - 1 }))));
    for (const k of stale) if (!(await present(k))) lost.push(k);
    if (lost.length) {
      await this.enqueueSeals(lost);
      this.stats.redriven += lost.length;
      this.log.warn({ count: lost.length }, 'outbox relay: re-queued seal jobs that were lost');
    }
    await this.sealing.touchQueued(stale, new Date().toISOString());
  }

  /**
   * Queued rows older than the lease, and claimed rows older than the sending lease: if their job is
   * gone from Redis, they are queued again in new jobs. The first round after start checks every row
   * queued before it began (not those it has just queued itself).
   */
  private async redrive(roundBegan: number): Promise<void> {
    const first = this.lastRedrive === 0;
    this.lastRedrive = Date.now();
    const before = new Date(first ? roundBegan : Date.now() - this.opts.leaseMs).toISOString();
    const sendingBefore = new Date(Date.now() - this.opts.sendingLeaseMs).toISOString();
    await this.redrivePackaging(before);
    await this.redriveSeals(before);
    const stale = await this.outbox.unsettled(before, sendingBefore, 1000);
    if (!stale.length) return;
    const byJob = new Map<string | null, Unsettled[]>();
    for (const r of stale) byJob.set(r.jobId, [...(byJob.get(r.jobId) ?? []), r]);
    const lost: Unsettled[] = [];
    const found: string[] = [];
    await Promise.all(
      [...byJob].map(async ([id, rows]) => {
        const job = id === null ? undefined : await this.queues.byName[CHANNEL_QUEUE[rows[0]!.channel]].getJob(id);
        if (job) found.push(...rows.map((r) => r.deliveryId));
        else lost.push(...rows);
      }),
    );
    if (lost.length) {
      const jobs = await this.outbox.requeue(
        lost,
        sendingBefore,
        new Date().toISOString(),
        this.opts.perJob ?? DELIVERIES_PER_JOB,
        newJobId,
      );
      const count = jobs.reduce((n, j) => n + j.deliveryIds.length, 0);
      if (count) {
        await this.enqueue(jobs);
        this.stats.redriven += count;
        this.log.warn({ count }, 'outbox relay: re-queued deliveries whose jobs were lost');
        this.log.debug(
          { jobs: jobs.map((j) => ({ jobId: j.jobId, deliveryIds: j.deliveryIds })) },
          'outbox relay: the re-queued deliveries',
        );
      }
    }
    await this.outbox.touchQueued(found, new Date().toISOString());
  }
}

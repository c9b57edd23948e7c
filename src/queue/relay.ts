// The outbox relay: moves due deliveries from the database into BullMQ and marks them queued. It
// is woken after each commit that wrote outbox rows and also polls (other processes write too, and
// reminders fall due with time). Queued rows whose job vanished (Redis flushed, restarted without
// persistence) are queued again after a lease; on start every queued row is checked at once. The
// packaging jobs' outbox (packaging_task rows made due when their last task completed) is moved into
// segl-packaging the same way, one job per packaging task; and the seal jobs' (seal_job rows, due
// at their next attempt) into segl-seal, one job per act and attempt.
import type { Logger } from 'pino';
import { packageId } from '../core/packagingtasks';
import type { Clock } from '../core/ports';
import type { Claimed, OutboxRepository } from '../store/outbox';
import type { PackagingJobKey, PackagingJobs } from '../store/packagingtasks';
import { CHANNEL_QUEUE, jobId, type Queues } from './queues';
import { sealJobId } from '../core/sealrun';
import type { SealJobClaim, SealJobs } from '../store/sealjobs';

export interface RelayOptions {
  intervalMs: number;
  leaseMs: number;
  batch?: number;
}

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

  private async enqueue(rows: Claimed[]): Promise<void> {
    const byQueue = new Map<string, Claimed[]>();
    for (const r of rows) {
      const list = byQueue.get(CHANNEL_QUEUE[r.channel]);
      if (list) list.push(r);
      else byQueue.set(CHANNEL_QUEUE[r.channel], [r]);
    }
    await Promise.all(
      [...byQueue].map(([name, list]) =>
        this.queues.byName[name as keyof Queues['byName']].addBulk(
          list.map((r) => {
            const data = { deliveryId: r.deliveryId, attempts: r.attempts };
            return { name: r.channel, data, opts: { jobId: jobId(data) } };
          }),
        ),
      ),
    );
  }

  private async moveDue(): Promise<number> {
    const rows = await this.outbox.claimDue(this.clock.now().toISOString(), new Date().toISOString(), this.opts.batch ?? 500);
    if (!rows.length) return 0;
    try {
      await this.enqueue(rows);
      this.stats.queued += rows.length;
    } catch (e) {
      await this.outbox.release(rows.map((r) => r.deliveryId));
      throw e;
    }
    return rows.length;
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
    try {
      await this.enqueuePackaging(rows);
      this.stats.queued += rows.length;
    } catch (e) {
      await this.packaging.release(rows);
      throw e;
    }
    return rows.length;
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
    try {
      await this.enqueueSeals(rows);
      this.stats.queued += rows.length;
    } catch (e) {
      await this.sealing.release(rows);
      throw e;
    }
    return rows.length;
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
   * Queued rows older than the lease: if their job is gone from Redis, queue it again. The first
   * round after start checks every row queued before it began (not those it has just queued itself).
   */
  private async redrive(roundBegan: number): Promise<void> {
    const first = this.lastRedrive === 0;
    this.lastRedrive = Date.now();
    const before = new Date(first ? roundBegan : Date.now() - this.opts.leaseMs).toISOString();
    await this.redrivePackaging(before);
    await this.redriveSeals(before);
    const stale = await this.outbox.staleQueued(before, 1000);
    if (!stale.length) return;
    const lost: Claimed[] = [];
    await Promise.all(
      stale.map(async (r) => {
        const job = await this.queues.byName[CHANNEL_QUEUE[r.channel]].getJob(jobId(r));
        if (!job) lost.push(r);
      }),
    );
    if (lost.length) {
      await this.enqueue(lost);
      this.stats.redriven += lost.length;
      this.log.warn({ count: lost.length }, 'outbox relay: re-queued deliveries whose jobs were lost');
    }
    await this.outbox.touchQueued(
      stale.map((r) => r.deliveryId),
      new Date().toISOString(),
    );
  }
}

// The worker side: one BullMQ Worker per queue, each running the job kind of its workers/ file,
// and the timers' job schedulers. `segl worker` runs this alone; `segl start` beside the API.
import { Worker, type Job } from 'bullmq';
import type { Logger } from 'pino';
import { callbackSend } from './jobs/callback';
import { emailSend } from './jobs/email';
import { smsSend } from './jobs/sms';
import { runTimer, TIMER_JOBS, type TimerDeps, type TimerJob } from './jobs/timers';
import { runPackagingJob, type PackagingJobDeps } from './jobs/packaging';
import { gate, runDeliveryJob, type NotifyDeps, type Send } from '../notify/delivery';
import { runSealJob, type SealJobDeps } from './jobs/seal';
import type { SealJobData } from '../core/sealrun';
import { connection, PACKAGING_QUEUE, QUEUE, type DeliveryJob, type PackagingJob, type Queues } from './queues';
import { SEAL_QUEUE } from './queues';

export interface WorkerOptions {
  concurrency: number;
  lockMs: number;
}

export class WorkerHost {
  private readonly workers: Worker[] = [];
  /** jobs running in this process (close waits for them, bounded) */
  private active = 0;
  private idle?: () => void;
  constructor(
    private readonly redisUrl: string,
    private readonly queues: Queues,
    private readonly deps: NotifyDeps & TimerDeps & PackagingJobDeps & SealJobDeps,
    private readonly log: Logger,
    private readonly opts: WorkerOptions,
  ) {}

  private worker(name: string, concurrency: number, process: (job: Job) => Promise<unknown>): void {
    const counted = async (job: Job) => {
      this.active++;
      try {
        return await process(job);
      } finally {
        if (--this.active === 0) this.idle?.();
      }
    };
    const w = new Worker(name, counted, {
      connection: connection(this.redisUrl, true),
      prefix: this.queues.prefix,
      concurrency,
      lockDuration: this.opts.lockMs,
      stalledInterval: Math.max(1000, Math.floor(this.opts.lockMs / 2)),
      maxStalledCount: 100,
    });
    w.on('error', (e) => this.log.warn({ queue: name, err: e.message }, 'worker connection problem'));
    w.on('failed', (job, e) =>
      this.log.warn({ queue: name, jobId: job?.id, err: e.message }, 'job failed (the outbox keeps the delivery)'),
    );
    this.workers.push(w);
  }

  async start(): Promise<void> {
    // A job holds a few deliveries; the gate keeps at most `concurrency` of them in flight per queue.
    const delivery = (send: Send, slots: number) => {
      const g = gate(slots);
      return (job: Job<DeliveryJob>) => runDeliveryJob(this.deps, { id: job.id!, data: job.data }, send, g);
    };
    this.worker(QUEUE.URL, this.opts.concurrency, delivery(callbackSend(this.deps), this.opts.concurrency));
    const few = Math.min(this.opts.concurrency, 8);
    this.worker(QUEUE.EMAIL, few, delivery(emailSend(this.deps), few));
    this.worker(QUEUE.SMS, few, delivery(smsSend(this.deps), few));
    this.worker(QUEUE.TIMERS, 1, async (job) => {
      const result = await runTimer(this.deps, job.name as TimerJob);
      if (Object.values(result).some((n) => n > 0)) this.log.info({ timer: job.name, ...result }, 'timer job changed state');
      return result;
    });
    // Packaging is CPU-heavy (verifying SDOs, sealing): two at a time per process.
    this.worker(PACKAGING_QUEUE, 2, async (job: Job<PackagingJob>) => {
      const outcome = await runPackagingJob(this.deps, job);
      if (outcome !== 'skipped') this.log.info({ ...job.data, outcome }, 'packaging job ended');
      return outcome;
    });
    // Sealing verifies, time-stamps and signs (CPU and trust-service round trips): four at a time per process.
    this.worker(SEAL_QUEUE, 4, async (job: Job<SealJobData>) => {
      const outcome = await runSealJob(this.deps, job);
      if (outcome !== 'skipped') this.log.info({ ...job.data, outcome }, 'seal job ended');
      return outcome;
    });
    await this.ensureSchedulers();
    await Promise.all(this.workers.map((w) => w.waitUntilReady()));
  }

  /** The timers' job schedulers live only in Redis: made at start, and again after Redis lost them (a restart). */
  async ensureSchedulers(): Promise<void> {
    const timers = this.queues.byName[QUEUE.TIMERS];
    for (const [name, repeat] of Object.entries(TIMER_JOBS)) {
      await timers.upsertJobScheduler(name, repeat, { name, data: { deliveries: [] } });
    }
  }

  /**
   * Takes no new jobs, gives running ones up to `graceMs` to finish, then closes. Not BullMQ's own
   * graceful close: that waits for the blocking connection and never returns when Redis is dead or
   * the connection was reconnecting. A job cut off here loses its lock and is taken over (its rows
   * already claimed stay with the run that claimed them; the relay queues them again after the lease).
   */
  async close(graceMs = 5000): Promise<void> {
    await Promise.all(this.workers.map((w) => w.pause(true).catch(() => undefined)));
    if (this.active > 0) {
      let timer: NodeJS.Timeout | undefined;
      await new Promise<void>((resolve) => {
        this.idle = resolve;
        timer = setTimeout(resolve, graceMs);
      });
      clearTimeout(timer);
    }
    await Promise.all(this.workers.map((w) => w.close(true).catch(() => undefined)));
  }
}

// BullMQ queues: one per job kind. A delivery job names the outbox rows queued in it (or, for
// packaging, the packaging task it is for); the outbox rows (the packaging_task row) are the truth,
// so a job that is lost is re-queued and one that runs twice is harmless.
import { Queue, type ConnectionOptions } from 'bullmq';
import type { NotificationType } from '../core/enums';
import type { SealJobData } from '../core/sealrun';

export const QUEUE = { URL: 'segl-callback', EMAIL: 'segl-email', SMS: 'segl-sms', TIMERS: 'segl-timers' } as const;
export type QueueName = (typeof QUEUE)[keyof typeof QUEUE];
export const CHANNEL_QUEUE: Record<NotificationType, QueueName> = { URL: QUEUE.URL, EMAIL: QUEUE.EMAIL, SMS: QUEUE.SMS };
/** Packaging jobs (src/queue/jobs/packaging.ts): one per packaging task, id stable per request and packaging task. */
export const PACKAGING_QUEUE = 'segl-packaging';

/**
 * A few deliveries of one channel (the relay's batch). The job's id is the rows' job_id: a run
 * claims the listed rows still queued in that job; a retry or a re-queue goes into a new job.
 */
export interface DeliveryJob {
  deliveries: string[];
}

/** A packaging job names its packaging task; the job id is core's packageId (a duplicate add does nothing). */
export interface PackagingJob {
  requestId: string;
  packagingTaskId: string;
}

/**
 * A packaging run that failed internally (a thrown maker or store error) is tried again after 1, 2,
 * 4, 8 s; the fifth run is the last (core's PackagingRuns then fails the packaging task for good).
 */
export const PACKAGING_ATTEMPTS = 5;
const PACKAGING_JOB_OPTIONS = { attempts: PACKAGING_ATTEMPTS, backoff: { type: 'exponential', delay: 1000 } } as const;

/** Seal jobs (src/queue/jobs/seal.ts): one per act of signing and attempt (core/sealrun.ts's sealJobId). */
export const SEAL_QUEUE = 'segl-seal';

/** ioredis options for BullMQ from a redis:// URL (workers need maxRetriesPerRequest: null). */
export function connection(url: string, forWorker: boolean): ConnectionOptions {
  const u = new URL(url);
  return {
    host: u.hostname,
    port: Number(u.port || 6379),
    username: u.username || undefined,
    password: u.password ? decodeURIComponent(u.password) : undefined,
    db: u.pathname.length > 1 ? Number(u.pathname.slice(1)) : 0,
    tls: u.protocol === 'rediss:' ? {} : undefined,
    maxRetriesPerRequest: forWorker ? null : 1,
    // producers fail fast while Redis is away (the relay keeps the rows and tries again)
    enableOfflineQueue: forWorker,
  };
}

export class Queues {
  readonly byName: Record<QueueName, Queue<DeliveryJob>>;
  readonly packaging: Queue<PackagingJob>;
  /** seal jobs: the seal_job row is the truth and schedules the retries, so BullMQ's own attempts only cover store trouble */
  readonly seal: Queue<SealJobData>;
  constructor(
    redisUrl: string,
    readonly prefix = 'segl',
  ) {
    const conn = connection(redisUrl, false);
    const opts = {
      connection: conn,
      prefix,
      defaultJobOptions: {
        // infrastructure trouble (database away) is retried here; a job that still fails is dropped and
        // the relay re-queues its delivery from the outbox after the lease
        removeOnComplete: true,
        removeOnFail: true,
        attempts: 3,
        backoff: { type: 'exponential', delay: 1000 },
      },
    };
    this.byName = {
      [QUEUE.URL]: new Queue<DeliveryJob>(QUEUE.URL, opts),
      [QUEUE.EMAIL]: new Queue<DeliveryJob>(QUEUE.EMAIL, opts),
      [QUEUE.SMS]: new Queue<DeliveryJob>(QUEUE.SMS, opts),
      [QUEUE.TIMERS]: new Queue<DeliveryJob>(QUEUE.TIMERS, opts),
    } as Record<QueueName, Queue<DeliveryJob>>;
    this.packaging = new Queue<PackagingJob>(PACKAGING_QUEUE, {
      ...opts,
      defaultJobOptions: { removeOnComplete: true, removeOnFail: true, ...PACKAGING_JOB_OPTIONS },
    });
    this.seal = new Queue<SealJobData>(SEAL_QUEUE, opts);
    for (const q of this.all()) q.on('error', () => undefined); // reported through the relay's own failures
  }

  all(): Queue[] {
    return [...Object.values(this.byName), this.packaging, this.seal];
  }

  async close(): Promise<void> {
    await Promise.all(this.all().map((q) => q.close().catch(() => undefined)));
  }
}

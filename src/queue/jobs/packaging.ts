// Packaging jobs (queue segl-packaging): one run of core's PackagingRuns for the packaging task the
// job names. Thin on purpose: whether there is anything to do, the maker call, storing the package
// and the status all live in core/packagingrun.ts. A PackagingRetry (or a store error) is thrown on
// for BullMQ to try again with backoff; on the queue's last attempt core fails the task instead.
import type { Job } from 'bullmq';
import type { PackagingRunOutcome, PackagingRuns } from '../../core/packagingrun';
import type { PackagingJob } from '../queues';

export interface PackagingJobDeps {
  packagingTasks: PackagingRuns;
}

export function runPackagingJob(
  deps: PackagingJobDeps,
  job: Pick<Job<PackagingJob>, 'data' | 'attemptsMade' | 'opts'>,
): Promise<PackagingRunOutcome> {
  const lastAttempt = job.attemptsMade + 1 >= (job.opts.attempts ?? 1);
  return deps.packagingTasks.run(job.data.requestId, job.data.packagingTaskId, { lastAttempt });
}

// Seal jobs (queue segl-seal): one run of core's SealRuns for the act of signing and the attempt the
// job names. Thin on purpose: whether there is anything to do, the maker call, storing the package,
// completing the task and scheduling the next attempt all live in core/sealrun.ts; a store error is
// thrown on for BullMQ to try the same attempt again (and the relay re-queues it after the lease).
import type { Job } from 'bullmq';
import type { SealJobData, SealRunOutcome, SealRuns } from '../../core/sealrun';

export interface SealJobDeps {
  sealing: SealRuns;
}

export function runSealJob(deps: SealJobDeps, job: Pick<Job<SealJobData>, 'data'>): Promise<SealRunOutcome> {
  return deps.sealing.run(job.data);
}

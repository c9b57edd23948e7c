// Timed state changes, run by BullMQ job schedulers: tasks past days-to-live expire (with their
// expired notifications), requests past days-until-deletion are deleted, SDS uploads past their
// TTL go, blobs no row names (older than a day) are swept, CPR numbers unused for 3 months are
// deleted nightly, each service's history of the day before is anchored (docs/audit.md), and archived
// evidence due for renewal gets a new archive time-stamp (preserve.ts, docs/ltvsdo.md).
import type { Housekeeping } from '../../core/housekeeping';
import type { Clock } from '../../core/ports';
import type { CprRepository } from '../../store/cpr';
import type { SdsRepository } from '../../store/sds';

export const TIMER_JOBS = {
  expire: { every: 60_000 },
  purge: { every: 3_600_000 },
  cpr: { pattern: '0 3 * * *', tz: 'UTC' },
  /** the history's daily anchors (docs/audit.md), just after midnight UTC */
  anchor: { pattern: '5 0 * * *', tz: 'UTC' },
  /** archived evidence renewed before it ages out (preserve.ts, docs/ltvsdo.md) */
  preserve: { pattern: '30 1 * * *', tz: 'UTC' },
} as const;
export type TimerJob = keyof typeof TIMER_JOBS;

export const CPR_UNUSED_DAYS = 92;

export interface TimerDeps {
  housekeeping: Housekeeping;
  sds: SdsRepository;
  cpr: CprRepository;
  clock: Clock;
  /** the test eID, whose expired key-card challenges go with the hourly purge */
  testid?: { purgeChallenges(): Promise<number> };
  /** the history's daily anchors (store/auditchain.ts): makes those due, returns how many */
  audit?: { anchorDue(): Promise<number> };
  /** preservation of archived evidence (preserve.ts): renews what is due, returns how many were renewed */
  preservation?: { renewDue(): Promise<number> };
}

/** Runs one timer job until nothing is left to do; returns what it changed. */
export async function runTimer(deps: TimerDeps, name: TimerJob): Promise<Record<string, number>> {
  const drain = async (f: () => Promise<number>) => {
    let n = 0;
    let k: number;
    do {
      k = await f();
      n += k;
    } while (k >= 500);
    return n;
  };
  switch (name) {
    case 'expire':
      return { expired: await drain(() => deps.housekeeping.expireDueTasks(500)) };
    case 'purge':
      return {
        requests: await drain(() => deps.housekeeping.purgeDueRequests(500)),
        sds: await deps.housekeeping.purgeExpiredSds(),
        challenges: deps.testid ? await deps.testid.purgeChallenges() : 0,
        // last: what the purges above released is gone already; this finds what nothing names
        blobs: await deps.sds.sweepOrphans(),
      };
    case 'anchor':
      return { anchors: deps.audit ? await deps.audit.anchorDue() : 0 };
    case 'preserve':
      return { preserved: deps.preservation ? await deps.preservation.renewDue() : 0 };
    case 'cpr':
      return {
        cpr: await deps.cpr.purgeUnused(new Date(deps.clock.now().getTime() - CPR_UNUSED_DAYS * 86_400_000).toISOString()),
      };
  }
}

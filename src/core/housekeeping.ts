// The timers' side: what changes by itself as the (injected) clock moves on. Tasks past their
// days-to-live expire with their expired notifications; requests past days-until-deletion are
// deleted as deleteRequest would; SDS uploads past their time to live go. Each call does at most `limit` and says how many it did, so the
// worker can drain in bounded transactions.
import { moveTask } from './transitions';
import { deleteLive } from './planning';
import { iso, UseCase, type BaseTx, type UseCaseDeps } from './usecase';
import type { HousekeepingReads, RequestWrites } from './ports';

type Tx = BaseTx & HousekeepingReads & Pick<RequestWrites, 'deleteRequests'>;

export interface HousekeepingDeps extends UseCaseDeps<Tx> {
  /** SDS uploads (core/sds.ts): the ones whose time to live ran out by `now` are deleted */
  sds: { purgeExpired(now: string): Promise<number> };
}

export class Housekeeping extends UseCase<Tx, HousekeepingDeps> {
  /** days-to-live: open tasks whose time ran out become expired (with their expired notifications). Returns how many. */
  async expireDueTasks(limit = 500): Promise<number> {
    const now = this.now();
    return this.write(async (tx, out) => {
      const due = await tx.tasksDue(iso(now), limit);
      const byRequest = new Map<string, string[]>();
      const serviceOf = new Map(due.map((t) => [t.requestId, t.serviceId]));
      for (const t of due) byRequest.set(t.requestId, [...(byRequest.get(t.requestId) ?? []), t.taskId]);
      let n = 0;
      for (const [requestId, ids] of byRequest) {
        // locked, then read: a signer may be completing a sibling in another process (ports.ts getRequest)
        await tx.getRequest(serviceOf.get(requestId)!, requestId, true);
        const tasks = await tx.getTasks(requestId);
        const notifications = await tx.allNotifications(requestId);
        for (const t of tasks.filter((x) => ids.includes(x.taskId) && x.status === 'created')) {
          await moveTask(tx, out, t, tasks, 'expired', now, undefined, notifications);
          n++;
        }
      }
      return n;
    });
  }

  /** days-until-deletion: deletes requests whose time is up (as deleteRequest would). Returns how many. */
  async purgeDueRequests(limit = 500): Promise<number> {
    const now = this.now();
    return this.write(async (tx, out) => {
      const due = await tx.requestsDue(iso(now), limit);
      const byService = new Map<number, string[]>();
      for (const r of due) byService.set(r.serviceId, [...(byService.get(r.serviceId) ?? []), r.id]);
      let n = 0;
      for (const [serviceId, ids] of byService) n += (await deleteLive(tx, out, serviceId, ids, now)).length;
      return n;
    });
  }

  /** SDS time to live: uploads no request used within their TTL go (their bytes when nothing else names them). */
  purgeExpiredSds(): Promise<number> {
    return this.d.sds.purgeExpired(iso(this.now()));
  }
}

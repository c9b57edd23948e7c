// A delivery job, whatever the channel: claim the job's outbox rows (status sending, a token of this
// run: a second run of the same job finds nothing to claim), hold them while they wait for a send slot
// (claimhold.ts: a row the relay gave back meanwhile is not sent), then for each row on its own: drop
// it if it no longer applies, send, and settle it (delivered / retry later / dead-lettered) under the
// claim. Workers differ only in `send`.
import { randomUUID } from 'node:crypto';
import type { Logger } from 'pino';
import type { NotifyConfig } from '../config';
import type { RequestService } from '../core/requests';
import { expandPlaceholders } from '../core/outbox';
import type { Clock, ServiceAccount } from '../core/ports';
import type { Metrics } from '../ops/metrics';
import type { DeliveryJob } from '../queue/queues';
import type { DeliveryWork, OutboxRepository } from '../store/outbox';
import type { ServiceRepository } from '../store/services';
import type { NotifyTextSource } from '../store/notifytexts';
import type { EmailSender } from './email';
import type { SmsSender } from './sms';
import type { Resolver } from './allowlist';
import { PermanentDeliveryError } from './errors';
import { withTemplate } from './texts';
import { holdClaim, type ClaimHold } from './claimhold';

export interface NotifyDeps {
  outbox: OutboxRepository;
  services: ServiceRepository;
  documents: Pick<RequestService, 'createArtifact'>;
  clock: Clock;
  log: Logger;
  config: NotifyConfig;
  production: boolean;
  publicUrl: () => string;
  email: EmailSender;
  sms: SmsSender;
  metrics?: Metrics;
  /** DNS for callback destinations (tests point names at local receivers) */
  resolve?: Resolver;
  /** the services' notification texts (a message `template:NAME`); without it every message is sent as written */
  texts?: NotifyTextSource;
}

/** stale: the row had moved on (another run settled it); failed: not settled here (the relay re-queues it after the lease) */
export type Outcome = 'delivered' | 'retry' | 'dead' | 'cancelled' | 'stale' | 'failed';

/** Runs `f` when one of the `slots` is free: the deliveries in flight in this process, whatever their job. */
export type Gate = <T>(f: () => Promise<T>) => Promise<T>;
export function gate(slots: number): Gate {
  let free = Math.max(1, slots);
  const waiting: Array<() => void> = [];
  return async (f) => {
    if (free > 0) free--;
    else await new Promise<void>((resolve) => waiting.push(resolve));
    try {
      return await f();
    } finally {
      const next = waiting.shift();
      if (next) next();
      else free++;
    }
  };
}

/** What a channel does with one delivery; returns the note for the notification-sent event. */
export type Send = (w: DeliveryWork, attempt: number, text: Expand) => Promise<string>;
export type Expand = (s: string | undefined) => Promise<string>;

const isPermanent = (e: unknown) => e instanceof PermanentDeliveryError;

/** The signer's task URL; with a fresh artifact when the task authenticates by artifact and is still open. */
async function taskUrl(deps: NotifyDeps, w: DeliveryWork): Promise<string | undefined> {
  if (!w.taskId) return undefined;
  const q = new URLSearchParams({ request_id: w.requestId, task_id: w.taskId });
  if (w.taskRequiresArtifact && w.taskStatus === 'created') {
    const svc: ServiceAccount = { id: w.serviceId, name: w.serviceName, public: false };
    q.set('artifact', await deps.documents.createArtifact(svc, w.requestId, w.taskId));
  }
  return `${deps.publicUrl()}/std/docaction/${encodeURIComponent(w.serviceName)}?${q}`;
}

/** The rows a job names (a job added by an earlier version named one delivery, its id `<delivery-id>-<attempts>`). */
function deliveriesOf(data: DeliveryJob | { deliveryId?: string }): string[] {
  if ('deliveries' in data && Array.isArray(data.deliveries)) return data.deliveries;
  return 'deliveryId' in data && data.deliveryId ? [data.deliveryId] : [];
}

/**
 * One run of a delivery job (`jobId`, the rows' job_id): claims the rows still queued in it, then
 * sends each when the gate lets it (the gate bounds sends, not the settles after them) and settles
 * each on its own. A failure to claim is thrown (BullMQ
 * tries the job again); a failure after the claim leaves that row sending for the relay.
 */
export async function runDeliveryJob(
  deps: NotifyDeps,
  job: { id: string; data: DeliveryJob },
  send: Send,
  slots: Gate,
): Promise<Outcome[]> {
  const token = randomUUID();
  const claimed = await deps.outbox.claim(job.id, deliveriesOf(job.data), token, new Date().toISOString());
  const ids = claimed.map((w) => w.deliveryId);
  if (deps.log.isLevelEnabled('debug')) deps.log.debug({ jobId: job.id, claim: token, deliveryIds: ids }, 'delivery job claimed its rows');
  const hold = holdClaim(deps.outbox, ids, token, deps.config.relayLeaseMs, deps.log);
  try {
    return await Promise.all(
      claimed.map((w) =>
        deliver(deps, w, send, slots, hold)
          .catch((e: unknown) => {
            deps.log.warn(
              { deliveryId: w.deliveryId, err: (e as Error).message },
              'delivery not settled; the outbox relay queues it again after the lease',
            );
            return 'failed' as const;
          })
          .finally(() => hold.release(w.deliveryId)),
      ),
    );
  } finally {
    hold.end();
  }
}

/** The run lost the row before sending it (the relay gave it to another job): nothing was sent, nothing is settled. */
class LostClaim extends Error {}

/** One claimed delivery: dropped if it no longer applies, else sent (holding a slot of the gate); settled under the claim. */
async function deliver(deps: NotifyDeps, w: DeliveryWork, send: Send, slots: Gate, hold: ClaimHold): Promise<Outcome> {
  const attempt = w.attempts + 1;
  // made only when something is logged at an enabled level (a child logger serialises its bindings)
  const log = (level: 'info' | 'warn') =>
    deps.log.isLevelEnabled(level)
      ? deps.log.child({ deliveryId: w.deliveryId, requestId: w.requestId, taskId: w.taskId, channel: w.channel, attempt })
      : undefined;
  const now = () => deps.clock.now().toISOString();
  const what = `${w.channel} notification "${w.notificationId}"`;
  const settle = async (outcome: Parameters<OutboxRepository['settle']>[1]): Promise<Outcome> => {
    const applied = await deps.outbox.settle(w, outcome, now());
    if (!applied) return 'stale';
    deps.metrics?.deliveries.inc({ channel: w.channel, outcome: outcome.kind });
    return outcome.kind;
  };
  if (w.notificationDisabled) return settle({ kind: 'cancelled', note: 'notification disabled' });
  if (w.reminder && w.taskStatus !== undefined && w.taskStatus !== w.triggerState) {
    return settle({ kind: 'cancelled', note: `the task is ${w.taskStatus} now, no longer ${w.triggerState}` });
  }
  let url: string | undefined | null = null;
  const expand: Expand = async (s) => {
    if (s === undefined) return '';
    if (url === null && s.includes('${taskUrl}')) url = await taskUrl(deps, w);
    return expandPlaceholders(s, { taskUrl: url ?? undefined, requestId: w.requestId, taskId: w.taskId });
  };
  let note: string;
  try {
    note = await slots(async () => {
      if (!(await hold.confirm(w.deliveryId))) throw new LostClaim();
      const t = await withTemplate(deps.texts, w);
      return (await send(t.work, attempt, expand)) + t.note;
    });
  } catch (e) {
    if (e instanceof LostClaim) {
      log('warn')?.warn('the relay gave this delivery to another job while it waited for a send slot; not sent here');
      return 'stale';
    }
    const reason = (e as Error).message;
    const schedule = deps.config.retrySchedule;
    if (isPermanent(e) || attempt > schedule.length) {
      log('warn')?.warn({ reason }, 'notification dead-lettered');
      return settle({
        kind: 'dead',
        note: `${what} not delivered: ${reason} (delivery ${w.deliveryId}, ${attempt} attempt${attempt > 1 ? 's' : ''}${isPermanent(e) ? ', not retried' : ', retries exhausted'})`,
      });
    }
    const next = new Date(deps.clock.now().getTime() + schedule[attempt - 1]!);
    log('info')?.info({ reason, next: next.toISOString() }, 'notification attempt failed; will retry');
    return settle({ kind: 'retry', note: `attempt ${attempt}: ${reason}`, nextDueAt: next.toISOString() });
  }
  // sent: a failure to record it is not a failed send (the row stays claimed for the relay)
  const outcome = await settle({ kind: 'delivered', note: `${what} ${note} (delivery ${w.deliveryId}, attempt ${attempt})` });
  if (outcome === 'delivered') deps.metrics?.latency.observe({ channel: w.channel }, Math.max(0, Date.now() - Date.parse(w.dueAt)) / 1000);
  log('info')?.info({ outcome }, 'notification delivered');
  return outcome;
}

// Which deliveries a state change causes (reference §3.8, §4.4). Pure: the use cases call this inside
// the transaction of the state change and store the result as outbox rows.
import { createHash } from 'node:crypto';
import type { NotificationType, TaskStatus } from './enums';
import type { Notification } from './types';
import { compileSchedule, fireTime } from './schedule';

export type DeliveryStatus = 'pending' | 'queued' | 'sending' | 'delivered' | 'cancelled' | 'dead';

/** One notification to send once, at `dueAt`. `deliveryId` is stable: the same trigger plans the same id. */
export interface OutboxRow {
  deliveryId: string;
  requestId: string;
  /** the task the delivery is about (its id goes into the callback URL); none for request creation/completion */
  taskId?: string;
  scope: string;
  notificationId: string;
  channel: NotificationType;
  /** the state whose reaching caused it; `completed` at request scope = the whole request completed */
  triggerState: TaskStatus;
  dueAt: string;
  createdAt: string;
}

/**
 * What happened:
 * - `task`: task `taskId` reached `state` (its own notifications; at `created` those without a schedule too);
 * - `request-created`, `request-completed`: the request was created / all its live tasks are completed
 *   (request-level notifications without a schedule fire at completion);
 * - `request-task`: one of the request's tasks reached `state` (request-level schedules with that state-is,
 *   other than created/completed, which belong to the request as a whole);
 * - `packaging`: packaging task `packagingTaskId` ended, `completed` or `failed` (its packaging-notifications,
 *   scope `packaging:<id>`: those without a schedule on either end, schedules whose state-is is that state).
 */
export type Trigger =
  | { kind: 'task'; taskId: string; state: TaskStatus }
  | { kind: 'request-created' }
  | { kind: 'request-completed' }
  | { kind: 'request-task'; taskId: string; state: TaskStatus }
  | { kind: 'packaging'; packagingTaskId: string; state: 'completed' | 'failed' };

export function deliveryId(parts: readonly string[]): string {
  return `d${createHash('sha256').update(parts.join('\u0000')).digest('hex').slice(0, 40)}`;
}

/** A notification of a request or task as stored: the outbox plans deliveries from these. */
export interface NotificationRow {
  requestId: string;
  scope: string;
  notificationId: string;
  disabled: boolean;
  body: Notification;
}

function matches(n: NotificationRow, t: Trigger): Array<{ index: number; state: TaskStatus; taskId?: string }> {
  if (n.disabled) return [];
  const schedules = n.body.schedule ?? [];
  const out: Array<{ index: number; state: TaskStatus; taskId?: string }> = [];
  if (t.kind === 'packaging') {
    if (n.scope !== `packaging:${t.packagingTaskId}`) return [];
    if (!schedules.length) out.push({ index: -1, state: t.state });
    schedules.forEach((s, i) => {
      if (s.stateIs === t.state) out.push({ index: i, state: t.state });
    });
    return out;
  }
  if (t.kind === 'task') {
    if (n.scope !== t.taskId) return [];
    if (!schedules.length && t.state === 'created') out.push({ index: -1, state: 'created', taskId: t.taskId });
    schedules.forEach((s, i) => {
      if (s.stateIs === t.state) out.push({ index: i, state: t.state, taskId: t.taskId });
    });
    return out;
  }
  if (n.scope !== '') return [];
  if (t.kind === 'request-created') {
    schedules.forEach((s, i) => {
      if (s.stateIs === 'created') out.push({ index: i, state: 'created' });
    });
  } else if (t.kind === 'request-completed') {
    if (!schedules.length) out.push({ index: -1, state: 'completed' });
    schedules.forEach((s, i) => {
      if (s.stateIs === 'completed') out.push({ index: i, state: 'completed' });
    });
  } else if (t.state !== 'created' && t.state !== 'completed') {
    schedules.forEach((s, i) => {
      if (s.stateIs === t.state) out.push({ index: i, state: t.state, taskId: t.taskId });
    });
  }
  return out;
}

/** The deliveries `trigger` causes among these notifications of one request, due by their schedules. */
export function planDeliveries(notifications: readonly NotificationRow[], trigger: Trigger, at: Date): OutboxRow[] {
  const rows: OutboxRow[] = [];
  for (const n of notifications) {
    for (const m of matches(n, trigger)) {
      const schedule = m.index >= 0 ? n.body.schedule![m.index]! : undefined;
      const due = schedule ? fireTime(compileSchedule(schedule), at) : at;
      rows.push({
        deliveryId: deliveryId([n.requestId, n.scope, n.notificationId, m.state, String(m.index), m.taskId ?? '']),
        requestId: n.requestId,
        taskId: m.taskId,
        scope: n.scope,
        notificationId: n.notificationId,
        channel: n.body.type,
        triggerState: m.state,
        dueAt: due.toISOString(),
        createdAt: at.toISOString(),
      });
    }
  }
  return rows;
}

/** Placeholders in message, header and URL: `${taskUrl}`, `${requestId}`, `${taskId}`; others stay as written. */
export function expandPlaceholders(text: string, values: { taskUrl?: string; requestId: string; taskId?: string }): string {
  return text.replace(/\$\{(taskUrl|requestId|taskId)\}/g, (whole, k: 'taskUrl' | 'requestId' | 'taskId') => values[k] ?? '');
}

/** The callback URL: the recipient with `requestId` and `taskId` appended, the caller's own parameters kept. */
export function callbackUrl(recipient: string, requestId: string, taskId: string | undefined): URL {
  const u = new URL(recipient);
  u.searchParams.append('requestId', requestId);
  if (taskId !== undefined) u.searchParams.append('taskId', taskId);
  return u;
}

const UNIT_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/** `10s`, `1m`, `2h`, `3d`, `500ms` → milliseconds; NaN when malformed. */
export function parseDuration(s: string): number {
  const m = /^\s*(\d+)\s*(ms|s|m|h|d)\s*$/.exec(s);
  return m ? Number(m[1]) * UNIT_MS[m[2]!]! : Number.NaN;
}

/** A comma-separated retry schedule (`10s,1m,5m`); throws naming the bad entry. */
export function parseRetrySchedule(s: string): number[] {
  const parts = s.split(',');
  return parts.map((p) => {
    const ms = parseDuration(p);
    if (!Number.isFinite(ms) || ms <= 0) throw new Error(`"${p.trim()}" is not a duration such as 10s, 5m, 2h or 1d`);
    return ms;
  });
}

/** The published default: 10 s, 1 min, 5 min, 30 min, 2 h, 6 h, 12 h, 24 h, 48 h, 72 h, then dead-letter. */
export const DEFAULT_RETRY_SCHEDULE = parseRetrySchedule('10s,1m,5m,30m,2h,6h,12h,24h,48h,72h');

// Task state changes and the notifications they cause, written in the caller's transaction: the
// new status, its event, reminders of the old state cancelled, the new deliveries in the outbox.
import type { TaskStatus } from './enums';
import { planDeliveries, type OutboxRow } from './outbox';
import type { EventRow, RequestReads, TaskRow, TransitionWrites } from './ports';
import type { NotificationRow } from './outbox';
import { move, requestCompleted } from './status';
import { advancePackaging } from './packagingtasks';

const iso = (d: Date) => d.toISOString();

/** The event a transition leaves in the history (the WSDL's event-type list has none for expired or deleted). */
function eventFor(requestId: string, task: TaskRow, to: TaskStatus, at: string, note?: string): EventRow | undefined {
  switch (to) {
    case 'completed':
      return { requestId, taskId: task.taskId, event: 'task-completed', eventTime: at, data: note };
    case 'rejected':
      return { requestId, taskId: task.taskId, event: 'task-rejected', eventTime: at, data: note };
    case 'expired':
      return {
        requestId,
        taskId: task.taskId,
        event: 'error',
        eventTime: at,
        data: note ?? `task expired: its days-to-live ran out at ${task.expiresAt}`,
      };
    case 'failed':
      return { requestId, taskId: task.taskId, event: 'error', eventTime: at, data: note ?? 'task failed' };
    default:
      return undefined;
  }
}

/** Counts what a unit of work put into the outbox, so the adapter can wake the relay after commit. */
export class OutboxWrites {
  count = 0;
  async insert(tx: TransitionWrites, rows: OutboxRow[]): Promise<void> {
    if (!rows.length) return;
    await tx.insertOutbox(rows);
    this.count += rows.length;
  }
}

/**
 * Moves `task` (one of `tasks`, the request's tasks as read in this transaction) to `to`. Throws
 * StateError when the state machine forbids it. Request-level deliveries follow: the request's own
 * schedules for this state, and its completion when this was the last task to complete. Packaging
 * tasks of the request whose tasks are now all completed become due; those naming a task that
 * ended otherwise fail (core/packagingtasks.ts).
 */
export async function moveTask(
  tx: TransitionWrites & Pick<RequestReads, 'allNotifications' | 'packagingTasks'>,
  out: OutboxWrites,
  task: TaskRow,
  tasks: TaskRow[],
  to: TaskStatus,
  at: Date,
  note?: string,
  notifications?: NotificationRow[],
): Promise<void> {
  const n = iso(at);
  move(`task-id "${task.taskId}"`, task.status, to);
  await tx.setTaskStatus(task.requestId, task.taskId, to, n);
  await tx.cancelReminders(task.requestId, task.taskId, n);
  const ev = eventFor(task.requestId, task, to, n, note);
  if (ev) await tx.insertEvents([ev]);
  const all = notifications ?? (await tx.allNotifications(task.requestId));
  const rows = planReached(all, task.taskId, to, at);
  const after = tasks.map((t) => (t.taskId === task.taskId ? to : t.status));
  if (to === 'completed' && requestCompleted(after)) {
    rows.push(...planDeliveries(all, { kind: 'request-completed' }, at));
    await tx.insertEvents([
      { requestId: task.requestId, event: 'task-completed', eventTime: n, data: 'all tasks of the request are completed' },
    ]);
  }
  task.status = to;
  await out.insert(tx, rows);
  await advancePackaging(
    tx,
    out,
    task.requestId,
    tasks.map((t) => ({ taskId: t.taskId, status: t.taskId === task.taskId ? to : t.status })),
    at,
    async () => all,
  );
}

/** A task reached `state`: its own notifications for that state, and the request's schedules for it. */
export function planReached(notifications: readonly NotificationRow[], taskId: string, state: TaskStatus, at: Date): OutboxRow[] {
  return [
    ...planDeliveries(notifications, { kind: 'task', taskId, state }, at),
    ...planDeliveries(notifications, { kind: 'request-task', taskId, state }, at),
  ];
}

/** Deliveries for tasks just opened (and, when `requestCreated`, the request's own created schedules). */
export function planCreated(notifications: NotificationRow[], taskIds: readonly string[], at: Date, requestCreated: boolean): OutboxRow[] {
  return [
    ...(requestCreated ? planDeliveries(notifications, { kind: 'request-created' }, at) : []),
    ...taskIds.flatMap((taskId) => planDeliveries(notifications, { kind: 'task', taskId, state: 'created' }, at)),
  ];
}

/** Deliveries for a notification added later: judged against the state things are in now. */
export function planAdded(n: NotificationRow, tasks: TaskRow[], at: Date): OutboxRow[] {
  if (n.scope === '') {
    const rows = planDeliveries([n], { kind: 'request-created' }, at);
    if (requestCompleted(tasks.map((t) => t.status))) rows.push(...planDeliveries([n], { kind: 'request-completed' }, at));
    return rows;
  }
  const task = tasks.find((t) => t.taskId === n.scope);
  if (!task) return [];
  return planDeliveries([n], { kind: 'task', taskId: task.taskId, state: task.status }, at);
}

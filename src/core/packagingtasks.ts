// Packaging tasks inside a request (reference packagingservice-v4 §2): their rows at createRequest,
// what a task's move means for them, and how getPackagingTaskStatus shows them. A packaging task
// starts when every task its packaging-task-documents name is `completed`, and fails at once when
// one of them ends otherwise (rejected, expired, deleted, failed) or the request is deleted. The
// planners are pure; `advancePackaging` and `failPackagingTasks` write their steps in the caller's
// transaction, as transitions.ts does for tasks. The job that makes the package is packagingrun.ts.
//
// History: the 2018 event types packaging-task-created/-completed/-failed are never written, since
// getRequestHistory hands every event to clients generated from the 2017 WSDL, whose enum lacks
// them (see planning.ts). A failure leaves a request-level `error` event instead; the status row
// keeps the times of both ends.
import { createHash } from 'node:crypto';
import type { TaskStatus } from './enums';
import { planDeliveries, type NotificationRow, type OutboxRow } from './outbox';
import type { PackagingTaskRow, RequestBody, RequestReads, TaskRow, TransitionWrites } from './ports';
import type { PackagingTaskStatusInfo, Task } from './types';

/** What a task's move (or a deletion) means for one packaging task. */
export type PackagingStep =
  { kind: 'start'; packagingTaskId: string } | { kind: 'fail'; packagingTaskId: string; code: string; message: string };

/** Task states after which a named task will never be completed. */
const ENDED: ReadonlySet<TaskStatus> = new Set(['rejected', 'expired', 'deleted', 'failed']);

/**
 * The id of a packaging task's package and of its BullMQ job: stable per request and packaging task
 * (a duplicate job is refused by id), without the `:` BullMQ refuses in custom job ids.
 */
export function packageId(requestId: string, packagingTaskId: string): string {
  return `p${createHash('sha256').update(`${requestId}\u0000${packagingTaskId}`).digest('hex').slice(0, 40)}`;
}

/** The rows of a new request's packaging tasks: `created`, waiting for their tasks. */
export function packagingRows(requestId: string, serviceId: number, body: RequestBody, now: string): PackagingTaskRow[] {
  return (body.packagingTask ?? []).map((p) => ({
    requestId,
    packagingTaskId: p.packagingTaskId,
    serviceId,
    method: p.method,
    sendToArchive: p.sendToArchive === true,
    documents: p.packagingTaskDocument.map((d) => ({ taskId: d.taskId, documentId: d.documentId })),
    status: 'created',
    job: 'waiting',
    attempts: 0,
    createdAt: now,
    updatedAt: now,
  }));
}

/** The steps the request's tasks, in these states, call for: only packaging tasks still waiting move. */
export function planPackaging(
  rows: readonly PackagingTaskRow[],
  tasks: ReadonlyArray<Pick<TaskRow, 'taskId' | 'status'>>,
): PackagingStep[] {
  const status = new Map(tasks.map((t) => [t.taskId, t.status]));
  const steps: PackagingStep[] = [];
  for (const row of rows) {
    if (row.status !== 'created' || row.job !== 'waiting') continue;
    const named = [...new Set(row.documents.map((d) => d.taskId))];
    const ended = named.find((id) => ENDED.has(status.get(id) ?? 'deleted'));
    if (ended !== undefined) {
      const s = status.get(ended) ?? 'deleted';
      steps.push({
        kind: 'fail',
        packagingTaskId: row.packagingTaskId,
        code: 'task-not-completed',
        message: `task "${ended}" ended ${s}: its documents cannot be packaged`,
      });
    } else if (named.every((id) => status.get(id) === 'completed')) {
      steps.push({ kind: 'start', packagingTaskId: row.packagingTaskId });
    }
  }
  return steps;
}

/** The request was deleted: every packaging task not ended fails (a job already running finds it failed). */
export function planRequestDeleted(rows: readonly PackagingTaskRow[]): PackagingStep[] {
  return rows
    .filter((r) => r.status === 'created')
    .map((r) => ({ kind: 'fail', packagingTaskId: r.packagingTaskId, code: 'request-deleted', message: 'the request was deleted' }));
}

/** The deliveries a packaging task's end causes among the request's notifications. */
export function planPackagingEnd(
  notifications: readonly NotificationRow[],
  packagingTaskId: string,
  state: 'completed' | 'failed',
  at: Date,
): OutboxRow[] {
  return planDeliveries(notifications, { kind: 'packaging', packagingTaskId, state }, at);
}

/** The request-level `error` event a failed packaging task leaves (a 2017 event type; see the top). */
export function packagingFailedEvent(requestId: string, packagingTaskId: string, code: string, message: string, at: string) {
  return { requestId, event: 'error' as const, eventTime: at, data: `packaging task "${packagingTaskId}" failed (${code}): ${message}` };
}

type StepTx = Pick<TransitionWrites, 'startPackaging' | 'failPackaging' | 'insertEvents' | 'insertOutbox'> &
  Pick<RequestReads, 'packagingTasks'>;
/** What a step's writes report: deliveries queued and jobs made due, so the relay is woken after commit. */
export interface WorkCounter {
  insert(tx: Pick<TransitionWrites, 'insertOutbox'>, rows: OutboxRow[]): Promise<void>;
  count: number;
}

/**
 * Writes steps: a start makes the job due (the relay queues it), a failure ends the packaging task
 * with its error event and its `failed` deliveries. A step the row no longer allows (it moved on
 * meanwhile) changes nothing. Returns how many steps applied.
 */
export async function applyPackagingSteps(
  tx: StepTx,
  out: WorkCounter,
  requestId: string,
  steps: PackagingStep[],
  notifications: () => Promise<readonly NotificationRow[]>,
  at: Date,
): Promise<number> {
  const n = at.toISOString();
  let applied = 0;
  for (const s of steps) {
    if (s.kind === 'start') {
      if (await tx.startPackaging(requestId, s.packagingTaskId, n)) {
        out.count++;
        applied++;
      }
      continue;
    }
    if (!(await tx.failPackaging(requestId, s.packagingTaskId, { code: s.code, message: s.message }, n))) continue;
    applied++;
    await tx.insertEvents([packagingFailedEvent(requestId, s.packagingTaskId, s.code, s.message, n)]);
    await out.insert(tx, planPackagingEnd(await notifications(), s.packagingTaskId, 'failed', at));
  }
  return applied;
}

/** After a task moved: packaging tasks of the request whose tasks are all completed start, those with an ended one fail. */
export async function advancePackaging(
  tx: StepTx,
  out: WorkCounter,
  requestId: string,
  tasks: ReadonlyArray<Pick<TaskRow, 'taskId' | 'status'>>,
  at: Date,
  notifications: () => Promise<readonly NotificationRow[]>,
): Promise<void> {
  const rows = await tx.packagingTasks(requestId);
  if (rows.length) await applyPackagingSteps(tx, out, requestId, planPackaging(rows, tasks), notifications, at);
}

/** After the request was deleted: its packaging tasks that had not ended fail. */
export async function failPackagingTasks(
  tx: StepTx,
  out: WorkCounter,
  requestId: string,
  at: Date,
  notifications: () => Promise<readonly NotificationRow[]>,
): Promise<void> {
  const rows = await tx.packagingTasks(requestId);
  if (rows.length) await applyPackagingSteps(tx, out, requestId, planRequestDeleted(rows), notifications, at);
}

/**
 * getPackagingTaskStatus for one request, in the order its packaging tasks were written. A completed
 * one has one packaging-document-status: `@id` = the packaging-task-id (one task makes one PAdES)
 * and `result-uri` where the package is. A packaging task without a row (a request stored before
 * packaging existed) shows as `created`.
 */
export function packagingStatus(
  requestId: string,
  body: RequestBody,
  rows: readonly PackagingTaskRow[],
  uri: (kind: 'sds' | 'archive', id: string) => string,
): PackagingTaskStatusInfo[] {
  const byId = new Map(rows.map((r) => [r.packagingTaskId, r]));
  return (body.packagingTask ?? []).map((p) => {
    const row = byId.get(p.packagingTaskId);
    const result = row?.status === 'completed' ? row.result : undefined;
    return {
      requestId,
      packagingTaskId: p.packagingTaskId,
      packagingTaskStatus: row?.status ?? 'created',
      packagingDocumentStatus: result ? [{ id: p.packagingTaskId, resultUri: uri(result.kind, result.id) }] : [],
    };
  });
}

/** The packaging tasks whose package a task shows or signs (its packaging-result-documents, by ref or inline). */
export function packagesShownBy(body: RequestBody, task: Task): string[] {
  const docs = new Map((body.document ?? []).map((d) => [d.id, d]));
  const ids: string[] = [];
  for (const a of task.documentAction) {
    const d = a.document ?? docs.get(a.documentRef);
    if (d?.kind === 'packaging-result-document') ids.push(d.refPackagingTaskId);
  }
  return ids;
}

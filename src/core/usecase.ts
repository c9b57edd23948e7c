// What every use case shares, whoever the actor (integrator, signer, timers): the injected clock, one
// transaction per call with the outbox relay woken after commit, blobs taken back when a write fails,
// and the lookups that turn an unknown or foreign id into the same NotFound.
import { NotFoundError, StateError } from './errors';
import { taskAccess } from './portal';
import { OutboxWrites } from './transitions';
import type { PackagingTaskStatus } from './enums';
import type { BlobSink, Clock, RequestReads, RequestRow, ServiceAccount, TaskRow, TransitionWrites, TxStore } from './ports';

/** Where documents can be fetched; the URL layout belongs to the HTTP adapter. */
export interface DocumentUris {
  original(service: string, requestId: string, taskId: string, documentId: string): string;
  result(service: string, requestId: string, taskId: string, documentId: string): string;
  /** a document kept in Session Data Storage (`sds`) or in the archive (`archive`) */
  stored(service: string, kind: 'sds' | 'archive', id: string): string;
}

/** The status of each packaging task of a request, by packaging-task-id (what a task showing a package waits for). */
export type PackageStates = ReadonlyMap<string, PackagingTaskStatus>;

/** What a use case is built on; `Tx` is the part of the store's port it may use. */
export interface UseCaseDeps<Tx> {
  store: TxStore<Tx>;
  blobs: BlobSink;
  clock: Clock;
  uris: DocumentUris;
  /** called after a commit that put deliveries into the outbox (wakes the relay) */
  onOutbox?: (count: number) => void;
}

/** The least every use case's transaction offers: reading requests and moving tasks. */
export type BaseTx = RequestReads & TransitionWrites;

export const DAY_MS = 86_400_000;
export const iso = (d: Date): string => d.toISOString();

export function taskPath(requestId: string, taskId: string): string {
  return `task-id "${taskId}" of request-id "${requestId}"`;
}

/**
 * A task is signed or completed only when open: not closed, every depends-on-task completed, and
 * every package it shows made (`packages`, see core/portal.ts taskAccess). `signedInAct`: tasks of the
 * request the same act of a user session signed just before (being sealed) count as completed here;
 * the seal job then seals the dependent only after them (core/sealrun.ts).
 */
export function mustBeOpen(
  request: RequestRow,
  task: TaskRow,
  tasks: TaskRow[],
  packages?: PackageStates,
  signedInAct: ReadonlySet<string> = new Set(),
): void {
  const seen = tasks.map((t) => (signedInAct.has(t.taskId) && t.status === 'created' ? { ...t, status: 'completed' as const } : t));
  const access = taskAccess(request, task, seen, packages);
  if (access.kind === 'waiting') {
    throw new StateError(
      'task-id',
      `${taskPath(request.id, task.taskId)} waits for ${access.waitingFor.map((x) => `"${x}"`).join(', ')} to complete first`,
    );
  }
  if (access.kind === 'closed') throw new StateError('task-id', `${taskPath(request.id, task.taskId)} is ${access.status}`);
}

export abstract class UseCase<Tx extends BaseTx, D extends UseCaseDeps<Tx> = UseCaseDeps<Tx>> {
  constructor(protected readonly d: D) {}

  protected now(): Date {
    return this.d.clock.now();
  }

  /** One transaction that may write outbox rows; the relay is woken once it has committed. */
  protected async write<T>(work: (tx: Tx, out: OutboxWrites) => Promise<T>): Promise<T> {
    const out = new OutboxWrites();
    const value = await this.d.store.tx((tx) => work(tx, out));
    if (out.count) this.d.onOutbox?.(out.count);
    return value;
  }

  /**
   * Runs `work`, which stores blobs before its transaction commits; when it fails (a refusal found
   * inside the transaction, a lost connection …) the blobs it wrote that no row names are removed:
   * nothing refused may leave bytes behind.
   */
  protected async releasingOnFailure<T>(work: (written: string[]) => Promise<T>): Promise<T> {
    const written: string[] = [];
    try {
      return await work(written);
    } catch (e) {
      if (written.length) await this.d.store.tx((tx) => tx.releaseBlobs(written)).catch(() => undefined);
      throw e;
    }
  }

  /** The service's request (deleted ones too); NotFound for unknown ids and other services' requests alike. */
  protected async live(tx: Tx, svc: ServiceAccount, requestId: string, path = 'request-id', forUpdate = false): Promise<RequestRow> {
    const r = await tx.getRequest(svc.id, requestId, forUpdate);
    if (!r) throw new NotFoundError(path, `no request "${requestId}" exists for service ${svc.name}`);
    return r;
  }

  /**
   * The request, one of its tasks, all its tasks (for depends-on) and its packaging tasks' states
   * (read only when the request has packaging tasks), as read in this transaction, with the request
   * locked until it ends: what a task may do next depends on its siblings' states.
   */
  protected async liveTask(
    tx: Tx,
    svc: ServiceAccount,
    requestId: string,
    taskId: string,
  ): Promise<{ request: RequestRow; task: TaskRow; tasks: TaskRow[]; packages: PackageStates }> {
    const request = await this.live(tx, svc, requestId, 'request-id', true);
    const tasks = await tx.getTasks(requestId);
    const task = tasks.find((t) => t.taskId === taskId);
    if (!task) throw new NotFoundError('task-id', `request "${requestId}" has no task "${taskId}"`);
    const packages = request.body.packagingTask?.length
      ? new Map((await tx.packagingTasks(requestId)).map((p) => [p.packagingTaskId, p.status]))
      : new Map<string, PackagingTaskStatus>();
    return { request, task, tasks, packages };
  }
}

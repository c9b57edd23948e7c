// How a request or an added task becomes rows: task-info resolved from the request, documents' bytes
// put in the blob store, SDS and archive references checked and pinned, originals archived when asked.
// Used by the request service (core/requests.ts) and, for deletion, by housekeeping.
import { ARTIFACT_TTL_MS, hashArtifact, newArtifact, newSignicatId } from './ids';
import { DEFAULT_DAYS_TO_LIVE } from './status';
import { ValidationError } from './errors';
import { planReached, type OutboxWrites } from './transitions';
import { failPackagingTasks, packagingRows } from './packagingtasks';
import { DAY_MS, iso, type BaseTx } from './usecase';
import type {
  ArchiveEntry,
  ArtifactRow,
  BlobSink,
  DocumentRow,
  EventRow,
  NewRequest,
  RequestRow,
  RequestWrites,
  SdsEntry,
  ServiceAccount,
  TaskDocumentRow,
  TaskRow,
} from './ports';
import type { Document, SigningRequest, Task, TaskInfo } from './types';
import type { NotificationRow } from './outbox';

/** A document of a request being created, its row, and where the caller wrote it. */
export interface StoredRef {
  doc: Document;
  row: DocumentRow;
  path: string;
}

/** Element paths of a request's documents, request-level first, then inline ones in task order. */
export function documentPaths(r: SigningRequest, ri: number): string[] {
  const base = `request[${ri}]`;
  return [
    ...(r.document ?? []).map((_, j) => `${base}/document[${j}]`),
    ...r.task.flatMap((t, ti) =>
      t.documentAction.flatMap((a, ai) => (a.document ? [`${base}/task[${ti}]/document-action[${ai}]/document`] : [])),
    ),
  ];
}

/** Resolves the subject, first document and methods of a task into its task-info attributes. */
function taskInfo(requestId: string, r: Omit<SigningRequest, 'task'>, t: Task, docs: ReadonlyMap<string, Document>, now: string): TaskInfo {
  const subject = t.subject ?? (r.subject ?? []).find((s) => s.id === t.subjectRef);
  const first = [...t.documentAction].sort((a, b) => (a.orderIndex ?? 0) - (b.orderIndex ?? 0))[0];
  const doc = first ? (first.document ?? docs.get(first.documentRef ?? '')) : undefined;
  // (a handwriting-only method has no name: nothing to list)
  const methods = [
    ...(t.authentication?.method ?? []),
    ...(t.signature ?? []).flatMap((s) => s.method.map((m) => m.value)),
    ...(t.authenticationBasedSignature ?? []).flatMap((s) => s.method.map((m) => m.value)),
  ].filter((m) => m);
  return {
    id: `${requestId}/${t.id}`,
    requestId,
    taskId: t.id,
    documentId: doc?.id,
    archiveId: doc?.kind === 'archive-document' ? doc.refArchiveId : undefined,
    account: r.account,
    language: t.language ?? r.language,
    taskStatus: 'created',
    documentDescription: doc && 'description' in doc ? doc.description : undefined,
    mimeType: doc?.kind === 'provided-document' ? doc.mimeType : undefined,
    subjectFirstName: subject?.firstName,
    subjectLastName: subject?.lastName,
    subjectEmail: subject?.email,
    subjectNationalId: subject?.nationalId,
    subjectMobile: subject?.mobile,
    created: now,
    lastUpdated: now,
    senderUniqueId: r.sender?.uniqueId,
    clientReference: r.clientReference,
    daysToLive: t.daysToLive ?? DEFAULT_DAYS_TO_LIVE,
    authenticationType: methods.length ? methods.join(',') : undefined,
  };
}

/**
 * Stores provided-document bytes in the blob store and returns the rows that point at them.
 * `written` collects the blobs this call created, for `releasingOnFailure`.
 */
export async function storeDocuments(blobs: BlobSink, requestId: string, docs: Document[], written: string[]): Promise<DocumentRow[]> {
  const rows: DocumentRow[] = [];
  for (const doc of docs) {
    const row: DocumentRow = {
      requestId,
      documentId: doc.id!,
      kind: doc.kind,
      description: 'description' in doc ? doc.description : undefined,
      mimeType: doc.kind === 'provided-document' ? doc.mimeType : undefined,
    };
    if (doc.kind === 'provided-document' && doc.data) {
      const put = await blobs.putBytes(doc.data);
      if (put.created !== false) written.push(put.key);
      Object.assign(row, { blobKey: put.key, sha256: put.sha256, size: put.size });
      delete doc.data; // bytes live in the blob store, not in the request body
    }
    rows.push(row);
  }
  return rows;
}

export function planTask(
  requestId: string,
  r: Omit<SigningRequest, 'task'>,
  t: Task,
  ordinal: number,
  docs: ReadonlyMap<string, Document>,
  now: Date,
): { task: TaskRow; taskDocs: TaskDocumentRow[] } {
  const n = iso(now);
  const task: TaskRow = {
    requestId,
    taskId: t.id,
    ordinal,
    status: 'created',
    createdAt: n,
    updatedAt: n,
    expiresAt: iso(new Date(now.getTime() + (t.daysToLive ?? DEFAULT_DAYS_TO_LIVE) * DAY_MS)),
    body: t,
    info: taskInfo(requestId, r, t, docs, n),
  };
  const taskDocs = t.documentAction.map((a, i): TaskDocumentRow => {
    const doc = a.document ?? docs.get(a.documentRef!)!;
    return {
      requestId,
      taskId: t.id,
      documentId: doc.id!,
      ordinal: a.orderIndex ?? i,
      actionType: a.type,
      description: 'description' in doc ? doc.description : undefined,
      mimeType: doc.kind === 'provided-document' ? doc.mimeType : undefined,
      archiveId: doc.kind === 'archive-document' ? doc.refArchiveId : undefined,
    };
  });
  return { task, taskDocs };
}

export function taskNotifications(requestId: string, t: Task): NotificationRow[] {
  return (t.notification ?? []).map((n) => ({ requestId, scope: t.id, notificationId: n.notificationId, disabled: false, body: n }));
}

export function artifactFor(requestId: string, taskId: string, now: Date): { plain: string; row: ArtifactRow } {
  const plain = newArtifact();
  return { plain, row: { hash: hashArtifact(plain), requestId, taskId, expiresAt: iso(new Date(now.getTime() + ARTIFACT_TTL_MS)) } };
}

/** Refuses sds-documents and archive-documents that do not name this service's uploads and archive entries. */
export async function checkStoredRefs<R extends { doc: Document; path: string }>(tx: RequestWrites, svc: ServiceAccount, stored: R[]) {
  const sds = stored.filter((x) => x.doc.kind === 'sds-document');
  const arc = stored.filter((x) => x.doc.kind === 'archive-document');
  const refOf = (x: R) => (x.doc.kind === 'sds-document' ? x.doc.refSdsId : x.doc.kind === 'archive-document' ? x.doc.refArchiveId : '');
  const sdsFound: Map<string, SdsEntry> = sds.length ? await tx.sdsDocuments(svc.id, [...new Set(sds.map(refOf))]) : new Map();
  const arcFound: Map<string, ArchiveEntry> = arc.length ? await tx.archiveDocuments(svc.id, [...new Set(arc.map(refOf))]) : new Map();
  const missing = [
    ...sds
      .filter((x) => !sdsFound.has(refOf(x)))
      .map((x) => ({
        path: `${x.path}/@ref-sds-id`,
        rule: `no SDS document "${refOf(x)}" exists for service ${svc.name} (upload it to /doc/${svc.name}/sds first)`,
      })),
    ...arc
      .filter((x) => !arcFound.has(refOf(x)))
      .map((x) => ({
        path: `${x.path}/@ref-archive-id`,
        rule: `no archived document "${refOf(x)}" exists for service ${svc.name}`,
      })),
  ];
  if (missing.length) throw new ValidationError(missing.slice(0, 20));
  return { sds, arc, sdsFound, arcFound, refOf };
}

/**
 * The bytes behind each stored reference must still be in the blob store: a blob lost there (a
 * restore that missed it, a migration not finished) is refused here, naming the reference, rather
 * than found missing when the signer opens the document.
 */
export async function checkStoredBytes<R extends { doc: Document; path: string }>(
  blobs: BlobSink,
  found: Awaited<ReturnType<typeof checkStoredRefs<R>>>,
): Promise<void> {
  const { sds, arc, sdsFound, arcFound, refOf } = found;
  const missing: Array<{ path: string; rule: string }> = [];
  for (const x of [...sds, ...arc]) {
    const sdsDoc = x.doc.kind === 'sds-document';
    const e = (sdsDoc ? sdsFound : arcFound).get(refOf(x))!;
    if ((await blobs.stat(e.blobKey)) === null)
      missing.push({
        path: `${x.path}/@${sdsDoc ? 'ref-sds-id' : 'ref-archive-id'}`,
        rule: `the bytes of ${sdsDoc ? 'SDS document' : 'archived document'} "${refOf(x)}" are missing from the blob store (sha256 ${e.sha256}); upload it again`,
      });
  }
  if (missing.length) throw new ValidationError(missing.slice(0, 20));
}

/**
 * sds-documents and archive-documents must name this service's uploads and archive entries. The
 * request's document rows point at the same blobs, so deleting the SDS entry or the archive copy
 * later cannot break the request; SDS uploads used by a request live another TTL.
 */
export async function pinStoredDocuments(
  tx: RequestWrites,
  svc: ServiceAccount,
  stored: StoredRef[],
  now: Date,
  sdsTtlDays: number,
): Promise<void> {
  const { sds, arc, sdsFound, arcFound, refOf } = await checkStoredRefs(tx, svc, stored);
  for (const x of [...sds, ...arc]) {
    const e = (x.doc.kind === 'sds-document' ? sdsFound : arcFound).get(refOf(x))!;
    Object.assign(x.row, { mimeType: e.mimeType, blobKey: e.blobKey, sha256: e.sha256, size: e.size });
  }
  if (sdsFound.size) {
    const ttl = sdsTtlDays * DAY_MS;
    await tx.touchSds([...sdsFound.keys()], iso(now), iso(new Date(now.getTime() + ttl)));
  }
}

/** send-to-archive: the original goes into the archive now (no TTL; survives the request). */
export async function archiveOriginals(
  tx: RequestWrites,
  svc: ServiceAccount,
  stored: StoredRef[],
  now: Date,
): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  const entries = stored
    .filter((x) => 'sendToArchive' in x.doc && x.doc.sendToArchive === true && x.row.blobKey)
    .map((x) => {
      const id = newSignicatId(now);
      out.set(`${x.row.requestId}/${x.row.documentId}`, id);
      return {
        id,
        mimeType: x.row.mimeType ?? 'application/octet-stream',
        size: x.row.size!,
        sha256: x.row.sha256!,
        blobKey: x.row.blobKey!,
        createdAt: iso(now),
        requestId: x.row.requestId,
        documentId: x.row.documentId,
      };
    });
  if (entries.length) await tx.insertArchive(svc.id, entries);
  return out;
}

/**
 * Deletes live requests of a service: their tasks become deleted (the deleted notifications fire,
 * pending reminders are cancelled), their packaging tasks that had not ended fail. Returns the ids
 * that were live.
 */
export async function deleteLive(
  tx: Pick<RequestWrites, 'deleteRequests'> & BaseTx,
  out: OutboxWrites,
  serviceId: number,
  ids: string[],
  now: Date,
): Promise<string[]> {
  const before = new Map<string, TaskRow[]>();
  for (const id of ids) {
    const r = await tx.getRequest(serviceId, id);
    if (r && !r.deleted) before.set(id, await tx.getTasks(id));
  }
  const deleted = await tx.deleteRequests(serviceId, ids, iso(now));
  for (const id of deleted) {
    await tx.cancelReminders(id, undefined, iso(now));
    const notifications = await tx.allNotifications(id);
    const rows = (before.get(id) ?? [])
      .filter((t) => t.status !== 'deleted')
      .flatMap((t) => planReached(notifications, t.taskId, 'deleted', now));
    await out.insert(tx, rows);
    await failPackagingTasks(tx, out, id, now, async () => notifications);
  }
  return deleted;
}

/** One request of a createRequest call as rows, its documents' bytes already in the blob store. */
export async function planRequest(
  blobs: BlobSink,
  svc: ServiceAccount,
  r: SigningRequest,
  ri: number,
  now: Date,
  written: string[],
): Promise<{ plan: NewRequest; stored: StoredRef[]; artifactTask?: string }> {
  const n = iso(now);
  const id = newSignicatId(now);
  const { task: tasks, ...body } = r;
  const inline = tasks.flatMap((t) => t.documentAction.map((a) => a.document).filter((d): d is Document => !!d));
  const all = [...(body.document ?? []), ...inline];
  const docs = new Map(all.map((d) => [d.id!, d]));
  const documents = await storeDocuments(blobs, id, all, written);
  const stored = documentPaths(r, ri).map((path, i) => ({ doc: all[i]!, row: documents[i]!, path }));
  const planned = tasks.map((t, i) => planTask(id, body, t, i, docs, now));
  const request: RequestRow = {
    id,
    serviceId: svc.id,
    createdAt: n,
    updatedAt: n,
    deleted: false,
    clientReference: r.clientReference,
    account: r.account,
    body,
    deleteAfter:
      r.daysUntilDeletion !== undefined
        ? iso(new Date(Math.max(...planned.map((p) => Date.parse(p.task.expiresAt))) + r.daysUntilDeletion * DAY_MS))
        : undefined,
  };
  const notifications: NotificationRow[] = [
    ...(body.notification ?? []).map((x) => ({ requestId: id, scope: '', notificationId: x.notificationId, disabled: false, body: x })),
    ...tasks.flatMap((t) => taskNotifications(id, t)),
    ...(body.packagingTask ?? []).flatMap((p) =>
      (p.packagingNotification ?? []).map((x) => ({
        requestId: id,
        scope: `packaging:${p.packagingTaskId}`,
        notificationId: x.notificationId,
        disabled: false,
        body: x,
      })),
    ),
  ];
  // Packaging tasks are implied by request-created: the 2018 packaging-task-created value would
  // break clients generated from the 2017 WSDL for no new information. Their state lives in rows of
  // their own (core/packagingtasks.ts).
  const events: EventRow[] = [{ requestId: id, event: 'request-created', eventTime: n, data: r.clientReference }];
  const plan: NewRequest = {
    request,
    tasks: planned.map((p) => p.task),
    taskDocuments: planned.flatMap((p) => p.taskDocs),
    documents,
    notifications,
    events,
    packagingTasks: packagingRows(id, svc.id, body, n),
  };
  return { plan, stored, artifactTask: tasks.find((t) => t.authentication?.artifact === true)?.id };
}

/** MIME types of pinned documents and archive ids are known once pinned: they show in task-info. */
export function showPinned(
  taskDocs: TaskDocumentRow[],
  tasks: TaskRow[],
  stored: StoredRef[],
  archived: ReadonlyMap<string, string>,
): void {
  const key = (requestId: string, documentId?: string) => `${requestId}/${documentId}`;
  const types = new Map(stored.map((x) => [key(x.row.requestId, x.row.documentId), x.row.mimeType]));
  for (const d of taskDocs) {
    d.mimeType ??= types.get(key(d.requestId, d.documentId));
    d.archiveId ??= archived.get(key(d.requestId, d.documentId));
  }
  for (const t of tasks) {
    t.info.mimeType ??= types.get(key(t.requestId, t.info.documentId));
    t.info.archiveId ??= archived.get(key(t.requestId, t.info.documentId));
  }
}

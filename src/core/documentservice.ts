// The DocumentService v3 operations as use cases: validate, plan the rows, let the store commit
// them in one transaction. Transport-free: the SOAP adapter (and later REST) call these.
import { ARTIFACT_TTL_MS, hashArtifact, newArtifact, newSignicatId } from './ids';
import { DEFAULT_DAYS_TO_LIVE } from './status';
import type { TaskStatus } from './enums';
import { NotFoundError, StateError, ValidationError } from './errors';
import { compileFilter, compilePage } from './filter';
import { moveTask, OutboxWrites, planAdded, planCreated, planReached } from './transitions';
import { portalTask, taskAccess, type PortalTask } from './portal';
import { idList, normalizeRequest, validateAddedTask, validateNotification, validateRequests, type ValidationContext } from './validate';
import type {
  ArchiveEntry,
  ArtifactRow,
  BlobSink,
  Clock,
  DocumentRow,
  DocumentStore,
  DocumentTx,
  EventRow,
  NewRequest,
  RequestRow,
  SdsEntry,
  ServiceAccount,
  TaskDocumentRow,
  TaskRow,
} from './ports';
import type {
  Document,
  HistoryEvent,
  Notification,
  PackagingTaskStatusInfo,
  SigningRequest,
  Task,
  TaskFilter,
  TaskInfo,
  TaskStatusInfo,
  UserSession,
} from './types';
import type { NotificationRow } from './outbox';

/** Where documents can be fetched; the URL layout belongs to the HTTP adapter. */
export interface DocumentUris {
  original(service: string, requestId: string, taskId: string, documentId: string): string;
  result(service: string, requestId: string, taskId: string, documentId: string): string;
}

export interface DocumentServiceDeps {
  store: DocumentStore;
  blobs: BlobSink;
  clock: Clock;
  methods: ValidationContext;
  uris: DocumentUris;
  /** how long an SDS upload lives after a request last used it (default 30 days) */
  sdsTtlDays?: number;
  /** called after a commit that put deliveries into the outbox (wakes the relay) */
  onOutbox?: (count: number) => void;
}

const DAY_MS = 86_400_000;

/** A document of a request being created, its row, and where the caller wrote it. */
interface StoredRef {
  doc: Document;
  row: DocumentRow;
  path: string;
}

/** Element paths of a request's documents, request-level first, then inline ones in task order. */
function documentPaths(r: SigningRequest, ri: number): string[] {
  const base = `request[${ri}]`;
  return [
    ...(r.document ?? []).map((_, j) => `${base}/document[${j}]`),
    ...r.task.flatMap((t, ti) =>
      t.documentAction.flatMap((a, ai) => (a.document ? [`${base}/task[${ti}]/document-action[${ai}]/document`] : [])),
    ),
  ];
}
const iso = (d: Date): string => d.toISOString();

function taskPath(requestId: string, taskId: string): string {
  return `task-id "${taskId}" of request-id "${requestId}"`;
}

/** Resolves the subject, first document and methods of a task into its task-info attributes. */
function taskInfo(requestId: string, r: Omit<SigningRequest, 'task'>, t: Task, docs: ReadonlyMap<string, Document>, now: string): TaskInfo {
  const subject = t.subject ?? (r.subject ?? []).find((s) => s.id === t.subjectRef);
  const first = [...t.documentAction].sort((a, b) => (a.orderIndex ?? 0) - (b.orderIndex ?? 0))[0];
  const doc = first ? (first.document ?? docs.get(first.documentRef ?? '')) : undefined;
  const methods = [
    ...(t.authentication?.method ?? []),
    ...(t.signature ?? []).flatMap((s) => s.method.map((m) => m.value)),
    ...(t.authenticationBasedSignature ?? []).flatMap((s) => s.method.map((m) => m.value)),
  ];
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

export class DocumentService {
  constructor(private readonly d: DocumentServiceDeps) {}

  private now(): Date {
    return this.d.clock.now();
  }

  /** One transaction that may write outbox rows; the relay is woken once it has committed. */
  private async write<T>(work: (tx: DocumentTx, out: OutboxWrites) => Promise<T>): Promise<T> {
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
  private async releasingOnFailure<T>(work: (written: string[]) => Promise<T>): Promise<T> {
    const written: string[] = [];
    try {
      return await work(written);
    } catch (e) {
      if (written.length) await this.d.store.tx((tx) => tx.releaseBlobs(written)).catch(() => undefined);
      throw e;
    }
  }

  /**
   * Stores provided-document bytes in the blob store and returns the rows that point at them.
   * `written` collects the blobs this call created, for `releasingOnFailure`.
   */
  private async storeDocuments(requestId: string, docs: Document[], written: string[]): Promise<DocumentRow[]> {
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
        const put = await this.d.blobs.putBytes(doc.data);
        if (put.created !== false) written.push(put.key);
        Object.assign(row, { blobKey: put.key, sha256: put.sha256, size: put.size });
        delete doc.data; // bytes live in the blob store, not in the request body
      }
      rows.push(row);
    }
    return rows;
  }

  private planTask(
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

  private taskNotifications(requestId: string, t: Task): NotificationRow[] {
    return (t.notification ?? []).map((n) => ({ requestId, scope: t.id, notificationId: n.notificationId, disabled: false, body: n }));
  }

  private artifactFor(requestId: string, taskId: string, now: Date): { plain: string; row: ArtifactRow } {
    const plain = newArtifact();
    return { plain, row: { hash: hashArtifact(plain), requestId, taskId, expiresAt: iso(new Date(now.getTime() + ARTIFACT_TTL_MS)) } };
  }

  /** createRequest: one request-id per request in input order, plus an artifact when a task asks for one. */
  async createRequest(svc: ServiceAccount, requests: SigningRequest[]): Promise<{ requestIds: string[]; artifact?: string }> {
    requests.forEach(normalizeRequest);
    validateRequests(requests, this.d.methods);
    // References to SDS and the archive are checked before any bytes are stored (and again when
    // pinned inside the write transaction: an upload may be deleted meanwhile).
    const refs = requests
      .flatMap((r, ri) => {
        const inline = r.task.flatMap((t) => t.documentAction.map((a) => a.document).filter((d): d is Document => !!d));
        const paths = documentPaths(r, ri);
        return [...(r.document ?? []), ...inline].map((doc, i) => ({ doc, path: paths[i]! }));
      })
      .filter((x) => x.doc.kind === 'sds-document' || x.doc.kind === 'archive-document');
    if (refs.length) await this.d.store.tx((tx) => this.checkStoredRefs(tx, svc, refs));
    return this.releasingOnFailure((written) => this.createChecked(svc, requests, written));
  }

  private async createChecked(
    svc: ServiceAccount,
    requests: SigningRequest[],
    written: string[],
  ): Promise<{ requestIds: string[]; artifact?: string }> {
    const now = this.now();
    const n = iso(now);
    const plans: NewRequest[] = [];
    let artifact: { plain: string; row: ArtifactRow } | undefined;
    const stored: StoredRef[] = [];
    for (const [ri, r] of requests.entries()) {
      const id = newSignicatId(now);
      const { task: tasks, ...body } = r;
      const inline = tasks.flatMap((t) => t.documentAction.map((a) => a.document).filter((d): d is Document => !!d));
      const all = [...(body.document ?? []), ...inline];
      const docs = new Map(all.map((d) => [d.id!, d]));
      const documents = await this.storeDocuments(id, all, written);
      documentPaths(r, ri).forEach((path, i) => stored.push({ doc: all[i]!, row: documents[i]!, path }));
      const planned = tasks.map((t, i) => this.planTask(id, body, t, i, docs, now));
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
        ...tasks.flatMap((t) => this.taskNotifications(id, t)),
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
      // break clients generated from the 2017 WSDL for no new information.
      const events: EventRow[] = [{ requestId: id, event: 'request-created', eventTime: n, data: r.clientReference }];
      plans.push({
        request,
        tasks: planned.map((p) => p.task),
        taskDocuments: planned.flatMap((p) => p.taskDocs),
        documents,
        notifications,
        events,
      });
      const wants = tasks.find((t) => t.authentication?.artifact === true);
      if (!artifact && wants) artifact = this.artifactFor(id, wants.id, now);
    }
    await this.write(async (tx, out) => {
      await this.pinStoredDocuments(tx, svc, stored, now);
      const archived = await this.archiveOriginals(tx, svc, stored, now);
      // MIME types of pinned documents and archive ids are known now: show them in task-info.
      const key = (requestId: string, documentId?: string) => `${requestId}/${documentId}`;
      const types = new Map(stored.map((x) => [key(x.row.requestId, x.row.documentId), x.row.mimeType]));
      for (const p of plans) {
        for (const d of p.taskDocuments) {
          d.mimeType ??= types.get(key(d.requestId, d.documentId));
          d.archiveId ??= archived.get(key(d.requestId, d.documentId));
        }
        for (const t of p.tasks) {
          t.info.mimeType ??= types.get(key(t.requestId, t.info.documentId));
          t.info.archiveId ??= archived.get(key(t.requestId, t.info.documentId));
        }
      }
      await tx.insertRequests(plans);
      for (const p of plans)
        await out.insert(
          tx,
          planCreated(
            p.notifications,
            p.tasks.map((t) => t.taskId),
            now,
            true,
          ),
        );
      if (artifact) await tx.insertArtifact(artifact.row);
    });
    return { requestIds: plans.map((p) => p.request.id), artifact: artifact?.plain };
  }

  /**
   * sds-documents and archive-documents must name this service's uploads and archive entries. The
   * request's document rows point at the same blobs, so deleting the SDS entry or the archive copy
   * later cannot break the request; SDS uploads used by a request live another TTL.
   */
  private async pinStoredDocuments(tx: DocumentTx, svc: ServiceAccount, stored: StoredRef[], now: Date): Promise<void> {
    const { sds, arc, sdsFound, arcFound, refOf } = await this.checkStoredRefs(tx, svc, stored);
    for (const x of [...sds, ...arc]) {
      const e = (x.doc.kind === 'sds-document' ? sdsFound : arcFound).get(refOf(x))!;
      Object.assign(x.row, { mimeType: e.mimeType, blobKey: e.blobKey, sha256: e.sha256, size: e.size });
    }
    if (sdsFound.size) {
      const ttl = (this.d.sdsTtlDays ?? 30) * DAY_MS;
      await tx.touchSds([...sdsFound.keys()], iso(now), iso(new Date(now.getTime() + ttl)));
    }
  }

  /** Refuses sds-documents and archive-documents that do not name this service's uploads and archive entries. */
  private async checkStoredRefs<R extends { doc: Document; path: string }>(tx: DocumentTx, svc: ServiceAccount, stored: R[]) {
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

  /** send-to-archive: the original goes into the archive now (no TTL; survives the request). */
  private async archiveOriginals(tx: DocumentTx, svc: ServiceAccount, stored: StoredRef[], now: Date): Promise<Map<string, string>> {
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

  /** The sealed LTV-SDO behind a result-uri; NotFound until the document has been signed. */
  async resultDocument(
    svc: ServiceAccount,
    requestId: string,
    taskId: string,
    documentId: string,
  ): Promise<{ blobKey: string; sha256: string }> {
    return this.d.store.tx(async (tx) => {
      if (!(await tx.getRequest(svc.id, requestId))) throw new NotFoundError('request', `no request "${requestId}"`);
      const r = await tx.getResult(requestId, taskId, documentId);
      if (!r) throw new NotFoundError('document', `document "${documentId}" of task "${taskId}" has no signed result yet`);
      return r;
    });
  }

  /** Stores a document's signed result and records the document-signed event (the signing pipeline calls this). */
  async recordResult(
    svc: ServiceAccount,
    requestId: string,
    taskId: string,
    documentId: string,
    blob: { key: string; sha256: string },
    eventData: string,
  ): Promise<string> {
    const uri = this.d.uris.result(svc.name, requestId, taskId, documentId);
    const now = this.now();
    const n = iso(now);
    await this.write(async (tx, out) => {
      const { request, task, tasks } = await this.liveTask(tx, svc, requestId, taskId);
      this.mustBeOpen(request, task, tasks);
      await tx.setResult(requestId, taskId, documentId, { blobKey: blob.key, sha256: blob.sha256, uri });
      await tx.insertEvents([{ requestId, taskId, event: 'document-signed', eventTime: n, data: `${documentId}: ${eventData}` }]);
      // The task is done when every document it signs has its result.
      const docs = (await tx.getTaskDocuments([requestId])).filter((d) => d.taskId === taskId && d.actionType === 'sign');
      const signed = docs.every((d) => d.documentId === documentId || d.resultUri !== undefined);
      if (signed && task.status === 'created') await moveTask(tx, out, task, tasks, 'completed', now);
    });
    return uri;
  }

  /**
   * Records what the signer did in the portal (task-started, document-viewed, user-authenticated,
   * user-authentication-cancelled, document-sign-cancelled …). With `once`, an event already in the
   * task's history is not written again.
   */
  async recordPortalEvent(
    svc: ServiceAccount,
    requestId: string,
    taskId: string,
    event: HistoryEvent['event'],
    data?: string,
    once = false,
  ): Promise<void> {
    const n = iso(this.now());
    await this.d.store.tx(async (tx) => {
      await this.liveTask(tx, svc, requestId, taskId);
      if (once && (await tx.events(requestId, taskId)).some((e) => e.event === event && e.taskId === taskId)) return;
      await tx.insertEvents([{ requestId, taskId, event, eventTime: n, data: data?.slice(0, 2000) }]);
    });
  }

  /** A file the signer uploaded for an upload action of an open task (document-uploaded). */
  async recordUpload(
    svc: ServiceAccount,
    requestId: string,
    taskId: string,
    documentId: string,
    blob: { key: string; sha256: string; size: number },
    mimeType: string,
  ): Promise<void> {
    const n = iso(this.now());
    // The file is already in place: a refusal (the task closed meanwhile …) takes it back.
    await this.releasingOnFailure(async (written) => {
      written.push(blob.key);
      await this.d.store.tx(async (tx) => {
        const { request, task, tasks } = await this.liveTask(tx, svc, requestId, taskId);
        this.mustBeOpen(request, task, tasks);
        const action = (await tx.getTaskDocuments([requestId])).find(
          (d) => d.taskId === taskId && d.documentId === documentId && d.actionType === 'upload',
        );
        if (!action) throw new NotFoundError('document-id', `task "${taskId}" has no upload action for document "${documentId}"`);
        await tx.setDocumentBytes(requestId, documentId, { blobKey: blob.key, sha256: blob.sha256, size: blob.size, mimeType });
        await tx.insertEvents([
          {
            requestId,
            taskId,
            event: 'document-uploaded',
            eventTime: n,
            data: `${documentId}: ${mimeType}, ${blob.size} bytes, sha256 ${blob.sha256}`,
          },
        ]);
      });
    });
  }

  /** A task is signed only when open: not closed, and every depends-on-task completed. */
  private mustBeOpen(request: RequestRow, task: TaskRow, tasks: TaskRow[]): void {
    const access = taskAccess(request, task, tasks);
    if (access.kind === 'waiting') {
      throw new StateError(
        'task-id',
        `${taskPath(request.id, task.taskId)} waits for ${access.waitingFor.map((x) => `"${x}"`).join(', ')} to complete first`,
      );
    }
    if (access.kind === 'closed') throw new StateError('task-id', `${taskPath(request.id, task.taskId)} is ${access.status}`);
  }

  /** The signer finished a task (all its documents signed or, for view-only tasks, read). */
  async completeTask(svc: ServiceAccount, requestId: string, taskId: string): Promise<void> {
    await this.moveTo(svc, requestId, taskId, 'completed');
  }

  /** The signer declined the task. */
  async rejectTask(svc: ServiceAccount, requestId: string, taskId: string, reason?: string): Promise<void> {
    await this.moveTo(svc, requestId, taskId, 'rejected', reason);
  }

  private async moveTo(svc: ServiceAccount, requestId: string, taskId: string, to: TaskStatus, note?: string): Promise<void> {
    const now = this.now();
    await this.write(async (tx, out) => {
      const { request, task, tasks } = await this.liveTask(tx, svc, requestId, taskId);
      if (request.deleted) throw new StateError('request-id', `request "${requestId}" is deleted`);
      if (to === 'completed') this.mustBeOpen(request, task, tasks);
      await moveTask(tx, out, task, tasks, to, now, note);
    });
  }

  /** days-to-live: open tasks whose time ran out become expired (with their expired notifications). Returns how many. */
  async expireDueTasks(limit = 500): Promise<number> {
    const now = this.now();
    return this.write(async (tx, out) => {
      const due = await tx.tasksDue(iso(now), limit);
      const byRequest = new Map<string, string[]>();
      for (const t of due) byRequest.set(t.requestId, [...(byRequest.get(t.requestId) ?? []), t.taskId]);
      let n = 0;
      for (const [requestId, ids] of byRequest) {
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

  /** Records that something went wrong for a task (an `error` event in its history). */
  async recordError(svc: ServiceAccount, requestId: string, taskId: string, message: string): Promise<void> {
    const n = iso(this.now());
    await this.d.store.tx(async (tx) => {
      await this.liveTask(tx, svc, requestId, taskId);
      await tx.insertEvents([{ requestId, taskId, event: 'error', eventTime: n, data: message.slice(0, 2000) }]);
    });
  }

  /** The bytes behind an original-uri: the document must be one the task acts on. */
  async originalDocument(svc: ServiceAccount, requestId: string, taskId: string, documentId: string): Promise<DocumentRow> {
    return this.d.store.tx(async (tx) => {
      const r = await tx.getRequest(svc.id, requestId);
      if (!r) throw new NotFoundError('request', `no request "${requestId}"`);
      const acts = (await tx.getTaskDocuments([requestId])).some((d) => d.taskId === taskId && d.documentId === documentId);
      if (!acts) throw new NotFoundError('document', `task "${taskId}" of request "${requestId}" has no document "${documentId}"`);
      const row = await tx.getDocument(requestId, documentId);
      if (!row?.blobKey) {
        throw new NotFoundError(
          'document',
          row?.kind === 'upload-document'
            ? `document "${documentId}" has not been uploaded yet`
            : `document "${documentId}" has no stored bytes here (${row?.kind ?? 'unknown'})`,
        );
      }
      return row;
    });
  }

  private async live(tx: DocumentTx, svc: ServiceAccount, requestId: string, path = 'request-id'): Promise<RequestRow> {
    const r = await tx.getRequest(svc.id, requestId);
    if (!r) throw new NotFoundError(path, `no request "${requestId}" exists for service ${svc.name}`);
    return r;
  }

  private async liveTask(
    tx: DocumentTx,
    svc: ServiceAccount,
    requestId: string,
    taskId: string,
  ): Promise<{ request: RequestRow; task: TaskRow; tasks: TaskRow[] }> {
    const request = await this.live(tx, svc, requestId);
    const tasks = await tx.getTasks(requestId);
    const task = tasks.find((t) => t.taskId === taskId);
    if (!task) throw new NotFoundError('task-id', `request "${requestId}" has no task "${taskId}"`);
    return { request, task, tasks };
  }

  /** getRequest: the request as created, with tasks added later and without inline document bytes. */
  async getRequest(svc: ServiceAccount, requestId: string): Promise<SigningRequest> {
    return this.d.store.tx(async (tx) => {
      const r = await this.live(tx, svc, requestId);
      const tasks = await tx.getTasks(requestId);
      return { ...r.body, task: tasks.map((t) => t.body) };
    });
  }

  /** deleteRequest: the number of requests that were live and are now deleted. */
  async deleteRequest(svc: ServiceAccount, requestIds: string[]): Promise<number> {
    const now = this.now();
    const ids = idList(requestIds, 'request-id');
    return this.write(async (tx, out) => (await this.deleteLive(tx, out, svc.id, ids, now)).length);
  }

  /**
   * Deletes live requests of a service: their tasks become deleted (the deleted notifications fire,
   * pending reminders are cancelled). Returns the ids that were live.
   */
  private async deleteLive(tx: DocumentTx, out: OutboxWrites, serviceId: number, ids: string[], now: Date): Promise<string[]> {
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
    }
    return deleted;
  }

  async createArtifact(svc: ServiceAccount, requestId: string, taskId: string): Promise<string> {
    const now = this.now();
    return this.d.store.tx(async (tx) => {
      const { request, task } = await this.liveTask(tx, svc, requestId, taskId);
      if (request.deleted || task.status !== 'created') {
        throw new StateError(
          'task-id',
          `${taskPath(requestId, taskId)} is ${request.deleted ? 'deleted' : task.status}; artifacts are only issued for open tasks`,
        );
      }
      const a = this.artifactFor(requestId, taskId, now);
      await tx.insertArtifact(a.row);
      return a.plain;
    });
  }

  private async scopeOf(tx: DocumentTx, svc: ServiceAccount, requestId: string, taskId: string | undefined): Promise<RequestRow> {
    if (taskId === undefined) return this.live(tx, svc, requestId);
    return (await this.liveTask(tx, svc, requestId, taskId)).request;
  }

  async addNotification(svc: ServiceAccount, requestId: string, taskId: string | undefined, n: Notification): Promise<void> {
    await this.write(async (tx, out) => {
      const r = await this.scopeOf(tx, svc, requestId, taskId);
      if (r.deleted) throw new StateError('request-id', `request "${requestId}" is deleted`);
      const scope = taskId ?? '';
      validateNotification(
        n,
        (await tx.notifications(requestId, scope)).map((x) => x.body),
      );
      const row = { requestId, scope, notificationId: n.notificationId, disabled: false, body: n };
      await tx.insertNotification(row);
      await out.insert(tx, planAdded(row, await tx.getTasks(requestId), this.now()));
    });
  }

  async disableNotification(svc: ServiceAccount, requestId: string, taskId: string | undefined, list: string[]): Promise<void> {
    const ids = idList(list, 'notification-id');
    await this.d.store.tx(async (tx) => {
      await this.scopeOf(tx, svc, requestId, taskId);
      const scope = taskId ?? '';
      const known = new Set((await tx.notifications(requestId, scope)).map((x) => x.notificationId));
      const missing = ids.filter((id) => !known.has(id));
      if (missing.length) {
        throw new NotFoundError(
          'notification-id',
          `no notification "${missing[0]}" on ${taskId === undefined ? `request "${requestId}"` : taskPath(requestId, taskId)}`,
        );
      }
      await tx.disableNotifications(requestId, scope, ids);
      await tx.cancelDeliveries(requestId, scope, ids, iso(this.now()));
    });
  }

  async getTask(svc: ServiceAccount, requestId: string, taskId: string): Promise<Task> {
    return this.d.store.tx(async (tx) => (await this.liveTask(tx, svc, requestId, taskId)).task.body);
  }

  async findTasks(
    svc: ServiceAccount,
    filter: TaskFilter | undefined,
    fromIndex?: number,
    toIndex?: number,
    sortField?: string,
    ascending?: boolean,
  ): Promise<TaskInfo[]> {
    const f = compileFilter(filter);
    const page = compilePage(fromIndex, toIndex, sortField, ascending);
    return this.d.store.tx((tx) => tx.findTasks(svc.id, f, page));
  }

  async getTaskCount(svc: ServiceAccount, filter: TaskFilter | undefined): Promise<number> {
    const f = compileFilter(filter);
    return this.d.store.tx((tx) => tx.countTasks(svc.id, f));
  }

  /** addTask: validates the task against the live request and opens it. */
  async addTask(svc: ServiceAccount, requestId: string, task: Task): Promise<string | undefined> {
    const now = this.now();
    normalizeRequest({ task: [task] } as SigningRequest);
    const inline = task.documentAction.map((a) => a.document).filter((d): d is Document => !!d);
    const check = async (tx: DocumentTx) => {
      const r = await this.live(tx, svc, requestId);
      if (r.deleted) throw new StateError('request-id', `request "${requestId}" is deleted`);
      const tasks = await tx.getTasks(requestId);
      validateAddedTask({ ...r.body, task: tasks.map((t) => t.body) }, task, this.d.methods);
      return { r, tasks };
    };
    const paths = task.documentAction.flatMap((a, ai) => (a.document ? [`task/document-action[${ai}]/document`] : []));
    // Refuse bad input before any bytes are stored (inline sds- and archive-documents must name this
    // service's uploads and archive entries, as in createRequest); store them outside the write
    // transaction; check again inside it (the request may have changed meanwhile).
    await this.d.store.tx(async (tx) => {
      await check(tx);
      await this.checkStoredRefs(
        tx,
        svc,
        inline.map((doc, i) => ({ doc, path: paths[i]! })),
      );
    });
    return this.releasingOnFailure(async (written) => {
      const documents = await this.storeDocuments(requestId, inline, written);
      return this.write(async (tx, out) => {
        const { r, tasks } = await check(tx);
        const stored = inline.map((doc, i) => ({ doc, row: documents[i]!, path: paths[i]! }));
        await this.pinStoredDocuments(tx, svc, stored, now);
        const archived = await this.archiveOriginals(tx, svc, stored, now);
        const docs = new Map([...(r.body.document ?? []), ...inline].map((d) => [d.id!, d]));
        const ordinal = tasks.reduce((m, t) => Math.max(m, t.ordinal + 1), 0);
        const plan = this.planTask(requestId, r.body, task, ordinal, docs, now);
        // As in createRequest: pinned documents' types and archive ids show in task-info.
        const types = new Map(stored.map((x) => [x.row.documentId, x.row.mimeType]));
        for (const d of plan.taskDocs) {
          d.mimeType ??= types.get(d.documentId);
          d.archiveId ??= archived.get(`${requestId}/${d.documentId}`);
        }
        plan.task.info.mimeType ??= types.get(plan.task.info.documentId ?? '');
        plan.task.info.archiveId ??= archived.get(`${requestId}/${plan.task.info.documentId}`);
        await tx.insertTask(plan.task, plan.taskDocs, documents);
        const added = this.taskNotifications(requestId, task);
        for (const n of added) await tx.insertNotification(n);
        await out.insert(tx, planCreated(added, [task.id], now, false));
        if (task.authentication?.artifact === true) {
          const a = this.artifactFor(requestId, task.id, now);
          await tx.insertArtifact(a.row);
          return a.plain;
        }
        return undefined;
      });
    });
  }

  /** disableTask: the task becomes deleted (withdrawn); it cannot be signed any more. */
  async disableTask(svc: ServiceAccount, requestId: string, taskId: string): Promise<void> {
    const now = this.now();
    await this.write(async (tx, out) => {
      const { task, tasks } = await this.liveTask(tx, svc, requestId, taskId);
      await moveTask(tx, out, task, tasks, 'deleted', now);
    });
  }

  /** getStatus: one task-status-info per task of each request, in request then task order. */
  async getStatus(svc: ServiceAccount, ids: string[]): Promise<TaskStatusInfo[]> {
    const requestIds = idList(ids, 'request-id');
    return this.d.store.tx(async (tx) => {
      const out: TaskStatusInfo[] = [];
      const requests: RequestRow[] = [];
      for (const [i, id] of requestIds.entries()) {
        requests.push(await this.live(tx, svc, id, requestIds.length > 1 ? `request-id[${i}]` : 'request-id'));
      }
      const docs = await tx.getTaskDocuments(requests.map((r) => r.id));
      for (const r of requests) {
        for (const t of await tx.getTasks(r.id)) {
          const mine = docs.filter((d) => d.requestId === r.id && d.taskId === t.taskId).sort((a, b) => a.ordinal - b.ordinal);
          out.push({
            requestId: r.id,
            taskId: t.taskId,
            taskStatus: t.status,
            clientReference: r.clientReference,
            clientStatus: t.clientStatus,
            documentStatus: mine.map((d) => ({
              id: d.documentId,
              originalUri: this.d.uris.original(svc.name, r.id, t.taskId, d.documentId),
              resultUri: d.resultUri,
            })),
          });
        }
      }
      return out;
    });
  }

  async setClientStatus(svc: ServiceAccount, requestId: string, taskId: string, clientStatus: string): Promise<void> {
    if (clientStatus.length > 1024) throw ValidationError.one('client-status', 'must be at most 1024 characters');
    const n = iso(this.now());
    await this.d.store.tx(async (tx) => {
      await this.liveTask(tx, svc, requestId, taskId);
      await tx.setClientStatus(requestId, taskId, clientStatus, n);
    });
  }

  /** getRequestHistory: request-level events and the task's own, oldest first. */
  async getRequestHistory(svc: ServiceAccount, requestId: string, taskId: string): Promise<HistoryEvent[]> {
    return this.d.store.tx(async (tx) => {
      await this.liveTask(tx, svc, requestId, taskId);
      return (await tx.events(requestId, taskId)).map(({ event, eventTime, data }) => ({ event, eventTime, data }));
    });
  }

  async createUserSession(svc: ServiceAccount, session: UserSession): Promise<{ userSessionId: string; artifact: string }> {
    const tasks = session.sessionTask ?? [];
    if (tasks.length === 0) throw ValidationError.one('user-session/session-task', 'at least one is required');
    if (tasks.length > 100) throw ValidationError.one('user-session/session-task', 'at most 100 are allowed');
    const now = this.now();
    return this.d.store.tx(async (tx) => {
      const found = await tx.existingTasks(
        svc.id,
        tasks.map((t) => ({ requestId: t.requestId, taskId: t.taskId })),
      );
      tasks.forEach((t, i) => {
        if (!found.has(`${t.requestId}/${t.taskId}`)) {
          throw new NotFoundError(`user-session/session-task[${i}]`, `no open task "${t.taskId}" in request "${t.requestId}"`);
        }
      });
      const id = newSignicatId(now);
      await tx.insertUserSession({ id, serviceId: svc.id, createdAt: iso(now), body: session });
      const plain = newArtifact();
      await tx.insertArtifact({ hash: hashArtifact(plain), userSessionId: id, expiresAt: iso(new Date(now.getTime() + ARTIFACT_TTL_MS)) });
      return { userSessionId: id, artifact: plain };
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
      for (const [serviceId, ids] of byService) n += (await this.deleteLive(tx, out, serviceId, ids, now)).length;
      return n;
    });
  }

  /** The task behind a portal task URL; NotFound for unknown ids and other services' requests alike. */
  async portalTask(svc: ServiceAccount, requestId: string, taskId: string): Promise<PortalTask> {
    return this.d.store.tx(async (tx) => {
      const { request, task, tasks } = await this.liveTask(tx, svc, requestId, taskId);
      const docs = await tx.getTaskDocuments([requestId]);
      const uploaded = new Set<string>();
      for (const d of docs.filter((x) => x.taskId === taskId && x.actionType === 'upload')) {
        if ((await tx.getDocument(requestId, d.documentId))?.blobKey) uploaded.add(d.documentId);
      }
      return portalTask(request, task, tasks, docs, uploaded);
    });
  }

  /**
   * Redeems a single-sign-on artifact for a task: valid once, within its 30 s, for the task it was
   * issued for. Returns whether it was accepted (a used, expired or foreign artifact is simply false).
   */
  async redeemArtifact(svc: ServiceAccount, requestId: string, taskId: string, artifact: string): Promise<boolean> {
    const now = iso(this.now());
    return this.d.store.tx(async (tx) => {
      const { request } = await this.liveTask(tx, svc, requestId, taskId);
      if (request.deleted) return false;
      return tx.useArtifact(hashArtifact(artifact), requestId, taskId, now);
    });
  }

  /** getPackagingTaskStatus: one entry per packaging task of each request. */
  async getPackagingTaskStatus(svc: ServiceAccount, ids: string[]): Promise<PackagingTaskStatusInfo[]> {
    const requestIds = idList(ids, 'request-id');
    return this.d.store.tx(async (tx) => {
      const out: PackagingTaskStatusInfo[] = [];
      for (const id of requestIds) {
        const r = await this.live(tx, svc, id);
        for (const p of r.body.packagingTask ?? []) {
          out.push({ requestId: id, packagingTaskId: p.packagingTaskId, packagingTaskStatus: 'created', packagingDocumentStatus: [] });
        }
      }
      if (out.length === 0) throw new NotFoundError('request-id', 'none of these requests has a packaging-task');
      return out;
    });
  }
}

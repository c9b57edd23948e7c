// The integrator's side: the 16 DocumentService v3 operations as use cases (validate, plan the rows,
// let the store commit them in one transaction). Transport-free: the SOAP adapter calls these.
import { hashArtifact, newArtifact, newSignicatId, ARTIFACT_TTL_MS } from './ids';
import { NotFoundError, StateError, ValidationError } from './errors';
import { compileFilter, compilePage } from './filter';
import { moveTask, planAdded, planCreated } from './transitions';
import { idList, normalizeRequest, validateAddedTask, validateNotification, validateRequests, type ValidationContext } from './validate';
import {
  archiveOriginals,
  artifactFor,
  checkStoredBytes,
  checkStoredRefs,
  deleteLive,
  documentPaths,
  pinStoredDocuments,
  planRequest,
  planTask,
  showPinned,
  storeDocuments,
  taskNotifications,
} from './planning';
import { iso, taskPath, UseCase, type BaseTx, type UseCaseDeps } from './usecase';
import { readOriginal, readResult } from './downloads';
import { checkFormSigners, formFieldsOf, formOutput, readForms, type PdfForms } from './forms';
import { packagingStatus } from './packagingtasks';
import { checkTemplateRefs, namesTemplate, notificationsOf, type TemplateNames } from './notifytexts';
import type { DocumentRow, RequestRow, RequestWrites, ServiceAccount, TaskDocumentRow } from './ports';
import type {
  Document,
  FormParam,
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

type Tx = BaseTx & RequestWrites;

export interface RequestServiceDeps extends UseCaseDeps<Tx> {
  methods: ValidationContext;
  /** the methods of one service, where services have their own (OIDC eID methods); else `methods` */
  methodsFor?: (svc: ServiceAccount) => Promise<ValidationContext>;
  /** how long an SDS upload lives after a request last used it */
  sdsTtlDays: number;
  /** reads and fills interactive PDF forms (packaging/forms.ts); without it a form document is refused */
  pdfForms?: PdfForms;
  /** the names of a service's notification texts (core/notifytexts.ts); without it `template:NAME` is a message like any other */
  templateNames?: (svc: ServiceAccount) => Promise<TemplateNames>;
}

export class RequestService extends UseCase<Tx, RequestServiceDeps> {
  /** The eID method names this service's requests may name (what createRequest checks against; the console's choices). */
  methodsOf(svc: ServiceAccount): Promise<ValidationContext> {
    return this.d.methodsFor ? this.d.methodsFor(svc) : Promise.resolve(this.d.methods);
  }

  /** Refuses notifications that name a notification text the service does not have (or of another channel). */
  private async checkTemplates(svc: ServiceAccount, list: ReturnType<typeof notificationsOf>): Promise<void> {
    if (this.d.templateNames && namesTemplate(list)) checkTemplateRefs(list, await this.d.templateNames(svc));
  }

  /** createRequest: one request-id per request in input order, plus an artifact when a task asks for one. */
  async createRequest(svc: ServiceAccount, requests: SigningRequest[]): Promise<{ requestIds: string[]; artifact?: string }> {
    requests.forEach(normalizeRequest);
    validateRequests(requests, await this.methodsOf(svc));
    await this.checkTemplates(svc, notificationsOf(requests));
    await readForms(requests, this.d.pdfForms);
    // References to SDS and the archive are checked before any bytes are stored (and again when
    // pinned inside the write transaction: an upload may be deleted meanwhile).
    const refs = requests
      .flatMap((r, ri) => {
        const inline = r.task.flatMap((t) => t.documentAction.map((a) => a.document).filter((d): d is Document => !!d));
        const paths = documentPaths(r, ri);
        return [...(r.document ?? []), ...inline].map((doc, i) => ({ doc, path: paths[i]! }));
      })
      .filter((x) => x.doc.kind === 'sds-document' || x.doc.kind === 'archive-document');
    if (refs.length) await checkStoredBytes(this.d.blobs, await this.d.store.tx((tx) => checkStoredRefs(tx, svc, refs)));
    return this.releasingOnFailure((written) => this.createChecked(svc, requests, written));
  }

  private async createChecked(
    svc: ServiceAccount,
    requests: SigningRequest[],
    written: string[],
  ): Promise<{ requestIds: string[]; artifact?: string }> {
    const now = this.now();
    const planned = [];
    for (const [ri, r] of requests.entries()) planned.push(await planRequest(this.d.blobs, svc, r, ri, now, written));
    const plans = planned.map((p) => p.plan);
    const stored = planned.flatMap((p) => p.stored);
    const first = planned.find((p) => p.artifactTask);
    const artifact = first ? artifactFor(first.plan.request.id, first.artifactTask!, now) : undefined;
    await this.write(async (tx, out) => {
      await pinStoredDocuments(tx, svc, stored, now, this.d.sdsTtlDays);
      const archived = await archiveOriginals(tx, svc, stored, now);
      showPinned(
        plans.flatMap((p) => p.taskDocuments),
        plans.flatMap((p) => p.tasks),
        stored,
        archived,
      );
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
    return this.write(async (tx, out) => (await deleteLive(tx, out, svc.id, ids, now)).length);
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
      const a = artifactFor(requestId, taskId, now);
      await tx.insertArtifact(a.row);
      return a.plain;
    });
  }

  private async scopeOf(tx: Tx, svc: ServiceAccount, requestId: string, taskId: string | undefined): Promise<RequestRow> {
    if (taskId === undefined) return this.live(tx, svc, requestId);
    return (await this.liveTask(tx, svc, requestId, taskId)).request;
  }

  async addNotification(svc: ServiceAccount, requestId: string, taskId: string | undefined, n: Notification): Promise<void> {
    await this.checkTemplates(svc, [{ n, path: 'notification' }]);
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
    const methods = await this.methodsOf(svc);
    await this.checkTemplates(
      svc,
      (task.notification ?? []).map((n, i) => ({ n, path: `task/notification[${i}]` })),
    );
    const check = async (tx: Tx) => {
      const r = await this.live(tx, svc, requestId);
      if (r.deleted) throw new StateError('request-id', `request "${requestId}" is deleted`);
      const tasks = await tx.getTasks(requestId);
      validateAddedTask({ ...r.body, task: tasks.map((t) => t.body) }, task, methods);
      checkFormSigners({ ...r.body, task: [...tasks.map((t) => t.body), task] }, 'request');
      return { r, tasks };
    };
    const paths = task.documentAction.flatMap((a, ai) => (a.document ? [`task/document-action[${ai}]/document`] : []));
    await readForms([{ task: [task] } as SigningRequest], this.d.pdfForms);
    // Refuse bad input before any bytes are stored (inline sds- and archive-documents must name this
    // service's uploads and archive entries, as in createRequest); store them outside the write
    // transaction; check again inside it (the request may have changed meanwhile).
    const found = await this.d.store.tx(async (tx) => {
      await check(tx);
      return checkStoredRefs(
        tx,
        svc,
        inline.map((doc, i) => ({ doc, path: paths[i]! })),
      );
    });
    await checkStoredBytes(this.d.blobs, found);
    return this.releasingOnFailure(async (written) => {
      const documents = await storeDocuments(this.d.blobs, requestId, inline, written);
      return this.write(async (tx, out) => {
        const { r, tasks } = await check(tx);
        const stored = inline.map((doc, i) => ({ doc, row: documents[i]!, path: paths[i]! }));
        await pinStoredDocuments(tx, svc, stored, now, this.d.sdsTtlDays);
        const archived = await archiveOriginals(tx, svc, stored, now);
        const docs = new Map([...(r.body.document ?? []), ...inline].map((d) => [d.id!, d]));
        const ordinal = tasks.reduce((m, t) => Math.max(m, t.ordinal + 1), 0);
        const plan = planTask(requestId, r.body, task, ordinal, docs, now);
        // As in createRequest: pinned documents' types and archive ids show in task-info.
        const types = new Map(stored.map((x) => [x.row.documentId, x.row.mimeType]));
        for (const d of plan.taskDocs) {
          d.mimeType ??= types.get(d.documentId);
          d.archiveId ??= archived.get(`${requestId}/${d.documentId}`);
        }
        plan.task.info.mimeType ??= types.get(plan.task.info.documentId ?? '');
        plan.task.info.archiveId ??= archived.get(`${requestId}/${plan.task.info.documentId}`);
        await tx.insertTask(plan.task, plan.taskDocs, documents);
        const added = taskNotifications(requestId, task);
        for (const n of added) await tx.insertNotification(n);
        await out.insert(tx, planCreated(added, [task.id], now, false));
        if (task.authentication?.artifact === true) {
          const a = artifactFor(requestId, task.id, now);
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
            documentStatus: await Promise.all(
              mine.map(async (d) => ({
                id: d.documentId,
                originalUri: this.d.uris.original(svc.name, r.id, t.taskId, d.documentId),
                resultUri: d.resultUri,
                ...(await this.formOutput(tx, r, t.body, d)),
              })),
            ),
          });
        }
      }
      return out;
    });
  }

  /** getStatus's form-output-param: an interactive form's fields and values, once its document is signed. */
  private async formOutput(tx: Tx, r: RequestRow, t: Task, d: TaskDocumentRow): Promise<{ formOutputParam?: FormParam[] }> {
    if (!d.resultUri || !formFieldsOf(r.body.document, [t], d.documentId)) return {};
    const fields = (await tx.getDocument(r.id, d.documentId))?.formFields;
    return fields ? { formOutputParam: formOutput(fields) } : {};
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

  /**
   * getPackagingTaskStatus: one entry per packaging task of each request, its real status; a
   * completed one names its package (core/packagingtasks.ts packagingStatus).
   */
  async getPackagingTaskStatus(svc: ServiceAccount, ids: string[]): Promise<PackagingTaskStatusInfo[]> {
    const requestIds = idList(ids, 'request-id');
    return this.d.store.tx(async (tx) => {
      const out: PackagingTaskStatusInfo[] = [];
      for (const id of requestIds) {
        const r = await this.live(tx, svc, id);
        if (!r.body.packagingTask?.length) continue;
        out.push(...packagingStatus(id, r.body, await tx.packagingTasks(id), (kind, x) => this.d.uris.stored(svc.name, kind, x)));
      }
      if (out.length === 0) throw new NotFoundError('request-id', 'none of these requests has a packaging-task');
      return out;
    });
  }

  /** The bytes behind an original-uri (the /doc download): the document must be one the task acts on. */
  async originalDocument(svc: ServiceAccount, requestId: string, taskId: string, documentId: string): Promise<DocumentRow> {
    return this.d.store.tx((tx) => readOriginal(tx, svc, requestId, taskId, documentId));
  }

  /** The sealed LTV-SDO behind a result-uri; NotFound until the document has been signed. */
  async resultDocument(
    svc: ServiceAccount,
    requestId: string,
    taskId: string,
    documentId: string,
  ): Promise<{ blobKey: string; sha256: string }> {
    return this.d.store.tx((tx) => readResult(tx, svc, requestId, taskId, documentId));
  }
}

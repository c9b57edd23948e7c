// The DocumentService port on TypeORM. One transaction per use case; on SQLite transactions are
// serialised in-process (one writer at a time is all SQLite allows anyway).
import { Brackets, In, type DataSource, type EntityManager, type SelectQueryBuilder, type WhereExpressionBuilder } from 'typeorm';
import type { Criterion, CompiledFilter, Page } from '../core/filter';
import type { TaskFilterField, TaskStatus } from '../core/enums';
import type {
  ArtifactRow, DocumentRow, DocumentStore, DocumentTx, EventRow, NewRequest, NotificationRow, RequestRow, TaskDocumentRow,
  TaskRow, UserSessionRow,
} from '../core/ports';
import type { TaskInfo } from '../core/types';
import {
  Artifact, DocumentRecord, Event, NotificationRecord, Request, TaskDocument, TaskRecord, UserSessionRecord,
  type RequestEntity, type TaskEntity,
} from './entities';
import { Mutex } from './mutex';
import { driverOf, type Driver } from './datasource';

const u = <T>(v: T | null | undefined): T | undefined => (v === null ? undefined : v);

function toTaskEntity(t: TaskRow, serviceId: number): TaskEntity {
  const i = t.info;
  return {
    requestId: t.requestId, taskId: t.taskId, serviceId, ordinal: t.ordinal, status: t.status,
    clientStatus: t.clientStatus ?? null, createdAt: t.createdAt, updatedAt: t.updatedAt, expiresAt: t.expiresAt,
    body: JSON.stringify(t.body), uid: i.id, documentId: i.documentId ?? null, archiveId: i.archiveId ?? null,
    account: i.account ?? null, language: i.language ?? null, documentDescription: i.documentDescription ?? null,
    mimeType: i.mimeType ?? null, subjectFirstName: i.subjectFirstName ?? null, subjectLastName: i.subjectLastName ?? null,
    subjectEmail: i.subjectEmail ?? null, subjectNationalId: i.subjectNationalId ?? null, subjectMobile: i.subjectMobile ?? null,
    authenticationType: i.authenticationType ?? null, signer: i.signer ?? null, senderUniqueId: i.senderUniqueId ?? null,
    clientReference: i.clientReference ?? null, daysToLive: i.daysToLive ?? null,
  };
}

function toInfo(e: TaskEntity): TaskInfo {
  return {
    id: e.uid, requestId: e.requestId, taskId: e.taskId, documentId: u(e.documentId), archiveId: u(e.archiveId),
    account: u(e.account), language: u(e.language), taskStatus: e.status as TaskStatus,
    documentDescription: u(e.documentDescription), mimeType: u(e.mimeType), subjectFirstName: u(e.subjectFirstName),
    subjectLastName: u(e.subjectLastName), subjectEmail: u(e.subjectEmail), subjectNationalId: u(e.subjectNationalId),
    subjectMobile: u(e.subjectMobile), created: e.createdAt, lastUpdated: e.updatedAt, signer: u(e.signer),
    senderUniqueId: u(e.senderUniqueId), clientReference: u(e.clientReference), clientStatus: u(e.clientStatus),
    daysToLive: u(e.daysToLive),
  };
}

function toTaskRow(e: TaskEntity): TaskRow {
  return {
    requestId: e.requestId, taskId: e.taskId, ordinal: e.ordinal, status: e.status as TaskStatus,
    clientStatus: u(e.clientStatus), createdAt: e.createdAt, updatedAt: e.updatedAt, expiresAt: e.expiresAt,
    body: JSON.parse(e.body), info: toInfo(e),
  };
}

function toRequestRow(e: RequestEntity): RequestRow {
  return {
    id: e.id, serviceId: e.serviceId, createdAt: e.createdAt, updatedAt: e.updatedAt, deleted: !!e.deleted,
    clientReference: u(e.clientReference), account: u(e.account), deleteAfter: u(e.deleteAfter), body: JSON.parse(e.body),
  };
}

/** task-filter-field → task column; the document fields match any document of the task. */
const COLUMN: Record<TaskFilterField, string> = {
  'id': 't.uid', 'request-id': 't.request_id', 'task-id': 't.task_id', 'document-id': 'd.document_id',
  'archive-id': 'd.archive_id', 'account': 't.account', 'language': 't.language', 'task-state': 't.status',
  'document-description': 'd.description', 'mime-type': 'd.mime_type', 'subject-first-name': 't.subject_first_name',
  'subject-last-name': 't.subject_last_name', 'subject-email': 't.subject_email',
  'subject-national-id': 't.subject_national_id', 'subject-mobile': 't.subject_mobile',
  'authentication-type': 't.authentication_type', 'created': 't.created_at', 'last-updated': 't.updated_at',
  'signer': 't.signer', 'sender-unique-id': 't.sender_unique_id', 'client-reference': 't.client_reference',
  'client-status': 't.client_status', 'days-to-live': 't.days_to_live',
};
const SORT_COLUMN: Record<TaskFilterField, string> = {
  ...COLUMN, 'document-id': 't.document_id', 'archive-id': 't.archive_id', 'document-description': 't.document_description',
  'mime-type': 't.mime_type',
};

/** The SQL for one criterion; semantics as core/filter.ts `matches` (NULL only satisfies not-equals). */
function condition(driver: Driver, c: Criterion, p: string): string {
  let col = COLUMN[c.field];
  let val = `:${p}`;
  if (c.kind === 'string' && !c.caseSensitive) { col = `LOWER(${col})`; val = `LOWER(${val})`; }
  let sql: string;
  switch (c.operator) {
    case 'equals': sql = `${col} = ${val}`; break;
    case 'not-equals': sql = `(${col} IS NULL OR ${col} <> ${val})`; break;
    case 'contains': sql = driver === 'postgres' ? `strpos(${col}, ${val}) > 0` : `instr(${col}, ${val}) > 0`; break;
    case 'less-than': sql = `${col} < ${val}`; break;
    case 'greater-than': sql = `${col} > ${val}`; break;
  }
  if (!COLUMN[c.field].startsWith('d.')) return sql;
  // A document field: some document of the task matches (not-equals: no document equals).
  if (c.operator === 'not-equals') {
    const eq = `${col} = ${val}`;
    return `NOT EXISTS (SELECT 1 FROM task_document d WHERE d.request_id = t.request_id AND d.task_id = t.task_id AND ${eq})`;
  }
  return `EXISTS (SELECT 1 FROM task_document d WHERE d.request_id = t.request_id AND d.task_id = t.task_id AND ${sql})`;
}

class Tx implements DocumentTx {
  constructor(private readonly m: EntityManager, private readonly driver: Driver) {}

  async insertRequests(list: NewRequest[]): Promise<void> {
    for (const n of list) {
      const r = n.request;
      await this.m.insert(Request, {
        id: r.id, serviceId: r.serviceId, createdAt: r.createdAt, updatedAt: r.updatedAt, deleted: false,
        clientReference: r.clientReference ?? null, account: r.account ?? null, deleteAfter: r.deleteAfter ?? null,
        body: JSON.stringify(r.body),
      });
      if (n.tasks.length) await this.m.insert(TaskRecord, n.tasks.map((t) => toTaskEntity(t, r.serviceId)));
      await this.insertDocs(n.taskDocuments, n.documents);
      if (n.notifications.length) await this.insertNotifications(n.notifications);
      await this.insertEvents(n.events);
    }
  }

  private async insertDocs(taskDocs: TaskDocumentRow[], docs: DocumentRow[]): Promise<void> {
    if (docs.length) {
      await this.m.insert(DocumentRecord, docs.map((d) => ({
        requestId: d.requestId, documentId: d.documentId, kind: d.kind, mimeType: d.mimeType ?? null,
        description: d.description ?? null, blobKey: d.blobKey ?? null, sha256: d.sha256 ?? null, size: d.size ?? null,
      })));
    }
    if (taskDocs.length) {
      await this.m.insert(TaskDocument, taskDocs.map((d) => ({
        requestId: d.requestId, taskId: d.taskId, documentId: d.documentId, ordinal: d.ordinal, actionType: d.actionType,
        description: d.description ?? null, mimeType: d.mimeType ?? null, archiveId: d.archiveId ?? null,
        resultUri: d.resultUri ?? null,
      })));
    }
  }

  private async insertNotifications(list: NotificationRow[]): Promise<void> {
    await this.m.insert(NotificationRecord, list.map((n) => ({
      requestId: n.requestId, scope: n.scope, notificationId: n.notificationId, disabled: n.disabled, body: JSON.stringify(n.body),
    })));
  }

  async getRequest(serviceId: number, requestId: string): Promise<RequestRow | null> {
    const e = await this.m.findOne(Request, { where: { id: requestId, serviceId } });
    return e ? toRequestRow(e) : null;
  }

  async getTasks(requestId: string): Promise<TaskRow[]> {
    const list = await this.m.find(TaskRecord, { where: { requestId }, order: { ordinal: 'ASC' } });
    return list.map(toTaskRow);
  }

  async getTaskDocuments(requestIds: string[]): Promise<TaskDocumentRow[]> {
    if (!requestIds.length) return [];
    const list = await this.m.find(TaskDocument, { where: { requestId: In(requestIds) } });
    return list.map((d) => ({
      requestId: d.requestId, taskId: d.taskId, documentId: d.documentId, ordinal: d.ordinal, actionType: d.actionType,
      description: u(d.description), mimeType: u(d.mimeType), archiveId: u(d.archiveId), resultUri: u(d.resultUri),
    }));
  }

  async deleteRequests(serviceId: number, requestIds: string[], now: string): Promise<string[]> {
    if (!requestIds.length) return [];
    const live = await this.m.find(Request, { where: { id: In(requestIds), serviceId, deleted: false }, select: { id: true } });
    const ids = live.map((r) => r.id);
    if (!ids.length) return [];
    await this.m.update(Request, { id: In(ids) }, { deleted: true, updatedAt: now });
    await this.m.update(TaskRecord, { requestId: In(ids) }, { status: 'deleted', updatedAt: now });
    await this.insertEvents(ids.map((id) => ({ requestId: id, event: 'document-deleted', eventTime: now, data: 'request deleted' })));
    return ids;
  }

  async insertTask(task: TaskRow, docs: TaskDocumentRow[], documents: DocumentRow[]): Promise<void> {
    const req = await this.m.findOneOrFail(Request, { where: { id: task.requestId }, select: { serviceId: true, id: true } });
    await this.m.insert(TaskRecord, toTaskEntity(task, req.serviceId));
    await this.insertDocs(docs, documents);
  }

  async setTaskStatus(requestId: string, taskId: string, status: TaskStatus, now: string): Promise<void> {
    await this.m.update(TaskRecord, { requestId, taskId }, { status, updatedAt: now });
  }

  async setClientStatus(requestId: string, taskId: string, clientStatus: string, now: string): Promise<void> {
    await this.m.update(TaskRecord, { requestId, taskId }, { clientStatus, updatedAt: now });
  }

  async insertEvents(events: EventRow[]): Promise<void> {
    if (!events.length) return;
    await this.m.insert(Event, events.map((e) => ({
      requestId: e.requestId, taskId: e.taskId ?? null, type: e.event, time: e.eventTime, data: e.data ?? null,
    })));
  }

  async events(requestId: string, taskId: string): Promise<EventRow[]> {
    const list = await this.m.createQueryBuilder(Event, 'e')
      .where('e.requestId = :requestId', { requestId })
      .andWhere(new Brackets((w) => w.where('e.taskId IS NULL').orWhere('e.taskId = :taskId', { taskId })))
      .orderBy('e.id', 'ASC').getMany();
    return list.map((e) => ({
      requestId: e.requestId, taskId: u(e.taskId), event: e.type as EventRow['event'], eventTime: e.time, data: u(e.data),
    }));
  }

  async insertArtifact(a: ArtifactRow): Promise<void> {
    await this.m.insert(Artifact, {
      hash: a.hash, requestId: a.requestId ?? null, taskId: a.taskId ?? null, userSessionId: a.userSessionId ?? null,
      expiresAt: a.expiresAt, usedAt: null,
    });
  }

  async notifications(requestId: string, scope: string): Promise<NotificationRow[]> {
    const list = await this.m.find(NotificationRecord, { where: { requestId, scope } });
    return list.map((n) => ({ requestId, scope, notificationId: n.notificationId, disabled: !!n.disabled, body: JSON.parse(n.body) }));
  }

  async insertNotification(n: NotificationRow): Promise<void> {
    await this.insertNotifications([n]);
  }

  async disableNotifications(requestId: string, scope: string, ids: string[]): Promise<void> {
    await this.m.update(NotificationRecord, { requestId, scope, notificationId: In(ids) }, { disabled: true });
  }

  private filtered(serviceId: number, f: CompiledFilter): SelectQueryBuilder<TaskEntity> {
    const q = this.m.createQueryBuilder(TaskRecord, 't').where('t.service_id = :serviceId', { serviceId });
    f.criteria.forEach((c, i) => {
      q.andWhere(condition(this.driver, c, `v${i}`), { [`v${i}`]: c.value });
    });
    if (f.fromDate) q.andWhere('t.created_at >= :fromDate', { fromDate: f.fromDate });
    if (f.toDate) q.andWhere('t.created_at <= :toDate', { toDate: f.toDate });
    return q;
  }

  async findTasks(serviceId: number, f: CompiledFilter, page: Page): Promise<TaskInfo[]> {
    const dir = page.ascending ? 'ASC' : 'DESC';
    const q = this.filtered(serviceId, f)
      .orderBy(SORT_COLUMN[page.sortField], dir, page.ascending ? 'NULLS FIRST' : 'NULLS LAST')
      .addOrderBy('t.request_id', dir).addOrderBy('t.ordinal', dir)
      .offset(page.offset).limit(page.limit);
    return (await q.getMany()).map(toInfo);
  }

  async countTasks(serviceId: number, f: CompiledFilter): Promise<number> {
    return this.filtered(serviceId, f).getCount();
  }

  async existingTasks(serviceId: number, pairs: Array<{ requestId: string; taskId: string }>): Promise<Set<string>> {
    if (!pairs.length) return new Set();
    const q = this.m.createQueryBuilder(TaskRecord, 't').select(['t.requestId', 't.taskId'])
      .where('t.service_id = :serviceId', { serviceId }).andWhere('t.status = :created', { created: 'created' })
      .andWhere(new Brackets((w: WhereExpressionBuilder) => {
        pairs.forEach((p, i) => w.orWhere(`(t.request_id = :r${i} AND t.task_id = :t${i})`, { [`r${i}`]: p.requestId, [`t${i}`]: p.taskId }));
      }));
    return new Set((await q.getMany()).map((t) => `${t.requestId}/${t.taskId}`));
  }

  async insertUserSession(s: UserSessionRow): Promise<void> {
    await this.m.insert(UserSessionRecord, { id: s.id, serviceId: s.serviceId, createdAt: s.createdAt, body: JSON.stringify(s.body) });
  }
}

export class TypeormDocumentStore implements DocumentStore {
  private readonly driver: Driver;
  private readonly lock = new Mutex();
  constructor(private readonly ds: DataSource) {
    this.driver = ds.options.type === 'postgres' ? 'postgres' : 'sqlite';
  }

  async tx<T>(work: (tx: DocumentTx) => Promise<T>): Promise<T> {
    const run = () => this.ds.transaction((m) => work(new Tx(m, this.driver)));
    return this.driver === 'sqlite' ? this.lock.run(run) : run();
  }
}

export { driverOf };

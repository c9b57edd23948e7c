// core's document port (core/ports.ts: DocumentTx, every part of it) in plain SQL on the TypeORM
// connection (store/sql.ts): one transaction per use case, multi-row inserts, no read-back after
// writes. Row mapping is in taskrows.ts, the task-filter SQL in taskfilter.ts.
import type { CompiledFilter, Page } from '../core/filter';
import type { TaskStatus } from '../core/enums';
import type {
  ArchiveEntry,
  ArtifactRow,
  DocumentRow,
  DocumentStore,
  DocumentTx,
  EventRow,
  NewRequest,
  NewSdsEntry,
  RequestRow,
  SdsEntry,
  TaskDocumentRow,
  TaskRow,
  UserSessionRow,
} from '../core/ports';
import { archiveQueries } from './archive';
import { outboxQueries } from './outbox';
import type { OutboxRow } from '../core/outbox';
import type { BlobStore } from './blobs';
import { chunks, dropUnusedBlobs } from './blobrefs';
import { sdsQueries } from './sds';
import { formColumns, setFormFilled } from './forms';
import type { TaskInfo } from '../core/types';
import type { DataSource } from 'typeorm';
import { insertSql, sqlDatabase, type Param, type Sql, type SqlDatabase } from './sql';
import { AtRest, filterByNationalId, nationalIdCriteria } from './atrest';
import {
  DbRow,
  str,
  num,
  REQUEST_COLS,
  TASK_COLS,
  TASK_DOC_COLS,
  DOC_COLS,
  ARTIFACT_COLS,
  NOTIFICATION_COLS,
  taskValues,
  toInfo,
  toTaskRow,
} from './taskrows';
import { SORT_COLUMN, where } from './taskfilter';
import { SealTx } from './sealjobs';
import { appendEvents, type NewEvent } from './auditchain';
import type { NotificationRow } from '../core/outbox';

const newEvent = (e: EventRow): NewEvent => ({ requestId: e.requestId, taskId: e.taskId, type: e.event, time: e.eventTime, data: e.data });
const inList = (n: number) => Array.from({ length: n }, () => '?').join(', ');

class Tx extends SealTx implements DocumentTx {
  constructor(
    q: Sql,
    private readonly blobs: BlobStore,
    k: AtRest,
  ) {
    super(q, k);
  }

  private async insert(table: string, cols: readonly string[], rows: Param[][]): Promise<void> {
    if (rows.length) await this.q.run(insertSql(table, cols, rows.length), rows.flat());
  }

  async insertRequests(list: NewRequest[]): Promise<void> {
    for (const n of list) {
      const r = n.request;
      await this.insert('request', REQUEST_COLS, [
        [
          r.id,
          r.serviceId,
          r.createdAt,
          r.updatedAt,
          false,
          r.clientReference,
          r.account,
          r.deleteAfter,
          JSON.stringify(this.k.sealRequestBody(r.id, r.body)),
        ],
      ]);
      await this.insert(
        'task',
        TASK_COLS,
        n.tasks.map((t) => taskValues(t, r.serviceId, this.k)),
      );
      await this.insertDocs(n.taskDocuments, n.documents);
      await this.insertNotifications(n.notifications);
      await appendEvents(this.q, n.events.map(newEvent), new Map([[r.id, r.serviceId]]));
      await this.insertPackagingTasks(n.packagingTasks);
    }
  }

  private async insertDocs(taskDocs: TaskDocumentRow[], docs: DocumentRow[]): Promise<void> {
    await this.insert(
      'document',
      DOC_COLS,
      docs.map((d) => [d.requestId, d.documentId, d.kind, d.mimeType, d.description, d.blobKey, d.sha256, d.size]),
    );
    await this.insert(
      'task_document',
      TASK_DOC_COLS,
      taskDocs.map((d) => [
        d.requestId,
        d.taskId,
        d.documentId,
        d.ordinal,
        d.actionType,
        d.description,
        d.mimeType,
        d.archiveId,
        d.resultUri,
      ]),
    );
  }

  private async insertNotifications(list: NotificationRow[]): Promise<void> {
    await this.insert(
      'notification',
      NOTIFICATION_COLS,
      list.map((n) => [n.requestId, n.scope, n.notificationId, n.disabled, JSON.stringify(n.body)]),
    );
  }

  async getRequest(serviceId: number, requestId: string, forUpdate = false): Promise<RequestRow | null> {
    // SQLite has one writer at a time (BEGIN IMMEDIATE): the lock is PostgreSQL's row lock only.
    const lock = forUpdate && this.q.driver === 'postgres' ? ' FOR UPDATE' : '';
    const [r] = await this.q.all(`SELECT * FROM request WHERE id = ? AND service_id = ?${lock}`, [requestId, serviceId]);
    if (!r) return null;
    return {
      id: r.id as string,
      serviceId: Number(r.service_id),
      createdAt: r.created_at as string,
      updatedAt: r.updated_at as string,
      deleted: !!r.deleted,
      clientReference: str(r.client_reference),
      account: str(r.account),
      deleteAfter: str(r.delete_after),
      body: this.k.openRequestBody(r.id as string, JSON.parse(r.body as string)),
    };
  }

  async getTasks(requestId: string): Promise<TaskRow[]> {
    return (await this.q.all('SELECT * FROM task WHERE request_id = ? ORDER BY ordinal', [requestId])).map((r) => toTaskRow(r, this.k));
  }

  async getTaskDocuments(requestIds: string[]): Promise<TaskDocumentRow[]> {
    const rows: DbRow[] = [];
    for (const part of chunks(requestIds))
      rows.push(...(await this.q.all(`SELECT * FROM task_document WHERE request_id IN (${inList(part.length)})`, part)));
    return rows.map((d) => ({
      requestId: d.request_id as string,
      taskId: d.task_id as string,
      documentId: d.document_id as string,
      ordinal: Number(d.ordinal),
      actionType: d.action_type as string,
      description: str(d.description),
      mimeType: str(d.mime_type),
      archiveId: str(d.archive_id),
      resultUri: str(d.result_uri),
    }));
  }

  async deleteRequests(serviceId: number, requestIds: string[], now: string): Promise<string[]> {
    // IN lists in chunks, so no driver limit on bound parameters is reached (SQLite: 32766).
    const ids: string[] = [];
    for (const part of chunks(requestIds)) {
      const live = await this.q.all<{ id: string }>(
        `SELECT id FROM request WHERE service_id = ? AND deleted = ? AND id IN (${inList(part.length)})`,
        [serviceId, false, ...part],
      );
      ids.push(...live.map((r) => r.id));
    }
    if (!ids.length) return [];
    const held: Array<{ blob_key: string }> = [];
    for (const part of chunks(ids)) {
      await this.q.run(`UPDATE request SET deleted = ?, updated_at = ? WHERE id IN (${inList(part.length)})`, [true, now, ...part]);
      await this.q.run(`UPDATE task SET status = ?, updated_at = ? WHERE request_id IN (${inList(part.length)})`, [
        'deleted',
        now,
        ...part,
      ]);
      // The request's documents go; archive copies (and SDS uploads still alive) keep their blobs.
      held.push(
        ...(await this.q.all<{ blob_key: string }>(
          `SELECT blob_key FROM document WHERE blob_key IS NOT NULL AND request_id IN (${inList(part.length)}) UNION ALL
            SELECT form_original_blob_key FROM document WHERE form_original_blob_key IS NOT NULL AND request_id IN (${inList(part.length)})`,
          [...part, ...part],
        )),
      );
      held.push(
        ...(await this.q.all<{ blob_key: string }>(
          `SELECT result_blob_key AS blob_key FROM task_document WHERE result_blob_key IS NOT NULL AND request_id IN (${inList(part.length)})`,
          part,
        )),
      );
      // Packages made by packaging tasks: their SDS or archive copies keep the bytes while they live.
      held.push(
        ...(await this.q.all<{ blob_key: string }>(
          `SELECT result_blob_key AS blob_key FROM packaging_task WHERE result_blob_key IS NOT NULL AND request_id IN (${inList(part.length)})`,
          part,
        )),
      );
      await this.q.run(
        `UPDATE document SET blob_key = NULL, form_original_blob_key = NULL WHERE request_id IN (${inList(part.length)})`,
        part,
      );
      await this.q.run(`UPDATE task_document SET result_blob_key = NULL WHERE request_id IN (${inList(part.length)})`, part);
      await this.q.run(`UPDATE packaging_task SET result_blob_key = NULL WHERE request_id IN (${inList(part.length)})`, part);
    }
    await dropUnusedBlobs(
      this.q,
      this.blobs,
      held.map((h) => h.blob_key),
    );
    await this.insertEvents(ids.map((id) => ({ requestId: id, event: 'document-deleted', eventTime: now, data: 'request deleted' })));
    return ids;
  }

  async releaseBlobs(keys: string[]): Promise<void> {
    await dropUnusedBlobs(this.q, this.blobs, keys);
  }

  async insertTask(task: TaskRow, docs: TaskDocumentRow[], documents: DocumentRow[]): Promise<void> {
    const [r] = await this.q.all<{ service_id: number }>('SELECT service_id FROM request WHERE id = ?', [task.requestId]);
    if (!r) throw new Error(`request ${task.requestId} vanished`);
    await this.insert('task', TASK_COLS, [taskValues(task, Number(r.service_id), this.k)]);
    await this.insertDocs(docs, documents);
  }

  async setTaskStatus(requestId: string, taskId: string, status: TaskStatus, now: string): Promise<void> {
    await this.q.run('UPDATE task SET status = ?, updated_at = ? WHERE request_id = ? AND task_id = ?', [status, now, requestId, taskId]);
  }

  async setClientStatus(requestId: string, taskId: string, clientStatus: string, now: string): Promise<void> {
    await this.q.run('UPDATE task SET client_status = ?, updated_at = ? WHERE request_id = ? AND task_id = ?', [
      clientStatus,
      now,
      requestId,
      taskId,
    ]);
  }

  async insertEvents(events: EventRow[]): Promise<void> {
    await appendEvents(this.q, events.map(newEvent));
  }

  async events(requestId: string, taskId: string): Promise<EventRow[]> {
    const rows = await this.q.all('SELECT * FROM event WHERE request_id = ? AND (task_id IS NULL OR task_id = ?) ORDER BY id', [
      requestId,
      taskId,
    ]);
    return rows.map((e) => ({
      requestId: e.request_id as string,
      taskId: str(e.task_id),
      event: e.type as EventRow['event'],
      eventTime: e.time as string,
      data: str(e.data),
    }));
  }

  async insertArtifact(a: ArtifactRow): Promise<void> {
    await this.insert('artifact', ARTIFACT_COLS, [[a.hash, a.requestId, a.taskId, a.userSessionId, a.expiresAt, null]]);
  }

  async setDocumentBytes(
    requestId: string,
    documentId: string,
    b: { blobKey: string; sha256: string; size: number; mimeType: string },
  ): Promise<void> {
    const [before] = await this.q.all<{ blob_key: string | null }>(
      'SELECT blob_key FROM document WHERE request_id = ? AND document_id = ?',
      [requestId, documentId],
    );
    await this.q.run('UPDATE document SET blob_key = ?, sha256 = ?, size = ?, mime_type = ? WHERE request_id = ? AND document_id = ?', [
      b.blobKey,
      b.sha256,
      b.size,
      b.mimeType,
      requestId,
      documentId,
    ]);
    await this.q.run('UPDATE task_document SET mime_type = ? WHERE request_id = ? AND document_id = ?', [
      b.mimeType,
      requestId,
      documentId,
    ]);
    // A re-upload replaces the file: the earlier one goes unless something else names it.
    if (before?.blob_key && before.blob_key !== b.blobKey) await dropUnusedBlobs(this.q, this.blobs, [before.blob_key]);
  }

  async useArtifact(hash: string, requestId: string, taskId: string, now: string): Promise<boolean> {
    const lock = this.q.driver === 'postgres' ? ' FOR UPDATE' : '';
    const [row] = await this.q.all(
      `SELECT hash FROM artifact WHERE hash = ? AND request_id = ? AND task_id = ? AND used_at IS NULL AND expires_at > ?${lock}`,
      [hash, requestId, taskId, now],
    );
    if (!row) return false;
    await this.q.run('UPDATE artifact SET used_at = ? WHERE hash = ?', [now, hash]);
    return true;
  }

  async useSessionArtifact(hash: string, userSessionId: string, now: string): Promise<boolean> {
    const lock = this.q.driver === 'postgres' ? ' FOR UPDATE' : '';
    const [row] = await this.q.all(
      `SELECT hash FROM artifact WHERE hash = ? AND user_session_id = ? AND used_at IS NULL AND expires_at > ?${lock}`,
      [hash, userSessionId, now],
    );
    if (!row) return false;
    await this.q.run('UPDATE artifact SET used_at = ? WHERE hash = ?', [now, hash]);
    return true;
  }

  async userSession(serviceId: number, id: string): Promise<UserSessionRow | null> {
    const [r] = await this.q.all<{ id: string; service_id: number; created_at: string; body: string }>(
      'SELECT * FROM user_session WHERE id = ? AND service_id = ?',
      [id, serviceId],
    );
    return r
      ? { id: r.id, serviceId: Number(r.service_id), createdAt: String(r.created_at), body: JSON.parse(r.body) as UserSessionRow['body'] }
      : null;
  }

  async notifications(requestId: string, scope: string): Promise<NotificationRow[]> {
    const rows = await this.q.all('SELECT * FROM notification WHERE request_id = ? AND scope = ?', [requestId, scope]);
    return rows.map((n) => ({
      requestId,
      scope,
      notificationId: n.notification_id as string,
      disabled: !!n.disabled,
      body: JSON.parse(n.body as string),
    }));
  }

  async insertNotification(n: NotificationRow): Promise<void> {
    await this.insertNotifications([n]);
  }

  async disableNotifications(requestId: string, scope: string, ids: string[]): Promise<void> {
    if (!ids.length) return;
    await this.q.run(
      `UPDATE notification SET disabled = ? WHERE request_id = ? AND scope = ? AND notification_id IN (${inList(ids.length)})`,
      [true, requestId, scope, ...ids],
    );
  }

  async findTasks(serviceId: number, f: CompiledFilter, page: Page): Promise<TaskInfo[]> {
    if (nationalIdCriteria(f.criteria).length || page.sortField === 'subject-national-id') {
      return (await this.byNationalId(serviceId, f, page)).slice(page.offset, page.offset + page.limit);
    }
    const params: Param[] = [];
    const w = where(this.q.driver, serviceId, f, params, this.k);
    const dir = page.ascending ? 'ASC' : 'DESC';
    const nulls = page.ascending ? 'NULLS FIRST' : 'NULLS LAST';
    const sql = `SELECT t.* FROM task t WHERE ${w} ORDER BY ${SORT_COLUMN[page.sortField]} ${dir} ${nulls}, t.request_id ${dir}, t.ordinal ${dir} LIMIT ? OFFSET ?`;
    return (await this.q.all(sql, [...params, page.limit, page.offset])).map((r) => toInfo(r, this.k));
  }

  async countTasks(serviceId: number, f: CompiledFilter): Promise<number> {
    if (nationalIdCriteria(f.criteria).length)
      return (await this.byNationalId(serviceId, f, { sortField: 'created', ascending: true })).length;
    const params: Param[] = [];
    const [r] = await this.q.all(`SELECT COUNT(*) AS n FROM task t WHERE ${where(this.q.driver, serviceId, f, params, this.k)}`, params);
    return Number(r!.n);
  }

  /** The national id is sealed: the other criteria (and equals' MAC) in SQL, the rest on opened values (store/atrest.ts). */
  private async byNationalId(serviceId: number, f: CompiledFilter, page: Pick<Page, 'sortField' | 'ascending'>): Promise<TaskInfo[]> {
    const params: Param[] = [];
    const w = where(this.q.driver, serviceId, f, params, this.k);
    const dir = page.ascending ? 'ASC' : 'DESC';
    const order =
      page.sortField === 'subject-national-id'
        ? ''
        : `${SORT_COLUMN[page.sortField]} ${dir} ${page.ascending ? 'NULLS FIRST' : 'NULLS LAST'}, `;
    const rows = await this.q.all(`SELECT t.* FROM task t WHERE ${w} ORDER BY ${order}t.request_id ${dir}, t.ordinal ${dir}`, params);
    return filterByNationalId(
      rows.map((r) => toInfo(r, this.k)),
      nationalIdCriteria(f.criteria),
      page,
    );
  }

  async existingTasks(serviceId: number, pairs: Array<{ requestId: string; taskId: string }>): Promise<Set<string>> {
    if (!pairs.length) return new Set();
    const rows = await this.q.all<{ request_id: string; task_id: string }>(
      `SELECT request_id, task_id FROM task WHERE service_id = ? AND status = ? AND (${pairs.map(() => '(request_id = ? AND task_id = ?)').join(' OR ')})`,
      [serviceId, 'created', ...pairs.flatMap((p) => [p.requestId, p.taskId])],
    );
    return new Set(rows.map((t) => `${t.request_id}/${t.task_id}`));
  }

  async getDocument(requestId: string, documentId: string): Promise<DocumentRow | null> {
    const [d] = await this.q.all('SELECT * FROM document WHERE request_id = ? AND document_id = ?', [requestId, documentId]);
    if (!d) return null;
    return {
      requestId,
      documentId,
      kind: d.kind as DocumentRow['kind'],
      mimeType: str(d.mime_type),
      description: str(d.description),
      blobKey: str(d.blob_key),
      sha256: str(d.sha256),
      size: num(d.size),
      ...formColumns(d),
    };
  }

  setFormFilled(...a: Parameters<import('../core/ports').SignerWrites['setFormFilled']>): Promise<void> {
    return setFormFilled(this.q, this.blobs, ...a);
  }

  async sdsDocuments(serviceId: number, ids: string[]): Promise<Map<string, SdsEntry>> {
    return sdsQueries.find(this.q, serviceId, ids);
  }

  async touchSds(ids: string[], now: string, expiresAt: string): Promise<void> {
    await sdsQueries.touch(this.q, ids, now, expiresAt);
  }

  async setResult(
    requestId: string,
    taskId: string,
    documentId: string,
    r: { blobKey: string; sha256: string; uri: string },
  ): Promise<void> {
    await this.q.run(
      'UPDATE task_document SET result_blob_key = ?, result_sha256 = ?, result_uri = ? WHERE request_id = ? AND task_id = ? AND document_id = ?',
      [r.blobKey, r.sha256, r.uri, requestId, taskId, documentId],
    );
  }

  async getResult(requestId: string, taskId: string, documentId: string): Promise<{ blobKey: string; sha256: string } | null> {
    const [r] = await this.q.all<{ result_blob_key: string | null; result_sha256: string | null }>(
      'SELECT result_blob_key, result_sha256 FROM task_document WHERE request_id = ? AND task_id = ? AND document_id = ?',
      [requestId, taskId, documentId],
    );
    return r?.result_blob_key ? { blobKey: r.result_blob_key, sha256: r.result_sha256! } : null;
  }

  async requestsDue(now: string, limit: number): Promise<Array<{ id: string; serviceId: number }>> {
    const rows = await this.q.all<{ id: string; service_id: number }>(
      'SELECT id, service_id FROM request WHERE deleted = ? AND delete_after IS NOT NULL AND delete_after < ? ORDER BY delete_after LIMIT ?',
      [false, now, limit],
    );
    return rows.map((r) => ({ id: r.id, serviceId: Number(r.service_id) }));
  }

  async archiveDocuments(serviceId: number, ids: string[]): Promise<Map<string, ArchiveEntry>> {
    return archiveQueries.find(this.q, serviceId, ids);
  }

  async insertArchive(
    serviceId: number,
    entries: Array<ArchiveEntry & { createdAt: string; requestId?: string; documentId?: string }>,
  ): Promise<void> {
    await archiveQueries.insert(this.q, serviceId, entries);
  }

  async insertSds(e: NewSdsEntry): Promise<void> {
    await sdsQueries.insert(this.q, e);
  }

  async insertOutbox(rows: OutboxRow[]): Promise<void> {
    await outboxQueries.insert(this.q, rows);
  }

  async cancelReminders(requestId: string, taskId: string | undefined, now: string): Promise<void> {
    await outboxQueries.cancelReminders(this.q, requestId, taskId, now);
  }

  async cancelDeliveries(requestId: string, scope: string, notificationIds: string[], now: string): Promise<void> {
    await outboxQueries.cancelNotifications(this.q, requestId, scope, notificationIds, now);
  }

  async allNotifications(requestId: string): Promise<NotificationRow[]> {
    const rows = await this.q.all('SELECT * FROM notification WHERE request_id = ?', [requestId]);
    return rows.map((n) => ({
      requestId,
      scope: n.scope as string,
      notificationId: n.notification_id as string,
      disabled: !!n.disabled,
      body: JSON.parse(n.body as string),
    }));
  }

  async tasksDue(now: string, limit: number): Promise<Array<{ requestId: string; taskId: string; serviceId: number }>> {
    const rows = await this.q.all<{ request_id: string; task_id: string; service_id: number }>(
      // a task the signer signed is being sealed (core/sealrun.ts): it does not expire under its seal job
      `SELECT request_id, task_id, service_id FROM task t WHERE status = 'created' AND expires_at <= ? AND NOT EXISTS (
        SELECT 1 FROM seal_job j WHERE j.request_id = t.request_id AND j.task_id = t.task_id AND j.status IN ('pending', 'queued'))
        ORDER BY expires_at LIMIT ${Math.floor(limit)}`,
      [now],
    );
    return rows.map((r) => ({ requestId: r.request_id, taskId: r.task_id, serviceId: Number(r.service_id) }));
  }

  async insertUserSession(s: UserSessionRow): Promise<void> {
    await this.insert(
      'user_session',
      ['id', 'service_id', 'created_at', 'body'],
      [[s.id, s.serviceId, s.createdAt, JSON.stringify(s.body)]],
    );
  }
}

export class SqlDocumentStore implements DocumentStore {
  private readonly db: SqlDatabase;
  /** `atRest`: the keys subjects' national ids are sealed with (store/atrest.ts) */
  constructor(
    ds: DataSource,
    private readonly blobs: BlobStore,
    private readonly atRest: AtRest,
  ) {
    this.db = sqlDatabase(ds);
  }

  tx<T>(work: (tx: DocumentTx) => Promise<T>): Promise<T> {
    return this.db.tx((q) => work(new Tx(q, this.blobs, this.atRest)));
  }
}

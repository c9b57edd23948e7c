// Packaging tasks in plain SQL: the statements core's ports need inside the document transaction
// (PackagingTx, the base of store/documents.ts's Tx) and the relay's side of the job outbox
// (PackagingJobs: due rows claimed into the segl-packaging queue, lost jobs found again). Every
// state change is a conditional UPDATE, so a duplicate run or a late failure changes nothing.
import type { DataSource } from 'typeorm';
import type { PackagingTaskStatus } from '../core/enums';
import type { PackagingJobState, PackagingResult, PackagingTaskRow } from '../core/ports';
import { insertSql, sqlDatabase, type Sql, type SqlDatabase } from './sql';
import { str, type DbRow } from './taskrows';

const COLS = [
  'request_id',
  'packaging_task_id',
  'service_id',
  'method',
  'send_to_archive',
  'documents',
  'status',
  'job',
  'attempts',
  'created_at',
  'updated_at',
] as const;
const KEY = 'request_id = ? AND packaging_task_id = ?';

function toRow(r: DbRow): PackagingTaskRow {
  const kind = str(r.result_kind) as PackagingResult['kind'] | undefined;
  const code = str(r.error_code);
  return {
    requestId: r.request_id as string,
    packagingTaskId: r.packaging_task_id as string,
    serviceId: Number(r.service_id),
    method: r.method as string,
    sendToArchive: !!r.send_to_archive,
    documents: JSON.parse(r.documents as string),
    status: r.status as PackagingTaskStatus,
    job: r.job as PackagingJobState,
    attempts: Number(r.attempts),
    result: kind ? { kind, id: r.result_id as string, blobKey: r.result_blob_key as string, sha256: r.result_sha256 as string } : undefined,
    error: code ? { code, message: str(r.error_message) ?? '' } : undefined,
    createdAt: r.created_at as string,
    updatedAt: r.updated_at as string,
    finishedAt: str(r.finished_at),
  };
}

/** core's packaging ports on one transaction's connection. */
export abstract class PackagingTx {
  constructor(protected readonly q: Sql) {}

  protected async insertPackagingTasks(rows: PackagingTaskRow[]): Promise<void> {
    if (!rows.length) return;
    await this.q.run(
      insertSql('packaging_task', COLS, rows.length),
      rows.flatMap((p) => [
        p.requestId,
        p.packagingTaskId,
        p.serviceId,
        p.method,
        p.sendToArchive,
        JSON.stringify(p.documents),
        p.status,
        p.job,
        p.attempts,
        p.createdAt,
        p.updatedAt,
      ]),
    );
  }

  async packagingTasks(requestId: string): Promise<PackagingTaskRow[]> {
    return (await this.q.all('SELECT * FROM packaging_task WHERE request_id = ?', [requestId])).map(toRow);
  }

  async startPackaging(requestId: string, packagingTaskId: string, now: string): Promise<boolean> {
    const sql = `UPDATE packaging_task SET job = 'pending', updated_at = ? WHERE ${KEY} AND status = 'created' AND job = 'waiting' RETURNING job`;
    return (await this.q.all(sql, [now, requestId, packagingTaskId])).length > 0;
  }

  async failPackaging(requestId: string, packagingTaskId: string, error: { code: string; message: string }, now: string): Promise<boolean> {
    const sql = `UPDATE packaging_task SET status = 'failed', job = 'done', error_code = ?, error_message = ?, updated_at = ?, finished_at = ?
      WHERE ${KEY} AND status = 'created' RETURNING status`;
    return (await this.q.all(sql, [error.code.slice(0, 64), error.message, now, now, requestId, packagingTaskId])).length > 0;
  }

  async packagingJob(requestId: string, packagingTaskId: string): Promise<{ row: PackagingTaskRow; serviceName: string } | null> {
    const [r] = await this.q.all(
      `SELECT p.*, s.name AS service_name FROM packaging_task p JOIN service s ON s.id = p.service_id WHERE p.request_id = ? AND p.packaging_task_id = ?`,
      [requestId, packagingTaskId],
    );
    return r ? { row: toRow(r), serviceName: r.service_name as string } : null;
  }

  async countPackagingAttempt(requestId: string, packagingTaskId: string, now: string): Promise<number> {
    const sql = `UPDATE packaging_task SET attempts = attempts + 1, updated_at = ? WHERE ${KEY} RETURNING attempts`;
    const [r] = await this.q.all<{ attempts: number }>(sql, [now, requestId, packagingTaskId]);
    return Number(r?.attempts ?? 0);
  }

  async completePackaging(requestId: string, packagingTaskId: string, result: PackagingResult, now: string): Promise<boolean> {
    const sql = `UPDATE packaging_task SET status = 'completed', job = 'done', result_kind = ?, result_id = ?, result_blob_key = ?,
      result_sha256 = ?, updated_at = ?, finished_at = ? WHERE ${KEY} AND status = 'created' RETURNING status`;
    const params = [result.kind, result.id, result.blobKey, result.sha256, now, now, requestId, packagingTaskId];
    return (await this.q.all(sql, params)).length > 0;
  }
}

/** A packaging task's job as the relay handles it. */
export interface PackagingJobKey {
  requestId: string;
  packagingTaskId: string;
}

const keys = (rows: DbRow[]): PackagingJobKey[] =>
  rows.map((r) => ({ requestId: r.request_id as string, packagingTaskId: r.packaging_task_id as string }));
const anyKey = (list: PackagingJobKey[]) => ({
  sql: list.map(() => `(${KEY})`).join(' OR '),
  params: list.flatMap((k) => [k.requestId, k.packagingTaskId]),
});

/** The relay's side: due jobs claimed (pending → queued), given back when Redis refused them, found again when lost. */
export class PackagingJobs {
  private readonly db: SqlDatabase;
  constructor(ds: DataSource) {
    this.db = sqlDatabase(ds);
  }

  /** Marks up to `limit` pending jobs queued and returns them. */
  async claimDue(queuedAt: string, limit: number): Promise<PackagingJobKey[]> {
    const lock = this.db.driver === 'postgres' ? ' FOR UPDATE SKIP LOCKED' : '';
    const sql = `UPDATE packaging_task SET job = 'queued', queued_at = ? WHERE (request_id, packaging_task_id) IN (
        SELECT request_id, packaging_task_id FROM packaging_task WHERE job = 'pending' ORDER BY updated_at LIMIT ${Math.floor(limit)}${lock})
      RETURNING request_id, packaging_task_id`;
    return keys(await this.db.tx((q) => q.all(sql, [queuedAt])));
  }

  /** Queueing failed: back to pending for the next round. */
  async release(list: PackagingJobKey[]): Promise<void> {
    if (!list.length) return;
    const k = anyKey(list);
    await this.db.tx((q) =>
      q.run(`UPDATE packaging_task SET job = 'pending', queued_at = NULL WHERE job = 'queued' AND (${k.sql})`, k.params),
    );
  }

  /** Queued jobs not settled since `before` (their BullMQ job may be lost). */
  async staleQueued(before: string, limit: number): Promise<PackagingJobKey[]> {
    const sql = `SELECT request_id, packaging_task_id FROM packaging_task WHERE job = 'queued' AND queued_at < ? ORDER BY queued_at LIMIT ${Math.floor(limit)}`;
    return keys(await this.db.tx((q) => q.all(sql, [before])));
  }

  async touchQueued(list: PackagingJobKey[], at: string): Promise<void> {
    if (!list.length) return;
    const k = anyKey(list);
    await this.db.tx((q) => q.run(`UPDATE packaging_task SET queued_at = ? WHERE job = 'queued' AND (${k.sql})`, [at, ...k.params]));
  }
}

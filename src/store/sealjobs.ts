// Seal jobs in plain SQL (table seal_job, docs/ltvsdo.md): the statements core's SealWrites need
// inside the document transaction (SealTx, a base of store/documents.ts's Tx) and the relay's side
// of the job outbox (SealJobs: due rows claimed into the segl-seal queue, given back when Redis
// refused them, found again when their job was lost). Every state change is a conditional UPDATE, so
// a duplicate run or a late answer changes nothing: a job ends once.
import type { DataSource } from 'typeorm';
import type { SealContext, SealJobKey, SealJobRow, SealJobStatus, SealWrites } from '../core/ports';
import { PackagingTx } from './packagingtasks';
import type { AtRest } from './atrest';
import { insertSql, sqlDatabase, type Param, type Sql, type SqlDatabase } from './sql';
import { str, type DbRow } from './taskrows';
import { chainHead, type ChainHead } from './auditchain';

const COLS = [
  'request_id',
  'task_id',
  'act',
  'service_id',
  'document_ids',
  'native_xml',
  'context',
  'status',
  'attempts',
  'due_at',
  'created_at',
  'updated_at',
] as const;
const KEY = 'request_id = ? AND task_id = ? AND act = ?';
const key = (k: SealJobKey): Param[] => [k.requestId, k.taskId, k.act];
/** Every column but the native signature (lists need not carry megabytes). */
const LIST_COLS =
  'request_id, task_id, act, service_id, document_ids, context, status, attempts, due_at, error, created_at, updated_at, finished_at';

/**
 * The context as stored: an authentication-based signature's evidence (it holds the broker's ID token, and
 * so the signer's national id) sealed under the national-id key, bound to its request and task.
 */
function storedContext(j: SealJobRow, k: AtRest): string {
  const { authentication, ...rest } = j.context;
  if (!authentication) return JSON.stringify(rest);
  return JSON.stringify({ ...rest, authenticationSealed: k.sealNationalId(evidenceWhere(j), JSON.stringify(authentication)) });
}

const evidenceWhere = (k: SealJobKey) => `seal-job:${k.requestId}/${k.taskId}/${k.act}`;

function toRow(r: DbRow, k: AtRest): SealJobRow {
  const key = { requestId: r.request_id as string, taskId: r.task_id as string, act: Number(r.act) };
  const { authenticationSealed, ...context } = JSON.parse(r.context as string) as SealContext & { authenticationSealed?: string };
  if (authenticationSealed)
    context.authentication = JSON.parse(k.openNationalId(evidenceWhere(key), authenticationSealed)) as SealContext['authentication'];
  return {
    ...key,
    serviceId: Number(r.service_id),
    documentIds: JSON.parse(r.document_ids as string) as string[],
    nativeXml: str(r.native_xml),
    context,
    status: r.status as SealJobStatus,
    attempts: Number(r.attempts),
    dueAt: r.due_at as string,
    error: str(r.error),
    createdAt: r.created_at as string,
    updatedAt: r.updated_at as string,
    finishedAt: str(r.finished_at),
  };
}

/** core's SealWrites on one transaction's connection (with the packaging ports below it). */
export abstract class SealTx extends PackagingTx implements SealWrites {
  constructor(
    q: Sql,
    protected readonly k: AtRest,
  ) {
    super(q);
  }

  async insertSealJobs(rows: SealJobRow[]): Promise<void> {
    if (!rows.length) return;
    await this.q.run(
      insertSql('seal_job', COLS, rows.length),
      rows.flatMap((j) => [
        j.requestId,
        j.taskId,
        j.act,
        j.serviceId,
        JSON.stringify(j.documentIds),
        j.nativeXml ?? null,
        storedContext(j, this.k),
        j.status,
        j.attempts,
        j.dueAt,
        j.createdAt,
        j.updatedAt,
      ]),
    );
  }

  async sealJobs(requestId: string, taskId: string): Promise<SealJobRow[]> {
    const rows = await this.q.all(`SELECT ${LIST_COLS} FROM seal_job WHERE request_id = ? AND task_id = ? ORDER BY act`, [
      requestId,
      taskId,
    ]);
    return rows.map((r) => toRow(r, this.k));
  }

  async sealJob(k: SealJobKey): Promise<{ row: SealJobRow; serviceName: string } | null> {
    const [r] = await this.q.all(
      `SELECT j.*, s.name AS service_name FROM seal_job j JOIN service s ON s.id = j.service_id
        WHERE j.request_id = ? AND j.task_id = ? AND j.act = ?`,
      key(k),
    );
    return r ? { row: toRow(r, this.k), serviceName: r.service_name as string } : null;
  }

  async beginSealRun(k: SealJobKey, attempts: number, now: string): Promise<boolean> {
    const sql = `UPDATE seal_job SET attempts = attempts + 1, updated_at = ? WHERE ${KEY} AND status = 'queued' AND attempts = ? RETURNING act`;
    return (await this.q.all(sql, [now, ...key(k), attempts])).length > 0;
  }

  async endSealJob(k: SealJobKey, status: 'done' | 'failed', error: string | undefined, now: string): Promise<boolean> {
    const sql = `UPDATE seal_job SET status = ?, native_xml = NULL, error = ?, updated_at = ?, finished_at = ?
      WHERE ${KEY} AND status IN ('pending', 'queued') RETURNING act`;
    return (await this.q.all(sql, [status, error ?? null, now, now, ...key(k)])).length > 0;
  }

  async retrySealJob(k: SealJobKey, dueAt: string, error: string, now: string): Promise<boolean> {
    const sql = `UPDATE seal_job SET status = 'pending', due_at = ?, queued_at = NULL, error = ?, updated_at = ?
      WHERE ${KEY} AND status = 'queued' RETURNING act`;
    return (await this.q.all(sql, [dueAt, error, now, ...key(k)])).length > 0;
  }

  historyHead(requestId: string): Promise<ChainHead | undefined> {
    return chainHead(this.q, requestId);
  }
}

/** A seal job as the relay queues it: the key and the runs begun when it was claimed (one BullMQ job per attempt). */
export interface SealJobClaim extends SealJobKey {
  attempts: number;
}

const claims = (rows: DbRow[]): SealJobClaim[] =>
  rows.map((r) => ({ requestId: r.request_id as string, taskId: r.task_id as string, act: Number(r.act), attempts: Number(r.attempts) }));
const anyKey = (list: SealJobKey[]) => ({ sql: list.map(() => `(${KEY})`).join(' OR '), params: list.flatMap(key) });

/** The relay's side: due jobs claimed (pending → queued), given back when Redis refused them, found again when lost. */
export class SealJobs {
  private readonly db: SqlDatabase;
  constructor(ds: DataSource) {
    this.db = sqlDatabase(ds);
  }

  /** Marks up to `limit` pending jobs due by `now` (segl's clock) queued at `queuedAt` (the wall clock) and returns them. */
  async claimDue(now: string, queuedAt: string, limit: number): Promise<SealJobClaim[]> {
    const lock = this.db.driver === 'postgres' ? ' FOR UPDATE SKIP LOCKED' : '';
    const sql = `UPDATE seal_job SET status = 'queued', queued_at = ? WHERE (request_id, task_id, act) IN (
        SELECT request_id, task_id, act FROM seal_job WHERE status = 'pending' AND due_at <= ? ORDER BY due_at LIMIT ${Math.floor(limit)}${lock})
      RETURNING request_id, task_id, act, attempts`;
    return claims(await this.db.tx((q) => q.all(sql, [queuedAt, now])));
  }

  /** Queueing failed: back to pending for the next round. */
  async release(list: SealJobKey[]): Promise<void> {
    if (!list.length) return;
    const k = anyKey(list);
    await this.db.tx((q) =>
      q.run(`UPDATE seal_job SET status = 'pending', queued_at = NULL WHERE status = 'queued' AND (${k.sql})`, k.params),
    );
  }

  /** Queued jobs not settled since `before` (their BullMQ job may be lost). */
  async staleQueued(before: string, limit: number): Promise<SealJobClaim[]> {
    const sql = `SELECT request_id, task_id, act, attempts FROM seal_job WHERE status = 'queued' AND queued_at < ? ORDER BY queued_at LIMIT ${Math.floor(limit)}`;
    return claims(await this.db.tx((q) => q.all(sql, [before])));
  }

  async touchQueued(list: SealJobKey[], at: string): Promise<void> {
    if (!list.length) return;
    const k = anyKey(list);
    await this.db.tx((q) => q.run(`UPDATE seal_job SET queued_at = ? WHERE status = 'queued' AND (${k.sql})`, [at, ...k.params]));
  }
}

// The outbox: deliveries planned by state changes (written in their transaction), claimed by the
// relay when due, and settled by the workers. It doubles as the delivery log.
import type { DataSource } from 'typeorm';
import type { DeliveryStatus, OutboxRow } from '../core/outbox';
import type { Notification } from '../core/types';
import type { TaskStatus } from '../core/enums';
import { insertSql, sqlDatabase, toPg, type Param, type Sql, type SqlDatabase, optionalString } from './sql';
import { appendEvents, type NewEvent } from './auditchain';

const COLS = [
  'delivery_id',
  'request_id',
  'task_id',
  'scope',
  'notification_id',
  'channel',
  'trigger_state',
  'due_at',
  'status',
  'attempts',
  'created_at',
  'updated_at',
] as const;
const inList = (n: number) => Array.from({ length: n }, () => '?').join(', ');
/**
 * The status column where rows are picked by delivery id. SQLite (without ANALYZE statistics) would
 * otherwise walk the (status, due_at) index through every row of that status for each statement,
 * which made a job's claim cost grow with the backlog; a unary + keeps the term off any index
 * (https://sqlite.org/optoverview.html, "Disqualifying WHERE clause terms"), so the primary key is
 * used. PostgreSQL has statistics (and no unary + on text).
 */
const byId = (driver: string) => (driver === 'sqlite' ? '+status' : 'status');
/** Not yet being sent (a row being sent is settled by its run, whatever happened meanwhile). */
const OPEN = `status IN ('pending', 'queued')`;

/** Statements the DocumentService transaction uses (same connection as the state change). */
export const outboxQueries = {
  async insert(q: Sql, rows: OutboxRow[]): Promise<void> {
    for (let i = 0; i < rows.length; i += 200) {
      const part = rows.slice(i, i + 200);
      await q.run(
        `${insertSql('outbox', COLS, part.length)} ON CONFLICT (delivery_id) DO NOTHING`,
        part.flatMap((r) => [
          r.deliveryId,
          r.requestId,
          r.taskId,
          r.scope,
          r.notificationId,
          r.channel,
          r.triggerState,
          r.dueAt,
          'pending',
          0,
          r.createdAt,
          r.createdAt,
        ]),
      );
    }
  },
  /** Reminders still in the future for a task that left its trigger state are cancelled. */
  async cancelReminders(q: Sql, requestId: string, taskId: string | undefined, now: string): Promise<void> {
    const params: Param[] = ['cancelled', now, 'the task left the state that triggered it', requestId, now];
    let sql = `UPDATE outbox SET status = ?, updated_at = ?, last_error = ? WHERE request_id = ? AND due_at > ? AND ${OPEN}`;
    if (taskId !== undefined) {
      sql += ' AND task_id = ?';
      params.push(taskId);
    }
    await q.run(sql, params);
  },
  async cancelNotifications(q: Sql, requestId: string, scope: string, ids: string[], now: string): Promise<void> {
    if (!ids.length) return;
    await q.run(
      `UPDATE outbox SET status = 'cancelled', updated_at = ?, last_error = 'notification disabled'
       WHERE request_id = ? AND scope = ? AND ${OPEN} AND notification_id IN (${inList(ids.length)})`,
      [now, requestId, scope, ...ids],
    );
  },
};

/** Deliveries of one channel the relay puts into one job (each row settles on its own). */
export interface JobBatch {
  jobId: string;
  channel: OutboxRow['channel'];
  deliveryIds: string[];
}

/** A queued or sending row the relay checks for a lost job. */
export interface Unsettled {
  deliveryId: string;
  channel: OutboxRow['channel'];
  /** the job it was queued in (null: never queued by this version) */
  jobId: string | null;
}

/** Splits rows into jobs of at most `perJob` deliveries of one channel. */
function batches(rows: Array<{ deliveryId: string; channel: OutboxRow['channel'] }>, perJob: number, newJobId: () => string): JobBatch[] {
  const byChannel = new Map<OutboxRow['channel'], string[]>();
  for (const r of rows) {
    const list = byChannel.get(r.channel);
    if (list) list.push(r.deliveryId);
    else byChannel.set(r.channel, [r.deliveryId]);
  }
  const out: JobBatch[] = [];
  for (const [channel, ids] of byChannel)
    for (let i = 0; i < ids.length; i += perJob) out.push({ jobId: newJobId(), channel, deliveryIds: ids.slice(i, i + perJob) });
  return out;
}

/** Everything a worker needs to make one delivery. */
export interface DeliveryWork {
  deliveryId: string;
  requestId: string;
  taskId?: string;
  scope: string;
  notificationId: string;
  channel: OutboxRow['channel'];
  triggerState: TaskStatus;
  status: DeliveryStatus;
  attempts: number;
  /** the token of the claim this run holds (only its holder settles the row) */
  claim: string;
  notification: Notification;
  notificationDisabled: boolean;
  serviceId: number;
  serviceName: string;
  callbackAllow: string[];
  webhookSecret?: string;
  /** the task's status now (undefined for request-level deliveries without a task) */
  taskStatus?: TaskStatus;
  taskRequiresArtifact: boolean;
  /** planned for later than the state change (a reminder): cancelled if the task has left that state */
  reminder: boolean;
  dueAt: string;
}

export interface DeliveryLogEntry {
  deliveryId: string;
  requestId: string;
  taskId?: string;
  notificationId: string;
  channel: string;
  triggerState: string;
  status: DeliveryStatus;
  attempts: number;
  dueAt: string;
  lastError?: string;
  createdAt: string;
  updatedAt: string;
  deliveredAt?: string;
  service: string;
}

type Row = Record<string, unknown>;
const str = optionalString;

/** The rows of `source` (aliased o) with all a worker needs. */
const loadFrom = (source: string) => `SELECT o.*, n.body AS n_body, n.disabled AS n_disabled, r.service_id, s.name AS service_name,
    s.callback_allow, s.webhook_secret, t.status AS t_status, t.body AS t_body
  FROM ${source} o JOIN notification n ON n.request_id = o.request_id AND n.scope = o.scope AND n.notification_id = o.notification_id
  JOIN request r ON r.id = o.request_id JOIN service s ON s.id = r.service_id
  LEFT JOIN task t ON t.request_id = o.request_id AND t.task_id = o.task_id`;
/** A job's queued rows become its run's: status sending, the run's token, when. */
const claimSql = (n: number, driver: string) =>
  `UPDATE outbox SET status = 'sending', claim = ?, claimed_at = ?, updated_at = ? WHERE delivery_id IN (${inList(n)}) AND job_id = ? AND ${byId(driver)} = 'queued'`;

/** The row moves on only while the run that settles it holds its claim (a duplicate run changes nothing). */
const SETTLE_SQL = `UPDATE outbox SET status = ?, attempts = ?, updated_at = ?, queued_at = NULL, claim = NULL, claimed_at = NULL,
    last_error = ?, due_at = COALESCE(?, due_at), delivered_at = ? WHERE delivery_id = ? AND status = 'sending' AND claim = ? RETURNING request_id`;
/** One settle's values, in SETTLE_VALUES order. */
const SETTLE_VALUES = [
  'delivery_id varchar',
  'claim varchar',
  'status varchar',
  'attempts integer',
  'last_error text',
  'due_at varchar',
  'delivered_at varchar',
  'updated_at varchar',
  'ev_task varchar',
  'ev_type varchar',
  'ev_data text',
].map((c) => c.split(' ') as [string, string]);
/**
 * PostgreSQL: many settles in one statement, each row on its own terms: it moves on only while its run
 * holds the claim, and only then is its event (returned here) appended to the history by appendEvents.
 * The rows are locked in id order first, as `hold` locks them (a run renews its claim while another
 * of its rows settles: two statements taking the same rows in different orders deadlock).
 */
function pgSettleMany(n: number): string {
  const row = `(${SETTLE_VALUES.map(([, type]) => `CAST(? AS ${type})`).join(', ')})`;
  return `WITH v (${SETTLE_VALUES.map(([c]) => c).join(', ')}) AS (VALUES ${Array.from({ length: n }, () => row).join(', ')}),
    l AS MATERIALIZED (SELECT delivery_id FROM outbox WHERE delivery_id IN (SELECT delivery_id FROM v) ORDER BY delivery_id FOR UPDATE),
    u AS (UPDATE outbox o SET status = v.status, attempts = v.attempts, updated_at = v.updated_at, queued_at = NULL, claim = NULL,
      claimed_at = NULL, last_error = v.last_error, due_at = COALESCE(v.due_at, o.due_at), delivered_at = v.delivered_at
      FROM v JOIN l ON l.delivery_id = v.delivery_id WHERE o.delivery_id = v.delivery_id AND o.status = 'sending' AND o.claim = v.claim
      RETURNING o.delivery_id, o.request_id)
    SELECT u.delivery_id, u.request_id, v.ev_task, v.ev_type, v.ev_data, v.updated_at FROM u JOIN v ON v.delivery_id = u.delivery_id`;
}

export type SettleOutcome = { kind: 'delivered' | 'dead' | 'cancelled'; note: string } | { kind: 'retry'; note: string; nextDueAt: string };

/** One settle as values (SETTLE_VALUES order). */
function settleValues(
  w: Pick<DeliveryWork, 'deliveryId' | 'taskId' | 'scope' | 'attempts' | 'claim'>,
  outcome: SettleOutcome,
  now: string,
): Param[] {
  const taskId = w.taskId ?? (w.scope !== '' && !w.scope.startsWith('packaging:') ? w.scope : undefined);
  const eventType = outcome.kind === 'delivered' ? 'notification-sent' : outcome.kind === 'dead' ? 'error' : null;
  return [
    w.deliveryId,
    w.claim,
    outcome.kind === 'retry' ? 'pending' : outcome.kind,
    outcome.kind === 'cancelled' ? w.attempts : w.attempts + 1,
    outcome.kind === 'delivered' ? null : outcome.note,
    outcome.kind === 'retry' ? outcome.nextDueAt : null,
    outcome.kind === 'delivered' ? now : null,
    now,
    taskId ?? null,
    eventType,
    eventType ? outcome.note : null,
  ];
}

/**
 * A settle records a send that happened: a transaction PostgreSQL aborted (deadlock, serialization)
 * is tried again rather than left for the relay, which would send the delivery a second time.
 */
async function retryTransient<T>(f: () => Promise<T>, tries = 4): Promise<T> {
  for (let i = 1; ; i++) {
    try {
      return await f();
    } catch (e) {
      const code = (e as { code?: string; driverError?: { code?: string } }).driverError?.code ?? (e as { code?: string }).code;
      if (i >= tries || (code !== '40P01' && code !== '40001')) throw e;
      await new Promise((r) => setTimeout(r, 20 * i + Math.floor(Math.random() * 30)));
    }
  }
}

/** Settles waiting for the statement in progress, at most this many per statement. */
const SETTLE_BATCH = 500;
/**
 * Settle statements in progress at once on PostgreSQL (each on its own pooled connection; their rows
 * are distinct). One at a time fell behind the sends: a job ends only when its rows are settled, so a
 * settle queue stalls the jobs and then the sends. SQLite has one writer: one at a time there.
 */
const PG_SETTLERS = 2;

export class OutboxRepository {
  private readonly db: SqlDatabase;
  constructor(private readonly ds: DataSource) {
    this.db = sqlDatabase(ds);
  }

  /**
   * One statement on its own. PostgreSQL runs it outside a transaction (one round trip instead of
   * BEGIN … COMMIT: a single statement is atomic anyway); SQLite has one connection, so it queues
   * with the transactions there (a read in between would see a batch's uncommitted writes).
   */
  private one<T = Row>(sql: string, params: Param[]): Promise<T[]> {
    if (this.db.driver === 'postgres')
      return this.ds.query(
        toPg(sql),
        params.map((p) => (p === undefined ? null : p)),
      );
    return this.db.tx((q) => q.all<T>(sql, params));
  }

  /**
   * Marks up to `limit` due pending deliveries queued, in jobs of at most `perJob` deliveries of one
   * channel named by `newJobId`, and returns the jobs to add.
   */
  async claimDue(now: string, queuedAt: string, limit: number, perJob: number, newJobId: () => string): Promise<JobBatch[]> {
    if (this.db.driver === 'postgres') return this.claimDuePg(now, queuedAt, limit, perJob, newJobId());
    return this.db.tx(async (q) => {
      const rows = await q.all<Row>(
        `SELECT delivery_id, channel FROM outbox WHERE status = 'pending' AND due_at <= ? ORDER BY due_at LIMIT ${Math.floor(limit)}`,
        [now],
      );
      const jobs = batches(
        rows.map((r) => ({ deliveryId: r.delivery_id as string, channel: r.channel as OutboxRow['channel'] })),
        perJob,
        newJobId,
      );
      for (const j of jobs) {
        await q.run(
          `UPDATE outbox SET status = 'queued', job_id = ?, queued_at = ?, updated_at = ? WHERE +status = 'pending' AND delivery_id IN (${inList(j.deliveryIds.length)})`,
          [j.jobId, queuedAt, queuedAt, ...j.deliveryIds],
        );
      }
      return jobs;
    });
  }

  /**
   * PostgreSQL: the same in one statement (one round trip, no BEGIN … COMMIT: the relay's claim was
   * 2 + jobs round trips, and on a busy server those, not the sends, limited the deliveries per
   * second). The rows are locked as they are picked (SKIP LOCKED: another relay takes others) and
   * numbered per channel; each run of `perJob` of one channel becomes job `<prefix>.<channel>.<n>`.
   * (The UPDATE is wrapped in a SELECT: TypeORM answers a bare UPDATE … RETURNING with [rows, count].)
   */
  private async claimDuePg(now: string, queuedAt: string, limit: number, perJob: number, prefix: string): Promise<JobBatch[]> {
    const rows = await this.one(
      `WITH due AS (SELECT delivery_id, channel, due_at FROM outbox WHERE status = 'pending' AND due_at <= ?
          ORDER BY due_at LIMIT ${Math.floor(limit)} FOR UPDATE SKIP LOCKED),
        part AS (SELECT delivery_id, channel, due_at,
          (row_number() OVER (PARTITION BY channel ORDER BY due_at, delivery_id) - 1) / ${Math.max(1, Math.floor(perJob))} AS n FROM due),
        q AS (UPDATE outbox o SET status = 'queued', job_id = CONCAT(CAST(? AS varchar), '.', part.channel, '.', part.n), queued_at = ?,
          updated_at = ? FROM part WHERE o.delivery_id = part.delivery_id RETURNING o.delivery_id, o.channel, o.job_id, part.due_at, part.n)
       SELECT * FROM q`,
      [now, prefix, queuedAt, queuedAt],
    );
    rows.sort((a, b) => String(a.due_at).localeCompare(String(b.due_at)) || Number(a.n) - Number(b.n));
    const jobs = new Map<string, JobBatch>();
    for (const r of rows) {
      const jobId = r.job_id as string;
      const job = jobs.get(jobId);
      if (job) job.deliveryIds.push(r.delivery_id as string);
      else jobs.set(jobId, { jobId, channel: r.channel as OutboxRow['channel'], deliveryIds: [r.delivery_id as string] });
    }
    return [...jobs.values()];
  }

  /** Queueing failed (Redis away): the deliveries go back to pending for the next round. */
  async release(ids: string[]): Promise<void> {
    if (!ids.length) return;
    await this.db.tx((q) =>
      q.run(
        `UPDATE outbox SET status = 'pending', queued_at = NULL, job_id = NULL WHERE ${byId(this.db.driver)} = 'queued' AND delivery_id IN (${inList(ids.length)})`,
        ids,
      ),
    );
  }

  /**
   * Rows whose job may be lost: queued and not settled since `queuedBefore`, or claimed by a run
   * (sending) before `sendingBefore` and not settled since.
   */
  async unsettled(queuedBefore: string, sendingBefore: string, limit: number): Promise<Unsettled[]> {
    const rows = await this.db.tx((q) =>
      q.all<Row>(
        `SELECT delivery_id, channel, job_id FROM outbox WHERE (status = 'queued' AND queued_at < ?) OR (status = 'sending' AND claimed_at < ?)
         ORDER BY queued_at LIMIT ${Math.floor(limit)}`,
        [queuedBefore, sendingBefore],
      ),
    );
    return rows.map((r) => ({
      deliveryId: r.delivery_id as string,
      channel: r.channel as OutboxRow['channel'],
      jobId: str(r.job_id) ?? null,
    }));
  }

  /**
   * Rows whose job is gone are queued again in new jobs: each still queued, or claimed by a run
   * before `sendingBefore` (that run died: its worker was killed or lost Redis). Returns the jobs
   * with the rows that were re-queued (a row settled or claimed afresh meanwhile is left alone).
   */
  async requeue(rows: Unsettled[], sendingBefore: string, queuedAt: string, perJob: number, newJobId: () => string): Promise<JobBatch[]> {
    if (!rows.length) return [];
    return this.db.tx(async (q) => {
      const out: JobBatch[] = [];
      for (const j of batches(rows, perJob, newJobId)) {
        const sql = `UPDATE outbox SET status = 'queued', job_id = ?, claim = NULL, claimed_at = NULL, queued_at = ?, updated_at = ?
           WHERE delivery_id IN (${inList(j.deliveryIds.length)}) AND (${byId(this.db.driver)} = 'queued' OR (${byId(this.db.driver)} = 'sending' AND claimed_at < ?))
           RETURNING delivery_id`;
        const done = await q.all<Row>(this.db.driver === 'postgres' ? `WITH r AS (${sql}) SELECT * FROM r` : sql, [
          j.jobId,
          queuedAt,
          queuedAt,
          ...j.deliveryIds,
          sendingBefore,
        ]);
        if (done.length) out.push({ ...j, deliveryIds: done.map((r) => r.delivery_id as string) });
      }
      return out;
    });
  }

  /** Rows whose job was found are checked again a lease later. */
  async touchQueued(ids: string[], at: string): Promise<void> {
    if (!ids.length) return;
    await this.db.tx((q) =>
      q.run(
        `UPDATE outbox SET queued_at = ? WHERE ${byId(this.db.driver)} IN ('queued', 'sending') AND delivery_id IN (${inList(ids.length)})`,
        [at, ...ids],
      ),
    );
  }

  /**
   * A job's run claims the job's rows (`deliveryIds`, queued in job `jobId`) that are still queued:
   * status sending, `claim` its token; and gets them with all a worker needs, in one statement on
   * PostgreSQL. A second run of the same job (BullMQ took it over while the first was still busy)
   * finds nothing left to claim.
   */
  async claim(jobId: string, deliveryIds: string[], claim: string, at: string): Promise<DeliveryWork[]> {
    if (!deliveryIds.length) return [];
    const params: Param[] = [claim, at, at, ...deliveryIds, jobId];
    let rows: Row[];
    if (this.db.driver === 'postgres')
      rows = await this.one(`WITH c AS (${claimSql(deliveryIds.length, 'postgres')} RETURNING *) ${loadFrom('c')}`, params);
    else
      rows = await this.db.tx(async (q) => {
        const ids = (await q.all<Row>(`${claimSql(deliveryIds.length, 'sqlite')} RETURNING delivery_id`, params)).map(
          (r) => r.delivery_id as string,
        );
        return ids.length ? q.all<Row>(`${loadFrom('outbox')} WHERE o.delivery_id IN (${inList(ids.length)})`, ids) : [];
      });
    return rows.map((o) => this.work(o));
  }

  /**
   * The run holding `claim` says it is still alive: the claim time of its rows still sending under
   * that claim moves to `at`, so the relay does not give them to another run while they wait for a
   * send slot. Returns the rows it still holds (a row the relay gave back is no longer this run's).
   */
  async hold(deliveryIds: string[], claim: string, at: string): Promise<string[]> {
    if (!deliveryIds.length) return [];
    const which = `delivery_id IN (${inList(deliveryIds.length)}) AND status = 'sending' AND claim = ?`;
    if (this.db.driver === 'sqlite')
      return (await this.one(`UPDATE outbox SET claimed_at = ? WHERE ${which} RETURNING delivery_id`, [at, ...deliveryIds, claim])).map(
        (r) => r.delivery_id as string,
      );
    // PostgreSQL: the rows locked in id order, as a settle locks them (see pgSettleMany)
    const sql = `WITH l AS MATERIALIZED (SELECT delivery_id FROM outbox WHERE ${which} ORDER BY delivery_id FOR UPDATE),
      h AS (UPDATE outbox o SET claimed_at = ? FROM l WHERE o.delivery_id = l.delivery_id RETURNING o.delivery_id) SELECT delivery_id FROM h`;
    return (await this.one(sql, [...deliveryIds, claim, at])).map((r) => r.delivery_id as string);
  }

  private work(o: Row): DeliveryWork {
    const taskBody = str(o.t_body);
    return {
      deliveryId: o.delivery_id as string,
      requestId: o.request_id as string,
      taskId: str(o.task_id),
      scope: o.scope as string,
      notificationId: o.notification_id as string,
      channel: o.channel as DeliveryWork['channel'],
      triggerState: o.trigger_state as TaskStatus,
      status: o.status as DeliveryStatus,
      attempts: Number(o.attempts),
      claim: o.claim as string,
      notification: JSON.parse(o.n_body as string),
      notificationDisabled: !!o.n_disabled,
      serviceId: Number(o.service_id),
      serviceName: o.service_name as string,
      callbackAllow:
        str(o.callback_allow)
          ?.split(',')
          .map((x) => x.trim())
          .filter(Boolean) ?? [],
      webhookSecret: str(o.webhook_secret),
      taskStatus: str(o.t_status) as TaskStatus | undefined,
      // the task body is parsed only when it can say so (most tasks do not authenticate by artifact)
      taskRequiresArtifact: taskBody?.includes('"artifact"') ? JSON.parse(taskBody).authentication?.artifact === true : false,
      reminder: (o.due_at as string) > (o.created_at as string),
      dueAt: o.due_at as string,
    };
  }

  /**
   * Settles one delivery of a run. Only the run holding the row's claim counts (a duplicate run
   * finds the row moved on and changes nothing): returns false then.
   * - `delivered`: status delivered, a notification-sent event;
   * - `retry`: back to pending, due at `nextDueAt`;
   * - `dead`: dead-lettered, an `error` event;
   * - `cancelled`: no longer wanted (task left its state, notification disabled).
   * Settles that come while a statement is in progress go together in the next one (group commit):
   * each row still gets its own outcome and answer.
   */
  settle(
    w: Pick<DeliveryWork, 'deliveryId' | 'requestId' | 'taskId' | 'scope' | 'attempts' | 'claim'>,
    outcome: SettleOutcome,
    now: string,
  ): Promise<boolean> {
    return new Promise((resolve, reject) => {
      this.settling.push({ id: w.deliveryId, values: settleValues(w, outcome, now), resolve, reject });
      if (this.flushing < (this.db.driver === 'postgres' ? PG_SETTLERS : 1)) void this.flushSettles();
    });
  }

  private readonly settling: Array<{ id: string; values: Param[]; resolve: (applied: boolean) => void; reject: (e: unknown) => void }> = [];
  private flushing = 0;

  private async flushSettles(): Promise<void> {
    this.flushing++;
    try {
      while (this.settling.length) {
        const batch = this.settling.splice(0, SETTLE_BATCH);
        try {
          const applied = await retryTransient(() => this.settleMany(batch.map((b) => b.values)));
          for (const b of batch) b.resolve(applied.has(b.id));
        } catch (e) {
          for (const b of batch) b.reject(e);
        }
      }
    } finally {
      this.flushing--;
    }
  }

  /** The settles (settleValues each) in one statement (PostgreSQL) or one transaction (SQLite); the ids that applied. */
  private async settleMany(list: Param[][]): Promise<Set<string>> {
    // A delivery's event names the delivery (the event feed hands the id to integrators).
    const event = (requestId: unknown, taskId: Param, type: Param, time: Param, data: Param, id: Param): NewEvent => ({
      requestId: requestId as string,
      taskId: str(taskId),
      type: type as string,
      time: time as string,
      data: str(data),
      deliveryId: id as string,
    });
    if (this.db.driver === 'postgres')
      return this.db.tx(async (q) => {
        const rows = await q.all<Row>(pgSettleMany(list.length), list.flat());
        const done = rows.filter((r) => r.ev_type);
        await appendEvents(
          q,
          done.map((r) => event(r.request_id, str(r.ev_task), str(r.ev_type), str(r.updated_at), str(r.ev_data), str(r.delivery_id))),
        );
        return new Set(rows.map((r) => r.delivery_id as string));
      });
    return this.db.tx(async (q) => {
      const applied = new Set<string>();
      const events: NewEvent[] = [];
      for (const [id, claim, status, attempts, lastError, dueAt, deliveredAt, now, taskId, eventType, eventData] of list) {
        const [done] = await q.all<Row>(SETTLE_SQL, [status, attempts, now, lastError, dueAt, deliveredAt, id, claim]);
        if (!done) continue;
        applied.add(id as string);
        if (eventType) events.push(event(done.request_id, taskId, eventType, now, eventData, id));
      }
      await appendEvents(q, events);
      return applied;
    });
  }

  /** The delivery log, newest first. */
  async log(filter: { requestId?: string; status?: DeliveryStatus; service?: string; limit?: number }): Promise<DeliveryLogEntry[]> {
    const where: string[] = [];
    const params: Param[] = [];
    if (filter.requestId) {
      where.push('o.request_id = ?');
      params.push(filter.requestId);
    }
    if (filter.status) {
      where.push('o.status = ?');
      params.push(filter.status);
    }
    if (filter.service) {
      where.push('s.name = ?');
      params.push(filter.service);
    }
    const rows = await this.db.tx((q) =>
      q.all<Row>(
        `SELECT o.*, s.name AS service_name FROM outbox o JOIN request r ON r.id = o.request_id JOIN service s ON s.id = r.service_id
       ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY o.updated_at DESC LIMIT ${Math.min(Math.max(1, Math.floor(filter.limit ?? 100)), 1000)}`,
        params,
      ),
    );
    return rows.map((o) => ({
      deliveryId: o.delivery_id as string,
      requestId: o.request_id as string,
      taskId: str(o.task_id),
      notificationId: o.notification_id as string,
      channel: o.channel as string,
      triggerState: o.trigger_state as string,
      status: o.status as DeliveryStatus,
      attempts: Number(o.attempts),
      dueAt: o.due_at as string,
      lastError: str(o.last_error),
      createdAt: o.created_at as string,
      updatedAt: o.updated_at as string,
      deliveredAt: str(o.delivered_at),
      service: o.service_name as string,
    }));
  }

  /** How many deliveries are in each status (for /metrics). */
  async counts(): Promise<Record<DeliveryStatus, number>> {
    const rows = await this.db.tx((q) => q.all<Row>('SELECT status, COUNT(*) AS n FROM outbox GROUP BY status'));
    const out: Record<DeliveryStatus, number> = { pending: 0, queued: 0, sending: 0, delivered: 0, cancelled: 0, dead: 0 };
    for (const r of rows) out[r.status as DeliveryStatus] = Number(r.n);
    return out;
  }
}

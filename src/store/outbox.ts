// The outbox: deliveries planned by state changes (written in their transaction), claimed by the
// relay when due, and settled by the workers. It doubles as the delivery log.
import type { DataSource } from 'typeorm';
import type { DeliveryStatus, OutboxRow } from '../core/outbox';
import type { EventRow } from '../core/ports';
import type { Notification } from '../core/types';
import type { TaskStatus } from '../core/enums';
import { insertSql, sqlDatabase, toPg, type Param, type Sql, type SqlDatabase } from './sql';

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

/** A claimed delivery as the relay queues it. */
export interface Claimed {
  deliveryId: string;
  channel: OutboxRow['channel'];
  attempts: number;
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
const str = (v: unknown): string | undefined => (v === null || v === undefined ? undefined : String(v));

const LOAD_SQL = `SELECT o.*, n.body AS n_body, n.disabled AS n_disabled, r.service_id, s.name AS service_name, s.callback_allow, s.webhook_secret,
    t.status AS t_status, t.body AS t_body
  FROM outbox o JOIN notification n ON n.request_id = o.request_id AND n.scope = o.scope AND n.notification_id = o.notification_id
  JOIN request r ON r.id = o.request_id JOIN service s ON s.id = r.service_id
  LEFT JOIN task t ON t.request_id = o.request_id AND t.task_id = o.task_id
  WHERE o.delivery_id = ?`;

/** The attempt's row moves on only if it is still queued for that attempt (a duplicate job changes nothing). */
const SETTLE_SQL = `UPDATE outbox SET status = ?, attempts = ?, updated_at = ?, queued_at = NULL, last_error = ?, due_at = COALESCE(?, due_at),
    delivered_at = ? WHERE delivery_id = ? AND status = 'queued' AND attempts = ? RETURNING delivery_id`;
const EVENT_COLS = ['request_id', 'task_id', 'type', 'time', 'data'] as const;
const INSERT_EVENT = insertSql('event', EVENT_COLS, 1);
/** PostgreSQL: the update and, only if it applied, the event, in one statement (atomic without BEGIN … COMMIT). */
const PG_SETTLE = {
  withEvent: `WITH u AS (${SETTLE_SQL}), e AS (INSERT INTO event (${EVENT_COLS.join(', ')})
    SELECT ${EVENT_COLS.map(() => 'CAST(? AS text)').join(', ')} FROM u) SELECT COUNT(*) AS n FROM u`,
  alone: `WITH u AS (${SETTLE_SQL}) SELECT COUNT(*) AS n FROM u`,
};

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

  /** Marks up to `limit` due pending deliveries queued (claimed) and returns them. */
  async claimDue(now: string, queuedAt: string, limit: number): Promise<Claimed[]> {
    const lock = this.db.driver === 'postgres' ? ' FOR UPDATE SKIP LOCKED' : '';
    const update = `UPDATE outbox SET status = 'queued', queued_at = ?, updated_at = ? WHERE delivery_id IN (
         SELECT delivery_id FROM outbox WHERE status = 'pending' AND due_at <= ? ORDER BY due_at LIMIT ${Math.floor(limit)}${lock})
       RETURNING delivery_id, channel, attempts`;
    // PostgreSQL: inside a CTE, so the statement reports SELECT and the driver hands back the rows
    // (SQLite has no DML in CTEs, and returns them anyway).
    const sql = this.db.driver === 'postgres' ? `WITH claimed AS (${update}) SELECT * FROM claimed` : update;
    const rows = await this.db.tx((q) => q.all<Row>(sql, [queuedAt, queuedAt, now]));
    return rows.map((r) => ({
      deliveryId: r.delivery_id as string,
      channel: r.channel as Claimed['channel'],
      attempts: Number(r.attempts),
    }));
  }

  /** Queueing failed (Redis away): the deliveries go back to pending for the next round. */
  async release(ids: string[]): Promise<void> {
    if (!ids.length) return;
    await this.db.tx((q) =>
      q.run(
        `UPDATE outbox SET status = 'pending', queued_at = NULL WHERE status = 'queued' AND delivery_id IN (${inList(ids.length)})`,
        ids,
      ),
    );
  }

  /** Queued deliveries not settled since `before` (their job may be lost). */
  async staleQueued(before: string, limit: number): Promise<Claimed[]> {
    const rows = await this.db.tx((q) =>
      q.all<Row>(
        `SELECT delivery_id, channel, attempts FROM outbox WHERE status = 'queued' AND queued_at < ? ORDER BY queued_at LIMIT ${Math.floor(limit)}`,
        [before],
      ),
    );
    return rows.map((r) => ({
      deliveryId: r.delivery_id as string,
      channel: r.channel as Claimed['channel'],
      attempts: Number(r.attempts),
    }));
  }

  async touchQueued(ids: string[], at: string): Promise<void> {
    if (!ids.length) return;
    await this.db.tx((q) =>
      q.run(`UPDATE outbox SET queued_at = ? WHERE status = 'queued' AND delivery_id IN (${inList(ids.length)})`, [at, ...ids]),
    );
  }

  /** The delivery with all a worker needs, in one statement. */
  async load(deliveryId: string): Promise<DeliveryWork | null> {
    const [o] = await this.one(LOAD_SQL, [deliveryId]);
    if (!o) return null;
    const taskBody = str(o.t_body);
    return {
      deliveryId,
      requestId: o.request_id as string,
      taskId: str(o.task_id),
      scope: o.scope as string,
      notificationId: o.notification_id as string,
      channel: o.channel as DeliveryWork['channel'],
      triggerState: o.trigger_state as TaskStatus,
      status: o.status as DeliveryStatus,
      attempts: Number(o.attempts),
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
   * Settles one attempt. Only the attempt the job was queued for counts (a duplicate job finds the
   * row moved on and changes nothing): returns false then.
   * - `delivered`: status delivered, a notification-sent event;
   * - `retry`: back to pending, due at `nextDueAt`;
   * - `dead`: dead-lettered, an `error` event;
   * - `cancelled`: no longer wanted (task left its state, notification disabled).
   */
  async settle(
    w: Pick<DeliveryWork, 'deliveryId' | 'requestId' | 'taskId' | 'scope' | 'attempts'>,
    outcome: { kind: 'delivered' | 'dead' | 'cancelled'; note: string } | { kind: 'retry'; note: string; nextDueAt: string },
    now: string,
  ): Promise<boolean> {
    const attempts = outcome.kind === 'cancelled' ? w.attempts : w.attempts + 1;
    const status: DeliveryStatus = outcome.kind === 'retry' ? 'pending' : outcome.kind;
    const params: Param[] = [
      status,
      attempts,
      now,
      outcome.kind === 'delivered' ? null : outcome.note,
      outcome.kind === 'retry' ? outcome.nextDueAt : null,
      outcome.kind === 'delivered' ? now : null,
      w.deliveryId,
      w.attempts,
    ];
    const taskId = w.taskId ?? (w.scope !== '' && !w.scope.startsWith('packaging:') ? w.scope : undefined);
    const event: EventRow | undefined =
      outcome.kind === 'delivered'
        ? { requestId: w.requestId, taskId, event: 'notification-sent', eventTime: now, data: outcome.note }
        : outcome.kind === 'dead'
          ? { requestId: w.requestId, taskId, event: 'error', eventTime: now, data: outcome.note }
          : undefined;
    const eventParams: Param[] = event ? [event.requestId, event.taskId, event.event, event.eventTime, event.data] : [];
    if (this.db.driver === 'postgres') {
      const rows = await this.one<{ n: string | number }>(event ? PG_SETTLE.withEvent : PG_SETTLE.alone, [...params, ...eventParams]);
      return Number(rows[0]?.n) > 0;
    }
    return this.db.tx(async (q) => {
      const applied = await q.all(SETTLE_SQL, params);
      if (!applied.length) return false;
      if (event) await q.run(INSERT_EVENT, eventParams);
      return true;
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
    const out: Record<DeliveryStatus, number> = { pending: 0, queued: 0, delivered: 0, cancelled: 0, dead: 0 };
    for (const r of rows) out[r.status as DeliveryStatus] = Number(r.n);
    return out;
  }
}

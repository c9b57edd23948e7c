// The console's actions on a request that are not a v3 operation (resend a notification, re-drive a
// dead-lettered delivery, extend expiry), and the audit log of every console action (table
// console_audit, migrations/consoleaudit.ts). Each action checks and writes in one transaction together
// with its audit row, scoped by the service id: another tenant's request or delivery is not found.
// Withdraw and delete go through core's deleteRequest and record their audit row here afterwards.
import { randomUUID } from 'node:crypto';
import type { DataSource } from 'typeorm';
import { NotFoundError, StateError, ValidationError } from '../core/errors';
import { deliveryId } from '../core/outbox';
import { DAY_MS } from '../core/usecase';
import { LIMITS } from '../core/validate';
import { insertSql, sqlDatabase, type Sql, type SqlDatabase, optionalString } from './sql';

/** `settings`: a change to the service's settings (request id empty); `send`: a request sent for signature */
export type ConsoleAction = 'withdraw' | 'delete' | 'resend' | 'redrive' | 'extend-expiry' | 'settings' | 'send';

export interface ConsoleAuditEntry {
  id: number;
  requestId: string;
  taskId?: string;
  actor: string;
  action: ConsoleAction;
  detail?: string;
  time: string;
}

/** Who acts, for which service (the console session). */
export interface Actor {
  serviceId: number;
  actor: string;
}

type Row = Record<string, unknown>;
const str = optionalString;
const AUDIT_COLS = ['service_id', 'request_id', 'task_id', 'actor', 'action', 'detail', 'time'] as const;
/** Only e-mail and SMS are resent: a callback that failed is re-driven instead (the integrator's endpoint, not a person). */
const RESENDABLE = new Set(['EMAIL', 'SMS']);
/** A delivery still on its way is not resent (it would arrive twice). */
const SETTLED = new Set(['delivered', 'dead', 'cancelled']);

/**
 * The new expiry for an "extend until" date (YYYY-MM-DD): the end of that day, UTC. It must lie in the
 * future and no further from now than a task's days-to-live may reach when it is created (LIMITS.maxDays).
 */
/** Why an "extend until" date is refused (the rule of the ValidationError, path `until`). */
export const UNTIL_RULES = {
  format: 'must be a date (YYYY-MM-DD)',
  past: 'must be in the future',
  far: `must be at most ${LIMITS.maxDays} days from now (the longest days-to-live)`,
} as const;

/**
 * The new expiry for an "extend until" date (YYYY-MM-DD): the end of that day, UTC. It must lie in the
 * future and no further from now than a task's days-to-live may reach when it is created (LIMITS.maxDays).
 */
export function expiryUntil(date: string, now: Date): Date {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(date);
  const end = m ? new Date(Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3]), 23, 59, 59, 999)) : undefined;
  if (!end || Number.isNaN(end.getTime()) || end.toISOString().slice(0, 10) !== date)
    throw ValidationError.one('until', UNTIL_RULES.format);
  if (end.getTime() <= now.getTime()) throw ValidationError.one('until', UNTIL_RULES.past);
  if (end.getTime() > now.getTime() + LIMITS.maxDays * DAY_MS) throw ValidationError.one('until', UNTIL_RULES.far);
  return end;
}

export class ConsoleAuditRepository {
  private readonly db: SqlDatabase;
  constructor(
    ds: DataSource,
    private readonly clock: { now(): Date } = { now: () => new Date() },
  ) {
    this.db = sqlDatabase(ds);
  }

  private async write(q: Sql, who: Actor, requestId: string, taskId: string | undefined, action: ConsoleAction, detail: string) {
    await q.run(insertSql('console_audit', AUDIT_COLS, 1), [
      who.serviceId,
      requestId,
      taskId ?? null,
      who.actor.slice(0, 200),
      action,
      detail,
      this.clock.now().toISOString(),
    ]);
  }

  /** Records an action taken elsewhere (withdraw and delete: core's deleteRequest). */
  async record(who: Actor, requestId: string, action: ConsoleAction, detail: string, taskId?: string): Promise<void> {
    await this.db.tx((q) => this.write(q, who, requestId, taskId, action, detail));
  }

  /** The request's audit rows, oldest first (none when it is not this service's). */
  async list(serviceId: number, requestId: string): Promise<ConsoleAuditEntry[]> {
    const rows = await this.db.tx((q) =>
      q.all<Row>(
        'SELECT id, request_id, task_id, actor, action, detail, time FROM console_audit WHERE service_id = ? AND request_id = ? ORDER BY id',
        [serviceId, requestId],
      ),
    );
    return rows.map((r) => ({
      id: Number(r.id),
      requestId: String(r.request_id),
      taskId: str(r.task_id),
      actor: String(r.actor),
      action: r.action as ConsoleAction,
      detail: str(r.detail),
      time: String(r.time),
    }));
  }

  /** The request, locked for the transaction on PostgreSQL (as core's state changes lock it); NotFound for another tenant's. */
  private async request(q: Sql, serviceId: number, requestId: string): Promise<{ deleted: boolean; deleteAfter?: string }> {
    const lock = q.driver === 'postgres' ? ' FOR UPDATE' : '';
    const [r] = await q.all<Row>(`SELECT deleted, delete_after FROM request WHERE service_id = ? AND id = ?${lock}`, [
      serviceId,
      requestId,
    ]);
    if (!r) throw new NotFoundError('request-id', `no request "${requestId}"`);
    return { deleted: r.deleted === true || Number(r.deleted) === 1, deleteAfter: str(r.delete_after) };
  }

  private async delivery(q: Sql, serviceId: number, requestId: string, id: string): Promise<Row> {
    await this.request(q, serviceId, requestId);
    const [d] = await q.all<Row>(
      `SELECT o.*, n.disabled AS n_disabled FROM outbox o JOIN notification n ON n.request_id = o.request_id AND n.scope = o.scope
         AND n.notification_id = o.notification_id WHERE o.request_id = ? AND o.delivery_id = ?`,
      [requestId, id],
    );
    if (!d) throw new NotFoundError('delivery-id', `no delivery "${id}" in request "${requestId}"`);
    return d;
  }

  /**
   * Sends an e-mail or SMS notification again: a new delivery of it, due now, on the outbox path every
   * notification takes (relay → BullMQ → worker). The one copied must have ended (delivered, dead or
   * cancelled); the notification must be enabled and the request not deleted. Returns the new delivery id.
   */
  async resend(who: Actor, requestId: string, fromDelivery: string): Promise<string> {
    return this.db.tx(async (q) => {
      const d = await this.delivery(q, who.serviceId, requestId, fromDelivery);
      if ((await this.request(q, who.serviceId, requestId)).deleted) throw new StateError('request-id', 'the request is deleted');
      if (!RESENDABLE.has(String(d.channel))) throw new StateError('delivery-id', 'only e-mail and SMS notifications are resent');
      if (!SETTLED.has(String(d.status))) throw new StateError('delivery-id', `the delivery is ${String(d.status)}, still on its way`);
      if (d.n_disabled === true || Number(d.n_disabled) === 1) throw new StateError('notification-id', 'the notification is disabled');
      const now = this.clock.now().toISOString();
      const id = deliveryId([requestId, String(d.scope), String(d.notification_id), 'console-resend', now, randomUUID()]);
      const cols = ['delivery_id', 'request_id', 'task_id', 'scope', 'notification_id', 'channel', 'trigger_state', 'due_at', 'status'];
      await q.run(insertSql('outbox', [...cols, 'attempts', 'created_at', 'updated_at'], 1), [
        id,
        requestId,
        str(d.task_id) ?? null,
        String(d.scope),
        String(d.notification_id),
        String(d.channel),
        String(d.trigger_state),
        now,
        'pending',
        0,
        now,
        now,
      ]);
      const what = `${String(d.channel)} notification "${String(d.notification_id)}"`;
      await this.write(q, who, requestId, str(d.task_id), 'resend', `${what} sent again as delivery ${id} (copy of ${fromDelivery})`);
      return id;
    });
  }

  /**
   * A dead-lettered delivery goes back to pending, due now: the relay queues it once more. Its attempts
   * so far stay counted, so one whose retries ran out is dead again after one more failure. Any other
   * status (pending, delivered, …): StateError and nothing changes.
   */
  async redrive(who: Actor, requestId: string, id: string): Promise<void> {
    await this.db.tx(async (q) => {
      const d = await this.delivery(q, who.serviceId, requestId, id);
      if (d.status !== 'dead') throw new StateError('delivery-id', `the delivery is ${String(d.status)}, not dead-lettered`);
      const now = this.clock.now().toISOString();
      await q.run(`UPDATE outbox SET status = 'pending', due_at = ?, updated_at = ? WHERE delivery_id = ? AND status = 'dead'`, [
        now,
        now,
        id,
      ]);
      const what = `${String(d.channel)} notification "${String(d.notification_id)}"`;
      await this.write(
        q,
        who,
        requestId,
        str(d.task_id),
        'redrive',
        `${what}, delivery ${id}, put back for delivery after ${String(d.attempts)} attempts`,
      );
    });
  }

  /**
   * The request's open tasks expire at `until` (expiryUntil) instead, each one that would expire
   * earlier; a days-until-deletion moves by as much as the latest expiry did, so the request is not
   * deleted before its tasks run out. Nothing open, or nothing earlier than `until`: StateError.
   * Returns the tasks extended.
   */
  async extendExpiry(who: Actor, requestId: string, until: Date): Promise<string[]> {
    return this.db.tx(async (q) => {
      const r = await this.request(q, who.serviceId, requestId);
      const open = r.deleted
        ? []
        : await q.all<Row>(`SELECT task_id, expires_at FROM task WHERE request_id = ? AND status = 'created' ORDER BY ordinal`, [
            requestId,
          ]);
      if (!open.length) throw new StateError('request-id', 'the request has no open task');
      const at = until.toISOString();
      const extended = open.filter((t) => String(t.expires_at) < at);
      if (!extended.length) throw new StateError('until', 'every open task already expires then or later');
      const now = this.clock.now().toISOString();
      const ids = extended.map((t) => String(t.task_id));
      const latest = async () =>
        Date.parse(String((await q.all<Row>('SELECT MAX(expires_at) AS m FROM task WHERE request_id = ?', [requestId]))[0]?.m));
      const before = await latest();
      await q.run(
        `UPDATE task SET expires_at = ?, updated_at = ? WHERE request_id = ? AND status = 'created' AND task_id IN (${ids.map(() => '?').join(', ')})`,
        [at, now, requestId, ...ids],
      );
      const shift = (await latest()) - before;
      if (r.deleteAfter && shift > 0)
        await q.run('UPDATE request SET delete_after = ? WHERE id = ?', [
          new Date(Date.parse(r.deleteAfter) + shift).toISOString(),
          requestId,
        ]);
      for (const t of extended)
        await this.write(q, who, requestId, String(t.task_id), 'extend-expiry', `expiry ${String(t.expires_at)} → ${at}`);
      return ids;
    });
  }
}

// The event feed's reads (issue 17 part 3, served by src/api/events.ts) and the service API tokens
// that may read it. Why the order is (tx, id) on PostgreSQL and id on SQLite: migrations/feed.ts.
//
// A cursor names the last event a consumer has: `v1.<tx>.<id>` (tx is 0 on SQLite). It is opaque to
// integrators (docs/events.md); the feed answers the events strictly after it, so a consumer that
// stores the cursor of each event it has handled resumes without a gap and without a repeat.
import { createHash, randomBytes } from 'node:crypto';
import type { DataSource } from 'typeorm';
import type { EventType } from '../core/enums';
import type { ServiceAccount } from '../core/ports';
import { optionalString, sqlDatabase, type SqlDatabase } from './sql';

export interface FeedEvent {
  cursor: string;
  requestId: string;
  taskId?: string;
  type: EventType;
  time: string;
  data?: string;
  /** the callback or notification delivery this event settles */
  deliveryId?: string;
}

/** A cursor this feed did not write (or a future version's); names what is wrong with it. */
export class BadCursor extends Error {}

interface Position {
  tx: string;
  id: number;
}
const START: Position = { tx: '0', id: 0 };

const cursorOf = (p: Position) => `v1.${p.tx}.${p.id}`;

/** The position a cursor names; BadCursor when it is not one this feed wrote. */
export function parseCursor(cursor: string): Position {
  const m = /^v1\.(\d{1,20})\.(\d{1,15})$/.exec(cursor);
  if (!m)
    throw new BadCursor(`"${cursor.slice(0, 80)}" is not a cursor of this feed (expected v1.<digits>.<digits>, as the feed hands out)`);
  const id = Number(m[2]);
  if (!Number.isSafeInteger(id)) throw new BadCursor('the cursor names an event id out of range');
  return { tx: BigInt(m[1]!).toString(), id };
}

type Row = Record<string, unknown>;
const COLS = 'e.id, e.request_id, e.task_id, e.type, e.time, e.data, e.delivery_id';
const PG_PAGE = `SELECT ${COLS}, e.tx::text AS tx FROM event e JOIN request r ON r.id = e.request_id
  WHERE r.service_id = ? AND (e.tx, e.id) > (CAST(? AS xid8), CAST(? AS integer)) AND e.tx < pg_snapshot_xmin(pg_current_snapshot())
  ORDER BY e.tx, e.id LIMIT ?`;
const SQLITE_PAGE = `SELECT ${COLS}, '0' AS tx FROM event e JOIN request r ON r.id = e.request_id
  WHERE r.service_id = ? AND e.id > ? ORDER BY e.id LIMIT ?`;

export class EventFeedRepository {
  private readonly db: SqlDatabase;
  constructor(ds: DataSource) {
    this.db = sqlDatabase(ds);
  }

  /**
   * Up to `limit` of the service's events after the cursor, in feed order, and the cursor to ask with
   * next (the last event's, or the one given when there is nothing new).
   */
  async page(serviceId: number, after: string | undefined, limit: number): Promise<{ events: FeedEvent[]; next: string }> {
    const from = after === undefined ? START : parseCursor(after);
    const rows = await this.db.tx((q) =>
      q.driver === 'postgres'
        ? q.all<Row>(PG_PAGE, [serviceId, from.tx, from.id, limit])
        : q.all<Row>(SQLITE_PAGE, [serviceId, from.id, limit]),
    );
    const events = rows.map((r): FeedEvent => ({
      cursor: cursorOf({ tx: String(r.tx), id: Number(r.id) }),
      requestId: r.request_id as string,
      ...(r.task_id ? { taskId: r.task_id as string } : {}),
      type: r.type as EventType,
      time: r.time as string,
      ...(r.data !== null && r.data !== undefined ? { data: r.data as string } : {}),
      ...(r.delivery_id ? { deliveryId: r.delivery_id as string } : {}),
    }));
    return { events, next: events.length ? events[events.length - 1]!.cursor : cursorOf(from) };
  }
}

export interface ApiTokenInfo {
  id: string;
  service: string;
  name: string;
  createdAt: string;
  expiresAt?: string;
  revokedAt?: string;
  lastUsedAt?: string;
}

export type TokenCheck = { ok: true; service: ServiceAccount; tokenId: string } | { ok: false; reason: 'unknown' | 'expired' | 'revoked' };

/** Tokens are `segl_` + 32 random bytes; only their SHA-256 is kept (a leaked table yields no token). */
const TOKEN = /^segl_[A-Za-z0-9_-]{43}$/;
const hashOf = (token: string) => createHash('sha256').update(token).digest('hex');

/**
 * Service API tokens: for machines that read the feed without the service's password. Each has a
 * name, an optional expiry, and can be revoked; when it was last used is kept to the minute.
 */
export class ApiTokenRepository {
  private readonly db: SqlDatabase;
  constructor(
    ds: DataSource,
    private readonly now: () => Date = () => new Date(),
  ) {
    this.db = sqlDatabase(ds);
  }

  /** A new token for the service; the token itself is answered once and never kept. */
  async create(service: string, name: string, expiresAt?: Date): Promise<{ id: string; token: string }> {
    if (!name.trim() || name.length > 200) throw new Error('a token needs a name of 1 to 200 characters');
    if (expiresAt && expiresAt.getTime() <= this.now().getTime()) throw new Error('the expiry must be in the future');
    const id = `tok_${randomBytes(8).toString('hex')}`;
    const token = `segl_${randomBytes(32).toString('base64url')}`;
    await this.db.tx(async (q) => {
      const [svc] = await q.all<{ id: number }>('SELECT id FROM service WHERE name = ?', [service]);
      if (!svc) throw new Error(`no service "${service}"`);
      await q.run('INSERT INTO api_token (id, service_id, name, token_hash, created_at, expires_at) VALUES (?, ?, ?, ?, ?, ?)', [
        id,
        svc.id,
        name.trim(),
        hashOf(token),
        this.now().toISOString(),
        expiresAt?.toISOString() ?? null,
      ]);
    });
    return { id, token };
  }

  async list(service?: string): Promise<ApiTokenInfo[]> {
    const rows = await this.db.tx((q) =>
      q.all<Row>(
        `SELECT t.*, s.name AS service FROM api_token t JOIN service s ON s.id = t.service_id ${service === undefined ? '' : 'WHERE s.name = ?'}
         ORDER BY s.name, t.created_at, t.id`,
        service === undefined ? [] : [service],
      ),
    );
    const opt = optionalString;
    return rows.map((r) => ({
      id: r.id as string,
      service: r.service as string,
      name: r.name as string,
      createdAt: r.created_at as string,
      expiresAt: opt(r.expires_at),
      revokedAt: opt(r.revoked_at),
      lastUsedAt: opt(r.last_used_at),
    }));
  }

  /** Revokes a token of the service; false when it has no such token or it was revoked already. */
  async revoke(service: string, id: string): Promise<boolean> {
    return this.db.tx(async (q) => {
      const rows = await q.all(
        `UPDATE api_token SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL
         AND service_id = (SELECT id FROM service WHERE name = ?) RETURNING id`,
        [this.now().toISOString(), id, service],
      );
      return rows.length > 0;
    });
  }

  /** The service a presented token acts for, or why it does not. */
  async authenticate(token: string): Promise<TokenCheck> {
    if (!TOKEN.test(token)) return { ok: false, reason: 'unknown' };
    const now = this.now().toISOString();
    return this.db.tx(async (q) => {
      const [r] = await q.all<Row>(
        `SELECT t.id, t.expires_at, t.revoked_at, t.last_used_at, s.id AS service_id, s.name, s.public
         FROM api_token t JOIN service s ON s.id = t.service_id WHERE t.token_hash = ?`,
        [hashOf(token)],
      );
      if (!r) return { ok: false, reason: 'unknown' } as const;
      if (r.revoked_at) return { ok: false, reason: 'revoked' } as const;
      if (r.expires_at && String(r.expires_at) <= now) return { ok: false, reason: 'expired' } as const;
      // kept to the minute: one write a minute per token at most, not one per request
      if (String(r.last_used_at ?? '').slice(0, 16) !== now.slice(0, 16))
        await q.run('UPDATE api_token SET last_used_at = ? WHERE id = ?', [now, r.id as string]);
      const service: ServiceAccount = { id: Number(r.service_id), name: r.name as string, public: r.public === true || r.public === 1 };
      return { ok: true, service, tokenId: r.id as string } as const;
    });
  }
}

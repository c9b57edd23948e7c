// The portal's sessions, server-side (issue 10, item 12): the browser holds only a signed random id,
// so the cookie stays the same small size whatever the number of tasks and documents. A row is keyed
// by the SHA-256 of that id (a copy of the table logs nobody in) and holds the session's JSON and
// when it expires; expired rows are deleted now and then by whoever writes.
import type { DataSource } from 'typeorm';
import { sqlDatabase, type SqlDatabase } from './sql';

export class PortalSessionRepository {
  private readonly db: SqlDatabase;
  private sweptAt = 0;
  constructor(ds: DataSource) {
    this.db = sqlDatabase(ds);
  }

  /** The session's JSON, if it exists and has not expired at `now` (ISO time). */
  async get(idHash: string, now: string): Promise<string | undefined> {
    const [row] = await this.db.tx((q) =>
      q.all<{ data: string }>('SELECT data FROM portal_session WHERE id_hash = ? AND expires_at > ?', [idHash, now]),
    );
    return row?.data;
  }

  /** Writes the whole session (insert or replace); `drop` names a row it replaces (a rotated id). */
  async put(idHash: string, data: string, expiresAt: string, now: string, drop?: string): Promise<void> {
    await this.db.tx(async (q) => {
      if (drop) await q.run('DELETE FROM portal_session WHERE id_hash = ?', [drop]);
      await q.run(
        'INSERT INTO portal_session (id_hash, expires_at, data) VALUES (?, ?, ?) ON CONFLICT (id_hash) DO UPDATE SET expires_at = excluded.expires_at, data = excluded.data',
        [idHash, expiresAt, data],
      );
      await this.sweep(q, now);
    });
  }

  /** Renews the expiry only (the common case: a page that changed nothing), so a concurrent change is not overwritten. */
  async touch(idHash: string, expiresAt: string, now: string): Promise<void> {
    await this.db.tx(async (q) => {
      await q.run('UPDATE portal_session SET expires_at = ? WHERE id_hash = ? AND expires_at > ?', [expiresAt, idHash, now]);
      await this.sweep(q, now);
    });
  }

  /**
   * Changes one session in one transaction from its current row (not from what a request read at its
   * start), so two requests of one browser do not undo each other's change. Undefined: no live row.
   */
  async update(idHash: string, now: string, expiresAt: string, change: (data: string) => string): Promise<string | undefined> {
    return this.db.tx(async (q) => {
      const lock = q.driver === 'postgres' ? ' FOR UPDATE' : '';
      const [row] = await q.all<{ data: string }>(`SELECT data FROM portal_session WHERE id_hash = ? AND expires_at > ?${lock}`, [
        idHash,
        now,
      ]);
      if (!row) return undefined;
      const data = change(row.data);
      await q.run('UPDATE portal_session SET data = ?, expires_at = ? WHERE id_hash = ?', [data, expiresAt, idHash]);
      return data;
    });
  }

  async delete(idHash: string): Promise<void> {
    await this.db.tx((q) => q.run('DELETE FROM portal_session WHERE id_hash = ?', [idHash]));
  }

  /** At most once a minute per process: expired rows go. */
  private async sweep(q: { run(sql: string, p?: Array<string | number>): Promise<void> }, now: string): Promise<void> {
    const t = Date.parse(now);
    if (t - this.sweptAt < 60_000 && t >= this.sweptAt) return;
    this.sweptAt = t;
    await q.run('DELETE FROM portal_session WHERE expires_at <= ?', [now]);
  }
}

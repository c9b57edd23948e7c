// The authentication service's rows (issue 14): the targets each service's logins may answer to, and
// the login transactions that are not tasks (src/eid/authn keeps their state sealed; here it is text).
import type { DataSource } from 'typeorm';
import { sqlDatabase, type SqlDatabase } from './sql';

export interface LoginTransactionRow {
  serviceId: number;
  sessionHash: string;
  data: string;
  expiresAt: string;
  finishedAt?: string;
}

export class AuthnRepository {
  private readonly db: SqlDatabase;
  private sweptAt = 0;
  constructor(ds: DataSource) {
    this.db = sqlDatabase(ds);
  }

  /** The service's allowed targets (absolute URLs: origin and path prefix), sorted. */
  async targets(serviceId: number): Promise<string[]> {
    const rows = await this.db.tx((q) =>
      q.all<{ url: string }>('SELECT url FROM auth_target WHERE service_id = ? ORDER BY url', [serviceId]),
    );
    return rows.map((r) => r.url);
  }

  /** Replaces the service's allowed targets. */
  async setTargets(serviceId: number, urls: readonly string[], now: string): Promise<void> {
    await this.db.tx(async (q) => {
      await q.run('DELETE FROM auth_target WHERE service_id = ?', [serviceId]);
      for (const url of [...new Set(urls)])
        await q.run('INSERT INTO auth_target (service_id, url, created_at) VALUES (?, ?, ?)', [serviceId, url, now]);
    });
  }

  async insert(idHash: string, row: LoginTransactionRow, now: string): Promise<void> {
    await this.db.tx(async (q) => {
      await q.run(
        'INSERT INTO login_transaction (id_hash, service_id, session_hash, data, created_at, expires_at) VALUES (?, ?, ?, ?, ?, ?)',
        [idHash, row.serviceId, row.sessionHash, row.data, now, row.expiresAt],
      );
      await this.sweep(q, now);
    });
  }

  /** The transaction (expired ones too, until swept an hour after expiry: the caller decides). */
  async get(idHash: string): Promise<LoginTransactionRow | undefined> {
    const [r] = await this.db.tx((q) =>
      q.all<{ service_id: number; session_hash: string; data: string; expires_at: string; finished_at: string | null }>(
        'SELECT service_id, session_hash, data, expires_at, finished_at FROM login_transaction WHERE id_hash = ?',
        [idHash],
      ),
    );
    return r
      ? {
          serviceId: Number(r.service_id),
          sessionHash: r.session_hash,
          data: r.data,
          expiresAt: r.expires_at,
          ...(r.finished_at ? { finishedAt: r.finished_at } : {}),
        }
      : undefined;
  }

  /** Changes an open transaction's state (and its session binding); false when it is finished or gone. */
  async update(idHash: string, data: string, sessionHash: string, now: string): Promise<boolean> {
    const rows = await this.db.tx((q) =>
      q.all(
        'UPDATE login_transaction SET data = ?, session_hash = ? WHERE id_hash = ? AND finished_at IS NULL AND expires_at > ? RETURNING id_hash',
        [data, sessionHash, idHash, now],
      ),
    );
    return rows.length === 1;
  }

  /**
   * Finishes a transaction not finished yet: true for exactly one caller (single use), false when
   * finished or gone. An expired one may be finished only to answer that it expired (`expired`).
   */
  async finish(idHash: string, now: string, expired = false): Promise<boolean> {
    const rows = await this.db.tx((q) =>
      q.all(
        `UPDATE login_transaction SET finished_at = ? WHERE id_hash = ? AND finished_at IS NULL AND expires_at ${expired ? '<=' : '>'} ? RETURNING id_hash`,
        [now, idHash, now],
      ),
    );
    return rows.length === 1;
  }

  /** At most once a minute per process: transactions expired an hour ago go (until then an expired login can still say so). */
  private async sweep(q: { run(sql: string, p?: Array<string | number>): Promise<void> }, now: string): Promise<void> {
    const t = Date.parse(now);
    if (t - this.sweptAt < 60_000 && t >= this.sweptAt) return;
    this.sweptAt = t;
    await q.run('DELETE FROM login_transaction WHERE expires_at <= ?', [new Date(t - 3_600_000).toISOString()]);
  }
}

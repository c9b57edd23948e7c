// CPR numbers collected through PID-CPR, kept only while in use: a number unused for 3 months is
// deleted (the timers' nightly job).
import type { DataSource } from 'typeorm';
import { sqlDatabase, type SqlDatabase } from './sql';

export class CprRepository {
  private readonly db: SqlDatabase;
  constructor(ds: DataSource) { this.db = sqlDatabase(ds); }

  /** Stores or refreshes the CPR number of a PID. */
  async remember(pid: string, cpr: string, now: string): Promise<void> {
    await this.db.tx(async (q) => {
      await q.run('DELETE FROM cpr_number WHERE pid = ?', [pid]);
      await q.run('INSERT INTO cpr_number (pid, cpr, created_at, last_used_at) VALUES (?, ?, ?, ?)', [pid, cpr, now, now]);
    });
  }

  /** The CPR number of a PID, marking it used now. */
  async use(pid: string, now: string): Promise<string | undefined> {
    return this.db.tx(async (q) => {
      const [row] = await q.all<{ cpr: string }>('SELECT cpr FROM cpr_number WHERE pid = ?', [pid]);
      if (row) await q.run('UPDATE cpr_number SET last_used_at = ? WHERE pid = ?', [now, pid]);
      return row?.cpr;
    });
  }

  /** Deletes numbers last used before `before`; returns how many. */
  async purgeUnused(before: string): Promise<number> {
    return this.db.tx(async (q) => {
      const [n] = await q.all<{ n: number }>('SELECT COUNT(*) AS n FROM cpr_number WHERE last_used_at < ?', [before]);
      await q.run('DELETE FROM cpr_number WHERE last_used_at < ?', [before]);
      return Number(n?.n ?? 0);
    });
  }
}

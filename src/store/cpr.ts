// CPR numbers collected through PID-CPR, kept only while in use: a number unused for 3 months is
// deleted (the timers' nightly job). Stored encrypted (AES-256-GCM, the PID as additional data so a
// value cannot be moved to another PID); callers pass and get plaintext.
//
// The key, in this order: `key` given here; env SEGL_CPR_KEY (base64 of 32 bytes); HKDF of `secret`
// given here or of env SEGL_SECRET. With none of them (a preprod start whose secret was generated
// into DATA_DIR and not passed in) the key is random and lives only in this process: numbers stored
// by an earlier process cannot be read and count as not stored (the user types the CPR again).
import { randomBytes } from 'node:crypto';
import type { DataSource } from 'typeorm';
import { keyFromSecret, open, seal } from '../util/secretbox';
import { sqlDatabase, type SqlDatabase } from './sql';

export interface CprKeyOptions {
  /** 32 bytes */
  key?: Buffer;
  /** the operator's secret (SEGL_SECRET / Config.secret); the key is derived with HKDF */
  secret?: string;
  /** where SEGL_CPR_KEY and SEGL_SECRET are read when neither option is given; default process.env */
  env?: NodeJS.ProcessEnv;
}

/** The CPR storage key (see the top of this file); `ephemeral` when it could only be made up. */
export function cprKey(o: CprKeyOptions = {}): { key: Buffer; source: 'key' | 'SEGL_CPR_KEY' | 'secret' | 'SEGL_SECRET' | 'ephemeral' } {
  const env = o.env ?? process.env;
  if (o.key) return { key: checkLength(o.key, 'the CPR key'), source: 'key' };
  if (env.SEGL_CPR_KEY)
    return { key: checkLength(Buffer.from(env.SEGL_CPR_KEY, 'base64'), 'SEGL_CPR_KEY (base64)'), source: 'SEGL_CPR_KEY' };
  if (o.secret) return { key: keyFromSecret(o.secret, 'segl cpr_number v1'), source: 'secret' };
  if (env.SEGL_SECRET) return { key: keyFromSecret(env.SEGL_SECRET, 'segl cpr_number v1'), source: 'SEGL_SECRET' };
  return { key: randomBytes(32), source: 'ephemeral' };
}

function checkLength(key: Buffer, what: string): Buffer {
  if (key.length !== 32) throw new Error(`${what} must be 32 bytes, got ${key.length}`);
  return key;
}

const aad = (pid: string) => `segl:cpr_number:${pid}`;

export class CprRepository {
  private readonly db: SqlDatabase;
  private readonly key: Buffer;
  /** where the key came from (never the key) */
  readonly keySource: ReturnType<typeof cprKey>['source'];

  constructor(ds: DataSource, keys: CprKeyOptions = {}) {
    this.db = sqlDatabase(ds);
    ({ key: this.key, source: this.keySource } = cprKey(keys));
  }

  /** Stores or refreshes the CPR number of a PID. */
  async remember(pid: string, cpr: string, now: string): Promise<void> {
    const sealed = seal(this.key, cpr, aad(pid));
    await this.db.tx(async (q) => {
      await q.run('DELETE FROM cpr_number WHERE pid = ?', [pid]);
      await q.run('INSERT INTO cpr_number (pid, cpr, created_at, last_used_at) VALUES (?, ?, ?, ?)', [pid, sealed, now, now]);
    });
  }

  /** The CPR number of a PID, marking it used now; undefined when none is stored or it cannot be decrypted. */
  async use(pid: string, now: string): Promise<string | undefined> {
    return this.db.tx(async (q) => {
      const [row] = await q.all<{ cpr: string }>('SELECT cpr FROM cpr_number WHERE pid = ?', [pid]);
      const cpr = row ? open(this.key, row.cpr, aad(pid)) : undefined;
      if (cpr !== undefined) await q.run('UPDATE cpr_number SET last_used_at = ? WHERE pid = ?', [now, pid]);
      return cpr;
    });
  }

  /** Forgets the CPR number of a PID (the user withdrew consent); true when one was stored. */
  async forget(pid: string): Promise<boolean> {
    return this.db.tx(async (q) => {
      const rows = await q.all('SELECT pid FROM cpr_number WHERE pid = ?', [pid]);
      await q.run('DELETE FROM cpr_number WHERE pid = ?', [pid]);
      return rows.length > 0;
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

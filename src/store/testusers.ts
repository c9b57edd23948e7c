// Storage of the test eID environment (src/eid/testid): test users, key cards and their codes,
// challenges, the per-user transaction log, and the PID-CPR mode per service. Sealing, MACs and
// every rule live in src/eid/testid; this file only reads and writes rows. Work that must be atomic
// runs in one `tx` (no slow work inside: on SQLite a transaction holds the only write lock).
import type { DataSource } from 'typeorm';
import { insertSql, sqlDatabase, type Sql, type SqlDatabase, optionalString } from './sql';

export interface TestUserRow {
  id: number;
  alias: string;
  passwordHash: string;
  firstName: string;
  lastName: string;
  /** HMAC of the CPR number (for lookup) and the sealed number */
  cprMac: string;
  cpr: string;
  address: string;
  pid: string;
  certSerial: string;
  certPem: string;
  /** sealed PKCS#8 PEM */
  privateKey: string;
  /** an employee (MOCES-style): the organisation's name, its CVR number and the employee's RID */
  organisation?: string;
  cvr?: string;
  rid?: string;
  failedAttempts: number;
  lockedAt?: string;
  createdAt: string;
  updatedAt: string;
}

export interface KeyCardRow {
  id: string;
  userId: number;
  codes: string;
  createdAt: string;
}
export interface KeyCodeRow {
  cardId: string;
  keyNumber: string;
  codeMac: string;
  usedAt?: string;
}
export interface NewKeyCard {
  id: string;
  codes: string;
  macs: Array<{ keyNumber: string; mac: string }>;
}

export type ChallengePurpose = 'login' | 'sign';
export interface ChallengeRow {
  id: string;
  userId: number;
  purpose: ChallengePurpose;
  cardId: string;
  keyNumber: string;
  createdAt: string;
  expiresAt: string;
  usedAt?: string;
  usedBy?: string;
}

export interface LogRow {
  id: number;
  userId: number;
  time: string;
  type: string;
  detail?: string;
}

const opt = optionalString;

const toUser = (r: Record<string, unknown>): TestUserRow => ({
  id: Number(r.id),
  alias: r.alias as string,
  passwordHash: r.password_hash as string,
  firstName: r.first_name as string,
  lastName: r.last_name as string,
  cprMac: r.cpr_mac as string,
  cpr: r.cpr as string,
  address: r.address as string,
  pid: r.pid as string,
  certSerial: r.cert_serial as string,
  certPem: r.cert_pem as string,
  privateKey: r.private_key as string,
  organisation: opt(r.organisation),
  cvr: opt(r.cvr),
  rid: opt(r.rid),
  failedAttempts: Number(r.failed_attempts),
  lockedAt: opt(r.locked_at),
  createdAt: r.created_at as string,
  updatedAt: r.updated_at as string,
});

const toChallenge = (r: Record<string, unknown>): ChallengeRow => ({
  id: r.id as string,
  userId: Number(r.user_id),
  purpose: r.purpose as ChallengePurpose,
  cardId: r.card_id as string,
  keyNumber: r.key_number as string,
  createdAt: r.created_at as string,
  expiresAt: r.expires_at as string,
  usedAt: opt(r.used_at),
  usedBy: opt(r.used_by),
});

const USER_COLUMNS = [
  'alias',
  'password_hash',
  'first_name',
  'last_name',
  'cpr_mac',
  'cpr',
  'address',
  'pid',
  'cert_serial',
  'cert_pem',
  'private_key',
  'organisation',
  'cvr',
  'rid',
  'failed_attempts',
  'created_at',
  'updated_at',
] as const;

/** The statements of one transaction. */
export class TestUserTx {
  constructor(private readonly q: Sql) {}

  private async user(where: string, value: string | number): Promise<TestUserRow | null> {
    const [r] = await this.q.all(`SELECT * FROM test_user WHERE ${where} = ?`, [value]);
    return r ? toUser(r) : null;
  }
  byId(id: number): Promise<TestUserRow | null> {
    return this.user('id', id);
  }
  byAlias(alias: string): Promise<TestUserRow | null> {
    return this.user('alias', alias);
  }
  byPid(pid: string): Promise<TestUserRow | null> {
    return this.user('pid', pid);
  }
  byCprMac(mac: string): Promise<TestUserRow | null> {
    return this.user('cpr_mac', mac);
  }
  /** The employee with this CVR number and RID. */
  async byCvrRid(cvr: string, rid: string): Promise<TestUserRow | null> {
    const [r] = await this.q.all('SELECT * FROM test_user WHERE cvr = ? AND rid = ?', [cvr, rid]);
    return r ? toUser(r) : null;
  }

  /** Employee users, newest first. */
  async employees(limit: number): Promise<TestUserRow[]> {
    const rows = await this.q.all('SELECT * FROM test_user WHERE cvr IS NOT NULL ORDER BY id DESC LIMIT ?', [limit]);
    return rows.map(toUser);
  }

  /** Inserts a user (failed_attempts 0, unlocked); returns its id. */
  async insertUser(u: Omit<TestUserRow, 'id' | 'failedAttempts' | 'lockedAt'>): Promise<number> {
    await this.q.run(insertSql('test_user', USER_COLUMNS, 1), [
      u.alias,
      u.passwordHash,
      u.firstName,
      u.lastName,
      u.cprMac,
      u.cpr,
      u.address,
      u.pid,
      u.certSerial,
      u.certPem,
      u.privateKey,
      u.organisation ?? null,
      u.cvr ?? null,
      u.rid ?? null,
      0,
      u.createdAt,
      u.updatedAt,
    ]);
    return (await this.byAlias(u.alias))!.id;
  }

  async insertCard(userId: number, card: NewKeyCard, now: string): Promise<void> {
    await this.q.run('INSERT INTO key_card (id, user_id, codes, created_at) VALUES (?, ?, ?, ?)', [card.id, userId, card.codes, now]);
    const cols = ['card_id', 'key_number', 'code_mac'] as const;
    for (let i = 0; i < card.macs.length; i += 100) {
      const part = card.macs.slice(i, i + 100);
      await this.q.run(
        insertSql('key_code', cols, part.length),
        part.flatMap((m) => [card.id, m.keyNumber, m.mac]),
      );
    }
  }

  /** The user's cards, oldest first, each with how many codes are unused. */
  async cards(userId: number): Promise<Array<KeyCardRow & { unused: number }>> {
    const rows = await this.q.all(
      `SELECT c.id, c.user_id, c.codes, c.created_at, (SELECT COUNT(*) FROM key_code k WHERE k.card_id = c.id AND k.used_at IS NULL) AS unused
       FROM key_card c WHERE c.user_id = ? ORDER BY c.created_at, c.id`,
      [userId],
    );
    return rows.map((r) => ({
      id: r.id as string,
      userId: Number(r.user_id),
      codes: r.codes as string,
      createdAt: r.created_at as string,
      unused: Number(r.unused),
    }));
  }

  /** Used key numbers of a card (with when). */
  async usedCodes(cardId: string): Promise<Map<string, string>> {
    const rows = await this.q.all<{ key_number: string; used_at: string }>(
      'SELECT key_number, used_at FROM key_code WHERE card_id = ? AND used_at IS NOT NULL',
      [cardId],
    );
    return new Map(rows.map((r) => [r.key_number, r.used_at]));
  }

  async unusedKeyNumbers(cardId: string): Promise<string[]> {
    const rows = await this.q.all<{ key_number: string }>(
      'SELECT key_number FROM key_code WHERE card_id = ? AND used_at IS NULL ORDER BY key_number',
      [cardId],
    );
    return rows.map((r) => r.key_number);
  }

  async code(cardId: string, keyNumber: string): Promise<KeyCodeRow | null> {
    const [r] = await this.q.all('SELECT * FROM key_code WHERE card_id = ? AND key_number = ?', [cardId, keyNumber]);
    return r ? { cardId, keyNumber, codeMac: r.code_mac as string, usedAt: opt(r.used_at) } : null;
  }

  /** Marks a code used by `by`; true only for the caller that used it (a concurrent second use gets false). */
  async useCode(cardId: string, keyNumber: string, by: string, now: string): Promise<boolean> {
    await this.q.run('UPDATE key_code SET used_at = ?, used_by = ? WHERE card_id = ? AND key_number = ? AND used_at IS NULL', [
      now,
      by,
      cardId,
      keyNumber,
    ]);
    const [r] = await this.q.all<{ used_by: string | null }>('SELECT used_by FROM key_code WHERE card_id = ? AND key_number = ?', [
      cardId,
      keyNumber,
    ]);
    return r?.used_by === by;
  }

  async insertChallenge(c: Omit<ChallengeRow, 'usedAt' | 'usedBy'>): Promise<void> {
    await this.q.run(
      'INSERT INTO testid_challenge (id, user_id, purpose, card_id, key_number, created_at, expires_at) VALUES (?, ?, ?, ?, ?, ?, ?)',
      [c.id, c.userId, c.purpose, c.cardId, c.keyNumber, c.createdAt, c.expiresAt],
    );
  }

  async challenge(id: string): Promise<ChallengeRow | null> {
    const [r] = await this.q.all('SELECT * FROM testid_challenge WHERE id = ?', [id]);
    return r ? toChallenge(r) : null;
  }

  /** Marks a challenge answered by `by`; true only for the first answer (single use, also under concurrency). */
  async claimChallenge(id: string, by: string, now: string): Promise<boolean> {
    await this.q.run('UPDATE testid_challenge SET used_at = ?, used_by = ? WHERE id = ? AND used_at IS NULL', [now, by, id]);
    return (await this.challenge(id))?.usedBy === by;
  }

  /** Deletes challenges that expired before `before`; returns how many. */
  async deleteExpiredChallenges(before: string): Promise<number> {
    const [n] = await this.q.all<{ n: number }>('SELECT COUNT(*) AS n FROM testid_challenge WHERE expires_at < ?', [before]);
    await this.q.run('DELETE FROM testid_challenge WHERE expires_at < ?', [before]);
    return Number(n?.n ?? 0);
  }

  /** Counts one more consecutive failure; locks at `lockAt`. Returns the new count and whether the user is locked. */
  async recordFailure(userId: number, lockAt: number, now: string): Promise<{ failed: number; locked: boolean }> {
    await this.q.run('UPDATE test_user SET failed_attempts = failed_attempts + 1, updated_at = ? WHERE id = ?', [now, userId]);
    await this.q.run('UPDATE test_user SET locked_at = ? WHERE id = ? AND locked_at IS NULL AND failed_attempts >= ?', [
      now,
      userId,
      lockAt,
    ]);
    const u = (await this.byId(userId))!;
    return { failed: u.failedAttempts, locked: !!u.lockedAt };
  }

  /** Clears the failure count and, with `unlock`, the lock. */
  async resetFailures(userId: number, now: string, unlock = false): Promise<void> {
    await this.q.run(`UPDATE test_user SET failed_attempts = 0, updated_at = ?${unlock ? ', locked_at = NULL' : ''} WHERE id = ?`, [
      now,
      userId,
    ]);
  }

  async log(userId: number, time: string, type: string, detail?: string): Promise<void> {
    await this.q.run('INSERT INTO testid_log (user_id, time, type, detail) VALUES (?, ?, ?, ?)', [userId, time, type, detail ?? null]);
  }

  async logs(userId: number, limit: number): Promise<LogRow[]> {
    const rows = await this.q.all('SELECT * FROM testid_log WHERE user_id = ? ORDER BY id DESC LIMIT ?', [userId, limit]);
    return rows.map((r) => ({
      id: Number(r.id),
      userId: Number(r.user_id),
      time: r.time as string,
      type: r.type as string,
      detail: opt(r.detail),
    }));
  }

  async pidCprMode(serviceId: number): Promise<string | undefined> {
    const [r] = await this.q.all<{ mode: string }>('SELECT mode FROM pidcpr_mode WHERE service_id = ?', [serviceId]);
    return r?.mode;
  }

  async setPidCprMode(serviceId: number, mode: string, now: string): Promise<void> {
    await this.q.run('DELETE FROM pidcpr_mode WHERE service_id = ?', [serviceId]);
    await this.q.run('INSERT INTO pidcpr_mode (service_id, mode, updated_at) VALUES (?, ?, ?)', [serviceId, mode, now]);
  }
}

export class TestUserStore {
  private readonly db: SqlDatabase;
  constructor(ds: DataSource) {
    this.db = sqlDatabase(ds);
  }

  /** One transaction: commits when `work` resolves, rolls back when it throws. */
  tx<T>(work: (t: TestUserTx) => Promise<T>): Promise<T> {
    return this.db.tx((q) => work(new TestUserTx(q)));
  }
}

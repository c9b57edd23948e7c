// Console accounts and second factors (docs/console.md "Accounts"). An account is a named clerk of one
// service with a role (viewer reads, manager also acts); its password is hashed with the scrypt scheme
// of service passwords (store/services.ts). The TOTP second factor exists for each account and for the
// login with the service's own credentials; its secret is sealed under a key from SEGL_SECRET
// (AES-256-GCM, util/secretbox.ts), bound to the service and the account, so a database copy gives no
// codes. A code is accepted once: the step it belongs to is recorded in the same UPDATE that accepts
// it, and only a later step passes after that (a replayed code is refused, whichever instance sees it).
import { randomBytes } from 'node:crypto';
import type { DataSource } from 'typeorm';
import { hashPassword, verifyPassword } from './services';
import { sqlDatabase, type Sql, type SqlDatabase } from './sql';
import { keyFromSecret, open, seal } from '../util/secretbox';
import { matchTotp, newTotpSecret } from '../util/totp';

export const CONSOLE_ROLES = ['viewer', 'manager'] as const;
export type ConsoleAccountRole = (typeof CONSOLE_ROLES)[number];
/** Account names: letters, digits and . _ - @, up to 64; kept in lower case. */
export const CONSOLE_USERNAME = /^[a-z0-9][a-z0-9._@-]{0,63}$/;

export interface ConsoleAccount {
  id: number;
  serviceId: number;
  service: string;
  username: string;
  role: ConsoleAccountRole;
  totp: boolean;
  createdAt: string;
  lastLoginAt?: string;
}

/** Whose second factor: a named account, or (no accountId) the login with the service's credentials. */
export interface TotpOwner {
  serviceId: number;
  accountId?: number;
}

interface Row {
  id: number;
  service_id: number;
  service: string;
  username: string;
  password_hash: string;
  role: string;
  totp_secret: string | null;
  totp_on_at: string | null;
  created_at: string;
  last_login_at: string | null;
}

interface TotpRow {
  totp_secret: string | null;
  totp_on_at: string | null;
  totp_last_step: number | string | null;
}

const SELECT = 'SELECT a.*, s.name AS service FROM console_account a JOIN service s ON s.id = a.service_id';

function toAccount(r: Row): ConsoleAccount {
  return {
    id: Number(r.id),
    serviceId: Number(r.service_id),
    service: r.service,
    username: r.username,
    role: r.role === 'manager' ? 'manager' : 'viewer',
    totp: !!r.totp_on_at,
    createdAt: r.created_at,
    lastLoginAt: r.last_login_at ?? undefined,
  };
}

export function isConsoleRole(v: string): v is ConsoleAccountRole {
  return (CONSOLE_ROLES as readonly string[]).includes(v);
}

/** A password for a new account (or a reset): 144 random bits, printed once. */
export function newConsolePassword(): string {
  return randomBytes(18).toString('base64url');
}

export class ConsoleAccountRepository {
  private readonly db: SqlDatabase;
  private key?: Buffer;

  /** `secret`: SEGL_SECRET, needed only for the second factor (the CLI's account commands run without it). */
  constructor(
    ds: DataSource,
    private readonly secret?: string,
    private readonly now: () => Date = () => new Date(),
  ) {
    this.db = sqlDatabase(ds);
  }

  private totpKey(): Buffer {
    return (this.key ??= keyFromSecret(this.secret ?? '', 'segl console totp v1'));
  }

  private static aad(o: TotpOwner): string {
    return `segl:console-totp:${o.serviceId}:${o.accountId ?? 'service'}`;
  }

  private static async serviceId(q: Sql, service: string): Promise<number> {
    const [svc] = await q.all<{ id: number }>('SELECT id FROM service WHERE name = ?', [service]);
    if (!svc) throw new Error(`no service "${service}"`);
    return Number(svc.id);
  }

  /** A new account; answers the generated password (shown once, never stored in clear). */
  async add(service: string, username: string, role: ConsoleAccountRole): Promise<{ account: ConsoleAccount; password: string }> {
    const name = username.toLowerCase();
    if (!CONSOLE_USERNAME.test(name)) throw new Error(`user name "${username}" must match ${CONSOLE_USERNAME}`);
    if (!isConsoleRole(role)) throw new Error(`role must be one of ${CONSOLE_ROLES.join(', ')}`);
    const password = newConsolePassword();
    const hash = await hashPassword(password);
    const account = await this.db.tx(async (q) => {
      const sid = await ConsoleAccountRepository.serviceId(q, service);
      if ((await q.all('SELECT id FROM console_account WHERE service_id = ? AND username = ?', [sid, name])).length)
        throw new Error(`service "${service}" already has a console user "${name}"`);
      await q.run('INSERT INTO console_account (service_id, username, password_hash, role, created_at) VALUES (?, ?, ?, ?, ?)', [
        sid,
        name,
        hash,
        role,
        this.now().toISOString(),
      ]);
      const [row] = await q.all<Row>(`${SELECT} WHERE a.service_id = ? AND a.username = ?`, [sid, name]);
      return toAccount(row!);
    });
    return { account, password };
  }

  async list(service?: string): Promise<ConsoleAccount[]> {
    const rows = await this.db.tx((q) =>
      q.all<Row>(
        `${SELECT} ${service === undefined ? '' : 'WHERE s.name = ?'} ORDER BY s.name, a.username`,
        service === undefined ? [] : [service],
      ),
    );
    return rows.map(toAccount);
  }

  /** The account by id, as it is now (a session re-reads it on each request: removed or demoted takes effect at once). */
  async byId(id: number): Promise<ConsoleAccount | undefined> {
    const [row] = await this.db.tx((q) => q.all<Row>(`${SELECT} WHERE a.id = ?`, [id]));
    return row && toAccount(row);
  }

  private async change(service: string, username: string, sql: string, params: Array<string | null>): Promise<void> {
    const done = await this.db.tx(async (q) => {
      const sid = await ConsoleAccountRepository.serviceId(q, service);
      return q.all(`${sql} WHERE service_id = ? AND username = ? RETURNING id`, [...params, sid, username.toLowerCase()]);
    });
    if (!done.length) throw new Error(`service "${service}" has no console user "${username}"`);
  }

  async remove(service: string, username: string): Promise<void> {
    await this.change(service, username, 'DELETE FROM console_account', []);
  }

  async setRole(service: string, username: string, role: string): Promise<void> {
    if (!isConsoleRole(role)) throw new Error(`role must be one of ${CONSOLE_ROLES.join(', ')}`);
    await this.change(service, username, 'UPDATE console_account SET role = ?', [role]);
  }

  /** A new generated password for the account (the old one stops working); answered once. */
  async resetPassword(service: string, username: string): Promise<string> {
    const password = newConsolePassword();
    await this.change(service, username, 'UPDATE console_account SET password_hash = ?', [await hashPassword(password)]);
    return password;
  }

  /** Turns the account's second factor off (a clerk who lost the authenticator); no `username`: the service login's. */
  async resetTotp(service: string, username?: string): Promise<void> {
    if (username !== undefined)
      return this.change(service, username, 'UPDATE console_account SET totp_secret = ?, totp_on_at = ?, totp_last_step = ?', [
        null,
        null,
        null,
      ]);
    await this.db.tx(async (q) => {
      const sid = await ConsoleAccountRepository.serviceId(q, service);
      await q.run('DELETE FROM console_service_totp WHERE service_id = ?', [sid]);
    });
  }

  /** The account when service id, name and password match, else undefined; as slow for unknown names. */
  async authenticate(serviceId: number, username: string, password: string): Promise<ConsoleAccount | undefined> {
    const [row] = await this.db.tx((q) =>
      q.all<Row>(`${SELECT} WHERE a.service_id = ? AND a.username = ?`, [serviceId, username.toLowerCase()]),
    );
    if (!row) {
      await hashPassword(password); // the same time as a real check: no oracle for names
      return undefined;
    }
    return (await verifyPassword(password, row.password_hash)) ? toAccount(row) : undefined;
  }

  async markLogin(accountId: number): Promise<void> {
    await this.db.tx((q) => q.run('UPDATE console_account SET last_login_at = ? WHERE id = ?', [this.now().toISOString(), accountId]));
  }

  // --- the second factor ---

  private where(o: TotpOwner): { table: string; cond: string; params: number[] } {
    return o.accountId === undefined
      ? { table: 'console_service_totp', cond: 'service_id = ?', params: [o.serviceId] }
      : { table: 'console_account', cond: 'id = ? AND service_id = ?', params: [o.accountId, o.serviceId] };
  }

  private async totpRow(q: Sql, o: TotpOwner): Promise<TotpRow | undefined> {
    const w = this.where(o);
    const [row] = await q.all<TotpRow>(`SELECT totp_secret, totp_on_at, totp_last_step FROM ${w.table} WHERE ${w.cond}`, w.params);
    return row;
  }

  /** Whether a code is asked after the password. */
  async totpOn(o: TotpOwner): Promise<boolean> {
    return !!(await this.db.tx((q) => this.totpRow(q, o)))?.totp_on_at;
  }

  /** Starts (or restarts) enrolment: a new secret, not yet on; answers it for the enrolment page. */
  async startTotp(o: TotpOwner): Promise<Buffer> {
    const key = newTotpSecret();
    const sealed = seal(this.totpKey(), key.toString('base64'), ConsoleAccountRepository.aad(o));
    await this.db.tx(async (q) => {
      const row = await this.totpRow(q, o);
      if (row?.totp_on_at) throw new Error('the second factor is already on');
      const w = this.where(o);
      if (o.accountId === undefined && !row)
        await q.run('INSERT INTO console_service_totp (service_id, totp_secret) VALUES (?, ?)', [o.serviceId, sealed]);
      else
        await q.run(`UPDATE ${w.table} SET totp_secret = ?, totp_on_at = NULL, totp_last_step = NULL WHERE ${w.cond}`, [
          sealed,
          ...w.params,
        ]);
    });
    return key;
  }

  /** The secret of an enrolment in progress (to show it again), undefined when none is. */
  async pendingTotp(o: TotpOwner): Promise<Buffer | undefined> {
    const row = await this.db.tx((q) => this.totpRow(q, o));
    return row?.totp_secret && !row.totp_on_at ? this.openKey(o, row.totp_secret) : undefined;
  }

  private openKey(o: TotpOwner, sealed: string): Buffer {
    const plain = open(this.totpKey(), sealed, ConsoleAccountRepository.aad(o));
    if (plain === undefined) throw new Error('a console TOTP secret cannot be decrypted: was SEGL_SECRET changed?');
    return Buffer.from(plain, 'base64');
  }

  /**
   * Checks a code and, when it is right and of a step later than the last one used, records its step
   * (one UPDATE, so two instances cannot both accept it). `confirm`: the code finishes enrolment
   * (turns the factor on); otherwise the factor must be on already. `off`: a right code turns it off.
   */
  async useCode(o: TotpOwner, code: string, mode: 'login' | 'confirm' | 'off' = 'login'): Promise<boolean> {
    return this.db.tx(async (q) => {
      const row = await this.totpRow(q, o);
      if (!row?.totp_secret || (mode === 'confirm') === !!row.totp_on_at) return false;
      const last = row.totp_last_step === null ? -1 : Number(row.totp_last_step);
      const step = matchTotp(this.openKey(o, row.totp_secret), code, this.now().getTime(), last);
      if (step === undefined) return false;
      const w = this.where(o);
      const set =
        mode === 'off'
          ? 'totp_secret = NULL, totp_on_at = NULL, totp_last_step = NULL'
          : `totp_last_step = ?${mode === 'confirm' ? ', totp_on_at = ?' : ''}`;
      const params = mode === 'off' ? [] : mode === 'confirm' ? [step, this.now().toISOString()] : [step];
      const done = await q.all(
        `UPDATE ${w.table} SET ${set} WHERE ${w.cond} AND (totp_last_step IS NULL OR totp_last_step < ?) RETURNING service_id`,
        [...params, ...w.params, step],
      );
      return done.length > 0;
    });
  }
}

// Service accounts (tenants): names, scrypt password hashes, and the cache that keeps a correct
// password from costing a full scrypt on every SOAP call. Webhook signing secrets are stored sealed
// (AES-256-GCM under a key from SEGL_SECRET, store/atrest.ts); callers see them in clear.
import { createHash, randomBytes, scrypt as scryptCb, timingSafeEqual, type ScryptOptions } from 'node:crypto';
import type { DataSource } from 'typeorm';
import { sqlDatabase, type SqlDatabase } from './sql';
import type { ServiceAccount } from '../core/ports';
import type { AtRest } from './atrest';

const SCRYPT = { N: 16384, r: 8, p: 1, keylen: 32 } as const;

function scrypt(password: string, salt: Buffer, keylen: number, opts: ScryptOptions): Promise<Buffer> {
  return new Promise((resolve, reject) => scryptCb(password, salt, keylen, opts, (e, k) => (e ? reject(e) : resolve(k))));
}

/** Format: scrypt$N$r$p$salt(base64)$hash(base64) */
export async function hashPassword(password: string): Promise<string> {
  const salt = randomBytes(16);
  const key = await scrypt(password, salt, SCRYPT.keylen, { N: SCRYPT.N, r: SCRYPT.r, p: SCRYPT.p });
  return ['scrypt', SCRYPT.N, SCRYPT.r, SCRYPT.p, salt.toString('base64'), key.toString('base64')].join('$');
}

export async function verifyPassword(password: string, stored: string): Promise<boolean> {
  const [alg, n, r, p, salt, hash] = stored.split('$');
  if (alg !== 'scrypt' || !salt || !hash) return false;
  const expected = Buffer.from(hash, 'base64');
  const key = await scrypt(password, Buffer.from(salt, 'base64'), expected.length, {
    N: Number(n),
    r: Number(r),
    p: Number(p),
    maxmem: 64 * 1024 * 1024,
  });
  return timingSafeEqual(key, expected);
}

export const SERVICE_NAME = /^[a-z0-9][a-z0-9._-]{0,63}$/;
/** The shortest service password `segl service` and the console accept. */
export const MIN_SERVICE_PASSWORD = 8;

interface ServiceRow {
  id: number;
  name: string;
  password_hash: string;
  public: unknown;
  created_at: string;
  callback_allow: string | null;
  webhook_secret: string | null;
  frame_origins?: string | null;
}

/** A Standard-Webhooks style signing secret: `whsec_` + base64 of 24 random bytes. */
export function newWebhookSecret(): string {
  return `whsec_${randomBytes(24).toString('base64')}`;
}

/** What an operator sees of a service's notification settings. */
export interface ServiceSettings {
  name: string;
  callbackAllow: string[];
  webhookSecret: string;
}

export class ServiceRepository {
  /** hash(name, stored hash, password) of passwords verified recently; a changed password misses. */
  private readonly verified = new Map<string, number>();
  /** service rows read recently, so a busy client's calls skip the lookup */
  private readonly rows = new Map<string, { row: ServiceRow | null; until: number }>();
  private static readonly CACHE_MS = 5 * 60_000;
  /** how long a service row is reused: a password change elsewhere takes effect within this */
  static readonly ROW_MS = 2_000;
  private readonly db: SqlDatabase;

  /** `atRest`: the key webhook secrets are sealed with */
  constructor(
    ds: DataSource,
    private readonly atRest: AtRest,
  ) {
    this.db = sqlDatabase(ds);
  }

  /** A stored webhook secret in clear (the outbox loads it sealed with the delivery). */
  openWebhookSecret(service: string, stored: string): string {
    return this.atRest.openWebhookSecret(service, stored);
  }

  private toAccount(e: ServiceRow): ServiceAccount {
    return { id: Number(e.id), name: e.name, public: !!e.public };
  }

  private async row(name: string, cached = false): Promise<ServiceRow | null> {
    const hit = cached ? this.rows.get(name) : undefined;
    if (hit && hit.until > Date.now()) return hit.row;
    const [row] = await this.db.tx((q) => q.all<ServiceRow>('SELECT * FROM service WHERE name = ?', [name]));
    if (this.rows.size > 10_000) this.rows.clear();
    this.rows.set(name, { row: row ?? null, until: Date.now() + ServiceRepository.ROW_MS });
    return row ?? null;
  }

  async create(name: string, password: string, isPublic = false): Promise<ServiceAccount> {
    if (!SERVICE_NAME.test(name)) throw new Error(`service name "${name}" must match ${SERVICE_NAME}`);
    if (password.length < MIN_SERVICE_PASSWORD) throw new Error(`the password must have at least ${MIN_SERVICE_PASSWORD} characters`);
    const hash = await hashPassword(password);
    const now = new Date().toISOString();
    return this.db.tx(async (q) => {
      if ((await q.all('SELECT id FROM service WHERE name = ?', [name])).length) throw new Error(`service "${name}" already exists`);
      await q.run('INSERT INTO service (name, password_hash, public, created_at, updated_at, webhook_secret) VALUES (?, ?, ?, ?, ?, ?)', [
        name,
        hash,
        isPublic,
        now,
        now,
        this.atRest.sealWebhookSecret(name, newWebhookSecret()),
      ]);
      const [row] = await q.all<ServiceRow>('SELECT * FROM service WHERE name = ?', [name]);
      this.rows.delete(name);
      return this.toAccount(row!);
    });
  }

  async setPassword(name: string, password: string): Promise<void> {
    if (password.length < MIN_SERVICE_PASSWORD) throw new Error(`the password must have at least ${MIN_SERVICE_PASSWORD} characters`);
    const hash = await hashPassword(password);
    await this.db.tx(async (q) => {
      if (!(await q.all('SELECT id FROM service WHERE name = ?', [name])).length) throw new Error(`no service "${name}"`);
      await q.run('UPDATE service SET password_hash = ?, updated_at = ? WHERE name = ?', [hash, new Date().toISOString(), name]);
    });
    this.rows.delete(name);
  }

  async delete(name: string): Promise<void> {
    await this.db.tx(async (q) => {
      const [svc] = await q.all<{ id: number }>('SELECT id FROM service WHERE name = ?', [name]);
      if (!svc) throw new Error(`no service "${name}"`);
      const [used] = await q.all<{ n: number }>('SELECT COUNT(*) AS n FROM request WHERE service_id = ?', [svc.id]);
      if (Number(used!.n)) throw new Error(`service "${name}" has ${used!.n} request(s); it cannot be deleted`);
      // its configuration goes with it: packaging methods (and their templates), login targets and logins
      await q.run('DELETE FROM packaging_method WHERE service_id = ?', [svc.id]);
      await q.run('DELETE FROM auth_target WHERE service_id = ?', [svc.id]);
      await q.run('DELETE FROM login_transaction WHERE service_id = ?', [svc.id]);
      await q.run('DELETE FROM service_seal WHERE service_id = ?', [svc.id]);
      await q.run('DELETE FROM notify_text WHERE service_id = ?', [svc.id]);
      await q.run('DELETE FROM api_token WHERE service_id = ?', [svc.id]);
      await q.run('DELETE FROM console_account WHERE service_id = ?', [svc.id]);
      await q.run('DELETE FROM console_service_totp WHERE service_id = ?', [svc.id]);
      await q.run('DELETE FROM service WHERE id = ?', [svc.id]);
    });
    this.rows.delete(name);
  }

  async list(): Promise<Array<ServiceAccount & { createdAt: string }>> {
    const all = await this.db.tx((q) => q.all<ServiceRow>('SELECT * FROM service ORDER BY name'));
    return all.map((e) => ({ ...this.toAccount(e), createdAt: e.created_at }));
  }

  async find(name: string): Promise<ServiceAccount | null> {
    const e = await this.row(name);
    return e ? this.toAccount(e) : null;
  }

  /** The account when name and password match, else null. Same work for unknown names (no oracle). */
  async authenticate(name: string, password: string): Promise<ServiceAccount | null> {
    const e = await this.row(name, true);
    if (!e) {
      await hashPassword(password); // spend the same time as a real check
      return null;
    }
    const cacheKey = createHash('sha256').update(`${e.name}\0${e.password_hash}\0${password}`).digest('base64');
    const until = this.verified.get(cacheKey);
    if (until !== undefined && until > Date.now()) return this.toAccount(e);
    if (!(await verifyPassword(password, e.password_hash))) return null;
    if (this.verified.size > 10_000) this.verified.clear();
    this.verified.set(cacheKey, Date.now() + ServiceRepository.CACHE_MS);
    return this.toAccount(e);
  }

  /** The service's callback allowlist (host[:port] patterns) and webhook secret (made on first ask for older rows). */
  async settings(name: string): Promise<ServiceSettings> {
    return this.db.tx(async (q) => {
      const [row] = await q.all<ServiceRow>('SELECT * FROM service WHERE name = ?', [name]);
      if (!row) throw new Error(`no service "${name}"`);
      let secret = row.webhook_secret ? this.atRest.openWebhookSecret(name, row.webhook_secret) : undefined;
      if (!secret) {
        secret = newWebhookSecret();
        await q.run('UPDATE service SET webhook_secret = ? WHERE id = ?', [this.atRest.sealWebhookSecret(name, secret), row.id]);
      }
      return { name, callbackAllow: (row.callback_allow ?? '').split(',').filter(Boolean), webhookSecret: secret };
    });
  }

  /** Replaces the callback allowlist; patterns are checked by the caller (notify/allowlist.ts). */
  async setCallbackAllow(name: string, patterns: string[]): Promise<void> {
    await this.db.tx(async (q) => {
      if (!(await q.all('SELECT id FROM service WHERE name = ?', [name])).length) throw new Error(`no service "${name}"`);
      await q.run('UPDATE service SET callback_allow = ?, updated_at = ? WHERE name = ?', [
        patterns.join(',') || null,
        new Date().toISOString(),
        name,
      ]);
    });
  }

  /** The origins that may frame the service's task pages (src/portal/embed.ts), from the row cache (a change shows within ROW_MS). */
  async frameOrigins(name: string): Promise<string[]> {
    return ((await this.row(name, true))?.frame_origins ?? '').split(' ').filter(Boolean);
  }

  /** Replaces the frame-origin allowlist; each origin is checked by the caller (portal/embed.ts frameOriginList). */
  async setFrameOrigins(name: string, origins: string[]): Promise<void> {
    await this.db.tx(async (q) => {
      if (!(await q.all('SELECT id FROM service WHERE name = ?', [name])).length) throw new Error(`no service "${name}"`);
      await q.run('UPDATE service SET frame_origins = ?, updated_at = ? WHERE name = ?', [
        origins.join(' ') || null,
        new Date().toISOString(),
        name,
      ]);
    });
    this.rows.delete(name);
  }

  /** A new webhook secret (the old one stops working at once). */
  async rotateWebhookSecret(name: string): Promise<string> {
    const secret = newWebhookSecret();
    await this.db.tx(async (q) => {
      if (!(await q.all('SELECT id FROM service WHERE name = ?', [name])).length) throw new Error(`no service "${name}"`);
      await q.run('UPDATE service SET webhook_secret = ?, updated_at = ? WHERE name = ?', [
        this.atRest.sealWebhookSecret(name, secret),
        new Date().toISOString(),
        name,
      ]);
    });
    return secret;
  }
}

// Service accounts (tenants): names, scrypt password hashes, and the cache that keeps a correct
// password from costing a full scrypt on every SOAP call.
import { createHash, randomBytes, scrypt as scryptCb, timingSafeEqual, type ScryptOptions } from 'node:crypto';
import type { DataSource } from 'typeorm';
import { Request, Service, type ServiceEntity } from './entities';
import type { ServiceAccount } from '../core/ports';

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
    N: Number(n), r: Number(r), p: Number(p), maxmem: 64 * 1024 * 1024,
  });
  return timingSafeEqual(key, expected);
}

export const SERVICE_NAME = /^[a-z0-9][a-z0-9._-]{0,63}$/;

export class ServiceRepository {
  /** hash(name, stored hash, password) of passwords verified recently; a changed password misses. */
  private readonly verified = new Map<string, number>();
  private static readonly CACHE_MS = 5 * 60_000;

  constructor(private readonly ds: DataSource) {}

  private toAccount(e: ServiceEntity): ServiceAccount {
    return { id: e.id, name: e.name, public: !!e.public };
  }

  async create(name: string, password: string, isPublic = false): Promise<ServiceAccount> {
    if (!SERVICE_NAME.test(name)) throw new Error(`service name "${name}" must match ${SERVICE_NAME}`);
    if (password.length < 8) throw new Error('the password must have at least 8 characters');
    if (await this.ds.getRepository(Service).findOne({ where: { name } })) throw new Error(`service "${name}" already exists`);
    const now = new Date().toISOString();
    const res = await this.ds.getRepository(Service).insert({
      name, passwordHash: await hashPassword(password), public: isPublic, createdAt: now, updatedAt: now,
    });
    return { id: res.identifiers[0]!.id as number, name, public: isPublic };
  }

  async setPassword(name: string, password: string): Promise<void> {
    if (password.length < 8) throw new Error('the password must have at least 8 characters');
    const res = await this.ds.getRepository(Service).update({ name }, {
      passwordHash: await hashPassword(password), updatedAt: new Date().toISOString(),
    });
    if (!res.affected) throw new Error(`no service "${name}"`);
  }

  async delete(name: string): Promise<void> {
    const svc = await this.find(name);
    if (!svc) throw new Error(`no service "${name}"`);
    const used = await this.ds.getRepository(Request).count({ where: { serviceId: svc.id } });
    if (used) throw new Error(`service "${name}" has ${used} request(s); it cannot be deleted`);
    await this.ds.getRepository(Service).delete({ name });
  }

  async list(): Promise<Array<ServiceAccount & { createdAt: string }>> {
    const all = await this.ds.getRepository(Service).find({ order: { name: 'ASC' } });
    return all.map((e) => ({ ...this.toAccount(e), createdAt: e.createdAt }));
  }

  async find(name: string): Promise<ServiceAccount | null> {
    const e = await this.ds.getRepository(Service).findOne({ where: { name } });
    return e ? this.toAccount(e) : null;
  }

  /** The account when name and password match, else null. Same work for unknown names (no oracle). */
  async authenticate(name: string, password: string): Promise<ServiceAccount | null> {
    const e = await this.ds.getRepository(Service).findOne({ where: { name } });
    if (!e) {
      await hashPassword(password); // spend the same time as a real check
      return null;
    }
    const cacheKey = createHash('sha256').update(`${e.name}\0${e.passwordHash}\0${password}`).digest('base64');
    const until = this.verified.get(cacheKey);
    if (until !== undefined && until > Date.now()) return this.toAccount(e);
    if (!(await verifyPassword(password, e.passwordHash))) return null;
    if (this.verified.size > 10_000) this.verified.clear();
    this.verified.set(cacheKey, Date.now() + ServiceRepository.CACHE_MS);
    return this.toAccount(e);
  }
}

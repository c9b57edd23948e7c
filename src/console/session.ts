// The console's server-side session. The browser holds only a random id in an HttpOnly, SameSite=Strict
// cookie (Secure when segl is reached over https); Redis holds what the id stands for, under the
// SHA-256 of the id (a dump of Redis gives no usable cookie). Idle expiry is Redis' own TTL, renewed on
// every request: a session unused for IDLE_MS is gone. The CSRF token is per session and required on
// every POST (compared in constant time). Sessions are not durable state: if Redis loses them, the
// clerk logs in again (DESIGN.md: the database is the truth, Redis carries work).
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type { Redis } from 'ioredis';

/** A session unused this long ends (OWASP Session Management: 15–30 min idle for business applications). */
export const IDLE_MS = 30 * 60_000;
export const COOKIE = 'segl_console';

/** What a session may do: a viewer reads; a manager also acts (withdraw, resend, settings, …). */
export type ConsoleRole = 'viewer' | 'manager';

export interface ConsoleSession {
  serviceId: number;
  service: string;
  isPublic: boolean;
  /** A login with the service's own credentials is a manager. */
  role: ConsoleRole;
  /** Who is logged in, as the request history and the logs name them (the service name for a service login). */
  actor: string;
  csrf: string;
  /** a named console account (console_account.id): its role is re-read on every request (accounts.ts) */
  accountId?: number;
  /** an operator (the /admin credentials): picks any service; serviceId is 0 until one is picked */
  operator?: boolean;
  /** the service's session generation when the session began or switched to it: a password change ends the others */
  gen?: number;
}

/** A look at a session on each use: the session as it stands now, or undefined to end it. */
export type SessionCheck = (s: ConsoleSession) => Promise<ConsoleSession | undefined>;

export class ConsoleSessions {
  constructor(
    private readonly redis: Redis,
    private readonly prefix: string,
    private readonly idleMs = IDLE_MS,
    private readonly check?: SessionCheck,
  ) {}

  private key(id: string): string {
    return `${this.prefix}:console:session:${createHash('sha256').update(id).digest('hex')}`;
  }

  private genKey(serviceId: number): string {
    return `${this.prefix}:console:gen:${serviceId}`;
  }

  private async gen(serviceId: number): Promise<number> {
    return serviceId ? Number((await this.redis.get(this.genKey(serviceId))) ?? 0) : 0;
  }

  /** A new session for the service; the id for the cookie. */
  async open(s: Omit<ConsoleSession, 'csrf' | 'gen'>): Promise<string> {
    const id = randomBytes(32).toString('base64url');
    const body: ConsoleSession = { ...s, csrf: randomBytes(32).toString('base64url'), gen: await this.gen(s.serviceId) };
    await this.redis.set(this.key(id), JSON.stringify(body), 'PX', this.idleMs);
    return id;
  }

  /** The session now stands for `s` (an operator picked another service): same id and token, idle time restarted. */
  async replace(id: string, s: ConsoleSession): Promise<void> {
    const body: ConsoleSession = { ...s, gen: await this.gen(s.serviceId) };
    await this.redis.set(this.key(id), JSON.stringify(body), 'PX', this.idleMs, 'XX');
  }

  /** Ends every session of the service but `keepId`'s (after a password change): they are refused from their next request. */
  async endOthers(serviceId: number, keepId: string): Promise<void> {
    const gen = await this.redis.incr(this.genKey(serviceId));
    const k = this.key(keepId);
    const v = await this.redis.get(k);
    if (v) await this.redis.set(k, JSON.stringify({ ...(JSON.parse(v) as ConsoleSession), gen }), 'PX', this.idleMs, 'XX');
  }

  /** The session behind the cookie's id, its idle time restarted; undefined when unknown or expired. */
  async use(id: string | undefined): Promise<ConsoleSession | undefined> {
    if (!id || !/^[A-Za-z0-9_-]{43}$/.test(id)) return undefined;
    const k = this.key(id);
    const v = await this.redis.get(k);
    if (!v) return undefined;
    let s: ConsoleSession | undefined = JSON.parse(v) as ConsoleSession;
    if (s.serviceId && (s.gen ?? 0) !== (await this.gen(s.serviceId))) s = undefined;
    if (s && this.check) s = await this.check(s);
    if (!s) {
      await this.redis.del(k);
      return undefined;
    }
    await this.redis.pexpire(k, this.idleMs);
    return s;
  }

  async close(id: string | undefined): Promise<void> {
    if (id && /^[A-Za-z0-9_-]{43}$/.test(id)) await this.redis.del(this.key(id));
  }
}

/** Whether a posted token is the session's (constant time). */
export function csrfMatches(expected: string, given: unknown): boolean {
  if (typeof given !== 'string') return false;
  const a = Buffer.from(expected);
  const b = Buffer.from(given);
  return a.length === b.length && timingSafeEqual(a, b);
}

/** The value of one cookie from a Cookie header. */
export function cookieValue(header: string | undefined, name: string): string | undefined {
  for (const part of (header ?? '').split(';')) {
    const i = part.indexOf('=');
    if (i > 0 && part.slice(0, i).trim() === name) return part.slice(i + 1).trim();
  }
  return undefined;
}

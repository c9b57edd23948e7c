// The portal session. The browser holds a signed, HttpOnly cookie with a random id only; what the
// session knows (the tasks it has authenticated for, how, and which documents it has opened) lives in
// the database (store/portalsessions.ts), so the cookie stays under 100 bytes whatever the number of tasks
// and documents (a cookie that grew with them stopped updating past 4 KB) and any API instance
// serves it. The session ends 30 minutes after its last page. The CSRF token of its forms is a MAC
// of the id: nothing to store, and only this browser can know it. The id changes at every login, so
// an id planted in a browser before the login is worth nothing after it. The stored data (PIDs, the
// user id as typed, which may be a CPR number) is sealed with AES-256-GCM under a key from SEGL_SECRET,
// bound to its row: a copy of the table reveals nothing. The task URL always works again.
import { createHash, createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { keyFromSecret, open, seal } from '../util/secretbox';
import type { PortalSessionRepository } from '../store/portalsessions';

export const SESSION_COOKIE = 'segl_portal';
import type { StoredInk } from './ink';

export const SESSION_TTL_MS = 30 * 60_000;
/** Tasks one session remembers (the oldest login goes first): bounds a row whatever a browser does. */
export const SESSION_MAX_TASKS = 20;

export interface TaskLogin {
  method: string;
  pid?: string;
  /** the user id as the person typed it at login (shown again at signing) */
  userId?: string;
  /** an employee's eID: the organisation, its CVR number (shown on the task page) and the employee's RID */
  employee?: { organisation: string; cvr: string; rid: string };
  at: number;
  /** documents really delivered to the signer in this session (the wizard's progress; "Start over" clears it) */
  viewed?: string[];
  /** logged in, but a step is still missing (the CPR check) */
  pending?: 'cpr';
  /** the drawing of a handwritten signature, checked, until the eID's last step signs it (InkSign: src/portal/ink.ts) */
  ink?: StoredInk;
}
export interface PortalSession {
  id: string;
  csrf: string;
  tasks: Record<string, TaskLogin>;
}

export const taskKey = (requestId: string, taskId: string) => `${requestId}/${taskId}`;

const ID = /^[A-Za-z0-9_-]{32}$/;
const iso = (ms: number) => new Date(ms).toISOString();

/** What a session was when read, to write only what changed. */
interface Loaded {
  stored?: string;
  fromCookie: boolean;
  replaces?: string;
}

export class PortalSessions {
  private readonly key: Buffer;
  private readonly dataKey: Buffer;
  private readonly loaded = new WeakMap<PortalSession, Loaded>();
  constructor(
    private readonly repo: PortalSessionRepository,
    secret: string,
    private readonly secure: boolean,
  ) {
    this.key = createHmac('sha256', secret).update('segl portal session v2').digest();
    this.dataKey = keyFromSecret(secret, 'segl portal session data v1');
  }

  /** The stored form of a session's JSON (sealed, bound to its row) and back; undefined: not ours. */
  private seal(idHash: string, data: string): string {
    return seal(this.dataKey, data, idHash);
  }
  private open(idHash: string, stored: string): string | undefined {
    return open(this.dataKey, stored, idHash);
  }

  private mac(label: string, id: string): string {
    return createHmac('sha256', this.key).update(`${label}\0${id}`).digest('base64url');
  }

  private static hash(id: string): string {
    return createHash('sha256').update(id).digest('hex');
  }

  private make(id: string, tasks: Record<string, TaskLogin>, l: Loaded): PortalSession {
    const s = { id, csrf: this.mac('csrf', id), tasks };
    this.loaded.set(s, l);
    return s;
  }

  /** The session of the Cookie header if it is ours and intact (its tasks only while not expired), else a new one. */
  async load(cookieHeader: string | undefined, now: number): Promise<PortalSession> {
    const raw = (cookieHeader ?? '')
      .split(';')
      .map((c) => c.trim())
      .find((c) => c.startsWith(`${SESSION_COOKIE}=`))
      ?.slice(SESSION_COOKIE.length + 1);
    const [id, sig] = (raw ?? '').split('.');
    if (!id || !sig || !ID.test(id)) return this.fresh();
    const want = Buffer.from(this.mac('id', id));
    const got = Buffer.from(sig);
    if (want.length !== got.length || !timingSafeEqual(want, got)) return this.fresh();
    const row = await this.repo.get(PortalSessions.hash(id), iso(now));
    const stored = row === undefined ? undefined : this.open(PortalSessions.hash(id), row);
    if (stored === undefined)
      return this.make(id, {}, { fromCookie: true, ...(row === undefined ? {} : { replaces: PortalSessions.hash(id) }) });
    return this.make(id, parseTasks(stored), { stored, fromCookie: true });
  }

  fresh(): PortalSession {
    return this.make(randomBytes(24).toString('base64url'), {}, { fromCookie: false });
  }

  /** A new id (and CSRF token) for the same session: call it when someone logs in. */
  rotate(s: PortalSession): void {
    const l = this.loaded.get(s) ?? { fromCookie: false };
    const replaces = l.replaces ?? (l.stored !== undefined ? PortalSessions.hash(s.id) : undefined);
    s.id = randomBytes(24).toString('base64url');
    s.csrf = this.mac('csrf', s.id);
    this.loaded.set(s, { fromCookie: false, replaces });
  }

  /**
   * Stores what changed (or only renews the expiry) and returns the Set-Cookie value. `crossSite`: the
   * page may be framed by another site over https (portal/embed.ts), so the cookie is SameSite=None; Secure; Partitioned.
   */
  async save(s: PortalSession, now: number, crossSite = false): Promise<string> {
    const l = this.loaded.get(s) ?? { fromCookie: false };
    bound(s);
    const data = JSON.stringify(s.tasks);
    const exp = iso(now + SESSION_TTL_MS);
    const empty = Object.keys(s.tasks).length === 0;
    if (l.replaces || (data !== l.stored && !(empty && l.stored === undefined))) {
      await this.repo.put(PortalSessions.hash(s.id), this.seal(PortalSessions.hash(s.id), data), exp, iso(now), l.replaces);
      this.loaded.set(s, { stored: data, fromCookie: l.fromCookie });
    } else if (l.stored !== undefined) {
      await this.repo.touch(PortalSessions.hash(s.id), exp, iso(now));
    }
    const site = crossSite ? 'SameSite=None; Secure; Partitioned' : `SameSite=Lax${this.secure ? '; Secure' : ''}`;
    return `${SESSION_COOKIE}=${s.id}.${this.mac('id', s.id)}; Path=/std/; HttpOnly; ${site}; Max-Age=${SESSION_TTL_MS / 1000}`;
  }

  /**
   * Records that a document was delivered to the signer of `key`, in the stored session itself (a
   * concurrent page of the same browser keeps its own change). Only for sessions the browser holds
   * (a request without the cookie could never show the progress).
   */
  async markViewed(s: PortalSession, key: string, documentId: string, now: number, fallbackLogin: TaskLogin): Promise<void> {
    const l = this.loaded.get(s) ?? { fromCookie: false };
    const add = (tasks: Record<string, TaskLogin>) => {
      const login = tasks[key] ?? { ...fallbackLogin };
      login.viewed = [...new Set([...(login.viewed ?? []), documentId])];
      tasks[key] = login;
      return tasks;
    };
    if (l.stored !== undefined && !l.replaces) {
      const idHash = PortalSessions.hash(s.id);
      let data: string | undefined;
      const written = await this.repo.update(idHash, iso(now), iso(now + SESSION_TTL_MS), (sealed) => {
        data = JSON.stringify(add(parseTasks(this.open(idHash, sealed) ?? '{}')));
        return this.seal(idHash, data);
      });
      if (written !== undefined && data !== undefined) {
        s.tasks = parseTasks(data);
        this.loaded.set(s, { ...l, stored: data });
        return;
      }
    }
    add(s.tasks);
    if (l.fromCookie || l.replaces) await this.save(s, now);
  }
}

/** The stored tasks, or none if the row is not what this code writes. */
function parseTasks(data: string): Record<string, TaskLogin> {
  try {
    const v = JSON.parse(data) as unknown;
    return v && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, TaskLogin>) : {};
  } catch {
    return {};
  }
}

/** Keeps the newest SESSION_MAX_TASKS logins. */
function bound(s: PortalSession): void {
  const keys = Object.keys(s.tasks);
  if (keys.length <= SESSION_MAX_TASKS) return;
  for (const k of keys.sort((a, b) => s.tasks[a]!.at - s.tasks[b]!.at).slice(0, keys.length - SESSION_MAX_TASKS)) delete s.tasks[k];
}

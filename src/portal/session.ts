// The portal session: a signed, HttpOnly cookie (no server-side state, so any API instance serves
// it) naming the tasks this browser has authenticated for, how, and until when (30 minutes, renewed
// on use). A CSRF token rides in it for forms. The task URL itself always works again.
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

export const SESSION_COOKIE = 'segl_portal';
export const SESSION_TTL_MS = 30 * 60_000;

export interface TaskLogin {
  method: string;
  pid?: string;
  at: number;
  /** documents opened in this session (the wizard's progress; "Start over" clears it) */
  viewed?: string[];
  /** logged in, but a step is still missing (the CPR check) */
  pending?: 'cpr';
}
export interface PortalSession { csrf: string; exp: number; tasks: Record<string, TaskLogin> }

export const taskKey = (requestId: string, taskId: string) => `${requestId}/${taskId}`;

export class SessionCodec {
  private readonly key: Buffer;
  constructor(secret: string, private readonly secure: boolean) {
    this.key = createHmac('sha256', secret).update('segl portal session v1').digest();
  }

  private mac(body: string): string {
    return createHmac('sha256', this.key).update(body).digest('base64url');
  }

  /** The session in the Cookie header, if it is ours, intact and not expired. */
  read(cookieHeader: string | undefined, now: number): PortalSession | undefined {
    const raw = (cookieHeader ?? '').split(';').map((c) => c.trim()).find((c) => c.startsWith(`${SESSION_COOKIE}=`))?.slice(SESSION_COOKIE.length + 1);
    if (!raw) return undefined;
    const [body, sig] = raw.split('.');
    if (!body || !sig) return undefined;
    const want = Buffer.from(this.mac(body));
    const got = Buffer.from(sig);
    if (want.length !== got.length || !timingSafeEqual(want, got)) return undefined;
    try {
      const s = JSON.parse(Buffer.from(body, 'base64url').toString('utf8')) as PortalSession;
      return typeof s.exp === 'number' && s.exp > now && typeof s.csrf === 'string' && s.tasks && typeof s.tasks === 'object' ? s : undefined;
    } catch {
      return undefined;
    }
  }

  fresh(now: number): PortalSession {
    return { csrf: randomBytes(18).toString('base64url'), exp: now + SESSION_TTL_MS, tasks: {} };
  }

  /** The Set-Cookie value for the session, its lifetime renewed. */
  write(s: PortalSession, now: number): string {
    s.exp = now + SESSION_TTL_MS;
    const body = Buffer.from(JSON.stringify(s)).toString('base64url');
    return `${SESSION_COOKIE}=${body}.${this.mac(body)}; Path=/std/; HttpOnly; SameSite=Lax; Max-Age=${SESSION_TTL_MS / 1000}${this.secure ? '; Secure' : ''}`;
  }
}

// CSRF for the test-user tool: a signed double-submit token. The browser gets a random nonce in an
// HttpOnly, SameSite=Lax cookie limited to /testid/ (Secure in production); every form carries
// HMAC-SHA256(key, nonce) with a key derived from SEGL_SECRET. A POST is accepted only when its
// token is the MAC of the cookie it came with, so another site can neither read the token nor mint
// one for a cookie it planted (it lacks the secret). No server-side state: any instance answers.
import { createHmac, randomBytes } from 'node:crypto';
import type express from 'express';
import { equalSecret } from '../../../util/bytes';
import { TESTID_BASE } from './shell';

export const CSRF_COOKIE = 'segl_testid';

/** The signed double-submit CSRF token (see the file's head). */
export class Csrf {
  private readonly key: Buffer;
  constructor(
    secret: string,
    private readonly secure: boolean,
  ) {
    this.key = createHmac('sha256', secret).update('segl testid csrf v1').digest();
  }

  /** The nonce in the request's cookie, if it has the right shape. */
  nonce(req: express.Request): string | undefined {
    const raw = (req.headers.cookie ?? '')
      .split(';')
      .map((c) => c.trim())
      .find((c) => c.startsWith(`${CSRF_COOKIE}=`));
    const v = raw?.slice(CSRF_COOKIE.length + 1);
    return v && /^[A-Za-z0-9_-]{24}$/.test(v) ? v : undefined;
  }

  fresh(): string {
    return randomBytes(18).toString('base64url');
  }

  token(nonce: string): string {
    return createHmac('sha256', this.key).update(nonce).digest('base64url');
  }

  cookie(nonce: string): string {
    return `${CSRF_COOKIE}=${nonce}; Path=${TESTID_BASE}/; HttpOnly; SameSite=Lax${this.secure ? '; Secure' : ''}`;
  }

  /** Whether the form's token is the MAC of the request's cookie. */
  valid(req: express.Request, token: unknown): boolean {
    const nonce = this.nonce(req);
    if (!nonce || typeof token !== 'string') return false;
    const want = Buffer.from(this.token(nonce));
    const got = Buffer.from(token);
    return equalSecret(want, got);
  }
}

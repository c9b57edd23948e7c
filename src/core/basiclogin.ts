// An HTTP Basic login as a service (RFC 7617), throttled the way every service login is: the one
// check behind the SDS routes and the event feed. The user must be the service the URL names; the
// answer is the account or the HTTP status, message and headers to refuse with.
import { pause, type LoginThrottle } from './ratelimit';
import type { ServiceAccount } from './ports';
import { parseBasicAuth } from '../util/basicauth';

export type BasicLogin =
  { ok: true; service: ServiceAccount } | { ok: false; status: 401 | 429; message: string; headers: Record<string, string> };

export const BASIC_CHALLENGE = { 'WWW-Authenticate': 'Basic realm="segl", charset="UTF-8"' };

export async function basicLogin(
  authorization: string | undefined,
  service: string,
  source: string,
  limiter: LoginThrottle,
  authenticate: (name: string, password: string) => Promise<ServiceAccount | null>,
): Promise<BasicLogin> {
  const creds = parseBasicAuth(authorization);
  if (!creds?.colon)
    return {
      ok: false,
      status: 401,
      message: 'HTTP Basic authentication with the service name and password is required',
      headers: BASIC_CHALLENGE,
    };
  // Throttled per (address, account) and per address; a right password is slowed, never refused for others' failures.
  const attempt = limiter.admit(source, creds.user);
  if (!attempt.ok) {
    const s = Math.ceil(attempt.retryAfterMs / 1000);
    return {
      ok: false,
      status: 429,
      message: `too many failed logins from ${source}; try again in ${s} s`,
      headers: { 'Retry-After': String(s) },
    };
  }
  let svc: ServiceAccount | null;
  try {
    await pause(attempt.waitMs);
    svc = creds.user === service ? await authenticate(creds.user, creds.password) : null;
  } catch (e) {
    attempt.cancel();
    throw e;
  }
  if (!svc) {
    attempt.fail();
    return {
      ok: false,
      status: 401,
      message: `service or password is wrong (the user must be the service in the path, "${service}")`,
      headers: BASIC_CHALLENGE,
    };
  }
  attempt.succeed();
  return { ok: true, service: svc };
}

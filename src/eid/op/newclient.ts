// A new client of segl's OpenID provider, as `segl oidc client add` and the console's settings make one:
// the redirect URIs checked (RFC 6749 §3.1.2: absolute, no fragment; https, or http on a loopback host as
// RFC 8252 §7.3 allows), a client id from the service's name, and a secret unless the client is public.
import { randomBytes } from 'node:crypto';
import type { OpClient } from '../../store/oidcop';

const LOOPBACK = new Set(['127.0.0.1', '[::1]', 'localhost']);

/** A redirect URI as registered, or why it cannot be. */
export function redirectUriProblem(uri: string): string | undefined {
  let u: URL;
  try {
    u = new URL(uri);
  } catch {
    return `--redirect-uri ${uri}: not an absolute URL`;
  }
  if (u.hash || uri.includes('#')) return `--redirect-uri ${uri}: must not have a fragment (RFC 6749 §3.1.2)`;
  if (u.username || u.password) return `--redirect-uri ${uri}: must not carry a user or password`;
  if (u.protocol === 'https:') return undefined;
  if (u.protocol === 'http:' && LOOPBACK.has(u.hostname)) return undefined;
  return `--redirect-uri ${uri}: must be https (http only on a loopback host)`;
}

export type NewClient = Omit<OpClient, 'serviceName' | 'serviceId'>;

/** The client to store, or an Error naming what is wrong (nothing is stored then). */
export function newOpClient(
  service: string,
  o: { redirectUris: string[]; public?: boolean; tokenAuth: string; name?: string },
  now = new Date(),
): NewClient {
  if (!o.redirectUris.length) throw new Error('at least one --redirect-uri is needed');
  const problem = o.redirectUris.map(redirectUriProblem).find(Boolean);
  if (problem) throw new Error(problem);
  if (o.tokenAuth !== 'client_secret_basic' && o.tokenAuth !== 'client_secret_post')
    throw new Error(`--token-auth must be client_secret_basic or client_secret_post, not ${JSON.stringify(o.tokenAuth)}`);
  return {
    clientId: `${service
      .toLowerCase()
      .replace(/[^a-z0-9]+/g, '-')
      .slice(0, 32)}-${randomBytes(9).toString('base64url')}`,
    name: (o.name ?? '').trim().slice(0, 200) || service,
    redirectUris: [...new Set(o.redirectUris)],
    public: !!o.public,
    tokenAuth: o.tokenAuth,
    ...(o.public ? {} : { secret: randomBytes(32).toString('base64url') }),
    createdAt: now.toISOString(),
  };
}

// `segl oidc client add | list | remove`: the clients of segl's OpenID provider (src/eid/op), each
// belonging to one service. `add` prints the client id and, once, the secret (sealed at rest; never
// shown again). Redirect URIs are checked here (RFC 6749 §3.1.2: absolute, no fragment; https, or
// http on a loopback host as RFC 8252 §7.3 allows) and matched exactly by the provider.
import { randomBytes } from 'node:crypto';
import type { Command } from 'commander';
import type { WithServices } from '../../ops/packagingcli';
import { OidcOpRepository, type OpClient } from '../../store/oidcop';

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

const line = (c: OpClient) => [c.clientId, c.name, c.public ? 'public' : c.tokenAuth, c.redirectUris.join(' '), c.createdAt].join('\t');

const collect = (v: string, prev: string[]) => [...prev, v];

/** `segl oidc client …` */
export function opCommands(program: Command, withServices: WithServices, secret: () => string): void {
  const client = program
    .command('oidc')
    .description("segl's OpenID provider for integrators (docs/authentication.md)")
    .command('client')
    .description("a service's OpenID Connect clients");
  const withRepo = <T>(service: string, f: (r: OidcOpRepository, serviceId: number) => Promise<T>) =>
    withServices(async (services, db) => {
      const svc = await services.find(service);
      if (!svc) throw new Error(`no service "${service}"`);
      return f(new OidcOpRepository(db, secret()), svc.id);
    });
  client
    .command('add <service>')
    .description('register a client; prints its client_id and (only now) its secret')
    .option('--redirect-uri <url>', 'a redirect URI, matched exactly (repeatable; at least one)', collect, [])
    .option('--public', 'a public client (no secret; PKCE only)')
    .option('--token-auth <method>', 'client_secret_basic (default) or client_secret_post', 'client_secret_basic')
    .option('--name <name>', 'a name shown in lists')
    .action(async (service: string, o: { redirectUri: string[]; public?: boolean; tokenAuth: string; name?: string }) => {
      if (!o.redirectUri.length) throw new Error('at least one --redirect-uri is needed');
      const problem = o.redirectUri.map(redirectUriProblem).find(Boolean);
      if (problem) throw new Error(problem);
      if (o.tokenAuth !== 'client_secret_basic' && o.tokenAuth !== 'client_secret_post')
        throw new Error(`--token-auth must be client_secret_basic or client_secret_post, not ${JSON.stringify(o.tokenAuth)}`);
      const c: Omit<OpClient, 'serviceName' | 'serviceId'> = {
        clientId: `${service
          .toLowerCase()
          .replace(/[^a-z0-9]+/g, '-')
          .slice(0, 32)}-${randomBytes(9).toString('base64url')}`,
        name: o.name ?? service,
        redirectUris: [...new Set(o.redirectUri)],
        public: !!o.public,
        tokenAuth: o.tokenAuth,
        ...(o.public ? {} : { secret: randomBytes(32).toString('base64url') }),
        createdAt: new Date().toISOString(),
      };
      await withRepo(service, (r, serviceId) => r.addClient({ ...c, serviceId }));
      process.stdout.write(`client_id ${c.clientId}\n`);
      if (c.secret) process.stdout.write(`client_secret ${c.secret}\n(the secret is shown only now)\n`);
    });
  client
    .command('list <service>')
    .description("the service's clients: client_id, name, token auth, redirect URIs, created")
    .action(async (service: string) => {
      const rows = await withRepo(service, (r, id) => r.clients(id));
      for (const row of rows) process.stdout.write(`${line(row)}\n`);
    });
  client
    .command('remove <service> <client_id>')
    .description('remove a client (its codes and tokens are refused from now on)')
    .action(async (service: string, clientId: string) => {
      const removed = await withRepo(service, (r, id) => r.removeClient(id, clientId));
      if (!removed) throw new Error(`service "${service}" has no OIDC client "${clientId}"`);
      process.stdout.write(`OIDC client ${clientId} of ${service} removed\n`);
    });
}

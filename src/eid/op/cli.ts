// `segl oidc client add | list | remove`: the clients of segl's OpenID provider (src/eid/op), each
// belonging to one service. `add` prints the client id and, once, the secret (sealed at rest; never
// shown again). Redirect URIs are checked here (RFC 6749 §3.1.2: absolute, no fragment; https, or
// http on a loopback host as RFC 8252 §7.3 allows) and matched exactly by the provider.
import type { Command } from 'commander';
import type { WithServices } from '../../ops/packagingcli';
import { OidcOpRepository, type OpClient } from '../../store/oidcop';
import { newOpClient } from './newclient';

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
      const c = newOpClient(service, { redirectUris: o.redirectUri, public: o.public, tokenAuth: o.tokenAuth, name: o.name });
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

// `segl api-token add | list | revoke`: the service API tokens that read the event feed
// (docs/events.md). A token is printed once, when it is made; only its hash is kept.
import type { Command } from 'commander';
import type { ApiTokenInfo, ApiTokenRepository } from '../store/eventfeed';
import type { WithServices } from './packagingcli';

async function withTokens<T>(withServices: WithServices, f: (r: ApiTokenRepository) => Promise<T>): Promise<T> {
  const { ApiTokenRepository } = await import('../store/eventfeed');
  return withServices((_services, db) => f(new ApiTokenRepository(db)));
}

/** `--expires 90d` or an ISO date: the moment the token stops working. */
export function parseExpiry(v: string, now = new Date()): Date {
  const days = /^(\d{1,4})d$/.exec(v);
  const at = days ? new Date(now.getTime() + Number(days[1]) * 86_400_000) : new Date(v);
  if (Number.isNaN(at.getTime()) || !(days || /^\d{4}-\d{2}-\d{2}/.test(v)))
    throw new Error(`--expires "${v}": give a number of days (90d) or an ISO date (2027-06-30)`);
  return at;
}

function describe(t: ApiTokenInfo, now: string): string {
  const state = t.revokedAt ? `revoked ${t.revokedAt}` : t.expiresAt && t.expiresAt <= now ? `expired ${t.expiresAt}` : 'active';
  return `${t.id}  ${t.service}  ${t.name}  ${state}  created ${t.createdAt}  expires ${t.expiresAt ?? 'never'}  last used ${t.lastUsedAt ?? 'never'}\n`;
}

export function apiTokenCommands(program: Command, withServices: WithServices): void {
  const tokens = program.command('api-token').description("a service's API tokens for the event feed (/api/v1)");
  tokens
    .command('add <service> <name>')
    .description('make a token for the service; it is printed once and cannot be shown again')
    .option('--expires <when>', 'when it stops working: days (90d) or an ISO date; default never')
    .action(async (service: string, name: string, o: { expires?: string }) => {
      const expires = o.expires === undefined ? undefined : parseExpiry(o.expires);
      const made = await withTokens(withServices, (r) => r.create(service, name, expires));
      process.stdout.write(
        `token ${made.id} for ${service} (${name})${expires ? `, expires ${expires.toISOString()}` : ''}:\n${made.token}\n`,
      );
      process.stderr.write('Keep it now: segl keeps only its hash.\n');
    });
  tokens
    .command('list [service]')
    .description('the tokens (never their values), of one service or all')
    .action(async (service?: string) => {
      const all = await withTokens(withServices, (r) => r.list(service));
      const now = new Date().toISOString();
      for (const t of all) process.stdout.write(describe(t, now));
    });
  tokens
    .command('revoke <service> <id>')
    .description('revoke a token: it is refused from the next request on')
    .action(async (service: string, id: string) => {
      if (!(await withTokens(withServices, (r) => r.revoke(service, id))))
        throw new Error(`service "${service}" has no active token ${id}`);
      process.stdout.write(`token ${id} of ${service} revoked\n`);
    });
}

// `segl console-user add | list | remove | role | password | reset-totp`: the console accounts of a
// service (docs/console.md "Accounts"). A password is generated, printed once on stdout and kept only
// as its scrypt hash; nothing here writes it to a log.
import type { Command } from 'commander';
import type { ConsoleAccount, ConsoleAccountRepository } from '../store/consoleaccounts';
import type { WithServices } from './packagingcli';

async function withAccounts<T>(withServices: WithServices, f: (r: ConsoleAccountRepository) => Promise<T>): Promise<T> {
  const { ConsoleAccountRepository } = await import('../store/consoleaccounts');
  return withServices((_services, db) => f(new ConsoleAccountRepository(db)));
}

const line = (a: ConsoleAccount) =>
  `${a.service}\t${a.username}\t${a.role}\t${a.totp ? 'totp' : 'password only'}\tcreated ${a.createdAt}\tlast login ${a.lastLoginAt ?? 'never'}\n`;

const shown = (what: string, password: string) => {
  process.stdout.write(`${what}\npassword: ${password}\n`);
  process.stderr.write('Hand it over now: segl keeps only its hash and cannot show it again.\n');
};

export function consoleUserCommands(program: Command, withServices: WithServices): void {
  const users = program.command('console-user').description("a service's console accounts (roles viewer and manager)");
  users
    .command('add <service> <user>')
    .description('add an account; its generated password is printed once')
    .option('--role <role>', 'viewer (reads) or manager (also acts)', 'viewer')
    .action(async (service: string, user: string, o: { role: string }) => {
      const { account, password } = await withAccounts(withServices, (r) => r.add(service, user, o.role as 'viewer'));
      shown(`console user ${account.username} of ${account.service} added (${account.role})`, password);
    });
  users
    .command('list [service]')
    .description('the accounts (never their passwords), of one service or all')
    .action(async (service?: string) => {
      const all = await withAccounts(withServices, (r) => r.list(service));
      for (const a of all) process.stdout.write(line(a));
      if (!all.length) process.stdout.write('no console users\n');
    });
  users
    .command('remove <service> <user>')
    .description('remove an account; its sessions end at their next request')
    .action(async (service: string, user: string) => {
      await withAccounts(withServices, (r) => r.remove(service, user));
      process.stdout.write(`console user ${user} of ${service} removed\n`);
    });
  users
    .command('role <service> <user> <role>')
    .description("change an account's role (viewer or manager); its sessions follow at their next request")
    .action(async (service: string, user: string, role: string) => {
      await withAccounts(withServices, (r) => r.setRole(service, user, role));
      process.stdout.write(`console user ${user} of ${service} is now ${role}\n`);
    });
  users
    .command('password <service> <user>')
    .description('give an account a new generated password (printed once; the old one stops working)')
    .action(async (service: string, user: string) => {
      const password = await withAccounts(withServices, (r) => r.resetPassword(service, user));
      shown(`new password of console user ${user} of ${service}`, password);
    });
  users
    .command('reset-totp <service> [user]')
    .description("turn off an account's second factor (a lost authenticator); without a user, the service login's")
    .action(async (service: string, user?: string) => {
      await withAccounts(withServices, (r) => r.resetTotp(service, user));
      process.stdout.write(`second factor of ${user ? `console user ${user} of ${service}` : `the service login of ${service}`} is off\n`);
    });
}

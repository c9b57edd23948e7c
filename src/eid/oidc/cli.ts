// `segl eid oidc add | list | remove`: a service's OpenID Connect eID methods (docs/oidc-eid.md).
// The config file is checked in full before anything is stored (config.ts names each bad field);
// the client secret or private key is sealed at rest and never printed.
import { readFileSync } from 'node:fs';
import type { Command } from 'commander';
import type { WithServices } from '../../ops/packagingcli';
import { OidcMethodRepository } from '../../store/oidcmethods';
import { AtRest } from '../../store/atrest';
import { OidcConfigError, parseOidcMethodConfig, type OidcMethodConfig } from './config';
import { splitSecret, toRpMethod } from './methods';

/** Runs `f` with the repository and the id of the named service (which must exist). */
function withMethods<T>(
  withServices: WithServices,
  secret: () => string,
  service: string,
  f: (r: OidcMethodRepository, serviceId: number) => Promise<T>,
) {
  return withServices(async (services, db) => {
    const svc = await services.find(service);
    if (!svc) throw new Error(`no service "${service}"`);
    return f(new OidcMethodRepository(db, new AtRest(secret())), svc.id);
  });
}

/** The config file, checked; `--name` names the method (and must agree with a `name` in the file). */
function readConfig(file: string, name: string | undefined): OidcMethodConfig {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    throw new Error(`--config ${file}: cannot read it (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
  }
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (e) {
    throw new Error(`--config ${file}: not JSON (${(e as Error).message})`);
  }
  if (raw && typeof raw === 'object' && !Array.isArray(raw) && name !== undefined) {
    const inFile = (raw as { name?: unknown }).name;
    if (inFile !== undefined && inFile !== name) throw new Error(`--name ${name} and the config's name "${String(inFile)}" differ`);
    raw = { ...raw, name };
  }
  try {
    return parseOidcMethodConfig(JSON.stringify(raw));
  } catch (e) {
    if (e instanceof OidcConfigError) throw new Error(`--config ${file}: ${e.message}`);
    throw e;
  }
}

const line = (c: OidcMethodConfig) =>
  [c.name, c.issuer, c.clientId, c.clientAuth, c.scope, c.acrValues.join(' ') || '-', c.use.join(',')].join('\t');

/** `segl eid oidc …` */
export function eidCommands(program: Command, withServices: WithServices, secret: () => string): void {
  const oidc = program
    .command('eid')
    .description("a service's eID methods")
    .command('oidc')
    .description("a service's OpenID Connect eID methods (a broker: Signicat, Idura, …)");
  oidc
    .command('add <service>')
    .description('create or replace a method from a JSON config (docs/oidc-eid.md lists its fields)')
    .requiredOption('--config <file>', 'the method config, JSON')
    .option('--name <name>', "the method's name as tasks use it (else the config's `name`)")
    .action(async (service: string, o: { config: string; name?: string }) => {
      const c = readConfig(o.config, o.name);
      const { config, secret: sealedPart } = splitSecret(c);
      await withMethods(withServices, secret, service, (r, id) => r.put(id, c.name, config, sealedPart, new Date().toISOString()));
      process.stdout.write(`OIDC eID method ${c.name} of ${service} saved\n${line(c)}\n`);
    });
  oidc
    .command('list <service>')
    .description("the service's OIDC eID methods: name, issuer, client id, client auth, scope, acr_values, use")
    .action(async (service: string) => {
      const rows = await withMethods(withServices, secret, service, (r, id) => r.list(id));
      for (const row of rows) process.stdout.write(`${line(toRpMethod(row).config)}\n`);
    });
  oidc
    .command('remove <service> <name>')
    .description('remove a method (tasks that name it are refused by createRequest from now on)')
    .action(async (service: string, name: string) => {
      const removed = await withMethods(withServices, secret, service, (r, id) => r.remove(id, name));
      if (!removed) throw new Error(`service "${service}" has no OIDC eID method "${name}"`);
      process.stdout.write(`OIDC eID method ${name} of ${service} removed\n`);
    });
}

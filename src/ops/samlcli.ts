// `segl saml sp add | list | remove`: the SAML 2.0 service providers a service's logins answer to
// (docs/authentication.md). The metadata is read and checked before anything is written.
import { readFileSync } from 'node:fs';
import type { Command } from 'commander';
import { MAX_METADATA_BYTES, MetadataError, parseSpMetadata } from '../trust/saml2/metadata';
import type { SamlSp, SamlSpRepository } from '../store/samlsps';
import { withServiceId, type WithServices } from './packagingcli';

async function withSps<T>(
  withServices: WithServices,
  service: string,
  f: (r: SamlSpRepository, serviceId: number) => Promise<T>,
): Promise<T> {
  const { SamlSpRepository } = await import('../store/samlsps');
  return withServiceId(withServices, service, (db, id) => f(new SamlSpRepository(db), id));
}

function readMetadata(file: string): string {
  let bytes: Buffer;
  try {
    bytes = readFileSync(file);
  } catch (e) {
    throw new Error(`${file}: cannot read it (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
  }
  if (bytes.length > MAX_METADATA_BYTES) throw new Error(`${file}: larger than ${MAX_METADATA_BYTES} bytes`);
  return bytes.toString('utf8');
}

function describe(sp: SamlSp): string {
  const acs = sp.acs.map((a) => `  ACS ${a.index}${a.isDefault ? ' (default)' : ''}: ${a.url}\n`).join('');
  return (
    `${sp.entityId}\n  service: ${sp.service}\n${acs}  signing certificates: ${sp.certificates.length}\n` +
    `  AuthnRequestsSigned: ${sp.authnRequestsSigned}\n  WantAssertionsSigned: ${sp.wantAssertionsSigned}\n`
  );
}

/** `segl saml sp …`. */
export function samlCommands(program: Command, withServices: WithServices): void {
  const sp = program
    .command('saml')
    .description('segl as a SAML 2.0 identity provider')
    .command('sp')
    .description("a service's SAML 2.0 service providers");
  sp.command('add <service> <metadata>')
    .description('register a service provider from its metadata file (md:EntityDescriptor with an md:SPSSODescriptor)')
    .action(async (service: string, file: string) => {
      const xml = readMetadata(file);
      let meta;
      try {
        meta = parseSpMetadata(xml);
      } catch (e) {
        throw e instanceof MetadataError ? new Error(`${file}: ${e.message}`) : e;
      }
      const added = await withSps(withServices, service, (r, id) => r.add(id, meta, xml, new Date().toISOString()));
      process.stdout.write(`service provider registered\n${describe(added)}`);
    });
  sp.command('list <service>')
    .description("the service's service providers")
    .action(async (service: string) => {
      const all = await withSps(withServices, service, (r, id) => r.list(id));
      for (const s of all) process.stdout.write(describe(s));
    });
  sp.command('remove <service> <entityId>')
    .description('remove a service provider (its requests are refused from then on)')
    .action(async (service: string, entityId: string) => {
      const removed = await withSps(withServices, service, (r, id) => r.remove(id, entityId));
      if (!removed) throw new Error(`service "${service}" has no service provider ${entityId}`);
      process.stdout.write(`service provider ${entityId} of ${service} removed\n`);
    });
}

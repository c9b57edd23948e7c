// `segl packaging set | list | show | remove`: a service's packaging methods (docs/packaging-methods.md).
// Kept apart from main.ts (its length limit); main.ts hands in how it opens the database.
import { readFileSync, writeFileSync } from 'node:fs';
import type { Command } from 'commander';
import type { DataSource } from 'typeorm';
import { PACKAGE_LANGUAGES } from '../core/packagingmethod';
import type { ServiceRepository } from '../store/services';
import type { PackagingMethodInfo, PackagingMethodRepository } from '../store/packagingmethods';

/** main.ts's withServices: the configured database, closed after `f`. */
export type WithServices = <T>(f: (s: ServiceRepository, db: DataSource) => Promise<T>) => Promise<T>;

interface SetOptions {
  template?: string;
  language?: string;
  mask: boolean;
  pdfa: boolean;
  description?: string;
}

/** Runs `f` with the database and the id of the named service (which must exist). */
export function withServiceId<T>(
  withServices: WithServices,
  service: string,
  f: (db: DataSource, serviceId: number) => Promise<T>,
): Promise<T> {
  return withServices(async (services, db) => {
    const svc = await services.find(service);
    if (!svc) throw new Error(`no service "${service}"`);
    return f(db, svc.id);
  });
}

/** Runs `f` with the repository and the id of the named service (which must exist). */
async function withMethods<T>(
  withServices: WithServices,
  service: string,
  f: (r: PackagingMethodRepository, serviceId: number) => Promise<T>,
): Promise<T> {
  const { PackagingMethodRepository } = await import('../store/packagingmethods');
  return withServiceId(withServices, service, (db, id) => f(new PackagingMethodRepository(db), id));
}

function readTemplate(file: string): Uint8Array {
  try {
    return new Uint8Array(readFileSync(file));
  } catch (e) {
    throw new Error(`--template ${file}: cannot read it (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
  }
}

/** One line per method: name, language, masking, PDF/A, cover, description. */
function line(m: PackagingMethodInfo): string {
  return [
    m.name,
    m.language,
    m.maskNationalId ? 'masked' : 'unmasked',
    m.pdfa ? 'pdfa' : 'no-pdfa',
    m.template ? `template ${m.template.size} bytes` : 'built-in cover',
    m.description ?? '',
  ].join('\t');
}

function details(service: string, m: PackagingMethodInfo): string {
  const rows: Array<[string, string]> = [
    ['method', `${m.name}${m.builtIn ? ' (built in)' : ''}`],
    ['service', service],
    ['language', m.language],
    ['national id', m.maskNationalId ? 'masked' : 'shown in full'],
    ['PDF/A-3b', m.pdfa ? 'yes' : 'no'],
    ['cover', m.template ? `template, ${m.template.size} bytes, SHA-256 ${m.template.sha256}` : 'built in'],
    ['description', m.description ?? ''],
    ...(m.updatedAt ? ([['updated', m.updatedAt]] as Array<[string, string]>) : []),
  ];
  return rows.map(([k, v]) => `${`${k}:`.padEnd(13)}${v}\n`).join('');
}

/** `segl packaging …`: create or replace, list, show and remove a service's packaging methods. */
export function packagingCommands(program: Command, withServices: WithServices): void {
  const packaging = program
    .command('packaging')
    .description("a service's packaging methods: the PAdES package's language, masking, PDF/A and cover template");
  packaging
    .command('set <service> <name>')
    .description('create or replace a method; what is not given is as in the built-in `pades` (en, masked, no PDF/A, built-in cover)')
    .option('--template <file>', 'a template PDF: AcroForm text fields named after package fields, one of them seal.box')
    .option('--language <lang>', `the cover's language: ${PACKAGE_LANGUAGES.join(', ')}`)
    .option('--no-mask', 'show national id numbers in full')
    .option('--pdfa', 'make the package PDF/A-3b', false)
    .option('--description <text>', 'what the method is for')
    .action(async (service: string, name: string, o: SetOptions) => {
      const template = o.template !== undefined ? readTemplate(o.template) : undefined;
      const input = { language: o.language, maskNationalId: o.mask, pdfa: o.pdfa, description: o.description, template };
      const m = await withMethods(withServices, service, (r, id) => r.set(id, name, input, new Date().toISOString()));
      process.stdout.write(`packaging method ${name} of ${service} saved\n${details(service, m)}`);
    });
  packaging
    .command('list <service>')
    .description("the service's packaging methods (`pades` is built in)")
    .action(async (service: string) => {
      const all = await withMethods(withServices, service, (r, id) => r.list(id));
      for (const m of all) process.stdout.write(`${line(m)}\n`);
    });
  packagingShowRemove(packaging, withServices);
}

/** `segl packaging show | remove`. */
function packagingShowRemove(packaging: Command, withServices: WithServices): void {
  packaging
    .command('show <service> <name>')
    .description('one packaging method; --template-out writes its template PDF')
    .option('--template-out <file>', 'write the template PDF to this file')
    .action(async (service: string, name: string, o: { templateOut?: string }) => {
      const { m, template } = await withMethods(withServices, service, async (r, id) => {
        const m = await r.get(id, name);
        if (!m) throw new Error(`service "${service}" has no packaging method "${name}"`);
        return { m, template: o.templateOut !== undefined ? await r.template(id, name) : undefined };
      });
      if (o.templateOut !== undefined) {
        if (!template) throw new Error(`packaging method "${name}" has no template (it uses the built-in cover)`);
        writeFileSync(o.templateOut, template);
      }
      process.stdout.write(details(service, m) + (o.templateOut !== undefined ? `template written to ${o.templateOut}\n` : ''));
    });
  packaging
    .command('remove <service> <name>')
    .description('remove a packaging method (`pades` cannot be removed)')
    .action(async (service: string, name: string) => {
      const removed = await withMethods(withServices, service, (r, id) => r.remove(id, name));
      if (!removed) throw new Error(`service "${service}" has no packaging method "${name}"`);
      process.stdout.write(`packaging method ${name} of ${service} removed\n`);
    });
}

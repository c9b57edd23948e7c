// `segl notify-text set | list | show | remove`: a service's notification texts (docs/notification-texts.md).
// Kept apart from main.ts (its length limit); main.ts hands in how it opens the database.
import { readFileSync } from 'node:fs';
import type { Command } from 'commander';
import {
  isTextLanguage,
  NotifyTextError,
  PLACEHOLDER_LIST,
  previewTemplate,
  TEXT_LANGUAGES,
  type NotifyTemplate,
  type TextChannel,
  type TextLanguage,
} from '../core/notifytexts';
import type { NotifyTextRepository } from '../store/notifytexts';
import { withServiceId, type WithServices } from './packagingcli';

interface SetOptions {
  channel: string;
  defaultLanguage: string;
  description?: string;
  subject: string[];
  body: string[];
  bodyFile: string[];
}

const collect = (v: string, all: string[]) => [...all, v];

/** `da=Text` → ['da', 'Text']; the option's name in the error. */
function split(option: string, v: string): [TextLanguage, string] {
  const i = v.indexOf('=');
  const lang = i < 0 ? '' : v.slice(0, i);
  if (!isTextLanguage(lang))
    throw new NotifyTextError(`${option} ${v.slice(0, 40)}: give <language>=<text>, the language one of ${TEXT_LANGUAGES.join(', ')}`);
  return [lang, v.slice(i + 1)];
}

function readBody(v: string): string {
  try {
    return readFileSync(v, 'utf8').replace(/\r\n/g, '\n').replace(/\n$/, '');
  } catch (e) {
    throw new NotifyTextError(`--body-file ${v}: cannot read it (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
  }
}

/** The template the options describe (checked by the repository before it is stored). */
function templateOf(name: string, o: SetOptions): NotifyTemplate {
  const channel = o.channel.toUpperCase();
  if (channel !== 'EMAIL' && channel !== 'SMS') throw new NotifyTextError(`--channel ${o.channel}: must be EMAIL or SMS`);
  const texts: NotifyTemplate['texts'] = {};
  const bodies = [
    ...o.body.map((v) => split('--body', v)),
    ...o.bodyFile.map((v) => split('--body-file', v)).map(([l, f]) => [l, readBody(f)] as const),
  ];
  for (const [lang, body] of bodies) texts[lang] = { ...texts[lang], body };
  for (const v of o.subject) {
    const [lang, subject] = split('--subject', v);
    texts[lang] = { body: texts[lang]?.body ?? '', subject };
  }
  return {
    name,
    channel: channel as TextChannel,
    defaultLanguage: o.defaultLanguage as TextLanguage,
    texts,
    ...(o.description ? { description: o.description } : {}),
  };
}

function details(service: string, t: NotifyTemplate): string {
  const head: Array<[string, string]> = [
    ['text', t.name],
    ['service', service],
    ['channel', t.channel],
    ['default', t.defaultLanguage],
    ['description', t.description ?? ''],
    ...(t.updatedAt ? ([['updated', t.updatedAt]] as Array<[string, string]>) : []),
  ];
  const texts = TEXT_LANGUAGES.flatMap((l) => {
    const x = t.texts[l];
    return x ? [`[${l}]\n${x.subject !== undefined ? `subject: ${x.subject}\n` : ''}${x.body}\n`] : [];
  });
  return head.map(([k, v]) => `${`${k}:`.padEnd(13)}${v}\n`).join('') + texts.join('');
}

async function withTexts<T>(
  withServices: WithServices,
  service: string,
  f: (r: NotifyTextRepository, id: number) => Promise<T>,
): Promise<T> {
  const { NotifyTextRepository } = await import('../store/notifytexts');
  return withServiceId(withServices, service, (db, id) => f(new NotifyTextRepository(db), id));
}

/** `segl notify-text …`: create or replace, list, show (with a preview) and remove a service's notification texts. */
export function notifyTextCommands(program: Command, withServices: WithServices, publicUrl: () => string): void {
  const cmd = program
    .command('notify-text')
    .description("a service's notification texts: EMAIL/SMS templates per language that a notification names by the message template:NAME");
  cmd
    .command('set <service> <name>')
    .description(`create or replace a text; placeholders: ${PLACEHOLDER_LIST}`)
    .requiredOption('--channel <channel>', 'EMAIL (subject and body) or SMS (body)')
    .option('--default-language <lang>', `used when the task's and request's languages have no text: ${TEXT_LANGUAGES.join(', ')}`, 'en')
    .option('--subject <lang=text>', 'an e-mail subject in one language (repeat per language)', collect, [])
    .option('--body <lang=text>', 'the body in one language (repeat per language)', collect, [])
    .option('--body-file <lang=file>', 'the body in one language, read from a UTF-8 file', collect, [])
    .option('--description <text>', 'what the text is for')
    .action(async (service: string, name: string, o: SetOptions) => {
      const t = templateOf(name, o);
      const saved = await withTexts(withServices, service, (r, id) => r.set(id, t, new Date().toISOString()));
      process.stdout.write(`notification text ${name} of ${service} saved\n${details(service, saved)}`);
    });
  cmd
    .command('list <service>')
    .description("the service's notification texts: name, channel, default language, languages")
    .action(async (service: string) => {
      const all = await withTexts(withServices, service, (r, id) => r.list(id));
      for (const t of all)
        process.stdout.write(`${[t.name, t.channel, t.defaultLanguage, Object.keys(t.texts).join(','), t.description ?? ''].join('\t')}\n`);
    });
  cmd
    .command('show <service> <name>')
    .description('one notification text; --preview fills in sample values in each language')
    .option('--preview', 'show each language with sample values filled in', false)
    .action(async (service: string, name: string, o: { preview: boolean }) => {
      const t = await withTexts(withServices, service, (r, id) => r.template(id, name));
      if (!t) throw new Error(`service "${service}" has no notification text "${name}"`);
      process.stdout.write(details(service, t));
      if (!o.preview) return;
      process.stdout.write('preview (sample values):\n');
      for (const p of previewTemplate(t, service, publicUrl()))
        process.stdout.write(`[${p.language}]\n${p.subject !== undefined ? `subject: ${p.subject}\n` : ''}${p.body}\n`);
    });
  cmd
    .command('remove <service> <name>')
    .description('remove a notification text (requests that name it dead-letter those notifications at send time)')
    .action(async (service: string, name: string) => {
      const removed = await withTexts(withServices, service, (r, id) => r.remove(id, name));
      if (!removed) throw new Error(`service "${service}" has no notification text "${name}"`);
      process.stdout.write(`notification text ${name} of ${service} removed\n`);
    });
}

// Notification texts per service (issue 16 part 5, docs/notification-texts.md): named templates for the
// EMAIL (subject + body) and SMS (body) channels with one text per language. A notification selects one
// by a message that is exactly `template:NAME`; the worker fills it in at send time in the task's (else
// the request's) language, falling back to the template's default language, then English. Pure: the
// rules, the choice of language and the filling in; store/notifytexts.ts keeps them.
import { ValidationError, type Violation } from './errors';
import type { Notification, SigningRequest } from './types';

export const TEXT_LANGUAGES = ['en', 'da', 'nb', 'sv', 'fi'] as const;
export type TextLanguage = (typeof TEXT_LANGUAGES)[number];
export type TextChannel = 'EMAIL' | 'SMS';
export const TEXT_CHANNELS: readonly TextChannel[] = ['EMAIL', 'SMS'];

/** The placeholders a template may use: the three of message texts today, the language chosen and the service's name. */
export const TEXT_PLACEHOLDERS = ['taskUrl', 'requestId', 'taskId', 'language', 'service'] as const;
export type TextPlaceholder = (typeof TEXT_PLACEHOLDERS)[number];

export const TEXT_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;
export const TEXT_LIMITS = {
  subject: 200,
  emailBody: 10_000,
  /** four concatenated GSM-7 parts (4 × 153); placeholders count as written, ${taskUrl} adds about 100 */
  smsBody: 612,
  description: 200,
} as const;

export interface NotifyText {
  /** EMAIL only */
  subject?: string;
  body: string;
}

export interface NotifyTemplate {
  name: string;
  channel: TextChannel;
  /** the language used when the task's and request's languages have no text here */
  defaultLanguage: TextLanguage;
  texts: Partial<Record<TextLanguage, NotifyText>>;
  description?: string;
  updatedAt?: string;
}

/** A rule a template breaks (the CLI and console show the message). */
export class NotifyTextError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'NotifyTextError';
  }
}

export const isTextLanguage = (s: string): s is TextLanguage => (TEXT_LANGUAGES as readonly string[]).includes(s);

const ALIASES: Record<string, TextLanguage> = { no: 'nb', nn: 'nb' };
/** `da`, `DA`, `da-DK`, `no` → a language of the library; anything else → undefined. */
export function textLanguage(tag: string | undefined): TextLanguage | undefined {
  if (!tag) return undefined;
  const base = tag.trim().toLowerCase().split(/[-_]/)[0]!;
  return isTextLanguage(base) ? base : ALIASES[base];
}

const PLACEHOLDER = /\$\{([^}]*)\}/g;
const known = (p: string): p is TextPlaceholder => (TEXT_PLACEHOLDERS as readonly string[]).includes(p);
export const PLACEHOLDER_LIST = TEXT_PLACEHOLDERS.map((p) => `\${${p}}`).join(', ');

/** A control character (C0 or DEL); line breaks and tabs are allowed in bodies. */
function controlChar(ch: string, oneLine: boolean): boolean {
  const c = ch.charCodeAt(0);
  if (!oneLine && (c === 9 || c === 10 || c === 13)) return false;
  return c < 32 || c === 127;
}

function checkText(where: string, s: string, max: number, oneLine: boolean): void {
  if (s.length > max) throw new NotifyTextError(`${where}: at most ${max} characters (it has ${s.length})`);
  if ([...s].some((ch) => controlChar(ch, oneLine)))
    throw new NotifyTextError(
      `${where}: ${oneLine ? 'one line without control characters' : 'no control characters other than line breaks'}`,
    );
  for (const m of s.matchAll(PLACEHOLDER)) {
    if (!known(m[1]!)) throw new NotifyTextError(`${where}: unknown placeholder \${${m[1]}} (known: ${PLACEHOLDER_LIST})`);
  }
}

/** Throws NotifyTextError naming the field and the rule when `t` breaks one. */
export function checkTemplate(t: NotifyTemplate): void {
  if (!TEXT_NAME.test(t.name))
    throw new NotifyTextError(`name "${t.name.slice(0, 80)}" must be 1 to 64 letters, digits, dots, dashes or underscores`);
  if (!TEXT_CHANNELS.includes(t.channel)) throw new NotifyTextError(`channel "${t.channel}" must be EMAIL or SMS`);
  if (!isTextLanguage(t.defaultLanguage))
    throw new NotifyTextError(`default language "${t.defaultLanguage}" must be one of ${TEXT_LANGUAGES.join(', ')}`);
  if (t.description !== undefined) checkText('description', t.description, TEXT_LIMITS.description, true);
  for (const lang of Object.keys(t.texts)) {
    if (!isTextLanguage(lang)) throw new NotifyTextError(`language "${lang}" must be one of ${TEXT_LANGUAGES.join(', ')}`);
    const x = t.texts[lang]!;
    if (!x.body?.trim()) throw new NotifyTextError(`${lang} body: must not be empty`);
    if (t.channel === 'SMS') {
      if (x.subject) throw new NotifyTextError(`${lang} subject: an SMS has no subject`);
      checkText(`${lang} body`, x.body, TEXT_LIMITS.smsBody, false);
    } else {
      if (!x.subject?.trim()) throw new NotifyTextError(`${lang} subject: an e-mail text needs a subject`);
      checkText(`${lang} subject`, x.subject, TEXT_LIMITS.subject, true);
      checkText(`${lang} body`, x.body, TEXT_LIMITS.emailBody, false);
    }
  }
  if (!t.texts[t.defaultLanguage])
    throw new NotifyTextError(
      `the default language ${t.defaultLanguage} needs a text (give its body${t.channel === 'EMAIL' ? ' and subject' : ''})`,
    );
}

const REF = /^template:(\S*)$/;
/** The template a message names (`template:NAME`, nothing else in it), else undefined: the message is sent as written. */
export function templateRef(message: string | undefined): string | undefined {
  return message === undefined ? undefined : REF.exec(message.trim())?.[1];
}

/** The names of a service's templates and their channels (what createRequest checks references against). */
export type TemplateNames = ReadonlyMap<string, TextChannel>;

function refViolation(n: Notification, path: string, names: TemplateNames): Violation | undefined {
  if (n.type !== 'EMAIL' && n.type !== 'SMS') return undefined;
  const name = templateRef(n.message);
  if (name === undefined) return undefined;
  const where = `${path}/message`;
  const channel = names.get(name);
  if (!channel) return { path: where, rule: `"template:${name}" names no notification text of this service (segl notify-text list)` };
  if (channel !== n.type) return { path: where, rule: `notification text "${name}" is for ${channel}, not ${n.type}` };
  return undefined;
}

/** Every EMAIL and SMS notification of `requests` with its path, as createRequest's faults name them. */
export function notificationsOf(requests: readonly SigningRequest[]): Array<{ n: Notification; path: string }> {
  return requests.flatMap((r, ri) => [
    ...(r.notification ?? []).map((n, i) => ({ n, path: `request[${ri}]/notification[${i}]` })),
    ...r.task.flatMap((t, ti) => (t.notification ?? []).map((n, i) => ({ n, path: `request[${ri}]/task[${ti}]/notification[${i}]` }))),
    ...(r.packagingTask ?? []).flatMap((p, pi) =>
      (p.packagingNotification ?? []).map((n, i) => ({ n, path: `request[${ri}]/packaging-task[${pi}]/packaging-notification[${i}]` })),
    ),
  ]);
}

/** Whether any notification names a template (only then are the service's names looked up). */
export const namesTemplate = (list: ReadonlyArray<{ n: Notification }>): boolean =>
  list.some((x) => templateRef(x.n.message) !== undefined);

/** Throws ValidationError (a SOAP Fault naming each element) when a notification names a template the service lacks. */
export function checkTemplateRefs(list: ReadonlyArray<{ n: Notification; path: string }>, names: TemplateNames): void {
  const violations = list.flatMap(({ n, path }) => refViolation(n, path, names) ?? []);
  if (violations.length) throw new ValidationError(violations.slice(0, 20));
}

/** The language to send in: the first of `wanted` (task's, then request's) the template has, else its default, else English. */
export function chooseLanguage(t: NotifyTemplate, wanted: ReadonlyArray<string | undefined>): TextLanguage {
  for (const w of wanted) {
    const l = textLanguage(w);
    if (l && t.texts[l]) return l;
  }
  if (t.texts[t.defaultLanguage]) return t.defaultLanguage;
  return t.texts.en ? 'en' : (Object.keys(t.texts)[0] as TextLanguage);
}

/** Fills `${language}` and `${service}` (the others are left for the worker's expansion, as in message texts). */
export function fillOwn(s: string, v: { language: TextLanguage; service: string }): string {
  return s.replace(/\$\{(language|service)\}/g, (_, k: 'language' | 'service') => v[k]);
}

/** Fills every placeholder in one pass (the preview's sample values; a value is never filled in again). */
export function fillAll(s: string, v: Record<TextPlaceholder, string>): string {
  return s.replace(PLACEHOLDER, (whole, k: string) => (known(k) ? v[k] : whole));
}

/** The template in each of its languages with sample values: what the CLI's and the console's previews show. */
export function previewTemplate(t: NotifyTemplate, service: string, publicUrl: string): Array<{ language: TextLanguage } & NotifyText> {
  const requestId = '230101120000000000000a1b2c3d4e5f';
  const sample = (language: TextLanguage): Record<TextPlaceholder, string> => ({
    taskUrl: `${publicUrl}/std/docaction/${encodeURIComponent(service)}?request_id=${requestId}&task_id=task-1`,
    requestId,
    taskId: 'task-1',
    language,
    service,
  });
  return TEXT_LANGUAGES.flatMap((language) => {
    const x = t.texts[language];
    if (!x) return [];
    return [
      {
        language,
        ...(x.subject !== undefined ? { subject: fillAll(x.subject, sample(language)) } : {}),
        body: fillAll(x.body, sample(language)),
      },
    ];
  });
}

// The portal's text library: da, en, nb, sv, fi. The task's (or request's) language wins, then the
// browser's Accept-Language, then English. A service may override single texts (later: per profile).
import { PORTAL_EN } from './texts/en';
import { PORTAL_DA } from './texts/da';
import { PORTAL_NB } from './texts/nb';
import { PORTAL_SV } from './texts/sv';
import { PORTAL_FI } from './texts/fi';
import { TESTID_EN } from '../eid/testid/texts/en';
import { TESTID_DA } from '../eid/testid/texts/da';
import { TESTID_NB } from '../eid/testid/texts/nb';
import { TESTID_SV } from '../eid/testid/texts/sv';
import { TESTID_FI } from '../eid/testid/texts/fi';
import { CONSOLE_EN } from '../console/texts/en';
import { CONSOLE_DA } from '../console/texts/da';
import { CONSOLE_NB } from '../console/texts/nb';
import { CONSOLE_SV } from '../console/texts/sv';
import { CONSOLE_FI } from '../console/texts/fi';

export const LANGUAGES = ['en', 'da', 'nb', 'sv', 'fi'] as const;
export type Lang = (typeof LANGUAGES)[number];

// The texts themselves live one module per language: the portal's in ./texts/, the test eID's beside it in
// src/eid/testid/texts/, the back office's in src/console/texts/. English defines the key set; the other languages are typed by it.
const EN = { ...PORTAL_EN, ...TESTID_EN, ...CONSOLE_EN } as const;
export type TextKey = keyof typeof EN;
type Texts = Record<TextKey, string>;

export const TEXTS: Record<Lang, Texts> = {
  en: EN,
  da: { ...PORTAL_DA, ...TESTID_DA, ...CONSOLE_DA },
  nb: { ...PORTAL_NB, ...TESTID_NB, ...CONSOLE_NB },
  sv: { ...PORTAL_SV, ...TESTID_SV, ...CONSOLE_SV },
  fi: { ...PORTAL_FI, ...TESTID_FI, ...CONSOLE_FI },
};

const ALIASES: Record<string, Lang> = { no: 'nb', nn: 'nb', 'nb-no': 'nb', 'da-dk': 'da', 'sv-se': 'sv', 'fi-fi': 'fi' };

function normalise(tag: string): Lang | undefined {
  const t = tag.trim().toLowerCase();
  if ((LANGUAGES as readonly string[]).includes(t)) return t as Lang;
  if (ALIASES[t]) return ALIASES[t];
  const base = t.split('-')[0]!;
  if ((LANGUAGES as readonly string[]).includes(base)) return base as Lang;
  return ALIASES[base];
}

/** The task's language if segl has it, else the browser's preference (by q), else English. */
export function pickLanguage(taskLanguage: string | undefined, acceptLanguage: string | undefined): Lang {
  const own = taskLanguage ? normalise(taskLanguage) : undefined;
  if (own) return own;
  const prefs = (acceptLanguage ?? '')
    .split(',')
    .map((p) => {
      const [tag, ...params] = p.split(';');
      const q = params.map((x) => /^\s*q=([0-9.]+)\s*$/.exec(x)?.[1]).find(Boolean);
      return { tag: tag ?? '', q: q === undefined ? 1 : Number(q) };
    })
    .filter((p) => p.tag && p.q > 0)
    .sort((a, b) => b.q - a.q);
  for (const p of prefs) {
    const l = normalise(p.tag);
    if (l) return l;
  }
  return 'en';
}

/** A language with a service's own wording for some texts (a graphical profile's overrides). */
export interface Locale {
  code: Lang;
  texts?: Partial<Record<string, string>>;
}
export type LangLike = Lang | Locale;
export const codeOf = (l: LangLike): Lang => (typeof l === 'string' ? l : l.code);

/** Whether `key` is a text of the library (profile overrides may only name those). */
export const isTextKey = (key: string): key is TextKey => key in EN;

/** The keys of texts that depend on a count: `base.one` and `base.other`. */
export type PluralKey = TextKey extends infer K ? (K extends `${infer B}.one` ? B : never) : never;

/** A text about `n` things in the language's plural form (Intl.PluralRules: one / other), `{n}` filled in. */
export function tn(lang: LangLike, key: PluralKey, n: number, vars: Record<string, string | number> = {}): string {
  const form = new Intl.PluralRules(codeOf(lang)).select(n) === 'one' ? 'one' : 'other';
  return t(lang, `${key}.${form}` as TextKey, { ...vars, n });
}

/** A text with `{name}` placeholders filled in (values are plain text; the layout escapes). */
export function t(lang: LangLike, key: TextKey, vars: Record<string, string | number> = {}): string {
  const own = typeof lang === 'string' ? undefined : lang.texts?.[key];
  return (own ?? TEXTS[codeOf(lang)][key]).replace(/\{(\w+)\}/g, (whole, k: string) => (k in vars ? String(vars[k]) : whole));
}

// The console's notification texts pages (src/console/notifytexts.ts): the list with removal, and the
// editor of one text — channel, default language, a subject (e-mail) and body per language — whose
// Preview shows every language with sample values filled in before anything is saved. Plain forms.
import { PLACEHOLDER_LIST, TEXT_LANGUAGES, type NotifyTemplate, type NotifyText, type TextLanguage } from '../core/notifytexts';
import { html, join, type Html } from '../portal/html';
import { t, type Lang } from '../portal/i18n';
import { page } from '../portal/layout';

const q = (s: string) => encodeURIComponent(s);
const token = (csrf: string) => html`<input type="hidden" name="_csrf" value="${csrf}">`;
const nav = (lang: Lang) =>
  html`<nav class="console-nav" aria-label="${t(lang, 'console.title')}"><p><a href="/console?lang=${lang}">${t(lang, 'console.requests.title')}</a> · <a href="/console/settings?lang=${lang}">${t(lang, 'console.settings.title')}</a> · <a href="/console/settings/texts?lang=${lang}">${t(lang, 'console.texts.title')}</a></p></nav>`;

/** Each language by its own name (shown as is in every console language). */
export const LANGUAGE_NAMES: Record<TextLanguage, string> = { en: 'English', da: 'Dansk', nb: 'Norsk bokmål', sv: 'Svenska', fi: 'Suomi' };

export function textsListPage(lang: Lang, v: { service: string; csrf: string; texts: NotifyTemplate[]; notice?: boolean }): string {
  const rows = join(
    v.texts.map(
      (x) =>
        html`<tr><td><a href="/console/settings/texts/edit?name=${q(x.name)}&amp;lang=${lang}">${x.name}</a></td><td>${x.channel}</td><td>${x.defaultLanguage}</td><td>${Object.keys(x.texts).join(', ')}</td><td><form method="post" action="/console/settings/texts/remove?lang=${lang}">${token(v.csrf)}<input type="hidden" name="name" value="${x.name}">
<button type="submit" class="button secondary" aria-label="${t(lang, 'console.settings.remove')} ${x.name}">${t(lang, 'console.settings.remove')}</button></form></td></tr>`,
    ),
  );
  const table = v.texts.length
    ? html`<div><table class="data"><caption>${t(lang, 'console.texts.title')}</caption><thead><tr><th scope="col">${t(lang, 'console.settings.name')}</th><th scope="col">${t(lang, 'console.texts.channel')}</th><th scope="col">${t(lang, 'console.texts.default')}</th><th scope="col">${t(lang, 'console.texts.languages')}</th><th scope="col">${t(lang, 'console.settings.action')}</th></tr></thead><tbody>${rows}</tbody></table></div>`
    : html`<p>${t(lang, 'console.texts.none')}</p>`;
  const notice = v.notice && html`<p class="notice" role="status">${t(lang, 'console.settings.saved')}</p>`;
  const main = html`${nav(lang)}<h1>${t(lang, 'console.texts.title')}</h1>${notice}<p>${t(lang, 'console.texts.hint', { placeholders: PLACEHOLDER_LIST })}</p>${table}
<h2>${t(lang, 'console.texts.new')}</h2><form method="get" action="/console/settings/texts/edit"><input type="hidden" name="lang" value="${lang}">
<p><label for="text-name">${t(lang, 'console.settings.name')}</label><br><input id="text-name" name="name" type="text" required pattern="[A-Za-z0-9][A-Za-z0-9._\\-]{0,63}"></p>
<p><label for="text-channel">${t(lang, 'console.texts.channel')}</label><br><select id="text-channel" name="channel"><option value="EMAIL">EMAIL</option><option value="SMS">SMS</option></select></p>
<p><button type="submit" class="button secondary">${t(lang, 'console.texts.open')}</button></p></form>`;
  return page({ lang, title: t(lang, 'console.texts.title'), main, service: v.service });
}

function languageFields(lang: Lang, tpl: NotifyTemplate, l: TextLanguage): Html {
  const x: Partial<NotifyText> = tpl.texts[l] ?? {};
  const subject =
    tpl.channel === 'EMAIL'
      ? html`<p><label for="subject-${l}">${t(lang, 'console.texts.subject')}</label><br><input id="subject-${l}" name="subject_${l}" type="text" maxlength="200" value="${x.subject ?? ''}"></p>`
      : '';
  return html`<fieldset lang="${l}"><legend>${LANGUAGE_NAMES[l]} (${l})</legend>${subject}
<p><label for="body-${l}">${t(lang, 'console.texts.body')}</label><br><textarea id="body-${l}" name="body_${l}" rows="${tpl.channel === 'SMS' ? 3 : 6}" cols="40">${x.body ?? ''}</textarea></p></fieldset>`;
}

export interface EditorView {
  service: string;
  csrf: string;
  template: NotifyTemplate;
  /** the rendered preview, when the manager asked for one */
  preview?: Array<{ language: TextLanguage } & NotifyText>;
  /** the rule the text breaks (shown above the form; nothing was saved) */
  error?: string;
}

function previewSection(lang: Lang, preview: NonNullable<EditorView['preview']>): Html {
  const items = join(
    preview.map(
      (p) =>
        html`<h3 lang="${p.language}">${LANGUAGE_NAMES[p.language]} (${p.language})</h3>${p.subject !== undefined ? html`<p lang="${p.language}"><strong>${t(lang, 'console.texts.subject')}:</strong> <span class="preview-subject">${p.subject}</span></p>` : ''}<pre class="text" lang="${p.language}" data-language="${p.language}">${p.body}</pre>`,
    ),
  );
  return html`<section aria-labelledby="preview-title" id="preview"><h2 id="preview-title">${t(lang, 'console.settings.preview')}</h2><p>${t(lang, 'console.texts.previewHint')}</p>${items}</section>`;
}

export function textEditorPage(lang: Lang, v: EditorView): string {
  const tpl = v.template;
  const langs = join(
    TEXT_LANGUAGES.map(
      (l) => html`<option value="${l}"${l === tpl.defaultLanguage ? ' selected' : ''}>${LANGUAGE_NAMES[l]} (${l})</option>`,
    ),
  );
  const title = t(lang, 'console.texts.editTitle', { name: tpl.name });
  const error = v.error && html`<p class="error" role="alert">${v.error}. ${t(lang, 'console.unchanged')}</p>`;
  const main = html`${nav(lang)}<h1>${title}</h1>${error}<p>${t(lang, 'console.texts.hint', { placeholders: PLACEHOLDER_LIST })}</p>
<form method="post" action="/console/settings/texts?lang=${lang}">${token(v.csrf)}<input type="hidden" name="name" value="${tpl.name}"><input type="hidden" name="channel" value="${tpl.channel}">
<p>${t(lang, 'console.texts.channel')}: <strong>${tpl.channel}</strong></p>
<p><label for="default-language">${t(lang, 'console.texts.default')}</label><br><select id="default-language" name="defaultLanguage">${langs}</select></p>
<p><label for="text-description">${t(lang, 'console.texts.description')}</label><br><input id="text-description" name="description" type="text" maxlength="200" value="${tpl.description ?? ''}"></p>
<p>${t(lang, 'console.texts.emptyHint')}</p>${join(TEXT_LANGUAGES.map((l) => languageFields(lang, tpl, l)))}
<p><button type="submit" name="action" value="preview" class="button secondary">${t(lang, 'console.settings.preview')}</button> <button type="submit" name="action" value="save" class="button">${t(lang, 'console.settings.save')}</button></p></form>
${v.preview ? previewSection(lang, v.preview) : ''}`;
  return page({ lang, title, main, service: v.service });
}

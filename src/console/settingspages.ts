// The console's settings pages (src/console/settings.ts): one page of sections, a profile's editor with
// its preview, and the page that shows a rotated webhook secret once. Plain forms, no script.
import { PACKAGE_LANGUAGES } from '../core/packagingmethod';
import type { PackagingMethodInfo } from '../store/packagingmethods';
import type { OpClient } from '../store/oidcop';
import type { SamlSp } from '../store/samlsps';
import type { ServiceSettings } from '../store/services';
import { html, join, type Html } from '../portal/html';
import { t, type Lang } from '../portal/i18n';
import { page } from '../portal/layout';

const q = (s: string) => encodeURIComponent(s);
const token = (csrf: string) => html`<input type="hidden" name="_csrf" value="${csrf}">`;
const nav = (lang: Lang) =>
  html`<nav class="console-nav" aria-label="${t(lang, 'console.title')}"><p><a href="/console?lang=${lang}">${t(lang, 'console.requests.title')}</a> · <a href="/console/settings?lang=${lang}">${t(lang, 'console.settings.title')}</a></p></nav>`;

export interface SettingsView {
  service: string;
  csrf: string;
  settings: ServiceSettings;
  profiles: string[];
  sps: SamlSp[];
  clients: OpClient[];
  methods: PackagingMethodInfo[];
  /** what was just done (callbacks, profile, saml, oidc) */
  notice?: string;
}

function callbacks(lang: Lang, v: SettingsView): Html {
  const secret = v.settings.webhookSecret;
  return html`<h2 id="callbacks">${t(lang, 'console.settings.callbacks')}</h2><p>${t(lang, 'console.settings.allowHint')}</p>
<form method="post" action="/console/settings/callbacks?lang=${lang}">${token(v.csrf)}
<p><label for="allow">${t(lang, 'console.settings.allow')}</label><br><textarea id="allow" name="allow" rows="4" cols="40">${v.settings.callbackAllow.join('\n')}</textarea></p>
<p><button type="submit" class="button">${t(lang, 'console.settings.save')}</button></p></form>
<h3>${t(lang, 'console.settings.webhookSecret')}</h3><p>${t(lang, 'console.settings.secretShown', { end: secret.slice(-4) })}</p>
<form method="post" action="/console/settings/webhook-secret?lang=${lang}">${token(v.csrf)}
<p><input type="checkbox" id="confirm" name="confirm" value="yes"> <label for="confirm">${t(lang, 'console.settings.confirmRotate')}</label></p>
<p><button type="submit" class="button danger">${t(lang, 'console.settings.rotate')}</button></p></form>`;
}

function profiles(lang: Lang, v: SettingsView): Html {
  const list = v.profiles.length
    ? html`<ul>${join(v.profiles.map((n) => html`<li><a href="/console/settings/profiles/${q(n)}?lang=${lang}">${n}</a></li>`))}</ul>`
    : html`<p>${t(lang, 'console.settings.noProfiles')}</p>`;
  return html`<h2 id="profiles">${t(lang, 'console.settings.profiles')}</h2><p>${t(lang, 'console.settings.profilesHint')}</p>${list}
<form method="get" action="/console/settings/profile"><input type="hidden" name="lang" value="${lang}">
<p><label for="profile-name">${t(lang, 'console.settings.profileName')}</label><br><input id="profile-name" name="name" type="text" required pattern="[A-Za-z0-9._\\-]{1,64}" value="default"></p>
<p><button type="submit" class="button secondary">${t(lang, 'console.settings.editProfile')}</button></p></form>`;
}

function saml(lang: Lang, v: SettingsView): Html {
  const rows = join(
    v.sps.map(
      (sp) => html`<tr><td>${sp.entityId}</td><td>${join(
        sp.acs.map((a) => a.url),
        ', ',
      )}</td><td><form method="post" action="/console/settings/saml/remove?lang=${lang}">${token(v.csrf)}<input type="hidden" name="entityId" value="${sp.entityId}">
<button type="submit" class="button secondary">${t(lang, 'console.settings.remove')}</button></form></td></tr>`,
    ),
  );
  const table = v.sps.length
    ? html`<div><table class="data"><caption>${t(lang, 'console.settings.saml')}</caption><thead><tr><th scope="col">Entity ID</th><th scope="col">ACS</th><th scope="col">${t(lang, 'console.settings.action')}</th></tr></thead><tbody>${rows}</tbody></table></div>`
    : html`<p>${t(lang, 'console.settings.none')}</p>`;
  return html`<h2 id="saml">${t(lang, 'console.settings.saml')}</h2>${table}
<form method="post" action="/console/settings/saml?lang=${lang}">${token(v.csrf)}
<p><label for="metadata">${t(lang, 'console.settings.metadata')}</label><br><textarea id="metadata" name="metadata" rows="6" cols="40" required></textarea></p>
<p><button type="submit" class="button">${t(lang, 'console.settings.register')}</button></p></form>`;
}

function oidc(lang: Lang, v: SettingsView): Html {
  const rows = join(
    v.clients.map(
      (
        c,
      ) => html`<tr><td>${c.clientId}</td><td>${c.name}</td><td>${c.redirectUris.join(' ')}</td><td><form method="post" action="/console/settings/oidc/remove?lang=${lang}">${token(v.csrf)}<input type="hidden" name="clientId" value="${c.clientId}">
<button type="submit" class="button secondary">${t(lang, 'console.settings.remove')}</button></form></td></tr>`,
    ),
  );
  const table = v.clients.length
    ? html`<div><table class="data"><caption>${t(lang, 'console.settings.oidc')}</caption><thead><tr><th scope="col">client_id</th><th scope="col">${t(lang, 'console.settings.name')}</th><th scope="col">redirect_uri</th><th scope="col">${t(lang, 'console.settings.action')}</th></tr></thead><tbody>${rows}</tbody></table></div>`
    : html`<p>${t(lang, 'console.settings.none')}</p>`;
  return html`<h2 id="oidc">${t(lang, 'console.settings.oidc')}</h2>${table}
<form method="post" action="/console/settings/oidc?lang=${lang}">${token(v.csrf)}
<p><label for="client-name">${t(lang, 'console.settings.name')}</label><br><input id="client-name" name="name" type="text"></p>
<p><label for="client-uris">${t(lang, 'console.settings.redirectUris')}</label><br><textarea id="client-uris" name="redirectUris" rows="3" cols="40" required></textarea></p>
<p><label for="client-kind">${t(lang, 'console.settings.clientKind')}</label><br><select id="client-kind" name="kind">
<option value="client_secret_basic">client_secret_basic</option><option value="client_secret_post">client_secret_post</option><option value="public">${t(lang, 'console.settings.publicClient')}</option></select></p>
<p><button type="submit" class="button">${t(lang, 'console.settings.register')}</button></p></form>`;
}

function packaging(lang: Lang, v: SettingsView): Html {
  const rows = join(
    v.methods.map(
      (m) =>
        html`<tr><td>${m.name}</td><td>${m.language}</td><td>${m.maskNationalId ? '✓' : '—'}</td><td>${m.pdfa ? 'PDF/A-3b' : '—'}</td><td>${m.template ? `${m.template.size} B` : '—'}</td><td>${
          m.builtIn
            ? ''
            : html`<form method="post" action="/console/settings/packaging/remove?lang=${lang}">${token(v.csrf)}<input type="hidden" name="name" value="${m.name}">
<button type="submit" class="button secondary">${t(lang, 'console.settings.remove')}</button></form>`
        }</td></tr>`,
    ),
  );
  const langs = join(PACKAGE_LANGUAGES.map((l) => html`<option value="${l}">${l}</option>`));
  return html`<h2 id="packaging">${t(lang, 'console.settings.packaging')}</h2><div><table class="data"><caption>${t(lang, 'console.settings.packaging')}</caption>
<thead><tr><th scope="col">${t(lang, 'console.settings.name')}</th><th scope="col">${t(lang, 'console.settings.language')}</th><th scope="col">${t(lang, 'console.settings.mask')}</th><th scope="col">PDF/A</th><th scope="col">${t(lang, 'console.settings.template')}</th><th scope="col">${t(lang, 'console.settings.action')}</th></tr></thead>
<tbody>${rows}</tbody></table></div>
<h3>${t(lang, 'console.settings.setMethod')}</h3><p>${t(lang, 'console.settings.packagingHint')}</p>
<form method="post" action="/console/settings/packaging?lang=${lang}" enctype="multipart/form-data">${token(v.csrf)}
<p><label for="method-name">${t(lang, 'console.settings.methodName')}</label><br><input id="method-name" name="name" type="text" required pattern="[a-z0-9][a-z0-9._\-]{0,63}"></p>
<p><label for="method-language">${t(lang, 'console.settings.language')}</label><br><select id="method-language" name="language">${langs}</select></p>
<p><input id="method-mask" name="mask" type="checkbox" value="yes" checked> <label for="method-mask">${t(lang, 'console.settings.mask')}</label></p>
<p><input id="method-pdfa" name="pdfa" type="checkbox" value="yes"> <label for="method-pdfa">PDF/A-3b</label></p>
<p><label for="method-description">${t(lang, 'console.settings.description')}</label><br><input id="method-description" name="description" type="text"></p>
<p><label for="method-template">${t(lang, 'console.settings.templateFile')}</label><br><input id="method-template" name="template" type="file" accept="application/pdf"></p>
<p><input id="method-remove-template" name="removeTemplate" type="checkbox" value="yes"> <label for="method-remove-template">${t(lang, 'console.settings.removeTemplate')}</label></p>
<p><button type="submit" class="button">${t(lang, 'console.settings.save')}</button></p></form>`;
}

export function settingsPage(lang: Lang, v: SettingsView): string {
  const notice = v.notice && html`<p class="notice" role="status">${t(lang, 'console.settings.saved')}</p>`;
  const main = html`${nav(lang)}<h1>${t(lang, 'console.settings.title')}</h1>${notice}<p><a href="/console/settings/texts?lang=${lang}">${t(lang, 'console.texts.link')}</a></p>${callbacks(lang, v)}${profiles(lang, v)}${saml(lang, v)}${oidc(lang, v)}${packaging(lang, v)}`;
  return page({ lang, title: t(lang, 'console.settings.title'), main, service: v.service });
}

export interface ProfileForm {
  displayName: string;
  brand: string;
  brandInk: string;
  ink: string;
}

export function profilePage(lang: Lang, v: { service: string; csrf: string; name: string; form: ProfileForm; preview?: boolean }): string {
  const f = v.form;
  const field = (id: keyof ProfileForm, label: string, pattern?: string) =>
    html`<p><label for="${id}">${label}</label><br><input id="${id}" name="${id}" type="text" value="${f[id]}"${pattern ? html` pattern="${pattern}" placeholder="#1a73e8"` : ''}></p>`;
  const colour = '#([0-9a-fA-F]{3}|[0-9a-fA-F]{6})';
  const css = `/console/settings/preview.css?brand=${q(f.brand)}&brandInk=${q(f.brandInk)}&ink=${q(f.ink)}`;
  const preview =
    v.preview &&
    html`<section aria-labelledby="preview-title"><h2 id="preview-title">${t(lang, 'console.settings.preview')}</h2><p>${t(lang, 'console.settings.previewHint')}</p>
<div class="preview"><header class="bar"><div class="inner"><span class="brand">${t(lang, 'app.name')}</span> <span class="service">· ${f.displayName || v.service}</span></div></header>
<p>${t(lang, 'console.settings.previewText')}</p><p><span class="button">${t(lang, 'console.settings.previewButton')}</span></p></div></section>`;
  const main = html`${nav(lang)}<h1>${t(lang, 'console.settings.profileTitle', { name: v.name })}</h1>
<form method="post" action="/console/settings/profiles/${q(v.name)}?lang=${lang}">${token(v.csrf)}
${field('displayName', t(lang, 'console.settings.displayName'))}${field('brand', t(lang, 'console.settings.brand'), colour)}${field('brandInk', t(lang, 'console.settings.brandInk'), colour)}${field('ink', t(lang, 'console.settings.ink'), colour)}
<p><button type="submit" name="action" value="preview" class="button secondary">${t(lang, 'console.settings.preview')}</button> <button type="submit" name="action" value="save" class="button">${t(lang, 'console.settings.save')}</button></p></form>
<p>${t(lang, 'console.settings.logoHint')}</p>${preview}`;
  return page({
    lang,
    title: t(lang, 'console.settings.profileTitle', { name: v.name }),
    main,
    service: v.service,
    look: v.preview ? { css } : undefined,
  });
}

export function clientAddedPage(lang: Lang, service: string, clientId: string, secret?: string): string {
  const main = html`${nav(lang)}<h1>${t(lang, 'console.settings.clientAdded')}</h1>
<dl class="facts"><dt>client_id</dt><dd><code>${clientId}</code></dd>${secret ? html`<dt>client_secret</dt><dd><code>${secret}</code></dd>` : ''}</dl>
${secret ? html`<p>${t(lang, 'console.settings.secretOnce')}</p>` : ''}<p><a href="/console/settings?lang=${lang}#oidc">${t(lang, 'console.back')}</a></p>`;
  return page({ lang, title: t(lang, 'console.settings.clientAdded'), main, service });
}

export function rotatedPage(lang: Lang, service: string, secret: string): string {
  const main = html`${nav(lang)}<h1>${t(lang, 'console.settings.rotated')}</h1><p>${t(lang, 'console.settings.rotatedHint')}</p>
<p><code>${secret}</code></p><p><a href="/console/settings?lang=${lang}#callbacks">${t(lang, 'console.back')}</a></p>`;
  return page({ lang, title: t(lang, 'console.settings.rotated'), main, service });
}

// The pages of accounts.ts, in the console's look (pages.ts): operator sign-in, the code after the
// password, the operators' service picker, and the account page (second factor, the service's password).
// Plain forms, no script; the enrolment page gives the key as text and as an otpauth:// URI.
import { html, join } from '../portal/html';
import { t, type Lang } from '../portal/i18n';
import { page } from '../portal/layout';
import { MIN_SERVICE_PASSWORD } from '../store/services';
import { base32Encode } from '../util/totp';
import { top } from './pages';
import type { ConsoleSession } from './session';

const error = (message?: string) => message && html`<p class="error" role="alert">${message}</p>`;
const hidden = (csrf: string) => html`<input type="hidden" name="_csrf" value="${csrf}">`;

export function operatorLoginPage(lang: Lang, token: string, message?: string): string {
  const main = html`<h1>${t(lang, 'console.operator.title')}</h1>${error(message)}<p>${t(lang, 'console.operator.hint')}</p>
<form method="post" action="/console/operator?lang=${lang}">${hidden(token)}
<p><label for="password">${t(lang, 'console.login.password')}</label><br><input id="password" name="password" type="password" autocomplete="current-password" required></p>
<p><button type="submit" class="button">${t(lang, 'console.login.submit')}</button></p></form>
<p><a href="/console?lang=${lang}">${t(lang, 'console.login.title')}</a></p>`;
  return page({ lang, title: t(lang, 'console.operator.title'), main });
}

export function codePage(lang: Lang, csrf: string, message?: string): string {
  const main = html`<h1>${t(lang, 'console.code.title')}</h1>${error(message)}
<form method="post" action="/console/login/code?lang=${lang}">${hidden(csrf)}
<p><label for="code">${t(lang, 'console.code.label')}</label><br><input id="code" name="code" type="text" inputmode="numeric" pattern="[0-9 ]{6,7}" maxlength="7" autocomplete="one-time-code" required></p>
<p><button type="submit" class="button">${t(lang, 'console.code.submit')}</button></p></form>`;
  return page({ lang, title: t(lang, 'console.code.title'), main });
}

export function servicesPage(lang: Lang, v: { csrf: string; current: string; services: string[] }): string {
  const list = v.services.length
    ? html`<ul class="services">${join(
        v.services.map(
          (
            name,
          ) => html`<li><form method="post" action="/console/services?lang=${lang}">${hidden(v.csrf)}<input type="hidden" name="service" value="${name}">
<button type="submit" class="button secondary">${t(lang, 'console.services.pick', { service: name })}</button></form></li>`,
        ),
      )}</ul>`
    : html`<p>${t(lang, 'console.services.none')}</p>`;
  const main = html`${v.current ? top(lang, v.current, v.csrf) : ''}<h1>${t(lang, 'console.services.title')}</h1>
${v.current ? html`<p>${t(lang, 'console.services.current', { service: v.current })}</p>` : ''}${list}
${v.current ? '' : logout(lang, v.csrf)}`;
  return page({ lang, title: t(lang, 'console.services.title'), main, service: v.current || undefined });
}

function logout(lang: Lang, csrf: string) {
  return html`<form method="post" action="/console/logout?lang=${lang}">${hidden(csrf)}
<button type="submit" class="button secondary">${t(lang, 'console.logout', { service: t(lang, 'console.operator.title') })}</button></form>`;
}

export interface AccountView {
  session: ConsoleSession;
  /** whether the second factor is on; undefined for operators (who have none here) */
  totp?: boolean;
  notice?: string;
  message?: string;
}

function totpBlock(lang: Lang, v: AccountView) {
  const csrf = v.session.csrf;
  if (v.totp === undefined) return html`<p>${t(lang, 'console.totp.operator')}</p>`;
  if (!v.totp)
    return html`<p>${t(lang, 'console.totp.isOff')}</p><form method="post" action="/console/account/totp?lang=${lang}">${hidden(csrf)}
<input type="hidden" name="action" value="start"><button type="submit" class="button">${t(lang, 'console.totp.start')}</button></form>`;
  return html`<p>${t(lang, 'console.totp.isOn')}</p><form method="post" action="/console/account/totp?lang=${lang}">${hidden(csrf)}
<input type="hidden" name="action" value="off"><p><label for="off-code">${t(lang, 'console.totp.offHint')}</label><br>
<input id="off-code" name="code" type="text" inputmode="numeric" maxlength="7" autocomplete="one-time-code" required></p>
<p><button type="submit" class="button secondary">${t(lang, 'console.totp.off')}</button></p></form>`;
}

function passwordBlock(lang: Lang, s: ConsoleSession) {
  if (s.role !== 'manager') return '';
  return html`<h2>${t(lang, 'console.password.title')}</h2><p>${t(lang, 'console.password.hint')}</p>
<form method="post" action="/console/account/password?lang=${lang}">${hidden(s.csrf)}
<p><label for="current">${t(lang, 'console.password.current')}</label><br><input id="current" name="current" type="password" autocomplete="current-password" required></p>
<p><label for="new">${t(lang, 'console.password.new', { n: MIN_SERVICE_PASSWORD })}</label><br><input id="new" name="password" type="password" autocomplete="new-password" minlength="${String(MIN_SERVICE_PASSWORD)}" required></p>
<p><label for="new2">${t(lang, 'console.password.again')}</label><br><input id="new2" name="password2" type="password" autocomplete="new-password" minlength="${String(MIN_SERVICE_PASSWORD)}" required></p>
<p><button type="submit" class="button">${t(lang, 'console.password.submit')}</button></p></form>`;
}

export function accountPage(lang: Lang, v: AccountView): string {
  const s = v.session;
  const role = s.operator ? t(lang, 'console.account.operator') : t(lang, `console.role.${s.role}`);
  const main = html`${top(lang, s.service, s.csrf)}<h1>${t(lang, 'console.account.title')}</h1>
${v.notice && html`<p class="notice" role="status">${v.notice}</p>`}${error(v.message)}
<dl class="facts"><dt>${t(lang, 'console.account.who')}</dt><dd>${s.actor}</dd><dt>${t(lang, 'console.account.role')}</dt><dd>${role}</dd></dl>
${s.operator ? html`<p><a href="/console/services?lang=${lang}">${t(lang, 'console.account.switch')}</a></p>` : ''}
<h2>${t(lang, 'console.totp.title')}</h2>${totpBlock(lang, v)}${passwordBlock(lang, s)}`;
  return page({ lang, title: t(lang, 'console.account.title'), main, service: s.service });
}

export function enrolPage(lang: Lang, v: { csrf: string; service: string; uri: string; key: Buffer; message?: string }): string {
  const grouped = base32Encode(v.key).replace(/(.{4})(?=.)/g, '$1 ');
  const main = html`${top(lang, v.service, v.csrf)}<h1>${t(lang, 'console.totp.enrolTitle')}</h1>${error(v.message)}
<p>${t(lang, 'console.totp.enrolHint')}</p>
<dl class="facts"><dt>${t(lang, 'console.totp.secret')}</dt><dd><code class="secret">${grouped}</code></dd>
</dl><p><label for="uri">${t(lang, 'console.totp.uri')}</label><br><input id="uri" type="text" readonly value="${v.uri}"></p>
<p><a href="${v.uri}">${t(lang, 'console.totp.open')}</a></p>
<form method="post" action="/console/account/totp?lang=${lang}">${hidden(v.csrf)}<input type="hidden" name="action" value="confirm">
<p><label for="code">${t(lang, 'console.code.label')}</label><br><input id="code" name="code" type="text" inputmode="numeric" maxlength="7" autocomplete="one-time-code" required></p>
<p><button type="submit" class="button">${t(lang, 'console.totp.confirm')}</button></p></form>`;
  return page({ lang, title: t(lang, 'console.totp.enrolTitle'), main, service: v.service });
}

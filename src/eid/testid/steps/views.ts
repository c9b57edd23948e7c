// The HTML the test eID's steps share: a step's form action and hidden fields (the CSRF token first),
// the warning alert, the failure texts, the key-card code form, the password field and the sign page.
import { t, type LangLike } from '../../../portal/i18n';
import { h } from '../../../portal/layout';
import type { Ctx, Kit } from '../../../portal/kit';
import type { Challenge, Failure } from '../users';
import { SIGN } from './shared';

export const action = (c: Ctx, step: string) => `${c.base}/${step}?${c.query}`;

export const hidden = (c: Ctx, fields: Record<string, string | string[]> = {}) =>
  `<input type="hidden" name="csrf" value="${h(c.session.csrf)}">` +
  Object.entries(fields)
    .flatMap(([k, v]) => ([] as string[]).concat(v).map((x) => `<input type="hidden" name="${h(k)}" value="${h(x)}">`))
    .join('');

export function alert(text: string): string {
  return `<p class="status warn" role="alert">${h(text)}</p>`;
}

export function failureText(lang: LangLike, f: Failure): string {
  switch (f.reason) {
    case 'wrong-password':
      return t(lang, 'fail.wrong-password', { left: f.attemptsLeft ?? 0 });
    case 'wrong-code':
      return t(lang, 'fail.wrong-code', { left: f.attemptsLeft ?? 0 });
    case 'user-locked':
      return t(lang, 'fail.user-locked');
    case 'unknown-user':
      return t(lang, 'fail.unknown-user');
    default:
      return t(lang, 'fail.challenge');
  }
}

/** The key-card step: at login the code; at signing the password and the code, under a heading that says both, and a "Sign" button. */
export function codeForm(c: Ctx, step: string, ch: Challenge, fields: Record<string, string | string[]>, notice = '', extra = ''): string {
  const signing = step.startsWith('sign');
  const heading = signing ? 'h3' : 'h1'; // inside the sign page, under its h1 and h2
  return (
    `${notice}<${heading}>${h(t(c.lang, signing ? 'code.signTitle' : 'code.title'))}</${heading}><p class="lead">${h(t(c.lang, 'code.body', { card: ch.cardId, number: ch.keyNumber }))}</p>` +
    `<form method="post" action="${h(action(c, step))}">${hidden(c, { ...fields, challenge: ch.challengeId })}${extra}` +
    `<label for="code">${h(t(c.lang, 'code.label', { number: ch.keyNumber }))}</label>` +
    `<input type="text" id="code" name="code" inputmode="numeric" autocomplete="one-time-code" pattern="[0-9]{6}" maxlength="6" required>` +
    `<div class="actions"><button class="button" name="do" value="next">${h(t(c.lang, signing ? 'sign.confirm' : 'login.next'))}</button>` +
    `<button class="button secondary" name="do" value="cancel" formnovalidate>${h(t(c.lang, 'login.cancel'))}</button></div></form>`
  );
}

export const passwordField = (c: Ctx) =>
  `<label for="password">${h(t(c.lang, 'login.password'))}</label>` +
  '<input type="password" id="password" name="password" autocomplete="current-password" required>';

/** Of the documents asked for, those this task still has to sign. */
export const signable = (c: Ctx, ids: string[]) => c.pt.documents.filter((x) => ids.includes(x.id) && x.action === 'sign' && !x.signed);

/** The sign page: the sign text, the documents, and the step's form (`inner`) under "Sign with …". */
export function signPage(kit: Kit, c: Ctx, docIds: string[], inner: string): string {
  const docs = signable(c, docIds)
    .map((x) => `<li><span class="name">${h(x.description ?? x.id)}</span></li>`)
    .join('');
  const title = t(c.lang, 'sign.title');
  return (
    `<h1>${h(title)}</h1><blockquote class="signtext">${h(c.pt.signText ?? t(c.lang, 'sign.defaultText'))}</blockquote>` +
    `<ul class="docs">${docs}</ul><h2>${h(t(c.lang, 'sign.with', { method: kit.methodName(SIGN) }))}</h2>${inner}`
  );
}

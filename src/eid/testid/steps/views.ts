// The HTML the test eID's steps share: a step's form action and hidden fields (the CSRF token first),
// the warning alert, the failure texts, the key-card code form, the password field and the sign page.
import { t, type LangLike } from '../../../portal/i18n';
import { html, type Html } from '../../../portal/html';
import type { Ctx, Kit } from '../../../portal/kit';
import type { Challenge, Failure } from '../users';
import { SIGN } from './shared';

/**
 * What a step's form needs of its page: the language, where the steps live (`base/step?query`) and the
 * session's CSRF token. A task page's Ctx is one; so is a login that is not a task (src/eid/authn).
 */
export interface StepView {
  lang: LangLike;
  base: string;
  query: string;
  session: { csrf: string };
}

export const action = (c: StepView, step: string) => `${c.base}/${step}?${c.query}`;

export const hidden = (c: StepView, fields: Record<string, string | string[]> = {}): Html =>
  html`<input type="hidden" name="csrf" value="${c.session.csrf}">${Object.entries(fields).flatMap(([k, v]) =>
    ([] as string[]).concat(v).map((x) => html`<input type="hidden" name="${k}" value="${x}">`),
  )}`;

export function alert(text: string): Html {
  return html`<p class="status warn" role="alert">${text}</p>`;
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
export function codeForm(
  c: StepView,
  step: string,
  ch: Challenge,
  fields: Record<string, string | string[]>,
  notice?: Html,
  extra?: Html,
): Html {
  const signing = step.startsWith('sign');
  const title = t(c.lang, signing ? 'code.signTitle' : 'code.title');
  // inside the sign page, under its h1 and h2
  const heading = signing ? html`<h3>${title}</h3>` : html`<h1>${title}</h1>`;
  const lead = html`<p class="lead">${t(c.lang, 'code.body', { card: ch.cardId, number: ch.keyNumber })}</p>`;
  const code = html`<label for="code">${t(c.lang, 'code.label', { number: ch.keyNumber })}</label><input type="text" id="code" name="code" inputmode="numeric" autocomplete="one-time-code" pattern="[0-9]{6}" maxlength="6" required>`;
  const buttons = html`<div class="actions"><button class="button" name="do" value="next">${t(c.lang, signing ? 'sign.confirm' : 'login.next')}</button><button class="button secondary" name="do" value="cancel" formnovalidate>${t(c.lang, 'login.cancel')}</button></div>`;
  return html`${notice}${heading}${lead}<form method="post" action="${action(c, step)}">${hidden(c, { ...fields, challenge: ch.challengeId })}${extra}${code}${buttons}</form>`;
}

export const passwordField = (c: StepView): Html =>
  html`<label for="password">${t(c.lang, 'login.password')}</label><input type="password" id="password" name="password" autocomplete="current-password" required>`;

/** Of the documents asked for, those this task still has to sign. */
export const signable = (c: Ctx, ids: string[]) => c.pt.documents.filter((x) => ids.includes(x.id) && x.action === 'sign' && !x.signed);

/** The sign page: the sign text, the documents, and the step's form (`inner`) under "Sign with …". */
export function signPage(kit: Kit, c: Ctx, docIds: string[], inner: Html): Html {
  const docs = signable(c, docIds).map((x) => html`<li><span class="name">${x.description ?? x.id}</span></li>`);
  const title = t(c.lang, 'sign.title');
  const text = html`<blockquote class="signtext">${c.pt.signText ?? t(c.lang, 'sign.defaultText')}</blockquote>`;
  return html`<h1>${title}</h1>${text}<ul class="docs">${docs}</ul><h2>${t(c.lang, 'sign.with', { method: kit.methodName(SIGN) })}</h2>${inner}`;
}

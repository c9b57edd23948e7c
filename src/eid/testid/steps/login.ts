// The login step (`nemid`): user id and password, then a key-card code; after it a new session id,
// the CPR check when the task names a national-id (asking for the CPR number in cpr.ts when PID-CPR
// needs it), and back to the task page.
import type express from 'express';
import { t } from '../../../portal/i18n';
import { html } from '../../../portal/html';
import { taskKey } from '../../../portal/session';
import type { Ctx, Kit } from '../../../portal/kit';
import type { Authenticated, Failure } from '../users';
import { LOGIN, str, type Steps } from './shared';
import { action, alert, codeForm, failureText, hidden, passwordField } from './views';

/** The first login form on the task page: user id and password. */
export function loginForm(kit: Kit, c: Ctx, method: string): string {
  if (method !== LOGIN) return '';
  const user = html`<label for="user">${t(c.lang, 'login.userId')}</label><input type="text" id="user" name="user" autocomplete="username" required>`;
  const form = html`<form method="post" action="${action(c, 'login')}">${hidden(c)}${user}${passwordField(c)}<div class="actions"><button class="button">${t(c.lang, 'login.next')}</button></div></form>`;
  return html`<h2>${t(c.lang, 'login.with', { method: kit.methodName(method) })}</h2>${form}`.value;
}

/**
 * After the eID: a new session id (an id planted before the login is worth nothing now), the CPR
 * check when the task names a national-id, then the task page. What was read carries over only for
 * the same person; `userId` is what they typed, shown again when they sign.
 */
async function afterLogin(s: Steps, c: Ctx, res: express.Response, who: Authenticated, userId: string): Promise<void> {
  const { kit, d } = s;
  const { pid, employee } = who;
  const key = taskKey(c.pt.requestId, c.pt.taskId);
  const before = c.session.tasks[key];
  kit.rotate(c);
  c.session.tasks[key] = {
    method: LOGIN,
    pid,
    userId: userId.slice(0, 64),
    at: c.now,
    viewed: before?.pid === pid ? before.viewed : undefined,
    ...(employee ? { employee: { organisation: employee.organisation, cvr: employee.cvr, rid: employee.rid } } : {}),
  };
  if (c.pt.nationalId) {
    const begun = await d.pidcpr.begin(c.svc, pid);
    if (!begun.ok && begun.reason === 'ask-user') {
      c.session.tasks[key]!.pending = 'cpr';
      kit.redirect(res, c, action(c, 'cpr'));
      return;
    }
    if (!begun.ok || begun.cpr !== c.pt.nationalId.replace(/-/g, '')) {
      await s.refuse(c, res, 'national-id-mismatch', "the person who logged in is not the task's subject (national-id mismatch)");
      return;
    }
  }
  await kit.signer.recordPortalEvent(c.svc, c.pt.requestId, c.pt.taskId, 'user-authenticated', loginEvent(employee));
  s.toTask(res, c);
}

/** What the `user-authenticated` event says: the method, and for an employee the organisation, CVR number and RID. */
export const loginEvent = (employee?: Authenticated['employee']): string =>
  employee ? `${LOGIN}; employee of ${employee.organisation} (CVR ${employee.cvr}, RID ${employee.rid})` : LOGIN;

/** POST login and login/code: password first, then the key-card code (a wrong code asks for the next one). */
export function mountLogin(s: Steps): void {
  const { kit, d } = s;

  s.post('login', async (c, body, _req, res) => {
    if (!c.pt.authentication.includes(LOGIN)) {
      kit.send(res, 400, c, t(c.lang, 'login.title'), kit.loginPage(c));
      return;
    }
    const started = await d.testid.startLogin(str(body.user), str(body.password));
    if (!started || 'ok' in started) {
      await s.failed(c, started.reason, 'login: user id and password refused');
      kit.send(res, 401, c, t(c.lang, 'login.title'), kit.loginPage(c, alert(failureText(c.lang, started as Failure))));
      return;
    }
    kit.send(res, 200, c, t(c.lang, 'code.title'), codeForm(c, 'login/code', started, { user: str(body.user) }));
  });

  s.post('login/code', async (c, body, _req, res) => {
    if (body.do === 'cancel') {
      await s.cancelled(c, res, 'the signer cancelled the key-card step');
      return;
    }
    const answered = await d.testid.answer(str(body.challenge), str(body.code));
    if (answered.ok) {
      await afterLogin(s, c, res, answered, str(body.user));
      return;
    }
    await s.failed(c, answered.reason, 'login: key-card code refused');
    if (answered.next && answered.reason === 'wrong-code') {
      kit.send(
        res,
        401,
        c,
        t(c.lang, 'code.title'),
        codeForm(c, 'login/code', answered.next, { user: str(body.user) }, alert(failureText(c.lang, answered))),
      );
      return;
    }
    kit.send(res, 401, c, t(c.lang, 'login.title'), kit.loginPage(c, alert(failureText(c.lang, answered))));
  });
}

// The CPR step after login, when PID-CPR asks the signer: the CPR number typed (optionally stored
// with PID-CPR), matched to the PID and then to the task's national-id.
import { t } from '../../../portal/i18n';
import { pidCprTextKey } from '../../pidcpr';
import { html, type Html } from '../../../portal/html';
import type { Ctx } from '../../../portal/kit';
import { str, type Steps } from './shared';
import { loginEvent } from './login';
import { action, alert, hidden } from './views';

const cprForm = (c: Ctx, notice?: Html) => {
  const store = html`<p class="choice"><input type="checkbox" id="store" name="store" value="1"> <label for="store" class="inline">${t(c.lang, 'cpr.store')}</label></p>`;
  const fields = html`<label for="cpr">${t(c.lang, 'cpr.label')}</label><input type="text" id="cpr" name="cpr" inputmode="numeric" autocomplete="off" required maxlength="11">${store}`;
  return html`${notice}<h1>${t(c.lang, 'cpr.title')}</h1><p class="lead">${t(c.lang, 'cpr.body')}</p><form method="post" action="${action(c, 'cpr')}">${hidden(c)}${fields}<div class="actions"><button class="button">${t(c.lang, 'login.next')}</button></div></form>`;
};

/** GET and POST cpr: only while the login waits for it, else the task page. */
export function mountCpr(s: Steps): void {
  const { r, kit, d } = s;

  r.get(
    '/std/docaction/:service/cpr',
    kit.guard(async (req, res) => {
      const c = await kit.resolve(req, res, kit.ids(req));
      if (!c) return;
      if (c.login?.pending !== 'cpr') {
        s.toTask(res, c);
        return;
      }
      kit.send(res, 200, c, t(c.lang, 'cpr.title'), cprForm(c));
    }),
  );

  s.post('cpr', async (c, body, _req, res) => {
    const login = c.login;
    if (login?.pending !== 'cpr' || !login.pid) {
      s.toTask(res, c);
      return;
    }
    const typed = str(body.cpr);
    const matched = await d.pidcpr.match(c.svc, login.pid, typed, { store: body.store === '1' });
    if (!matched.ok) {
      kit.send(res, 400, c, t(c.lang, 'cpr.title'), cprForm(c, alert(t(c.lang, pidCprTextKey(matched.reason)))));
      return;
    }
    if (matched.cpr !== c.pt.nationalId!.replace(/-/g, '')) {
      await s.refuse(c, res, 'national-id-mismatch', "the person who logged in is not the task's subject (national-id mismatch)");
      return;
    }
    delete login.pending;
    await kit.signer.recordPortalEvent(
      c.svc,
      c.pt.requestId,
      c.pt.taskId,
      'user-authenticated',
      `${loginEvent(login.employee)}, CPR verified by PID-CPR`,
    );
    s.toTask(res, c);
  });
}

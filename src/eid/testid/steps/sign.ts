// The first signing steps (`nemid-sign`): the sign page asks who signs (the user id, filled in from
// the login), then a signing challenge asks the password and a fresh key-card code together
// (confirm.ts takes that answer).
import type { PortalTask } from '../../../core/portal';
import { t } from '../../../portal/i18n';
import { html } from '../../../portal/html';
import { LOGIN, SIGN, list, str, type Steps } from './shared';
import { action, alert, codeForm, failureText, hidden, passwordField, signPage, signable } from './views';

// nemid-sign as a signature method, or nemid as an authentication-based signature: both are the
// test eID's central key released by password and a key-card code
export const methodOk = (pt: PortalTask) =>
  pt.signatureMethods.length === 0 || pt.signatureMethods.includes(SIGN) || pt.signatureMethods.includes(LOGIN);

/** GET sign: the documents and the user id form; only when logged in with something left to sign. */
function mountSignPage(s: Steps): void {
  const { r, kit } = s;
  r.get(
    '/std/docaction/:service/sign',
    kit.guard(async (req, res) => {
      const c = await kit.resolve(req, res, kit.ids(req));
      if (!c) return;
      const docIds = list(req.query.document_id);
      if (!kit.loggedIn(c) || !signable(c, docIds).length) {
        s.toTask(res, c);
        return;
      }
      if (kit.refuseUnready(res, c, docIds)) return;
      if (!methodOk(c.pt)) {
        await s.failed(c, 'method-not-offered', 'signing: no signature method of the task is the test eID');
        s.refused(res, c, 200, 'method-not-offered', 'sign.unavailable');
        return;
      }
      const user = html`<label for="user">${t(c.lang, 'login.userId')}</label><input type="text" id="user" name="user" autocomplete="username" required value="${c.login?.userId ?? ''}">`;
      const inner = html`<form method="post" action="${action(c, 'sign/start')}">${hidden(c, { document_id: docIds })}${user}<div class="actions"><button class="button">${t(c.lang, 'login.next')}</button></div></form>`;
      kit.send(res, 200, c, t(c.lang, 'sign.title'), signPage(kit, c, docIds, inner));
    }),
  );
}

/** GET sign and POST sign/start. */
export function mountSign(s: Steps): void {
  const { kit, d } = s;
  mountSignPage(s);

  // Step 1: who signs; a signing challenge. Step 2 asks password and code together.
  s.post('sign/start', async (c, body, _req, res) => {
    const docIds = list(body.document_id);
    if (!kit.loggedIn(c) || !signable(c, docIds).length || !methodOk(c.pt)) {
      s.toTask(res, c);
      return;
    }
    if (kit.refuseUnready(res, c, docIds)) return;
    const ch = await d.testid.signingChallenge(str(body.user));
    if ('ok' in ch) {
      await s.failed(c, ch.reason, 'signing: user id refused');
      kit.send(res, 401, c, t(c.lang, 'sign.title'), signPage(kit, c, docIds, alert(failureText(c.lang, ch))));
      return;
    }
    kit.send(
      res,
      200,
      c,
      t(c.lang, 'sign.title'),
      signPage(kit, c, docIds, codeForm(c, 'sign/confirm', ch, { document_id: docIds, user: str(body.user) }, undefined, passwordField(c))),
    );
  });
}

// The first signing steps (`nemid-sign`): the sign page asks who signs (the user id, filled in from
// the login), then a signing challenge asks the password and a fresh key-card code together
// (confirm.ts takes that answer).
import type { PortalTask } from '../../../core/portal';
import type express from 'express';
import { t } from '../../../portal/i18n';
import type { Ctx } from '../../../portal/kit';
import { handwritten, mountInk, sendPad } from './ink';
import { html } from '../../../portal/html';
import { LOGIN, SIGN, list, str, type Steps } from './shared';
import { action, alert, codeForm, failureText, hidden, passwordField, signPage, signable } from './views';

// nemid-sign as a signature method, or nemid as an authentication-based signature: both are the
// test eID's central key released by password and a key-card code
export const methodOk = (pt: PortalTask) =>
  pt.signatureMethods.length === 0 || pt.signatureMethods.includes(SIGN) || pt.signatureMethods.includes(LOGIN);

/** A user session's one act over several tasks offers no drawing pad: a handwritten task is signed on its own. */
export const sessionMethodOk = (pt: PortalTask) => methodOk(pt) && !handwritten(pt);

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

/** The signing challenge for `user`: the password and key-card code form, or the sign page with the refusal. */
async function challenge(s: Steps, c: Ctx, docIds: string[], user: string, res: express.Response): Promise<void> {
  const { kit, d } = s;
  const ch = await d.testid.signingChallenge(user);
  if ('ok' in ch) {
    await s.failed(c, ch.reason, 'signing: user id refused');
    kit.send(res, 401, c, t(c.lang, 'sign.title'), signPage(kit, c, docIds, alert(failureText(c.lang, ch))));
    return;
  }
  const form = codeForm(c, 'sign/confirm', ch, { document_id: docIds, user }, undefined, passwordField(c));
  kit.send(res, 200, c, t(c.lang, 'sign.title'), signPage(kit, c, docIds, form));
}

/** GET sign, POST sign/start and, for a handwritten method, POST sign/ink (the drawing pad: ink.ts). */
export function mountSign(s: Steps): void {
  const { kit } = s;
  mountSignPage(s);
  mountInk(s, (c, docIds, user, res) => challenge(s, c, docIds, user, res));

  // Step 1: who signs; the drawing pad first when the method is handwritten; a signing challenge.
  // Step 2 asks password and code together.
  s.post('sign/start', async (c, body, _req, res) => {
    const docIds = list(body.document_id);
    if (!kit.loggedIn(c) || !signable(c, docIds).length || !methodOk(c.pt)) {
      s.toTask(res, c);
      return;
    }
    if (kit.refuseUnready(res, c, docIds)) return;
    if (handwritten(c.pt)) {
      sendPad(s, c, res, docIds, str(body.user));
      return;
    }
    await challenge(s, c, docIds, str(body.user), res);
  });
}

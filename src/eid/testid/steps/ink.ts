// InkSign with the test eID (`<method handwritten="true">nemid-sign</method>`): after the sign page's user id,
// the drawing pad (src/portal/ink.ts); the drawing, once checked, is kept in the session, and the signing
// challenge (password and key-card code) follows. The drawing comes before the key-card step because the
// central key signs it with the documents: the last step releases the key, so what it signs must be there.
// A refused drawing is the pad again with a translated alert (400), nothing kept.
import express from 'express';
import type { PortalTask } from '../../../core/portal';
import { t } from '../../../portal/i18n';
import { checkInk, inkBody, inkPad, inkTooLarge, storeInk } from '../../../portal/ink';
import type { Ctx } from '../../../portal/kit';
import { SIGN, list, str, type Steps } from './shared';
import { action, alert, hidden, signPage, signable } from './views';

/** The task's signature method asks for a drawing after the test eID. */
export const handwritten = (pt: PortalTask) => pt.handwrittenMethods.includes(SIGN);

/** The pad under the sign page (status 200, or 400 with the refusal's text). */
export function sendPad(s: Steps, c: Ctx, res: express.Response, docIds: string[], user: string, why?: Parameters<typeof t>[1]): void {
  // the documents and user id ride in the action's query: a body over the limit is never parsed, and the pad comes back all the same
  const extra = new URLSearchParams([...docIds.map((x): [string, string] => ['document_id', x]), ['user', user]]).toString();
  const pad = inkPad({ lang: c.lang, action: `${action(c, 'sign/ink')}&${extra}`, hidden: hidden(c) }, why && alert(t(c.lang, why)));
  s.kit.send(res, why ? 400 : 200, c, t(c.lang, 'ink.title'), signPage(s.kit, c, docIds, pad));
}

/** POST sign/ink: the drawing checked and kept, then `next` (the signing challenge); or the pad again. */
export function mountInk(s: Steps, next: (c: Ctx, docIds: string[], user: string, res: express.Response) => Promise<void>): void {
  const { kit, r } = s;
  r.post(
    '/std/docaction/:service/sign/ink',
    inkBody,
    kit.guard(async (req, res) => {
      const c = await kit.resolve(req, res, kit.ids(req));
      if (!c) return;
      const body = (req.body ?? {}) as Record<string, unknown>;
      const docIds = list(req.query.document_id);
      const user = str(req.query.user);
      if (!kit.loggedIn(c) || !c.login || !signable(c, docIds).length || !handwritten(c.pt)) {
        s.toTask(res, c);
        return;
      }
      // too large: refused before the CSRF check (there is no body to check), nothing kept
      if (inkTooLarge(req)) {
        sendPad(s, c, res, docIds, user, 'ink.tooLarge');
        return;
      }
      if (!kit.csrfOk(c, body)) {
        const m = kit.csrfRefused(c);
        kit.send(res, 403, c, m.title, m.main);
        return;
      }
      if (body.do === 'cancel') {
        s.toTask(res, c);
        return;
      }
      if (kit.refuseUnready(res, c, docIds)) return;
      const checked = checkInk(body, req.headers['user-agent']);
      if (!checked.ok) {
        sendPad(s, c, res, docIds, user, checked.why);
        return;
      }
      // one drawing per session at most (bounds the session's row)
      for (const l of Object.values(c.session.tasks)) delete l.ink;
      c.login.ink = storeInk(checked.ink);
      await next(c, docIds, user, res);
    }),
  );
}

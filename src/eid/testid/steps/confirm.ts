// The last signing step (`nemid-sign`): the password and key-card code release the test eID's
// central key; the signer is checked against the login and the task, the certificate against its
// status, and then core's signTask records the act with the native signature; the seal job verifies,
// time-stamps, packages and seals it while the signer's page shows "signed, being sealed".
import type express from 'express';
import { StateError } from '../../../core/errors';
import type { PortalDocument } from '../../../core/portal';
import { sealingMessage } from '../../../portal/pages/sealing';
import { t } from '../../../portal/i18n';
import type { TestIdRefusal } from '../refusals';
import type { Ctx } from '../../../portal/kit';
import type { SigningAuthorised } from '../users';
import { SIGN, list, str, type Steps } from './shared';
import { alert, codeForm, failureText, passwordField, signPage, signable } from './views';
import { methodOk } from './sign';
import { handwritten, sendPad } from './ink';
import { loadInk } from '../../../portal/ink';
import { shownAudit } from '../../../portal/task';

/** The password and the code checked; on failure the sign page again (a wrong code asks for the next one). */
async function authorise(
  s: Steps,
  c: Ctx,
  body: Record<string, unknown>,
  docIds: string[],
  res: express.Response,
): Promise<SigningAuthorised | undefined> {
  const auth = await s.d.testid.authoriseSigning(str(body.user), str(body.password), str(body.challenge), str(body.code));
  if (auth.ok) return auth;
  await s.failed(c, auth.reason, 'signing: password or key-card code refused');
  const inner =
    auth.next && auth.reason === 'wrong-code'
      ? codeForm(
          c,
          'sign/confirm',
          auth.next,
          { document_id: docIds, user: str(body.user) },
          alert(failureText(c.lang, auth)),
          passwordField(c),
        )
      : alert(failureText(c.lang, auth));
  s.kit.send(res, 401, c, t(c.lang, 'sign.title'), signPage(s.kit, c, docIds, inner));
  return undefined;
}

/** Another person than the one who logged in or the task names, or a certificate that may not sign: recorded and refused. */
async function signerRefused(s: Steps, c: Ctx, res: express.Response, auth: SigningAuthorised): Promise<boolean> {
  if (c.login?.pid && c.login.pid !== auth.pid) {
    await s.refuse(c, res, 'other-signer', 'signed with another NemID than the one that logged in', 'refused.otherSigner');
    return true;
  }
  if (c.pt.nationalId && (await s.d.testid.cprOfPid(auth.pid)) !== c.pt.nationalId.replace(/-/g, '')) {
    await s.refuse(c, res, 'national-id-mismatch', "the signer is not the task's subject (national-id mismatch)");
    return true;
  }
  const failedPage = async (why: TestIdRefusal, event: string) => {
    await s.failed(c, why, event);
    s.refused(res, c, 409, why);
  };
  if (auth.certificateStatus === 'revoked') {
    await failedPage('certificate-revoked', "signing refused: the signer's certificate is revoked");
    return true;
  }
  if (auth.certificateStatus === 'locked') {
    await failedPage('certificate-on-hold', "signing refused: the signer's certificate is on hold (locked)");
    return true;
  }
  return false;
}

/** What happened before the signature, for the package's audit trail (core stamps it with its clock). */
export function signingAudit(c: Ctx): { type: string; text: string }[] {
  return [
    ...shownAudit(c),
    {
      type: 'user-authenticated',
      text: `${c.login?.method ?? 'none'} login; signature authorised with ${SIGN} (password and key-card code)`,
    },
    ...(c.pt.nationalId ? [{ type: 'cpr-verified', text: 'CPR number collected and matched to the PID (PID-CPR)' }] : []),
    ...(c.login?.ink
      ? [
          {
            type: 'handwriting-drawn',
            text: `signature drawn with ${c.login.ink.device.pointerType} (${c.login.ink.strokes.length} strokes)`,
          },
        ]
      : []),
  ];
}

/** Core records the act (native signature, seal job); then the "signed, being sealed" page, which follows the seal job. */
async function signDocuments(
  s: Steps,
  c: Ctx,
  req: express.Request,
  res: express.Response,
  docs: PortalDocument[],
  auth: SigningAuthorised,
): Promise<void> {
  const { kit } = s;
  const input = {
    documentIds: docs.map((x) => x.id),
    signer: auth.identity,
    audit: signingAudit(c),
    defaultSignText: t(c.lang, 'sign.defaultText'),
    userAgent: req.headers['user-agent'],
    clientIp: req.ip,
    ...(c.login?.ink ? { handwriting: loadInk(c.login.ink) } : {}),
  };
  try {
    await kit.signer.signTask(c.svc, c.pt.requestId, c.pt.taskId, input, await s.d.signing());
  } catch (e) {
    // a second Sign that raced the first (a double click): the first act is being sealed, and this page follows it
    if (!(e instanceof StateError) || (await kit.signer.sealState(c.svc, c.pt.requestId, c.pt.taskId)) !== 'sealing') throw e;
  }
  if (c.login) delete c.login.ink;
  // the act is recorded; the seal job verifies, time-stamps and seals it, and the page follows it without reloading
  const m = sealingMessage(c.lang, { svc: c.svc, requestId: c.pt.requestId, taskId: c.pt.taskId });
  kit.send(res, 200, c, m.title, m.main);
}

/** POST sign/confirm: cancel, or the code; then the central key signs and the act is recorded for its seal job. */
export function mountConfirm(s: Steps): void {
  const { kit } = s;
  s.post('sign/confirm', async (c, body, req, res) => {
    const docIds = list(body.document_id);
    const docs = signable(c, docIds);
    if (!kit.loggedIn(c) || !docs.length) {
      s.toTask(res, c);
      return;
    }
    if (body.do === 'cancel') {
      await kit.signer.recordPortalEvent(c.svc, c.pt.requestId, c.pt.taskId, 'document-sign-cancelled', docIds.join(', '));
      s.toTask(res, c);
      return;
    }
    // every document of this act delivered to this signer first, whatever the page did (checked again
    // here: a POST may come straight to this step)
    if (kit.refuseUnready(res, c, docIds)) return;
    if (!methodOk(c.pt)) {
      await s.failed(c, 'method-not-offered', 'signing: no signature method of the task is the test eID');
      s.refused(res, c, 200, 'method-not-offered', 'sign.unavailable');
      return;
    }
    // a handwritten method: the drawing first (sign/ink keeps it in the session)
    if (handwritten(c.pt) && !c.login?.ink) {
      sendPad(s, c, res, docIds, str(body.user), 'ink.empty');
      return;
    }
    const auth = await authorise(s, c, body, docIds, res);
    if (!auth || (await signerRefused(s, c, res, auth))) return;
    await signDocuments(s, c, req, res, docs, auth);
  });
}

// The signer's eID steps in the portal, for the test eID (NemID-style): log in with user id,
// password and a key-card code (`nemid`); confirm the CPR number through PID-CPR when the task names
// a national-id; sign with password and a fresh key-card code (`nemid-sign`), after which the
// central key makes the native signature and the pipeline verifies, packages and seals it.
//
// The login and CPR steps are in steps/ (login.ts, cpr.ts; the signing steps are still here), what
// they share in steps/shared.ts (the step context: POST with CSRF, refusals) and steps/views.ts (the
// forms, alerts, failure texts and the sign page).
import type express from 'express';
import type { PortalDocument, PortalTask } from '../../core/portal';
import { redirectUrl } from '../../core/portal';
import { t, type TextKey } from '../../portal/i18n';
import { h } from '../../portal/layout';
import type { Ctx, Kit, PortalEidMethod } from '../../portal/kit';
import { TESTID_METHODS } from '../registry';
import type { SigningAuthorised } from './users';
import { mountCpr } from './steps/cpr';
import { loginForm, mountLogin } from './steps/login';
import { LOGIN, SIGN, list, str, stepsFor, type EidDeps, type Steps } from './steps/shared';
import { action, alert, codeForm, failureText, hidden, passwordField, signPage, signable } from './steps/views';

// nemid-sign as a signature method, or nemid as an authentication-based signature: both are the
// test eID's central key released by password and a key-card code
const methodOk = (pt: PortalTask) =>
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
        s.refused(res, c, 200, 'sign.unavailable');
        return;
      }
      const inner =
        `<form method="post" action="${h(action(c, 'sign/start'))}">${hidden(c, { document_id: docIds })}` +
        `<label for="user">${h(t(c.lang, 'login.userId'))}</label><input type="text" id="user" name="user" autocomplete="username" required value="${h(c.login?.userId ?? '')}">` +
        `<div class="actions"><button class="button">${h(t(c.lang, 'login.next'))}</button></div></form>`;
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
      kit.send(res, 401, c, t(c.lang, 'sign.title'), signPage(kit, c, docIds, alert(failureText(c.lang, ch))));
      return;
    }
    kit.send(
      res,
      200,
      c,
      t(c.lang, 'sign.title'),
      signPage(kit, c, docIds, codeForm(c, 'sign/confirm', ch, { document_id: docIds, user: str(body.user) }, '', passwordField(c))),
    );
  });
}

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
    await s.refuse(c, res, 'refused.otherSigner', 'signed with another NemID than the one that logged in');
    return true;
  }
  if (c.pt.nationalId && (await s.d.testid.cprOfPid(auth.pid)) !== c.pt.nationalId.replace(/-/g, '')) {
    await s.refuse(c, res, 'refused.nationalId', "the signer is not the task's subject (national-id mismatch)");
    return true;
  }
  const failedPage = async (key: TextKey, why: string) => {
    await s.kit.documents.recordError(c.svc, c.pt.requestId, c.pt.taskId, why);
    s.refused(res, c, 409, key);
  };
  if (auth.certificateStatus === 'revoked') {
    await failedPage('sign.revoked', "signing refused: the signer's certificate is revoked");
    return true;
  }
  if (auth.certificateStatus === 'locked') {
    await failedPage('sign.locked', "signing refused: the signer's certificate is on hold (locked)");
    return true;
  }
  return false;
}

/** What happened before the signature, for the package's audit trail (core stamps it with its clock). */
function signingAudit(c: Ctx): { type: string; text: string }[] {
  const viewed = new Set(c.login?.viewed ?? []);
  return [
    ...c.pt.documents
      .filter((x) => viewed.has(x.id))
      .map((x) => ({
        type: x.mimeType === 'application/pdf' ? 'pdf-shown' : 'document-shown',
        text: `${x.description ?? x.id} shown to the signer`,
      })),
    {
      type: 'user-authenticated',
      text: `${c.login?.method ?? 'none'} login; signature authorised with ${SIGN} (password and key-card code)`,
    },
    ...(c.pt.nationalId ? [{ type: 'cpr-verified', text: 'CPR number collected and matched to the PID (PID-CPR)' }] : []),
  ];
}

/** Core signs the documents with the pipeline; then the task's complete redirect or the "signed" page. */
async function signDocuments(
  s: Steps,
  c: Ctx,
  req: express.Request,
  res: express.Response,
  docs: PortalDocument[],
  auth: SigningAuthorised,
): Promise<void> {
  const { kit } = s;
  const outcome = await kit.documents.signTask(
    c.svc,
    c.pt.requestId,
    c.pt.taskId,
    {
      documentIds: docs.map((x) => x.id),
      signer: auth.identity,
      audit: signingAudit(c),
      defaultSignText: t(c.lang, 'sign.defaultText'),
      userAgent: req.headers['user-agent'],
      clientIp: req.ip,
    },
    await s.d.signing(),
  );
  if (!outcome.ok) {
    s.refused(res, c, 409, 'sign.failed');
    return;
  }
  if (c.pt.redirects.complete) {
    kit.redirect(res, c, redirectUrl(c.pt.redirects.complete, c.pt.requestId, c.pt.taskId));
    return;
  }
  const m = kit.message(c.lang, 'done.signed.title', 'done.signed.body', 'ok');
  kit.send(res, 200, c, m.title, m.main);
}

/** POST sign/confirm: cancel, or the code; then the central key signs and the pipeline verifies, packages and seals. */
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
      await kit.documents.recordPortalEvent(c.svc, c.pt.requestId, c.pt.taskId, 'document-sign-cancelled', docIds.join(', '));
      s.toTask(res, c);
      return;
    }
    // every document of this act delivered to this signer first, whatever the page did (checked again
    // here: a POST may come straight to this step)
    if (kit.refuseUnready(res, c, docIds)) return;
    if (!methodOk(c.pt)) {
      s.refused(res, c, 200, 'sign.unavailable');
      return;
    }
    const auth = await authorise(s, c, body, docIds, res);
    if (!auth || (await signerRefused(s, c, res, auth))) return;
    await signDocuments(s, c, req, res, docs, auth);
  });
}

export type { EidDeps };

/** The test eID as the portal runs it: `nemid` (login) and `nemid-sign` (signing). */
export function testIdMethod(d: EidDeps): PortalEidMethod {
  return { methods: TESTID_METHODS, mount: (r, kit) => mountEid(r, kit, d) };
}

/** Registers the eID routes on `r`; returns the login form renderer the task page uses. */
function mountEid(r: express.Router, kit: Kit, d: EidDeps): { loginForm(c: Ctx, method: string): string } {
  const s = stepsFor(r, kit, d);
  mountLogin(s);
  mountCpr(s);
  mountSign(s);
  mountConfirm(s);
  return { loginForm: (c, method) => loginForm(kit, c, method) };
}

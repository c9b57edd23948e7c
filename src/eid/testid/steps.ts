// The signer's eID steps in the portal, for the test eID (NemID-style): log in with user id,
// password and a key-card code (`nemid`); confirm the CPR number through PID-CPR when the task names
// a national-id; sign with password and a fresh key-card code (`nemid-sign`), after which the
// central key makes the native signature and the pipeline verifies, packages and seals it.
import express from 'express';
import type { PortalTask } from '../../core/portal';
import { redirectUrl } from '../../core/portal';
import type { Challenge, Failure, TestIdEnvironment } from './users';
import type { PidCprService } from '../pidcpr';
import type { SigningPipeline } from '../../signing/pipeline';
import { t, type LangLike, type TextKey } from '../../portal/i18n';
import { h } from '../../portal/layout';
import { taskKey } from '../../portal/session';
import type { Ctx, Kit, PortalEidMethod } from '../../portal/kit';
import { TESTID_METHODS } from '../registry';

export interface EidDeps {
  testid: TestIdEnvironment;
  pidcpr: PidCprService;
  signing: () => Promise<SigningPipeline>;
}

const LOGIN = 'nemid';
const SIGN = 'nemid-sign';
const form = express.urlencoded({ extended: false, limit: '16kb', parameterLimit: 200 });
const str = (v: unknown) => (typeof v === 'string' ? v.trim() : '');
const list = (v: unknown): string[] => ([] as unknown[]).concat(v ?? []).filter((x): x is string => typeof x === 'string');

function alert(text: string): string {
  return `<p class="status warn" role="alert">${h(text)}</p>`;
}

function failureText(lang: LangLike, f: Failure): string {
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

/** Registers the eID routes on `r`; returns the login form renderer the task page uses. */
/** The test eID as the portal runs it: `nemid` (login) and `nemid-sign` (signing). */
export function testIdMethod(d: EidDeps): PortalEidMethod {
  return { methods: TESTID_METHODS, mount: (r, kit) => mountEid(r, kit, d) };
}

function mountEid(r: express.Router, kit: Kit, d: EidDeps): { loginForm(c: Ctx, method: string): string } {
  const action = (c: Ctx, step: string) => `${c.base}/${step}?${c.query}`;
  const hidden = (c: Ctx, fields: Record<string, string | string[]> = {}) =>
    `<input type="hidden" name="csrf" value="${h(c.session.csrf)}">` +
    Object.entries(fields)
      .flatMap(([k, v]) => ([] as string[]).concat(v).map((x) => `<input type="hidden" name="${h(k)}" value="${h(x)}">`))
      .join('');

  function loginForm(c: Ctx, method: string): string {
    if (method !== LOGIN) return '';
    return (
      `<h2>${h(t(c.lang, 'login.with', { method: kit.methodName(method) }))}</h2><form method="post" action="${h(action(c, 'login'))}">${hidden(c)}` +
      `<label for="user">${h(t(c.lang, 'login.userId'))}</label><input type="text" id="user" name="user" autocomplete="username" required>` +
      `<label for="password">${h(t(c.lang, 'login.password'))}</label><input type="password" id="password" name="password" autocomplete="current-password" required>` +
      `<div class="actions"><button class="button">${h(t(c.lang, 'login.next'))}</button></div></form>`
    );
  }

  /** The key-card step: at login the code; at signing the password and the code, under a heading that says both, and a "Sign" button. */
  function codeForm(c: Ctx, step: string, ch: Challenge, fields: Record<string, string | string[]>, notice = '', extra = ''): string {
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

  /** A POST step: resolved task, CSRF checked (else the task page again). */
  const post = (
    path: string,
    handler: (c: Ctx, body: Record<string, unknown>, req: express.Request, res: express.Response) => Promise<void>,
  ) =>
    r.post(
      `/std/docaction/:service/${path}`,
      form,
      kit.guard(async (req, res) => {
        const c = await kit.resolve(req, res, kit.ids(req));
        if (!c) return;
        // (no body, or not a form: nothing was parsed, and the CSRF check refuses it)
        const body = (req.body ?? {}) as Record<string, unknown>;
        if (!kit.csrfOk(c, body)) {
          const m = kit.csrfRefused(c);
          kit.send(res, 403, c, m.title, m.main);
          return;
        }
        await handler(c, body, req, res);
      }),
    );

  /** "You cannot sign this task" and why. */
  const refused = (res: express.Response, c: Ctx, status: number, why: TextKey) => {
    const m = kit.message(c.lang, 'refused.title', why, 'warn');
    kit.send(res, status, c, m.title, m.main);
  };

  const cancelled = async (c: Ctx, res: express.Response, why: string) => {
    await kit.documents.recordPortalEvent(c.svc, c.pt.requestId, c.pt.taskId, 'user-authentication-cancelled', why);
    kit.redirect(res, c, `${c.base}?${c.query}`);
  };

  const refuse = async (c: Ctx, res: express.Response, body: TextKey, event: string) => {
    await kit.documents.recordPortalEvent(c.svc, c.pt.requestId, c.pt.taskId, 'user-authentication-cancelled', event);
    delete c.session.tasks[taskKey(c.pt.requestId, c.pt.taskId)];
    refused(res, c, 403, body);
  };

  /**
   * After the eID: a new session id (an id planted before the login is worth nothing now), the CPR
   * check when the task names a national-id, then the task page. What was read carries over only for
   * the same person; `userId` is what they typed, shown again when they sign.
   */
  async function afterLogin(c: Ctx, res: express.Response, pid: string, userId: string): Promise<void> {
    const key = taskKey(c.pt.requestId, c.pt.taskId);
    const before = c.session.tasks[key];
    kit.rotate(c);
    c.session.tasks[key] = {
      method: LOGIN,
      pid,
      userId: userId.slice(0, 64),
      at: c.now,
      viewed: before?.pid === pid ? before.viewed : undefined,
    };
    if (c.pt.nationalId) {
      const begun = await d.pidcpr.begin(c.svc, pid);
      if (!begun.ok && begun.reason === 'ask-user') {
        c.session.tasks[key]!.pending = 'cpr';
        kit.redirect(res, c, action(c, 'cpr'));
        return;
      }
      if (!begun.ok || begun.cpr !== c.pt.nationalId.replace(/-/g, '')) {
        await refuse(c, res, 'refused.nationalId', "the person who logged in is not the task's subject (national-id mismatch)");
        return;
      }
    }
    await kit.documents.recordPortalEvent(c.svc, c.pt.requestId, c.pt.taskId, 'user-authenticated', LOGIN);
    kit.redirect(res, c, `${c.base}?${c.query}`);
  }

  post('login', async (c, body, _req, res) => {
    if (!c.pt.authentication.includes(LOGIN)) {
      kit.send(res, 400, c, t(c.lang, 'login.title'), kit.loginPage(c));
      return;
    }
    const started = await d.testid.startLogin(str(body.user), str(body.password));
    if (!started || 'ok' in started) {
      kit.send(res, 401, c, t(c.lang, 'login.title'), kit.loginPage(c, alert(failureText(c.lang, started as Failure))));
      return;
    }
    kit.send(res, 200, c, t(c.lang, 'code.title'), codeForm(c, 'login/code', started, { user: str(body.user) }));
  });

  post('login/code', async (c, body, _req, res) => {
    if (body.do === 'cancel') {
      await cancelled(c, res, 'the signer cancelled the key-card step');
      return;
    }
    const answered = await d.testid.answer(str(body.challenge), str(body.code));
    if (answered.ok) {
      await afterLogin(c, res, answered.pid, str(body.user));
      return;
    }
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

  const cprForm = (c: Ctx, notice = '') =>
    `${notice}<h1>${h(t(c.lang, 'cpr.title'))}</h1><p class="lead">${h(t(c.lang, 'cpr.body'))}</p>` +
    `<form method="post" action="${h(action(c, 'cpr'))}">${hidden(c)}<label for="cpr">${h(t(c.lang, 'cpr.label'))}</label>` +
    `<input type="text" id="cpr" name="cpr" inputmode="numeric" autocomplete="off" required maxlength="11">` +
    `<p class="choice"><input type="checkbox" id="store" name="store" value="1"> <label for="store" class="inline">${h(t(c.lang, 'cpr.store'))}</label></p>` +
    `<div class="actions"><button class="button">${h(t(c.lang, 'login.next'))}</button></div></form>`;

  r.get(
    '/std/docaction/:service/cpr',
    kit.guard(async (req, res) => {
      const c = await kit.resolve(req, res, kit.ids(req));
      if (!c) return;
      if (c.login?.pending !== 'cpr') {
        kit.redirect(res, c, `${c.base}?${c.query}`);
        return;
      }
      kit.send(res, 200, c, t(c.lang, 'cpr.title'), cprForm(c));
    }),
  );

  post('cpr', async (c, body, _req, res) => {
    const login = c.login;
    if (login?.pending !== 'cpr' || !login.pid) {
      kit.redirect(res, c, `${c.base}?${c.query}`);
      return;
    }
    const typed = str(body.cpr);
    const matched = await d.pidcpr.match(c.svc, login.pid, typed, { store: body.store === '1' });
    if (!matched.ok) {
      kit.send(res, 400, c, t(c.lang, 'cpr.title'), cprForm(c, alert(matched.message)));
      return;
    }
    if (matched.cpr !== c.pt.nationalId!.replace(/-/g, '')) {
      await refuse(c, res, 'refused.nationalId', "the person who logged in is not the task's subject (national-id mismatch)");
      return;
    }
    delete login.pending;
    await kit.documents.recordPortalEvent(c.svc, c.pt.requestId, c.pt.taskId, 'user-authenticated', `${LOGIN}, CPR verified by PID-CPR`);
    kit.redirect(res, c, `${c.base}?${c.query}`);
  });

  // ---- signing (nemid-sign) ----

  const passwordField = (c: Ctx) =>
    `<label for="password">${h(t(c.lang, 'login.password'))}</label>` +
    '<input type="password" id="password" name="password" autocomplete="current-password" required>';
  const signable = (c: Ctx, ids: string[]) => c.pt.documents.filter((x) => ids.includes(x.id) && x.action === 'sign' && !x.signed);
  // nemid-sign as a signature method, or nemid as an authentication-based signature: both are the
  // test eID's central key released by password and a key-card code
  const methodOk = (pt: PortalTask) =>
    pt.signatureMethods.length === 0 || pt.signatureMethods.includes(SIGN) || pt.signatureMethods.includes(LOGIN);

  function signPage(c: Ctx, docIds: string[], inner: string): string {
    const docs = signable(c, docIds)
      .map((x) => `<li><span class="name">${h(x.description ?? x.id)}</span></li>`)
      .join('');
    const title = t(c.lang, 'sign.title');
    return (
      `<h1>${h(title)}</h1><blockquote class="signtext">${h(c.pt.signText ?? t(c.lang, 'sign.defaultText'))}</blockquote>` +
      `<ul class="docs">${docs}</ul><h2>${h(t(c.lang, 'sign.with', { method: kit.methodName(SIGN) }))}</h2>${inner}`
    );
  }

  r.get(
    '/std/docaction/:service/sign',
    kit.guard(async (req, res) => {
      const c = await kit.resolve(req, res, kit.ids(req));
      if (!c) return;
      const docIds = list(req.query.document_id);
      if (!kit.loggedIn(c) || !signable(c, docIds).length) {
        kit.redirect(res, c, `${c.base}?${c.query}`);
        return;
      }
      if (kit.refuseUnready(res, c, docIds)) return;
      if (!methodOk(c.pt)) {
        refused(res, c, 200, 'sign.unavailable');
        return;
      }
      const inner =
        `<form method="post" action="${h(action(c, 'sign/start'))}">${hidden(c, { document_id: docIds })}` +
        `<label for="user">${h(t(c.lang, 'login.userId'))}</label><input type="text" id="user" name="user" autocomplete="username" required value="${h(c.login?.userId ?? '')}">` +
        `<div class="actions"><button class="button">${h(t(c.lang, 'login.next'))}</button></div></form>`;
      kit.send(res, 200, c, t(c.lang, 'sign.title'), signPage(c, docIds, inner));
    }),
  );

  // Step 1: who signs; a signing challenge. Step 2 asks password and code together.
  post('sign/start', async (c, body, _req, res) => {
    const docIds = list(body.document_id);
    if (!kit.loggedIn(c) || !signable(c, docIds).length || !methodOk(c.pt)) {
      kit.redirect(res, c, `${c.base}?${c.query}`);
      return;
    }
    if (kit.refuseUnready(res, c, docIds)) return;
    const ch = await d.testid.signingChallenge(str(body.user));
    if ('ok' in ch) {
      kit.send(res, 401, c, t(c.lang, 'sign.title'), signPage(c, docIds, alert(failureText(c.lang, ch))));
      return;
    }
    kit.send(
      res,
      200,
      c,
      t(c.lang, 'sign.title'),
      signPage(c, docIds, codeForm(c, 'sign/confirm', ch, { document_id: docIds, user: str(body.user) }, '', passwordField(c))),
    );
  });

  // Step 2: the code; then the central key signs and the pipeline verifies, packages and seals.
  post('sign/confirm', async (c, body, req, res) => {
    const docIds = list(body.document_id);
    const docs = signable(c, docIds);
    if (!kit.loggedIn(c) || !docs.length) {
      kit.redirect(res, c, `${c.base}?${c.query}`);
      return;
    }
    if (body.do === 'cancel') {
      await kit.documents.recordPortalEvent(c.svc, c.pt.requestId, c.pt.taskId, 'document-sign-cancelled', docIds.join(', '));
      kit.redirect(res, c, `${c.base}?${c.query}`);
      return;
    }
    // every document of this act delivered to this signer first, whatever the page did (checked again
    // here: a POST may come straight to this step)
    if (kit.refuseUnready(res, c, docIds)) return;
    if (!methodOk(c.pt)) {
      refused(res, c, 200, 'sign.unavailable');
      return;
    }
    const auth = await d.testid.authoriseSigning(str(body.user), str(body.password), str(body.challenge), str(body.code));
    if (!auth.ok) {
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
      kit.send(res, 401, c, t(c.lang, 'sign.title'), signPage(c, docIds, inner));
      return;
    }
    if (c.login?.pid && c.login.pid !== auth.pid) {
      await refuse(c, res, 'refused.otherSigner', 'signed with another NemID than the one that logged in');
      return;
    }
    if (c.pt.nationalId && (await d.testid.cprOfPid(auth.pid)) !== c.pt.nationalId.replace(/-/g, '')) {
      await refuse(c, res, 'refused.nationalId', "the signer is not the task's subject (national-id mismatch)");
      return;
    }
    const failedPage = async (key: TextKey, why: string) => {
      await kit.documents.recordError(c.svc, c.pt.requestId, c.pt.taskId, why);
      refused(res, c, 409, key);
    };
    if (auth.certificateStatus === 'revoked') {
      await failedPage('sign.revoked', "signing refused: the signer's certificate is revoked");
      return;
    }
    if (auth.certificateStatus === 'locked') {
      await failedPage('sign.locked', "signing refused: the signer's certificate is on hold (locked)");
      return;
    }
    // What happened before the signature, for the package's audit trail (core stamps it with its clock).
    const viewed = new Set(c.login?.viewed ?? []);
    const audit = [
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
    const outcome = await kit.documents.signTask(
      c.svc,
      c.pt.requestId,
      c.pt.taskId,
      {
        documentIds: docs.map((x) => x.id),
        signer: auth.identity,
        audit,
        defaultSignText: t(c.lang, 'sign.defaultText'),
        userAgent: req.headers['user-agent'],
        clientIp: req.ip,
      },
      await d.signing(),
    );
    if (!outcome.ok) {
      refused(res, c, 409, 'sign.failed');
      return;
    }
    if (c.pt.redirects.complete) {
      kit.redirect(res, c, redirectUrl(c.pt.redirects.complete, c.pt.requestId, c.pt.taskId));
      return;
    }
    const m = kit.message(c.lang, 'done.signed.title', 'done.signed.body', 'ok');
    kit.send(res, 200, c, m.title, m.main);
  });

  return { loginForm };
}

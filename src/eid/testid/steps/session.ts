// A user session's ready tasks signed in one act with the test eID (`nemid-sign`): from the session
// page's "Sign all ready tasks" (portal/pages/usersession.ts) to `…/session/sign` (every task's sign
// text and documents, the user id), `…/session/sign/start` (a signing challenge) and
// `…/session/sign/confirm` (the password and ONE fresh key-card code). That one authorisation releases
// the central key once for the act; then every task is checked as its own sign step checks it (the
// same person as the task's login, the task's national id) and signed by core's signTask on its own:
// its own native signature, its own seal job, its own events in its own request — exactly what
// signing it alone does. A task waiting for tasks the act signs before it (sessionplan.ts) is signed
// after them, naming them (signTask `signedInAct`): its seal job waits for theirs (core/sealrun.ts).
// A task whose check fails is refused (recorded in its request, its login forgotten) and nothing of it
// is signed, nor of a task depending on it; the others are signed. sessionplan.ts decides which tasks
// the act may name; a refused act writes nothing. Once no task of the session is left to sign, the
// browser goes to the session's on-session-complete (as written); the tasks' on-task-complete
// redirects are not used by the act.
import express from 'express';
import { StateError } from '../../../core/errors';
import { t } from '../../../portal/i18n';
import { html, type Html } from '../../../portal/html';
import { taskKey } from '../../../portal/session';
import type { SessionCtx } from '../../../portal/kit';
import { sessionPage } from '../../../portal/pages/usersession';
import { errorTextKey } from '../../errors';
import { refusalCode, refusalEvent, type TestIdRefusal } from '../refusals';
import type { SigningAuthorised } from '../users';
import { signingAudit } from './confirm';
import { str, type Steps } from './shared';
import { sessionMethodOk } from './sign';
import { planAct, type ActTask } from './sessionplan';
import { alert, codeForm, failureText, hidden, passwordField, type StepView } from './views';
import { entryName } from '../../../portal/pages/usersession';

const form = express.urlencoded({ extended: false, limit: '16kb', parameterLimit: 200 });

type SessionStep = (sc: SessionCtx, body: Record<string, unknown>, req: express.Request, res: express.Response) => Promise<void>;

/** The act's page: each task's sign text and documents, then the step's form. */
function actPage(sc: SessionCtx, tasks: ActTask[], inner: Html): Html {
  const items = tasks.map(({ row, c, docIds }) => {
    const docs = c.pt.documents
      .filter((x) => docIds.includes(x.id))
      .map((x) => html`<li><span class="name">${x.description ?? x.id}</span></li>`);
    return html`<h2>${entryName(row.entry)}</h2><blockquote class="signtext">${c.pt.signText ?? t(sc.lang, 'sign.defaultText')}</blockquote><ul class="docs">${docs}</ul>`;
  });
  return html`<h1>${t(sc.lang, 'usersession.signTitle')}</h1>${items}${inner}`;
}

/** The page for an act refused whole (nothing written), with the way back to the session. */
function refusedAct(s: Steps, sc: SessionCtx, res: express.Response, plan: Extract<ReturnType<typeof planAct>, { ok: false }>): void {
  const kit = s.kit.userSession;
  if (plan.unread) {
    kit.send(
      res,
      plan.status,
      sc,
      t(sc.lang, 'usersession.title'),
      sessionPage(sc, sessionMethodOk, html`<div role="alert">${plan.unread}</div>`),
    );
    return;
  }
  const back = html`${plan.extra}<p><a href="${`${sc.base}?${sc.query}`}">${t(sc.lang, 'usersession.back')}</a></p>`;
  const m = s.kit.message(sc.lang, plan.title, plan.body, 'warn', back);
  kit.send(res, plan.status, sc, m.title, m.main);
}

/** A POST step of the act: the session this browser holds, its CSRF token, the act planned again from the state now. */
function post(
  s: Steps,
  path: string,
  step: (
    sc: SessionCtx,
    tasks: ActTask[],
    keys: string[],
    body: Record<string, unknown>,
    req: express.Request,
    res: express.Response,
  ) => Promise<void>,
): void {
  const kit = s.kit.userSession;
  const handler: SessionStep = async (sc, body, req, res) => {
    const plan = planAct(sc, body);
    if (!plan.ok) return refusedAct(s, sc, res, plan);
    await step(sc, plan.tasks, plan.keys, body, req, res);
  };
  s.r.post(
    `/std/docaction/:service/session/${path}`,
    form,
    s.kit.guard(async (req, res) => {
      const sc = await kit.resolve(req, res);
      if (!sc) return;
      const body = (req.body ?? {}) as Record<string, unknown>;
      if (!kit.csrfOk(sc, body)) {
        const m = s.kit.message(sc.lang, 'csrf.title', 'csrf.body', 'warn');
        return void kit.send(res, 403, sc, m.title, m.main);
      }
      await handler(sc, body, req, res);
    }),
  );
}

const view = (sc: SessionCtx): StepView => ({ lang: sc.lang, base: sc.base, query: sc.query, session: sc.session });

/** Another person than the task's login or subject: the refusal (recorded in the task's request, its login forgotten), else undefined. */
async function identityRefusal(s: Steps, x: ActTask, auth: SigningAuthorised): Promise<TestIdRefusal | undefined> {
  const { c } = x;
  let why: [TestIdRefusal, string] | undefined;
  if (c.login?.pid && c.login.pid !== auth.pid)
    why = ['other-signer', 'signed with another NemID than the one that logged in (user session act)'];
  else if (c.pt.nationalId && (await s.d.testid.cprOfPid(auth.pid)) !== c.pt.nationalId.replace(/-/g, ''))
    why = ['national-id-mismatch', "the signer is not the task's subject (national-id mismatch; user session act)"];
  if (!why) return undefined;
  await s.kit.signer.recordPortalEvent(c.svc, c.pt.requestId, c.pt.taskId, 'user-authentication-cancelled', refusalEvent(why[0], why[1]));
  delete c.session.tasks[taskKey(c.pt.requestId, c.pt.taskId)];
  return why[0];
}

/** signTask for one task of the act, as its own sign step does it. */
async function signOne(s: Steps, x: ActTask, auth: SigningAuthorised, req: express.Request, sc: SessionCtx): Promise<void> {
  const { c } = x;
  const input = {
    documentIds: x.docIds,
    signer: auth.identity,
    audit: [
      ...signingAudit(c),
      { type: 'user-session', text: `signed in one act over the ready tasks of user session ${sc.id}, one authorisation` },
    ],
    defaultSignText: t(c.lang, 'sign.defaultText'),
    userAgent: req.headers['user-agent'],
    clientIp: req.ip,
    signedInAct: x.after,
  };
  try {
    await s.kit.signer.signTask(c.svc, c.pt.requestId, c.pt.taskId, input, await s.d.signing());
  } catch (e) {
    if (!(e instanceof StateError) || (await s.kit.signer.sealState(c.svc, c.pt.requestId, c.pt.taskId)) !== 'sealing') throw e;
  }
}

/** The act's outcome: to on-session-complete when no task of the session is left to sign, else each task's line. */
async function outcome(s: Steps, sc: SessionCtx, res: express.Response, lines: Html[], anyRefused: boolean): Promise<void> {
  const kit = s.kit.userSession;
  const left = sc.rows.some((r) => ['ready', 'after', 'login', 'waiting'].includes(r.state));
  if (!left && !anyRefused && sc.user.onSessionComplete) return void kit.redirect(res, sc, sc.user.onSessionComplete);
  const back = html`<ul class="docs">${lines}</ul><p><a class="button" href="${`${sc.base}?${sc.query}`}">${t(sc.lang, 'usersession.back')}</a></p>`;
  const m = s.kit.message(sc.lang, 'usersession.done.title', 'usersession.done.body', anyRefused ? 'warn' : 'ok', back);
  kit.send(res, 200, sc, m.title, m.main);
}

/** POST session/sign, session/sign/start and session/sign/confirm. */
export function mountSessionSign(s: Steps): void {
  const { d } = s;
  const kit = s.kit.userSession;
  kit.offer(sessionMethodOk);

  post(s, 'sign', async (sc, tasks, keys, _body, _req, res) => {
    const user = html`<label for="user">${t(sc.lang, 'login.userId')}</label><input type="text" id="user" name="user" autocomplete="username" required value="${tasks.find((x) => x.c.login?.userId)?.c.login?.userId ?? ''}">`;
    const inner = html`<h2>${t(sc.lang, 'sign.with', { method: s.kit.methodName('nemid-sign') })}</h2><form method="post" action="${`${sc.base}/sign/start?${sc.query}`}">${hidden(view(sc), { task: keys })}${user}<div class="actions"><button class="button">${t(sc.lang, 'login.next')}</button></div></form>`;
    kit.send(res, 200, sc, t(sc.lang, 'usersession.signTitle'), actPage(sc, tasks, inner));
  });

  post(s, 'sign/start', async (sc, tasks, keys, body, _req, res) => {
    const ch = await d.testid.signingChallenge(str(body.user));
    if ('ok' in ch) {
      for (const x of tasks) await s.failed(x.c, ch.reason, 'signing (user session act): user id refused');
      return void kit.send(res, 401, sc, t(sc.lang, 'usersession.signTitle'), actPage(sc, tasks, alert(failureText(sc.lang, ch))));
    }
    const inner = codeForm(view(sc), 'sign/confirm', ch, { task: keys, user: str(body.user) }, undefined, passwordField(view(sc)));
    kit.send(res, 200, sc, t(sc.lang, 'usersession.signTitle'), actPage(sc, tasks, inner));
  });

  post(s, 'sign/confirm', async (sc, tasks, keys, body, req, res) => {
    if (body.do === 'cancel') {
      for (const x of tasks)
        await s.kit.signer.recordPortalEvent(sc.svc, x.c.pt.requestId, x.c.pt.taskId, 'document-sign-cancelled', x.docIds.join(', '));
      return void kit.redirect(res, sc, `${sc.base}?${sc.query}`);
    }
    const auth = await d.testid.authoriseSigning(str(body.user), str(body.password), str(body.challenge), str(body.code));
    if (!auth.ok) {
      for (const x of tasks) await s.failed(x.c, auth.reason, 'signing (user session act): password or key-card code refused');
      const again = auth.next && auth.reason === 'wrong-code';
      const inner = again
        ? codeForm(
            view(sc),
            'sign/confirm',
            auth.next!,
            { task: keys, user: str(body.user) },
            alert(failureText(sc.lang, auth)),
            passwordField(view(sc)),
          )
        : alert(failureText(sc.lang, auth));
      return void kit.send(res, 401, sc, t(sc.lang, 'usersession.signTitle'), actPage(sc, tasks, inner));
    }
    if (auth.certificateStatus === 'revoked' || auth.certificateStatus === 'locked') {
      const why: TestIdRefusal = auth.certificateStatus === 'revoked' ? 'certificate-revoked' : 'certificate-on-hold';
      for (const x of tasks)
        await s.failed(x.c, why, `signing refused (user session act): the signer's certificate is ${auth.certificateStatus}`);
      const m = s.kit.message(sc.lang, 'refused.title', errorTextKey(refusalCode(why)), 'warn');
      return void kit.send(res, 409, sc, m.title, m.main);
    }
    // every task's identity checked first (a refused one keeps nothing of the act, nor does a task
    // depending on it); then each signed on its own, in the act's order (a task after those it depends on)
    const refusals = new Map<ActTask, string>();
    for (const x of tasks) {
      const why = await identityRefusal(s, x, auth);
      if (why) refusals.set(x, t(sc.lang, errorTextKey(refusalCode(why))));
      else if (x.after.some((id) => tasks.some((y) => refusals.has(y) && y.c.pt.requestId === x.c.pt.requestId && y.c.pt.taskId === id)))
        refusals.set(x, t(sc.lang, 'usersession.waiting'));
    }
    const lines: Html[] = [];
    for (const x of tasks) {
      const name = entryName(x.row.entry);
      const reason = refusals.get(x);
      if (reason) {
        lines.push(
          html`<li><span class="name">${name}</span>: <span class="status warn">${t(sc.lang, 'usersession.notSigned', { reason })}</span></li>`,
        );
        continue;
      }
      await signOne(s, x, auth, req, sc);
      x.row.state = 'sealing';
      lines.push(html`<li><span class="name">${name}</span>: <span class="tag done">${t(sc.lang, 'usersession.sealing')}</span></li>`);
    }
    const anyRefused = refusals.size > 0;
    await outcome(s, sc, res, lines, anyRefused);
  });
}

// One test user's pages: its bookmarkable overview (CPR, PID, certificate status with revoke / lock /
// unlock, the user's lock after wrong attempts, the transaction log) and the POSTs that change it.
import type express from 'express';
import { MAX_FAILURES, TestIdError, type CertificateState, type LogEntry, type LogType, type TestUser } from '../users';
import { t, type TextKey } from '../../../portal/i18n';
import { html, type Html } from '../../../portal/html';
import { back, cprText, hidden, notFound, redirect, send, sentence, str, time, userPath, type Ctx, type Handler, type Tool } from './shell';

const LOG_TEXT: Record<LogType, TextKey> = {
  created: 'testid.log.created',
  'card-issued': 'testid.log.card-issued',
  'login-ok': 'testid.log.login-ok',
  'login-failed': 'testid.log.login-failed',
  'password-wrong': 'testid.log.password-wrong',
  'code-used': 'testid.log.code-used',
  'code-wrong': 'testid.log.code-wrong',
  'user-locked': 'testid.log.user-locked',
  'user-unlocked': 'testid.log.user-unlocked',
  'signing-authorised': 'testid.log.signing-authorised',
  'signing-failed': 'testid.log.signing-failed',
  'certificate-revoked': 'testid.log.certificate-revoked',
  'certificate-locked': 'testid.log.certificate-locked',
  'certificate-unlocked': 'testid.log.certificate-unlocked',
};

const CERT_TEXT: Record<CertificateState, { text: TextKey; cls: 'ok' | 'warn' | 'info' }> = {
  good: { text: 'testid.cert.good', cls: 'ok' },
  revoked: { text: 'testid.cert.revoked', cls: 'warn' },
  locked: { text: 'testid.cert.locked', cls: 'warn' },
  unknown: { text: 'testid.cert.unknown', cls: 'info' },
};

/** Notices after an action's redirect (`?done=`). */
const DONE: Record<string, TextKey> = {
  created: 'testid.done.created',
  revoke: 'testid.done.revoke',
  lock: 'testid.done.lock',
  unlock: 'testid.done.unlock',
  'unlock-user': 'testid.done.unlockUser',
};

/** The user named in the path; answers itself (404, or 303 to the alias's own URL) and returns undefined otherwise. */
export async function resolveUser(
  tool: Tool,
  req: express.Request,
  res: express.Response,
  c: Ctx,
  suffix = '',
): Promise<TestUser | undefined> {
  const id = str(req.params.alias);
  const u = id ? await tool.d.testid.user(id) : null;
  if (!u) {
    notFound(res, c);
    return undefined;
  }
  if (u.alias !== id) {
    // a CPR number or PID in the path: the bookmarkable address is the alias's
    if (req.method === 'GET') {
      redirect(res, `${userPath(u.alias)}${suffix}`);
      return undefined;
    }
  }
  return u;
}

/** A one-button form that POSTs `do=value` to one of the user's actions. */
function actionForm(c: Ctx, u: TestUser, path: string, value: string, label: TextKey, cls = 'secondary'): Html {
  return html`<form method="post" action="${`${userPath(u.alias)}/${path}`}">${hidden(c)}<button class="button ${cls}" name="do" value="${value}">${t(c.lang, label)}</button></form>`;
}

const facts = (c: Ctx, rows: Array<[TextKey, string | Html]>) =>
  html`<dl class="facts">${rows.map(([k, v]) => html`<dt>${t(c.lang, k)}</dt><dd>${v}</dd>`)}</dl>`;

/** The transaction log as a table (or a sentence saying it is empty). */
function logTable(c: Ctx, log: LogEntry[]): Html {
  const rows = log.map(
    (e) =>
      html`<tr><td>${time(e.time)}</td><td>${LOG_TEXT[e.type] ? t(c.lang, LOG_TEXT[e.type]) : e.type}</td><td>${e.detail ?? ''}</td></tr>`,
  );
  const head = html`<thead><tr><th scope="col">${t(c.lang, 'testid.log.time')}</th><th scope="col">${t(c.lang, 'testid.log.event')}</th><th scope="col">${t(c.lang, 'testid.log.detail')}</th></tr></thead>`;
  return log.length
    ? html`<table class="data" aria-labelledby="log">${head}<tbody>${rows}</tbody></table>`
    : html`<p>${t(c.lang, 'testid.log.empty')}</p>`;
}

/** The certificate section: its status, facts and the actions its state allows. */
function certificateSection(tool: Tool, c: Ctx, u: TestUser, state: CertificateState): Html {
  const cert = CERT_TEXT[state];
  const expired = new Date(u.certificate.notAfter).getTime() < tool.d.clock.now().getTime();
  const action = (value: string, label: TextKey, cls?: string) => actionForm(c, u, 'certificate', value, label, cls);
  const certActions = [
    state === 'good' ? action('lock', 'testid.cert.lock') : '',
    state === 'locked' ? action('unlock', 'testid.cert.unlock') : '',
    state === 'good' || state === 'locked' ? action('revoke', 'testid.cert.revoke', 'danger') : '',
  ].filter(Boolean);
  const status = html`<p class="status ${cert.cls}" id="certificate-status">${t(c.lang, 'testid.cert.status')}: ${t(c.lang, cert.text)}</p>`;
  const validUntil = html`${time(u.certificate.notAfter)}${expired && html` (${t(c.lang, 'testid.cert.expired')})`}`;
  const rows = facts(c, [
    ['testid.cert.serial', u.certificate.serial],
    ['testid.cert.subject', u.certificate.subject],
    ['testid.cert.validUntil', validUntil],
  ]);
  return html`<h2>${t(c.lang, 'testid.cert.title')}</h2>${status}${rows}<p>${t(c.lang, 'testid.cert.explain')}</p>${
    certActions.length > 0 && html`<div class="actions">${certActions}</div>`
  }`;
}

/** The login section: the user's lock after wrong attempts, and "unlock" when locked. */
function loginSection(c: Ctx, u: TestUser): Html {
  const lockText = u.locked
    ? t(c.lang, 'testid.login.locked', {
        n: u.failedAttempts,
        time: u.lockedAt ? `${u.lockedAt.slice(0, 10)} ${u.lockedAt.slice(11, 19)} UTC` : '',
      })
    : t(c.lang, 'testid.login.open', { n: u.failedAttempts, max: MAX_FAILURES });
  return html`<h2>${t(c.lang, 'testid.login.title')}</h2><p class="status ${u.locked ? 'warn' : 'ok'}" id="user-status">${lockText}</p>${
    u.locked && html`<div class="actions">${actionForm(c, u, 'unlock', 'unlock', 'testid.login.unlock', '')}</div>`
  }`;
}

/** The overview's main, with `notice` (an action's outcome) above the heading. */
async function overview(tool: Tool, c: Ctx, u: TestUser, notice?: Html): Promise<Html> {
  const [state, entries] = await Promise.all([tool.d.testid.certificateState(u.alias), tool.d.testid.log(u.alias, 200)]);
  const employee: Array<[TextKey, string]> = u.employee
    ? [
        ['testid.field.organisation', u.employee.organisation],
        ['testid.field.cvrNumber', u.employee.cvr],
        ['testid.field.rid', u.employee.rid],
      ]
    : [];
  const details = facts(c, [
    ['testid.user.kind', t(c.lang, u.employee ? 'testid.kind.employee' : 'testid.kind.personal')],
    ...employee,
    ['testid.field.alias', u.alias],
    ['testid.field.cpr', cprText(u.cpr)],
    ['testid.user.pid', u.pid],
    ['testid.field.address', u.address],
    ['testid.user.created', time(u.createdAt)],
  ]);
  const card = html`<p><a class="button secondary" href="${`${userPath(u.alias)}/keycard`}">${t(c.lang, 'testid.card.link')}</a></p>`;
  const log = html`<h2 id="log">${t(c.lang, 'testid.log.title')}</h2><p class="hint">${t(c.lang, 'testid.log.caption')}</p>${logTable(c, entries)}`;
  return html`${back(c)}${notice}<h1>${u.name}</h1><p class="lead">${t(c.lang, 'testid.user.lead')}</p><h2>${t(c.lang, 'testid.user.details')}</h2>${details}${card}${certificateSection(tool, c, u, state)}${loginSection(c, u)}${log}`;
}

/** GET /testid/users/:alias: the overview, with the notice of the action that led here (`?done=`). */
export function userPage(tool: Tool): Handler {
  return async (req, res) => {
    const c = tool.ctx(req);
    const u = await resolveUser(tool, req, res, c);
    if (!u) return;
    const done = DONE[str(req.query.done)];
    const notice = done ? html`<p class="status ok" role="status">${t(c.lang, done)}</p>` : undefined;
    send(res, 200, c, u.name, await overview(tool, c, u, notice));
  };
}

/** What a POST about one user does once its form and user are known. */
type UserAction = (res: express.Response, c: Ctx, u: TestUser, body: Record<string, unknown>) => Promise<void>;

/** A POST about one user: 403 (nothing done) without a valid CSRF token, 404 for an unknown user. */
export function userPost(tool: Tool, action: UserAction): Handler {
  return async (req, res) => {
    const c = tool.ctx(req);
    const body = tool.checkedForm(req, res, c, str(req.params.alias));
    if (!body) return;
    const u = await resolveUser(tool, req, res, c);
    if (u) await action(res, c, u, body);
  };
}

/** POST …/certificate: revoke, lock or unlock the user's certificate (409 with the reason if it cannot be). */
export function changeCertificate(tool: Tool): UserAction {
  return async (res, c, u, body) => {
    const action = body.do;
    if (action !== 'revoke' && action !== 'lock' && action !== 'unlock') {
      redirect(res, userPath(u.alias));
      return;
    }
    try {
      await tool.d.testid.certificateAction(u.alias, action);
    } catch (e) {
      if (!(e instanceof TestIdError)) throw e;
      const notice = html`<p class="status warn" role="alert">${t(c.lang, 'testid.action.failed', { message: sentence(e.message) })}</p>`;
      send(res, 409, c, u.name, await overview(tool, c, u, notice));
      return;
    }
    tool.d.log.info({ alias: u.alias, action }, 'test user certificate changed');
    redirect(res, `${userPath(u.alias)}?done=${action}`);
  };
}

/** POST …/unlock: clear the user's lock after wrong attempts. */
export function unlockUser(tool: Tool): UserAction {
  return async (res, _c, u) => {
    await tool.d.testid.unlockUser(u.alias);
    redirect(res, `${userPath(u.alias)}?done=unlock-user`);
  };
}

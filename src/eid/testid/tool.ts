// The test-user tool of the test eID (preprod only; mounted only when the runtime has `testid`):
// server-rendered, translated, accessible pages under /testid/ to create test users (with an
// "Autofill" that needs no JavaScript), find them by alias, CPR number or PID, and look after one:
// its bookmarkable overview (CPR, PID, certificate status with revoke / lock / unlock, the user's
// lock after wrong attempts, the transaction log) and its printable key card(s).
//
// The home page is in tool/home.ts; what the pages share in tool/shell.ts and tool/requests.ts,
// and the CSRF protection (a signed double-submit token, no server-side state) in tool/csrf.ts.
import express from 'express';
import { KEY_CARD_RENEW_AT } from './keycard';
import { MAX_FAILURES, TestIdError, type CertificateState, type LogType, type TestUser } from './users';
import { t, type TextKey } from '../../portal/i18n';
import { h } from '../../portal/layout';
import { CSRF_COOKIE } from './tool/csrf';
import { createUser, findUser, homePage } from './tool/home';
import { clientErrorPage, toolFor } from './tool/requests';
import {
  back,
  cprText,
  hidden,
  notFound,
  redirect,
  send,
  sentence,
  str,
  time,
  TESTID_BASE,
  userPath,
  type Ctx,
  type TestIdToolDeps,
} from './tool/shell';

export { CSRF_COOKIE, TESTID_BASE, type TestIdToolDeps };

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

/** /testid → /testid/ (the CSRF cookie's path, and relative links) */
const withSlash: express.RequestHandler = (req, res, next) => {
  if (req.path === TESTID_BASE) {
    res.redirect(301, `${TESTID_BASE}/`);
    return;
  }
  next();
};

export function testIdToolRoutes(d: TestIdToolDeps): express.Router {
  const r = express.Router();
  const tool = toolFor(d);

  r.get(TESTID_BASE, withSlash);
  // Home: what the test eID is, create a user (with Autofill), find a user
  r.get(`${TESTID_BASE}/`, tool.guard(homePage(tool)));
  r.get(`${TESTID_BASE}/find`, tool.guard(findUser(tool)));
  r.post(`${TESTID_BASE}/users`, tool.form, tool.guard(createUser(tool)));

  // -------------------------------------------------------------------------------------------
  // One user: overview, key card, certificate and lock actions
  // -------------------------------------------------------------------------------------------

  /** The user named in the path; answers itself (404, or 303 to the alias's own URL) and returns undefined otherwise. */
  async function resolveUser(req: express.Request, res: express.Response, c: Ctx, suffix = ''): Promise<TestUser | undefined> {
    const id = str(req.params.alias);
    const u = id ? await d.testid.user(id) : null;
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

  async function overview(c: Ctx, u: TestUser, notice = ''): Promise<string> {
    const [state, log] = await Promise.all([d.testid.certificateState(u.alias), d.testid.log(u.alias, 200)]);
    const base = userPath(u.alias);
    const cert = CERT_TEXT[state];
    const expired = new Date(u.certificate.notAfter).getTime() < d.clock.now().getTime();
    const action = (path: string, value: string, label: TextKey, cls = 'secondary') =>
      `<form method="post" action="${h(`${base}/${path}`)}">${hidden(c)}<button class="button ${cls}" name="do" value="${value}">${h(t(c.lang, label))}</button></form>`;
    const certActions = [
      state === 'good' ? action('certificate', 'lock', 'testid.cert.lock') : '',
      state === 'locked' ? action('certificate', 'unlock', 'testid.cert.unlock') : '',
      state === 'good' || state === 'locked' ? action('certificate', 'revoke', 'testid.cert.revoke', 'danger') : '',
    ].join('');
    const dl = (rows: Array<[TextKey, string]>) =>
      `<dl class="facts">${rows.map(([k, v]) => `<dt>${h(t(c.lang, k))}</dt><dd>${v}</dd>`).join('')}</dl>`;
    const lockText = u.locked
      ? t(c.lang, 'testid.login.locked', {
          n: u.failedAttempts,
          time: u.lockedAt ? `${u.lockedAt.slice(0, 10)} ${u.lockedAt.slice(11, 19)} UTC` : '',
        })
      : t(c.lang, 'testid.login.open', { n: u.failedAttempts, max: MAX_FAILURES });
    const rows = log
      .map(
        (e) =>
          `<tr><td>${time(e.time)}</td><td>${h(LOG_TEXT[e.type] ? t(c.lang, LOG_TEXT[e.type]) : e.type)}</td><td>${h(e.detail ?? '')}</td></tr>`,
      )
      .join('');
    const table = log.length
      ? `<table class="data" aria-labelledby="log"><thead><tr><th scope="col">${h(t(c.lang, 'testid.log.time'))}</th><th scope="col">${h(t(c.lang, 'testid.log.event'))}</th>` +
        `<th scope="col">${h(t(c.lang, 'testid.log.detail'))}</th></tr></thead><tbody>${rows}</tbody></table>`
      : `<p>${h(t(c.lang, 'testid.log.empty'))}</p>`;
    return (
      `${back(c)}${notice}<h1>${h(u.name)}</h1><p class="lead">${h(t(c.lang, 'testid.user.lead'))}</p>` +
      `<h2>${h(t(c.lang, 'testid.user.details'))}</h2>` +
      dl([
        ['testid.field.alias', h(u.alias)],
        ['testid.field.cpr', h(cprText(u.cpr))],
        ['testid.user.pid', h(u.pid)],
        ['testid.field.address', h(u.address)],
        ['testid.user.created', time(u.createdAt)],
      ]) +
      `<p><a class="button secondary" href="${h(`${base}/keycard`)}">${h(t(c.lang, 'testid.card.link'))}</a></p>` +
      `<h2>${h(t(c.lang, 'testid.cert.title'))}</h2>` +
      `<p class="status ${cert.cls}" id="certificate-status">${h(t(c.lang, 'testid.cert.status'))}: ${h(t(c.lang, cert.text))}</p>` +
      dl([
        ['testid.cert.serial', h(u.certificate.serial)],
        ['testid.cert.subject', h(u.certificate.subject)],
        ['testid.cert.validUntil', `${time(u.certificate.notAfter)}${expired ? ` (${h(t(c.lang, 'testid.cert.expired'))})` : ''}`],
      ]) +
      `<p>${h(t(c.lang, 'testid.cert.explain'))}</p>${certActions ? `<div class="actions">${certActions}</div>` : ''}` +
      `<h2>${h(t(c.lang, 'testid.login.title'))}</h2><p class="status ${u.locked ? 'warn' : 'ok'}" id="user-status">${h(lockText)}</p>` +
      (u.locked ? `<div class="actions">${action('unlock', 'unlock', 'testid.login.unlock', '')}</div>` : '') +
      `<h2 id="log">${h(t(c.lang, 'testid.log.title'))}</h2><p class="hint">${h(t(c.lang, 'testid.log.caption'))}</p>${table}`
    );
  }

  r.get(
    `${TESTID_BASE}/users/:alias`,
    tool.guard(async (req, res) => {
      const c = tool.ctx(req);
      const u = await resolveUser(req, res, c);
      if (!u) return;
      const done = DONE[str(req.query.done)];
      const notice = done ? `<p class="status ok" role="status">${h(t(c.lang, done))}</p>` : '';
      send(res, 200, c, u.name, await overview(c, u, notice));
    }),
  );

  r.get(
    `${TESTID_BASE}/users/:alias/keycard`,
    tool.guard(async (req, res) => {
      const c = tool.ctx(req);
      const u = await resolveUser(req, res, c, '/keycard');
      if (!u) return;
      const cards = await d.testid.keyCards(u.alias);
      const body = cards
        .map((card) => {
          const headId = `card-${card.cardId}`;
          const parts = 4;
          const size = Math.ceil(card.codes.length / parts) || 1;
          const tables: string[] = [];
          for (let i = 0; i < card.codes.length; i += size) {
            const chunk = card.codes.slice(i, i + size);
            const caption = t(c.lang, 'testid.card.part', {
              id: card.cardId,
              from: chunk[0]!.keyNumber,
              to: chunk[chunk.length - 1]!.keyNumber,
            });
            tables.push(
              `<table class="keys"><caption class="sr">${h(caption)}</caption><thead><tr><th scope="col">${h(t(c.lang, 'testid.card.key'))}</th>` +
                `<th scope="col">${h(t(c.lang, 'testid.card.code'))}</th></tr></thead><tbody>` +
                chunk
                  .map(
                    (k) =>
                      `<tr${k.used ? ' class="used"' : ''}><th scope="row">${h(k.keyNumber)}</th><td><span class="code">${h(k.code)}</span>` +
                      `${k.used ? `<span class="sr"> (${h(t(c.lang, 'testid.card.used'))})</span><span aria-hidden="true"> ✓</span>` : ''}</td></tr>`,
                  )
                  .join('') +
                '</tbody></table>',
            );
          }
          return (
            `<section class="keycard" aria-labelledby="${headId}"><h2 id="${headId}">${h(t(c.lang, 'testid.card.heading', { id: card.cardId }))}</h2>` +
            `<p class="keycard-meta"><span class="tag${card.inUse ? ' done' : ''}">${h(t(c.lang, card.inUse ? 'testid.card.inUse' : 'testid.card.next'))}</span>` +
            `<span>${h(t(c.lang, 'testid.card.remaining', { n: card.remaining, total: card.codes.length }))}</span>` +
            `<span>${t(c.lang, 'testid.card.issued', { time: '\u0000' }).split('\u0000').map(h).join(time(card.createdAt))}</span></p>` +
            `<div class="keygrid">${tables.join('')}</div></section>`
          );
        })
        .join('');
      const title = t(c.lang, 'testid.card.title');
      send(
        res,
        200,
        c,
        `${title} · ${u.name}`,
        `${back(c, userPath(u.alias), t(c.lang, 'testid.card.back', { name: u.name }))}` +
          `<h1>${h(title)}</h1><p class="lead">${h(t(c.lang, 'testid.card.lead', { name: u.name, alias: u.alias, n: KEY_CARD_RENEW_AT }))}</p>` +
          `<p class="noprint">${h(t(c.lang, 'testid.card.print'))}</p>${body || `<p>${h(t(c.lang, 'testid.card.none'))}</p>`}`,
      );
    }),
  );

  /** A POST about one user: 403 (nothing done) without a valid CSRF token, 404 for an unknown user. */
  const userPost = (
    path: string,
    handler: (res: express.Response, c: Ctx, u: TestUser, body: Record<string, unknown>) => Promise<void>,
  ) => {
    r.post(
      `${TESTID_BASE}/users/:alias/${path}`,
      tool.form,
      tool.guard(async (req, res) => {
        const c = tool.ctx(req);
        const body = tool.checkedForm(req, res, c, str(req.params.alias));
        if (!body) return;
        const u = await resolveUser(req, res, c);
        if (u) await handler(res, c, u, body);
      }),
    );
  };

  userPost('certificate', async (res, c, u, body) => {
    const action = body.do;
    if (action !== 'revoke' && action !== 'lock' && action !== 'unlock') {
      redirect(res, userPath(u.alias));
      return;
    }
    try {
      await d.testid.certificateAction(u.alias, action);
    } catch (e) {
      if (!(e instanceof TestIdError)) throw e;
      const notice = `<p class="status warn" role="alert">${h(t(c.lang, 'testid.action.failed', { message: sentence(e.message) }))}</p>`;
      send(res, 409, c, u.name, await overview(c, u, notice));
      return;
    }
    d.log.info({ alias: u.alias, action }, 'test user certificate changed');
    redirect(res, `${userPath(u.alias)}?done=${action}`);
  });

  userPost('unlock', async (res, _c, u) => {
    await d.testid.unlockUser(u.alias);
    redirect(res, `${userPath(u.alias)}?done=unlock-user`);
  });

  r.use(clientErrorPage(tool));

  return r;
}

// The test-user tool of the test eID (preprod only; mounted only when the runtime has `testid`):
// server-rendered, translated, accessible pages under /testid/ to create test users (with an
// "Autofill" that needs no JavaScript), find them by alias, CPR number or PID, and look after one:
// its bookmarkable overview (CPR, PID, certificate status with revoke / lock / unlock, the user's
// lock after wrong attempts, the transaction log) and its printable key card(s).
//
// The pages are in tool/ (home.ts, user.ts), what they share in tool/shell.ts and
// tool/requests.ts, and the CSRF protection (a signed double-submit token, no server-side state)
// in tool/csrf.ts. The key card page is still here.
import express from 'express';
import { KEY_CARD_RENEW_AT } from './keycard';
import { t } from '../../portal/i18n';
import { h } from '../../portal/layout';
import { CSRF_COOKIE } from './tool/csrf';
import { createUser, findUser, homePage } from './tool/home';
import { clientErrorPage, toolFor } from './tool/requests';
import { back, send, time, TESTID_BASE, userPath, type TestIdToolDeps } from './tool/shell';
import { changeCertificate, resolveUser, unlockUser, userPage, userPost } from './tool/user';

export { CSRF_COOKIE, TESTID_BASE, type TestIdToolDeps };

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
  const user = `${TESTID_BASE}/users/:alias`;

  r.get(TESTID_BASE, withSlash);
  // Home: what the test eID is, create a user (with Autofill), find a user
  r.get(`${TESTID_BASE}/`, tool.guard(homePage(tool)));
  r.get(`${TESTID_BASE}/find`, tool.guard(findUser(tool)));
  r.post(`${TESTID_BASE}/users`, tool.form, tool.guard(createUser(tool)));
  // One user: overview, key card, certificate and lock actions
  r.get(user, tool.guard(userPage(tool)));
  r.get(
    `${user}/keycard`,
    tool.guard(async (req, res) => {
      const c = tool.ctx(req);
      const u = await resolveUser(tool, req, res, c, '/keycard');
      if (!u) return;
      const cards = await tool.d.testid.keyCards(u.alias);
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
  r.post(`${user}/certificate`, tool.form, tool.guard(userPost(tool, changeCertificate(tool))));
  r.post(`${user}/unlock`, tool.form, tool.guard(userPost(tool, unlockUser(tool))));

  r.use(clientErrorPage(tool));
  return r;
}

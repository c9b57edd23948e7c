// The test-user tool of the test eID (preprod only; mounted only when the runtime has `testid`):
// server-rendered, translated, accessible pages under /testid/ to create test users (with an
// "Autofill" that needs no JavaScript), find them by alias, CPR number or PID, and look after one:
// its bookmarkable overview (CPR, PID, certificate status with revoke / lock / unlock, the user's
// lock after wrong attempts, the transaction log) and its printable key card(s).
//
// This file only wires the routes; the pages are in tool/ (home.ts, user.ts, keycard.ts), what they
// share in tool/shell.ts and tool/requests.ts, and the CSRF protection (a signed double-submit
// token, no server-side state) in tool/csrf.ts.
import express from 'express';
import { CSRF_COOKIE } from './tool/csrf';
import { createUser, findUser, homePage } from './tool/home';
import { keyCardPage } from './tool/keycard';
import { clientErrorPage, toolFor } from './tool/requests';
import { TESTID_BASE, type TestIdToolDeps } from './tool/shell';
import { changeCertificate, unlockUser, userPage, userPost } from './tool/user';

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
  r.get(`${user}/keycard`, tool.guard(keyCardPage(tool)));
  r.post(`${user}/certificate`, tool.form, tool.guard(userPost(tool, changeCertificate(tool))));
  r.post(`${user}/unlock`, tool.form, tool.guard(userPost(tool, unlockUser(tool))));

  r.use(clientErrorPage(tool));
  return r;
}

// The user session's page (createUserSession, reference §3.10): `/std/docaction/{service}/session?
// session_id=<user-session-id>&artifact=<artifact>`. The artifact (once, within its 30 s, this
// service's session only) gives this browser the session, and logs in the session's tasks that accept
// an artifact (authentication/@artifact), as a task URL's artifact does; the URL is then reloaded
// without it. The page lists every task of the session across requests in an order that respects
// depends-on. One eID login is enough: a login made on one task of the session stands for the others
// where core/usersession.ts loginCarries allows it (sessionrows.ts). Each ready task shows its
// documents, to open and read on the task's own document page; then either every ready task is
// signed in one act (an eID method's session steps, offered through SessionKit: the test eID's are
// src/eid/testid/steps/session.ts) or a task is opened and signed on its own pages. "Leave without
// signing" and "Postpone" go to the session's on-session-cancel / on-session-postpone (nothing
// written: the tasks stay open). Each task's events go to its own request's history.
// A stale, used or foreign artifact, or an unknown session: a translated page, nothing written.
import express from 'express';
import type { Logger } from 'pino';
import type { PortalTask } from '../core/portal';
import { answers, message } from './answer';
import { pickLanguage, t } from './i18n';
import { page } from './layout';
import type { PortalSessions } from './session';
import type { SessionCtx, SessionKit } from './kit';
import { sessionPage } from './pages/usersession';
import { artifactLogins, refusedSession, sessionCsrfOk, sessionCtx, sessionHead, sessionMarker, type SessionDeps } from './sessionrows';

export interface UserSessionDeps extends SessionDeps {
  log: Logger;
}

/** The act's offers of the eID methods (SessionKit.offer): whether some method signs this task in one act. */
type Offers = Array<(pt: PortalTask) => boolean>;

/** The SessionKit an eID method's session steps get; `offers` is shared with the page. */
export function userSessionKit(d: UserSessionDeps, sessions: PortalSessions, offers: Offers): SessionKit {
  const a = answers(sessions, d.log);
  return {
    resolve: async (req, res) => {
      const h = await sessionHead(d, sessions, a, req, res);
      if (!h) return undefined;
      if (!h.session.tasks[sessionMarker(h.id)]) return void refusedSession(a.send, res, h);
      return sessionCtx(d.signer, h);
    },
    csrfOk: sessionCsrfOk,
    send: (res, status, sc, title, main) =>
      a.send(res, status, page({ lang: sc.lang, service: sc.svc.name, look: sc.look, title, main: String(main) }), sc.session, sc.now),
    redirect: (res, sc, location) => a.redirect(res, sc, location),
    offer: (signs) => void offers.push(signs),
  };
}

/** Whether an eID method signs this row's task in one act, and it has a document left to sign. */
export const inAct = (offers: Offers, pt: PortalTask): boolean =>
  offers.some((f) => f(pt)) && pt.documents.some((x) => x.action === 'sign' && !x.signed);

export function mountUserSession(r: express.Router, d: UserSessionDeps, sessions: PortalSessions, kit: SessionKit, offers: Offers): void {
  const a = answers(sessions, d.log);
  const show = (res: express.Response, sc: SessionCtx) =>
    kit.send(
      res,
      200,
      sc,
      t(sc.lang, 'usersession.title'),
      sessionPage(sc, (pt) => inAct(offers, pt)),
    );
  r.get('/std/docaction/:service/session', async (req, res) => {
    try {
      const h = await sessionHead(d, sessions, a, req, res);
      if (!h) return;
      const here = `${h.base}?${h.query}`;
      const artifact = req.query.artifact;
      if (artifact !== undefined) {
        if (typeof artifact === 'string' && (await d.signer.redeemSessionArtifact(h.svc, h.id, artifact))) {
          sessions.rotate(h.session);
          h.session.tasks[sessionMarker(h.id)] = { method: 'usersession', at: h.now };
          await artifactLogins(d.signer, h);
          return void a.redirect(res, h, here);
        }
        // (the browser that redeemed it may come back through its history: it holds the session already)
        if (h.session.tasks[sessionMarker(h.id)]) return void a.redirect(res, h, here);
        return void refusedSession(a.send, res, h);
      }
      if (!h.session.tasks[sessionMarker(h.id)]) return void refusedSession(a.send, res, h);
      show(res, await sessionCtx(d.signer, h));
    } catch (e) {
      a.failed(res, e, pickLanguage(undefined, req.headers['accept-language']));
    }
  });
  // Leave without signing, or postpone: the session's redirect when it gave one, else a page; nothing written.
  r.post(
    '/std/docaction/:service/session/act',
    express.urlencoded({ extended: false, limit: '16kb', parameterLimit: 200 }),
    async (req, res) => {
      try {
        const sc = await kit.resolve(req, res);
        if (!sc) return;
        const form = (req.body ?? {}) as Record<string, unknown>;
        if (!kit.csrfOk(sc, form)) {
          const m = message(sc.lang, 'csrf.title', 'csrf.body', 'warn');
          return void kit.send(res, 403, sc, m.title, m.main);
        }
        const to = form.do === 'cancel' ? sc.user.onSessionCancel : form.do === 'postpone' ? sc.user.onSessionPostpone : undefined;
        if (form.do !== 'cancel' && form.do !== 'postpone')
          return void kit.send(
            res,
            400,
            sc,
            t(sc.lang, 'usersession.title'),
            sessionPage(sc, (pt) => inAct(offers, pt)),
          );
        if (to) return void kit.redirect(res, sc, to);
        const m =
          form.do === 'cancel'
            ? message(sc.lang, 'usersession.cancelled.title', 'usersession.cancelled.body', 'info')
            : message(sc.lang, 'postponed.title', 'postponed.body', 'info');
        kit.send(res, 200, sc, m.title, m.main);
      } catch (e) {
        a.failed(res, e, pickLanguage(undefined, req.headers['accept-language']));
      }
    },
  );
}

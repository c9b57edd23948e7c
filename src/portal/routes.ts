// The signer's task URL (`/std/docaction/{service}?request_id=…&task_id=…[&artifact=…]`) and the
// signing wizard behind it. Every outcome is a readable, translated page — unknown or foreign task,
// withdrawn/expired/completed/rejected, waiting for others, log in, the documents. A valid artifact
// logs the browser in for that task once; the URL is then reloaded without it. Nothing is final
// until "Send in"; "Start over", "Postpone" and "Decline" are always there. This file wires it:
// one file per page or step in pages/, the shared pieces in answer.ts, task.ts and wizard.ts.
import express from 'express';
import type { Logger } from 'pino';
import type { SignerActions } from '../core/signer';
import type { Clock } from '../core/ports';
import type { BlobStore } from '../store/blobs';
import type { ServiceRepository } from '../store/services';
import type { ProfileRepository } from '../store/profiles';
import type { PortalSessionRepository } from '../store/portalsessions';
import { answers, message } from './answer';
import { mountAssets } from './assets';
import { pickLanguage, t } from './i18n';
import { page } from './layout';
import { PortalSessions } from './session';
import { csrfOk, csrfRefused, ids, loggedIn, taskResolver } from './task';
import { loginPage, unreadyAlerts, wizard, type LoginForm } from './wizard';
import { mountAct } from './pages/act';
import { mountDocument, mountPdfjs } from './pages/document';
import { mountForm } from './pages/form';
import { mountHandwriting, type HandwritingMaker } from './pages/handwriting';
import { mountProfiles } from './pages/profile';
import { mountRefusedForms } from './pages/refused';
import { mountTaskUrl } from './pages/taskurl';
import { mountUpload } from './pages/upload';
import { mountVerify } from './pages/verify';
import { mountSealStatus } from './pages/sealing';
import { mountUserSession, userSessionKit } from './usersession';
import type { PortalTask } from '../core/portal';
import type { PageKit, PortalEidMethod, SessionKit } from './kit';
import { announce, mountEmbed } from './embed';

export interface PortalDeps {
  services: ServiceRepository;
  /** the signer's use cases (core/signer.ts) */
  signer: SignerActions;
  blobs: BlobStore;
  clock: Clock;
  secret: string;
  production: boolean;
  log: Logger;
  /** display names of eID methods (the registry's descriptions) */
  methodName: (method: string) => string;
  /** largest upload a signer may send (SEGL_SDS_LIMIT) */
  maxUploadBytes: number;
  /** graphical profiles per service (colours, logo, texts) */
  profiles?: ProfileRepository;
  /** the eID methods whose pages the portal runs (the registry's); none: tasks only list their methods */
  eidMethods: readonly PortalEidMethod[];
  /** where sessions live (the cookie holds only their id) */
  sessions: PortalSessionRepository;
  /** where this instance serves the root its seal chains to (the test CA's), linked from /verify */
  rootCertificateUrl?: string;
  /** the platform's handwriting-only signature maker (pages/handwriting.ts); none: such tasks cannot be signed here */
  handwriting?: HandwritingMaker;
  /** PUBLIC_URL is https (the cookie of an embeddable service may then be SameSite=None: embed.ts) */
  https?: boolean;
}

/** The portal's routes, in this order: its static files and profiles, the eID methods' steps, the wizard's pages. */
export function portalRoutes(d: PortalDeps): express.Router {
  const r = express.Router();
  const sessions = new PortalSessions(d.sessions, d.secret, d.production);
  mountAssets(r);
  mountProfiles(r, d);
  mountEmbed(r, { services: d.services, https: d.https ?? false, send: answers(sessions, d.log).send });
  mountPdfjs(r);
  // the eID methods' login forms, for the login page (filled once they are mounted with the kit)
  const eidForms: LoginForm[] = [];
  // the eID methods that sign a user session's ready tasks in one act (SessionKit.offer)
  const offers: Array<(pt: PortalTask) => boolean> = [];
  const userSession = userSessionKit(d, sessions, offers);
  const kit = portalKit(d, sessions, eidForms, userSession);
  eidForms.push(...d.eidMethods.map((m) => m.mount(r, kit)));
  mountSealStatus(r, kit, d.services);
  mountTaskUrl(r, kit);
  mountUserSession(r, d, sessions, userSession, offers);
  mountDocument(r, kit);
  mountForm(r, kit);
  mountUpload(r, kit);
  mountAct(r, kit);
  if (d.handwriting) mountHandwriting(r, kit, d.handwriting);
  mountVerify(r, { rootUrl: d.rootCertificateUrl });
  mountRefusedForms(r);
  return r;
}

/** The kit the eID methods and the portal's own pages share (see kit.ts). */
function portalKit(d: PortalDeps, sessions: PortalSessions, eidForms: readonly LoginForm[], userSession: SessionKit): PageKit {
  const { send, redirect, failed, notFound } = answers(sessions, d.log);
  const kitSend: PageKit['send'] = (res, status, c, title, main) => {
    if (loggedIn(c)) announce(res, 'authenticated');
    send(res, status, page({ lang: c.lang, title, main: String(main), service: c.svc.name, look: c.look }), c.session, c.now);
  };
  return {
    resolve: taskResolver(d, sessions, { send, notFound }),
    ids,
    guard: (handler) => async (req, res) => {
      try {
        await handler(req, res);
      } catch (e) {
        failed(res, e, pickLanguage(undefined, req.headers['accept-language']));
      }
    },
    csrfOk,
    csrfRefused,
    loggedIn,
    loginPage: (c, notice) => loginPage(c, eidForms, d.methodName, notice),
    message,
    methodName: d.methodName,
    signer: d.signer,
    blobs: d.blobs,
    userSession,
    redirect,
    send: kitSend,
    rotate: (c) => sessions.rotate(c.session),
    /** Answers with the wizard and what is missing (and returns true) when the signer may not go on yet. */
    refuseUnready: (res, c, docIds) => {
      const alerts = unreadyAlerts(c, docIds);
      if (alerts === undefined) return false;
      kitSend(res, 400, c, t(c.lang, 'task.title'), wizard(c, alerts));
      return true;
    },
    notFound,
    sessions,
    log: d.log,
    maxUploadBytes: d.maxUploadBytes,
  };
}

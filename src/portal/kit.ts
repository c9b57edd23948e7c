// What the portal shares with the eID methods it runs: the page context of one task, the kit of helpers
// routes.ts lends a method's pages, and the EidMethod interface bound to those types; and the wider
// kit the portal's own pages (pages/*.ts) get.
import type express from 'express';
import type { Logger } from 'pino';
import type { SignerActions } from '../core/signer';
import type { PortalTask } from '../core/portal';
import type { ServiceAccount } from '../core/ports';
import type { EidMethod } from '../eid/registry';
import type { BlobStore } from '../store/blobs';
import type { LangLike, TextKey } from './i18n';
import type { Html } from './html';
import type { PageLook } from './layout';
import type { PortalSession, PortalSessions, TaskLogin } from './session';
import type { UserSession } from '../core/types';
import type { SessionEntry } from '../core/usersession';

/** One request to a task's pages: the service, the task as the portal sees it, the language and the session. */
export interface Ctx {
  svc: ServiceAccount;
  pt: PortalTask;
  lang: LangLike;
  /** the graphical profile's stylesheet, logo and name */
  look?: PageLook;
  session: PortalSession;
  login?: TaskLogin;
  now: number;
  base: string;
  query: string;
}

/**
 * One task row of a user session's page (usersession.ts): its state and, for an open task, its page
 * context. `after`: a task waiting only for tasks of its request that are ready (or `after`) in this
 * session, logged in like a ready one: signed in one act right after them (sessionrows.ts).
 */
export interface SessionRow {
  entry: SessionEntry;
  state: 'ready' | 'after' | 'login' | 'waiting' | 'sealing' | 'mismatch' | 'gone' | 'completed' | 'closed';
  /** the task's own page (open tasks only) */
  href?: string;
  /** the task's page context (ready and `after` tasks only: logged in, or asking no login) */
  c?: Ctx;
  /** an `after` task: the rows (`requestId/taskId`) it depends on, to be signed before it in the same act */
  after?: string[];
}

/** One request to a user session's pages (`…/session…?session_id=`): the session, its rows, this browser's portal session. */
export interface SessionCtx {
  svc: ServiceAccount;
  lang: LangLike;
  look?: PageLook;
  session: PortalSession;
  now: number;
  /** the user session's id */
  id: string;
  /** `/std/docaction/{service}/session` and `session_id=…`: the session's steps are `${base}/{step}?${query}` */
  base: string;
  query: string;
  user: UserSession;
  rows: SessionRow[];
}

/** What the portal lends an eID method that signs the ready tasks of a user session in one act (usersession.ts builds it). */
export interface SessionKit {
  /** the session this browser holds (else the refusal page was sent, and undefined) */
  resolve(req: express.Request, res: express.Response): Promise<SessionCtx | undefined>;
  csrfOk(sc: SessionCtx, form: Record<string, unknown>): boolean;
  send(res: express.Response, status: number, sc: SessionCtx, title: string, main: string | Html): void;
  redirect(res: express.Response, sc: SessionCtx, location: string): void;
  /** an eID method offers the act for the tasks `signs` accepts (the session page shows the act's button only then) */
  offer(signs: (pt: PortalTask) => boolean): void;
}

/** What the portal lends an eID method's pages (routes.ts builds it). */
export interface Kit {
  /** `inAct`: a waiting task too, once a user session's act may sign it (its documents, to read first: pages/document.ts) */
  resolve(
    req: express.Request,
    res: express.Response,
    ids: { requestId: string; taskId: string },
    opts?: { inAct?: boolean },
  ): Promise<Ctx | undefined>;
  ids(req: express.Request): { requestId: string; taskId: string };
  guard(handler: (req: express.Request, res: express.Response) => Promise<void>): express.RequestHandler;
  csrfOk(c: Ctx, form: Record<string, unknown>): boolean;
  csrfRefused(c: Ctx): { title: string; main: Html };
  loggedIn(c: Ctx): boolean;
  loginPage(c: Ctx, notice?: string | Html): string;
  message(lang: LangLike, title: TextKey, body: TextKey, cls: 'ok' | 'warn' | 'info', extra?: string | Html): { title: string; main: Html };
  methodName(method: string): string;
  /** `main`: the page's content, markup (an Html, or a string already escaped) */
  send(res: express.Response, status: number, c: Ctx, title: string, main: string | Html): void;
  redirect(res: express.Response, c: Ctx, location: string): void;
  /** a new session id at login (see session.ts) */
  rotate(c: Ctx): void;
  /** answers with the wizard and returns true while documents of this act are unread or uploads missing */
  refuseUnready(res: express.Response, c: Ctx, docIds: readonly string[]): boolean;
  /** the signer's use cases (core/signer.ts) */
  signer: SignerActions;
  blobs: BlobStore;
  /** the user session's pages (one act over several tasks) */
  userSession: SessionKit;
}

/** What the portal's own pages get (routes.ts builds it): the Kit and what only they use. */
export interface PageKit extends Kit {
  /** the 404 page (an unknown task, a document the signer may not see) */
  notFound(res: express.Response, lang: LangLike): void;
  /** the session store behind the cookie */
  sessions: PortalSessions;
  log: Logger;
  /** largest upload a signer may send (SEGL_SDS_LIMIT) */
  maxUploadBytes: number;
}

/** An eID method as the portal runs it. */
export type PortalEidMethod = EidMethod<express.Router, Kit, Ctx>;

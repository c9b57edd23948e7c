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

/** What the portal lends an eID method's pages (routes.ts builds it). */
export interface Kit {
  resolve(req: express.Request, res: express.Response, ids: { requestId: string; taskId: string }): Promise<Ctx | undefined>;
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

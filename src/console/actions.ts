// The console's manager actions on a request (issue 15 part 2, docs/console.md): send a notification
// again, re-drive a dead-lettered delivery, extend the expiry of the open tasks, delete a finished
// request. Each is a POST with the session's CSRF token, for the manager role only, scoped by the
// session's service (another tenant's request or delivery: 404), and recorded in console_audit with
// the session's actor. The logic is in store/consoleaudit.ts and core's deleteRequest; this maps it to
// pages: refused → a translated page (400 bad input, 409 wrong state) and nothing changed.
import express from 'express';
import { StateError, ValidationError } from '../core/errors';
import { expiryUntil, UNTIL_RULES } from '../store/consoleaudit';
import { LIMITS } from '../core/validate';
import { t, type Lang } from '../portal/i18n';
import { messagePage } from './pages';
import type { Logger } from 'pino';
import type { RequestService } from '../core/requests';
import type { ConsoleAuditRepository } from '../store/consoleaudit';
import type { ConsoleSession } from './session';

/** What the actions need of the console's deps (routes.ts ConsoleDeps has them). */
export interface ActionDeps {
  requests: Pick<RequestService, 'getStatus' | 'deleteRequest'>;
  audit: ConsoleAuditRepository;
  clock: { now(): Date };
  log: Logger;
}
/** A request of a session (the session and lang middlewares of routes.ts set these). */
type Authed = express.Request & { session?: ConsoleSession; lang?: Lang };
type Send = (res: express.Response, code: number, body: string) => void;

/** The pieces of web() (routes.ts) the actions use. */
export interface WebParts {
  send: Send;
  session: express.RequestHandler;
  csrf: express.RequestHandler;
  manager: express.RequestHandler;
  guard: (f: (req: Authed, res: express.Response) => Promise<void>) => express.RequestHandler;
}

/** Where the clerk lands after an action: the request page, saying what was done, at the timeline. */
/** The session as the audit log names it. */
const who = (req: Authed) => ({ serviceId: req.session!.serviceId, actor: req.session!.actor });

const back = (req: Authed, res: express.Response, done: string) =>
  res.redirect(303, `/console/requests/${encodeURIComponent(String(req.params.id))}?lang=${req.lang}&done=${done}#history`);

export function actionRoutes(r: express.Router, d: ActionDeps, w: WebParts, form: express.RequestHandler): void {
  /** A refusal the store or core raised, as a translated page; anything else goes on to the error handler. */
  const refuse =
    (title: (lang: Lang, e: StateError | ValidationError) => string, f: (req: Authed, res: express.Response) => Promise<void>) =>
    async (req: Authed, res: express.Response) => {
      try {
        await f(req, res);
      } catch (e) {
        if (!(e instanceof StateError || e instanceof ValidationError)) throw e;
        const lang = req.lang!;
        w.send(
          res,
          e instanceof StateError ? 409 : 400,
          messagePage(lang, title(lang, e), t(lang, 'console.unchanged'), req.session!.service),
        );
      }
    };

  const post = (path: string, f: (req: Authed, res: express.Response) => Promise<void>) =>
    r.post(`/console/requests/:id/${path}`, form, w.session, w.csrf, w.manager, w.guard(f));

  post(
    'deliveries/:delivery/resend',
    refuse(
      (lang) => t(lang, 'console.resend.refused'),
      async (req, res) => {
        const id = await d.audit.resend(who(req), String(req.params.id), String(req.params.delivery));
        d.log.info(
          { service: req.session!.service, actor: req.session!.actor, requestId: req.params.id, deliveryId: id },
          'console: resend',
        );
        back(req, res, 'resent');
      },
    ),
  );
  post(
    'deliveries/:delivery/redrive',
    refuse(
      (lang) => t(lang, 'console.redrive.refused'),
      async (req, res) => {
        await d.audit.redrive(who(req), String(req.params.id), String(req.params.delivery));
        d.log.info({ service: req.session!.service, actor: req.session!.actor, deliveryId: req.params.delivery }, 'console: re-drive');
        back(req, res, 'redriven');
      },
    ),
  );
  post(
    'extend',
    refuse(
      (lang, e) => {
        if (e instanceof StateError) return t(lang, 'console.extend.refused');
        const rule = e.violations[0]?.rule;
        const kind = (Object.keys(UNTIL_RULES) as Array<keyof typeof UNTIL_RULES>).find((k) => UNTIL_RULES[k] === rule) ?? 'format';
        return t(lang, `console.extend.${kind}`, { days: LIMITS.maxDays });
      },
      async (req, res) => {
        const body = (req.body ?? {}) as Record<string, unknown>;
        const until = expiryUntil(typeof body.until === 'string' ? body.until.trim() : '', d.clock.now());
        await d.audit.extendExpiry(who(req), String(req.params.id), until);
        back(req, res, 'extended');
      },
    ),
  );
  post(
    'delete',
    refuse(
      (lang, e) => t(lang, e instanceof ValidationError ? 'console.delete.unconfirmed' : 'console.delete.refused'),
      (req, res) => deleteFinished(d, req, res),
    ),
  );
}

/** Delete = core's deleteRequest, for a finished request only (an open one is withdrawn); confirmed by the checkbox. */
async function deleteFinished(d: ActionDeps, req: Authed, res: express.Response): Promise<void> {
  const id = String(req.params.id);
  const s = req.session!;
  const svc = { id: s.serviceId, name: s.service, public: s.isPublic };
  const statuses = await d.requests.getStatus(svc, [id]); // 404 for another tenant's id, before anything is written
  if ((req.body as Record<string, unknown>)?.confirm !== 'yes') throw ValidationError.one('confirm', 'tick the box');
  if (statuses.some((x) => x.taskStatus === 'created')) throw new StateError('request-id', 'the request is open: withdraw it');
  // 0: it was deleted already (withdrawn, or deleted by another clerk meanwhile)
  if ((await d.requests.deleteRequest(svc, [id])) === 0) throw new StateError('request-id', 'the request is deleted already');
  await d.audit.record(
    who(req),
    id,
    'delete',
    `request deleted (tasks were ${statuses.map((x) => `${x.taskId}: ${x.taskStatus}`).join(', ')})`,
  );
  d.log.info({ service: s.service, actor: s.actor, requestId: id }, 'request deleted from the console');
  back(req, res, 'deleted');
}

// What the test eID's portal steps share: the method names, the eID's dependencies, the form parser
// and field readers, and the step context mountEid builds once (a POST step with its CSRF check, the
// refusal page, the cancel and refuse answers that record why).
import type express from 'express';
import type { TestIdEnvironment } from '../users';
import type { PidCprService } from '../../pidcpr';
import type { SigningPipeline } from '../../../signing/pipeline';
import { t, type TextKey } from '../../../portal/i18n';
import { html } from '../../../portal/html';
import { taskKey } from '../../../portal/session';
import { formPost, type FormStep } from '../../../portal/formpost';
import type { Ctx, Kit } from '../../../portal/kit';
import { errorTextKey } from '../../errors';
import { refusalCode, refusalEvent, type TestIdRefusal } from '../refusals';

export interface EidDeps {
  testid: TestIdEnvironment;
  pidcpr: PidCprService;
  signing: () => Promise<SigningPipeline>;
}

export const LOGIN = 'nemid';
export const SIGN = 'nemid-sign';
export const str = (v: unknown) => (typeof v === 'string' ? v.trim() : '');
export const list = (v: unknown): string[] => ([] as unknown[]).concat(v ?? []).filter((x): x is string => typeof x === 'string');

/** What every step is given: the router, the portal's kit, the eID's dependencies and the shared answers. */
export interface Steps {
  r: express.Router;
  kit: Kit;
  d: EidDeps;
  /** A POST step: resolved task, CSRF checked (else the task page again). */
  post(path: string, handler: FormStep): void;
  /** "You cannot sign this task": the refusal's catalogue text (and a detail), status `status`. */
  refused(res: express.Response, c: Ctx, status: number, why: TestIdRefusal, detail?: TextKey): void;
  /** A refusal the signer may try again after: an `error` event with its code. */
  failed(c: Ctx, why: TestIdRefusal, event: string): Promise<void>;
  /** The signer cancelled the eID: recorded with its code, back to the task page. */
  cancelled(c: Ctx, res: express.Response, why: string): Promise<void>;
  /** Not this signer: recorded with its code, the task's login forgotten, refused. */
  refuse(c: Ctx, res: express.Response, why: TestIdRefusal, event: string, detail?: TextKey): Promise<void>;
  /** Back to the task page. */
  toTask(res: express.Response, c: Ctx): void;
}

/** The step context for one router: built once by mountEid, handed to each step. */
export function stepsFor(r: express.Router, kit: Kit, d: EidDeps): Steps {
  const toTask = (res: express.Response, c: Ctx) => kit.redirect(res, c, `${c.base}?${c.query}`);

  const post = (path: string, handler: FormStep) => formPost(r, kit, `/std/docaction/:service/${path}`, handler);

  const refused = (res: express.Response, c: Ctx, status: number, why: TestIdRefusal, detail?: TextKey) => {
    const m = kit.message(c.lang, 'refused.title', errorTextKey(refusalCode(why)), 'warn', detail && html`<p>${t(c.lang, detail)}</p>`);
    kit.send(res, status, c, m.title, m.main);
  };

  const failed = (c: Ctx, why: TestIdRefusal, event: string) =>
    kit.signer.recordError(c.svc, c.pt.requestId, c.pt.taskId, refusalEvent(why, event));

  const cancelled = async (c: Ctx, res: express.Response, why: string) => {
    await kit.signer.recordPortalEvent(c.svc, c.pt.requestId, c.pt.taskId, 'user-authentication-cancelled', refusalEvent('cancelled', why));
    toTask(res, c);
  };

  const refuse = async (c: Ctx, res: express.Response, why: TestIdRefusal, event: string, detail?: TextKey) => {
    await kit.signer.recordPortalEvent(c.svc, c.pt.requestId, c.pt.taskId, 'user-authentication-cancelled', refusalEvent(why, event));
    delete c.session.tasks[taskKey(c.pt.requestId, c.pt.taskId)];
    refused(res, c, 403, why, detail);
  };

  return { r, kit, d, post, refused, failed, cancelled, refuse, toTask };
}

// "Signed, being sealed": what the signer sees after Sign while the seal job (core/sealrun.ts) builds
// and seals the package, and whenever the task URL is opened meanwhile. The page asks a small JSON
// route every two seconds (static/sealing.js; no reload) and shows the outcome in place: done (or the
// task's on-task-complete redirect), refused (sign again), or whatever closed the task. Without
// script, a link checks again.
import type express from 'express';
import { redirectUrl } from '../../core/portal';
import type { SealState } from '../../core/signer';
import type { ServiceAccount } from '../../core/ports';
import { NotFoundError } from '../../core/errors';
import { message } from '../answer';
import { html } from '../html';
import { pickLanguage, t, type LangLike, type TextKey } from '../i18n';
import type { PageKit } from '../kit';
import type { ServiceRepository } from '../../store/services';

/** The task the page is about: its service, ids and where the signer goes once it is done. */
interface SealingTask {
  svc: ServiceAccount;
  requestId: string;
  taskId: string;
  completeRedirect?: string;
}

const query = (s: SealingTask) => new URLSearchParams({ request_id: s.requestId, task_id: s.taskId }).toString();
const base = (s: SealingTask) => `/std/docaction/${encodeURIComponent(s.svc.name)}`;

/** The page's title and content while sealing. */
export function sealingMessage(lang: LangLike, s: SealingTask): { title: string; main: ReturnType<typeof html> } {
  const statusUrl = `${base(s)}/seal-status?${query(s)}`;
  const extra = html`<div id="seal-status" data-status-url="${statusUrl}"><p><a href="${`${base(s)}?${query(s)}`}">${t(
    lang,
    'sealing.reload',
  )}</a></p></div><script src="/portal/static/sealing.js" defer></script>`;
  return message(lang, 'sealing.title', 'sealing.body', 'info', extra);
}

const ANSWERS: Record<SealState, { title: TextKey; body: TextKey; cls: 'ok' | 'warn' | 'info' }> = {
  sealing: { title: 'sealing.title', body: 'sealing.body', cls: 'info' },
  completed: { title: 'done.signed.title', body: 'done.signed.body', cls: 'ok' },
  refused: { title: 'sealing.refused.title', body: 'sealing.refused.body', cls: 'warn' },
  open: { title: 'sealing.refused.title', body: 'sealing.refused.body', cls: 'warn' },
  closed: { title: 'closed.failed.title', body: 'closed.failed.body', cls: 'warn' },
};

/** GET seal-status: `{ state, title, body, cls, redirect?, taskUrl }` for the page's script; 404 for unknown tasks. */
export function mountSealStatus(r: express.Router, kit: PageKit, services: ServiceRepository): void {
  r.get(
    '/std/docaction/:service/seal-status',
    kit.guard(async (req, res) => {
      const { requestId, taskId } = kit.ids(req);
      const svc = await services.find(String(req.params.service));
      const answer = (status: number, body: unknown) =>
        res.status(status).set({ 'cache-control': 'no-store', 'x-content-type-options': 'nosniff' }).json(body);
      if (!svc || !requestId || !taskId) return void answer(404, { error: 'no such task' });
      let state: SealState;
      let pt;
      try {
        [state, pt] = await Promise.all([kit.signer.sealState(svc, requestId, taskId), kit.signer.portalTask(svc, requestId, taskId)]);
      } catch (e) {
        if (e instanceof NotFoundError) return void answer(404, { error: 'no such task' });
        throw e;
      }
      const l: LangLike = { code: pickLanguage(pt.language, req.headers['accept-language']), texts: {} };
      const a = ANSWERS[state];
      const s: SealingTask = { svc, requestId, taskId };
      answer(200, {
        state,
        title: t(l, a.title),
        body: t(l, a.body),
        cls: a.cls,
        redirect: state === 'completed' && pt.redirects.complete ? redirectUrl(pt.redirects.complete, requestId, taskId) : undefined,
        taskUrl: `${base(s)}?${query(s)}`,
        link: t(l, 'sealing.reload'),
      });
    }),
  );
}

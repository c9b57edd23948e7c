// The wizard's buttons, one form each posting `do`: Start over (forget what was read), Postpone and
// Decline (to the service's redirect, or a page saying so) and Send in (to the eID method's signing
// step while documents are to be signed, else completing the task). Nothing is final until "Send in".
import express from 'express';
import { StateError } from '../../core/errors';
import { redirectUrl } from '../../core/portal';
import { t } from '../i18n';
import { taskKey } from '../session';
import { wizard } from '../wizard';
import type { Ctx, PageKit } from '../kit';
import type { Html } from '../html';
import { announce } from '../embed';

/** One posted act: the task, the form's fields, and the two ways it answers. */
interface Act {
  c: Ctx;
  res: express.Response;
  form: Record<string, string | string[] | undefined>;
  requestId: string;
  taskId: string;
  /** the service's redirect when it gave one, else the page `fallback` sends */
  go: (template: string | undefined, fallback: () => void) => void;
  /** a page of the task */
  shell: (status: number, title: string, main: string | Html) => void;
}

export function mountAct(r: express.Router, d: PageKit): void {
  r.post(
    '/std/docaction/:service/act',
    express.urlencoded({ extended: false, limit: '16kb', parameterLimit: 200 }),
    d.guard(async (req, res) => {
      const c = await d.resolve(req, res, d.ids(req));
      if (!c) return;
      const { requestId, taskId } = d.ids(req);
      // (no body, or not a form: nothing was parsed, and the CSRF check below refuses it)
      const form = (req.body ?? {}) as Act['form'];
      const shell = (status: number, title: string, main: string | Html) => d.send(res, status, c, title, main);
      if (!d.csrfOk(c, form) || !d.loggedIn(c)) {
        const m = d.csrfRefused(c);
        shell(403, m.title, m.main);
        return;
      }
      const key = taskKey(requestId, taskId);
      const go: Act['go'] = (template, fallback) => {
        if (template) d.redirect(res, c, redirectUrl(template, requestId, taskId));
        else fallback();
      };
      switch (form.do) {
        case 'restart': {
          if (c.session.tasks[key]) c.session.tasks[key] = { ...c.session.tasks[key]!, viewed: [], ink: undefined };
          d.redirect(res, c, `${c.base}?${c.query}`);
          return;
        }
        case 'postpone':
          announce(res, 'postponed');
          go(c.pt.redirects.postpone, () => {
            const m = d.message(c.lang, 'postponed.title', 'postponed.body', 'info');
            shell(200, m.title, m.main);
          });
          return;
        case 'decline':
          await decline(d, { c, res, form, requestId, taskId, go, shell });
          return;
        case 'sendin':
          await sendIn(d, { c, res, form, requestId, taskId, go, shell });
          return;
        default:
          shell(400, t(c.lang, 'task.title'), wizard(c));
      }
    }),
  );
}

/** Decline: the task is rejected with the signer's reason (at most 1000 characters). */
async function decline(d: PageKit, a: Act): Promise<void> {
  const { c, form, requestId, taskId, go, shell } = a;
  const reason = typeof form.reason === 'string' ? form.reason.trim().slice(0, 1000) : '';
  await d.signer.rejectTask(c.svc, requestId, taskId, reason ? `declined by the signer: ${reason}` : 'declined by the signer');
  announce(a.res, 'declined');
  go(c.pt.redirects.cancel, () => {
    const m = d.message(c.lang, 'closed.rejected.title', 'closed.rejected.body', 'warn');
    shell(200, m.title, m.main);
  });
}

/** Send in: refused while documents are unread or uploads missing; to the signing step, or the task completes. */
async function sendIn(d: PageKit, a: Act): Promise<void> {
  const { c, res, form, requestId, taskId, go, shell } = a;
  const include = new Set(([] as string[]).concat(form.include ?? []));
  const toSign = c.pt.documents.filter((x) => x.action === 'sign' && !x.signed && (!x.optional || include.has(x.id)));
  if (
    d.refuseUnready(
      res,
      c,
      toSign.map((x) => x.id),
    )
  )
    return;
  if (toSign.length > 0) {
    // Signing needs the signer's eID signature: the sign step is the eID method's (src/eid/testid/steps.ts);
    // a handwriting-only task's is the drawing pad's (handwriting.ts)
    const step = c.pt.handwritingOnly ? 'handwriting' : 'sign';
    d.redirect(res, c, `${c.base}/${step}?${c.query}&${toSign.map((x) => `document_id=${encodeURIComponent(x.id)}`).join('&')}`);
    return;
  }
  let done: 'done.sent' | 'closed.completed' = 'done.sent';
  try {
    await d.signer.completeTask(c.svc, requestId, taskId);
  } catch (e) {
    if (!(e instanceof StateError)) throw e;
    done = 'closed.completed';
  }
  go(c.pt.redirects.complete, () => {
    const m = d.message(c.lang, `${done}.title`, `${done}.body`, 'ok');
    shell(200, m.title, m.main);
  });
}

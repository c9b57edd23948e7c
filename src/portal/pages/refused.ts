// A form the body parser refused (see ../forms.ts): a translated page that changes nothing, with the
// way back to the task when the URL names one.
import type express from 'express';
import { message, SECURITY_HEADERS } from '../answer';
import { clientErrorStatus } from '../forms';
import { pickLanguage, t, type TextKey } from '../i18n';
import { page } from '../layout';
import { html } from '../html';
import { ids } from '../task';

export function mountRefusedForms(r: express.Router): void {
  r.use((err: unknown, req: express.Request, res: express.Response, next: express.NextFunction) => {
    const status = clientErrorStatus(err);
    if (!status || res.headersSent) {
      next(err);
      return;
    }
    const lang = pickLanguage(undefined, req.headers['accept-language']);
    const { requestId, taskId } = ids(req);
    const service = typeof req.params.service === 'string' ? req.params.service : /^\/std\/docaction\/([^/]+)/.exec(req.path)?.[1];
    const back =
      requestId && taskId && service
        ? html`<p><a href="${`/std/docaction/${encodeURIComponent(service)}?${new URLSearchParams({ request_id: requestId, task_id: taskId })}`}">${t(lang, 'doc.back')}</a></p>`
        : '';
    const [title, body]: [TextKey, TextKey] =
      status === 413
        ? ['form.tooLarge.title', 'form.tooLarge.body']
        : req.method === 'POST'
          ? ['form.bad.title', 'form.bad.body']
          : ['request.bad.title', 'request.bad.body'];
    const m = message(lang, title, body, 'warn', back);
    if (status === 413) res.set('connection', 'close'); // the rest of an oversized body is not read
    res
      .status(status)
      .set(SECURITY_HEADERS)
      .type('html')
      .send(page({ lang, ...m }));
  });
}

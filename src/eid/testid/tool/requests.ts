// How the test-user tool takes a request: its context (language, CSRF token and cookie), the CSRF
// check of a form, the form parser, and the pages for a request that fails (500 for an error a page
// threw, 400 / 404 / 413 for a request express refused).
import express from 'express';
import { pickLanguage, t, type TextKey } from '../../../portal/i18n';
import { html } from '../../../portal/html';
import { clientErrorStatus } from '../../../portal/forms';
import { newErrorReference } from '../../../core/ids';
import { Csrf } from './csrf';
import { back, forbidden, send, type Ctx, type Handler, type TestIdToolDeps, type Tool } from './shell';

/** The per-request pieces of the tool for its deps (the CSRF key comes from the secret). */
export function toolFor(d: TestIdToolDeps): Tool {
  const csrf = new Csrf(d.secret, d.production);
  const form = express.urlencoded({ extended: false, limit: '16kb', parameterLimit: 50 });

  const ctx = (req: express.Request): Ctx => {
    const lang = pickLanguage(undefined, req.headers['accept-language']);
    const had = csrf.nonce(req);
    const nonce = had ?? csrf.fresh();
    return { lang, token: csrf.token(nonce), ...(had ? {} : { setCookie: csrf.cookie(nonce) }) };
  };

  const checkedForm = (req: express.Request, res: express.Response, c: Ctx, alias?: string) => {
    const body = (req.body ?? {}) as Record<string, unknown>;
    if (!csrf.valid(req, body.csrf)) {
      forbidden(res, c, alias);
      return undefined;
    }
    return body;
  };

  const guard =
    (handler: Handler): express.RequestHandler =>
    async (req, res) => {
      try {
        await handler(req, res);
      } catch (e) {
        const ref = newErrorReference();
        d.log.error({ err: e, ref }, 'test-user tool page failed');
        if (res.headersSent) return;
        const c = ctx(req);
        const title = t(c.lang, 'error.title');
        send(
          res,
          500,
          c,
          title,
          html`<h1 class="status warn">${title}</h1><p class="lead">${t(c.lang, 'testid.error.body', { ref })}</p>${back(c)}`,
        );
      }
    };

  return { d, ctx, checkedForm, form, guard };
}

// A form the body parser refused, or a path that does not decode (see forms.ts): a translated page
// that changes nothing, never a 500.
export function clientErrorPage(tool: Tool): express.ErrorRequestHandler {
  return (err: unknown, req: express.Request, res: express.Response, next: express.NextFunction) => {
    const status = clientErrorStatus(err);
    if (!status || res.headersSent) {
      next(err);
      return;
    }
    const c = tool.ctx(req);
    const [title, body]: [TextKey, TextKey] =
      status === 413
        ? ['form.tooLarge.title', 'form.tooLarge.body']
        : req.method === 'POST'
          ? ['form.bad.title', 'form.bad.body']
          : ['testid.notfound.title', 'request.bad.body'];
    if (status === 413) res.set('connection', 'close'); // the rest of an oversized body is not read
    send(
      res,
      status,
      c,
      t(c.lang, title),
      html`<h1 class="status warn">${t(c.lang, title)}</h1><p class="lead">${t(c.lang, body)}</p>${back(c)}`,
    );
  };
}

// The SAML 2.0 IdP's HTTP endpoints: GET /saml2/metadata, GET /saml2/sso (HTTP-Redirect binding) and
// POST /saml2/sso (HTTP-POST binding). An accepted request hands its Saml2Pending to `login` (the
// login core's front door), which later calls `idp.answer` and `acsPostPage`; a refused one gets the
// translated error page (HTTP 400) and never a redirect.
import express, { type Request, type Response, type Router } from 'express';
import { page } from '../../../portal/layout';
import { html } from '../../../portal/html';
import { pickLanguage, t, type Lang } from '../../../portal/i18n';
import { AuthnRequestError, type EncodedRequest } from '../../../trust/saml2/authnrequest';
import { decodePost, decodeRedirect } from './bindings';
import type { AcsPost, Saml2Idp, Saml2Pending } from './idp';

/** The POST binding's form: a signed AuthnRequest with a few certificates is far below this. */
const FORM_LIMIT = '200kb';

/** Starts the login for an accepted request; the front door answers the browser. */
export type StartLogin = (req: Request, res: Response, pending: Saml2Pending, lang: Lang) => Promise<void>;

/**
 * The page that POSTs the Response to the ACS (bindings §3.5.4): a form with SAMLResponse and
 * RelayState, submitted by a script, with a button for browsers without JavaScript.
 */
export function acsPostPage(post: AcsPost, lang: Lang): string {
  const main = html`<h1>${t(lang, 'saml2.post.title')}</h1>
<p>${t(lang, 'saml2.post.body')}</p>
<form method="post" action="${post.acsUrl}" id="saml2-post">
<input type="hidden" name="SAMLResponse" value="${post.samlResponse}">
${post.relayState !== undefined && html`<input type="hidden" name="RelayState" value="${post.relayState}">`}
<button type="submit">${t(lang, 'saml2.post.button')}</button>
</form>
<script>document.getElementById('saml2-post').submit();</script>`;
  return page({ lang, title: t(lang, 'saml2.post.title'), main });
}

function refusedPage(lang: Lang, reason: string): string {
  const main = html`<h1>${t(lang, 'saml2.refused.title')}</h1>
<p>${t(lang, 'saml2.refused.body')}</p>
<p>${t(lang, 'saml2.refused.reason')}: <code>${reason}</code></p>`;
  return page({ lang, title: t(lang, 'saml2.refused.title'), main });
}

function send(res: Response, status: number, body: string): void {
  res.status(status).set({ 'Content-Type': 'text/html; charset=utf-8', 'Cache-Control': 'no-store' }).send(body);
}

export function saml2Routes(idp: Saml2Idp, login: StartLogin): Router {
  const r = express.Router();
  r.get('/saml2/metadata', async (_req, res, next) => {
    try {
      res.set('Content-Type', 'application/samlmetadata+xml').send(await idp.metadata());
    } catch (e) {
      next(e);
    }
  });
  const sso = (decode: (req: Request) => EncodedRequest) => async (req: Request, res: Response, next: express.NextFunction) => {
    const lang = pickLanguage(undefined, req.get('accept-language'));
    try {
      const accepted = await idp.accept(decode(req));
      if ('login' in accepted) await login(req, res, accepted.login, lang);
      else send(res, 200, acsPostPage(await idp.answer(accepted.answer, { status: accepted.status }), lang));
    } catch (e) {
      if (e instanceof AuthnRequestError) send(res, 400, refusedPage(lang, e.message));
      else next(e);
    }
  };
  r.get(
    '/saml2/sso',
    sso((req) => decodeRedirect(req.originalUrl.includes('?') ? req.originalUrl.slice(req.originalUrl.indexOf('?') + 1) : '')),
  );
  r.post(
    '/saml2/sso',
    express.urlencoded({ extended: false, limit: FORM_LIMIT, parameterLimit: 10 }),
    sso((req) => {
      const body = (req.body ?? {}) as Record<string, unknown>;
      return decodePost(body.SAMLRequest, body.RelayState);
    }),
  );
  return r;
}

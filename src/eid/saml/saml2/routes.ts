// The SAML 2.0 IdP's HTTP endpoints: GET /saml2/metadata, GET /saml2/sso (HTTP-Redirect binding) and
// POST /saml2/sso (HTTP-POST binding), and its front door on the login core (src/eid/authn/login.ts):
// an accepted request starts a login whose state carries the Saml2Pending; the door's finish answers
// with the page that POSTs the Response to the ACS (bindings §3.5.4: a form with SAMLResponse and
// RelayState, submitted by the same script as the SAML 1.1 answer, with a button for browsers without
// JavaScript; the page's CSP lets the form go to the ACS's origin only). A refused request gets the
// translated error page (HTTP 400) and never a redirect.
import express, { type Request, type Response, type Router } from 'express';
import { SECURITY_HEADERS } from '../../../portal/answer';
import { html, type Html } from '../../../portal/html';
import { pickLanguage, t, type Lang, type LangLike } from '../../../portal/i18n';
import { page } from '../../../portal/layout';
import type { ServiceRepository } from '../../../store/services';
import { AuthnRequestError, type EncodedRequest } from '../../../trust/saml2/authnrequest';
import type { DoorAnswer, FrontDoor, LoginCore } from '../../authn/login';
import { AUTOPOST_PATH } from '../std';
import { decodePost, decodeRedirect } from './bindings';
import { NAMEID_NATIONAL_ID, NAMEID_PERSISTENT } from './response';
import type { AcsPost, Saml2Idp, Saml2Pending } from './idp';

export const SAML2_DOOR = 'saml2';
/** The POST binding's form: a signed AuthnRequest with a few certificates is far below this. */
const FORM_LIMIT = '200kb';

/** A page to send: what LoginCore.send takes. */
export interface Saml2Page {
  lang: LangLike;
  title: string;
  main: Html;
  csp?: string;
}

/** What the endpoints need besides the IdP: starting a login, and sending a page. */
export interface Saml2Hooks {
  start(req: Request, res: Response, pending: Saml2Pending, lang: Lang): Promise<void>;
  send(res: Response, status: number, p: Saml2Page): Promise<void>;
}

/** The page that POSTs the Response to the ACS, and the CSP that lets its form go there. */
export function acsPostPage(post: AcsPost, lang: LangLike): Saml2Page {
  const title = t(lang, 'saml2.post.title');
  const main = html`<h1>${title}</h1>
<p>${t(lang, 'saml2.post.body')}</p>
<form method="post" action="${post.acsUrl}" id="samlpost">
<input type="hidden" name="SAMLResponse" value="${post.samlResponse}">
${post.relayState !== undefined && html`<input type="hidden" name="RelayState" value="${post.relayState}">`}
<div class="actions"><button class="button" type="submit">${t(lang, 'saml2.post.button')}</button></div>
</form>
<script src="${AUTOPOST_PATH}"></script>`;
  const csp = SECURITY_HEADERS['content-security-policy'].replace(
    "form-action 'self'",
    `form-action 'self' ${new URL(post.acsUrl).origin}`,
  );
  return { lang, title, main, csp };
}

function refusedPage(lang: Lang, reason: string): Saml2Page {
  const title = t(lang, 'saml2.refused.title');
  const main = html`<h1 class="status warn">${title}</h1>
<p class="lead">${t(lang, 'saml2.refused.body')}</p>
<p>${t(lang, 'saml2.refused.reason')}: <code>${reason}</code></p>`;
  return { lang, title, main };
}

/** Sends a page with the portal's security headers (the CSP the page asks for, if any). */
export async function sendPage(res: Response, status: number, p: Saml2Page): Promise<void> {
  const headers = { ...SECURITY_HEADERS, ...(p.csp ? { 'content-security-policy': p.csp } : {}) };
  res
    .status(status)
    .set(headers)
    .type('html')
    .send(page({ lang: p.lang, title: p.title, main: p.main }));
}

export function saml2Routes(idp: Saml2Idp, hooks: Saml2Hooks): Router {
  const r = express.Router();
  r.get('/saml2/metadata', (_req, res, next) => {
    idp.metadata().then((xml) => {
      res
        .set({ 'cache-control': 'public, max-age=300', 'x-content-type-options': 'nosniff' })
        .type('application/samlmetadata+xml')
        .send(xml);
    }, next);
  });
  const sso = (decode: (req: Request) => EncodedRequest) => async (req: Request, res: Response) => {
    const lang = pickLanguage(undefined, req.get('accept-language'));
    try {
      const accepted = await idp.accept(decode(req));
      if ('login' in accepted) await hooks.start(req, res, accepted.login, lang);
      else await hooks.send(res, 200, acsPostPage(await idp.answer(accepted.answer, { status: accepted.status }), lang));
    } catch (e) {
      if (!(e instanceof AuthnRequestError)) throw e;
      await hooks.send(res, 400, refusedPage(lang, e.message));
    }
  };
  const guard = (h: (req: Request, res: Response) => Promise<void>) => (req: Request, res: Response, next: express.NextFunction) => {
    h(req, res).catch(next);
  };
  r.get(
    '/saml2/sso',
    guard(sso((req) => decodeRedirect(req.originalUrl.includes('?') ? req.originalUrl.slice(req.originalUrl.indexOf('?') + 1) : ''))),
  );
  r.post(
    '/saml2/sso',
    express.urlencoded({ extended: false, limit: FORM_LIMIT, parameterLimit: 10 }),
    guard(
      sso((req) => {
        const body = (req.body ?? {}) as Record<string, unknown>;
        return decodePost(body.SAMLRequest, body.RelayState);
      }),
    ),
  );
  return r;
}

/** The pending request as the login transaction keeps it (its `answer`, strings only). */
function toAnswer(p: Saml2Pending): Record<string, string> {
  return {
    spId: String(p.spId),
    serviceId: String(p.serviceId),
    service: p.service,
    spEntityId: p.spEntityId,
    acsUrl: p.acsUrl,
    requestId: p.requestId,
    ...(p.relayState !== undefined ? { relayState: p.relayState } : {}),
    nameIdFormat: p.nameIdFormat,
    forceAuthn: String(p.forceAuthn),
    wantAssertionsSigned: String(p.wantAssertionsSigned),
  };
}

function fromAnswer(a: Record<string, string>): Saml2Pending {
  return {
    spId: Number(a.spId),
    serviceId: Number(a.serviceId),
    service: a.service!,
    spEntityId: a.spEntityId!,
    acsUrl: a.acsUrl!,
    requestId: a.requestId!,
    ...(a.relayState !== undefined ? { relayState: a.relayState } : {}),
    nameIdFormat: a.nameIdFormat === NAMEID_NATIONAL_ID ? NAMEID_NATIONAL_ID : NAMEID_PERSISTENT,
    forceAuthn: a.forceAuthn === 'true',
    wantAssertionsSigned: a.wantAssertionsSigned === 'true',
  };
}

export interface Saml2MountDeps {
  core: LoginCore;
  services: ServiceRepository;
  idp: Saml2Idp;
}

/** Mounts the IdP on the login core: its door, its metadata and its SSO endpoint. */
export function mountSaml2(r: Router, d: Saml2MountDeps): void {
  const door: FrontDoor = {
    name: SAML2_DOOR,
    async finish(a: DoorAnswer) {
      const pending = fromAnswer(a.answer);
      const post = await d.idp.answer(pending, a.outcome.ok ? { identity: a.outcome.identity } : { error: a.outcome.error });
      const p = acsPostPage(post, a.lang);
      return { title: p.title, main: p.main, csp: p.csp };
    },
  };
  d.core.addDoor(door);
  r.use(
    saml2Routes(d.idp, {
      send: (res, status, p) => d.core.send(res, status, p),
      async start(req, res, pending, lang) {
        const svc = await d.services.find(pending.service);
        // segl keeps no IdP session, so ForceAuthn needs nothing more: every login asks the person
        const method = d.core.methods()[0];
        if (!svc || !method) {
          await d.core.send(res, 200, acsPostPage(await d.idp.answer(pending, { error: 'method-unavailable' }), lang));
          return;
        }
        await d.core.start(req, res, { service: svc, method, language: lang, door: SAML2_DOOR, answer: toAnswer(pending) });
      },
    }),
  );
}

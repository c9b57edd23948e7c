// The authentication service's SAML 1.1 front door, as Signicat's (reference authentication.md §1.2,
// §4): `GET /std/method/{service}?id={method}[:{profile}[:{language}]]&target={url}` runs the eID
// through the login core (src/eid/authn) and answers with a page that POSTs `SAMLResponse` (base64
// of the signed Response) and `TARGET` to the target: at once with JavaScript, by its button without.
// A request that names an unknown service or method, or a target that is missing or not on the
// service's allowlist (`segl service set NAME --auth-target URL`), gets a translated error page and
// nothing is sent anywhere. The signing certificate is public at /std/saml-certificate.pem.
import express from 'express';
import { SECURITY_HEADERS } from '../../portal/answer';
import { html } from '../../portal/html';
import { LANGUAGES, pickLanguage, t, type Lang } from '../../portal/i18n';
import type { AuthnRepository } from '../../store/authn';
import type { ServiceRepository } from '../../store/services';
import type { DoorAnswer, FrontDoor, LoginCore } from '../authn/login';
import { allowedTarget } from '../authn/targets';
import { saml11Response, type Saml11Signer } from './saml11';

export const SAML11_DOOR = 'saml11';
export const SAML_CERTIFICATE_PATH = '/std/saml-certificate.pem';
const AUTOPOST_PATH = '/std/static/autopost.js';
/** Submits the answer's form as soon as the page has loaded (the button does it without JavaScript). */
const AUTOPOST_JS = "document.getElementById('samlpost').submit();\n";

export interface SamlSigning extends Saml11Signer {
  /** the certificate as PEM, published at SAML_CERTIFICATE_PATH */
  certificatePem: string;
}

export interface StdMethodDeps {
  core: LoginCore;
  services: ServiceRepository;
  repo: AuthnRepository;
  signing: () => Promise<SamlSigning>;
  /** `<host>/std`, the Assertion's Issuer */
  issuer: () => string;
}

/** `id`'s parts: `method`, `method:`, `method:profile`, `method::lang`, `method:profile:lang`. */
export function parseMethodId(id: string): { method: string; profile?: string; language?: string } | undefined {
  const m = /^([a-z0-9][a-z0-9._-]{0,63})(?::([A-Za-z0-9._-]{0,64})(?::([A-Za-z-]{0,16}))?)?$/.exec(id);
  if (!m) return undefined;
  return { method: m[1]!, ...(m[2] ? { profile: m[2] } : {}), ...(m[3] ? { language: m[3] } : {}) };
}

/** The door: a signed Response for the outcome, in a page that POSTs it to the target. */
function saml11Door(d: StdMethodDeps): FrontDoor {
  return {
    name: SAML11_DOOR,
    async finish(a: DoorAnswer) {
      const target = a.answer.target!;
      const xml = await saml11Response(
        { outcome: a.outcome, recipient: target, issuer: d.issuer(), service: a.service.name, now: a.now },
        await d.signing(),
      );
      const origin = new URL(target).origin;
      const title = t(a.lang, 'authn.continue');
      const main = html`<h1>${t(a.lang, 'authn.returning', { site: origin })}</h1><form id="samlpost" method="post" action="${target}"><input type="hidden" name="SAMLResponse" value="${Buffer.from(xml, 'utf8').toString('base64')}"><input type="hidden" name="TARGET" value="${target}"><div class="actions"><button class="button">${title}</button></div></form><script src="${AUTOPOST_PATH}"></script>`;
      const csp = SECURITY_HEADERS['content-security-policy'].replace("form-action 'self'", `form-action 'self' ${origin}`);
      return { title, main, csp };
    },
  };
}

/** Mounts /std/method/{service}, the auto-POST script and the certificate. */
export function mountStdMethod(r: express.Router, d: StdMethodDeps): void {
  d.core.addDoor(saml11Door(d));
  r.get(AUTOPOST_PATH, (_req, res) => {
    res.set({ 'cache-control': 'public, max-age=3600', 'x-content-type-options': 'nosniff' }).type('text/javascript').send(AUTOPOST_JS);
  });
  r.get(SAML_CERTIFICATE_PATH, (_req, res, next) => {
    d.signing().then((s) => {
      res
        .set({ 'cache-control': 'public, max-age=300', 'x-content-type-options': 'nosniff' })
        .type('application/x-pem-file')
        .send(s.certificatePem);
    }, next);
  });
  r.get(['/std/method/:service', '/std/method/:service/'], (req, res, next) => {
    start(d, req, res).catch(next);
  });
}

async function start(d: StdMethodDeps, req: express.Request, res: express.Response): Promise<void> {
  const q = req.query as Record<string, unknown>;
  const parsed = typeof q.id === 'string' ? parseMethodId(q.id) : undefined;
  const language = (LANGUAGES as readonly string[]).includes(parsed?.language ?? '') ? (parsed!.language as Lang) : undefined;
  const accept = language ?? pickLanguage(undefined, req.headers['accept-language']);
  const svc = await d.services.find(String(req.params.service));
  const refused = async () => {
    const shown = svc ? await d.core.look(svc, parsed?.profile, accept) : { lang: accept };
    await d.core.refuse(res, 400, shown.lang, 'refused', 'look' in shown ? shown.look : undefined);
  };
  if (!svc || !parsed || !d.core.methods().includes(parsed.method) || typeof q.target !== 'string') return refused();
  const target = allowedTarget(q.target, await d.repo.targets(svc.id));
  if (!target) return refused();
  await d.signing(); // no login starts that could not be answered (a key that cannot be read is a 500 here)
  await d.core.start(req, res, {
    service: svc,
    method: parsed.method,
    profile: parsed.profile,
    language,
    door: SAML11_DOOR,
    answer: { target },
  });
}

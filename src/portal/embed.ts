// The portal inside an integrator's page (docs/embedding.md). A service lists the exact origins that may
// frame its task pages (`segl service set NAME --frame-origin https://shop.example`); for that service the
// task pages send `frame-ancestors 'self' <origins>` instead of 'none', so any other site is refused by
// the browser itself. In the frame, static/embedded.js posts events (loaded, authenticated, signed,
// declined, postponed, error) to the parent, only with targetOrigin = the `parent` origin the task URL
// names, and only when that origin is on the list. Over https the session cookie of such a service is
// `SameSite=None; Secure; Partitioned`; when it still does not come back (third-party cookies blocked),
// the first page says so and offers the same task in a top-level window. GET /embed.js is the script an
// integrator includes: `segl.embed(element, taskUrl, { onEvent })`.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import type express from 'express';
import type { ServiceRepository } from '../store/services';
import { STATIC_DIR } from './assets';
import { html } from './html';
import { pickLanguage, t, type LangLike } from './i18n';
import { page } from './layout';

/** At most this many origins per service (a header stays small). */
export const MAX_FRAME_ORIGINS = 20;
/** The hosts http is allowed for (development); every other origin must be https. */
const LOCAL_HOSTS = new Set(['localhost', '127.0.0.1']);
const PROBE_COOKIE = 'segl_probe';

/** One `--frame-origin`: the exact origin (scheme, lower-case host, port; default port dropped), or why it is refused. */
export function frameOriginEntry(text: string): string | Error {
  const s = text.trim();
  const bad = (why: string) => new Error(`frame origin "${s}" ${why}`);
  if (s.includes('*')) return bad('has a wildcard: give each origin exactly, as scheme://host[:port]');
  const m = /^([A-Za-z][A-Za-z0-9+.-]*):\/\/([^/?#]*)(.*)$/.exec(s);
  if (!m) return bad('is not an origin: give scheme://host[:port], e.g. https://shop.example');
  if (m[2]!.includes('@')) return bad('carries user info: give scheme://host[:port] only');
  if (m[3] !== '' && m[3] !== '/') return bad('has a path, query or fragment: give scheme://host[:port] only');
  let u: URL;
  try {
    u = new URL(s);
  } catch {
    return bad('is not a valid origin');
  }
  if (u.protocol === 'http:' && !LOCAL_HOSTS.has(u.hostname))
    return bad('is not https: http is allowed only for localhost and 127.0.0.1 (development)');
  if (u.protocol !== 'https:' && u.protocol !== 'http:') return bad('must be https (http only for localhost and 127.0.0.1)');
  if (!u.hostname) return bad('has no host');
  return u.origin;
}

/** The checked list of `--frame-origin`s (blanks skipped: only "" clears the list); throws on the first bad one. */
export function frameOriginList(given: readonly string[]): string[] {
  const checked = given.filter((x) => x.trim() !== '').map(frameOriginEntry);
  const bad = checked.find((u): u is Error => u instanceof Error);
  if (bad) throw bad;
  const list = [...new Set(checked as string[])];
  if (list.length > MAX_FRAME_ORIGINS) throw new Error(`at most ${MAX_FRAME_ORIGINS} frame origins per service (${list.length} given)`);
  return list;
}

/** The events a page announces (besides `loaded`, which every page sends). */
export type EmbedState = 'authenticated' | 'declined' | 'postponed' | 'error';

/** What a response of an embeddable service's task pages knows about its frame (res.locals.seglEmbed). */
interface Embed {
  origins: string[];
  /** the `parent` of the query, when it is on the list */
  parent?: string;
  requestId: string;
  taskId: string;
  /** the session cookie must work in a third-party frame (https only) */
  crossSite: boolean;
  state?: EmbedState;
  code?: string;
  reference?: string;
}

const embedOf = (res: express.Response): Embed | undefined => res.locals.seglEmbed as Embed | undefined;

/** The security headers of a portal answer: frame-ancestors opened to the service's origins on its task pages. */
export function framed(res: express.Response, headers: Readonly<Record<string, string>>): Record<string, string> {
  const e = embedOf(res);
  const csp = headers['content-security-policy'];
  if (!e || !csp) return { ...headers };
  return { ...headers, 'content-security-policy': csp.replace("frame-ancestors 'none'", `frame-ancestors 'self' ${e.origins.join(' ')}`) };
}

/** True when the session cookie must be `SameSite=None; Secure; Partitioned` (an embeddable service over https). */
export const crossSiteCookie = (res: express.Response): boolean => embedOf(res)?.crossSite ?? false;

/** Marks the event this answer's page announces to the parent (the first mark wins). */
export function announce(res: express.Response, state: EmbedState, detail: { code?: string; reference?: string } = {}): void {
  const e = embedOf(res);
  if (e && !e.state) Object.assign(e, { state, ...detail });
}

/** A portal page with the frame's event script, when the service is embeddable. */
export function withEmbed(res: express.Response, pageHtml: string): string {
  const e = embedOf(res);
  if (!e) return pageHtml;
  const tags = html`<div id="segl-embed" hidden data-origins="${e.origins.join(' ')}" data-parent="${e.parent ?? ''}" data-request-id="${
    e.requestId
  }" data-task-id="${e.taskId}" data-state="${e.state ?? ''}" data-code="${e.code ?? ''}" data-reference="${e.reference ?? ''}"></div>
<script src="/portal/static/embedded.js" defer></script>
`.value;
  const at = pageHtml.lastIndexOf('</body>');
  return at < 0 ? pageHtml + tags : pageHtml.slice(0, at) + tags + pageHtml.slice(at);
}

/**
 * For an embeddable service, a redirect that ends the portal's part (declined or postponed, to the service's
 * URL) is a short page instead: in a frame its script posts the event first, then it goes on (a link does
 * without script). (Whether the page is framed, and by whom, only the browser knows: the POST has no `parent`.)
 */
export function interstitial(res: express.Response, lang: LangLike, location: string): string | undefined {
  const e = embedOf(res);
  if (!e || (e.state !== 'declined' && e.state !== 'postponed')) return undefined;
  const title = t(lang, 'embed.next.title');
  const main = html`<h1>${title}</h1><p><a id="segl-next" href="${location}">${t(lang, 'embed.next.link')}</a></p>`;
  return withEmbed(res, page({ lang, title, main }));
}

const STATIC = (name: string) => readFileSync(path.join(STATIC_DIR, name), 'utf8');
/** The integrator's script (GET /embed.js) and the frame's (GET /portal/static/embedded.js). */
const EMBED_JS = STATIC('embed.js');
const EMBEDDED_JS = STATIC('embedded.js');

export interface EmbedDeps {
  services: Pick<ServiceRepository, 'frameOrigins'>;
  /** PUBLIC_URL is https: cookies may be SameSite=None */
  https: boolean;
  send(res: express.Response, status: number, html: string): void;
}

const hasCookie = (req: express.Request) => new RegExp(`(?:^|;\\s*)(?:segl_portal|${PROBE_COOKIE})=`).test(req.headers.cookie ?? '');

/** The task URL without the frame's own parameters: what the top-level window opens. */
function topLevelUrl(req: express.Request): string {
  const u = new URL(req.originalUrl, 'http://x');
  u.searchParams.delete('parent');
  u.searchParams.delete('cookie_check');
  return u.pathname + u.search;
}

/** The scripts, and the frame settings of every task page of an embeddable service (mount before the task pages). */
export function mountEmbed(r: express.Router, d: EmbedDeps): void {
  const js = (body: string) => (_req: express.Request, res: express.Response) => {
    res
      .set({ 'cache-control': 'public, max-age=3600', 'x-content-type-options': 'nosniff', 'cross-origin-resource-policy': 'cross-origin' })
      .type('text/javascript')
      .send(body);
  };
  r.get('/embed.js', js(EMBED_JS));
  r.get('/portal/static/embedded.js', js(EMBEDDED_JS));
  r.use('/std/docaction/:service', (req, res, next) => {
    d.services.frameOrigins(String(req.params.service)).then((origins) => {
      if (!origins.length) return next();
      const q = req.query as Record<string, unknown>;
      const str = (k: string) => (typeof q[k] === 'string' ? (q[k] as string) : '');
      const parent = origins.includes(str('parent')) ? str('parent') : undefined;
      const e: Embed = { origins, parent, requestId: str('request_id'), taskId: str('task_id'), crossSite: d.https };
      res.locals.seglEmbed = e;
      if (req.method !== 'GET' || req.path !== '/' || !parent || hasCookie(req)) return next();
      // the cookie round trip: set one, come back; still none means this frame gets no cookies
      if (str('cookie_check') !== '1') {
        const attrs = d.https ? 'SameSite=None; Secure; Partitioned' : 'SameSite=Lax';
        res.append('set-cookie', `${PROBE_COOKIE}=1; Path=/std/; HttpOnly; Max-Age=600; ${attrs}`);
        res.status(303).set({ 'cache-control': 'no-store', 'referrer-policy': 'no-referrer' });
        res.location(`${req.originalUrl}&cookie_check=1`).end();
        return;
      }
      const lang = pickLanguage(undefined, req.headers['accept-language']);
      announce(res, 'error', { code: 'cookies-blocked' });
      const title = t(lang, 'embed.cookies.title');
      const main = html`<h1 class="status warn">${title}</h1><p class="lead">${t(lang, 'embed.cookies.body')}</p>
<p><a class="button" href="${topLevelUrl(req)}" target="_top">${t(lang, 'embed.cookies.open')}</a></p>`;
      d.send(res, 200, page({ lang, title, main }));
    }, next);
  });
}

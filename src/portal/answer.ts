// How every portal page answers: the security headers, the session stored before its cookie goes out,
// a 303 to the next step, the translated message pages, the 404 and the 500 with an error reference.
import type express from 'express';
import type { Logger } from 'pino';
import { newErrorReference } from '../core/ids';
import { pickLanguage, t, type LangLike, type TextKey } from './i18n';
import { html, raw, type Html } from './html';
import { page } from './layout';
import type { PortalSession, PortalSessions } from './session';
import type { Ctx } from './kit';
import { announce, crossSiteCookie, framed, interstitial, withEmbed } from './embed';

export const SECURITY_HEADERS = {
  'content-security-policy':
    "default-src 'self'; script-src 'self' 'wasm-unsafe-eval'; img-src 'self' data: blob:; worker-src 'self' blob:; frame-ancestors 'none'; form-action 'self'; base-uri 'none'",
  'x-content-type-options': 'nosniff',
  // task URLs can carry artifacts: never leak them to other sites
  'referrer-policy': 'no-referrer',
  'cache-control': 'no-store',
};

/** A status page: a title and one paragraph of text (and what `extra` adds: markup, a string only if segl built it). */
export function message(
  lang: LangLike,
  titleKey: TextKey,
  bodyKey: TextKey,
  cls: 'ok' | 'warn' | 'info',
  extra: string | Html = '',
): { title: string; main: Html } {
  const title = t(lang, titleKey);
  return { title, main: html`<h1 class="status ${cls}">${title}</h1><p class="lead">${t(lang, bodyKey)}</p>${raw(String(extra))}` };
}

/** The ways a page answers, bound to the session store (for the cookie) and the log (for the 500 page). */
export interface Answers {
  send(res: express.Response, status: number, html: string, session?: PortalSession, now?: number): void;
  redirect(res: express.Response, c: Pick<Ctx, 'session' | 'now' | 'lang'>, location: string): void;
  failed(res: express.Response, e: unknown, lang: LangLike): void;
  notFound(res: express.Response, lang: LangLike): void;
}

export function answers(sessions: PortalSessions, log: Logger): Answers {
  /** Stores the session (what changed, or its new expiry), then answers with its cookie; a failure is the error page. */
  const withSession = (res: express.Response, session: PortalSession | undefined, now: number | undefined, answer: () => void) => {
    if (!session) {
      answer();
      return;
    }
    void sessions
      .save(session, now!, crossSiteCookie(res))
      .then((cookie) => {
        if (res.headersSent) return; // (an error page went out meanwhile)
        res.append('set-cookie', cookie);
        answer();
      })
      .catch((e: unknown) => failed(res, e, pickLanguage(undefined, undefined)));
  };
  const send = (res: express.Response, status: number, html: string, session?: PortalSession, now?: number) => {
    withSession(res, session, now, () => {
      res.status(status).set(framed(res, SECURITY_HEADERS)).type('html').send(withEmbed(res, html));
    });
  };
  const redirect = (res: express.Response, c: Pick<Ctx, 'session' | 'now' | 'lang'>, location: string) => {
    withSession(res, c.session, c.now, () => {
      const next = interstitial(res, c.lang, location); // in a frame: the event first (embed.ts)
      if (next) res.status(200).set(framed(res, SECURITY_HEADERS)).type('html').send(next);
      else res.status(303).set(framed(res, SECURITY_HEADERS)).location(location).end();
    });
  };
  /** The 500 page: a reference to quote, the details only in the log. */
  function failed(res: express.Response, e: unknown, lang: LangLike): void {
    const ref = newErrorReference();
    log.error({ err: e, ref }, 'portal page failed');
    const title = t(lang, 'error.title');
    if (!res.headersSent) {
      announce(res, 'error', { code: 'internal', reference: ref });
      const main = html`<h1>${title}</h1><p class="lead">${t(lang, 'error.body', { ref })}</p>`;
      res
        .status(500)
        .set(framed(res, SECURITY_HEADERS))
        .type('html')
        .send(withEmbed(res, page({ lang, title, main })));
    } else res.destroy();
  }
  const notFound = (res: express.Response, lang: LangLike) => {
    announce(res, 'error', { code: 'not-found' });
    send(res, 404, page({ lang, ...message(lang, 'notfound.title', 'notfound.body', 'warn') }));
  };
  return { send, redirect, failed, notFound };
}

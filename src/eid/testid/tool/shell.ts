// What every page of the test-user tool shares: its paths, the page frame with its headers, the
// small formatting helpers, and the pages that end a request early (redirect, 403, 404).
import type express from 'express';
import type { Logger } from 'pino';
import type { Clock } from '../../../core/ports';
import type { TestIdEnvironment } from '../users';
import { t, type Lang } from '../../../portal/i18n';
import { html, type Html } from '../../../portal/html';
import { page } from '../../../portal/layout';

export interface TestIdToolDeps {
  testid: TestIdEnvironment;
  /** SEGL_SECRET: keys the CSRF tokens */
  secret: string;
  /** Secure cookies */
  production: boolean;
  log: Logger;
  clock: Clock;
}

export const TESTID_BASE = '/testid';

const HEADERS = {
  'content-security-policy': "default-src 'self'; frame-ancestors 'none'; form-action 'self'; base-uri 'none'",
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  // key cards and CPR numbers: never from a cache
  'cache-control': 'no-store',
};

export const userPath = (alias: string) => `${TESTID_BASE}/users/${encodeURIComponent(alias)}`;
export const str = (v: unknown): string => (typeof v === 'string' ? v : '');
export const sentence = (s: string) => (s ? s[0]!.toUpperCase() + s.slice(1) + (/[.!?]$/.test(s) ? '' : '.') : s);
export const cprText = (cpr: string) => (/^\d{10}$/.test(cpr) ? `${cpr.slice(0, 6)}-${cpr.slice(6)}` : cpr);
/** An unambiguous time: ISO date and time in UTC, machine-readable in `datetime`. */
export const time = (iso: string): Html =>
  html`<time datetime="${iso}"><span>${iso.slice(0, 10)}</span> <span>${iso.slice(11, 19)} UTC</span></time>`;

/** One request's page context: language and the CSRF token for its forms. */
export interface Ctx {
  lang: Lang;
  token: string;
  setCookie?: string;
}

/** A page handler; whatever it throws becomes the tool's 500 page. */
export type Handler = (req: express.Request, res: express.Response) => Promise<void>;

/** What the wiring hands every page: the deps and the per-request pieces that need the secret or the log. */
export interface Tool {
  d: TestIdToolDeps;
  ctx(req: express.Request): Ctx;
  /** The form's fields, or undefined after answering 403 (nothing done) when its CSRF token is not valid. */
  checkedForm(req: express.Request, res: express.Response, c: Ctx, alias?: string): Record<string, unknown> | undefined;
  /** The body parser of the tool's forms. */
  form: express.RequestHandler;
  /** A handler whose errors are logged with a reference and answered with the 500 page. */
  guard(handler: Handler): express.RequestHandler;
}

/** A whole page of the tool: its headers, the CSRF cookie if the request came without one, the layout. */
export function send(res: express.Response, status: number, c: Ctx, title: string, main: Html): void {
  res.status(status).set(HEADERS);
  if (c.setCookie) res.append('set-cookie', c.setCookie);
  res.type('html').send(page({ lang: c.lang, title, main: main.value, service: t(c.lang, 'testid.name') }));
}

export function redirect(res: express.Response, to: string): void {
  res.status(303).set(HEADERS).location(to).end();
}

export const hidden = (c: Ctx): Html => html`<input type="hidden" name="csrf" value="${c.token}">`;
export const back = (c: Ctx, href = `${TESTID_BASE}/`, text = t(c.lang, 'testid.back')): Html =>
  html`<p class="crumbs"><a href="${href}">${text}</a></p>`;

export function notFound(res: express.Response, c: Ctx): void {
  const title = t(c.lang, 'testid.notfound.title');
  send(res, 404, c, title, html`${back(c)}<h1 class="status warn">${title}</h1><p class="lead">${t(c.lang, 'testid.notfound.body')}</p>`);
}

/** A POST without a valid CSRF token: nothing is done. `alias` names the page to go back to. */
export function forbidden(res: express.Response, c: Ctx, alias?: string): void {
  const title = t(c.lang, 'csrf.title');
  const link = alias ? back(c, userPath(alias), t(c.lang, 'testid.card.back', { name: alias })) : back(c);
  send(res, 403, c, title, html`<h1 class="status warn">${title}</h1><p class="lead">${t(c.lang, 'testid.csrf.body')}</p>${link}`);
}

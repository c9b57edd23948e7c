// The event feed (issue 17 part 3; docs/events.md, openapi/segl-api-v1.json):
// GET /api/v1/services/{service}/events?after=CURSOR — a service's history events (the types of
// getRequestHistory, with the delivery id of callbacks and notifications), in one order that never
// changes, from a cursor the consumer keeps: at-least-once and resumable. As JSON pages (with an
// optional long-poll `wait`) or, for `Accept: text/event-stream`, as server-sent events whose ids
// are the cursors (a reconnecting EventSource resumes by Last-Event-ID).
//
// Who may read: HTTP Basic as the service (the SOAP password, under the shared login throttle), or a
// service API token (`segl api-token add`) as a Bearer token. Errors are RFC 9457 problem documents.
import { once } from 'node:events';
import express from 'express';
import type { Logger } from 'pino';
import type { ServiceAccount } from '../core/ports';
import type { LoginThrottle } from '../core/ratelimit';
import { BadCursor, type ApiTokenRepository, type EventFeedRepository, type FeedEvent } from '../store/eventfeed';
import type { ServiceRepository } from '../store/services';
import { BASIC_CHALLENGE, basicLogin } from '../core/basiclogin';

export interface EventFeedDeps {
  feed: Pick<EventFeedRepository, 'page'>;
  tokens: Pick<ApiTokenRepository, 'authenticate'>;
  services: Pick<ServiceRepository, 'authenticate'>;
  limiter: LoginThrottle;
  openapiFile: string;
  log: Logger;
  /** true while the process drains: streams end so their consumers reconnect elsewhere */
  draining: () => boolean;
  /** how often a waiting reader looks for new events */
  pollMs?: number;
  /** streams open at once per service */
  maxStreams?: number;
}

const MAX_LIMIT = 1000;
const MAX_WAIT_S = 30;
const HEARTBEAT_MS = 15_000;
const QUERY = new Set(['after', 'limit', 'wait']);

class Problem extends Error {
  constructor(
    readonly status: number,
    readonly title: string,
    detail: string,
    readonly headers: Record<string, string> = {},
  ) {
    super(detail);
  }
}

/** RFC 9457: application/problem+json with the status's title and what was wrong. */
function sendProblem(res: express.Response, p: Problem): void {
  res
    .status(p.status)
    .set({ ...p.headers, 'Cache-Control': 'no-store' })
    .type('application/problem+json')
    .send(JSON.stringify({ type: 'about:blank', title: p.title, status: p.status, detail: p.message }));
}

const BEARER_CHALLENGE = (error?: string) => ({
  'WWW-Authenticate': `Bearer realm="segl"${error ? `, error="${error}"` : ''}, ${BASIC_CHALLENGE['WWW-Authenticate']}`,
});

/** The service the request may read: the one in the path, by its password or one of its tokens. */
async function authenticate(d: EventFeedDeps, req: express.Request, service: string): Promise<ServiceAccount> {
  const header = req.headers.authorization;
  const bearer = /^Bearer\s+(\S+)\s*$/i.exec(header ?? '');
  if (bearer) {
    const check = await d.tokens.authenticate(bearer[1]!);
    if (!check.ok) {
      const why = { unknown: 'is not a token of this instance', expired: 'has expired', revoked: 'has been revoked' }[check.reason];
      throw new Problem(401, 'Unauthorized', `the API token ${why}`, BEARER_CHALLENGE('invalid_token'));
    }
    if (check.service.name !== service)
      throw new Problem(403, 'Forbidden', `the API token is not one of service "${service}": a token reads its own service's events only`);
    return check.service;
  }
  if (!header)
    throw new Problem(401, 'Unauthorized', 'a service API token (Bearer) or HTTP Basic as the service is required', BEARER_CHALLENGE());
  const login = await basicLogin(header, service, req.ip ?? 'unknown', d.limiter, (n, p) => d.services.authenticate(n, p));
  if (!login.ok) throw new Problem(login.status, login.status === 429 ? 'Too Many Requests' : 'Unauthorized', login.message, login.headers);
  return login.service;
}

interface FeedQuery {
  after?: string;
  limit: number;
  wait: number;
}

function intParam(q: express.Request['query'], name: string, dflt: number, min: number, max: number): number {
  const v = q[name];
  if (v === undefined) return dflt;
  if (typeof v !== 'string' || !/^\d{1,6}$/.test(v) || Number(v) < min || Number(v) > max)
    throw new Problem(400, 'Bad Request', `query parameter "${name}" must be a whole number from ${min} to ${max}`);
  return Number(v);
}

function parseQuery(req: express.Request, stream: boolean): FeedQuery {
  const unknown = Object.keys(req.query).filter((k) => !QUERY.has(k));
  if (unknown.length)
    throw new Problem(400, 'Bad Request', `unknown query parameter(s): ${unknown.join(', ')}; the feed takes after, limit, wait`);
  const after = req.query.after;
  if (after !== undefined && typeof after !== 'string') throw new Problem(400, 'Bad Request', 'query parameter "after" must be given once');
  // a reconnecting EventSource repeats the first URL and says where it got to in Last-Event-ID
  const lastId = stream ? req.headers['last-event-id'] : undefined;
  const wait = intParam(req.query, 'wait', 0, 0, MAX_WAIT_S);
  if (stream && req.query.wait !== undefined) throw new Problem(400, 'Bad Request', '"wait" is for JSON pages; a stream waits by itself');
  return {
    after: typeof lastId === 'string' && lastId !== '' ? lastId : after,
    limit: intParam(req.query, 'limit', 100, 1, MAX_LIMIT),
    wait,
  };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export function eventFeedRoutes(d: EventFeedDeps): express.Router {
  const r = express.Router();
  const pollMs = d.pollMs ?? 500;
  const open = new Map<number, number>();

  r.get('/api/v1/openapi.json', (_req, res) => {
    res.set('Cache-Control', 'no-cache').type('application/json').sendFile(d.openapiFile);
  });

  r.all('/api/v1/services/:service/events', (req, res, next) => {
    const run = async () => {
      if (req.method !== 'GET' && req.method !== 'HEAD')
        throw new Problem(405, 'Method Not Allowed', 'the event feed is read with GET', { Allow: 'GET, HEAD' });
      const svc = await authenticate(d, req, req.params.service!);
      const stream = (req.headers.accept ?? '').includes('text/event-stream');
      const q = parseQuery(req, stream);
      // the cursor is checked before anything is answered: a bad one is a 400, never an empty page
      const first = await d.feed.page(svc.id, q.after, stream ? MAX_LIMIT : q.limit);
      if (stream) return streamEvents(d, res, svc, first, pollMs, open);
      let page = first;
      const until = Date.now() + q.wait * 1000;
      while (!page.events.length && Date.now() < until && !req.socket.destroyed && !d.draining()) {
        await sleep(Math.min(pollMs, until - Date.now()));
        page = await d.feed.page(svc.id, q.after, q.limit);
      }
      res.set('Cache-Control', 'no-store').json(page);
    };
    run().catch((e: unknown) => {
      if (e instanceof BadCursor) return sendProblem(res, new Problem(400, 'Bad Request', `after: ${e.message}`));
      if (e instanceof Problem) return sendProblem(res, e);
      next(e);
    });
  });
  return r;
}

/** Server-sent events from the first page on, until the client goes or the process drains. */
async function streamEvents(
  d: EventFeedDeps,
  res: express.Response,
  svc: ServiceAccount,
  first: { events: FeedEvent[]; next: string },
  pollMs: number,
  open: Map<number, number>,
): Promise<void> {
  const max = d.maxStreams ?? 20;
  if ((open.get(svc.id) ?? 0) >= max)
    throw new Problem(429, 'Too Many Requests', `service "${svc.name}" has ${max} event streams open; close one or use JSON pages`, {
      'Retry-After': '30',
    });
  open.set(svc.id, (open.get(svc.id) ?? 0) + 1);
  let gone = false;
  // the response's close: the client went (or the stream ended); one listener for the whole stream
  const closed = once(res, 'close').then(() => (gone = true));
  res.status(200).set({ 'Content-Type': 'text/event-stream; charset=utf-8', 'Cache-Control': 'no-store', 'X-Accel-Buffering': 'no' });
  res.flushHeaders();
  /** writes, waiting while the socket's buffer is full: memory stays bounded however slow the reader */
  const write = async (chunk: string) => {
    if (!res.write(chunk) && !gone) await Promise.race([once(res, 'drain'), closed]);
  };
  try {
    await write('retry: 2000\n\n');
    let page = first;
    let quietSince = Date.now();
    while (!gone && !d.draining()) {
      for (const e of page.events) {
        if (gone) break;
        await write(`id: ${e.cursor}\ndata: ${JSON.stringify(e)}\n\n`);
      }
      if (page.events.length) quietSince = Date.now();
      else {
        if (Date.now() - quietSince >= HEARTBEAT_MS) {
          await write(': keep-alive\n\n');
          quietSince = Date.now();
        }
        await sleep(pollMs);
      }
      if (!gone) page = await d.feed.page(svc.id, page.next, MAX_LIMIT);
    }
  } catch (e) {
    d.log.error({ err: e, service: svc.name }, 'event stream ended by an error');
  } finally {
    open.set(svc.id, (open.get(svc.id) ?? 1) - 1);
    res.end();
  }
}

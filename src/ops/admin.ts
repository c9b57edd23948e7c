// Operator surface behind HTTP Basic auth (user `admin`): Bull Board at /admin/queues, the delivery
// log at /admin/deliveries, the preprod test clock at /admin/clock, /metrics for Prometheus, and in
// preprod the dev outbox (/dev/outbox: every tenant's mails and SMS, with live task links).
//
// Wrong passwords are throttled per address (core/ratelimit). State-changing requests (anything but
// GET, HEAD, OPTIONS; Bull Board's API included) must come from this origin: a browser sends Origin
// and Sec-Fetch-Site, so a cross-site form or fetch is refused with 403 even though the browser
// would add the cached Basic credentials. A client that sends neither header is not a browser (curl,
// scripts) and is not exposed to CSRF; it still needs the password.
import { createHash, timingSafeEqual } from 'node:crypto';
import { createBullBoard } from '@bull-board/api';
import { BullMQAdapter } from '@bull-board/api/bullMQAdapter';
import { ExpressAdapter } from '@bull-board/express';
import express from 'express';
import { parseDuration, type DeliveryStatus } from '../core/outbox';
import { LoginThrottle, pause } from '../core/ratelimit';
import { devOutboxRouter } from '../notify/devoutbox';
import type { Queues } from '../queue/queues';
import type { OutboxRepository } from '../store/outbox';
import type { AdjustableClock } from './clock';
import type { Metrics } from './metrics';
import { parseBasicAuth } from '../util/basicauth';

export interface AdminDeps {
  password: string;
  queues: Queues;
  outbox: OutboxRepository;
  metrics: Metrics;
  clock: AdjustableClock;
  /** after the clock moved: run the timers and the relay now, resolve when done */
  afterClockMove: () => Promise<Record<string, number>>;
  /** the base URL segl is reached at (PUBLIC_URL): its origin is "same origin" */
  publicUrl: () => string;
  /** preprod: the outbox directories shown at /dev/outbox */
  devOutbox?: { mailDir: string; smsDir: string };
}

const digest = (s: string) => createHash('sha256').update(s).digest();

function basicAuth(password: string, throttle: LoginThrottle): express.RequestHandler {
  const expected = digest(`admin:${password}`);
  const challenge = (res: express.Response) =>
    res.status(401).set('www-authenticate', 'Basic realm="segl admin", charset="UTF-8"').type('text/plain').send('admin login required\n');
  return async (req, res, next) => {
    const creds = parseBasicAuth(req.headers.authorization);
    if (!creds) {
      challenge(res);
      return;
    }
    const given = creds.colon ? `${creds.user}:${creds.password}` : creds.user;
    const source = req.ip ?? req.socket.remoteAddress ?? 'unknown';
    const attempt = throttle.admit(source, creds.colon ? creds.user : '');
    if (!attempt.ok) {
      const s = Math.ceil(attempt.retryAfterMs / 1000);
      res
        .status(429)
        .set('retry-after', String(s))
        .type('text/plain')
        .send(`too many failed admin logins from ${source}; try again in ${s} s\n`);
      return;
    }
    await pause(attempt.waitMs);
    if (timingSafeEqual(digest(given), expected)) {
      attempt.succeed();
      next();
      return;
    }
    attempt.fail();
    challenge(res);
  };
}

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

/**
 * CSRF guard for the admin surface: a state-changing request is refused (403) when the browser says
 * it is cross-site: Sec-Fetch-Site other than same-origin/none, or an Origin (including "null")
 * other than segl's own (PUBLIC_URL's, or the scheme and Host the request came to).
 */
export function sameOriginOnly(publicUrl: () => string): express.RequestHandler {
  return (req, res, next) => {
    if (SAFE_METHODS.has(req.method)) {
      next();
      return;
    }
    const site = req.headers['sec-fetch-site'];
    const origin = req.headers.origin;
    let why: string | undefined;
    if (site !== undefined && site !== 'same-origin' && site !== 'none') why = `Sec-Fetch-Site is "${site}"`;
    else if (origin !== undefined) {
      const own = [new URL(publicUrl()).origin, `${req.protocol}://${req.headers.host ?? ''}`];
      if (!own.includes(origin)) why = `Origin "${origin}" is not ${own[0]}`;
    }
    if (why) {
      res
        .status(403)
        .type('text/plain')
        .send(`cross-site request refused: ${why}; admin changes must come from segl's own pages or a non-browser client\n`);
      return;
    }
    next();
  };
}

const STATUSES: readonly DeliveryStatus[] = ['pending', 'queued', 'sending', 'delivered', 'cancelled', 'dead'];

export function adminRoutes(d: AdminDeps): express.Router {
  const r = express.Router();
  const auth = basicAuth(d.password, new LoginThrottle());
  const csrf = sameOriginOnly(d.publicUrl);
  r.use(['/admin', '/metrics', '/dev/outbox'], csrf);
  r.get('/metrics', auth, async (_req, res) => {
    res.type(d.metrics.registry.contentType).send(await d.metrics.registry.metrics());
  });
  const board = new ExpressAdapter();
  board.setBasePath('/admin/queues');
  createBullBoard({ queues: d.queues.all().map((q) => new BullMQAdapter(q, { readOnlyMode: false })), serverAdapter: board });
  r.use('/admin/queues', auth, board.getRouter());
  r.get('/admin/deliveries', auth, async (req, res) => {
    const q = req.query as Record<string, string | undefined>;
    if (q.status !== undefined && !STATUSES.includes(q.status as DeliveryStatus)) {
      res
        .status(400)
        .type('text/plain')
        .send(`status must be one of ${STATUSES.join(', ')}\n`);
      return;
    }
    const limit = q.limit === undefined ? 100 : Number(q.limit);
    if (!Number.isInteger(limit) || limit < 1 || limit > 1000) {
      res.status(400).type('text/plain').send('limit must be a whole number from 1 to 1000\n');
      return;
    }
    res.json(await d.outbox.log({ requestId: q.request_id, status: q.status as DeliveryStatus | undefined, service: q.service, limit }));
  });
  r.get('/admin/clock', auth, (_req, res) => {
    res.json({ now: d.clock.now().toISOString(), offsetMs: d.clock.offset, movable: d.clock.movable });
  });
  r.post('/admin/clock/advance', auth, async (req, res) => {
    if (!d.clock.movable) {
      res.status(403).type('text/plain').send('the test clock is off: start segl in preprod with SEGL_TEST_CLOCK=1\n');
      return;
    }
    const by = String((req.query as Record<string, unknown>).by ?? '');
    const ms = parseDuration(by);
    if (!(ms > 0)) {
      res.status(400).type('text/plain').send('by must be a duration such as 90s, 30m, 2h or 3d (?by=2d)\n');
      return;
    }
    d.clock.advance(ms);
    const changed = await d.afterClockMove();
    res.json({ now: d.clock.now().toISOString(), offsetMs: d.clock.offset, ...changed });
  });
  if (d.devOutbox) r.use(devOutboxRouter({ ...d.devOutbox, auth }));
  return r;
}

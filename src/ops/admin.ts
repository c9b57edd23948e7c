// Operator surface behind HTTP Basic auth (user `admin`): Bull Board at /admin/queues, the delivery
// log at /admin/deliveries, the preprod test clock at /admin/clock, and /metrics for Prometheus.
import { createHash, timingSafeEqual } from 'node:crypto';
import { createBullBoard } from '@bull-board/api';
import { BullMQAdapter } from '@bull-board/api/bullMQAdapter';
import { ExpressAdapter } from '@bull-board/express';
import express from 'express';
import { parseDuration, type DeliveryStatus } from '../core/outbox';
import type { Queues } from '../queue/queues';
import type { OutboxRepository } from '../store/outbox';
import type { AdjustableClock } from './clock';
import type { Metrics } from './metrics';

export interface AdminDeps {
  password: string;
  queues: Queues;
  outbox: OutboxRepository;
  metrics: Metrics;
  clock: AdjustableClock;
  /** after the clock moved: run the timers and the relay now, resolve when done */
  afterClockMove: () => Promise<Record<string, number>>;
}

const digest = (s: string) => createHash('sha256').update(s).digest();

function basicAuth(password: string): express.RequestHandler {
  const expected = digest(`admin:${password}`);
  return (req, res, next) => {
    const m = /^Basic ([A-Za-z0-9+/=]+)$/.exec(req.headers.authorization ?? '');
    const given = m ? Buffer.from(m[1]!, 'base64').toString('utf8') : '';
    if (m && timingSafeEqual(digest(given), expected)) { next(); return; }
    res.status(401).set('www-authenticate', 'Basic realm="segl admin", charset="UTF-8"').type('text/plain').send('admin login required\n');
  };
}

const STATUSES: readonly DeliveryStatus[] = ['pending', 'queued', 'delivered', 'cancelled', 'dead'];

export function adminRoutes(d: AdminDeps): express.Router {
  const r = express.Router();
  const auth = basicAuth(d.password);
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
      res.status(400).type('text/plain').send(`status must be one of ${STATUSES.join(', ')}\n`);
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
  return r;
}

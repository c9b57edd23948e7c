// Prometheus metrics (prom-client): deliveries by channel and outcome, retries, dead letters, archived evidence
// preservation (store/preservation.ts counts),
// time from due to delivered, queue depth and the outbox by status (read when scraped).
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { OutboxRepository } from '../store/outbox';
import type { Queues } from '../queue/queues';
import type { PreservationCounts } from '../store/preservation';

export class Metrics {
  readonly registry = new Registry();
  readonly deliveries: Counter<'channel' | 'outcome'>;
  readonly latency: Histogram<'channel'>;

  constructor(sources: { outbox?: OutboxRepository; queues?: Queues; preservation?: { counts(): Promise<PreservationCounts> } }) {
    collectDefaultMetrics({ register: this.registry, prefix: 'segl_process_' });
    this.deliveries = new Counter({
      name: 'segl_deliveries_total',
      help: 'Delivery attempts by channel and outcome (delivered, retry, dead, cancelled)',
      labelNames: ['channel', 'outcome'],
      registers: [this.registry],
    });
    this.latency = new Histogram({
      name: 'segl_delivery_seconds',
      help: 'From a delivery falling due to its successful delivery',
      labelNames: ['channel'],
      buckets: [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 5, 30, 120, 600, 3600, 86400],
      registers: [this.registry],
    });
    const { outbox, queues, preservation } = sources;
    if (preservation) {
      new Gauge({
        name: 'segl_archive_preservation',
        help: 'Archived evidence (LTV-SDOs, PDFs): renewals made, documents renewed, due now (or not looked at yet), last renewal attempt failed',
        labelNames: ['state'],
        registers: [this.registry],
        async collect() {
          for (const [state, n] of Object.entries(await preservation.counts())) this.set({ state }, n);
        },
      });
    }
    if (queues) {
      new Gauge({
        name: 'segl_queue_jobs',
        help: 'Jobs in each BullMQ queue by state',
        labelNames: ['queue', 'state'],
        registers: [this.registry],
        async collect() {
          for (const q of queues.all()) {
            const c = await q
              .getJobCounts('waiting', 'active', 'delayed', 'failed', 'prioritized')
              .catch(() => ({}) as Record<string, number>);
            for (const [state, n] of Object.entries(c)) this.set({ queue: q.name, state }, n);
          }
        },
      });
    }
    if (outbox) {
      new Gauge({
        name: 'segl_outbox_deliveries',
        help: 'Deliveries in the outbox by status (dead = dead-lettered)',
        labelNames: ['status'],
        registers: [this.registry],
        async collect() {
          for (const [status, n] of Object.entries(await outbox.counts())) this.set({ status }, n);
        },
      });
    }
  }
}

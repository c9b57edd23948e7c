// The tamper-evident history (issue 17 part 2, docs/audit.md). Every history event is written by
// appendEvents, which numbers it within its request (`seq`), links it to the request's previous
// event (`prev_hash`) and hashes it (util/hashchain.ts). Two transactions appending to one request
// never fork the chain: on PostgreSQL the request rows are locked (FOR UPDATE, in id order) before
// their heads are read, and a unique (request_id, seq) index would refuse a fork anyway; SQLite has
// one writer. Per service, the daily anchor is an RFC 6962 Merkle root over the event hashes not yet
// anchored, time-stamped by the TSA (RFC 3161), in `audit_anchor`.
import type { DataSource } from 'typeorm';
import { anchorImprint, compareLeaves, eventHash, GENESIS, merkleRoot, type Leaf } from '../util/hashchain';
import { chunks } from './blobrefs';
import { insertSql, sqlDatabase, type Param, type Sql, type SqlDatabase } from './sql';
import { EVENT_COLS } from './taskrows';

/** An event to append (the chain columns are computed). */
export interface NewEvent {
  requestId: string;
  taskId?: string;
  type: string;
  time: string;
  data?: string;
  deliveryId?: string;
}

export interface ChainHead {
  seq: number;
  hash: string;
}

const CHAIN_COLS = [...EVENT_COLS, 'delivery_id', 'seq', 'prev_hash', 'hash'] as const;
const inList = (n: number) => Array.from({ length: n }, () => '?').join(', ');
/** Rows per insert statement (10 parameters each, far below either driver's limit). */
const PER_INSERT = 500;

/** The heads of the requests' chains (absent: no chained event yet). */
async function heads(q: Sql, ids: string[]): Promise<Map<string, ChainHead>> {
  const out = new Map<string, ChainHead>();
  for (const part of chunks(ids)) {
    const rows = await q.all<{ request_id: string; seq: number; hash: string }>(
      `SELECT e.request_id, e.seq, e.hash FROM event e WHERE e.request_id IN (${inList(part.length)})
        AND e.seq = (SELECT MAX(m.seq) FROM event m WHERE m.request_id = e.request_id)`,
      part,
    );
    for (const r of rows) out.set(r.request_id, { seq: Number(r.seq), hash: r.hash });
  }
  return out;
}

/**
 * Appends events to their requests' chains, in the order given: the one way events are written.
 * `fresh`: requests created in this transaction (id → service id), whose chains start here, so nothing
 * is read or locked for them.
 */
export async function appendEvents(q: Sql, events: readonly NewEvent[], fresh?: ReadonlyMap<string, number>): Promise<void> {
  if (!events.length) return;
  const ids = [...new Set(events.map((e) => e.requestId))].sort();
  const state = new Map<string, ChainHead & { serviceId: number }>();
  const old = ids.filter((id) => !fresh?.has(id));
  for (const id of ids) if (fresh?.has(id)) state.set(id, { serviceId: fresh.get(id)!, seq: 0, hash: GENESIS });
  if (old.length) {
    // PostgreSQL: the request rows locked in id order (no deadlock between appenders), then the heads read
    // in a statement of their own, so its snapshot sees what the lock's previous holder committed.
    const lock = q.driver === 'postgres' ? ' ORDER BY id FOR UPDATE' : '';
    for (const part of chunks(old)) {
      const rows = await q.all<{ id: string; service_id: number }>(
        `SELECT id, service_id FROM request WHERE id IN (${inList(part.length)})${lock}`,
        part,
      );
      for (const r of rows) state.set(r.id, { serviceId: Number(r.service_id), seq: 0, hash: GENESIS });
    }
    for (const [id, h] of await heads(q, old)) Object.assign(state.get(id) ?? {}, h);
  }
  const rows: Param[][] = events.map((e) => {
    const s = state.get(e.requestId);
    if (!s) throw new Error(`event for unknown request ${e.requestId}`);
    const seq = s.seq + 1;
    const hash = eventHash({ ...e, serviceId: s.serviceId, seq, prevHash: s.hash });
    const row: Param[] = [e.requestId, e.taskId, e.type, e.time, e.data, e.deliveryId, seq, s.hash, hash];
    s.seq = seq;
    s.hash = hash;
    return row;
  });
  for (const part of chunks(rows, PER_INSERT)) await q.run(insertSql('event', CHAIN_COLS, part.length), part.flat());
}

/** The head of a request's chain: its last event's seq and hash (undefined before the first). */
export async function chainHead(q: Sql, requestId: string): Promise<ChainHead | undefined> {
  return (await heads(q, [requestId])).get(requestId);
}

/** One event as exported (docs/audit.md): the columns its hash covers and the stored chain columns. */
export interface ExportedEvent {
  id: number;
  requestId: string;
  seq: number | null;
  taskId: string | null;
  type: string;
  time: string;
  data: string | null;
  deliveryId: string | null;
  prevHash: string | null;
  hash: string | null;
}

/** One anchor as stored: what its token covers, its leaves and the RFC 3161 token (base64 DER). */
export interface AnchorRow {
  id: number;
  serviceId: number;
  day: string;
  cutoff: string;
  createdAt: string;
  leafCount: number;
  root: string;
  leaves: Leaf[];
  token: string;
  /** certificates (base64 DER) that may lead from the TSA's to a trust anchor: the issuing CAs segl knew */
  certificates: string[];
}

type Row = Record<string, unknown>;
const s = (v: unknown): string | null => (v === null || v === undefined ? null : String(v));
const toEvent = (r: Row): ExportedEvent => ({
  id: Number(r.id),
  requestId: r.request_id as string,
  seq: r.seq === null || r.seq === undefined ? null : Number(r.seq),
  taskId: s(r.task_id),
  type: r.type as string,
  time: r.time as string,
  data: s(r.data),
  deliveryId: s(r.delivery_id),
  prevHash: s(r.prev_hash),
  hash: s(r.hash),
});
/** Leaves are stored compactly: [request id, seq, hash]. */
const toAnchor = (r: Row): AnchorRow => ({
  id: Number(r.id),
  serviceId: Number(r.service_id),
  day: r.day as string,
  cutoff: r.cutoff as string,
  createdAt: r.created_at as string,
  leafCount: Number(r.leaf_count),
  root: r.root as string,
  leaves: (JSON.parse(r.leaves as string) as Array<[string, number, string]>).map(([requestId, seq, hash]) => ({ requestId, seq, hash })),
  token: r.tsa_token as string,
  certificates: JSON.parse(r.certificates as string) as string[],
});

const DAY_MS = 86_400_000;

/** The TSA an anchor asks: a token over a SHA-256 imprint, and the CA certificates that lead to its root. */
export interface AnchorTsa {
  timestamp(imprint: Uint8Array): Promise<Uint8Array>;
  certificates: Uint8Array[];
}

export class AuditChainRepository {
  private readonly db: SqlDatabase;
  constructor(ds: DataSource) {
    this.db = sqlDatabase(ds);
  }

  /**
   * The daily anchors due at `now`: for each service, the events with a time before today 00:00 UTC
   * that no anchor covers yet, as one anchor of yesterday, time-stamped by `timestamp` (an RFC 3161
   * token over the anchor's imprint). Idempotent: a service with an anchor of that day, or with nothing
   * to anchor, is left alone. Returns how many anchors were made.
   */
  async anchorDue(now: Date, tsa: AnchorTsa): Promise<number> {
    const cutoff = new Date(Math.floor(now.getTime() / DAY_MS) * DAY_MS);
    const day = new Date(cutoff.getTime() - DAY_MS).toISOString().slice(0, 10);
    const services = await this.db.tx((q) =>
      q.all<{ service_id: number }>(
        `SELECT DISTINCT r.service_id FROM event e JOIN request r ON r.id = e.request_id
          WHERE e.anchor_id IS NULL AND e.hash IS NOT NULL AND e.time < ?
            AND NOT EXISTS (SELECT 1 FROM audit_anchor a WHERE a.service_id = r.service_id AND a.day = ?)`,
        [cutoff.toISOString(), day],
      ),
    );
    let made = 0;
    for (const { service_id } of services) if (await this.anchorService(Number(service_id), day, cutoff, now, tsa)) made++;
    return made;
  }

  /** One service's anchor of `day`: the leaves read, the token asked for outside any transaction, then all written. */
  private async anchorService(serviceId: number, day: string, cutoff: Date, now: Date, tsa: AnchorTsa): Promise<boolean> {
    const rows = await this.db.tx((q) =>
      q.all<{ id: number; request_id: string; seq: number; hash: string }>(
        `SELECT e.id, e.request_id, e.seq, e.hash FROM event e JOIN request r ON r.id = e.request_id
          WHERE r.service_id = ? AND e.anchor_id IS NULL AND e.hash IS NOT NULL AND e.time < ?`,
        [serviceId, cutoff.toISOString()],
      ),
    );
    if (!rows.length) return false;
    const leaves: Leaf[] = rows.map((r) => ({ requestId: r.request_id, seq: Number(r.seq), hash: r.hash })).sort(compareLeaves);
    const root = merkleRoot(leaves.map((l) => l.hash));
    const token = await tsa.timestamp(anchorImprint({ serviceId, day, leafCount: leaves.length, root }));
    return this.db.tx(async (q) => {
      const [a] = await q.all<{ id: number }>(
        `INSERT INTO audit_anchor (service_id, day, cutoff, created_at, leaf_count, root, leaves, tsa_token, certificates)
          VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (service_id, day) DO NOTHING RETURNING id`,
        [
          serviceId,
          day,
          cutoff.toISOString(),
          now.toISOString(),
          leaves.length,
          root,
          JSON.stringify(leaves.map((l) => [l.requestId, l.seq, l.hash])),
          Buffer.from(token).toString('base64'),
          JSON.stringify(tsa.certificates.map((c) => Buffer.from(c).toString('base64'))),
        ],
      );
      if (!a) return false; // another worker anchored that day meanwhile
      for (const part of chunks(rows.map((r) => Number(r.id))))
        await q.run(`UPDATE event SET anchor_id = ? WHERE anchor_id IS NULL AND id IN (${inList(part.length)})`, [a.id, ...part]);
      return true;
    });
  }

  /** A service's events (one request's, with `requestId`) in id order, and its anchors. */
  async export(serviceId: number, requestId?: string): Promise<{ events: ExportedEvent[]; anchors: AnchorRow[] }> {
    return this.db.tx(async (q) => {
      const where = requestId === undefined ? '' : ' AND e.request_id = ?';
      const events = await q.all<Row>(
        `SELECT e.id, e.request_id, e.seq, e.task_id, e.type, e.time, e.data, e.delivery_id, e.prev_hash, e.hash
          FROM event e JOIN request r ON r.id = e.request_id WHERE r.service_id = ?${where} ORDER BY e.id`,
        requestId === undefined ? [serviceId] : [serviceId, requestId],
      );
      const anchors = await q.all<Row>('SELECT * FROM audit_anchor WHERE service_id = ? ORDER BY day, id', [serviceId]);
      return { events: events.map(toEvent), anchors: anchors.map(toAnchor) };
    });
  }
}

/**
 * The daily anchors as the `anchor` timer runs them. A TSA that does not answer costs no event its
 * anchor: it is logged, and the next run covers every event not yet anchored.
 */
export function dailyAnchors(
  ds: DataSource,
  clock: { now(): Date },
  tsa: () => Promise<AnchorTsa>,
  log: { warn(o: object, msg: string): void },
): { anchorDue(): Promise<number> } {
  const repo = new AuditChainRepository(ds);
  return {
    anchorDue: async () => {
      try {
        return await repo.anchorDue(clock.now(), await tsa());
      } catch (e) {
        log.warn({ err: (e as Error).message }, 'the history anchor was not made (the next run covers these events)');
        return 0;
      }
    },
  };
}

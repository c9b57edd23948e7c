// The tamper-evident history (issue 17 part 2, docs/audit.md): each event's place in its request's
// chain (seq, prev_hash, hash), the anchor that covers it (anchor_id), and the daily anchors. Events
// written before this migration are chained here, in id order per request: their chain proves what
// they were at migration time, not before. The chain columns stay nullable: a row written around
// appendEvents (store/auditchain.ts) has none, and `segl audit verify` names it as inserted.
import type { MigrationInterface, QueryRunner } from 'typeorm';
import { eventHash, GENESIS } from '../../util/hashchain';
import type { Dialect } from './tables';
import { POSTGRES } from './tables';

const T = 'varchar(30)'; // ISO-8601 time

function upSql(d: Dialect): { columns: string[]; after: string[] } {
  return {
    columns: [
      'ALTER TABLE event ADD COLUMN seq integer',
      'ALTER TABLE event ADD COLUMN prev_hash varchar(64)',
      'ALTER TABLE event ADD COLUMN hash varchar(64)',
      'ALTER TABLE event ADD COLUMN anchor_id integer',
    ],
    after: [
      'CREATE UNIQUE INDEX event_chain ON event (request_id, seq)',
      'CREATE INDEX event_unanchored ON event (time) WHERE anchor_id IS NULL',
      `CREATE TABLE audit_anchor (id ${d.serial}, service_id integer NOT NULL REFERENCES service(id), day varchar(10) NOT NULL,
        cutoff ${T} NOT NULL, created_at ${T} NOT NULL, leaf_count integer NOT NULL, root varchar(64) NOT NULL,
        leaves ${d.text} NOT NULL, tsa_token ${d.text} NOT NULL, certificates ${d.text} NOT NULL, UNIQUE (service_id, day))`,
    ],
  };
}

const DOWN = [
  'DROP TABLE audit_anchor',
  'DROP INDEX event_unanchored',
  'DROP INDEX event_chain',
  'ALTER TABLE event DROP COLUMN anchor_id',
  'ALTER TABLE event DROP COLUMN hash',
  'ALTER TABLE event DROP COLUMN prev_hash',
  'ALTER TABLE event DROP COLUMN seq',
];

type Row = Record<string, unknown>;
const PAGE = 2000;

/** Chains the existing events, request by request in id order, a page at a time. */
async function chainExisting(q: QueryRunner, pg: boolean): Promise<void> {
  const p = (n: number) => (pg ? `$${n}` : '?');
  let after: { requestId: string; id: number } = { requestId: '', id: 0 };
  let head = { requestId: '', seq: 0, hash: GENESIS };
  for (;;) {
    const rows: Row[] = await q.query(
      `SELECT e.id, e.request_id, r.service_id, e.task_id, e.type, e.time, e.data, e.delivery_id FROM event e
        JOIN request r ON r.id = e.request_id WHERE (e.request_id > ${p(1)} OR (e.request_id = ${p(2)} AND e.id > ${p(3)}))
        ORDER BY e.request_id, e.id LIMIT ${PAGE}`,
      [after.requestId, after.requestId, after.id],
    );
    if (!rows.length) return;
    const values: Array<[number, number, string, string]> = [];
    for (const r of rows) {
      const requestId = r.request_id as string;
      if (requestId !== head.requestId) head = { requestId, seq: 0, hash: GENESIS };
      const seq = head.seq + 1;
      const str = (v: unknown) => (v === null || v === undefined ? null : String(v));
      const hash = eventHash({
        serviceId: Number(r.service_id),
        requestId,
        seq,
        taskId: str(r.task_id),
        type: r.type as string,
        time: r.time as string,
        data: str(r.data),
        deliveryId: str(r.delivery_id),
        prevHash: head.hash,
      });
      values.push([Number(r.id), seq, head.hash, hash]);
      head = { requestId, seq, hash };
    }
    if (pg) {
      const tuples = values.map((_, i) => `($${i * 4 + 1}::integer, $${i * 4 + 2}::integer, $${i * 4 + 3}, $${i * 4 + 4})`);
      await q.query(
        `UPDATE event e SET seq = v.seq, prev_hash = v.prev, hash = v.hash FROM (VALUES ${tuples.join(', ')}) AS v (id, seq, prev, hash)
          WHERE e.id = v.id`,
        values.flat(),
      );
    } else
      for (const [id, seq, prev, hash] of values)
        await q.query('UPDATE event SET seq = ?, prev_hash = ?, hash = ? WHERE id = ?', [seq, prev, hash, id]);
    const last = rows[rows.length - 1]!;
    after = { requestId: last.request_id as string, id: Number(last.id) };
  }
}

/** The migration for one driver. */
export function auditChainMigration(d: Dialect): new () => MigrationInterface {
  return class implements MigrationInterface {
    name = 'AuditChain1765740000000';
    async up(q: QueryRunner): Promise<void> {
      const { columns, after } = upSql(d);
      for (const sql of columns) await q.query(sql);
      await chainExisting(q, d === POSTGRES);
      for (const sql of after) await q.query(sql);
    }
    async down(q: QueryRunner): Promise<void> {
      for (const sql of DOWN) await q.query(sql);
    }
  };
}

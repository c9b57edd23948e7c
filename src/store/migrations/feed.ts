// The event feed (issue 17 part 3, src/api/events.ts) and the service API tokens it accepts.
//
// Order on PostgreSQL: `event.id` comes from a sequence when the row is written, but rows become
// visible when their transaction commits, so a reader paging by id alone can pass an id whose
// transaction commits later and never see it. Each row therefore records its writing transaction
// (`tx`, xid8); the feed reads only rows of transactions older than every one still running
// (pg_snapshot_xmin) and orders by (tx, id): nothing can appear later below that line. SQLite has one
// writer, so the id (AUTOINCREMENT: never reused) is already the commit order.
//
// Callback and notification events name the delivery they settle (`delivery_id`), so an integrator can
// match a feed event to a delivery it received (its X-Segl-Delivery-Id header) or missed.
import type { Dialect } from './tables';
import { POSTGRES } from './tables';

const T = 'varchar(30)'; // ISO-8601 time

export function feedSql(d: Dialect): string[] {
  const pg = d === POSTGRES;
  return [
    `ALTER TABLE event ADD COLUMN delivery_id varchar(64)`,
    ...(pg
      ? ['ALTER TABLE event ADD COLUMN tx xid8 NOT NULL DEFAULT pg_current_xact_id()', 'CREATE INDEX event_feed ON event (tx, id)']
      : []),
    `CREATE TABLE api_token (id varchar(32) PRIMARY KEY, service_id integer NOT NULL REFERENCES service(id),
      name varchar(200) NOT NULL, token_hash varchar(64) NOT NULL UNIQUE, created_at ${T} NOT NULL, expires_at ${T},
      revoked_at ${T}, last_used_at ${T})`,
    `CREATE INDEX api_token_service ON api_token (service_id)`,
  ];
}

export function feedDown(d: Dialect): string[] {
  return [
    'DROP TABLE api_token',
    ...(d === POSTGRES ? ['DROP INDEX event_feed', 'ALTER TABLE event DROP COLUMN tx'] : []),
    'ALTER TABLE event DROP COLUMN delivery_id',
  ];
}

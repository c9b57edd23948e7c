// Plain SQL on the TypeORM data source's own connection, for the hot paths. Statements are written
// once with `?` placeholders; PostgreSQL gets `$n`. On SQLite they run as cached better-sqlite3
// prepared statements (synchronous, microseconds each) inside transactions serialised in-process.
import type { DataSource } from 'typeorm';

export type Driver = 'sqlite' | 'postgres';
export type Param = string | number | boolean | null | undefined;

/** A nullable column's value as text: NULL (or a missing column) is undefined. */
export const optionalString = (v: unknown): string | undefined => (v === null || v === undefined ? undefined : String(v));

export interface Sql {
  readonly driver: Driver;
  run(sql: string, params?: Param[]): Promise<void>;
  all<T = Record<string, unknown>>(sql: string, params?: Param[]): Promise<T[]>;
}

export interface SqlDatabase {
  readonly driver: Driver;
  /** One transaction: commits when `work` resolves, rolls back when it throws. */
  tx<T>(work: (q: Sql) => Promise<T>): Promise<T>;
}

interface Statement {
  run(...p: unknown[]): unknown;
  all(...p: unknown[]): unknown[];
  reader: boolean;
}
interface BetterSqlite {
  prepare(sql: string): Statement;
  exec(sql: string): unknown;
  inTransaction: boolean;
}

const sqliteParam = (p: Param): unknown => (p === undefined ? null : typeof p === 'boolean' ? (p ? 1 : 0) : p);

interface Pending {
  work: (q: Sql) => Promise<unknown>;
  resolve: (v: unknown) => void;
  reject: (e: unknown) => void;
}

/**
 * SQLite with group commit: transactions that arrive within one event-loop turn run back to back
 * inside one BEGIN…COMMIT, each under its own SAVEPOINT (so one failing rolls back only itself),
 * and all are answered after the COMMIT. One writer at a time is all SQLite allows anyway; this
 * pays the commit (WAL append) once per batch instead of once per call.
 */
class SqliteDatabase implements SqlDatabase, Sql {
  readonly driver = 'sqlite' as const;
  private readonly cache = new Map<string, Statement>();
  private queue: Pending[] = [];
  private scheduled = false;
  private static readonly MAX_BATCH = 64;
  constructor(private readonly db: BetterSqlite) {}

  private stmt(sql: string): Statement {
    let s = this.cache.get(sql);
    if (!s) {
      s = this.db.prepare(sql);
      if (this.cache.size > 500) this.cache.clear();
      this.cache.set(sql, s);
    }
    return s;
  }

  async run(sql: string, params: Param[] = []): Promise<void> {
    this.stmt(sql).run(...params.map(sqliteParam));
  }

  async all<T>(sql: string, params: Param[] = []): Promise<T[]> {
    return this.stmt(sql).all(...params.map(sqliteParam)) as T[];
  }

  tx<T>(work: (q: Sql) => Promise<T>): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      this.queue.push({ work, resolve: resolve as (v: unknown) => void, reject });
      if (!this.scheduled) {
        this.scheduled = true;
        setImmediate(() => void this.drain());
      }
    });
  }

  private async drain(): Promise<void> {
    while (this.queue.length) {
      const batch = this.queue.splice(0, SqliteDatabase.MAX_BATCH);
      const outcomes: Array<{ ok: boolean; value: unknown }> = [];
      try {
        this.stmt('BEGIN IMMEDIATE').run();
        if (batch.length === 1) {
          // Alone in its batch: the transaction itself is the unit, no savepoint needed.
          outcomes.push({ ok: true, value: await batch[0]!.work(this) });
        } else
          for (const item of batch) {
            this.stmt('SAVEPOINT segl_tx').run();
            try {
              const value = await item.work(this);
              this.stmt('RELEASE segl_tx').run();
              outcomes.push({ ok: true, value });
            } catch (e) {
              this.stmt('ROLLBACK TO segl_tx').run();
              this.stmt('RELEASE segl_tx').run();
              outcomes.push({ ok: false, value: e });
            }
          }
        this.stmt('COMMIT').run();
      } catch (e) {
        if (this.db.inTransaction) this.db.exec('ROLLBACK');
        batch.forEach((b) => b.reject(e));
        continue;
      }
      batch.forEach((b, i) => (outcomes[i]!.ok ? b.resolve(outcomes[i]!.value) : b.reject(outcomes[i]!.value)));
    }
    this.scheduled = false;
  }
}

const pgCache = new Map<string, string>();
/** `?` → `$1, $2, …` (our statements never carry a literal `?`). */
export function toPg(sql: string): string {
  let out = pgCache.get(sql);
  if (out === undefined) {
    let n = 0;
    out = sql.replace(/\?/g, () => `$${++n}`);
    if (pgCache.size > 500) pgCache.clear();
    pgCache.set(sql, out);
  }
  return out;
}

/** What PgTx needs of a pg pool client. */
interface PgClient {
  query(text: string, values?: unknown[]): Promise<{ rows: unknown[] }>;
  release(err?: Error | boolean): void;
}
interface PgPool {
  connect(): Promise<PgClient>;
}

/** Bound parameters PostgreSQL takes in one statement (the wire protocol's Int16 count). */
const PG_MAX_PARAMS = 65_535;
/** Plain inserts (no SELECT in them, no RETURNING, no DO UPDATE) may wait for the next statement. */
const WRITE_BEHIND = /^\s*INSERT\s+INTO\s+(\w+)/i;
const pgValues = (params: Param[]) => params.map((p) => (p === undefined ? null : p));

/**
 * One PostgreSQL transaction with its INSERTs written behind: they wait until something needs
 * them (a read, another kind of write, the commit) and then go together as ONE statement, each a
 * data-modifying WITH query (PostgreSQL §7.8.4). Inserts need not see each other: the foreign keys
 * are checked at the end of the statement, and two inserts into one table are never put side by side
 * (which runs first is not defined: ON CONFLICT could meet the other's row, and serial ids and
 * insertion order would no longer follow the code's order). A transaction made only of inserts
 * (createRequest: request, tasks, documents, events, outbox) costs one round trip and no
 * BEGIN/COMMIT, since one statement is atomic by itself. Reads, updates and deletes run as they
 * come, after a BEGIN sent on first need.
 */
class PgTx implements Sql {
  readonly driver = 'postgres' as const;
  private pending: Array<{ sql: string; params: Param[] }> = [];
  private pendingParams = 0;
  /** the tables of the inserts waiting */
  private readonly pendingTables = new Set<string>();
  private begun = false;
  private client?: PgClient;
  constructor(private readonly pool: PgPool) {}

  private async conn(): Promise<PgClient> {
    return (this.client ??= await this.pool.connect());
  }

  private async begin(c: PgClient): Promise<void> {
    if (this.begun) return;
    this.begun = true;
    await c.query('BEGIN');
  }

  /** The inserts waiting, as one statement (several when they would pass the parameter limit: then inside BEGIN). */
  private async flush(): Promise<void> {
    if (!this.pending.length) return;
    const list = this.pending;
    this.pending = [];
    this.pendingParams = 0;
    this.pendingTables.clear();
    const c = await this.conn();
    if (list.length === 1) {
      await c.query(toPg(list[0]!.sql), pgValues(list[0]!.params));
      return;
    }
    let n = 0;
    const parts = list.map((st, i) => `w${i} AS (${st.sql.replace(/\?/g, () => `$${++n}`)})`);
    await c.query(
      `WITH ${parts.join(', ')} SELECT 1`,
      list.flatMap((st) => pgValues(st.params)),
    );
  }

  async run(sql: string, params: Param[] = []): Promise<void> {
    const table = WRITE_BEHIND.exec(sql)?.[1]?.toLowerCase();
    if (table === undefined || /\b(SELECT|RETURNING|DO\s+UPDATE)\b/i.test(sql)) {
      await this.all(sql, params);
      return;
    }
    // A second insert into a table already waiting sends what waits first: in sequence, as written.
    if (this.pendingParams + params.length > PG_MAX_PARAMS || this.pendingTables.has(table)) {
      await this.begin(await this.conn());
      await this.flush();
    }
    this.pending.push({ sql, params });
    this.pendingParams += params.length;
    this.pendingTables.add(table);
  }

  async all<T>(sql: string, params: Param[] = []): Promise<T[]> {
    const c = await this.conn();
    await this.begin(c);
    await this.flush();
    return (await c.query(toPg(sql), pgValues(params))).rows as T[];
  }

  async commit(): Promise<void> {
    await this.flush();
    if (this.begun) await this.client!.query('COMMIT');
  }

  /** Rolls back what was begun and gives the connection back (a broken one is discarded). */
  async end(failed: boolean): Promise<void> {
    const c = this.client;
    if (!c) return;
    this.client = undefined;
    let broken = false;
    if (failed && this.begun) await c.query('ROLLBACK').catch(() => (broken = true));
    c.release(broken);
  }
}

class PgDatabase implements SqlDatabase {
  readonly driver = 'postgres' as const;
  constructor(private readonly pool: PgPool) {}
  async tx<T>(work: (q: Sql) => Promise<T>): Promise<T> {
    const q = new PgTx(this.pool);
    let failed = true;
    try {
      const value = await work(q);
      await q.commit();
      failed = false;
      return value;
    } finally {
      await q.end(failed);
    }
  }
}

const handles = new WeakMap<DataSource, SqlDatabase>();

/** The SQL access for a data source (one per data source, so SQLite has one lock). */
export function sqlDatabase(ds: DataSource): SqlDatabase {
  let h = handles.get(ds);
  if (!h) {
    h =
      ds.options.type === 'postgres'
        ? new PgDatabase((ds.driver as unknown as { master: PgPool }).master)
        : new SqliteDatabase((ds.driver as unknown as { databaseConnection: BetterSqlite }).databaseConnection);
    handles.set(ds, h);
  }
  return h;
}

/** `INSERT INTO table (cols) VALUES (?, …), (?, …)` for `rows` rows. */
export function insertSql(table: string, columns: readonly string[], rows: number): string {
  const one = `(${columns.map(() => '?').join(', ')})`;
  return `INSERT INTO ${table} (${columns.join(', ')}) VALUES ${Array.from({ length: rows }, () => one).join(', ')}`;
}

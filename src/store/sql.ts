// Plain SQL on the TypeORM data source's own connection, for the hot paths. Statements are written
// once with `?` placeholders; PostgreSQL gets `$n`. On SQLite they run as cached better-sqlite3
// prepared statements (synchronous, microseconds each) inside transactions serialised in-process.
import type { DataSource, EntityManager } from 'typeorm';

export type Driver = 'sqlite' | 'postgres';
export type Param = string | number | boolean | null | undefined;

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

class PgSql implements Sql {
  readonly driver = 'postgres' as const;
  constructor(private readonly m: EntityManager) {}
  async run(sql: string, params: Param[] = []): Promise<void> {
    await this.m.query(
      toPg(sql),
      params.map((p) => (p === undefined ? null : p)),
    );
  }
  async all<T>(sql: string, params: Param[] = []): Promise<T[]> {
    return this.m.query(
      toPg(sql),
      params.map((p) => (p === undefined ? null : p)),
    );
  }
}

class PgDatabase implements SqlDatabase {
  readonly driver = 'postgres' as const;
  constructor(private readonly ds: DataSource) {}
  tx<T>(work: (q: Sql) => Promise<T>): Promise<T> {
    return this.ds.transaction((m) => work(new PgSql(m)));
  }
}

const handles = new WeakMap<DataSource, SqlDatabase>();

/** The SQL access for a data source (one per data source, so SQLite has one lock). */
export function sqlDatabase(ds: DataSource): SqlDatabase {
  let h = handles.get(ds);
  if (!h) {
    h =
      ds.options.type === 'postgres'
        ? new PgDatabase(ds)
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

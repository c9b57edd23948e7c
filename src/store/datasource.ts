// The TypeORM data source: SQLite (better-sqlite3, WAL) by default, PostgreSQL when DATABASE_URL is set.
import 'reflect-metadata';
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { DataSource } from 'typeorm';
import { POSTGRES_MIGRATIONS, SQLITE_MIGRATIONS } from './migrations';

import type { Driver } from './sql';

export type { Driver };

export interface DbOptions {
  databaseUrl?: string;
  dataDir: string;
}

export function driverOf(o: DbOptions): Driver {
  return o.databaseUrl && /^postgres(ql)?:\/\//.test(o.databaseUrl) ? 'postgres' : 'sqlite';
}

export function createDataSource(o: DbOptions): DataSource {
  if (driverOf(o) === 'postgres') {
    return new DataSource({
      type: 'postgres',
      url: o.databaseUrl,
      entities: [],
      migrations: POSTGRES_MIGRATIONS,
      synchronize: false,
      migrationsTableName: 'segl_migrations',
      extra: { max: 20 },
    });
  }
  const file = o.databaseUrl?.startsWith('sqlite:') ? o.databaseUrl.slice('sqlite:'.length) : path.join(o.dataDir, 'segl.sqlite');
  if (file !== ':memory:') mkdirSync(path.dirname(path.resolve(file)), { recursive: true });
  return new DataSource({
    type: 'better-sqlite3',
    database: file,
    entities: [],
    migrations: SQLITE_MIGRATIONS,
    synchronize: false,
    migrationsTableName: 'segl_migrations',
    enableWAL: true,
    prepareDatabase: (db: { pragma(s: string): unknown }) => {
      db.pragma('busy_timeout = 5000'); // a CLI and the server may write the same file
      db.pragma('synchronous = NORMAL'); // safe with WAL: a crash loses at most the last commits, never integrity
      db.pragma('foreign_keys = ON');
      // Checkpoint the WAL every ~32 MB instead of every 4 MB: a third less write cost per commit.
      db.pragma('wal_autocheckpoint = 8000');
      db.pragma('journal_size_limit = 67108864');
    },
  });
}

/** Opens the database and applies pending migrations (each in its own transaction). */
export async function openDatabase(o: DbOptions): Promise<DataSource> {
  const ds = createDataSource(o);
  await ds.initialize();
  try {
    if (driverOf(o) === 'postgres') {
      // Several api/worker instances may start at once: one migrates, the others wait for it.
      const q = ds.createQueryRunner();
      await q.connect();
      try {
        await q.query("SELECT pg_advisory_lock(hashtext('segl_migrations'))");
        await ds.runMigrations({ transaction: 'each' });
      } finally {
        await q.query("SELECT pg_advisory_unlock(hashtext('segl_migrations'))").catch(() => undefined);
        await q.release();
      }
    } else {
      await ds.runMigrations({ transaction: 'each' });
    }
  } catch (e) {
    await ds.destroy();
    throw e;
  }
  return ds;
}

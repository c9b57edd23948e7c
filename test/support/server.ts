// Starts a real segl (HTTP on an ephemeral port, real database, real Redis) for a test file.
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Client } from 'pg';
import { loadConfig } from '../../src/config';
import { startRuntime, type Runtime } from '../../src/runtime';
import type { Resolver } from '../../src/notify/allowlist';
import type { PackageMaker } from '../../src/core/packaging';
import type { Logger } from 'pino';

export type DbKind = 'sqlite' | 'postgres';

export const PG_URL = process.env.SEGL_TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';

let pgAvailable: boolean | undefined;
/** Whether the PostgreSQL test server answers. In CI (SEGL_TEST_REQUIRE_PG=1) its absence is an error. */
export async function postgresAvailable(): Promise<boolean> {
  if (pgAvailable !== undefined) return pgAvailable;
  const c = new Client({ connectionString: PG_URL, connectionTimeoutMillis: 2000 });
  try {
    await c.connect();
    await c.query('SELECT 1');
    pgAvailable = true;
  } catch {
    pgAvailable = false;
  } finally {
    await c.end().catch(() => undefined);
  }
  if (!pgAvailable && process.env.SEGL_TEST_REQUIRE_PG === '1') {
    throw new Error(`SEGL_TEST_REQUIRE_PG=1 but PostgreSQL does not answer at ${PG_URL}`);
  }
  return pgAvailable;
}

/** The databases this run covers: always SQLite; PostgreSQL when it answers (printed either way). */
export function databases(): DbKind[] {
  // global-setup.ts probed the server and set SEGL_TEST_PG before any test file was collected.
  return process.env.SEGL_TEST_PG === '1' ? ['sqlite', 'postgres'] : ['sqlite'];
}

/** A fresh PostgreSQL database for one test file; dropped by the returned function. */
export async function freshPgDatabase(): Promise<{ url: string; drop: () => Promise<void> }> {
  const name = `segl_t_${process.pid}_${Math.random().toString(36).slice(2, 8)}`;
  const admin = new Client({ connectionString: PG_URL });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${name}`);
  await admin.end();
  const url = new URL(PG_URL);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    drop: async () => {
      const c = new Client({ connectionString: PG_URL });
      await c.connect();
      await c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await c.end();
    },
  };
}

export interface TestServer {
  rt: Runtime;
  url: string;
  endpoint: string;
  dataDir: string;
  demoPassword: string;
  stop(): Promise<void>;
}

export interface ServerOptions {
  /** run the queue workers in the same process (callbacks, e-mail, SMS, timers) */
  worker?: boolean;
  /** name resolution for callback destinations */
  resolve?: Resolver;
  /** fills the fresh DATA_DIR before segl starts (e.g. a test PKI made by an older segl) */
  seed?: (dataDir: string) => void | Promise<void>;
  /** the PAdES maker behind create-package (default: the runtime's own) */
  packageMaker?: PackageMaker;
  /** the runtime's logger (default: one at LOG_LEVEL, silent) */
  log?: Logger;
}

export async function startServer(db: DbKind = 'sqlite', env: Record<string, string> = {}, opts: ServerOptions = {}): Promise<TestServer> {
  const dataDir = mkdtempSync(path.join(os.tmpdir(), 'segl-test-'));
  await opts.seed?.(dataDir);
  let pg: { url: string; drop: () => Promise<void> } | undefined;
  if (db === 'postgres') {
    if (!(await postgresAvailable())) throw new Error(`PostgreSQL is not reachable at ${PG_URL}`);
    pg = await freshPgDatabase();
  }
  const cfg = loadConfig({
    PORT: '0',
    HOST: '127.0.0.1',
    DATA_DIR: dataDir,
    LOG_LEVEL: 'silent',
    SEGL_DEMO_PASSWORD: 'demo-password-1',
    ...(pg ? { DATABASE_URL: pg.url } : {}),
    ...(process.env.TEST_REDIS_URL ? { REDIS_URL: process.env.TEST_REDIS_URL } : {}),
    // servers of one run may share a Redis: each gets its own queues
    SEGL_QUEUE_PREFIX: `segl-test-${process.pid}-${Math.random().toString(36).slice(2, 8)}`,
    ...env,
  });
  const rt = await startRuntime(cfg, {
    http: true,
    worker: opts.worker ?? false,
    resolve: opts.resolve,
    packageMaker: opts.packageMaker,
    log: opts.log,
  });
  return {
    rt,
    url: rt.url!,
    endpoint: `${rt.url}/ws/documentservice-v3`,
    dataDir,
    demoPassword: 'demo-password-1',
    stop: async () => {
      await rt.close();
      await pg?.drop();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

// Runs once before the suite: finds out whether PostgreSQL answers and says clearly what will run.
import { Client } from 'pg';

export default async function globalSetup(): Promise<void> {
  const url = process.env.SEGL_TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
  const c = new Client({ connectionString: url, connectionTimeoutMillis: 2000 });
  let ok = false;
  try {
    await c.connect();
    await c.query('SELECT 1');
    ok = true;
  } catch {
    ok = false;
  } finally {
    await c.end().catch(() => undefined);
  }
  const shown = url.replace(/\/\/([^@/]*)@/, '//$1@');
  if (!ok && process.env.SEGL_TEST_REQUIRE_PG === '1') {
    throw new Error(`SEGL_TEST_REQUIRE_PG=1 but PostgreSQL does not answer at ${shown}`);
  }
  process.env.SEGL_TEST_PG = ok ? '1' : '0';
  process.env.SEGL_TEST_DATABASE_URL = url;
  process.stdout.write(
    ok
      ? `\n[segl tests] PostgreSQL answers at ${shown}: the database suites run on SQLite AND PostgreSQL.\n`
      : `\n[segl tests] PostgreSQL does NOT answer at ${shown}: the database suites run on SQLite only; PostgreSQL suites are not registered.\n`,
  );
}

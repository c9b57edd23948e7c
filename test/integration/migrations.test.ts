// Migrations: applied once, idempotent on restart, and safe when several instances start together.
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { openDatabase } from '../../src/store/datasource';
import { POSTGRES_MIGRATIONS } from '../../src/store/migrations';
import { databases, freshPgDatabase } from '../support/server';

describe.each(databases())('migrations on %s', (db) => {
  let dir: string;
  let target: { url?: string; drop: () => Promise<void> };
  beforeEach(async () => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'segl-mig-'));
    target = db === 'postgres' ? await freshPgDatabase() : { drop: async () => undefined };
  });
  afterEach(async () => {
    await target.drop();
    rmSync(dir, { recursive: true, force: true });
  });

  test('three instances starting at once all come up and the schema is migrated once', async () => {
    const opts = { databaseUrl: target.url, dataDir: dir };
    const all = await Promise.all([openDatabase(opts), openDatabase(opts), openDatabase(opts)]);
    try {
      const rows = await all[0]!.query('SELECT name FROM segl_migrations');
      // every migration of the list, each once (the list grows with each schema change)
      const names = POSTGRES_MIGRATIONS.map((M) => new M().name!).sort();
      expect(names).toEqual(
        expect.arrayContaining([
          'Archive1764489600000',
          'AtRest1765100000000',
          'Certificates1764576000000',
          'Init1764316800000',
          'Outbox1764748800000',
          'Profiles1764921600000',
          'Results1764662400000',
          'Sds1764403200000',
          'TestEid1764835200000',
        ]),
      );
      expect(rows.map((r: { name: string }) => r.name).sort()).toEqual(names);
      const n = await all[1]!.query('SELECT COUNT(*) AS n FROM request');
      expect(Number(n[0].n)).toBe(0);
    } finally {
      await Promise.all(all.map((d) => d.destroy()));
    }
    const again = await openDatabase(opts); // restart: nothing pending, nothing re-run
    try {
      expect((await again.query('SELECT name FROM segl_migrations')).length).toBe(POSTGRES_MIGRATIONS.length);
      expect(await again.showMigrations()).toBe(false);
    } finally {
      await again.destroy();
    }
  });
});

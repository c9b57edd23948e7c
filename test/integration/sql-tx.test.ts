// The SQL transaction layer (src/store/sql.ts) on both databases: all-or-nothing whatever the
// shape of the work, reads see the transaction's own inserts, and on PostgreSQL a transaction made
// only of plain inserts goes to the server as ONE statement (no BEGIN/COMMIT): counted on the real
// pool's connections. Database errors are matched by message: better-sqlite3 makes its errors with
// the class of the first test file that loaded it (another realm under Jest), so toThrow misses them.
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Client } from 'pg';
import type { DataSource } from 'typeorm';
import { openDatabase } from '../../src/store/datasource';
import { insertSql, sqlDatabase, type SqlDatabase } from '../../src/store/sql';
import { databases, freshPgDatabase } from '../support/server';

describe.each(databases())('SQL transactions on %s', (db) => {
  let dir: string;
  let target: { url?: string; drop: () => Promise<void> };
  let ds: DataSource;
  let sql: SqlDatabase;
  /** the statements sent to PostgreSQL since the last reset */
  let sent: string[] = [];
  let restore = () => undefined as void;
  beforeAll(async () => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'segl-sqltx-'));
    target = db === 'postgres' ? await freshPgDatabase() : { drop: async () => undefined };
    ds = await openDatabase({ databaseUrl: target.url, dataDir: dir });
    await ds.query('CREATE TABLE p (k INTEGER PRIMARY KEY, v TEXT)');
    await ds.query('CREATE TABLE c (k INTEGER PRIMARY KEY, p INTEGER NOT NULL REFERENCES p(k))');
    await ds.query(`CREATE TABLE l (id ${db === 'postgres' ? 'SERIAL' : 'INTEGER'} PRIMARY KEY, v TEXT)`);
    if (db === 'postgres') {
      // record the text of what pg's clients send (the real driver and server: only noted on the way)
      const query = Client.prototype.query;
      Client.prototype.query = function (this: Client, text: unknown, ...rest: unknown[]) {
        sent.push(typeof text === 'string' ? text : String((text as { text?: string }).text));
        return (query as (...a: unknown[]) => unknown).call(this, text, ...rest);
      } as typeof query;
      restore = () => {
        Client.prototype.query = query;
      };
    }
    sql = sqlDatabase(ds);
  });
  afterAll(async () => {
    restore();
    await ds.destroy();
    await target.drop();
    rmSync(dir, { recursive: true, force: true });
  });
  beforeEach(async () => {
    await ds.query('DELETE FROM c');
    await ds.query('DELETE FROM p');
    sent = [];
  });
  const count = async (table: string) => Number((await ds.query(`SELECT COUNT(*) AS n FROM ${table}`))[0].n);

  test('inserts only into different tables: one statement on PostgreSQL, committed together', async () => {
    await sql.tx(async (q) => {
      await q.run(insertSql('p', ['k', 'v'], 2), [10, 'ten', 11, 'eleven']);
      await q.run('INSERT INTO c (k, p) VALUES (?, ?) ON CONFLICT (k) DO NOTHING', [1, 10]);
    });
    const mine = [...sent];
    expect(await count('p')).toBe(2);
    expect(await count('c')).toBe(1);
    if (db === 'postgres') {
      expect(mine).toHaveLength(1);
      expect(mine[0]).toMatch(/^WITH w0 AS \(INSERT INTO p .*\), w1 AS \(INSERT INTO c .*\) SELECT 1$/);
    }
  });

  test('an insert with ON CONFLICT after another into the same table meets its row, as in sequence', async () => {
    await sql.tx(async (q) => {
      await q.run(insertSql('p', ['k', 'v'], 2), [10, 'ten', 11, 'eleven']);
      await q.run('INSERT INTO c (k, p) VALUES (?, ?)', [1, 10]);
      await q.run('INSERT INTO p (k, v) VALUES (?, ?) ON CONFLICT (k) DO NOTHING', [10, 'again']);
    });
    const mine = [...sent];
    expect(await count('p')).toBe(2);
    expect((await ds.query('SELECT v FROM p WHERE k = 10'))[0].v).toBe('ten');
    if (db === 'postgres') expect(mine.map((s) => s.split(' ')[0])).toEqual(['BEGIN', 'WITH', 'INSERT', 'COMMIT']);
    // and the other way round: the plain insert after the ignored one fails, as it would in sequence
    await expect(
      sql.tx(async (q) => {
        await q.run('INSERT INTO p (k, v) VALUES (?, ?) ON CONFLICT (k) DO NOTHING', [20, 'twenty']);
        await q.run('INSERT INTO p (k, v) VALUES (?, ?)', [20, 'twenty again']);
      }),
    ).rejects.toMatchObject({ message: expect.stringMatching(/unique|UNIQUE|duplicate/) });
    expect(await count('p')).toBe(2);
  });

  test('two inserts into one table keep their order (serial ids follow the code)', async () => {
    await sql.tx(async (q) => {
      await q.run('INSERT INTO l (v) VALUES (?)', ['first']);
      await q.run('INSERT INTO p (k, v) VALUES (?, ?)', [1, 'one']);
      await q.run('INSERT INTO l (v) VALUES (?)', ['second']);
      await q.run('INSERT INTO l (v) VALUES (?)', ['third']);
    });
    expect((await ds.query('SELECT v FROM l ORDER BY id')).map((r: { v: string }) => r.v)).toEqual(['first', 'second', 'third']);
  });

  test('a read sees the inserts before it; an update after them applies to them', async () => {
    const seen = await sql.tx(async (q) => {
      await q.run('INSERT INTO p (k, v) VALUES (?, ?)', [1, 'one']);
      await q.run('INSERT INTO p (k, v) VALUES (?, ?)', [2, 'two']);
      await q.run('UPDATE p SET v = ? WHERE k = ?', ['uno', 1]);
      return q.all<{ k: number; v: string }>('SELECT k, v FROM p ORDER BY k');
    });
    const mine = [...sent];
    expect(seen.map((r) => [Number(r.k), r.v])).toEqual([
      [1, 'uno'],
      [2, 'two'],
    ]);
    if (db === 'postgres') expect(mine.map((s) => s.split(' ')[0])).toEqual(['BEGIN', 'INSERT', 'INSERT', 'UPDATE', 'SELECT', 'COMMIT']);
  });

  test('a failing insert rolls back the whole transaction, read or not', async () => {
    await sql.tx(async (q) => q.run('INSERT INTO p (k, v) VALUES (?, ?)', [1, 'one']));
    await expect(
      sql.tx(async (q) => {
        await q.run('INSERT INTO p (k, v) VALUES (?, ?)', [2, 'two']);
        await q.run('INSERT INTO c (k, p) VALUES (?, ?)', [1, 99]); // no parent 99
      }),
    ).rejects.toMatchObject({ message: expect.stringMatching(/foreign key|FOREIGN KEY/) });
    await expect(
      sql.tx(async (q) => {
        await q.run('INSERT INTO p (k, v) VALUES (?, ?)', [3, 'three']);
        await q.all('SELECT k FROM p');
        await q.run('INSERT INTO p (k, v) VALUES (?, ?)', [1, 'duplicate']);
      }),
    ).rejects.toMatchObject({ message: expect.stringMatching(/unique|UNIQUE|duplicate/) });
    await expect(
      sql.tx(async (q) => {
        await q.run('INSERT INTO p (k, v) VALUES (?, ?)', [4, 'four']);
        throw new Error('the work itself failed');
      }),
    ).rejects.toThrow('the work itself failed');
    expect((await ds.query('SELECT k FROM p')).map((r: { k: number }) => Number(r.k))).toEqual([1]);
  });

  test('more parameters than one statement takes: split, still all or nothing', async () => {
    const rows = 200;
    const cols = ['k', 'v'];
    const batches = 180; // 180 × 400 = 72 000 parameters, past PostgreSQL's 65 535 per statement
    const values = (b: number) => Array.from({ length: rows }, (_, i) => [b * rows + i, `v${b * rows + i}`]).flat();
    await sql.tx(async (q) => {
      for (let b = 0; b < batches; b++) await q.run(insertSql('p', cols, rows), values(b));
    });
    expect(await count('p')).toBe(rows * batches);
    await ds.query('DELETE FROM p');
    await expect(
      sql.tx(async (q) => {
        for (let b = 0; b < batches; b++) await q.run(insertSql('p', cols, rows), values(b));
        await q.run('INSERT INTO p (k, v) VALUES (?, ?)', [0, 'duplicate of the first']);
      }),
    ).rejects.toMatchObject({ message: expect.stringMatching(/unique|UNIQUE|duplicate/) });
    expect(await count('p')).toBe(0);
  });
});

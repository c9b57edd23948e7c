// Blobs in PostgreSQL large objects, so a PostgreSQL-only deployment needs no shared disk. A row
// of segl_blob names each blob's large object; an upload writes a fresh large object in 1 MiB
// lo_put calls while the local spool copy is written for the content checks, and commit only
// records its oid under the content address (no second copy). Reads are lo_get calls of 1 MiB,
// so neither direction holds a blob in memory. Large objects that an interrupted upload left are
// listed in segl_blob_upload, where the orphan sweep finds them.
import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import { Pool, type PoolClient } from 'pg';
import { BlobStoreMisconfigured, BlobStoreUnavailable, type BlobStore, type ByteRange, type PendingBlob, type StoredBlob } from '../blobs';
import type { Spool } from './spool';

const KEY = /^[0-9a-f]{64}$/;
const CHUNK = 1024 * 1024;
/** chunks written or read ahead at once, each on its own connection */
const IN_FLIGHT = 3;
const TMP_MARK = 'pg-lo:';

/** SQLSTATE classes that mean the settings are wrong: authorization (28), missing database (3D), privileges (42501). */
function isConfigError(code: string | undefined): boolean {
  return !!code && (code.startsWith('28') || code.startsWith('3D') || code === '42501');
}

export class PgBlobStore implements BlobStore {
  private readonly pool: Pool;
  private schema?: Promise<void>;
  readonly description: string;

  constructor(
    url: string,
    private readonly spool: Spool,
  ) {
    this.pool = new Pool({ connectionString: url, max: 8, connectionTimeoutMillis: 5000, allowExitOnIdle: true });
    this.pool.on('error', () => undefined); // an idle client's dropped connection: the next query reconnects
    this.description = `postgresql ${url.replace(/\/\/([^@/]*)@/, '//***@')}`;
  }

  private fail(e: unknown, what: string): Error {
    if (e instanceof BlobStoreUnavailable) return e;
    const err = e as Error & { code?: string };
    if (isConfigError(err.code)) return new BlobStoreMisconfigured(`the PostgreSQL blob store refused to ${what}: ${err.message}`, e);
    return new BlobStoreUnavailable(`the PostgreSQL blob store could not ${what}: ${err.message}`, e);
  }

  private ready(): Promise<void> {
    this.schema ??= (async () => {
      const c = await this.pool.connect();
      try {
        await c.query('BEGIN');
        await c.query("SELECT pg_advisory_xact_lock(hashtext('segl_blob'))"); // api×N starting at once
        await c.query(`CREATE TABLE IF NOT EXISTS segl_blob (
          key char(64) PRIMARY KEY, loid oid NOT NULL, size bigint NOT NULL, modified timestamptz NOT NULL DEFAULT now())`);
        await c.query('CREATE TABLE IF NOT EXISTS segl_blob_upload (loid oid PRIMARY KEY, started timestamptz NOT NULL DEFAULT now())');
        await c.query('COMMIT');
      } catch (e) {
        await c.query('ROLLBACK').catch(() => undefined);
        throw e;
      } finally {
        c.release();
      }
    })().catch((e: unknown) => {
      this.schema = undefined;
      throw e;
    });
    return this.schema;
  }

  private async q<T>(what: string, query: string, values?: unknown[]): Promise<T[]> {
    try {
      await this.ready();
      return (await this.pool.query(query, values)).rows as T[];
    } catch (e) {
      throw this.fail(e, what);
    }
  }

  private async tx<T>(what: string, work: (c: PoolClient) => Promise<T>): Promise<T> {
    let c: PoolClient | undefined;
    try {
      await this.ready();
      c = await this.pool.connect();
      await c.query('BEGIN');
      const r = await work(c);
      await c.query('COMMIT');
      return r;
    } catch (e) {
      await c?.query('ROLLBACK').catch(() => undefined);
      throw this.fail(e, what);
    } finally {
      c?.release();
    }
  }

  async ping(): Promise<void> {
    await this.q('answer', 'SELECT 1');
  }

  /** Writes `chunks` into a new large object registered as an upload; returns its oid. */
  private async write(chunks: AsyncIterable<Buffer> | Iterable<Buffer>): Promise<number> {
    const [{ loid }] = await this.q<{ loid: number }>(
      'accept an upload',
      'INSERT INTO segl_blob_upload (loid) VALUES (lo_create(0)) RETURNING loid',
    );
    // Up to IN_FLIGHT chunks are written at once, each on its own connection (different pages of
    // the large object, so they never conflict): the server's work spreads over its cores.
    const flying = new Set<Promise<unknown>>();
    let failure: unknown;
    const send = (offset: number, data: Buffer) => {
      const p = this.pool
        .query('SELECT lo_put($1, $2, $3)', [loid, offset, data])
        .catch((e: unknown) => {
          failure ??= e;
        })
        .finally(() => flying.delete(p));
      flying.add(p);
    };
    try {
      let offset = 0;
      let buf: Buffer[] = [];
      let held = 0;
      // Every lo_put but the last writes exactly CHUNK bytes at a multiple of CHUNK: whole pages of
      // the large object, so two writes in flight never touch the same page.
      const flush = async (size: number) => {
        const all = buf.length === 1 ? buf[0]! : Buffer.concat(buf, held);
        send(offset, all.subarray(0, size));
        offset += size;
        held -= size;
        buf = held ? [all.subarray(size)] : [];
        while (flying.size >= IN_FLIGHT) await Promise.race(flying);
        if (failure) throw failure;
      };
      for await (const chunk of chunks) {
        buf.push(chunk);
        held += chunk.length;
        while (held >= CHUNK) await flush(CHUNK);
      }
      if (held) await flush(held);
      await Promise.all(flying);
      if (failure) throw failure;
      return loid;
    } catch (e) {
      await Promise.all(flying);
      await this.dropUpload(loid).catch(() => undefined); // else the sweep
      throw this.fail(e, 'accept an upload');
    }
  }

  private async dropUpload(loid: number): Promise<void> {
    await this.tx('drop an upload', async (c) => {
      const r = await c.query('DELETE FROM segl_blob_upload WHERE loid = $1', [loid]);
      if (r.rowCount) await c.query('SELECT lo_unlink($1)', [loid]);
    });
  }

  /** Records the upload under its key (or, when the key exists, refreshes it and drops the duplicate). */
  private async place(loid: number, key: string, size: number): Promise<boolean> {
    return this.tx('commit an upload', async (c) => {
      const r = await c.query<{ loid: number }>(
        'INSERT INTO segl_blob (key, loid, size) VALUES ($1, $2, $3) ON CONFLICT (key) DO UPDATE SET modified = now() RETURNING loid',
        [key, loid, size],
      );
      await c.query('DELETE FROM segl_blob_upload WHERE loid = $1', [loid]);
      const created = Number(r.rows[0]!.loid) === loid;
      if (!created) await c.query('SELECT lo_unlink($1)', [loid]);
      return created;
    });
  }

  async putBytes(bytes: Uint8Array): Promise<{ key: string; sha256: string; size: number; created: boolean }> {
    const sha256 = createHash('sha256').update(bytes).digest('hex');
    const touched = await this.q('store a blob', 'UPDATE segl_blob SET modified = now() WHERE key = $1 RETURNING key', [sha256]);
    if (touched.length) return { key: sha256, sha256, size: bytes.byteLength, created: false };
    const loid = await this.write([Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength)]);
    const created = await this.place(loid, sha256, bytes.byteLength);
    return { key: sha256, sha256, size: bytes.byteLength, created };
  }

  async putStream(src: Readable, opts: { maxBytes: number; onChunk?: (chunk: Buffer) => void }): Promise<PendingBlob> {
    const { sha256, size, tmpPath, remote: loid } = await this.spool.put(src, opts, (body) => this.write(body as AsyncIterable<Buffer>));
    let settled = false;
    return {
      key: sha256,
      sha256,
      size,
      tmpPath,
      commit: async () => {
        if (settled) return;
        await this.place(loid, sha256, size);
        settled = true;
        await this.spool.remove(tmpPath);
      },
      discard: async () => {
        if (settled) return;
        settled = true;
        await this.spool.remove(tmpPath);
        await this.dropUpload(loid).catch(() => undefined); // unreachable now: the sweep removes it later
      },
    };
  }

  private async row(key: string): Promise<{ loid: number; size: number; modified: Date } | null> {
    if (!KEY.test(key)) throw new Error('bad blob key');
    const [r] = await this.q<{ loid: number; size: string; modified: Date }>(
      'look up a blob',
      'SELECT loid, size, modified FROM segl_blob WHERE key = $1',
      [key],
    );
    return r ? { loid: Number(r.loid), size: Number(r.size), modified: r.modified } : null;
  }

  get(key: string, range?: ByteRange): Readable {
    return Readable.from(this.chunks(key, range), { objectMode: false });
  }

  /** The blob (or the range) in lo_get calls of 1 MiB. */
  private async *chunks(key: string, range?: ByteRange): AsyncGenerator<Buffer> {
    const r = await this.row(key);
    if (!r) throw new Error(`blob ${key} is missing`);
    const end = Math.min(range ? range.end + 1 : r.size, r.size);
    // The next IN_FLIGHT chunks are asked for ahead of the reader, each on its own connection.
    // node-postgres reads rows as text: base64 (4/3 of the bytes) travels and decodes faster than bytea's hex (2×).
    const ahead: Array<Promise<Buffer>> = [];
    let next = range?.start ?? 0;
    const ask = () => {
      const [at, len] = [next, Math.min(CHUNK, end - next)];
      next += len;
      const p = this.q<{ b: string }>('read a blob', "SELECT encode(lo_get($1, $2, $3), 'base64') AS b", [r.loid, at, len]).then(
        ([row]) => {
          const b = Buffer.from(row?.b ?? '', 'base64'); // the line breaks PostgreSQL puts in are skipped
          if (b.length !== len) throw new BlobStoreUnavailable(`blob ${key} ends early in PostgreSQL`);
          return b;
        },
      );
      p.catch(() => undefined); // awaited in order below
      ahead.push(p);
    };
    while (next < end && ahead.length < IN_FLIGHT) ask();
    while (ahead.length) {
      const b = await ahead.shift()!;
      if (next < end) ask();
      yield b;
    }
  }

  async getBytes(key: string): Promise<Buffer> {
    const parts: Buffer[] = [];
    for await (const b of this.get(key)) parts.push(b as Buffer);
    return Buffer.concat(parts);
  }

  async stat(key: string): Promise<{ size: number } | null> {
    const r = await this.row(key);
    return r && { size: r.size };
  }

  async modified(key: string): Promise<Date | null> {
    return (await this.row(key))?.modified ?? null;
  }

  async delete(key: string): Promise<void> {
    if (!KEY.test(key)) throw new Error('bad blob key');
    await this.tx('delete a blob', async (c) => {
      const r = await c.query<{ loid: number }>('DELETE FROM segl_blob WHERE key = $1 RETURNING loid', [key]);
      for (const row of r.rows) await c.query('SELECT lo_unlink($1)', [row.loid]);
    });
  }

  async *list(): AsyncIterable<StoredBlob> {
    // Keyset pages: a table of millions of blobs is never one result.
    let after = '';
    for (;;) {
      const page = await this.q<{ key: string; modified: Date }>(
        'list blobs',
        'SELECT key, modified FROM segl_blob WHERE key > $1 ORDER BY key LIMIT 1000',
        [after],
      );
      for (const r of page) yield { key: r.key, modified: r.modified };
      if (page.length < 1000) break;
      after = page[page.length - 1]!.key;
    }
    for (const u of await this.q<{ loid: number; started: Date }>('list uploads', 'SELECT loid, started FROM segl_blob_upload'))
      yield { tmpPath: `${TMP_MARK}${u.loid}`, modified: u.started };
    yield* this.spool.leftovers();
  }

  async deleteTemporary(tmpPath: string): Promise<void> {
    if (!tmpPath.startsWith(TMP_MARK)) return this.spool.remove(tmpPath);
    await this.dropUpload(Number(tmpPath.slice(TMP_MARK.length)));
  }

  async close(): Promise<void> {
    await this.pool.end();
  }
}

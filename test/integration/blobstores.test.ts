// The blob store contract, run against every store segl can be configured with: the filesystem,
// S3 (s3rver in a child process, see test/support/s3.ts) and PostgreSQL large objects (when the
// test PostgreSQL answers). Each runs inside a real segl: the SDS routes, the orphan sweep and the
// SQL rows are the real ones.
import { createHash, randomBytes } from 'node:crypto';
import { execFile } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { Readable } from 'node:stream';
import { BlobTooLarge, type BlobStore } from '../../src/store/blobs';
import { freshPgDatabase, startServer, type TestServer } from '../support/server';
import { startS3, type S3Server } from '../support/s3';

type Kind = 'fs' | 's3' | 'postgres';
const kinds: Kind[] = ['fs', 's3', ...(process.env.SEGL_TEST_PG === '1' ? (['postgres'] as const) : [])];
if (process.env.SEGL_TEST_PG !== '1')
  process.stdout.write('[blobstores] PostgreSQL does not answer: the postgres blob store is not tested\n');

const exec = promisify(execFile);
const sha = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');
const MB = 1024 * 1024;

const CLIENT = `
const { createHash } = require('node:crypto');
const { readFileSync } = require('node:fs');
const { Readable } = require('node:stream');
const [url, auth, unitFile, total, rangeStart] = process.argv.slice(1);
const unit = readFileSync(unitFile);
let sent = 0;
const body = new Readable({ read() {
  if (sent >= +total) return this.push(null);
  const n = Math.min(unit.length, +total - sent); sent += n; this.push(unit.subarray(0, n));
} });
(async () => {
  const up = await fetch(url + '/doc/demo/sds', { method: 'POST', duplex: 'half', body: Readable.toWeb(body),
    headers: { authorization: auth, 'content-type': 'text/plain; charset=utf-8', 'content-length': total } });
  const id = await up.text();
  const down = await fetch(url + '/doc/demo/sds/' + id, { headers: { authorization: auth } });
  const h = createHash('sha256'); let n = 0;
  for await (const c of down.body) { h.update(c); n += c.length; }
  const s = +rangeStart;
  const part = await fetch(url + '/doc/demo/sds/' + id, { headers: { authorization: auth, range: 'bytes=' + s + '-' + (s + 99) } });
  const p = Buffer.from(await part.arrayBuffer()).toString('hex');
  process.stdout.write(JSON.stringify({ id, status: up.status, sha: h.digest('hex'), n, part: part.status === 206 ? p : 'status ' + part.status }));
})();
`;

/** Uploads `total` bytes (`unit` repeated) from a child process, downloads them whole and a 100-byte range. */
async function bigClient(url: string, auth: string, unit: Buffer, total: number, rangeStart: number) {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'segl-big-'));
  try {
    writeFileSync(path.join(dir, 'unit'), unit);
    const r = await exec(process.execPath, ['-e', CLIENT, url, auth, path.join(dir, 'unit'), String(total), String(rangeStart)], {
      maxBuffer: 1 << 20,
    });
    return JSON.parse(r.stdout) as { id: string; status: number; sha: string; n: number; part: string };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** `n` bytes of random text (base64 lines): what an SDS text/plain upload accepts. */
function textBytes(n: number): Buffer {
  const b64 = randomBytes(Math.ceil((n * 3) / 4) + 3).toString('base64');
  return Buffer.from(b64.slice(0, n).replace(/(.{75})./g, '$1\n'));
}

async function drain(s: Readable): Promise<Buffer> {
  const parts: Buffer[] = [];
  for await (const c of s) parts.push(c as Buffer);
  return Buffer.concat(parts);
}

async function all<T>(it: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const x of it) out.push(x);
  return out;
}

/** `total` bytes made of one random MiB repeated, as a stream read chunk by chunk (never held whole). */
function bigStream(total: number, unit: Buffer, failAt?: number): Readable {
  let sent = 0;
  return new Readable({
    read() {
      if (failAt !== undefined && sent >= failAt) {
        this.destroy(new Error('client went away'));
        return;
      }
      if (sent >= total) {
        this.push(null);
        return;
      }
      const n = Math.min(unit.length, total - sent);
      sent += n;
      this.push(unit.subarray(0, n));
    },
  });
}

function bigSha(total: number, unit: Buffer): string {
  const h = createHash('sha256');
  for (let sent = 0; sent < total; sent += unit.length) h.update(unit.subarray(0, Math.min(unit.length, total - sent)));
  return h.digest('hex');
}

/** A segl using blob store `kind`, and what that store needs (an S3 server, a database). */
async function seglWith(
  kind: Kind,
  extra: Record<string, string> = {},
): Promise<{ s: TestServer; s3?: S3Server; stop: () => Promise<void> }> {
  let s3: S3Server | undefined;
  let pg: { url: string; drop: () => Promise<void> } | undefined;
  let env: Record<string, string> = { SEGL_BLOBS: kind };
  if (kind === 's3') {
    s3 = await startS3();
    env = s3.env;
  }
  if (kind === 'postgres') {
    pg = await freshPgDatabase();
    env = { SEGL_BLOBS: 'postgres', SEGL_BLOBS_DATABASE_URL: pg.url };
  }
  const s = await startServer('sqlite', { SEGL_SDS_LIMIT: '300mb', ...env, ...extra });
  return {
    s,
    s3,
    stop: async () => {
      await s.stop();
      await s3?.stop();
      await pg?.drop();
    },
  };
}

describe.each(kinds)('the %s blob store', (kind) => {
  let s: TestServer;
  let blobs: BlobStore;
  let stop: () => Promise<void>;
  let auth: string;
  beforeAll(async () => {
    ({ s, stop } = await seglWith(kind));
    blobs = s.rt.blobs;
    auth = `Basic ${Buffer.from(`demo:${s.demoPassword}`).toString('base64')}`;
  });
  afterAll(async () => {
    await stop();
  });

  const temporaries = async () => (await all(blobs.list())).filter((b) => b.tmpPath !== undefined);
  const spoolFiles = () => {
    try {
      return readdirSync(path.join(s.dataDir, 'spool'));
    } catch {
      return [];
    }
  };

  test('ping answers; the description names the store', async () => {
    await expect(blobs.ping()).resolves.toBeUndefined();
    expect(blobs.description).toMatch(kind === 'fs' ? /^filesystem / : kind === 's3' ? /^s3 bucket segl-test/ : /^postgresql /);
  });

  test('put, stat, get, ranges, modified and delete; the same bytes twice are one blob', async () => {
    const bytes = randomBytes(3 * MB + 17);
    const a = await blobs.putBytes(bytes);
    expect(a).toMatchObject({ key: sha(bytes), sha256: sha(bytes), size: bytes.length, created: true });
    const b = await blobs.putBytes(bytes);
    expect(b).toMatchObject({ key: a.key, created: false });
    expect((await all(blobs.list())).filter((x) => x.key === a.key)).toHaveLength(1);
    expect(await blobs.stat(a.key)).toEqual({ size: bytes.length });
    expect((await blobs.getBytes(a.key)).equals(bytes)).toBe(true);
    expect((await drain(blobs.get(a.key))).equals(bytes)).toBe(true);
    // ranges inside one read chunk, across the 1 MiB chunks, to the last byte
    for (const [start, end] of [
      [0, 0],
      [10, 99],
      [MB - 5, 2 * MB + 5],
      [bytes.length - 1, bytes.length - 1],
    ] as const)
      expect((await drain(blobs.get(a.key, { start, end }))).equals(bytes.subarray(start, end + 1))).toBe(true);
    const when = await blobs.modified(a.key);
    expect(Math.abs(when!.getTime() - Date.now())).toBeLessThan(60_000);
    await blobs.delete(a.key);
    expect(await blobs.stat(a.key)).toBeNull();
    expect(await blobs.modified(a.key)).toBeNull();
    await expect(blobs.getBytes(a.key)).rejects.toThrow();
    await expect(drain(blobs.get(a.key))).rejects.toThrow();
    await blobs.delete(a.key); // deleting twice is no error
  });

  test('a streamed upload is readable in its spool file, invisible until commit, and gone after discard', async () => {
    const bytes = randomBytes(2 * MB + 3);
    const seen: number[] = [];
    const p = await blobs.putStream(Readable.from([bytes.subarray(0, MB), bytes.subarray(MB)]), {
      maxBytes: 10 * MB,
      onChunk: (c) => seen.push(c.length),
    });
    expect(p).toMatchObject({ key: sha(bytes), sha256: sha(bytes), size: bytes.length });
    expect(seen.reduce((x, y) => x + y, 0)).toBe(bytes.length);
    expect(readFileSync(p.tmpPath).equals(bytes)).toBe(true);
    expect(await blobs.stat(p.key)).toBeNull();
    await p.commit();
    expect(await blobs.stat(p.key)).toEqual({ size: bytes.length });
    expect((await blobs.getBytes(p.key)).equals(bytes)).toBe(true);
    expect(await temporaries()).toEqual([]);

    // the same bytes again: still one blob, committed or discarded
    const again = await blobs.putStream(Readable.from([bytes]), { maxBytes: 10 * MB });
    await again.commit();
    expect((await all(blobs.list())).filter((x) => x.key === p.key)).toHaveLength(1);
    const third = await blobs.putStream(Readable.from([bytes]), { maxBytes: 10 * MB });
    await third.discard();
    expect(await blobs.stat(p.key)).toEqual({ size: bytes.length });

    const other = randomBytes(1000);
    const dropped = await blobs.putStream(Readable.from([other]), { maxBytes: 10 * MB });
    await dropped.discard();
    expect(await blobs.stat(sha(other))).toBeNull();
    expect(await temporaries()).toEqual([]);
    expect(spoolFiles()).toEqual([]);
    await blobs.delete(p.key);
  });

  test('an upload over the limit or cut off by the client leaves nothing behind', async () => {
    const unit = randomBytes(MB);
    await expect(blobs.putStream(bigStream(12 * MB, unit), { maxBytes: 11 * MB })).rejects.toBeInstanceOf(BlobTooLarge);
    await expect(blobs.putStream(bigStream(20 * MB, unit, 9 * MB), { maxBytes: 100 * MB })).rejects.toThrow('client went away');
    expect(await blobs.stat(bigSha(12 * MB, unit))).toBeNull();
    expect(await temporaries()).toEqual([]);
    expect(spoolFiles()).toEqual([]);
  });

  test('the sweep removes unreferenced blobs and leftovers (a failed createRequest, a killed upload) and keeps the used ones', async () => {
    const used = textBytes(5000);
    const up = await fetch(`${s.url}/doc/demo/sds`, {
      method: 'POST',
      headers: { authorization: auth, 'content-type': 'text/plain; charset=utf-8' },
      body: used,
    });
    expect(up.status).toBe(201);
    // createRequest with an inline document that fails validation after its bytes were stored
    const orphan = await blobs.putBytes(randomBytes(4000));
    // an upload whose process died between the spool and the commit
    const pending = await blobs.putStream(Readable.from([randomBytes(3000)]), { maxBytes: MB });
    expect((await temporaries()).length).toBeGreaterThan(0);
    // nothing is old enough yet: the grace period protects rows still on their way
    expect(await s.rt.sds.sweepOrphans()).toBe(0);
    expect(await blobs.stat(orphan.key)).not.toBeNull();
    // everything counts as old a minute from now
    const removed = await s.rt.sds.sweepOrphans(-60_000);
    expect(removed).toBeGreaterThanOrEqual(2);
    expect(await blobs.stat(orphan.key)).toBeNull();
    expect(await blobs.stat(sha(used))).toEqual({ size: used.length });
    expect(await temporaries()).toEqual([]);
    expect(spoolFiles()).toEqual([]);
    expect(await blobs.stat(pending.key)).toBeNull();
    const got = await fetch(`${s.url}/doc/demo/sds/${await up.text()}`, { headers: { authorization: auth } });
    expect(Buffer.from(await got.arrayBuffer()).equals(used)).toBe(true);
  });

  test('200 MB go up through SDS and come back (whole and a range) without the server holding them', async () => {
    const total = 200 * MB;
    const unit = textBytes(MB);
    const expected = bigSha(total, unit);
    // The client is another process: only segl's memory is measured here.
    let peak = 0;
    const base = process.memoryUsage().rss;
    const timer = setInterval(() => {
      peak = Math.max(peak, process.memoryUsage().rss - base);
    }, 20);
    let out: { id: string; status: number; sha: string; n: number; part: string };
    try {
      out = await bigClient(s.url, auth, unit, total, 150 * MB + 7);
    } finally {
      clearInterval(timer);
    }
    expect(out.status).toBe(201);
    expect(await blobs.stat(expected)).toEqual({ size: total });
    expect(out.n).toBe(total);
    expect(out.sha).toBe(expected);
    const off = (150 * MB + 7) % MB;
    expect(out.part).toBe(unit.subarray(off, off + 100).toString('hex'));
    // The bytes pass through in pieces (S3 keeps a few 8 MiB parts in flight); a buffered copy would be 200 MB.
    expect(peak).toBeLessThan(120 * MB);
  }, 300_000);
});

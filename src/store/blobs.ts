// Blob store: bytes by content address (SHA-256). The filesystem implementation keeps
// blobs/<aa>/<sha256>; every write goes to a temporary file first and is renamed into place, so a
// reader never sees half a blob. PostgreSQL and S3-compatible stores implement the same interface
// (src/store/blobstores/), chosen by SEGL_BLOBS.
import { createHash, randomBytes } from 'node:crypto';
import { constants, createReadStream, createWriteStream, statSync } from 'node:fs';
import { access, mkdir, readdir, readFile, rename, rm, stat, utimes, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { Transform, type Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { BlobSink } from '../core/ports';

/** A reused blob written more recently than this is not touched again (the orphan sweep's grace is 24 h). */
const FRESH_MS = 3_600_000;

/** A streamed upload that is on disk but not yet in place: check it, then commit or discard. */
export interface PendingBlob {
  key: string;
  sha256: string;
  size: number;
  /** where the bytes can be read before commit (content checks) */
  tmpPath: string;
  commit(): Promise<void>;
  discard(): Promise<void>;
}

export class BlobTooLarge extends Error {
  constructor(readonly limit: number) {
    super(`more than ${limit} bytes`);
    this.name = 'BlobTooLarge';
  }
}

/**
 * The store did not answer or refused to work (network down, server error, disk gone): the caller
 * answers 503 and retries later. Nothing of the failed write is left in place.
 */
export class BlobStoreUnavailable extends Error {
  constructor(message: string, cause?: unknown) {
    super(message, { cause });
    this.name = 'BlobStoreUnavailable';
  }
}

/** The store answered, and its answer means the configuration is wrong (credentials, bucket, database). */
export class BlobStoreMisconfigured extends BlobStoreUnavailable {
  constructor(message: string, cause?: unknown) {
    super(message, cause);
    this.name = 'BlobStoreMisconfigured';
  }
}

/**
 * What an upload passes through on its way to any store: it counts the bytes (over `maxBytes` it
 * fails with BlobTooLarge), hashes them for the content address, and shows each chunk to `onChunk`.
 */
export class BlobMeter extends Transform {
  private readonly hash = createHash('sha256');
  private size = 0;
  constructor(private readonly opts: { maxBytes: number; onChunk?: (chunk: Buffer) => void }) {
    super();
  }

  override _transform(chunk: Buffer, _enc: BufferEncoding, done: (e?: Error | null, chunk?: Buffer) => void): void {
    this.size += chunk.length;
    if (this.size > this.opts.maxBytes) {
      done(new BlobTooLarge(this.opts.maxBytes));
      return;
    }
    this.hash.update(chunk);
    this.opts.onChunk?.(chunk);
    done(null, chunk);
  }

  /** The digest and size, once the whole body went through. */
  result(): { sha256: string; size: number } {
    return { sha256: this.hash.digest('hex'), size: this.size };
  }
}

export interface ByteRange {
  start: number;
  end: number;
} // inclusive, as in HTTP

export interface BlobStore extends BlobSink {
  /** Streams `src` to a temporary blob, hashing on the way; over `maxBytes` it stops and leaves nothing. */
  putStream(src: Readable, opts: { maxBytes: number; onChunk?: (chunk: Buffer) => void }): Promise<PendingBlob>;
  get(key: string, range?: ByteRange): Readable;
  /** The whole blob in memory: only for documents known to be small. */
  getBytes(key: string): Promise<Buffer>;
  stat(key: string): Promise<{ size: number } | null>;
  delete(key: string): Promise<void>;
  /** Every stored blob and every temporary file an upload left (for the orphan sweep). */
  list(): AsyncIterable<StoredBlob>;
  /** When the blob was last written (putBytes of existing bytes counts); null when absent. */
  modified(key: string): Promise<Date | null>;
  /** Removes a temporary file `list` reported. */
  deleteTemporary(tmpPath: string): Promise<void>;
  /** A cheap reachability check: resolves when the store works, else BlobStoreUnavailable (or BlobStoreMisconfigured). */
  ping(): Promise<void>;
  /** Where the blobs are, for logs and the CLI (no secrets). */
  readonly description: string;
}

/** A blob in the store (`key`) or a temporary upload file (`tmpPath`), with its last write time. */
export type StoredBlob = { key: string; tmpPath?: undefined; modified: Date } | { key?: undefined; tmpPath: string; modified: Date };

export class FsBlobStore implements BlobStore {
  private readonly dirs = new Set<string>();
  constructor(private readonly root: string) {}

  get description(): string {
    return `filesystem ${this.root}`;
  }

  async ping(): Promise<void> {
    try {
      await mkdir(this.root, { recursive: true, mode: 0o700 });
      await access(this.root, constants.W_OK);
    } catch (e) {
      throw new BlobStoreUnavailable(`the blob directory ${this.root} is not writable: ${(e as Error).message}`, e);
    }
  }

  private file(key: string): string {
    if (!/^[0-9a-f]{64}$/.test(key)) throw new Error('bad blob key');
    return path.join(this.root, key.slice(0, 2), key);
  }

  private tmp(): string {
    return path.join(this.root, `.tmp-${randomBytes(8).toString('hex')}`);
  }

  private async place(tmp: string, key: string): Promise<void> {
    const target = this.file(key);
    const dir = path.dirname(target);
    if (!this.dirs.has(dir)) {
      await mkdir(dir, { recursive: true, mode: 0o700 });
      this.dirs.add(dir);
    }
    await rename(tmp, target);
  }

  async putBytes(bytes: Uint8Array): Promise<{ key: string; sha256: string; size: number; created: boolean }> {
    const sha256 = createHash('sha256').update(bytes).digest('hex');
    // Content-addressed: a blob that exists already holds these bytes. statSync: a stat of a
    // cached inode costs microseconds, the promise API far more.
    const st = statSync(this.file(sha256), { throwIfNoEntry: false });
    const created = !st;
    if (created) {
      await mkdir(this.root, { recursive: true, mode: 0o700 });
      const tmp = this.tmp();
      await writeFile(tmp, bytes, { mode: 0o600 }); // documents and results: segl's user only (also without the umask)
      await this.place(tmp, sha256);
    } else if (Date.now() - st.mtimeMs > FRESH_MS) {
      // Reused: it counts as new for the orphan sweep's grace period (its row is not committed yet);
      // one written within the hour is young enough already (the grace is a day).
      const now = new Date();
      await utimes(this.file(sha256), now, now).catch(() => undefined);
    }
    return { key: sha256, sha256, size: bytes.byteLength, created };
  }

  async putStream(src: Readable, opts: { maxBytes: number; onChunk?: (chunk: Buffer) => void }): Promise<PendingBlob> {
    await mkdir(this.root, { recursive: true, mode: 0o700 });
    const tmpPath = this.tmp();
    const meter = new BlobMeter(opts);
    try {
      await pipeline(src, meter, createWriteStream(tmpPath, { flags: 'wx', mode: 0o600 }));
    } catch (e) {
      await rm(tmpPath, { force: true });
      throw e;
    }
    const { sha256, size } = meter.result();
    let settled = false;
    return {
      key: sha256,
      sha256,
      size,
      tmpPath,
      commit: async () => {
        if (settled) return;
        settled = true;
        await this.place(tmpPath, sha256);
      },
      discard: async () => {
        if (settled) return;
        settled = true;
        await rm(tmpPath, { force: true });
      },
    };
  }

  get(key: string, range?: ByteRange): Readable {
    return createReadStream(this.file(key), range ? { start: range.start, end: range.end } : {});
  }

  async stat(key: string): Promise<{ size: number } | null> {
    try {
      return { size: (await stat(this.file(key))).size };
    } catch {
      return null;
    }
  }

  async getBytes(key: string): Promise<Buffer> {
    return readFile(this.file(key));
  }

  async delete(key: string): Promise<void> {
    await rm(this.file(key), { force: true });
  }

  async *list(): AsyncIterable<StoredBlob> {
    const names = async (dir: string) => readdir(dir).catch(() => [] as string[]);
    for (const name of await names(this.root)) {
      const p = path.join(this.root, name);
      if (name.startsWith('.tmp-')) {
        const st = await stat(p).catch(() => null);
        if (st) yield { tmpPath: p, modified: st.mtime };
        continue;
      }
      if (!/^[0-9a-f]{2}$/.test(name)) continue;
      for (const key of await names(p)) {
        if (!/^[0-9a-f]{64}$/.test(key)) continue;
        const st = await stat(path.join(p, key)).catch(() => null);
        if (st) yield { key, modified: st.mtime };
      }
    }
  }

  async modified(key: string): Promise<Date | null> {
    try {
      return (await stat(this.file(key))).mtime;
    } catch {
      return null;
    }
  }

  async deleteTemporary(tmpPath: string): Promise<void> {
    if (path.dirname(tmpPath) !== this.root || !path.basename(tmpPath).startsWith('.tmp-')) throw new Error('not a temporary blob');
    await rm(tmpPath, { force: true });
  }
}

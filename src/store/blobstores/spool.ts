// The upload path shared by the remote stores (PostgreSQL, S3): the body is hashed and metered once,
// and each chunk goes both to a local spool file (the content checks read a file) and to the remote
// store, at the same time and with backpressure from both, so a 200 MB upload is never in memory
// and costs the slower of the two writes, not their sum.
import { randomBytes } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { mkdir, readdir, rm, stat } from 'node:fs/promises';
import path from 'node:path';
import { PassThrough, Writable, type Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { BlobMeter } from '../blobs';

/** What one spooled upload produced: the digest, the size, the local copy and what the remote side returned. */
export interface Spooled<T> {
  sha256: string;
  size: number;
  tmpPath: string;
  remote: T;
}

/** Writes each chunk to two streams and calls back when both took it (or drained). */
class Tee extends Writable {
  constructor(
    private readonly a: Writable,
    private readonly b: Writable,
    private readonly onAbort: (e: Error) => void,
  ) {
    super({ highWaterMark: 1 << 20 });
    // Their errors end the tee (and so the pipeline); the remote side's failure also arrives through its promise.
    a.on('error', (e) => this.destroy(e));
    b.on('error', () => undefined);
  }

  override _write(chunk: Buffer, _enc: BufferEncoding, done: (e?: Error | null) => void): void {
    if (this.a.destroyed || this.b.destroyed) {
      done(new Error('the upload was stopped'));
      return;
    }
    let waiting = 0;
    const one = () => {
      if (--waiting === 0) done();
    };
    for (const w of [this.a, this.b]) {
      if (!w.write(chunk)) {
        waiting++;
        w.once('drain', one);
      }
    }
    if (waiting === 0) done();
  }

  override _final(done: (e?: Error | null) => void): void {
    // the file is complete only when closed; the remote side is awaited by the caller
    this.a.once('close', () => done());
    this.a.once('error', done);
    this.a.end();
    this.b.end();
  }

  override _destroy(e: Error | null, done: (e?: Error | null) => void): void {
    // Also called after a clean finish (autoDestroy): then the remote side still reads what it was given.
    if (e) {
      this.onAbort(e);
      this.a.destroy();
      if (!this.b.destroyed) this.b.destroy(e);
    }
    done(e);
  }
}

/** A spool directory under DATA_DIR: temporary copies of uploads in flight. */
export class Spool {
  constructor(readonly dir: string) {}

  isSpoolFile(p: string): boolean {
    return path.dirname(p) === this.dir && path.basename(p).startsWith('.tmp-');
  }

  /**
   * Streams `src` through the meter into a spool file and into `send`'s body at once. When any side
   * fails (the client, the limit, the disk, the remote store) both are stopped, the spool file is
   * removed and `send` has aborted its upload; the remote error wins over the stream errors it caused.
   */
  async put<T>(
    src: Readable,
    opts: { maxBytes: number; onChunk?: (chunk: Buffer) => void },
    send: (body: Readable) => Promise<T>,
  ): Promise<Spooled<T>> {
    await mkdir(this.dir, { recursive: true, mode: 0o700 });
    const tmpPath = path.join(this.dir, `.tmp-${randomBytes(8).toString('hex')}`);
    const meter = new BlobMeter(opts);
    const body = new PassThrough({ highWaterMark: 1 << 20 });
    // The first failure is the cause: the limit or the client (then the remote upload is aborted
    // because of it), or the remote store (then the pipeline stops because of it).
    let first: unknown;
    const tee = new Tee(createWriteStream(tmpPath, { flags: 'wx', mode: 0o600 }), body, (e) => {
      first ??= e;
    });
    const sending = send(body).catch((e: unknown) => {
      first ??= e;
      tee.destroy(e as Error);
      throw e;
    });
    sending.catch(() => undefined); // awaited below; a rejection while the body still flows is not unhandled
    try {
      await pipeline(src, meter, tee);
      const remote = await sending;
      return { ...meter.result(), tmpPath, remote };
    } catch (e) {
      if (!body.destroyed) body.destroy(e as Error);
      await sending.catch(() => undefined);
      await rm(tmpPath, { force: true });
      throw first ?? e;
    }
  }

  /** Spool files older than `before` (a process killed mid-upload left them). */
  async *leftovers(): AsyncIterable<{ tmpPath: string; modified: Date }> {
    for (const name of await readdir(this.dir).catch(() => [] as string[])) {
      if (!name.startsWith('.tmp-')) continue;
      const p = path.join(this.dir, name);
      const st = await stat(p).catch(() => null);
      if (st) yield { tmpPath: p, modified: st.mtime };
    }
  }

  async remove(p: string): Promise<void> {
    if (!this.isSpoolFile(p)) throw new Error('not a spool file');
    await rm(p, { force: true });
  }
}

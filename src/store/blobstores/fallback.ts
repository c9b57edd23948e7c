// A store moving to another (SEGL_BLOBS_FALLBACK during `segl blobs migrate`): writes go to the new
// store, reads look there first and then in the old one, deletes and the orphan sweep reach both,
// so no blob disappears from view while it is being copied and none comes back after a delete.
import { PassThrough, type Readable } from 'node:stream';
import type { BlobStore, ByteRange, PendingBlob, StoredBlob } from '../blobs';

export class FallbackBlobStore implements BlobStore {
  readonly description: string;

  constructor(
    readonly primary: BlobStore,
    readonly fallback: BlobStore,
  ) {
    this.description = `${primary.description}, reading through to ${fallback.description}`;
  }

  /** The store holding `key`: the primary when it has it. */
  private async holder(key: string): Promise<BlobStore | null> {
    if (await this.primary.stat(key)) return this.primary;
    if (await this.fallback.stat(key)) return this.fallback;
    return null;
  }

  async ping(): Promise<void> {
    await this.primary.ping();
    await this.fallback.ping();
  }

  putBytes(bytes: Uint8Array): Promise<{ key: string; sha256: string; size: number; created?: boolean }> {
    return this.primary.putBytes(bytes);
  }

  putStream(src: Readable, opts: { maxBytes: number; onChunk?: (chunk: Buffer) => void }): Promise<PendingBlob> {
    return this.primary.putStream(src, opts);
  }

  get(key: string, range?: ByteRange): Readable {
    const out = new PassThrough({ highWaterMark: 1 << 20 });
    this.holder(key)
      .then((store) => {
        if (!store) throw new Error(`blob ${key} is missing`);
        const src = store.get(key, range);
        src.on('error', (e) => out.destroy(e));
        out.on('close', () => src.destroy());
        src.pipe(out);
      })
      .catch((e: unknown) => out.destroy(e as Error));
    return out;
  }

  async getBytes(key: string): Promise<Buffer> {
    return ((await this.holder(key)) ?? this.primary).getBytes(key);
  }

  async stat(key: string): Promise<{ size: number } | null> {
    return (await this.primary.stat(key)) ?? this.fallback.stat(key);
  }

  async modified(key: string): Promise<Date | null> {
    const [a, b] = await Promise.all([this.primary.modified(key), this.fallback.modified(key)]);
    return a && b ? (a > b ? a : b) : (a ?? b);
  }

  async delete(key: string): Promise<void> {
    await this.primary.delete(key);
    await this.fallback.delete(key);
  }

  async *list(): AsyncIterable<StoredBlob> {
    // The old store takes no writes any more: of its entries only blobs are swept, by key.
    for await (const b of this.primary.list()) yield b;
    for await (const b of this.fallback.list()) if (b.key !== undefined) yield b;
  }

  deleteTemporary(tmpPath: string): Promise<void> {
    return this.primary.deleteTemporary(tmpPath);
  }
}

// Filesystem blob store, content-addressed: blobs/<aa>/<sha256>. Written to a temporary file and
// renamed into place, so a reader never sees half a blob.
import { createHash, randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, rename, rm, writeFile, readFile } from 'node:fs/promises';
import path from 'node:path';
import type { BlobSink } from '../core/ports';

export class FsBlobStore implements BlobSink {
  private readonly dirs = new Set<string>();
  constructor(private readonly root: string) {}

  private file(key: string): string {
    if (!/^[0-9a-f]{64}$/.test(key)) throw new Error('bad blob key');
    return path.join(this.root, key.slice(0, 2), key);
  }

  async putBytes(bytes: Uint8Array): Promise<{ key: string; sha256: string; size: number }> {
    const sha256 = createHash('sha256').update(bytes).digest('hex');
    const target = this.file(sha256);
    const dir = path.dirname(target);
    if (!this.dirs.has(dir)) {
      await mkdir(dir, { recursive: true });
      this.dirs.add(dir);
    }
    // Content-addressed: a blob that exists already holds these bytes (one stat is far cheaper
    // than writing and renaming again).
    // (existsSync: a stat of a cached inode costs microseconds; the promise API costs far more.)
    if (!existsSync(target)) {
      const tmp = path.join(this.root, `.tmp-${randomBytes(8).toString('hex')}`);
      await writeFile(tmp, bytes);
      await rename(tmp, target);
    }
    return { key: sha256, sha256, size: bytes.byteLength };
  }

  async getBytes(key: string): Promise<Buffer> {
    return readFile(this.file(key));
  }

  async delete(key: string): Promise<void> {
    await rm(this.file(key), { force: true });
  }
}

// src/store/blobs.ts FsBlobStore: small blobs (up to 64 KiB) are written and read with the synchronous
// calls once their directory exists, larger ones through the promise API. Both must store the same
// content-addressed, owner-only files, and a directory removed under the store must not stop puts.
import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { FsBlobStore } from '../../src/store/blobs';

let root: string;
let store: FsBlobStore;
beforeEach(() => {
  root = path.join(mkdtempSync(path.join(os.tmpdir(), 'segl-fsblobs-')), 'blobs');
  store = new FsBlobStore(root);
});
afterEach(() => rmSync(path.dirname(root), { recursive: true, force: true }));

/** Bytes whose SHA-256 starts with `prefix` (so they land in the same directory as another blob). */
function bytesIn(prefix: string, size: number): Buffer {
  for (;;) {
    const b = randomBytes(size);
    if (createHash('sha256').update(b).digest('hex').startsWith(prefix)) return b;
  }
}

test.each([
  ['small', 1000],
  ['at the limit', 64 * 1024],
  ['large', 64 * 1024 + 1],
  ['1 MiB', 1 << 20],
])('%s: put twice (same key, created once), read back, mode 0600, no temporary file left', async (_n, size) => {
  const first = randomBytes(size);
  const a = await store.putBytes(first);
  expect(a).toMatchObject({ key: createHash('sha256').update(first).digest('hex'), size, created: true });
  // a second blob in the same directory takes the synchronous path when small
  const second = bytesIn(a.key.slice(0, 2), size);
  const b = await store.putBytes(second);
  expect(b.created).toBe(true);
  expect((await store.putBytes(second)).created).toBe(false);
  for (const [blob, bytes] of [
    [a, first],
    [b, second],
  ] as const) {
    expect((await store.getBytes(blob.key)).equals(bytes)).toBe(true);
    const file = path.join(root, blob.key.slice(0, 2), blob.key);
    expect(statSync(file).mode & 0o777).toBe(0o600);
  }
  expect(readdirSync(root).filter((n) => n.startsWith('.tmp-'))).toEqual([]);
});

test('a blob directory removed under the store: the next small put makes it again', async () => {
  const first = randomBytes(500);
  const a = await store.putBytes(first);
  rmSync(root, { recursive: true, force: true });
  const again = bytesIn(a.key.slice(0, 2), 500);
  const b = await store.putBytes(again);
  expect(b.created).toBe(true);
  expect((await store.getBytes(b.key)).equals(again)).toBe(true);
  expect(readdirSync(root).filter((n) => n.startsWith('.tmp-'))).toEqual([]);
});

test('a missing key: getBytes rejects with ENOENT, small or not', async () => {
  await store.putBytes(randomBytes(10));
  await expect(store.getBytes('0'.repeat(64))).rejects.toMatchObject({ code: 'ENOENT' });
  await expect(store.getBytes('not-a-key')).rejects.toThrow(/bad blob key/);
});

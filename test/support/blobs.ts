// The blob directory as the tests see it: every file a segl left under DATA_DIR/blobs.
import { readdirSync } from 'node:fs';
import path from 'node:path';

/** Every file under the blob directory, temporary ones included. */
export function blobFiles(dir: string): string[] {
  const root = path.join(dir, 'blobs');
  const out: string[] = [];
  const walk = (d: string) => {
    let names: string[] = [];
    try {
      names = readdirSync(d);
    } catch {
      return;
    }
    for (const n of names) {
      const p = path.join(d, n);
      if (/^[0-9a-f]{2}$/.test(n)) walk(p);
      else out.push(p);
    }
  };
  walk(root);
  return out.sort();
}

/**
 * The blob directory once no upload is in progress (no `.tmp-` file seen in two looks 100 ms apart,
 * within `timeoutMs`): a snapshot to compare with. An upload a client gave up on may still be read
 * and discarded by the server after the client has moved on; a temporary file that never goes is a
 * leak, and the snapshot then still shows it.
 */
export async function settledBlobFiles(dir: string, timeoutMs = 5000): Promise<string[]> {
  const deadline = Date.now() + timeoutMs;
  const busy = (files: string[]) => files.some((f) => path.basename(f).startsWith('.tmp-'));
  let quiet = 0;
  for (;;) {
    const files = blobFiles(dir);
    quiet = busy(files) ? 0 : quiet + 1;
    if (quiet >= 2 || Date.now() > deadline) return files;
    await new Promise((r) => setTimeout(r, 100));
  }
}

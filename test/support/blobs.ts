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

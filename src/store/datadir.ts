// DATA_DIR is segl's alone: the SQLite file holds service settings and subjects' data, blobs hold
// documents and signed results with CPR numbers, pki/ the test CA's (sealed) keys. Directories are
// 0700 and files 0600, for what segl writes now and for what an older version (or a restore from
// a backup) left readable to others.
//
// The robust part is the umask: SQLite's -wal/-shm files, redis-server's files, blobs, the PKI and
// the outbox are created by code that names no mode (or by a child process), so the process umask
// 0077 is what keeps each of them private. Existing entries are closed once per DATA_DIR (a marker
// file records it) so that a large blob store is not walked on every start.
import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, lstatSync, mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { Config } from '../config';

/** The marker written after existing entries were closed; delete it to have segl check again. */
export const MODES_MARKER = '.segl-modes-v1';

/** Sets the process umask so that everything created from now on is for this user only. */
export function privateUmask(): void {
  process.umask(0o077);
}

/** Creates DATA_DIR (0700) and closes the modes of what is already in it (once). */
export function secureDataDir(dir: string): void {
  privateUmask();
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  chmodSync(dir, 0o700);
  const marker = path.join(dir, MODES_MARKER);
  if (existsSync(marker)) return;
  closeModes(dir);
  writeFileSync(marker, 'segl closed the modes of this directory: directories 0700, files 0600\n', { mode: 0o600 });
}

/** Takes group and other permissions away below `root`; symbolic links are not followed (chmod would act on their target). */
function closeModes(root: string): void {
  const stack = [root];
  while (stack.length) {
    const p = stack.pop()!;
    const st = lstatSync(p, { throwIfNoEntry: false });
    if (!st || st.isSymbolicLink()) continue;
    if (st.isDirectory()) {
      if (st.mode & 0o077) chmodSync(p, 0o700);
      for (const name of readdirSync(p)) stack.push(path.join(p, name));
    } else if (st.isFile() && st.mode & 0o077) {
      chmodSync(p, st.mode & 0o700);
    }
  }
}

/** SEGL_SECRET, or in preprod one generated once and kept in DATA_DIR/secret (mode 0600). The CLI uses it too. */
export function ensureSecret(cfg: Pick<Config, 'secret' | 'dataDir'>): string {
  if (cfg.secret) return cfg.secret;
  const file = path.join(cfg.dataDir, 'secret');
  if (existsSync(file)) return readFileSync(file, 'utf8').trim();
  secureDataDir(cfg.dataDir);
  const secret = randomBytes(32).toString('base64url');
  writeFileSync(file, `${secret}\n`, { mode: 0o600 });
  return secret;
}

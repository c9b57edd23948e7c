// Blobs are shared by content: an SDS upload, the request documents that pinned it and archive
// copies may all name one blob. It is removed only when the last row naming it is gone, inside the
// transaction that removed that row. What slips through (a process killed between writing a blob
// and committing its row) the sweep finds: blobs no row names, older than a grace period.
import type { BlobStore } from './blobs';
import type { Sql, SqlDatabase } from './sql';

const REFERRERS: Array<[table: string, column: string]> = [
  ['sds_document', 'blob_key'],
  ['document', 'blob_key'],
  ['document', 'form_original_blob_key'],
  ['archive_document', 'blob_key'],
  ['task_document', 'result_blob_key'],
  ['packaging_task', 'result_blob_key'],
];

/** Keys per IN list: far below SQLite's and PostgreSQL's bound-parameter limits. */
export const IN_CHUNK = 500;

/** Splits a list into IN-list sized pieces. */
export function chunks<T>(list: readonly T[], size = IN_CHUNK): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < list.length; i += size) out.push(list.slice(i, i + size));
  return out;
}

/** The keys among `keys` that some row names. */
export async function blobsInUse(q: Sql, keys: readonly string[]): Promise<Set<string>> {
  const used = new Set<string>();
  for (const part of chunks([...new Set(keys)])) {
    for (const [table, column] of REFERRERS) {
      const rows = await q.all<{ k: string }>(
        `SELECT DISTINCT ${column} AS k FROM ${table} WHERE ${column} IN (${part.map(() => '?').join(', ')})`,
        part,
      );
      for (const r of rows) used.add(r.k);
    }
  }
  return used;
}

/** Deletes each blob that no row names any more. */
export async function dropUnusedBlobs(q: Sql, blobs: BlobStore, keys: Iterable<string>): Promise<void> {
  const list = [...new Set(keys)];
  if (!list.length) return;
  const used = await blobsInUse(q, list);
  for (const key of list) if (!used.has(key)) await blobs.delete(key);
}

/** How long an unreferenced blob or temporary file is left alone: its row may still be on the way. */
export const SWEEP_GRACE_MS = 24 * 3_600_000;

/**
 * The orphan sweep (hourly purge timer and `segl purge`): deletes blobs that no row names and
 * temporary upload files, each only when last written before `olderThan` (in-flight uploads and
 * requests whose transaction has not committed yet are younger). Returns how many files went.
 */
export async function sweepOrphanBlobs(db: SqlDatabase, blobs: BlobStore, olderThan: Date): Promise<number> {
  let removed = 0;
  let batch: string[] = [];
  const flush = async () => {
    const keys = batch;
    batch = [];
    if (!keys.length) return;
    // Checked and deleted in one transaction per batch, as dropUnusedBlobs does for a deleted row.
    removed += await db.tx(async (q) => {
      const used = await blobsInUse(q, keys);
      let n = 0;
      for (const key of keys) {
        if (used.has(key)) continue;
        // Written again since it was listed (a new upload of the same bytes): not an orphan yet.
        if (((await blobs.modified(key)) ?? olderThan) >= olderThan) continue;
        await blobs.delete(key);
        n++;
      }
      return n;
    });
  };
  for await (const b of blobs.list()) {
    if (b.modified >= olderThan) continue;
    if (b.tmpPath !== undefined) {
      await blobs.deleteTemporary(b.tmpPath);
      removed++;
      continue;
    }
    batch.push(b.key);
    if (batch.length >= IN_CHUNK) await flush();
  }
  await flush();
  return removed;
}

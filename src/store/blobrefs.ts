// Blobs are shared by content: an SDS upload, the request documents that pinned it and archive
// copies may all name one blob. It is removed only when the last row naming it is gone, inside the
// transaction that removed that row.
import type { BlobStore } from './blobs';
import type { Sql } from './sql';

const REFERRERS: Array<[table: string, column: string]> = [
  ['sds_document', 'blob_key'], ['document', 'blob_key'], ['archive_document', 'blob_key'], ['task_document', 'result_blob_key'],
];

export async function blobInUse(q: Sql, key: string): Promise<boolean> {
  for (const [table, column] of REFERRERS) {
    if ((await q.all(`SELECT 1 AS x FROM ${table} WHERE ${column} = ? LIMIT 1`, [key])).length) return true;
  }
  return false;
}

/** Deletes each blob that no row names any more. */
export async function dropUnusedBlobs(q: Sql, blobs: BlobStore, keys: Iterable<string>): Promise<void> {
  for (const key of new Set(keys)) if (!(await blobInUse(q, key))) await blobs.delete(key);
}

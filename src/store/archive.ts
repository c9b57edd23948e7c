// The archive: documents kept with no time limit and no metadata to search by (reference §7).
// Archive rows share blobs with SDS and request documents (store/blobrefs.ts).
import type { DataSource } from 'typeorm';
import type { ArchiveEntry } from '../core/ports';
import type { BlobStore } from './blobs';
import { chunks, dropUnusedBlobs } from './blobrefs';
import { sqlDatabase, type Sql, type SqlDatabase } from './sql';

const COLS = ['id', 'service_id', 'mime_type', 'size', 'sha256', 'blob_key', 'created_at', 'source_request_id', 'source_document_id'];

const toEntry = (r: Record<string, unknown>): ArchiveEntry => ({
  id: r.id as string,
  mimeType: r.mime_type as string,
  size: Number(r.size),
  sha256: r.sha256 as string,
  blobKey: r.blob_key as string,
});

export const archiveQueries = {
  async find(q: Sql, serviceId: number, ids: string[]): Promise<Map<string, ArchiveEntry>> {
    const rows: Array<Record<string, unknown>> = [];
    for (const part of chunks(ids))
      rows.push(
        ...(await q.all(`SELECT * FROM archive_document WHERE service_id = ? AND id IN (${part.map(() => '?').join(', ')})`, [
          serviceId,
          ...part,
        ])),
      );
    return new Map(rows.map((r) => [r.id as string, toEntry(r)]));
  },
  async insert(
    q: Sql,
    serviceId: number,
    rows: Array<ArchiveEntry & { createdAt: string; requestId?: string; documentId?: string }>,
  ): Promise<void> {
    for (const r of rows) {
      await q.run(`INSERT INTO archive_document (${COLS.join(', ')}) VALUES (${COLS.map(() => '?').join(', ')})`, [
        r.id,
        serviceId,
        r.mimeType,
        r.size,
        r.sha256,
        r.blobKey,
        r.createdAt,
        r.requestId,
        r.documentId,
      ]);
    }
  },
};

export class ArchiveRepository {
  private readonly db: SqlDatabase;
  constructor(
    ds: DataSource,
    private readonly blobs: BlobStore,
  ) {
    this.db = sqlDatabase(ds);
  }

  async get(serviceId: number, id: string): Promise<ArchiveEntry | null> {
    return (await this.db.tx((q) => archiveQueries.find(q, serviceId, [id]))).get(id) ?? null;
  }

  /** Removes the service's entries among `ids`; returns those that existed. Unknown ids are ignored. */
  async remove(serviceId: number, ids: string[]): Promise<string[]> {
    return this.db.tx(async (q) => {
      const found = await archiveQueries.find(q, serviceId, [...new Set(ids)]);
      for (const id of found.keys()) await q.run('DELETE FROM archive_document WHERE id = ?', [id]);
      await dropUnusedBlobs(
        q,
        this.blobs,
        [...found.values()].map((e) => e.blobKey),
      );
      return ids.filter((id, i) => found.has(id) && ids.indexOf(id) === i);
    });
  }
}

// Session Data Storage rows: which blob an SDS id names, for which service, until when.
import type { DataSource } from 'typeorm';
import type { BlobStore, PendingBlob } from './blobs';
import { chunks, dropUnusedBlobs, sweepOrphanBlobs, SWEEP_GRACE_MS } from './blobrefs';
import { sqlDatabase, type Sql, type SqlDatabase } from './sql';
import type { SdsPort, SdsRow } from '../core/sds';

type DbRow = Record<string, unknown>;
const toRow = (r: DbRow): SdsRow => ({
  id: r.id as string,
  serviceId: Number(r.service_id),
  mimeType: r.mime_type as string,
  size: Number(r.size),
  sha256: r.sha256 as string,
  blobKey: r.blob_key as string,
  createdAt: r.created_at as string,
  lastUsedAt: r.last_used_at as string,
  expiresAt: r.expires_at as string,
});

/** SDS queries usable inside any transaction (DocumentService uses them in createRequest). */
export const sdsQueries = {
  async find(q: Sql, serviceId: number, ids: string[]): Promise<Map<string, SdsRow>> {
    const rows: Array<Record<string, unknown>> = [];
    for (const part of chunks(ids))
      rows.push(
        ...(await q.all(`SELECT * FROM sds_document WHERE service_id = ? AND id IN (${part.map(() => '?').join(', ')})`, [
          serviceId,
          ...part,
        ])),
      );
    return new Map(rows.map((r) => [r.id as string, toRow(r)]));
  },
  async insert(q: Sql, r: Omit<SdsRow, 'lastUsedAt'> & { lastUsedAt?: string }): Promise<void> {
    await q.run(
      'INSERT INTO sds_document (id, service_id, mime_type, size, sha256, blob_key, created_at, last_used_at, expires_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)',
      [r.id, r.serviceId, r.mimeType, r.size, r.sha256, r.blobKey, r.createdAt, r.lastUsedAt ?? r.createdAt, r.expiresAt],
    );
  },
  /** A request used these documents: they live another TTL from now. */
  async touch(q: Sql, ids: string[], now: string, expiresAt: string): Promise<void> {
    for (const part of chunks(ids)) {
      await q.run(`UPDATE sds_document SET last_used_at = ?, expires_at = ? WHERE id IN (${part.map(() => '?').join(', ')})`, [
        now,
        expiresAt,
        ...part,
      ]);
    }
  },
};

/**
 * SDS entries and their blobs. A blob is put in place and removed inside the same transaction as
 * the row that references it (or the last one that did), so an upload and a delete of identical
 * bytes cannot interleave into a row without a file.
 */
export class SdsRepository implements SdsPort<PendingBlob> {
  private readonly db: SqlDatabase;
  constructor(
    ds: DataSource,
    private readonly blobs: BlobStore,
  ) {
    this.db = sqlDatabase(ds);
  }

  /** Records the entry and moves its checked upload into place, together. */
  async insert(r: SdsRow, upload: PendingBlob): Promise<void> {
    await this.db.tx(async (q) => {
      await sdsQueries.insert(q, r);
      await upload.commit();
    });
  }

  async get(serviceId: number, id: string): Promise<SdsRow | null> {
    return (await this.db.tx((q) => sdsQueries.find(q, serviceId, [id]))).get(id) ?? null;
  }

  private async remove(q: Sql, row: SdsRow): Promise<void> {
    await q.run('DELETE FROM sds_document WHERE id = ?', [row.id]);
    await dropUnusedBlobs(q, this.blobs, [row.blobKey]);
  }

  /** Deletes the entry, and its blob when no other row uses it. False when there was none. */
  async delete(serviceId: number, id: string): Promise<boolean> {
    return this.db.tx(async (q) => {
      const row = (await sdsQueries.find(q, serviceId, [id])).get(id);
      if (row) await this.remove(q, row);
      return !!row;
    });
  }

  /**
   * The orphan sweep: blobs no row names and temporary upload files, last written more than the
   * grace period (24 h) ago. Wall-clock time, since it is compared with file times.
   */
  async sweepOrphans(graceMs = SWEEP_GRACE_MS): Promise<number> {
    return sweepOrphanBlobs(this.db, this.blobs, new Date(Date.now() - graceMs));
  }

  /** Removes entries that expired before `now` (and blobs nothing references any more). */
  async purgeExpired(now: string, limit = 1000): Promise<number> {
    return this.db.tx(async (q) => {
      const rows = (await q.all('SELECT * FROM sds_document WHERE expires_at < ? ORDER BY expires_at LIMIT ?', [now, limit])).map(toRow);
      for (const r of rows) await this.remove(q, r);
      return rows.length;
    });
  }
}

// The preservation job's rows (docs/ltvsdo.md "Archive time-stamps and renewal"): archived LTV-SDOs and PAdES
// whose evidence is due (or not looked at yet), and the renewal written in ONE transaction — the row pointed at
// the new blob, its count, times and the previous version's SHA-256 — only if the row still names the version
// the renewal was made from (a second worker's run, or a replaced document, changes nothing and its blob goes).
import type { DataSource } from 'typeorm';
import type { BlobStore } from './blobs';
import { dropUnusedBlobs } from './blobrefs';
import { sqlDatabase, type SqlDatabase } from './sql';

export const PRESERVED_TYPES = ['application/x-ltv-sdo', 'application/x-pades', 'application/pdf'] as const;

export interface PreservationRow {
  id: string;
  serviceId: number;
  mimeType: string;
  blobKey: string;
  sha256: string;
  count: number;
  /** ISO time; undefined: not looked at yet */
  due?: string;
}

export interface PreservationCounts {
  renewals: number;
  preserved: number;
  due: number;
  failing: number;
}

export class PreservationRepository {
  private readonly db: SqlDatabase;
  constructor(
    ds: DataSource,
    private readonly blobs: BlobStore,
  ) {
    this.db = sqlDatabase(ds);
  }

  /** Archived LTV-SDOs and PDFs due at `now` (or never looked at), the most overdue first. */
  async due(now: Date, limit: number, types: readonly string[] = PRESERVED_TYPES): Promise<PreservationRow[]> {
    const rows = await this.db.tx((q) =>
      q.all<Record<string, unknown>>(
        `SELECT id, service_id, mime_type, blob_key, sha256, preservation_count, preservation_due FROM archive_document
          WHERE mime_type IN (${types.map(() => '?').join(', ')}) AND (preservation_due IS NULL OR preservation_due <= ?)
          ORDER BY preservation_due, id LIMIT ?`,
        [...types, now.toISOString(), limit],
      ),
    );
    return rows.map((r) => ({
      id: r.id as string,
      serviceId: Number(r.service_id),
      mimeType: r.mime_type as string,
      blobKey: r.blob_key as string,
      sha256: r.sha256 as string,
      count: Number(r.preservation_count),
      ...(r.preservation_due ? { due: r.preservation_due as string } : {}),
    }));
  }

  read(row: PreservationRow): Promise<Buffer> {
    return this.blobs.getBytes(row.blobKey);
  }

  /** When the row is due next, and why it was not renewed (undefined: clears the note). */
  async schedule(row: PreservationRow, due: Date, note?: string): Promise<void> {
    await this.db.tx((q) =>
      q.run('UPDATE archive_document SET preservation_due = ?, preservation_note = ? WHERE id = ? AND sha256 = ?', [
        due.toISOString(),
        note ?? null,
        row.id,
        row.sha256,
      ]),
    );
  }

  /**
   * The renewed version stored (a new blob) and the row moved onto it, if the row still names `row`'s version;
   * the previous blob goes when nothing else names it. Returns false (and drops the new blob) otherwise.
   */
  async renewed(row: PreservationRow, bytes: Uint8Array, now: Date, due: Date): Promise<boolean> {
    const blob = await this.blobs.putBytes(bytes);
    const done = await this.db.tx(async (q) => {
      const hit = await q.all(
        `UPDATE archive_document SET blob_key = ?, sha256 = ?, size = ?, previous_sha256 = sha256,
          preservation_count = preservation_count + 1, preserved_at = ?, preservation_due = ?, preservation_note = NULL
          WHERE id = ? AND sha256 = ? RETURNING id`,
        [blob.key, blob.sha256, blob.size, now.toISOString(), due.toISOString(), row.id, row.sha256],
      );
      if (!hit.length) return false;
      await dropUnusedBlobs(q, this.blobs, [row.blobKey]);
      return true;
    });
    if (!done) await this.db.tx((q) => dropUnusedBlobs(q, this.blobs, [blob.key]));
    return done;
  }

  /** For /metrics: renewals made, documents renewed at least once, due now, and those whose last attempt failed. */
  async counts(now: Date): Promise<PreservationCounts> {
    const [r] = await this.db.tx((q) =>
      q.all<Record<string, unknown>>(
        `SELECT COALESCE(SUM(preservation_count), 0) AS renewals,
            SUM(CASE WHEN preservation_count > 0 THEN 1 ELSE 0 END) AS preserved,
            SUM(CASE WHEN preservation_due IS NULL OR preservation_due <= ? THEN 1 ELSE 0 END) AS due,
            SUM(CASE WHEN preservation_note IS NOT NULL THEN 1 ELSE 0 END) AS failing
          FROM archive_document WHERE mime_type IN (?, ?, ?)`,
        [now.toISOString(), ...PRESERVED_TYPES],
      ),
    );
    const n = (k: string) => Number(r?.[k] ?? 0);
    return { renewals: n('renewals'), preserved: n('preserved'), due: n('due'), failing: n('failing') };
  }
}

// An archive on its own for preservation tests: a fresh database (SQLite, or a fresh PostgreSQL database), a
// filesystem blob store and one service, with a way to archive bytes as a row and read the row back.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { DataSource } from 'typeorm';
import { archiveQueries } from '../../src/store/archive';
import { AtRest } from '../../src/store/atrest';
import { FsBlobStore } from '../../src/store/blobs';
import { openDatabase } from '../../src/store/datasource';
import { ServiceRepository } from '../../src/store/services';
import { sqlDatabase } from '../../src/store/sql';
import { freshPgDatabase } from './server';

export interface ArchiveFixture {
  db: DataSource;
  blobs: FsBlobStore;
  serviceId: number;
  /** `bytes` archived as row `id` of the service, created at `createdAt` */
  archive(id: string, bytes: Uint8Array, mimeType: string, createdAt: Date): Promise<void>;
  /** the archive_document row as stored */
  row(id: string): Promise<Record<string, unknown>>;
  close(): Promise<void>;
}

export async function archiveFixture(kind: string): Promise<ArchiveFixture> {
  const dir = mkdtempSync(path.join(tmpdir(), 'segl-archive-'));
  const pg = kind === 'postgres' ? await freshPgDatabase() : undefined;
  const db = await openDatabase(pg ? { databaseUrl: pg.url, dataDir: dir } : { dataDir: dir });
  const blobs = new FsBlobStore(path.join(dir, 'blobs'));
  const services = new ServiceRepository(db, new AtRest('a-test-secret-of-enough-length-1234567890'));
  const serviceId = (await services.create('keeper', 'password-123')).id;
  return {
    db,
    blobs,
    serviceId,
    archive: async (id, bytes, mimeType, createdAt) => {
      const blob = await blobs.putBytes(bytes);
      const entry = { id, mimeType, size: blob.size, sha256: blob.sha256, blobKey: blob.key };
      await sqlDatabase(db).tx((q) => archiveQueries.insert(q, serviceId, [{ ...entry, createdAt: createdAt.toISOString() }]));
    },
    row: async (id) =>
      (await sqlDatabase(db).tx((q) => q.all<Record<string, unknown>>('SELECT * FROM archive_document WHERE id = ?', [id])))[0]!,
    close: async () => {
      await db.destroy();
      await pg?.drop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

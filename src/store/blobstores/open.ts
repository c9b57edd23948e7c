// SEGL_BLOBS → a BlobStore: the filesystem (default), PostgreSQL large objects or S3, with the store
// being migrated from behind it while SEGL_BLOBS_FALLBACK is set.
import path from 'node:path';
import type { BlobKind, BlobsConfig } from '../../config';
import { FsBlobStore, type BlobStore } from '../blobs';
import { FallbackBlobStore } from './fallback';
import { PgBlobStore } from './postgres';
import { S3BlobStore } from './s3';
import { Spool } from './spool';

/** One store of the configured kinds (`kind` defaults to SEGL_BLOBS); uploads to a remote one are spooled under DATA_DIR/spool. */
export function openBlobStore(b: BlobsConfig, dataDir: string, kind: BlobKind = b.kind): BlobStore {
  const spool = new Spool(path.join(dataDir, 'spool'));
  if (kind === 'postgres') {
    if (!b.databaseUrl) throw new Error('the postgres blob store needs SEGL_BLOBS_DATABASE_URL or a PostgreSQL DATABASE_URL');
    return new PgBlobStore(b.databaseUrl, spool);
  }
  if (kind === 's3') {
    if (!b.s3) throw new Error('the s3 blob store needs SEGL_S3_BUCKET');
    return new S3BlobStore(b.s3, spool);
  }
  return new FsBlobStore(b.dir);
}

/** The configured store: SEGL_BLOBS, reading through to SEGL_BLOBS_FALLBACK while that is set. */
export function configuredBlobStore(b: BlobsConfig, dataDir: string): BlobStore {
  const primary = openBlobStore(b, dataDir);
  return b.fallback ? new FallbackBlobStore(primary, openBlobStore(b, dataDir, b.fallback)) : primary;
}

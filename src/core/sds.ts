// Session Data Storage as a use case: an upload becomes a document with an id and a time to live taken from the
// injected clock (so the test clock reaches it), and a delete goes through the same door. The adapter (src/sds)
// checks credentials and content; the store keeps the row and commits the bytes in one transaction.
import { newSignicatId } from './ids';
import type { Clock } from './ports';

const DAY_MS = 86_400_000;

/** One SDS document as stored. Times are ISO 8601 UTC. */
export interface SdsRow {
  id: string;
  serviceId: number;
  mimeType: string;
  size: number;
  sha256: string;
  blobKey: string;
  createdAt: string;
  lastUsedAt: string;
  expiresAt: string;
}

/** Bytes received but not yet kept: committed with the row, or discarded. */
export interface StagedBytes {
  key: string;
  sha256: string;
  size: number;
}

/** What the SDS use cases need of the store. */
export interface SdsPort<U extends StagedBytes> {
  /** Inserts the row and commits the upload in one transaction. */
  insert(row: SdsRow, upload: U): Promise<void>;
  /** Deletes the service's document; false when there is none. */
  delete(serviceId: number, id: string): Promise<boolean>;
}

export class SdsUploads<U extends StagedBytes> {
  constructor(private readonly d: { store: SdsPort<U>; clock: Clock; ttlDays: number }) {}

  /** Keeps an upload whose content was checked: a new Signicat-style id, expiring after the configured days. */
  async add(serviceId: number, mimeType: string, upload: U): Promise<SdsRow> {
    const now = this.d.clock.now();
    const row: SdsRow = {
      id: newSignicatId(now),
      serviceId,
      mimeType,
      size: upload.size,
      sha256: upload.sha256,
      blobKey: upload.key,
      createdAt: now.toISOString(),
      lastUsedAt: now.toISOString(),
      expiresAt: new Date(now.getTime() + this.d.ttlDays * DAY_MS).toISOString(),
    };
    await this.d.store.insert(row, upload);
    return row;
  }

  remove(serviceId: number, id: string): Promise<boolean> {
    return this.d.store.delete(serviceId, id);
  }
}

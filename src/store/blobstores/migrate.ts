// `segl blobs migrate --to <kind>`: copies every blob the target lacks, streamed, each verified by
// its SHA-256 (the key) before it is committed there. Idempotent and resumable: a blob already in
// the target (same size) is skipped, so a run that stopped half-way simply runs again. Reads are
// never interrupted: the running segl keeps reading the old store until the operator switches
// SEGL_BLOBS, and then reads through to it (SEGL_BLOBS_FALLBACK) until the last run copied the rest.
import type { BlobStore } from '../blobs';

export interface MigrationReport {
  /** blobs written to the target by this run */
  copied: number;
  /** blobs the target had already */
  present: number;
  bytes: number;
  /** blobs that could not be copied: their bytes do not match their key, or a store failed */
  failed: Array<{ key: string; reason: string }>;
}

/** Copies what `from` holds and `to` lacks, `parallel` blobs at a time; `progress` after each blob. */
export async function migrateBlobs(
  from: BlobStore,
  to: BlobStore,
  opts: { parallel?: number; progress?: (r: MigrationReport) => void } = {},
): Promise<MigrationReport> {
  const report: MigrationReport = { copied: 0, present: 0, bytes: 0, failed: [] };
  const keys = from.list()[Symbol.asyncIterator]();
  const next = async (): Promise<string | undefined> => {
    for (;;) {
      const r = await keys.next();
      if (r.done) return undefined;
      if (r.value.key !== undefined) return r.value.key;
    }
  };
  // one listing shared by the workers: each takes the next key when it is free
  let listing = Promise.resolve<string | undefined>(undefined);
  const take = () => (listing = listing.then(next));
  const worker = async () => {
    for (let key = await take(); key !== undefined; key = await take()) {
      await copyOne(from, to, key, report);
      opts.progress?.(report);
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, opts.parallel ?? 4) }, worker));
  return report;
}

async function copyOne(from: BlobStore, to: BlobStore, key: string, report: MigrationReport): Promise<void> {
  try {
    const source = await from.stat(key);
    if (!source) return; // deleted since it was listed
    const there = await to.stat(key);
    if (there?.size === source.size) {
      report.present++;
      return;
    }
    const pending = await to.putStream(from.get(key), { maxBytes: Number.MAX_SAFE_INTEGER });
    if (pending.sha256 !== key) {
      await pending.discard();
      report.failed.push({ key, reason: `its bytes have SHA-256 ${pending.sha256} in ${from.description}: not copied` });
      return;
    }
    await pending.commit();
    report.copied++;
    report.bytes += pending.size;
  } catch (e) {
    report.failed.push({ key, reason: (e as Error).message });
  }
}

// `segl blobs …`: the blob store's commands (moving an installation from one store to another).
import type { Command } from 'commander';
import { BLOB_KINDS, blobKindProblem, type BlobKind, type Config } from '../config';
import { migrateBlobs } from '../store/blobstores/migrate';
import { openBlobStore } from '../store/blobstores/open';

/** `segl blobs migrate --to <kind>`: copies the blobs to another store while segl keeps serving them (docs/operations.md). */
export function blobsCommands(program: Command, config: () => Config): void {
  const blobs = program.command('blobs').description('the blob store: documents, results and uploads by content address');
  blobs
    .command('migrate')
    .description('copy every blob the target store lacks, verified by SHA-256; idempotent and resumable')
    .requiredOption('--to <kind>', `the target store: ${BLOB_KINDS.join(', ')} (its settings from the SEGL_BLOBS_*/SEGL_S3_* variables)`)
    .option('--parallel <n>', 'blobs copied at a time', '4')
    .action(async (o: { to: string; parallel: string }) => {
      const cfg = config();
      const to = o.to as BlobKind;
      if (!BLOB_KINDS.includes(to)) throw new Error(`--to: "${o.to}" is not one of ${BLOB_KINDS.join(', ')}`);
      const problem = blobKindProblem(cfg.blobs, to);
      if (problem) throw new Error(problem);
      const { kind, fallback } = cfg.blobs;
      if (to === kind && !fallback)
        throw new Error(`SEGL_BLOBS is ${kind} already: to move from another store, set SEGL_BLOBS_FALLBACK to it (docs/operations.md)`);
      // The source is what segl reads, less the target itself.
      const source =
        to === kind
          ? openBlobStore(cfg.blobs, cfg.dataDir, fallback)
          : to === fallback
            ? openBlobStore(cfg.blobs, cfg.dataDir)
            : (await import('../runtime')).blobStore(cfg);
      const target = openBlobStore(cfg.blobs, cfg.dataDir, to);
      await source.ping();
      await target.ping();
      process.stdout.write(`copying blobs from ${source.description} to ${target.description}\n`);
      let shown = Date.now();
      const r = await migrateBlobs(source, target, {
        parallel: Number(o.parallel) || 4,
        progress: (p) => {
          if (Date.now() - shown < 5000) return;
          shown = Date.now();
          process.stdout.write(
            `  ${p.copied} copied (${(p.bytes / 1048576).toFixed(1)} MB), ${p.present} already there, ${p.failed.length} failed\n`,
          );
        },
      });
      for (const f of r.failed) process.stderr.write(`segl: blob ${f.key}: ${f.reason}\n`);
      process.stdout.write(
        `copied ${r.copied} blob(s) (${(r.bytes / 1048576).toFixed(1)} MB); ${r.present} already in the target; ${r.failed.length} failed\n`,
      );
      process.exitCode = r.failed.length ? 1 : 0;
    });
}

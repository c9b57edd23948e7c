// `segl audit export SERVICE [--request ID]` and `segl audit verify FILE` (docs/audit.md): a service's
// tamper-evident history written out as one JSON file, and that file checked offline, with no database.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { Command } from 'commander';
import type { AnchorRow, ExportedEvent } from '../store/auditchain';
import { auditPath, compareLeaves } from '../util/hashchain';
import type { WithServices } from './packagingcli';

/** The export format of src/signing/auditverify.ts (EXPORT_FORMAT). */
const FORMAT = 'segl-audit-export/1';

/** An anchor as exported: all its leaves, or (one request) that request's leaves with their audit paths. */
function exportAnchor(a: AnchorRow, requestId: string | undefined) {
  const base = {
    id: a.id,
    day: a.day,
    cutoff: a.cutoff,
    leafCount: a.leafCount,
    root: a.root,
    token: a.token,
    certificates: a.certificates,
  };
  if (requestId === undefined) return { ...base, complete: true, leaves: a.leaves };
  const sorted = [...a.leaves].sort(compareLeaves);
  const hashes = sorted.map((l) => l.hash);
  const leaves = sorted.flatMap((l, index) => (l.requestId === requestId ? [{ ...l, index, path: auditPath(hashes, index) }] : []));
  return { ...base, complete: false, leaves };
}

/** The export of a service's history (one request's with `requestId`). */
export function auditExport(
  service: { id: number; name: string },
  events: ExportedEvent[],
  anchors: AnchorRow[],
  requestId: string | undefined,
  now: Date,
): object {
  const exported = anchors.map((a) => exportAnchor(a, requestId)).filter((a) => requestId === undefined || a.leaves.length);
  return {
    format: FORMAT,
    exportedAt: now.toISOString(),
    service,
    ...(requestId === undefined ? {} : { requestId }),
    events,
    anchors: exported,
  };
}

export function auditCommands(program: Command, withServices: WithServices, dataDir: () => string): void {
  const audit = program.command('audit').description("a service's tamper-evident history (docs/audit.md): export and offline verification");
  audit
    .command('export <service>')
    .description("write the service's history (events, chain and anchors) as JSON to stdout")
    .option('--request <id>', "only this request's events, with inclusion proofs into each anchor")
    .action(async (name: string, o: { request?: string }) => {
      const { AuditChainRepository } = await import('../store/auditchain');
      const out = await withServices(async (services, db) => {
        const svc = await services.find(name);
        if (!svc) throw new Error(`no service "${name}"`);
        const { events, anchors } = await new AuditChainRepository(db).export(svc.id, o.request);
        if (o.request !== undefined && !events.length) throw new Error(`service "${name}" has no request "${o.request}" with history`);
        return auditExport({ id: svc.id, name: svc.name }, events, anchors, o.request, new Date());
      });
      process.stdout.write(`${JSON.stringify(out, null, 1)}\n`);
    });
  audit
    .command('verify <file>')
    .description('verify an export offline: every chain, every anchor (Merkle root, RFC 3161 token); names what was changed')
    .option('--anchor <pem>', "trust anchor for the TSA's certificate (default: DATA_DIR/pki/root.pem)")
    .option('--json', 'the verdict as JSON')
    .action(async (file: string, o: { anchor?: string; json?: boolean }) => {
      const x509 = await import('@peculiar/x509');
      await import('../trust/crypto');
      const { verifyAuditExport, describeAudit } = await import('../signing/auditverify');
      let parsed: unknown;
      try {
        parsed = JSON.parse(readFileSync(file, 'utf8'));
      } catch (e) {
        throw new Error(`${file} is not a JSON audit export: ${(e as Error).message}`);
      }
      const pem = readFileSync(o.anchor ?? path.join(dataDir(), 'pki', 'root.pem'), 'utf8');
      const verdict = await verifyAuditExport(parsed as Parameters<typeof verifyAuditExport>[0], [new x509.X509Certificate(pem)]);
      process.stdout.write(o.json ? `${JSON.stringify(verdict, null, 1)}\n` : describeAudit(verdict));
      process.exitCode = verdict.ok ? 0 : 1;
    });
}

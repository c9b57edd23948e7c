// `segl audit verify` (docs/audit.md): an export of a service's history checked offline, with no
// database. Each anchor: its RFC 3161 token (signature, message imprint = SHA-256 of the anchor
// statement, the TSA's path to a trust anchor at genTime) and its Merkle root (recomputed from all its
// leaves, or each leaf's audit path). Each request's chain: every event's hash recomputed from its
// columns, every link, the numbering, the stored order, and every anchored leaf. What does not hold is
// named by request and seq: edited, deleted, reordered, inserted, or rewritten (re-hashed after an anchor).
import type * as x509 from '@peculiar/x509';
import { certificateFromDer } from '../trust/x509/cache';
import { openSignedData } from '../trust/cms/verify';
import { checkTimestampToken } from '../trust/tsp/token';
import { validatePath } from '../trust/x509/path';
import type { ExportedEvent } from '../store/auditchain';
import { anchorStatement, eventHash, GENESIS, merkleRoot, rootFromPath, type ChainedEvent } from '../util/hashchain';

export const EXPORT_FORMAT = 'segl-audit-export/1';

/** An event as exported: the columns its hash covers and its stored chain columns. */
export type ExportEvent = ExportedEvent;

export interface ExportLeaf {
  requestId: string;
  seq: number;
  hash: string;
  /** with an audit path (a one-request export): the leaf's index in the tree */
  index?: number;
  path?: string[];
}

export interface ExportAnchor {
  id: number;
  day: string;
  cutoff: string;
  leafCount: number;
  root: string;
  /** base64 DER RFC 3161 TimeStampToken over SHA-256(anchor statement) */
  token: string;
  /** base64 DER certificates that may lead from the TSA's to a trust anchor (untrusted) */
  certificates: string[];
  /** every leaf (complete) or those of the exported request, each with its audit path */
  complete: boolean;
  leaves: ExportLeaf[];
}

export interface AuditExport {
  format: string;
  exportedAt: string;
  service: { id: number; name: string };
  requestId?: string;
  events: ExportEvent[];
  anchors: ExportAnchor[];
}

export type ProblemKind = 'edited' | 'deleted' | 'reordered' | 'inserted' | 'rewritten' | 'anchor';
export interface Problem {
  kind: ProblemKind;
  requestId?: string;
  seq?: number;
  anchor?: number;
  message: string;
}

export interface AnchorResult {
  id: number;
  day: string;
  ok: boolean;
  genTime?: string;
  tsa?: string;
  message: string;
}

export interface RequestResult {
  requestId: string;
  events: number;
  head?: { seq: number; hash: string };
  /** the latest valid anchor covering this request, and the last seq it covers */
  anchoredThrough?: { seq: number; anchor: number; day: string };
}

export interface AuditVerdict {
  ok: boolean;
  service: string;
  anchors: AnchorResult[];
  requests: RequestResult[];
  problems: Problem[];
}

/** One anchor's token and root. */
async function checkAnchor(a: ExportAnchor, serviceId: number, trustAnchors: x509.X509Certificate[]): Promise<AnchorResult> {
  const fail = (message: string): AnchorResult => ({ id: a.id, day: a.day, ok: false, message });
  const token = new Uint8Array(Buffer.from(a.token, 'base64'));
  const statement = Buffer.from(anchorStatement({ serviceId, day: a.day, leafCount: a.leafCount, root: a.root }), 'utf8');
  let certs: x509.X509Certificate[];
  try {
    certs = openSignedData(token).certificates;
  } catch (e) {
    return fail(`the time-stamp token is unreadable: ${(e as Error).message}`);
  }
  let found: { cert: x509.X509Certificate; genTime: Date } | undefined;
  let why = 'the token carries no certificate';
  for (const cert of certs) {
    const r = await checkTimestampToken(token, statement, cert);
    if (r.ok) {
      found = { cert, genTime: r.genTime };
      break;
    }
    why = r.reason;
  }
  if (!found) return fail(`the time-stamp does not hold for this anchor: ${why}`);
  const more = (a.certificates ?? []).map((c) => certificateFromDer(new Uint8Array(Buffer.from(c, 'base64'))));
  const path = await validatePath(found.cert, { anchors: trustAnchors, intermediates: [...certs, ...more], at: found.genTime });
  if (!path.ok) return fail(`the TSA certificate ${found.cert.subject} does not lead to a trust anchor: ${path.message}`);
  if (a.complete) {
    if (a.leaves.length !== a.leafCount) return fail(`the anchor lists ${a.leaves.length} leaves, its statement ${a.leafCount}`);
    if (merkleRoot(a.leaves.map((l) => l.hash)) !== a.root) return fail('the Merkle root of the listed leaves is not the anchored root');
  } else {
    const bad = a.leaves.find((l) => l.index === undefined || rootFromPath(l.hash, l.index, a.leafCount, l.path ?? []) !== a.root);
    if (bad) return fail(`the inclusion proof of event (${bad.requestId}, ${bad.seq}) does not lead to the anchored root`);
  }
  const ok: AnchorResult = { id: a.id, day: a.day, ok: true, genTime: found.genTime.toISOString(), tsa: found.cert.subject, message: '' };
  ok.message = `anchor ${a.id} of ${a.day}: ${a.leafCount} event(s), time-stamped ${ok.genTime} by ${ok.tsa}`;
  return ok;
}

const fields = (e: ExportEvent, serviceId: number, seq: number, prevHash: string): ChainedEvent => ({ ...e, serviceId, seq, prevHash });

/** One request's chain against itself and against the anchored leaves. */
function checkChain(
  requestId: string,
  events: ExportEvent[],
  serviceId: number,
  anchored: Map<number, { hash: string; anchor: ExportAnchor }>,
  report: (p: Problem) => void,
): RequestResult {
  const named = new Set<number>();
  const problem = (kind: ProblemKind, seq: number, message: string) => {
    if (named.has(seq)) return;
    named.add(seq);
    report({ kind, requestId, seq, message: `(${requestId}, ${seq}) ${message}` });
  };
  for (const e of events.filter((x) => x.seq === null || x.hash === null || x.prevHash === null))
    report({
      kind: 'inserted',
      requestId,
      message: `event id ${e.id} (${e.type} at ${e.time}) has no place in the chain: written around it`,
    });
  const chained = events.filter((x) => x.seq !== null && x.hash !== null && x.prevHash !== null);
  // the stored order (getRequestHistory's, by id) must be the chain's
  let highest = 0;
  for (const e of chained) {
    if (e.seq! < highest) problem('reordered', e.seq!, `is stored after (${requestId}, ${highest}): the history's order was changed`);
    highest = Math.max(highest, e.seq!);
  }
  const bySeq = [...chained].sort((a, b) => a.seq! - b.seq! || a.id - b.id);
  const seqs = new Set<number>();
  let prev: ExportEvent | undefined;
  for (const e of bySeq) {
    const seq = e.seq!;
    if (seqs.has(seq)) {
      problem('inserted', seq, 'appears twice: an event was inserted');
      continue;
    }
    seqs.add(seq);
    const expected = (prev?.seq ?? 0) + 1;
    for (let missing = expected; missing < seq; missing++) problem('deleted', missing, 'is missing: the event was deleted');
    if (eventHash(fields(e, serviceId, seq, e.prevHash!)) !== e.hash) {
      // its own hash under another number: moved; another row's place fits its content: swapped
      const moved = bySeq.find((f) => f.seq !== seq && eventHash(fields(e, serviceId, f.seq!, e.prevHash!)) === e.hash);
      const swapped = bySeq.find((f) => f !== e && eventHash(fields(e, serviceId, f.seq!, f.prevHash!)) === f.hash);
      const from = moved ?? swapped;
      if (from) problem('reordered', seq, `holds the event recorded as seq ${from.seq}: events were reordered`);
      else problem('edited', seq, `does not match its hash: the event (${e.type} at ${e.time}) was edited`);
    } else if (expected === seq && e.prevHash !== (prev ? prev.hash : GENESIS)) {
      const skipped = bySeq.find((f) => f.hash === e.prevHash);
      if (prev && skipped && skipped.seq === seq - 2) problem('inserted', seq - 1, 'does not belong to the chain: an event was inserted');
      else problem('rewritten', seq, 'does not link to the event before it: the chain was rewritten');
    }
    prev = e;
  }
  // what an anchor vouched for must still be there, unchanged
  let anchoredThrough: RequestResult['anchoredThrough'];
  const bySeqMap = new Map(bySeq.map((e) => [e.seq!, e]));
  let rewritten = false; // after the first re-hashed event every later hash differs too: only the first is named
  for (const [seq, leaf] of [...anchored].sort((a, b) => a[0] - b[0])) {
    const e = bySeqMap.get(seq);
    if (!e) problem('deleted', seq, `was anchored on ${leaf.anchor.day} and is missing: the event was deleted`);
    else if (!rewritten && eventHash(fields(e, serviceId, seq, e.prevHash!)) !== leaf.hash) {
      rewritten = true;
      problem('rewritten', seq, `differs from anchor ${leaf.anchor.id} of ${leaf.anchor.day}: changed and the chain re-hashed after it`);
    }
    anchoredThrough = { seq, anchor: leaf.anchor.id, day: leaf.anchor.day };
  }
  const last = bySeq.at(-1);
  return {
    requestId,
    events: events.length,
    ...(last ? { head: { seq: last.seq!, hash: last.hash! } } : {}),
    ...(anchoredThrough ? { anchoredThrough } : {}),
  };
}

/** Verifies an export offline against the trust anchors (for the TSA's certificate). */
export async function verifyAuditExport(x: AuditExport, trustAnchors: x509.X509Certificate[]): Promise<AuditVerdict> {
  if (x.format !== EXPORT_FORMAT) throw new Error(`not a segl audit export (format "${String(x.format)}", expected ${EXPORT_FORMAT})`);
  const problems: Problem[] = [];
  const anchors: AnchorResult[] = [];
  const leaves = new Map<string, Map<number, { hash: string; anchor: ExportAnchor }>>();
  for (const a of x.anchors) {
    const r = await checkAnchor(a, x.service.id, trustAnchors);
    anchors.push(r);
    if (!r.ok) {
      problems.push({ kind: 'anchor', anchor: a.id, message: `anchor ${a.id} of ${a.day}: ${r.message}` });
      continue;
    }
    for (const l of a.leaves) {
      if (x.requestId !== undefined && l.requestId !== x.requestId) continue;
      const m = leaves.get(l.requestId) ?? new Map<number, { hash: string; anchor: ExportAnchor }>();
      m.set(l.seq, { hash: l.hash, anchor: a });
      leaves.set(l.requestId, m);
    }
  }
  const byRequest = new Map<string, ExportEvent[]>();
  for (const e of x.events) byRequest.set(e.requestId, [...(byRequest.get(e.requestId) ?? []), e]);
  for (const id of leaves.keys()) if (!byRequest.has(id)) byRequest.set(id, []);
  const requests = [...byRequest].map(([id, events]) =>
    checkChain(id, events, x.service.id, leaves.get(id) ?? new Map(), (p) => problems.push(p)),
  );
  return { ok: problems.length === 0, service: x.service.name, anchors, requests, problems };
}

/** The verdict as text for people (the JSON is `--json`). */
export function describeAudit(v: AuditVerdict): string {
  const lines = [`service ${v.service}: ${v.ok ? 'the history is complete and unchanged' : `${v.problems.length} problem(s) found`}`];
  for (const a of v.anchors) lines.push(`  ${a.ok ? 'ok  ' : 'FAIL'} ${a.message}`);
  for (const r of v.requests) {
    const a = r.anchoredThrough;
    const head = r.head ? `head seq ${r.head.seq} ${r.head.hash}` : 'no events';
    const since = v.problems.some((p) => p.requestId === r.requestId)
      ? '; NOT intact, see below'
      : a
        ? `; complete and unchanged since anchor ${a.anchor} of ${a.day} (through seq ${a.seq})${r.head && r.head.seq > a.seq ? `, seq ${a.seq + 1}–${r.head.seq} chained, not yet anchored` : ''}`
        : '; not yet anchored (chained only)';
    lines.push(`  request ${r.requestId}: ${r.events} event(s), ${head}${since}`);
  }
  for (const p of v.problems) lines.push(`  ${p.kind.toUpperCase()}: ${p.message}`);
  return lines.join('\n') + '\n';
}

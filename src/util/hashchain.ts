// The tamper-evident history's arithmetic (docs/audit.md), pure so that the writer (store/auditchain.ts),
// the migration that chains existing rows and the offline verifier (`segl audit verify`) share one
// definition:
//  - an event's hash: SHA-256 over the UTF-8 bytes of a JSON array in RFC 8785 (JCS) form;
//  - a day's anchor: an RFC 6962 Merkle tree over event hashes, its root bound to the service and the day
//    by the anchor statement, whose SHA-256 is the RFC 3161 message imprint.
import { createHash } from 'node:crypto';

/** The prev_hash of a request's first event. */
export const GENESIS = '0'.repeat(64);
export const EVENT_HASH_VERSION = 'segl-event/1';
export const ANCHOR_VERSION = 'segl-anchor/1';

/** What an event's hash covers, in this order. */
export interface ChainedEvent {
  serviceId: number;
  requestId: string;
  seq: number;
  taskId?: string | null;
  type: string;
  time: string;
  data?: string | null;
  deliveryId?: string | null;
  prevHash: string;
}

const sha256 = (b: Buffer | string): Buffer => createHash('sha256').update(b).digest();

/**
 * The canonical encoding of an event: a JSON array of strings, integers and nulls. For these types
 * ECMAScript's JSON.stringify writes exactly the RFC 8785 form (no whitespace, minimal escapes).
 */
export function eventEncoding(e: ChainedEvent): string {
  return JSON.stringify([
    EVENT_HASH_VERSION,
    e.serviceId,
    e.requestId,
    e.seq,
    e.taskId ?? null,
    e.type,
    e.time,
    e.data ?? null,
    e.deliveryId ?? null,
    e.prevHash,
  ]);
}

/** SHA-256 of the encoding, lower-case hex. */
export const eventHash = (e: ChainedEvent): string => sha256(Buffer.from(eventEncoding(e), 'utf8')).toString('hex');

/** One leaf of an anchor: an event's position and its hash. */
export interface Leaf {
  requestId: string;
  seq: number;
  hash: string;
}

/** The leaves' order: request id by UTF-8 bytes, then seq. */
export function compareLeaves(a: Leaf, b: Leaf): number {
  const c = Buffer.compare(Buffer.from(a.requestId, 'utf8'), Buffer.from(b.requestId, 'utf8'));
  return c || a.seq - b.seq;
}

const leafHash = (h: Buffer) => sha256(Buffer.concat([Buffer.from([0]), h]));
const nodeHash = (l: Buffer, r: Buffer) => sha256(Buffer.concat([Buffer.from([1]), l, r]));
/** RFC 6962 §2.1: the largest power of two smaller than n. */
const split = (n: number) => 2 ** Math.floor(Math.log2(n - 1));

function mth(leaves: Buffer[]): Buffer {
  if (leaves.length === 0) return sha256(Buffer.alloc(0));
  if (leaves.length === 1) return leafHash(leaves[0]!);
  const k = split(leaves.length);
  return nodeHash(mth(leaves.slice(0, k)), mth(leaves.slice(k)));
}

const bytes = (hex: string) => Buffer.from(hex, 'hex');

/** RFC 6962 Merkle Tree Hash over the event hashes (hex), in the order given. */
export const merkleRoot = (hashes: string[]): string => mth(hashes.map(bytes)).toString('hex');

/** RFC 6962 §2.1.1: the audit path of leaf `index`. */
export function auditPath(hashes: string[], index: number): string[] {
  const path = (m: number, d: Buffer[]): Buffer[] => {
    if (d.length <= 1) return [];
    const k = split(d.length);
    return m < k ? [...path(m, d.slice(0, k)), mth(d.slice(k))] : [...path(m - k, d.slice(k)), mth(d.slice(0, k))];
  };
  return path(index, hashes.map(bytes)).map((b) => b.toString('hex'));
}

/** RFC 9162 §2.1.3.2: the root an audit path leads to from leaf `index` of a tree of `size` leaves. */
export function rootFromPath(hash: string, index: number, size: number, path: string[]): string | undefined {
  if (index >= size) return undefined;
  let fn = index;
  let sn = size - 1;
  let r = leafHash(bytes(hash));
  for (const p of path) {
    if (sn === 0) return undefined;
    if (fn % 2 === 1 || fn === sn) {
      r = nodeHash(bytes(p), r);
      if (fn % 2 === 0) while (fn % 2 === 0 && fn !== 0) [fn, sn] = [fn >> 1, sn >> 1];
    } else r = nodeHash(r, bytes(p));
    [fn, sn] = [fn >> 1, sn >> 1];
  }
  return sn === 0 ? r.toString('hex') : undefined;
}

/** What an anchor's time-stamp covers. */
export interface AnchorFacts {
  serviceId: number;
  day: string;
  leafCount: number;
  root: string;
}

/** The statement whose SHA-256 is the time-stamp's message imprint (JCS, as eventEncoding). */
export const anchorStatement = (a: AnchorFacts): string => JSON.stringify([ANCHOR_VERSION, a.serviceId, a.day, a.leafCount, a.root]);

/** The message imprint of an anchor. */
export const anchorImprint = (a: AnchorFacts): Buffer => sha256(Buffer.from(anchorStatement(a), 'utf8'));

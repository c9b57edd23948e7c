// Byte-array helpers used across layers (the one definition of each).
import { timingSafeEqual } from 'node:crypto';

/** True when both arrays hold the same bytes (not constant-time: for public values such as hashes in a response). */
export function equalBytes(a: Uint8Array, b: Uint8Array): boolean {
  return a.byteLength === b.byteLength && a.every((v, i) => v === b[i]);
}

/** Constant-time comparison for secrets (tokens, MACs); false when the lengths differ. */
export function equalSecret(a: Uint8Array, b: Uint8Array): boolean {
  return a.byteLength === b.byteLength && timingSafeEqual(a, b);
}

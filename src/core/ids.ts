// Identifiers in Signicat's shape (reference §5): the creation date as DDMMYYYY followed by
// 49-50 characters of [0-9a-z], drawn from a cryptographically secure source.
import { randomBytes, randomInt, createHash } from 'node:crypto';

const ALPHABET = '0123456789abcdefghijklmnopqrstuvwxyz';

/** `count` characters of [0-9a-z], uniformly distributed (rejection sampling, no modulo bias). */
export function randomAlnum(count: number): string {
  let out = '';
  while (out.length < count) {
    for (const b of randomBytes(count * 2)) {
      if (b < 252) out += ALPHABET[b % 36]; // 252 = 7 * 36: keeps the distribution uniform
      if (out.length === count) break;
    }
  }
  return out;
}

function ddmmyyyy(now: Date): string {
  const dd = String(now.getUTCDate()).padStart(2, '0');
  const mm = String(now.getUTCMonth() + 1).padStart(2, '0');
  return `${dd}${mm}${now.getUTCFullYear()}`;
}

/** A request, SDS or archive id: DDMMYYYY + 49 or 50 random characters (57-58 in all). */
export function newSignicatId(now: Date): string {
  return ddmmyyyy(now) + randomAlnum(49 + randomInt(2));
}

export const SIGNICAT_ID = /^(0[1-9]|[12]\d|3[01])(0[1-9]|1[0-2])\d{4}[0-9a-z]{49,50}$/;

/** A single sign-on artifact: 32 random characters; only its hash is stored. */
export function newArtifact(): string {
  return randomAlnum(32);
}

export function hashArtifact(artifact: string): string {
  return createHash('sha256').update(artifact).digest('hex');
}

/** How long an artifact is valid (reference §2: 30 s). */
export const ARTIFACT_TTL_MS = 30_000;

/** The reference an internal error shows to the caller and writes to the log: 8 hex characters from a CSPRNG. */
export function newErrorReference(): string {
  return randomBytes(4).toString('hex');
}

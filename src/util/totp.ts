// One-time codes for a second factor: HOTP (RFC 4226) and TOTP (RFC 6238), the codes authenticator
// apps show, with the base32 (RFC 4648 §6) secrets and `otpauth://` URIs they read. segl's console uses
// SHA-1, 6 digits and 30-second steps (what every app supports), accepting one step either side for
// clock drift; the caller keeps the last step used so a code cannot be replayed
// (store/consoleaccounts.ts). Pure: the time is given, nothing is stored.
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

export type TotpAlgorithm = 'sha1' | 'sha256' | 'sha512';

export interface TotpOptions {
  /** seconds per step (RFC 6238 X); default 30 */
  step?: number;
  /** digits of a code; default 6 */
  digits?: number;
  algorithm?: TotpAlgorithm;
  /** steps accepted either side of the current one (clock drift); default 1 */
  window?: number;
}

const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';

/** RFC 4648 base32, upper case, without padding (what otpauth:// URIs carry). */
export function base32Encode(bytes: Buffer): string {
  let out = '';
  let bits = 0;
  let value = 0;
  for (const b of bytes) {
    value = (value << 8) | b;
    bits += 8;
    while (bits >= 5) {
      out += ALPHABET[(value >>> (bits - 5)) & 31];
      bits -= 5;
    }
    value &= (1 << bits) - 1;
  }
  if (bits > 0) out += ALPHABET[(value << (5 - bits)) & 31];
  return out;
}

/** base32 as people type it (any case, spaces and padding ignored); undefined when it is not base32. */
export function base32Decode(text: string): Buffer | undefined {
  const s = text.replace(/[\s=]/g, '').toUpperCase();
  const out: number[] = [];
  let bits = 0;
  let value = 0;
  for (const c of s) {
    const i = ALPHABET.indexOf(c);
    if (i < 0) return undefined;
    value = (value << 5) | i;
    bits += 5;
    if (bits >= 8) {
      out.push((value >>> (bits - 8)) & 255);
      bits -= 8;
    }
    value &= (1 << bits) - 1;
  }
  return Buffer.from(out);
}

/** A new secret: 20 random bytes (160 bits, RFC 4226 §4's recommended length for HMAC-SHA-1). */
export function newTotpSecret(): Buffer {
  return randomBytes(20);
}

/** RFC 4226 §5.3: HMAC over the 8-byte counter, dynamic truncation, `digits` decimal digits. */
export function hotp(key: Buffer, counter: number, digits = 6, algorithm: TotpAlgorithm = 'sha1'): string {
  const c = Buffer.alloc(8);
  c.writeBigUInt64BE(BigInt(counter));
  const h = createHmac(algorithm, key).update(c).digest();
  const o = h[h.length - 1]! & 0xf;
  const bin = ((h[o]! & 0x7f) << 24) | (h[o + 1]! << 16) | (h[o + 2]! << 8) | h[o + 3]!;
  return String(bin % 10 ** digits).padStart(digits, '0');
}

/** The step (RFC 6238 T) a moment falls in. */
export function totpStep(timeMs: number, step = 30): number {
  return Math.floor(timeMs / 1000 / step);
}

/** The code at `timeMs`. */
export function totp(key: Buffer, timeMs: number, o: TotpOptions = {}): string {
  return hotp(key, totpStep(timeMs, o.step ?? 30), o.digits ?? 6, o.algorithm ?? 'sha1');
}

/**
 * The step whose code `code` is, within `window` steps of `timeMs` and later than `after` (the last
 * step used: a code is good once); undefined when none matches. Compared in constant time.
 */
export function matchTotp(key: Buffer, code: string, timeMs: number, after = -1, o: TotpOptions = {}): number | undefined {
  const digits = o.digits ?? 6;
  const given = code.replace(/\s/g, '');
  if (!new RegExp(`^\\d{${digits}}$`).test(given)) return undefined;
  const now = totpStep(timeMs, o.step ?? 30);
  const w = o.window ?? 1;
  let found: number | undefined;
  for (let s = now - w; s <= now + w; s++) {
    const ok = timingSafeEqual(Buffer.from(hotp(key, s, digits, o.algorithm ?? 'sha1')), Buffer.from(given));
    if (ok && s > after && found === undefined) found = s;
  }
  return found;
}

/** The Key URI an authenticator app reads (issuer and account label, SHA-1, 6 digits, 30 s). */
export function otpauthUri(issuer: string, account: string, key: Buffer): string {
  const label = `${encodeURIComponent(issuer)}:${encodeURIComponent(account)}`;
  return `otpauth://totp/${label}?secret=${base32Encode(key)}&issuer=${encodeURIComponent(issuer)}&algorithm=SHA1&digits=6&period=30`;
}

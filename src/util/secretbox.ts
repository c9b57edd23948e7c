// Sealing small secrets at rest with AES-256-GCM (NIST SP 800-38D: 96-bit random IV, 128-bit tag),
// each bound by additional data to where it belongs (a PID, a user id, a key role …) so stored values
// cannot be swapped between rows or files. The one AES-GCM and scrypt helper of segl. Two ways to get the key:
//   - keyFromSecret(secret, purpose): HKDF-SHA256 (RFC 5869) of SEGL_SECRET, one key per purpose.
//     Cheap, so fit for values read on every request (CPR numbers, key-card codes).
//   - scrypt (RFC 7914, N=2^15, r=8, p=1, a random salt per value): sealWithPassphrase / openWithPassphrase,
//     and scryptKey + gcmSeal / gcmOpen for src/testca/store.ts's key files (their own JSON layout);
//     for private keys, which are read rarely and are worth the slow derivation.
import { createCipheriv, createDecipheriv, createHmac, hkdfSync, randomBytes, scrypt as scryptCb } from 'node:crypto';

const IV = 12;
const TAG = 16;
/** The scrypt cost every new value is sealed with. */
export const SCRYPT = { N: 1 << 15, r: 8, p: 1 } as const;
// 128·N·r = 32 MiB is exactly Node's default limit, which it refuses; leave room.
const SCRYPT_MAXMEM = 64 * 1024 * 1024;

/** scrypt cost parameters (RFC 7914 §2). */
export interface ScryptParams {
  N: number;
  r: number;
  p: number;
}

/** A 32-byte key for `purpose`, derived from the operator's secret (HKDF-SHA256, fixed salt). */
export function keyFromSecret(secret: string, purpose: string): Buffer {
  if (!secret) throw new Error('segl: cannot derive a key: the secret (SEGL_SECRET) is empty');
  return Buffer.from(hkdfSync('sha256', Buffer.from(secret, 'utf8'), Buffer.from('segl-hkdf-salt-v1'), Buffer.from(purpose, 'utf8'), 32));
}

/** A 32-byte key from `secret` and `salt` by scrypt (RFC 7914). */
export function scryptKey(secret: string, salt: Buffer, params: ScryptParams = SCRYPT): Promise<Buffer> {
  return new Promise((resolve, reject) =>
    scryptCb(secret, salt, 32, { ...params, maxmem: SCRYPT_MAXMEM }, (err, key) => (err ? reject(err) : resolve(key))),
  );
}

/** AES-256-GCM encryption under a fresh random 96-bit IV. */
export function gcmSeal(key: Buffer, plaintext: Buffer | string, aad: Buffer): { iv: Buffer; ciphertext: Buffer; tag: Buffer } {
  const iv = randomBytes(IV);
  const c = createCipheriv('aes-256-gcm', key, iv);
  c.setAAD(aad);
  const ciphertext = Buffer.concat([typeof plaintext === 'string' ? c.update(plaintext, 'utf8') : c.update(plaintext), c.final()]);
  return { iv, ciphertext, tag: c.getAuthTag() };
}

/** AES-256-GCM decryption; undefined when the key, the additional data or the bytes are wrong. */
export function gcmOpen(key: Buffer, iv: Buffer, ciphertext: Buffer, tag: Buffer, aad: Buffer): Buffer | undefined {
  try {
    const d = createDecipheriv('aes-256-gcm', key, iv);
    d.setAAD(aad);
    d.setAuthTag(tag);
    return Buffer.concat([d.update(ciphertext), d.final()]);
  } catch {
    return undefined;
  }
}

/** AES-256-GCM: `v1.` + base64url(iv ‖ ciphertext ‖ tag). */
export function seal(key: Buffer, plaintext: string, aad: string): string {
  const { iv, ciphertext, tag } = gcmSeal(key, plaintext, Buffer.from(aad, 'utf8'));
  return `v1.${Buffer.concat([iv, ciphertext, tag]).toString('base64url')}`;
}

/** The plaintext of `sealed`, or undefined when the key, the additional data or the bytes are wrong. */
export function open(key: Buffer, sealed: string, aad: string): string | undefined {
  if (!sealed.startsWith('v1.')) return undefined;
  const raw = Buffer.from(sealed.slice(3), 'base64url');
  if (raw.length < IV + TAG) return undefined;
  const plain = gcmOpen(
    key,
    raw.subarray(0, IV),
    raw.subarray(IV, raw.length - TAG),
    raw.subarray(raw.length - TAG),
    Buffer.from(aad, 'utf8'),
  );
  return plain?.toString('utf8');
}

/** HMAC-SHA256, hex: a value that can be looked up (an index) without storing the value itself. */
export function mac(key: Buffer, value: string): string {
  return createHmac('sha256', key).update(value, 'utf8').digest('hex');
}

/** `scrypt.` + base64url(salt) + `.` + seal(): slow key derivation, a fresh salt per value. */
export async function sealWithPassphrase(secret: string, plaintext: string, aad: string): Promise<string> {
  if (!secret) throw new Error('segl: cannot seal: the secret (SEGL_SECRET) is empty');
  const salt = randomBytes(16);
  return `scrypt.${salt.toString('base64url')}.${seal(await scryptKey(secret, salt), plaintext, aad)}`;
}

export async function openWithPassphrase(secret: string, sealed: string, aad: string): Promise<string | undefined> {
  const m = /^scrypt\.([\w-]+)\.(v1\..+)$/.exec(sealed);
  if (!m) return undefined;
  return open(await scryptKey(secret, Buffer.from(m[1]!, 'base64url')), m[2]!, aad);
}

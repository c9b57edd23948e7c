// Sealing small secrets at rest with AES-256-GCM (NIST SP 800-38D: 96-bit random IV, 128-bit tag),
// each bound by additional data to where it belongs (a PID, a user id …) so stored values cannot be
// swapped between rows. Two ways to get the key:
//   - keyFromSecret(secret, purpose): HKDF-SHA256 (RFC 5869) of SEGL_SECRET, one key per purpose.
//     Cheap, so fit for values read on every request (CPR numbers, key-card codes).
//   - sealWithPassphrase / openWithPassphrase: scrypt (RFC 7914, N=2^15, r=8, p=1, a random salt per
//     value), the scheme src/trust/pkistore.ts uses for the test PKI keys; for private keys, which
//     are read rarely and are worth the slow derivation.
import { createCipheriv, createDecipheriv, createHmac, hkdfSync, randomBytes, scrypt as scryptCb } from 'node:crypto';

const IV = 12;
const TAG = 16;
const SCRYPT = { N: 1 << 15, r: 8, p: 1 } as const;
const SCRYPT_MAXMEM = 64 * 1024 * 1024;

/** A 32-byte key for `purpose`, derived from the operator's secret (HKDF-SHA256, fixed salt). */
export function keyFromSecret(secret: string, purpose: string): Buffer {
  if (!secret) throw new Error('segl: cannot derive a key: the secret (SEGL_SECRET) is empty');
  return Buffer.from(hkdfSync('sha256', Buffer.from(secret, 'utf8'), Buffer.from('segl-hkdf-salt-v1'), Buffer.from(purpose, 'utf8'), 32));
}

/** AES-256-GCM: `v1.` + base64url(iv ‖ ciphertext ‖ tag). */
export function seal(key: Buffer, plaintext: string, aad: string): string {
  const iv = randomBytes(IV);
  const c = createCipheriv('aes-256-gcm', key, iv);
  c.setAAD(Buffer.from(aad, 'utf8'));
  const ct = Buffer.concat([c.update(plaintext, 'utf8'), c.final()]);
  return `v1.${Buffer.concat([iv, ct, c.getAuthTag()]).toString('base64url')}`;
}

/** The plaintext of `sealed`, or undefined when the key, the additional data or the bytes are wrong. */
export function open(key: Buffer, sealed: string, aad: string): string | undefined {
  if (!sealed.startsWith('v1.')) return undefined;
  const raw = Buffer.from(sealed.slice(3), 'base64url');
  if (raw.length < IV + TAG) return undefined;
  try {
    const d = createDecipheriv('aes-256-gcm', key, raw.subarray(0, IV));
    d.setAAD(Buffer.from(aad, 'utf8'));
    d.setAuthTag(raw.subarray(raw.length - TAG));
    return Buffer.concat([d.update(raw.subarray(IV, raw.length - TAG)), d.final()]).toString('utf8');
  } catch {
    return undefined;
  }
}

/** HMAC-SHA256, hex: a value that can be looked up (an index) without storing the value itself. */
export function mac(key: Buffer, value: string): string {
  return createHmac('sha256', key).update(value, 'utf8').digest('hex');
}

function scrypt(secret: string, salt: Buffer): Promise<Buffer> {
  return new Promise((resolve, reject) =>
    scryptCb(secret, salt, 32, { ...SCRYPT, maxmem: SCRYPT_MAXMEM }, (err, key) => (err ? reject(err) : resolve(key))));
}

/** `scrypt.` + base64url(salt) + `.` + seal(): slow key derivation, a fresh salt per value. */
export async function sealWithPassphrase(secret: string, plaintext: string, aad: string): Promise<string> {
  if (!secret) throw new Error('segl: cannot seal: the secret (SEGL_SECRET) is empty');
  const salt = randomBytes(16);
  return `scrypt.${salt.toString('base64url')}.${seal(await scrypt(secret, salt), plaintext, aad)}`;
}

export async function openWithPassphrase(secret: string, sealed: string, aad: string): Promise<string | undefined> {
  const m = /^scrypt\.([\w-]+)\.(v1\..+)$/.exec(sealed);
  if (!m) return undefined;
  return open(await scrypt(secret, Buffer.from(m[1]!, 'base64url')), m[2]!, aad);
}

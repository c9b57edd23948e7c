// Keeps the test PKI in DATA_DIR/pki so segl presents the same hierarchy on every start: signed
// documents, trust stores that imported root.pem, and cached OCSP answers all stay valid.
//
// Layout (one directory, created whole by rename so a crash never leaves half a PKI):
//   pki.json               manifest: format, name, URLs the certificates point at, creation time
//   <role>.pem             certificate (0644)           role = root | personca | seal | ocsp | tsa
//   <role>.key.json        encrypted PKCS#8 key (0600)
//
// Keys: the PKCS#8 PEM is sealed with AES-256-GCM (NIST SP 800-38D; 96-bit random IV, 128-bit tag,
// the role as additional data so key files cannot be swapped) under a key derived with scrypt
// (RFC 7914; N=2^15, r=8, p=1, a random salt per file). scrypt rather than HKDF because the secret
// is operator-chosen text, not uniformly random key material, so the derivation must be slow.
import { crypto, type CryptoKey } from './crypto';
import { createTestPki, toPem, type Issuer, type PkiUrls, type TestPki } from './pki';
import * as x509 from '@peculiar/x509';
import { createCipheriv, createDecipheriv, randomBytes, scrypt as scryptCb, type ScryptOptions } from 'node:crypto';
import { promises as fs } from 'node:fs';
import * as path from 'node:path';

const FORMAT = 'segl-test-pki';
const KEY_FORMAT = 'segl-encrypted-pkcs8';
const VERSION = 1;
const ROLES = { root: 'root', personCa: 'personca', seal: 'seal', ocsp: 'ocsp', tsa: 'tsa' } as const;
type Role = keyof typeof ROLES;

const SCRYPT = { N: 1 << 15, r: 8, p: 1 } as const;
// 128·N·r = 32 MiB is exactly Node's default limit, which it refuses; leave room.
const SCRYPT_MAXMEM = 64 * 1024 * 1024;
const RSA_IMPORT = { name: 'RSASSA-PKCS1-v1_5', hash: 'SHA-256' } as const;

/** Manifest written last into the directory; its presence marks a complete PKI. */
interface Manifest {
  format: typeof FORMAT;
  version: number;
  name: string;
  urls: PkiUrls;
  createdAt: string;
}

/** An encrypted key file (see the top of this file). */
interface SealedKey {
  format: typeof KEY_FORMAT;
  version: number;
  kdf: { name: 'scrypt'; N: number; r: number; p: number; salt: string };
  cipher: 'aes-256-gcm';
  iv: string;
  tag: string;
  ciphertext: string;
}

function scrypt(secret: string, salt: Buffer, params: ScryptOptions): Promise<Buffer> {
  return new Promise((resolve, reject) =>
    scryptCb(secret, salt, 32, { ...params, maxmem: SCRYPT_MAXMEM }, (err, key) => (err ? reject(err) : resolve(key))));
}

function additionalData(role: Role): Buffer {
  return Buffer.from(`${KEY_FORMAT}:v${VERSION}:${ROLES[role]}`);
}

function requireSecret(secret: string): void {
  if (typeof secret !== 'string' || secret.length === 0) throw new Error('segl test PKI: the secret is empty');
}

/** Encrypts a private key's PKCS#8 PEM for `role` (see the top of this file for the scheme). */
async function sealKey(key: CryptoKey, role: Role, secret: string): Promise<SealedKey> {
  const pem = toPem(await crypto.subtle.exportKey('pkcs8', key), 'PRIVATE KEY');
  const salt = randomBytes(16);
  const iv = randomBytes(12);
  const aesKey = await scrypt(secret, salt, SCRYPT);
  const cipher = createCipheriv('aes-256-gcm', aesKey, iv);
  cipher.setAAD(additionalData(role));
  const ciphertext = Buffer.concat([cipher.update(pem, 'utf8'), cipher.final()]);
  return {
    format: KEY_FORMAT, version: VERSION,
    kdf: { name: 'scrypt', ...SCRYPT, salt: salt.toString('base64') },
    cipher: 'aes-256-gcm', iv: iv.toString('base64'), tag: cipher.getAuthTag().toString('base64'),
    ciphertext: ciphertext.toString('base64'),
  };
}

/** Decrypts a key file; a wrong secret fails GCM authentication and says so. */
async function openKey(sealed: SealedKey, role: Role, secret: string, file: string): Promise<CryptoKey> {
  if (sealed.format !== KEY_FORMAT || sealed.version !== VERSION || sealed.cipher !== 'aes-256-gcm' || sealed.kdf?.name !== 'scrypt') {
    throw new Error(`segl test PKI: ${file} is not a version ${VERSION} ${KEY_FORMAT} file`);
  }
  const { N, r, p, salt } = sealed.kdf;
  const aesKey = await scrypt(secret, Buffer.from(salt, 'base64'), { N, r, p });
  const decipher = createDecipheriv('aes-256-gcm', aesKey, Buffer.from(sealed.iv, 'base64'));
  decipher.setAAD(additionalData(role));
  decipher.setAuthTag(Buffer.from(sealed.tag, 'base64'));
  let pem: string;
  try {
    pem = Buffer.concat([decipher.update(Buffer.from(sealed.ciphertext, 'base64')), decipher.final()]).toString('utf8');
  } catch {
    throw new Error(
      `segl test PKI: cannot decrypt ${file}: wrong secret (is SEGL_SECRET the one the PKI was created with?) or the file is damaged`);
  }
  return crypto.subtle.importKey('pkcs8', x509.PemConverter.decodeFirst(pem), RSA_IMPORT, true, ['sign']);
}

/** Signs a probe with the private key and checks it against the certificate: catches swapped or stale files. */
async function assertKeyMatches(issuer: Issuer, file: string): Promise<void> {
  const probe = randomBytes(32);
  const sig = await crypto.subtle.sign(RSA_IMPORT, issuer.keys.privateKey, probe);
  if (!(await crypto.subtle.verify(RSA_IMPORT, issuer.keys.publicKey, sig, probe))) {
    throw new Error(`segl test PKI: the key in ${file} does not belong to its certificate`);
  }
}

async function writeFile(file: string, data: string, mode: number): Promise<void> {
  await fs.writeFile(file, data, { mode, flag: 'wx' });
  await fs.chmod(file, mode); // exact whatever the umask; all 0600: DATA_DIR is segl's alone (certificates are public at /pki/*.pem)
}

/**
 * Writes `pki` into a new directory `dir` (which must not exist or be empty). Files go into a sibling
 * temporary directory that is then renamed, so readers see all of it or none of it.
 */
export async function saveTestPki(dir: string, pki: TestPki, secret: string, urls: PkiUrls, name = 'segl test'): Promise<void> {
  requireSecret(secret);
  const parent = path.dirname(path.resolve(dir));
  await fs.mkdir(parent, { recursive: true });
  const tmp = await fs.mkdtemp(path.join(parent, `.${path.basename(dir)}.tmp-`));
  try {
    await fs.chmod(tmp, 0o700);
    for (const role of Object.keys(ROLES) as Role[]) {
      const { certificate, keys } = pki[role];
      await writeFile(path.join(tmp, `${ROLES[role]}.pem`), certificate.toString('pem') + '\n', 0o600);
      const sealed = await sealKey(keys.privateKey, role, secret);
      await writeFile(path.join(tmp, `${ROLES[role]}.key.json`), JSON.stringify(sealed, null, 2) + '\n', 0o600);
    }
    const manifest: Manifest = { format: FORMAT, version: VERSION, name, urls, createdAt: new Date().toISOString() };
    await writeFile(path.join(tmp, 'pki.json'), JSON.stringify(manifest, null, 2) + '\n', 0o600);
    await fs.rename(tmp, dir); // rename(2) replaces an empty directory, fails on a non-empty one
  } catch (err) {
    await fs.rm(tmp, { recursive: true, force: true });
    throw err;
  }
}

/** Reads the manifest, or null when `dir` is absent or empty (nothing created yet). */
async function readManifest(dir: string): Promise<Manifest | null> {
  let entries: string[];
  try {
    entries = await fs.readdir(dir);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw err;
  }
  if (entries.length === 0) return null;
  if (!entries.includes('pki.json')) {
    throw new Error(`segl test PKI: ${dir} is not empty but has no pki.json; refusing to overwrite it`);
  }
  const manifest = JSON.parse(await fs.readFile(path.join(dir, 'pki.json'), 'utf8')) as Manifest;
  if (manifest.format !== FORMAT || manifest.version !== VERSION) {
    throw new Error(`segl test PKI: ${dir}/pki.json is not a version ${VERSION} ${FORMAT} manifest`);
  }
  return manifest;
}

/** Loads a PKI written by saveTestPki; checks each key against its certificate and each certificate's signature. */
export async function loadTestPki(dir: string, secret: string): Promise<TestPki & { urls: PkiUrls; name: string }> {
  requireSecret(secret);
  const manifest = await readManifest(dir);
  if (!manifest) throw new Error(`segl test PKI: nothing in ${dir}`);
  const out: Partial<TestPki> = {};
  for (const role of Object.keys(ROLES) as Role[]) {
    const certificate = new x509.X509Certificate(await fs.readFile(path.join(dir, `${ROLES[role]}.pem`), 'utf8'));
    const keyFile = path.join(dir, `${ROLES[role]}.key.json`);
    const sealed = JSON.parse(await fs.readFile(keyFile, 'utf8')) as SealedKey;
    const privateKey = await openKey(sealed, role, secret, keyFile);
    const publicKey = (await certificate.publicKey.export(RSA_IMPORT as never, ['verify'] as never)) as unknown as CryptoKey;
    const issuer: Issuer = { certificate, keys: { privateKey, publicKey } };
    await assertKeyMatches(issuer, keyFile);
    out[role] = issuer;
  }
  const pki = out as TestPki;
  // Root self-signed, everything else by the person CA (as createTestPki builds it).
  for (const [role, by] of [['root', 'root'], ['personCa', 'root'], ['seal', 'personCa'], ['ocsp', 'personCa'], ['tsa', 'personCa']] as const) {
    const ok = await pki[role].certificate.verify({ publicKey: pki[by].certificate.publicKey, signatureOnly: true });
    if (!ok) throw new Error(`segl test PKI: ${ROLES[role]}.pem is not signed by ${ROLES[by]}.pem`);
  }
  return { ...pki, urls: manifest.urls, name: manifest.name };
}

/**
 * Returns the PKI kept in `dir`, creating it on first use. Concurrent first starts are safe: the
 * loser of the directory rename loads the winner's PKI. URLs are fixed at creation; if PUBLIC_URL
 * changes, the stored certificates keep pointing at the old ones (compare the returned `urls`;
 * delete the directory to issue a new hierarchy).
 */
export async function loadOrCreateTestPki(
  dir: string,
  secret: string,
  urls: PkiUrls,
  opts: { name?: string; now?: Date } = {},
): Promise<TestPki & { urls: PkiUrls; name: string }> {
  requireSecret(secret);
  if (await readManifest(dir)) return loadTestPki(dir, secret);
  const name = opts.name ?? 'segl test';
  const pki = await createTestPki({ name, urls, now: opts.now });
  try {
    await saveTestPki(dir, pki, secret, urls, name);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code !== 'ENOTEMPTY' && code !== 'EEXIST') throw err;
    return loadTestPki(dir, secret); // another process created it first
  }
  return { ...pki, urls, name };
}

// Keeps the test PKI in DATA_DIR/pki so segl presents the same hierarchy on every start: signed
// documents, trust stores that imported root.pem, and cached OCSP answers all stay valid.
//
// Layout (one directory, created whole by rename so a crash never leaves half a PKI):
//   pki.json               manifest: format, version, name, URLs the certificates point at, creation time
//   <role>.pem             certificate (0644)   role = root | personca | ocsp | serviceca | serviceocsp | seal | tsa
//   <role>.key.json        encrypted PKCS#8 key (0600)
//   retired/<role>-<serial>.pem   certificates segl no longer signs with (their keys are gone)
//   rolled/<role>-<n>.pem, .key.json  TSA and OCSP responder certificates issued by key rollover (rollover.ts)
//
// Version 1 (before the service CA) had root, personca, ocsp, seal and tsa, with the seal and the TSA
// issued by the person CA. Loading a version 1 directory upgrades it in place (upgradeV1): the root,
// the person CA and its responder stay as they are (trust stores, person certificates and their OCSP
// answers keep working), a service CA, its responder and a new seal and TSA (new keys) are issued
// under the same root, the old seal and TSA certificates are kept under retired/ (OCSP keeps
// answering "good" for them, so packages sealed before the upgrade still validate) and their keys are
// overwritten by the new ones. The new files are staged in .upgrade/ first (its pki.json written
// last marks it complete) and then renamed into place, pki.json last, so a crash at any point leaves
// either the old PKI with an incomplete stage (discarded) or a complete stage (finished on next start).
//
// Keys: the PKCS#8 PEM is sealed with AES-256-GCM (NIST SP 800-38D; 96-bit random IV, 128-bit tag,
// the role as additional data so key files cannot be swapped) under a key derived with scrypt
// (RFC 7914; N=2^15, r=8, p=1, a random salt per file). scrypt rather than HKDF because the secret
// is operator-chosen text, not uniformly random key material, so the derivation must be slow.
import { crypto, type CryptoKey } from '../trust/crypto';
import { createServiceBranch, createTestPki, serialHex, toPem, type Issuer, type PkiUrls, type TestPki } from './pki';
import * as x509 from '@peculiar/x509';
import { gcmOpen, gcmSeal, SCRYPT, scryptKey } from '../util/secretbox';
import { randomBytes } from 'node:crypto';
import { promises as fs } from 'node:fs';
import * as path from 'node:path';

const FORMAT = 'segl-test-pki';
const KEY_FORMAT = 'segl-encrypted-pkcs8';
/** Version of the key file format (and of the additional data bound to each key). */
const VERSION = 1;
/** Version of the directory layout (see the top of this file). */
const LAYOUT_VERSION = 2;
const ROLES = {
  root: 'root',
  personCa: 'personca',
  ocsp: 'ocsp',
  serviceCa: 'serviceca',
  serviceOcsp: 'serviceocsp',
  seal: 'seal',
  tsa: 'tsa',
} as const;
type Role = keyof typeof ROLES;
/** Who issued whom (as createTestPki builds it); checked on every load. */
const ISSUED_BY: Record<Role, Role> = {
  root: 'root',
  personCa: 'root',
  ocsp: 'personCa',
  serviceCa: 'root',
  serviceOcsp: 'serviceCa',
  seal: 'serviceCa',
  tsa: 'serviceCa',
};
const V1_ROLES: Role[] = ['root', 'personCa', 'seal', 'ocsp', 'tsa'];
/** What the upgrade from version 1 issues anew. */
const UPGRADE_ROLES: Role[] = ['serviceCa', 'serviceOcsp', 'seal', 'tsa'];
const STAGE = '.upgrade';
/** A stage older than this without its pki.json was left by a crash, not by an upgrade under way. */
const STALE_STAGE_MS = 120_000;

const RSA_IMPORT = { name: 'RSASSA-PKCS1-v1_5', hash: 'SHA-256' } as const;

/** Manifest written last into the directory; its presence marks a complete PKI. */
interface Manifest {
  format: typeof FORMAT;
  version: number;
  name: string;
  urls: PkiUrls;
  createdAt: string;
  /** When a version 1 directory was upgraded (absent when created as version 2). */
  upgradedAt?: string;
  /** Retired certificates (paths relative to the directory). */
  retired?: string[];
}

/** A loaded PKI: the hierarchy, the URLs it was made with, and certificates it no longer uses. */
export type StoredTestPki = TestPki & { urls: PkiUrls; name: string; retired: x509.X509Certificate[] };

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

function additionalData(label: string): Buffer {
  return Buffer.from(`${KEY_FORMAT}:v${VERSION}:${label}`);
}

function requireSecret(secret: string): void {
  if (typeof secret !== 'string' || secret.length === 0) throw new Error('segl test PKI: the secret is empty');
}

/** Encrypts a private key's PKCS#8 PEM for the file `label` (a role's; see the top of this file for the scheme). */
async function sealKey(key: CryptoKey, label: string, secret: string): Promise<SealedKey> {
  const pem = toPem(await crypto.subtle.exportKey('pkcs8', key), 'PRIVATE KEY');
  const salt = randomBytes(16);
  const { iv, ciphertext, tag } = gcmSeal(await scryptKey(secret, salt, SCRYPT), pem, additionalData(label));
  return {
    format: KEY_FORMAT,
    version: VERSION,
    kdf: { name: 'scrypt', ...SCRYPT, salt: salt.toString('base64') },
    cipher: 'aes-256-gcm',
    iv: iv.toString('base64'),
    tag: tag.toString('base64'),
    ciphertext: ciphertext.toString('base64'),
  };
}

/** Decrypts a key file; a wrong secret fails GCM authentication and says so. */
async function openKey(sealed: SealedKey, label: string, secret: string, file: string): Promise<CryptoKey> {
  if (sealed.format !== KEY_FORMAT || sealed.version !== VERSION || sealed.cipher !== 'aes-256-gcm' || sealed.kdf?.name !== 'scrypt') {
    throw new Error(`segl test PKI: ${file} is not a version ${VERSION} ${KEY_FORMAT} file`);
  }
  const { N, r, p, salt } = sealed.kdf;
  const aesKey = await scryptKey(secret, Buffer.from(salt, 'base64'), { N, r, p });
  const plain = gcmOpen(
    aesKey,
    Buffer.from(sealed.iv, 'base64'),
    Buffer.from(sealed.ciphertext, 'base64'),
    Buffer.from(sealed.tag, 'base64'),
    additionalData(label),
  );
  if (!plain) {
    throw new Error(
      `segl test PKI: cannot decrypt ${file}: wrong secret (is SEGL_SECRET the one the PKI was created with?) or the file is damaged`,
    );
  }
  return crypto.subtle.importKey('pkcs8', x509.PemConverter.decodeFirst(plain.toString('utf8')), RSA_IMPORT, true, ['sign']);
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

/** Writes the certificate and encrypted key files of `roles` into `dir`. */
async function writeRoles(dir: string, pki: Partial<TestPki>, roles: Role[], secret: string): Promise<void> {
  for (const role of roles) {
    const { certificate, keys } = pki[role]!;
    await writeFile(path.join(dir, `${ROLES[role]}.pem`), certificate.toString('pem') + '\n', 0o600);
    const sealed = await sealKey(keys.privateKey, ROLES[role], secret);
    await writeFile(path.join(dir, `${ROLES[role]}.key.json`), JSON.stringify(sealed, null, 2) + '\n', 0o600);
  }
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
    await writeRoles(tmp, pki, Object.keys(ROLES) as Role[], secret);
    const manifest: Manifest = { format: FORMAT, version: LAYOUT_VERSION, name, urls, createdAt: new Date().toISOString() };
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
  if (manifest.format !== FORMAT || (manifest.version !== 1 && manifest.version !== LAYOUT_VERSION)) {
    throw new Error(`segl test PKI: ${dir}/pki.json is not a version 1 or ${LAYOUT_VERSION} ${FORMAT} manifest`);
  }
  return manifest;
}

/** Reads one role's certificate and key from `dir` and checks that they belong together. */
async function loadRole(dir: string, role: Role, secret: string): Promise<Issuer> {
  const certificate = new x509.X509Certificate(await fs.readFile(path.join(dir, `${ROLES[role]}.pem`), 'utf8'));
  const keyFile = path.join(dir, `${ROLES[role]}.key.json`);
  const sealed = JSON.parse(await fs.readFile(keyFile, 'utf8')) as SealedKey;
  const privateKey = await openKey(sealed, ROLES[role], secret, keyFile);
  const publicKey = (await certificate.publicKey.export(RSA_IMPORT as never, ['verify'] as never)) as unknown as CryptoKey;
  const issuer: Issuer = { certificate, keys: { privateKey, publicKey } };
  await assertKeyMatches(issuer, keyFile);
  return issuer;
}

/** Checks each certificate's signature against its issuer's key (ISSUED_BY). */
async function assertIssuers(pki: Partial<TestPki>, roles: Role[], issuedBy: (r: Role) => Role): Promise<void> {
  for (const role of roles) {
    const by = issuedBy(role);
    const ok = await pki[role]!.certificate.verify({ publicKey: pki[by]!.certificate.publicKey, signatureOnly: true });
    if (!ok) throw new Error(`segl test PKI: ${ROLES[role]}.pem is not signed by ${ROLES[by]}.pem`);
  }
}

/**
 * Loads a PKI written by saveTestPki (layout version 2); checks each key against its certificate and each
 * certificate's signature. A version 1 directory is refused here: loadOrCreateTestPki upgrades it.
 */
export async function loadTestPki(dir: string, secret: string): Promise<StoredTestPki> {
  requireSecret(secret);
  const manifest = await readManifest(dir);
  if (!manifest) throw new Error(`segl test PKI: nothing in ${dir}`);
  if (manifest.version !== LAYOUT_VERSION) {
    throw new Error(`segl test PKI: ${dir} has the version ${manifest.version} layout; open it with loadOrCreateTestPki to upgrade it`);
  }
  const out: Partial<TestPki> = {};
  for (const role of Object.keys(ROLES) as Role[]) out[role] = await loadRole(dir, role, secret);
  await assertIssuers(out, Object.keys(ROLES) as Role[], (r) => ISSUED_BY[r]);
  const retired: x509.X509Certificate[] = [];
  for (const f of manifest.retired ?? []) retired.push(new x509.X509Certificate(await fs.readFile(path.join(dir, f), 'utf8')));
  return { ...(out as TestPki), urls: manifest.urls, name: manifest.name, retired };
}

/** Finishes a complete stage (its pki.json present): retired certificates, new files, pki.json last. */
async function commitStage(dir: string): Promise<void> {
  const stage = path.join(dir, STAGE);
  const move = async (from: string, to: string): Promise<void> => {
    try {
      await fs.rename(from, to);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err; // moved by an earlier or a parallel attempt
    }
  };
  await fs.mkdir(path.join(dir, 'retired'), { recursive: true, mode: 0o755 });
  for (const f of await fs.readdir(path.join(stage, 'retired')).catch(() => [] as string[])) {
    await move(path.join(stage, 'retired', f), path.join(dir, 'retired', f));
  }
  for (const role of UPGRADE_ROLES) {
    for (const f of [`${ROLES[role]}.pem`, `${ROLES[role]}.key.json`]) await move(path.join(stage, f), path.join(dir, f));
  }
  await move(path.join(stage, 'pki.json'), path.join(dir, 'pki.json'));
  await fs.rm(stage, { recursive: true, force: true });
}

/**
 * Upgrades a version 1 directory (see the top of this file). Several processes may start at once on the
 * same DATA_DIR: creating the stage directory is the lock; the others wait for the upgraded manifest.
 */
async function upgradeV1(dir: string, secret: string, urls: PkiUrls, manifest: Manifest, now?: Date): Promise<void> {
  const stage = path.join(dir, STAGE);
  if (
    await fs.stat(path.join(stage, 'pki.json')).then(
      () => true,
      () => false,
    )
  )
    return commitStage(dir);
  try {
    await fs.mkdir(stage, { mode: 0o700 });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    const age = Date.now() - (await fs.stat(stage)).mtimeMs;
    if (age > STALE_STAGE_MS) {
      await fs.rm(stage, { recursive: true, force: true }); // left by a crash before it was complete
      return upgradeV1(dir, secret, urls, manifest, now);
    }
    // Another process is upgrading: wait for its manifest (or for its stage to go stale).
    await new Promise((r) => setTimeout(r, 250));
    const current = await readManifest(dir);
    if (current?.version === LAYOUT_VERSION) return undefined;
    return upgradeV1(dir, secret, urls, manifest, now);
  }
  if ((await readManifest(dir))?.version === LAYOUT_VERSION) {
    await fs.rm(stage, { recursive: true, force: true }); // another process finished while this one looked
    return undefined;
  }
  try {
    const old: Partial<TestPki> = {};
    for (const role of V1_ROLES) old[role] = await loadRole(dir, role, secret);
    await assertIssuers(old, V1_ROLES, (r) => (r === 'root' || r === 'personCa' ? 'root' : 'personCa'));
    // Certificates already issued keep the URLs they were made with; the new ones are added.
    const merged: PkiUrls = { ...urls, ...manifest.urls };
    const branch = await createServiceBranch(old.root!, { name: manifest.name, urls: merged, now });
    await writeRoles(stage, branch, UPGRADE_ROLES, secret);
    await fs.mkdir(path.join(stage, 'retired'), { mode: 0o755 });
    const retired: string[] = [];
    for (const role of ['seal', 'tsa'] as const) {
      const f = `retired/${ROLES[role]}-${serialHex(old[role]!.certificate)}.pem`;
      await writeFile(path.join(stage, f), old[role]!.certificate.toString('pem') + '\n', 0o600);
      retired.push(f);
    }
    const next: Manifest = {
      ...manifest,
      version: LAYOUT_VERSION,
      urls: merged,
      upgradedAt: new Date().toISOString(),
      retired,
    };
    await writeFile(path.join(stage, 'pki.json'), JSON.stringify(next, null, 2) + '\n', 0o600);
  } catch (err) {
    await fs.rm(stage, { recursive: true, force: true }); // incomplete: the old PKI is untouched
    throw err;
  }
  await commitStage(dir);
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
): Promise<StoredTestPki> {
  requireSecret(secret);
  const manifest = await readManifest(dir);
  if (manifest?.version === 1) await upgradeV1(dir, secret, urls, manifest, opts.now);
  if (manifest) {
    // A stage left beside an upgraded manifest is debris of an interrupted or parallel upgrade.
    await fs.rm(path.join(dir, STAGE), { recursive: true, force: true }).catch(() => undefined);
    return loadTestPki(dir, secret);
  }
  const name = opts.name ?? 'segl test';
  const pki = await createTestPki({ name, urls, now: opts.now });
  try {
    await saveTestPki(dir, pki, secret, urls, name);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code !== 'ENOTEMPTY' && code !== 'EEXIST') throw err;
    return loadTestPki(dir, secret); // another process created it first
  }
  return { ...pki, urls, name, retired: [] };
}

/**
 * A certificate and key kept beside the hierarchy under their own file names (`<label>.pem`,
 * `<label>.key.json`, sealed as the roles' keys are), made by `make` on first use: what segl issues
 * to itself after the PKI was created (the SAML signing certificate). Concurrent first uses are safe:
 * the key file is written first with O_EXCL and the certificate last, so the loser reads the winner's.
 */
export async function loadOrCreateLeaf(dir: string, label: string, secret: string, make: () => Promise<Issuer>): Promise<Issuer> {
  requireSecret(secret);
  const certFile = path.join(dir, `${label}.pem`);
  const keyFile = path.join(dir, `${label}.key.json`);
  const load = async (): Promise<Issuer> => {
    const certificate = new x509.X509Certificate(await fs.readFile(certFile, 'utf8'));
    const privateKey = await openKey(JSON.parse(await fs.readFile(keyFile, 'utf8')) as SealedKey, label, secret, keyFile);
    const publicKey = (await certificate.publicKey.export(RSA_IMPORT as never, ['verify'] as never)) as unknown as CryptoKey;
    const issuer: Issuer = { certificate, keys: { privateKey, publicKey } };
    await assertKeyMatches(issuer, keyFile);
    return issuer;
  };
  const exists = await fs.stat(certFile).then(
    () => true,
    () => false,
  );
  if (exists) return load();
  const made = await make();
  const tmp = `${keyFile}.${randomBytes(6).toString('hex')}.tmp`;
  await writeFile(tmp, JSON.stringify(await sealKey(made.keys.privateKey, label, secret), null, 2) + '\n', 0o600);
  try {
    await fs.link(tmp, keyFile); // fails if another process got there first
  } catch (err) {
    await fs.rm(tmp, { force: true });
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    for (let i = 0; i < 40 && !(await fs.stat(certFile).catch(() => undefined)); i++) await new Promise((r) => setTimeout(r, 250));
    return load();
  }
  await fs.rm(tmp, { force: true });
  const certTmp = `${certFile}.${randomBytes(6).toString('hex')}.tmp`;
  await writeFile(certTmp, made.certificate.toString('pem') + '\n', 0o600);
  await fs.rename(certTmp, certFile);
  return made;
}

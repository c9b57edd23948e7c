// Seal keys in a PKCS#11 token (an HSM; SoftHSM2 in the tests): the key never leaves the token, which
// signs. segl drives OpenSC's pkcs11-tool (Debian `opensc`), the vendor-neutral PKCS#11 client, rather
// than a native addon: no compiler or binary download at install, and the token's library runs in a
// process of its own. Mechanism CKM_SHA256_RSA_PKCS: the token hashes and pads (RSASSA-PKCS1-v1_5, RFC
// 8017 §8.2), which is what every signature segl writes declares. The PIN goes to pkcs11-tool in its
// environment (`--pin env:NAME`), never on a command line another user could read.
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type * as x509 from '@peculiar/x509';
import type { Pkcs11KeyRef } from '../store/serviceseals';
import type { Signer, SigningKeySource } from '../trust/sources';

const TOOL = 'pkcs11-tool';
const CHILD_PIN = 'SEGL_PKCS11_PIN';

/** A PKCS#11 operation that failed: what was asked, and what the token or pkcs11-tool said. */
export class Pkcs11Error extends Error {}

function run(args: string[], env: NodeJS.ProcessEnv = {}): Promise<void> {
  return new Promise((resolve, reject) => {
    const childEnv: NodeJS.ProcessEnv = { PATH: process.env.PATH, SOFTHSM2_CONF: process.env.SOFTHSM2_CONF, ...env };
    execFile(TOOL, args, { env: childEnv, timeout: 30_000 }, (e, _stdout, stderr) => {
      if (!e) return resolve();
      const missing = (e as NodeJS.ErrnoException).code === 'ENOENT';
      const said = String(stderr).trim().split('\n').slice(-2).join(' ').slice(0, 300);
      reject(new Pkcs11Error(missing ? `${TOOL} is not installed (Debian package opensc)` : said || e.message));
    });
  });
}

const base = (ref: Pkcs11KeyRef) => ['--module', ref.module, '--token-label', ref.token];

/** Runs `f` with a private temporary directory, removed after. */
async function withTemp<T>(f: (dir: string) => Promise<T>): Promise<T> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'segl-p11-'));
  try {
    return await f(dir);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** The token's public key for the key label (SubjectPublicKeyInfo, DER): what a certificate must carry. */
export function pkcs11PublicKey(ref: Pkcs11KeyRef): Promise<Uint8Array> {
  return withTemp(async (dir) => {
    const out = path.join(dir, 'pub.der');
    await run([...base(ref), '--read-object', '--type', 'pubkey', '--label', ref.key, '--output-file', out]).catch((e: Error) => {
      throw new Pkcs11Error(`no public key "${ref.key}" in token "${ref.token}" (${ref.module}): ${e.message}`);
    });
    return new Uint8Array(await readFile(out));
  });
}

/** SigningKeySource of a key in a token, with its certificate and chain as stored. */
export function pkcs11KeySource(ref: Pkcs11KeyRef, certificate: x509.X509Certificate, chain: x509.X509Certificate[]): SigningKeySource {
  return { signingKey: async () => ({ signer: pkcs11Signer(ref, certificate), chain }) };
}

/** Signs with the token's private key; the PIN is read from `ref.pinEnv` each time. */
export function pkcs11Signer(ref: Pkcs11KeyRef, certificate: x509.X509Certificate): Signer {
  return {
    certificate,
    sign: (data) =>
      withTemp(async (dir) => {
        const pin = process.env[ref.pinEnv];
        if (!pin) throw new Pkcs11Error(`the PIN of token "${ref.token}" is not set: ${ref.pinEnv} is empty where segl signs`);
        const input = path.join(dir, 'in');
        const output = path.join(dir, 'sig');
        await writeFile(input, data, { mode: 0o600 });
        await run(
          [
            ...base(ref),
            '--login',
            '--pin',
            `env:${CHILD_PIN}`,
            '--sign',
            '--mechanism',
            'SHA256-RSA-PKCS',
            '--label',
            ref.key,
            '--input-file',
            input,
            '--output-file',
            output,
          ],
          { [CHILD_PIN]: pin },
        ).catch((e: Error) => {
          throw new Pkcs11Error(`token "${ref.token}" did not sign with key "${ref.key}": ${e.message}`);
        });
        return new Uint8Array(await readFile(output));
      }),
  };
}

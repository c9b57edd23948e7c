// One WebCrypto for every trust module: Node's own. pkijs's engine setting is process-global and
// xmldsigjs (via xadesjs) sets it too, so it is set here once, to the same implementation.
import 'reflect-metadata';
import { createHash, webcrypto } from 'node:crypto';
import * as x509 from '@peculiar/x509';
import * as pkijs from 'pkijs';

export type CryptoKey = webcrypto.CryptoKey;
export type CryptoKeyPair = webcrypto.CryptoKeyPair;

export const crypto = webcrypto;

let done = false;
/** Idempotent: installs Node's WebCrypto into @peculiar/x509 and pkijs. */
export function useNodeCrypto(): void {
  if (done) return;
  x509.cryptoProvider.set(crypto as never);
  pkijs.setEngine('node', new pkijs.CryptoEngine({ name: 'node', crypto: crypto as never }));
  done = true;
}

useNodeCrypto();

/** RSASSA-PKCS1-v1_5 with SHA-256 on 2048-bit keys: what OCES, NSS, xmlsec1 and openssl all verify. */
export const SIGNING_ALGORITHM = {
  name: 'RSASSA-PKCS1-v1_5',
  hash: 'SHA-256',
  publicExponent: new Uint8Array([1, 0, 1]),
  modulusLength: 2048,
} as const;

export function generateKeys(): Promise<CryptoKeyPair> {
  return crypto.subtle.generateKey(SIGNING_ALGORITHM, true, ['sign', 'verify']) as Promise<CryptoKeyPair>;
}

/** Inputs up to this size are hashed on the calling thread (see digestBytes). */
const SYNC_DIGEST_MAX_BYTES = 64 * 1024;

/**
 * A SHA digest, as WebCrypto's `subtle.digest` gives it. Small inputs (certificate names, keys,
 * signed attributes, a SignatureValue) are hashed with node:crypto's createHash on this thread: a
 * WebCrypto digest is a libuv thread-pool job, and for a few hundred bytes the hand-over and the
 * event-loop turn back cost far more than the hash (about a microsecond) — on the sealing path these
 * digests sit between the OCSP and TSA answers and the seal. Large inputs stay off the event loop.
 */
export async function digestBytes(alg: 'SHA-1' | 'SHA-256' | 'SHA-384' | 'SHA-512', data: Uint8Array): Promise<Uint8Array> {
  if (data.byteLength > SYNC_DIGEST_MAX_BYTES) return new Uint8Array(await crypto.subtle.digest(alg, data));
  return new Uint8Array(createHash(alg.replace('-', '').toLowerCase()).update(data).digest());
}

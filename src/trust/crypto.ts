// One WebCrypto for every trust module: Node's own. pkijs's engine setting is process-global and
// xmldsigjs (via xadesjs) sets it too, so it is set here once, to the same implementation.
import 'reflect-metadata';
import { webcrypto } from 'node:crypto';
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

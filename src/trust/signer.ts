// One way to sign for every signature segl makes (XAdES, CMS/PAdES): a Signer, whose key is in this
// process or in a token (sources.ts RawSigner). A key pair in this process becomes one here, after the
// check that it is what the signatures declare: RSASSA-PKCS1-v1_5 with SHA-256 (RFC 8017 §8.2).
import type * as x509 from '@peculiar/x509';
import { crypto, type CryptoKey } from './crypto';
import type { Signer, SignerLike } from './sources';

function requireRsaSha256(key: CryptoKey): void {
  const alg = key.algorithm as { name?: string; hash?: { name?: string } };
  if (alg.name !== 'RSASSA-PKCS1-v1_5' || alg.hash?.name !== 'SHA-256' || key.type !== 'private')
    throw new Error('the signing key must be an RSASSA-PKCS1-v1_5 SHA-256 private key');
}

/** A certificate with a private key in this process. */
export function keySigner(certificate: x509.X509Certificate, key: CryptoKey): Signer {
  requireRsaSha256(key);
  return { certificate, sign: async (data) => new Uint8Array(await crypto.subtle.sign({ name: 'RSASSA-PKCS1-v1_5' }, key, data)) };
}

/** The signer itself, or a key pair's certificate with its private key signing in this process. */
export function asSigner(s: SignerLike): Signer {
  return 'sign' in s ? s : keySigner(s.certificate, s.keys.privateKey);
}

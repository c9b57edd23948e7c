// What the trust modules would otherwise recompute for every signature: certificates parsed from the
// same DER, public keys imported from the same certificate, and "does this certificate's signature
// verify with that issuer's key" — a fact about two fixed byte strings, so its answer never changes.
// Every cache is keyed by the SHA-256 of the DER (never by a name or serial, which an attacker can
// copy) and bounded, dropping the oldest entries first. Nothing time-dependent is cached here:
// validity periods, revocation and responder freshness are checked at each use by the callers.
import { createHash } from 'node:crypto';
import * as x509 from '@peculiar/x509';
import * as pkijs from 'pkijs';
import { crypto, type CryptoKey } from '../crypto';
import { BoundedCache } from '../../util/boundedcache';

const MAX_CERTIFICATES = 2048;

const digests = new WeakMap<x509.X509Certificate, string>();
/** SHA-256 (hex) of the certificate's DER, computed once per certificate object. */
export function certificateHash(cert: x509.X509Certificate): string {
  let h = digests.get(cert);
  if (!h) {
    h = createHash('sha256').update(new Uint8Array(cert.rawData)).digest('hex');
    digests.set(cert, h);
  }
  return h;
}

const byDer = new BoundedCache<string, x509.X509Certificate>(MAX_CERTIFICATES);
/** The certificate in `der`, parsed once per distinct DER (throws like the X509Certificate constructor). */
export function certificateFromDer(der: Uint8Array): x509.X509Certificate {
  const h = createHash('sha256').update(der).digest('hex');
  const hit = byDer.get(h);
  if (hit) return hit;
  const cert = new x509.X509Certificate(der);
  digests.set(cert, h);
  return byDer.set(h, cert);
}

const pkijsViews = new WeakMap<x509.X509Certificate, pkijs.Certificate>();
/** The pkijs view of a certificate, parsed once per certificate object. */
export function pkijsCertificate(cert: x509.X509Certificate): pkijs.Certificate {
  let c = pkijsViews.get(cert);
  if (!c) {
    c = pkijs.Certificate.fromBER(cert.rawData);
    pkijsViews.set(cert, c);
  }
  return c;
}

/** WebCrypto import parameters for a verification key. */
export type VerifyKeyAlgorithm = { name: string; hash?: unknown; namedCurve?: string };

const keys = new BoundedCache<string, Promise<CryptoKey>>(MAX_CERTIFICATES);
/** The certificate's public key imported for `alg` (SPKI), once per certificate and algorithm. */
export function verificationKey(cert: x509.X509Certificate, alg: VerifyKeyAlgorithm): Promise<CryptoKey> {
  const id = `${certificateHash(cert)} ${JSON.stringify(alg)}`;
  const hit = keys.get(id);
  if (hit) return hit;
  const p = crypto.subtle.importKey('spki', new Uint8Array(cert.publicKey.rawData), alg as never, true, ['verify']);
  // A failed import is not remembered: the next caller tries again and sees the error itself.
  p.catch(() => keys.delete(id));
  return keys.set(id, p);
}

const verdicts = new BoundedCache<string, Promise<boolean>>(MAX_CERTIFICATES * 2);
/**
 * Does `parent`'s public key verify `child`'s signature (RFC 5280 §6.1.3 (a)(1))? Any error is
 * "no". The answer depends only on the two DER encodings, so it is remembered per pair.
 */
export function signatureVerifiedBy(child: x509.X509Certificate, parent: x509.X509Certificate): Promise<boolean> {
  const id = `${certificateHash(child)} ${certificateHash(parent)}`;
  const hit = verdicts.get(id);
  if (hit) return hit;
  const p = child.verify({ publicKey: parent.publicKey, signatureOnly: true }).catch(() => false);
  return verdicts.set(id, p);
}

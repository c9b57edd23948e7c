// What the standards code is given from outside (in the manner of EU DSS's sources and pyHanko's signers):
// the product (src/signing, src/testca) supplies implementations, trust/ only uses the types.
//
//   RevocationSource  the status of one certificate: online OCSP over a given transport
//                     (validation/revocation.ts ocspRevocationSource; src/signing/online.ts posts),
//                     in-process (the test CA's responder, src/signing/trust.ts), embedded (a
//                     package's own OCSP values, src/signing/offline.ts)
//   TimestampSource   RFC 3161 tokens: over HTTP (src/signing/trust.ts httpTimestamps) or in-process
//                     (the test CA's TSA)
//   SigningKeySource  a seal key and its chain: PKCS#12 (x509/pkcs12.ts), the test CA, a key sealed in
//                     the database, or a PKCS#11 token (src/signing/trust.ts, src/signing/pkcs11.ts)
import type * as x509 from '@peculiar/x509';
import type { CryptoKeyPair } from './crypto';

/**
 * A certificate and its key pair: who signs an XAdES signature (ETSI EN 319 132-1), an OCSP response
 * (RFC 6960 §4.2.1) or a time-stamp token (RFC 3161 §2.4.2). The one declaration of this type.
 */
export interface SigningIdentity {
  certificate: x509.X509Certificate;
  keys: CryptoKeyPair;
}

/** CRLReason names, RFC 5280 §5.3.1 (value 7 is unused there). */
export type RevocationReason =
  | 'unspecified'
  | 'keyCompromise'
  | 'cACompromise'
  | 'affiliationChanged'
  | 'superseded'
  | 'cessationOfOperation'
  | 'certificateHold'
  | 'removeFromCRL'
  | 'privilegeWithdrawn'
  | 'aACompromise';

/** RFC 6960 §4.2.1 CertStatus, as a revocation source answers it. */
export type CertStatus = { status: 'good' } | { status: 'revoked'; revokedAt: Date; reason?: RevocationReason } | { status: 'unknown' };

/** Where a revocation answer came from. */
export type RevocationKind = 'ocsp' | 'crl' | 'embedded';

/** What a revocation source answers for one certificate. */
export interface RevocationAnswer {
  status: CertStatus;
  /** The evidence (a DER OCSPResponse or CRL) to keep with the signature. */
  responseDer?: Uint8Array;
  source: RevocationKind;
  /** Why the status is what it is (e.g. why it is unknown). */
  detail?: string;
}

/** The revocation status of `cert`, issued by `issuer` (EU DSS RevocationSource; pyHanko's revocation fetchers). */
export type RevocationSource = (cert: x509.X509Certificate, issuer: x509.X509Certificate) => Promise<RevocationAnswer>;

/** RFC 3161 §3.4: a DER TimeStampReq in, a DER TimeStampResp out (EU DSS TSPSource; pyHanko TimeStamper). */
export type TimestampSource = (request: Uint8Array) => Promise<Uint8Array>;

/**
 * RSASSA-PKCS1-v1_5 with SHA-256 (RFC 8017 §8.2) over `data`: what every signature segl makes needs of
 * a key. A key in this process signs with WebCrypto; a key in a PKCS#11 token (an HSM) never leaves it
 * and the token signs (src/signing/pkcs11.ts).
 */
export type RawSigner = (data: Uint8Array) => Promise<Uint8Array>;

/** A certificate and the means to sign with its key, wherever the key is (pyHanko's Signer, EU DSS's token). */
export interface Signer {
  certificate: x509.X509Certificate;
  sign: RawSigner;
}

/** Either: a key pair in this process, or a signer whose key may be elsewhere. */
export type SignerLike = SigningIdentity | Signer;

/** A signing key with the chain of certificates above it (EU DSS SignatureTokenConnection; pyHanko Signer). */
export interface SigningKeySource {
  /** who signs (the key here or in its token), and the certificate's issuing CA(s) up to the root, for CertificateValues */
  signingKey(): Promise<{ signer: Signer; chain: x509.X509Certificate[] }>;
}

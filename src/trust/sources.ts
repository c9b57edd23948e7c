// What the standards code is given from outside (in the manner of EU DSS's sources and pyHanko's signers):
// the product (src/signing, src/testca) supplies implementations, trust/ only uses the types.
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

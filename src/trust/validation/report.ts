// The validation report of one signature, the ETSI EN 319 102-1 way: indication, sub-indication (§5.1.3) and the
// checks done on the way.
import * as x509 from '@peculiar/x509';
import type { RevocationAnswer, RevocationSource } from '../sources';
import type { SDocument } from '../xml/strictxml';
// ---------------------------------------------------------------------------------------------
// Types

export type Indication = 'TOTAL-PASSED' | 'INDETERMINATE' | 'TOTAL-FAILED';

/** EN 319 102-1 §5.1.3 sub-indications this verifier produces. */
export type SubIndication =
  | 'FORMAT_FAILURE'
  | 'HASH_FAILURE'
  | 'SIG_CRYPTO_FAILURE'
  | 'SIGNED_DATA_NOT_FOUND'
  | 'NO_SIGNING_CERTIFICATE_FOUND'
  | 'NO_CERTIFICATE_CHAIN_FOUND'
  | 'OUT_OF_BOUNDS_NO_POE'
  | 'NOT_YET_VALID'
  | 'CHAIN_CONSTRAINTS_FAILURE'
  | 'REVOKED'
  | 'REVOKED_NO_POE'
  | 'REVOKED_CA_NO_POE'
  | 'TRY_LATER'
  | 'CRYPTO_CONSTRAINTS_FAILURE'
  | 'CRYPTO_CONSTRAINTS_FAILURE_NO_POE'
  | 'GENERIC';

export type CheckName =
  | 'core-validation'
  | 'path-validation'
  | 'revocation'
  | 'signing-certificate-reference'
  | 'cryptographic-constraints'
  // PAdES (validation/pades.ts)
  | 'byte-range'
  | 'time-stamp'
  | 'modification'
  | 'baseline-level';

export interface Check {
  name: CheckName;
  ok: boolean;
  detail: string;
  /** When the check was made. */
  at: Date;
}

/** One revocation check as recorded in the report. */
export interface RevocationRecord extends RevocationAnswer {
  /** Subject DN of the certificate checked. */
  subject: string;
  /** Its serial, canonical hex. */
  serialHex: string;
}

export interface VerifyOptions {
  anchors: x509.X509Certificate[];
  intermediates?: x509.X509Certificate[];
  /** Validation time (a trusted time if you have one); default now. */
  at?: Date;
  revocation: RevocationSource;
  /** Also ask `revocation` about the intermediate CA certificates of the path (default false). */
  checkCaRevocation?: boolean;
  /**
   * XPath (prefixes ds, xades, xades141) selecting the ds:Signature to verify when the document holds
   * more than one; it must select exactly one ds:Signature element.
   */
  signatureXPath?: string;
  /**
   * `xml`'s parse by the strict parser (xmldsig.ts parseDocument), when the caller has it already: the
   * document is then not parsed again. It must be the parse of exactly the `xml` passed with it.
   */
  document?: SDocument;
  /**
   * Ask `revocation` about the signing certificate as soon as it is identified, while the signature
   * value and the path are checked (default false). The answer is used only if those pass, and only
   * for the issuer the path ends up with; a signature refused earlier has cost one needless question.
   */
  prefetchRevocation?: boolean;
}

export interface VerificationReport {
  indication: Indication;
  subIndication?: SubIndication;
  message: string;
  signer?: x509.X509Certificate;
  chain?: x509.X509Certificate[];
  /** Claimed signing time (XAdES SigningTime), if present. */
  signingTime?: Date;
  revocation?: RevocationRecord[];
  checks: Check[];
}

// ---------------------------------------------------------------------------------------------

// The CMS of a PAdES baseline signature (ETSI EN 319 142-1 §6.3, as EU DSS's PAdESBaselineRequirementsChecker
// reads it): CAdES detached over the ByteRange bytes (the dictionary's /SubFilter is ETSI.CAdES.detached), with
//   - content-type id-data and message-digest (requirement (c)),
//   - exactly one signing-certificate-v2 (requirements (h), (i)),
//   - NO signing-time: the claimed time is the signature dictionary's /M,
//   - the signing certificate and its chain in SignedData.certificates (requirement (a));
// and, for B-T, a signature-time-stamp: an RFC 3161 token over the SignatureValue from a TimestampSource, as the
// unsigned attribute id-aa-signatureTimeStampToken. Creation only; the PDF around it (placeholder, ByteRange,
// DSS, document time-stamp) comes in its own files.
import type * as x509 from '@peculiar/x509';
import { crypto } from '../crypto';
import { attribute, CMS_OID, createSignedData } from '../cms/signeddata';
import type { SignerLike, TimestampSource } from '../sources';
import { timestampFor } from '../tsp/request';

export interface PadesCmsInput {
  signer: SignerLike;
  /** the signer's issuing CA(s) up to the root */
  chain: x509.X509Certificate[];
  /** the bytes the ByteRange covers (everything but the /Contents hex string) ... */
  signedBytes?: Uint8Array;
  /** ... or their SHA-256, hashed where they lie (placeholder.ts fillLastPartByDigest); exactly one of the two */
  signedDigest?: Uint8Array;
  /** B-T: where the signature time-stamp comes from; absent: B-B */
  timestamps?: TimestampSource;
}

/** An RFC 3161 token over `signatureValue` (its SHA-256). */
async function signatureTimestamp(signatureValue: Uint8Array, source: TimestampSource): Promise<Uint8Array> {
  const imprint = new Uint8Array(await crypto.subtle.digest('SHA-256', signatureValue));
  return (await timestampFor(imprint, source)).token;
}

/** The DER ContentInfo that goes, hex-encoded, into the signature dictionary's /Contents. */
export function createPadesCms(input: PadesCmsInput): Promise<Uint8Array> {
  const source = input.timestamps;
  return createSignedData({
    signer: input.signer,
    contentType: CMS_OID.data,
    content: input.signedBytes,
    contentDigest: input.signedDigest,
    encapsulate: false,
    certificates: [input.signer.certificate, ...input.chain].map((c) => new Uint8Array(c.rawData)),
    unsignedAttributes: source
      ? async (value) => [attribute(CMS_OID.signatureTimeStampToken, await signatureTimestamp(value, source))]
      : undefined,
  });
}

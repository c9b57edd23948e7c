// CMS SignedData creation (RFC 5652 §5) in the one shape segl signs: one signer identified by issuer and
// serial number, SHA-256, RSASSA-PKCS1-v1_5, and the signed attributes contentType, messageDigest and ESS
// signing-certificate-v2 (RFC 5035 §5.4, SHA-256 certHash with IssuerSerial), and no signing-time. Both segl's
// time-stamp tokens (RFC 3161 §2.4.2, encapsulated TSTInfo) and PAdES signatures (ETSI EN 319 142-1 §6.3,
// detached over the ByteRange) are this. Written in DER with asn1/der.ts; creation only.
import { digestBytes } from '../crypto';
import type * as x509 from '@peculiar/x509';
import { childrenOf, encodingOf, expectTag, oid, readDer, TAG, tlv } from '../asn1/der';
import type { SignerLike } from '../sources';
import { asSigner } from '../signer';

export const CMS_OID = {
  signedData: '1.2.840.113549.1.7.2',
  data: '1.2.840.113549.1.7.1',
  contentType: '1.2.840.113549.1.9.3',
  messageDigest: '1.2.840.113549.1.9.4',
  signingCertificateV2: '1.2.840.113549.1.9.16.2.47',
  /** id-aa-signatureTimeStampToken (RFC 3161 Appendix A; CAdES-T) */
  signatureTimeStampToken: '1.2.840.113549.1.9.16.2.14',
  sha256: '2.16.840.1.101.3.4.2.1',
} as const;

const NULL_PARAMS = tlv(TAG.null);
/** AlgorithmIdentifier sha256 with NULL parameters (as segl has always written it). */
export const SHA256_ALG = tlv(TAG.sequence, oid(CMS_OID.sha256), NULL_PARAMS);
const SHA256_WITH_RSA = tlv(TAG.sequence, oid('1.2.840.113549.1.1.11'), NULL_PARAMS);

/** The TBSCertificate parts CMS structures name: serialNumber INTEGER, issuer and subject Name (their DER encodings). */
interface CertParts {
  serial: Uint8Array;
  issuer: Uint8Array;
  subject: Uint8Array;
}
const certParts = new WeakMap<x509.X509Certificate, CertParts>();
export function partsOf(cert: x509.X509Certificate): CertParts {
  let p = certParts.get(cert);
  if (!p) {
    const [tbs] = childrenOf(readDer(new Uint8Array(cert.rawData)));
    const f = childrenOf(expectTag(tbs, TAG.sequence, 'TBSCertificate'));
    const i = f[0]?.tag === 0xa0 ? 1 : 0; // [0] version
    p = {
      serial: encodingOf(expectTag(f[i], TAG.integer, 'serialNumber')),
      issuer: encodingOf(expectTag(f[i + 2], TAG.sequence, 'issuer')),
      subject: encodingOf(expectTag(f[i + 4], TAG.sequence, 'subject')),
    };
    certParts.set(cert, p);
  }
  return p;
}

function compareBytes(a: Uint8Array, b: Uint8Array): number {
  for (let i = 0; i < Math.min(a.length, b.length); i++) if (a[i] !== b[i]) return a[i]! - b[i]!;
  return a.length - b.length;
}

/** X.690 §11.6: a DER SET OF, its members in ascending order of their encodings. */
function derSet(members: Uint8Array[]): Uint8Array {
  return tlv(TAG.set, ...[...members].sort(compareBytes));
}

/** RFC 5652 §5.3 Attribute: SEQUENCE { attrType OID, attrValues SET OF } with one value. */
export function attribute(type: string, value: Uint8Array): Uint8Array {
  return tlv(TAG.sequence, oid(type), tlv(TAG.set, value));
}

function sha256(data: Uint8Array): Promise<Uint8Array> {
  return digestBytes('SHA-256', data);
}

export interface SignedDataInput {
  signer: SignerLike;
  /** eContentType (RFC 5652 §5.2): id-data for a detached PAdES signature, id-ct-TSTInfo for a token */
  contentType: string;
  /** what is signed; its SHA-256 is the messageDigest */
  content?: Uint8Array;
  /** for a detached signature, instead of `content`: the content's SHA-256 (the caller hashed it as a stream) */
  contentDigest?: Uint8Array;
  /** true: the content travels inside (eContent); false: detached, only its digest is signed */
  encapsulate: boolean;
  /** DER certificates to carry in `certificates` (none: the field is left out) */
  certificates: Uint8Array[];
  /** unsigned attributes (RFC 5652 §5.3), made once the signature value is known (e.g. its time-stamp) */
  unsignedAttributes?: (signatureValue: Uint8Array) => Promise<Uint8Array[]>;
}

/**
 * A DER ContentInfo with a SignedData. Version 3 when eContentType is not id-data, else 1 (RFC 5652
 * §5.1); SignerInfo version 1 (issuerAndSerialNumber, §5.3). The signature covers the DER SET OF the
 * signed attributes (§5.4), which the SignerInfo carries as [0] IMPLICIT.
 */
export async function createSignedData(input: SignedDataInput): Promise<Uint8Array> {
  const signer = asSigner(input.signer);
  if ((input.content === undefined) === (input.contentDigest === undefined))
    throw new Error('give the content or, for a detached signature, its digest: exactly one');
  if (input.encapsulate && !input.content) throw new Error('an encapsulated signature needs the content');
  if (input.contentDigest && input.contentDigest.byteLength !== 32) throw new Error('the content digest must be a SHA-256 (32 bytes)');
  const messageDigest = input.contentDigest ?? (await sha256(input.content!));
  const cert = partsOf(input.signer.certificate);
  const certDer = new Uint8Array(input.signer.certificate.rawData);
  const issuerSerial = tlv(TAG.sequence, tlv(TAG.sequence, tlv(0xa4, cert.issuer)), cert.serial);
  const attrs = derSet([
    attribute(CMS_OID.contentType, oid(input.contentType)),
    attribute(CMS_OID.messageDigest, tlv(TAG.octetString, messageDigest)),
    attribute(
      CMS_OID.signingCertificateV2,
      tlv(TAG.sequence, tlv(TAG.sequence, tlv(TAG.sequence, tlv(TAG.octetString, await sha256(certDer)), issuerSerial))),
    ),
  ]);
  const signature = await signer.sign(attrs);
  const signedAttrs = new Uint8Array(attrs);
  signedAttrs[0] = 0xa0;
  const unsigned = input.unsignedAttributes ? await input.unsignedAttributes(signature) : [];
  const signerInfo = tlv(
    TAG.sequence,
    tlv(TAG.integer, Uint8Array.of(1)),
    tlv(TAG.sequence, cert.issuer, cert.serial),
    SHA256_ALG,
    signedAttrs,
    SHA256_WITH_RSA,
    tlv(TAG.octetString, signature),
    ...(unsigned.length ? [tlv(0xa1, ...[...unsigned].sort(compareBytes))] : []),
  );
  const isData = input.contentType === CMS_OID.data;
  const signedData = tlv(
    TAG.sequence,
    tlv(TAG.integer, Uint8Array.of(isData ? 1 : 3)),
    tlv(TAG.set, SHA256_ALG),
    tlv(TAG.sequence, oid(input.contentType), ...(input.encapsulate ? [tlv(0xa0, tlv(TAG.octetString, input.content!))] : [])),
    // CertificateSet is a SET OF: DER order (X.690 §11.6)
    ...(input.certificates.length ? [tlv(0xa0, ...[...input.certificates].sort(compareBytes))] : []),
    tlv(TAG.set, signerInfo),
  );
  return tlv(TAG.sequence, oid(CMS_OID.signedData), tlv(0xa0, signedData));
}

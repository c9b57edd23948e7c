// OCSP (RFC 6960): a responder for segl's own CA and the checker segl's verifier uses.
// Interop notes (stack-notes §Q4/§Q5): responderID must be byKey with SHA-1 (openssl cannot find the
// signer otherwise) and every time is written in whole seconds (NSS rejects fractional seconds).
import { digestBytes } from '../crypto';
import type { CertStatus, RevocationReason, SigningIdentity } from '../sources';
import { normalizeSerialHex } from '../x509/serial';
import * as x509 from '@peculiar/x509';
import * as asn1js from 'asn1js';
import { pkijsCertificate } from '../x509/cache';
import { childrenOf, contentOf, DerError, encodingOf, expectTag, oid, oidOf, readDer, TAG, tlv, type Tlv } from '../asn1/der';
import { equalBytes } from '../../util/bytes';

export interface OcspResponderOptions {
  responder: SigningIdentity;
  /** The CA whose certificates this responder answers for. */
  issuer: x509.X509Certificate;
  /** Status by serial, as normalizeSerialHex writes it. */
  lookup(serialHex: string): Promise<CertStatus>;
  now?: () => Date;
  /** thisUpdate → nextUpdate; default 60. */
  validityMinutes?: number;
}

export interface OcspCheckOptions {
  issuer: x509.X509Certificate;
  /** Responders trusted by local configuration (RFC 6960 §4.2.2.2 case 1), matched by exact DER. */
  responderTrust?: x509.X509Certificate[];
  serialHex: string;
  /** When given, the response must echo this nonce (RFC 6960 §4.4.1). */
  nonce?: Uint8Array;
}

export interface OcspCheckResult {
  status: CertStatus;
  producedAt: Date;
  thisUpdate: Date;
  nextUpdate?: Date;
  /** The certificate whose key signed the response. */
  responder: x509.X509Certificate;
}

export class OcspError extends Error {
  override name = 'OcspError';
}

/** OCSPResponseStatus, RFC 6960 §4.2.1. */
export const OcspResponseStatus = {
  successful: 0,
  malformedRequest: 1,
  internalError: 2,
  tryLater: 3,
  sigRequired: 5,
  unauthorized: 6,
} as const;

export const OID = {
  ocspBasic: '1.3.6.1.5.5.7.48.1.1',
  ocspNonce: '1.3.6.1.5.5.7.48.1.2',
  sha1: '1.3.14.3.2.26',
  kpOcspSigning: '1.3.6.1.5.5.7.3.9',
  extKeyUsage: '2.5.29.37',
} as const;

type HashName = 'SHA-1' | 'SHA-256' | 'SHA-384' | 'SHA-512';
const HASH_BY_OID: Record<string, HashName> = {
  '1.3.14.3.2.26': 'SHA-1',
  '2.16.840.1.101.3.4.2.1': 'SHA-256',
  '2.16.840.1.101.3.4.2.2': 'SHA-384',
  '2.16.840.1.101.3.4.2.3': 'SHA-512',
};

export const REASON_CODE: Record<RevocationReason, number> = {
  unspecified: 0,
  keyCompromise: 1,
  cACompromise: 2,
  affiliationChanged: 3,
  superseded: 4,
  cessationOfOperation: 5,
  certificateHold: 6,
  removeFromCRL: 8,
  privilegeWithdrawn: 9,
  aACompromise: 10,
};
export const REASON_NAME = new Map<number, RevocationReason>(
  Object.entries(REASON_CODE).map(([name, code]) => [code, name as RevocationReason]),
);

/** RFC 8954 §2.1: a nonce longer than 128 octets is refused with malformedRequest. */
export const MAX_NONCE_OCTETS = 128;

// ---------------------------------------------------------------------------------------------
// Small shared helpers

export function toBytes(der: ArrayBuffer | Uint8Array): Uint8Array {
  return der instanceof Uint8Array ? der : new Uint8Array(der);
}

function hex(bytes: Uint8Array): string {
  return Buffer.from(bytes).toString('hex');
}

function digest(alg: HashName, data: Uint8Array): Promise<Uint8Array> {
  return digestBytes(alg, data);
}

/** NSS rejects fractional seconds in OCSP times (stack-notes §Q4), so every time is truncated. */
export function wholeSeconds(d: Date): Date {
  return new Date(Math.floor(d.getTime() / 1000) * 1000);
}

/** Parses exactly one DER value filling the whole input, or throws. */
export function parseDer(der: ArrayBuffer | Uint8Array): asn1js.AsnType {
  const bytes = toBytes(der);
  const asn = asn1js.fromBER(bytes);
  if (asn.offset === -1 || asn.offset !== bytes.byteLength) throw new RangeError('not a single DER value');
  return asn.result;
}

/** The pkijs view of a certificate, parsed once per certificate object (parsing is asn1js's cost). */
export const toPkijsCert = pkijsCertificate;

/** A CertID (RFC 6960 §4.1.1) as read: its hash algorithm, hashes and serial, and its exact encoding. */
export interface CertId {
  hash?: HashName;
  nameHash: Uint8Array;
  keyHash: Uint8Array;
  serialHex: string;
  der: Uint8Array;
}

export function readCertId(t: Tlv | undefined): CertId {
  const [alg, nameHash, keyHash, serial] = childrenOf(expectTag(t, TAG.sequence, 'CertID'));
  return {
    hash: HASH_BY_OID[oidOf(childrenOf(expectTag(alg, TAG.sequence, 'hashAlgorithm'))[0]!)],
    nameHash: contentOf(expectTag(nameHash, TAG.octetString, 'issuerNameHash')),
    keyHash: contentOf(expectTag(keyHash, TAG.octetString, 'issuerKeyHash')),
    serialHex: normalizeSerialHex(hex(contentOf(expectTag(serial, TAG.integer, 'serialNumber')))),
    der: encodingOf(t!),
  };
}

const issuerHashes = new WeakMap<x509.X509Certificate, Map<HashName, Promise<[Uint8Array, Uint8Array]>>>();
/**
 * The two values a CertID hashes (RFC 6960 §4.1.1), the issuer's Name DER and its key's BIT STRING
 * contents, hashed with `alg` once per issuer certificate object.
 */
function issuerHashesOf(issuer: x509.X509Certificate, alg: HashName): Promise<[Uint8Array, Uint8Array]> {
  let m = issuerHashes.get(issuer);
  if (!m) issuerHashes.set(issuer, (m = new Map()));
  let p = m.get(alg);
  if (!p) {
    const c = toPkijsCert(issuer);
    const nameDer = new Uint8Array(c.subject.valueBeforeDecode);
    const keyBits = c.subjectPublicKeyInfo.subjectPublicKey.valueBlock.valueHexView;
    m.set(alg, (p = Promise.all([digest(alg, nameDer), digest(alg, keyBits)])));
  }
  return p;
}

/** RFC 6960 §4.1.1: does this CertID name `issuer` (any hash we support)? */
export async function certIdNamesIssuer(id: CertId, issuer: x509.X509Certificate): Promise<boolean> {
  if (!id.hash) return false;
  const [nameHash, keyHash] = await issuerHashesOf(issuer, id.hash);
  return equalBytes(nameHash, id.nameHash) && equalBytes(keyHash, id.keyHash);
}

/** The serialNumber INTEGER of a certificate, as encoded in it (RFC 5280 §4.1.2.2). */
function serialIntegerOf(cert: x509.X509Certificate): Uint8Array {
  const [tbs] = childrenOf(readDer(new Uint8Array(cert.rawData)));
  const fields = childrenOf(expectTag(tbs, TAG.sequence, 'TBSCertificate'));
  return encodingOf(expectTag(fields[0]?.tag === 0xa0 ? fields[1] : fields[0], TAG.integer, 'serialNumber'));
}

/** RFC 6960 §4.1.1: the DER CertID for `cert` issued by `issuer`, hashed with SHA-1 (what openssl and most responders expect). */
export async function certIdFor(cert: x509.X509Certificate, issuer: x509.X509Certificate): Promise<Uint8Array> {
  const [nameHash, keyHash] = await issuerHashesOf(issuer, 'SHA-1');
  return tlv(
    TAG.sequence,
    tlv(TAG.sequence, oid(OID.sha1), tlv(TAG.null)),
    tlv(TAG.octetString, nameHash),
    tlv(TAG.octetString, keyHash),
    serialIntegerOf(cert),
  );
}

const keyHashes = new WeakMap<x509.X509Certificate, Promise<Uint8Array>>();
/** RFC 6960 §4.2.2.3 ResponderID byKey: SHA-1 of the subjectPublicKey BIT STRING contents (once per certificate object). */
export function responderKeyHash(cert: x509.X509Certificate): Promise<Uint8Array> {
  let h = keyHashes.get(cert);
  if (!h) keyHashes.set(cert, (h = digest('SHA-1', toPkijsCert(cert).subjectPublicKeyInfo.subjectPublicKey.valueBlock.valueHexView)));
  return h;
}

export interface Extension {
  id: string;
  critical: boolean;
  value: Uint8Array;
  der: Uint8Array;
}

/** Extensions (RFC 5280 §4.1): SEQUENCE OF { extnID, critical BOOLEAN DEFAULT FALSE, extnValue OCTET STRING }. */
export function readExtensions(t: Tlv): Extension[] {
  return childrenOf(expectTag(t, TAG.sequence, 'Extensions')).map((e) => {
    const f = childrenOf(expectTag(e, TAG.sequence, 'Extension'));
    const critical = f.length === 3 && contentOf(expectTag(f[1], TAG.boolean, 'critical'))[0] !== 0;
    if (f.length !== 2 && f.length !== 3) throw new DerError('bad Extension');
    return { id: oidOf(f[0]!), critical, value: contentOf(expectTag(f[f.length - 1], TAG.octetString, 'extnValue')), der: encodingOf(e) };
  });
}

/** RFC 6960 §4.4.1: the nonce extnValue wraps an OCTET STRING; tolerate clients that send raw octets. */
export function nonceOctets(value: Uint8Array): Uint8Array {
  try {
    const inner = readDer(value);
    if (inner.tag === TAG.octetString) return contentOf(inner);
  } catch {
    /* raw octets */
  }
  return value;
}

// OCSP (RFC 6960): a responder for segl's own CA and the checker segl's verifier uses.
// Interop notes (stack-notes §Q4/§Q5): responderID must be byKey with SHA-1 (openssl cannot find the
// signer otherwise) and every time is written in whole seconds (NSS rejects fractional seconds).
import { crypto } from '../crypto';
import type { SigningIdentity } from '../sources';
import { normalizeSerialHex } from '../x509/serial';
import * as x509 from '@peculiar/x509';
import * as asn1js from 'asn1js';
import * as pkijs from 'pkijs';
import { certificateFromDer, certificateHash, pkijsCertificate, signatureVerifiedBy, verificationKey } from '../x509/cache';
import {
  childrenOf,
  contentOf,
  DerError,
  encodingOf,
  expectTag,
  generalizedTime,
  oid,
  oidOf,
  readDer,
  smallIntOf,
  TAG,
  timeOf,
  tlv,
  type Tlv,
} from '../asn1/der';
import { equalBytes } from '../../util/bytes';

/** Same shape as pki.ts's Issuer; declared here so this module stands alone. */

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

export type CertStatus = { status: 'good' } | { status: 'revoked'; revokedAt: Date; reason?: RevocationReason } | { status: 'unknown' };

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

const OID = {
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

const REASON_CODE: Record<RevocationReason, number> = {
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
const REASON_NAME = new Map<number, RevocationReason>(Object.entries(REASON_CODE).map(([name, code]) => [code, name as RevocationReason]));

/** RFC 8954 §2.1: a nonce longer than 128 octets is refused with malformedRequest. */
const MAX_NONCE_OCTETS = 128;

// ---------------------------------------------------------------------------------------------
// Small shared helpers

export function toBytes(der: ArrayBuffer | Uint8Array): Uint8Array {
  return der instanceof Uint8Array ? der : new Uint8Array(der);
}

function hex(bytes: Uint8Array): string {
  return Buffer.from(bytes).toString('hex');
}

async function digest(alg: HashName, data: Uint8Array): Promise<Uint8Array> {
  return new Uint8Array(await crypto.subtle.digest(alg, data));
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
const toPkijsCert = pkijsCertificate;

/** A CertID (RFC 6960 §4.1.1) as read: its hash algorithm, hashes and serial, and its exact encoding. */
interface CertId {
  hash?: HashName;
  nameHash: Uint8Array;
  keyHash: Uint8Array;
  serialHex: string;
  der: Uint8Array;
}

function readCertId(t: Tlv | undefined): CertId {
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
async function certIdNamesIssuer(id: CertId, issuer: x509.X509Certificate): Promise<boolean> {
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
function responderKeyHash(cert: x509.X509Certificate): Promise<Uint8Array> {
  let h = keyHashes.get(cert);
  if (!h) keyHashes.set(cert, (h = digest('SHA-1', toPkijsCert(cert).subjectPublicKeyInfo.subjectPublicKey.valueBlock.valueHexView)));
  return h;
}

interface Extension {
  id: string;
  critical: boolean;
  value: Uint8Array;
  der: Uint8Array;
}

/** Extensions (RFC 5280 §4.1): SEQUENCE OF { extnID, critical BOOLEAN DEFAULT FALSE, extnValue OCTET STRING }. */
function readExtensions(t: Tlv): Extension[] {
  return childrenOf(expectTag(t, TAG.sequence, 'Extensions')).map((e) => {
    const f = childrenOf(expectTag(e, TAG.sequence, 'Extension'));
    const critical = f.length === 3 && contentOf(expectTag(f[1], TAG.boolean, 'critical'))[0] !== 0;
    if (f.length !== 2 && f.length !== 3) throw new DerError('bad Extension');
    return { id: oidOf(f[0]!), critical, value: contentOf(expectTag(f[f.length - 1], TAG.octetString, 'extnValue')), der: encodingOf(e) };
  });
}

/** RFC 6960 §4.4.1: the nonce extnValue wraps an OCTET STRING; tolerate clients that send raw octets. */
function nonceOctets(value: Uint8Array): Uint8Array {
  try {
    const inner = readDer(value);
    if (inner.tag === TAG.octetString) return contentOf(inner);
  } catch {
    /* raw octets */
  }
  return value;
}

// ---------------------------------------------------------------------------------------------
// Responder

/** RFC 6960 §4.2.1: an OCSPResponse carrying only an error status (no responseBytes). */
function statusOnly(status: number): Uint8Array {
  return tlv(TAG.sequence, tlv(TAG.enumerated, Uint8Array.of(status)));
}

interface ParsedRequest {
  certIds: CertId[];
  /** the nonce Extension, to echo as it came */
  nonce?: Extension;
}

/**
 * RFC 6960 §4.1.1 OCSPRequest. Returns null for anything we must answer malformedRequest:
 * undecodable DER, an empty requestList, an over-long nonce (RFC 8954 §2.1) or a critical
 * request extension we do not understand (§4.4: only non-critical unknown ones may be ignored).
 * An optionalSignature is accepted but not checked: this responder does not require signed requests.
 */
function parseOcspRequest(der: ArrayBuffer | Uint8Array): ParsedRequest | null {
  try {
    const [tbs, signature, ...rest] = childrenOf(expectTag(readDer(toBytes(der)), TAG.sequence, 'OCSPRequest'));
    if (rest.length || (signature && signature.tag !== 0xa0)) return null;
    const fields = childrenOf(expectTag(tbs, TAG.sequence, 'TBSRequest'));
    let i = 0;
    if (fields[i]?.tag === 0xa0) i++; // version
    if (fields[i]?.tag === 0xa1) i++; // requestorName
    const certIds = childrenOf(expectTag(fields[i++], TAG.sequence, 'requestList')).map((r) => {
      const [certId, single, ...more] = childrenOf(expectTag(r, TAG.sequence, 'Request'));
      if (more.length || (single && single.tag !== 0xa0)) throw new DerError('bad Request');
      return readCertId(certId);
    });
    if (!certIds.length) return null;
    let nonce: Extension | undefined;
    if (fields[i]) {
      for (const ext of readExtensions(childrenOf(expectTag(fields[i++], 0xa2, 'requestExtensions'))[0]!)) {
        if (ext.id === OID.ocspNonce) nonce = ext;
        else if (ext.critical) return null;
      }
    }
    if (i !== fields.length) return null;
    if (nonce && nonceOctets(nonce.value).byteLength > MAX_NONCE_OCTETS) return null;
    return { certIds, nonce };
  } catch {
    return null;
  }
}

/** RFC 6960 §4.2.1 CertStatus CHOICE: good [0] NULL, revoked [1] RevokedInfo, unknown [2] NULL (implicit tags). */
function encodeCertStatus(s: CertStatus): Uint8Array {
  if (s.status === 'good') return tlv(0x80);
  if (s.status === 'unknown') return tlv(0x82);
  const reason = s.reason === undefined ? [] : [tlv(0xa0, tlv(TAG.enumerated, Uint8Array.of(REASON_CODE[s.reason])))];
  return tlv(0xa1, generalizedTime(wholeSeconds(s.revokedAt)), ...reason);
}

/** RFC 6960 §4.2.1 SingleResponse for one CertID (echoed as sent); a CertID naming another issuer is answered unknown. */
async function answerCertId(id: CertId, o: OcspResponderOptions, thisUpdate: Uint8Array, nextUpdate: Uint8Array): Promise<Uint8Array> {
  const status: CertStatus = (await certIdNamesIssuer(id, o.issuer)) ? await o.lookup(id.serialHex) : { status: 'unknown' };
  return tlv(TAG.sequence, id.der, encodeCertStatus(status), thisUpdate, tlv(0xa0, nextUpdate));
}

/** The responder for the CA the request's first CertID names (the first responder when none matches). */
async function responderFor(req: ParsedRequest, responders: OcspResponderOptions[]): Promise<OcspResponderOptions> {
  if (!responders.length) throw new Error('no OCSP responder');
  for (const r of responders) if (await certIdNamesIssuer(req.certIds[0]!, r.issuer)) return r;
  return responders[0]!;
}

/** PKCS #1 v1.5 signature algorithm OIDs by hash (RFC 4055 §5). */
const RSA_WITH: Record<string, string> = {
  'SHA-256': '1.2.840.113549.1.1.11',
  'SHA-384': '1.2.840.113549.1.1.12',
  'SHA-512': '1.2.840.113549.1.1.13',
};

/**
 * Answers a DER OCSPRequest (RFC 6960 §4.1) with a DER OCSPResponse (§4.2): a BasicOCSPResponse
 * signed with the responder's RSA key (PKCS #1 v1.5 with the key's hash, SHA-256 for segl's keys),
 * responderID byKey, the responder certificate in `certs` and the request nonce echoed (§4.4.1).
 * Written directly in DER (der.ts). Never throws: bad input gives malformedRequest, a failing lookup
 * internalError.
 *
 * Given several responders (one per issuing CA, RFC 6960 §4.2.2.2: a delegated responder speaks only
 * for its own CA), the one whose CA the first CertID names signs the answer; CertIDs of another CA in
 * the same request are answered unknown, as for any CA the responder does not serve.
 */
export async function respondOcsp(
  requestDer: ArrayBuffer | Uint8Array,
  responders: OcspResponderOptions | OcspResponderOptions[],
): Promise<Uint8Array> {
  const req = parseOcspRequest(requestDer);
  if (!req) return statusOnly(OcspResponseStatus.malformedRequest);
  try {
    const o = await responderFor(req, Array.isArray(responders) ? responders : [responders]);
    const key = o.responder.keys.privateKey;
    const hash = (key.algorithm as { hash?: { name?: string } }).hash?.name ?? '';
    if (key.algorithm.name !== 'RSASSA-PKCS1-v1_5' || !RSA_WITH[hash])
      throw new Error('the responder key must be an RSASSA-PKCS1-v1_5 key');
    const now = wholeSeconds((o.now ?? (() => new Date()))());
    const thisUpdate = generalizedTime(now);
    const nextUpdate = generalizedTime(new Date(now.getTime() + (o.validityMinutes ?? 60) * 60_000));
    const responses = await Promise.all(req.certIds.map((id) => answerCertId(id, o, thisUpdate, nextUpdate)));
    const tbs = tlv(
      TAG.sequence,
      tlv(0xa2, tlv(TAG.octetString, await responderKeyHash(o.responder.certificate))),
      thisUpdate,
      tlv(TAG.sequence, ...responses),
      ...(req.nonce ? [tlv(0xa1, tlv(TAG.sequence, req.nonce.der))] : []),
    );
    const signature = new Uint8Array(await crypto.subtle.sign({ name: 'RSASSA-PKCS1-v1_5' }, key, tbs));
    const basic = tlv(
      TAG.sequence,
      tbs,
      tlv(TAG.sequence, oid(RSA_WITH[hash]!), tlv(TAG.null)),
      tlv(TAG.bitString, Uint8Array.of(0), signature),
      tlv(0xa0, tlv(TAG.sequence, new Uint8Array(o.responder.certificate.rawData))),
    );
    return tlv(
      TAG.sequence,
      tlv(TAG.enumerated, Uint8Array.of(OcspResponseStatus.successful)),
      tlv(0xa0, tlv(TAG.sequence, oid(OID.ocspBasic), tlv(TAG.octetString, basic))),
    );
  } catch {
    return statusOnly(OcspResponseStatus.internalError);
  }
}

/**
 * RFC 6960 §A.1 GET form: `{url}/{url-encoding of base-64 encoding of the DER OCSPRequest}`.
 * Pass the path after the responder's base path; leading '/' are dropped (a DER OCSPRequest starts
 * with 0x30, so its base64 starts with 'M', never '/'). Standard and url-safe base64 are both accepted,
 * padded or not. Throws RangeError on characters outside base64.
 */
export function ocspGetPath(base64url: string): Uint8Array {
  let s = base64url.replace(/^\/+/, '');
  try {
    s = decodeURIComponent(s);
  } catch {
    throw new RangeError('bad URL encoding in OCSP GET path');
  }
  s = s.replace(/\s/g, '');
  if (!/^[A-Za-z0-9+/_-]*={0,2}$/.test(s)) throw new RangeError('OCSP GET path is not base64');
  const std = s.replace(/-/g, '+').replace(/_/g, '/').replace(/=+$/, '');
  return new Uint8Array(Buffer.from(std, 'base64'));
}

// ---------------------------------------------------------------------------------------------
// Checker

function hasOcspSigningEku(cert: x509.X509Certificate): boolean {
  const eku = cert.getExtension(x509.ExtendedKeyUsageExtension);
  return !!eku && eku.usages.map(String).includes(OID.kpOcspSigning);
}

/** RFC 6960 §4.2.2.3: does `cand` match the ResponderID (byName [1] or byKey [2], SHA-1)? */
async function matchesResponderId(responderID: Tlv, cand: x509.X509Certificate): Promise<boolean> {
  const inner = childrenOf(responderID)[0];
  if (!inner) return false;
  if (responderID.tag === 0xa1) return equalBytes(encodingOf(inner), new Uint8Array(toPkijsCert(cand).subject.valueBeforeDecode));
  if (responderID.tag === 0xa2 && inner.tag === TAG.octetString) return equalBytes(contentOf(inner), await responderKeyHash(cand));
  return false;
}

/**
 * RFC 6960 §4.2.2.2 authorised responders: (1) a locally trusted responder, (2) the CA itself, or
 * (3) a delegate issued directly by the CA carrying id-kp-OCSPSigning, valid when the response was produced.
 */
async function isAuthorisedResponder(
  cand: x509.X509Certificate,
  issuer: x509.X509Certificate,
  trusted: x509.X509Certificate[],
  producedAt: Date,
): Promise<boolean> {
  if (trusted.some((t) => certificateHash(t) === certificateHash(cand))) return true;
  const c = toPkijsCert(cand);
  const i = toPkijsCert(issuer);
  const candKey = c.subjectPublicKeyInfo.subjectPublicKey.valueBlock.valueHexView;
  const issuerKey = i.subjectPublicKeyInfo.subjectPublicKey.valueBlock.valueHexView;
  if (c.subject.isEqual(i.subject) && equalBytes(candKey, issuerKey)) return true;
  if (!c.issuer.isEqual(i.subject) || !hasOcspSigningEku(cand)) return false;
  if (producedAt < cand.notBefore || producedAt > cand.notAfter) return false;
  return signatureVerifiedBy(cand, issuer);
}

/** The BasicOCSPResponse's signed part and signature, as read. */
interface BasicResponse {
  tbs: Uint8Array;
  signatureAlgorithm: string;
  signature: Uint8Array;
  /** the whole BasicOCSPResponse DER (for algorithms verified through pkijs) */
  der: Uint8Array;
}

/** RSA PKCS #1 v1.5 signatures verified with a cached WebCrypto key; any other algorithm goes through pkijs. */
const RSA_HASH_BY_OID: Record<string, string> = Object.fromEntries(Object.entries(RSA_WITH).map(([h, o]) => [o, h]));

/** Does the responder's key verify the BasicOCSPResponse signature over tbsResponseData? */
async function responseSignedBy(basic: BasicResponse, cand: x509.X509Certificate): Promise<boolean> {
  try {
    const hash = RSA_HASH_BY_OID[basic.signatureAlgorithm];
    if (hash && cand.publicKey.algorithm.name === 'RSASSA-PKCS1-v1_5') {
      const alg = { name: 'RSASSA-PKCS1-v1_5', hash: { name: hash } };
      return await crypto.subtle.verify(alg, await verificationKey(cand, alg), basic.signature, basic.tbs);
    }
    const b = pkijs.BasicOCSPResponse.fromBER(basic.der);
    return await pkijs
      .getCrypto(true)
      .verifyWithPublicKey(b.tbsResponseData.tbsView, b.signature, toPkijsCert(cand).subjectPublicKeyInfo, b.signatureAlgorithm);
  } catch {
    return false;
  }
}

/** RFC 6960 §4.2.1 CertStatus back to our type. */
function decodeCertStatus(t: Tlv): CertStatus {
  if (t.tag === 0x80 && t.end === t.body) return { status: 'good' };
  if (t.tag === 0x82 && t.end === t.body) return { status: 'unknown' };
  if (t.tag !== 0xa1) throw new OcspError('bad CertStatus');
  const [time, reasonTag, ...rest] = childrenOf(t);
  if (rest.length || !time || time.tag !== TAG.generalizedTime) throw new OcspError('bad RevokedInfo');
  const out: CertStatus = { status: 'revoked', revokedAt: timeOf(time) };
  if (reasonTag) {
    const e = childrenOf(expectTag(reasonTag, 0xa0, 'revocationReason'))[0];
    const reason = e && e.tag === TAG.enumerated ? REASON_NAME.get(smallIntOf(e)) : undefined;
    if (reason) out.reason = reason;
  }
  return out;
}

/** Reads an OCSPResponse down to its BasicOCSPResponse, or throws with the responder's error status. */
function basicResponseOf(responseDer: ArrayBuffer | Uint8Array): { basic: BasicResponse; tbs: Tlv; certs: Uint8Array[] } {
  let status: number;
  let bytes: Tlv | undefined;
  try {
    const [s, b, ...rest] = childrenOf(expectTag(readDer(toBytes(responseDer)), TAG.sequence, 'OCSPResponse'));
    if (rest.length) throw new DerError('extra fields');
    status = smallIntOf(expectTag(s, TAG.enumerated, 'responseStatus'));
    bytes = b;
  } catch {
    throw new OcspError('not an OCSPResponse');
  }
  if (status !== OcspResponseStatus.successful) {
    const name = Object.entries(OcspResponseStatus).find(([, v]) => v === status)?.[0] ?? String(status);
    throw new OcspError(`OCSP responder answered ${name}`);
  }
  let type: string;
  let octets: Tlv;
  try {
    const [t, o] = childrenOf(expectTag(childrenOf(expectTag(bytes, 0xa0, 'responseBytes'))[0], TAG.sequence, 'ResponseBytes'));
    type = oidOf(t!);
    octets = expectTag(o, TAG.octetString, 'response');
  } catch {
    throw new OcspError('not an OCSPResponse');
  }
  if (type !== OID.ocspBasic) throw new OcspError('not a basic OCSP response');
  try {
    const der = contentOf(octets);
    const [tbs, alg, sig, certs, ...rest] = childrenOf(expectTag(readDer(der), TAG.sequence, 'BasicOCSPResponse'));
    if (rest.length || (certs && certs.tag !== 0xa0)) throw new DerError('bad BasicOCSPResponse');
    const sigBits = contentOf(expectTag(sig, TAG.bitString, 'signature'));
    if (sigBits[0] !== 0) throw new DerError('signature with unused bits');
    return {
      basic: {
        tbs: encodingOf(expectTag(tbs, TAG.sequence, 'ResponseData')),
        signatureAlgorithm: oidOf(childrenOf(expectTag(alg, TAG.sequence, 'signatureAlgorithm'))[0]!),
        signature: sigBits.subarray(1),
        der,
      },
      tbs: tbs!,
      certs: certs
        ? childrenOf(expectTag(childrenOf(certs)[0], TAG.sequence, 'certs')).map((c) =>
            encodingOf(expectTag(c, TAG.sequence, 'Certificate')),
          )
        : [],
    };
  } catch {
    throw new OcspError('undecodable BasicOCSPResponse');
  }
}

interface ResponseData {
  responderID: Tlv;
  producedAt: Date;
  responses: Array<{ certId: CertId; status: Tlv; thisUpdate: Date; nextUpdate?: Date }>;
  extensions: Extension[];
}

/** RFC 6960 §4.2.1 ResponseData. */
function readResponseData(tbs: Tlv): ResponseData {
  try {
    const f = childrenOf(tbs);
    let i = 0;
    if (f[i]?.tag === 0xa0) i++; // version v1
    const responderID = f[i++];
    if (!responderID || (responderID.tag !== 0xa1 && responderID.tag !== 0xa2)) throw new DerError('bad responderID');
    const producedAt = timeOf(f[i++]!);
    const responses = childrenOf(expectTag(f[i++], TAG.sequence, 'responses')).map((r) => {
      const [certId, status, thisUpdate, ...opt] = childrenOf(expectTag(r, TAG.sequence, 'SingleResponse'));
      if (!status) throw new DerError('bad SingleResponse');
      const next = opt[0]?.tag === 0xa0 ? timeOf(childrenOf(opt[0])[0]!) : undefined;
      return { certId: readCertId(certId), status, thisUpdate: timeOf(thisUpdate!), ...(next ? { nextUpdate: next } : {}) };
    });
    const extensions = f[i] ? readExtensions(childrenOf(expectTag(f[i++], 0xa1, 'responseExtensions'))[0]!) : [];
    if (i !== f.length) throw new DerError('extra fields in ResponseData');
    return { responderID, producedAt, responses, extensions };
  } catch {
    throw new OcspError('undecodable BasicOCSPResponse');
  }
}

/**
 * Verifies an OCSPResponse for one certificate of `issuer` (RFC 6960 §3.2): the signature, that the
 * signer is an authorised responder (§4.2.2.2), the nonce if asked, and returns that certificate's
 * status. Throws OcspError on any failure. Freshness (thisUpdate/nextUpdate against a validation
 * time) is left to the caller, which may be validating at a past time. Read with der.ts; only
 * certificates are parsed by @peculiar/x509 / pkijs, once per DER (cache.ts).
 */
export async function checkOcspResponse(responseDer: ArrayBuffer | Uint8Array, o: OcspCheckOptions): Promise<OcspCheckResult> {
  const { basic, tbs, certs } = basicResponseOf(responseDer);
  const data = readResponseData(tbs);
  const trusted = o.responderTrust ?? [];
  const carried: x509.X509Certificate[] = [];
  for (const der of certs) {
    try {
      carried.push(certificateFromDer(der));
    } catch {
      throw new OcspError('undecodable BasicOCSPResponse');
    }
  }
  const candidates = [o.issuer, ...trusted, ...carried];

  let responder: x509.X509Certificate | undefined;
  for (const cand of candidates) {
    if (!(await matchesResponderId(data.responderID, cand))) continue;
    if (!(await isAuthorisedResponder(cand, o.issuer, trusted, data.producedAt))) continue;
    if (await responseSignedBy(basic, cand)) {
      responder = cand;
      break;
    }
  }
  if (!responder) throw new OcspError('OCSP response not signed by an authorised responder');

  if (o.nonce) {
    const ext = data.extensions.find((e) => e.id === OID.ocspNonce);
    if (!ext || !equalBytes(nonceOctets(ext.value), o.nonce)) throw new OcspError('OCSP nonce not echoed');
  }

  const serial = normalizeSerialHex(o.serialHex);
  for (const single of data.responses) {
    if (single.certId.serialHex !== serial || !(await certIdNamesIssuer(single.certId, o.issuer))) continue;
    let status: CertStatus;
    try {
      status = decodeCertStatus(single.status);
    } catch (e) {
      throw e instanceof OcspError ? e : new OcspError('bad CertStatus');
    }
    return {
      status,
      producedAt: data.producedAt,
      thisUpdate: single.thisUpdate,
      ...(single.nextUpdate ? { nextUpdate: single.nextUpdate } : {}),
      responder,
    };
  }
  throw new OcspError(`OCSP response has no status for serial ${serial}`);
}

// Time-stamping (RFC 3161, with RFC 5816's ESS signing-certificate-v2): segl's TSA, its client-side
// request builder and the token reader/verifier. Checked against `openssl ts` (stack-notes §Q5).
//
// Decisions:
// - genTime is written in whole seconds (truncated). NSS already refuses fractional seconds in
//   OCSP times, a PAdES timestamp is read by the same kinds of validators, and the declared
//   accuracy (default 1 s) covers the at most 999 ms lost by truncating.
// - Message imprints must be SHA-256, SHA-384 or SHA-512. SHA-1 is rejected (badAlg) like MD5:
//   SHA-1 collisions are practical (SHAttered 2017, chosen-prefix 2020), so a SHA-1 token could be
//   replayed onto a second document; segl has no legacy clients that need it.
// - Default serials are 126 random bits: unique across restarts and replicas without shared state.
import { crypto } from '../crypto';
import type { SigningIdentity } from '../sources';
import * as x509 from '@peculiar/x509';
import * as asn1js from 'asn1js';
import * as pkijs from 'pkijs';
import { pkijsCertificate } from '../x509/cache';
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
  unsignedInteger,
  type Tlv,
} from '../asn1/der';
import { parseDer, wholeSeconds } from '../ocsp/certid';
import { normalizeSerialHex } from '../x509/serial';
import { equalBytes } from '../../util/bytes';

/** Same shape as pki.ts's Issuer; declared here so this module stands alone. */

export interface TsaOptions {
  tsa: SigningIdentity;
  policyOid: string;
  now?: () => Date;
  /** Serial source (bigint, or hex string); must be positive and unique. Default: 126 random bits. */
  serial?: () => bigint | string;
  /** Accuracy.seconds in TSTInfo; default 1, 0 leaves accuracy out. */
  accuracySeconds?: number;
}

/** PKIStatus, RFC 3161 §2.4.2. */
export const PkiStatus = {
  granted: 0,
  grantedWithMods: 1,
  rejection: 2,
  waiting: 3,
  revocationWarning: 4,
  revocationNotification: 5,
} as const;

/** PKIFailureInfo bit numbers, RFC 3161 §2.4.2. */
const FAILURE_BITS = {
  badAlg: 0,
  badRequest: 2,
  badDataFormat: 5,
  timeNotAvailable: 14,
  unacceptedPolicy: 15,
  unacceptedExtension: 16,
  addInfoNotAvailable: 17,
  systemFailure: 25,
} as const;
export type TsaFailure = keyof typeof FAILURE_BITS;

export interface TimestampResponseInfo {
  status: number;
  statusText: string[];
  failInfo: TsaFailure[];
  /** DER TimeStampToken (a ContentInfo), when granted. */
  token?: Uint8Array;
}

export interface TimestampTokenInfo {
  genTime: Date;
  /** Normalised hex, as normalizeSerialHex writes it. */
  serial: string;
  messageImprint: { hashAlgorithm: string; hashedMessage: Uint8Array };
  nonce?: bigint;
  policy: string;
  /** Certificates carried in the SignedData (none unless the request set certReq). */
  certificates: x509.X509Certificate[];
}

const OID = {
  signedData: '1.2.840.113549.1.7.2',
  tstInfo: '1.2.840.113549.1.9.16.1.4',
  contentType: '1.2.840.113549.1.9.3',
  messageDigest: '1.2.840.113549.1.9.4',
  signingCertificate: '1.2.840.113549.1.9.16.2.12',
  signingCertificateV2: '1.2.840.113549.1.9.16.2.47',
  kpTimeStamping: '1.3.6.1.5.5.7.3.8',
  sha256: '2.16.840.1.101.3.4.2.1',
} as const;

type HashName = 'SHA-256' | 'SHA-384' | 'SHA-512';
/** Hashes accepted for imprints and CMS digests, with their output lengths. */
const HASHES: Record<string, { name: HashName; length: number }> = {
  '2.16.840.1.101.3.4.2.1': { name: 'SHA-256', length: 32 },
  '2.16.840.1.101.3.4.2.2': { name: 'SHA-384', length: 48 },
  '2.16.840.1.101.3.4.2.3': { name: 'SHA-512', length: 64 },
};

async function digest(alg: HashName | 'SHA-1', data: Uint8Array): Promise<Uint8Array> {
  return new Uint8Array(await crypto.subtle.digest(alg, data));
}

function compareBytes(a: Uint8Array, b: Uint8Array): number {
  for (let i = 0; i < Math.min(a.length, b.length); i++) if (a[i] !== b[i]) return a[i] - b[i];
  return a.length - b.length;
}

/** A positive DER INTEGER from hex (a 00 octet is prepended when the top bit is set). */
function positiveIntegerDer(hexValue: string): Uint8Array {
  const bytes = Buffer.from(normalizeSerialHex(hexValue), 'hex');
  if (bytes.every((b) => b === 0)) throw new RangeError('serial and nonce must be positive');
  return unsignedInteger(bytes);
}

function bigintHex(v: bigint): string {
  if (v < 0n) throw new RangeError('must not be negative');
  return v.toString(16);
}

function integerHex(i: asn1js.Integer): string {
  return normalizeSerialHex(Buffer.from(i.valueBlock.valueHexView).toString('hex'));
}

/** Parsed once per certificate object (cache.ts). */
const certToPkijs = pkijsCertificate;

// ---------------------------------------------------------------------------------------------
// Responder

/** RFC 3161 §2.4.2 PKIFailureInfo: a DER named BIT STRING with a single bit set (trailing zeros dropped). */
function failureBits(f: TsaFailure): asn1js.BitString {
  const bit = FAILURE_BITS[f];
  const bytes = new Uint8Array(Math.floor(bit / 8) + 1);
  bytes[bytes.length - 1] = 0x80 >> (bit % 8);
  return new asn1js.BitString({ unusedBits: 7 - (bit % 8), valueHex: bytes });
}

/** RFC 3161 §2.4.2 TimeStampResp with status rejection and one failure reason. */
function rejection(f: TsaFailure, text: string): Uint8Array {
  const status = new pkijs.PKIStatusInfo({
    status: PkiStatus.rejection,
    statusStrings: [new asn1js.Utf8String({ value: text })],
    failInfo: failureBits(f),
  });
  return new Uint8Array(new pkijs.TimeStampResp({ status }).toSchema().toBER());
}

class Reject extends Error {
  constructor(
    readonly failure: TsaFailure,
    message: string,
  ) {
    super(message);
  }
}

/** A TimeStampReq as vetted (RFC 3161 §2.4.1): the parts the token echoes, as encoded in the request. */
interface VettedRequest {
  /** the MessageImprint TLV */
  messageImprint: Uint8Array;
  /** the nonce INTEGER TLV */
  nonce?: Uint8Array;
  certReq: boolean;
}

/** RFC 3161 §2.4.1: decode (der.ts) and vet the TimeStampReq; anything we will not serve raises Reject. */
function parseTimestampRequest(der: ArrayBuffer | Uint8Array, policyOid: string): VettedRequest {
  let fields: Tlv[];
  let hashOid: string;
  let hashed: Uint8Array;
  const out: Partial<VettedRequest> = { certReq: false };
  let reqPolicy: string | undefined;
  let extensions = 0;
  try {
    fields = childrenOf(expectTag(readDer(toU8(der)), TAG.sequence, 'TimeStampReq'));
    if (smallIntOf(expectTag(fields[0], TAG.integer, 'version')) !== 1) throw new Reject('badDataFormat', 'TimeStampReq version must be 1');
    const mi = expectTag(fields[1], TAG.sequence, 'MessageImprint');
    const [alg, digest, ...more] = childrenOf(mi);
    const [algOid, params, ...extra] = childrenOf(expectTag(alg, TAG.sequence, 'AlgorithmIdentifier'));
    if (more.length || extra.length || (params && params.tag !== TAG.null)) throw new DerError('bad MessageImprint');
    hashOid = oidOf(algOid!);
    hashed = contentOf(expectTag(digest, TAG.octetString, 'hashedMessage'));
    out.messageImprint = encodingOf(mi);
    // The optional fields, each at most once and in this order (reqPolicy, nonce, certReq, [0] extensions).
    const order = [TAG.oid, TAG.integer, TAG.boolean, 0xa0];
    let at = 0;
    for (const f of fields.slice(2)) {
      const k = order.indexOf(f.tag, at);
      if (k < 0) throw new DerError('unexpected field in TimeStampReq');
      at = k + 1;
      if (f.tag === TAG.oid) reqPolicy = oidOf(f);
      else if (f.tag === TAG.integer) out.nonce = encodingOf(f);
      else if (f.tag === TAG.boolean) {
        if (f.end - f.body !== 1) throw new DerError('bad BOOLEAN');
        out.certReq = contentOf(f)[0] !== 0;
      } else extensions = childrenOf(f).length;
    }
  } catch (e) {
    if (e instanceof Reject) throw e;
    throw new Reject('badDataFormat', 'request is not a DER TimeStampReq');
  }
  const hash = HASHES[hashOid];
  if (!hash) throw new Reject('badAlg', 'message imprint must use SHA-256, SHA-384 or SHA-512');
  if (hashed.byteLength !== hash.length) throw new Reject('badDataFormat', 'hashedMessage length does not match its algorithm');
  if (reqPolicy && reqPolicy !== policyOid) throw new Reject('unacceptedPolicy', `policy ${reqPolicy} is not offered`);
  if (extensions) throw new Reject('unacceptedExtension', 'no request extensions are supported');
  return out as VettedRequest;
}

/** The TBSCertificate parts a token names: serialNumber INTEGER, issuer and subject Name (their DER encodings). */
interface CertParts {
  serial: Uint8Array;
  issuer: Uint8Array;
  subject: Uint8Array;
}
const certParts = new WeakMap<x509.X509Certificate, CertParts>();
function partsOf(cert: x509.X509Certificate): CertParts {
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

/** RFC 3161 §2.4.2: serialNumber unique per TSA; 126 random bits with the top bits fixed so DER stays minimal. */
function serialNumber(o: TsaOptions): Uint8Array {
  const s = o.serial?.();
  if (s === undefined) {
    const b = crypto.getRandomValues(new Uint8Array(16));
    b[0] = (b[0] & 0x7f) | 0x40;
    return tlv(TAG.integer, b);
  }
  return positiveIntegerDer(typeof s === 'bigint' ? bigintHex(s) : s);
}

const NULL_PARAMS = tlv(TAG.null);
const SHA256_ALG = tlv(TAG.sequence, oid(OID.sha256), NULL_PARAMS);
const SHA256_WITH_RSA = tlv(TAG.sequence, oid('1.2.840.113549.1.1.11'), NULL_PARAMS);

function derSet(members: Uint8Array[]): Uint8Array {
  return tlv(TAG.set, ...[...members].sort(compareBytes));
}

/**
 * RFC 3161 §2.4.2 TimeStampToken for a vetted request, written in DER (der.ts): a CMS SignedData
 * (RFC 5652 §5, version 3) over the TSTInfo (genTime in whole seconds, accuracy, the imprint and
 * nonce echoed, tsa = our subject as a directoryName), signed attributes contentType, messageDigest
 * and ESS signing-certificate-v2 (RFC 5816/RFC 5035: SHA-256 certHash, the DEFAULT so no
 * hashAlgorithm, with IssuerSerial), RSASSA-PKCS1-v1_5 SHA-256 by the TSA key; the TSA certificate
 * only if the request set certReq.
 */
async function buildToken(req: VettedRequest, o: TsaOptions): Promise<Uint8Array> {
  const key = o.tsa.keys.privateKey;
  const keyAlg = key.algorithm as { name?: string; hash?: { name?: string } };
  if (keyAlg.name !== 'RSASSA-PKCS1-v1_5' || keyAlg.hash?.name !== 'SHA-256')
    throw new Error('the TSA key must be an RSASSA-PKCS1-v1_5 SHA-256 key');
  const certDer = new Uint8Array(o.tsa.certificate.rawData);
  const cert = partsOf(o.tsa.certificate);
  const accuracy = o.accuracySeconds ?? 1;
  const tst = tlv(
    TAG.sequence,
    tlv(TAG.integer, Uint8Array.of(1)),
    oid(o.policyOid),
    req.messageImprint,
    serialNumber(o),
    generalizedTime(wholeSeconds((o.now ?? (() => new Date()))())),
    ...(accuracy > 0 ? [tlv(TAG.sequence, unsignedInteger(Buffer.from(normalizeSerialHex(bigintHex(BigInt(accuracy))), 'hex')))] : []),
    ...(req.nonce ? [req.nonce] : []),
    tlv(0xa0, tlv(0xa4, cert.subject)),
  );
  const attribute = (type: string, value: Uint8Array): Uint8Array => tlv(TAG.sequence, oid(type), tlv(TAG.set, value));
  const issuerSerial = tlv(TAG.sequence, tlv(TAG.sequence, tlv(0xa4, cert.issuer)), cert.serial);
  const attrs = derSet([
    attribute(OID.contentType, oid(OID.tstInfo)),
    attribute(OID.messageDigest, tlv(TAG.octetString, await digest('SHA-256', tst))),
    attribute(
      OID.signingCertificateV2,
      tlv(TAG.sequence, tlv(TAG.sequence, tlv(TAG.sequence, tlv(TAG.octetString, await digest('SHA-256', certDer)), issuerSerial))),
    ),
  ]);
  // RFC 5652 §5.4: the signature covers the DER SET OF attributes; the SignerInfo carries them as [0] IMPLICIT.
  const signature = new Uint8Array(await crypto.subtle.sign({ name: 'RSASSA-PKCS1-v1_5' }, key, attrs));
  const signedAttrs = new Uint8Array(attrs);
  signedAttrs[0] = 0xa0;
  const signerInfo = tlv(
    TAG.sequence,
    tlv(TAG.integer, Uint8Array.of(1)),
    tlv(TAG.sequence, cert.issuer, cert.serial),
    SHA256_ALG,
    signedAttrs,
    SHA256_WITH_RSA,
    tlv(TAG.octetString, signature),
  );
  const signedData = tlv(
    TAG.sequence,
    tlv(TAG.integer, Uint8Array.of(3)),
    tlv(TAG.set, SHA256_ALG),
    tlv(TAG.sequence, oid(OID.tstInfo), tlv(0xa0, tlv(TAG.octetString, tst))),
    ...(req.certReq ? [tlv(0xa0, certDer)] : []),
    tlv(TAG.set, signerInfo),
  );
  return tlv(TAG.sequence, oid(OID.signedData), tlv(0xa0, signedData));
}

/**
 * Answers a DER TimeStampReq (RFC 3161 §2.4.1) with a DER TimeStampResp (§2.4.2). Never throws:
 * unsupported hashes give rejection/badAlg, undecodable input badDataFormat, another policy
 * unacceptedPolicy, any extension unacceptedExtension, and an internal failure systemFailure.
 * The TSA certificate is included only when the request sets certReq.
 */
export async function respondTimestamp(requestDer: ArrayBuffer | Uint8Array, o: TsaOptions): Promise<Uint8Array> {
  try {
    const req = parseTimestampRequest(requestDer, o.policyOid);
    const token = await buildToken(req, o);
    return tlv(TAG.sequence, tlv(TAG.sequence, tlv(TAG.integer, Uint8Array.of(PkiStatus.granted))), token);
  } catch (e) {
    if (e instanceof Reject) return rejection(e.failure, e.message);
    return rejection('systemFailure', 'time-stamp could not be produced');
  }
}

// ---------------------------------------------------------------------------------------------
// Client side

/**
 * RFC 3161 §2.4.1 TimeStampReq for a SHA-256 hash. certReq defaults to true (unlike the RFC's
 * DEFAULT FALSE) because segl embeds tokens in documents whose validators need the TSA certificate.
 */
export function requestTimestamp(hash: Uint8Array, opts: { hashAlgorithm: 'SHA-256'; nonce?: bigint; certReq?: boolean }): Uint8Array {
  if (opts.hashAlgorithm !== 'SHA-256' || hash.byteLength !== 32) throw new RangeError('expected a 32-octet SHA-256 hash');
  return tlv(
    TAG.sequence,
    tlv(TAG.integer, Uint8Array.of(1)),
    tlv(TAG.sequence, SHA256_ALG, tlv(TAG.octetString, hash)),
    ...(opts.nonce !== undefined ? [positiveIntegerDer(bigintHex(opts.nonce))] : []),
    ...((opts.certReq ?? true) ? [tlv(TAG.boolean, Uint8Array.of(0xff))] : []),
  );
}

/** PKIFailureInfo bits set in a BIT STRING's value octets (without the unused-bits octet). */
function failuresOf(bytes: Uint8Array): TsaFailure[] {
  return (Object.keys(FAILURE_BITS) as TsaFailure[]).filter((f) => {
    const n = FAILURE_BITS[f];
    return n >> 3 < bytes.length && (bytes[n >> 3] & (0x80 >> (n & 7))) !== 0;
  });
}

/**
 * RFC 3161 §2.4.2: reads a TimeStampResp (status, failure reasons, token) with the DER reader: the
 * token is returned as the exact bytes the TSA sent. Throws on undecodable input.
 */
export function readTimestampResponse(responseDer: ArrayBuffer | Uint8Array): TimestampResponseInfo {
  const [statusInfo, token, ...rest] = childrenOf(expectTag(readDer(toU8(responseDer)), TAG.sequence, 'TimeStampResp'));
  if (rest.length) throw new RangeError('TimeStampResp has extra fields');
  const [status, ...optional] = childrenOf(expectTag(statusInfo, TAG.sequence, 'PKIStatusInfo'));
  let statusText: string[] = [];
  let failInfo: TsaFailure[] = [];
  for (const f of optional) {
    if (f.tag === TAG.sequence) {
      statusText = childrenOf(f).map((u) => Buffer.from(contentOf(expectTag(u, TAG.utf8String, 'PKIFreeText'))).toString('utf8'));
    } else if (f.tag === TAG.bitString && f.end > f.body) {
      failInfo = failuresOf(contentOf(f).subarray(1));
    } else {
      throw new RangeError('bad PKIStatusInfo');
    }
  }
  if (token) expectTag(token, TAG.sequence, 'TimeStampToken');
  return {
    status: smallIntOf(expectTag(status, TAG.integer, 'PKIStatus')),
    statusText,
    failInfo,
    ...(token ? { token: new Uint8Array(encodingOf(token)) } : {}),
  };
}

function toU8(der: ArrayBuffer | Uint8Array): Uint8Array {
  return der instanceof Uint8Array ? der : new Uint8Array(der);
}

/**
 * The TSTInfo's genTime and message imprint (RFC 3161 §2.4.2), read with the DER reader from a
 * TimeStampToken (ContentInfo → SignedData → encapContentInfo → TSTInfo) without verifying it.
 */
export function readTimestampTime(tokenDer: Uint8Array): { genTime: Date; hashAlgorithm: string; hashedMessage: Uint8Array } {
  const [ct, explicit] = childrenOf(expectTag(readDer(tokenDer), TAG.sequence, 'ContentInfo'));
  if (oidOf(ct!) !== OID.signedData) throw new RangeError('token is not SignedData');
  const sd = expectTag(childrenOf(expectTag(explicit, 0xa0, 'ContentInfo content'))[0], TAG.sequence, 'SignedData');
  const encap = expectTag(childrenOf(sd)[2], TAG.sequence, 'EncapsulatedContentInfo');
  const [type, eContent] = childrenOf(encap);
  if (oidOf(type!) !== OID.tstInfo) throw new RangeError('token does not hold a TSTInfo');
  // pkijs writes eContent as a constructed OCTET STRING (BER, X.690 §8.7.3), one segment per 64 KiB.
  const octets = childrenOf(expectTag(eContent, 0xa0, 'eContent'))[0];
  const tstDer =
    octets?.tag === 0x24
      ? Buffer.concat(childrenOf(octets).map((seg) => contentOf(expectTag(seg, TAG.octetString, 'eContent segment'))))
      : contentOf(expectTag(octets, TAG.octetString, 'eContent'));
  const tst: Tlv[] = childrenOf(expectTag(readDer(tstDer), TAG.sequence, 'TSTInfo'));
  const [alg, hashed] = childrenOf(expectTag(tst[2], TAG.sequence, 'MessageImprint'));
  return {
    genTime: timeOf(expectTag(tst[4], TAG.generalizedTime, 'genTime')),
    hashAlgorithm: oidOf(childrenOf(expectTag(alg, TAG.sequence, 'AlgorithmIdentifier'))[0]!),
    hashedMessage: new Uint8Array(contentOf(expectTag(hashed, TAG.octetString, 'hashedMessage'))),
  };
}

interface OpenedToken {
  signed: pkijs.SignedData;
  tstDer: Uint8Array;
  tst: pkijs.TSTInfo;
}

/** RFC 3161 §2.4.2: a TimeStampToken is a ContentInfo/SignedData whose eContent is a DER TSTInfo. */
function openToken(tokenDer: ArrayBuffer | Uint8Array): OpenedToken {
  const ci = new pkijs.ContentInfo({ schema: parseDer(tokenDer) });
  if (ci.contentType !== OID.signedData) throw new RangeError('token is not SignedData');
  const signed = new pkijs.SignedData({ schema: ci.content });
  const e = signed.encapContentInfo;
  if (e.eContentType !== OID.tstInfo || !(e.eContent instanceof asn1js.OctetString)) throw new RangeError('token does not hold a TSTInfo');
  const tstDer = new Uint8Array(e.eContent.getValue());
  return { signed, tstDer, tst: new pkijs.TSTInfo({ schema: parseDer(tstDer) }) };
}

/** Reads a TimeStampToken's TSTInfo without verifying it (see verifyTimestampToken). */
export function readTimestampToken(tokenDer: ArrayBuffer | Uint8Array): TimestampTokenInfo {
  const { signed, tst } = openToken(tokenDer);
  return {
    genTime: tst.genTime,
    serial: integerHex(tst.serialNumber),
    messageImprint: {
      hashAlgorithm: tst.messageImprint.hashAlgorithm.algorithmId,
      hashedMessage: new Uint8Array(tst.messageImprint.hashedMessage.valueBlock.valueHexView),
    },
    ...(tst.nonce ? { nonce: tst.nonce.toBigInt() } : {}),
    policy: tst.policy,
    certificates: (signed.certificates ?? [])
      .filter((c): c is pkijs.Certificate => c instanceof pkijs.Certificate)
      .map((c) => new x509.X509Certificate(c.toSchema().toBER())),
  };
}

/** RFC 3161 §2.3: the TSA certificate has exactly one, critical, EKU: id-kp-timeStamping. */
function isTsaCertificate(cert: x509.X509Certificate): boolean {
  const eku = cert.getExtension(x509.ExtendedKeyUsageExtension);
  return !!eku && eku.critical && eku.usages.length === 1 && String(eku.usages[0]) === OID.kpTimeStamping;
}

function attribute(si: pkijs.SignerInfo, type: string): asn1js.BaseBlock | undefined {
  const found = si.signedAttrs?.attributes.filter((a) => a.type === type) ?? [];
  return found.length === 1 && found[0].values.length === 1 ? found[0].values[0] : undefined;
}

/** RFC 5035 §5.4 / RFC 5816: the first ESSCertID(v2) must hash the TSA certificate. */
async function essNamesCertificate(si: pkijs.SignerInfo, certDer: Uint8Array): Promise<boolean> {
  const v2 = attribute(si, OID.signingCertificateV2);
  const v1 = v2 ? undefined : attribute(si, OID.signingCertificate);
  const outer = v2 ?? v1;
  if (!(outer instanceof asn1js.Sequence)) return false;
  const certs = outer.valueBlock.value[0];
  if (!(certs instanceof asn1js.Sequence)) return false;
  const first = certs.valueBlock.value[0];
  if (!(first instanceof asn1js.Sequence)) return false;
  let fields = first.valueBlock.value;
  let alg: HashName | 'SHA-1' = v2 ? 'SHA-256' : 'SHA-1';
  if (v2 && fields[0] instanceof asn1js.Sequence) {
    const h = HASHES[new pkijs.AlgorithmIdentifier({ schema: fields[0] }).algorithmId];
    if (!h) return false;
    alg = h.name;
    fields = fields.slice(1);
  }
  const certHash = fields[0];
  return certHash instanceof asn1js.OctetString && equalBytes(certHash.valueBlock.valueHexView, await digest(alg, certDer));
}

function signerIsCertificate(si: pkijs.SignerInfo, cert: pkijs.Certificate): boolean {
  const sid = si.sid as unknown;
  if (!(sid instanceof pkijs.IssuerAndSerialNumber)) return false;
  return sid.issuer.isEqual(cert.issuer) && sid.serialNumber.isEqual(cert.serialNumber);
}

/**
 * Verifies a TimeStampToken (RFC 3161 §2.4.2, RFC 5652 §5.4/§5.6) for `data` against `tsaCert`,
 * taken as trusted (chain building is the caller's): one signer, which is `tsaCert`; contentType and
 * messageDigest attributes right; ESS signing-certificate(-v2) naming `tsaCert`; the signature;
 * the imprint equals the hash of `data`; `tsaCert` is a TSA certificate (§2.3) valid at genTime.
 * SHA-1 imprints and digests are refused, as when issuing. Returns false rather than throwing.
 */
export async function verifyTimestampToken(
  tokenDer: ArrayBuffer | Uint8Array,
  data: Uint8Array,
  tsaCert: x509.X509Certificate,
): Promise<boolean> {
  try {
    const { signed, tstDer, tst } = openToken(tokenDer);
    const cert = certToPkijs(tsaCert);
    if (signed.signerInfos.length !== 1 || !isTsaCertificate(tsaCert)) return false;
    const si = signed.signerInfos[0];
    if (!si.signedAttrs || !signerIsCertificate(si, cert)) return false;
    if (tst.genTime < tsaCert.notBefore || tst.genTime > tsaCert.notAfter) return false;

    const digestAlg = HASHES[si.digestAlgorithm.algorithmId];
    const ct = attribute(si, OID.contentType);
    const md = attribute(si, OID.messageDigest);
    if (!digestAlg || !(ct instanceof asn1js.ObjectIdentifier) || ct.getValue() !== OID.tstInfo) return false;
    if (!(md instanceof asn1js.OctetString) || !equalBytes(md.valueBlock.valueHexView, await digest(digestAlg.name, tstDer))) return false;
    if (!(await essNamesCertificate(si, new Uint8Array(tsaCert.rawData)))) return false;

    // RFC 5652 §5.4: the signature covers the signed attributes re-tagged as a SET OF (0x31).
    const signedAttrs = new Uint8Array(si.signedAttrs.encodedValue.slice(0));
    signedAttrs[0] = 0x31;
    const sigOk = await pkijs
      .getCrypto(true)
      .verifyWithPublicKey(signedAttrs, si.signature, cert.subjectPublicKeyInfo, si.signatureAlgorithm, digestAlg.name);
    if (!sigOk) return false;

    const imprintAlg = HASHES[tst.messageImprint.hashAlgorithm.algorithmId];
    if (!imprintAlg) return false;
    return equalBytes(tst.messageImprint.hashedMessage.valueBlock.valueHexView, await digest(imprintAlg.name, data));
  } catch {
    return false;
  }
}

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
import { crypto, type CryptoKeyPair } from './crypto';
import * as x509 from '@peculiar/x509';
import * as asn1js from 'asn1js';
import * as pkijs from 'pkijs';
import { pkijsCertificate } from './cache';
import { childrenOf, contentOf, encodingOf, expectTag, oidOf, readDer, smallIntOf, TAG, timeOf, type Tlv } from './der';
import { normalizeSerialHex, parseDer, wholeSeconds } from './ocsp';

/** Same shape as pki.ts's Issuer; declared here so this module stands alone. */
export interface SigningIdentity {
  certificate: x509.X509Certificate;
  keys: CryptoKeyPair;
}

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
export const PkiStatus = { granted: 0, grantedWithMods: 1, rejection: 2, waiting: 3, revocationWarning: 4, revocationNotification: 5 } as const;

/** PKIFailureInfo bit numbers, RFC 3161 §2.4.2. */
const FAILURE_BITS = {
  badAlg: 0, badRequest: 2, badDataFormat: 5, timeNotAvailable: 14, unacceptedPolicy: 15,
  unacceptedExtension: 16, addInfoNotAvailable: 17, systemFailure: 25,
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

function equalBytes(a: Uint8Array, b: Uint8Array): boolean {
  return a.byteLength === b.byteLength && a.every((v, i) => v === b[i]);
}

function compareBytes(a: Uint8Array, b: Uint8Array): number {
  for (let i = 0; i < Math.min(a.length, b.length); i++) if (a[i] !== b[i]) return a[i] - b[i];
  return a.length - b.length;
}

/** A positive DER INTEGER from hex (a 00 octet is prepended when the top bit is set). */
function positiveInteger(hexValue: string): asn1js.Integer {
  const h = normalizeSerialHex(hexValue);
  const bytes = Buffer.from(h, 'hex');
  if (bytes.every((b) => b === 0)) throw new RangeError('serial and nonce must be positive');
  return new asn1js.Integer({ valueHex: bytes[0] & 0x80 ? Buffer.concat([Buffer.of(0), bytes]) : bytes });
}

function bigintHex(v: bigint): string {
  if (v < 0n) throw new RangeError('must not be negative');
  return v.toString(16);
}

/** RFC 3161 §2.4.2: serialNumber unique per TSA; 126 random bits with the top bits fixed so DER stays minimal. */
function randomSerial(): asn1js.Integer {
  const b = crypto.getRandomValues(new Uint8Array(16));
  b[0] = (b[0] & 0x7f) | 0x40;
  return new asn1js.Integer({ valueHex: b });
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
  constructor(readonly failure: TsaFailure, message: string) { super(message); }
}

/** RFC 3161 §2.4.1: decode and vet the TimeStampReq; anything we will not serve raises Reject. */
function parseTimestampRequest(der: ArrayBuffer | Uint8Array, policyOid: string): pkijs.TimeStampReq {
  let req: pkijs.TimeStampReq;
  try {
    req = new pkijs.TimeStampReq({ schema: parseDer(der) });
  } catch {
    throw new Reject('badDataFormat', 'request is not a DER TimeStampReq');
  }
  if (req.version !== 1) throw new Reject('badDataFormat', 'TimeStampReq version must be 1');
  const hash = HASHES[req.messageImprint.hashAlgorithm.algorithmId];
  if (!hash) throw new Reject('badAlg', 'message imprint must use SHA-256, SHA-384 or SHA-512');
  if (req.messageImprint.hashedMessage.valueBlock.valueHexView.byteLength !== hash.length) {
    throw new Reject('badDataFormat', 'hashedMessage length does not match its algorithm');
  }
  if (req.reqPolicy && req.reqPolicy !== policyOid) throw new Reject('unacceptedPolicy', `policy ${req.reqPolicy} is not offered`);
  if (req.extensions?.length) throw new Reject('unacceptedExtension', 'no request extensions are supported');
  return req;
}

/** RFC 3161 §2.4.2 TSTInfo: the imprint and nonce echoed, genTime in whole seconds, tsa = our subject. */
function buildTstInfo(req: pkijs.TimeStampReq, o: TsaOptions, tsaCert: pkijs.Certificate): pkijs.TSTInfo {
  const s = o.serial?.();
  const accuracy = o.accuracySeconds ?? 1;
  return new pkijs.TSTInfo({
    version: 1,
    policy: o.policyOid,
    messageImprint: req.messageImprint,
    serialNumber: s === undefined ? randomSerial() : positiveInteger(typeof s === 'bigint' ? bigintHex(s) : s),
    genTime: wholeSeconds((o.now ?? (() => new Date()))()),
    ...(accuracy > 0 ? { accuracy: new pkijs.Accuracy({ seconds: accuracy }) } : {}),
    ...(req.nonce ? { nonce: req.nonce } : {}),
    tsa: new pkijs.GeneralName({ type: 4, value: tsaCert.subject }),
  });
}

/** RFC 5816 §2.2.1 / RFC 5035 ESSCertIDv2 with SHA-256 (the DEFAULT, so hashAlgorithm is omitted) and IssuerSerial. */
async function signingCertificateV2(cert: pkijs.Certificate, der: Uint8Array): Promise<pkijs.Attribute> {
  const issuerSerial = new asn1js.Sequence({
    value: [
      new asn1js.Sequence({ value: [new asn1js.Constructed({ idBlock: { tagClass: 3, tagNumber: 4 }, value: [cert.issuer.toSchema()] })] }),
      new asn1js.Integer({ valueHex: cert.serialNumber.valueBlock.valueHexView }),
    ],
  });
  const essCertIdV2 = new asn1js.Sequence({ value: [new asn1js.OctetString({ valueHex: await digest('SHA-256', der) }), issuerSerial] });
  const value = new asn1js.Sequence({ value: [new asn1js.Sequence({ value: [essCertIdV2] })] });
  return new pkijs.Attribute({ type: OID.signingCertificateV2, values: [value] });
}

/** RFC 5652 §5.3: signed attributes are a DER SET OF, so they are ordered by their encodings. */
function derSorted(attrs: pkijs.Attribute[]): pkijs.Attribute[] {
  return attrs
    .map((a) => ({ a, der: new Uint8Array(a.toSchema().toBER()) }))
    .sort((x, y) => compareBytes(x.der, y.der))
    .map((x) => x.a);
}

/** RFC 3161 §2.4.2 TimeStampToken: CMS SignedData over the TSTInfo with contentType, messageDigest and ESS v2. */
async function buildToken(tst: pkijs.TSTInfo, certReq: boolean, o: TsaOptions): Promise<pkijs.ContentInfo> {
  const cert = certToPkijs(o.tsa.certificate);
  const tstDer = new Uint8Array(tst.toSchema().toBER());
  const attrs = derSorted([
    new pkijs.Attribute({ type: OID.contentType, values: [new asn1js.ObjectIdentifier({ value: OID.tstInfo })] }),
    new pkijs.Attribute({ type: OID.messageDigest, values: [new asn1js.OctetString({ valueHex: await digest('SHA-256', tstDer) })] }),
    await signingCertificateV2(cert, new Uint8Array(o.tsa.certificate.rawData)),
  ]);
  const signed = new pkijs.SignedData({
    version: 3,
    encapContentInfo: new pkijs.EncapsulatedContentInfo({ eContentType: OID.tstInfo, eContent: new asn1js.OctetString({ valueHex: tstDer }) }),
    signerInfos: [new pkijs.SignerInfo({
      version: 1,
      sid: new pkijs.IssuerAndSerialNumber({ issuer: cert.issuer, serialNumber: cert.serialNumber }),
      signedAttrs: new pkijs.SignedAndUnsignedAttributes({ type: 0, attributes: attrs }),
    })],
    ...(certReq ? { certificates: [cert] } : {}),
  });
  await signed.sign(o.tsa.keys.privateKey as never, 0, 'SHA-256');
  return new pkijs.ContentInfo({ contentType: OID.signedData, content: signed.toSchema(true) });
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
    const tst = buildTstInfo(req, o, certToPkijs(o.tsa.certificate));
    const token = await buildToken(tst, req.certReq === true, o);
    const resp = new pkijs.TimeStampResp({ status: new pkijs.PKIStatusInfo({ status: PkiStatus.granted }), timeStampToken: token });
    return new Uint8Array(resp.toSchema().toBER());
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
  const req = new pkijs.TimeStampReq({
    version: 1,
    messageImprint: new pkijs.MessageImprint({
      hashAlgorithm: new pkijs.AlgorithmIdentifier({ algorithmId: OID.sha256, algorithmParams: new asn1js.Null() }),
      hashedMessage: new asn1js.OctetString({ valueHex: hash }),
    }),
    ...(opts.nonce !== undefined ? { nonce: positiveInteger(bigintHex(opts.nonce)) } : {}),
    ...(opts.certReq ?? true ? { certReq: true } : {}),
  });
  return new Uint8Array(req.toSchema().toBER());
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
  const tstDer = octets?.tag === 0x24
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
export async function verifyTimestampToken(tokenDer: ArrayBuffer | Uint8Array, data: Uint8Array, tsaCert: x509.X509Certificate): Promise<boolean> {
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
    const sigOk = await pkijs.getCrypto(true)
      .verifyWithPublicKey(signedAttrs, si.signature, cert.subjectPublicKeyInfo, si.signatureAlgorithm, digestAlg.name);
    if (!sigOk) return false;

    const imprintAlg = HASHES[tst.messageImprint.hashAlgorithm.algorithmId];
    if (!imprintAlg) return false;
    return equalBytes(tst.messageImprint.hashedMessage.valueBlock.valueHexView, await digest(imprintAlg.name, data));
  } catch {
    return false;
  }
}


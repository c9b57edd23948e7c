// OCSP (RFC 6960): a responder for segl's own CA and the checker segl's verifier uses.
// Interop notes (stack-notes §Q4/§Q5): responderID must be byKey with SHA-1 (openssl cannot find the
// signer otherwise) and every time is written in whole seconds (NSS rejects fractional seconds).
import { crypto, type CryptoKeyPair } from './crypto';
import * as x509 from '@peculiar/x509';
import * as asn1js from 'asn1js';
import * as pkijs from 'pkijs';
import { certificateFromDer, pkijsCertificate, signatureVerifiedBy, verificationKey } from './cache';

/** Same shape as pki.ts's Issuer; declared here so this module stands alone. */
export interface SigningIdentity {
  certificate: x509.X509Certificate;
  keys: CryptoKeyPair;
}

/** CRLReason names, RFC 5280 §5.3.1 (value 7 is unused there). */
export type RevocationReason =
  | 'unspecified' | 'keyCompromise' | 'cACompromise' | 'affiliationChanged' | 'superseded'
  | 'cessationOfOperation' | 'certificateHold' | 'removeFromCRL' | 'privilegeWithdrawn' | 'aACompromise';

export type CertStatus =
  | { status: 'good' }
  | { status: 'revoked'; revokedAt: Date; reason?: RevocationReason }
  | { status: 'unknown' };

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
  unspecified: 0, keyCompromise: 1, cACompromise: 2, affiliationChanged: 3, superseded: 4,
  cessationOfOperation: 5, certificateHold: 6, removeFromCRL: 8, privilegeWithdrawn: 9, aACompromise: 10,
};
const REASON_NAME = new Map<number, RevocationReason>(
  Object.entries(REASON_CODE).map(([name, code]) => [code, name as RevocationReason]));

/** RFC 8954 §2.1: a nonce longer than 128 octets is refused with malformedRequest. */
const MAX_NONCE_OCTETS = 128;

// ---------------------------------------------------------------------------------------------
// Small shared helpers

export function toBytes(der: ArrayBuffer | Uint8Array): Uint8Array {
  return der instanceof Uint8Array ? der : new Uint8Array(der);
}

function equalBytes(a: Uint8Array, b: Uint8Array): boolean {
  return a.byteLength === b.byteLength && a.every((v, i) => v === b[i]);
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

/**
 * Canonical serial: lower-case hex of the unsigned value, no leading zero octets, even length
 * (the form @peculiar/x509's `serialNumber` gives). Accepts "0x" and ':' separators.
 */
export function normalizeSerialHex(serial: string): string {
  const h = serial.trim().toLowerCase().replace(/^0x/, '').replace(/[:\s]/g, '');
  if (!/^[0-9a-f]*$/.test(h)) throw new RangeError(`not a hex serial: ${serial}`);
  const stripped = h.replace(/^0+/, '');
  if (!stripped) return '00';
  return stripped.length % 2 ? `0${stripped}` : stripped;
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

/** The two values a CertID hashes (RFC 6960 §4.1.1): the issuer's Name DER and its key's BIT STRING contents. */
function issuerParts(cert: pkijs.Certificate): { nameDer: Uint8Array; keyBits: Uint8Array } {
  return {
    nameDer: new Uint8Array(cert.subject.valueBeforeDecode),
    keyBits: cert.subjectPublicKeyInfo.subjectPublicKey.valueBlock.valueHexView,
  };
}

const issuerHashes = new WeakMap<pkijs.Certificate, Map<HashName, Promise<[Uint8Array, Uint8Array]>>>();
/** The issuer's name and key hashes with `alg`, computed once per issuer certificate object. */
function issuerHashesOf(issuer: pkijs.Certificate, alg: HashName): Promise<[Uint8Array, Uint8Array]> {
  let m = issuerHashes.get(issuer);
  if (!m) issuerHashes.set(issuer, m = new Map());
  let p = m.get(alg);
  if (!p) {
    const { nameDer, keyBits } = issuerParts(issuer);
    m.set(alg, p = Promise.all([digest(alg, nameDer), digest(alg, keyBits)]));
  }
  return p;
}

/** RFC 6960 §4.1.1: does this CertID name `issuer` (any hash we support)? */
async function certIdNamesIssuer(id: pkijs.CertID, issuer: pkijs.Certificate): Promise<boolean> {
  const alg = HASH_BY_OID[id.hashAlgorithm.algorithmId];
  if (!alg) return false;
  const [nameHash, keyHash] = await issuerHashesOf(issuer, alg);
  return equalBytes(nameHash, id.issuerNameHash.valueBlock.valueHexView)
    && equalBytes(keyHash, id.issuerKeyHash.valueBlock.valueHexView);
}

function serialOf(id: pkijs.CertID): string {
  return normalizeSerialHex(hex(id.serialNumber.valueBlock.valueHexView));
}

const keyHashes = new WeakMap<pkijs.Certificate, Promise<Uint8Array>>();
/** RFC 6960 §4.2.2.3 ResponderID byKey: SHA-1 of the subjectPublicKey BIT STRING contents (once per certificate object). */
function responderKeyHash(cert: pkijs.Certificate): Promise<Uint8Array> {
  let h = keyHashes.get(cert);
  if (!h) keyHashes.set(cert, h = digest('SHA-1', cert.subjectPublicKeyInfo.subjectPublicKey.valueBlock.valueHexView));
  return h;
}

// ---------------------------------------------------------------------------------------------
// Responder

/** RFC 6960 §4.2.1: an OCSPResponse carrying only an error status (no responseBytes). */
function statusOnly(status: number): Uint8Array {
  const resp = new pkijs.OCSPResponse({ responseStatus: new asn1js.Enumerated({ value: status }) });
  return new Uint8Array(resp.toSchema().toBER());
}

interface ParsedRequest {
  certIds: pkijs.CertID[];
  nonce?: pkijs.Extension;
}

/**
 * RFC 6960 §4.1.1 OCSPRequest. Returns null for anything we must answer malformedRequest:
 * undecodable DER, an empty requestList, an over-long nonce (RFC 8954 §2.1) or a critical
 * request extension we do not understand (§4.4: only non-critical unknown ones may be ignored).
 * An optionalSignature is accepted but not checked: this responder does not require signed requests.
 */
function parseOcspRequest(der: ArrayBuffer | Uint8Array): ParsedRequest | null {
  try {
    const req = new pkijs.OCSPRequest({ schema: parseDer(der) });
    const certIds = req.tbsRequest.requestList.map((r) => r.reqCert);
    if (!certIds.length) return null;
    let nonce: pkijs.Extension | undefined;
    for (const ext of req.tbsRequest.requestExtensions ?? []) {
      if (ext.extnID === OID.ocspNonce) nonce = ext;
      else if (ext.critical) return null;
    }
    if (nonce && nonceOctets(nonce).byteLength > MAX_NONCE_OCTETS) return null;
    return { certIds, nonce };
  } catch {
    return null;
  }
}

/** RFC 6960 §4.4.1: the nonce extnValue wraps an OCTET STRING; tolerate clients that send raw octets. */
function nonceOctets(ext: pkijs.Extension): Uint8Array {
  const raw = ext.extnValue.valueBlock.valueHexView;
  const inner = asn1js.fromBER(raw);
  if (inner.offset === raw.byteLength && inner.result instanceof asn1js.OctetString) {
    return inner.result.valueBlock.valueHexView;
  }
  return raw;
}

/** RFC 6960 §4.2.1 CertStatus CHOICE: good [0] NULL, revoked [1] RevokedInfo, unknown [2] NULL. */
function certStatusSchema(s: CertStatus): asn1js.BaseBlock {
  if (s.status === 'good') return new asn1js.Primitive({ idBlock: { tagClass: 3, tagNumber: 0 } });
  if (s.status === 'unknown') return new asn1js.Primitive({ idBlock: { tagClass: 3, tagNumber: 2 } });
  const value: asn1js.BaseBlock[] = [new asn1js.GeneralizedTime({ valueDate: wholeSeconds(s.revokedAt) })];
  if (s.reason !== undefined) {
    value.push(new asn1js.Constructed({
      idBlock: { tagClass: 3, tagNumber: 0 },
      value: [new asn1js.Enumerated({ value: REASON_CODE[s.reason] })],
    }));
  }
  return new asn1js.Constructed({ idBlock: { tagClass: 3, tagNumber: 1 }, value });
}

/** RFC 6960 §4.2.1 SingleResponse for one CertID; a CertID naming another issuer is answered unknown. */
async function answerCertId(
  id: pkijs.CertID, issuer: pkijs.Certificate, o: OcspResponderOptions, thisUpdate: Date, nextUpdate: Date,
): Promise<pkijs.SingleResponse> {
  const status: CertStatus = (await certIdNamesIssuer(id, issuer)) ? await o.lookup(serialOf(id)) : { status: 'unknown' };
  return new pkijs.SingleResponse({ certID: id, certStatus: certStatusSchema(status), thisUpdate, nextUpdate });
}

/**
 * Answers a DER OCSPRequest (RFC 6960 §4.1) with a DER OCSPResponse (§4.2): a BasicOCSPResponse
 * signed with SHA-256, responderID byKey, the responder certificate in `certs` and the request
 * nonce echoed (§4.4.1). Never throws: bad input gives malformedRequest, a failing lookup internalError.
 */
export async function respondOcsp(requestDer: ArrayBuffer | Uint8Array, o: OcspResponderOptions): Promise<Uint8Array> {
  const req = parseOcspRequest(requestDer);
  if (!req) return statusOnly(OcspResponseStatus.malformedRequest);
  try {
    const now = wholeSeconds((o.now ?? (() => new Date()))());
    const nextUpdate = new Date(now.getTime() + (o.validityMinutes ?? 60) * 60_000);
    const issuer = toPkijsCert(o.issuer);
    const responderCert = toPkijsCert(o.responder.certificate);
    const responses = await Promise.all(req.certIds.map((id) => answerCertId(id, issuer, o, now, nextUpdate)));
    const tbs = new pkijs.ResponseData({
      responderID: new asn1js.OctetString({ valueHex: await responderKeyHash(responderCert) }),
      producedAt: now,
      responses,
      ...(req.nonce ? { responseExtensions: [req.nonce] } : {}),
    });
    const basic = new pkijs.BasicOCSPResponse({ tbsResponseData: tbs, certs: [responderCert] });
    await basic.sign(o.responder.keys.privateKey as never, 'SHA-256');
    const resp = new pkijs.OCSPResponse({
      responseStatus: new asn1js.Enumerated({ value: OcspResponseStatus.successful }),
      responseBytes: new pkijs.ResponseBytes({
        responseType: OID.ocspBasic,
        response: new asn1js.OctetString({ valueHex: basic.toSchema().toBER() }),
      }),
    });
    return new Uint8Array(resp.toSchema().toBER());
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

/** RFC 6960 §4.2.2.3: does `cand` match the ResponderID (byKey SHA-1, or byName)? */
async function matchesResponderId(responderID: unknown, cand: pkijs.Certificate): Promise<boolean> {
  if (responderID instanceof pkijs.RelativeDistinguishedNames) return responderID.isEqual(cand.subject);
  if (responderID instanceof asn1js.OctetString) {
    return equalBytes(responderID.valueBlock.valueHexView, await responderKeyHash(cand));
  }
  return false;
}

/**
 * RFC 6960 §4.2.2.2 authorised responders: (1) a locally trusted responder, (2) the CA itself, or
 * (3) a delegate issued directly by the CA carrying id-kp-OCSPSigning, valid when the response was produced.
 */
async function isAuthorisedResponder(
  cand: x509.X509Certificate, issuer: x509.X509Certificate, trusted: x509.X509Certificate[], producedAt: Date,
): Promise<boolean> {
  const der = new Uint8Array(cand.rawData);
  if (trusted.some((t) => equalBytes(new Uint8Array(t.rawData), der))) return true;
  const c = toPkijsCert(cand);
  const i = toPkijsCert(issuer);
  const candKey = c.subjectPublicKeyInfo.subjectPublicKey.valueBlock.valueHexView;
  const issuerKey = i.subjectPublicKeyInfo.subjectPublicKey.valueBlock.valueHexView;
  if (c.subject.isEqual(i.subject) && equalBytes(candKey, issuerKey)) return true;
  if (!c.issuer.isEqual(i.subject) || !hasOcspSigningEku(cand)) return false;
  if (producedAt < cand.notBefore || producedAt > cand.notAfter) return false;
  return signatureVerifiedBy(cand, issuer);
}

/** sha256WithRSAEncryption (RFC 4055 §5): verified with a cached key; other algorithms go through pkijs. */
const RSA_SHA256 = '1.2.840.113549.1.1.11';

/** Does the responder's key verify the BasicOCSPResponse signature over tbsResponseData? */
async function responseSignedBy(basic: pkijs.BasicOCSPResponse, cand: x509.X509Certificate): Promise<boolean> {
  try {
    if (basic.signatureAlgorithm.algorithmId === RSA_SHA256 && cand.publicKey.algorithm.name === 'RSASSA-PKCS1-v1_5') {
      const alg = { name: 'RSASSA-PKCS1-v1_5', hash: { name: 'SHA-256' } };
      const key = await verificationKey(cand, alg);
      return await crypto.subtle.verify(alg, key, basic.signature.valueBlock.valueHexView, basic.tbsResponseData.tbsView);
    }
    return await pkijs.getCrypto(true).verifyWithPublicKey(basic.tbsResponseData.tbsView, basic.signature,
      toPkijsCert(cand).subjectPublicKeyInfo, basic.signatureAlgorithm);
  } catch {
    return false;
  }
}

/** RFC 6960 §4.2.1 CertStatus back to our type. */
function decodeCertStatus(block: asn1js.BaseBlock): CertStatus {
  const tag = block.idBlock.tagNumber;
  if (block.idBlock.tagClass !== 3) throw new OcspError('bad CertStatus');
  if (tag === 0) return { status: 'good' };
  if (tag === 2) return { status: 'unknown' };
  if (tag !== 1 || !(block instanceof asn1js.Constructed)) throw new OcspError('bad CertStatus');
  const [time, reasonTag] = block.valueBlock.value;
  if (!(time instanceof asn1js.GeneralizedTime)) throw new OcspError('bad RevokedInfo');
  const out: CertStatus = { status: 'revoked', revokedAt: time.toDate() };
  if (reasonTag instanceof asn1js.Constructed) {
    const e = reasonTag.valueBlock.value[0];
    const reason = e instanceof asn1js.Enumerated ? REASON_NAME.get(e.valueBlock.valueDec) : undefined;
    if (reason) out.reason = reason;
  }
  return out;
}

/** Reads an OCSPResponse and returns the BasicOCSPResponse, or throws with the responder's error status. */
function basicResponseOf(responseDer: ArrayBuffer | Uint8Array): pkijs.BasicOCSPResponse {
  let resp: pkijs.OCSPResponse;
  try {
    resp = new pkijs.OCSPResponse({ schema: parseDer(responseDer) });
  } catch {
    throw new OcspError('not an OCSPResponse');
  }
  const status = resp.responseStatus.valueBlock.valueDec;
  if (status !== OcspResponseStatus.successful) {
    const name = Object.entries(OcspResponseStatus).find(([, v]) => v === status)?.[0] ?? String(status);
    throw new OcspError(`OCSP responder answered ${name}`);
  }
  if (!resp.responseBytes || resp.responseBytes.responseType !== OID.ocspBasic) {
    throw new OcspError('not a basic OCSP response');
  }
  try {
    return pkijs.BasicOCSPResponse.fromBER(resp.responseBytes.response.valueBlock.valueHexView);
  } catch {
    throw new OcspError('undecodable BasicOCSPResponse');
  }
}

/**
 * Verifies an OCSPResponse for one certificate of `issuer` (RFC 6960 §3.2): the signature, that the
 * signer is an authorised responder (§4.2.2.2), the nonce if asked, and returns that certificate's
 * status. Throws OcspError on any failure. Freshness (thisUpdate/nextUpdate against a validation
 * time) is left to the caller, which may be validating at a past time.
 */
export async function checkOcspResponse(responseDer: ArrayBuffer | Uint8Array, o: OcspCheckOptions): Promise<OcspCheckResult> {
  const basic = basicResponseOf(responseDer);
  const tbs = basic.tbsResponseData;
  const trusted = o.responderTrust ?? [];
  const candidates = [o.issuer, ...trusted, ...(basic.certs ?? []).map((c) => certificateFromDer(new Uint8Array(c.toSchema().toBER())))];

  let responder: x509.X509Certificate | undefined;
  for (const cand of candidates) {
    const pc = toPkijsCert(cand);
    if (!(await matchesResponderId(tbs.responderID, pc))) continue;
    if (!(await isAuthorisedResponder(cand, o.issuer, trusted, tbs.producedAt))) continue;
    if (await responseSignedBy(basic, cand)) { responder = cand; break; }
  }
  if (!responder) throw new OcspError('OCSP response not signed by an authorised responder');

  if (o.nonce) {
    const ext = tbs.responseExtensions?.find((e) => e.extnID === OID.ocspNonce);
    if (!ext || !equalBytes(nonceOctets(ext), o.nonce)) throw new OcspError('OCSP nonce not echoed');
  }

  const serial = normalizeSerialHex(o.serialHex);
  const issuer = toPkijsCert(o.issuer);
  for (const single of tbs.responses) {
    if (serialOf(single.certID) !== serial || !(await certIdNamesIssuer(single.certID, issuer))) continue;
    return {
      status: decodeCertStatus(single.certStatus as asn1js.BaseBlock),
      producedAt: tbs.producedAt,
      thisUpdate: single.thisUpdate,
      ...(single.nextUpdate ? { nextUpdate: single.nextUpdate } : {}),
      responder,
    };
  }
  throw new OcspError(`OCSP response has no status for serial ${serial}`);
}

// Checking an OCSP response (RFC 6960 §3.2, §4.2.2.2): signature, authorised responder, nonce, the certificate's
// entry. Validation only.
import { crypto } from '../crypto';
import { normalizeSerialHex } from '../x509/serial';
import * as x509 from '@peculiar/x509';
import * as pkijs from 'pkijs';
import { certificateFromDer, certificateHash, signatureVerifiedBy, verificationKey } from '../x509/cache';
import { childrenOf, contentOf, DerError, encodingOf, expectTag, oidOf, readDer, smallIntOf, TAG, timeOf, type Tlv } from '../asn1/der';
import { equalBytes } from '../../util/bytes';
import {
  readCertId,
  type Extension,
  toBytes,
  type OcspCheckOptions,
  OID,
  type CertId,
  REASON_NAME,
  type OcspCheckResult,
  readExtensions,
  responderKeyHash,
  toPkijsCert,
  nonceOctets,
  OcspResponseStatus,
  OcspError,
  certIdNamesIssuer,
} from './certid';
import type { CertStatus } from '../sources';
import { RSA_WITH } from './responder';
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

/** The DER certificates a successful OCSP response carries (RFC 6960 §4.2.1 BasicOCSPResponse `certs`); OcspError otherwise. */
export function ocspResponderCertificates(responseDer: ArrayBuffer | Uint8Array): Uint8Array[] {
  return basicResponseOf(responseDer).certs;
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

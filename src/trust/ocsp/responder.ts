// The OCSP responder for segl's own CA (RFC 6960 §4.2): creation of responses, GET and POST requests.
import { crypto } from '../crypto';
import { childrenOf, DerError, expectTag, generalizedTime, oid, readDer, TAG, tlv } from '../asn1/der';
import {
  readCertId,
  type Extension,
  toBytes,
  OID,
  type CertId,
  type OcspResponderOptions,
  MAX_NONCE_OCTETS,
  readExtensions,
  responderKeyHash,
  nonceOctets,
  OcspResponseStatus,
  REASON_CODE,
  certIdNamesIssuer,
  wholeSeconds,
} from './certid';
import type { CertStatus } from '../sources';
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
export const RSA_WITH: Record<string, string> = {
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

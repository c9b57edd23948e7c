// segl's time-stamping authority (RFC 3161 §2.4): creation of time-stamp responses and tokens.
import { crypto } from '../crypto';
import * as asn1js from 'asn1js';
import * as pkijs from 'pkijs';
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
  tlv,
  unsignedInteger,
  type Tlv,
} from '../asn1/der';
import { wholeSeconds } from '../ocsp/certid';
import { normalizeSerialHex } from '../x509/serial';
import { OID, PkiStatus, type TsaFailure, HASHES, positiveIntegerDer, bigintHex, FAILURE_BITS, type TsaOptions } from './common';
import { toU8 } from './token';
import { createSignedData, partsOf } from '../cms/signeddata';
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

/**
 * RFC 3161 §2.4.2 TimeStampToken for a vetted request, written in DER (der.ts): a CMS SignedData
 * (RFC 5652 §5, version 3; cms/signeddata.ts) over the TSTInfo (genTime in whole seconds, accuracy, the imprint and
 * nonce echoed, tsa = our subject as a directoryName), signed attributes contentType, messageDigest
 * and ESS signing-certificate-v2 (RFC 5816/RFC 5035: SHA-256 certHash, the DEFAULT so no
 * hashAlgorithm, with IssuerSerial), RSASSA-PKCS1-v1_5 SHA-256 by the TSA key; the TSA certificate
 * only if the request set certReq.
 */
async function buildToken(req: VettedRequest, o: TsaOptions): Promise<Uint8Array> {
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
    tlv(0xa0, tlv(0xa4, partsOf(o.tsa.certificate).subject)),
  );
  return createSignedData({
    signer: o.tsa,
    contentType: OID.tstInfo,
    content: tst,
    encapsulate: true,
    certificates: req.certReq ? [new Uint8Array(o.tsa.certificate.rawData)] : [],
  });
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

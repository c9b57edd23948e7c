// Reading and verifying time-stamp responses and tokens (RFC 3161 §2.4.2, RFC 5816): validation only.
import * as x509 from '@peculiar/x509';
import * as asn1js from 'asn1js';
import * as pkijs from 'pkijs';
import { childrenOf, contentOf, encodingOf, expectTag, oidOf, readDer, smallIntOf, TAG, timeOf, type Tlv } from '../asn1/der';
import { parseDer } from '../ocsp/certid';
import { openSignedData, signerIdentifies, verifySignerInfo } from '../cms/verify';
import { equalBytes } from '../../util/bytes';
import {
  OID,
  type TimestampTokenInfo,
  integerHex,
  type TsaFailure,
  HASHES,
  digest,
  FAILURE_BITS,
  type TimestampResponseInfo,
} from './common';
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

export function toU8(der: ArrayBuffer | Uint8Array): Uint8Array {
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

export type TokenCheck =
  { ok: true; genTime: Date } | { ok: false; failure: 'FORMAT_FAILURE' | 'HASH_FAILURE' | 'SIG_CRYPTO_FAILURE'; reason: string };

/**
 * Verifies a TimeStampToken (RFC 3161 §2.4.2, RFC 5652 §5.4/§5.6) for `data` against `tsaCert`,
 * taken as trusted (chain building is the caller's): one signer, which is `tsaCert`; its SignerInfo
 * verified by cms/verify.ts (contentType and messageDigest attributes, the signature, ESS
 * signing-certificate(-v2) naming `tsaCert`); `tsaCert` is a TSA certificate (§2.3) valid at genTime;
 * the imprint equals the hash of `data` (else HASH_FAILURE). SHA-1 imprints and digests are refused, as
 * when issuing. Never throws.
 */
export async function checkTimestampToken(
  tokenDer: ArrayBuffer | Uint8Array,
  data: Uint8Array,
  tsaCert: x509.X509Certificate,
): Promise<TokenCheck> {
  const format = (reason: string): TokenCheck => ({ ok: false, failure: 'FORMAT_FAILURE', reason });
  try {
    const opened = openSignedData(toU8(tokenDer));
    if (opened.eContentType !== OID.tstInfo || !opened.eContent) return format('the token does not hold a TSTInfo');
    if (!isTsaCertificate(tsaCert))
      return format(`${tsaCert.subject} is not a TSA certificate (RFC 3161 §2.3: one critical EKU timeStamping)`);
    if (!signerIdentifies(opened.signerInfo, tsaCert)) return format(`the token is not signed by ${tsaCert.subject}`);
    const tst = new pkijs.TSTInfo({ schema: parseDer(opened.eContent) });
    if (tst.genTime < tsaCert.notBefore || tst.genTime > tsaCert.notAfter)
      return format(`genTime ${tst.genTime.toISOString()} is outside the validity of ${tsaCert.subject}`);
    const si = await verifySignerInfo(opened, opened.eContent, tsaCert);
    if (!si.ok) return si;
    if (!si.ess.ok) return format(si.ess.reason);
    const imprintAlg = HASHES[tst.messageImprint.hashAlgorithm.algorithmId];
    if (!imprintAlg) return format(`unsupported imprint algorithm ${tst.messageImprint.hashAlgorithm.algorithmId}`);
    if (!equalBytes(tst.messageImprint.hashedMessage.valueBlock.valueHexView, await digest(imprintAlg.name, data)))
      return { ok: false, failure: 'HASH_FAILURE', reason: 'the message imprint is not the hash of the time-stamped data' };
    return { ok: true, genTime: tst.genTime };
  } catch (e) {
    return format(`unreadable token: ${e instanceof Error ? e.message : String(e)}`);
  }
}

/** checkTimestampToken, as a yes or no. */
export async function verifyTimestampToken(
  tokenDer: ArrayBuffer | Uint8Array,
  data: Uint8Array,
  tsaCert: x509.X509Certificate,
): Promise<boolean> {
  return (await checkTimestampToken(tokenDer, data, tsaCert)).ok;
}

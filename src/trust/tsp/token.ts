// Reading and verifying time-stamp responses and tokens (RFC 3161 §2.4.2, RFC 5816): validation only.
import * as x509 from '@peculiar/x509';
import * as asn1js from 'asn1js';
import * as pkijs from 'pkijs';
import { childrenOf, contentOf, encodingOf, expectTag, oidOf, readDer, smallIntOf, TAG, timeOf, type Tlv } from '../asn1/der';
import { parseDer } from '../ocsp/certid';
import { equalBytes } from '../../util/bytes';
import {
  OID,
  type HashName,
  type TimestampTokenInfo,
  integerHex,
  type TsaFailure,
  HASHES,
  digest,
  certToPkijs,
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

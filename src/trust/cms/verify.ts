// Verifying one CMS SignerInfo (RFC 5652 §5.4, §5.6, §11; RFC 5035 ESS signing-certificate(-v2)): the one
// SignerInfo verifier of segl's validation side, used for RFC 3161 tokens (tsp/token.ts) and PAdES signatures
// (validation/padesitem.ts). It reads a SignedData, identifies the signer's certificate by its SignerIdentifier
// among the certificates carried and a caller's pool, and checks, in this order:
//   - signed attributes present (RFC 5652 §5.3: required when eContentType is not id-data; CAdES always has them),
//     each of content-type and message-digest exactly once with one value (§11.1, §11.2);
//   - content-type equal to eContentType (§5.6, §11.1);
//   - message-digest equal to the hash of the content with the SignerInfo's digestAlgorithm (§5.4, §11.2):
//     failing this is a HASH_FAILURE (ETSI EN 319 102-1 §5.2.7);
//   - the signature over the DER SET OF the signed attributes (§5.4) with the signer's key: else SIG_CRYPTO_FAILURE;
//   - the ESS signing-certificate-v2 (or v1) reference: its first ESSCertID hashes the signer's certificate and, when
//     an IssuerSerial is given, names it (RFC 5035 §5.4; EN 319 102-1 §5.2.3.4).
// Also reported: signing-time (RFC 5652 §11.3) if present, and the revocation values the SignedData carries
// (RFC 5652 §10.2.1 RevocationInfoChoices: CRLs, and OCSP responses as id-ri-ocsp-response, RFC 5940 §4.2).
// Not implemented: SignerInfos without signed attributes (only id-data content may omit them, and neither a
// token nor a CAdES signature does); counter-signatures; MD5 and SHA-1 message digests (refused, as tsp/common.ts).
import * as x509 from '@peculiar/x509';
import * as asn1js from 'asn1js';
import * as pkijs from 'pkijs';
import { equalBytes } from '../../util/bytes';
import { parseDer } from '../ocsp/certid';
import { digest, HASHES, type HashName } from '../tsp/common';
import { certificateFromDer, pkijsCertificate } from '../x509/cache';
import { normalizeSerialHex } from '../x509/serial';

export const CMS_VERIFY_OID = {
  signedData: '1.2.840.113549.1.7.2',
  contentType: '1.2.840.113549.1.9.3',
  messageDigest: '1.2.840.113549.1.9.4',
  signingTime: '1.2.840.113549.1.9.5',
  signingCertificate: '1.2.840.113549.1.9.16.2.12',
  signingCertificateV2: '1.2.840.113549.1.9.16.2.47',
  /** id-ri-ocsp-response (RFC 5940 §4.2) */
  ocspResponse: '1.3.6.1.5.5.7.16.2',
} as const;

/** The SignedData could not be read as one (ContentInfo, SignedData, exactly one SignerInfo). */
export class CmsFormatError extends Error {
  override name = 'CmsFormatError';
}

/** A SignedData as read: its certificates, its one SignerInfo, the content type and, when encapsulated, content. */
export interface OpenedSignedData {
  signedData: pkijs.SignedData;
  signerInfo: pkijs.SignerInfo;
  certificates: x509.X509Certificate[];
  eContentType: string;
  /** the encapsulated content (absent: detached) */
  eContent?: Uint8Array;
  /** DER CRLs and OCSPResponses in RevocationInfoChoices */
  crls: Uint8Array[];
  ocsps: Uint8Array[];
}

/** Reads a DER ContentInfo holding a SignedData with exactly one SignerInfo. Throws CmsFormatError. */
export function openSignedData(der: Uint8Array): OpenedSignedData {
  let sd: pkijs.SignedData;
  try {
    const info = new pkijs.ContentInfo({ schema: parseDer(der) });
    if (info.contentType !== CMS_VERIFY_OID.signedData) throw new CmsFormatError('the ContentInfo does not hold a SignedData');
    sd = new pkijs.SignedData({ schema: info.content });
  } catch (e) {
    throw e instanceof CmsFormatError ? e : new CmsFormatError(`not a CMS SignedData: ${e instanceof Error ? e.message : String(e)}`);
  }
  const signerInfo = sd.signerInfos[0];
  if (sd.signerInfos.length !== 1 || !signerInfo)
    throw new CmsFormatError(`the SignedData has ${sd.signerInfos.length} SignerInfos, not one`);
  const certificates: x509.X509Certificate[] = [];
  for (const c of sd.certificates ?? []) {
    if (c instanceof pkijs.Certificate) certificates.push(certificateFromDer(new Uint8Array(c.toSchema().toBER())));
  }
  const crls: Uint8Array[] = [];
  const ocsps: Uint8Array[] = [];
  for (const r of sd.crls ?? []) {
    if (r instanceof pkijs.CertificateRevocationList) crls.push(new Uint8Array(r.toSchema().toBER()));
    else if (r instanceof pkijs.OtherRevocationInfoFormat && r.otherRevInfoFormat === CMS_VERIFY_OID.ocspResponse)
      ocsps.push(new Uint8Array((r.otherRevInfo as asn1js.BaseBlock).toBER()));
  }
  const e = sd.encapContentInfo;
  const eContent = e.eContent instanceof asn1js.OctetString ? new Uint8Array(e.eContent.getValue()) : undefined;
  return { signedData: sd, signerInfo, certificates, eContentType: e.eContentType, ...(eContent ? { eContent } : {}), crls, ocsps };
}

/** Does the SignerIdentifier (RFC 5652 §5.3: issuerAndSerialNumber or subjectKeyIdentifier) designate `cert`? */
export function signerIdentifies(si: pkijs.SignerInfo, cert: x509.X509Certificate): boolean {
  const sid = si.sid as unknown;
  if (sid instanceof pkijs.IssuerAndSerialNumber) {
    const c = pkijsCertificate(cert);
    return sid.issuer.isEqual(c.issuer) && sid.serialNumber.isEqual(c.serialNumber);
  }
  // [0] SubjectKeyIdentifier, read by pkijs as the tagged value itself (implicit: primitive; or wrapping an OCTET STRING)
  const inner = sid instanceof asn1js.Constructed ? sid.valueBlock.value[0] : sid;
  const keyId = inner instanceof asn1js.Primitive || inner instanceof asn1js.OctetString ? inner.valueBlock.valueHexView : undefined;
  const ski = cert.getExtension(x509.SubjectKeyIdentifierExtension)?.keyId;
  if (keyId && ski) return Buffer.from(keyId).toString('hex').toLowerCase() === ski.toLowerCase();
  return false;
}

/** The signer's certificate: among the SignedData's own certificates first, then `pool`. */
export function findSignerCertificate(opened: OpenedSignedData, pool: x509.X509Certificate[] = []): x509.X509Certificate | undefined {
  return [...opened.certificates, ...pool].find((c) => signerIdentifies(opened.signerInfo, c));
}

/** The one value of the signed attribute `type`; undefined when absent; 'many' when repeated or multi-valued. */
export function signedAttribute(si: pkijs.SignerInfo, type: string): asn1js.BaseBlock | undefined | 'many' {
  const found = si.signedAttrs?.attributes.filter((a) => a.type === type) ?? [];
  if (!found.length) return undefined;
  return found.length === 1 && found[0]!.values.length === 1 ? found[0]!.values[0] : 'many';
}

/** How many signed attributes of `type` the SignerInfo has. */
export function signedAttributeCount(si: pkijs.SignerInfo, type: string): number {
  return si.signedAttrs?.attributes.filter((a) => a.type === type).length ?? 0;
}

/** The values of the unsigned attribute `type` (e.g. id-aa-signatureTimeStampToken), each as DER. */
export function unsignedAttributeValues(si: pkijs.SignerInfo, type: string): Uint8Array[] {
  return (si.unsignedAttrs?.attributes ?? []).filter((a) => a.type === type).flatMap((a) => a.values.map((v) => new Uint8Array(v.toBER())));
}

/** RFC 5035 IssuerSerial { issuer GeneralNames, serialNumber }: does it name `cert`? */
function issuerSerialNames(issuerSerial: asn1js.BaseBlock, cert: x509.X509Certificate): boolean {
  if (!(issuerSerial instanceof asn1js.Sequence)) return false;
  const [names, serial] = issuerSerial.valueBlock.value;
  if (!(serial instanceof asn1js.Integer) || !(names instanceof asn1js.Sequence)) return false;
  if (normalizeSerialHex(Buffer.from(serial.valueBlock.valueHexView).toString('hex')) !== normalizeSerialHex(cert.serialNumber))
    return false;
  const issuer = pkijsCertificate(cert).issuer;
  return names.valueBlock.value.some((gn) => {
    if (gn.idBlock.tagClass !== 3 || gn.idBlock.tagNumber !== 4 || !(gn instanceof asn1js.Constructed)) return false;
    const name = gn.valueBlock.value[0];
    return !!name && new pkijs.RelativeDistinguishedNames({ schema: name }).isEqual(issuer);
  });
}

export type EssResult = { ok: true; attribute: 'signing-certificate-v2' | 'signing-certificate' } | { ok: false; reason: string };

/** RFC 5035 §5.4 / RFC 5816: the first ESSCertID(v2) hashes `cert` and, if it has an IssuerSerial, names it. */
export async function essCertificateMatches(si: pkijs.SignerInfo, cert: x509.X509Certificate): Promise<EssResult> {
  const v2 = signedAttribute(si, CMS_VERIFY_OID.signingCertificateV2);
  const v1 = signedAttribute(si, CMS_VERIFY_OID.signingCertificate);
  if (v2 === 'many' || v1 === 'many') return { ok: false, reason: 'more than one signing-certificate attribute' };
  const outer = v2 ?? v1;
  if (!outer) return { ok: false, reason: 'no signing-certificate(-v2) attribute' };
  const attribute = v2 ? 'signing-certificate-v2' : 'signing-certificate';
  const first =
    outer instanceof asn1js.Sequence ? (outer.valueBlock.value[0] as asn1js.Sequence | undefined)?.valueBlock?.value[0] : undefined;
  if (!(first instanceof asn1js.Sequence)) return { ok: false, reason: `${attribute} is malformed` };
  let fields = first.valueBlock.value;
  let alg: HashName | 'SHA-1' = v2 ? 'SHA-256' : 'SHA-1';
  if (v2 && fields[0] instanceof asn1js.Sequence) {
    const h = HASHES[new pkijs.AlgorithmIdentifier({ schema: fields[0] }).algorithmId];
    if (!h) return { ok: false, reason: `${attribute} uses an unsupported hash algorithm` };
    alg = h.name;
    fields = fields.slice(1);
  }
  const [certHash, issuerSerial] = fields;
  if (!(certHash instanceof asn1js.OctetString)) return { ok: false, reason: `${attribute} is malformed` };
  if (!equalBytes(certHash.valueBlock.valueHexView, await digest(alg, new Uint8Array(cert.rawData))))
    return { ok: false, reason: `${attribute} certHash does not match ${cert.subject}` };
  if (issuerSerial && !issuerSerialNames(issuerSerial, cert))
    return { ok: false, reason: `${attribute} IssuerSerial does not name ${cert.subject}` };
  return { ok: true, attribute };
}

export type SignerInfoResult =
  | { ok: true; digestAlgorithm: HashName; signingTime?: Date; ess: EssResult }
  | { ok: false; failure: 'FORMAT_FAILURE' | 'HASH_FAILURE' | 'SIG_CRYPTO_FAILURE'; reason: string };

/**
 * Verifies the SignerInfo of `opened` over `content` (the detached content, or the encapsulated one) with the key
 * of `signer` (see the top of this file). The ESS reference is reported, not enforced: callers decide.
 */
export async function verifySignerInfo(
  opened: OpenedSignedData,
  content: Uint8Array,
  signer: x509.X509Certificate,
): Promise<SignerInfoResult> {
  const si = opened.signerInfo;
  const fail = (failure: 'FORMAT_FAILURE' | 'HASH_FAILURE' | 'SIG_CRYPTO_FAILURE', reason: string): SignerInfoResult => ({
    ok: false,
    failure,
    reason,
  });
  if (!si.signedAttrs) return fail('FORMAT_FAILURE', 'the SignerInfo has no signed attributes');
  const alg = HASHES[si.digestAlgorithm.algorithmId];
  if (!alg) return fail('FORMAT_FAILURE', `unsupported digest algorithm ${si.digestAlgorithm.algorithmId}`);
  const ct = signedAttribute(si, CMS_VERIFY_OID.contentType);
  const md = signedAttribute(si, CMS_VERIFY_OID.messageDigest);
  if (!(ct instanceof asn1js.ObjectIdentifier)) return fail('FORMAT_FAILURE', 'content-type is missing or not a single OID');
  if (ct.getValue() !== opened.eContentType)
    return fail('FORMAT_FAILURE', `content-type ${ct.getValue()} differs from eContentType ${opened.eContentType}`);
  if (!(md instanceof asn1js.OctetString)) return fail('FORMAT_FAILURE', 'message-digest is missing or not a single OCTET STRING');
  if (!equalBytes(md.valueBlock.valueHexView, await digest(alg.name, content)))
    return fail('HASH_FAILURE', `message-digest does not match the ${alg.name} of the signed content`);
  // RFC 5652 §5.4: the signature covers the signed attributes re-tagged as a SET OF (0x31).
  const signedAttrs = new Uint8Array(si.signedAttrs.encodedValue.slice(0));
  signedAttrs[0] = 0x31;
  let sigOk = false;
  try {
    sigOk = await pkijs
      .getCrypto(true)
      .verifyWithPublicKey(signedAttrs, si.signature, pkijsCertificate(signer).subjectPublicKeyInfo, si.signatureAlgorithm, alg.name);
  } catch {
    sigOk = false;
  }
  if (!sigOk) return fail('SIG_CRYPTO_FAILURE', `the signature does not verify with the key of ${signer.subject}`);
  const st = signedAttribute(si, CMS_VERIFY_OID.signingTime);
  const signingTime = st instanceof asn1js.UTCTime || st instanceof asn1js.GeneralizedTime ? st.toDate() : undefined;
  return { ok: true, digestAlgorithm: alg.name, ...(signingTime ? { signingTime } : {}), ess: await essCertificateMatches(si, signer) };
}

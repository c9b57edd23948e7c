// The validation data of one PAdES signature, gathered for its DSS (ETSI EN 319 142-1 §5.4.2; §6.3 B-LT: the
// validation data of the signing certificate's chain, as EU DSS's PAdESBaselineRequirementsChecker reads it).
// For a CMS (a signature's, or a time-stamp token's, which is one too):
//   - the signer and, for each signature time-stamp token in its unsigned attributes (id-aa-signatureTimeStampToken,
//     RFC 3161 Appendix A), the TSA; each one's path up to a self-signed root, built with @peculiar/x509's
//     X509ChainBuilder (issuer by name and key identifier, decided by the issuer's key verifying the signature,
//     RFC 5280 §6.1.3 (a)(1)) from the certificates in the CMS and the caller's pool;
//   - for every certificate on those paths that is not self-signed (a root is a trust anchor, RFC 5280 §6.1.1 (d)),
//     the answer of the RevocationSource: its OCSP response (or CRL) as evidence;
//   - the certificates of the OCSP responders found inside those responses (RFC 6960 §4.2.1 BasicOCSPResponse
//     certs), and their own paths and revocation data unless they carry id-pkix-ocsp-nocheck (RFC 6960 §4.2.2.2.1).
// A revoked certificate, a certificate without revocation evidence, or a path that does not reach a self-signed
// certificate is a ValidationDataError: a B-LT signature must not ship with a hole in its data.
// Not implemented: CRL distribution-point fetching (the RevocationSource decides OCSP or CRL); ESS
// signing-certificate checks (the CMS is segl's own, made by cms.ts); time-stamp tokens nested deeper than one level.
import { crypto } from '../crypto';
import * as x509 from '@peculiar/x509';
import { CMS_OID, partsOf } from '../cms/signeddata';
import { CmsFormatError, findSignerCertificate, openSignedData as openCms, unsignedAttributeValues } from '../cms/verify';
import { equalBytes } from '../../util/bytes';
import { childrenOf, DerError, encodingOf, expectTag, oidOf, readDer, TAG } from '../asn1/der';
import { ocspResponderCertificates } from '../ocsp/response';
import { BoundedCache } from '../../util/boundedcache';
import { certificateFromDer, certificateHash, signatureVerifiedBy } from '../x509/cache';
import type { RevocationSource } from '../sources';

/** DER values for a DSS (and one VRI): certificates, OCSPResponses, CRLs. */
export interface ValidationData {
  certificates: Uint8Array[];
  ocsps: Uint8Array[];
  crls: Uint8Array[];
}

export interface CollectOptions {
  /** certificates to build paths from (issuing CAs and roots of the signer's and of the TSA's chains) */
  certificatePool: x509.X509Certificate[];
  revocation: RevocationSource;
}

export class ValidationDataError extends Error {
  override name = 'ValidationDataError';
}

const OCSP_NOCHECK = '1.3.6.1.5.5.7.48.1.5';
const keyOf = (der: Uint8Array): string => Buffer.from(der).toString('base64');
const derOf = (c: x509.X509Certificate): Uint8Array => new Uint8Array(c.rawData);

interface OpenedSignedData {
  certificates: x509.X509Certificate[];
  signer?: x509.X509Certificate;
  tokens: Uint8Array[];
}

/** The certificate among `certificates` and `pool` whose issuer and serial have these encodings (RFC 5652 §5.3 sid). */
function bySid(issuer: Uint8Array, serial: Uint8Array, certificates: x509.X509Certificate[], pool: x509.X509Certificate[]) {
  return [...certificates, ...pool].find((c) => {
    const p = partsOf(c);
    return equalBytes(p.issuer, issuer) && equalBytes(p.serial, serial);
  });
}

/**
 * A SignedData's certificates, its signer's certificate (RFC 5652 §5.3 sid, issuerAndSerialNumber: matched by the
 * DER of issuer and serial among the certificates carried, then the pool) and its signature time-stamp tokens.
 * DER (what cms.ts and RFC 3161 TSAs write) is walked with asn1/der.ts, the hot path; anything else (BER) is read by
 * cms/verify.ts.
 */
function openSignedData(der: Uint8Array, pool: x509.X509Certificate[]): OpenedSignedData {
  try {
    return openSignedDataDer(der, pool);
  } catch (e) {
    if (e instanceof DerError) return openSignedDataBer(der, pool);
    throw e;
  }
}

/** RFC 5652 §3 ContentInfo, §5.1 SignedData, §5.3 SignerInfo, walked as DER. */
function openSignedDataDer(der: Uint8Array, pool: x509.X509Certificate[]): OpenedSignedData {
  const [type, content] = childrenOf(expectTag(readDer(der), TAG.sequence, 'ContentInfo'));
  if (oidOf(expectTag(type, TAG.oid, 'contentType')) !== CMS_OID.signedData) throw new ValidationDataError('the CMS is not SignedData');
  const [sd] = childrenOf(expectTag(content, 0xa0, 'content'));
  const fields = childrenOf(expectTag(sd, TAG.sequence, 'SignedData'));
  // version, digestAlgorithms, encapContentInfo, [0] IMPLICIT certificates OPTIONAL, [1] IMPLICIT crls OPTIONAL, signerInfos
  const certificates = (fields.find((f) => f.tag === 0xa0) ? childrenOf(fields.find((f) => f.tag === 0xa0)!) : [])
    .filter((c) => c.tag === TAG.sequence) // other CertificateChoices (attribute certificates …) are not certificates
    .map((c) => certificateFromDer(encodingOf(c)));
  const infos = childrenOf(expectTag(fields[fields.length - 1], TAG.set, 'signerInfos'));
  if (infos.length !== 1) throw new ValidationDataError('the CMS must have exactly one signer');
  const si = childrenOf(expectTag(infos[0], TAG.sequence, 'SignerInfo'));
  const sid = si[1];
  let signer: x509.X509Certificate | undefined;
  if (sid?.tag === TAG.sequence) {
    const [issuer, serial] = childrenOf(sid);
    signer = bySid(
      encodingOf(expectTag(issuer, TAG.sequence, 'sid issuer')),
      encodingOf(expectTag(serial, TAG.integer, 'sid serial')),
      certificates,
      pool,
    );
  }
  const unsigned = si.find((f) => f.tag === 0xa1);
  const tokens = (unsigned ? childrenOf(unsigned) : []).flatMap((attr) => {
    const [attrType, values] = childrenOf(expectTag(attr, TAG.sequence, 'Attribute'));
    if (oidOf(expectTag(attrType, TAG.oid, 'attrType')) !== CMS_OID.signatureTimeStampToken) return [];
    return childrenOf(expectTag(values, TAG.set, 'attrValues')).map((v) => encodingOf(v));
  });
  return { certificates, ...(signer ? { signer } : {}), tokens };
}

/** openSignedData for BER, with the general CMS reader (cms/verify.ts). */
function openSignedDataBer(der: Uint8Array, pool: x509.X509Certificate[]): OpenedSignedData {
  let opened: ReturnType<typeof openCms>;
  try {
    opened = openCms(der);
  } catch (e) {
    if (e instanceof CmsFormatError) throw new ValidationDataError(`the CMS is not a SignedData with one signer: ${e.message}`);
    throw e;
  }
  const signer = findSignerCertificate(opened, pool);
  const tokens = unsignedAttributeValues(opened.signerInfo, CMS_OID.signatureTimeStampToken);
  return { certificates: opened.certificates, ...(signer ? { signer } : {}), tokens };
}

/** The certificates an OCSP response carries (RFC 6960 §4.2.1 `certs`, read by ocsp/response.ts). */
function responderCertificates(ocspDer: Uint8Array): x509.X509Certificate[] {
  return ocspResponderCertificates(ocspDer).map(certificateFromDer);
}

/**
 * The path X509ChainBuilder builds for `leaf` from `candidates`, remembered: it depends only on the certificates'
 * bytes (names, key identifiers and signatures, nothing time-dependent), so the same leaf among the same candidates
 * gives the same path. Keyed by the SHA-256 of every certificate involved (x509/cache.ts).
 */
const paths = new BoundedCache<string, Promise<x509.X509Certificate[]>>(256);
function buildPath(leaf: x509.X509Certificate, candidates: x509.X509Certificate[]): Promise<x509.X509Certificate[]> {
  const key = [certificateHash(leaf), ...candidates.map(certificateHash).sort()].join(' ');
  const hit = paths.get(key);
  if (hit) return hit;
  const built = new x509.X509ChainBuilder({ certificates: candidates }).build(leaf, crypto as never).then((chain) => [...chain]);
  built.catch(() => paths.delete(key));
  return paths.set(key, built);
}

/** Self-signed (RFC 5280 §6.1: a trust anchor here): issuer equals subject and its own key verifies its signature. */
async function selfSigned(cert: x509.X509Certificate): Promise<boolean> {
  return cert.subject === cert.issuer && signatureVerifiedBy(cert, cert);
}

/** Accumulates certificates and evidence, each value once. */
class Collector {
  private readonly seen = new Set<string>();
  readonly data: ValidationData = { certificates: [], ocsps: [], crls: [] };
  private readonly checked = new Set<string>();

  constructor(
    private readonly pool: x509.X509Certificate[],
    private readonly revocation: RevocationSource,
  ) {}

  private add(list: Uint8Array[], der: Uint8Array): void {
    const k = keyOf(der);
    if (!this.seen.has(k)) {
      this.seen.add(k);
      list.push(der);
    }
  }

  /** `leaf`'s path to a self-signed certificate; each certificate kept, each non-root checked for revocation. */
  async path(leaf: x509.X509Certificate, extra: x509.X509Certificate[]): Promise<void> {
    const chain = await buildPath(leaf, [...extra, ...this.pool]);
    const top = chain[chain.length - 1]!;
    if (!(await selfSigned(top)))
      throw new ValidationDataError(`no issuer of ${top.subject} (issued by ${top.issuer}) in the certificate pool`);
    for (const c of chain) this.add(this.data.certificates, derOf(c));
    for (let i = 0; i + 1 < chain.length; i++) await this.revocationOf(chain[i]!, chain[i + 1]!, extra);
  }

  private async revocationOf(cert: x509.X509Certificate, issuer: x509.X509Certificate, extra: x509.X509Certificate[]): Promise<void> {
    const k = keyOf(derOf(cert));
    if (this.checked.has(k)) return;
    this.checked.add(k);
    const answer = await this.revocation(cert, issuer);
    if (answer.status.status === 'revoked') throw new ValidationDataError(`${cert.subject} is revoked`);
    if (answer.status.status !== 'good' || !answer.responseDer)
      throw new ValidationDataError(`no revocation evidence for ${cert.subject}: ${answer.detail ?? answer.status.status}`);
    if (answer.source === 'crl') {
      this.add(this.data.crls, answer.responseDer);
      return;
    }
    this.add(this.data.ocsps, answer.responseDer);
    for (const responder of responderCertificates(answer.responseDer)) {
      this.add(this.data.certificates, derOf(responder));
      if (!responder.getExtension(OCSP_NOCHECK) && !(await selfSigned(responder))) await this.path(responder, extra);
    }
  }
}

/**
 * The validation data of the signature whose CMS is `cmsDer` (a PAdES signature's CMS, or a document time-stamp's
 * token): the signer's and each signature time-stamp's TSA's paths, and revocation evidence for them.
 */
export async function collectValidationData(cmsDer: Uint8Array, o: CollectOptions): Promise<ValidationData> {
  const collector = new Collector(o.certificatePool, o.revocation);
  const signed = openSignedData(cmsDer, o.certificatePool);
  if (!signed.signer) throw new ValidationDataError("the signer's certificate is neither in the CMS nor in the pool");
  await collector.path(signed.signer, signed.certificates);
  for (const token of signed.tokens) {
    const tsa = openSignedData(token, o.certificatePool);
    if (!tsa.signer) throw new ValidationDataError("the TSA's certificate is neither in its time-stamp token nor in the pool");
    await collector.path(tsa.signer, tsa.certificates);
  }
  return collector.data;
}

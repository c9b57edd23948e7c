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
import * as pkijs from 'pkijs';
import { CMS_OID, partsOf } from '../cms/signeddata';
import { equalBytes } from '../../util/bytes';
import { parseDer } from '../ocsp/certid';
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

/**
 * A SignedData's certificates, its signer's certificate (RFC 5652 §5.3 sid, issuerAndSerialNumber: matched by the
 * DER of issuer and serial among the certificates carried, then the pool) and its signature time-stamp tokens.
 */
function openSignedData(
  der: Uint8Array,
  pool: x509.X509Certificate[],
): { certificates: x509.X509Certificate[]; signer?: x509.X509Certificate; tokens: Uint8Array[] } {
  const info = new pkijs.ContentInfo({ schema: parseDer(der) });
  if (info.contentType !== CMS_OID.signedData) throw new ValidationDataError('the CMS is not SignedData');
  const sd = new pkijs.SignedData({ schema: info.content });
  const certificates = (sd.certificates ?? [])
    .filter((c): c is pkijs.Certificate => c instanceof pkijs.Certificate)
    .map((c) => new x509.X509Certificate(c.toSchema().toBER()));
  const si = sd.signerInfos[0];
  if (sd.signerInfos.length !== 1 || !si) throw new ValidationDataError('the CMS must have exactly one signer');
  const sid = si.sid as unknown;
  const signer =
    sid instanceof pkijs.IssuerAndSerialNumber
      ? [...certificates, ...pool].find((c) => {
          const p = partsOf(c);
          return (
            equalBytes(p.issuer, new Uint8Array(sid.issuer.toSchema().toBER())) &&
            equalBytes(p.serial, new Uint8Array(sid.serialNumber.toBER()))
          );
        })
      : undefined;
  const tokens = (si.unsignedAttrs?.attributes ?? [])
    .filter((a) => a.type === CMS_OID.signatureTimeStampToken)
    .flatMap((a) => a.values.map((v) => new Uint8Array(v.toBER())));
  return { certificates, ...(signer ? { signer } : {}), tokens };
}

/** The certificates inside an OCSPResponse's BasicOCSPResponse (RFC 6960 §4.2.1 `certs`). */
function responderCertificates(ocspDer: Uint8Array): x509.X509Certificate[] {
  const response = new pkijs.OCSPResponse({ schema: parseDer(ocspDer) });
  const bytes = response.responseBytes?.response.valueBlock.valueHexView;
  if (!bytes) return [];
  const basic = new pkijs.BasicOCSPResponse({ schema: parseDer(bytes) });
  return (basic.certs ?? []).map((c) => new x509.X509Certificate(c.toSchema().toBER()));
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
    const chain = [...(await new x509.X509ChainBuilder({ certificates: [...extra, ...this.pool] }).build(leaf, crypto as never))];
    const top = chain[chain.length - 1]!;
    if (!(await top.isSelfSigned(crypto as never)))
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
      if (!responder.getExtension(OCSP_NOCHECK) && !(await responder.isSelfSigned(crypto as never))) await this.path(responder, extra);
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

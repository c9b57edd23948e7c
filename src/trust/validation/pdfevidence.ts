// The validation data a PAdES file carries, and revocation answered from it alone (offline), for
// validation/pades.ts.
//   - The Document Security Store (ETSI EN 319 142-1 §5.4.2; ISO 32000-2 §12.8.4.3-4): the catalog's /DSS with
//     /Certs, /OCSPs and /CRLs (arrays of streams of DER), and the same kinds in each /VRI entry (/Cert, /OCSP,
//     /CRL), read with pdf-lib. A stream that does not decode is skipped (it proves nothing).
//   - The status of one certificate at a time T from those values and a CMS's own (RFC 5652 §10.2.1): each OCSP
//     response checked with ocsp/response.ts (signature, authorised responder, the certificate's entry; RFC 6960
//     §3.2, §4.2.2.2) and each CRL (RFC 5280 §5, §6.3.3) issued under the issuer's name and signed with its key.
//     A revocation at or before T is "revoked"; one after T leaves the certificate good at T; a good answer is
//     taken as the status, its freshness against T is not demanded (EN 319 102-1 §5.2.5 leaves freshness to the
//     signature validation policy, which this validator does not apply, as process.ts does not).
// Not implemented: indirect CRLs and delta CRLs (RFC 5280 §5.2.4-5); revocation of the OCSP responder's own
// certificate (segl's responders carry id-pkix-ocsp-nocheck, RFC 6960 §4.2.2.2.1); /TS time-stamps of VRI entries.
import type * as x509 from '@peculiar/x509';
import { decodePDFRawStream, PDFArray, PDFDict, PDFName, PDFRawStream, type PDFDocument } from '@cantoo/pdf-lib';
import * as pkijs from 'pkijs';
import { checkOcspResponse } from '../ocsp/response';
import type { CertStatus } from '../sources';
import { certificateFromDer, pkijsCertificate } from '../x509/cache';
import { normalizeSerialHex } from '../x509/serial';

/** DER values of validation data: certificates, OCSPResponses, CRLs. */
export interface EvidenceValues {
  certificates: Uint8Array[];
  ocsps: Uint8Array[];
  crls: Uint8Array[];
}

const KINDS = [
  ['certificates', 'Certs', 'Cert'],
  ['ocsps', 'OCSPs', 'OCSP'],
  ['crls', 'CRLs', 'CRL'],
] as const;

/** The decoded streams of array `key` of `dict`, each once (by value) into `into`. */
function streamsOf(dict: PDFDict, key: string, into: Uint8Array[], seen: Set<string>): void {
  const arr = dict.lookupMaybe(PDFName.of(key), PDFArray);
  for (let i = 0; arr && i < arr.size(); i++) {
    const s = arr.lookup(i);
    if (!(s instanceof PDFRawStream)) continue;
    try {
      const der = decodePDFRawStream(s).decode();
      const k = Buffer.from(der).toString('base64');
      if (!seen.has(k)) {
        seen.add(k);
        into.push(der);
      }
    } catch {
      /* undecodable: no evidence */
    }
  }
}

/** The DSS of a loaded document (its arrays and every VRI entry's), or undefined when the catalog has none. */
export function readDss(doc: PDFDocument): EvidenceValues | undefined {
  const dss = doc.catalog.lookupMaybe(PDFName.of('DSS'), PDFDict);
  if (!dss) return undefined;
  const out: EvidenceValues = { certificates: [], ocsps: [], crls: [] };
  const seen = new Set<string>();
  for (const [field, dssKey] of KINDS) streamsOf(dss, dssKey, out[field], seen);
  const vri = dss.lookupMaybe(PDFName.of('VRI'), PDFDict);
  for (const [, entry] of vri?.entries() ?? []) {
    const d = vri!.context.lookup(entry);
    if (d instanceof PDFDict) for (const [field, , vriKey] of KINDS) streamsOf(d, vriKey, out[field], seen);
  }
  return out;
}

/** One certificate's status as the evidence answers it. */
export interface OfflineStatus {
  status: CertStatus;
  source: 'ocsp' | 'crl';
  /** the response or CRL that answered */
  der: Uint8Array;
  detail: string;
}

/** RFC 5280 §6.3.3: a CRL of `issuer` (same name, its key verifies the CRL), and `cert`'s entry in it. */
async function crlStatus(der: Uint8Array, cert: x509.X509Certificate, issuer: x509.X509Certificate): Promise<OfflineStatus | undefined> {
  try {
    const crl = pkijs.CertificateRevocationList.fromBER(der);
    const issuerCert = pkijsCertificate(issuer);
    if (!crl.issuer.isEqual(issuerCert.subject)) return undefined;
    if (!(await crl.verify({ issuerCertificate: issuerCert }))) return undefined;
    const serial = normalizeSerialHex(cert.serialNumber);
    const entry = crl.revokedCertificates?.find(
      (r) => normalizeSerialHex(Buffer.from(r.userCertificate.valueBlock.valueHexView).toString('hex')) === serial,
    );
    const detail = `CRL of ${issuer.subject}, thisUpdate ${crl.thisUpdate.value.toISOString()}`;
    const status: CertStatus = entry ? { status: 'revoked', revokedAt: entry.revocationDate.value } : { status: 'good' };
    return { status, source: 'crl', der, detail };
  } catch {
    return undefined;
  }
}

/** Every answer the evidence gives for `cert` (issued by `issuer`): verified OCSP responses and CRLs. */
async function answersFor(values: EvidenceValues, cert: x509.X509Certificate, issuer: x509.X509Certificate): Promise<OfflineStatus[]> {
  const serialHex = normalizeSerialHex(cert.serialNumber);
  const out: OfflineStatus[] = [];
  for (const der of values.ocsps) {
    try {
      const r = await checkOcspResponse(der, { issuer, serialHex });
      out.push({
        status: r.status,
        source: 'ocsp',
        der,
        detail: `OCSP response from ${r.responder.subject} produced ${r.producedAt.toISOString()}`,
      });
    } catch {
      /* not an answer for this certificate */
    }
  }
  for (const der of values.crls) {
    const a = await crlStatus(der, cert, issuer);
    if (a) out.push(a);
  }
  return out;
}

/**
 * The status of `cert` at `at` from the evidence alone (see the top of this file): a revocation wins over good
 * answers; undefined when nothing in the evidence answers for it.
 */
export async function offlineStatus(
  values: EvidenceValues,
  cert: x509.X509Certificate,
  issuer: x509.X509Certificate,
  at: Date,
): Promise<OfflineStatus | undefined> {
  const answers = await answersFor(values, cert, issuer);
  const revoked = answers.find((a) => a.status.status === 'revoked');
  if (revoked?.status.status === 'revoked') {
    if (revoked.status.revokedAt <= at) return revoked;
    return {
      ...revoked,
      status: { status: 'good' },
      detail: `${revoked.detail}; revoked ${revoked.status.revokedAt.toISOString()}, after ${at.toISOString()}`,
    };
  }
  return answers.find((a) => a.status.status === 'good') ?? answers[0];
}

/** Certificates in DER, parsed; those that do not parse are left out. */
export function parseCertificates(ders: Uint8Array[]): x509.X509Certificate[] {
  return ders.flatMap((d) => {
    try {
      return [certificateFromDer(d)];
    } catch {
      return [];
    }
  });
}

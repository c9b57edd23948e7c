// The PAdES baseline level a signature reaches (ETSI EN 319 142-1 §6.3), judged as EU DSS's
// PAdESBaselineRequirementsChecker and CAdESBaselineRequirementsChecker judge it (reference/packagingservice-v4.md
// §4). Structural: whether the signature, its time-stamps and its certificates are trusted is the indication's
// business; only time-stamps that verify over their data count here.
//   B-B    /SubFilter ETSI.CAdES.detached (else PDF-NOT-ETSI, as DSS reports adbe.pkcs7.detached), /M, /Filter,
//          /Contents and /ByteRange present; the CMS detached, content-type id-data, its certificates holding the
//          signer's, exactly one signing-certificate-v2 naming it, and no signing-time;
//   B-T    a signature time-stamp, or a document time-stamp over the signature's revision;
//   B-LT   a DSS in the catalog, and revocation data (in the DSS or the CMS) for every certificate but the
//          self-signed one on the signer's chain and on the chains of the TSAs of the time-stamps that made B-T
//          (the validation data createPades collects; DSS's "minimal LT requirement");
//   B-LTA  a document time-stamp (ETSI.RFC3161) over a later revision whose DSS already held that data (DSS
//          requirement (y), "covers the LT level data").
// Not implemented: the /Reason versus commitment-type-indication and signature-policy-identifier clash
// (requirements (d), (m)): segl validates no signature policy; the signing-certificate (v1, SHA-1) variant.
import * as x509 from '@peculiar/x509';
import { PDFName, type PDFDict } from '@cantoo/pdf-lib';
import { crypto } from '../crypto';
import { CMS_OID } from '../cms/signeddata';
import { signedAttributeCount, CMS_VERIFY_OID } from '../cms/verify';
import { withCms, type SignatureFacts, type TimestampReport } from './padesitem';
import { offlineStatus, parseCertificates, type EvidenceValues } from './pdfevidence';

export type PadesLevel = 'PDF-NOT-ETSI' | 'B-B' | 'B-T' | 'B-LT' | 'B-LTA';

export interface LevelResult {
  level: PadesLevel;
  /** why the next level is not reached (empty at B-LTA) */
  missing: string[];
}

/** A document time-stamp after the signature, as the level sees it. */
export interface LaterDocTimestamp {
  report: TimestampReport;
  /** the revision it covers */
  revision: number;
  /** the DSS of that revision */
  dss?: EvidenceValues;
}

export interface LevelInput {
  subFilter: string;
  dict: PDFDict;
  facts: SignatureFacts;
  /** document time-stamps over the signature's revision or a later one */
  docTimestamps: LaterDocTimestamp[];
  finalDss?: EvidenceValues;
  /** certificates to build chains from (anchors, intermediates, the DSS's) */
  pool: x509.X509Certificate[];
}

/** EN 319 142-1 §6.3 B-B (see the top of this file): the unmet requirements. */
function baselineB(input: LevelInput): string[] {
  const { dict, facts } = input;
  const missing: string[] = [];
  if (input.subFilter !== 'ETSI.CAdES.detached') missing.push(`/SubFilter is ${input.subFilter || '(none)'}, not ETSI.CAdES.detached`);
  for (const k of ['M', 'Filter', 'Contents', 'ByteRange']) if (!dict.has(PDFName.of(k))) missing.push(`no /${k}`);
  const o = facts.opened;
  if (!o || !facts.signer) return [...missing, 'the CMS or its signer cannot be read'];
  if (o.eContent) missing.push('the CMS is not detached');
  if (o.eContentType !== CMS_OID.data) missing.push(`content-type is ${o.eContentType}, not id-data`);
  if (!o.certificates.some((c) => c.equal(facts.signer!))) missing.push("SignedData.certificates lacks the signer's certificate");
  if (signedAttributeCount(o.signerInfo, CMS_VERIFY_OID.signingCertificateV2) !== 1 || !facts.essOk)
    missing.push('not exactly one signing-certificate-v2 naming the signer');
  if (signedAttributeCount(o.signerInfo, CMS_VERIFY_OID.signingTime) !== 0)
    missing.push('a signing-time attribute (PAdES: the time is /M)');
  return missing;
}

/** `leaf`'s chain up to a self-signed certificate (or as far as `pool` goes), leaf first. */
async function chainOf(leaf: x509.X509Certificate, pool: x509.X509Certificate[]): Promise<x509.X509Certificate[]> {
  try {
    return [...(await new x509.X509ChainBuilder({ certificates: pool }).build(leaf, crypto as never))];
  } catch {
    return [leaf];
  }
}

/** The certificates a B-LT signature needs revocation data for, each with its issuer (or none when its issuer is missing). */
async function needingEvidence(
  leaves: x509.X509Certificate[],
  pool: x509.X509Certificate[],
): Promise<Array<[x509.X509Certificate, x509.X509Certificate | undefined]>> {
  const out = new Map<string, [x509.X509Certificate, x509.X509Certificate | undefined]>();
  for (const leaf of leaves) {
    const chain = await chainOf(leaf, pool);
    for (const [i, c] of chain.entries()) {
      if (await c.isSelfSigned(crypto as never)) continue;
      out.set(c.serialNumber + c.issuer, [c, chain[i + 1]]);
    }
  }
  return [...out.values()];
}

/** The certificates of `needed` the values give no revocation answer for (at any time). */
async function unanswered(
  needed: Array<[x509.X509Certificate, x509.X509Certificate | undefined]>,
  values: EvidenceValues,
): Promise<string[]> {
  const missing: string[] = [];
  for (const [c, issuer] of needed) {
    if (!issuer) missing.push(`no issuer of ${c.subject} to check its revocation data with`);
    else if (!(await offlineStatus(values, c, issuer, new Date(8.64e15)))) missing.push(`no revocation data for ${c.subject}`);
  }
  return missing;
}

/** The TSA certificates of intact time-stamp reports. */
function tsasOf(reports: TimestampReport[]): x509.X509Certificate[] {
  return reports.filter((r) => r.intact && r.signer).map((r) => r.signer!);
}

/** The baseline level of one signature (see the top of this file). */
export async function baselineLevel(input: LevelInput): Promise<LevelResult> {
  const b = baselineB(input);
  if (b.length) return { level: 'PDF-NOT-ETSI', missing: b };
  const sigTs = input.facts.timestamps.filter((t) => t.intact);
  const docTs = input.docTimestamps.filter((d) => d.report.intact);
  if (!sigTs.length && !docTs.length)
    return { level: 'B-B', missing: ['no signature time-stamp and no document time-stamp over the signature'] };
  const o = input.facts.opened!;
  const tsas = tsasOf(sigTs.length ? sigTs : [docTs[0]!.report]);
  const pool = [...input.pool, ...o.certificates, ...parseCertificates(input.finalDss?.certificates ?? [])];
  const needed = await needingEvidence([input.facts.signer!, ...tsas], pool);
  const values = (dss: EvidenceValues | undefined): EvidenceValues => withCms(dss ?? { certificates: [], ocsps: [], crls: [] }, o);
  if (!input.finalDss && needed.length) return { level: 'B-T', missing: ['no DSS in the catalog'] };
  const lt = await unanswered(needed, values(input.finalDss));
  if (lt.length) return { level: 'B-T', missing: lt };
  for (const d of docTs) {
    if ((await unanswered(needed, values(d.dss))).length === 0 && d.dss) return { level: 'B-LTA', missing: [] };
  }
  return { level: 'B-LT', missing: ['no document time-stamp over a revision holding the DSS data'] };
}

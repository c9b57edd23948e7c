// `segl verify FILE.pdf`: a PAdES package checked with nothing but what it carries and a trust anchor — every
// signature and document time-stamp of the PDF (trust/validation/pades.ts, revocation from the DSS only), then
// every LTV-SDO attached to it (application/x-ltv-sdo or *.ltvsdo.xml, as src/packaging/compose.ts attaches them)
// with the LTV-SDO verifier (offline.ts), and a total: the worst indication of all.
// The attachments are read from the revision the newest signature covers (when its ByteRange is sane), so what
// is verified is what was sealed, not what a later update may have put in; validatePades reports such updates.
import type * as x509 from '@peculiar/x509';
import { PDFDocument } from '@cantoo/pdf-lib';
import { boundedDecode } from '../content/decodebudget';
import { validatePades, type PadesItemReport, type PadesReport } from '../trust/validation/pades';
import type { Indication, SubIndication, VerificationReport } from '../trust/validation/report';
import { describe as describeLtvSdo, verifyLtvSdo, type OfflineResult } from './offline';

const LTV_SDO_MIME = 'application/x-ltv-sdo';
const RANK: Record<Indication, number> = { 'TOTAL-PASSED': 0, INDETERMINATE: 1, 'TOTAL-FAILED': 2 };

/** One attached LTV-SDO and its verification (or why it could not be read). */
export interface AttachedSdoResult {
  name: string;
  /** the attachment's bytes (the viewer reads what it signed) */
  data: Uint8Array;
  indication: Indication;
  result?: OfflineResult;
  error?: string;
}

export interface OfflinePdfResult {
  indication: Indication;
  pades: PadesReport;
  attachments: AttachedSdoResult[];
}

const isLtvSdo = (a: { name: string; mimeType: string | undefined }): boolean =>
  a.mimeType === LTV_SDO_MIME || /\.ltvsdo\.xml$/i.test(a.name);

/** The bytes the newest signature with a sane ByteRange covers, or the whole file. */
function sealedPrefix(pdf: Uint8Array, r: PadesReport): Uint8Array {
  const newest = r.signatures.filter((s) => s.revision >= 0).sort((a, b) => b.revision - a.revision)[0];
  if (!newest) return pdf;
  const [, , start, length] = newest.byteRange as [number, number, number, number];
  return pdf.subarray(0, start + length);
}

async function attachedSdos(pdf: Uint8Array): Promise<Array<{ name: string; data: Uint8Array }>> {
  try {
    const doc = await PDFDocument.load(pdf, { updateMetadata: false });
    return doc.getAttachments().filter(isLtvSdo);
  } catch {
    return [];
  }
}

/**
 * Verifies a PAdES file and each LTV-SDO attached to it against `anchors`, offline, within the decode bound of its
 * size: a file whose streams unpack beyond it (a compression bomb) throws CompressionBombError, unverified.
 */
export const verifyPadesFile = (
  pdf: Uint8Array,
  anchors: x509.X509Certificate[],
  o: { intermediates?: x509.X509Certificate[]; at?: Date } = {},
): Promise<OfflinePdfResult> => boundedDecode(pdf.byteLength, () => verifyUnbounded(pdf, anchors, o));

async function verifyUnbounded(
  pdf: Uint8Array,
  anchors: x509.X509Certificate[],
  o: { intermediates?: x509.X509Certificate[]; at?: Date },
): Promise<OfflinePdfResult> {
  const pades = await validatePades(pdf, { anchors, ...o });
  const attachments: AttachedSdoResult[] = [];
  for (const a of await attachedSdos(sealedPrefix(pdf, pades))) {
    try {
      const result = await verifyLtvSdo(Buffer.from(a.data).toString('utf8'), anchors, undefined, o.at ? { now: o.at } : {});
      attachments.push({ name: a.name, data: a.data, indication: result.indication, result });
    } catch (e) {
      attachments.push({ name: a.name, data: a.data, indication: 'TOTAL-FAILED', error: e instanceof Error ? e.message : String(e) });
    }
  }
  const indication = [pades.indication, ...attachments.map((a) => a.indication)].reduce((w, i) => (RANK[i] > RANK[w] ? i : w));
  return { indication, pades, attachments };
}

const verdict = (i: Indication, s?: SubIndication): string => `${i}${s ? ` ${s}` : ''}`;
const indent = (text: string, by = '    '): string =>
  text
    .trimEnd()
    .split('\n')
    .map((l) => by + l)
    .join('\n');

function itemLines(item: PadesItemReport): string[] {
  const what = item.kind === 'signature' ? 'signature' : 'document time-stamp';
  const level = item.level ? `, level ${item.level.level}` : '';
  const lines = [
    `${what} "${item.fieldName}" (${item.subFilter}): ${verdict(item.indication, item.subIndication)}${level} — ${item.message}`,
  ];
  if (item.level?.missing.length) lines.push(`    not a higher level: ${item.level.missing.join('; ')}`);
  for (const t of item.timestamps)
    lines.push(`    signature time-stamp: ${verdict(t.indication, t.subIndication)} — ${(t as VerificationReport).message}`);
  for (const c of item.laterChanges) lines.push(`    later: ${c}`);
  return lines;
}

/** The text `segl verify` prints for a PAdES file. */
export function describePades(r: OfflinePdfResult): string {
  const p = r.pades;
  const lines = [
    `${r.indication} (PAdES: ${verdict(p.indication, p.subIndication)}; ${p.revisions} revision(s); ${r.attachments.length} LTV-SDO attachment(s); validated offline at ${p.at.toISOString()})`,
  ];
  if (p.indication !== 'TOTAL-PASSED') lines.push(`PAdES: ${p.message}`);
  for (const item of [...p.signatures, ...p.documentTimestamps]) lines.push(...itemLines(item));
  for (const a of r.attachments) {
    lines.push(`attachment ${a.name}: ${a.indication}${a.error ? ` — ${a.error}` : ''}`);
    if (a.result) lines.push(indent(describeLtvSdo(a.result)));
  }
  return `${lines.join('\n')}\n`;
}

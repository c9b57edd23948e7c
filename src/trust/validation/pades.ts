// Validation of a PAdES file (ETSI EN 319 142-1 signatures in a PDF, ISO 32000-1 §12.8), offline: every signature
// and every document time-stamp reported the ETSI EN 319 102-1 way (report.ts), and a total.
//   1. structure: the revisions (pdfrevisions.ts, ISO 32000-1 §7.5.6) and each ByteRange (§12.8.1): a ByteRange
//      that is not sane is TOTAL-FAILED FORMAT_FAILURE (the signature is refused, whatever its CMS says);
//   2. each document time-stamp (ISO 32000-2 §12.8.5, /SubFilter ETSI.RFC3161), newest first, its TSA validated at
//      the time of the next document time-stamp over it that is TOTAL-PASSED (else the validation time), and not
//      revoked before that time (padesitem.ts): the chain of B-LTA renewals (pades/renew.ts), each time-stamp a POE
//      of the ones before it, as EN 319 102-1 §5.6 (validation with long-term availability of validation material)
//      uses time-stamps, each one's algorithms acceptable at that same time (§5.2.8 cryptographic constraints, the
//      table of trust/algorithms.ts; padesitem.ts). Not implemented of §5.6: freshness of the revocation data against
//      the POE, POEs of the validation data itself (a DSS value counts whenever it was added), and evidence records;
//   3. each signature (/SubFilter ETSI.CAdES.detached or adbe.pkcs7.detached): its CMS over the ByteRange bytes,
//      its signature time-stamps over the SignatureValue, and its signer's path and revocation at the earliest time
//      a time-stamp over it proves (padesitem.ts), then its baseline level (padeslevel.ts);
//   4. modifications: every update after the revision a signature or time-stamp covers is judged (pdfchanges.ts);
//      a refused change makes that item "modified after signing", TOTAL-FAILED FORMAT_FAILURE: EN 319 102-1 §5.2.2
//      format checking is where EU DSS places its PDF checks (ByteRange, undefined changes), and the document shown
//      is no longer the one signed, which no later building block can repair;
//   5. the total: the worst indication of all items (TOTAL-FAILED over INDETERMINATE over TOTAL-PASSED); a PDF without
//      any signature or time-stamp is INDETERMINATE SIGNED_DATA_NOT_FOUND.
// Revocation is answered only from the DSS and the CMSs: nothing is fetched. Not implemented: signature dictionaries
// outside /AcroForm /Fields (signatures.ts), encrypted PDFs (refused as FORMAT_FAILURE), DocMDP certification.
import type * as x509 from '@peculiar/x509';
import type { AlgorithmEnds } from '../algorithms';
import { PDFDocument, PDFName, PDFString } from '@cantoo/pdf-lib';
import { byteRangeBytes } from '../pades/placeholder';
import { signaturesOf, type PdfSignature } from '../pades/signatures';
import { judgeUpdate, type UpdateChanges } from './pdfchanges';
import { parseCertificates, readDss, type EvidenceValues } from './pdfevidence';
import { checkByteRange, PdfStructureError, readRevisions, type Revision } from './pdfrevisions';
import { earliest, validateSignatureCms, validateTimestamp, type ItemContext, type TimestampReport } from './padesitem';
import { baselineLevel, type LevelResult } from './padeslevel';
import type { Check, Indication, SubIndication, VerificationReport } from './report';

export interface PadesValidationOptions {
  anchors: x509.X509Certificate[];
  intermediates?: x509.X509Certificate[];
  /** the validation time; default now */
  at?: Date;
  /** when each algorithm ends (default trust/algorithms.ts ALGORITHM_ENDS) */
  algorithmEnds?: AlgorithmEnds;
}

/** One signature or document time-stamp of the file. */
export interface PadesItemReport extends VerificationReport {
  kind: 'signature' | 'document-time-stamp';
  fieldName: string;
  subFilter: string;
  byteRange: number[];
  /** 0-based index of the revision the ByteRange covers; -1 when it is not sane */
  revision: number;
  /** the ByteRange covers the whole file (no later revision) */
  coversWholeFile: boolean;
  /** /M, the claimed signing time (signatures) */
  claimedTime?: Date;
  /** the time the signer's (or TSA's) path was validated at */
  validatedAt: Date;
  /** a signature's time-stamps (empty for a document time-stamp) */
  timestamps: TimestampReport[];
  /** a document time-stamp's time */
  genTime?: Date;
  /** a signature's baseline level */
  level?: LevelResult;
  /** what later revisions changed that is allowed (DSS, document time-stamps, …) */
  laterChanges: string[];
}

export interface PadesReport {
  indication: Indication;
  subIndication?: SubIndication;
  message: string;
  revisions: number;
  signatures: PadesItemReport[];
  documentTimestamps: PadesItemReport[];
  /** each update after the first revision and what it changed */
  updates: UpdateChanges[];
  at: Date;
}

const RANK: Record<Indication, number> = { 'TOTAL-PASSED': 0, INDETERMINATE: 1, 'TOTAL-FAILED': 2 };
const SIGNATURE_SUBFILTERS = ['ETSI.CAdES.detached', 'adbe.pkcs7.detached'];

/** The file as a whole: its revisions and each one loaded. */
interface Loaded {
  pdf: Uint8Array;
  revisions: Revision[];
  docs: PDFDocument[];
  updates: UpdateChanges[];
  dss: Array<EvidenceValues | undefined>;
}

async function load(pdf: Uint8Array): Promise<Loaded> {
  const revisions = readRevisions(pdf);
  const docs: PDFDocument[] = [];
  for (const r of revisions) {
    try {
      docs.push(await PDFDocument.load(pdf.subarray(0, r.endWithEol), { updateMetadata: false }));
    } catch (e) {
      throw new PdfStructureError(`revision ${r.index + 1} cannot be read: ${e instanceof Error ? e.message : String(e)}`);
    }
  }
  const updates = revisions.slice(1).map((r, i) => judgeUpdate(docs[i]!, docs[i + 1]!, r));
  return { pdf, revisions, docs, updates, dss: docs.map(readDss) };
}

const check = (name: Check['name'], ok: boolean, detail: string): Check => ({ name, ok, detail, at: new Date() });

/** The item skeleton of a signature dictionary; its ByteRange checked. */
function itemOf(l: Loaded, sig: PdfSignature, at: Date): { item: PadesItemReport; signed?: Uint8Array } {
  const kind = sig.type === 'DocTimeStamp' ? 'document-time-stamp' : 'signature';
  const m = sig.dict.lookup(PDFName.of('M'));
  const claimed = m instanceof PDFString ? safeDate(() => m.decodeDate()) : undefined;
  const base: PadesItemReport = {
    kind,
    fieldName: sig.fieldName,
    subFilter: sig.subFilter,
    byteRange: sig.byteRange,
    revision: -1,
    coversWholeFile: false,
    ...(claimed ? { claimedTime: claimed } : {}),
    validatedAt: at,
    timestamps: [],
    laterChanges: [],
    indication: 'TOTAL-FAILED',
    subIndication: 'FORMAT_FAILURE',
    message: '',
    checks: [],
  };
  try {
    if (!sig.ref) throw new PdfStructureError('the signature dictionary is not an indirect object');
    const c = checkByteRange(l.pdf, l.revisions, { objectNumber: sig.ref.objectNumber, byteRange: sig.byteRange, contents: sig.contents });
    base.revision = c.revision;
    base.coversWholeFile = c.revision === l.revisions.length - 1;
    base.checks.push(
      check('byte-range', true, `[${c.range.join(' ')}] covers revision ${c.revision + 1} of ${l.revisions.length} but its /Contents`),
    );
    return { item: base, signed: byteRangeBytes(l.pdf, c.range) };
  } catch (e) {
    const why = e instanceof Error ? e.message : String(e);
    base.checks.push(check('byte-range', false, why));
    return { item: { ...base, message: `the ByteRange is refused: ${why}` } };
  }
}

function safeDate(f: () => Date): Date | undefined {
  try {
    const d = f();
    return Number.isNaN(d.getTime()) ? undefined : d;
  } catch {
    return undefined;
  }
}

/** Copies a report's outcome (indication, checks, signer, …) into an item. */
function settle(item: PadesItemReport, r: VerificationReport): void {
  const { checks, ...rest } = r;
  Object.assign(item, rest);
  if (!r.subIndication) delete item.subIndication;
  item.checks.push(...checks);
}

/** Document time-stamps, newest first: each validated at the time of the next intact one over it. */
async function documentTimestamps(l: Loaded, sigs: PdfSignature[], ctx: ItemContext): Promise<PadesItemReport[]> {
  const items = sigs.filter((s) => s.type === 'DocTimeStamp').map((s) => ({ sig: s, ...itemOf(l, s, ctx.at) }));
  items.sort((a, b) => b.item.revision - a.item.revision);
  const done: PadesItemReport[] = [];
  for (const { sig, item, signed } of items) {
    if (!signed) {
      done.push(item);
      continue;
    }
    if (sig.subFilter !== 'ETSI.RFC3161') {
      settle(item, {
        indication: 'TOTAL-FAILED',
        subIndication: 'FORMAT_FAILURE',
        message: `a document time-stamp's /SubFilter must be ETSI.RFC3161, not ${sig.subFilter}`,
        checks: [],
      });
      done.push(item);
      continue;
    }
    const poe = earliest(done.filter((d) => d.revision > item.revision && d.indication === 'TOTAL-PASSED').map((d) => d.genTime)) ?? ctx.at;
    const r = await validateTimestamp(sig.der, signed, 'document-time-stamp', ctx, poe);
    settle(item, r);
    item.validatedAt = r.validatedAt;
    if (r.genTime) item.genTime = r.genTime;
    done.push(item);
  }
  return done.reverse();
}

/** One signature: its CMS, time-stamps, path and level. */
async function signature(l: Loaded, sig: PdfSignature, ctx: ItemContext, docTs: PadesItemReport[]): Promise<PadesItemReport> {
  const { item, signed } = itemOf(l, sig, ctx.at);
  if (!signed) return item;
  if (!SIGNATURE_SUBFILTERS.includes(sig.subFilter)) {
    settle(item, {
      indication: 'TOTAL-FAILED',
      subIndication: 'FORMAT_FAILURE',
      message: `unsupported /SubFilter ${sig.subFilter || '(none)'}`,
      checks: [],
    });
    return item;
  }
  const later = docTs.filter((d) => d.revision > item.revision);
  const docPoe = earliest(later.filter((d) => d.indication === 'TOTAL-PASSED').map((d) => d.genTime));
  const { report, facts } = await validateSignatureCms(sig.der, signed, ctx, docPoe);
  settle(item, report);
  item.validatedAt = facts.validatedAt;
  item.timestamps = facts.timestamps;
  const intactLater = later.map((d) => ({
    report: {
      ...d,
      kind: 'document-time-stamp' as const,
      intact: d.checks.some((c) => c.name === 'time-stamp' && c.ok),
      validatedAt: d.validatedAt,
    },
    revision: d.revision,
    dss: l.dss[d.revision],
  }));
  const finalDss = l.dss[l.dss.length - 1];
  item.level = await baselineLevel({
    subFilter: sig.subFilter,
    dict: sig.dict,
    facts,
    docTimestamps: intactLater,
    ...(finalDss ? { finalDss } : {}),
    pool: [...ctx.anchors, ...ctx.pool],
  });
  item.checks.push(
    check(
      'baseline-level',
      item.level.level !== 'PDF-NOT-ETSI',
      `${item.level.level}${item.level.missing.length ? ` (not higher: ${item.level.missing.join('; ')})` : ''}`,
    ),
  );
  return item;
}

/** Step 4: later updates' refused changes make the item modified after signing. */
function applyModifications(item: PadesItemReport, updates: UpdateChanges[]): void {
  if (item.revision < 0) return;
  const later = updates.filter((u) => u.revision > item.revision);
  item.laterChanges = later.flatMap((u) => u.allowed.map((a) => `revision ${u.revision + 1}: ${a}`));
  const refused = later.flatMap((u) => u.refused.map((a) => `revision ${u.revision + 1}: ${a}`));
  item.checks.push(
    check('modification', !refused.length, refused.length ? refused.join('; ') : `${later.length} later revision(s), only allowed changes`),
  );
  if (!refused.length || item.indication === 'TOTAL-FAILED') return;
  item.indication = 'TOTAL-FAILED';
  item.subIndication = 'FORMAT_FAILURE';
  item.message = `modified after signing: ${refused.join('; ')}`;
}

/** Step 5. */
function total(signatures: PadesItemReport[], docTs: PadesItemReport[]): Pick<PadesReport, 'indication' | 'subIndication' | 'message'> {
  const all: Array<{ name: string; r: VerificationReport }> = [
    ...signatures.flatMap((s) => [
      { name: s.fieldName, r: s as VerificationReport },
      ...s.timestamps.map((t) => ({ name: `${s.fieldName} time-stamp`, r: t })),
    ]),
    ...docTs.map((d) => ({ name: d.fieldName, r: d as VerificationReport })),
  ];
  if (!all.length)
    return {
      indication: 'INDETERMINATE',
      subIndication: 'SIGNED_DATA_NOT_FOUND',
      message: 'the PDF holds no signature and no document time-stamp',
    };
  const worst = all.reduce((w, x) => (RANK[x.r.indication] > RANK[w.r.indication] ? x : w));
  const counts = `${signatures.length} signature(s), ${docTs.length} document time-stamp(s)`;
  if (worst.r.indication === 'TOTAL-PASSED') return { indication: 'TOTAL-PASSED', message: `${counts}: all TOTAL-PASSED` };
  return {
    indication: worst.r.indication,
    ...(worst.r.subIndication ? { subIndication: worst.r.subIndication } : {}),
    message: `${counts}; ${worst.name}: ${worst.r.message}`,
  };
}

/** Validates every signature and document time-stamp of `pdf` (see the top of this file). Never throws. */
export async function validatePades(pdf: Uint8Array, o: PadesValidationOptions): Promise<PadesReport> {
  const at = o.at ?? new Date();
  let l: Loaded;
  try {
    l = await load(pdf);
  } catch (e) {
    const message = `not a PDF this validator can read: ${e instanceof Error ? e.message : String(e)}`;
    return {
      indication: 'TOTAL-FAILED',
      subIndication: 'FORMAT_FAILURE',
      message,
      revisions: 0,
      signatures: [],
      documentTimestamps: [],
      updates: [],
      at,
    };
  }
  const finalDss = l.dss[l.dss.length - 1];
  const ctx: ItemContext = {
    anchors: o.anchors,
    pool: [...(o.intermediates ?? []), ...parseCertificates(finalDss?.certificates ?? [])],
    evidence: finalDss ?? { certificates: [], ocsps: [], crls: [] },
    at,
    ...(o.algorithmEnds ? { algorithmEnds: o.algorithmEnds } : {}),
  };
  const sigs = signaturesOf(l.docs[l.docs.length - 1]!);
  const docTs = await documentTimestamps(l, sigs, ctx);
  const signatures: PadesItemReport[] = [];
  for (const s of sigs.filter((x) => x.type !== 'DocTimeStamp')) signatures.push(await signature(l, s, ctx, docTs));
  for (const item of [...signatures, ...docTs]) applyModifications(item, l.updates);
  return { ...total(signatures, docTs), revisions: l.revisions.length, signatures, documentTimestamps: docTs, updates: l.updates, at };
}

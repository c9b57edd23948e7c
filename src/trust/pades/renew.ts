// Renewal of a PAdES B-LTA file (ETSI EN 319 142-1 §5.4.2-5.4.3 and §6.3 B-LTA; ISO 32000-2 §12.8.4.3, §12.8.5):
// before the newest document time-stamp can no longer be validated (its TSA's certificate expires, or an algorithm
// in it weakens: renewaldue.ts), two incremental updates (ISO 32000-1 §7.5.6) are appended, nothing before them
// changed:
//   1. a DSS update (dss.ts): the validation data (validationdata.ts: certificate paths and OCSP responses/CRLs) of
//      every signature and document time-stamp that has no VRI entry yet (EN 319 142-1 §5.4.2.3: the VRI key is
//      the SHA-1 of its /Contents), the newest document time-stamp among them; and, in the DSS's arrays only, the
//      validation data of the TSA that is about to make the new time-stamp (so that the newest time-stamp can be
//      validated offline until the next renewal; EN 319 142-1 §5.4.2.2 puts no limit on what /Certs, /OCSPs and
//      /CRLs hold). That TSA's certificate is learnt from a first token, over the SHA-256 of the file as it stands,
//      which is then dropped;
//   2. a document time-stamp (doctimestamp.ts: /Type /DocTimeStamp, /SubFilter /ETSI.RFC3161, RFC 3161 token over the
//      ByteRange bytes) over the whole file, DSS included (§6.3 B-LTA requirement: the time-stamp covers the LT data).
// Each renewal is a POE (proof of existence; EN 319 102-1 §5.6, the POE a time-stamp gives) of everything before
// it, so the chain of document time-stamps lets each earlier one be validated at the time of the next
// (validation/pades.ts).
// The input must be a PAdES whose last revision is a document time-stamp (B-LTA): a truncated file, a PDF without
// signatures, a file ending with another update, or a newest time-stamp that does not hold over its bytes is a
// RenewalError and nothing is produced. Outside sources (TSA, revocation, the clock) come in through sources.ts.
// Not implemented: removing stale data from the DSS; /TS in VRI entries (§5.4.2.3, exclusive with /TU); renewing
// a file that ends with a DSS update after its last time-stamp (refused, see above).
import { createHash } from 'node:crypto';
import type * as x509 from '@peculiar/x509';
import { PDFDict, PDFDocument, PDFName } from '@cantoo/pdf-lib';
import { CmsFormatError, findSignerCertificate, openSignedData } from '../cms/verify';
import type { RevocationSource, TimestampSource } from '../sources';
import { checkTimestampToken, readTimestampTime } from '../tsp/token';
import { timestampFor } from '../tsp/request';
import { parseCertificates, readDss } from '../validation/pdfevidence';
import { checkByteRange, PdfStructureError, readRevisions } from '../validation/pdfrevisions';
import { addDocumentTimestampIncrement } from './doctimestamp';
import { addDssIncrement, vriKey, type DssEntry } from './dss';
import { IncrementalPdf } from './field';
import { byteRangeBytes } from './placeholder';
import { signaturesOf, type PdfSignature } from './signatures';
import { collectValidationData, ValidationDataError } from './validationdata';

/** The file cannot be renewed (it says why); nothing was produced. */
export class RenewalError extends Error {
  override name = 'RenewalError';
}

export interface RenewalDeps {
  /** the TSA of the new document time-stamp */
  timestamps: TimestampSource;
  /** revocation evidence (OCSP responses or CRLs) for each certificate on the paths */
  revocation: RevocationSource;
  /** certificates to build the paths from (issuing CAs and roots of the signers' and the TSAs' chains) */
  certificatePool: x509.X509Certificate[];
  /** the VRI entries' /TU; default now */
  clock?: () => Date;
  /** the new time-stamp's field name; default the first free `DocTimeStampN` */
  documentTimestampField?: string;
}

export interface RenewalResult {
  /** the whole renewed file: the input byte for byte, then the DSS update and the document time-stamp update */
  pdf: Uint8Array;
  fieldName: string;
  genTime: Date;
  /** the new time-stamp's TSA */
  tsa: x509.X509Certificate;
  /** the signatures and time-stamps whose validation data (with a VRI entry) the new DSS update added */
  covered: string[];
  /** the new TSA's own validation data is in the DSS (false only when the TSA answered with another certificate) */
  tsaDataIncluded: boolean;
}

/** A PAdES B-LTA as renewal sees it. */
export interface RenewableFile {
  doc: PDFDocument;
  signatures: PdfSignature[];
  /** the document time-stamp over the last revision */
  newest: PdfSignature;
  /** its TSA, and its genTime */
  tsa: x509.X509Certificate;
  genTime: Date;
  /** certificates in the DSS */
  dssCertificates: x509.X509Certificate[];
  /** VRI keys already in the DSS */
  vriKeys: Set<string>;
}

const why = (e: unknown): string => (e instanceof Error ? e.message : String(e));

/** The VRI keys of the catalog's DSS (ISO 32000-2 Table 262), uppercase. */
function vriKeysOf(doc: PDFDocument): Set<string> {
  const dss = doc.catalog.lookupMaybe(PDFName.of('DSS'), PDFDict);
  const vri = dss?.lookupMaybe(PDFName.of('VRI'), PDFDict);
  return new Set((vri?.keys() ?? []).map((k) => k.decodeText().toUpperCase()));
}

/** The newest document time-stamp's TSA and time, its token checked over its ByteRange bytes (RFC 3161 §2.4.2). */
async function newestToken(
  pdf: Uint8Array,
  sig: PdfSignature,
  range: [number, number, number, number],
  pool: x509.X509Certificate[],
): Promise<{ tsa: x509.X509Certificate; genTime: Date }> {
  let tsa: x509.X509Certificate | undefined;
  try {
    tsa = findSignerCertificate(openSignedData(sig.der), pool);
  } catch (e) {
    if (e instanceof CmsFormatError) throw new RenewalError(`the newest document time-stamp ${sig.fieldName} is unreadable: ${e.message}`);
    throw e;
  }
  if (!tsa) throw new RenewalError(`the TSA certificate of ${sig.fieldName} is neither in its token nor in the DSS`);
  const r = await checkTimestampToken(sig.der, byteRangeBytes(pdf, range), tsa);
  if (!r.ok) throw new RenewalError(`the newest document time-stamp ${sig.fieldName} does not hold: ${r.reason}`);
  return { tsa, genTime: r.genTime };
}

/**
 * Reads `pdf` as a PAdES B-LTA to renew: every revision sound (pdfrevisions.ts), at least one signature or
 * document time-stamp, and the last revision covered by an intact document time-stamp. Throws RenewalError.
 */
export async function readRenewable(pdf: Uint8Array, pool: x509.X509Certificate[] = []): Promise<RenewableFile> {
  let revisions: ReturnType<typeof readRevisions>;
  let doc: PDFDocument;
  try {
    revisions = readRevisions(pdf);
    doc = await PDFDocument.load(pdf, { updateMetadata: false });
  } catch (e) {
    throw new RenewalError(`not a complete PDF: ${why(e)}`);
  }
  let signatures: PdfSignature[];
  try {
    signatures = signaturesOf(doc);
  } catch (e) {
    throw new RenewalError(`the interactive form cannot be read: ${why(e)}`);
  }
  if (!signatures.length) throw new RenewalError('not a PAdES: the PDF holds no signature and no document time-stamp');
  const last = revisions.length - 1;
  let newest: { sig: PdfSignature; range: [number, number, number, number] } | undefined;
  for (const sig of signatures) {
    if (!sig.ref) continue;
    try {
      const c = checkByteRange(pdf, revisions, { objectNumber: sig.ref.objectNumber, byteRange: sig.byteRange, contents: sig.contents });
      if (c.revision === last) newest = { sig, range: c.range };
    } catch (e) {
      if (!(e instanceof PdfStructureError)) throw e;
    }
  }
  if (!newest) throw new RenewalError(`the last revision (${last + 1} of ${revisions.length}) is not covered by a document time-stamp`);
  if (newest.sig.type !== 'DocTimeStamp' || newest.sig.subFilter !== 'ETSI.RFC3161')
    throw new RenewalError(
      `the last revision is ${newest.sig.fieldName}, a ${newest.sig.type} /${newest.sig.subFilter}, not a document time-stamp (B-LTA)`,
    );
  const dssCertificates = parseCertificates(readDss(doc)?.certificates ?? []);
  const { tsa, genTime } = await newestToken(pdf, newest.sig, newest.range, [...dssCertificates, ...pool]);
  return { doc, signatures, newest: newest.sig, tsa, genTime, dssCertificates, vriKeys: vriKeysOf(doc) };
}

/** Validation data for each signature and time-stamp without a VRI entry. Throws RenewalError. */
async function uncovered(f: RenewableFile, pool: x509.X509Certificate[], revocation: RevocationSource): Promise<DssEntry[]> {
  const entries: DssEntry[] = [];
  for (const s of f.signatures) {
    if (f.vriKeys.has(vriKey(s.contents))) continue;
    try {
      entries.push({ contents: s.contents, data: await collectValidationData(s.der, { certificatePool: pool, revocation }) });
    } catch (e) {
      if (e instanceof ValidationDataError) throw new RenewalError(`no validation data for ${s.fieldName}: ${e.message}`);
      throw e;
    }
  }
  return entries;
}

/** The validation data of the TSA that answers now (see the top of this file), and its certificate. */
async function nextTsa(
  pdf: Uint8Array,
  deps: RenewalDeps,
  pool: x509.X509Certificate[],
): Promise<{ entry: DssEntry; tsa?: x509.X509Certificate }> {
  const probe = await timestampFor(new Uint8Array(createHash('sha256').update(pdf).digest()), deps.timestamps);
  try {
    const data = await collectValidationData(probe.token, { certificatePool: pool, revocation: deps.revocation });
    const tsa = findSignerCertificate(openSignedData(probe.token), pool);
    return { entry: { data }, ...(tsa ? { tsa } : {}) };
  } catch (e) {
    if (e instanceof ValidationDataError) throw new RenewalError(`no validation data for the TSA: ${e.message}`);
    throw e;
  }
}

/**
 * Renews a PAdES B-LTA (see the top of this file): appends a DSS update and a document time-stamp update and returns
 * the whole file with what was done. Throws RenewalError for input that cannot be renewed or validation data that
 * cannot be had, and whatever the TimestampSource throws; `pdf` is never changed.
 */
export async function renewPades(pdf: Uint8Array, deps: RenewalDeps): Promise<RenewalResult> {
  const file = await readRenewable(pdf, deps.certificatePool);
  const pool = [...deps.certificatePool, ...file.dssCertificates];
  const entries = await uncovered(file, pool, deps.revocation);
  const next = await nextTsa(pdf, deps, pool);
  const out = await IncrementalPdf.open(pdf);
  await addDssIncrement(out, [...entries, next.entry], { time: (deps.clock ?? (() => new Date()))() });
  const ts = await addDocumentTimestampIncrement(out, deps.timestamps, {
    ...(deps.documentTimestampField ? { fieldName: deps.documentTimestampField } : {}),
  });
  const opened = openSignedData(ts.der);
  const tsa = findSignerCertificate(opened, pool);
  if (!tsa) throw new RenewalError('the new time-stamp token carries no certificate of its TSA and the pool has none');
  const { genTime } = readTimestampTime(ts.der);
  return {
    pdf: out.bytes,
    fieldName: ts.fieldName,
    genTime,
    tsa,
    covered: file.signatures.filter((s) => !file.vriKeys.has(vriKey(s.contents))).map((s) => s.fieldName),
    tsaDataIncluded: !!next.tsa && next.tsa.equal(tsa),
  };
}

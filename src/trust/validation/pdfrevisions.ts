// The revisions of a PDF and the ByteRange of a signature over one of them (validation side).
//
// Revisions (ISO 32000-1 §7.5.5 file trailer, §7.5.6 incremental updates): a revision ends with its
// `startxref <offset> %%EOF`; each one's cross-reference section (§7.5.4 table, or §7.5.8 cross-reference stream)
// lists the objects it defines (in use, type 1 and 2) and frees (type 0). A candidate `%%EOF` counts only when its
// startxref offset lies inside the same revision and points at an `xref` keyword or at an object of /Type /XRef, so
// the text `startxref … %%EOF` inside a stream is not taken for a revision end. Every in-use entry of an update's
// section must point into that update at an `N G obj` header of that object (else readers that follow the
// cross-reference and readers that scan the file would see different objects: refused).
//
// ByteRange (ISO 32000-1 §12.8.1 Table 252; ETSI EN 319 142-1 §5.3; the pdf-insecurity.org attacks "incremental
// saving" and "signature wrapping"): four integers [0 a b c], one gap [a, b) that is exactly the /Contents hex
// string of THIS signature dictionary including `<` and `>`, whose hex digits decode to the /Contents value;
// the dictionary itself starts in the first range (so its /ByteRange is signed) and ends after the gap; and
// b + c is the end of a revision (after its %%EOF, optionally with the end-of-line that follows).
// Not implemented: hybrid-reference files (/XRefStm in a table trailer: the stream's entries are not read, so such
// an update is refused); linearized files' first-page cross-reference (its `%%EOF` is not a revision end).
import { PDFContext, PDFName, PDFObjectParser, PDFRawStream, PDFXRefStreamParser } from '@cantoo/pdf-lib';

/** One entry of a cross-reference section. */
export interface XrefEntry {
  num: number;
  gen: number;
  /** free (type 0), at a byte offset (type 1) or in an object stream (type 2, `offset` is the stream's number) */
  kind: 'free' | 'offset' | 'compressed';
  offset: number;
}

export interface Revision {
  index: number;
  /** first byte of this revision (0, or the end of the previous one) */
  start: number;
  /** the byte after its `%%EOF` */
  end: number;
  /** `end` and the end-of-line after it, if any */
  endWithEol: number;
  startxref: number;
  entries: XrefEntry[];
}

/** The file's revisions or a ByteRange are not what ISO 32000-1 describes. */
export class PdfStructureError extends Error {
  override name = 'PdfStructureError';
}

const latin1 = (pdf: Uint8Array, from: number, to: number): string => Buffer.from(pdf.subarray(from, to)).toString('latin1');
const isWhite = (b: number | undefined): boolean => b === 0x20 || b === 0x0a || b === 0x0d || b === 0x09 || b === 0x0c || b === 0x00;

/** The `N G obj` header at `offset`: the object number and generation, or undefined. */
function objectHeaderAt(pdf: Uint8Array, offset: number): { num: number; gen: number; body: number } | undefined {
  const m = /^(\d+)[ \r\n\t\f\0]+(\d+)[ \r\n\t\f\0]+obj/.exec(latin1(pdf, offset, offset + 40));
  return m ? { num: Number(m[1]), gen: Number(m[2]), body: offset + m[0].length } : undefined;
}

/** §7.5.4: a cross-reference table (`xref`, subsections of 20-byte entries) at `offset`. */
function readXrefTable(pdf: Uint8Array, offset: number, end: number): XrefEntry[] {
  const text = latin1(pdf, offset, end);
  const trailer = text.indexOf('trailer');
  if (!text.startsWith('xref') || trailer < 0) throw new PdfStructureError(`no cross-reference table at ${offset}`);
  if (/\/XRefStm\b/.test(text.slice(trailer))) throw new PdfStructureError('hybrid-reference files (/XRefStm) are not supported');
  const tokens = text.slice(4, trailer).trim().split(/\s+/).filter(Boolean);
  const entries: XrefEntry[] = [];
  for (let i = 0; i < tokens.length;) {
    const first = Number(tokens[i]);
    const count = Number(tokens[i + 1]);
    if (!Number.isSafeInteger(first) || !Number.isSafeInteger(count) || count < 0)
      throw new PdfStructureError('bad cross-reference subsection');
    i += 2;
    for (let k = 0; k < count; k++, i += 3) {
      const [off, gen, type] = [tokens[i], tokens[i + 1], tokens[i + 2]];
      if (!/^\d{10}$/.test(off ?? '') || !/^\d{5}$/.test(gen ?? '') || (type !== 'n' && type !== 'f'))
        throw new PdfStructureError('bad cross-reference entry');
      entries.push({ num: first + k, gen: Number(gen), kind: type === 'n' ? 'offset' : 'free', offset: Number(off) });
    }
  }
  return entries;
}

/** §7.5.8: a cross-reference stream at `offset`, decoded with pdf-lib's parser. */
function readXrefStream(pdf: Uint8Array, offset: number): XrefEntry[] {
  const header = objectHeaderAt(pdf, offset);
  if (!header) throw new PdfStructureError(`no cross-reference section at ${offset}`);
  const stream = PDFObjectParser.forBytes(pdf.subarray(header.body), PDFContext.create()).parseObject();
  if (!(stream instanceof PDFRawStream) || stream.dict.lookup(PDFName.of('Type')) !== PDFName.of('XRef'))
    throw new PdfStructureError(`the object at ${offset} is not a cross-reference stream`);
  return PDFXRefStreamParser.forStream(stream)
    .parseIntoContext()
    .map((e) => ({
      num: e.ref.objectNumber,
      gen: e.ref.generationNumber,
      kind: e.deleted ? 'free' : e.inObjectStream ? 'compressed' : 'offset',
      offset: e.offset,
    }));
}

function readSection(pdf: Uint8Array, offset: number, end: number): XrefEntry[] {
  return latin1(pdf, offset, offset + 4) === 'xref' ? readXrefTable(pdf, offset, end) : readXrefStream(pdf, offset);
}

/** Candidate revision ends: each `startxref <n> %%EOF`, with n and where the marker ends. */
function eofMarkers(pdf: Uint8Array): Array<{ startxref: number; end: number }> {
  const text = Buffer.from(pdf).toString('latin1');
  return [...text.matchAll(/startxref[ \r\n\t\f\0]+(\d+)[ \r\n\t\f\0]+%%EOF/g)].map((m) => ({
    startxref: Number(m[1]),
    end: m.index + m[0].length,
  }));
}

/** §7.5.6: every in-use entry of an update points into it, at that object's header. */
function checkEntries(pdf: Uint8Array, r: Revision): void {
  if (r.index === 0) return;
  for (const e of r.entries) {
    if (e.kind !== 'offset') continue;
    const h = e.offset >= r.start && e.offset < r.end ? objectHeaderAt(pdf, e.offset) : undefined;
    if (!h || h.num !== e.num || h.gen !== e.gen)
      throw new PdfStructureError(
        `revision ${r.index + 1}: the cross-reference entry of object ${e.num} does not point at it inside the update`,
      );
  }
}

/** The revisions of `pdf`, oldest first. Throws PdfStructureError when the file does not end with one. */
export function readRevisions(pdf: Uint8Array): Revision[] {
  const out: Revision[] = [];
  let start = 0;
  for (const m of eofMarkers(pdf)) {
    if (m.startxref < start || m.startxref >= m.end) continue;
    let entries: XrefEntry[];
    try {
      entries = readSection(pdf, m.startxref, m.end);
    } catch (e) {
      if (e instanceof PdfStructureError && /hybrid/.test(e.message)) throw e;
      continue;
    }
    let endWithEol = m.end;
    if (pdf[endWithEol] === 0x0d) endWithEol++;
    if (pdf[endWithEol] === 0x0a) endWithEol++;
    const r: Revision = { index: out.length, start, end: m.end, endWithEol, startxref: m.startxref, entries };
    checkEntries(pdf, r);
    out.push(r);
    start = m.end;
  }
  if (!out.length) throw new PdfStructureError('no revision end (startxref … %%EOF) found');
  const last = out[out.length - 1]!;
  for (let i = last.endWithEol; i < pdf.length; i++)
    if (!isWhite(pdf[i])) throw new PdfStructureError(`${pdf.length - last.end} bytes after the last %%EOF`);
  return out;
}

/** The cross-reference entry of object `num` in effect at the end of revision `index` (latest section first). */
export function entryAt(revisions: Revision[], index: number, num: number): XrefEntry | undefined {
  for (let i = index; i >= 0; i--) {
    const e = revisions[i]!.entries.find((x) => x.num === num);
    if (e) return e;
  }
  return undefined;
}

/** What checkByteRange is told of the signature dictionary. */
export interface SignatureDictionaryRef {
  objectNumber: number;
  byteRange: number[];
  /** the /Contents value as the PDF parser read it */
  contents: Uint8Array;
}

/** A sane ByteRange, and the revision it covers. */
export interface CoveredRevision {
  range: [number, number, number, number];
  revision: number;
}

/** The first `endobj` at or after `from`. */
function endobjAfter(pdf: Uint8Array, from: number): number {
  const i = Buffer.from(pdf.buffer, pdf.byteOffset, pdf.byteLength).indexOf('endobj', from, 'latin1');
  return i < 0 ? pdf.length : i;
}

/** §12.8.1: the four numbers and the gap (see the top of this file). Throws PdfStructureError. */
function checkGap(pdf: Uint8Array, sig: SignatureDictionaryRef): [number, number, number, number] {
  const br = sig.byteRange;
  if (br.length !== 4 || !br.every((n) => Number.isSafeInteger(n) && n >= 0))
    throw new PdfStructureError(`/ByteRange is not four non-negative integers: [${br.join(' ')}]`);
  const [s1, l1, s2, l2] = br as [number, number, number, number];
  if (s1 !== 0) throw new PdfStructureError(`/ByteRange does not start at byte 0 (starts at ${s1})`);
  if (!(l1 > 0 && s2 > l1 && l2 > 0 && s2 + l2 <= pdf.length))
    throw new PdfStructureError(`/ByteRange [${br.join(' ')}] overlaps itself or runs past the file (${pdf.length} bytes)`);
  if (pdf[l1] !== 0x3c || pdf[s2 - 1] !== 0x3e) throw new PdfStructureError('the /ByteRange gap is not a hex string <…>');
  const hex = latin1(pdf, l1 + 1, s2 - 1);
  if (!/^[0-9A-Fa-f]*$/.test(hex) || hex.length % 2) throw new PdfStructureError('the /ByteRange gap holds more than hex digits');
  if (!Buffer.from(hex, 'hex').equals(Buffer.from(sig.contents)))
    throw new PdfStructureError("the /ByteRange gap is not this signature's /Contents");
  let k = l1 - 1;
  while (k > 0 && isWhite(pdf[k])) k--;
  if (latin1(pdf, k - 8, k + 1) !== '/Contents') throw new PdfStructureError('the /ByteRange gap does not follow a /Contents key');
  return [s1, l1, s2, l2];
}

/**
 * Checks a signature's ByteRange against the file (see the top of this file) and returns the revision it covers.
 * Throws PdfStructureError with the reason when it is not sane.
 */
export function checkByteRange(pdf: Uint8Array, revisions: Revision[], sig: SignatureDictionaryRef): CoveredRevision {
  const range = checkGap(pdf, sig);
  const covered = range[2] + range[3];
  const revision = revisions.findIndex((r) => covered === r.end || covered === r.endWithEol);
  if (revision < 0) throw new PdfStructureError(`the /ByteRange ends at byte ${covered}, which is not the end of a revision`);
  const entry = entryAt(revisions, revision, sig.objectNumber);
  if (!entry || entry.kind !== 'offset')
    throw new PdfStructureError(`the signature dictionary (object ${sig.objectNumber}) is not at a byte offset in the revision it covers`);
  const header = objectHeaderAt(pdf, entry.offset);
  if (!header || header.num !== sig.objectNumber || entry.offset >= range[1] || endobjAfter(pdf, header.body) < range[2])
    throw new PdfStructureError(`the /ByteRange gap is not inside the signature dictionary (object ${sig.objectNumber})`);
  const dictText = latin1(pdf, header.body, range[1]);
  if (!/\/ByteRange\s*\[/.test(dictText)) throw new PdfStructureError('the signature dictionary has no /ByteRange before its /Contents');
  return { range, revision };
}

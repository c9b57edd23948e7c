// The signatures already in a PDF, as the later PAdES steps need them (creation side: the DSS is keyed by a
// signature's /Contents, and its validation data is read from that signature's CMS) and as validation reads
// them (validation/pades.ts). Reads the interactive form's signature fields (ISO 32000-1 §12.7.4.5) and their
// signature dictionaries (§12.8.1) with pdf-lib; checks nothing about the signatures themselves (that is
// validation's work).
// Not implemented: signature dictionaries not reachable from /AcroForm /Fields (e.g. only in a page's /Annots);
// a CMS encoded with an indefinite length (BER) in /Contents.
import { PDFArray, PDFDict, PDFDocument, PDFHexString, PDFName, PDFNumber, PDFRef, PDFString } from '@cantoo/pdf-lib';
import { readTlv } from '../asn1/der';

export interface PdfSignature {
  /** the field's fully qualified name (§12.7.3.2) */
  fieldName: string;
  /** /Type: Sig, or DocTimeStamp for a document time-stamp (ISO 32000-2 §12.8.5) */
  type: string;
  subFilter: string;
  byteRange: number[];
  /** the /Contents string's bytes as stored, zero padding included (the DSS's VRI key hashes these) */
  contents: Uint8Array;
  /** the DER value at the start of /Contents (a CMS ContentInfo, or an RFC 3161 TimeStampToken) */
  der: Uint8Array;
  /** the signature dictionary's object (absent when the field's /V is a direct dictionary) */
  ref?: PDFRef;
  /** the signature dictionary, for its other entries (/M, /Filter, /Reason, …) */
  dict: PDFDict;
}

const nameOf = (d: PDFDict, key: string): string => d.lookupMaybe(PDFName.of(key), PDFName)?.decodeText() ?? '';

function partialName(field: PDFDict): string | undefined {
  const t = field.lookup(PDFName.of('T'));
  return t instanceof PDFString || t instanceof PDFHexString ? t.decodeText() : undefined;
}

function readSignatureDict(v: PDFDict, ref: PDFRef | undefined, fieldName: string): PdfSignature | undefined {
  const contents = v.lookup(PDFName.of('Contents'));
  const range = v.lookupMaybe(PDFName.of('ByteRange'), PDFArray);
  if (!(contents instanceof PDFHexString) || !range) return undefined;
  const bytes = contents.asBytes();
  const first = bytes.length >= 2 ? readTlv(bytes, 0) : undefined;
  return {
    fieldName,
    type: nameOf(v, 'Type') || 'Sig',
    subFilter: nameOf(v, 'SubFilter'),
    byteRange: range.asArray().map((n) => (n instanceof PDFNumber ? n.asNumber() : Number.NaN)),
    contents: bytes,
    der: first ? bytes.subarray(0, first.end) : new Uint8Array(0),
    ...(ref ? { ref } : {}),
    dict: v,
  };
}

/** Walks a field tree (§12.7.3.1: /Kids, names joined by '.'), collecting signed signature fields. */
function walk(field: PDFDict, parent: string | undefined, out: PdfSignature[], depth: number): void {
  if (depth > 32) throw new RangeError('the field tree is too deep');
  const partial = partialName(field);
  const name = partial === undefined ? (parent ?? '') : parent ? `${parent}.${partial}` : partial;
  const ft = field.lookupMaybe(PDFName.of('FT'), PDFName)?.decodeText();
  const v = field.lookupMaybe(PDFName.of('V'), PDFDict);
  if (ft === 'Sig' && v) {
    const ref = field.get(PDFName.of('V'));
    const sig = readSignatureDict(v, ref instanceof PDFRef ? ref : undefined, name);
    if (sig) out.push(sig);
  }
  const kids = field.lookupMaybe(PDFName.of('Kids'), PDFArray);
  for (let i = 0; kids && i < kids.size(); i++) {
    const kid = kids.lookupMaybe(i, PDFDict);
    if (kid && partialName(kid) !== undefined) walk(kid, name, out, depth + 1);
  }
}

/** The signatures and document time-stamps of `pdf`, oldest first (by where their ByteRange ends). */
export async function readSignatures(pdf: Uint8Array): Promise<PdfSignature[]> {
  return signaturesOf(await PDFDocument.load(pdf, { updateMetadata: false }));
}

/** The signatures and document time-stamps of a loaded document, oldest first (by where their ByteRange ends). */
export function signaturesOf(doc: PDFDocument): PdfSignature[] {
  const fields = doc.catalog.lookupMaybe(PDFName.of('AcroForm'), PDFDict)?.lookupMaybe(PDFName.of('Fields'), PDFArray);
  const out: PdfSignature[] = [];
  for (let i = 0; fields && i < fields.size(); i++) {
    const f = fields.lookupMaybe(i, PDFDict);
    if (f) walk(f, undefined, out, 0);
  }
  const end = (s: PdfSignature): number => (s.byteRange[2] ?? 0) + (s.byteRange[3] ?? 0);
  return out.sort((a, b) => end(a) - end(b));
}

// The PDF objects around a signature: the incremental update that carries them (ISO 32000-1 §7.5.6), and the
// signature field with its widget annotation (§12.7.4.5, §12.5.6.19) in the document's interactive form
// (§12.7.2), written with @cantoo/pdf-lib at the object level.
//
// What is changed, and nothing else: the catalog (a new /AcroForm, or none), the /AcroForm dictionary (its
// /Fields and /SigFlags), the /Annots of the one page the widget sits on, and new objects. pdf-lib's page-level
// helpers are avoided on purpose: PDFPage.addAnnot "normalises" the page, wrapping its content streams in q/Q,
// which would add content changes to a signing update.
//
// Not implemented: signature fields nested under a non-terminal field (the new field is always top-level);
// filling an existing empty signature field (a new one is always added); locking (/Lock, FieldMDP) and
// certification (/Perms /DocMDP).
import { PDFArray, PDFDict, PDFDocument, PDFHexString, PDFName, PDFNumber, PDFRef, PDFString } from '@cantoo/pdf-lib';
import { fillLastPartByDigest, type FilledSignature } from './placeholder';
import './sharedbytes';

/** A document opened for one incremental update, and where that update will start. */
export interface Increment {
  doc: PDFDocument;
  /** byte length of the input, the first byte of the update */
  start: number;
}

/** Opens `pdf` for an incremental update; the document's Info dictionary and metadata are left as they are. */
export async function openIncrement(pdf: Uint8Array): Promise<Increment> {
  const doc = await PDFDocument.load(pdf, { forIncrementalUpdate: true, updateMetadata: false });
  return { doc, start: pdf.byteLength };
}

/** The input followed by one incremental update with every changed or new object (classic xref section). */
export function commitIncrement(inc: Increment): Promise<Uint8Array> {
  return inc.doc.commit({ useObjectStreams: false });
}

/**
 * A PDF opened once (parsed once) for a series of incremental updates, as createPades makes them: each step changes
 * `doc` and commits its update; a signature's placeholder is then filled in the file in place (placeholder.ts), and
 * the next update is appended to that filled file. The objects of the document model keep their placeholder
 * values; they are never written again, because only objects changed after a commit go into the next update.
 */
export class IncrementalPdf {
  /** the file as parts: the input, then each committed update (filled in place); put together only by `bytes` */
  private readonly parts: Uint8Array[];

  private constructor(
    readonly doc: PDFDocument,
    input: Uint8Array,
    private readonly appendInPlace: boolean,
  ) {
    this.parts = [input];
  }

  /**
   * `appendInPlace`: the bytes after `pdf` in its ArrayBuffer are free for the updates (packaging's compose.ts
   * leaves room there). Each update that fits is written there, and `bytes` is then a view of that buffer: a large
   * file is not copied to add a few kB. `pdf`'s own bytes are never written.
   */
  static async open(pdf: Uint8Array, o: { appendInPlace?: boolean } = {}): Promise<IncrementalPdf> {
    const doc = await PDFDocument.load(pdf, { forIncrementalUpdate: true, updateMetadata: false });
    return new IncrementalPdf(doc, pdf, o.appendInPlace === true);
  }

  /** `update` where it is kept: right after the last part in the input's buffer when it fits there, else itself. */
  private place(update: Uint8Array): Uint8Array {
    const first = this.parts[0]!;
    const last = this.parts[this.parts.length - 1]!;
    const end = last.byteOffset + last.byteLength;
    if (!this.appendInPlace || last.buffer !== first.buffer || end + update.byteLength > first.buffer.byteLength) return update;
    const view = new Uint8Array(first.buffer, end, update.byteLength);
    view.set(update);
    return view;
  }

  /** The file as it stands: the input and every update committed (and filled) so far (a view when appended in place). */
  get bytes(): Uint8Array {
    if (this.parts.length === 1) return this.parts[0]!;
    const first = this.parts[0]!;
    const total = this.parts.reduce((n, p) => n + p.byteLength, 0);
    const last = this.parts[this.parts.length - 1]!;
    if (last.buffer === first.buffer && last.byteOffset + last.byteLength === first.byteOffset + total)
      return new Uint8Array(first.buffer, first.byteOffset, total);
    const out = new Uint8Array(total);
    let at = 0;
    for (const p of this.parts) {
      out.set(p, at);
      at += p.byteLength;
    }
    return out;
  }

  /**
   * Appends the changes since the last commit as one update (classic xref section). This
   * is pdf-lib's commit() with the snapshot handed to the writer only: while it writes, pdf-lib sets each new
   * stream's /Length and the trailer's entries, and with a snapshot on the context it would walk the whole
   * document for every one of them (untracked above). Nothing is left to embed by then: the steps here embed
   * their fonts before committing (appearance.ts). Unlike commit(), the file is not copied: the update is kept
   * as a part of its own.
   */
  async commit(): Promise<void> {
    const { doc } = this;
    const { context } = doc;
    const snapshot = context.snapshot;
    if (!snapshot) throw new Error('the document was not opened for incremental updates');
    const start = context.pdfFileDetails.pdfSize;
    context.snapshot = undefined;
    let update: Uint8Array;
    try {
      update = await doc.saveIncremental(snapshot, { useObjectStreams: false });
    } finally {
      context.snapshot = snapshot;
    }
    const startxref = /startxref\s+(\d+)\s+%%EOF\s*$/.exec(Buffer.from(update.subarray(-64)).toString('latin1'));
    if (!startxref) throw new Error('the update pdf-lib wrote has no startxref');
    this.parts.push(this.place(update));
    context.pdfFileDetails.pdfSize = start + update.byteLength;
    context.pdfFileDetails.prevStartXRef = Number(startxref[1]);
    context.snapshot = doc.takeSnapshot();
  }

  /**
   * Fills the signature placeholder of the update just committed with the DER `produce` makes from the SHA-256 of
   * the ByteRange bytes (placeholder.ts fillLastPartByDigest).
   */
  fill(produce: (sha256: Uint8Array) => Promise<Uint8Array>): Promise<FilledSignature> {
    return fillLastPartByDigest(this.parts, produce);
  }
}

/** Marks an existing indirect object as changed, so that the next commit writes it again. */
export type MarkChanged = (ref: PDFRef) => void;

/**
 * Runs `edit` with pdf-lib's change tracking off, then marks the existing objects it names as changed. In an
 * incremental update pdf-lib looks, for every value set in any dictionary or array, for the indirect object that
 * holds it: a walk of the whole document, which finds nothing for a new object (new objects are written anyway,
 * their numbers being new). For a 100-page document that was most of a signing step. The edits here know exactly
 * which existing objects they change (the top of this file), and name them.
 */
export async function untracked<T>(doc: PDFDocument, edit: (mark: MarkChanged) => T | Promise<T>): Promise<T> {
  const { context } = doc;
  const snapshot = context.snapshot;
  const changed: PDFRef[] = [];
  context.snapshot = undefined;
  try {
    return await edit((ref) => changed.push(ref));
  } finally {
    context.snapshot = snapshot;
    for (const ref of changed) snapshot?.markRefForSave(ref);
  }
}

/** The indirect object to mark when the value at `dict`'s `key` changes: the value's own when it is a reference, else `holder`. */
export function holderOf(dict: PDFDict, key: string, holder: PDFRef): PDFRef {
  const raw = dict.get(PDFName.of(key));
  return raw instanceof PDFRef ? raw : holder;
}

/** The catalog's reference (the trailer's /Root). */
export function catalogRef(doc: PDFDocument): PDFRef {
  const root = doc.context.trailerInfo.Root;
  if (!(root instanceof PDFRef)) throw new Error('the trailer has no /Root reference');
  return root;
}

/** ISO 32000-1 §7.9.2.2 text string: UTF-16BE with its byte order mark, written as a hex string (no escaping). */
export const textString = (s: string): PDFHexString => PDFHexString.fromText(s);

/** ISO 32000-1 §7.9.4 date, in UTC (`D:YYYYMMDDHHmmSSZ`). */
export const pdfDate = (d: Date): PDFString => PDFString.fromDate(d);

/** The document's interactive form dictionary (§12.7.2), created in the catalog when absent; and the object holding it. */
function acroFormOf(doc: PDFDocument, mark: MarkChanged): { form: PDFDict; holder: PDFRef } {
  const root = catalogRef(doc);
  const existing = doc.catalog.lookupMaybe(PDFName.of('AcroForm'), PDFDict);
  if (existing) return { form: existing, holder: holderOf(doc.catalog, 'AcroForm', root) };
  const form = doc.context.obj({ Fields: [] });
  const ref = doc.context.register(form);
  doc.catalog.set(PDFName.of('AcroForm'), ref);
  mark(root);
  return { form, holder: ref };
}

/** The /Fields array of an interactive form, created when absent; and the object holding it. */
function fieldsOf(form: PDFDict, formHolder: PDFRef): { fields: PDFArray; holder: PDFRef } {
  const existing = form.lookupMaybe(PDFName.of('Fields'), PDFArray);
  if (existing) return { fields: existing, holder: holderOf(form, 'Fields', formHolder) };
  const fields = form.context.obj([]);
  form.set(PDFName.of('Fields'), fields);
  return { fields, holder: formHolder };
}

/** The partial names (/T, §12.7.3.2) of the top-level fields. */
function topLevelNames(fields: PDFArray): Set<string> {
  const names = new Set<string>();
  for (let i = 0; i < fields.size(); i++) {
    const t = fields.lookupMaybe(i, PDFDict)?.lookup(PDFName.of('T'));
    if (t instanceof PDFString || t instanceof PDFHexString) names.add(t.decodeText());
  }
  return names;
}

/** `wanted`, refused when taken (§12.7.3.2: fully qualified names are unique), or the first free `<prefix>N`. */
function fieldName(fields: PDFArray, wanted: string | undefined, prefix: string): string {
  const taken = topLevelNames(fields);
  if (wanted !== undefined) {
    if (!wanted || wanted.includes('.')) throw new RangeError(`a field name must be non-empty and without '.': ${JSON.stringify(wanted)}`);
    if (taken.has(wanted)) throw new RangeError(`the document already has a field named ${JSON.stringify(wanted)}`);
    return wanted;
  }
  let n = 1;
  while (taken.has(`${prefix}${n}`)) n++;
  return `${prefix}${n}`;
}

/** Appends `annot` to the page's /Annots (§12.5.2 via Table 30), creating the array when absent. */
function addToPage(doc: PDFDocument, page: PDFDict, pageRef: PDFRef, annot: PDFRef, mark: MarkChanged): void {
  const annots = page.lookupMaybe(PDFName.of('Annots'), PDFArray);
  mark(holderOf(page, 'Annots', pageRef));
  if (annots) annots.push(annot);
  else page.set(PDFName.of('Annots'), doc.context.obj([annot]));
}

export interface FieldOptions {
  /** /T of the new field; default the first free `<prefix>N` */
  name?: string;
  prefix: string;
  /** 0-based page of the widget; default 0 */
  pageIndex?: number;
  /** the widget's /Rect [x1 y1 x2 y2] in default user space; default [0 0 0 0] (invisible, §12.7.4.5 NOTE) */
  rect?: [number, number, number, number];
  /** the widget's normal appearance (§12.5.5), a form XObject */
  appearance?: PDFRef;
}

/**
 * Adds a top-level signature field whose value is the signature dictionary `sig` (§12.7.4.5, Table 232: /FT /Sig,
 * /V), merged with its widget annotation (§12.5.6.19; §12.7.3.1 allows one dictionary for both), flags Print and
 * Locked (§12.5.3: 4 + 128), on the page's /Annots, and sets /SigFlags 3 (SignaturesExist | AppendOnly, §12.7.2
 * Table 219). Returns the field's name.
 */
export function addSignatureField(doc: PDFDocument, sig: PDFRef, o: FieldOptions): Promise<string> {
  return untracked(doc, (mark) => addField(doc, sig, o, mark));
}

function addField(doc: PDFDocument, sig: PDFRef, o: FieldOptions, mark: MarkChanged): string {
  const { form, holder: formHolder } = acroFormOf(doc, mark);
  const { fields, holder: fieldsHolder } = fieldsOf(form, formHolder);
  const name = fieldName(fields, o.name, o.prefix);
  const pages = doc.getPages();
  const pageIndex = o.pageIndex ?? 0;
  const page = pages[pageIndex];
  if (!page) throw new RangeError(`no page ${pageIndex} (the document has ${pages.length})`);
  const widget = doc.context.obj({
    Type: 'Annot',
    Subtype: 'Widget',
    FT: 'Sig',
    T: textString(name),
    V: sig,
    F: 132,
    Rect: o.rect ?? [0, 0, 0, 0],
    P: page.ref,
    ...(o.appearance ? { AP: { N: o.appearance } } : {}),
  });
  const ref = doc.context.register(widget);
  fields.push(ref);
  form.set(PDFName.of('SigFlags'), PDFNumber.of(3));
  mark(fieldsHolder);
  mark(formHolder);
  addToPage(doc, page.node, page.ref, ref, mark);
  return name;
}

// The Document Security Store (ETSI EN 319 142-1 §5.4.2; ISO 32000-2 §12.8.4.3, Table 261), added or merged in an
// incremental update: the catalog's /DSS << /Type /DSS /Certs [..] /OCSPs [..] /CRLs [..] /VRI << .. >> >>, every
// value one (Flate-compressed) stream of DER, each distinct value stored once however many signatures use it; and
// one VRI dictionary per signature (§5.4.2.3; ISO 32000-2 §12.8.4.4, Table 262) with /Cert, /OCSP, /CRL (refs to
// the same streams) and /TU, the time it was written. The VRI key is the uppercase hex SHA-1 of the signature's
// /Contents bytes as stored, zero padding included, as pyHanko and @libpdf/core compute it (reference §4).
// With a DSS already there, its arrays are kept and extended (a value already stored, compared after decoding, is
// not stored again), and a VRI entry for the same signature is extended the same way.
// Not implemented: /TS in a VRI (a time-stamp of the VRI data; exclusive with /TU, §5.4.2.3); removing stale data.
import { createHash } from 'node:crypto';
import { decodePDFRawStream, PDFArray, PDFDict, PDFName, PDFRawStream, PDFRef, type PDFContext, type PDFDocument } from '@cantoo/pdf-lib';
import { catalogRef, holderOf, IncrementalPdf, pdfDate, untracked, type MarkChanged } from './field';
import type { ValidationData } from './validationdata';

/** One signature's validation data, and the signature it is for (none: the values go into the DSS's arrays only, no VRI). */
export interface DssEntry {
  /** the signature's /Contents bytes as stored in the file, zero padding included (signatures.ts PdfSignature.contents) */
  contents?: Uint8Array;
  data: ValidationData;
}

/** The VRI key of a signature: uppercase hex SHA-1 of its /Contents bytes as stored (padding included). */
export function vriKey(contents: Uint8Array): string {
  return createHash('sha1').update(contents).digest('hex').toUpperCase();
}

const KINDS = [
  ['certificates', 'Certs', 'Cert'],
  ['ocsps', 'OCSPs', 'OCSP'],
  ['crls', 'CRLs', 'CRL'],
] as const;

/** The DSS's arrays and what their streams hold: each value's bytes (base64) to the stream's ref. */
class Store {
  private readonly byValue = new Map<string, PDFRef>();

  constructor(
    private readonly context: PDFContext,
    readonly dss: PDFDict,
  ) {
    for (const [, key] of KINDS) {
      const arr = dss.lookupMaybe(PDFName.of(key), PDFArray);
      if (arr) this.index(arr);
    }
  }

  /** The DSS's array `key`, created when absent. */
  private array(key: string): PDFArray {
    const existing = this.dss.lookupMaybe(PDFName.of(key), PDFArray);
    if (existing) return existing;
    const created = this.context.obj([]);
    this.dss.set(PDFName.of(key), created);
    return created;
  }

  private index(arr: PDFArray): void {
    for (let i = 0; i < arr.size(); i++) {
      const ref = arr.get(i);
      const stream = arr.lookup(i);
      if (stream instanceof PDFRawStream && ref instanceof PDFRef)
        this.byValue.set(Buffer.from(decodePDFRawStream(stream).decode()).toString('base64'), ref);
    }
  }

  /** The ref of the stream holding `der` in array `key`, stored now if it was not. */
  refFor(key: string, der: Uint8Array): PDFRef {
    const k = Buffer.from(der).toString('base64');
    let ref = this.byValue.get(k);
    if (!ref) {
      ref = this.context.register(this.context.flateStream(der));
      this.byValue.set(k, ref);
      this.array(key).push(ref);
    }
    return ref;
  }
}

/** The catalog's DSS dictionary, created (indirect, /Type /DSS) when absent; and the object holding it. */
function dssOf(doc: PDFDocument, mark: MarkChanged): { dss: PDFDict; holder: PDFRef } {
  const { context, catalog } = doc;
  const root = catalogRef(doc);
  const existing = catalog.lookupMaybe(PDFName.of('DSS'), PDFDict);
  if (existing) return { dss: existing, holder: holderOf(catalog, 'DSS', root) };
  const dss = context.obj({ Type: 'DSS' });
  const ref = context.register(dss);
  catalog.set(PDFName.of('DSS'), ref);
  mark(root);
  return { dss, holder: ref };
}

/** Adds `refs` to the VRI array `key` of `vri`, skipping refs it already lists. */
function addRefs(context: PDFContext, vri: PDFDict, key: string, refs: PDFRef[]): void {
  if (!refs.length) return;
  const arr = vri.lookupMaybe(PDFName.of(key), PDFArray) ?? context.obj([]);
  const listed = new Set(arr.asArray().map(String));
  for (const r of refs) if (!listed.has(String(r))) arr.push(r);
  vri.set(PDFName.of(key), arr);
}

/**
 * Adds (or merges into) the catalog's /DSS the validation data of each signature in `entries`, with one VRI entry
 * per signature, in a new incremental update; returns the whole file.
 */
export async function addDss(pdf: Uint8Array, entries: DssEntry[], o: { time?: Date } = {}): Promise<Uint8Array> {
  const file = await IncrementalPdf.open(pdf);
  await addDssIncrement(file, entries, o);
  return file.bytes;
}

/** addDss on a file already open for updates (pades.ts): the update is appended. */
export async function addDssIncrement(file: IncrementalPdf, entries: DssEntry[], o: { time?: Date } = {}): Promise<void> {
  // Built without pdf-lib's change tracking (field.ts untracked); what changes of the existing objects is the
  // catalog (a new /DSS), the DSS dictionary (its VRI written inline) and the arrays it holds by reference.
  await untracked(file.doc, (mark) => {
    const { dss, holder } = dssOf(file.doc, mark);
    fillDss(file.doc.context, dss, entries, o);
    mark(holder);
    for (const [, key] of KINDS) mark(holderOf(dss, key, holder));
  });
  await file.commit();
}

function fillDss(context: PDFContext, dss: PDFDict, entries: DssEntry[], o: { time?: Date }): void {
  const store = new Store(context, dss);
  const vriRoot = store.dss.lookupMaybe(PDFName.of('VRI'), PDFDict) ?? context.obj({});
  store.dss.set(PDFName.of('VRI'), vriRoot);
  for (const entry of entries) {
    if (!entry.contents) {
      for (const [field, dssKey] of KINDS) for (const der of entry.data[field]) store.refFor(dssKey, der);
      continue;
    }
    const key = PDFName.of(vriKey(entry.contents));
    const vri = vriRoot.lookupMaybe(key, PDFDict) ?? context.obj({});
    for (const [field, dssKey, vriKeyName] of KINDS)
      addRefs(
        context,
        vri,
        vriKeyName,
        entry.data[field].map((der) => store.refFor(dssKey, der)),
      );
    vri.set(PDFName.of('TU'), pdfDate(o.time ?? new Date()));
    vriRoot.set(key, vri);
  }
}

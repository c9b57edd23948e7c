// What an incremental update (ISO 32000-1 §7.5.6) changed, and whether a signed PDF may take that change
// without being "modified after signing" (reference/packagingservice-v4.md §6 items 3 and 11; the incremental
// saving attack of pdf-insecurity.org). Both revisions are loaded with @cantoo/pdf-lib and compared object by
// object: the objects the update's cross-reference section lists (pdfrevisions.ts), and every object whose value
// differs between the two loads, added or freed.
//
// Allowed, as PAdES B-LT and B-LTA need them (ETSI EN 319 142-1 §5.4; pyHanko's "LTA updates" rules):
//   - the Document Security Store: the catalog's /DSS, and objects reachable from it that are new or were already
//     part of the previous DSS (ISO 32000-2 §12.8.4.3-4: /Certs, /OCSPs, /CRLs, /VRI);
//   - new signature fields (§12.7.4.5) whose /V is a signature or document time-stamp dictionary (ISO 32000-2
//     §12.8.5), with their widgets and the new objects of their appearances: a document time-stamp, or a later
//     signature, which ISO 32000-1 §12.8.2.2 allows in every DocMDP level and which is validated on its own;
//   - in the catalog only /DSS and /AcroForm; in the interactive form only /Fields (existing fields kept, in order,
//     new signature fields appended) and /SigFlags; in a page only /Annots (existing annotations kept, the new
//     signature fields' widgets appended);
//   - the document information dictionary (trailer /Info) and the catalog's XMP /Metadata stream: a choice, as
//     pyHanko's DocInfoRule and MetadataUpdateRule make it: metadata is not page content; the change is named in
//     the report;
//   - new objects no longer reachable from the trailer (ignored by every reader), and the update's own object and
//     cross-reference streams.
// Everything else (a page's content, a new page, another kind of annotation, a changed font, a freed object) is
// refused, and validation reports the signature as modified after signing.
// Not implemented: DocMDP and FieldMDP permissions (§12.8.2.2-3: segl does not certify); form filling by value
// (a changed field value is refused, not judged against /Lock); comparing what a page shows (the comparison is of
// objects, so a refused change may look the same on screen).
import { PDFArray, PDFDict, PDFName, PDFRawStream, PDFRef, type PDFDocument, type PDFObject } from '@cantoo/pdf-lib';
import type { Revision } from './pdfrevisions';

/** What one update did: the changes allowed (described) and those refused. */
export interface UpdateChanges {
  /** 0-based index of the revision this update made */
  revision: number;
  allowed: string[];
  refused: string[];
}

const key = (r: PDFRef): string => `${r.objectNumber} ${r.generationNumber}`;
const refOf = (k: string): PDFRef => PDFRef.of(Number(k.split(' ')[0]), Number(k.split(' ')[1]));
const N = (s: string): PDFName => PDFName.of(s);

function sameObject(a: PDFObject | undefined, b: PDFObject | undefined): boolean {
  if (!a || !b) return a === b;
  if (a instanceof PDFRawStream || b instanceof PDFRawStream) {
    if (!(a instanceof PDFRawStream && b instanceof PDFRawStream)) return false;
    return a.dict.toString() === b.dict.toString() && Buffer.from(a.contents).equals(Buffer.from(b.contents));
  }
  return a.toString() === b.toString();
}

const describeObject = (o: PDFObject | undefined): string => {
  const d = o instanceof PDFRawStream ? o.dict : o instanceof PDFDict ? o : undefined;
  const type = d?.lookupMaybe(N('Type'), PDFName)?.decodeText() ?? d?.lookupMaybe(N('Subtype'), PDFName)?.decodeText();
  return o instanceof PDFRawStream ? `stream${type ? ` /${type}` : ''}` : type ? `/${type}` : (o?.constructor.name ?? 'object');
};

/** Keys whose values differ between two dictionaries (absent on one side counts). */
function differingKeys(a: PDFDict | undefined, b: PDFDict | undefined): string[] {
  const names = new Set([...(a?.keys() ?? []), ...(b?.keys() ?? [])].map((k) => k.decodeText()));
  return [...names].filter((k) => String(a?.get(N(k))) !== String(b?.get(N(k))));
}

/** The refs an object refers to, directly or inside direct arrays and dictionaries (`skip`: keys not followed). */
function refsIn(o: PDFObject | undefined, skip: Set<string> = new Set()): PDFRef[] {
  if (o instanceof PDFRef) return [o];
  if (o instanceof PDFArray) return o.asArray().flatMap((v) => refsIn(v, skip));
  const d = o instanceof PDFRawStream ? o.dict : o instanceof PDFDict ? o : undefined;
  return d ? d.entries().flatMap(([k, v]) => (skip.has(k.decodeText()) ? [] : refsIn(v, skip))) : [];
}

/** Every ref reachable from `from` in `doc` (not following `skip` keys). */
function reachable(doc: PDFDocument, from: PDFObject[], skip: Set<string> = new Set()): Set<string> {
  const seen = new Set<string>();
  const todo = from.flatMap((o) => refsIn(o, skip));
  for (let r = todo.pop(); r; r = todo.pop()) {
    if (seen.has(key(r))) continue;
    seen.add(key(r));
    todo.push(...refsIn(doc.context.lookup(r), skip));
  }
  return seen;
}

const catalogOf = (doc: PDFDocument): PDFDict | undefined => doc.context.lookup(doc.context.trailerInfo.Root) as PDFDict | undefined;
const acroFormOf = (doc: PDFDocument): PDFDict | undefined => catalogOf(doc)?.lookupMaybe(N('AcroForm'), PDFDict);
const refList = (a: PDFArray | undefined): string[] => (a?.asArray() ?? []).map(String);

/** One update being judged: both loads, and the refs each rule accounts for. */
class Judge {
  readonly allowed: string[] = [];
  readonly refused: string[] = [];
  /** refs a rule has accounted for */
  readonly settled = new Set<string>();
  /** refs of the new signature fields' widgets (the only annotations a page may gain) */
  private readonly newWidgets = new Set<string>();

  constructor(
    private readonly before: PDFDocument,
    private readonly after: PDFDocument,
    private readonly touched: Map<string, 'added' | 'changed' | 'freed'>,
  ) {}

  private settle(refs: Iterable<string>, onlyAdded: boolean): void {
    for (const r of refs) if (!onlyAdded || this.touched.get(r) === 'added') this.settled.add(r);
  }

  /** The Document Security Store: new objects reachable from it, or changed ones that were in it before. */
  dss(): void {
    const dssOf = (d: PDFDocument) => catalogOf(d)?.get(N('DSS'));
    const now = dssOf(this.after);
    if (!now) return;
    const was = reachable(this.before, dssOf(this.before) ? [dssOf(this.before)!] : []);
    const is = reachable(this.after, [now]);
    const mine = [...is].filter((r) => this.touched.get(r) === 'added' || (this.touched.get(r) === 'changed' && was.has(r)));
    if (mine.length) this.allowed.push(`the Document Security Store (${mine.length} object(s))`);
    this.settle(mine, false);
  }

  /** New signature fields appended to /Fields, their widgets and their appearances' new objects. */
  fields(): string[] {
    const before = new Set(refList(acroFormOf(this.before)?.lookupMaybe(N('Fields'), PDFArray)));
    const after = acroFormOf(this.after)?.lookupMaybe(N('Fields'), PDFArray);
    const added: string[] = [];
    for (const [i, item] of (after?.asArray() ?? []).entries()) {
      if (before.has(String(item))) continue;
      const field = after!.lookupMaybe(i, PDFDict);
      const v = field?.lookupMaybe(N('V'), PDFDict);
      const type = v?.lookupMaybe(N('Type'), PDFName)?.decodeText() ?? 'Sig';
      const isSigField = field?.lookupMaybe(N('FT'), PDFName)?.decodeText() === 'Sig' && v && (type === 'Sig' || type === 'DocTimeStamp');
      if (!field || !isSigField || !(item instanceof PDFRef) || this.touched.get(key(item)) !== 'added') {
        this.refused.push(`a form field other than a new signature field was added (${String(item)})`);
        continue;
      }
      const widgets = field.has(N('Kids')) ? refList(field.lookupMaybe(N('Kids'), PDFArray)) : [String(item)];
      for (const w of widgets) this.newWidgets.add(w.replace(/ R$/, ''));
      this.settle([key(item), ...reachable(this.after, [field], new Set(['P', 'Parent']))], true);
      added.push(`${type === 'DocTimeStamp' ? 'a document time-stamp' : 'a signature'} field (${String(item)})`);
    }
    if (added.length) this.allowed.push(...added);
    return [...before].filter((r) => !refList(after).includes(r));
  }

  /**
   * A dictionary (`now` after the update, `was` before it; held at `ref`, or direct in a touched parent) that may
   * change only in `keys`, and, when given, whose array `grow.key` (direct, or an object of its own) may only gain
   * entries from `grow.may`, appended.
   */
  private restricted(
    held: { ref?: PDFRef; now?: PDFDict; was?: PDFDict; parentTouched?: boolean },
    what: string,
    keys: string[],
    grow?: { key: string; may: Set<string> },
  ): void {
    const { ref, now, was } = held;
    if (!now) return;
    if (ref ? this.touched.has(key(ref)) : held.parentTouched) {
      const bad = differingKeys(was, now).filter((k) => !keys.includes(k));
      if (bad.length) this.refused.push(`${what} changed its ${bad.map((k) => `/${k}`).join(', ')}`);
      if (ref) this.settled.add(key(ref));
    }
    if (!grow) return;
    const old = refList(was?.lookupMaybe(N(grow.key), PDFArray));
    const cur = refList(now.lookupMaybe(N(grow.key), PDFArray));
    if (old.length === cur.length && old.every((r, i) => cur[i] === r)) return;
    const ok = old.every((r, i) => cur[i] === r) && cur.slice(old.length).every((r) => grow.may.has(r.replace(/ R$/, '')));
    if (!ok) this.refused.push(`${what}'s /${grow.key} lost entries or gained ones that are not new signature fields`);
    const array = now.get(N(grow.key));
    if (ok && array instanceof PDFRef) this.settled.add(key(array));
  }

  /** The catalog, the interactive form and the pages (see the top of this file). */
  structure(): void {
    const root = this.after.context.trailerInfo.Root;
    const rootRef = root instanceof PDFRef ? root : undefined;
    const catalog = { now: catalogOf(this.after), was: catalogOf(this.before) };
    this.restricted({ ...(rootRef ? { ref: rootRef } : {}), ...catalog }, 'the catalog', ['DSS', 'AcroForm', 'Metadata']);
    const form = catalog.now?.get(N('AcroForm'));
    const fields = new Set(refList(acroFormOf(this.after)?.lookupMaybe(N('Fields'), PDFArray)).map((r) => r.replace(/ R$/, '')));
    this.restricted(
      {
        ...(form instanceof PDFRef ? { ref: form } : { parentTouched: !rootRef || this.touched.has(key(rootRef)) }),
        now: acroFormOf(this.after),
        was: acroFormOf(this.before),
      },
      'the interactive form',
      ['Fields', 'SigFlags'],
      { key: 'Fields', may: fields },
    );
    this.after.getPages().forEach((page, i) => {
      const was = this.before.context.lookup(page.ref);
      const held = { ref: page.ref, now: page.node, ...(was instanceof PDFDict ? { was } : {}) };
      this.restricted(held, `page ${i + 1}`, ['Annots'], { key: 'Annots', may: this.newWidgets });
    });
  }

  /** Trailer /Info and the catalog's /Metadata (the choice at the top of this file). */
  metadata(): void {
    const info = this.after.context.trailerInfo.Info;
    const meta = catalogOf(this.after)?.get(N('Metadata'));
    for (const [ref, what] of [
      [info, 'the document information dictionary (/Info)'],
      [meta, 'the XMP metadata stream'],
    ] as const) {
      if (ref instanceof PDFRef && this.touched.has(key(ref))) {
        this.allowed.push(`${what} (metadata, not page content)`);
        this.settled.add(key(ref));
      }
    }
  }

  /** New objects nothing reaches, and the update's object and cross-reference streams. */
  unreferenced(): void {
    const trailer = this.after.context.trailerInfo;
    const live = reachable(
      this.after,
      [trailer.Root, trailer.Info].filter((x): x is PDFObject => !!x),
    );
    for (const [r, how] of this.touched) {
      if (how !== 'added' || this.settled.has(r)) continue;
      const o = this.after.context.lookup(refOf(r));
      const type = o instanceof PDFRawStream ? o.dict.lookupMaybe(N('Type'), PDFName)?.decodeText() : undefined;
      if (!live.has(r) || type === 'ObjStm' || type === 'XRef') this.settled.add(r);
    }
  }

  /** Whatever no rule accounted for is refused. */
  rest(): void {
    for (const [r, how] of this.touched) {
      if (this.settled.has(r)) continue;
      const o = (how === 'freed' ? this.before : this.after).context.lookup(refOf(r));
      this.refused.push(`object ${r} (${describeObject(o)}) ${how}`);
    }
  }
}

/** The refs an update added, changed or freed: its cross-reference entries, and every difference between the loads. */
function touchedObjects(before: PDFDocument, after: PDFDocument, revision: Revision): Map<string, 'added' | 'changed' | 'freed'> {
  const touched = new Map<string, 'added' | 'changed' | 'freed'>();
  const old = new Map(before.context.enumerateIndirectObjects().map(([r, o]) => [key(r), o] as const));
  for (const [r, o] of after.context.enumerateIndirectObjects()) {
    const k = key(r);
    if (!old.has(k)) touched.set(k, 'added');
    else if (!sameObject(old.get(k), o)) touched.set(k, 'changed');
  }
  // §7.5.4: a free entry (other than object 0's) deletes the object of that number
  for (const e of revision.entries) {
    if (e.kind !== 'free' || e.num === 0) continue;
    for (const k of old.keys()) if (k.startsWith(`${e.num} `)) touched.set(k, 'freed');
  }
  return touched;
}

/** Judges the update that made `revision`, from the document as it was before (`before`) to after it (`after`). */
export function judgeUpdate(before: PDFDocument, after: PDFDocument, revision: Revision): UpdateChanges {
  const judge = new Judge(before, after, touchedObjects(before, after, revision));
  judge.dss();
  const lostFields = judge.fields();
  if (lostFields.length) judge.refused.push(`form field(s) ${lostFields.join(', ')} removed`);
  judge.structure();
  judge.metadata();
  judge.unreferenced();
  judge.rest();
  return { revision: revision.index, allowed: judge.allowed, refused: [...new Set(judge.refused)] };
}

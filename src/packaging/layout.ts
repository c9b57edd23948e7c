// A small flow layout for generated pages: headings, paragraphs (optionally a link) and two-column
// label/value tables ("cards"), measured first and then placed page by page. A heading stays with
// what follows it; a card moves whole to the next page when it fits there, and is split between
// rows only when it is taller than a page. A card's row may show an embedded image in its value column.
import { PDFString, rgb, type PDFDocument, type PDFFont, type PDFImage, type PDFPage } from '@cantoo/pdf-lib';
import type { Fonts } from './fonts';
import type { PageContent } from './pagecontent';
import { GREY, wrap } from './text';

/** An embedded image and the size it is drawn at, in points. */
export interface RowImage {
  image: PDFImage;
  width: number;
  height: number;
}

export interface Row {
  label: string;
  value: string;
  /** shown in the value column instead of `value` */
  image?: RowImage;
}

export type Block =
  { kind: 'heading'; text: string } | { kind: 'para'; text: string; link?: string; small?: boolean } | { kind: 'card'; rows: Row[] };

const H = { size: 12.5, leading: 16, before: 10, after: 4 };
const P = { size: 9.5, leading: 12.5, after: 6 };
const SMALL = { size: 8, leading: 10.5 };
const C = { size: 8.5, leading: 11, pad: 3.5, labelWidth: 132, after: 8 };
const LINE = rgb(0.6, 0.6, 0.6);
const LABEL_FILL = rgb(0.94, 0.94, 0.94);
const LINK = rgb(0.05, 0.2, 0.6);

interface MeasuredRow {
  label: string[];
  value: string[];
  image?: RowImage;
  height: number;
}

/** A block measured for a width: its lines and height. */
export type Measured =
  | { kind: 'heading'; lines: string[]; height: number }
  | { kind: 'para'; lines: string[]; height: number; link?: string; small?: boolean }
  | { kind: 'card'; rows: MeasuredRow[]; height: number };

/** Lines per piece: a paragraph or a table row longer than this is cut into pieces that each fit a page. */
const MAX_LINES = 40;

function chunks<T>(items: T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out.length ? out : [[]];
}

function measure(b: Block, fonts: Fonts, width: number): Measured[] {
  if (b.kind === 'heading') {
    const lines = wrap(b.text, fonts.bold, H.size, width);
    return [{ kind: 'heading', lines, height: H.before + lines.length * H.leading + H.after }];
  }
  if (b.kind === 'para') {
    const s = b.small ? SMALL : P;
    return chunks(wrap(b.text, fonts.regular, s.size, width), MAX_LINES).map((lines) => ({
      kind: 'para',
      lines,
      height: lines.length * s.leading + P.after,
      link: b.link,
      small: b.small,
    }));
  }
  const valueWidth = width - C.labelWidth - 4 * C.pad;
  const rows = b.rows.flatMap((r) => {
    const label = wrap(r.label, fonts.bold, C.size, C.labelWidth - 2 * C.pad);
    if (r.image) return [{ label, value: [], image: r.image, height: Math.max(label.length * C.leading, r.image.height) + 2 * C.pad }];
    const value = chunks(wrap(r.value || '—', fonts.regular, C.size, valueWidth), MAX_LINES);
    // a long value continues in rows of its own, the label on the first only
    return value.map((v, k) => {
      const l = k === 0 ? label : [];
      return { label: l, value: v, height: Math.max(l.length, v.length) * C.leading + 2 * C.pad };
    });
  });
  return [{ kind: 'card', rows, height: rows.reduce((h, r) => h + r.height, 0) + C.after }];
}

/** Splits a card taller than `room` into pieces of whole rows (measure already cut rows longer than MAX_LINES). */
function splitCard(m: Extract<Measured, { kind: 'card' }>, first: number, full: number): Measured[] {
  const out: Measured[] = [];
  let rows: MeasuredRow[] = [];
  let h = C.after;
  let room = first;
  for (const r of m.rows) {
    if (rows.length && h + r.height > room) {
      out.push({ kind: 'card', rows, height: h });
      rows = [];
      h = C.after;
      room = full;
    }
    rows.push(r);
    h += r.height;
  }
  if (rows.length) out.push({ kind: 'card', rows, height: h });
  return out;
}

/**
 * Places the blocks on pages: `firstRoom` points on the first page, `fullRoom` on each one after.
 * Returns the blocks of each page in order.
 */
export function paginate(blocks: Block[], fonts: Fonts, width: number, firstRoom: number, fullRoom: number): Measured[][] {
  const measured = blocks.flatMap((b) => measure(b, fonts, width));
  const pages: Measured[][] = [[]];
  let room = firstRoom;
  const newPage = (): void => {
    pages.push([]);
    room = fullRoom;
  };
  for (let i = 0; i < measured.length; i++) {
    const m = measured[i]!;
    const next = measured[i + 1];
    // A heading needs its own height and the start of what follows (a card row, two lines of text).
    const need = m.kind === 'heading' ? m.height + Math.min(next?.height ?? 0, 3 * C.leading + 2 * C.pad) : m.height;
    const pageEmpty = pages[pages.length - 1]!.length === 0;
    if (need > room && !pageEmpty && (m.kind !== 'card' || m.height <= fullRoom)) newPage();
    if (m.kind === 'card' && m.height > room) {
      const pieces = splitCard(m, room, fullRoom);
      pieces.forEach((p, k) => {
        if (k > 0) newPage();
        pages[pages.length - 1]!.push(p);
        room -= p.height;
      });
      continue;
    }
    pages[pages.length - 1]!.push(m);
    room -= m.height;
  }
  return pages;
}

/** A URI link annotation (ISO 32000-1 §12.5.6.5, §12.6.4.7) over a rectangle, printable (F 4, PDF/A). */
export function addLink(doc: PDFDocument, page: PDFPage, rect: [number, number, number, number], uri: string): void {
  const [x, y, w, h] = rect;
  const annot = doc.context.obj({
    Type: 'Annot',
    Subtype: 'Link',
    Rect: [x, y, x + w, y + h],
    Border: [0, 0, 0],
    F: 4,
    A: { Type: 'Action', S: 'URI', URI: PDFString.of(uri) },
    // PDF/A-2 and later ask for a text alternative on annotations.
    Contents: PDFString.of(uri),
  });
  page.node.addAnnot(doc.context.register(annot));
}

function drawCard(ink: PageContent, fonts: Fonts, m: Extract<Measured, { kind: 'card' }>, x: number, top: number, width: number): void {
  let y = top;
  for (const r of m.rows) {
    const bottom = y - r.height;
    ink.rect({ x, y: bottom, width: C.labelWidth, height: r.height, fill: LABEL_FILL });
    ink.rect({ x, y: bottom, width, height: r.height, border: LINE, borderWidth: 0.5 });
    ink.line({ start: { x: x + C.labelWidth, y }, end: { x: x + C.labelWidth, y: bottom }, thickness: 0.5, color: LINE });
    const text = (lines: string[], font: PDFFont, tx: number): void =>
      lines.forEach((l, k) => ink.text(l, { x: tx, y: y - C.pad - (k + 1) * C.leading + 2.5, size: C.size, font }));
    text(r.label, fonts.bold, x + C.pad);
    text(r.value, fonts.regular, x + C.labelWidth + 2 * C.pad);
    if (r.image)
      ink.image(r.image.image, {
        x: x + C.labelWidth + 2 * C.pad,
        y: y - C.pad - r.image.height,
        width: r.image.width,
        height: r.image.height,
      });
    y = bottom;
  }
}

/** Draws one page's blocks from `top` down (into `ink`, the page's content); returns where it stopped. */
export function drawBlocks(
  doc: PDFDocument,
  page: PDFPage,
  ink: PageContent,
  fonts: Fonts,
  blocks: Measured[],
  x: number,
  top: number,
  width: number,
): number {
  let y = top;
  for (const m of blocks) {
    if (m.kind === 'heading') {
      y -= H.before;
      for (const l of m.lines) ink.text(l, { x, y: (y -= H.leading) + 3.5, size: H.size, font: fonts.bold });
      y -= H.after;
    } else if (m.kind === 'para') {
      const s = m.small ? SMALL : P;
      for (const l of m.lines) {
        y -= s.leading;
        ink.text(l, { x, y: y + 3, size: s.size, font: fonts.regular, color: m.link ? LINK : m.small ? GREY : undefined });
        if (m.link) addLink(doc, page, [x, y + 1, fonts.regular.widthOfTextAtSize(l, s.size), s.leading], m.link);
      }
      y -= P.after;
    } else {
      drawCard(ink, fonts, m, x, y, width);
      y -= m.height;
    }
  }
  return y;
}

// A visible signature's appearance (ISO 32000-1 §12.5.5 appearance streams, §12.7.4.5 signature fields): lines of
// text in an embedded TrueType font, drawn in a form XObject (§8.10) of the widget's size with a thin border. The
// font is embedded as a subset (§9.9 embedded font programs) through pdf-lib and fontkit, so the text shows the
// same in every viewer whatever its script.
// Not implemented: images, the Adobe layered /n0 /n2 form, text wrapping (a line too wide is scaled down with
// the rest).
import {
  beginText,
  endText,
  moveText,
  popGraphicsState,
  pushGraphicsState,
  rectangle,
  setFillingGrayscaleColor,
  setFontAndSize,
  setLineWidth,
  setStrokingGrayscaleColor,
  showText,
  stroke,
  type PDFDocument,
  type PDFOperator,
  type PDFRef,
} from '@cantoo/pdf-lib';
import { untracked } from './field';
import { APPEARANCE_BASE, primeSubset, useRememberingFontkit } from './fontkit';

/** A visible signature: where it sits and what it says. */
export interface SignatureAppearance {
  /** 0-based page */
  pageIndex: number;
  /** [x, y, width, height] in default user space (points from the page's lower-left corner) */
  rect: [number, number, number, number];
  /** the text, one entry per line */
  lines: string[];
  /** a TrueType font program (e.g. DejaVuSans.ttf), embedded as a subset */
  font: Uint8Array;
}

const PADDING = 4;
const LEADING = 1.25;
const MAX_SIZE = 10;

/** The largest font size (at most 10 pt) at which every line fits the box. */
function fitSize(lines: string[], width: number, height: number, widthAt: (line: string, size: number) => number): number {
  const byHeight = (height - 2 * PADDING) / (lines.length * LEADING);
  const widest = Math.max(1e-6, ...lines.map((l) => widthAt(l, 1)));
  return Math.max(1, Math.min(MAX_SIZE, byHeight, (width - 2 * PADDING) / widest));
}

/** Embeds the font and returns the form XObject of the appearance, to be the widget's /AP /N. */
export async function appearanceStream(doc: PDFDocument, a: SignatureAppearance): Promise<PDFRef> {
  const [, , width, height] = a.rect;
  if (!(width > 0 && height > 0)) throw new RangeError('a visible signature needs a positive width and height');
  if (!a.lines.length) throw new RangeError('a visible signature needs at least one line of text');
  useRememberingFontkit(doc);
  const font = await doc.embedFont(a.font, { subset: true });
  // The digits first: then the glyphs come in the same order whenever the words are the same, whatever the time,
  // and the subset program is written once per process (fontkit.ts), at the cost of the digits the time lacks.
  primeSubset(font, [APPEARANCE_BASE]);
  const size = fitSize(a.lines, width, height, (l, s) => font.widthOfTextAtSize(l, s));
  const ops: PDFOperator[] = [
    pushGraphicsState(),
    setLineWidth(0.5),
    setStrokingGrayscaleColor(0.4),
    rectangle(0.25, 0.25, width - 0.5, height - 0.5),
    stroke(),
    beginText(),
    setFillingGrayscaleColor(0),
    setFontAndSize('F1', size),
    moveText(PADDING, height - PADDING - size),
  ];
  a.lines.forEach((line, i) => {
    if (i > 0) ops.push(moveText(0, -size * LEADING));
    ops.push(showText(font.encodeText(line)));
  });
  ops.push(endText(), popGraphicsState());
  // New objects only (the form XObject, and the font's, embedded now that every line is encoded): built without
  // pdf-lib's change tracking (field.ts untracked).
  return untracked(doc, async () => {
    await font.embed();
    const xobject = doc.context.formXObject(ops, { BBox: [0, 0, width, height], Resources: { Font: { F1: font.ref } } });
    return doc.context.register(xobject);
  });
}

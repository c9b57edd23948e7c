// The content stream of a generated page (cover, text pages), written as text: text lines, filled or stroked
// rectangles and lines in DeviceRGB (ISO 32000-1 §8.6.4.3, with the OutputIntent of a PDF/A package), in the fonts
// the package embedded. pdf-lib's page.drawText/drawRectangle build an object per operator and operand, and its
// page content is deflated in JavaScript; for a cover's few hundred operations that was a large part of a small
// package's cost. Here each operation is one string, and the stream is deflated by the context's flateStream
// (node:zlib in a package, compose.ts), and images the document already embedded (a signer's drawing) placed by
// their XObject. Not implemented: anything the generated pages do not draw (curves, rotation, opacity, clipping).
import { PDFName, rgb, type PDFDocument, type PDFFont, type PDFImage, type PDFPage, type RGB } from '@cantoo/pdf-lib';

/**
 * A number as a PDF real (§7.3.3): at most 3 decimals, never exponential notation (a non-zero value rounded to
 * 3 decimals is at least 0.001, and JavaScript writes exponents below 1e-6 only). Beyond ±32767 (Annex C.2's
 * practical limit for coordinates, far outside any page segl draws) it is refused.
 */
export function pdfNumber(x: number): string {
  if (!(Math.abs(x) <= 32767)) throw new RangeError(`not a coordinate or size a page can hold: ${x}`);
  return String(Math.round(x * 1000) / 1000 || 0);
}

const color = (c: RGB, op: 'rg' | 'RG'): string => `${pdfNumber(c.red)} ${pdfNumber(c.green)} ${pdfNumber(c.blue)} ${op}`;
const BLACK = rgb(0, 0, 0);

/**
 * What pdf-lib's drawText does to a line before encoding it (tabs and the Unicode line ends to four spaces,
 * backspace and vertical tab dropped), and the other C0/C1 controls dropped too, since a line is one line here:
 * pdf-lib split at CR and FF and drew the pieces over each other.
 */
function cleanLine(s: string): string {
  if (!/[^\u0020-\u007e\u00a0-\u2027\u202a-\uffff]/.test(s)) return s; // nothing to clean (the usual line)
  let out = '';
  for (const ch of s) {
    const c = ch.codePointAt(0)!;
    if (c === 0x09 || c === 0x85 || c === 0x2028 || c === 0x2029) out += '    ';
    else if (!(c < 0x20 || (c >= 0x7f && c <= 0x9f))) out += ch;
  }
  return out;
}

export interface TextOptions {
  x: number;
  y: number;
  size: number;
  font: PDFFont;
  color?: RGB;
}

/** The operations of one page, added to it as one stream by finish(). */
export class PageContent {
  private readonly ops: string[] = [];
  private readonly fontKeys = new Map<PDFFont, string>();
  private readonly imageKeys = new Map<PDFImage, string>();

  constructor(
    private readonly doc: PDFDocument,
    private readonly page: PDFPage,
  ) {}

  /** The page's resource name for `font` (/F1, /F2 … in the order first used). */
  private fontKey(font: PDFFont): string {
    let key = this.fontKeys.get(font);
    if (!key) {
      key = `F${this.fontKeys.size + 1}`;
      this.fontKeys.set(font, key);
      this.page.node.setFontDictionary(PDFName.of(key), font.ref);
    }
    return key;
  }

  /** One line of text, its baseline starting at (x, y) (§9.4 text objects, Tj with the font's own encoding). */
  text(line: string, o: TextOptions): void {
    const encoded = o.font.encodeText(cleanLine(line)).toString();
    this.ops.push(
      `BT /${this.fontKey(o.font)} ${pdfNumber(o.size)} Tf ${color(o.color ?? BLACK, 'rg')} ${pdfNumber(o.x)} ${pdfNumber(o.y)} Td ${encoded} Tj ET`,
    );
  }

  /** A rectangle (§8.5.2.1 re), filled and/or stroked. */
  rect(o: { x: number; y: number; width: number; height: number; fill?: RGB; border?: RGB; borderWidth?: number }): void {
    const path = `${pdfNumber(o.x)} ${pdfNumber(o.y)} ${pdfNumber(o.width)} ${pdfNumber(o.height)} re`;
    if (o.fill) this.ops.push(`${color(o.fill, 'rg')} ${path} f`);
    if (o.border) this.ops.push(`${color(o.border, 'RG')} ${pdfNumber(o.borderWidth ?? 1)} w ${path} S`);
  }

  /** A straight line (§8.5.2.1 m, l; §8.5.3.1 S). */
  line(o: { start: { x: number; y: number }; end: { x: number; y: number }; thickness: number; color: RGB }): void {
    const { start: a, end: b } = o;
    this.ops.push(
      `${color(o.color, 'RG')} ${pdfNumber(o.thickness)} w ${pdfNumber(a.x)} ${pdfNumber(a.y)} m ${pdfNumber(b.x)} ${pdfNumber(b.y)} l S`,
    );
  }

  /**
   * An embedded image scaled to the rectangle (§8.9.5 image XObjects: drawn into the unit square, so the matrix set
   * by cm, §8.3.4, scales it to width × height at x, y), inside q … Q.
   */
  image(img: PDFImage, o: { x: number; y: number; width: number; height: number }): void {
    let key = this.imageKeys.get(img);
    if (!key) {
      key = `Im${this.imageKeys.size + 1}`;
      this.imageKeys.set(img, key);
      this.page.node.setXObject(PDFName.of(key), img.ref);
    }
    this.ops.push(`q ${pdfNumber(o.width)} 0 0 ${pdfNumber(o.height)} ${pdfNumber(o.x)} ${pdfNumber(o.y)} cm /${key} Do Q`);
  }

  /** Adds the operations to the page as one content stream, inside q … Q so they leave the graphics state as found. */
  finish(): void {
    const stream = this.doc.context.flateStream(`q\n${this.ops.join('\n')}\nQ\n`);
    this.page.node.addContentStream(this.doc.context.register(stream));
  }
}

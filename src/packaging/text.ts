// Text as pages: decoding a text original by its declared charset, cleaning it for display, wrapping
// it to a width in a font, and laying it out page by page with a header naming what it is.
import { rgb, type PDFDocument, type PDFFont } from '@cantoo/pdf-lib';
import { CHARSET_ALIASES, parseMediaType, type CharsetName } from '../core/mediatype';
import type { Fonts } from './fonts';
import { PageContent } from './pagecontent';

/** A4 portrait in points, and the margin every generated page keeps. */
export const PAGE: { width: number; height: number; margin: number } = { width: 595.28, height: 841.89, margin: 48 };
export const GREY = rgb(0.4, 0.4, 0.4);

/**
 * The text of a text original (RFC 2046 §4.1.2: the charset parameter, UTF-8 when absent as segl
 * reads it, see content/text.ts). Display only, so malformed sequences become U+FFFD instead of
 * failing: the exact bytes are in the attached evidence.
 */
export function decodeText(bytes: Uint8Array, mimeType: string): string {
  const charset = parseMediaType(mimeType)?.charset;
  const name = charset
    ? (Object.entries(CHARSET_ALIASES) as Array<[CharsetName, readonly string[]]>).find(([, aliases]) => aliases.includes(charset))?.[0]
    : 'UTF-8';
  switch (name) {
    case 'UTF-16LE':
      return new TextDecoder('utf-16le').decode(bytes);
    case 'UTF-16BE':
      return new TextDecoder('utf-16be').decode(bytes);
    case 'UTF-16':
      // RFC 2781 §3.3: the byte order mark decides (segl refuses UTF-16 without one on upload).
      return new TextDecoder(bytes[0] === 0xfe && bytes[1] === 0xff ? 'utf-16be' : 'utf-16le').decode(bytes);
    case 'ISO-8859-1':
      return Buffer.from(bytes).toString('latin1');
    case 'windows-1252':
    case 'US-ASCII':
      return new TextDecoder('windows-1252').decode(bytes);
    default:
      return new TextDecoder('utf-8').decode(bytes);
  }
}

const isControl = (c: number): boolean => c < 0x20 || (c >= 0x7f && c <= 0x9f);

/** Line ends to LF, tabs to spaces (stops of 8), other control characters dropped. */
export function cleanText(s: string): string {
  return s
    .replace(/^\uFEFF/, '')
    .replace(/\r\n?|[\u0085\u2028\u2029]/g, '\n')
    .split('\n')
    .map((line) => {
      let out = '';
      for (const ch of line) {
        if (ch === '\t') out += ' '.repeat(8 - (out.length % 8));
        else if (!isControl(ch.codePointAt(0)!)) out += ch;
      }
      return out;
    })
    .join('\n');
}

const widths = new WeakMap<PDFFont, Map<string, number>>();

/** The advance width of `s` in `font` at `size`, cached by token. */
export function widthOf(s: string, font: PDFFont, size: number): number {
  let cache = widths.get(font);
  if (!cache) widths.set(font, (cache = new Map()));
  const key = `${size}\u0000${s}`;
  let w = cache.get(key);
  if (w === undefined) {
    w = font.widthOfTextAtSize(s, size);
    if (cache.size < 50_000) cache.set(key, w);
  }
  return w;
}

/** A word wider than the line, broken between characters. */
function breakWord(word: string, font: PDFFont, size: number, width: number): string[] {
  const out: string[] = [];
  let cur = '';
  for (const ch of word) {
    if (cur && widthOf(cur + ch, font, size) > width) {
      out.push(cur);
      cur = ch;
    } else cur += ch;
  }
  if (cur) out.push(cur);
  return out;
}

/**
 * Greedy wrapping of (cleaned) text into lines no wider than `width`: breaks at spaces, keeps runs of
 * spaces inside a line (indentation survives), breaks words that cannot fit a line by themselves.
 * Every LF starts a new line; an empty input line stays an empty line.
 */
export function wrap(text: string, font: PDFFont, size: number, width: number): string[] {
  const lines: string[] = [];
  for (const para of text.split('\n')) {
    let cur = '';
    let curWidth = 0;
    for (const token of para.match(/ +|[^ ]+/g) ?? []) {
      const w = widthOf(token, font, size);
      if (curWidth + w <= width || (token.startsWith(' ') && !cur)) {
        cur += token;
        curWidth += w;
        continue;
      }
      if (token.startsWith(' ')) continue; // spaces at a break are dropped
      if (cur) lines.push(cur.trimEnd());
      if (w <= width) {
        cur = token;
        curWidth = w;
        continue;
      }
      const parts = breakWord(token, font, size, width);
      lines.push(...parts.slice(0, -1));
      cur = parts[parts.length - 1] ?? '';
      curWidth = widthOf(cur, font, size);
    }
    lines.push(cur.trimEnd());
  }
  return lines;
}

export interface TextSection {
  heading: string;
  /** a grey line under the heading (id, type, digest …) */
  detail?: string;
  body: string;
  continued: string;
}

const BODY = { size: 10, leading: 13.5 };

function pageHeader(ink: PageContent, fonts: Fonts, s: TextSection, first: boolean, width: number): number {
  const { margin, height } = PAGE;
  let y = height - margin;
  const title = first ? s.heading : `${s.heading} ${s.continued}`;
  for (const line of wrap(title, fonts.bold, 12, width)) {
    y -= 14;
    ink.text(line, { x: margin, y, size: 12, font: fonts.bold });
  }
  if (s.detail) {
    for (const line of wrap(s.detail, fonts.regular, 8, width)) {
      y -= 10;
      ink.text(line, { x: margin, y, size: 8, font: fonts.regular, color: GREY });
    }
  }
  y -= 6;
  ink.line({ start: { x: margin, y }, end: { x: margin + width, y }, thickness: 0.5, color: GREY });
  return y - 8;
}

/** Appends the section's pages to `doc` (at least one); returns how many. */
export function addTextPages(doc: PDFDocument, fonts: Fonts, s: TextSection): number {
  const { margin, width: pageWidth, height } = PAGE;
  const width = pageWidth - 2 * margin;
  const lines = wrap(cleanText(s.body), fonts.regular, BODY.size, width);
  let count = 0;
  let i = 0;
  do {
    const ink = new PageContent(doc, doc.addPage([pageWidth, height]));
    let y = pageHeader(ink, fonts, s, count === 0, width);
    count++;
    while (i < lines.length && y - BODY.leading >= margin) {
      y -= BODY.leading;
      const line = lines[i++]!;
      if (line) ink.text(line, { x: margin, y, size: BODY.size, font: fonts.regular });
    }
    ink.finish();
  } while (i < lines.length);
  return count;
}

// The one font family of a package: DejaVu Sans (regular and bold), embedded as subsets, so every
// letter segl's languages use (æøå, äö, šž …) renders in any reader and PDF/A's "fonts embedded"
// holds. Both files come from the dejavu-fonts-ttf package and are read once per process, and parsed once
// (trust/pades/fontkit.ts, which also remembers the layout of each string drawn, and the subset programs: each
// subset starts with the same common letters, so the usual program is written and deflated once per process).
import { readFileSync } from 'node:fs';
import type { PDFDocument, PDFFont } from '@cantoo/pdf-lib';
import { primeSubset, useRememberingFontkit } from '../trust/pades/fontkit';

export interface Fonts {
  regular: PDFFont;
  bold: PDFFont;
}

const files: { regular?: Uint8Array; bold?: Uint8Array } = {};

function fontBytes(which: 'regular' | 'bold'): Uint8Array {
  const file = which === 'regular' ? 'DejaVuSans.ttf' : 'DejaVuSans-Bold.ttf';
  return (files[which] ??= new Uint8Array(readFileSync(require.resolve(`dejavu-fonts-ttf/ttf/${file}`))));
}

/**
 * Embeds DejaVu Sans into `doc` as subsets (only the glyphs drawn). The names carry a fixed subset
 * tag (ISO 32000-1 §9.6.4: six upper-case letters and `+`) instead of pdf-lib's numbered suffix, so
 * readers and pdffonts see them as subsets and the bytes stay the same from run to run.
 */
export async function embedFonts(doc: PDFDocument, tag: string): Promise<Fonts> {
  const regular = await embedRegular(doc, tag);
  const bold = await embedSubset(doc, fontBytes('bold'), `${tag}B+DejaVuSans-Bold`);
  return { regular, bold };
}

/** The regular face alone (template filling). */
export function embedRegular(doc: PDFDocument, tag: string): Promise<PDFFont> {
  return embedSubset(doc, fontBytes('regular'), `${tag}A+DejaVuSans`);
}

async function embedSubset(doc: PDFDocument, bytes: Uint8Array, customName: string): Promise<PDFFont> {
  useRememberingFontkit(doc);
  const font = await doc.embedFont(bytes, { subset: true, customName });
  primeSubset(font);
  return font;
}

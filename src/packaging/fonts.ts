// The one font family of a package: DejaVu Sans (regular and bold), embedded as subsets, so every
// letter segl's languages use (æøå, äö, šž …) renders in any reader and PDF/A's "fonts embedded"
// holds. Both files come from the dejavu-fonts-ttf package and are read once per process.
import { readFileSync } from 'node:fs';
import * as fontkit from '@cantoo/fontkit';
import type { PDFDocument, PDFFont } from '@cantoo/pdf-lib';

export interface Fonts {
  regular: PDFFont;
  bold: PDFFont;
}

const files: { regular?: Uint8Array; bold?: Uint8Array } = {};

function fontBytes(which: 'regular' | 'bold'): Uint8Array {
  const file = which === 'regular' ? 'DejaVuSans.ttf' : 'DejaVuSans-Bold.ttf';
  return (files[which] ??= new Uint8Array(readFileSync(require.resolve(`dejavu-fonts-ttf/ttf/${file}`))));
}

type Fontkit = Parameters<PDFDocument['registerFontkit']>[0];
type ParsedFont = ReturnType<Fontkit['create']>;

/**
 * fontkit whose create() is remembered per font file: parsing DejaVu (its tables, decoded lazily and
 * then kept on the font object) happens once per process instead of once per package. Each package
 * still makes its own subset (createSubset() is new every time), so output bytes do not change.
 */
const parsed = new Map<Uint8Array, ParsedFont>();
const sharedFontkit: Fontkit = {
  create: (data, postscriptName) => {
    if (postscriptName !== undefined) return fontkit.create(data, postscriptName);
    if (!Object.values(files).includes(data)) return fontkit.create(data);
    let font = parsed.get(data);
    if (!font) parsed.set(data, (font = fontkit.create(data)));
    return font;
  },
};

/**
 * Embeds DejaVu Sans into `doc` as subsets (only the glyphs drawn). The names carry a fixed subset
 * tag (ISO 32000-1 §9.6.4: six upper-case letters and `+`) instead of pdf-lib's numbered suffix, so
 * readers and pdffonts see them as subsets and the bytes stay the same from run to run.
 */
export async function embedFonts(doc: PDFDocument, tag: string): Promise<Fonts> {
  doc.registerFontkit(sharedFontkit);
  const regular = await doc.embedFont(fontBytes('regular'), { subset: true, customName: `${tag}A+DejaVuSans` });
  const bold = await doc.embedFont(fontBytes('bold'), { subset: true, customName: `${tag}B+DejaVuSans-Bold` });
  return { regular, bold };
}

/** The regular face alone (template filling). */
export function embedRegular(doc: PDFDocument, tag: string): Promise<PDFFont> {
  doc.registerFontkit(sharedFontkit);
  return doc.embedFont(fontBytes('regular'), { subset: true, customName: `${tag}A+DejaVuSans` });
}

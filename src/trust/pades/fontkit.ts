// fontkit for pdf-lib, remembered per process: the parse of a font program and its text layouts. A signature's
// appearance (appearance.ts) and a package's cover (src/packaging/fonts.ts) embed the same DejaVu Sans again and
// again; parsing it (and decoding the tables that layout reads) each time, and shaping the same labels each
// time, was most of the cost of a small package. Each document still embeds its own subset (pdf-lib's
// createSubset is called on the shared font every time), so no output changes.
import fontkit from '@cantoo/fontkit';
import type { PDFDocument } from '@cantoo/pdf-lib';
import { BoundedCache } from '../../util/boundedcache';

type Fontkit = Parameters<PDFDocument['registerFontkit']>[0];
type Created = ReturnType<Fontkit['create']>;
type Layout = (text: string, ...rest: unknown[]) => unknown;

/** Distinct strings whose layout each font remembers. */
const LAYOUTS_PER_FONT = 4096;

const parsed = new WeakMap<Uint8Array, Created>();

/**
 * Makes `font.layout(text)` remember its glyph run per string. pdf-lib reads a run (its glyphs for encoding and
 * their advance widths) and never changes it; fontkit's glyph objects are themselves shared per font. Calls with
 * features, script, language or direction go through unremembered.
 */
function rememberLayouts(font: Created): Created {
  const f = font as unknown as { layout?: Layout };
  if (typeof f.layout !== 'function') return font;
  const layout = f.layout.bind(font);
  const runs = new BoundedCache<string, unknown>(LAYOUTS_PER_FONT);
  f.layout = (text, ...rest) => {
    if (rest.some((r) => r !== undefined)) return layout(text, ...rest);
    return runs.get(text) ?? runs.set(text, layout(text));
  };
  return font;
}

/** fontkit whose create() is remembered per font program (the same Uint8Array handed in again). */
export const rememberingFontkit: Fontkit = {
  create: (data, postscriptName) => {
    if (postscriptName !== undefined) return fontkit.create(data, postscriptName);
    let font = parsed.get(data);
    if (!font) parsed.set(data, (font = rememberLayouts(fontkit.create(data))));
    return font;
  },
};

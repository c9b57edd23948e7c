// fontkit for pdf-lib, remembered per process: the parse of a font program, its text layouts and its subset
// programs. A signature's appearance (appearance.ts) and a package's cover (src/packaging/fonts.ts) embed the same
// DejaVu Sans again and again; parsing it (and decoding the tables that layout reads) each time, shaping the same
// labels each time, and writing (then deflating) the same subset program each time, was most of the cost of a
// small package. Each document still embeds a subset of its own (ISO 32000-1 §9.6.4, §9.9): pdf-lib's subset
// embedder runs for every document, and only the bytes of a subset program already written for the same glyphs
// in the same order are taken again.
import fontkit from '@cantoo/fontkit';
import { PDFRawStream, type PDFDocument, type PDFFont } from '@cantoo/pdf-lib';
import { BoundedCache } from '../../util/boundedcache';

type Fontkit = Parameters<PDFDocument['registerFontkit']>[0];
type Created = ReturnType<Fontkit['create']>;
type Layout = (text: string, ...rest: unknown[]) => unknown;
/** What pdf-lib's subset embedder uses of a fontkit subset. */
interface Subset {
  glyphs?: unknown;
  includedTables?: unknown;
  encode?: () => Uint8Array;
}

/** Distinct strings whose layout each font remembers. */
const LAYOUTS_PER_FONT = 4096;
/** Distinct subset programs each font remembers (primed subsets make one of them the usual one). */
const PROGRAMS_PER_FONT = 16;
/** Distinct ToUnicode CMaps remembered deflated, for all fonts. */
const CMAPS = 64;
/** How pdf-lib's ToUnicode CMap of an embedded font (ISO 32000-1 §9.10.3, its createCmap template) begins. */
const CMAP_START = '/CIDInit /ProcSet findresource begin\n';

/**
 * The letters every subset starts with, in this order (primeSubset): printable ASCII, the letters of the Nordic
 * languages a package is made in (æøå, äö, é; š ž in Finnish) and the punctuation segl's layout draws (· – —), then
 * the ligatures fontkit's default shaping substitutes (ﬀ ﬁ ﬂ ﬃ ﬄ: "Verification", a digest's "ff"). A subset primed
 * with them is the same program for any text made of them, so it is written and deflated once per process instead
 * of once per document, at the cost of the unused glyphs among them: a primed DejaVu Sans subset is about 17 KB
 * deflated, where a 1-page cover's own letters took 6 to 9 KB. A letter outside them is added after them as
 * before; that document's program is then its own.
 */
export const SUBSET_BASE = [
  ...Array.from({ length: 0x7f - 0x20 }, (_, i) => String.fromCharCode(0x20 + i)),
  ...'ÄÅÆÉÖØÜäåæéöøüŠšŽž·–—',
].join('');
/**
 * The ligatures are primed by shaping their letters, not from their own code points (U+FB00…): fontkit gives a glyph
 * the code points it was first made for, and pdf-lib's ToUnicode CMap (ISO 32000-1 §9.10.3) maps it to them, so
 * "ff" must read back as "ff", not as "ﬀ".
 */
export const SUBSET_LIGATURES = 'ff fi fl ffi ffl';

const parsed = new WeakMap<Uint8Array, Created>();
/** Subset programs written by a remembering subset (so they are taken again), and their deflated bytes. */
const programs = new WeakSet<Uint8Array>();
const deflatedPrograms = new WeakMap<Uint8Array, Uint8Array>();
/** ToUnicode CMaps deflated, by their text: a primed subset's CMap is the same text in every document. */
const deflatedCmaps = new BoundedCache<string, Uint8Array>(CMAPS);

/**
 * Makes `font.layout(text)` remember its glyph run per string. pdf-lib reads a run (its glyphs for encoding and
 * their advance widths) and never changes it; fontkit's glyph objects are themselves shared per font. Calls with
 * features, script, language or direction go through unremembered.
 */
function rememberLayouts(font: Created): void {
  const f = font as unknown as { layout?: Layout };
  if (typeof f.layout !== 'function') return;
  const layout = f.layout.bind(font);
  const runs = new BoundedCache<string, unknown>(LAYOUTS_PER_FONT);
  f.layout = (text, ...rest) => {
    if (rest.some((r) => r !== undefined)) return layout(text, ...rest);
    return runs.get(text) ?? runs.set(text, layout(text));
  };
}

/**
 * Makes each subset's `encode()` remember its program by the glyphs it holds, in order, and its extra tables:
 * fontkit's TrueType subsetter writes the same bytes for the same list (the glyf entries copied, composite glyphs'
 * components renumbered in list order, head/hhea/maxp/hmtx/loca derived from them). TrueType outlines only: a CFF
 * font's subsets go through unremembered.
 */
function rememberSubsets(font: Created): void {
  const f = font as unknown as { createSubset?: () => Subset; cff?: unknown };
  if (typeof f.createSubset !== 'function' || f.cff) return;
  const createSubset = f.createSubset.bind(font);
  const written = new BoundedCache<string, Uint8Array>(PROGRAMS_PER_FONT);
  f.createSubset = () => {
    const subset = createSubset();
    const encode = subset.encode?.bind(subset);
    if (!encode || !Array.isArray(subset.glyphs)) return subset;
    subset.encode = () => {
      // the key before encoding: encode() appends the components of composite glyphs to the list
      const key = `${subset.glyphs as number[]}|${Array.isArray(subset.includedTables) ? subset.includedTables.join(',') : ''}`;
      const known = written.get(key);
      if (known) return known;
      const bytes = encode();
      programs.add(bytes);
      return written.set(key, bytes);
    };
    return subset;
  };
}

/** fontkit whose create() is remembered per font program (the same Uint8Array handed in again). */
export const rememberingFontkit: Fontkit = {
  create: (data, postscriptName) => {
    if (postscriptName !== undefined) return fontkit.create(data, postscriptName);
    let font = parsed.get(data);
    if (!font) {
      font = fontkit.create(data);
      rememberLayouts(font);
      rememberSubsets(font);
      parsed.set(data, font);
    }
    return font;
  },
};

const prepared = new WeakSet<PDFDocument>();

/**
 * Registers rememberingFontkit with `doc`, and makes its context deflate a remembered subset program, and a
 * subset's ToUnicode CMap, once per process: the first document to embed one deflates it with its own flateStream,
 * and every later one takes the same FlateDecode bytes (ISO 32000-1 §7.4.4). Every other stream goes through the
 * context's own flateStream.
 */
export function useRememberingFontkit(doc: PDFDocument): void {
  doc.registerFontkit(rememberingFontkit);
  if (prepared.has(doc)) return;
  prepared.add(doc);
  const { context } = doc;
  const inner = context.flateStream.bind(context);
  context.flateStream = (contents, dict = {}) => {
    const known =
      typeof contents === 'string'
        ? contents.startsWith(CMAP_START) && deflatedCmaps.get(contents)
        : programs.has(contents) && deflatedPrograms.get(contents);
    if (known) return context.stream(known, { ...dict, Filter: 'FlateDecode' });
    const stream = inner(contents, dict);
    if (!(stream instanceof PDFRawStream)) return stream;
    if (typeof contents === 'string') {
      if (contents.startsWith(CMAP_START)) deflatedCmaps.set(contents, stream.contents);
    } else if (programs.has(contents)) deflatedPrograms.set(contents, stream.contents);
    return stream;
  };
}

/** What a signature appearance's subset starts with (appearance.ts): its lines are usually fixed words and a time. */
export const APPEARANCE_BASE = '0123456789';

/**
 * Starts a just-embedded subset font with `texts` (by default SUBSET_BASE and SUBSET_LIGATURES, see there), before
 * any other text is encoded in it: strings shaped once per process (their layout is remembered). No two neighbours
 * in SUBSET_BASE form a ligature, so each character brings its own glyph (test/integration/packaging-fonts.test.ts
 * checks it against the font's cmap).
 */
export function primeSubset(font: PDFFont, texts: readonly string[] = [SUBSET_BASE, SUBSET_LIGATURES]): void {
  for (const t of texts) font.encodeText(t);
}

// The throughput work on generated pages: subset programs remembered per process (src/trust/pades/fontkit.ts), and
// page content written as text (src/packaging/pagecontent.ts). What is remembered must be what fontkit writes afresh;
// what is drawn must read back. Outside tools are the proof: qpdf --check, pdftotext, pdffonts.
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { inflateSync } from 'node:zlib';
import fontkit from '@cantoo/fontkit';
import { PDFDocument, PDFName, PDFRawStream, rgb } from '@cantoo/pdf-lib';
import { embedFonts } from '../../src/packaging/fonts';
import { PageContent, pdfNumber } from '../../src/packaging/pagecontent';
import { appearanceStream } from '../../src/trust/pades/appearance';
import { rememberingFontkit, SUBSET_BASE, SUBSET_LIGATURES } from '../../src/trust/pades/fontkit';

const FONTS = ['DejaVuSans.ttf', 'DejaVuSans-Bold.ttf'].map(
  (f) => new Uint8Array(readFileSync(require.resolve(`dejavu-fonts-ttf/ttf/${f}`))),
);

function tool(cmd: string, args: string[]): Promise<{ code: number; out: string; err: string }> {
  return new Promise((resolve) => {
    execFile(cmd, args, { encoding: 'utf8' }, (e, stdout, stderr) =>
      resolve({ code: e ? (typeof e.code === 'number' ? e.code : 1) : 0, out: stdout, err: stderr }),
    );
  });
}
const dir = mkdtempSync(path.join(os.tmpdir(), 'segl-fonts-'));
let n = 0;
function file(bytes: Uint8Array): string {
  const f = path.join(dir, `f${++n}.pdf`);
  writeFileSync(f, bytes);
  return f;
}

/** The decoded FontFile2 programs of a saved PDF, by the font's name. */
async function programsOf(pdf: Uint8Array): Promise<Map<string, Buffer>> {
  const doc = await PDFDocument.load(pdf);
  const out = new Map<string, Buffer>();
  for (const [, obj] of doc.context.enumerateIndirectObjects()) {
    if (obj instanceof PDFRawStream || !('get' in obj)) continue;
    const d = obj as unknown as { get(k: PDFName): unknown; lookup(k: PDFName): unknown };
    if (String(d.get(PDFName.of('Type'))) !== '/FontDescriptor') continue;
    const stream = d.lookup(PDFName.of('FontFile2')) as PDFRawStream;
    out.set(String(d.get(PDFName.of('FontName'))), inflateSync(stream.contents));
  }
  return out;
}

/** A one-page document drawn with PageContent in segl's two faces. */
async function drawn(lines: string[]): Promise<Uint8Array> {
  const doc = await PDFDocument.create({ updateMetadata: false });
  const fonts = await embedFonts(doc, 'TESTF');
  const page = doc.addPage([400, 300]);
  const ink = new PageContent(doc, page);
  lines.forEach((l, i) => ink.text(l, { x: 20, y: 260 - 20 * i, size: 11, font: i === 0 ? fonts.bold : fonts.regular }));
  ink.rect({ x: 10, y: 10, width: 380, height: 280, border: rgb(0.4, 0.4, 0.4), borderWidth: 0.5 });
  ink.rect({ x: 12, y: 12, width: 40, height: 10, fill: rgb(0.9, 0.9, 0.9) });
  ink.line({ start: { x: 20, y: 30 }, end: { x: 380, y: 30 }, thickness: 0.5, color: rgb(0, 0, 0) });
  ink.finish();
  return doc.save({ useObjectStreams: false });
}

describe('subset programs remembered per process', () => {
  test('the base letters shape to their own glyphs in both faces (no ligature, none missing); the ligatures to theirs', () => {
    for (const bytes of FONTS) {
      const font = fontkit.create(bytes) as unknown as {
        layout(s: string): { glyphs: Array<{ id: number; codePoints: number[] }> };
        glyphForCodePoint(c: number): { id: number };
      };
      const shaped = font.layout(SUBSET_BASE).glyphs.map((g) => g.id);
      const mapped = [...SUBSET_BASE].map((c) => font.glyphForCodePoint(c.codePointAt(0)!).id);
      expect(shaped).toEqual(mapped);
      expect(mapped).not.toContain(0);
      const ligatures = font.layout(SUBSET_LIGATURES).glyphs.filter((g) => g.codePoints.length > 1);
      expect(ligatures.map((g) => String.fromCodePoint(...g.codePoints))).toEqual(['ff', 'fi', 'fl', 'ffi', 'ffl']);
    }
  });

  test('a remembered program is the bytes fontkit writes afresh for the same glyphs, and a new glyph list gets its own', () => {
    type Sub = { includeGlyph(g: number): number; encode(): Uint8Array };
    type F = { createSubset(): Sub; glyphForCodePoint(c: number): { id: number } };
    const remembered = rememberingFontkit.create(FONTS[0]!) as unknown as F;
    const fresh = fontkit.create(FONTS[0]!) as unknown as F;
    const subsetOf = (f: F, text: string): Sub => {
      const s = f.createSubset();
      for (const c of text) s.includeGlyph(f.glyphForCodePoint(c.codePointAt(0)!).id);
      return s;
    };
    // "Å" is a composite glyph in DejaVu Sans: its components are renumbered and appended by encode()
    const first = subsetOf(remembered, 'Hello Å').encode();
    const again = subsetOf(remembered, 'Hello Å').encode();
    expect(again).toBe(first); // taken again, not written again
    expect(Buffer.from(first).equals(Buffer.from(subsetOf(fresh, 'Hello Å').encode()))).toBe(true);
    const other = subsetOf(remembered, 'Hello Åx').encode();
    expect(other).not.toBe(first);
    expect(Buffer.from(other).equals(Buffer.from(subsetOf(fresh, 'Hello Åx').encode()))).toBe(true);
    // the same glyphs in another order are another program
    const reordered = subsetOf(remembered, 'Å Hello').encode();
    expect(Buffer.from(reordered).equals(Buffer.from(first))).toBe(false);
    expect(Buffer.from(reordered).equals(Buffer.from(subsetOf(fresh, 'Å Hello').encode()))).toBe(true);
  });

  test('two documents in the base letters embed the same programs; a letter outside them gets a program of its own, and all read back', async () => {
    const a = await drawn(['Package 1', 'Signed by Kari Nordmann, 2026-12-07 10:00 UTC']);
    const b = await drawn(['Package 2', 'Signed by Åsa Öberg – 0123456789abcdeff, office affluent']);
    const c = await drawn(['Package 3', 'Signed by Łukasz Żółć']);
    const [pa, pb, pc] = await Promise.all([a, b, c].map(programsOf));
    for (const name of ['/TESTFA+DejaVuSans', '/TESTFB+DejaVuSans-Bold']) {
      expect(pa.get(name)).toBeDefined();
      expect(pa.get(name)!.equals(pb.get(name)!)).toBe(true);
    }
    // Ł, ó (not in the base), ż, ć are added after the base: a longer program for the regular face only
    expect(pc.get('/TESTFA+DejaVuSans')!.length).toBeGreaterThan(pa.get('/TESTFA+DejaVuSans')!.length);
    expect(pc.get('/TESTFB+DejaVuSans-Bold')!.equals(pa.get('/TESTFB+DejaVuSans-Bold')!)).toBe(true);
    // ligatures read back as their letters (ToUnicode)
    const texts = [
      'Signed by Kari Nordmann, 2026-12-07 10:00 UTC',
      'Signed by Åsa Öberg – 0123456789abcdeff, office affluent',
      'Signed by Łukasz Żółć',
    ];
    for (const [i, pdf] of [a, b, c].entries()) {
      const f = file(pdf);
      expect((await tool('qpdf', ['--check', f])).code).toBe(0);
      const out = (await tool('pdftotext', ['-enc', 'UTF-8', f, '-'])).out;
      expect(out).toContain(`Package ${i + 1}`);
      expect(out).toContain(texts[i]);
      const fonts = (await tool('pdffonts', [f])).out.split('\n').slice(2).filter(Boolean);
      expect(fonts.map((l) => l.split(/\s+/)[0]).sort()).toEqual(['TESTFA+DejaVuSans', 'TESTFB+DejaVuSans-Bold']);
      // embedded, subset, with ToUnicode
      for (const line of fonts) expect(line).toMatch(/CID TrueType\s+Identity-H\s+yes\s+yes\s+yes\s+\d+\s+\d+$/);
    }
  });

  test("a seal appearance's subset starts with the digits: the same words at another time are the same program", async () => {
    const sealed = async (lines: string[]): Promise<Buffer> => {
      const doc = await PDFDocument.create({ updateMetadata: false });
      doc.addPage([300, 300]);
      await appearanceStream(doc, { pageIndex: 0, rect: [10, 10, 200, 60], lines, font: FONTS[0]! });
      const programs = await programsOf(await doc.save({ useObjectStreams: false }));
      expect(programs.size).toBe(1);
      return [...programs.values()][0]!;
    };
    const at = (time: string, who = 'segl test Seal'): string[] => [`Sealed by ${who}`, time, 'PAdES baseline B-LTA'];
    const first = await sealed(at('2026-12-07 04:16:00 UTC'));
    expect((await sealed(at('2031-05-29 23:59:58 UTC'))).equals(first)).toBe(true);
    expect((await sealed(at('2026-12-07 04:16:00 UTC', 'Acme Seal'))).equals(first)).toBe(false);
    // what fontkit writes afresh for the same glyphs in the same order: the digits, then each line's new letters
    const fresh = fontkit.create(FONTS[0]!) as unknown as {
      createSubset(): { includeGlyph(g: number): number; encode(): Uint8Array };
      layout(s: string): { glyphs: Array<{ id: number }> };
    };
    const subset = fresh.createSubset();
    for (const l of ['0123456789', ...at('2031-05-29 23:59:58 UTC')]) for (const g of fresh.layout(l).glyphs) subset.includeGlyph(g.id);
    expect(Buffer.from(subset.encode()).equals(first)).toBe(true);
  });
});

describe('page content written as text', () => {
  test('numbers are PDF reals: at most 3 decimals, no exponent, no negative zero; non-finite or huge refused', () => {
    expect(pdfNumber(595.28)).toBe('595.28');
    expect(pdfNumber(48)).toBe('48');
    expect(pdfNumber(-12.5)).toBe('-12.5');
    expect(pdfNumber(1e-7)).toBe('0');
    expect(pdfNumber(-1e-7)).toBe('0');
    expect(pdfNumber(2 / 3)).toBe('0.667');
    expect(pdfNumber(-32767)).toBe('-32767');
    expect(() => pdfNumber(32767.5)).toThrow(RangeError);
    expect(() => pdfNumber(1e21)).toThrow(RangeError);
    expect(() => pdfNumber(Number.NaN)).toThrow(RangeError);
    expect(() => pdfNumber(Infinity)).toThrow(RangeError);
  });

  test('control characters are dropped and tabs become spaces, so a line stays one line', async () => {
    const f = file(await drawn(['Title', 'a\rb\fc\u0007d\te']));
    const out = (await tool('pdftotext', ['-enc', 'UTF-8', f, '-'])).out;
    // one line: a b c d side by side (pdftotext shows the tab's four spaces as a column gap)
    expect(out.replace(/\s+/g, ' ')).toContain('Title abcd e');
  });
});

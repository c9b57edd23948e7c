// Unit tests of src/util/pdf.ts, the one PDF writer: every xref entry points at its object, startxref at the
// table, pages and their text as asked, strings escaped. Pure; qpdf's opinion is in test/interop/util-pdf-qpdf.test.ts.
import { lineContent, pageObjects, pdfDocument, pdfHead, pdfString, pdfTail, textContent, textPdf } from '../../src/util/pdf';

/** Reads the classic xref table the way a PDF reader does, from startxref. */
function readXref(pdf: Buffer): { offsets: number[]; size: number } {
  const s = pdf.toString('latin1');
  const m = /startxref\n(\d+)\n%%EOF\n$/.exec(s);
  if (!m) throw new Error('no startxref at the end');
  const at = Number(m[1]);
  expect(s.slice(at, at + 5)).toBe('xref\n');
  const lines = s.slice(at).split('\n');
  const [first, count] = lines[1].split(' ').map(Number);
  expect(first).toBe(0);
  expect(lines[2]).toBe('0000000000 65535 f ');
  const offsets: number[] = [];
  for (let i = 1; i < count; i++) {
    expect(lines[2 + i]).toMatch(/^\d{10} 00000 n $/);
    offsets[i] = Number(lines[2 + i].slice(0, 10));
  }
  expect(lines[2 + count]).toBe('trailer');
  const size = Number(/\/Size (\d+)/.exec(lines[3 + count])![1]);
  return { offsets, size };
}

function expectObjectsAtOffsets(pdf: Buffer): number {
  const s = pdf.toString('latin1');
  const { offsets, size } = readXref(pdf);
  expect(size).toBe(offsets.length);
  for (let n = 1; n < offsets.length; n++) expect(s.slice(offsets[n], offsets[n] + `${n} 0 obj\n`.length)).toBe(`${n} 0 obj\n`);
  return offsets.length - 1;
}

describe('pdfDocument / textPdf', () => {
  test('a one-page text PDF: header, binary comment, five objects at their offsets', () => {
    const pdf = textPdf([['Hello', 'world']]);
    expect(pdf.subarray(0, 15).toString('latin1')).toBe('%PDF-1.7\n%\xe2\xe3\xcf\xd3\n');
    expect(expectObjectsAtOffsets(pdf)).toBe(5);
    const s = pdf.toString('latin1');
    expect(s).toContain('/Kids [3 0 R] /Count 1');
    expect(s).toContain("BT /F1 20 Tf 72 720 Td 26 TL (Hello) ' (world) ' ET");
  });

  test('several pages: a page and a content stream each, the font last, every page pointing at it', () => {
    const pdf = textPdf([['one'], ['two'], ['three']]);
    expect(expectObjectsAtOffsets(pdf)).toBe(9);
    const s = pdf.toString('latin1');
    expect(s).toContain('/Kids [3 0 R 5 0 R 7 0 R] /Count 3');
    expect(s.match(/\/Font << \/F1 9 0 R >>/g)).toHaveLength(3);
    expect(s).toMatch(/9 0 obj\n<< \/Type \/Font/);
    for (const [n, word] of [
      [4, 'one'],
      [6, 'two'],
      [8, 'three'],
    ] as const)
      expect(s).toMatch(new RegExp(`${n} 0 obj\\n<< /Length \\d+ >>\\nstream\\n[^\\n]*\\(${word}\\)`));
  });

  test('stream /Length is the byte length of the content', () => {
    const content = lineContent('x');
    const s = pdfDocument([content]).toString('latin1');
    expect(s).toContain(`<< /Length ${content.length} >>\nstream\n${content}\nendstream`);
  });

  test('without the binary comment, and with one more object after the font', () => {
    const extra = Buffer.concat([Buffer.from('<< /Length 4 >>\nstream\n'), Buffer.from([0, 1, 2, 255]), Buffer.from('\nendstream')]);
    const pdf = pdfDocument([lineContent('big')], { binaryComment: false, extra });
    expect(pdf.subarray(0, 10).toString('latin1')).toBe('%PDF-1.7\n1');
    expect(expectObjectsAtOffsets(pdf)).toBe(6);
    expect(pdf.includes(Buffer.from([0, 1, 2, 255]))).toBe(true);
  });

  test('no pages is refused', () => {
    expect(() => pageObjects([])).toThrow(/at least one page/);
    expect(() => textPdf([])).toThrow(/at least one page/);
  });
});

describe('strings and content', () => {
  test('backslash and parentheses escaped; what Helvetica lacks becomes ?', () => {
    expect(pdfString('a (b) \\ c')).toBe('(a \\(b\\) \\\\ c)');
    expect(pdfString('blåbær €')).toBe('(bl?b?r ?)');
  });

  test('text and line contents', () => {
    expect(textContent(['a', ''], 12, 14)).toBe("BT /F1 12 Tf 72 720 Td 14 TL (a) ' () ' ET");
    expect(lineContent('Hello')).toBe('BT /F1 24 Tf 72 720 Td (Hello) Tj ET');
  });
});

describe('pdfHead + pdfTail (for writers that stream a large object between them)', () => {
  test('head, a streamed object and the tail make a PDF whose xref is right', () => {
    const { head, offsets } = pdfHead([lineContent('stream me')]);
    const six = '6 0 obj\n<< /Length 3 >>\nstream\nabc\nendstream\nendobj\n';
    offsets[6] = Buffer.byteLength(head, 'latin1');
    const pdf = Buffer.from(head + six + pdfTail(offsets, 6, Buffer.byteLength(head + six, 'latin1')), 'latin1');
    expect(expectObjectsAtOffsets(pdf)).toBe(6);
  });

  test('a wrong offset would be caught by the reader above', () => {
    const pdf = textPdf([['x']])
      .toString('latin1')
      .replace(/startxref\n(\d+)/, (_, n) => `startxref\n${Number(n) + 1}`);
    expect(() => readXref(Buffer.from(pdf, 'latin1'))).toThrow();
  });
});

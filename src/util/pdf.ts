// The one PDF writer of segl (ISO 32000-1 §7.5): header, indirect objects, a cross-reference table whose offsets
// are the byte positions the objects were written at, the trailer and startxref. It writes plain pages of
// Helvetica text and nothing more; the demo, the tests and the benchmark all build their PDFs with it.
// Pure: strings and Buffers in, a Buffer out.

/** The header line and the binary comment (§7.5.2) that marks the file as binary to transfer tools. */
const HEADER = '%PDF-1.7\n';
const BINARY_COMMENT = '%\xe2\xe3\xcf\xd3\n';

export interface PdfOptions {
  /** Write the binary comment after the header (§7.5.2); default true. */
  binaryComment?: boolean;
  /** The body of one more object, numbered after the font (a stream to make a PDF large, say). */
  extra?: Buffer;
}

/** Escapes a PDF literal string (§7.3.4.2) and replaces what Helvetica's standard encoding lacks with '?'. */
export function pdfString(s: string): string {
  return `(${s.replace(/[\\()]/g, (c) => `\\${c}`).replace(/[^\x20-\x7e]/g, '?')})`;
}

/** A content stream drawing `lines` from the top left in Helvetica (F1) at `size` points, `leading` apart. */
export function textContent(lines: string[], size = 20, leading = 26): string {
  return `BT /F1 ${size} Tf 72 720 Td ${leading} TL ${lines.map((l) => `${pdfString(l)} '`).join(' ')} ET`;
}

/** A content stream drawing one line of Helvetica (F1) at `size` points near the top left. */
export function lineContent(text: string, size = 24): string {
  return `BT /F1 ${size} Tf 72 720 Td ${pdfString(text)} Tj ET`;
}

/**
 * The objects of a document whose pages draw the given content streams: 1 the catalog, 2 the page tree, then
 * page and content stream in pairs (3 and 4 for the first page), then the font. Returns the bodies in order.
 */
export function pageObjects(contents: string[]): string[] {
  if (contents.length === 0) throw new Error('a PDF needs at least one page');
  const font = 3 + 2 * contents.length;
  const kids = contents.map((_, i) => `${3 + 2 * i} 0 R`).join(' ');
  const objects = ['<< /Type /Catalog /Pages 2 0 R >>', `<< /Type /Pages /Kids [${kids}] /Count ${contents.length} >>`];
  contents.forEach((content, i) => {
    objects.push(
      `<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents ${4 + 2 * i} 0 R /Resources << /Font << /F1 ${font} 0 R >> >> >>`,
    );
    objects.push(`<< /Length ${Buffer.byteLength(content, 'latin1')} >>\nstream\n${content}\nendstream`);
  });
  objects.push('<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>');
  return objects;
}

/** Header and the objects of `pageObjects(contents)`, with each object's byte offset (offsets[n] for object n). */
export function pdfHead(contents: string[], options: Pick<PdfOptions, 'binaryComment'> = {}): { head: string; offsets: number[] } {
  const offsets: number[] = [];
  let head = HEADER + (options.binaryComment === false ? '' : BINARY_COMMENT);
  pageObjects(contents).forEach((body, i) => {
    offsets[i + 1] = Buffer.byteLength(head, 'latin1');
    head += `${i + 1} 0 obj\n${body}\nendobj\n`;
  });
  return { head, offsets };
}

/** The xref table (§7.5.4) and trailer for objects 1..n at `offsets`, the table starting at byte `xref`. */
export function pdfTail(offsets: number[], n: number, xref: number): string {
  let t = `xref\n0 ${n + 1}\n0000000000 65535 f \n`;
  for (let i = 1; i <= n; i++) t += `${String(offsets[i]).padStart(10, '0')} 00000 n \n`;
  return `${t}trailer\n<< /Size ${n + 1} /Root 1 0 R >>\nstartxref\n${xref}\n%%EOF\n`;
}

/** A complete PDF whose pages draw the given content streams (see `pageObjects`), optionally with one more object. */
export function pdfDocument(contents: string[], options: PdfOptions = {}): Buffer {
  const { head, offsets } = pdfHead(contents, options);
  const parts = [Buffer.from(head, 'latin1')];
  let length = parts[0].length;
  let n = offsets.length - 1;
  if (options.extra) {
    n += 1;
    offsets[n] = length;
    const obj = Buffer.concat([Buffer.from(`${n} 0 obj\n`, 'latin1'), options.extra, Buffer.from('\nendobj\n', 'latin1')]);
    parts.push(obj);
    length += obj.length;
  }
  parts.push(Buffer.from(pdfTail(offsets, n, length), 'latin1'));
  return Buffer.concat(parts);
}

/** A PDF of text: one page per entry of `pages`, each a list of lines (see `textContent`). */
export function textPdf(pages: string[][], options: PdfOptions & { size?: number; leading?: number } = {}): Buffer {
  return pdfDocument(
    pages.map((lines) => textContent(lines, options.size, options.leading)),
    options,
  );
}

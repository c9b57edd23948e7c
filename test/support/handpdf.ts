// Hand-written PDFs for the content checks (test/unit/sds-content.test.ts, test/interop/sds-content-qpdf.test.ts):
// one page of text, xref offsets computed as written, with knobs for the broken variants the checks must refuse.
import * as fs from 'node:fs';

// ---------------------------------------------------------------------------------------------
// A minimal PDF written by hand, with the xref offsets computed as it is written
// ---------------------------------------------------------------------------------------------

export interface PdfOptions {
  /** Header version, default 1.7. */
  version?: string;
  /** Bytes before the header; offsets are then counted from the header, as readers assume. */
  prefix?: string;
  /** Extra trailer entries. */
  trailer?: string;
  /** Bytes of an extra stream object (object 6) written before the xref, in 1 MB pieces. */
  padding?: number;
  /** End of line of each 20-byte (or 19-byte with '\n') xref entry. */
  entryEol?: ' \n' | '\r\n' | '\n';
  /** Replaces the startxref value. */
  startxref?: (xref: number, size: number) => number;
  /** Bytes after %%EOF. */
  after?: string;
}

const CONTENT = 'BT /F1 24 Tf 72 700 Td (Hello segl) Tj ET';
const OBJECTS = [
  '<< /Type /Catalog /Pages 2 0 R >>',
  '<< /Type /Pages /Kids [3 0 R] /Count 1 >>',
  '<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R /Resources << /Font << /F1 5 0 R >> >> >>',
  `<< /Length ${CONTENT.length} >>\nstream\n${CONTENT}\nendstream`,
  '<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>',
];

/** Writes the PDF and returns the xref offset (as written in startxref) and the file size. */
export function writePdf(target: string, o: PdfOptions = {}): { xref: number; size: number } {
  const fd = fs.openSync(target, 'w');
  let pos = 0;
  const put = (data: string | Buffer): void => {
    const b = typeof data === 'string' ? Buffer.from(data, 'latin1') : data;
    fs.writeSync(fd, b);
    pos += b.length;
  };
  const base = (o.prefix ?? '').length;
  try {
    put(o.prefix ?? '');
    put(`%PDF-${o.version ?? '1.7'}\n%\xe2\xe3\xcf\xd3\n`);
    const offsets: number[] = [];
    OBJECTS.forEach((body, i) => {
      offsets.push(pos - base);
      put(`${i + 1} 0 obj\n${body}\nendobj\n`);
    });
    if (o.padding) {
      offsets.push(pos - base);
      put(`6 0 obj\n<< /Length ${o.padding} >>\nstream\n`);
      const piece = Buffer.alloc(1024 * 1024, 0x20);
      for (let left = o.padding; left > 0; left -= piece.length) put(left >= piece.length ? piece : piece.subarray(0, left));
      put('\nendstream\nendobj\n');
    }
    const xref = pos - base;
    const eol = o.entryEol ?? ' \n';
    put(`xref\n0 ${offsets.length + 1}\n0000000000 65535 f${eol}`);
    put(offsets.map((n) => `${String(n).padStart(10, '0')} 00000 n${eol}`).join(''));
    const tail = (sx: number): string =>
      `trailer\n<< /Size ${offsets.length + 1} /Root 1 0 R${o.trailer ?? ''} >>\nstartxref\n${sx}\n%%EOF\n${o.after ?? ''}`;
    const size = pos + Buffer.byteLength(tail(xref), 'latin1');
    put(tail(o.startxref ? o.startxref(xref, size) : xref));
    return { xref, size };
  } finally {
    fs.closeSync(fd);
  }
}

/** Appends an incremental update (§7.5.6) replacing object 5, with a two-subsection xref and /Prev. */
export function appendUpdate(target: string, prevXref: number, trailer = ''): void {
  let pos = fs.statSync(target).size;
  const obj = '5 0 obj\n<< /Type /Font /Subtype /Type1 /BaseFont /Courier >>\nendobj\n';
  const objAt = pos;
  pos += obj.length;
  fs.appendFileSync(
    target,
    Buffer.from(
      `${obj}xref\n0 1\n0000000000 65535 f \n5 1\n${String(objAt).padStart(10, '0')} 00000 n \n` +
        `trailer\n<< /Size 6 /Root 1 0 R /Prev ${prevXref}${trailer} >>\nstartxref\n${pos}\n%%EOF\n`,
      'latin1',
    ),
  );
}

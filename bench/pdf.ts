// Hand-made PDFs for the benchmark (ISO 32000-1 §7.5), the structure of test/support/pdf.ts (the
// bench does not import from test/): a one-page document, its xref table written last.

/** Header and objects 1–5 of a one-page PDF, with each object's byte offset. */
export function pdfHead(text: string): { head: string; offsets: number[] } {
  const offsets: number[] = [];
  let head = '%PDF-1.7\n%\xe2\xe3\xcf\xd3\n';
  const obj = (n: number, body: string): void => {
    offsets[n] = Buffer.byteLength(head, 'latin1');
    head += `${n} 0 obj\n${body}\nendobj\n`;
  };
  const content = `BT /F1 24 Tf 72 720 Td (${text}) Tj ET`;
  obj(1, '<< /Type /Catalog /Pages 2 0 R >>');
  obj(2, '<< /Type /Pages /Kids [3 0 R] /Count 1 >>');
  obj(3, '<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R /Resources << /Font << /F1 5 0 R >> >> >>');
  obj(4, `<< /Length ${content.length} >>\nstream\n${content}\nendstream`);
  obj(5, '<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>');
  return { head, offsets };
}

/** The xref table and trailer for objects 1..n at `offsets`, the table starting at byte `xref`. */
export function pdfTail(offsets: number[], n: number, xref: number): string {
  let t = `xref\n0 ${n + 1}\n0000000000 65535 f \n`;
  for (let i = 1; i <= n; i++) t += `${String(offsets[i]).padStart(10, '0')} 00000 n \n`;
  return `${t}trailer\n<< /Size ${n + 1} /Root 1 0 R >>\nstartxref\n${xref}\n%%EOF\n`;
}

/** A small complete PDF in memory. */
export function smallPdf(text: string): Buffer {
  const { head, offsets } = pdfHead(text);
  return Buffer.from(head + pdfTail(offsets, 5, Buffer.byteLength(head, 'latin1')), 'latin1');
}

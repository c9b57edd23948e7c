// Hand-made PDFs for tests (ISO 32000-1 §7.5): a valid one-page file with a correct xref table,
// optionally padded with a large stream so big uploads are real PDFs too.
import { randomBytes } from 'node:crypto';

export function makePdf(opts: { text?: string; padBytes?: number; random?: boolean } = {}): Buffer {
  const parts: Buffer[] = [];
  const offsets: number[] = [];
  let length = 0;
  const push = (b: Buffer | string) => {
    const buf = typeof b === 'string' ? Buffer.from(b, 'latin1') : b;
    parts.push(buf);
    length += buf.length;
  };
  const obj = (n: number, body: Buffer | string) => {
    offsets[n] = length;
    push(`${n} 0 obj\n`);
    push(body);
    push('\nendobj\n');
  };
  push('%PDF-1.7\n%\xe2\xe3\xcf\xd3\n');
  const content = `BT /F1 24 Tf 72 720 Td (${opts.text ?? 'Hello from segl'}) Tj ET`;
  obj(1, '<< /Type /Catalog /Pages 2 0 R >>');
  obj(2, '<< /Type /Pages /Kids [3 0 R] /Count 1 >>');
  obj(3, '<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R /Resources << /Font << /F1 5 0 R >> >> >>');
  obj(4, `<< /Length ${content.length} >>\nstream\n${content}\nendstream`);
  obj(5, '<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>');
  const pad = opts.padBytes ?? 0;
  const n = pad > 0 ? 6 : 5;
  if (pad > 0) {
    const data = opts.random === false ? Buffer.alloc(pad, 0x41) : randomBytes(pad);
    obj(6, Buffer.concat([Buffer.from(`<< /Length ${pad} >>\nstream\n`, 'latin1'), data, Buffer.from('\nendstream', 'latin1')]));
  }
  const xref = length;
  push(`xref\n0 ${n + 1}\n0000000000 65535 f \n`);
  for (let i = 1; i <= n; i++) push(`${String(offsets[i]).padStart(10, '0')} 00000 n \n`);
  push(`trailer\n<< /Size ${n + 1} /Root 1 0 R >>\nstartxref\n${xref}\n%%EOF\n`);
  return Buffer.concat(parts, length);
}

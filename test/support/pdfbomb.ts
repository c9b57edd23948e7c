// Hostile PDFs made by hand, byte by byte (ISO 32000-1 §7.5): "PDF bombs" whose compressed streams unpack to far
// more than the file's size — an attachment (§7.11.4) or an object stream (§7.5.7) under one or more FlateDecode
// layers — and any other PDF made of raw object bodies, with a correct cross-reference table.
import { once } from 'node:events';
import { createDeflate, deflateSync } from 'node:zlib';
import { pdfTail } from '../../src/util/pdf';

const MB = 1024 * 1024;

/** zlib (RFC 1950) of `size` zero bytes, made a MiB at a time. */
export async function deflatedZeros(size: number): Promise<Buffer> {
  const z = createDeflate({ level: 9 });
  const out: Buffer[] = [];
  z.on('data', (c: Buffer) => out.push(c));
  const chunk = Buffer.alloc(MB);
  for (let left = size; left > 0; left -= MB) if (!z.write(chunk)) await once(z, 'drain');
  z.end();
  await once(z, 'end');
  return Buffer.concat(out);
}

/** A PDF of the given object bodies (object n is bodies[n-1]; 1 is the catalog), with its xref table and trailer. */
export function rawPdf(bodies: Buffer[]): Buffer {
  const parts = [Buffer.from('%PDF-1.7\n%\xe2\xe3\xcf\xd3\n', 'latin1')];
  let length = parts[0]!.length;
  const offsets: number[] = [];
  bodies.forEach((b, i) => {
    offsets[i + 1] = length;
    const obj = Buffer.concat([Buffer.from(`${i + 1} 0 obj\n`, 'latin1'), b, Buffer.from('\nendobj\n', 'latin1')]);
    parts.push(obj);
    length += obj.length;
  });
  parts.push(Buffer.from(pdfTail(offsets, bodies.length, length), 'latin1'));
  return Buffer.concat(parts);
}

export const latin = (s: string) => Buffer.from(s, 'latin1');
export const stream = (dict: string, data: Buffer) =>
  Buffer.concat([latin(`<< ${dict} /Length ${data.length} >>\nstream\n`), data, latin('\nendstream')]);
/** objects 2 and 3 of a one-page PDF: the page tree and its page */
export const PAGES = [latin('<< /Type /Pages /Kids [3 0 R] /Count 1 >>'), latin('<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] >>')];

/** A one-page PDF with one attachment named like segl's LTV-SDOs, its stream `data` under `filters`. */
export const attachmentPdf = (data: Buffer, filters: string) =>
  rawPdf([
    latin('<< /Type /Catalog /Pages 2 0 R /Names << /EmbeddedFiles << /Names [(bomb.ltvsdo.xml) 4 0 R] >> >> >>'),
    ...PAGES,
    latin('<< /Type /Filespec /F (bomb.ltvsdo.xml) /UF (bomb.ltvsdo.xml) /EF << /F 5 0 R >> >>'),
    stream(`/Type /EmbeddedFile /Subtype /application#2Fx-ltv-sdo /Params << >> /Filter ${filters}`, data),
  ]);

/** A one-page PDF whose object stream unpacks to `zeros` (deflatedZeros of some size) through two FlateDecode layers. */
export const objectStreamBomb = (zeros: Buffer) =>
  rawPdf([
    latin('<< /Type /Catalog /Pages 2 0 R >>'),
    ...PAGES,
    stream('/Type /ObjStm /N 1 /First 4 /Filter [/FlateDecode /FlateDecode]', deflateSync(zeros)),
  ]);

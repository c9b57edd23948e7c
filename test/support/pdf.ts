// Hand-made PDFs for tests: a valid one-page file written by segl's PDF writer (src/util/pdf.ts), optionally
// padded with a large stream so big uploads are real PDFs too.
import { randomBytes } from 'node:crypto';
import { lineContent, pdfDocument } from '../../src/util/pdf';

export function makePdf(opts: { text?: string; padBytes?: number; random?: boolean } = {}): Buffer {
  const pad = opts.padBytes ?? 0;
  const data = pad > 0 ? (opts.random === false ? Buffer.alloc(pad, 0x41) : randomBytes(pad)) : undefined;
  const extra = data
    ? Buffer.concat([Buffer.from(`<< /Length ${pad} >>\nstream\n`, 'latin1'), data, Buffer.from('\nendstream', 'latin1')])
    : undefined;
  return pdfDocument([lineContent(opts.text ?? 'Hello from segl')], { extra });
}

// src/content/ against PDFs made by an outside tool (qpdf, installed by scripts/system-deps.js): the
// hand-written fixtures of test/unit/sds-content.test.ts pass qpdf --check, and qpdf-made encrypted, xref-stream
// and linearized copies are accepted or refused as they should be.
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { checkPdfFile } from '../../src/content/pdf';
import type { ContentProblem } from '../../src/content/problem';
import { appendUpdate, writePdf } from '../support/handpdf';

let dir: string;
const file = (name: string): string => path.join(dir, name);
const qpdf = (...args: string[]): void => {
  execFileSync('qpdf', args, { stdio: 'pipe' });
};
const code = (p: ContentProblem | null): string | null => (p ? p.code : null);

beforeAll(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'segl-sds-content-qpdf-'));
});
afterAll(() => {
  fs.rmSync(dir, { recursive: true, force: true });
});

describe('checkPdfFile on qpdf-made copies', () => {
  beforeAll(() => {
    writePdf(file('in.pdf'));
    // The fixture itself must be a good PDF, or the "accepted" tests prove nothing.
    qpdf('--check', file('in.pdf'));
    qpdf('--encrypt', 'u', 'o', '256', '--', file('in.pdf'), file('enc.pdf'));
    qpdf('--object-streams=generate', file('in.pdf'), file('xs.pdf'));
    qpdf('--linearize', file('in.pdf'), file('lin.pdf'));
    qpdf('--object-streams=generate', '--encrypt', 'u', 'o', '256', '--', file('in.pdf'), file('enc-xs.pdf'));
    qpdf('--linearize', '--encrypt', 'u', 'o', '256', '--', file('in.pdf'), file('enc-lin.pdf'));
    qpdf(
      '--linearize',
      '--object-streams=generate',
      '--encrypt',
      'u',
      'o',
      '128',
      '--use-aes=y',
      '--',
      file('in.pdf'),
      file('enc-lin-xs.pdf'),
    );
  });

  const text = (name: string): string => fs.readFileSync(file(name), 'latin1');

  test('an object-stream copy with a cross-reference stream is accepted', async () => {
    expect(text('xs.pdf')).toMatch(/\/Type \/XRef/);
    expect(text('xs.pdf')).not.toMatch(/\bxref\s/);
    expect(await checkPdfFile(file('xs.pdf'))).toBeNull();
  });

  test('a linearized copy is accepted', async () => {
    expect(text('lin.pdf').slice(0, 1024)).toMatch(/\/Linearized/);
    expect(await checkPdfFile(file('lin.pdf'))).toBeNull();
  });

  test('an encrypted copy (classic trailer) is refused as encrypted', async () => {
    const p = await checkPdfFile(file('enc.pdf'));
    expect(p?.code).toBe('encrypted');
    expect(p?.message).toMatch(/remove the password protection/i);
  });

  test('an encrypted copy with a cross-reference stream is refused as encrypted', async () => {
    expect(text('enc-xs.pdf')).not.toMatch(/\btrailer\b/);
    expect(code(await checkPdfFile(file('enc-xs.pdf')))).toBe('encrypted');
  });

  test('an encrypted linearized copy is refused: the last startxref names the first-page trailer', async () => {
    // qpdf writes /Encrypt only in the first-page trailer; the trailer at the end of the file lacks it.
    const t = text('enc-lin.pdf');
    expect(t.slice(t.lastIndexOf('trailer'))).not.toMatch(/\/Encrypt/);
    expect(code(await checkPdfFile(file('enc-lin.pdf')))).toBe('encrypted');
  });

  test('an encrypted linearized copy with cross-reference streams is refused as encrypted', async () => {
    expect(code(await checkPdfFile(file('enc-lin-xs.pdf')))).toBe('encrypted');
  });

  test('the hand-written incremental update and the trailer with /Encrypt inside strings pass qpdf --check', async () => {
    const { xref } = writePdf(file('upd.pdf'));
    appendUpdate(file('upd.pdf'), xref);
    qpdf('--check', file('upd.pdf'));
    writePdf(file('enc-in-string.pdf'), {
      trailer: ' /Note (a \\) /Encrypt 6 0 R (nested)) /X << /Encrypt 6 0 R >> /H <2F456E6372797074>',
    });
    qpdf('--check', file('enc-in-string.pdf'));
    expect(await checkPdfFile(file('upd.pdf'))).toBeNull();
    expect(await checkPdfFile(file('enc-in-string.pdf'))).toBeNull();
  });
});

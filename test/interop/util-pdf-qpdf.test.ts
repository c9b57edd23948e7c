// src/util/pdf.ts checked by an outside reader: qpdf --check (installed by scripts/system-deps.js) finds no
// problem in a one-page, a multi-page, a padded and the demo's PDF.
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { samplePdf } from '../../src/demo';
import { lineContent, pdfDocument, textPdf } from '../../src/util/pdf';
import { makePdf } from '../support/pdf';

let dir: string;
beforeAll(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'segl-util-pdf-'));
});
afterAll(() => {
  fs.rmSync(dir, { recursive: true, force: true });
});

const check = (name: string, pdf: Buffer): string => {
  const file = path.join(dir, name);
  fs.writeFileSync(file, pdf);
  return execFileSync('qpdf', ['--check', file], { encoding: 'utf8' });
};

test.each([
  ['one.pdf', () => pdfDocument([lineContent('Hello (segl)')]), 1],
  ['three.pdf', () => textPdf([['page one', 'line two'], ['page two'], ['blåbær (x) \\']]), 3],
  ['padded.pdf', () => makePdf({ text: 'padded', padBytes: 100_000 }), 1],
  ['demo.pdf', () => samplePdf(['Sample purchase agreement', '', 'The buyer buys one bicycle for DKK 4,000.']), 1],
])('qpdf --check accepts %s', (name, make, pages) => {
  const out = check(name, make());
  expect(out).toMatch(/No syntax or stream encoding errors found/);
  const npages = execFileSync('qpdf', ['--show-npages', path.join(dir, name)], { encoding: 'utf8' }).trim();
  expect(Number(npages)).toBe(pages);
});

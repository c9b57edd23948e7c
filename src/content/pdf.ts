// PDF content checks (ISO 32000-1 §7.5: header, trailer, cross-reference): a file that a reader can open, not
// truncated, not encrypted. Bounded reads at an offset; the whole file is never held in memory.
import { open, type FileHandle } from 'node:fs/promises';
import { problem, type ContentProblem } from './problem';
// ---------------------------------------------------------------------------------------------
// File access: bounded reads at an offset, never the whole file
// ---------------------------------------------------------------------------------------------

export async function readAt(fh: FileHandle, size: number, pos: number, len: number): Promise<Buffer> {
  const want = Math.max(0, Math.min(len, size - pos));
  const buf = Buffer.alloc(want);
  let got = 0;
  while (got < want) {
    const { bytesRead } = await fh.read(buf, got, want - got, pos + got);
    if (bytesRead === 0) break;
    got += bytesRead;
  }
  return got === want ? buf : buf.subarray(0, got);
}

/** Bytes as ISO-8859-1 text: one character per byte, so string offsets are byte offsets. */
export const lat = (buf: Buffer, start?: number, end?: number): string => buf.toString('latin1', start, end);

// ---------------------------------------------------------------------------------------------
// PDF (ISO 32000-1:2008 §7.5 File Structure; ISO 32000-2:2020 §7.5)
// ---------------------------------------------------------------------------------------------

/** How far from the start the header may be, and from the end the %%EOF marker (the usual reader tolerance). */
const PDF_HEAD = 1024;
const PDF_EOF_WINDOW = 1024;
/** Bytes read before %%EOF to find `startxref` (room for trailing garbage after it). */
const PDF_TAIL = 4096;
/** Bytes read at the startxref offset, and at most for one dictionary. */
const PDF_WINDOW = 16 * 1024;
const PDF_DICT_MAX = 64 * 1024;
const PDF_MAX_DEPTH = 32;

class PdfCorrupt extends Error {}

/** ISO 32000-1 §7.2.2: white-space characters. */
const isPdfWs = (b: number): boolean => b === 0x00 || b === 0x09 || b === 0x0a || b === 0x0c || b === 0x0d || b === 0x20;
/** ISO 32000-1 §7.2.2: delimiter characters. */
const isPdfDelim = (b: number): boolean =>
  b === 0x28 || b === 0x29 || b === 0x3c || b === 0x3e || b === 0x5b || b === 0x5d || b === 0x7b || b === 0x7d || b === 0x2f || b === 0x25;
const isPdfRegular = (b: number): boolean => !isPdfWs(b) && !isPdfDelim(b);

function skipPdfWs(buf: Buffer, i: number): number {
  while (i < buf.length) {
    const b = buf[i]!;
    if (isPdfWs(b)) {
      i++;
      continue;
    }
    if (b === 0x25) {
      // comment, §7.2.3: to the end of the line
      while (i < buf.length && buf[i] !== 0x0a && buf[i] !== 0x0d) i++;
      continue;
    }
    break;
  }
  return i;
}

/** Whether `word` is at `i` as a whole keyword (followed by white-space, a delimiter or the end). */
function keywordAt(buf: Buffer, i: number, word: string): boolean {
  if (lat(buf, i, i + word.length) !== word) return false;
  const after = buf[i + word.length];
  return after === undefined || !isPdfRegular(after);
}

/** A value in a PDF dictionary, as far as these checks care. */
type PdfValue = { t: 'name'; v: string } | { t: 'dict'; v: Map<string, PdfValue> } | { t: 'other' };

class PdfTruncatedDict extends Error {}

/**
 * A minimal reader for the object syntax of ISO 32000-1 §7.3 (names with #-escapes §7.3.5, literal
 * and hexadecimal strings §7.3.4, arrays §7.3.6, dictionaries §7.3.7, indirect references §7.3.10),
 * enough to list a dictionary's top-level keys without being fooled by `/Encrypt` inside a string
 * or a nested dictionary.
 */
class PdfLexer {
  constructor(
    private readonly buf: Buffer,
    public i: number,
  ) {}

  private need(): void {
    if (this.i >= this.buf.length) throw new PdfTruncatedDict();
  }

  private peekToken(): string {
    const save = this.i;
    const tok = this.token();
    this.i = save;
    return tok;
  }

  /** The next token as a string: `<<`, `>>`, `[`, `]`, `/Name` (decoded), `(…)`/`<…>` as `"`, or a regular run. */
  token(): string {
    this.i = skipPdfWs(this.buf, this.i);
    this.need();
    const buf = this.buf;
    const b = buf[this.i]!;
    if (b === 0x3c && buf[this.i + 1] === 0x3c) {
      this.i += 2;
      return '<<';
    }
    if (b === 0x3e && buf[this.i + 1] === 0x3e) {
      this.i += 2;
      return '>>';
    }
    if (b === 0x5b || b === 0x5d || b === 0x7b || b === 0x7d) {
      this.i++;
      return String.fromCharCode(b);
    }
    if (b === 0x2f) {
      // name
      this.i++;
      let name = '';
      while (this.i < buf.length && isPdfRegular(buf[this.i]!)) {
        const c = buf[this.i]!;
        if (c === 0x23 && this.i + 2 < buf.length) {
          const hex = lat(buf, this.i + 1, this.i + 3);
          if (/^[0-9A-Fa-f]{2}$/.test(hex)) {
            name += String.fromCharCode(parseInt(hex, 16));
            this.i += 3;
            continue;
          }
        }
        name += String.fromCharCode(c);
        this.i++;
      }
      this.need(); // a name is always followed by something inside a dictionary
      return `/${name}`;
    }
    if (b === 0x28) {
      // literal string with balanced parentheses and backslash escapes
      let depth = 0;
      for (;;) {
        this.need();
        const c = buf[this.i++]!;
        if (c === 0x5c) {
          this.i++;
          continue;
        }
        if (c === 0x28) depth++;
        else if (c === 0x29 && --depth === 0) return '"';
      }
    }
    if (b === 0x3c) {
      // hexadecimal string
      const end = buf.indexOf(0x3e, this.i);
      if (end < 0) throw new PdfTruncatedDict();
      this.i = end + 1;
      return '"';
    }
    if (b === 0x29 || b === 0x3e) throw new PdfCorrupt('unexpected delimiter');
    const start = this.i;
    while (this.i < buf.length && isPdfRegular(buf[this.i]!)) this.i++;
    this.need();
    return lat(buf, start, this.i);
  }

  /** Reads one value; the opening token has been read already. */
  private value(tok: string, depth: number): PdfValue {
    if (depth > PDF_MAX_DEPTH) throw new PdfCorrupt('objects nested too deeply');
    if (tok === '<<') return { t: 'dict', v: this.dictBody(depth + 1) };
    if (tok === '[') {
      for (let t = this.token(); t !== ']'; t = this.token()) this.value(t, depth + 1);
      return { t: 'other' };
    }
    if (tok === '{') {
      for (let t = this.token(); t !== '}'; t = this.token()) this.value(t, depth + 1);
      return { t: 'other' };
    }
    if (tok === '>>' || tok === ']' || tok === '}') throw new PdfCorrupt(`unexpected ${tok}`);
    if (tok.startsWith('/')) return { t: 'name', v: tok.slice(1) };
    if (/^\d+$/.test(tok)) {
      // An indirect reference `N G R` (§7.3.10) is three tokens.
      const save = this.i;
      const gen = this.peekToken();
      if (/^\d+$/.test(gen)) {
        this.token();
        if (this.peekToken() === 'R') {
          this.token();
          return { t: 'other' };
        }
      }
      this.i = save;
    }
    return { t: 'other' };
  }

  private dictBody(depth: number): Map<string, PdfValue> {
    const entries = new Map<string, PdfValue>();
    for (;;) {
      const key = this.token();
      if (key === '>>') return entries;
      if (!key.startsWith('/')) throw new PdfCorrupt('a dictionary key is not a name');
      const val = this.token();
      if (val === '>>') throw new PdfCorrupt('a dictionary key has no value');
      entries.set(key.slice(1), this.value(val, depth));
    }
  }

  /** Reads a dictionary starting at the current position (§7.3.7). */
  dict(): Map<string, PdfValue> {
    if (this.token() !== '<<') throw new PdfCorrupt('a dictionary was expected');
    return this.dictBody(1);
  }
}

/** Reads the dictionary at `pos`, with more bytes if the first window does not hold all of it. */
async function readDictAt(fh: FileHandle, size: number, pos: number): Promise<Map<string, PdfValue>> {
  for (let len = PDF_WINDOW; ; len *= 4) {
    const buf = await readAt(fh, size, pos, len);
    try {
      return new PdfLexer(buf, 0).dict();
    } catch (e) {
      if (!(e instanceof PdfTruncatedDict)) throw e;
      if (pos + buf.length >= size) throw new PdfCorrupt('the file ends inside a dictionary');
      if (len >= PDF_DICT_MAX) throw new PdfCorrupt('a dictionary is too large');
    }
  }
}

/**
 * ISO 32000-1 §7.5.4 Cross-Reference Table: from `xref` at `pos`, steps over the subsections (each
 * entry is exactly 20 bytes; a 19-byte variant with a one-byte EOL, a common writer bug, is
 * tolerated) without reading the entries, and returns where the `trailer` keyword's dictionary
 * starts (§7.5.5).
 */
async function classicTrailerPos(fh: FileHandle, size: number, pos: number): Promise<number> {
  let base = pos;
  let buf = await readAt(fh, size, base, PDF_WINDOW);
  let i = skipPdfWs(buf, 0) + 4; // past `xref`
  const refill = async (at: number): Promise<void> => {
    base = at;
    buf = await readAt(fh, size, base, PDF_WINDOW);
    i = 0;
  };
  for (;;) {
    if (buf.length - i < 64 && base + buf.length < size) await refill(base + i);
    i = skipPdfWs(buf, i);
    if (i >= buf.length) throw new PdfCorrupt('the cross-reference table has no trailer');
    if (keywordAt(buf, i, 'trailer')) return base + i + 'trailer'.length;
    const head = /^(\d{1,10})[ \t]+(\d{1,10})[ \t]*(?:\r\n|\r|\n)/.exec(lat(buf, i, i + 32));
    if (!head) throw new PdfCorrupt('the cross-reference table is malformed');
    const count = Number(head[2]);
    i += head[0].length;
    if (count === 0) continue;
    if (buf.length - i < 20 && base + buf.length < size) await refill(base + i);
    const entry = lat(buf, i, i + 20);
    let entrySize: number;
    if (/^\d{10} \d{5} [fn]( [\r\n]|\r\n)$/.test(entry)) entrySize = 20;
    else if (/^\d{10} \d{5} [fn][\r\n]/.test(entry)) entrySize = 19;
    else throw new PdfCorrupt('a cross-reference entry is malformed');
    const next = base + i + count * entrySize;
    if (next >= size) throw new PdfCorrupt('the cross-reference table runs past the end of the file');
    if (next - base < buf.length) i = next - base;
    else await refill(next);
  }
}

/** Where the xref section at `offset` keeps its trailer dictionary, after checking it is one. */
async function trailerAt(fh: FileHandle, size: number, offset: number): Promise<Map<string, PdfValue>> {
  const buf = await readAt(fh, size, offset, 64);
  const i = skipPdfWs(buf, 0);
  if (keywordAt(buf, i, 'xref')) {
    // §7.5.4 classic table followed by its trailer (§7.5.5).
    return readDictAt(fh, size, await classicTrailerPos(fh, size, offset));
  }
  // §7.5.8 cross-reference stream: an indirect object `N G obj` whose dictionary is the trailer.
  const m = /^(\d+)[\0\t\n\f\r ]+(\d+)[\0\t\n\f\r ]+obj/.exec(lat(buf, i, buf.length));
  if (!m || (buf[i + m[0].length] !== undefined && isPdfRegular(buf[i + m[0].length]!))) {
    throw new PdfCorrupt('startxref does not point at a cross-reference table or stream');
  }
  const dict = await readDictAt(fh, size, offset + i + m[0].length);
  const type = dict.get('Type');
  // §7.5.8.2 Table 17: Type shall be XRef.
  if (type?.t !== 'name' || type.v !== 'XRef') throw new PdfCorrupt('startxref does not point at a cross-reference stream');
  return dict;
}

/**
 * Structural check of a PDF on disk, reading only its first 1 KB, its last few KB and a few KB at
 * the startxref offset (ISO 32000-1 §7.5 File Structure):
 * - §7.5.2 File Header: `%PDF-1.0`…`%PDF-1.7` or `%PDF-2.0` (ISO 32000-2) within the first 1024
 *   bytes, else 'not-pdf';
 * - §7.5.5 File Trailer: `%%EOF` within the last 1024 bytes, else 'truncated'; `startxref` before
 *   it with a byte offset inside the file;
 * - §7.5.4 / §7.5.8: that offset points at an `xref` table or an `N G obj` cross-reference stream
 *   (/Type /XRef); the trailer dictionary of that section (the `trailer` after the table, or the
 *   stream dictionary) is read and must have /Root (§7.5.5 Table 15), else 'corrupt';
 * - §7.6 Encryption: an /Encrypt entry in that trailer refuses the file as 'encrypted' — segl has to
 *   read and sign the document, which it cannot do for a password-protected one.
 * The section checked is the one startxref names, so a linearized file (Annex F), whose last
 * startxref names the first-page section, is judged by the first-page trailer that carries /Encrypt.
 * If the header is not at byte 0, offsets relative to the header are tried as well.
 * File-system errors (missing file, permissions) are thrown, not reported as problems.
 */
export async function checkPdfFile(path: string): Promise<ContentProblem | null> {
  const fh = await open(path, 'r');
  try {
    const { size } = await fh.stat();
    const head = await readAt(fh, size, 0, PDF_HEAD);
    const headerAt = lat(head, 0, head.length).search(/%PDF-(?:1\.[0-7]|2\.0)(?![0-9])/);
    if (headerAt < 0) {
      return problem('not-pdf', 'The file is not a PDF document: it does not start with a %PDF header.');
    }

    const tailStart = Math.max(0, size - PDF_TAIL);
    const tail = lat(await readAt(fh, size, tailStart, PDF_TAIL));
    const eofAt = tail.lastIndexOf('%%EOF');
    if (eofAt < 0 || tailStart + eofAt < size - PDF_EOF_WINDOW) {
      return problem(
        'truncated',
        'The PDF file is incomplete: its end-of-file marker is missing. The upload may have been cut short; please upload the complete file.',
      );
    }
    const sxAt = tail.lastIndexOf('startxref', eofAt);
    const sx = sxAt < 0 ? null : /^startxref[\0\t\n\f\r ]+(\d{1,15})(?![0-9])/.exec(tail.slice(sxAt, eofAt));
    if (!sx) return corrupt('it has no cross-reference offset (startxref)');
    const offset = Number(sx[1]);

    const candidates = headerAt > 0 ? [offset, offset + headerAt] : [offset];
    let reason = '';
    for (const at of candidates) {
      if (at >= size) {
        reason ||= 'its cross-reference offset points past the end of the file';
        continue;
      }
      try {
        const trailer = await trailerAt(fh, size, at);
        if (trailer.has('Encrypt')) {
          return problem(
            'encrypted',
            'The PDF is password-protected (encrypted). Remove the password protection (save an unprotected copy) and upload it again.',
          );
        }
        if (!trailer.has('Root')) return corrupt('its trailer has no document catalog (/Root)');
        return null;
      } catch (e) {
        if (!(e instanceof PdfCorrupt || e instanceof PdfTruncatedDict)) throw e;
        reason ||= e instanceof PdfTruncatedDict ? 'the file ends inside its trailer' : e.message;
      }
    }
    return corrupt(reason);
  } finally {
    await fh.close();
  }
}

const corrupt = (why: string): ContentProblem =>
  problem('corrupt', `The PDF file is damaged: ${why}. Please re-save or re-export it and upload it again.`);

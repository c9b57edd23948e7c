// Content checks for Session Data Storage uploads. The bytes are already on disk (a temp file of up
// to 100 MB) when these run; nothing here holds a whole upload in memory. Each check answers with a
// ContentProblem the HTTP adapter turns into a 4xx with a user-readable message, or null when the
// content is acceptable.
import { createReadStream } from 'node:fs';
import { open, type FileHandle } from 'node:fs/promises';
import { isAscii } from 'node:buffer';
import { TextDecoder } from 'node:util';
import { isSupported, parseMediaType, SUPPORTED_TYPES, type MediaType } from '../core/mediatype';

export type ContentProblemCode =
  'unsupported-type' | 'not-pdf' | 'truncated' | 'corrupt' | 'encrypted' | 'bad-text' | 'unsupported-charset' | 'bad-xml';

/** Why an upload's content was refused. `offset` is the byte position of the fault when known. */
export interface ContentProblem {
  code: ContentProblemCode;
  message: string;
  offset?: number;
}

const problem = (code: ContentProblemCode, message: string, offset?: number): ContentProblem =>
  offset === undefined ? { code, message } : { code, message, offset };

// ---------------------------------------------------------------------------------------------
// Media types
// ---------------------------------------------------------------------------------------------

// The media-type grammar and the list of stored types live in core (provided-documents use them too).
export { isSupported, parseMediaType, SUPPORTED_TYPES, type MediaType };

const PDF_TYPES = new Set(['application/pdf', 'application/x-pades']);
const XML_TYPES = new Set(['application/xml', 'text/xml', 'application/x-ltv-sdo']);

/**
 * Runs the check that fits the declared media type on a file already on disk: PDF structure for
 * PDF/PAdES, charset validity for text/plain, the XML prolog check (plus charset validity when a
 * charset parameter was given, RFC 7303 §3) for the XML types. An unsupported type answers
 * 'unsupported-type'.
 */
export async function checkContent(path: string, media: MediaType): Promise<ContentProblem | null> {
  if (PDF_TYPES.has(media.type)) return checkPdfFile(path);
  if (media.type === 'text/plain') return checkTextFile(path, media.charset);
  if (XML_TYPES.has(media.type)) {
    const p = await checkXmlFile(path);
    if (p || media.charset === undefined) return p;
    return checkTextFile(path, media.charset);
  }
  return problem('unsupported-type', `Documents of type ${media.type} cannot be stored. Supported types: ${SUPPORTED_TYPES.join(', ')}.`);
}

// ---------------------------------------------------------------------------------------------
// File access: bounded reads at an offset, never the whole file
// ---------------------------------------------------------------------------------------------

async function readAt(fh: FileHandle, size: number, pos: number, len: number): Promise<Buffer> {
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
const lat = (buf: Buffer, start?: number, end?: number): string => buf.toString('latin1', start, end);

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
const isDigit = (b: number): boolean => b >= 0x30 && b <= 0x39;

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

// ---------------------------------------------------------------------------------------------
// Text (RFC 2046 §4.1.2 charset parameter; WHATWG Encoding Standard decoders)
// ---------------------------------------------------------------------------------------------

type Charset =
  | { kind: 'decode'; encoding: 'utf-8' | 'utf-16le' | 'utf-16be'; name: string }
  | { kind: 'utf-16-bom'; name: string }
  | { kind: 'ascii'; name: string }
  | { kind: 'any'; name: string };

/** Charset names and IANA aliases (IANA Character Sets registry) segl validates, lower-case. */
const CHARSETS = new Map<string, Charset>();
const alias = (cs: Charset, ...names: string[]): void => {
  for (const n of names) CHARSETS.set(n, cs);
};
alias({ kind: 'decode', encoding: 'utf-8', name: 'UTF-8' }, 'utf-8', 'utf8', 'csutf8', 'unicode-1-1-utf-8');
alias({ kind: 'decode', encoding: 'utf-16le', name: 'UTF-16LE' }, 'utf-16le', 'csutf16le');
alias({ kind: 'decode', encoding: 'utf-16be', name: 'UTF-16BE' }, 'utf-16be', 'csutf16be');
alias({ kind: 'utf-16-bom', name: 'UTF-16' }, 'utf-16', 'csutf16');
alias(
  { kind: 'ascii', name: 'US-ASCII' },
  'us-ascii',
  'ascii',
  'us',
  'ansi_x3.4-1968',
  'ansi_x3.4-1986',
  'iso-ir-6',
  'iso_646.irv:1991',
  'iso646-us',
  'ibm367',
  'cp367',
  'csascii',
);
alias(
  { kind: 'any', name: 'ISO-8859-1' },
  'iso-8859-1',
  'iso8859-1',
  'iso_8859-1',
  'iso_8859-1:1987',
  'latin1',
  'l1',
  'iso-ir-100',
  'ibm819',
  'cp819',
  'csisolatin1',
);
alias({ kind: 'any', name: 'windows-1252' }, 'windows-1252', 'cp1252', 'x-cp1252', 'cswindows1252');

/** Lower-case charset names TextValidator understands (aliases included). */
export const SUPPORTED_CHARSETS: readonly string[] = Object.freeze([...CHARSETS.keys()]);

/**
 * Streaming check that text bytes are valid in the declared charset (RFC 2046 §4.1.2; RFC 6657
 * §4: no charset means UTF-8 for segl). Feed chunks with push(), then call end(); each returns the
 * first problem found (and keeps returning it), or null.
 * - utf-8, utf-16le, utf-16be: decoded with TextDecoder(…, { fatal: true }) in stream mode (WHATWG
 *   Encoding Standard §4, §9, §10), so multi-byte sequences may straddle chunks; malformed or
 *   truncated sequences and unpaired surrogates are 'bad-text' with the offset of the first
 *   invalid sequence.
 * - utf-16 (RFC 2781 §3.3): must start with a byte order mark choosing the byte order; without one
 *   the text is ambiguous and refused, since what is signed must render one way only.
 * - us-ascii (RFC 20 / ANSI X3.4): 7-bit only; the first byte ≥ 0x80 is 'bad-text'.
 * - iso-8859-1 and windows-1252: every byte maps to a character (ISO/IEC 8859-1; the WHATWG index
 *   for windows-1252), so any bytes are valid.
 * - anything else: 'unsupported-charset'.
 */
export class TextValidator {
  private readonly charset: Charset | undefined;
  private failure: ContentProblem | null = null;
  private decoder: TextDecoder | undefined;
  private encoding: 'utf-8' | 'utf-16le' | 'utf-16be' | undefined;
  /** Bytes pushed so far. */
  private total = 0;
  /** Bytes the decoder may be holding (the tail of an incomplete sequence), and where they start. */
  private pending: Buffer = Buffer.alloc(0);
  /** For utf-16: the first byte(s) while waiting to see the byte order mark. */
  private bomProbe: Buffer | undefined;

  constructor(charset?: string) {
    const name = (charset ?? 'utf-8').trim().toLowerCase();
    this.charset = CHARSETS.get(name);
    if (!this.charset) {
      this.failure = problem(
        'unsupported-charset',
        `The character set "${charset}" is not supported. Use UTF-8, UTF-16, US-ASCII, ISO-8859-1 or windows-1252.`,
      );
      return;
    }
    if (this.charset.kind === 'decode') this.start(this.charset.encoding);
    if (this.charset.kind === 'utf-16-bom') this.bomProbe = Buffer.alloc(0);
  }

  /** The problem found so far, if any. */
  get problem(): ContentProblem | null {
    return this.failure;
  }

  private start(encoding: 'utf-8' | 'utf-16le' | 'utf-16be'): void {
    this.encoding = encoding;
    this.decoder = new TextDecoder(encoding, { fatal: true, ignoreBOM: true });
  }

  private bad(offset: number | undefined): ContentProblem {
    const where = offset === undefined ? '' : ` at byte ${offset}`;
    this.failure = problem(
      'bad-text',
      `The text is not valid ${this.charset!.name}${where}. Save it with the declared character set, or declare the one it uses.`,
      offset,
    );
    return this.failure;
  }

  push(chunk: Buffer): ContentProblem | null {
    if (this.failure) return this.failure;
    const cs = this.charset!;
    if (cs.kind === 'any') {
      this.total += chunk.length;
      return null;
    }
    if (cs.kind === 'ascii') {
      if (!isAscii(chunk)) {
        const at = chunk.findIndex((b) => b >= 0x80);
        return this.bad(this.total + at);
      }
      this.total += chunk.length;
      return null;
    }
    if (this.bomProbe) {
      // RFC 2781 §3.2: FE FF is big-endian, FF FE little-endian.
      const probe = Buffer.concat([this.bomProbe, chunk]);
      if (probe.length < 2) {
        this.bomProbe = probe;
        return null;
      }
      this.bomProbe = undefined;
      if (probe[0] === 0xfe && probe[1] === 0xff) this.start('utf-16be');
      else if (probe[0] === 0xff && probe[1] === 0xfe) this.start('utf-16le');
      else {
        this.failure = problem('bad-text', 'UTF-16 text must start with a byte order mark (or be declared as UTF-16LE or UTF-16BE).', 0);
        return this.failure;
      }
      return this.decode(probe);
    }
    return this.decode(chunk);
  }

  private decode(chunk: Buffer): ContentProblem | null {
    try {
      this.decoder!.decode(chunk, { stream: true });
    } catch {
      return this.bad(this.locate(chunk));
    }
    this.total += chunk.length;
    const last = chunk.length >= 4 ? chunk.subarray(-4) : Buffer.concat([this.pending, chunk]).subarray(-4);
    this.pending = Buffer.from(last.subarray(last.length - this.pendingLength(last)));
    return null;
  }

  /**
   * How many bytes at the end of the (so far valid) stream form an incomplete sequence: for UTF-8 a
   * lead byte missing continuation bytes (RFC 3629 §4); for UTF-16 an odd byte and/or an unpaired
   * high surrogate (RFC 2781 §2.2).
   */
  private pendingLength(last: Buffer): number {
    if (this.encoding === 'utf-8') {
      for (let k = 1; k <= Math.min(3, last.length); k++) {
        const b = last[last.length - k]!;
        if ((b & 0xc0) === 0x80) continue; // continuation byte
        const need = b >= 0xf0 ? 4 : b >= 0xe0 ? 3 : b >= 0xc0 ? 2 : 1;
        return need > k ? k : 0;
      }
      return 0;
    }
    const odd = this.total % 2;
    const end = last.length - odd;
    if (end < 2) return odd;
    const unit = this.encoding === 'utf-16le' ? last.readUInt16LE(end - 2) : last.readUInt16BE(end - 2);
    return odd + (unit >= 0xd800 && unit <= 0xdbff ? 2 : 0);
  }

  /**
   * The offset of the first invalid sequence in `chunk`: replays the held-back bytes and the chunk
   * byte by byte through a fresh decoder; the sequence starts after the last byte that completed a
   * character.
   */
  private locate(chunk: Buffer): number | undefined {
    const replay = Buffer.concat([this.pending, chunk]);
    const origin = this.total - this.pending.length;
    const d = new TextDecoder(this.encoding!, { fatal: true, ignoreBOM: true });
    let clean = 0;
    for (let i = 0; i < replay.length; i++) {
      try {
        if (d.decode(replay.subarray(i, i + 1), { stream: true }).length > 0) clean = i + 1;
      } catch {
        return origin + clean;
      }
    }
    return undefined;
  }

  end(): ContentProblem | null {
    if (this.failure) return this.failure;
    if (this.bomProbe) {
      if (this.bomProbe.length === 0) return null; // empty text
      this.failure = problem('bad-text', 'UTF-16 text must start with a byte order mark (or be declared as UTF-16LE or UTF-16BE).', 0);
      return this.failure;
    }
    if (this.decoder) {
      try {
        this.decoder.decode();
      } catch {
        return this.bad(this.total - this.pending.length);
      }
    }
    return null;
  }
}

/** Streams a file through a TextValidator (64 KB at a time) and returns its verdict. */
export async function checkTextFile(path: string, charset?: string): Promise<ContentProblem | null> {
  const v = new TextValidator(charset);
  if (v.problem) return v.problem;
  const stream = createReadStream(path, { highWaterMark: 64 * 1024 });
  try {
    for await (const chunk of stream) {
      if (v.push(chunk as Buffer)) return v.problem;
    }
  } finally {
    stream.destroy();
  }
  return v.end();
}

// ---------------------------------------------------------------------------------------------
// XML (XML 1.0 Fifth Edition)
// ---------------------------------------------------------------------------------------------

const XML_HEAD = 64 * 1024;

const badXml = (why: string): ContentProblem => problem('bad-xml', `The XML document cannot be accepted: ${why}.`);

/**
 * A first gate for application/xml, text/xml and application/x-ltv-sdo, reading only the first
 * 64 KB (full well-formedness is left to the XML parser):
 * - encoding from the byte order mark or the first bytes (XML 1.0 §4.3.3, Appendix F): UTF-8,
 *   UTF-16LE/BE; other ASCII-compatible encodings are read as bytes;
 * - after optional white space (§2.3 S) the document must begin with `<` (§2.1 document, §2.8 prolog);
 * - no document type declaration (§2.8 doctypedecl) in the first 64 KB, anywhere (even in a comment):
 *   DTDs enable external entities and entity expansion (XXE, "billion laughs");
 * - the prolog (XML declaration, comments, processing instructions, §2.8 Misc) must end in a root
 *   element start tag within those 64 KB, so a DOCTYPE cannot hide beyond them.
 */
export async function checkXmlFile(path: string): Promise<ContentProblem | null> {
  const fh = await open(path, 'r');
  let buf: Buffer;
  let size: number;
  try {
    size = (await fh.stat()).size;
    buf = await readAt(fh, size, 0, XML_HEAD);
  } finally {
    await fh.close();
  }
  const complete = buf.length >= size;
  let text: string;
  if (buf[0] === 0xef && buf[1] === 0xbb && buf[2] === 0xbf) text = new TextDecoder('utf-8').decode(buf.subarray(3));
  else if (buf[0] === 0xfe && buf[1] === 0xff) text = new TextDecoder('utf-16be').decode(buf.subarray(2));
  else if (buf[0] === 0xff && buf[1] === 0xfe) text = new TextDecoder('utf-16le').decode(buf.subarray(2));
  else if (buf[0] === 0x00 && buf[1] === 0x3c && buf[2] === 0x00 && buf[3] === 0x3f) text = new TextDecoder('utf-16be').decode(buf);
  else if (buf[0] === 0x3c && buf[1] === 0x00 && buf[2] === 0x3f && buf[3] === 0x00) text = new TextDecoder('utf-16le').decode(buf);
  else text = lat(buf);

  let i = 0;
  const skipS = (): void => {
    while (i < text.length && ' \t\r\n'.includes(text[i]!)) i++;
  };
  skipS();
  if (text[i] !== '<') return badXml('it does not start with "<", so it is not XML');
  if (/<!DOCTYPE/i.test(text)) return badXml('document type declarations (<!DOCTYPE …>) are not allowed');

  // §2.8 prolog: XMLDecl? Misc* (doctypedecl Misc*)?, then the root element.
  for (;;) {
    skipS();
    if (i >= text.length) return badXml(complete ? 'it has no root element' : 'its prolog is longer than 64 KB');
    if (text.startsWith('<?', i)) {
      const end = text.indexOf('?>', i + 2);
      if (end < 0) return badXml(complete ? 'a processing instruction is not closed' : 'its prolog is longer than 64 KB');
      i = end + 2;
    } else if (text.startsWith('<!--', i)) {
      const end = text.indexOf('-->', i + 4);
      if (end < 0) return badXml(complete ? 'a comment is not closed' : 'its prolog is longer than 64 KB');
      i = end + 3;
    } else if (text[i] === '<' && /^[A-Za-z_:\u00C0-\uFFFF]/.test(text.slice(i + 1, i + 2))) {
      return null;
    } else {
      return badXml('it does not begin with a root element');
    }
  }
}

// Text and XML content checks: the declared charset decodes the whole file, and XML is well-formed enough to
// begin with a root element. Streamed; the whole file is never held in memory.
import { createReadStream } from 'node:fs';
import { open } from 'node:fs/promises';
import { isAscii } from 'node:buffer';
import { TextDecoder } from 'node:util';
import { readAt, lat } from './pdf';
import { problem, type ContentProblem } from './problem';
import { CHARSET_ALIASES, type CharsetName } from '../core/mediatype';
// ---------------------------------------------------------------------------------------------
// Text (RFC 2046 §4.1.2 charset parameter; WHATWG Encoding Standard decoders)
// ---------------------------------------------------------------------------------------------

type Charset =
  | { kind: 'decode'; encoding: 'utf-8' | 'utf-16le' | 'utf-16be'; name: string }
  | { kind: 'utf-16-bom'; name: string }
  | { kind: 'ascii'; name: string }
  | { kind: 'any'; name: string };

/** How each charset of core's list (core/mediatype.ts CHARSET_ALIASES) is checked. */
const DECODERS: Record<CharsetName, Charset> = {
  'UTF-8': { kind: 'decode', encoding: 'utf-8', name: 'UTF-8' },
  'UTF-16LE': { kind: 'decode', encoding: 'utf-16le', name: 'UTF-16LE' },
  'UTF-16BE': { kind: 'decode', encoding: 'utf-16be', name: 'UTF-16BE' },
  'UTF-16': { kind: 'utf-16-bom', name: 'UTF-16' },
  'US-ASCII': { kind: 'ascii', name: 'US-ASCII' },
  'ISO-8859-1': { kind: 'any', name: 'ISO-8859-1' },
  'windows-1252': { kind: 'any', name: 'windows-1252' },
};

/** Every lower-case name and alias → its check. */
const CHARSETS = new Map<string, Charset>(
  (Object.entries(CHARSET_ALIASES) as Array<[CharsetName, readonly string[]]>).flatMap(([name, aliases]) =>
    aliases.map((a): [string, Charset] => [a, DECODERS[name]]),
  ),
);

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

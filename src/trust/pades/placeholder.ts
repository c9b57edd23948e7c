// The signature placeholder of a PDF signature and the byte patching around it (ISO 32000-1 §12.8.1, ETSI EN
// 319 142-1 §5.3): the one hand-written part of the PAdES writer. @cantoo/pdf-lib writes the signature dictionary
// in an incremental update (ISO 32000-1 §7.5.6) with two placeholders, then this file
//   1. finds them in the bytes of that update (and only there),
//   2. writes the ByteRange in place, in fixed width so no offset moves: [0 a b c] where the one gap [a, b) is the
//      /Contents hex string INCLUDING its delimiters `<` and `>` (ISO 32000-1 §12.8.1, "ByteRange": the range
//      covers the entire file except the Contents value; §12.8.3.3.1: Contents is a hex string), and the ranges
//      end at the end of this revision,
//   3. has the signature (or time-stamp token) made over the two ranges, and writes its DER, hex-encoded and
//      padded with `0`, into the reserved string; a DER value longer than the reservation is a typed error
//      (PlaceholderTooSmallError), never a truncated signature.
// Not implemented: files of 10 GB and more (ByteRange numbers are 10 digits wide); growing the reservation and
// trying again (the caller sizes it, see contentsReserve, or catches the error).
import { createHash } from 'node:crypto';
import { PDFHexString, PDFInvalidObject, PDFName, type PDFDict } from '@cantoo/pdf-lib';

/** Raised when the DER of a signature or time-stamp token does not fit the /Contents reserved for it. */
export class PlaceholderTooSmallError extends Error {
  override name = 'PlaceholderTooSmallError';
  constructor(
    /** bytes the DER value needs */
    readonly needed: number,
    /** bytes the placeholder holds (half its hex digits) */
    readonly reserved: number,
  ) {
    super(`the signature needs ${needed} bytes but /Contents reserves ${reserved}; reserve more (contentsSize)`);
  }
}

/** Width of each of the three patched ByteRange numbers: offsets up to 9 999 999 999. */
const WIDTH = 10;
const BYTE_RANGE_PLACEHOLDER = `[0 ${'*'.repeat(WIDTH)} ${'*'.repeat(WIDTH)} ${'*'.repeat(WIDTH)}]`;
const latin1 = (s: string): Uint8Array => Uint8Array.from(Buffer.from(s, 'latin1'));

/**
 * Sets /ByteRange and /Contents of a signature dictionary to the placeholders: the ByteRange as raw bytes
 * (pdf-lib writes a PDFInvalidObject verbatim) patched later, /Contents a hex string of `size` zero bytes.
 */
export function setPlaceholders(sig: PDFDict, size: number): void {
  if (!Number.isSafeInteger(size) || size <= 0) throw new RangeError('the /Contents reservation must be a positive number of bytes');
  sig.set(PDFName.of('ByteRange'), PDFInvalidObject.of(latin1(BYTE_RANGE_PLACEHOLDER)));
  sig.set(PDFName.of('Contents'), PDFHexString.of('0'.repeat(2 * size)));
}

/** Bytes a CMS needs beyond its certificates: the SignedData frame, signed attributes and an RSA-4096 signature. */
const CMS_OVERHEAD = 2048;
/** Default room for one RFC 3161 token (a TSA certificate, or a short chain, and its signature). */
export const TOKEN_RESERVE = 8192;

/**
 * A /Contents size for a CMS carrying `certificates` (DER), plus a signature time-stamp token when `withToken`
 * (ETSI EN 319 142-1 §6.3: B-T), rounded up to whole KiB.
 */
export function contentsReserve(certificates: Uint8Array[], withToken: boolean, tokenReserve = TOKEN_RESERVE): number {
  const total = certificates.reduce((n, c) => n + c.byteLength, 0) + CMS_OVERHEAD + (withToken ? tokenReserve : 0);
  return Math.ceil(total / 1024) * 1024;
}

function indexOf(haystack: Uint8Array, needle: Uint8Array, from: number, to = haystack.length): number {
  const first = needle[0];
  outer: for (let i = haystack.indexOf(first!, from); i !== -1 && i + needle.length <= to; i = haystack.indexOf(first!, i + 1)) {
    for (let j = 1; j < needle.length; j++) if (haystack[i + j] !== needle[j]) continue outer;
    return i;
  }
  return -1;
}

/** Where the placeholders sit: the ByteRange array's first byte, and the /Contents string's `<` and after its `>`. */
interface Located {
  byteRangeAt: number;
  gapStart: number;
  gapEnd: number;
}

/**
 * Finds the placeholders written by setPlaceholders in the update that starts at `from`: exactly one ByteRange
 * placeholder, and after it, in the same object, /Contents `<` zeros `>`.
 */
function locate(pdf: Uint8Array, from: number): Located {
  const marker = latin1(`/ByteRange ${BYTE_RANGE_PLACEHOLDER}`);
  const at = indexOf(pdf, marker, from);
  if (at < 0) throw new Error('no ByteRange placeholder in the update');
  if (indexOf(pdf, marker, at + 1) >= 0) throw new Error('more than one ByteRange placeholder in the update');
  const endobj = indexOf(pdf, latin1('endobj'), at);
  const contents = indexOf(pdf, latin1('/Contents <'), at, endobj < 0 ? pdf.length : endobj);
  if (contents < 0) throw new Error('no /Contents placeholder after the ByteRange placeholder');
  const gapStart = contents + '/Contents '.length;
  let gapEnd = gapStart + 1;
  while (pdf[gapEnd] === 0x30) gapEnd++;
  if (pdf[gapEnd] !== 0x3e || (gapEnd - gapStart - 1) % 2 !== 0) throw new Error('the /Contents placeholder is not a hex string of zeros');
  return { byteRangeAt: at + '/ByteRange '.length, gapStart, gapEnd: gapEnd + 1 };
}

/** The bytes the ByteRange [0 a b c] covers, in order (what is signed). */
export function byteRangeBytes(pdf: Uint8Array, range: [number, number, number, number]): Uint8Array {
  const [s1, l1, s2, l2] = range;
  const out = new Uint8Array(l1 + l2);
  out.set(pdf.subarray(s1, s1 + l1), 0);
  out.set(pdf.subarray(s2, s2 + l2), l1);
  return out;
}

/** What a fill wrote: the DER value and /Contents as stored (the DER, then zero bytes up to the reservation). */
export interface FilledSignature {
  der: Uint8Array;
  /** the decoded /Contents string, zero padding included (what a DSS VRI key is computed over, dss.ts vriKey) */
  contents: Uint8Array;
}

/**
 * Patches the ByteRange in place in `part`, the tail of a file of `total` bytes that starts at byte `base` of it
 * (the whole file: base 0): the ByteRange written is the file's; `gapStart` and `gapEnd` are within `part`.
 */
function patchByteRange(
  part: Uint8Array,
  from: number,
  base: number,
  total: number,
): { range: [number, number, number, number]; gapStart: number; gapEnd: number; reserved: number } {
  const { byteRangeAt, gapStart, gapEnd } = locate(part, from);
  const range: [number, number, number, number] = [0, base + gapStart, base + gapEnd, total - base - gapEnd];
  const text = `[${range.join(' ')}`;
  if (text.length + 1 > BYTE_RANGE_PLACEHOLDER.length) throw new RangeError('the file is too large for a 10-digit ByteRange');
  part.set(latin1(text.padEnd(BYTE_RANGE_PLACEHOLDER.length - 1, ' ') + ']'), byteRangeAt);
  return { range, gapStart, gapEnd, reserved: (gapEnd - gapStart - 2) / 2 };
}

/** Writes `der` into the reserved /Contents (hex, zero-padded); PlaceholderTooSmallError when it does not fit. */
function writeContents(pdf: Uint8Array, gapStart: number, reserved: number, der: Uint8Array): FilledSignature {
  if (der.byteLength > reserved) throw new PlaceholderTooSmallError(der.byteLength, reserved);
  pdf.set(latin1(Buffer.from(der).toString('hex').toUpperCase()), gapStart + 1);
  const contents = new Uint8Array(reserved);
  contents.set(der);
  return { der, contents };
}

/**
 * Completes the signature dictionary like fillPlaceholder, in place, for a producer that needs only the SHA-256 of the
 * covered bytes (a PAdES CMS, a document time-stamp's imprint), in a file held in parts (field.ts IncrementalPdf:
 * the input, then each update): the placeholder is in the last part, which is patched in place; the digest runs
 * over every part but the gap, so the file is never put together for it.
 */
export async function fillLastPartByDigest(
  parts: Uint8Array[],
  produce: (sha256: Uint8Array) => Promise<Uint8Array>,
): Promise<FilledSignature> {
  const last = parts[parts.length - 1];
  if (!last) throw new RangeError('no parts');
  const total = parts.reduce((n, p) => n + p.byteLength, 0);
  const { gapStart, gapEnd, reserved } = patchByteRange(last, 0, total - last.byteLength, total);
  const hash = createHash('sha256');
  for (const p of parts.slice(0, -1)) hash.update(p);
  hash.update(last.subarray(0, gapStart)).update(last.subarray(gapEnd));
  return writeContents(last, gapStart, reserved, await produce(new Uint8Array(hash.digest())));
}

/**
 * Completes the signature dictionary in the incremental update of `pdf` that starts at byte `from`: patches the
 * ByteRange, asks `produce` for the DER value over the covered bytes (a CMS, ISO 32000-1 §12.8.3.3, or an RFC
 * 3161 token, ISO 32000-2 §12.8.5) and writes it into /Contents. Returns a new array, `pdf` unchanged; throws
 * PlaceholderTooSmallError when the value does not fit.
 */
export async function fillPlaceholder(
  pdf: Uint8Array,
  from: number,
  produce: (covered: Uint8Array) => Promise<Uint8Array>,
): Promise<Uint8Array> {
  const out = new Uint8Array(pdf);
  const { range, gapStart, reserved } = patchByteRange(out, from, 0, out.length);
  writeContents(out, gapStart, reserved, await produce(byteRangeBytes(out, range)));
  return out;
}

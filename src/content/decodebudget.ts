// A bound on what pdf-lib decodes (the stream filters of ISO 32000-1 §7.4: FlateDecode, LZWDecode, RunLengthDecode,
// ASCII85Decode, ASCIIHexDecode) while one check runs, so a "PDF bomb" — a few kilobytes that inflate to gigabytes,
// in an attachment, an object stream (§7.5.7) or the DSS — stops at the bound instead of taking the process's
// memory and time. pdf-lib decodes every filter with one class (DecodeStream, a port of pdf.js's) whose buffer
// grows through ensureBuffer; inside withDecodeBudget that growth is counted, across every stream the check
// decodes, and refused beyond the bound. Outside withDecodeBudget nothing changes. Bounds nest: a check run inside
// another's (the viewer's around `segl verify`'s) counts against both, and stops at the first it passes.
import { AsyncLocalStorage } from 'node:async_hooks';
import { decodePDFRawStream, PDFContext, PDFRawStream } from '@cantoo/pdf-lib';

interface Budget {
  left: number;
  exceeded: boolean;
  /** the budget of the check this one runs inside, if any */
  outer: Budget | undefined;
}

class DecodeBudgetExceeded extends Error {
  override name = 'DecodeBudgetExceeded';
}

const MIB = 1024 * 1024;
const DECODE_FACTOR = 4;
const DECODE_MIN = 64 * MIB;

/**
 * How much the streams of a PDF of `size` bytes may unpack to in all while it is read: four times its size, at least
 * 64 MiB — room for what a real file's streams unpack to (text, XML, object streams; the base64 of PDFs in attached
 * LTV-SDOs far less), none for a bomb, which unpacks a thousand times its size and more.
 */
export const decodeBoundFor = (size: number): number => Math.max(DECODE_MIN, DECODE_FACTOR * size);

/** A PDF whose streams unpack beyond the bound: the message says so in words a reader of an error understands. */
export class CompressionBombError extends Error {
  override name = 'CompressionBombError';
  constructor(readonly bound: number) {
    super(`its compressed streams unpack to more than ${Math.round(bound / MIB)} MB: a compression bomb`);
  }
}

const budgets = new AsyncLocalStorage<Budget>();
type Growable = { buffer: Uint8Array; minBufferLength: number; ensureBuffer(requested: number): Uint8Array };
let installed = false;

/** Wraps DecodeStream.prototype.ensureBuffer (reached through a decoder pdf-lib makes: the class is not exported). */
function install(): void {
  if (installed) return;
  const probe = decodePDFRawStream(PDFRawStream.of(PDFContext.create().obj({ Filter: 'ASCIIHexDecode' }), new Uint8Array(0)));
  const proto = Object.getPrototypeOf(Object.getPrototypeOf(probe)) as Growable;
  if (typeof proto.ensureBuffer !== 'function') throw new Error('pdf-lib: DecodeStream.ensureBuffer not found');
  const original = proto.ensureBuffer;
  proto.ensureBuffer = function (this: Growable, requested: number): Uint8Array {
    const b = budgets.getStore();
    if (b && requested > this.buffer.byteLength) {
      // what ensureBuffer allocates: the first power of two from minBufferLength up that holds `requested`
      let size = this.minBufferLength;
      while (size < requested) size *= 2;
      let over = false;
      for (let x: Budget | undefined = b; x; x = x.outer) {
        x.left -= size - this.buffer.byteLength;
        if (x.left < 0) over = x.exceeded = true;
      }
      if (over) throw new DecodeBudgetExceeded('the decoded streams exceed the bound');
    }
    return original.call(this, requested);
  };
  installed = true;
}

/**
 * Runs `f` with at most `maxBytes` decoded from PDF streams in all. Beyond them the decoding throws, whether or
 * not `f` (or pdf-lib) catches that: the answer is then `{ ok: false }`.
 */
export async function withDecodeBudget<T>(maxBytes: number, f: () => Promise<T>): Promise<{ ok: true; value: T } | { ok: false }> {
  install();
  const b: Budget = { left: maxBytes, exceeded: false, outer: budgets.getStore() };
  try {
    const value = await budgets.run(b, f);
    return b.exceeded ? { ok: false } : { ok: true, value };
  } catch (e) {
    if (b.exceeded) return { ok: false };
    throw e;
  }
}

/** Runs `f`, which reads a PDF of `size` bytes, within decodeBoundFor(size); beyond it throws CompressionBombError. */
export async function boundedDecode<T>(size: number, f: () => Promise<T>): Promise<T> {
  const bound = decodeBoundFor(size);
  const run = await withDecodeBudget(bound, f);
  if (!run.ok) throw new CompressionBombError(bound);
  return run.value;
}

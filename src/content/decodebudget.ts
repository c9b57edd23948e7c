// A bound on what pdf-lib decodes (the stream filters of ISO 32000-1 §7.4: FlateDecode, LZWDecode, RunLengthDecode,
// ASCII85Decode, ASCIIHexDecode) while one check runs, so a "PDF bomb" — a few kilobytes that inflate to gigabytes,
// in an attachment, an object stream (§7.5.7) or the DSS — stops at the bound instead of taking the process's
// memory and time. pdf-lib decodes every filter with one class (DecodeStream, a port of pdf.js's) whose buffer
// grows through ensureBuffer; inside withDecodeBudget that growth is counted, across every stream the check
// decodes, and refused beyond the bound. Outside withDecodeBudget nothing changes.
import { AsyncLocalStorage } from 'node:async_hooks';
import { decodePDFRawStream, PDFContext, PDFRawStream } from '@cantoo/pdf-lib';

interface Budget {
  left: number;
  exceeded: boolean;
}

class DecodeBudgetExceeded extends Error {
  override name = 'DecodeBudgetExceeded';
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
      b.left -= size - this.buffer.byteLength;
      if (b.left < 0) {
        b.exceeded = true;
        throw new DecodeBudgetExceeded('the decoded streams exceed the bound');
      }
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
  const b: Budget = { left: maxBytes, exceeded: false };
  try {
    const value = await budgets.run(b, f);
    return b.exceeded ? { ok: false } : { ok: true, value };
  } catch (e) {
    if (b.exceeded) return { ok: false };
    throw e;
  }
}

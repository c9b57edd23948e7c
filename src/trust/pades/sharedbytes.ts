// @cantoo/pdf-lib copies every stream's bytes twice on the way from one PDF into another: its parser slices each
// stream out of the file (ByteStream.slice is Uint8Array.prototype.slice, a copy) and copyPages clones each stream
// (PDFRawStream.clone copies the contents again). For a 50 MB original that was 100 MB more held while a package was
// composed, and parsing the composed package for its PAdES updates (field.ts IncrementalPdf.open) copied it all again.
//
// segl never writes into the bytes of a PDF it has handed to pdf-lib, nor into a stream's contents (pdf-lib itself
// replaces contents, updateContents, rather than writing into them), so the parser's streams are views of the file
// and a cloned raw stream shares its contents. What a view costs: the whole file stays alive while any of its
// streams does, which is the case anyway while a document made from it is written.
//
// Loaded for its effect by every module here that parses or copies PDFs with pdf-lib (field.ts, packaging's
// compose.ts); the change is process-wide, as pdf-lib has no option for it. sharedBytesInstalled says whether it
// took (a later pdf-lib may rename what is patched: then nothing is patched and the copies are made as before).
import { PDFContext, PDFObjectParser, PDFRawStream } from '@cantoo/pdf-lib';

interface ByteStreamLike {
  bytes: Uint8Array;
  slice(start: number, end: number): Uint8Array;
}

function install(): boolean {
  // pdf-lib does not export ByteStream: its prototype is reached through a parser's (protected) byte stream.
  const probe = PDFObjectParser.forBytes(new Uint8Array(0), PDFContext.create()) as unknown as { bytes?: ByteStreamLike };
  const proto = probe.bytes && (Object.getPrototypeOf(probe.bytes) as Partial<ByteStreamLike> | null);
  if (!proto || typeof proto.slice !== 'function' || typeof PDFRawStream.prototype.clone !== 'function') return false;
  proto.slice = function slice(this: ByteStreamLike, start: number, end: number): Uint8Array {
    return this.bytes.subarray(start, end);
  };
  PDFRawStream.prototype.clone = function clone(this: PDFRawStream, context?: PDFContext): PDFRawStream {
    return PDFRawStream.of(this.dict.clone(context), this.contents);
  };
  return true;
}

export const sharedBytesInstalled = install();

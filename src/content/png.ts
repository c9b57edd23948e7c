// What a PNG is (ISO/IEC 15948, PNG 2nd ed.): the 8-byte signature (§5.2), chunks of length, type, data and
// CRC (§5.3), IHDR first (§11.2.2: width, height, bit depth, colour type, compression, filter, interlace) and
// IEND last. Read by the portal when a signer's drawing arrives (portal/ink.ts) and by packaging when the
// drawing is read back from a sealed LTV-SDO (packaging/sdo.ts). CRCs are not checked: a damaged chunk shows
// in the image data's decoding instead.
import { inflateSync } from 'node:zlib';

const PNG_SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
/** channels per colour type (§11.2.2 Table 11.1) */
const CHANNELS: Record<number, number> = { 0: 1, 2: 3, 3: 1, 4: 2, 6: 4 };

/** The width and height IHDR states, when `png` starts with the signature and an IHDR chunk (nothing else checked). */
export function pngHeader(png: Uint8Array): { width: number; height: number } | undefined {
  const head = Buffer.from(png.buffer, png.byteOffset, Math.min(png.length, 24));
  if (head.length < 24 || !head.subarray(0, 8).equals(PNG_SIGNATURE) || head.toString('latin1', 12, 16) !== 'IHDR') return undefined;
  return { width: head.readUInt32BE(16), height: head.readUInt32BE(20) };
}

/**
 * The PNG's dimensions when it is one and neither side is over `maxSide`: signature, IHDR first, IDAT decoding
 * to exactly its rows (bounded: inflating stops at the size the dimensions allow), IEND last.
 */
export function pngSize(png: Buffer, maxSide: number): { width: number; height: number } | undefined {
  if (png.length < 57 || !pngHeader(png)) return undefined;
  let at = 8;
  let ihdr: Buffer | undefined;
  const idat: Buffer[] = [];
  let ended = false;
  while (at + 12 <= png.length && !ended) {
    const len = png.readUInt32BE(at);
    const type = png.toString('latin1', at + 4, at + 8);
    if (at + 12 + len > png.length) return undefined;
    const data = png.subarray(at + 8, at + 8 + len);
    if (type === 'IHDR') ihdr = data;
    else if (type === 'IDAT') idat.push(data);
    else if (type === 'IEND') ended = true;
    at += 12 + len;
  }
  if (!ended || at !== png.length || !ihdr || ihdr.length !== 13 || !idat.length) return undefined;
  const width = ihdr.readUInt32BE(0);
  const height = ihdr.readUInt32BE(4);
  const [depth, colour, , , interlace] = [ihdr[8]!, ihdr[9]!, ihdr[10], ihdr[11], ihdr[12]];
  const channels = CHANNELS[colour];
  if (!width || !height || width > maxSide || height > maxSide || !channels || interlace !== 0) return undefined;
  if (![1, 2, 4, 8, 16].includes(depth)) return undefined;
  const rowBytes = 1 + Math.ceil((width * channels * depth) / 8);
  try {
    const rows = inflateSync(Buffer.concat(idat), { maxOutputLength: rowBytes * height + 1 });
    return rows.length === rowBytes * height ? { width, height } : undefined;
  } catch {
    return undefined;
  }
}

// Test drawings for InkSign (src/portal/ink.ts): a real PNG of a given size (8-bit greyscale, one IDAT) built
// with zlib, and strokes as the pad's script sends them; and the reading back of what an outside tool extracts
// (a PNG's samples with its filters undone, a PNM as pdfimages writes one), to compare pixels.
import { deflateSync, inflateSync } from 'node:zlib';

const CRC_TABLE = Array.from({ length: 256 }, (_, n) => {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c >>> 0;
});
const crc32 = (b: Buffer) => {
  let c = 0xffffffff;
  for (const x of b) c = CRC_TABLE[(c ^ x) & 0xff]! ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
};
const chunk = (type: string, data: Buffer) => {
  const len = Buffer.alloc(4);
  len.writeUInt32BE(data.length);
  const body = Buffer.concat([Buffer.from(type, 'latin1'), data]);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(body));
  return Buffer.concat([len, body, crc]);
};

/** A greyscale PNG `width`×`height` with a diagonal line; `rows` overrides the image data's row count (a lying PNG). */
export function testPng(width: number, height: number, rows = height): Buffer {
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(height, 4);
  ihdr[8] = 8;
  ihdr[9] = 0;
  const raw = Buffer.alloc(rows * (width + 1), 0xff);
  for (let y = 0; y < rows; y++) {
    raw[y * (width + 1)] = 0;
    const x = Math.floor((y / rows) * width);
    raw[y * (width + 1) + 1 + x] = 0;
  }
  const sig = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
  return Buffer.concat([sig, chunk('IHDR', ihdr), chunk('IDAT', deflateSync(raw)), chunk('IEND', Buffer.alloc(0))]);
}

/** `n` strokes of `per` points each, as the pad posts them ([x, y, t, pressure]). */
export function testStrokes(n: number, per: number, pointerType = 'touch'): Array<{ pointerType: string; points: number[][] }> {
  return Array.from({ length: n }, (_, i) => ({
    pointerType,
    points: Array.from({ length: per }, (_, j) => [(j + 1) / (per + 1), (i + 1) / (n + 1), i * 1000 + j * 16, 0.4 + (j % 5) / 10]),
  }));
}

/** PNG §9.4: the Paeth predictor. */
export function paeth(a: number, b: number, c: number): number {
  const p = a + b - c;
  return Math.abs(p - a) <= Math.abs(p - b) && Math.abs(p - a) <= Math.abs(p - c) ? a : Math.abs(p - b) <= Math.abs(p - c) ? b : c;
}

/** An 8-bit PNG's samples without interlace, greyscale (colour type 0) or RGBA (6), its PNG §9 filters undone. */
export function pngSamples(png: Buffer): { width: number; height: number; channels: number; samples: Buffer } {
  const width = png.readUInt32BE(16);
  const height = png.readUInt32BE(20);
  const [depth, colourType, interlace] = [png[24], png[25], png[28]];
  const channels = colourType === 0 ? 1 : colourType === 6 ? 4 : 0;
  if (depth !== 8 || !channels || interlace !== 0) throw new Error(`not an 8-bit greyscale or RGBA PNG without interlace`);
  const idat: Buffer[] = [];
  for (let at = 8; at < png.length; at += 12 + png.readUInt32BE(at))
    if (png.toString('latin1', at + 4, at + 8) === 'IDAT') idat.push(png.subarray(at + 8, at + 8 + png.readUInt32BE(at)));
  const data = inflateSync(Buffer.concat(idat));
  const stride = width * channels;
  const samples = Buffer.alloc(height * stride);
  let prior = Buffer.alloc(stride);
  for (let y = 0; y < height; y++) {
    const kind = data[y * (stride + 1)]!;
    const row = Buffer.from(data.subarray(y * (stride + 1) + 1, (y + 1) * (stride + 1)));
    for (let i = 0; i < stride; i++) {
      const [a, b, c] = [i >= channels ? row[i - channels]! : 0, prior[i]!, i >= channels ? prior[i - channels]! : 0];
      row[i] = (row[i]! + [0, a, b, (a + b) >> 1, paeth(a, b, c)][kind]!) & 0xff;
    }
    row.copy(samples, y * stride);
    prior = row;
  }
  return { width, height, channels, samples };
}

/** A binary PPM (P6) or PGM (P5), maxval 255, as pdfimages writes an image. */
export function pnm(bytes: Buffer): { kind: string; width: number; height: number; samples: Buffer } {
  const m = /^(P[56])\s+(\d+)\s+(\d+)\s+255\s/.exec(bytes.toString('latin1', 0, 40));
  if (!m) throw new Error('not a binary PPM or PGM of maxval 255');
  return { kind: m[1]!, width: Number(m[2]), height: Number(m[3]), samples: bytes.subarray(m[0].length) };
}

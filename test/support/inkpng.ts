// Test drawings for InkSign (src/portal/ink.ts): a real PNG of a given size (8-bit greyscale, one IDAT) built
// with zlib, and strokes as the pad's script sends them.
import { deflateSync } from 'node:zlib';

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

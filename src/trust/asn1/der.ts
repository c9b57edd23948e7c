// A small, strict DER reader and writer (X.690 §8, §10) for the hot paths of OCSP and time-stamping,
// where asn1js/pkijs spend most of their time building schema objects that are read once. Only what
// those structures use: low tag numbers (< 31), definite lengths. The reader checks every length
// against its enclosing value and refuses anything else (indefinite lengths, high tag numbers,
// non-minimal lengths, trailing bytes), so a value it returns always lies inside the input; the value
// readers refuse what DER forbids for their type (each check cites its X.690 clause). BIT STRING is not
// read here (callers take its contents whole). Tests: test/unit/trust-der.test.ts.

export class DerError extends Error {
  override name = 'DerError';
}

/** Tag octets (X.690 §8.1.2) used by OCSP and RFC 3161. */
export const TAG = {
  boolean: 0x01,
  integer: 0x02,
  bitString: 0x03,
  octetString: 0x04,
  null: 0x05,
  oid: 0x06,
  enumerated: 0x0a,
  utf8String: 0x0c,
  generalizedTime: 0x18,
  sequence: 0x30,
  set: 0x31,
} as const;

/** One TLV inside `buf`: its tag octet, and where its contents start and end. */
export interface Tlv {
  tag: number;
  /** offset of the tag octet */
  start: number;
  /** offset of the first content octet */
  body: number;
  /** offset after the last content octet */
  end: number;
  buf: Uint8Array;
}

/** Reads the TLV at `off`, which must end at or before `limit`. */
export function readTlv(buf: Uint8Array, off: number, limit = buf.length): Tlv {
  if (off + 2 > limit) throw new DerError('truncated DER');
  const tag = buf[off]!;
  if ((tag & 0x1f) === 0x1f) throw new DerError('high tag numbers are not supported');
  let len = buf[off + 1]!;
  let body = off + 2;
  if (len & 0x80) {
    const n = len & 0x7f;
    if (n === 0) throw new DerError('indefinite length is not DER');
    if (n > 4 || body + n > limit) throw new DerError('bad DER length');
    // X.690 §10.1: the length in the minimum number of octets, so no leading zero octet ...
    if (buf[body] === 0) throw new DerError('DER length has a leading zero octet');
    len = 0;
    for (let i = 0; i < n; i++) len = len * 256 + buf[body + i]!;
    body += n;
    // ... and the long form (§8.1.3.5) only for lengths of 128 and more (§8.1.3.4 short form otherwise).
    if (len < 0x80) throw new DerError('DER length below 128 in the long form');
  }
  const end = body + len;
  if (end > limit) throw new DerError('DER value runs past its container');
  return { tag, start: off, body, end, buf };
}

/** Parses exactly one TLV filling the whole input. */
export function readDer(buf: Uint8Array): Tlv {
  const t = readTlv(buf, 0);
  if (t.end !== buf.length) throw new DerError('trailing bytes after the DER value');
  return t;
}

/** The TLVs inside a constructed value, in order. */
export function childrenOf(t: Tlv): Tlv[] {
  if (!(t.tag & 0x20)) throw new DerError('not a constructed value');
  const out: Tlv[] = [];
  for (let off = t.body; off < t.end;) {
    const c = readTlv(t.buf, off, t.end);
    out.push(c);
    off = c.end;
  }
  return out;
}

/** The contents octets. */
export function contentOf(t: Tlv): Uint8Array {
  return t.buf.subarray(t.body, t.end);
}

/** The whole encoding (tag, length and contents). */
export function encodingOf(t: Tlv): Uint8Array {
  return t.buf.subarray(t.start, t.end);
}

/** Checks the tag and returns the TLV; `what` names it in the error. */
export function expectTag(t: Tlv | undefined, tag: number, what: string): Tlv {
  if (!t || t.tag !== tag) throw new DerError(`${what}: expected tag 0x${tag.toString(16)}`);
  return t;
}

/** OBJECT IDENTIFIER contents (X.690 §8.19) as dotted decimal. */
export function oidOf(t: Tlv): string {
  const b = contentOf(expectTag(t, TAG.oid, 'OBJECT IDENTIFIER'));
  if (!b.length) throw new DerError('empty OBJECT IDENTIFIER');
  const arcs: number[] = [];
  let v = 0;
  for (let i = 0; i < b.length; i++) {
    // X.690 §8.19.2: a subidentifier in the fewest octets, so its leading octet is never 0x80.
    if (b[i] === 0x80 && (i === 0 || !(b[i - 1]! & 0x80))) throw new DerError('OBJECT IDENTIFIER subidentifier starts with 0x80');
    v = v * 128 + (b[i]! & 0x7f);
    if (v > Number.MAX_SAFE_INTEGER) throw new DerError('OBJECT IDENTIFIER arc exceeds the safe integer range');
    if (!(b[i]! & 0x80)) {
      if (!arcs.length) arcs.push(v < 80 ? Math.floor(v / 40) : 2, v < 80 ? v % 40 : v - 80);
      else arcs.push(v);
      v = 0;
    } else if (i === b.length - 1) {
      throw new DerError('truncated OBJECT IDENTIFIER');
    }
  }
  return arcs.join('.');
}

/**
 * GeneralizedTime (X.690 §11.7, RFC 5280 §4.1.2.5.2): YYYYMMDDHHMMSS[.f…]Z, UTC only. §11.7.1: ends in Z;
 * §11.7.2: seconds present; §11.7.3: a fraction drops its trailing zeros and, when empty, its point (so no
 * '.Z' and no '.0Z'); §11.7.4: '.' as the decimal mark. Fields out of range (month 00 or 13, day 32, hour 24,
 * second 60) are refused, not rolled over.
 */
export function timeOf(t: Tlv): Date {
  const s = Buffer.from(contentOf(expectTag(t, TAG.generalizedTime, 'GeneralizedTime'))).toString('latin1');
  const m = /^(\d{4})(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})(?:\.(\d{0,8}[1-9]))?Z$/.exec(s);
  if (!m) throw new DerError(`unsupported GeneralizedTime ${JSON.stringify(s)}`);
  const [y, mo, day, h, mi, sec] = m.slice(1, 7).map(Number) as [number, number, number, number, number, number];
  const ms = m[7] ? Math.floor(Number(`0.${m[7]}`) * 1000) : 0;
  const d = new Date(0);
  d.setUTCFullYear(y, mo - 1, day); // not Date.UTC, which maps years 0-99 to 1900-1999
  d.setUTCHours(h, mi, sec, ms);
  if (
    Number.isNaN(d.getTime()) ||
    mo < 1 ||
    mo > 12 ||
    d.getUTCMonth() !== mo - 1 ||
    d.getUTCDate() !== day ||
    h > 23 ||
    d.getUTCHours() !== h ||
    mi > 59 ||
    sec > 59
  ) {
    throw new DerError(`invalid GeneralizedTime ${s}`);
  }
  return d;
}

/** BOOLEAN (X.690 §8.2): one contents octet; DER (§11.1) allows only 00 (FALSE) and FF (TRUE). */
export function booleanOf(t: Tlv): boolean {
  const b = contentOf(expectTag(t, TAG.boolean, 'BOOLEAN'));
  if (b.length !== 1 || (b[0] !== 0 && b[0] !== 0xff)) throw new DerError('BOOLEAN is not DER (one octet, 00 or FF)');
  return b[0] === 0xff;
}

/** ENUMERATED or small INTEGER value. */
export function smallIntOf(t: Tlv): number {
  const b = contentOf(t);
  if (!b.length || b.length > 4) throw new DerError('bad small integer');
  // X.690 §8.3.2 (and §8.4 for ENUMERATED): the first nine bits are neither all zero nor all one.
  if (b.length > 1 && ((b[0] === 0 && !(b[1]! & 0x80)) || (b[0] === 0xff && b[1]! & 0x80))) {
    throw new DerError('INTEGER is not minimally encoded');
  }
  let v = b[0]! & 0x80 ? -1 : 0;
  for (const x of b) v = v * 256 + x;
  return v;
}

// ---------------------------------------------------------------------------------------------
// Writing

function lengthOctets(n: number): number[] {
  if (n < 0x80) return [n];
  const out: number[] = [];
  for (let v = n; v > 0; v = Math.floor(v / 256)) out.unshift(v & 0xff);
  return [0x80 | out.length, ...out];
}

/** One TLV from a tag and the contents (already-encoded children, concatenated). */
export function tlv(tag: number, ...contents: Uint8Array[]): Uint8Array {
  const body = contents.length === 1 ? contents[0]! : Buffer.concat(contents);
  const head = [tag, ...lengthOctets(body.length)];
  const out = new Uint8Array(head.length + body.length);
  out.set(head, 0);
  out.set(body, head.length);
  return out;
}

/** OBJECT IDENTIFIER from dotted decimal. */
export function oid(dotted: string): Uint8Array {
  const arcs = dotted.split('.').map(Number);
  const out: number[] = [];
  const push = (v: number) => {
    const bytes = [v & 0x7f];
    for (let x = Math.floor(v / 128); x > 0; x = Math.floor(x / 128)) bytes.unshift(0x80 | (x & 0x7f));
    out.push(...bytes);
  };
  push(arcs[0]! * 40 + arcs[1]!);
  for (const a of arcs.slice(2)) push(a);
  return tlv(TAG.oid, Uint8Array.from(out));
}

/** A non-negative INTEGER from its unsigned big-endian magnitude (leading zeros dropped, 00 added when the top bit is set). */
export function unsignedInteger(magnitude: Uint8Array): Uint8Array {
  let i = 0;
  while (i < magnitude.length - 1 && magnitude[i] === 0) i++;
  const m = magnitude.subarray(i);
  return tlv(TAG.integer, m.length && m[0]! & 0x80 ? Buffer.concat([Buffer.of(0), m]) : m.length ? m : Uint8Array.of(0));
}

/** GeneralizedTime in whole seconds, UTC (the form NSS and openssl accept). */
export function generalizedTime(d: Date): Uint8Array {
  const s = d
    .toISOString()
    .replace(/\.\d+Z$/, 'Z')
    .replace(/[-:T]/g, '');
  return tlv(TAG.generalizedTime, Buffer.from(s, 'latin1'));
}

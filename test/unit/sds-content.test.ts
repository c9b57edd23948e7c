// Unit tests of src/content/: media types, the PDF structure check on hand-written PDFs, streaming charset
// validation, the XML gate. The qpdf-made copies (encrypted, xref-stream, linearized) are in
// test/interop/sds-content-qpdf.test.ts.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { checkContent, isSupported, parseMediaType, SUPPORTED_TYPES } from '../../src/content/check';
import type { ContentProblem } from '../../src/content/problem';
import { checkPdfFile } from '../../src/content/pdf';
import { checkTextFile, checkXmlFile, TextValidator } from '../../src/content/text';
import { appendUpdate, writePdf } from '../support/handpdf';

let dir: string;
const file = (name: string): string => path.join(dir, name);

beforeAll(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'segl-sds-content-'));
});
afterAll(() => {
  fs.rmSync(dir, { recursive: true, force: true });
});

const code = (p: ContentProblem | null): string | null => (p ? p.code : null);

describe('checkPdfFile', () => {
  beforeAll(() => {
    writePdf(file('in.pdf'));
  });

  test('the hand-written minimal PDF is accepted', async () => {
    expect(await checkPdfFile(file('in.pdf'))).toBeNull();
  });

  test('the first half of a PDF is refused as truncated or corrupt', async () => {
    const whole = fs.readFileSync(file('in.pdf'));
    fs.writeFileSync(file('half.pdf'), whole.subarray(0, whole.length >> 1));
    expect(['truncated', 'corrupt']).toContain(code(await checkPdfFile(file('half.pdf'))));
  });

  test('a text file named .pdf is refused as not-pdf', async () => {
    fs.writeFileSync(file('notes.pdf'), 'Meeting notes\nnothing to sign here\n'.repeat(10));
    const p = await checkPdfFile(file('notes.pdf'));
    expect(p?.code).toBe('not-pdf');
    expect(p?.message).toMatch(/not a PDF/);
  });

  test('an empty file is refused as not-pdf', async () => {
    fs.writeFileSync(file('empty.pdf'), '');
    expect(code(await checkPdfFile(file('empty.pdf')))).toBe('not-pdf');
  });

  test('a startxref pointing past the end of the file is refused as corrupt', async () => {
    writePdf(file('past.pdf'), { startxref: (_x, size) => size + 1000 });
    const p = await checkPdfFile(file('past.pdf'));
    expect(p?.code).toBe('corrupt');
    expect(p?.message).toMatch(/past the end/);
  });

  test('a startxref pointing at something other than an xref section is refused as corrupt', async () => {
    writePdf(file('off-by.pdf'), { startxref: (x) => x + 7 });
    expect(code(await checkPdfFile(file('off-by.pdf')))).toBe('corrupt');
    writePdf(file('at-object.pdf'), { startxref: () => 15 }); // `1 0 obj` of the catalog: not /Type /XRef
    expect(code(await checkPdfFile(file('at-object.pdf')))).toBe('corrupt');
  });

  test('a missing startxref is refused as corrupt', async () => {
    writePdf(file('no-sx.pdf'));
    fs.writeFileSync(file('no-sx.pdf'), fs.readFileSync(file('no-sx.pdf'), 'latin1').replace('startxref', 'startxrel'), 'latin1');
    expect(code(await checkPdfFile(file('no-sx.pdf')))).toBe('corrupt');
  });

  test('a cross-reference subsection running past the end of the file is refused as corrupt', async () => {
    writePdf(file('big-count.pdf'));
    fs.writeFileSync(
      file('big-count.pdf'),
      fs.readFileSync(file('big-count.pdf'), 'latin1').replace('xref\n0 6\n', 'xref\n0 999999\n'),
      'latin1',
    );
    expect(code(await checkPdfFile(file('big-count.pdf')))).toBe('corrupt');
  });

  test('a trailer without /Root is refused as corrupt', async () => {
    writePdf(file('no-root.pdf'));
    fs.writeFileSync(file('no-root.pdf'), fs.readFileSync(file('no-root.pdf'), 'latin1').replace('/Root 1 0 R', '/Info 1 0 R'), 'latin1');
    const p = await checkPdfFile(file('no-root.pdf'));
    expect(p?.code).toBe('corrupt');
    expect(p?.message).toMatch(/Root/);
  });

  test('%%EOF must be within the last 1024 bytes; a little garbage after it is tolerated', async () => {
    writePdf(file('garbage-small.pdf'), { after: 'x'.repeat(500) });
    expect(await checkPdfFile(file('garbage-small.pdf'))).toBeNull();
    writePdf(file('garbage-big.pdf'), { after: 'x'.repeat(2000) });
    expect(code(await checkPdfFile(file('garbage-big.pdf')))).toBe('truncated');
  });

  test('the header may follow junk within the first 1024 bytes, not later', async () => {
    writePdf(file('junk-head.pdf'), { prefix: 'J'.repeat(200) + '\n' });
    expect(await checkPdfFile(file('junk-head.pdf'))).toBeNull();
    writePdf(file('junk-far.pdf'), { prefix: 'J'.repeat(1100) + '\n' });
    expect(code(await checkPdfFile(file('junk-far.pdf')))).toBe('not-pdf');
  });

  test('header versions: 1.0 to 1.7 and 2.0 are PDF, 3.0 is not', async () => {
    writePdf(file('v20.pdf'), { version: '2.0' });
    expect(await checkPdfFile(file('v20.pdf'))).toBeNull();
    writePdf(file('v14.pdf'), { version: '1.4' });
    expect(await checkPdfFile(file('v14.pdf'))).toBeNull();
    writePdf(file('v30.pdf'), { version: '3.0' });
    expect(code(await checkPdfFile(file('v30.pdf')))).toBe('not-pdf');
  });

  test('xref entries with a CR LF end of line, and the tolerated 19-byte form, are stepped over', async () => {
    writePdf(file('crlf.pdf'), { entryEol: '\r\n' });
    expect(await checkPdfFile(file('crlf.pdf'))).toBeNull();
    writePdf(file('lf19.pdf'), { entryEol: '\n' });
    expect(await checkPdfFile(file('lf19.pdf'))).toBeNull();
    // The same table with /Encrypt proves the walk reaches the trailer for both entry sizes.
    writePdf(file('lf19-enc.pdf'), { entryEol: '\n', trailer: ' /Encrypt 1 0 R' });
    expect(code(await checkPdfFile(file('lf19-enc.pdf')))).toBe('encrypted');
  });

  test('an incremental update (two subsections, /Prev) is accepted; /Encrypt in its trailer is refused', async () => {
    const { xref } = writePdf(file('upd.pdf'));
    appendUpdate(file('upd.pdf'), xref);
    expect(await checkPdfFile(file('upd.pdf'))).toBeNull();
    const second = writePdf(file('upd-enc.pdf'));
    appendUpdate(file('upd-enc.pdf'), second.xref, ' /Encrypt 1 0 R');
    expect(code(await checkPdfFile(file('upd-enc.pdf')))).toBe('encrypted');
  });

  test('/Encrypt only counts as a top-level trailer key (not in a string or nested dictionary), #-escapes decoded', async () => {
    writePdf(file('enc-in-string.pdf'), {
      trailer: ' /Note (a \\) /Encrypt 6 0 R (nested)) /X << /Encrypt 6 0 R >> /H <2F456E6372797074>',
    });
    expect(await checkPdfFile(file('enc-in-string.pdf'))).toBeNull();
    writePdf(file('enc-escaped.pdf'), { trailer: ' /Encr#79pt 6 0 R' });
    expect(code(await checkPdfFile(file('enc-escaped.pdf')))).toBe('encrypted');
  });

  test('a trailer dictionary that never closes is refused as corrupt', async () => {
    writePdf(file('open-dict.pdf'));
    fs.writeFileSync(
      file('open-dict.pdf'),
      fs.readFileSync(file('open-dict.pdf'), 'latin1').replace('/Root 1 0 R >>', '/Root 1 0 R /A [ 1 2'),
      'latin1',
    );
    expect(code(await checkPdfFile(file('open-dict.pdf')))).toBe('corrupt');
  });

  test('a 60 MB PDF is checked quickly without reading it into memory', async () => {
    const big = file('big.pdf');
    const { size } = writePdf(big, { padding: 60 * 1024 * 1024 });
    expect(size).toBeGreaterThan(60 * 1024 * 1024);
    await checkPdfFile(file('in.pdf')); // warm up
    const before = process.memoryUsage.rss();
    let peak = before;
    const sampler = setInterval(() => {
      peak = Math.max(peak, process.memoryUsage.rss());
    }, 1);
    const t0 = process.hrtime.bigint();
    let got: ContentProblem | null | undefined;
    try {
      got = await checkPdfFile(big);
    } finally {
      clearInterval(sampler);
    }
    const ms = Number(process.hrtime.bigint() - t0) / 1e6;
    peak = Math.max(peak, process.memoryUsage.rss());
    expect(got).toBeNull();
    expect(ms).toBeLessThan(500);
    expect(peak - before).toBeLessThan(20 * 1024 * 1024);
    // And its truncated first half is refused the same way.
    fs.truncateSync(big, size >> 1);
    expect(code(await checkPdfFile(big))).toBe('truncated');
    fs.rmSync(big);
  });

  test('a missing file is an error, not a content problem', async () => {
    await expect(checkPdfFile(file('does-not-exist.pdf'))).rejects.toThrow(/ENOENT/);
  });
});

// ---------------------------------------------------------------------------------------------
// Text
// ---------------------------------------------------------------------------------------------

const validate = (charset: string | undefined, ...chunks: (Buffer | number[] | string)[]): ContentProblem | null => {
  const v = new TextValidator(charset);
  for (const c of chunks) {
    const b = Buffer.isBuffer(c) ? c : typeof c === 'string' ? Buffer.from(c, 'utf8') : Buffer.from(c);
    if (v.push(b)) return v.problem;
  }
  return v.end();
};

describe('TextValidator', () => {
  const sample = Buffer.from('Grüße, 世界! 😀 €100 — signed', 'utf8');

  test('valid UTF-8 split at every position, also inside multi-byte characters, passes', () => {
    for (let cut = 0; cut <= sample.length; cut++) {
      expect(validate('utf-8', sample.subarray(0, cut), sample.subarray(cut))).toBeNull();
    }
    expect(validate('utf-8', ...[...sample].map((b) => [b]))).toBeNull();
  });

  test('no charset means UTF-8', () => {
    expect(validate(undefined, sample)).toBeNull();
    expect(validate(undefined, [0x61, 0xff])?.code).toBe('bad-text');
  });

  test('invalid UTF-8 fails with the offset of the first invalid sequence', () => {
    expect(validate('utf-8', 'abc', [0xe2, 0x28, 0xa1])).toMatchObject({ code: 'bad-text', offset: 3 });
    // The lead byte is in the previous chunk, the bad continuation in the next.
    expect(validate('utf-8', 'hello ', [0xe2, 0x82], [0x41, 0x42])).toMatchObject({ code: 'bad-text', offset: 6 });
    // Deep inside a later chunk.
    expect(validate('utf-8', 'a'.repeat(100), 'xx€', [0xc0, 0xaf])).toMatchObject({ offset: 105 });
    // Surrogates encoded in UTF-8, and code points past U+10FFFF.
    expect(validate('utf-8', 'ab', [0xed, 0xa0, 0x80])).toMatchObject({ offset: 2 });
    expect(validate('utf-8', 'ab', [0xf4, 0x90, 0x80, 0x80])).toMatchObject({ offset: 2 });
    // A sequence cut short by the end of the text.
    expect(validate('utf-8', 'ab', [0xe2, 0x82])).toMatchObject({ code: 'bad-text', offset: 2 });
    const p = validate('utf-8', 'abc', [0xff]);
    expect(p?.message).toMatch(/not valid UTF-8 at byte 3/);
  });

  test('after a problem, further chunks return the same problem', () => {
    const v = new TextValidator('utf-8');
    const first = v.push(Buffer.from([0x41, 0xff]));
    expect(first?.offset).toBe(1);
    expect(v.push(Buffer.from('fine'))).toBe(first);
    expect(v.end()).toBe(first);
  });

  test('latin1 / iso-8859-1 and windows-1252 accept every byte', () => {
    const all = Buffer.from(Array.from({ length: 256 }, (_, i) => i));
    for (const cs of ['iso-8859-1', 'latin1', 'ISO_8859-1', 'windows-1252', 'cp1252']) {
      expect(validate(cs, all, all)).toBeNull();
    }
  });

  test('us-ascii must be 7-bit', () => {
    expect(validate('us-ascii', 'plain ', 'ascii\r\n\t~')).toBeNull();
    expect(validate('us-ascii', 'abc', [0x64, 0x80])).toMatchObject({ code: 'bad-text', offset: 4 });
    expect(validate('ascii', Buffer.from('café', 'latin1'))).toMatchObject({ code: 'bad-text', offset: 3 });
  });

  test('utf-16 with a byte order mark passes in either byte order, split anywhere', () => {
    const text = 'Grüße 😀 signed';
    const le = Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(text, 'utf16le')]);
    const be = Buffer.from(le);
    be.swap16();
    expect(be.subarray(0, 2)).toEqual(Buffer.from([0xfe, 0xff]));
    for (const b of [le, be]) {
      for (let cut = 0; cut <= b.length; cut++) expect(validate('utf-16', b.subarray(0, cut), b.subarray(cut))).toBeNull();
    }
    expect(validate('utf-16le', Buffer.from(text, 'utf16le'))).toBeNull();
    const plainBe = Buffer.from(text, 'utf16le');
    plainBe.swap16();
    expect(validate('utf-16be', plainBe)).toBeNull();
  });

  test('utf-16 without a byte order mark is refused as ambiguous', () => {
    expect(validate('utf-16', Buffer.from('hi', 'utf16le'))).toMatchObject({ code: 'bad-text', offset: 0 });
    expect(validate('utf-16', [0x41])?.code).toBe('bad-text');
    expect(validate('utf-16')).toBeNull(); // empty text
  });

  test('invalid UTF-16: unpaired surrogates and an odd byte count', () => {
    // 'A', a lone high surrogate, 'A'
    expect(validate('utf-16le', [0x41, 0x00, 0x00, 0xd8], [0x41, 0x00])).toMatchObject({ code: 'bad-text', offset: 2 });
    // A lone low surrogate after a BOM.
    expect(validate('utf-16', [0xfe, 0xff, 0x00, 0x41, 0xdc, 0x00])).toMatchObject({ offset: 4 });
    // Odd length and a high surrogate at the very end.
    expect(validate('utf-16le', [0x41, 0x00, 0x42])).toMatchObject({ offset: 2 });
    expect(validate('utf-16be', [0x00, 0x41], [0xd8, 0x3d])).toMatchObject({ offset: 2 });
  });

  test('an unknown charset is unsupported-charset', () => {
    const v = new TextValidator('koi8-r');
    expect(v.problem?.code).toBe('unsupported-charset');
    expect(v.push(Buffer.from('x'))?.code).toBe('unsupported-charset');
    expect(v.end()?.message).toMatch(/koi8-r/);
  });

  test('checkTextFile streams a file and reports the absolute offset past the first chunk', async () => {
    const body = Buffer.concat([Buffer.from('ä'.repeat(40_000), 'utf8'), Buffer.from([0xc3, 0x28]), Buffer.from('tail')]);
    fs.writeFileSync(file('bad.txt'), body);
    expect(await checkTextFile(file('bad.txt'), 'utf-8')).toMatchObject({ code: 'bad-text', offset: 80_000 });
    fs.writeFileSync(file('good.txt'), Buffer.from('ä'.repeat(40_000), 'utf8'));
    expect(await checkTextFile(file('good.txt'))).toBeNull();
    expect((await checkTextFile(file('good.txt'), 'x-unknown'))?.code).toBe('unsupported-charset');
  });
});

// ---------------------------------------------------------------------------------------------
// Media types
// ---------------------------------------------------------------------------------------------

describe('parseMediaType', () => {
  test.each([
    ['Text/Plain; Charset="UTF-8"', { type: 'text/plain', charset: 'utf-8' }],
    ['application/pdf', { type: 'application/pdf' }],
    ['APPLICATION/PDF', { type: 'application/pdf' }],
    ['text/plain;charset=ISO-8859-1', { type: 'text/plain', charset: 'iso-8859-1' }],
    ['  text/plain ;\tcharset=us-ascii  ', { type: 'text/plain', charset: 'us-ascii' }],
    ['text/plain; format=flowed; charset="windows-1252"', { type: 'text/plain', charset: 'windows-1252' }],
    ['text/plain; title="a;b \\"c\\""; charset=utf-8', { type: 'text/plain', charset: 'utf-8' }],
    ['text/plain; charset="ut\\f-8"', { type: 'text/plain', charset: 'utf-8' }],
    ['text/plain;', { type: 'text/plain' }],
    ['text/plain;;charset=utf-8', { type: 'text/plain', charset: 'utf-8' }],
    ['application/x-ltv-sdo', { type: 'application/x-ltv-sdo' }],
  ])('%j', (header, expected) => {
    expect(parseMediaType(header)).toStrictEqual(expected);
  });

  test.each([
    undefined,
    '',
    '   ',
    'text',
    'text/',
    '/plain',
    'text /plain',
    'text/plain charset=utf-8',
    'text/plain; charset',
    'text/plain; charset=',
    'text/plain; charset = utf-8',
    'text/plain; charset="utf-8',
    'text/plain; charset=utf-8; charset=latin1',
    'text/plain; charset=ut f-8',
    'te(x)t/plain',
  ])('%j is not a media type', (header) => {
    expect(parseMediaType(header)).toBeNull();
  });
});

describe('SUPPORTED_TYPES / isSupported', () => {
  test('the six SDS types are supported, in any case', () => {
    expect([...SUPPORTED_TYPES].sort()).toEqual([
      'application/pdf',
      'application/x-ltv-sdo',
      'application/x-pades',
      'application/xml',
      'text/plain',
      'text/xml',
    ]);
    for (const t of SUPPORTED_TYPES) expect(isSupported(t)).toBe(true);
    expect(isSupported('Application/PDF')).toBe(true);
  });

  test('application/octet-stream and others are not', () => {
    for (const t of ['application/octet-stream', 'image/png', 'text/html', 'application/pdfx', '']) expect(isSupported(t)).toBe(false);
  });
});

describe('checkContent', () => {
  test('routes by media type', async () => {
    fs.writeFileSync(file('route.txt'), Buffer.from([0x61, 0xff]));
    expect(code(await checkContent(file('route.txt'), { type: 'text/plain' }))).toBe('bad-text');
    expect(await checkContent(file('route.txt'), { type: 'text/plain', charset: 'latin1' })).toBeNull();
    expect(code(await checkContent(file('route.txt'), { type: 'application/x-pades' }))).toBe('not-pdf');
    expect(code(await checkContent(file('route.txt'), { type: 'application/octet-stream' }))).toBe('unsupported-type');
    fs.writeFileSync(file('route.xml'), Buffer.concat([Buffer.from('<r>'), Buffer.from([0xff]), Buffer.from('</r>')]));
    expect(await checkContent(file('route.xml'), { type: 'application/xml' })).toBeNull();
    expect(code(await checkContent(file('route.xml'), { type: 'text/xml', charset: 'utf-8' }))).toBe('bad-text');
    writePdf(file('route.pdf'));
    expect(await checkContent(file('route.pdf'), { type: 'application/pdf' })).toBeNull();
  });
});

// ---------------------------------------------------------------------------------------------
// XML
// ---------------------------------------------------------------------------------------------

describe('checkXmlFile', () => {
  const xml = async (name: string, content: string | Buffer): Promise<ContentProblem | null> => {
    fs.writeFileSync(file(name), content);
    return checkXmlFile(file(name));
  };

  test('an XML declaration, comments and a root element are accepted', async () => {
    expect(await xml('a.xml', '<?xml version="1.0" encoding="UTF-8"?>\n<!-- c --><?pi x?>\n<root a="1"><b/></root>\n')).toBeNull();
    expect(await xml('ws.xml', ' \r\n\t<sdo:root xmlns:sdo="urn:x"/>')).toBeNull();
  });

  test('a UTF-8 byte order mark before <?xml is accepted', async () => {
    expect(await xml('bom.xml', Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from('<?xml version="1.0"?><r/>')]))).toBeNull();
  });

  test('UTF-16 documents are read in their encoding', async () => {
    const doc = '<?xml version="1.0" encoding="UTF-16"?><r/>';
    expect(await xml('u16le.xml', Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(doc, 'utf16le')]))).toBeNull();
    const be = Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(doc, 'utf16le')]);
    be.swap16();
    expect(await xml('u16be.xml', be)).toBeNull();
    const dt = Buffer.concat([
      Buffer.from([0xff, 0xfe]),
      Buffer.from('<?xml version="1.0"?><!DOCTYPE r [<!ENTITY x "y">]><r/>', 'utf16le'),
    ]);
    expect(code(await xml('u16dt.xml', dt))).toBe('bad-xml');
  });

  test('a DOCTYPE is refused (XXE)', async () => {
    const p = await xml('xxe.xml', '<?xml version="1.0"?>\n<!DOCTYPE r [<!ENTITY x SYSTEM "file:///etc/passwd">]>\n<r>&x;</r>');
    expect(p?.code).toBe('bad-xml');
    expect(p?.message).toMatch(/DOCTYPE/);
    expect(code(await xml('xxe-lower.xml', '<!doctype r><r/>'))).toBe('bad-xml');
  });

  test('a DOCTYPE cannot hide behind a prolog longer than 64 KB', async () => {
    const long = `<?xml version="1.0"?>\n<!-- ${'x'.repeat(70_000)} -->\n<!DOCTYPE r [<!ENTITY x SYSTEM "file:///etc/passwd">]><r>&x;</r>`;
    const p = await xml('deep.xml', long);
    expect(p?.code).toBe('bad-xml');
    expect(p?.message).toMatch(/64 KB/);
    // A long document whose root starts early is fine.
    expect(await xml('long-body.xml', `<r>${'<i>x</i>'.repeat(20_000)}</r>`)).toBeNull();
  });

  test('binary, empty and non-XML text are refused', async () => {
    expect(code(await xml('png.xml', Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 0x0d])))).toBe('bad-xml');
    expect(code(await xml('empty.xml', ''))).toBe('bad-xml');
    expect(code(await xml('text.xml', 'hello <r/>'))).toBe('bad-xml');
    expect(code(await xml('lt-digit.xml', '<1/>'))).toBe('bad-xml');
    expect(code(await xml('no-root.xml', '<?xml version="1.0"?><!-- only a comment -->'))).toBe('bad-xml');
  });
});

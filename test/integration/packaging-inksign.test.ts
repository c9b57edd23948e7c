// InkSign on the PAdES cover (issue 16): on each database a handwritten task is signed through the portal as
// test/integration/inksign.test.ts does (the pad after the user id, then the key card), a plain task is signed
// without a drawing, and create-package (node-soap, from Signicat's WSDL) makes PAdES packages of them. Outside
// tools check what comes back: pdfimages lists the drawing on the cover page at its pixel size and its pixels are
// the signed PNG's, pdftotext shows the caption (English, and Danish through a `da` packaging method), qpdf finds
// the file clean, pdfsig finds the seal valid; a package of the plain task has no image. readLtvSdo refuses a
// drawing over the portal's limits (bytes, pixels) with LtvSdoFormatError.
import { createHash } from 'node:crypto';
import { generateKeys } from '../../src/trust/crypto'; // first: it loads reflect-metadata, which @peculiar/x509 needs
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { crc32, deflateSync } from 'node:zlib';
import type { ServiceAccount } from '../../src/core/ports';
import { HANDWRITING_LIMITS, LtvSdoFormatError, readLtvSdo } from '../../src/packaging/sdo';
import { PackagingMethodRepository } from '../../src/store/packagingmethods';
import { inkPad } from '../support/inkflow';
import { paeth, pngSamples, pnm, testPng, testStrokes } from '../support/inkpng';
import { nodeSoapClient, type Call } from '../support/packaging';
import { pdfsigTrusting, run, type Run } from '../support/pades';
import { formBody, keyCardCode, step } from '../support/portalflow';
import { databases, startServer, type TestServer } from '../support/server';
import { signTask, waitSealed } from '../support/sign';
import { createRequestXml } from '../support/soap';

jest.setTimeout(240_000);

const CAPTION = {
  en: 'Handwritten signature, part of the signed evidence',
  da: 'Håndskrevet underskrift, en del af det underskrevne bevis',
};
const textDocument = (id: string, text: string) =>
  `<document xsi:type="provided-document" id="${id}" mime-type="text/plain"><description>${id}</description>` +
  `<data>${Buffer.from(text).toString('base64')}</data></document>`;

/**
 * A PNG as the pad's canvas makes one (src/portal/static/inkpad.js, toDataURL): 8-bit RGBA, transparent where
 * nothing is drawn, a dark curve with half-transparent edges; rows with PNG §9 filters 1 to 4 in turn.
 */
function canvasPng(width: number, height: number): Buffer {
  const stride = width * 4;
  const pixels = Buffer.alloc(height * stride); // transparent black
  for (let x = 0; x < width; x++) {
    const y0 = Math.round(height / 2 + (height / 3) * Math.sin((x / width) * 2 * Math.PI));
    for (const [dy, alpha] of [
      [-2, 96],
      [-1, 255],
      [0, 255],
      [1, 255],
      [2, 96],
    ] as const) {
      if (y0 + dy < 0 || y0 + dy >= height) continue;
      pixels.set([17, 17, 17 + (x % 7), alpha], (y0 + dy) * stride + x * 4);
    }
  }
  const raw = Buffer.alloc(height * (stride + 1));
  for (let y = 0; y < height; y++) {
    const kind = 1 + (y % 4);
    raw[y * (stride + 1)] = kind;
    for (let i = 0; i < stride; i++) {
      const at = (dy: number, di: number) => (y + dy >= 0 && i + di >= 0 ? pixels[(y + dy) * stride + i + di]! : 0);
      const [a, b, c] = [at(0, -4), at(-1, 0), at(-1, -4)];
      raw[y * (stride + 1) + 1 + i] = (pixels[y * stride + i]! - [0, a, b, (a + b) >> 1, paeth(a, b, c)][kind]!) & 0xff;
    }
  }
  const chunk = (type: string, data: Buffer) => {
    const body = Buffer.concat([Buffer.from(type, 'latin1'), data]);
    const n = Buffer.alloc(8);
    n.writeUInt32BE(data.length, 0);
    n.writeUInt32BE(crc32(body), 4);
    return Buffer.concat([n.subarray(0, 4), body, n.subarray(4)]);
  };
  const ihdr = Buffer.from([0, 0, 0, 0, 0, 0, 0, 0, 8, 6, 0, 0, 0]);
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(height, 4);
  const sig = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
  return Buffer.concat([sig, chunk('IHDR', ihdr), chunk('IDAT', deflateSync(raw)), chunk('IEND', Buffer.alloc(0))]);
}

/** The colour and alpha samples of an 8-bit RGBA PNG without interlace (PNG §9 filters undone). */
function pngPixels(png: Buffer): { width: number; height: number; rgb: Buffer; alpha: Buffer } {
  const { width, height, channels, samples } = pngSamples(png);
  expect(channels).toBe(4);
  const rgb = Buffer.alloc(width * height * 3);
  const alpha = Buffer.alloc(width * height);
  for (let i = 0; i < width * height; i++) {
    samples.copy(rgb, i * 3, i * 4, i * 4 + 3);
    alpha[i] = samples[i * 4 + 3]!;
  }
  return { width, height, rgb, alpha };
}

const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');

/** `pdfimages -list` rows: page, type, width, height, color, object number. */
async function imageList(file: string): Promise<Array<{ page: number; type: string; width: number; height: number; color: string }>> {
  const r = await run('pdfimages', ['-list', file]);
  expect(r.code).toBe(0);
  return r.out
    .split('\n')
    .slice(2)
    .filter((l) => l.trim())
    .map((l) => l.trim().split(/\s+/))
    .map((c) => ({ page: Number(c[0]), type: c[2]!, width: Number(c[3]), height: Number(c[4]), color: c[5]! }));
}

describe.each(databases())('InkSign: the drawing on the PAdES cover (%s)', (db) => {
  let s: TestServer;
  let demo: ServiceAccount;
  let call: Call;
  let dir: string;
  let pdfsig: (file: string) => Promise<Run>;
  const png = canvasPng(750, 300);
  let inkRequest: string;
  let plainRequest: string;
  let inkSdo: Buffer;

  const sdoOf = async (requestId: string, doc: string) => {
    const r = await fetch(`${s.url}/doc/demo/order/${requestId}/t1/${doc}/sdo`, { headers: auth() });
    expect(r.status).toBe(200);
    return Buffer.from(await r.arrayBuffer());
  };
  const auth = () => ({ authorization: `Basic ${Buffer.from(`demo:${s.demoPassword}`).toString('base64')}` });
  const order = (requestId: string, doc: string) => ({
    'order-document-id': { 'request-id': requestId, 'task-id': 't1', 'document-id': doc, type: 'result' },
  });
  /** create-package of `sdo` with `method`; the PAdES written to `name` in the test's directory. */
  async function pades(name: string, sdo: unknown[], method = 'pades'): Promise<string> {
    const r = await call({ 'packaging-method': method, sdo });
    if ('fault' in r) throw new Error(r.fault);
    expect(r.result.error).toBeUndefined();
    const got = await fetch(`${s.url}/doc/demo/sds/${r.result.id}`, { headers: auth() });
    expect(got.status).toBe(200);
    const file = join(dir, name);
    await writeFile(file, Buffer.from(await got.arrayBuffer()));
    return file;
  }

  /** A handwritten task signed through the portal with `png` drawn (inksign.test.ts's flow). */
  async function signWithDrawing(): Promise<string> {
    const testid = s.rt.testid!;
    const u = { ...testid.autofill(), alias: `inkcover-${db}`, password: `inkcover-password-${db}` };
    await testid.createUser(u);
    const { b, requestId, pad } = await inkPad(s, u);
    const drawing = { strokes: JSON.stringify(testStrokes(3, 40)), png: png.toString('base64'), pointer: 'touch', screen: '360x740' };
    const p = await b.submit(pad, step('sign/ink'), { ...drawing, do: 'next' }, 'drawing');
    const confirm = { password: u.password, code: await keyCardCode(testid, u.alias, p, 'code'), do: 'next' };
    expect((await b.request('POST', ...formBody(p, step('sign/confirm'), confirm, 'confirm'))).status).toBe(200);
    expect((await waitSealed(s.rt, requestId, 't1')).map((r) => r.status)).toEqual(['done']);
    return requestId;
  }

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'segl-inkcover-'));
    s = await startServer(db);
    demo = (await s.rt.services.find('demo'))!;
    call = await nodeSoapClient(`${s.url}/ws/packagingservice-v4`, { service: 'demo', password: s.demoPassword });
    pdfsig = await pdfsigTrusting(dir, (await s.rt.ca()).pem('root'));
    inkRequest = await signWithDrawing();
    inkSdo = await sdoOf(inkRequest, 'd1');
    plainRequest = await createRequestXml(
      s.endpoint,
      'demo',
      s.demoPassword,
      `${textDocument('p1', 'Terms.\n')}<task id="t1"><document-action type="sign"><document-ref>p1</document-ref></document-action></task>`,
    );
    const keys = await generateKeys();
    const certificate = await (
      await s.rt.ca()
    ).issuePerson({ commonName: 'Plain Signer', pid: '9208-2002-2-333333333333', publicKey: keys.publicKey });
    const out = await signTask(s.rt, demo, plainRequest, { certificate, keys }, { documentIds: ['p1'] });
    expect(out.ok).toBe(true);
  });

  afterAll(async () => {
    await s?.stop();
    await rm(dir, { recursive: true, force: true });
  });

  /** The outside tools' view: clean, sealed, and the pages' text (form feed between pages). */
  async function checked(file: string): Promise<string[]> {
    const q = await run('qpdf', ['--check', file]);
    expect([q.code, q.out]).toEqual([0, expect.stringMatching(/No syntax or stream encoding errors found/)]);
    const seal = (await pdfsig(file)).out.split(/^Signature #\d+:/m).find((x) => x.includes('segl-seal'));
    expect(seal).toMatch(/Signature Validation: Signature is Valid\./);
    const t = await run('pdftotext', ['-enc', 'UTF-8', file, '-']);
    expect(t.code).toBe(0);
    return t.out.split('\f').map((x) => x.replace(/\s+/g, ' '));
  }

  /** The drawing as pdfimages sees it: an RGB image 750×300 and its greyscale SMask (the canvas's transparency). */
  const DRAWING = [
    { type: 'image', width: 750, height: 300, color: 'rgb' },
    { type: 'smask', width: 750, height: 300, color: 'gray' },
  ];

  test('the drawing is on the cover page in the signer block, its pixels the signed PNG, with the caption; the plain signer has none', async () => {
    const file = await pades('both.pdf', [order(inkRequest, 'd1'), order(plainRequest, 'p1')]);
    const pages = await checked(file);
    const images = await imageList(file);
    expect(images).toEqual(DRAWING.map((d) => ({ ...d, page: images[0]!.page })));
    const onPage = pages[images[0]!.page - 1]!;
    expect(onPage).toContain('Signed documents'); // a cover page (the title, or "Signed documents (continued)")
    expect(onPage).toContain(CAPTION.en);
    expect(pages.join(' ').split(CAPTION.en)).toHaveLength(2); // once: the plain signer's block has no drawing
    // the samples pdfimages extracts (PPM colour, PGM SMask) are the signed PNG's colour and alpha
    expect((await run('pdfimages', [file, join(dir, 'both-img')])).code).toBe(0);
    const files = (await readdir(dir)).filter((f) => f.startsWith('both-img')).sort();
    expect(files).toEqual(['both-img-000.ppm', 'both-img-001.ppm']); // (poppler writes the greyscale SMask as RGB too)
    const [colour, mask] = await Promise.all(files.map(async (f) => pnm(await readFile(join(dir, f)))));
    const want = pngPixels(png);
    expect([colour, mask].map((x) => [x!.kind, x!.width, x!.height])).toEqual([
      ['P6', 750, 300],
      ['P6', 750, 300],
    ]);
    const grey = Buffer.from([...want.alpha].flatMap((a) => [a, a, a]));
    expect([sha(colour!.samples), sha(mask!.samples)]).toEqual([sha(want.rgb), sha(grey)]);
    expect(new Set(want.alpha).size).toBe(3); // (the test drawing has transparent, half and opaque pixels)
  });

  test('a package of a task signed without a drawing has no image and no caption', async () => {
    const file = await pades('plain.pdf', [order(plainRequest, 'p1')]);
    const pages = await checked(file);
    expect(await imageList(file)).toEqual([]);
    expect(pages.join(' ')).not.toContain(CAPTION.en);
    expect(pages.join(' ')).toContain('Plain Signer');
  });

  test('a Danish PDF/A packaging method: the caption in Danish beside the drawing', async () => {
    await new PackagingMethodRepository(s.rt.db).set(
      demo.id,
      'ink-da',
      { language: 'da', maskNationalId: true, pdfa: true },
      new Date().toISOString(),
    );
    const file = await pades('da.pdf', [order(inkRequest, 'd1')], 'ink-da');
    const pages = await checked(file);
    const images = await imageList(file);
    expect(images).toEqual(DRAWING.map((d) => ({ ...d, page: 1 })));
    expect(pages[0]).toContain(CAPTION.da);
    expect(pages[0]).not.toContain(CAPTION.en);
  });

  test('readLtvSdo reads the signed PNG, and refuses one over the limits with LtvSdoFormatError', () => {
    const xml = inkSdo.toString('utf8');
    expect(Buffer.from(readLtvSdo(new Uint8Array(inkSdo)).handwriting!.png).equals(png)).toBe(true);
    /** the SDO with another PNG in the drawing (its digest and size set to match: only the limits can refuse it) */
    const withPng = (other: Buffer, width = 750, height = 300) =>
      new Uint8Array(
        Buffer.from(
          xml.replace(
            /<sp:Image Encoding="base64" Height="300" MimeType="image\/png" Width="750"><sp:DigestValue Algorithm="([^"]+)">[^<]+<\/sp:DigestValue><sp:Data>[^<]+<\/sp:Data>/,
            `<sp:Image Encoding="base64" Height="${height}" MimeType="image/png" Width="${width}"><sp:DigestValue Algorithm="$1">` +
              `${createHash('sha256').update(other).digest('base64')}</sp:DigestValue><sp:Data>${other.toString('base64')}</sp:Data>`,
          ),
        ),
      );
    expect(readLtvSdo(withPng(testPng(40, 20), 40, 20)).handwriting).toMatchObject({ width: 40, height: 20 });
    const { pngBytes, pixels } = HANDWRITING_LIMITS;
    const big = Buffer.concat([png, Buffer.alloc(pngBytes + 1 - png.length)]);
    expect(() => readLtvSdo(withPng(big))).toThrow(new LtvSdoFormatError(`the handwriting image is larger than ${pngBytes} bytes`));
    expect(() => readLtvSdo(withPng(testPng(pixels + 1, 10), pixels + 1, 10))).toThrow(
      new LtvSdoFormatError(`the handwriting image is ${pixels + 1}×10, over ${pixels}×${pixels}`),
    );
    expect(() => readLtvSdo(withPng(testPng(40, 20), 41, 20))).toThrow(
      new LtvSdoFormatError('the handwriting image is 40×20, its Width and Height say otherwise'),
    );
    // a text too long to be a drawing within the limit is refused before it is decoded (here: whitespace around a small PNG)
    const padded = Buffer.from(withPng(testPng(40, 20), 40, 20))
      .toString('utf8')
      .replace('<sp:Data>', `<sp:Data>${' '.repeat(3 * pngBytes)}`);
    expect(() => readLtvSdo(new Uint8Array(Buffer.from(padded)))).toThrow(
      new LtvSdoFormatError(`the handwriting image is larger than ${pngBytes} bytes`),
    );
    const otherDigest = Buffer.from(withPng(testPng(40, 20), 40, 20))
      .toString('utf8')
      .replace(createHash('sha256').update(testPng(40, 20)).digest('base64'), createHash('sha256').update('x').digest('base64'));
    expect(() => readLtvSdo(new Uint8Array(Buffer.from(otherDigest)))).toThrow(
      new LtvSdoFormatError('the handwriting image does not match its digest'),
    );
    expect(() => readLtvSdo(withPng(Buffer.from('GIF89a, not a PNG at all')))).toThrow(
      new LtvSdoFormatError('the handwriting image is not a PNG'),
    );
  });
});

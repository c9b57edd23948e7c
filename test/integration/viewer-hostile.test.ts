// The viewer (/viewer, /viewer/api, /viewer/parser) against hostile uploads, on each database with real Redis:
// - a 1 GiB body, made on the fly and never held in memory, to the form (multipart with a Content-Length, as a
//   browser sends it) and to the JSON API (chunked, no length): answered 413 as soon as the limit is passed,
//   the client having sent no more than the limit, the drain (8 MB) and the sockets' buffers; the server's
//   memory does not grow by anything near the body; the connection is closed after the drain;
// - PDF bombs (a FlateDecode attachment that unpacks to 1 GiB, the same nested in two FlateDecode layers, an
//   object stream that unpacks to 1 GiB) and a PDF of objects nested 100 000 deep: a clear, translated page
//   (422) and the API's error code, at once, without the memory;
// - malformed XML (unclosed tags, a DOCTYPE with an entity expansion, elements nested 100 000 deep) and a
//   file that is no signature at all: the same;
// and after each, nothing written (no row in any table, no blob, no temporary file, no kept result in
// Redis) and the server answering.
import { readdirSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import { deflateSync } from 'node:zlib';
import { LTVSDO_NS } from '../../src/trust/ltvsdo';
import { blobFiles } from '../support/blobs';
import { makePdf } from '../support/pdf';
import { attachmentPdf, deflatedZeros, latin, objectStreamBomb, PAGES, rawPdf } from '../support/pdfbomb';
import { databases, startServer, type DbKind, type TestServer } from '../support/server';

const MB = 1024 * 1024;
const LIMIT = 2 * MB;
const GIB = 1024 * MB;
/** the drain after the limit (routes.ts DRAIN_BYTES) and room for the sockets' buffers on loopback */
const DRAIN = 8 * MB;
const SLACK = 32 * MB;

let gibZ: Promise<Buffer> | undefined;
/** deflatedZeros(1 GiB), made once */
const zeros = () => (gibZ ??= deflatedZeros(GIB));

const ENTITIES: Record<string, string> = { '&lt;': '<', '&gt;': '>', '&quot;': '"', '&#39;': "'", '&amp;': '&' };
const unhtml = (h: string) => h.replace(/&(lt|gt|quot|#39|amp);/g, (e) => ENTITIES[e]!);

interface Answer {
  status: number;
  /** the answer's body (the head left out) */
  text: string;
  /** body bytes the client had written when the answer began to arrive, and in all until the server closed */
  sentAtAnswer: number;
  sentTotal: number;
  /** milliseconds to the answer; whether the server closed the connection (within 60 s) */
  ms: number;
  closed: boolean;
  /** how far the resident set size of this process (the server runs in it) rose above its start while the upload ran */
  grew: number;
}

/**
 * The answer came once the limit was passed, before more than the sockets' buffers beyond it were sent; the server
 * read no more than the drain after it, then closed the connection; its memory did not grow by anything like the body.
 */
function stoppedAtLimit(r: Answer): void {
  expect(r.sentAtAnswer).toBeGreaterThan(LIMIT);
  expect(r.sentAtAnswer).toBeLessThan(LIMIT + SLACK);
  expect(r.sentTotal).toBeLessThan(LIMIT + DRAIN + SLACK);
  expect([r.closed, r.ms < 10_000]).toEqual([true, true]);
  expect(r.grew).toBeLessThan(200 * MB);
}

/**
 * A client that does not stop: over a plain TCP connection, the request head, then `head`, `size` bytes of 'A' made
 * 64 KiB at a time (chunked when `chunked`, else under the Content-Length given in `headers`), then `tail`, written
 * as fast as the server reads them, whatever it answers meanwhile. Settles when the server closes the connection.
 */
function postHuge(
  url: string,
  headers: Record<string, string>,
  body: { head: Buffer; size: number; tail: Buffer; chunked?: boolean },
): Promise<Answer> {
  const u = new URL(url);
  const frame = (b: Buffer) => (body.chunked && b.length ? Buffer.concat([latin(`${b.length.toString(16)}\r\n`), b, latin('\r\n')]) : b);
  const piece = frame(Buffer.alloc(64 * 1024, 0x41));
  const lines = Object.entries({ host: u.host, ...headers, ...(body.chunked ? { 'transfer-encoding': 'chunked' } : {}) });
  const requestHead = latin(`POST ${u.pathname}${u.search} HTTP/1.1\r\n${lines.map(([k, v]) => `${k}: ${v}\r\n`).join('')}\r\n`);
  return new Promise((resolve) => {
    const rss = process.memoryUsage().rss;
    let peakRss = rss;
    const sampler = setInterval(() => (peakRss = Math.max(peakRss, process.memoryUsage().rss)), 20);
    const t0 = Date.now();
    let sent = 0;
    let left = body.size;
    let sentAtAnswer = -1;
    let ms = -1;
    let closed = true;
    const got: Buffer[] = [];
    const sock = net.connect(Number(u.port), u.hostname);
    const timer = setTimeout(() => {
      closed = false;
      sock.destroy();
    }, 60_000);
    const pump = () => {
      while (left > 0 && !sock.destroyed) {
        const n = Math.min(left, 64 * 1024);
        left -= n;
        sent += n;
        if (!sock.write(n === 64 * 1024 ? piece : frame(Buffer.alloc(n, 0x41)))) return void sock.once('drain', pump);
      }
      if (!sock.destroyed) sock.end(Buffer.concat([frame(body.tail), body.chunked ? latin('0\r\n\r\n') : Buffer.alloc(0)]));
    };
    sock.on('connect', () => {
      sock.write(Buffer.concat([requestHead, frame(body.head)]));
      pump();
    });
    sock.on('data', (d: Buffer) => {
      if (sentAtAnswer < 0) [sentAtAnswer, ms] = [sent, Date.now() - t0];
      got.push(d);
    });
    sock.on('error', () => undefined);
    sock.on('close', () => {
      clearTimeout(timer);
      clearInterval(sampler);
      const all = Buffer.concat(got);
      const split = all.indexOf('\r\n\r\n');
      const status = Number(/^HTTP\/1\.1 (\d{3})/.exec(all.toString('latin1'))?.[1] ?? 0);
      resolve({
        status,
        text: split < 0 ? '' : all.subarray(split + 4).toString('utf8'),
        sentAtAnswer,
        sentTotal: sent,
        ms,
        closed,
        grew: peakRss - rss,
      });
    });
  });
}

/**
 * The viewer's temporary directories (os.tmpdir() is the real process's: Jest's process.env does not reach it) once
 * none has been seen for 100 ms, within 5 s: one is removed just after its answer is sent, so a client can look
 * before it is gone; one that stays is a leak, and the list then shows it.
 */
async function settledTemp(): Promise<string[]> {
  const deadline = Date.now() + 5000;
  for (;;) {
    const now = readdirSync(os.tmpdir()).filter((f) => f.startsWith('segl-viewer-'));
    if (!now.length) {
      await new Promise((r) => setTimeout(r, 100));
      const again = readdirSync(os.tmpdir()).filter((f) => f.startsWith('segl-viewer-'));
      if (!again.length || Date.now() > deadline) return again;
    } else if (Date.now() > deadline) return now;
    else await new Promise((r) => setTimeout(r, 50));
  }
}

describe.each(databases())('the viewer against hostile uploads (%s)', (db: DbKind) => {
  let s: TestServer;

  /** Every table's row count, the blob files, the viewer's temporary directories and its kept results in Redis. */
  async function snapshot() {
    const tables =
      db === 'sqlite'
        ? "SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name"
        : 'SELECT tablename AS name FROM pg_tables WHERE schemaname = current_schema() ORDER BY tablename';
    const rows: Record<string, number> = {};
    for (const { name } of (await s.rt.db.query(tables)) as Array<{ name: string }>) {
      const [r] = (await s.rt.db.query(`SELECT COUNT(*) AS n FROM "${name}"`)) as Array<{ n: number | string }>;
      rows[name] = Number(r!.n);
    }
    return {
      rows,
      blobs: blobFiles(s.dataDir),
      temp: await settledTemp(),
      kept: await s.rt.redis.keys(`${s.rt.config.notify.queuePrefix}:viewer:*`),
    };
  }

  /** The server still answers, at once, and nothing was written since `before`. */
  async function unchanged(before: Awaited<ReturnType<typeof snapshot>>) {
    const t0 = Date.now();
    const form = await fetch(`${s.url}/viewer?lang=en`);
    expect([form.status, Date.now() - t0 < 2000]).toEqual([200, true]);
    expect(await snapshot()).toEqual(before);
  }

  /** The file through the form, in Swedish: the status and the alert's text. */
  async function viaForm(bytes: Buffer, name: string) {
    const form = new FormData();
    form.append('file', new Blob([new Uint8Array(bytes)]), name);
    const r = await fetch(`${s.url}/viewer?lang=sv`, { method: 'POST', body: form });
    const html = await r.text();
    const alert = /<[^>]+role="alert"[^>]*>([\s\S]*?)<\//.exec(html)?.[1] ?? html.slice(0, 300);
    const h1 = unhtml(/<h1[^>]*>([\s\S]*?)<\/h1>/.exec(html)?.[1] ?? '');
    return { status: r.status, alert: unhtml(alert), h1, lang: /<html lang="(\w+)"/.exec(html)?.[1] };
  }
  const viaApi = async (bytes: Buffer) => {
    const r = await fetch(`${s.url}/viewer/api`, {
      method: 'POST',
      headers: { 'content-type': 'application/octet-stream' },
      body: new Uint8Array(bytes),
    });
    return { status: r.status, json: (await r.json()) as { error?: string; message: string } };
  };
  const viaParser = async (bytes: Buffer) => {
    const form = new FormData();
    form.append('localfile', new Blob([new Uint8Array(bytes)]), 'x.pdf');
    const r = await fetch(`${s.url}/viewer/parser`, { method: 'POST', body: form });
    return { status: r.status, json: (await r.json()) as { error: string; message: string } };
  };

  beforeAll(async () => {
    s = await startServer(db, { SEGL_SDS_LIMIT: String(LIMIT) });
  }, 60_000);
  afterAll(async () => {
    await s?.stop();
  });

  test('a 1 GiB upload through the form is refused at the limit: 413 in the reader’s language, the rest never read', async () => {
    const before = await snapshot();
    const boundary = 'segl-huge-boundary';
    const head = latin(
      `--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="huge.xml"\r\nContent-Type: application/octet-stream\r\n\r\n`,
    );
    const tail = latin(`\r\n--${boundary}--\r\n`);
    const r = await postHuge(
      `${s.url}/viewer?lang=da`,
      { 'content-type': `multipart/form-data; boundary=${boundary}`, 'content-length': String(head.length + GIB + tail.length) },
      { head, size: GIB, tail },
    );
    expect(r.status).toBe(413);
    expect(r.text).toContain('<html lang="da"');
    expect(r.text).toContain('Filen er større end de 2 MB, som fremviseren modtager.');
    stoppedAtLimit(r);
    await unchanged(before);
  }, 90_000);

  test('a 1 GiB body to the JSON API (chunked, no length) is refused at the limit: 413 tooLarge, the rest never read', async () => {
    const before = await snapshot();
    const r = await postHuge(
      `${s.url}/viewer/api`,
      { 'content-type': 'application/octet-stream' },
      { head: Buffer.alloc(0), size: GIB, tail: Buffer.alloc(0), chunked: true },
    );
    expect(r.status).toBe(413);
    expect(JSON.parse(r.text)).toEqual({ error: 'tooLarge', message: 'The file is larger than the 2 MB this viewer accepts.' });
    stoppedAtLimit(r);
    await unchanged(before);
  }, 90_000);

  const BAD_SV = 'Filen kan inte kontrolleras: det är inte en signerad PDF eller LTV-SDO, eller så är den skadad.';
  const BOMB = /compressed streams unpack to more than 64 MB: a compression bomb/;

  /** each file, made once, and what it must get: refused (422) with that detail, or a report of no signature */
  const hostile: Array<[string, () => Promise<Buffer>, RegExp | 'no signature']> = [
    ['a PDF whose attachment (FlateDecode) unpacks to 1 GiB', async () => attachmentPdf(await zeros(), '/FlateDecode'), BOMB],
    [
      'a PDF whose attachment unpacks to 1 GiB through two FlateDecode layers',
      async () => attachmentPdf(deflateSync(await zeros()), '[/FlateDecode /FlateDecode]'),
      BOMB,
    ],
    ['a PDF whose object stream unpacks to 1 GiB', async () => objectStreamBomb(await zeros()), BOMB],
    [
      'a PDF with an object nested 100 000 arrays deep',
      async () =>
        rawPdf([latin('<< /Type /Catalog /Pages 2 0 R /Deep 4 0 R >>'), ...PAGES, latin(`${'['.repeat(100_000)}${']'.repeat(100_000)}`)]),
      'no signature',
    ],
    ['a PDF without any signature', async () => makePdf({ text: 'Not signed' }), 'no signature'],
    [
      'an XML file cut off inside its elements',
      async () => Buffer.from(`<?xml version="1.0"?>\n<LtvSdo xmlns="${LTVSDO_NS}"><Document><Data>AAAA`),
      /not well-formed XML: line 2: <Data> is not closed/,
    ],
    [
      'an XML file with a DOCTYPE that expands entities (billion laughs)',
      async () =>
        Buffer.from(
          '<?xml version="1.0"?>\n<!DOCTYPE r [<!ENTITY a "aaaaaaaaaa">' +
            Array.from({ length: 9 }, (_, i) => `<!ENTITY ${'b'.repeat(i + 1)} "${`&${i ? 'b'.repeat(i) : 'a'};`.repeat(10)}">`).join('') +
            `]>\n<LtvSdo xmlns="${LTVSDO_NS}">&bbbbbbbbb;</LtvSdo>`,
        ),
      /DOCTYPE/,
    ],
    [
      'an XML file nested 100 000 elements deep',
      async () =>
        Buffer.from(`<?xml version="1.0"?>\n<LtvSdo xmlns="${LTVSDO_NS}">${'<a>'.repeat(100_000)}${'</a>'.repeat(100_000)}</LtvSdo>`),
      /elements nested deeper than 256/,
    ],
    [
      'a file that is no signature at all (plain text)',
      async () => Buffer.from('Dear customer, please find the contract attached.\n'),
      /./,
    ],
  ];

  test.each(hostile.map(([name], i) => [name, i] as const))(
    '%s: a clear page (Swedish) and the API’s error code, at once; nothing written',
    async (_name, i) => {
      const [, make, detail] = hostile[i]!;
      const bytes = await make();
      expect(bytes.length).toBeLessThanOrEqual(LIMIT);
      const before = await snapshot();
      const rss = process.memoryUsage().rss;
      let peak = rss;
      const sampler = setInterval(() => (peak = Math.max(peak, process.memoryUsage().rss)), 20);
      const t0 = Date.now();
      try {
        const page = await viaForm(bytes, 'upload.bin');
        const api = await viaApi(bytes);
        if (detail === 'no signature') {
          // a PDF without a signature (pdf-lib reads past what it cannot parse): the report says so, plainly
          expect([page.status, page.lang, page.h1]).toEqual([200, 'sv', 'Signaturerna kunde inte bekräftas']);
          expect(api.status).toBe(200);
          expect(api.json).toMatchObject({ indication: 'INDETERMINATE', subIndication: 'SIGNED_DATA_NOT_FOUND' });
          expect(api.json.message).toBe('the PDF holds no signature and no document time-stamp');
        } else {
          expect([page.status, page.lang]).toEqual([422, 'sv']);
          expect(page.alert.startsWith(BAD_SV)).toBe(true);
          expect(page.alert).toMatch(detail);
          expect(api.status).toBe(422);
          expect(api.json.error).toBe('bad');
          expect(api.json.message).toMatch(/^This file cannot be checked: it is not a signed PDF or LTV-SDO, or it is damaged\. \(.+\)$/);
          expect(api.json.message).toMatch(detail);
          expect(await viaParser(bytes)).toMatchObject({ status: 422, json: { error: 'bad' } });
        }
      } finally {
        clearInterval(sampler);
      }
      expect(Date.now() - t0).toBeLessThan(30_000);
      expect(peak - rss).toBeLessThan(400 * MB);
      await unchanged(before);
    },
    120_000,
  );
});

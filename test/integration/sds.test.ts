// Session Data Storage over HTTP against the real server: uploads and downloads stream with their
// SHA-256 intact, ranges and conditional GETs work, bad uploads leave nothing behind, services
// cannot see each other's documents, and createRequest pins SDS documents for its original-uri.
import { createHash } from 'node:crypto';
import { execFile, execFileSync } from 'node:child_process';
import { promisify } from 'node:util';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { databases, startServer, type TestServer } from '../support/server';
import { envelope, faultString, NS, post } from '../support/soap';
import { makePdf } from '../support/pdf';
import { blobFiles, settledBlobFiles } from '../support/blobs';

const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');
const basic = (user: string, pw: string) => `Basic ${Buffer.from(`${user}:${pw}`).toString('base64')}`;

describe.each(databases())('SDS on %s', (db) => {
  let s: TestServer;
  let auth: string;
  const sdsUrl = () => `${s.url}/doc/demo/sds`;
  const upload = (body: Buffer | string, type: string, headers: Record<string, string> = {}) =>
    fetch(sdsUrl(), { method: 'POST', headers: { authorization: auth, 'content-type': type, ...headers }, body });
  const download = (id: string, headers: Record<string, string> = {}) =>
    fetch(`${sdsUrl()}/${id}`, { headers: { authorization: auth, ...headers } });

  beforeAll(async () => {
    s = await startServer(db, { SEGL_SDS_LIMIT: '70mb' });
    auth = basic('demo', s.demoPassword);
    await s.rt.services.create('other', 'other-password-1');
  });
  afterAll(async () => {
    await s.stop();
  });

  test("an upload takes its id date and expiry from segl's clock (the test clock reaches SDS)", async () => {
    const t = await startServer(db, { SEGL_TEST_CLOCK: '1', SEGL_SDS_TTL_DAYS: '3' });
    try {
      const moved = t.rt.clock.advance(400 * 86_400_000);
      const up = await fetch(`${t.url}/doc/demo/sds`, {
        method: 'POST',
        headers: { authorization: basic('demo', t.demoPassword), 'content-type': 'text/plain' },
        body: 'clocked',
      });
      expect(up.status).toBe(201);
      const id = await up.text();
      const d = moved;
      const ddmmyyyy = [d.getUTCDate(), d.getUTCMonth() + 1].map((n) => String(n).padStart(2, '0')).join('') + d.getUTCFullYear();
      expect(id.slice(0, 8)).toBe(ddmmyyyy);
      const demo = await t.rt.services.find('demo');
      const row = await t.rt.sds.get(demo!.id, id);
      expect(Date.parse(row!.createdAt)).toBeGreaterThanOrEqual(moved.getTime());
      expect(Date.parse(row!.expiresAt) - Date.parse(row!.createdAt)).toBe(3 * 86_400_000);
    } finally {
      await t.stop();
    }
  });

  test('text round trip: 201 with id and Location, then the same bytes, type, length and ETag', async () => {
    const text = 'Jeg bekræfter – 签名 ✓\n';
    const up = await upload(text, 'text/plain;charset=utf-8');
    expect(up.status).toBe(201);
    const id = await up.text();
    expect(id).toMatch(/^\d{8}[0-9a-z]{49,50}$/);
    expect(up.headers.get('location')).toBe(`${sdsUrl()}/${id}`);
    const down = await download(id);
    expect(down.status).toBe(200);
    expect(down.headers.get('content-type')).toBe('text/plain;charset=utf-8');
    const bytes = Buffer.from(await down.arrayBuffer());
    expect(sha(bytes)).toBe(sha(Buffer.from(text)));
    expect(down.headers.get('content-length')).toBe(String(Buffer.byteLength(text)));
    expect(down.headers.get('etag')).toBe(`"${sha(Buffer.from(text))}"`);
    const again = await download(id, { 'if-none-match': down.headers.get('etag')! });
    expect(again.status).toBe(304);
  });

  test('curl with Expect: 100-continue uploads, and the download matches', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'segl-curl-'));
    const file = path.join(dir, 'doc.pdf');
    const pdf = makePdf({ padBytes: 3 * 1024 * 1024 });
    writeFileSync(file, pdf);
    // execFile, not execFileSync: the server runs in this process and must keep answering.
    const curl = promisify(execFile);
    const { stdout: out } = await curl(
      'curl',
      [
        '-sS',
        '-w',
        '\n%{http_code}',
        '-H',
        'Expect: 100-continue',
        '-H',
        'Content-Type: application/pdf',
        '-u',
        `demo:${s.demoPassword}`,
        '--data-binary',
        `@${file}`,
        `${sdsUrl()}`,
      ],
      { encoding: 'utf8' },
    );
    const [id, code] = out.split('\n');
    expect(code).toBe('201');
    const { stdout: back } = await curl('curl', ['-sS', '-u', `demo:${s.demoPassword}`, `${sdsUrl()}/${id}`], {
      encoding: 'buffer',
      maxBuffer: 64 << 20,
    });
    expect(sha(back)).toBe(sha(pdf));
  });

  test('a trailing slash on the upload URL is accepted', async () => {
    const up = await fetch(`${sdsUrl()}/`, { method: 'POST', headers: { authorization: auth, 'content-type': 'text/plain' }, body: 'x' });
    expect(up.status).toBe(201);
  });

  test('PDF round trip, and Range requests', async () => {
    const pdf = makePdf({ padBytes: 5000 });
    const up = await upload(pdf, 'application/pdf');
    expect(up.status).toBe(201);
    const id = await up.text();
    const full = Buffer.from(await (await download(id)).arrayBuffer());
    expect(full.equals(pdf)).toBe(true);
    const first = await download(id, { range: 'bytes=0-99' });
    expect(first.status).toBe(206);
    expect(first.headers.get('content-range')).toBe(`bytes 0-99/${pdf.length}`);
    expect(Buffer.from(await first.arrayBuffer()).equals(pdf.subarray(0, 100))).toBe(true);
    const tail = await download(id, { range: 'bytes=-50' });
    expect(Buffer.from(await tail.arrayBuffer()).equals(pdf.subarray(pdf.length - 50))).toBe(true);
    const open = await download(id, { range: `bytes=${pdf.length - 10}-` });
    expect(Buffer.from(await open.arrayBuffer()).equals(pdf.subarray(pdf.length - 10))).toBe(true);
    const bad = await download(id, { range: `bytes=${pdf.length + 10}-${pdf.length + 20}` });
    expect(bad.status).toBe(416);
    expect(bad.headers.get('content-range')).toBe(`bytes */${pdf.length}`);
  });

  test('a 60 MB PDF of random bytes streams up and down with its SHA-256 intact', async () => {
    const pdf = makePdf({ padBytes: 60 * 1024 * 1024 });
    const up = await upload(pdf, 'application/pdf');
    expect(up.status).toBe(201);
    const id = await up.text();
    const res = await download(id);
    const hash = createHash('sha256');
    let size = 0;
    for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
      hash.update(chunk);
      size += chunk.length;
    }
    expect(size).toBe(pdf.length);
    expect(hash.digest('hex')).toBe(sha(pdf));
  }, 120_000);

  test('wrong password and missing credentials are 401 with a Basic challenge', async () => {
    const wrong = await fetch(sdsUrl(), {
      method: 'POST',
      headers: { authorization: basic('demo', 'nope-nope'), 'content-type': 'text/plain' },
      body: 'x',
    });
    expect(wrong.status).toBe(401);
    expect(wrong.headers.get('www-authenticate')).toMatch(/^Basic realm="segl"/);
    expect(await wrong.text()).toMatch(/service or password is wrong/);
    const none = await fetch(sdsUrl(), { method: 'POST', headers: { 'content-type': 'text/plain' }, body: 'x' });
    expect(none.status).toBe(401);
    const mismatch = await fetch(sdsUrl(), {
      method: 'POST',
      headers: { authorization: basic('other', 'other-password-1'), 'content-type': 'text/plain' },
      body: 'x',
    });
    expect(mismatch.status).toBe(401);
  });

  test("another service's document is 404, exactly like an unknown id (never 403)", async () => {
    const up = await fetch(`${s.url}/doc/other/sds`, {
      method: 'POST',
      headers: { authorization: basic('other', 'other-password-1'), 'content-type': 'text/plain' },
      body: 'theirs',
    });
    const theirs = await up.text();
    const foreign = await download(theirs);
    const unknown = await download(`${theirs.slice(0, -3)}zzz`);
    expect(foreign.status).toBe(404);
    expect(unknown.status).toBe(404);
    expect((await foreign.text()).replace(theirs, 'ID')).toBe((await unknown.text()).replace(`${theirs.slice(0, -3)}zzz`, 'ID'));
    expect((await fetch(`${sdsUrl()}/${theirs}`, { method: 'DELETE', headers: { authorization: auth } })).status).toBe(404);
    expect(
      (await fetch(`${s.url}/doc/other/sds/${theirs}`, { headers: { authorization: basic('other', 'other-password-1') } })).status,
    ).toBe(200);
  });

  test('over the limit: 413 and nothing left in the blob directory', async () => {
    const before = blobFiles(s.dataDir);
    const big = makePdf({ padBytes: 71 * 1024 * 1024, random: false });
    // Without Content-Length (chunked) the limit is enforced while streaming.
    const res = await new Promise<{ status: number; body: string }>((resolve, reject) => {
      const req = http.request(
        sdsUrl(),
        { method: 'POST', headers: { authorization: auth, 'content-type': 'application/pdf', 'transfer-encoding': 'chunked' } },
        (r) => {
          let body = '';
          r.on('data', (c) => (body += c)).on('end', () => resolve({ status: r.statusCode!, body }));
        },
      );
      req.on('error', reject);
      for (let i = 0; i < big.length; i += 1 << 20) req.write(big.subarray(i, i + (1 << 20)));
      req.end();
    });
    expect(res.status).toBe(413);
    expect(res.body).toMatch(/exceeds the limit of 73400320 bytes/);
    // With Content-Length it is refused before reading.
    const declared = await upload(big, 'application/pdf');
    expect(declared.status).toBe(413);
    expect(blobFiles(s.dataDir)).toEqual(before);
  }, 60_000);

  test('an upload aborted mid-way leaves nothing behind', async () => {
    const before = await settledBlobFiles(s.dataDir);
    await new Promise<void>((resolve) => {
      const req = http.request(sdsUrl(), {
        method: 'POST',
        headers: { authorization: auth, 'content-type': 'application/pdf', 'content-length': String(10 * 1024 * 1024) },
      });
      req.on('error', () => resolve());
      req.write(makePdf().subarray(0, 200));
      req.write(Buffer.alloc(2 * 1024 * 1024));
      setTimeout(() => {
        req.destroy();
        resolve();
      }, 200);
    });
    expect(await settledBlobFiles(s.dataDir)).toEqual(before);
    expect((await fetch(`${s.url}/healthz`)).status).toBe(200);
  });

  test('unsupported types are 415; corrupt, encrypted and non-PDF bytes are refused with a reason', async () => {
    const before = await settledBlobFiles(s.dataDir);
    const octets = await upload(Buffer.from([1, 2, 3]), 'application/octet-stream');
    expect(octets.status).toBe(415);
    expect(await octets.text()).toMatch(/application\/pdf/);
    expect((await upload('x', 'image/png')).status).toBe(415);
    const notPdf = await upload('just text', 'application/pdf');
    expect(notPdf.status).toBe(422);
    const pdf = makePdf();
    const truncated = await upload(pdf.subarray(0, Math.floor(pdf.length / 2)), 'application/pdf');
    expect(truncated.status).toBe(422);
    const dir = mkdtempSync(path.join(os.tmpdir(), 'segl-enc-'));
    writeFileSync(path.join(dir, 'in.pdf'), pdf);
    execFileSync('qpdf', ['--encrypt', 'user', 'owner', '256', '--', path.join(dir, 'in.pdf'), path.join(dir, 'enc.pdf')]);
    const encrypted = await upload(readFileSync(path.join(dir, 'enc.pdf')), 'application/pdf');
    expect(encrypted.status).toBe(422);
    expect(await encrypted.text()).toMatch(/password|encrypt/i);
    const badUtf8 = await upload(Buffer.from([0x61, 0xff, 0xfe, 0x62]), 'text/plain; charset=utf-8');
    expect(badUtf8.status).toBe(422);
    expect(blobFiles(s.dataDir)).toEqual(before);
  });

  test('DELETE removes the entry (204), then 404; the blob goes when nothing else uses it', async () => {
    const body = `only here ${Date.now()}`;
    const id = await (await upload(body, 'text/plain')).text();
    const file = path.join(s.dataDir, 'blobs', sha(Buffer.from(body)).slice(0, 2), sha(Buffer.from(body)));
    expect(blobFiles(s.dataDir)).toContain(file);
    expect((await fetch(`${sdsUrl()}/${id}`, { method: 'DELETE', headers: { authorization: auth } })).status).toBe(204);
    expect((await download(id)).status).toBe(404);
    expect(blobFiles(s.dataDir)).not.toContain(file);
  });

  describe('documents in createRequest', () => {
    const cred = () => `<service>demo</service><password>${s.demoPassword}</password>`;
    const create = (docXml: string) =>
      post(
        s.endpoint,
        envelope(
          `<create-request-request xmlns="${NS}">${cred()}<request>${docXml}` +
            '<task id="t1"><document-action type="sign"><document-ref>d1</document-ref></document-action></task></request></create-request-request>',
        ),
      );

    test('an sds-document is pinned: original-uri serves its bytes even after the SDS entry is deleted', async () => {
      const pdf = makePdf({ text: 'contract' });
      const sdsId = await (await upload(pdf, 'application/pdf')).text();
      const r = await create(
        `<document xsi:type="sds-document" id="d1" ref-sds-id="${sdsId}"><description>Contract</description></document>`,
      );
      expect(r.status).toBe(200);
      const requestId = /<request-id>([^<]+)</.exec(r.text)![1]!;
      const st = await post(
        s.endpoint,
        envelope(`<get-status-request xmlns="${NS}">${cred()}<request-id>${requestId}</request-id></get-status-request>`),
      );
      const uri = /<original-uri>([^<]+)</.exec(st.text)![1]!;
      expect(uri).toBe(`${s.url}/doc/demo/order/${requestId}/t1/d1/original`);
      expect((await fetch(`${sdsUrl()}/${sdsId}`, { method: 'DELETE', headers: { authorization: auth } })).status).toBe(204);
      const got = await fetch(uri, { headers: { authorization: auth } });
      expect(got.status).toBe(200);
      expect(got.headers.get('content-type')).toBe('application/pdf');
      expect(Buffer.from(await got.arrayBuffer()).equals(pdf)).toBe(true);
      const sdo = await fetch(uri.replace(/original$/, 'sdo'), { headers: { authorization: auth } });
      expect(sdo.status).toBe(404);
      const otherSvc = await fetch(uri.replace('/doc/demo/', '/doc/other/'), {
        headers: { authorization: basic('other', 'other-password-1') },
      });
      expect(otherSvc.status).toBe(404);
    });

    test('a provided-document is served from original-uri with its MIME type', async () => {
      const r = await create(
        `<document xsi:type="provided-document" id="d1" mime-type="text/plain"><data>${Buffer.from('provided!').toString('base64')}</data><description>P</description></document>`,
      );
      const requestId = /<request-id>([^<]+)</.exec(r.text)![1]!;
      const got = await fetch(`${s.url}/doc/demo/order/${requestId}/t1/d1/original`, { headers: { authorization: auth } });
      expect(got.status).toBe(200);
      expect(got.headers.get('content-type')).toBe('text/plain');
      expect(await got.text()).toBe('provided!');
      expect((await fetch(`${s.url}/doc/demo/order/${requestId}/t9/d1/original`, { headers: { authorization: auth } })).status).toBe(404);
    });

    test('an unknown or foreign ref-sds-id is a Client fault naming it, and nothing is written', async () => {
      const theirs = await (
        await fetch(`${s.url}/doc/other/sds`, {
          method: 'POST',
          headers: { authorization: basic('other', 'other-password-1'), 'content-type': 'text/plain' },
          body: 'x',
        })
      ).text();
      const before = Number((await s.rt.db.query('SELECT COUNT(*) AS n FROM request'))[0].n);
      for (const ref of [theirs, 'nope']) {
        const r = await create(`<document xsi:type="sds-document" id="d1" ref-sds-id="${ref}"><description>x</description></document>`);
        expect(r.status).toBe(500);
        expect(faultString(r.text)).toBe(
          `request[0]/document[0]/@ref-sds-id: no SDS document "${ref}" exists for service demo (upload it to /doc/demo/sds first)`,
        );
      }
      expect(Number((await s.rt.db.query('SELECT COUNT(*) AS n FROM request'))[0].n)).toBe(before);
    });

    test('an sds-document whose bytes are gone from the blob store is a Client fault naming it, and nothing is written', async () => {
      const body = `lost bytes ${Date.now()}`;
      const sdsId = await (await upload(body, 'text/plain')).text();
      const key = createHash('sha256').update(body).digest('hex');
      rmSync(path.join(s.dataDir, 'blobs', key.slice(0, 2), key)); // an operator's restore that missed it
      const before = Number((await s.rt.db.query('SELECT COUNT(*) AS n FROM request'))[0].n);
      const r = await create(`<document xsi:type="sds-document" id="d1" ref-sds-id="${sdsId}"><description>x</description></document>`);
      expect(r.status).toBe(500);
      expect(faultString(r.text)).toBe(
        `request[0]/document[0]/@ref-sds-id: the bytes of SDS document "${sdsId}" are missing from the blob store (sha256 ${key}); upload it again`,
      );
      expect(Number((await s.rt.db.query('SELECT COUNT(*) AS n FROM request'))[0].n)).toBe(before);
    });
  });
});

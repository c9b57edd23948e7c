// A large text document in the portal (issue 10, item 4): opened three times at once it neither
// blocks the server (/healthz keeps answering fast) nor grows the process by its size; the page shows
// the first 1 MB with a note and a link, the raw bytes stream whole, and only a whole download counts
// as read.
import { Readable } from 'node:stream';
import { envelope, NS, post } from '../support/soap';
import { startServer, type TestServer } from '../support/server';
import { mainText, PortalClient } from '../support/portalclient';

const MB = 1024 * 1024;
const SIZE = 64 * MB;
const LINE = 'The borrower shall repay the loan in equal monthly rates; æø.\n'; // 64 bytes in UTF-8

// 5 bytes first, so that the 1 MB edge falls inside the two bytes of an "æ"
const HEAD = 'Loan\n';
const TOTAL = HEAD.length + SIZE;

/** TOTAL bytes of text, made as they are sent (the test never holds the document either). */
function bigText(): Readable {
  const chunk = Buffer.from(LINE.repeat(MB / Buffer.byteLength(LINE)));
  let sent = 0;
  return new Readable({
    read() {
      if (sent === 0) this.push(HEAD);
      if (sent >= SIZE) {
        this.push(null);
        return;
      }
      sent += chunk.length;
      this.push(chunk);
    },
  });
}

describe('a 64 MB text document in the portal (sqlite)', () => {
  let s: TestServer;
  beforeAll(async () => {
    s = await startServer('sqlite');
  });
  afterAll(async () => {
    await s?.stop();
  });

  test('three at once: /healthz stays fast, memory stays bounded; the page shows 1 MB and a note; only the whole download counts as read', async () => {
    const auth = `Basic ${Buffer.from(`demo:${s.demoPassword}`).toString('base64')}`;
    const up = await fetch(`${s.url}/doc/demo/sds`, {
      method: 'POST',
      body: Readable.toWeb(bigText()) as ReadableStream,
      duplex: 'half',
      headers: { authorization: auth, 'content-type': 'text/plain; charset=utf-8' },
    } as RequestInit);
    expect(up.status).toBe(201);
    const sdsId = (await up.text()).trim();
    const r = await post(
      s.endpoint,
      envelope(
        `<create-request-request xmlns="${NS}"><service>demo</service><password>${s.demoPassword}</password><request>` +
          `<document xsi:type="sds-document" id="big" ref-sds-id="${sdsId}" mime-type="text/plain"><description>Loan terms</description></document>` +
          '<task id="t1"><document-action type="view"><document-ref>big</document-ref></document-action></task></request></create-request-request>',
      ),
    );
    const requestId = /<request-id>([^<]+)</.exec(r.text)![1]!;
    const q = `request_id=${requestId}&task_id=t1`;
    const b = new PortalClient(s.url);
    await b.get(`/std/docaction/demo?${q}`);

    // /healthz every 20 ms while three pages and three downloads of the document run
    let busy = true;
    let slowest = 0;
    let peak = process.memoryUsage().rss;
    const before = peak;
    const probe = (async () => {
      while (busy) {
        const t0 = performance.now();
        expect((await fetch(`${s.url}/healthz`)).status).toBe(200);
        slowest = Math.max(slowest, performance.now() - t0);
        peak = Math.max(peak, process.memoryUsage().rss);
        await new Promise((go) => setTimeout(go, 20));
      }
    })();
    const count = async (res: Response) => {
      // read and drop: the test holds no copy either
      let n = 0;
      for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) n += chunk.length;
      return n;
    };
    const open = () => fetch(`${s.url}/std/docaction/demo/document?${q}&document_id=big`, { headers: { cookie: b.cookie } });
    const raw = () => fetch(`${s.url}/std/docaction/demo/document/raw?${q}&document_id=big`, { headers: { cookie: b.cookie } });
    const t0 = performance.now();
    const pages = await Promise.all([open(), open(), open()]);
    const htmls = await Promise.all(pages.map((p) => p.text()));
    const pagesMs = performance.now() - t0;
    const history = async () =>
      (await s.rt.documents.requests.getRequestHistory((await s.rt.services.find('demo'))!, requestId, 't1')).map((e) => e.event);
    expect(await history()).not.toContain('document-viewed'); // a part of it on the page is not reading it
    // a download given up after its first bytes is not reading it either
    const abort = new AbortController();
    const partial = await fetch(`${s.url}/std/docaction/demo/document/raw?${q}&document_id=big`, {
      headers: { cookie: b.cookie },
      signal: abort.signal,
    });
    const reader = partial.body!.getReader();
    expect((await reader.read()).done).toBe(false);
    abort.abort();
    await reader.read().catch(() => undefined);
    await new Promise((go) => setTimeout(go, 300));
    expect(await history()).not.toContain('document-viewed');
    const sizes = await Promise.all([raw(), raw(), raw()].map(async (p) => count(await p)));
    busy = false;
    await probe;

    expect(sizes).toEqual([TOTAL, TOTAL, TOTAL]);
    expect(slowest).toBeLessThan(500);
    expect(pagesMs).toBeLessThan(5000);
    expect(peak - before).toBeLessThan(150 * MB);
    for (const html of htmls) {
      const shown = /<pre class="text">([\s\S]*?)<\/pre>/.exec(html)![1]!;
      expect(shown.startsWith(`${HEAD}The borrower shall repay`)).toBe(true);
      // the first MB less the half "æ" at its edge, which is left out rather than garbled
      expect(Buffer.byteLength(shown)).toBe(MB - 1);
      expect(shown.endsWith('monthly rates; ')).toBe(true);
      expect(shown).not.toContain('\uFFFD');
      expect(mainText(html)).toContain(
        'This document is long (64 MB): only the first 1 MB is shown here. Download the whole document to read it all; it counts as read once you have downloaded it.',
      );
      expect(html).toContain('Download the whole document</a>');
    }
    // the whole downloads count: one document-viewed each, and Send in goes through
    expect((await history()).filter((e) => e === 'document-viewed')).toHaveLength(3);
    await b.get(`/std/docaction/demo?${q}`);
    const sent = await b.post(`/std/docaction/demo/act?${q}`, { do: 'sendin' });
    expect([sent.status, mainText(sent.text)]).toEqual([200, expect.stringContaining('Thank you: your confirmation has been received')]);
  }, 180_000);
});

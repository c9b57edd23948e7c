// `Expect: 100-continue` (issue 10 item 15): authentication and the size check answer before
// `100 Continue`, so a client never sends a body that is refused anyway; a good upload gets 100,
// then its final status. Raw sockets, because fetch hides interim responses.
import net from 'node:net';
import { startServer, type TestServer } from '../support/server';

const NS = 'https://id.signicat.com/definitions/wsdl/Document-v3';

/** A raw HTTP/1.1 exchange: headers first; the body only once `100 Continue` arrived (if it does). */
class RawClient {
  private buf = '';
  private closed = false;
  private readonly waiters: Array<() => void> = [];
  private readonly sock: net.Socket;

  constructor(url: string) {
    const u = new URL(url);
    this.sock = net.connect(Number(u.port), u.hostname);
    this.sock.setEncoding('latin1');
    this.sock.on('data', (d: string) => {
      this.buf += d;
      this.wake();
    });
    this.sock.on('close', () => {
      this.closed = true;
      this.wake();
    });
    this.sock.on('error', () => {
      this.closed = true;
      this.wake();
    });
  }

  private wake(): void {
    for (const w of this.waiters.splice(0)) w();
  }

  send(data: string | Buffer): void {
    this.sock.write(data);
  }

  /** Resolves once `test(buffer)` holds (or the connection closed, or `ms` passed). */
  async until(test: (b: string) => boolean, ms = 10_000): Promise<string> {
    const deadline = Date.now() + ms;
    while (!test(this.buf) && !this.closed && Date.now() < deadline) {
      await new Promise<void>((resolve) => {
        this.waiters.push(resolve);
        setTimeout(resolve, 50);
      });
    }
    return this.buf;
  }

  /** The first status line received. */
  async firstStatus(): Promise<string> {
    const b = await this.until((x) => x.includes('\r\n'));
    return b.slice(0, b.indexOf('\r\n'));
  }

  end(): void {
    this.sock.destroy();
  }
}

const basic = (user: string, pw: string) => `Basic ${Buffer.from(`${user}:${pw}`).toString('base64')}`;

function head(path: string, headers: Record<string, string>): string {
  return `POST ${path} HTTP/1.1\r\nHost: localhost\r\nExpect: 100-continue\r\n${Object.entries(headers)
    .map(([k, v]) => `${k}: ${v}\r\n`)
    .join('')}\r\n`;
}

describe('Expect: 100-continue answers 401/413 before 100 (item 15)', () => {
  let s: TestServer;
  beforeAll(async () => {
    s = await startServer('sqlite', { SEGL_SDS_LIMIT: '1kb', SEGL_BODY_LIMIT: '64kb' });
  }, 60_000);
  afterAll(async () => {
    await s.stop();
  });

  async function firstLine(path: string, headers: Record<string, string>): Promise<{ first: string; all: string }> {
    const c = new RawClient(s.url);
    try {
      c.send(head(path, headers));
      const first = await c.firstStatus();
      // whatever else arrives in the next moments (a late 100 would show here)
      const all = await c.until((b) => /\r\n\r\n[\s\S]*\n$/.test(b), 500);
      return { first, all };
    } finally {
      c.end();
    }
  }

  test('SDS upload with a wrong password: 401 first, no 100', async () => {
    const r = await firstLine('/doc/demo/sds', {
      authorization: basic('demo', 'wrong-password'),
      'content-type': 'text/plain',
      'content-length': '5',
    });
    expect(r.first).toBe('HTTP/1.1 401 Unauthorized');
    expect(r.all).not.toContain('100 Continue');
    expect(r.all).toMatch(/www-authenticate: Basic/i);
  });

  test('SDS upload without credentials: 401 first', async () => {
    const r = await firstLine('/doc/demo/sds', { 'content-type': 'text/plain', 'content-length': '5' });
    expect(r.first).toBe('HTTP/1.1 401 Unauthorized');
  });

  test('SDS upload over SEGL_SDS_LIMIT by its Content-Length: 413 first, no 100', async () => {
    const r = await firstLine('/doc/demo/sds', {
      authorization: basic('demo', s.demoPassword),
      'content-type': 'text/plain',
      'content-length': '5000',
    });
    expect(r.first).toBe('HTTP/1.1 413 Payload Too Large');
    expect(r.all).not.toContain('100 Continue');
  });

  test('SOAP over SEGL_BODY_LIMIT by its Content-Length: 413 first, no 100', async () => {
    const r = await firstLine('/ws/documentservice-v3', { 'content-type': 'text/xml; charset=utf-8', 'content-length': String(70 * 1024) });
    expect(r.first).toBe('HTTP/1.1 413 Payload Too Large');
    expect(r.all).not.toContain('100 Continue');
    expect(r.all).toContain('the request body exceeds the limit of 65536 bytes');
  });

  test('SOAP with a wrong HTTP Basic header: 401 first, no 100', async () => {
    const r = await firstLine('/ws/documentservice-v3', {
      authorization: basic('demo', 'wrong-password'),
      'content-type': 'text/xml; charset=utf-8',
      'content-length': '300',
    });
    expect(r.first).toBe('HTTP/1.1 401 Unauthorized');
    expect(r.all).not.toContain('100 Continue');
  });

  test('a good SDS upload gets 100 Continue, then 201 once the body is sent', async () => {
    const c = new RawClient(s.url);
    try {
      c.send(head('/doc/demo/sds', { authorization: basic('demo', s.demoPassword), 'content-type': 'text/plain', 'content-length': '5' }));
      expect(await c.firstStatus()).toBe('HTTP/1.1 100 Continue');
      c.send('hello');
      const all = await c.until((b) => /HTTP\/1\.1 201[\s\S]*\r\n\r\n[0-9a-z]{40,}/.test(b));
      expect(all).toMatch(/^HTTP\/1\.1 100 Continue\r\n\r\nHTTP\/1\.1 201 Created\r\n/);
    } finally {
      c.end();
    }
  });

  test('a good SOAP call gets 100 Continue, then 200', async () => {
    const body =
      `<s:Envelope xmlns:s="http://schemas.xmlsoap.org/soap/envelope/"><s:Body><get-task-count-request xmlns="${NS}">` +
      `<service>demo</service><password>${s.demoPassword}</password><filter/></get-task-count-request></s:Body></s:Envelope>`;
    const c = new RawClient(s.url);
    try {
      c.send(
        head('/ws/documentservice-v3', { 'content-type': 'text/xml; charset=utf-8', 'content-length': String(Buffer.byteLength(body)) }),
      );
      expect(await c.firstStatus()).toBe('HTTP/1.1 100 Continue');
      c.send(body);
      const all = await c.until((b) => b.includes('</soap:Envelope>'));
      expect(all).toMatch(/^HTTP\/1\.1 100 Continue\r\n\r\nHTTP\/1\.1 200 OK\r\n/);
      expect(all).toContain('<count>');
    } finally {
      c.end();
    }
  });
});

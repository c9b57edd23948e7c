// Callback allowlist end to end (issue 10 item 13): a real segl with workers, a real receiver, and a
// resolver that never answers for names it does not know — a refusal that needed DNS would never come.
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { callOnce, RESPONSE_BODY_LIMIT } from '../../src/notify/callback';
import { eventually, startReceiver, type Receiver } from '../support/receiver';
import { startServer, type TestServer } from '../support/server';
import { envelope, NS, post } from '../support/soap';

const exec = promisify(execFile);
const FAST = {
  SEGL_CALLBACK_RETRY_SCHEDULE: '200ms,200ms,200ms',
  SEGL_RELAY_INTERVAL: '100ms',
  SEGL_RELAY_LEASE: '1s',
  SEGL_JOB_LOCK: '2s',
};
const doc = `<document xsi:type="provided-document" id="d" mime-type="text/plain"><description>c</description><data>${Buffer.from('x').toString('base64')}</data></document>`;

describe('callback allowlist: names checked before DNS, special ranges only when named as such', () => {
  let s: TestServer;
  let rx: Receiver;
  const asked: string[] = [];
  beforeAll(async () => {
    rx = await startReceiver();
    s = await startServer(
      'sqlite',
      { ...FAST, SEGL_CALLBACK_ALLOW: 'named.test,0.0.0.0/0,::/0' },
      {
        worker: true,
        resolve: (h) => {
          asked.push(h);
          // named.test points at the receiver on loopback; any other name would hang forever
          return h === 'named.test' ? Promise.resolve([{ address: '127.0.0.1', family: 4 }]) : new Promise(() => undefined);
        },
      },
    );
    await s.rt.services.create('shop', 'shop-password-1');
  });
  afterAll(async () => {
    await s.stop();
    await rx.close();
  });

  const createWithCallback = async (recipient: string, service = 'demo', password = s.demoPassword): Promise<string> => {
    const n = `<notification type="URL" notification-id="cb"><recipient>${recipient}</recipient><message>m</message></notification>`;
    const r = await post(
      s.endpoint,
      envelope(
        `<create-request-request xmlns="${NS}"><service>${service}</service><password>${password}</password><request>${doc}` +
          `<task id="t1"><document-action type="sign"><document-ref>d</document-ref></document-action>${n}</task></request></create-request-request>`,
      ),
    );
    const id = /<request-id>([^<]+)</.exec(r.text)?.[1];
    if (!id) throw new Error(`createRequest failed: ${r.text}`);
    return id;
  };
  const refusal = async (recipient: string): Promise<string> => {
    const requestId = await createWithCallback(recipient);
    const [d] = await eventually(
      async () => {
        const l = await s.rt.outbox.log({ requestId, status: 'dead' });
        return l.length ? l : null;
      },
      8000,
      `refusal of ${recipient}`,
    );
    expect(d!.attempts).toBe(1); // refused at once, not retried
    return d!.lastError!;
  };

  test('a host no pattern names is refused at once without asking the resolver (it would hang)', async () => {
    expect(await refusal('http://unlisted.example/hook')).toContain('unlisted.example:80 is not on the callback allowlist');
    expect(await refusal('http://metadata.google.internal/computeMetadata/v1/')).toContain(
      'metadata.google.internal:80 is not on the callback allowlist',
    );
    expect(asked).toEqual([]);
  });

  test('0.0.0.0/0 and ::/0 do not open loopback, and a named host pointing at loopback is refused', async () => {
    expect(await refusal(`${rx.base}/direct`)).toContain('127.0.0.1 is a private/loopback/link-local address');
    expect(await refusal(`http://[::ffff:127.0.0.1]:${rx.port}/mapped`)).toContain(
      '::ffff:7f00:1 is a private/loopback/link-local address',
    );
    expect(await refusal(`http://named.test:${rx.port}/named`)).toContain(
      'named.test resolves to 127.0.0.1, a private/loopback/link-local address',
    );
    expect(asked).toEqual(['named.test']);
    expect(rx.calls).toHaveLength(0);
  });

  test("the same named host is called once a pattern names the loopback address itself (the service's own list)", async () => {
    await s.rt.services.setCallbackAllow('shop', [`127.0.0.1:${rx.port}`]);
    await new Promise((r) => setTimeout(r, 2100)); // the service row cache (2 s)
    const requestId = await createWithCallback(`http://named.test:${rx.port}/shop`, 'shop', 'shop-password-1');
    const [call] = await rx.waitDelivered(1);
    expect(call!.url.pathname).toBe('/shop');
    expect(call!.url.searchParams.get('requestId')).toBe(requestId);
    expect(call!.headers.host).toBe(`named.test:${rx.port}`); // connected to the pinned address, asked for the name
  });
});

describe('callOnce: the connection goes to the approved address, whatever the keep-alive pool holds', () => {
  const servers: http.Server[] = [];
  const listen = async (s: http.Server | https.Server, host: string, port = 0): Promise<number> => {
    servers.push(s as http.Server);
    await new Promise<void>((r) => s.listen(port, host, r));
    return (s.address() as AddressInfo).port;
  };
  afterAll(async () => {
    for (const s of servers) {
      s.closeAllConnections();
      await new Promise((r) => s.close(r));
    }
  });

  test('the same name pinned to another address reaches that address, not a kept-alive socket to the first', async () => {
    const seen: string[] = [];
    const answer = (who: string) => (req: http.IncomingMessage, res: http.ServerResponse) => {
      seen.push(`${who} ${req.headers.host}`);
      res.end('ok');
    };
    const port = await listen(http.createServer({ keepAliveTimeout: 60_000 }, answer('one')), '127.0.0.1');
    await listen(http.createServer({ keepAliveTimeout: 60_000 }, answer('two')), '127.0.0.2', port);
    const url = new URL(`http://flip.test:${port}/cb`);
    expect((await callOnce(url, {}, { address: '127.0.0.1', family: 4 }, 5000)).status).toBe(200);
    expect((await callOnce(url, {}, { address: '127.0.0.2', family: 4 }, 5000)).status).toBe(200);
    expect(seen).toEqual([`one flip.test:${port}`, `two flip.test:${port}`]);
  });

  test('https: the name goes in SNI (and so the certificate is checked against it), the TCP connection to the address', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'segl-tls-'));
    await exec('openssl', [
      'req',
      '-x509',
      '-newkey',
      'ec',
      '-pkeyopt',
      'ec_paramgen_curve:P-256',
      '-nodes',
      '-days',
      '1',
      '-subj',
      '/CN=tls.test',
      '-addext',
      'subjectAltName=DNS:tls.test',
      '-keyout',
      path.join(dir, 'k.pem'),
      '-out',
      path.join(dir, 'c.pem'),
    ]);
    const sni: string[] = [];
    const server = https.createServer(
      {
        key: readFileSync(path.join(dir, 'k.pem')),
        cert: readFileSync(path.join(dir, 'c.pem')),
        SNICallback: (name, cb) => {
          sni.push(name);
          cb(null, undefined);
        }, // the ClientHello's server name; the default context answers
      },
      (_q, r) => r.end('ok'),
    );
    server.on('tlsClientError', () => undefined);
    const port = await listen(server, '127.0.0.1');
    rmSync(dir, { recursive: true, force: true });
    // the test certificate is not trusted by the system store: the call fails, after the handshake carried the name
    await expect(callOnce(new URL(`https://tls.test:${port}/cb`), {}, { address: '127.0.0.1', family: 4 }, 5000)).rejects.toThrow(
      /self[- ]signed/,
    );
    expect(sni).toEqual(['tls.test']);
  });
  test('a redirect is answered, not followed: the other address is never called', async () => {
    const hits: string[] = [];
    const target = await listen(
      http.createServer((_q, r) => {
        hits.push('target');
        r.end('ok');
      }),
      '127.0.0.1',
    );
    const port = await listen(
      http.createServer((_q, r) => {
        r.writeHead(302, { location: `http://127.0.0.1:${target}/elsewhere` }).end();
      }),
      '127.0.0.1',
    );
    const res = await callOnce(new URL(`http://hop.test:${port}/cb`), {}, { address: '127.0.0.1', family: 4 }, 5000);
    expect(res).toMatchObject({ status: 302, location: `http://127.0.0.1:${target}/elsewhere` });
    expect(hits).toEqual([]);
  });

  test('a body past RESPONSE_BODY_LIMIT is not read to its end; one that never ends is cut off by the timeout', async () => {
    const chunk = Buffer.alloc(16 * 1024, 'x');
    let written = 0;
    const port = await listen(
      http.createServer((q, r) => {
        r.writeHead(200, { 'content-type': 'text/plain' }); // chunked, no length: the client must count
        if (q.url === '/slow') {
          r.write('a little, then nothing');
          return;
        }
        const more = () => {
          while (written < 64 * 1024 * 1024 && !r.destroyed) {
            written += chunk.length;
            if (!r.write(chunk)) return r.once('drain', more);
          }
          r.end();
        };
        more();
      }),
      '127.0.0.1',
    );
    const res = await callOnce(new URL(`http://big.test:${port}/cb`), {}, { address: '127.0.0.1', family: 4 }, 10_000);
    expect(res.status).toBe(200);
    expect(written).toBeLessThan(16 * 1024 * 1024); // the connection was closed long before 64 MiB
    expect(RESPONSE_BODY_LIMIT).toBeLessThanOrEqual(1024 * 1024);
    await expect(callOnce(new URL(`http://big.test:${port}/slow`), {}, { address: '127.0.0.1', family: 4 }, 300)).rejects.toThrow(
      'no 2xx answer within 300 ms',
    );
  });
});

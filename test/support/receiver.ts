// A real HTTP receiver for callbacks: records every call and answers as the test scripts it.
import http from 'node:http';
import type { AddressInfo } from 'node:net';

export interface Call {
  url: URL;
  headers: http.IncomingHttpHeaders;
  at: number;
  status: number;
  /** the caller's TCP port (tells which process made the call: see test/support/sockets.ts) */
  remotePort?: number;
}

export interface Receiver {
  port: number;
  base: string;
  calls: Call[];
  /** the status for the next call (and the optional headers); default 200 */
  answer: (call: Omit<Call, 'status'>) => number | { status: number; headers?: Record<string, string> } | 'hang';
  /** resolves once `n` calls have been answered with a 2xx */
  waitDelivered(n: number, timeoutMs?: number): Promise<Call[]>;
  close(): Promise<void>;
}

export async function startReceiver(port = 0): Promise<Receiver> {
  const calls: Call[] = [];
  const hanging = new Set<http.ServerResponse>();
  const waiters: Array<() => void> = [];
  const server = http.createServer((req, res) => {
    const call = { url: new URL(req.url!, 'http://x'), headers: req.headers, at: Date.now(), remotePort: req.socket.remotePort };
    const a = r.answer(call);
    if (a === 'hang') {
      hanging.add(res);
      calls.push({ ...call, status: 0 });
      return;
    }
    const { status, headers } = typeof a === 'number' ? { status: a, headers: {} } : a;
    calls.push({ ...call, status });
    res.writeHead(status, headers).end('ok');
    waiters.forEach((w) => w());
  });
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  const actual = (server.address() as AddressInfo).port;
  const r: Receiver = {
    port: actual,
    base: `http://127.0.0.1:${actual}`,
    calls,
    answer: () => 200,
    waitDelivered: (n, timeoutMs = 15_000) =>
      new Promise((resolve, reject) => {
        const ok = () => calls.filter((c) => c.status >= 200 && c.status < 300);
        const check = () => {
          if (ok().length >= n) {
            clearTimeout(t);
            resolve(ok());
            return true;
          }
          return false;
        };
        const t = setTimeout(
          () =>
            reject(
              new Error(
                `only ${ok().length} of ${n} callbacks delivered; calls: ${JSON.stringify(calls.map((c) => [c.url.pathname, c.status]))}`,
              ),
            ),
          timeoutMs,
        );
        if (!check()) waiters.push(() => void check());
      }),
    close: async () => {
      for (const h of hanging) h.destroy();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
  return r;
}

/** Polls `f` until it returns a truthy value (or fails after `timeoutMs`). */
export async function eventually<T>(f: () => Promise<T | undefined | null | false>, timeoutMs = 15_000, what = 'condition'): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await f();
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

// One callback call: HTTP GET to a checked, pinned address, redirects not followed, 2xx within the
// timeout is delivery. undici rather than node:http: the same keep-alive connections for about 60 %
// of node:http's CPU per call (bench/README.md, deliveries), and the client was the largest single
// cost of a delivery.
import { isIP } from 'node:net';
import { Pool, type Dispatcher } from 'undici';
import { SEGL_VERSION } from '../version';

const USER_AGENT = `segl/${SEGL_VERSION} (callback)`;
/** Connections kept per pinned destination (as node:http's maxSockets was). */
const CONNECTIONS = 256;
/**
 * The body is not needed: at most this much is read (so the connection can be reused), a longer one
 * closes the connection instead of being read to its end.
 */
export const RESPONSE_BODY_LIMIT = 64 * 1024;

export interface CallbackResult {
  status: number;
  location?: string;
  ms: number;
}

/**
 * One pool per scheme, pinned address, port and server name: a connection made for one approved
 * address is never used for another. A bounded number of destinations; the oldest pool is closed
 * when there are more (its calls in progress finish first).
 */
const pools = new Map<string, Pool>();
const MAX_POOLS = 1000;

function poolFor(url: URL, pinned: { address: string; family: 4 | 6 }, servername: string | undefined): Pool {
  const port = url.port || (url.protocol === 'https:' ? '443' : '80');
  const host = pinned.family === 6 ? `[${pinned.address}]` : pinned.address;
  const origin = `${url.protocol}//${host}:${port}`;
  const key = `${origin}\n${servername ?? ''}`;
  let pool = pools.get(key);
  if (!pool) {
    if (pools.size >= MAX_POOLS) {
      const [oldest, p] = pools.entries().next().value as [string, Pool];
      pools.delete(oldest);
      void p.close().catch(() => undefined);
    }
    // SNI, and the certificate check, use the name; an IP-literal URL has none (the address is checked)
    pool = new Pool(origin, { connections: CONNECTIONS, pipelining: 1, connect: servername ? { servername } : {} });
    pools.set(key, pool);
  }
  return pool;
}

/**
 * GETs `url` from exactly the `pinned` address (the one the allowlist check approved), whatever DNS
 * says now: the connection goes to the address, the name travels in Host and, for TLS, in SNI and
 * the certificate check. Redirects are not followed (a dispatch never does); the whole call, body
 * included, is bounded by `timeoutMs`. A bare dispatch rather than undici's request(): no body stream,
 * no AbortSignal per call (both showed in the deliveries profile), and the body is only counted.
 */
export function callOnce(
  url: URL,
  headers: Record<string, string>,
  pinned: { address: string; family: 4 | 6 },
  timeoutMs: number,
): Promise<CallbackResult> {
  const started = Date.now();
  const name = url.hostname.replace(/^\[|\]$/g, '');
  const pool = poolFor(url, pinned, isIP(name) ? undefined : name);
  return new Promise<CallbackResult>((resolve, reject) => {
    let controller: Dispatcher.DispatchController | undefined;
    let settled = false;
    let status = 0;
    let location: string | undefined;
    let read = 0;
    const timeout = new Error(`no 2xx answer within ${timeoutMs} ms`);
    const finish = (f: () => void) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      f();
    };
    const answered = () => finish(() => resolve({ status, location, ms: Date.now() - started }));
    // also while the call waits for a connection of the pool: it is dropped as soon as it would start
    const timer = setTimeout(() => {
      finish(() => reject(timeout));
      controller?.abort(timeout);
    }, timeoutMs);
    pool.dispatch(
      {
        path: `${url.pathname}${url.search}`,
        method: 'GET',
        headers: { 'user-agent': USER_AGENT, accept: '*/*', ...headers, host: url.host },
        headersTimeout: timeoutMs,
        bodyTimeout: timeoutMs,
      },
      {
        onRequestStart(c) {
          controller = c;
          if (settled) c.abort(timeout);
        },
        onResponseStart(_c, statusCode, h) {
          status = statusCode;
          location = Array.isArray(h.location) ? h.location[0] : h.location;
        },
        onResponseData(c, chunk) {
          read += chunk.length;
          if (read <= RESPONSE_BODY_LIMIT) return;
          answered(); // the status is known; the rest is not read, and the connection is closed
          c.abort(new Error(`response body over ${RESPONSE_BODY_LIMIT} bytes`));
        },
        onResponseEnd: answered,
        onResponseError: (_c, e) => finish(() => reject(e)),
      },
    );
  });
}

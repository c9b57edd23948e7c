// One callback call: HTTP GET to a checked, pinned address, redirects not followed, 2xx within the
// timeout is delivery. Keep-alive agents, because busy integrators get many calls.
import http from 'node:http';
import https from 'node:https';
import { isIP } from 'node:net';
import { SEGL_VERSION } from '../version';

const httpAgent = new http.Agent({ keepAlive: true, maxSockets: 256 });
const httpsAgent = new https.Agent({ keepAlive: true, maxSockets: 256 });
const USER_AGENT = `segl/${SEGL_VERSION} (callback)`;

export interface CallbackResult {
  status: number;
  location?: string;
  ms: number;
}

/**
 * GETs `url` from exactly the `pinned` address (the one the allowlist check approved), whatever DNS
 * says now: the connection goes to the address, the name travels in Host and, for TLS, in SNI and
 * the certificate check. The keep-alive pool is keyed by that address, so a socket kept from an
 * earlier approval of another address is never reused for this one.
 */
export function callOnce(
  url: URL,
  headers: Record<string, string>,
  pinned: { address: string; family: 4 | 6 },
  timeoutMs: number,
): Promise<CallbackResult> {
  const started = Date.now();
  const mod = url.protocol === 'https:' ? https : http;
  const name = url.hostname.replace(/^\[|\]$/g, '');
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => req.destroy(new Error(`no 2xx answer within ${timeoutMs} ms`)), timeoutMs);
    const done = (f: () => void) => {
      clearTimeout(timer);
      f();
    };
    // plain options rather than the URL object (node would convert it on every call)
    const req = mod.request(
      {
        protocol: url.protocol,
        host: pinned.address,
        family: pinned.family,
        port: url.port || undefined,
        path: `${url.pathname}${url.search}`,
        servername: isIP(name) ? undefined : name, // SNI may not be an address; then the address itself is checked
        method: 'GET',
        agent: url.protocol === 'https:' ? httpsAgent : httpAgent,
        headers: { 'user-agent': USER_AGENT, accept: '*/*', ...headers, host: url.host },
      },
      (res) => {
        res.resume(); // the body is not needed; drain it so the socket can be reused
        res.once('end', () =>
          done(() => resolve({ status: res.statusCode ?? 0, location: res.headers.location, ms: Date.now() - started })),
        );
        res.once('error', (e) => done(() => reject(e)));
      },
    );
    req.once('error', (e) => done(() => reject(e)));
    req.end();
  });
}

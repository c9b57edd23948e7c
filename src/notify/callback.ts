// One callback call: HTTP GET to a checked, pinned address, redirects not followed, 2xx within the
// timeout is delivery. Keep-alive agents, because busy integrators get many calls.
import http from 'node:http';
import https from 'node:https';
import type { LookupFunction } from 'node:net';
import { SEGL_VERSION } from '../version';

const httpAgent = new http.Agent({ keepAlive: true, maxSockets: 256 });
const httpsAgent = new https.Agent({ keepAlive: true, maxSockets: 256 });
const USER_AGENT = `segl/${SEGL_VERSION} (callback)`;

export interface CallbackResult { status: number; location?: string; ms: number }

/** Connects to `pinned` whatever DNS says now: the address the allowlist check approved. */
function pinnedLookup(pinned: { address: string; family: 4 | 6 }): LookupFunction {
  return ((_host: string, opts: { all?: boolean }, cb: (...a: unknown[]) => void) => {
    if (opts?.all) cb(null, [{ address: pinned.address, family: pinned.family }]);
    else cb(null, pinned.address, pinned.family);
  }) as unknown as LookupFunction;
}

export function callOnce(url: URL, headers: Record<string, string>, pinned: { address: string; family: 4 | 6 }, timeoutMs: number): Promise<CallbackResult> {
  const started = Date.now();
  const mod = url.protocol === 'https:' ? https : http;
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => req.destroy(new Error(`no 2xx answer within ${timeoutMs} ms`)), timeoutMs);
    const done = (f: () => void) => { clearTimeout(timer); f(); };
    // plain options rather than the URL object (node would convert it on every call)
    const req = mod.request({
      protocol: url.protocol, hostname: url.hostname.replace(/^\[|\]$/g, ''), port: url.port || undefined, path: `${url.pathname}${url.search}`,
      method: 'GET', agent: url.protocol === 'https:' ? httpsAgent : httpAgent, lookup: pinnedLookup(pinned),
      headers: { 'user-agent': USER_AGENT, accept: '*/*', ...headers },
    }, (res) => {
      res.resume(); // the body is not needed; drain it so the socket can be reused
      res.once('end', () => done(() => resolve({ status: res.statusCode ?? 0, location: res.headers.location, ms: Date.now() - started })));
      res.once('error', (e) => done(() => reject(e)));
    });
    req.once('error', (e) => done(() => reject(e)));
    req.end();
  });
}

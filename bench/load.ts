// The load generator: a warm-up then the measured run. Run as a child process
// (`node dist/bench/load.js`, a LoadSpec as JSON on stdin, a LoadResult as JSON on stdout) so the
// server under test keeps its event loop and a core to itself; runLoad() is also callable in-process.
// Two engines: autocannon (closed loop, or its per-second `overallRate` limiter) and `paced`, an
// open-loop sender that spaces requests evenly (one every 1000/rate ms) and times each from its
// scheduled send time, so a slow answer cannot hide later latency (no coordinated omission).
import http from 'node:http';
import { performance } from 'node:perf_hooks';
import autocannon from 'autocannon';

export interface LoadSpec {
  title: string;
  url: string;
  method: 'POST' | 'GET';
  headers: Record<string, string>;
  body?: string;
  connections: number;
  /** measured seconds */
  duration: number;
  /** seconds of unmeasured load first (same connections and rate) */
  warmup: number;
  /** fixed overall request rate (req/s); unset = as fast as the server answers */
  overallRate?: number;
  /** per-request timeout, seconds */
  timeout?: number;
  /** autocannon (default) or paced (needs overallRate) */
  engine?: 'autocannon' | 'paced';
}

export interface LoadResult {
  title: string;
  engine: 'autocannon' | 'paced';
  /** measured wall time, seconds */
  duration: number;
  connections: number;
  overallRate?: number;
  /** 2xx responses per second over the measured run */
  reqPerSec: number;
  /** exact percentiles of the 2xx response times, in ms (float), from every sample */
  p50Ms: number;
  p90Ms: number;
  p99Ms: number;
  maxMs: number;
  meanMs: number;
  /** responses by class */
  ok2xx: number;
  non2xx: number;
  statusCodes: Record<string, number>;
  /** connection errors and timeouts (no response at all) */
  errors: number;
  timeouts: number;
  /** requests sent and responses received */
  sent: number;
  answered: number;
  /** (non2xx + errors) / (answered + errors) */
  errorFraction: number;
  warmup: { duration: number; ok2xx: number; non2xx: number; errors: number };
  /** autocannon's own summary, for comparison (integer-ms histogram; with overallRate it applies its coordinated-omission correction) */
  autocannon?: { requestsAverage: number; latencyP50: number; latencyP99: number; latencyMax: number };
}

/** What one engine run counted. */
interface Counts {
  duration: number;
  ok2xx: number;
  non2xx: number;
  errors: number;
  timeouts: number;
  sent: number;
  answered: number;
  statusCodes: Record<string, number>;
  autocannon?: LoadResult['autocannon'];
}

type OnResponse = (status: number, ms: number) => void;

function percentile(sorted: number[], p: number): number {
  if (!sorted.length) return NaN;
  const i = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[i]!;
}

const round = (x: number, digits = 3): number => (Number.isFinite(x) ? Number(x.toFixed(digits)) : x);

function cannon(spec: LoadSpec, seconds: number, onResponse?: OnResponse): Promise<Counts> {
  return new Promise((resolve, reject) => {
    const inst = autocannon(
      {
        url: spec.url,
        method: spec.method,
        headers: spec.headers,
        body: spec.body,
        connections: spec.connections,
        duration: seconds,
        timeout: spec.timeout ?? 10,
        ...(spec.overallRate ? { overallRate: spec.overallRate } : {}),
      },
      (err, res: autocannon.Result) => {
        if (err) {
          reject(err);
          return;
        }
        const statusCodes: Record<string, number> = {};
        for (const [code, v] of Object.entries(res.statusCodeStats ?? {})) statusCodes[code] = (v as { count: number }).count;
        resolve({
          duration: res.duration,
          ok2xx: res['2xx'],
          non2xx: res.non2xx,
          errors: res.errors,
          timeouts: res.timeouts,
          sent: res.requests.sent,
          answered: res['1xx'] + res['2xx'] + res['3xx'] + res['4xx'] + res['5xx'],
          statusCodes,
          autocannon: {
            requestsAverage: res.requests.average,
            latencyP50: res.latency.p50,
            latencyP99: res.latency.p99,
            latencyMax: res.latency.max,
          },
        });
      },
    );
    if (onResponse) {
      inst.on('response', (_client: unknown, statusCode: number, _bytes: number, responseTime: number) =>
        onResponse(statusCode, responseTime),
      );
    }
  });
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Open loop: request i is due at start + i * 1000/rate ms over at most `connections` keep-alive sockets. */
async function paced(spec: LoadSpec, seconds: number, onResponse?: OnResponse): Promise<Counts> {
  const rate = spec.overallRate;
  if (!rate) throw new Error('the paced engine needs overallRate');
  const url = new URL(spec.url);
  const body = Buffer.from(spec.body ?? '', 'utf8');
  const headers = { ...spec.headers, 'content-length': String(body.length) };
  const agent = new http.Agent({ keepAlive: true, maxSockets: spec.connections });
  const c: Counts = { duration: 0, ok2xx: 0, non2xx: 0, errors: 0, timeouts: 0, sent: 0, answered: 0, statusCodes: {} };
  const one = (due: number): Promise<void> =>
    new Promise((resolve) => {
      c.sent++;
      const req = http.request(
        {
          agent,
          host: url.hostname,
          port: url.port,
          path: url.pathname + url.search,
          method: spec.method,
          headers,
          timeout: (spec.timeout ?? 10) * 1000,
        },
        (res) => {
          res.resume();
          res.on('end', () => {
            const ms = performance.now() - due;
            const code = res.statusCode ?? 0;
            c.answered++;
            c.statusCodes[code] = (c.statusCodes[code] ?? 0) + 1;
            if (code >= 200 && code < 300) c.ok2xx++;
            else c.non2xx++;
            onResponse?.(code, ms);
            resolve();
          });
          res.on('error', () => {
            c.errors++;
            resolve();
          });
        },
      );
      req.on('timeout', () => {
        c.timeouts++;
        req.destroy(new Error('timeout'));
      });
      req.on('error', () => {
        c.errors++;
        resolve();
      });
      req.end(body);
    });
  const total = Math.max(1, Math.round(seconds * rate));
  const start = performance.now() + 5;
  const inflight: Array<Promise<void>> = [];
  for (let i = 0; i < total; i++) {
    const due = start + (i * 1000) / rate;
    const wait = due - performance.now();
    if (wait > 0) await sleep(wait);
    inflight.push(one(due));
  }
  await Promise.all(inflight);
  c.duration = Number(((performance.now() - start) / 1000).toFixed(2));
  agent.destroy();
  return c;
}

export async function runLoad(spec: LoadSpec): Promise<LoadResult> {
  const engine = spec.engine ?? 'autocannon';
  const run = engine === 'paced' ? paced : cannon;
  const warm = spec.warmup > 0 ? await run(spec, spec.warmup) : undefined;
  const samples: number[] = [];
  const c = await run(spec, spec.duration, (status, ms) => {
    if (status >= 200 && status < 300) samples.push(ms);
  });
  samples.sort((a, b) => a - b);
  const mean = samples.length ? samples.reduce((a, b) => a + b, 0) / samples.length : NaN;
  return {
    title: spec.title,
    engine,
    duration: c.duration,
    connections: spec.connections,
    overallRate: spec.overallRate,
    reqPerSec: round(c.ok2xx / c.duration, 1),
    p50Ms: round(percentile(samples, 50)),
    p90Ms: round(percentile(samples, 90)),
    p99Ms: round(percentile(samples, 99)),
    maxMs: round(samples.length ? samples[samples.length - 1]! : NaN),
    meanMs: round(mean),
    ok2xx: c.ok2xx,
    non2xx: c.non2xx,
    statusCodes: c.statusCodes,
    errors: c.errors,
    timeouts: c.timeouts,
    sent: c.sent,
    answered: c.answered,
    errorFraction: round((c.non2xx + c.errors) / Math.max(1, c.answered + c.errors), 6),
    warmup: warm
      ? { duration: warm.duration, ok2xx: warm.ok2xx, non2xx: warm.non2xx, errors: warm.errors }
      : { duration: 0, ok2xx: 0, non2xx: 0, errors: 0 },
    ...(c.autocannon ? { autocannon: c.autocannon } : {}),
  };
}

async function main(): Promise<void> {
  const chunks: Buffer[] = [];
  for await (const c of process.stdin) chunks.push(c as Buffer);
  const spec = JSON.parse(Buffer.concat(chunks).toString('utf8')) as LoadSpec;
  const result = await runLoad(spec);
  process.stdout.write(`${JSON.stringify(result)}\n`);
}

if (require.main === module) {
  main().catch((e: unknown) => {
    process.stderr.write(`load: ${(e as Error).stack ?? String(e)}\n`);
    process.exit(1);
  });
}

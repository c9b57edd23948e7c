// The packaging phase's processes: the worker (bench/pack.js) run as a child, with a `go` line for the workers
// that must start together; and the baselines, qpdf (`qpdf --empty --pages in.pdf -- out.pdf`, timed from spawn
// to exit) and `openssl speed rsa2048` with `-multi N`.
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { promisify } from 'node:util';
import type { PackResult, PackSpec } from './pack';
import { latencySummary, type LatencySummary } from './report';
import { parseOpensslSpeed, type OpensslSpeed } from './sealing';

const running = new Set<ChildProcess>();

/** Stops packaging workers still running (the bench was interrupted). */
export function killPackChildren(): void {
  for (const c of running) if (c.exitCode === null) c.kill('SIGTERM');
}

export interface PackRun {
  /** resolves when a throughput worker has warmed up and waits for `go` */
  ready: Promise<void>;
  go(): void;
  /** SIGTERM, when another worker of the same run failed */
  stop(): void;
  result: Promise<PackResult>;
}

/** Starts `node [nodeArgs] dist/bench/pack.js` with `spec`; SIGTERM after `timeoutMs`. */
export function startPack(spec: PackSpec, timeoutMs: number, nodeArgs: string[] = []): PackRun {
  const child = spawn(process.execPath, [...nodeArgs, path.join(__dirname, 'pack.js')], { stdio: ['pipe', 'pipe', 'pipe'] });
  running.add(child);
  let out = '';
  let err = '';
  let markReady: () => void = () => undefined;
  let failReady: (e: Error) => void = () => undefined;
  const ready = new Promise<void>((resolve, reject) => {
    markReady = resolve;
    failReady = reject;
  });
  ready.catch(() => undefined);
  child.stdout.setEncoding('utf8').on('data', (s: string) => {
    out += s;
    if (out.includes('{"ready":true}')) markReady();
  });
  child.stderr.setEncoding('utf8').on('data', (s: string) => {
    err += s;
  });
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    if (child.exitCode === null) child.kill('SIGTERM');
  }, timeoutMs);
  const result = new Promise<PackResult>((resolve, reject) => {
    const fail = (e: Error): void => {
      failReady(e);
      reject(e);
    };
    child.once('error', (e) => {
      running.delete(child);
      clearTimeout(timer);
      fail(e);
    });
    child.once('exit', (code, signal) => {
      running.delete(child);
      clearTimeout(timer);
      const what = `packaging ${spec.mode} worker`;
      if (timedOut) return fail(new Error(`${what} did not finish within ${Math.round(timeoutMs / 1000)} s: ${err.trim().slice(-500)}`));
      if (code !== 0) return fail(new Error(`${what} exited with ${signal ?? code}: ${err.trim().slice(-1500)}`));
      try {
        resolve(JSON.parse(out.trim().split('\n').pop() ?? '') as PackResult);
      } catch {
        fail(new Error(`${what} printed no JSON result: ${out.slice(-300)} ${err.slice(-300)}`));
      }
    });
  });
  result.catch(() => undefined); // awaited by the caller; this only keeps an unawaited failure from crashing the bench
  child.stdin.write(`${JSON.stringify(spec)}\n`);
  if (spec.mode !== 'throughput') child.stdin.end();
  return {
    ready,
    go: () => child.stdin.end('go\n'),
    stop: () => {
      if (child.exitCode === null) child.kill('SIGTERM');
    },
    result,
  };
}

/** One worker run to its result, with the type of its mode. */
export async function runPack<M extends PackResult['mode']>(
  spec: PackSpec & { mode: M },
  timeoutMs: number,
  nodeArgs: string[] = [],
): Promise<Extract<PackResult, { mode: M }>> {
  const r = await startPack(spec, timeoutMs, nodeArgs).result;
  if (r.mode !== spec.mode) throw new Error(`packaging: a ${spec.mode} worker answered as ${r.mode}`);
  return r as Extract<PackResult, { mode: M }>;
}

const execFileP = promisify(execFile);
export const loadAverage = (): number[] => os.loadavg().map((x) => Number(x.toFixed(2)));

export interface QpdfRuns {
  command: string;
  version: string;
  /** load average (1, 5, 15 min) just before the runs */
  loadAverage: number[];
  ms: number[];
  summary: LatencySummary;
}

/** `reps` timed runs of qpdf (after one untimed run), each from spawn until the process has exited. */
export async function qpdfRuns(input: string, output: string, reps: number): Promise<QpdfRuns> {
  const args = ['--empty', '--pages', input, '--', output];
  const once = (): Promise<number> =>
    new Promise((resolve, reject) => {
      const t = performance.now();
      const child = spawn('qpdf', args, { stdio: ['ignore', 'ignore', 'pipe'] });
      let err = '';
      child.stderr.setEncoding('utf8').on('data', (s: string) => (err += s));
      child.once('error', reject);
      child.once('exit', (code) => {
        const ms = performance.now() - t;
        // 0: fine; 3: succeeded with warnings (qpdf(1) EXIT STATUS)
        if (code === 0 || code === 3) resolve(ms);
        else reject(new Error(`qpdf ${args.join(' ')} exited with ${String(code)}: ${err.trim().slice(-300)}`));
      });
    });
  const version = (await execFileP('qpdf', ['--version'])).stdout.split('\n')[0] ?? 'unknown';
  await once();
  const at = loadAverage();
  const ms: number[] = [];
  for (let i = 0; i < reps; i++) ms.push(Number((await once()).toFixed(2)));
  return {
    command: `qpdf ${args.map((a) => (a === input ? 'in.pdf' : a === output ? 'out.pdf' : a)).join(' ')}`,
    version,
    loadAverage: at,
    ms,
    summary: latencySummary(ms),
  };
}

/** `qpdf --check`: 0 clean, 3 warnings; anything else is an error (the text is returned). */
export async function qpdfCheck(file: string): Promise<{ ok: boolean; text: string }> {
  try {
    const r = await execFileP('qpdf', ['--check', file], { maxBuffer: 16 * 2 ** 20 });
    return { ok: true, text: r.stdout.trim().split('\n').slice(-2).join(' ') };
  } catch (e) {
    const x = e as { code?: number; stdout?: string; stderr?: string };
    return { ok: x.code === 3, text: `${x.stdout ?? ''}${x.stderr ?? ''}`.trim().slice(-300) };
  }
}

/** `openssl speed -seconds S [-multi N] rsa2048`; with -multi, sign/s is the sum over the N processes. */
export async function opensslRsa(seconds: number, multi: number): Promise<OpensslSpeed & { processes: number }> {
  const args = ['speed', '-seconds', String(seconds), ...(multi > 1 ? ['-multi', String(multi)] : []), 'rsa2048'];
  const r = await execFileP('openssl', args, { timeout: (seconds * 4 + 60) * 1000, maxBuffer: 4 * 2 ** 20 });
  const version = (await execFileP('openssl', ['version'])).stdout.trim();
  return { command: `openssl ${args.join(' ')}`, version, processes: Math.max(1, multi), ...parseOpensslSpeed(r.stdout) };
}

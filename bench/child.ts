// Runs bench/load.js (or bench/transfer.js) in a child `node` process: the spec goes in on stdin,
// the result comes back as the JSON line on stdout. The server under test keeps the bench process's
// event loop to itself.
import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { runLoad, type LoadResult, type LoadSpec } from './load';
import type { SealResult, SealSpec } from './seal';
import type { TransferResult, TransferSpec } from './transfer';

const running = new Set<ChildProcess>();

/** Kills load children still running (used when the bench is interrupted). */
export function killLoadChildren(): void {
  for (const c of running) if (c.exitCode === null) c.kill('SIGTERM');
}

export function runLoadInChild(spec: LoadSpec): Promise<LoadResult> {
  return runJsonChild<LoadResult>('load.js', spec);
}

/** One SDS upload or download by bench/transfer.js in a child process. */
export function runTransferInChild(spec: TransferSpec): Promise<TransferResult> {
  return runJsonChild<TransferResult>('transfer.js', spec);
}

/** The sealing worker (bench/seal.js): segl's signing pipeline on one core; SIGTERM after `timeoutMs`. */
export function runSealInChild(spec: SealSpec, timeoutMs: number): Promise<SealResult> {
  return runJsonChild<SealResult>('seal.js', spec, timeoutMs);
}

function runJsonChild<R>(script: string, spec: { title: string }, timeoutMs?: number): Promise<R> {
  const what = script.replace(/\.js$/, '');
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [path.join(__dirname, script)], { stdio: ['pipe', 'pipe', 'pipe'] });
    running.add(child);
    let timedOut = false;
    const timer =
      timeoutMs === undefined
        ? undefined
        : setTimeout(() => {
            timedOut = true;
            if (child.exitCode === null) child.kill('SIGTERM');
          }, timeoutMs);
    let out = '';
    let err = '';
    child.stdout.setEncoding('utf8').on('data', (s: string) => {
      out += s;
    });
    child.stderr.setEncoding('utf8').on('data', (s: string) => {
      err += s;
    });
    child.once('error', (e) => {
      running.delete(child);
      clearTimeout(timer);
      reject(e);
    });
    child.once('exit', (code, signal) => {
      running.delete(child);
      clearTimeout(timer);
      if (timedOut) {
        reject(
          new Error(
            `${what} child for "${spec.title}" did not finish within ${Math.round(timeoutMs! / 1000)} s and was stopped: ${err.trim().slice(-500)}`,
          ),
        );
        return;
      }
      if (code !== 0) {
        reject(new Error(`${what} child for "${spec.title}" exited with ${signal ?? code}: ${err.trim()}`));
        return;
      }
      const line = out.trim().split('\n').pop() ?? '';
      try {
        resolve(JSON.parse(line) as R);
      } catch {
        reject(new Error(`${what} child for "${spec.title}" printed no JSON result: ${out.slice(0, 500)} ${err.slice(0, 500)}`));
      }
    });
    child.stdin.end(JSON.stringify(spec));
  });
}

/** The child-process runner by default; BENCH_INPROCESS comparison rows use runLoad directly. */
export function runLoadWhere(spec: LoadSpec, where: 'child' | 'in-process'): Promise<LoadResult> {
  return where === 'child' ? runLoadInChild(spec) : runLoad(spec);
}

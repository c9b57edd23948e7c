// A segl process from the built CLI (bin/segl.js → dist/), its output collected, its exit awaited.
// Tests that need the real process model (signals, several processes, the private redis-server) use it.
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { eventually } from './receiver';
import { REPO } from './soap';

export const BIN = path.join(REPO, 'bin', 'segl.js');

export interface SeglProcess {
  proc: ChildProcess;
  /** everything it printed so far (stdout and stderr) */
  out: () => string;
  /** the URL from its banner (127.0.0.1, not localhost); empty for `segl worker` */
  url: string;
  exit: Promise<{ code: number | null; signal: NodeJS.Signals | null; at: number }>;
}

/**
 * `segl <command>` with `env` over the test's own environment (REDIS_URL removed unless `env` sets
 * it), started once `ready` matches its output (default: the banner of `start` and `api`).
 */
export async function spawnSegl(
  command: 'start' | 'api' | 'worker',
  env: NodeJS.ProcessEnv,
  ready = /segl is running/,
): Promise<SeglProcess> {
  const full: NodeJS.ProcessEnv = { ...process.env, REDIS_URL: undefined, ...env };
  if (full.REDIS_URL === undefined) delete full.REDIS_URL;
  const proc = spawn(process.execPath, [BIN, command], { env: full, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  const collect = (s: string) => {
    out += s;
  };
  proc.stdout!.setEncoding('utf8').on('data', collect);
  proc.stderr!.setEncoding('utf8').on('data', collect);
  const exit = new Promise<{ code: number | null; signal: NodeJS.Signals | null; at: number }>((resolve) => {
    proc.once('exit', (code, signal) => resolve({ code, signal, at: Date.now() }));
  });
  await eventually(
    async () => {
      if (proc.exitCode !== null) throw new Error(`segl ${command} exited:\n${out}`);
      return ready.test(out);
    },
    60_000,
    `segl ${command} to start`,
  );
  const banner = /segl is running \(\w+\) at (http:\/\/\S+)/.exec(out)?.[1];
  return { proc, out: () => out, url: banner?.replace('//localhost:', '//127.0.0.1:') ?? '', exit };
}

/** `segl <args>` run to its end with exactly `env`: its exit code and output (a failure is an answer, not a throw). */
export async function runSegl(env: NodeJS.ProcessEnv, ...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [BIN, ...args], { env, timeout: 120_000, encoding: 'utf8' }, (e, stdout, stderr) =>
      resolve({ code: e ? (typeof e.code === 'number' ? e.code : 1) : 0, stdout, stderr }),
    );
  });
}

// Redis for the queues: REDIS_URL when set, otherwise a private redis-server this process starts
// (the system binary, or the one redis-memory-server provides when there is none), supervises and
// stops. Supervised because a dead private Redis would otherwise stall every queue until someone
// restarts segl: an unexpected exit is logged and the server restarted on the same port and
// directory with a growing back-off. It keeps no data (the database is the truth and the outbox
// re-drives what Redis loses), so a restart loses nothing; onRestart lets the owner re-create what
// lived only in Redis (the timers' job schedulers). Stopping is bounded: SIGTERM, then SIGKILL.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, readlinkSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import path from 'node:path';
import IORedis, { type Redis } from 'ioredis';
import type { Logger } from 'pino';

export interface RedisHandle {
  url: string;
  private: boolean;
  /** why the private server is not serving (it exited and is being restarted), else undefined */
  down(): string | undefined;
  /** called after the private server was restarted (and answers again) */
  onRestart(f: () => void): void;
  /** stops the private server (bounded: SIGTERM, SIGKILL after 1 s); nothing for REDIS_URL */
  stop(): Promise<void>;
}

/** Waits between restarts of a private redis-server that exits; back to the first after 30 s up. */
export const RESTART_BACKOFF_MS = [250, 500, 1000, 2000, 5000] as const;
const STABLE_MS = 30_000;
const STOP_GRACE_MS = 1000;

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

function systemRedis(): string | undefined {
  const candidates = [
    ...(process.env.PATH ?? '').split(path.delimiter).map((d) => path.join(d, 'redis-server')),
    '/usr/bin/redis-server',
    '/usr/sbin/redis-server',
  ];
  return candidates.find((p) => p && existsSync(p));
}

async function waitForPing(url: string, child: ChildProcess, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child.exitCode !== null || child.signalCode !== null)
      throw new Error(`redis-server exited (${child.signalCode ?? `code ${child.exitCode}`})`);
    const c = new IORedis(url, { lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null });
    c.on('error', () => undefined); // expected while the server starts
    try {
      await c.connect();
      if ((await c.ping()) === 'PONG') return;
    } catch {
      /* not up yet */
    } finally {
      c.disconnect();
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`redis-server did not answer within ${timeoutMs / 1000} s`);
}

/** One private redis-server, restarted when it exits unexpectedly. */
class PrivateRedis {
  private child?: ChildProcess;
  private stopping = false;
  private failures = 0;
  private upSince = 0;
  private restartTimer?: NodeJS.Timeout;
  private reason?: string;
  private tail = '';
  private readonly restartHooks: Array<() => void> = [];
  private readonly killOnExit = () => {
    this.child?.kill('SIGKILL');
  };
  readonly url: string;

  constructor(
    private readonly bin: string,
    private readonly port: number,
    private readonly dir: string,
    private readonly log?: Logger,
  ) {
    this.url = `redis://127.0.0.1:${port}`;
  }

  async start(): Promise<void> {
    this.stopLeftover();
    process.once('exit', this.killOnExit);
    await this.launch();
  }

  /**
   * A segl killed with SIGKILL (the OOM killer, `kill -9`) cannot stop its redis-server, which then
   * lives on. The next start on the same DATA_DIR stops it: the pid file names it, and it is only
   * killed when it is a redis-server working in this directory (Linux /proc; elsewhere nothing happens).
   */
  private stopLeftover(): void {
    const file = path.join(this.dir, 'redis.pid');
    try {
      const pid = Number(readFileSync(file, 'utf8').trim());
      const mine =
        Number.isInteger(pid) &&
        pid > 1 &&
        readFileSync(`/proc/${pid}/comm`, 'utf8').trim() === 'redis-server' &&
        readlinkSync(`/proc/${pid}/cwd`) === path.resolve(this.dir);
      if (mine) {
        process.kill(pid, 'SIGKILL');
        this.log?.warn({ pid }, 'stopped the private redis-server a killed segl left behind');
      }
    } catch {
      /* no pid file, no such process, or not ours */
    }
    rmSync(file, { force: true });
  }

  private async launch(): Promise<void> {
    // No persistence: the database is the truth and the outbox re-drives anything Redis loses.
    const child = spawn(
      this.bin,
      [
        '--port',
        String(this.port),
        '--bind',
        '127.0.0.1',
        '--save',
        '',
        '--appendonly',
        'no',
        '--dir',
        this.dir,
        '--protected-mode',
        'yes',
        '--pidfile',
        path.join(this.dir, 'redis.pid'),
      ],
      {
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    this.child = child;
    this.tail = '';
    // the last lines redis-server wrote say why it stopped (a port taken, a bad directory, …)
    const keep = (b: Buffer) => {
      this.tail = (this.tail + b.toString('utf8')).slice(-600);
    };
    child.stdout!.on('data', keep);
    child.stderr!.on('data', keep);
    child.once('error', (e) => this.exited(child, `could not run ${this.bin}: ${e.message}`));
    child.once('exit', (code, signal) => this.exited(child, signal ? `killed by ${signal}` : `exit code ${code}`));
    await waitForPing(this.url, child);
    this.upSince = Date.now();
    this.reason = undefined;
  }

  private exited(child: ChildProcess, how: string): void {
    if (child !== this.child || this.stopping || this.restartTimer) return;
    if (this.upSince && Date.now() - this.upSince >= STABLE_MS) this.failures = 0;
    this.upSince = 0;
    const wait = RESTART_BACKOFF_MS[Math.min(this.failures, RESTART_BACKOFF_MS.length - 1)]!;
    this.failures += 1;
    this.reason = `private redis-server ${how}; restart ${this.failures} in ${wait} ms`;
    const last = this.tail.trim().split('\n').slice(-3).join(' | ');
    this.log?.error(
      { redis: this.url, how, restartInMs: wait, attempt: this.failures, ...(last ? { output: last } : {}) },
      'private redis-server stopped unexpectedly; restarting it',
    );
    this.restartTimer = setTimeout(() => {
      this.restartTimer = undefined;
      if (this.stopping) return;
      this.launch().then(
        () => {
          this.log?.warn({ redis: this.url, attempt: this.failures }, 'private redis-server restarted');
          for (const f of this.restartHooks) f();
        },
        (e: Error) => {
          this.log?.warn({ redis: this.url, err: e.message }, 'private redis-server did not come back');
          // it exited during start-up (that exit scheduled the next try), or it runs but never answered:
          // kill it, and its exit schedules the next try
          const c = this.child;
          if (!this.stopping && c && c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
        },
      );
    }, wait);
    this.restartTimer.unref();
  }

  down(): string | undefined {
    return this.reason;
  }

  onRestart(f: () => void): void {
    this.restartHooks.push(f);
  }

  async stop(): Promise<void> {
    this.stopping = true;
    clearTimeout(this.restartTimer);
    process.removeListener('exit', this.killOnExit);
    const child = this.child;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    await new Promise<void>((resolve) => {
      // a frozen server (SIGSTOP, swapped out) ignores SIGTERM: SIGKILL after the grace period
      const hard = setTimeout(() => child.kill('SIGKILL'), STOP_GRACE_MS);
      child.once('exit', () => {
        clearTimeout(hard);
        resolve();
      });
      child.kill('SIGTERM');
    });
  }
}

async function privateBinary(): Promise<string> {
  const bin = systemRedis();
  if (bin) return bin;
  // no system redis-server: the binary redis-memory-server downloads (or built) once
  const { RedisBinary } = await import('redis-memory-server');
  return RedisBinary.getPath();
}

/** Connects to REDIS_URL or starts a supervised private server with its files in `dataDir/redis`. */
export async function ensureRedis(redisUrl: string | undefined, dataDir: string, log?: Logger): Promise<RedisHandle> {
  if (redisUrl) return { url: redisUrl, private: false, down: () => undefined, onRestart: () => undefined, stop: async () => undefined };
  const dir = path.resolve(dataDir, 'redis'); // absolute: redis-server changes into it before it writes the pid file
  mkdirSync(dir, { recursive: true });
  const server = new PrivateRedis(await privateBinary(), await freePort(), dir, log);
  try {
    await server.start();
  } catch (e) {
    await server.stop();
    throw e;
  }
  return { url: server.url, private: true, down: () => server.down(), onRestart: (f) => server.onRestart(f), stop: () => server.stop() };
}

export function redisClient(url: string): Redis {
  return new IORedis(url, { maxRetriesPerRequest: null, enableOfflineQueue: false, lazyConnect: false });
}

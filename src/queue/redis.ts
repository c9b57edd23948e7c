// Redis for the queues: REDIS_URL when set, otherwise a private redis-server this process starts
// (the system binary, or redis-memory-server's when there is none) and stops on exit.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import { createServer } from 'node:net';
import path from 'node:path';
import IORedis, { type Redis } from 'ioredis';

export interface RedisHandle { url: string; private: boolean; stop(): Promise<void> }

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
  const candidates = [...(process.env.PATH ?? '').split(path.delimiter).map((d) => path.join(d, 'redis-server')), '/usr/bin/redis-server', '/usr/sbin/redis-server'];
  return candidates.find((p) => p && existsSync(p));
}

async function waitForPing(url: string, child: ChildProcess, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`redis-server exited with code ${child.exitCode}`);
    const c = new IORedis(url, { lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null });
    c.on('error', () => undefined); // expected while the server starts
    try {
      await c.connect();
      if ((await c.ping()) === 'PONG') return;
    } catch { /* not up yet */ } finally {
      c.disconnect();
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error('redis-server did not answer within 10 s');
}

/** Connects to REDIS_URL or starts a private server with its files in `dataDir/redis`. */
export async function ensureRedis(redisUrl: string | undefined, dataDir: string): Promise<RedisHandle> {
  if (redisUrl) return { url: redisUrl, private: false, stop: async () => undefined };
  const bin = systemRedis();
  if (!bin) {
    const { RedisMemoryServer } = await import('redis-memory-server');
    const server = await RedisMemoryServer.create();
    const url = `redis://${await server.getHost()}:${await server.getPort()}`;
    return { url, private: true, stop: async () => { await server.stop(); } };
  }
  const dir = path.join(dataDir, 'redis');
  mkdirSync(dir, { recursive: true });
  const port = await freePort();
  // No persistence: the database is the truth and the outbox re-drives anything Redis loses.
  const child = spawn(bin, ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', dir, '--protected-mode', 'yes'], {
    stdio: 'ignore',
  });
  const url = `redis://127.0.0.1:${port}`;
  const kill = () => { if (child.exitCode === null) child.kill('SIGTERM'); };
  process.once('exit', kill);
  await waitForPing(url, child);
  return {
    url, private: true,
    stop: async () => {
      process.removeListener('exit', kill);
      if (child.exitCode !== null) return;
      await new Promise<void>((resolve) => { child.once('exit', () => resolve()); child.kill('SIGTERM'); });
    },
  };
}

export function redisClient(url: string): Redis {
  return new IORedis(url, { maxRetriesPerRequest: null, enableOfflineQueue: false, lazyConnect: false });
}

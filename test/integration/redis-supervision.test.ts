// The private redis-server (no REDIS_URL) is supervised and shutdown is bounded (issue 10 item 16):
// `segl start` from dist, its redis-server killed with SIGKILL → /readyz 503 naming it, then 200 once
// it is restarted on the same port; SIGTERM while Redis is dead or frozen ends segl within 10 s and
// leaves no redis-server behind. Runs the built CLI (bin/segl.js → dist/), like the operator tests.
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { connect } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { spawnSegl, type SeglProcess } from '../support/cli';
import { eventually } from '../support/receiver';

const exec = promisify(execFile);

interface Segl extends SeglProcess {
  redisUrl: string;
  dir: string;
}

async function startSegl(dir = mkdtempSync(path.join(os.tmpdir(), 'segl-redis-'))): Promise<Segl> {
  const env = { DATA_DIR: dir, PORT: '0', HOST: '127.0.0.1', LOG_LEVEL: 'info', SEGL_DEMO_PASSWORD: 'demo-password-1', SEGL_TEST_EID: '0' };
  const p = await spawnSegl('start', env, /^(?=[\s\S]*segl is running)(?=[\s\S]*private redis-server at redis:\/\/\S+)/);
  const redisUrl = /private redis-server at (redis:\/\/\S+)/.exec(p.out())![1]!;
  return { ...p, redisUrl, dir };
}

/** The pid of the redis-server that segl (our child) started: its own child, found by parent pid. */
async function redisPid(segl: Segl): Promise<number> {
  const { stdout } = await exec('pgrep', ['-P', String(segl.proc.pid), '-x', 'redis-server']);
  const pids = stdout.trim().split('\n').filter(Boolean).map(Number);
  expect(pids).toHaveLength(1);
  return pids[0]!;
}

/** Whether a process runs (a zombie nobody reaped yet does not). */
const alive = (pid: number) => {
  try {
    return !/^\d+ \(.*\) Z/.test(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return false;
  }
};
/** Whether anything accepts connections on the Redis URL's port. */
const listening = (redisUrl: string) =>
  new Promise<boolean>((resolve) => {
    const c = connect(Number(new URL(redisUrl).port), '127.0.0.1');
    c.once('connect', () => {
      c.destroy();
      resolve(true);
    });
    c.once('error', () => resolve(false));
  });
const readyz = async (segl: Segl) => {
  const r = await fetch(`${segl.url}/readyz`, { signal: AbortSignal.timeout(5000) });
  return { status: r.status, body: (await r.json()) as { redis: string; database: string } };
};

describe('the private redis-server is supervised; shutdown is bounded (segl start from dist)', () => {
  const started: Segl[] = [];
  afterAll(async () => {
    for (const s of started) {
      if (s.proc.exitCode === null && s.proc.signalCode === null) {
        const { stdout } = await exec('pgrep', ['-P', String(s.proc.pid), '-x', 'redis-server']).catch(() => ({ stdout: '' }));
        s.proc.kill('SIGKILL');
        await s.exit;
        for (const pid of stdout.split('\n').filter(Boolean)) process.kill(Number(pid), 'SIGKILL');
      }
      rmSync(s.dir, { recursive: true, force: true });
    }
  });

  test('redis-server killed with SIGKILL: /readyz 503 naming it, then 200 after the restart on the same port', async () => {
    const segl = await startSegl();
    started.push(segl);
    expect((await readyz(segl)).status).toBe(200);
    const first = await redisPid(segl);
    // /readyz asked every 15 ms (requests overlapping) from before the kill until it is ready again:
    // the first restart comes 250 ms after the exit, so a single request after the kill could miss the
    // outage (a ping sent just before the exit is noticed is answered by the restarted server)
    const outage = async (pid: number) => {
      const seen: Array<{ status: number; redis: string; t0: number }> = [];
      let killedAt = Infinity;
      await new Promise<void>((resolve, reject) => {
        const give = setTimeout(() => {
          clearInterval(tick);
          reject(new Error(`no outage and recovery seen: ${JSON.stringify(seen.slice(-5))}`));
        }, 20_000);
        const tick = setInterval(() => {
          const t0 = Date.now();
          readyz(segl).then(
            (r) => {
              seen.push({ status: r.status, redis: r.body.redis, t0 });
              const after = seen.filter((x) => x.t0 > killedAt);
              if (
                after.some((x) => x.status === 503) &&
                after.some((x) => x.status === 200 && after.some((y) => y.status === 503 && y.t0 < x.t0))
              ) {
                clearInterval(tick);
                clearTimeout(give);
                resolve();
              }
            },
            () => undefined,
          );
        }, 15);
        setTimeout(() => {
          process.kill(pid, 'SIGKILL');
          killedAt = Date.now();
        }, 100);
      });
      await new Promise((r) => setTimeout(r, 300)); // the requests still open
      return seen.sort((x, y) => x.t0 - y.t0).map((x) => ({ ...x, afterKill: x.t0 > killedAt }));
    };
    /** the statuses of /readyz by start time, repeats folded: 200,503,200 is ready, not ready, ready again */
    const shape = (seen: Array<{ status: number; afterKill: boolean }>) =>
      seen
        .filter((x) => x.afterKill)
        .map((x) => x.status)
        .filter((st, i, all) => i === 0 || all[i - 1] !== st)
        .join(',');
    const seen = await outage(first);
    const down = seen.filter((x) => x.status === 503);
    expect(down[0]!.redis).toMatch(/^down: /);
    expect(seen.find((x) => !x.afterKill)!.status).toBe(200);
    expect(shape(seen)).toMatch(/^(200,)?503,200$/); // (a request racing the kill,) not ready, ready again
    expect(seen.some((x) => /^down: private redis-server killed by SIGKILL; restart 1 in 250 ms$/.test(x.redis))).toBe(true);
    const second = await redisPid(segl);
    expect(second).not.toBe(first);
    expect(segl.out()).toContain('private redis-server stopped unexpectedly; restarting it');
    expect(segl.out()).toContain('private redis-server restarted');
    expect(segl.out()).toContain(`"redis":"${segl.redisUrl}"`); // same port
    // and it keeps being supervised: a second kill is survived as well
    const again = await outage(second);
    expect(shape(again)).toMatch(/^(200,)?503,200$/);
    expect(again.some((x) => /^down: private redis-server killed by SIGKILL; restart 2 in 500 ms$/.test(x.redis))).toBe(true); // the back-off grows
    // then SIGTERM: a clean, prompt exit that stops the current redis-server
    const third = await redisPid(segl);
    const sent = Date.now();
    segl.proc.kill('SIGTERM');
    const { code, at } = await segl.exit;
    expect(at - sent).toBeLessThan(10_000);
    expect({
      code,
      log: segl
        .out()
        .split('\n')
        .filter((l) => /"msg":"(shutting down|stopped|shutdown)/.test(l)),
    }).toEqual({ code: 0, log: [expect.stringContaining('"msg":"shutting down"'), expect.stringContaining('"msg":"stopped"')] });
    await eventually(async () => !alive(third), 3000, 'redis-server stopped with segl');
    expect(await listening(segl.redisUrl)).toBe(false);
  }, 90_000);

  test('SIGTERM right after redis-server died: segl exits within 10 s and no redis-server is left', async () => {
    const segl = await startSegl();
    started.push(segl);
    const pid = await redisPid(segl);
    process.kill(pid, 'SIGKILL');
    await eventually(async () => !alive(pid), 2000, 'redis-server gone');
    const sent = Date.now();
    segl.proc.kill('SIGTERM'); // within the first restart back-off: Redis is dead during the shutdown
    const { code, signal, at } = await segl.exit;
    expect(signal).toBeNull();
    expect(at - sent).toBeLessThan(10_500);
    expect(code).toBe(0); // nothing waits for the dead server: the workers close without it
    expect(segl.out()).toContain('"msg":"stopped"');
    expect(await listening(segl.redisUrl)).toBe(false); // no restarted redis-server outlived segl
  }, 90_000);

  test('SIGTERM while redis-server is frozen (SIGSTOP): segl exits non-zero within 10 s, naming what did not finish, and kills it', async () => {
    const segl = await startSegl();
    started.push(segl);
    const pid = await redisPid(segl);
    process.kill(pid, 'SIGSTOP');
    try {
      const frozen = await readyz(segl);
      expect(frozen.status).toBe(503);
      expect(frozen.body.redis).toMatch(/^down: /);
      const sent = Date.now();
      segl.proc.kill('SIGTERM');
      const { code, at } = await segl.exit;
      expect(at - sent).toBeLessThan(10_500);
      expect(code).toBe(1);
      expect(segl.out()).toMatch(/shutdown incomplete: .*not done within \d+ ms \(abandoned\)/);
      await eventually(async () => !alive(pid), 3000, 'the frozen redis-server killed');
      expect(await listening(segl.redisUrl)).toBe(false);
    } finally {
      if (alive(pid)) {
        process.kill(pid, 'SIGCONT');
        process.kill(pid, 'SIGKILL');
      }
    }
  }, 90_000);

  test('a redis-server left behind by a segl killed with SIGKILL is stopped by the next start on the same DATA_DIR', async () => {
    const first = await startSegl();
    started.push(first);
    const orphan = await redisPid(first);
    first.proc.kill('SIGKILL');
    await first.exit;
    expect(alive(orphan)).toBe(true); // nothing could stop it
    try {
      const second = await startSegl(first.dir);
      started.push(second);
      await eventually(async () => !alive(orphan), 3000, 'the left-over redis-server stopped');
      expect(second.out()).toContain('stopped the private redis-server a killed segl left behind');
      expect((await readyz(second)).status).toBe(200);
    } finally {
      if (alive(orphan)) process.kill(orphan, 'SIGKILL');
    }
  }, 90_000);
});

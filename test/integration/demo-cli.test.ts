// `segl demo` finds the running instance without the environment being repeated (issue 10 item 20):
// `segl start` (on PostgreSQL when it answers, PORT=0, default DATA_DIR ./data) leaves
// DATA_DIR/instance.json (0600, no secrets); `segl demo` run with nothing but the working directory
// creates its request through that server's SOAP endpoint and prints task URLs on the real port.
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { eventually } from '../support/receiver';
import { freshPgDatabase } from '../support/server';
import { REPO } from '../support/soap';

const exec = promisify(execFile);
const BIN = path.join(REPO, 'bin', 'segl.js');

describe('segl demo against the running segl, with only its working directory', () => {
  let cwd: string;
  let server: ChildProcess;
  let out = '';
  let pg: { url: string; drop: () => Promise<void> } | undefined;
  let url: string;
  // what a newcomer's second terminal has: no PORT, PUBLIC_URL, DATABASE_URL, REDIS_URL or secrets
  const bare = () => ({ PATH: process.env.PATH ?? '', HOME: os.homedir() });
  const demo = (...args: string[]) => exec(process.execPath, [BIN, 'demo', ...args], { cwd, env: bare() });

  beforeAll(async () => {
    cwd = mkdtempSync(path.join(os.tmpdir(), 'segl-demo-'));
    if (process.env.SEGL_TEST_PG === '1') pg = await freshPgDatabase();
    const env: NodeJS.ProcessEnv = {
      ...bare(),
      PORT: '0',
      HOST: '127.0.0.1',
      LOG_LEVEL: 'warn',
      SEGL_SECRET: randomBytes(32).toString('base64url'),
      ...(pg ? { DATABASE_URL: pg.url } : {}),
      ...(process.env.TEST_REDIS_URL ? { REDIS_URL: process.env.TEST_REDIS_URL, SEGL_QUEUE_PREFIX: `segl-demo-${process.pid}` } : {}),
    };
    server = spawn(process.execPath, [BIN, 'start'], { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
    server.stdout!.setEncoding('utf8').on('data', (s: string) => {
      out += s;
    });
    server.stderr!.setEncoding('utf8').on('data', (s: string) => {
      out += s;
    });
    await eventually(
      async () => {
        if (server.exitCode !== null) throw new Error(`segl start exited:\n${out}`);
        return out.includes('npx segl demo');
      },
      60_000,
      'the banner',
    );
    url = /segl is running \(preprod\) at (http:\/\/\S+)/.exec(out)![1]!;
  }, 90_000);
  afterAll(async () => {
    if (server.exitCode === null)
      await new Promise<void>((resolve) => {
        server.once('exit', () => resolve());
        server.kill('SIGTERM');
      });
    await pg?.drop();
    rmSync(cwd, { recursive: true, force: true });
  });

  test('instance.json: mode 0600, where it answers and what it is, and nothing secret', () => {
    const file = path.join(cwd, 'data', 'instance.json');
    expect(statSync(file).mode & 0o777).toBe(0o600);
    const text = readFileSync(file, 'utf8');
    const info = JSON.parse(text) as Record<string, unknown>;
    expect(info).toMatchObject({
      url,
      local: `http://127.0.0.1:${new URL(url).port}`,
      mode: 'preprod',
      testEid: true,
      database: pg ? 'postgres' : 'sqlite',
      pid: server.pid,
    });
    expect(text).not.toMatch(/postgres:\/\/|redis:\/\/|password|secret/i);
    if (pg) expect(text).not.toContain(new URL(pg.url).pathname.slice(1)); // not even the database's name
  });

  test('`segl demo` prints task URLs on the running port that open: the seller logs in, the buyer waits', async () => {
    const { stdout } = await demo();
    const requestId = /^created request (\S+)$/m.exec(stdout)?.[1];
    expect(requestId).toMatch(/^\d{8}[0-9a-z]{49,50}$/);
    const tasks = [...stdout.matchAll(/^ {2}(seller|buyer): (\S+)$/gm)].map((m) => ({ task: m[1]!, url: m[2]! }));
    expect(tasks).toEqual([
      { task: 'seller', url: `${url}/std/docaction/demo?request_id=${requestId}&task_id=seller` },
      { task: 'buyer', url: `${url}/std/docaction/demo?request_id=${requestId}&task_id=buyer` },
    ]);
    const users = [...out.matchAll(/test user: +(\S+) \/ (\S+) /g)].map((m) => `log in as ${m[1]} / ${m[2]}`);
    expect(users).toHaveLength(2);
    for (const u of users) expect(stdout).toContain(u);
    expect(stdout).toContain(`key card ${url}/testid/users/demo-signer/keycard`);
    const seller = await fetch(tasks[0]!.url);
    expect(seller.status).toBe(200);
    expect(await seller.text()).toContain('<h1>Log in to continue</h1>');
    expect(await (await fetch(tasks[1]!.url)).text()).toContain('Waiting for others');
  });

  test('a wrong password is refused by the server and said so; nothing is created', async () => {
    await expect(demo('--password', 'not-the-password')).rejects.toMatchObject({
      code: 1,
      stderr: expect.stringMatching(/^segl: createRequest at http:\/\/127\.0\.0\.1:\d+\/ws\/documentservice-v3 failed: .+\n$/),
    });
    await expect(demo('--service', 'shop')).rejects.toMatchObject({
      stderr: 'segl: give the password of service "shop" with --password\n',
    });
  });

  test('after SIGTERM the file is gone and `segl demo` says there is no running segl', async () => {
    await new Promise<void>((resolve) => {
      server.once('exit', () => resolve());
      server.kill('SIGTERM');
    });
    expect(existsSync(path.join(cwd, 'data', 'instance.json'))).toBe(false);
    await expect(demo()).rejects.toMatchObject({
      code: 1,
      stderr: expect.stringContaining(
        `segl: no running segl found: ${path.join(cwd, 'data', 'instance.json')} does not exist. Start segl first`,
      ),
    });
  });
});

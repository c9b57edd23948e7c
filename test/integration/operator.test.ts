// The operator contract: the CLI (`segl start`, `segl service …`), health and readiness, modes,
// configuration errors, and two instances side by side. Runs the built CLI (bin/segl.js → dist/).
import { spawn, execFile, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { loadConfig } from '../../src/config';
import { startRuntime } from '../../src/runtime';
import { envelope, NS, post, REPO } from '../support/soap';
import { productionEnv } from '../support/production';

const BIN = path.join(REPO, 'bin', 'segl.js');
const exec = promisify(execFile);

function baseEnv(dataDir: string, extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { PATH: process.env.PATH, HOME: process.env.HOME, DATA_DIR: dataDir, LOG_LEVEL: 'warn', ...extra };
  return env;
}

async function cli(args: string[], env: NodeJS.ProcessEnv): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const r = await exec(process.execPath, [BIN, ...args], { env, timeout: 30_000 });
    return { code: 0, stdout: r.stdout, stderr: r.stderr };
  } catch (e) {
    const err = e as { code: number; stdout: string; stderr: string };
    return { code: err.code, stdout: err.stdout, stderr: err.stderr };
  }
}

/** Starts `segl start` and resolves with the URL from its banner. */
function startProcess(env: NodeJS.ProcessEnv): Promise<{ child: ChildProcess; url: string; out: () => string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, 'start'], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    const timer = setTimeout(() => reject(new Error(`no banner within 30 s:\n${out}`)), 30_000);
    const onData = (d: Buffer) => {
      out += d.toString();
      const m = /segl is running \(\w+\) at (http:\/\/\S+)/.exec(out);
      if (m && /demo service:/.test(out)) {
        clearTimeout(timer);
        resolve({ child, url: m[1]!, out: () => out });
      }
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`segl exited with ${code}:\n${out}`));
    });
  });
}

function stopProcess(child: ChildProcess): Promise<number | null> {
  return new Promise((resolve) => {
    child.removeAllListeners('exit');
    child.once('exit', (code) => resolve(code));
    child.kill('SIGTERM');
  });
}

describe('operator contract', () => {
  const dirs: string[] = [];
  const tmp = () => {
    const d = mkdtempSync(path.join(os.tmpdir(), 'segl-op-'));
    dirs.push(d);
    return d;
  };
  afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

  test('service create / list / passwd / delete work non-interactively on the same DATA_DIR', async () => {
    const env = baseEnv(tmp());
    const created = await cli(['service', 'create', 'acme', '--password', 'acme-password-1', '--public'], env);
    expect(created).toMatchObject({ code: 0, stdout: 'created service acme (public)\n' });
    expect(await cli(['service', 'create', 'acme', '--password', 'acme-password-1'], env)).toMatchObject({
      code: 1,
      stderr: 'segl: service "acme" already exists\n',
    });
    expect((await cli(['service', 'create', 'Bad Name', '--password', 'xxxxxxxx1'], env)).stderr).toMatch(
      /service name "Bad Name" must match/,
    );
    expect((await cli(['service', 'create', 'shorty', '--password', 'short'], env)).stderr).toBe(
      'segl: the password must have at least 8 characters\n',
    );
    expect((await cli(['service', 'create', 'nopw'], env)).stderr).toMatch(/required option '--password <password>' not specified/);
    await cli(['service', 'create', 'beta', '--password', 'beta-password-1'], env);
    const list = await cli(['service', 'list'], env);
    expect(
      list.stdout
        .split('\n')
        .filter(Boolean)
        .map((l) => l.split('\t').slice(0, 2)),
    ).toEqual([
      ['acme', 'public'],
      ['beta', 'private'],
    ]);
    expect((await cli(['service', 'passwd', 'acme', '--password', 'acme-password-2'], env)).stdout).toBe('password of acme changed\n');
    expect((await cli(['service', 'passwd', 'ghost', '--password', 'ghost-password'], env)).stderr).toBe('segl: no service "ghost"\n');

    // The running server authenticates with what the CLI set.
    const rt = await startRuntime(
      loadConfig({
        PORT: '0',
        HOST: '127.0.0.1',
        DATA_DIR: env.DATA_DIR!,
        LOG_LEVEL: 'silent',
        SEGL_DEMO_PASSWORD: 'demo-password-1',
        ...(process.env.TEST_REDIS_URL ? { REDIS_URL: process.env.TEST_REDIS_URL } : {}),
      }),
      { http: true, worker: false },
    );
    try {
      const call = (pw: string) =>
        post(
          `${rt.url}/ws/documentservice-v3`,
          envelope(
            `<get-task-count-request xmlns="${NS}"><service>acme</service><password>${pw}</password><filter/></get-task-count-request>`,
          ),
        );
      expect((await call('acme-password-2')).text).toContain('<count>0</count>');
      expect((await call('acme-password-1')).status).toBe(500);
      const stored = await rt.db.query("SELECT password_hash FROM service WHERE name = 'acme'");
      expect(stored[0].password_hash).toMatch(/^scrypt\$16384\$8\$1\$/);
      expect(stored[0].password_hash).not.toContain('acme-password-2');
    } finally {
      await rt.close();
    }
    expect((await cli(['service', 'delete', 'beta'], env)).stdout).toBe('deleted service beta\n');
    expect((await cli(['service', 'list'], env)).stdout).not.toContain('beta');
  });

  test('`segl start` on embedded defaults: two instances side by side, each with its own data and Redis', async () => {
    const a = await startProcess(baseEnv(tmp(), { PORT: '0', SEGL_DEMO_PASSWORD: 'demo-password-a' }));
    const b = await startProcess(baseEnv(tmp(), { PORT: '0' }));
    try {
      expect(a.url).not.toBe(b.url);
      for (const p of [a, b]) {
        expect(p.out()).toContain(`DocumentService v3 WSDL:  ${p.url}/ws/documentservice-v3?wsdl`);
        expect(p.out()).toMatch(/redis: +private redis-server at redis:\/\/127\.0\.0\.1:\d+/);
        expect((await fetch(`${p.url}/healthz`)).status).toBe(200);
        const ready = await fetch(`${p.url}/readyz`);
        expect(ready.status).toBe(200);
        expect(await ready.json()).toEqual({ status: 'ready', database: 'ok', redis: 'ok', blobs: 'ok', tsa: 'in process (test CA)' });
      }
      expect(a.out()).toContain('service=demo password=demo-password-a');
      const pwB = /service=demo password=(\S+)/.exec(b.out())![1]!;
      expect(pwB).toMatch(/^[A-Za-z0-9_-]{16}$/);
      const count = (url: string, pw: string) =>
        post(
          `${url}/ws/documentservice-v3`,
          envelope(
            `<get-task-count-request xmlns="${NS}"><service>demo</service><password>${pw}</password><filter/></get-task-count-request>`,
          ),
        );
      expect((await count(a.url, 'demo-password-a')).status).toBe(200);
      expect((await count(b.url, pwB)).status).toBe(200);
      expect((await count(b.url, 'demo-password-a')).status).toBe(500);
    } finally {
      expect(await stopProcess(a.child)).toBe(0);
      expect(await stopProcess(b.child)).toBe(0);
    }
  });

  test('/readyz answers 503 when Redis is gone, /healthz stays 200', async () => {
    const rt = await startRuntime(loadConfig({ PORT: '0', HOST: '127.0.0.1', DATA_DIR: tmp(), LOG_LEVEL: 'silent' }), {
      http: true,
      worker: false,
    });
    try {
      expect(rt.redisHandle.private).toBe(true);
      await rt.redisHandle.stop();
      const r = await fetch(`${rt.url}/readyz`);
      expect(r.status).toBe(503);
      const body = (await r.json()) as { redis: string };
      expect(body).toMatchObject({ status: 'not ready', database: 'ok' });
      expect(body.redis).toMatch(/^down: /);
      expect((await fetch(`${rt.url}/healthz`)).status).toBe(200);
    } finally {
      await rt.close();
    }
  });

  test('configuration errors stop the start with every bad variable named', async () => {
    const r = await cli(['start'], baseEnv(tmp(), { PORT: 'eighty', SEGL_MODE: 'staging', REDIS_URL: 'localhost:6379' }));
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('segl: invalid configuration:');
    expect(r.stderr).toMatch(/PORT: /);
    expect(r.stderr).toMatch(/SEGL_MODE: /);
    expect(r.stderr).toMatch(/REDIS_URL: must start with redis:\/\/ or rediss:\/\//);
  });

  test('production refuses default secrets and the demo service', async () => {
    const dir = tmp();
    const { SEGL_SECRET: _none, ...noSecretEnv } = productionEnv();
    const noSecret = await cli(['start'], baseEnv(dir, { ...noSecretEnv, PORT: '0' }));
    expect(noSecret.code).toBe(2);
    expect(noSecret.stderr).toContain('SEGL_SECRET must be set');
    const weak = await cli(
      ['start'],
      baseEnv(dir, { ...productionEnv(), PORT: '0', SEGL_SECRET: 'change-me-in-production-please-32chars' }),
    );
    expect(weak.stderr).toContain('SEGL_SECRET looks like a default');
    const demoPw = await cli(['start'], baseEnv(dir, { ...productionEnv(), PORT: '0', SEGL_DEMO_PASSWORD: 'demo-password-1' }));
    expect(demoPw.stderr).toContain('SEGL_DEMO_PASSWORD must not be set');
    await cli(['service', 'create', 'demo', '--password', 'demo-password-1'], baseEnv(dir));
    const withDemo = await cli(['start'], baseEnv(dir, { ...productionEnv(), PORT: '0' }));
    expect(withDemo.code).toBe(1);
    expect(withDemo.stderr).toContain('production mode refuses to start while the demo service exists');
  });

  test('production without a demo service starts and offers no test eID methods', async () => {
    const rt = await startRuntime(loadConfig({ ...productionEnv(), PORT: '0', HOST: '127.0.0.1', DATA_DIR: tmp(), LOG_LEVEL: 'silent' }), {
      http: true,
      worker: false,
    });
    try {
      expect(rt.demo).toBeUndefined();
      expect(await rt.services.find('demo')).toBeNull();
      const svc = await rt.services.create('bank', 'bank-password-1');
      await expect(
        rt.documents.requests.createRequest(svc, [
          {
            document: [{ kind: 'provided-document', id: 'd', mimeType: 'text/plain', description: 'd' }],
            task: [{ id: 't', documentAction: [{ type: 'sign', documentRef: 'd' }], authentication: { method: ['nemid'] } }],
          },
        ]),
      ).rejects.toThrow('request[0]/task[0]/authentication/method[0]: "nemid" is not a known eID method here (known: none are enabled)');
    } finally {
      await rt.close();
    }
  });
});

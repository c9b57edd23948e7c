// The first run a newcomer follows: `segl start` on a fresh data directory prints the test eID tool
// and ready test users; `segl demo` creates a two-signer request and prints both task URLs, which open
// on the login page (the seller) and the "waiting for others" page (the buyer).
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { REPO } from '../support/soap';

const exec = promisify(execFile);

describe('first run (sqlite, the CLI as a newcomer runs it)', () => {
  let dir: string;
  let server: ChildProcess;
  let out = '';
  const env = () => ({
    ...process.env,
    DATA_DIR: dir,
    LOG_LEVEL: 'warn',
    PORT: '0',
    HOST: '127.0.0.1',
    ...(process.env.TEST_REDIS_URL ? { REDIS_URL: process.env.TEST_REDIS_URL, SEGL_QUEUE_PREFIX: `segl-newcomer-${process.pid}` } : {}),
  });

  beforeAll(async () => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'segl-newcomer-'));
    server = spawn(process.execPath, [path.join(REPO, 'bin', 'segl.js'), 'start'], { env: env(), stdio: ['ignore', 'pipe', 'pipe'] });
    server.stdout!.setEncoding('utf8').on('data', (s: string) => {
      out += s;
    });
    server.stderr!.setEncoding('utf8').on('data', (s: string) => {
      out += s;
    });
    const deadline = Date.now() + 60_000;
    while (!/test user: .*\n.*test user: .*\n/s.test(out) || !out.includes('npx segl demo')) {
      if (Date.now() > deadline || server.exitCode !== null) throw new Error(`segl start did not print its banner:\n${out}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  });
  afterAll(async () => {
    if (server && server.exitCode === null) {
      await new Promise<void>((resolve) => {
        server.once('exit', () => resolve());
        server.kill('SIGTERM');
      });
    }
    rmSync(dir, { recursive: true, force: true });
  });

  test('the banner shows the portal pieces and two ready test users; `segl demo` prints task URLs that work', async () => {
    const url = /segl is running \(preprod\) at (http:\/\/\S+)/.exec(out)![1]!;
    expect(out).toContain(`test eID (NemID-style):   ${url}/testid/`);
    expect(out).toContain(
      `login (SAML 1.1):         ${url}/std/method/<service>?id=nemid&target=…  certificate ${url}/std/saml-certificate.pem`,
    );
    expect(out).toContain(`login (SAML 2.0 IdP):     metadata ${url}/saml2/metadata  (segl saml sp add <service> <metadata.xml>)`);
    expect(out).toContain(`login (OpenID Connect):   ${url}/oidc/.well-known/openid-configuration  (clients: segl oidc client add)`);
    const users = [...out.matchAll(/test user: +(\S+) \/ (\S+) +key card (\S+) +\(CPR (\d{6}-\d{4})\)/g)].map((m) => ({
      alias: m[1]!,
      password: m[2]!,
      card: m[3]!,
    }));
    expect(users.map((u) => u.alias)).toEqual(['demo-signer', 'demo-cosigner']);
    expect(users[0]!.card).toBe(`${url}/testid/users/demo-signer/keycard`);
    const demo = await exec(process.execPath, [path.join(REPO, 'bin', 'segl.js'), 'demo'], { env: { ...env(), PUBLIC_URL: url } });
    const tasks = [...demo.stdout.matchAll(/^ {2}(seller|buyer): (\S+)$/gm)].map((m) => ({ task: m[1]!, url: m[2]! }));
    expect(tasks.map((t) => t.task)).toEqual(['seller', 'buyer']);
    expect(demo.stdout).toContain(`log in as demo-signer / ${users[0]!.password}`);
    const seller = await fetch(tasks[0]!.url);
    expect(seller.status).toBe(200);
    expect(await seller.text()).toContain('<h1>Log in to continue</h1>');
    const buyer = await (await fetch(tasks[1]!.url)).text();
    expect(buyer).toContain('Waiting for others');
    // the tool is mounted: the key card printed in the banner opens
    const card = await fetch(users[0]!.card);
    expect(card.status).toBe(200);
    expect(await card.text()).toContain('demo-signer');
    // a second start keeps the same users and passwords
    const again = await exec(process.execPath, [path.join(REPO, 'bin', 'segl.js'), 'demo'], { env: { ...env(), PUBLIC_URL: url } });
    expect(again.stdout).toContain(`log in as demo-signer / ${users[0]!.password}`);
  });
});

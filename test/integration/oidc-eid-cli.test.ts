// `segl eid oidc add | list | remove` through the built CLI (bin/segl.js → dist/): a good config is
// stored with its client secret sealed (not in the row in clear, not printed); every bad config is
// refused with a message naming the field and the rule, and changes nothing.
import { execFile } from 'node:child_process';
import { generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { openDatabase } from '../../src/store/datasource';
import { sqlDatabase } from '../../src/store/sql';
import { databases, freshPgDatabase } from '../support/server';
import { REPO } from '../support/soap';

const exec = promisify(execFile);
const BIN = path.join(REPO, 'bin', 'segl.js');
const SECRET = 'broker-client-secret-0123456789';

async function run(args: string[], env: NodeJS.ProcessEnv): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const r = await exec(process.execPath, [BIN, ...args], { env, timeout: 60_000, encoding: 'utf8' });
    return { code: 0, stdout: r.stdout, stderr: r.stderr };
  } catch (e) {
    const err = e as { code: number; stdout: string; stderr: string };
    return { code: err.code, stdout: err.stdout, stderr: err.stderr };
  }
}

describe.each(databases())('segl eid oidc (%s)', (kind) => {
  let dir: string;
  let env: NodeJS.ProcessEnv;
  let pg: { url: string; drop: () => Promise<void> } | undefined;
  const segl = (...args: string[]) => run(args, env);
  const file = (name: string, config: unknown) => {
    const f = path.join(dir, name);
    writeFileSync(f, typeof config === 'string' ? config : JSON.stringify(config));
    return f;
  };
  const rows = async () => {
    const db = await openDatabase({ databaseUrl: pg?.url, dataDir: dir });
    try {
      return await sqlDatabase(db).tx((q) => q.all<Record<string, unknown>>('SELECT * FROM eid_oidc_method ORDER BY service_id, name'));
    } finally {
      await db.destroy();
    }
  };
  const good = {
    issuer: 'https://broker.example/auth/open',
    clientId: 'segl-client',
    clientAuth: 'client_secret_basic',
    clientSecret: SECRET,
    scope: 'openid profile nin',
    acrValues: ['urn:signicat:oidc:method:mitid'],
  };

  beforeAll(async () => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'segl-oidc-cli-'));
    if (kind === 'postgres') pg = await freshPgDatabase();
    env = { PATH: process.env.PATH, HOME: process.env.HOME, DATA_DIR: dir, LOG_LEVEL: 'warn', ...(pg ? { DATABASE_URL: pg.url } : {}) };
    expect(await segl('service', 'create', 'acme', '--password', 'password-123')).toMatchObject({ code: 0, stderr: '' });
  }, 60_000);
  afterAll(async () => {
    await pg?.drop();
    rmSync(dir, { recursive: true, force: true });
  });

  test('add stores the method with its secret sealed; list shows it without the secret; remove removes it', async () => {
    const added = await segl('eid', 'oidc', 'add', 'acme', '--name', 'mitid', '--config', file('good.json', good));
    expect(added).toMatchObject({ code: 0, stderr: '' });
    expect(added.stdout).toContain('OIDC eID method mitid of acme saved');
    expect(added.stdout).not.toContain(SECRET);
    const [row] = await rows();
    expect(row).toMatchObject({ name: 'mitid' });
    expect(JSON.stringify(row)).not.toContain(SECRET);
    expect(String(row!.secret)).toMatch(/^v1\./);
    expect(await segl('eid', 'oidc', 'list', 'acme')).toEqual({
      code: 0,
      stdout:
        'mitid\thttps://broker.example/auth/open\tsegl-client\tclient_secret_basic\topenid profile nin\turn:signicat:oidc:method:mitid\tauthentication\n',
      stderr: '',
    });
    expect(await segl('eid', 'oidc', 'remove', 'acme', 'mitid')).toEqual({
      code: 0,
      stdout: 'OIDC eID method mitid of acme removed\n',
      stderr: '',
    });
    expect(await rows()).toEqual([]);
  });

  test('a private_key_jwt method keeps its key sealed', async () => {
    const pem = generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey.export({ format: 'pem', type: 'pkcs8' }).toString();
    const cfg = {
      ...good,
      clientSecret: undefined,
      clientAuth: 'private_key_jwt',
      privateKeyPem: pem,
      privateKeyKid: 'k1',
      name: 'bankid',
    };
    expect(await segl('eid', 'oidc', 'add', 'acme', '--config', file('pkjwt.json', cfg))).toMatchObject({ code: 0, stderr: '' });
    const stored = JSON.stringify(await rows());
    expect(stored).not.toContain('PRIVATE KEY');
    expect(await segl('eid', 'oidc', 'remove', 'acme', 'bankid')).toMatchObject({ code: 0, stderr: '' });
  });

  test.each([
    ['not JSON', '{ nope', /not JSON/],
    ['no name', { ...good }, /name: /],
    ['a bad name', { ...good, name: 'Mit ID' }, /name: lower-case letters/],
    ['an http issuer off loopback', { ...good, name: 'x1', issuer: 'http://broker.example/' }, /issuer: must be https/],
    ['alg none', { ...good, name: 'x1', idTokenAlgs: ['none'] }, /idTokenAlgs\.0: /],
    ['HS256', { ...good, name: 'x1', idTokenAlgs: ['HS256'] }, /idTokenAlgs\.0: /],
    ['a scope without openid', { ...good, name: 'x1', scope: 'profile nin' }, /scope: must include openid/],
    [
      'client_secret_basic without a secret',
      { ...good, name: 'x1', clientSecret: undefined },
      /clientSecret: required with client_secret_basic/,
    ],
    [
      'private_key_jwt without a key',
      { ...good, name: 'x1', clientSecret: undefined, clientAuth: 'private_key_jwt' },
      /privateKeyPem: required/,
    ],
    [
      'a key that is not one',
      { ...good, name: 'x1', clientSecret: undefined, clientAuth: 'private_key_jwt', privateKeyPem: 'junk' },
      /privateKeyPem: not an RSA or EC private key/,
    ],
    ['an unknown field', { ...good, name: 'x1', clientSecrt: 'typo' }, /Unrecognized key.*clientSecrt/],
    ['an unknown claim field', { ...good, name: 'x1', claims: { nationalID: ['nin'] } }, /claims/],
    ['an empty claim list', { ...good, name: 'x1', claims: { nationalId: [] } }, /claims\.nationalId: /],
    ['a use segl does not offer', { ...good, name: 'x1', use: ['authentication', 'signature'] }, /use\.1: /],
  ])('refuses %s with a clear message and stores nothing', async (_what, config, message) => {
    const before = await rows();
    const r = await segl('eid', 'oidc', 'add', 'acme', '--config', file('bad.json', config));
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^segl: --config .*bad\.json: /);
    expect(r.stderr).toMatch(message);
    expect(await rows()).toEqual(before);
  });

  test('refuses --name that disagrees with the file, an unknown service, and removing what is not there', async () => {
    expect((await segl('eid', 'oidc', 'add', 'acme', '--name', 'a1', '--config', file('n.json', { ...good, name: 'b1' }))).stderr).toMatch(
      /--name a1 and the config's name "b1" differ/,
    );
    expect((await segl('eid', 'oidc', 'add', 'nosuch', '--name', 'a1', '--config', file('n2.json', good))).stderr).toBe(
      'segl: no service "nosuch"\n',
    );
    expect((await segl('eid', 'oidc', 'remove', 'acme', 'zz')).stderr).toBe('segl: service "acme" has no OIDC eID method "zz"\n');
  });
});

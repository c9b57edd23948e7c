// `segl blobs migrate --to …` moves an installation from one blob store to another while segl keeps
// serving every document: copy while running on the old store, switch with the old one as
// fallback, copy what came in meanwhile, drop the fallback. Runs fs → s3 (s3rver) and, when the
// test PostgreSQL answers, s3 → postgres.
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { freshPgDatabase, startServer, type TestServer } from '../support/server';
import { startS3, type S3Server } from '../support/s3';
import { REPO } from '../support/soap';

const exec = promisify(execFile);
const sha = (b: string) => createHash('sha256').update(b).digest('hex');

describe('segl blobs migrate', () => {
  let s3: S3Server;
  let pg: { url: string; drop: () => Promise<void> } | undefined;
  let s: TestServer | undefined;
  let dataDir: string;
  beforeAll(async () => {
    s3 = await startS3();
    if (process.env.SEGL_TEST_PG === '1') pg = await freshPgDatabase();
    else process.stdout.write('[blobs-migrate] PostgreSQL does not answer: the s3 → postgres leg is not run\n');
  });
  afterAll(async () => {
    await s?.stop();
    await s3.stop();
    await pg?.drop();
  });

  const auth = () => `Basic ${Buffer.from(`demo:${s!.demoPassword}`).toString('base64')}`;
  const upload = async (body: string) => {
    const r = await fetch(`${s!.url}/doc/demo/sds`, {
      method: 'POST',
      headers: { authorization: auth(), 'content-type': 'text/plain; charset=utf-8' },
      body,
    });
    expect(r.status).toBe(201);
    return r.text();
  };
  const read = async (id: string) => {
    const r = await fetch(`${s!.url}/doc/demo/sds/${id}`, { headers: { authorization: auth() } });
    return `${r.status} ${await r.text()}`;
  };
  /** segl (same DATA_DIR and database) with these blob settings, restarted in place. */
  const restart = async (env: Record<string, string>) => {
    await s!.rt.close();
    s = await startServer('sqlite', { ...env, DATA_DIR: dataDir });
    rmSync(s.dataDir, { recursive: true, force: true }); // its own fresh DATA_DIR goes unused: it was told ours
    s.dataDir = dataDir;
  };
  const migrate = (env: Record<string, string>, to: string) =>
    exec(process.execPath, [path.join(REPO, 'bin', 'segl.js'), 'blobs', 'migrate', '--to', to], {
      env: { ...process.env, DATA_DIR: dataDir, LOG_LEVEL: 'silent', ...env },
    }).then(
      (r) => ({ code: 0, stdout: r.stdout, stderr: r.stderr }),
      (e: { code: number; stdout: string; stderr: string }) => ({ code: e.code, stdout: e.stdout, stderr: e.stderr }),
    );

  test('fs → s3 (→ postgres) without a moment of missing documents; idempotent; a corrupt blob is refused', async () => {
    s = await startServer('sqlite');
    dataDir = s.dataDir;
    const docs = ['first document\n', 'second document\n', 'third document\n'];
    const ids = [];
    for (const d of docs) ids.push(await upload(d));
    const s3Settings = { ...s3.env, SEGL_BLOBS: 'fs' };

    // 1. copy while segl runs on the filesystem store; reads go on during the copy
    const running = migrate(s3Settings, 's3');
    expect(await read(ids[0]!)).toBe(`200 ${docs[0]}`);
    const first = await running;
    expect(first.stderr).not.toMatch(/segl:/);
    expect(first.stdout).toMatch(/^copying blobs from filesystem .* to s3 bucket segl-test at http:\/\/127\.0\.0\.1:\d+\n/);
    expect(first.stdout).toMatch(/copied 3 blob\(s\) \(0\.0 MB\); 0 already in the target; 0 failed\n$/);
    const again = await migrate(s3Settings, 's3');
    expect(again.stdout).toMatch(/copied 0 blob\(s\) \(0\.0 MB\); 3 already in the target; 0 failed\n$/);

    // an upload after the copy is only on the filesystem
    const late = 'arrived after the copy\n';
    ids.push(await upload(late));
    docs.push(late);

    // 2. switch to s3, reading through to the filesystem: every document is there
    await restart({ ...s3.env, SEGL_BLOBS_FALLBACK: 'fs' });
    for (const [i, id] of ids.entries()) expect(await read(id)).toBe(`200 ${docs[i]}`);
    const newer = 'written to s3 directly\n';
    ids.push(await upload(newer));
    docs.push(newer);

    // 3. the rest is copied; a blob whose bytes no longer match its key is refused, not copied
    const broken = 'this one is damaged on disk\n';
    await restart({ SEGL_BLOBS: 'fs' });
    const brokenId = await upload(broken);
    writeFileSync(path.join(dataDir, 'blobs', sha(broken).slice(0, 2), sha(broken)), 'tampered\n');
    await restart({ ...s3.env, SEGL_BLOBS_FALLBACK: 'fs' });
    const rest = await migrate({ ...s3.env, SEGL_BLOBS_FALLBACK: 'fs' }, 's3');
    expect(rest.code).toBe(1);
    // the fallback holds the first three (copied before), the late one and the damaged one
    expect(rest.stdout).toMatch(/copied 1 blob\(s\) \(0\.0 MB\); 3 already in the target; 1 failed\n$/);
    expect(rest.stderr).toContain(`segl: blob ${sha(broken)}: its bytes have SHA-256 ${sha('tampered\n')} in filesystem`);
    expect(await s!.rt.blobs.stat(sha(late))).toEqual({ size: late.length });
    expect(await read(brokenId)).toBe('200 tampered\n'); // still served from the fallback, as it is on disk

    // 4. without the fallback: everything copied is served from s3 alone
    await restart(s3.env);
    for (const [i, id] of ids.entries()) expect(await read(id)).toBe(`200 ${docs[i]}`);
    expect(await read(brokenId)).toMatch(/^500 /);
    const same = await migrate(s3.env, 's3');
    expect(same.stderr).toMatch(/SEGL_BLOBS is s3 already: to move from another store, set SEGL_BLOBS_FALLBACK/);

    if (!pg) return;
    // 5. s3 → postgres, the same way
    const pgEnv = { ...s3.env, SEGL_BLOBS_DATABASE_URL: pg.url };
    const toPg = await migrate(pgEnv, 'postgres');
    expect(toPg.stdout).toMatch(/copied 5 blob\(s\) .*; 0 already in the target; 0 failed\n$/);
    await restart({ ...pgEnv, SEGL_BLOBS: 'postgres' });
    for (const [i, id] of ids.entries()) expect(await read(id)).toBe(`200 ${docs[i]}`);
  }, 180_000);
});

// `segl purge`: SDS uploads expire after their TTL (counted from the last use by a request) and
// requests go after days-until-deletion, taking the blobs nothing else uses with them.
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, utimesSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { databases, startServer, type TestServer } from '../support/server';
import { envelope, NS, post, REPO } from '../support/soap';
import { productionEnv } from '../support/production';

const exec = promisify(execFile);
const sha = (b: string) => createHash('sha256').update(b).digest('hex');
const DAY = 86_400_000;

describe.each(databases())('purge on %s', (db) => {
  let s: TestServer;
  beforeAll(async () => {
    s = await startServer(db, { SEGL_SDS_TTL_DAYS: '2' });
  });
  afterAll(async () => {
    await s.stop();
  });

  const purgeAt = async (when: Date) => {
    const env = {
      ...process.env,
      DATA_DIR: s.dataDir,
      LOG_LEVEL: 'silent',
      SEGL_SDS_TTL_DAYS: '2',
      ...(s.rt.config.databaseUrl ? { DATABASE_URL: s.rt.config.databaseUrl } : {}),
    };
    const r = await exec(process.execPath, [path.join(REPO, 'bin', 'segl.js'), 'purge', '--as-of', when.toISOString()], { env });
    return r.stdout;
  };

  test('SDS uploads expire after their TTL unless a request used them; requests go after days-until-deletion', async () => {
    const auth = `Basic ${Buffer.from(`demo:${s.demoPassword}`).toString('base64')}`;
    const upload = async (text: string) =>
      (
        await fetch(`${s.url}/doc/demo/sds`, { method: 'POST', headers: { authorization: auth, 'content-type': 'text/plain' }, body: text })
      ).text();
    const idle = `idle ${Date.now()}`;
    const used = `used ${Date.now()}`;
    const idleId = await upload(idle);
    const usedId = await upload(used);
    const blob = (t: string) => path.join(s.dataDir, 'blobs', sha(t).slice(0, 2), sha(t));
    // Used by a request with days-to-live 1 and days-until-deletion 1: deleted after ~2 days.
    const r = await post(
      s.endpoint,
      envelope(
        `<create-request-request xmlns="${NS}"><service>demo</service><password>${s.demoPassword}</password><request>` +
          `<document xsi:type="sds-document" id="d" ref-sds-id="${usedId}"><description>d</description></document>` +
          '<task id="t1"><days-to-live>1</days-to-live><document-action type="sign"><document-ref>d</document-ref></document-action></task>' +
          '<days-until-deletion>1</days-until-deletion></request></create-request-request>',
      ),
    );
    const requestId = /<request-id>([^<]+)</.exec(r.text)![1]!;

    expect(await purgeAt(new Date(Date.now() + DAY))).toBe('purged 0 SDS document(s) and 0 request(s); swept 0 unreferenced blob(s)\n');
    // Three days on: both uploads are past their 2-day TTL and the request past its deletion day.
    expect(await purgeAt(new Date(Date.now() + 3 * DAY))).toBe('purged 2 SDS document(s) and 1 request(s); swept 0 unreferenced blob(s)\n');
    expect(existsSync(blob(idle))).toBe(false);
    expect(existsSync(blob(used))).toBe(false);
    expect((await fetch(`${s.url}/doc/demo/sds/${idleId}`, { headers: { authorization: auth } })).status).toBe(404);
    const st = await s.rt.documents.requests.getStatus((await s.rt.services.find('demo'))!, [requestId]);
    expect(st[0]!.taskStatus).toBe('deleted');
    expect(await purgeAt(new Date(Date.now() + 4 * DAY))).toBe('purged 0 SDS document(s) and 0 request(s); swept 0 unreferenced blob(s)\n');
  });

  test('segl purge sweeps blobs no row names once past the grace period, and says how many', async () => {
    const old = new Date(Date.now() - 2 * DAY);
    const plant = (content: string, when: Date) => {
      const file = path.join(s.dataDir, 'blobs', sha(content).slice(0, 2), sha(content));
      mkdirSync(path.dirname(file), { recursive: true });
      writeFileSync(file, content);
      utimesSync(file, when, when);
      return file;
    };
    const orphan = plant(`orphan ${Date.now()}`, old);
    const young = plant(`young orphan ${Date.now()}`, new Date());
    expect(await purgeAt(new Date())).toBe('purged 0 SDS document(s) and 0 request(s); swept 1 unreferenced blob(s)\n');
    expect(existsSync(orphan)).toBe(false);
    expect(existsSync(young)).toBe(true);
  });

  test('--as-of is refused outside preprod', async () => {
    const env = {
      ...process.env,
      DATA_DIR: s.dataDir,
      ...productionEnv(),
      LOG_LEVEL: 'silent',
      ...(s.rt.config.databaseUrl ? { DATABASE_URL: s.rt.config.databaseUrl } : {}),
    };
    await expect(
      exec(process.execPath, [path.join(REPO, 'bin', 'segl.js'), 'purge', '--as-of', new Date().toISOString()], { env }),
    ).rejects.toMatchObject({ stderr: 'segl: --as-of is only available in preprod mode\n' });
  });
});

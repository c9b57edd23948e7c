// Graceful shutdown and readiness (issue 13 item 5), on the built CLI (`segl start` from dist):
// /readyz names each dependency (database, Redis, blob store, TSA); SIGTERM turns it to `draining`
// at once, closes the listener after SEGL_DRAIN_DELAY, and lets an SDS upload that is still being
// streamed finish (201) before the process exits 0; the upload is there after a restart.
import { createHash, randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { request } from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { spawnSegl, type SeglProcess } from '../support/cli';
import { eventually } from '../support/receiver';

const AUTH = `Basic ${Buffer.from('demo:demo-password-1').toString('base64')}`;

type Segl = SeglProcess;

const startSegl = (dir: string, env: Record<string, string> = {}): Promise<Segl> =>
  spawnSegl('start', {
    DATA_DIR: dir,
    PORT: '0',
    HOST: '127.0.0.1',
    LOG_LEVEL: 'info',
    SEGL_DEMO_PASSWORD: 'demo-password-1',
    SEGL_TEST_EID: '0',
    ...env,
  });

const readyz = async (url: string) => {
  const r = await fetch(`${url}/readyz`, { signal: AbortSignal.timeout(5000) });
  return { status: r.status, body: (await r.json()) as Record<string, string> };
};

/** An SDS upload whose body is written in `parts` chunks, `gapMs` apart; `afterFirst` runs once the first chunk is out. */
function slowUpload(
  url: string,
  body: Buffer,
  parts: number,
  gapMs: number,
  afterFirst: () => void,
): Promise<{ status: number; text: string }> {
  return new Promise((resolve, reject) => {
    const req = request(
      `${url}/doc/demo/sds`,
      { method: 'POST', headers: { authorization: AUTH, 'content-type': 'text/plain; charset=us-ascii', 'content-length': body.length } },
      (res) => {
        let text = '';
        res.setEncoding('utf8').on('data', (s: string) => (text += s));
        res.on('end', () => resolve({ status: res.statusCode!, text }));
      },
    );
    req.on('error', reject);
    const size = Math.ceil(body.length / parts);
    let i = 0;
    const next = () => {
      req.write(body.subarray(i * size, (i + 1) * size));
      if (i === 0) afterFirst();
      if (++i < parts) setTimeout(next, gapMs);
      else req.end();
    };
    next();
  });
}

describe('graceful shutdown and readiness (segl start from dist)', () => {
  const dirs: string[] = [];
  const running: Segl[] = [];
  afterAll(async () => {
    for (const s of running) if (s.proc.exitCode === null && s.proc.signalCode === null) s.proc.kill('SIGKILL');
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  });

  test('/readyz names every dependency; SIGTERM: draining, the listener closes, an upload in progress completes, exit 0', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'segl-drain-'));
    dirs.push(dir);
    const segl = await startSegl(dir, { SEGL_DRAIN_DELAY: '1500ms', SEGL_SHUTDOWN_GRACE: '8s' });
    running.push(segl);

    const ready = await readyz(segl.url);
    expect(ready).toEqual({
      status: 200,
      body: { status: 'ready', database: 'ok', redis: 'ok', blobs: 'ok', tsa: 'in process (test CA)' },
    });

    const body = Buffer.from(randomBytes(128 * 1024).toString('hex'));
    let sigtermAt = 0;
    // 8 chunks 500 ms apart: the body takes 3.5 s, well past the drain delay (1.5 s)
    const upload = slowUpload(segl.url, body, 8, 500, () => {
      sigtermAt = Date.now();
      segl.proc.kill('SIGTERM');
    });

    // During the drain delay the instance still answers, and says it is draining.
    await eventually(async () => (await readyz(segl.url)).status === 503, 1000, '/readyz 503');
    expect((await readyz(segl.url)).body).toMatchObject({ status: 'draining', database: 'ok', redis: 'ok', blobs: 'ok' });

    // After it, the listener is closed: a new connection is refused while the upload still streams.
    await eventually(
      async () =>
        fetch(`${segl.url}/healthz`, { signal: AbortSignal.timeout(1000) }).then(
          () => false,
          () => true,
        ),
      4000,
      'the listener closed',
    );
    expect(segl.proc.exitCode).toBeNull();

    const answer = await upload;
    expect(answer.status).toBe(201);
    const id = answer.text.trim();
    const { code, at } = await segl.exit;
    expect(code).toBe(0);
    expect(at - sigtermAt).toBeGreaterThanOrEqual(3000); // it waited for the upload
    expect(segl.out()).toMatch(/"msg":"stopped"/);

    // The upload was committed: after a restart on the same DATA_DIR it is there, byte for byte.
    const again = await startSegl(dir);
    running.push(again);
    const got = await fetch(`${again.url}/doc/demo/sds/${id}`, { headers: { authorization: AUTH } });
    expect(got.status).toBe(200);
    expect(
      createHash('sha256')
        .update(Buffer.from(await got.arrayBuffer()))
        .digest('hex'),
    ).toBe(createHash('sha256').update(body).digest('hex'));
    again.proc.kill('SIGTERM');
    expect((await again.exit).code).toBe(0);
  }, 120_000);

  test('an upload still streaming when the grace ends is cut off and leaves nothing; the exit stays bounded', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'segl-drain-'));
    dirs.push(dir);
    const segl = await startSegl(dir, { SEGL_SHUTDOWN_GRACE: '1s' });
    running.push(segl);
    let sigtermAt = 0;
    const upload = slowUpload(segl.url, Buffer.from(randomBytes(32 * 1024).toString('hex')), 20, 500, () => {
      sigtermAt = Date.now();
      segl.proc.kill('SIGTERM');
    }).then(
      (r) => r.status,
      (e: Error) => e.message,
    );
    const { code, at } = await segl.exit;
    expect(code).toBe(0);
    expect(at - sigtermAt).toBeLessThan(6000); // grace 1 s + the closing steps, not the 10 s the body would take
    expect(await upload).not.toBe(201);

    const again = await startSegl(dir);
    running.push(again);
    const list = await fetch(`${again.url}/readyz`);
    expect(list.status).toBe(200);
    // nothing half-stored: no SDS row, no blob (only the temporary upload file, which the sweep removes)
    const blobsDir = path.join(dir, 'blobs');
    const blobDirs = existsSync(blobsDir) ? readdirSync(blobsDir).filter((n) => /^[0-9a-f]{2}$/.test(n)) : [];
    expect(blobDirs).toEqual([]);
    again.proc.kill('SIGTERM');
    expect((await again.exit).code).toBe(0);
  }, 120_000);
});

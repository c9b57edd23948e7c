// Blob store faults: a store that does not answer makes uploads answer 503 with nothing half-stored
// and heals when it is back; settings the store refuses (credentials, bucket) stop the start.
import { readdirSync } from 'node:fs';
import path from 'node:path';
import { startServer, type TestServer } from '../support/server';
import { startS3, S3_BUCKET, type S3Server } from '../support/s3';

const text = (n: number) => `${'segl blob fault test\n'.repeat(n)}`;

async function upload(s: TestServer, body: string): Promise<{ status: number; text: string; retryAfter: string | null }> {
  const r = await fetch(`${s.url}/doc/demo/sds`, {
    method: 'POST',
    headers: {
      authorization: `Basic ${Buffer.from(`demo:${s.demoPassword}`).toString('base64')}`,
      'content-type': 'text/plain; charset=utf-8',
    },
    body,
  });
  return { status: r.status, text: await r.text(), retryAfter: r.headers.get('retry-after') };
}

const spool = (s: TestServer) => {
  try {
    return readdirSync(path.join(s.dataDir, 'spool'));
  } catch {
    return [];
  }
};

describe('an S3 store that stops answering', () => {
  let s3: S3Server;
  let s: TestServer;
  beforeAll(async () => {
    s3 = await startS3();
    s = await startServer('sqlite', s3.env);
  });
  afterAll(async () => {
    await s.stop();
    await s3.stop();
  });

  test('uploads answer 503 with a message and store nothing; once it is back they work again', async () => {
    const first = await upload(s, text(10));
    expect(first.status).toBe(201);
    await s3.pause();
    const down0 = await fetch(`${s.url}/doc/demo/sds/${first.text}`, {
      headers: { authorization: `Basic ${Buffer.from(`demo:${s.demoPassword}`).toString('base64')}` },
    });
    expect(down0.status).toBe(503);
    expect(await down0.text()).toBe('the document store is unavailable; try again later\n');
    await expect(s.rt.blobs.ping()).rejects.toThrow(/could not answer HeadBucket/);
    const down = await upload(s, text(5000)); // ~100 KB
    expect(down.status).toBe(503);
    expect(down.text).toBe('the document store is unavailable; nothing was stored, try again later\n');
    expect(down.retryAfter).toBe('30');
    expect(spool(s)).toEqual([]);
    const big = await upload(s, text(1_000_000)); // ~21 MB: the failure arrives mid-stream
    expect(big.status).toBe(503);
    expect(spool(s)).toEqual([]);
    await s3.start();
    await expect(s.rt.blobs.ping()).resolves.toBeUndefined();
    // nothing of the refused uploads reached the bucket: only the first upload's blob is there
    const listed: Array<{ key?: string; tmpPath?: string }> = [];
    for await (const b of s.rt.blobs.list()) listed.push(b);
    expect(listed.filter((b) => b.tmpPath)).toEqual([]);
    expect(listed.filter((b) => b.key)).toHaveLength(1);
    expect((await upload(s, text(20))).status).toBe(201);
  });
});

describe('wrong S3 settings stop the start with a configuration error', () => {
  let s3: S3Server;
  beforeAll(async () => {
    s3 = await startS3();
  });
  afterAll(async () => {
    await s3.stop();
  });

  test('an unknown access key', async () => {
    await expect(startServer('sqlite', { ...s3.env, AWS_ACCESS_KEY_ID: 'NOT-A-KEY' })).rejects.toThrow(
      new RegExp(
        `blob store \\(s3 bucket ${S3_BUCKET} at ${s3.endpoint}\\) refuses segl: .*refused to answer HeadBucket: .*check SEGL_S3_\\* and the AWS credentials`,
      ),
    );
  });

  test('a bucket that does not exist', async () => {
    await expect(startServer('sqlite', { ...s3.env, SEGL_S3_BUCKET: 'no-such-bucket' })).rejects.toThrow(
      `S3 bucket "no-such-bucket" does not exist at ${s3.endpoint}`,
    );
  });

  test('missing settings are named before anything starts', async () => {
    await expect(startServer('sqlite', { SEGL_BLOBS: 's3' })).rejects.toThrow('the s3 blob store needs SEGL_S3_BUCKET');
    await expect(startServer('sqlite', { SEGL_BLOBS: 'postgres' })).rejects.toThrow('the postgres blob store needs a PostgreSQL database');
    await expect(startServer('sqlite', { SEGL_BLOBS: 'fs', SEGL_BLOBS_FALLBACK: 'fs' })).rejects.toThrow(
      'SEGL_BLOBS_FALLBACK=fs is the store in use',
    );
  });
});

describe('a PostgreSQL blob store that does not answer', () => {
  let s: TestServer;
  beforeAll(async () => {
    // port 1: nothing listens; segl starts (the store may come later) and refuses uploads
    s = await startServer('sqlite', { SEGL_BLOBS: 'postgres', SEGL_BLOBS_DATABASE_URL: 'postgres://segl@127.0.0.1:1/blobs' });
  });
  afterAll(async () => {
    await s.stop();
  });

  test('uploads answer 503 and leave no spool file', async () => {
    const r = await upload(s, text(3000));
    expect(r.status).toBe(503);
    expect(r.text).toMatch(/document store is unavailable/);
    expect(spool(s)).toEqual([]);
    await expect(s.rt.blobs.ping()).rejects.toThrow(/PostgreSQL blob store could not answer: .*ECONNREFUSED/);
  });
});

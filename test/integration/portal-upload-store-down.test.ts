// A signer's upload while the blob store does not answer: a clear refusal without the store's own
// message (hosts, buckets), and nothing kept, not even the spool file.
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import type express from 'express';
import { receiveUpload, type Received } from '../../src/portal/upload';
import { openBlobStore } from '../../src/store/blobstores/open';

test.each(['s3', 'postgres'] as const)('the %s store down: the upload is refused with a message and leaves nothing', async (kind) => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'segl-portal-down-'));
  // port 1: nothing listens
  const store = openBlobStore(
    {
      kind,
      dir: path.join(dir, 'blobs'),
      databaseUrl: 'postgres://segl@127.0.0.1:1/blobs',
      s3: {
        bucket: 'segl',
        prefix: '',
        endpoint: 'http://127.0.0.1:1',
        region: 'us-east-1',
        forcePathStyle: true,
        credentials: { accessKeyId: 'k', secretAccessKey: 's' },
      },
    },
    dir,
  );
  let got: Received | undefined;
  const server = http.createServer((req, res) => {
    void receiveUpload(req as express.Request, store, 1 << 20, (t) => t === 'ok').then((r) => {
      got = r;
      res.end('done');
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  try {
    const form = new FormData();
    form.append('csrf', 'ok');
    form.append('file', new Blob(['a signed payslip\n'.repeat(1000)], { type: 'text/plain' }), 'payslip.txt');
    const r = await fetch(`http://127.0.0.1:${(server.address() as AddressInfo).port}/`, { method: 'POST', body: form });
    expect(await r.text()).toBe('done');
    expect(got).toEqual({ kind: 'unavailable' }); // the page answers 503 with upload.unavailable in the signer's language
    expect(readdirSync(path.join(dir, 'spool'))).toEqual([]);
  } finally {
    server.close();
    rmSync(dir, { recursive: true, force: true });
  }
});

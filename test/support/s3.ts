// An S3-compatible server for the tests and the bench: s3rver (npm, scripts/s3-test-server.js), in a child process of its own
// so its memory and CPU are not counted as segl's. It is the most faithful S3 server that installs
// from npm or apt here (no MinIO, Ceph or moto): real multipart uploads, ranged GET, CopyObject,
// ListObjectsV2 and access-key checks; it does not verify the SigV4 signature itself, so a wrong
// secret key passes where AWS would answer SignatureDoesNotMatch (a wrong key id does not).
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';

export const S3_BUCKET = 'segl-test';
const KEY = 'S3RVER'; // s3rver's built-in account (id and secret)

const SCRIPT = path.resolve(__dirname, '..', '..', 'scripts', 's3-test-server.js');

export interface S3Server {
  endpoint: string;
  port: number;
  /** the variables that point segl at this server */
  env: Record<string, string>;
  stop(): Promise<void>;
  /** stops the process but keeps its data (start() brings it back on the same port) */
  pause(): Promise<void>;
  start(): Promise<void>;
}

function launch(dir: string, port: number): Promise<{ child: ChildProcess; port: number }> {
  const child = spawn(process.execPath, [SCRIPT, '--port', String(port), '--dir', dir, '--bucket', S3_BUCKET], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  return new Promise((resolve, reject) => {
    child.once('exit', (code) => reject(new Error(`s3rver exited with ${code}`)));
    createInterface({ input: child.stdout! }).once('line', (line) => resolve({ child, port: (JSON.parse(line) as { port: number }).port }));
  });
}

function kill(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    child.removeAllListeners('exit');
    child.once('exit', () => resolve());
    child.kill();
  });
}

/** Starts s3rver with an empty bucket `segl-test` on a free port. */
export async function startS3(): Promise<S3Server> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'segl-s3-'));
  const first = await launch(dir, 0);
  let child = first.child;
  const port = first.port;
  const endpoint = `http://127.0.0.1:${port}`;
  return {
    endpoint,
    port,
    env: {
      SEGL_BLOBS: 's3',
      SEGL_S3_BUCKET: S3_BUCKET,
      SEGL_S3_ENDPOINT: endpoint,
      SEGL_S3_FORCE_PATH_STYLE: '1',
      SEGL_S3_REGION: 'us-east-1',
      AWS_ACCESS_KEY_ID: KEY,
      AWS_SECRET_ACCESS_KEY: KEY,
    },
    pause: () => kill(child),
    start: async () => {
      ({ child } = await launch(dir, port));
    },
    stop: async () => {
      await kill(child);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

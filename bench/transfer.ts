// The SDS transfer client: one upload or one download of a large file over HTTP. Run as a child
// process (`node dist/bench/transfer.js`, a TransferSpec as JSON on stdin, a TransferResult as JSON
// on stdout), like load.js, so the server under test keeps the bench process's event loop to itself.
// Upload: the file is streamed from disk (fs.createReadStream) into http.request with a
// Content-Length; timed from the first byte handed to the socket until the answer's status line
// arrives. Download: timed from the request until the last byte; the bytes are hashed (SHA-256)
// and discarded, never kept.
import { createHash } from 'node:crypto';
import { createReadStream, statSync } from 'node:fs';
import http from 'node:http';
import { performance } from 'node:perf_hooks';
import { Transform, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';

export interface TransferSpec {
  title: string;
  direction: 'upload' | 'download';
  url: string;
  headers: Record<string, string>;
  /** upload: the file to send */
  file?: string;
  /** socket idle timeout, seconds (default 120) */
  timeout?: number;
}

export interface TransferResult {
  title: string;
  direction: 'upload' | 'download';
  status: number;
  /** bytes sent (upload) or received (download) */
  bytes: number;
  /** wall time, seconds */
  seconds: number;
  /** MB/s with MB = 2^20 bytes */
  mbPerSec: number;
  /** upload: the answer body (trimmed, first 300 characters) */
  body?: string;
  /** download: SHA-256 of the received bytes, and the Content-Length header */
  sha256?: string;
  contentLength?: number;
}

const MIB = 2 ** 20;
const rate = (bytes: number, seconds: number): number => (seconds > 0 ? Number((bytes / MIB / seconds).toFixed(1)) : NaN);

async function upload(spec: TransferSpec): Promise<TransferResult> {
  const file = spec.file;
  if (!file) throw new Error('upload needs a file');
  const size = statSync(file).size;
  let first = 0;
  let sent = 0;
  const meter = new Transform({
    transform(chunk: Buffer, _enc, done) {
      if (!first) first = performance.now();
      sent += chunk.length;
      done(null, chunk);
    },
  });
  const req = http.request(spec.url, {
    method: 'POST',
    agent: false,
    timeout: (spec.timeout ?? 120) * 1000,
    headers: { ...spec.headers, 'content-length': String(size) },
  });
  req.on('timeout', () => req.destroy(new Error(`no progress for ${spec.timeout ?? 120} s`)));
  const answer = new Promise<{ status: number; at: number; body: string }>((resolve, reject) => {
    req.once('error', reject);
    req.once('response', (res) => {
      const at = performance.now();
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.once('error', reject);
      res.once('end', () =>
        resolve({ status: res.statusCode ?? 0, at, body: Buffer.concat(chunks).toString('utf8').trim().slice(0, 300) }),
      );
    });
  });
  const [sending, answered] = await Promise.allSettled([pipeline(createReadStream(file), meter, req), answer]);
  // A server that answers early (401, 413, 422…) may close before the body is sent: its answer counts.
  if (answered.status === 'rejected') {
    throw sending.status === 'rejected' ? sending.reason : answered.reason;
  }
  const a = answered.value;
  const seconds = first ? (a.at - first) / 1000 : NaN;
  return {
    title: spec.title,
    direction: 'upload',
    status: a.status,
    bytes: sent,
    seconds: Number(seconds.toFixed(4)),
    mbPerSec: rate(sent, seconds),
    body: a.body,
  };
}

async function download(spec: TransferSpec): Promise<TransferResult> {
  const hash = createHash('sha256');
  let received = 0;
  const start = performance.now();
  const res = await new Promise<http.IncomingMessage>((resolve, reject) => {
    const req = http.request(spec.url, { method: 'GET', agent: false, headers: spec.headers, timeout: (spec.timeout ?? 120) * 1000 });
    req.on('timeout', () => req.destroy(new Error(`no progress for ${spec.timeout ?? 120} s`)));
    req.once('error', reject);
    req.once('response', resolve);
    req.end();
  });
  await pipeline(
    res,
    new Writable({
      write(chunk: Buffer, _enc, done) {
        hash.update(chunk);
        received += chunk.length;
        done();
      },
    }),
  );
  const seconds = (performance.now() - start) / 1000;
  const cl = Number(res.headers['content-length']);
  return {
    title: spec.title,
    direction: 'download',
    status: res.statusCode ?? 0,
    bytes: received,
    seconds: Number(seconds.toFixed(4)),
    mbPerSec: rate(received, seconds),
    sha256: hash.digest('hex'),
    ...(Number.isFinite(cl) ? { contentLength: cl } : {}),
  };
}

export function runTransfer(spec: TransferSpec): Promise<TransferResult> {
  return spec.direction === 'upload' ? upload(spec) : download(spec);
}

async function main(): Promise<void> {
  const chunks: Buffer[] = [];
  for await (const c of process.stdin) chunks.push(c as Buffer);
  const spec = JSON.parse(Buffer.concat(chunks).toString('utf8')) as TransferSpec;
  const result = await runTransfer(spec);
  process.stdout.write(`${JSON.stringify(result)}\n`);
}

if (require.main === module) {
  main().catch((e: unknown) => {
    process.stderr.write(`transfer: ${(e as Error).stack ?? String(e)}\n`);
    process.exit(1);
  });
}

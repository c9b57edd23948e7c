// Blobs in S3-compatible object storage (AWS SDK v3). Objects are named <prefix><sha256>; an upload
// streams to <prefix>.tmp/<random> (multipart, a few parts in flight) while a local spool copy is
// written for the content checks, and commit copies it server-side to its content address inside
// the transaction that records the row. Reads are ranged GETs streamed to the caller.
import { createHash, randomBytes } from 'node:crypto';
import { PassThrough, Transform, type Readable } from 'node:stream';
import {
  CopyObjectCommand,
  DeleteObjectCommand,
  GetObjectCommand,
  HeadBucketCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  S3Client,
} from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';
import { BlobStoreMisconfigured, BlobStoreUnavailable, type BlobStore, type ByteRange, type PendingBlob, type StoredBlob } from '../blobs';
import type { Spool } from './spool';

export interface S3Settings {
  bucket: string;
  /** prepended to every object name (e.g. `segl/`) */
  prefix: string;
  /** an S3-compatible endpoint (MinIO, Ceph, …); AWS when unset */
  endpoint?: string;
  region: string;
  /** path-style URLs (endpoint/bucket/key) instead of virtual-hosted (bucket.endpoint/key) */
  forcePathStyle: boolean;
  /** explicit keys; otherwise the SDK's usual chain (AWS_* variables, profile, instance role) */
  credentials?: { accessKeyId: string; secretAccessKey: string; sessionToken?: string };
  /** multipart part size (bytes, at least 5 MiB) */
  partSize?: number;
}

const KEY = /^[0-9a-f]{64}$/;
const PART_SIZE = 8 * 1024 * 1024;
const TMP = '.tmp/';
const TMP_MARK = 's3:';

type SdkError = Error & { $metadata?: { httpStatusCode?: number }; Code?: string };

/** Answers that mean the settings are wrong, not that the store is down. */
const CONFIG_ERRORS = new Set([
  'InvalidAccessKeyId',
  'SignatureDoesNotMatch',
  'AccessDenied',
  'NoSuchBucket',
  'AuthorizationHeaderMalformed',
  'InvalidToken',
  'ExpiredToken',
  'CredentialsProviderError',
  'PermanentRedirect',
]);

/** Skips `skip` bytes, passes `take`, drops the rest. */
function slice(skip: number, take: number): Transform {
  return new Transform({
    transform(chunk: Buffer, _enc, done) {
      let c = chunk;
      if (skip > 0) {
        const n = Math.min(skip, c.length);
        skip -= n;
        c = c.subarray(n);
      }
      if (take > 0 && c.length) {
        const part = c.subarray(0, take);
        take -= part.length;
        done(null, part);
        return;
      }
      done();
    },
  });
}

export class S3BlobStore implements BlobStore {
  private readonly client: S3Client;
  readonly description: string;

  constructor(
    private readonly s: S3Settings,
    private readonly spool: Spool,
  ) {
    this.client = new S3Client({
      region: s.region,
      endpoint: s.endpoint,
      forcePathStyle: s.forcePathStyle,
      credentials: s.credentials,
      // Checksums only where S3 requires them: S3-compatible servers differ on the newer trailers.
      requestChecksumCalculation: 'WHEN_REQUIRED',
      responseChecksumValidation: 'WHEN_REQUIRED',
      maxAttempts: 3,
      requestHandler: { connectionTimeout: 5000, requestTimeout: 60_000 },
    });
    this.description = `s3 bucket ${s.bucket}${s.prefix ? ` prefix ${s.prefix}` : ''}${s.endpoint ? ` at ${s.endpoint}` : ''}`;
  }

  private name(key: string): string {
    if (!KEY.test(key)) throw new Error('bad blob key');
    return this.s.prefix + key;
  }

  /** The SDK's error as segl's: configuration (credentials, bucket) or unavailability. */
  private fail(e: unknown, what: string): Error {
    if (e instanceof BlobStoreUnavailable) return e;
    const err = e as SdkError;
    const status = err.$metadata?.httpStatusCode;
    const code = err.Code ?? err.name;
    const where = `S3 bucket "${this.s.bucket}"${this.s.endpoint ? ` at ${this.s.endpoint}` : ''}`;
    if (CONFIG_ERRORS.has(code) || status === 403 || status === 401 || status === 301)
      return new BlobStoreMisconfigured(
        `${where} refused to ${what}: ${code} (${err.message}); check SEGL_S3_* and the AWS credentials`,
        e,
      );
    return new BlobStoreUnavailable(
      `${where} could not ${what}: ${code}${err.message && err.message !== code ? ` (${err.message})` : ''}`,
      e,
    );
  }

  private static missing(e: unknown): boolean {
    const err = e as SdkError;
    return err.name === 'NotFound' || err.name === 'NoSuchKey' || err.$metadata?.httpStatusCode === 404;
  }

  async ping(): Promise<void> {
    try {
      await this.client.send(new HeadBucketCommand({ Bucket: this.s.bucket }));
    } catch (e) {
      if (S3BlobStore.missing(e))
        throw new BlobStoreMisconfigured(
          `S3 bucket "${this.s.bucket}" does not exist${this.s.endpoint ? ` at ${this.s.endpoint}` : ''}`,
          e,
        );
      throw this.fail(e, 'answer HeadBucket');
    }
  }

  async putBytes(bytes: Uint8Array): Promise<{ key: string; sha256: string; size: number; created: boolean }> {
    const sha256 = createHash('sha256').update(bytes).digest('hex');
    const created = !(await this.stat(sha256));
    // Written again even when present: the fresh LastModified keeps the orphan sweep off it until its row commits.
    try {
      await this.client.send(new PutObjectCommand({ Bucket: this.s.bucket, Key: this.name(sha256), Body: bytes }));
    } catch (e) {
      throw this.fail(e, 'store a blob');
    }
    return { key: sha256, sha256, size: bytes.byteLength, created };
  }

  async putStream(src: Readable, opts: { maxBytes: number; onChunk?: (chunk: Buffer) => void }): Promise<PendingBlob> {
    const tmpKey = `${this.s.prefix}${TMP}${randomBytes(12).toString('hex')}`;
    const Bucket = this.s.bucket;
    let sent = false;
    let spooled;
    try {
      spooled = await this.spool.put(src, opts, async (body) => {
        const upload = new Upload({
          client: this.client,
          params: { Bucket, Key: tmpKey, Body: body },
          queueSize: 4,
          partSize: this.s.partSize ?? PART_SIZE,
          leavePartsOnError: false,
        });
        try {
          await upload.done();
          sent = true;
        } catch (e) {
          throw this.fail(e, 'accept an upload');
        }
      });
    } catch (e) {
      if (sent) await this.client.send(new DeleteObjectCommand({ Bucket, Key: tmpKey })).catch(() => undefined);
      throw e;
    }
    const { sha256, size, tmpPath } = spooled;
    let settled = false;
    const dropTemporary = async () => {
      await this.spool.remove(tmpPath);
      await this.client.send(new DeleteObjectCommand({ Bucket, Key: tmpKey })).catch(() => undefined); // else the sweep
    };
    return {
      key: sha256,
      sha256,
      size,
      tmpPath,
      commit: async () => {
        if (settled) return;
        try {
          await this.client.send(
            new CopyObjectCommand({
              Bucket,
              Key: this.name(sha256),
              CopySource: `${Bucket}/${encodeURIComponent(tmpKey).replace(/%2F/g, '/')}`,
            }),
          );
        } catch (e) {
          throw this.fail(e, 'commit an upload');
        }
        settled = true;
        await dropTemporary();
      },
      discard: async () => {
        if (settled) return;
        settled = true;
        await dropTemporary();
      },
    };
  }

  get(key: string, range?: ByteRange): Readable {
    const out = new PassThrough({ highWaterMark: 1 << 20 });
    const Range = range ? `bytes=${range.start}-${range.end}` : undefined;
    this.client
      .send(new GetObjectCommand({ Bucket: this.s.bucket, Key: this.name(key), Range }))
      .then((r) => {
        const body = r.Body as Readable;
        body.on('error', (e) => out.destroy(this.fail(e, 'send a blob')));
        out.on('close', () => body.destroy());
        if (!range) {
          body.pipe(out);
          return;
        }
        // A server may answer a Range with more than asked (HTTP lets it ignore Range; s3rver
        // reads bytes=0-0 as the whole object): what arrived is cut to the range asked for.
        const from = Number(/^bytes (\d+)-/.exec(r.ContentRange ?? '')?.[1] ?? 0);
        body.pipe(slice(range.start - from, range.end - range.start + 1)).pipe(out);
      })
      .catch((e: unknown) => out.destroy(S3BlobStore.missing(e) ? new Error(`blob ${key} is missing`) : this.fail(e, 'read a blob')));
    return out;
  }

  async getBytes(key: string): Promise<Buffer> {
    try {
      const r = await this.client.send(new GetObjectCommand({ Bucket: this.s.bucket, Key: this.name(key) }));
      return Buffer.from(await r.Body!.transformToByteArray());
    } catch (e) {
      if (S3BlobStore.missing(e)) throw new Error(`blob ${key} is missing`);
      throw this.fail(e, 'read a blob');
    }
  }

  private async head(key: string): Promise<{ size: number; modified: Date } | null> {
    try {
      const r = await this.client.send(new HeadObjectCommand({ Bucket: this.s.bucket, Key: this.name(key) }));
      return { size: Number(r.ContentLength ?? 0), modified: r.LastModified ?? new Date(0) };
    } catch (e) {
      if (S3BlobStore.missing(e)) return null;
      throw this.fail(e, 'look up a blob');
    }
  }

  async stat(key: string): Promise<{ size: number } | null> {
    const h = await this.head(key);
    return h && { size: h.size };
  }

  async modified(key: string): Promise<Date | null> {
    return (await this.head(key))?.modified ?? null;
  }

  async delete(key: string): Promise<void> {
    try {
      await this.client.send(new DeleteObjectCommand({ Bucket: this.s.bucket, Key: this.name(key) }));
    } catch (e) {
      throw this.fail(e, 'delete a blob');
    }
  }

  async *list(): AsyncIterable<StoredBlob> {
    let ContinuationToken: string | undefined;
    do {
      let page;
      try {
        page = await this.client.send(
          new ListObjectsV2Command({ Bucket: this.s.bucket, Prefix: this.s.prefix || undefined, ContinuationToken }),
        );
      } catch (e) {
        throw this.fail(e, 'list blobs');
      }
      for (const o of page.Contents ?? []) {
        const rest = o.Key!.slice(this.s.prefix.length);
        const modified = o.LastModified ?? new Date(0);
        if (KEY.test(rest)) yield { key: rest, modified };
        else if (rest.startsWith(TMP)) yield { tmpPath: TMP_MARK + o.Key!, modified };
      }
      ContinuationToken = page.IsTruncated ? page.NextContinuationToken : undefined;
    } while (ContinuationToken);
    yield* this.spool.leftovers();
  }

  async deleteTemporary(tmpPath: string): Promise<void> {
    if (!tmpPath.startsWith(TMP_MARK)) return this.spool.remove(tmpPath);
    const Key = tmpPath.slice(TMP_MARK.length);
    if (!Key.startsWith(this.s.prefix + TMP)) throw new Error('not a temporary blob');
    try {
      await this.client.send(new DeleteObjectCommand({ Bucket: this.s.bucket, Key }));
    } catch (e) {
      throw this.fail(e, 'delete a temporary upload');
    }
  }
}

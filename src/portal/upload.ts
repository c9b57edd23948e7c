// A signer's upload (document-action type upload): multipart/form-data read with busboy, the file
// streamed into a pending blob with the size limit, then the content checks SDS uploads get.
import type { Readable } from 'node:stream';
import busboy from 'busboy';
import type express from 'express';
import { checkContent, isSupported, parseMediaType } from '../content/check';
import { BlobStoreUnavailable, BlobTooLarge, type BlobStore, type PendingBlob } from '../store/blobs';

export type Received =
  | { kind: 'ok'; pending: PendingBlob; mimeType: string }
  | { kind: 'csrf' | 'too-large' | 'type' | 'none' | 'unavailable' }
  /** not a multipart/form-data body busboy can read (no boundary, cut off, another content type) */
  | { kind: 'malformed' }
  | { kind: 'bad'; message: string };

const BY_EXTENSION: Record<string, string> = { pdf: 'application/pdf', txt: 'text/plain' };

/** Reads one file part; the form's `csrf` field must come first and satisfy `csrfOk`. */
export function receiveUpload(
  req: express.Request,
  blobs: BlobStore,
  maxBytes: number,
  csrfOk: (token: string) => boolean,
): Promise<Received> {
  return new Promise((resolve) => {
    let settled = false;
    let csrf: string | undefined;
    let work: Promise<Received> | undefined;
    const done = (r: Received) => {
      if (!settled) {
        settled = true;
        resolve(r);
      }
    };
    let bb: busboy.Busboy;
    try {
      bb = busboy({ headers: req.headers, limits: { files: 1, fields: 4, fieldSize: 256, parts: 6 } });
    } catch {
      req.resume();
      done({ kind: 'malformed' });
      return;
    }
    bb.on('field', (name, value) => {
      if (name === 'csrf') csrf = value;
    });
    bb.on('file', (_name, stream, info) => {
      // A body cut off inside the file destroys this stream with an error, possibly before putStream
      // has piped it (it awaits first): without a listener that error would crash the process. The
      // form's own 'error' below answers it.
      stream.on('error', () => undefined);
      if (work) {
        stream.resume();
        return;
      }
      if (csrf === undefined || !csrfOk(csrf)) {
        stream.resume();
        work = Promise.resolve({ kind: 'csrf' });
        return;
      }
      const type = fileType(info);
      if (!type) {
        stream.resume();
        work = Promise.resolve({ kind: 'type' });
        return;
      }
      work = storeChecked(blobs, stream, maxBytes, type);
      // Over the limit the file stream is gone: stop parsing, drain the rest of the body, answer now.
      void work.then((r) => {
        if (r.kind === 'too-large') {
          req.unpipe(bb);
          req.resume();
          done(r);
        }
      });
    });
    bb.on('error', () => {
      req.unpipe(bb);
      req.resume();
      done({ kind: 'malformed' });
    });
    bb.on('close', () => {
      void (work ?? Promise.resolve<Received>({ kind: csrf !== undefined && !csrfOk(csrf) ? 'csrf' : 'none' })).then(done);
    });
    req.pipe(bb);
  });
}

/** The file's type as the portal takes it (PDF or text), or undefined for any other. */
function fileType(info: busboy.FileInfo): string | undefined {
  const declared = parseMediaType(info.mimeType)?.type;
  const ext = /\.([a-z0-9]+)$/i.exec(info.filename ?? '')?.[1]?.toLowerCase();
  // browsers send application/octet-stream for unknown types: the extension decides then
  const type = declared && declared !== 'application/octet-stream' ? declared : ext ? BY_EXTENSION[ext] : undefined;
  return !type || !['application/pdf', 'text/plain'].includes(type) || !isSupported(type) ? undefined : type;
}

/** The file streamed into a pending blob (at most `maxBytes`), then through the content checks of its type. */
export async function storeChecked(blobs: BlobStore, stream: Readable, maxBytes: number, type: string): Promise<Received> {
  try {
    const pending = await blobs.putStream(stream, { maxBytes });
    if (pending.size === 0) {
      await pending.discard();
      return { kind: 'none' };
    }
    const problem = await checkContent(pending.tmpPath, parseMediaType(type === 'text/plain' ? 'text/plain; charset=utf-8' : type)!);
    if (problem) {
      await pending.discard();
      return { kind: 'bad', message: problem.message };
    }
    return { kind: 'ok', pending, mimeType: type };
  } catch (e) {
    if (e instanceof BlobTooLarge) return { kind: 'too-large' };
    // The store's own message (hosts, buckets) is for the log, not for the signer; nothing was kept.
    if (e instanceof BlobStoreUnavailable) return { kind: 'unavailable' };
    return { kind: 'bad', message: (e as Error).message };
  }
}

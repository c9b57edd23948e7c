// Session Data Storage over REST and the document download routes (/doc/{service}/…), with HTTP
// Basic auth by service name and password. Bytes stream between the socket and the blob store
// through a hash; nothing holds a whole document in memory.
import { Router, type NextFunction, type Request, type Response } from 'express';
import rangeParser from 'range-parser';
import type { Logger } from 'pino';
import type { RequestService } from '../core/requests';
import { NotFoundError } from '../core/errors';
import type { ServiceAccount } from '../core/ports';
import type { LoginThrottle } from '../core/ratelimit';
import { BlobStoreUnavailable, BlobTooLarge, type BlobStore, type PendingBlob } from '../store/blobs';
import type { SdsRepository } from '../store/sds';
import type { ArchiveRepository } from '../store/archive';
import type { ServiceRepository } from '../store/services';
import { setTenantDownloadHeaders, TENANT_BASE_HEADERS } from '../content/download';
import { checkPdfFile } from '../content/pdf';
import { checkXmlFile, TextValidator } from '../content/text';
import { isSupported, parseMediaType, SUPPORTED_TYPES } from '../content/check';
import type { ContentProblem } from '../content/problem';
import { basicLogin } from '../core/basiclogin';
import type { SdsUploads } from '../core/sds';

export interface SdsDeps {
  services: ServiceRepository;
  sds: SdsRepository;
  archive: ArchiveRepository;
  blobs: BlobStore;
  documents: Pick<RequestService, 'resultDocument' | 'originalDocument'>;
  limiter: LoginThrottle;
  log: Logger;
  /** base URL for Location headers */
  publicUrl: () => string;
  maxBytes: number;
  /** SDS uploads and deletes, through core with the clock */
  uploads: SdsUploads<PendingBlob>;
}

function fail(res: Response, status: number, message: string, headers: Record<string, string> = {}): void {
  res.status(status).set(headers).type('text/plain; charset=utf-8').send(`${message}\n`);
}

/** The blob store is down: 503, nothing kept, the details in the log (not for the client). */
function storeDown(d: SdsDeps, req: Request, res: Response, e: BlobStoreUnavailable): void {
  d.log.error({ err: e.message }, 'sds upload refused: the blob store is unavailable');
  if (!res.headersSent)
    fail(res, 503, 'the document store is unavailable; nothing was stored, try again later', { 'Retry-After': '30', Connection: 'close' });
  req.resume();
}

type Authed = Request & { service?: ServiceAccount };

/** RFC 7617 Basic credentials; the user must be the service named in the path. */
function basicAuth(d: SdsDeps) {
  return async (req: Authed, res: Response, next: NextFunction): Promise<void> => {
    const login = await basicLogin(req.headers.authorization, String(req.params.service), req.ip ?? 'unknown', d.limiter, (n, p) =>
      d.services.authenticate(n, p),
    );
    if (!login.ok) return fail(res, login.status, login.message, login.headers);
    req.service = login.service;
    next();
  };
}

/** Reads the body into a pending blob, checking size and (for text) charset on the way. */
async function receive(d: SdsDeps, req: Request, type: string, charset: string | undefined) {
  const text = type === 'text/plain' ? new TextValidator(charset) : undefined;
  const pending = await d.blobs.putStream(req, { maxBytes: d.maxBytes, onChunk: text ? (c) => text.push(c) : undefined });
  let problem: ContentProblem | null = text ? text.end() : null;
  if (!problem && (type === 'application/pdf' || type === 'application/x-pades')) problem = await checkPdfFile(pending.tmpPath);
  if (!problem && (type === 'application/xml' || type === 'text/xml' || type === 'application/x-ltv-sdo'))
    problem = await checkXmlFile(pending.tmpPath);
  return { pending, problem };
}

/** Streams a blob with ETag, conditional GET and single byte ranges (RFC 9110 §13, §14). */
async function serveBlob(
  d: SdsDeps,
  req: Request,
  res: Response,
  blob: { blobKey: string; sha256: string; mimeType: string },
  name: string,
): Promise<void> {
  let st;
  try {
    st = await d.blobs.stat(blob.blobKey);
  } catch (e) {
    if (!(e instanceof BlobStoreUnavailable)) throw e;
    d.log.error({ err: e.message, blob: blob.blobKey }, 'download refused: the blob store is unavailable');
    fail(res, 503, 'the document store is unavailable; try again later', { 'Retry-After': '30' });
    return;
  }
  if (!st) {
    d.log.error({ blob: blob.blobKey }, 'blob missing for a stored document');
    fail(res, 500, 'the document bytes are missing on this server');
    return;
  }
  const etag = `"${blob.sha256}"`;
  setTenantDownloadHeaders(res, blob.mimeType, name);
  res.set({ ETag: etag, 'Accept-Ranges': 'bytes', 'Cache-Control': 'private, no-cache' });
  if (req.headers['if-none-match']?.split(/\s*,\s*/).includes(etag)) {
    res.status(304).end();
    return;
  }
  let range: { start: number; end: number } | undefined;
  const header = req.headers.range;
  const ifRange = req.headers['if-range'];
  if (header && (!ifRange || ifRange === etag)) {
    const parsed = rangeParser(st.size, header, { combine: true });
    if (parsed === -1) {
      res.set('Content-Range', `bytes */${st.size}`);
      fail(res, 416, `range not satisfiable: the document has ${st.size} bytes`);
      return;
    }
    if (parsed !== -2 && parsed.type === 'bytes' && parsed.length === 1) range = parsed[0];
  }
  if (range) {
    res
      .status(206)
      .set({ 'Content-Range': `bytes ${range.start}-${range.end}/${st.size}`, 'Content-Length': String(range.end - range.start + 1) });
  } else {
    res.status(200).set('Content-Length', String(st.size));
  }
  if (req.method === 'HEAD') {
    res.end();
    return;
  }
  const stream = d.blobs.get(blob.blobKey, range);
  stream.on('error', (e) => {
    d.log.error({ err: e.message, blob: blob.blobKey }, 'blob read failed');
    res.destroy(e);
  });
  res.on('close', () => stream.destroy());
  stream.pipe(res);
}

type AuthHandler = ReturnType<typeof basicAuth>;

/** The router: SDS upload/get/delete and the /doc downloads, all behind HTTP Basic for the service in the path. */
export function sdsRoutes(d: SdsDeps): Router {
  const r = Router();
  const auth = basicAuth(d);
  // Every answer under /doc, errors included, is tenant territory: nosniff and a sandbox CSP.
  r.use('/doc', (_req, res, next) => {
    res.set(TENANT_BASE_HEADERS);
    next();
  });
  sdsDocumentRoutes(r, d, auth);
  downloadRoutes(r, d, auth);
  // What the router refuses before a handler runs (a path segment that is not valid
  // percent-encoding: "Failed to decode param") is the client's mistake: its 4xx with a message.
  r.use('/doc', (err: unknown, _req: Request, res: Response, next: NextFunction) => {
    const e = err as { status?: number; message?: string };
    if (typeof e?.status === 'number' && e.status >= 400 && e.status < 500 && !res.headersSent)
      fail(res, e.status, `the request could not be read: ${e.message ?? 'bad request'}`);
    else next(err);
  });
  return r;
}

/** Session Data Storage: upload (POST …/sds), get and delete (…/sds/{id}). */
function sdsDocumentRoutes(r: Router, d: SdsDeps, auth: AuthHandler): void {
  r.post(['/doc/:service/sds', '/doc/:service/sds/'], auth, (req: Authed, res) => uploadSds(d, req, res));

  r.get('/doc/:service/sds/:id', auth, async (req: Authed, res) => {
    const row = await d.sds.get(req.service!.id, String(req.params.id));
    // Another service's id answers exactly like an unknown one: no oracle.
    if (!row) return fail(res, 404, `no SDS document "${String(req.params.id)}"`);
    await serveBlob(d, req, res, row, row.id);
  });

  r.delete('/doc/:service/sds/:id', auth, async (req: Authed, res) => {
    if (!(await d.uploads.remove(req.service!.id, String(req.params.id))))
      return fail(res, 404, `no SDS document "${String(req.params.id)}"`);
    res.status(204).end();
  });
}

/** POST …/sds: type and declared size first, then the body checked on the way in; 201 with the new id. */
async function uploadSds(d: SdsDeps, req: Authed, res: Response): Promise<void> {
  const media = parseMediaType(req.headers['content-type']);
  if (!media || !isSupported(media.type)) {
    fail(res, 415, `Content-Type "${req.headers['content-type'] ?? ''}" is not accepted; use one of ${SUPPORTED_TYPES.join(', ')}`);
    req.resume();
    return;
  }
  const declared = Number(req.headers['content-length']);
  if (Number.isFinite(declared) && declared > d.maxBytes) {
    fail(res, 413, `the document has ${declared} bytes; the limit is ${d.maxBytes}`, { Connection: 'close' });
    req.resume();
    return;
  }
  let received;
  try {
    received = await receive(d, req, media.type, media.charset);
  } catch (e) {
    if (e instanceof BlobTooLarge) {
      fail(res, 413, `the document exceeds the limit of ${d.maxBytes} bytes`, { Connection: 'close' });
      req.resume();
      return;
    }
    if (e instanceof BlobStoreUnavailable) return storeDown(d, req, res, e);
    // The client went away mid-upload: the temporary file is already gone.
    d.log.info({ err: (e as Error).message, service: req.service!.name }, 'sds upload aborted');
    if (!res.headersSent && !req.destroyed) fail(res, 400, 'the upload did not complete');
    return;
  }
  if (received.problem) {
    await received.pending.discard();
    fail(res, received.problem.code === 'unsupported-charset' ? 415 : 422, received.problem.message);
    return;
  }
  const mimeType = media.charset ? `${media.type};charset=${media.charset}` : media.type;
  let id: string;
  try {
    ({ id } = await d.uploads.add(req.service!.id, mimeType, received.pending));
  } catch (e) {
    await received.pending.discard().catch(() => undefined); // the row was rolled back; the sweep takes what a dead store keeps
    if (e instanceof BlobStoreUnavailable) return storeDown(d, req, res, e);
    throw e;
  }
  const location = `${d.publicUrl()}/doc/${encodeURIComponent(req.service!.name)}/sds/${id}`;
  res.status(201).set({ Location: location }).type('text/plain; charset=ISO-8859-1').send(id);
}

/** Downloads of documents kept elsewhere: archived ones, and an order's originals and LTV-SDOs. */
function downloadRoutes(r: Router, d: SdsDeps, auth: AuthHandler): void {
  r.get('/doc/:service/archive/:id', auth, async (req: Authed, res) => {
    const e = await d.archive.get(req.service!.id, String(req.params.id));
    if (!e) return fail(res, 404, `no archived document "${String(req.params.id)}"`);
    await serveBlob(d, req, res, e, e.id);
  });

  r.get('/doc/:service/order/:requestId/:taskId/:documentId/:kind', auth, async (req: Authed, res) => {
    const { requestId, taskId, documentId, kind } = req.params as Record<string, string>;
    if (kind !== 'original' && kind !== 'sdo' && kind !== 'merged') return fail(res, 404, 'use …/original, …/merged or …/sdo');
    try {
      if (kind === 'sdo') {
        const r = await d.documents.resultDocument(req.service!, requestId!, taskId!, documentId!);
        await serveBlob(d, req, res, { ...r, mimeType: 'application/x-ltv-sdo' }, `${documentId}-ltvsdo`);
        return;
      }
      const row = await d.documents.originalDocument(req.service!, requestId!, taskId!, documentId!);
      // an interactive form once filled: its bytes are the merged PDF (…/merged), the original is kept
      // beside it (blobs are content-addressed: the key is the SHA-256)
      const original = row.formOriginalBlobKey;
      if (kind === 'merged' && !original) return fail(res, 404, `document "${documentId}" is not a filled interactive form`);
      const blob =
        kind === 'original' && original ? { blobKey: original, sha256: original } : { blobKey: row.blobKey!, sha256: row.sha256! };
      await serveBlob(d, req, res, { ...blob, mimeType: row.mimeType ?? 'application/octet-stream' }, documentId!);
    } catch (e) {
      if (e instanceof NotFoundError) return fail(res, 404, e.message);
      throw e;
    }
  });
}

// `/viewer` (public, no account): anyone checks a signed file from segl — an LTV-SDO or a PAdES — with
// the same size limit and content checks as SDS (src/content), against the platform's trust anchors.
// GET /viewer is the form; POST /viewer (multipart/form-data, field `file`) answers the report page;
// POST /viewer/api (the file as the body) answers the report as JSON (?format=xml: the ETSI-shaped XML, etsi.ts;
// ?format=pdf: the PDF, reportpdf.ts). The report page hands both reports over inside itself. The upload is spooled to a
// private temporary file for the content checks and removed when the answer is sent: nothing is kept.
import { createWriteStream } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { Readable } from 'node:stream';
import type * as x509 from '@peculiar/x509';
import busboy from 'busboy';
import express from 'express';
import type { Logger } from 'pino';
import { checkContent, parseMediaType } from '../../content/check';
import { CompressionBombError, decodeBoundFor, withDecodeBudget } from '../../content/decodebudget';
import { SECURITY_HEADERS } from '../answer';
import { pickLanguage, t, type Lang } from '../i18n';
import { page } from '../layout';
import { reportPage, uploadPage, type ViewerPage } from './page';
import { etsiValidationReport } from './etsi';
import { validationReportPdf } from './reportpdf';
import { viewerJson, viewerReport, type ViewerReport } from './report';

/** Where a Nets-style result is kept for its 10 minutes (Redis: SET with EX). */
export interface ResultStore {
  set(key: string, value: string, ex: 'EX', seconds: number): Promise<unknown>;
  get(key: string): Promise<string | null>;
}

export interface ViewerDeps {
  /** the integrators' flow (POST a file, get a URL valid RESULT_TTL_S): where its results are kept */
  results?: { store: ResultStore; prefix: string };
  /** where this segl answers: the integrators' URLs and the PDF report's footer */
  publicUrl: () => string;
  /** segl's trust anchors and the configured ones (signing/trust.ts) */
  anchors: () => Promise<x509.X509Certificate[]>;
  /** the largest file accepted (SEGL_SDS_LIMIT, as SDS) */
  maxBytes: number;
  log: Logger;
}

/** `name`: the file name a form gave (only ever printed in the PDF report, never kept) */
type Received = { kind: 'ok'; file: string; size: number; name?: string } | { kind: 'too-large' | 'none' | 'malformed' };

/** How much more than the limit is read (and dropped) so a client still sending gets the answer; beyond it the connection closes. */
const DRAIN_BYTES = 8 * 1024 * 1024;

/**
 * After the limit: the rest of the body read and dropped up to DRAIN_BYTES more, then the connection destroyed. The
 * answer is sent meanwhile, so a client that is still sending (a browser) reads the 413 instead of a reset
 * connection, and a body of any size costs no more than the limit and DRAIN_BYTES.
 */
function dropRest(req: Readable): void {
  let dropped = 0;
  req.on('data', (chunk: Buffer) => {
    dropped += chunk.length;
    if (dropped > DRAIN_BYTES) req.destroy();
  });
  req.resume();
}

/**
 * Copies `from` into `file`, at most `max` bytes. One byte more and nothing more is written: it answers
 * `tooLarge` at once (the answer does not wait for the rest of the body) and calls `over`, which sees to the rest.
 */
function spool(from: Readable, file: string, max: number, over: () => void): Promise<{ size: number; tooLarge: boolean }> {
  return new Promise((resolve, reject) => {
    const out = createWriteStream(file, { mode: 0o600 });
    let size = 0;
    let done = false;
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size <= max) {
        if (!out.write(chunk)) {
          from.pause();
          out.once('drain', () => from.resume());
        }
        return;
      }
      done = true;
      from.off('data', onData);
      out.destroy();
      over();
      resolve({ size, tooLarge: true });
    };
    from.on('data', onData);
    from.on('error', (e) => {
      if (!done) reject(e);
    });
    let ended = false;
    from.on('end', () => {
      ended = true;
      if (!done) out.end(() => resolve({ size, tooLarge: false }));
    });
    // a connection closed before the body ended (a client gone): no 'end', and not always an 'error'
    from.on('close', () => {
      if (!done && !ended) {
        out.destroy();
        reject(new Error('the upload ended before its body did'));
      }
    });
    out.on('error', (e) => {
      if (!done) reject(e);
    });
  });
}

/** The one file part of a multipart form, spooled; a file over the limit answers at once (the rest dropped, dropRest). */
function receiveForm(req: express.Request, dir: string, max: number): Promise<Received> {
  return new Promise((resolve) => {
    let bb: busboy.Busboy;
    try {
      bb = busboy({ headers: req.headers, defParamCharset: 'utf8', limits: { files: 1, fields: 10, fieldSize: 1024 } });
    } catch {
      resolve({ kind: 'malformed' });
      return;
    }
    let work: Promise<Received> | undefined;
    bb.on('file', (_name, stream, info) => {
      const file = path.join(dir, 'upload');
      const name = fileName(info.filename);
      work = spool(stream, file, max, () => {
        req.unpipe(bb);
        dropRest(req);
      }).then(({ size, tooLarge }): Received =>
        tooLarge ? { kind: 'too-large' } : size ? { kind: 'ok', file, size, name } : { kind: 'none' },
      );
      void work.then(
        (r) => r.kind === 'too-large' && resolve(r),
        () => resolve({ kind: 'malformed' }),
      );
    });
    bb.on('error', () => resolve({ kind: 'malformed' }));
    bb.on('close', () => resolve(work ?? { kind: 'none' }));
    req.pipe(bb);
  });
}

/** The content check SDS makes, for the type the bytes say they are (%PDF- or XML). */
async function contentProblem(file: string, bytes: Uint8Array): Promise<string | undefined> {
  const type = Buffer.from(bytes.subarray(0, 5)).toString('latin1') === '%PDF-' ? 'application/pdf' : 'application/x-ltv-sdo';
  const p = await checkContent(file, parseMediaType(type)!);
  return p?.message;
}

const MIB = 1024 * 1024;

/** How long a result of the integrators' flow can be opened (the Nets E-Signing validator's ten minutes). */
export const RESULT_TTL_S = 600;
const RESULT_ID = /^[A-Za-z0-9_-]{32}$/;
const dataUrl = (type: string, bytes: Uint8Array | string) => `data:${type};base64,${Buffer.from(bytes).toString('base64')}`;

/** A file name as a form or `?name=` gives it: the last path segment, without control characters, at most 200 characters. */
function fileName(raw: unknown): string | undefined {
  if (typeof raw !== 'string') return undefined;
  const name = [...(raw.split(/[\\/]/).pop() ?? '')]
    .filter((c) => !/[\p{Cc}\p{Cf}]/u.test(c))
    .join('')
    .trim();
  return name ? name.slice(0, 200) : undefined;
}

/** A temporary directory for one upload, removed whatever happens. */
async function withTempDir<T>(f: (dir: string) => Promise<T>): Promise<T> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'segl-viewer-'));
  try {
    return await f(dir);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

const langOf = (req: express.Request): Lang =>
  pickLanguage(typeof req.query.lang === 'string' ? req.query.lang : undefined, req.headers['accept-language']);

export function viewerRoutes(d: ViewerDeps): express.Router {
  const r = express.Router();
  const mb = Math.floor(d.maxBytes / MIB);
  // what a PDF's streams may unpack to in all while it is checked: the bound of a file at the upload limit
  const decodeMax = decodeBoundFor(d.maxBytes);
  const pdfOf = async (report: ViewerReport, lang: Lang, name?: string) =>
    validationReportPdf(report, { lang, fileName: name, anchors: await d.anchors(), url: d.publicUrl() });
  const send = (res: express.Response, status: number, lang: Lang, p: ViewerPage) =>
    res
      .status(status)
      .set(SECURITY_HEADERS)
      .type('html')
      .send(page({ lang, title: p.title, main: String(p.main) }));

  /** The received file checked and verified; a refusal as a status and a text key otherwise. */
  const check: Check = async (got) => {
    if (got.kind === 'too-large') return { status: 413, key: 'viewer.tooLarge' };
    if (got.kind !== 'ok') return { status: 400, key: got.kind === 'none' ? 'viewer.none' : 'viewer.bad' };
    // read once: the type the content check applies is the one the bytes say (%PDF- or XML)
    const bytes = new Uint8Array(await readFile(got.file));
    const problem = await contentProblem(got.file, bytes);
    if (problem) return { status: 422, key: 'viewer.bad', detail: problem };
    const anchors = await d.anchors();
    const run = await withDecodeBudget(decodeMax, () => viewerReport(bytes, anchors));
    if (!run.ok)
      return {
        status: 422,
        key: 'viewer.bad',
        detail: new CompressionBombError(decodeMax).message,
      };
    const report = run.value;
    if (report.sdos.every((s) => s.unreadable) && report.kind === 'ltv-sdo')
      return { status: 422, key: 'viewer.bad', detail: report.message };
    return { report, name: got.name };
  };

  r.get('/viewer', (req, res) => send(res, 200, langOf(req), uploadPage(langOf(req), mb)));

  r.post('/viewer', (req, res, next) => {
    const lang = langOf(req);
    withTempDir(async (dir) => {
      const out = await check(await receiveForm(req, dir, d.maxBytes));
      if ('report' in out) {
        const hrefs = {
          xml: dataUrl('application/xml', etsiValidationReport(out.report)),
          pdf: dataUrl('application/pdf', await pdfOf(out.report, lang, out.name)),
        };
        send(res, 200, lang, reportPage(lang, out.report, mb, hrefs));
        return;
      }
      const text = t(lang, out.key, { mb: String(mb) });
      send(res, out.status, lang, uploadPage(lang, mb, out.detail ? `${text} (${out.detail})` : text));
    }).catch(next);
  });

  if (d.results) mountResults(r, { ...d.results, publicUrl: d.publicUrl, pdfOf }, check, mb, d.maxBytes, send);

  r.post('/viewer/api', (req, res, next) => {
    withTempDir(async (dir) => {
      const file = path.join(dir, 'upload');
      const { size, tooLarge } = await spool(req, file, d.maxBytes, () => dropRest(req));
      const got: Received = tooLarge ? { kind: 'too-large' } : size ? { kind: 'ok', file, size } : { kind: 'none' };
      const out = await check(got);
      if ('report' in out) {
        if (req.query.format === 'xml') res.status(200).type('application/xml').send(etsiValidationReport(out.report));
        else if (req.query.format === 'pdf')
          res
            .status(200)
            .type('application/pdf')
            .attachment('validation-report.pdf')
            .send(Buffer.from(await pdfOf(out.report, langOf(req), fileName(req.query.name))));
        else res.status(200).type('application/json').send(viewerJson(out.report));
        return;
      }
      const message = `${t('en', out.key, { mb: String(mb) })}${out.detail ? ` (${out.detail})` : ''}`;
      res.status(out.status).json({ error: out.key.replace('viewer.', ''), message });
    }).catch(next);
  });
  return r;
}

type Check = (
  got: Received,
) => Promise<
  { report: ViewerReport; name?: string } | { status: number; key: 'viewer.tooLarge' | 'viewer.none' | 'viewer.bad'; detail?: string }
>;

/**
 * The integrators' flow, as the Nets E-Signing validator offers it (reference viewer-forms-inksign.md §1.1):
 * POST /viewer/parser with the file as a multipart part (Nets names it `localfile`; any name is taken) answers
 * `{ url, expiresAt }`: the report page at /viewer/r/{id}, openable for RESULT_TTL_S, its XML at
 * /viewer/r/{id}/report.xml and its PDF at /viewer/r/{id}/report.pdf (made again from the kept report, in the
 * language asked for). Only the report is kept (in Redis, with the expiry), never the file nor its name.
 */
function mountResults(
  r: express.Router,
  d: NonNullable<ViewerDeps['results']> & {
    publicUrl: () => string;
    pdfOf: (report: ViewerReport, lang: Lang) => Promise<Uint8Array>;
  },
  check: Check,
  mb: number,
  maxBytes: number,
  send: (res: express.Response, status: number, lang: Lang, p: ViewerPage) => void,
): void {
  const key = (id: string) => `${d.prefix}:viewer:${id}`;
  r.post('/viewer/parser', (req, res, next) => {
    withTempDir(async (dir) => {
      const out = await check(await receiveForm(req, dir, maxBytes));
      if (!('report' in out)) {
        res.status(out.status).json({
          error: out.key.replace('viewer.', ''),
          message: `${t('en', out.key, { mb: String(mb) })}${out.detail ? ` (${out.detail})` : ''}`,
        });
        return;
      }
      const id = randomBytes(24).toString('base64url');
      await d.store.set(key(id), viewerJson(out.report), 'EX', RESULT_TTL_S);
      res.status(201).json({ url: `${d.publicUrl()}/viewer/r/${id}`, expiresAt: new Date(Date.now() + RESULT_TTL_S * 1000).toISOString() });
    }).catch(next);
  });
  const stored = async (req: express.Request): Promise<ViewerReport | undefined> => {
    const id = String(req.params.id);
    if (!RESULT_ID.test(id)) return undefined;
    const text = await d.store.get(key(id));
    return text ? (JSON.parse(text) as ViewerReport) : undefined;
  };
  r.get('/viewer/r/:id', (req, res, next) => {
    const lang = langOf(req);
    stored(req).then((report) => {
      const base = `/viewer/r/${String(req.params.id)}`;
      if (report) send(res, 200, lang, reportPage(lang, report, mb, { xml: `${base}/report.xml`, pdf: `${base}/report.pdf?lang=${lang}` }));
      else send(res, 404, lang, uploadPage(lang, mb, t(lang, 'viewer.expired')));
    }, next);
  });
  r.get('/viewer/r/:id/report.xml', (req, res, next) => {
    stored(req).then((report) => {
      if (report)
        res
          .status(200)
          .set(SECURITY_HEADERS)
          .type('application/xml')
          .attachment('validation-report.xml')
          .send(etsiValidationReport(report));
      else
        res
          .status(404)
          .type('text/plain')
          .send(`${t('en', 'viewer.expired')}\n`);
    }, next);
  });
  r.get('/viewer/r/:id/report.pdf', (req, res, next) => {
    stored(req)
      .then(async (report) => {
        if (report)
          res
            .status(200)
            .set(SECURITY_HEADERS)
            .type('application/pdf')
            .attachment('validation-report.pdf')
            .send(Buffer.from(await d.pdfOf(report, langOf(req))));
        else
          res
            .status(404)
            .type('text/plain')
            .send(`${t('en', 'viewer.expired')}\n`);
      })
      .catch(next);
  });
}

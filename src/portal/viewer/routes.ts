// `/viewer` (public, no account): anyone checks a signed file from segl — an LTV-SDO or a PAdES — with
// the same size limit and content checks as SDS (src/content), against the platform's trust anchors.
// GET /viewer is the form; POST /viewer (multipart/form-data, field `file`) answers the report page;
// POST /viewer/api (the file as the body) answers the report as JSON. The upload is spooled to a
// private temporary file for the content checks and removed when the answer is sent: nothing is kept.
import { createWriteStream } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { Readable } from 'node:stream';
import type * as x509 from '@peculiar/x509';
import busboy from 'busboy';
import express from 'express';
import type { Logger } from 'pino';
import { checkContent, parseMediaType } from '../../content/check';
import { SECURITY_HEADERS } from '../answer';
import { pickLanguage, t, type Lang } from '../i18n';
import { page } from '../layout';
import { reportPage, uploadPage, type ViewerPage } from './page';
import { viewerReport, type ViewerReport } from './report';

export interface ViewerDeps {
  /** segl's trust anchors and the configured ones (signing/trust.ts) */
  anchors: () => Promise<x509.X509Certificate[]>;
  /** the largest file accepted (SEGL_SDS_LIMIT, as SDS) */
  maxBytes: number;
  log: Logger;
}

type Received = { kind: 'ok'; file: string; size: number } | { kind: 'too-large' | 'none' | 'malformed' };

/** How much more than the limit is read (and dropped) so a browser gets the answer page; beyond it the connection closes. */
const DRAIN_BYTES = 8 * 1024 * 1024;

/**
 * Copies `from` into `file`, at most `max` bytes. Beyond them nothing more is written and the rest is read
 * and dropped (up to DRAIN_BYTES, then `from` is destroyed), so the client, which is still sending, can read
 * the 413 instead of a reset connection.
 */
function spool(from: Readable, file: string, max: number): Promise<{ size: number; tooLarge: boolean }> {
  return new Promise((resolve, reject) => {
    const out = createWriteStream(file, { mode: 0o600 });
    let size = 0;
    let over = false;
    from.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (!over && size > max) {
        over = true;
        out.destroy();
      }
      if (over) {
        if (size > max + DRAIN_BYTES) {
          from.destroy();
          resolve({ size, tooLarge: true });
        }
        return;
      }
      if (!out.write(chunk)) {
        from.pause();
        out.once('drain', () => from.resume());
      }
    });
    from.on('error', reject);
    from.on('end', () => (over ? resolve({ size, tooLarge: true }) : out.end(() => resolve({ size, tooLarge: false }))));
    out.on('error', (e) => {
      if (!over) reject(e);
    });
  });
}

/** The one file part of a multipart form, spooled. */
function receiveForm(req: express.Request, dir: string, max: number): Promise<Received> {
  return new Promise((resolve) => {
    let bb: busboy.Busboy;
    try {
      bb = busboy({ headers: req.headers, limits: { files: 1, fields: 10, fieldSize: 1024 } });
    } catch {
      resolve({ kind: 'malformed' });
      return;
    }
    let work: Promise<Received> | undefined;
    bb.on('file', (_name, stream) => {
      const file = path.join(dir, 'upload');
      work = spool(stream, file, max).then(({ size, tooLarge }): Received =>
        tooLarge ? { kind: 'too-large' } : size ? { kind: 'ok', file, size } : { kind: 'none' },
      );
    });
    bb.on('error', () => resolve({ kind: 'malformed' }));
    bb.on('close', () => resolve(work ?? { kind: 'none' }));
    req.pipe(bb);
  });
}

/** The content check SDS makes, for the type the bytes say they are (%PDF- or XML). */
async function contentProblem(file: string): Promise<string | undefined> {
  const head = (await readFile(file)).subarray(0, 5).toString('latin1');
  const type = head === '%PDF-' ? 'application/pdf' : 'application/x-ltv-sdo';
  const p = await checkContent(file, parseMediaType(type)!);
  return p?.message;
}

const langOf = (req: express.Request): Lang =>
  pickLanguage(typeof req.query.lang === 'string' ? req.query.lang : undefined, req.headers['accept-language']);

export function viewerRoutes(d: ViewerDeps): express.Router {
  const r = express.Router();
  const mb = Math.floor(d.maxBytes / (1024 * 1024));
  const send = (res: express.Response, status: number, lang: Lang, p: ViewerPage) =>
    res
      .status(status)
      .set(SECURITY_HEADERS)
      .type('html')
      .send(page({ lang, title: p.title, main: String(p.main) }));

  /** A temporary directory for one upload, removed whatever happens. */
  const withDir = async <T>(f: (dir: string) => Promise<T>): Promise<T> => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'segl-viewer-'));
    try {
      return await f(dir);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  };

  /** The received file checked and verified; a refusal as a status and a text key otherwise. */
  const check = async (
    got: Received,
  ): Promise<{ report: ViewerReport } | { status: number; key: 'viewer.tooLarge' | 'viewer.none' | 'viewer.bad'; detail?: string }> => {
    if (got.kind === 'too-large') return { status: 413, key: 'viewer.tooLarge' };
    if (got.kind !== 'ok') return { status: 400, key: got.kind === 'none' ? 'viewer.none' : 'viewer.bad' };
    const problem = await contentProblem(got.file);
    if (problem) return { status: 422, key: 'viewer.bad', detail: problem };
    const report = await viewerReport(new Uint8Array(await readFile(got.file)), await d.anchors());
    if (report.sdos.every((s) => s.unreadable) && report.kind === 'ltv-sdo')
      return { status: 422, key: 'viewer.bad', detail: report.message };
    return { report };
  };

  r.get('/viewer', (req, res) => send(res, 200, langOf(req), uploadPage(langOf(req), mb)));

  r.post('/viewer', (req, res, next) => {
    const lang = langOf(req);
    withDir(async (dir) => {
      const out = await check(await receiveForm(req, dir, d.maxBytes));
      if ('report' in out) {
        send(res, 200, lang, reportPage(lang, out.report, mb));
        return;
      }
      const text = t(lang, out.key, { mb: String(mb) });
      send(res, out.status, lang, uploadPage(lang, mb, out.detail ? `${text} (${out.detail})` : text));
    }).catch(next);
  });

  r.post('/viewer/api', (req, res, next) => {
    withDir(async (dir) => {
      const file = path.join(dir, 'upload');
      const { size, tooLarge } = await spool(req, file, d.maxBytes);
      const got: Received = tooLarge ? { kind: 'too-large' } : size ? { kind: 'ok', file, size } : { kind: 'none' };
      const out = await check(got);
      if ('report' in out) {
        res.status(200).json(out.report);
        return;
      }
      const message = `${t('en', out.key, { mb: String(mb) })}${out.detail ? ` (${out.detail})` : ''}`;
      res.status(out.status).json({ error: out.key.replace('viewer.', ''), message });
    }).catch(next);
  });
  return r;
}

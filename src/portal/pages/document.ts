// One document of the task: a page showing it (a text inline up to INLINE_TEXT_MAX, a PDF drawn by
// pdf.js, a download link as the fallback and the accessible alternative) and the raw bytes,
// streamed. A document counts as read only once it has really been delivered: a text shown whole on
// this page; a PDF or a longer text when its raw bytes have all been sent (not merely the page).
import path from 'node:path';
import { StringDecoder } from 'node:string_decoder';
import express from 'express';
import { setTenantDownloadHeaders } from '../../content/download';
import type { BlobStore } from '../../store/blobs';
import { SECURITY_HEADERS } from '../answer';
import { t } from '../i18n';
import { html, type Html } from '../html';
import { taskKey } from '../session';
import { docName, viewable } from '../task';
import type { Ctx, PageKit } from '../kit';
import { formSection } from './form';

/**
 * The most of a text document shown inline (bytes). A longer one shows its beginning with a note and
 * counts as read only once the signer has downloaded it whole: the page never holds a whole large
 * document in memory, and the event loop never escapes megabytes of text at once.
 */
export const INLINE_TEXT_MAX = 1024 * 1024;

const PDFJS_DIR = path.dirname(require.resolve('pdfjs-dist/package.json'));

/** pdf.js from node_modules (the PDF viewer's library): only the parts a browser needs. */
export function mountPdfjs(r: express.Router): void {
  for (const dir of ['build', 'standard_fonts', 'cmaps', 'wasm', 'iccs']) {
    r.use(`/portal/static/pdfjs/${dir}`, express.static(path.join(PDFJS_DIR, dir), { maxAge: '1d', index: false, dotfiles: 'deny' }));
  }
}

export function mountDocument(r: express.Router, d: PageKit): void {
  /** The document reached the signer: the wizard's progress (in the stored session) and document-viewed. */
  const delivered = async (c: Ctx, docId: string) => {
    await d.sessions.markViewed(c.session, taskKey(c.pt.requestId, c.pt.taskId), docId, c.now, { method: 'none', at: c.now });
    await d.signer.recordPortalEvent(c.svc, c.pt.requestId, c.pt.taskId, 'document-viewed', docId);
  };
  r.get('/std/docaction/:service/document', d.guard(documentPage(d, delivered)));
  r.get('/std/docaction/:service/document/raw', d.guard(documentRaw(d, delivered)));
}

type Delivered = (c: Ctx, docId: string) => Promise<void>;

/** The task, one of its documents the signer may open, and the document's stored row; a 404 page (undefined) otherwise. */
async function openDocument(d: PageKit, req: express.Request, res: express.Response) {
  // a task a user session's act signs after the tasks it depends on: its documents are read before the act
  const c = await d.resolve(req, res, d.ids(req), { inAct: true });
  if (!c) return undefined;
  const doc = viewable(c, req);
  if (!doc) {
    d.notFound(res, c.lang);
    return undefined;
  }
  const { requestId, taskId } = d.ids(req);
  const row = await d.signer.originalDocument(c.svc, requestId, taskId, doc.id);
  return { c, doc, row };
}

/** The page showing one document. */
function documentPage(d: PageKit, delivered: Delivered) {
  return async (req: express.Request, res: express.Response) => {
    const open = await openDocument(d, req, res);
    if (!open) return;
    const { c, doc, row } = open;
    const raw = `${c.base}/document/raw?${c.query}&document_id=${encodeURIComponent(doc.id)}`;
    let body: Html;
    if (row.mimeType === 'application/pdf') {
      body = html`<div id="pdf" class="pdf" data-src="${raw}" data-page-label="${t(c.lang, 'doc.page')}"></div><script type="module" src="/portal/static/viewer.js"></script>`;
    } else {
      const size = (await d.blobs.stat(row.blobKey!))?.size ?? 0;
      const whole = size <= INLINE_TEXT_MAX;
      const text = await textHead(d.blobs, row.blobKey!, Math.min(size, INLINE_TEXT_MAX), whole);
      const note =
        !whole &&
        html`<p class="status info" role="status">${t(c.lang, 'doc.truncated', { shown: megabytes(INLINE_TEXT_MAX), size: megabytes(size) })}</p><p><a href="${raw}" download>${t(c.lang, 'doc.downloadWhole')}</a></p>`;
      body = html`${note}<pre class="text">${text}</pre>`;
      if (whole) await delivered(c, doc.id);
    }
    const title = docName(c.lang, doc);
    // opened from a user session's page (pages/usersession.ts): back to that page
    const sid = typeof req.query.session_id === 'string' ? req.query.session_id : undefined;
    const backTo = sid ? `${c.base}/session?${new URLSearchParams({ session_id: sid }).toString()}` : `${c.base}?${c.query}`;
    const back = html`<p><a href="${backTo}">${t(c.lang, sid ? 'usersession.back' : 'doc.back')}</a></p>`;
    const download = html`<p><a href="${raw}" download>${t(c.lang, 'doc.download')}</a></p>`;
    d.send(res, 200, c, title, html`${back}<h1>${title}</h1>${body}${download}${formSection(c, doc)}`);
  };
}

/** The document's bytes, streamed. */
function documentRaw(d: PageKit, delivered: Delivered) {
  return async (req: express.Request, res: express.Response) => {
    const open = await openDocument(d, req, res);
    if (!open) return;
    const { c, doc, row } = open;
    const cookie = await d.sessions.save(c.session, c.now);
    res.status(200).set(SECURITY_HEADERS).append('set-cookie', cookie);
    setTenantDownloadHeaders(res, row.mimeType, doc.id); // attachment unless PDF or text, sandbox CSP, nosniff
    // Streamed chunk by chunk (never the whole document in memory). The response ends only after the
    // delivery is recorded, so a browser that has the whole document finds it counted as read; one
    // that went away before the end has not read it.
    const src = d.blobs.get(row.blobKey!);
    let whole = true;
    try {
      for await (const chunk of src as AsyncIterable<Buffer>) {
        if (res.destroyed) {
          whole = false;
          break;
        }
        if (!res.write(chunk)) await drained(res);
      }
    } catch (e) {
      d.log.warn({ err: e }, 'portal document stream failed');
      res.destroy();
      return;
    } finally {
      src.destroy();
    }
    if (!whole || res.destroyed) return;
    // HEAD asks for nothing: it delivers nothing
    if (req.method === 'GET') await delivered(c, doc.id);
    res.end();
  };
}

/** The first `bytes` of a UTF-8 text blob, read as a stream; a character cut at the end is left out unless it is the whole text. */
async function textHead(blobs: BlobStore, key: string, bytes: number, whole: boolean): Promise<string> {
  if (bytes <= 0) return '';
  const decoder = new StringDecoder('utf8');
  let text = '';
  for await (const chunk of blobs.get(key, { start: 0, end: bytes - 1 }) as AsyncIterable<Buffer>) text += decoder.write(chunk);
  return whole ? text + decoder.end() : text;
}

const megabytes = (n: number) => `${Math.max(1, Math.round(n / 1048576))} MB`;

/** Until the response can take more (or has closed). */
function drained(res: express.Response): Promise<void> {
  return new Promise((go) => {
    const done = () => {
      res.off('drain', done);
      res.off('close', done);
      go();
    };
    res.on('drain', done);
    res.on('close', done);
  });
}

// A file for an upload action: multipart/form-data, the CSRF field before the file; streamed to the
// blob store through the same content checks as SDS uploads (../upload.ts), then back to the wizard.
import { BlobStoreUnavailable } from '../../store/blobs';
import type express from 'express';
import { t, type LangLike } from '../i18n';
import { html, type Html } from '../html';
import { receiveUpload, type Received } from '../upload';
import { csrfOk } from '../task';
import { wizard } from '../wizard';
import type { PageKit } from '../kit';

export function mountUpload(r: express.Router, d: PageKit): void {
  r.post(
    '/std/docaction/:service/upload',
    d.guard(async (req, res) => {
      const c = await d.resolve(req, res, d.ids(req));
      if (!c) {
        req.resume();
        return;
      }
      const { requestId, taskId } = d.ids(req);
      const docId = typeof req.query.document_id === 'string' ? req.query.document_id : '';
      const doc = c.pt.documents.find((x) => x.id === docId && x.action === 'upload');
      const shell = (status: number, main: string | Html) => d.send(res, status, c, t(c.lang, 'task.title'), main);
      if (!doc || !d.loggedIn(c)) {
        req.resume();
        d.notFound(res, c.lang);
        return;
      }
      const got = await receiveUpload(req, d.blobs, d.maxUploadBytes, (token) => csrfOk(c, { csrf: token }));
      if (got.kind === 'csrf') {
        shell(403, d.csrfRefused(c).main);
        return;
      }
      if (got.kind === 'malformed') {
        shell(400, wizard(c, html`<p class="status warn" role="alert">${t(c.lang, 'form.bad.title')}. ${t(c.lang, 'form.bad.body')}</p>`));
        return;
      }
      if (got.kind !== 'ok') {
        shell(
          got.kind === 'too-large' ? 413 : got.kind === 'type' ? 415 : got.kind === 'unavailable' ? 503 : 422,
          wizard(c, html`<p class="status warn" role="alert">${refusal(c.lang, got, d.maxUploadBytes)}</p>`),
        );
        return;
      }
      try {
        await got.pending.commit();
        await d.signer.recordUpload(c.svc, requestId, taskId, doc.id, got.pending, got.mimeType);
      } catch (e) {
        await got.pending.discard().catch(() => undefined);
        if (!(e instanceof BlobStoreUnavailable)) throw e;
        shell(503, wizard(c, html`<p class="status warn" role="alert">${t(c.lang, 'upload.unavailable')}</p>`));
        return;
      }
      d.redirect(res, c, `${c.base}?${c.query}`);
    }),
  );
}

/** Why an upload was refused, in the signer's language. */
function refusal(lang: LangLike, got: Exclude<Received, { kind: 'ok' }>, maxUploadBytes: number): string {
  return got.kind === 'too-large'
    ? t(lang, 'upload.tooLarge', {
        max: maxUploadBytes >= 1048576 ? `${Math.floor(maxUploadBytes / 1048576)} MB` : `${Math.floor(maxUploadBytes / 1024)} KB`,
      })
    : got.kind === 'type'
      ? t(lang, 'upload.type')
      : got.kind === 'bad'
        ? t(lang, 'upload.bad', { why: got.message })
        : got.kind === 'unavailable'
          ? t(lang, 'upload.unavailable')
          : t(lang, 'upload.none');
}

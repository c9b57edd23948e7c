// The signer's task URL (`/std/docaction/{service}?request_id=…&task_id=…[&artifact=…]`) and the
// signing wizard behind it. Every outcome is a readable, translated page — unknown or foreign task,
// withdrawn/expired/completed/rejected, waiting for others, log in, the documents. A valid artifact
// logs the browser in for that task once; the URL is then reloaded without it. Nothing is final
// until "Send in"; "Start over", "Postpone" and "Decline" are always there.
import path from 'node:path';
import { StringDecoder } from 'node:string_decoder';
import express from 'express';
import type { Logger } from 'pino';
import type { SignerActions } from '../core/signer';
import { NotFoundError, StateError } from '../core/errors';
import { missingUploads, redirectUrl, unreadMandatory, type PortalTask } from '../core/portal';
import { receiveUpload } from './upload';
import { setTenantDownloadHeaders } from '../content/download';
import type { Clock } from '../core/ports';
import type { BlobStore } from '../store/blobs';
import type { ServiceRepository } from '../store/services';
import { isTextKey, pickLanguage, t, tn, type LangLike, type TextKey } from './i18n';
import { h, page, profileCss, type PageLook } from './layout';
import type { ProfileRepository } from '../store/profiles';
import { PortalSessions, taskKey, type PortalSession } from './session';
import type { PortalSessionRepository } from '../store/portalsessions';
import { mountAssets } from './assets';
import { clientErrorStatus } from './forms';
import { newErrorReference } from '../core/ids';
import { equalSecret } from '../util/bytes';
import type { Ctx, Kit, PortalEidMethod } from './kit';

export interface PortalDeps {
  services: ServiceRepository;
  documents: SignerActions;
  blobs: BlobStore;
  clock: Clock;
  secret: string;
  production: boolean;
  log: Logger;
  /** display names of eID methods (the registry's descriptions) */
  methodName: (method: string) => string;
  /** largest upload a signer may send (SEGL_SDS_LIMIT) */
  maxUploadBytes: number;
  /** graphical profiles per service (colours, logo, texts) */
  profiles?: ProfileRepository;
  /** the eID methods whose pages the portal runs (the registry's); none: tasks only list their methods */
  eidMethods: readonly PortalEidMethod[];
  /** where sessions live (the cookie holds only their id) */
  sessions: PortalSessionRepository;
}

/**
 * The most of a text document shown inline (bytes). A longer one shows its beginning with a note and
 * counts as read only once the signer has downloaded it whole: the page never holds a whole large
 * document in memory, and the event loop never escapes megabytes of text at once.
 */
export const INLINE_TEXT_MAX = 1024 * 1024;

const SECURITY_HEADERS = {
  'content-security-policy':
    "default-src 'self'; script-src 'self' 'wasm-unsafe-eval'; img-src 'self' data: blob:; worker-src 'self' blob:; frame-ancestors 'none'; form-action 'self'; base-uri 'none'",
  'x-content-type-options': 'nosniff',
  // task URLs can carry artifacts: never leak them to other sites
  'referrer-policy': 'no-referrer',
  'cache-control': 'no-store',
};

const CLOSED: Record<string, { title: TextKey; body: TextKey; status: number; cls: 'ok' | 'warn' }> = {
  withdrawn: { title: 'closed.withdrawn.title', body: 'closed.withdrawn.body', status: 410, cls: 'warn' },
  expired: { title: 'closed.expired.title', body: 'closed.expired.body', status: 410, cls: 'warn' },
  completed: { title: 'closed.completed.title', body: 'closed.completed.body', status: 200, cls: 'ok' },
  rejected: { title: 'closed.rejected.title', body: 'closed.rejected.body', status: 200, cls: 'warn' },
  failed: { title: 'closed.failed.title', body: 'closed.failed.body', status: 200, cls: 'warn' },
};

const PDFJS_DIR = path.dirname(require.resolve('pdfjs-dist/package.json'));

function message(
  lang: LangLike,
  titleKey: TextKey,
  bodyKey: TextKey,
  cls: 'ok' | 'warn' | 'info',
  extra = '',
): { title: string; main: string } {
  const title = t(lang, titleKey);
  return { title, main: `<h1 class="status ${cls}">${h(title)}</h1><p class="lead">${h(t(lang, bodyKey))}</p>${extra}` };
}

/** What one request to a task URL resolved to. */

export function portalRoutes(d: PortalDeps): express.Router {
  const r = express.Router();
  const sessions = new PortalSessions(d.sessions, d.secret, d.production);

  /** Stores the session (what changed, or its new expiry), then answers with its cookie; a failure is the error page. */
  const withSession = (res: express.Response, session: PortalSession | undefined, now: number | undefined, answer: () => void) => {
    if (!session) {
      answer();
      return;
    }
    void sessions
      .save(session, now!)
      .then((cookie) => {
        if (res.headersSent) return; // (an error page went out meanwhile)
        res.append('set-cookie', cookie);
        answer();
      })
      .catch((e: unknown) => failed(res, e, pickLanguage(undefined, undefined)));
  };
  const send = (res: express.Response, status: number, html: string, session?: PortalSession, now?: number) => {
    withSession(res, session, now, () => {
      res.status(status).set(SECURITY_HEADERS).type('html').send(html);
    });
  };
  const redirect = (res: express.Response, c: Ctx, location: string) => {
    withSession(res, c.session, c.now, () => {
      res.status(303).set(SECURITY_HEADERS).location(location).end();
    });
  };
  /** The 500 page: a reference to quote, the details only in the log. */
  function failed(res: express.Response, e: unknown, lang: LangLike): void {
    const ref = newErrorReference();
    d.log.error({ err: e, ref }, 'portal page failed');
    const title = t(lang, 'error.title');
    if (!res.headersSent) {
      res
        .status(500)
        .set(SECURITY_HEADERS)
        .type('html')
        .send(page({ lang, title, main: `<h1>${h(title)}</h1><p class="lead">${h(t(lang, 'error.body', { ref }))}</p>` }));
    } else res.destroy();
  }
  const notFound = (res: express.Response, lang: LangLike) =>
    send(res, 404, page({ lang, ...message(lang, 'notfound.title', 'notfound.body', 'warn') }));

  mountAssets(r);
  // a graphical profile's colours (a stylesheet of its own: the CSP allows no inline styles) and logo
  const profileOf = async (service: string, name: string) => {
    const svc = await d.services.find(service);
    return svc && d.profiles ? d.profiles.get(svc.id, name) : null;
  };
  r.get('/portal/profile/:service/:name.css', async (req, res, next) => {
    try {
      const p = await profileOf(String(req.params.service), String(req.params.name));
      if (!p) {
        res.status(404).type('text/plain').send('no such profile\n');
        return;
      }
      res.set({ 'cache-control': 'public, max-age=60', 'x-content-type-options': 'nosniff' }).type('text/css').send(profileCss(p));
    } catch (e) {
      next(e);
    }
  });
  r.get('/portal/profile/:service/:name/logo', async (req, res, next) => {
    try {
      const p = await profileOf(String(req.params.service), String(req.params.name));
      if (!p?.logo) {
        res.status(404).type('text/plain').send('no logo\n');
        return;
      }
      res
        .set({
          'cache-control': 'public, max-age=60',
          'x-content-type-options': 'nosniff',
          'content-security-policy': "default-src 'none'; style-src 'unsafe-inline'; sandbox",
        })
        .type(p.logo.mimeType)
        .send(Buffer.from(p.logo.base64, 'base64'));
    } catch (e) {
      next(e);
    }
  });

  // pdf.js from node_modules: only the parts a browser needs
  for (const dir of ['build', 'standard_fonts', 'cmaps', 'wasm', 'iccs']) {
    r.use(`/portal/static/pdfjs/${dir}`, express.static(path.join(PDFJS_DIR, dir), { maxAge: '1d', index: false, dotfiles: 'deny' }));
  }

  /** Resolves service, task and session; answers itself (and returns undefined) when the task cannot be worked on. */
  async function resolve(
    req: express.Request,
    res: express.Response,
    ids: { requestId: string; taskId: string },
  ): Promise<Ctx | undefined> {
    const now = d.clock.now().getTime();
    const accept = req.headers['accept-language'];
    const svc = await d.services.find(String(req.params.service));
    if (!svc || !ids.requestId || !ids.taskId) {
      notFound(res, pickLanguage(undefined, accept));
      return undefined;
    }
    let pt: PortalTask;
    try {
      pt = await d.documents.portalTask(svc, ids.requestId, ids.taskId);
    } catch (e) {
      if (e instanceof NotFoundError) {
        notFound(res, pickLanguage(undefined, accept));
        return undefined;
      }
      throw e;
    }
    const code = pickLanguage(pt.language, accept);
    const chosen = d.profiles ? await d.profiles.resolve(svc.id, pt.profile) : null;
    const texts = Object.fromEntries(Object.entries(chosen?.profile.texts?.[code] ?? {}).filter(([k]) => isTextKey(k)));
    const lang: LangLike = { code, texts };
    const look: PageLook | undefined = chosen
      ? {
          css: `/portal/profile/${encodeURIComponent(svc.name)}/${encodeURIComponent(chosen.name)}.css`,
          logo: chosen.profile.logo
            ? {
                src: `/portal/profile/${encodeURIComponent(svc.name)}/${encodeURIComponent(chosen.name)}/logo`,
                alt: chosen.profile.logo.alt,
              }
            : undefined,
          displayName: chosen.profile.displayName,
        }
      : undefined;
    if (pt.access.kind === 'closed') {
      const c = CLOSED[pt.access.status]!;
      send(res, c.status, page({ lang, service: svc.name, look, ...message(lang, c.title, c.body, c.cls) }));
      return undefined;
    }
    if (pt.access.kind === 'waiting') {
      const m = message(
        lang,
        'waiting.title',
        'waiting.body',
        'info',
        `<p>${h(tn(lang, 'waiting.count', pt.access.waitingFor.length))}</p>`,
      );
      send(res, 200, page({ lang, service: svc.name, look, ...m }));
      return undefined;
    }
    const session = await sessions.load(req.headers.cookie, now);
    const base = `/std/docaction/${encodeURIComponent(svc.name)}`;
    const query = new URLSearchParams({ request_id: ids.requestId, task_id: ids.taskId }).toString();
    return { svc, pt, lang, look, session, login: session.tasks[taskKey(ids.requestId, ids.taskId)], now, base, query };
  }

  const loggedIn = (c: Ctx) => c.pt.authentication.length === 0 || (c.login !== undefined && !c.login.pending);

  /** The `document_id` of the query, if the signer may see it now (logged in; uploads once they have arrived). */
  const viewable = (c: Ctx, req: express.Request) => {
    const docId = typeof req.query.document_id === 'string' ? req.query.document_id : '';
    return loggedIn(c) ? c.pt.documents.find((x) => x.id === docId && (x.action !== 'upload' || x.uploaded)) : undefined;
  };

  /**
   * What stops the signer from signing `docIds` (the sign-documents of this act; optional ones not in
   * it are left out) and sending in: documents not yet delivered to them in this session, uploads
   * still missing. The server's own check: a POST straight to Send in or to the signing steps meets it too.
   */
  const unready = (c: Ctx, docIds: readonly string[]) => {
    const skipped = new Set(c.pt.documents.filter((x) => x.optional && x.action === 'sign' && !docIds.includes(x.id)).map((x) => x.id));
    return { unread: unreadMandatory(c.pt, new Set(c.login?.viewed ?? []), skipped), missing: missingUploads(c.pt) };
  };
  /** Answers with the wizard and what is missing (and returns true) when the signer may not go on yet. */
  const refuseUnready = (res: express.Response, c: Ctx, docIds: readonly string[]): boolean => {
    const { unread, missing } = unready(c, docIds);
    if (!unread.length && !missing.length) return false;
    const names = (xs: typeof unread) => xs.map((x) => x.description ?? x.id).join(', ');
    const alerts = [
      unread.length ? t(c.lang, 'wizard.mustRead', { list: names(unread) }) : '',
      missing.length ? t(c.lang, 'upload.missing', { list: names(missing) }) : '',
    ]
      .filter(Boolean)
      .map((x) => `<p class="status warn" role="alert">${h(x)}</p>`)
      .join('');
    send(
      res,
      400,
      page({ lang: c.lang, title: t(c.lang, 'task.title'), main: wizard(c, alerts), service: c.svc.name, look: c.look }),
      c.session,
      c.now,
    );
    return true;
  };

  /** The answer to a POST without this session's CSRF token: nothing changed, go back. */
  const csrfRefused = (c: Ctx) =>
    message(c.lang, 'csrf.title', 'csrf.body', 'warn', `<p><a href="${h(`${c.base}?${c.query}`)}">${h(t(c.lang, 'doc.back'))}</a></p>`);

  function documentList(c: Ctx, withChoices: boolean): string {
    const viewed = new Set(c.login?.viewed ?? []);
    const kind = (a: string): TextKey => (a === 'sign' ? 'task.sign' : a === 'upload' ? 'task.upload' : 'task.view');
    const items = c.pt.documents
      .map((doc) => {
        const viewable = doc.action !== 'upload' || doc.uploaded;
        const open =
          loggedIn(c) && viewable
            ? `<a href="${h(`${c.base}/document?${c.query}&document_id=${encodeURIComponent(doc.id)}`)}">${h(t(c.lang, 'task.open'))}<span class="sr"> ${h(doc.description ?? doc.id)}</span></a>`
            : '';
        const read =
          loggedIn(c) && doc.action !== 'upload' && !doc.signed
            ? `<span class="tag ${viewed.has(doc.id) ? 'done' : ''}">${h(t(c.lang, viewed.has(doc.id) ? 'doc.read' : 'doc.unread'))}</span>`
            : '';
        const choose =
          withChoices && doc.optional && doc.action === 'sign' && !doc.signed
            ? `<label class="choice"><input type="checkbox" name="include" value="${h(doc.id)}" form="sendin" checked> ${h(t(c.lang, 'doc.include'))}</label>`
            : '';
        const upload =
          withChoices && doc.action === 'upload'
            ? `<form class="upload" method="post" enctype="multipart/form-data" action="${h(`${c.base}/upload?${c.query}&document_id=${encodeURIComponent(doc.id)}`)}">` +
              `<input type="hidden" name="csrf" value="${h(c.session.csrf)}">` +
              `<label for="file-${h(doc.id)}">${h(t(c.lang, 'upload.choose', { name: doc.description ?? doc.id }))}</label>` +
              `<input type="file" id="file-${h(doc.id)}" name="file" accept=".pdf,.txt,application/pdf,text/plain" required>` +
              `<button class="button secondary">${h(t(c.lang, 'upload.submit'))}</button></form>`
            : '';
        return (
          `<li><span class="name">${h(doc.description ?? doc.id)}</span>` +
          `<span class="tag${doc.uploaded ? ' done' : ''}">${h(t(c.lang, doc.signed ? 'task.signed' : doc.uploaded ? 'upload.done' : kind(doc.action)))}</span>` +
          (doc.optional ? `<span class="tag">${h(t(c.lang, 'doc.optional'))}</span>` : '') +
          `${read}${open}${choose}${upload}</li>`
        );
      })
      .join('');
    return `<h2>${h(t(c.lang, 'task.documents'))}</h2><ul class="docs">${items}</ul>`;
  }

  function wizard(c: Ctx, notice = ''): string {
    const title = c.pt.dialog?.title ?? t(c.lang, 'task.title');
    const intro = c.pt.dialog?.message ? `<p class="lead">${h(c.pt.dialog.message)}</p>` : '';
    const who = c.login ? `<p class="status ok" role="status">${h(t(c.lang, 'session.ok'))}</p>` : '';
    const signs = c.pt.documents.some((x) => x.action === 'sign' && !x.signed);
    const hidden = `<input type="hidden" name="csrf" value="${h(c.session.csrf)}">`;
    const form = (id: string, inner: string) =>
      `<form id="${id}" method="post" action="${h(`${c.base}/act?${c.query}`)}">${hidden}${inner}</form>`;
    return (
      `${who}${notice}<h1>${h(title)}</h1>${intro}<p>${h(t(c.lang, 'wizard.readFirst'))}</p>${documentList(c, true)}` +
      `<div class="actions">${form('sendin', `<button class="button" name="do" value="sendin">${h(t(c.lang, signs ? 'wizard.sendin' : 'wizard.sendinView'))}</button>`)}` +
      `${form('postpone', `<button class="button secondary" name="do" value="postpone">${h(t(c.lang, 'wizard.postpone'))}</button>`)}` +
      `${form('restart', `<button class="button secondary" name="do" value="restart">${h(t(c.lang, 'wizard.restart'))}</button>`)}</div>` +
      `<h2>${h(t(c.lang, 'wizard.declineTitle'))}</h2>` +
      form(
        'decline',
        `<label for="reason">${h(t(c.lang, 'wizard.declineReason'))}</label><textarea id="reason" name="reason" rows="2" maxlength="1000"></textarea>` +
          `<div class="actions"><button class="button secondary" name="do" value="decline">${h(t(c.lang, 'wizard.decline'))}</button></div>`,
      )
    );
  }

  function loginPage(c: Ctx, notice = ''): string {
    const forms = c.pt.authentication.flatMap((m) => eidForms.map((e) => e.loginForm(c, m))).filter(Boolean);
    const methods = forms.length
      ? forms.join('')
      : `<ul>${c.pt.authentication.map((m) => `<li>${h(t(c.lang, 'login.with', { method: d.methodName(m) }))}</li>`).join('')}</ul>`;
    return `${notice}<h1>${h(t(c.lang, 'login.title'))}</h1><p class="lead">${h(t(c.lang, 'login.body'))}</p>${methods}${documentList(c, false)}`;
  }

  const ids = (req: express.Request) => {
    const q = req.query as Record<string, unknown>;
    return { requestId: typeof q.request_id === 'string' ? q.request_id : '', taskId: typeof q.task_id === 'string' ? q.task_id : '' };
  };

  const guard =
    (handler: (req: express.Request, res: express.Response) => Promise<void>): express.RequestHandler =>
    async (req, res) => {
      try {
        await handler(req, res);
      } catch (e) {
        failed(res, e, pickLanguage(undefined, req.headers['accept-language']));
      }
    };

  const csrfOk = (c: Ctx, form: Record<string, unknown>) => {
    const got = typeof form.csrf === 'string' ? Buffer.from(form.csrf) : Buffer.alloc(0);
    const want = Buffer.from(c.session.csrf);
    return equalSecret(got, want);
  };
  const kit: Kit = {
    resolve,
    ids,
    guard,
    csrfOk,
    csrfRefused,
    loggedIn,
    loginPage,
    message,
    methodName: d.methodName,
    documents: d.documents,
    blobs: d.blobs,
    redirect,
    send: (res, status, c, title, main) =>
      send(res, status, page({ lang: c.lang, title, main, service: c.svc.name, look: c.look }), c.session, c.now),
    rotate: (c) => sessions.rotate(c.session),
    refuseUnready,
  };
  const eidForms = d.eidMethods.map((m) => m.mount(r, kit));

  r.get(
    '/std/docaction/:service',
    guard(async (req, res) => {
      const c = await resolve(req, res, ids(req));
      if (!c) return;
      const { requestId, taskId } = ids(req);
      const artifact = typeof req.query.artifact === 'string' ? req.query.artifact : undefined;
      const shell = (status: number, title: string, main: string) =>
        send(res, status, page({ lang: c.lang, title, main, service: c.svc.name, look: c.look }), c.session, c.now);
      let notice = '';
      if (artifact !== undefined) {
        if (c.pt.artifactAllowed && (await d.documents.redeemArtifact(c.svc, requestId, taskId, artifact))) {
          sessions.rotate(c.session);
          c.session.tasks[taskKey(requestId, taskId)] = { method: 'artifact', at: c.now };
          await d.documents.recordPortalEvent(c.svc, requestId, taskId, 'user-authenticated', 'single sign-on artifact');
          // Reload without the artifact, so it is not left in history or bookmarks.
          redirect(res, c, `${c.base}?${c.query}`);
          return;
        }
        notice = `<p class="status warn" role="alert">${h(t(c.lang, 'artifact.used'))}</p>`;
      }
      if (!loggedIn(c)) {
        shell(200, t(c.lang, 'login.title'), loginPage(c, notice));
        return;
      }
      await d.documents.recordPortalEvent(c.svc, requestId, taskId, 'task-started', undefined, true);
      shell(200, c.pt.dialog?.title ?? t(c.lang, 'task.title'), wizard(c));
    }),
  );

  /** The document reached the signer: the wizard's progress (in the stored session) and document-viewed. */
  const delivered = async (c: Ctx, docId: string) => {
    await sessions.markViewed(c.session, taskKey(c.pt.requestId, c.pt.taskId), docId, c.now, { method: 'none', at: c.now });
    await d.documents.recordPortalEvent(c.svc, c.pt.requestId, c.pt.taskId, 'document-viewed', docId);
  };

  // One document of the task: a page showing it (a text inline up to INLINE_TEXT_MAX, a PDF drawn by
  // pdf.js, a download link as the fallback and the accessible alternative) and the raw bytes,
  // streamed. A document counts as read only once it has really been delivered: a text shown whole on
  // this page; a PDF or a longer text when its raw bytes have all been sent (not merely the page).
  r.get(
    '/std/docaction/:service/document',
    guard(async (req, res) => {
      const c = await resolve(req, res, ids(req));
      if (!c) return;
      const doc = viewable(c, req);
      if (!doc) {
        notFound(res, c.lang);
        return;
      }
      const { requestId, taskId } = ids(req);
      const raw = `${c.base}/document/raw?${c.query}&document_id=${encodeURIComponent(doc.id)}`;
      const row = await d.documents.originalDocument(c.svc, requestId, taskId, doc.id);
      let body: string;
      if (row.mimeType === 'application/pdf') {
        body = `<div id="pdf" class="pdf" data-src="${h(raw)}" data-page-label="${h(t(c.lang, 'doc.page'))}"></div><script type="module" src="/portal/static/viewer.js"></script>`;
      } else {
        const size = (await d.blobs.stat(row.blobKey!))?.size ?? 0;
        const whole = size <= INLINE_TEXT_MAX;
        const text = await textHead(d.blobs, row.blobKey!, Math.min(size, INLINE_TEXT_MAX), whole);
        const note = whole
          ? ''
          : `<p class="status info" role="status">${h(t(c.lang, 'doc.truncated', { shown: megabytes(INLINE_TEXT_MAX), size: megabytes(size) }))}</p>` +
            `<p><a href="${h(raw)}" download>${h(t(c.lang, 'doc.downloadWhole'))}</a></p>`;
        body = `${note}<pre class="text">${h(text)}</pre>`;
        if (whole) await delivered(c, doc.id);
      }
      const title = doc.description ?? doc.id;
      send(
        res,
        200,
        page({
          lang: c.lang,
          title,
          service: c.svc.name,
          look: c.look,
          main:
            `<p><a href="${h(`${c.base}?${c.query}`)}">${h(t(c.lang, 'doc.back'))}</a></p><h1>${h(title)}</h1>${body}` +
            `<p><a href="${h(raw)}" download>${h(t(c.lang, 'doc.download'))}</a></p>`,
        }),
        c.session,
        c.now,
      );
    }),
  );

  r.get(
    '/std/docaction/:service/document/raw',
    guard(async (req, res) => {
      const c = await resolve(req, res, ids(req));
      if (!c) return;
      const doc = viewable(c, req);
      if (!doc) {
        notFound(res, c.lang);
        return;
      }
      const { requestId, taskId } = ids(req);
      const row = await d.documents.originalDocument(c.svc, requestId, taskId, doc.id);
      const cookie = await sessions.save(c.session, c.now);
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
    }),
  );

  // A file for an upload action: multipart/form-data, the CSRF field before the file; streamed to the
  // blob store through the same content checks as SDS uploads.
  r.post(
    '/std/docaction/:service/upload',
    guard(async (req, res) => {
      const c = await resolve(req, res, ids(req));
      if (!c) {
        req.resume();
        return;
      }
      const { requestId, taskId } = ids(req);
      const docId = typeof req.query.document_id === 'string' ? req.query.document_id : '';
      const doc = c.pt.documents.find((x) => x.id === docId && x.action === 'upload');
      const shell = (status: number, main: string) =>
        send(
          res,
          status,
          page({ lang: c.lang, title: t(c.lang, 'task.title'), main, service: c.svc.name, look: c.look }),
          c.session,
          c.now,
        );
      if (!doc || !loggedIn(c)) {
        req.resume();
        notFound(res, c.lang);
        return;
      }
      const got = await receiveUpload(req, d.blobs, d.maxUploadBytes, (token) => csrfOk(c, { csrf: token }));
      if (got.kind === 'csrf') {
        shell(403, csrfRefused(c).main);
        return;
      }
      if (got.kind === 'malformed') {
        shell(
          400,
          wizard(c, `<p class="status warn" role="alert">${h(t(c.lang, 'form.bad.title'))}. ${h(t(c.lang, 'form.bad.body'))}</p>`),
        );
        return;
      }
      if (got.kind !== 'ok') {
        const text =
          got.kind === 'too-large'
            ? t(c.lang, 'upload.tooLarge', {
                max:
                  d.maxUploadBytes >= 1048576
                    ? `${Math.floor(d.maxUploadBytes / 1048576)} MB`
                    : `${Math.floor(d.maxUploadBytes / 1024)} KB`,
              })
            : got.kind === 'type'
              ? t(c.lang, 'upload.type')
              : got.kind === 'bad'
                ? t(c.lang, 'upload.bad', { why: got.message })
                : t(c.lang, 'upload.none');
        shell(
          got.kind === 'too-large' ? 413 : got.kind === 'type' ? 415 : 422,
          wizard(c, `<p class="status warn" role="alert">${h(text)}</p>`),
        );
        return;
      }
      try {
        await got.pending.commit();
        await d.documents.recordUpload(c.svc, requestId, taskId, doc.id, got.pending, got.mimeType);
      } catch (e) {
        await got.pending.discard().catch(() => undefined);
        throw e;
      }
      redirect(res, c, `${c.base}?${c.query}`);
    }),
  );

  r.post(
    '/std/docaction/:service/act',
    express.urlencoded({ extended: false, limit: '16kb', parameterLimit: 200 }),
    guard(async (req, res) => {
      const c = await resolve(req, res, ids(req));
      if (!c) return;
      const { requestId, taskId } = ids(req);
      // (no body, or not a form: nothing was parsed, and the CSRF check below refuses it)
      const form = (req.body ?? {}) as Record<string, string | string[] | undefined>;
      const shell = (status: number, title: string, main: string) =>
        send(res, status, page({ lang: c.lang, title, main, service: c.svc.name, look: c.look }), c.session, c.now);
      if (!csrfOk(c, form) || !loggedIn(c)) {
        const m = csrfRefused(c);
        shell(403, m.title, m.main);
        return;
      }
      const key = taskKey(requestId, taskId);
      const go = (template: string | undefined, fallback: () => void) => {
        if (template) redirect(res, c, redirectUrl(template, requestId, taskId));
        else fallback();
      };
      switch (form.do) {
        case 'restart': {
          if (c.session.tasks[key]) c.session.tasks[key] = { ...c.session.tasks[key]!, viewed: [] };
          redirect(res, c, `${c.base}?${c.query}`);
          return;
        }
        case 'postpone':
          go(c.pt.redirects.postpone, () => {
            const m = message(c.lang, 'postponed.title', 'postponed.body', 'info');
            shell(200, m.title, m.main);
          });
          return;
        case 'decline': {
          const reason = typeof form.reason === 'string' ? form.reason.trim().slice(0, 1000) : '';
          await d.documents.rejectTask(c.svc, requestId, taskId, reason ? `declined by the signer: ${reason}` : 'declined by the signer');
          go(c.pt.redirects.cancel, () => {
            const m = message(c.lang, 'closed.rejected.title', 'closed.rejected.body', 'warn');
            shell(200, m.title, m.main);
          });
          return;
        }
        case 'sendin': {
          const include = new Set(([] as string[]).concat(form.include ?? []));
          const toSign = c.pt.documents.filter((x) => x.action === 'sign' && !x.signed && (!x.optional || include.has(x.id)));
          if (
            refuseUnready(
              res,
              c,
              toSign.map((x) => x.id),
            )
          )
            return;
          if (toSign.length > 0) {
            // Signing needs the signer's eID signature: the sign step is the eID method's (src/eid/testid/steps.ts).
            redirect(res, c, `${c.base}/sign?${c.query}&${toSign.map((x) => `document_id=${encodeURIComponent(x.id)}`).join('&')}`);
            return;
          }
          let done: 'done.sent' | 'closed.completed' = 'done.sent';
          try {
            await d.documents.completeTask(c.svc, requestId, taskId);
          } catch (e) {
            if (!(e instanceof StateError)) throw e;
            done = 'closed.completed';
          }
          go(c.pt.redirects.complete, () => {
            const m = message(c.lang, `${done}.title`, `${done}.body`, 'ok');
            shell(200, m.title, m.main);
          });
          return;
        }
        default:
          shell(400, t(c.lang, 'task.title'), wizard(c));
      }
    }),
  );

  // A form the body parser refused (see forms.ts): a translated page that changes nothing, with the
  // way back to the task when the URL names one.
  r.use((err: unknown, req: express.Request, res: express.Response, next: express.NextFunction) => {
    const status = clientErrorStatus(err);
    if (!status || res.headersSent) {
      next(err);
      return;
    }
    const lang = pickLanguage(undefined, req.headers['accept-language']);
    const { requestId, taskId } = ids(req);
    const service = typeof req.params.service === 'string' ? req.params.service : /^\/std\/docaction\/([^/]+)/.exec(req.path)?.[1];
    const back =
      requestId && taskId && service
        ? `<p><a href="${h(`/std/docaction/${encodeURIComponent(service)}?${new URLSearchParams({ request_id: requestId, task_id: taskId })}`)}">${h(t(lang, 'doc.back'))}</a></p>`
        : '';
    const [title, body]: [TextKey, TextKey] =
      status === 413
        ? ['form.tooLarge.title', 'form.tooLarge.body']
        : req.method === 'POST'
          ? ['form.bad.title', 'form.bad.body']
          : ['request.bad.title', 'request.bad.body'];
    const m = message(lang, title, body, 'warn', back);
    if (status === 413) res.set('connection', 'close'); // the rest of an oversized body is not read
    res
      .status(status)
      .set(SECURITY_HEADERS)
      .type('html')
      .send(page({ lang, ...m }));
  });
  return r;
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

// The signer's task URL (`/std/docaction/{service}?request_id=…&task_id=…[&artifact=…]`): every
// outcome is a readable, translated page — unknown or foreign task, withdrawn/expired/completed/
// rejected, waiting for others, log in, or the task's documents. A valid artifact logs the browser
// in for that task once; the URL is then reloaded without it.
import { randomBytes } from 'node:crypto';
import express from 'express';
import type { Logger } from 'pino';
import type { DocumentService } from '../core/documentservice';
import { NotFoundError } from '../core/errors';
import type { PortalTask } from '../core/portal';
import type { Clock } from '../core/ports';
import type { ServiceRepository } from '../store/services';
import { pickLanguage, t, type Lang, type TextKey } from './i18n';
import { h, page, PORTAL_CSS } from './layout';
import { SessionCodec, taskKey, type PortalSession } from './session';

export interface PortalDeps {
  services: ServiceRepository;
  documents: DocumentService;
  clock: Clock;
  secret: string;
  production: boolean;
  log: Logger;
  /** display names of eID methods (the registry's descriptions) */
  methodName: (method: string) => string;
}

const SECURITY_HEADERS = {
  'content-security-policy': "default-src 'self'; img-src 'self' data:; frame-ancestors 'none'; form-action 'self'; base-uri 'none'",
  'x-content-type-options': 'nosniff',
  // task URLs can carry artifacts: never leak them to other sites
  'referrer-policy': 'no-referrer',
  'cache-control': 'no-store',
};

function send(res: express.Response, status: number, html: string, cookie?: string): void {
  res.status(status).set(SECURITY_HEADERS);
  if (cookie) res.append('set-cookie', cookie);
  res.type('html').send(html);
}

function message(lang: Lang, titleKey: TextKey, bodyKey: TextKey, cls: 'ok' | 'warn' | 'info', extra = ''): { title: string; main: string } {
  const title = t(lang, titleKey);
  return { title, main: `<h1 class="status ${cls}">${h(title)}</h1><p class="lead">${h(t(lang, bodyKey))}</p>${extra}` };
}

const CLOSED: Record<string, { title: TextKey; body: TextKey; status: number; cls: 'ok' | 'warn' }> = {
  withdrawn: { title: 'closed.withdrawn.title', body: 'closed.withdrawn.body', status: 410, cls: 'warn' },
  expired: { title: 'closed.expired.title', body: 'closed.expired.body', status: 410, cls: 'warn' },
  completed: { title: 'closed.completed.title', body: 'closed.completed.body', status: 200, cls: 'ok' },
  rejected: { title: 'closed.rejected.title', body: 'closed.rejected.body', status: 200, cls: 'warn' },
  failed: { title: 'closed.failed.title', body: 'closed.failed.body', status: 200, cls: 'warn' },
};

function documentList(lang: Lang, pt: PortalTask): string {
  const kind = (a: string): TextKey => (a === 'sign' ? 'task.sign' : a === 'upload' ? 'task.upload' : 'task.view');
  const items = pt.documents.map((d) => `<li><span class="name">${h(d.description ?? d.id)}</span>`
    + `<span class="tag">${h(t(lang, d.signed ? 'task.signed' : kind(d.action)))}</span></li>`).join('');
  return `<h2>${h(t(lang, 'task.documents'))}</h2><ul class="docs">${items}</ul>`;
}

export function portalRoutes(d: PortalDeps): express.Router {
  const r = express.Router();
  const codec = new SessionCodec(d.secret, d.production);

  r.get('/portal/static/portal.css', (_req, res) => {
    res.set({ 'cache-control': 'public, max-age=3600', 'x-content-type-options': 'nosniff' }).type('text/css').send(PORTAL_CSS);
  });

  r.get('/std/docaction/:service', async (req, res) => {
    const now = d.clock.now().getTime();
    const q = req.query as Record<string, unknown>;
    const requestId = typeof q.request_id === 'string' ? q.request_id : '';
    const taskId = typeof q.task_id === 'string' ? q.task_id : '';
    const artifact = typeof q.artifact === 'string' ? q.artifact : undefined;
    const accept = req.headers['accept-language'];
    const notFound = (lang: Lang) => {
      const m = message(lang, 'notfound.title', 'notfound.body', 'warn');
      send(res, 404, page({ lang, ...m }));
    };
    try {
      const svc = await d.services.find(req.params.service);
      if (!svc || !requestId || !taskId) { notFound(pickLanguage(undefined, accept)); return; }
      let pt: PortalTask;
      try {
        pt = await d.documents.portalTask(svc, requestId, taskId);
      } catch (e) {
        if (e instanceof NotFoundError) { notFound(pickLanguage(undefined, accept)); return; }
        throw e;
      }
      const lang = pickLanguage(pt.language, accept);
      const shell = (status: number, title: string, main: string, cookie?: string) => send(res, status, page({ lang, title, main, service: svc.name }), cookie);
      if (pt.access.kind === 'closed') {
        const c = CLOSED[pt.access.status]!;
        const m = message(lang, c.title, c.body, c.cls);
        shell(c.status, m.title, m.main);
        return;
      }
      if (pt.access.kind === 'waiting') {
        const m = message(lang, 'waiting.title', 'waiting.body', 'info', `<p>${h(t(lang, 'waiting.count', { n: pt.access.waitingFor.length }))}</p>`);
        shell(200, m.title, m.main);
        return;
      }
      const session: PortalSession = codec.read(req.headers.cookie, now) ?? codec.fresh(now);
      const key = taskKey(requestId, taskId);
      let notice = '';
      if (artifact !== undefined) {
        if (pt.artifactAllowed && (await d.documents.redeemArtifact(svc, requestId, taskId, artifact))) {
          session.tasks[key] = { method: 'artifact', at: now };
          // Reload without the artifact, so it is not left in history or bookmarks.
          const clean = `${req.baseUrl}${req.path}?${new URLSearchParams({ request_id: requestId, task_id: taskId })}`;
          res.status(303).set(SECURITY_HEADERS).append('set-cookie', codec.write(session, now)).location(clean).end();
          return;
        }
        notice = `<p class="status warn" role="alert">${h(t(lang, 'artifact.used'))}</p>`;
      }
      const loggedIn = pt.authentication.length === 0 || session.tasks[key] !== undefined;
      if (!loggedIn) {
        const methods = pt.authentication.map((m) => `<li>${h(t(lang, 'login.with', { method: d.methodName(m) }))}</li>`).join('');
        const title = t(lang, 'login.title');
        shell(200, title, `${notice}<h1>${h(title)}</h1><p class="lead">${h(t(lang, 'login.body'))}</p><ul>${methods}</ul>${documentList(lang, pt)}`, codec.write(session, now));
        return;
      }
      const title = pt.dialog?.title ?? t(lang, 'task.title');
      const intro = pt.dialog?.message ? `<p class="lead">${h(pt.dialog.message)}</p>` : '';
      const who = session.tasks[key] ? `<p class="status ok" role="status">${h(t(lang, 'session.ok'))}</p>` : '';
      shell(200, title, `${who}<h1>${h(title)}</h1>${intro}${documentList(lang, pt)}`, codec.write(session, now));
    } catch (e) {
      const ref = randomBytes(4).toString('hex');
      d.log.error({ err: e, ref }, 'portal page failed');
      const lang = pickLanguage(undefined, accept);
      const title = t(lang, 'error.title');
      send(res, 500, page({ lang, title, main: `<h1>${h(title)}</h1><p class="lead">${h(t(lang, 'error.body', { ref }))}</p>` }));
    }
  });
  return r;
}

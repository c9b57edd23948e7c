// The signer's task URL (`/std/docaction/{service}?request_id=…&task_id=…[&artifact=…]`): a valid
// artifact logs the browser in for that task once and the URL is reloaded without it; then the login
// page, or the wizard once logged in.
import type express from 'express';
import { t } from '../i18n';
import { html, type Html } from '../html';
import { taskKey } from '../session';
import { wizard } from '../wizard';
import type { PageKit } from '../kit';

export function mountTaskUrl(r: express.Router, d: PageKit): void {
  r.get(
    '/std/docaction/:service',
    d.guard(async (req, res) => {
      const c = await d.resolve(req, res, d.ids(req));
      if (!c) return;
      const { requestId, taskId } = d.ids(req);
      const artifact = typeof req.query.artifact === 'string' ? req.query.artifact : undefined;
      let notice: Html | string = '';
      if (artifact !== undefined) {
        if (c.pt.artifactAllowed && (await d.signer.redeemArtifact(c.svc, requestId, taskId, artifact))) {
          d.rotate(c);
          c.session.tasks[taskKey(requestId, taskId)] = { method: 'artifact', at: c.now };
          await d.signer.recordPortalEvent(c.svc, requestId, taskId, 'user-authenticated', 'single sign-on artifact');
          // Reload without the artifact, so it is not left in history or bookmarks.
          d.redirect(res, c, `${c.base}?${c.query}`);
          return;
        }
        notice = html`<p class="status warn" role="alert">${t(c.lang, 'artifact.used')}</p>`;
      }
      if (!d.loggedIn(c)) {
        d.send(res, 200, c, t(c.lang, 'login.title'), d.loginPage(c, notice));
        return;
      }
      await d.signer.recordPortalEvent(c.svc, requestId, taskId, 'task-started', undefined, true);
      d.send(res, 200, c, c.pt.dialog?.title ?? t(c.lang, 'task.title'), wizard(c));
    }),
  );
}

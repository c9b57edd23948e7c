// A handwriting-only signature (`<signature><method handwritten="true"/></signature>`, docs/integrators.md
// "Handwritten signature (InkSign)"): no eID signs. Send in leads here (act.ts): the sign text, the documents,
// "Sign with a handwritten signature only (simple electronic signature)" and the drawing pad (portal/ink.ts),
// whose button signs. The drawing, once checked, is the act: core's signTask records it with a native signature
// the platform makes over the documents, the sign text and the drawing (SigningPipeline.handwritingOnly), and
// the seal job seals the package as for any other task. A refused drawing (empty, malformed, too large) is the
// pad again, 400, in the signer's language, nothing written; a POST replayed after the act meets the task's
// sealing or completed page, nothing written. The task's authentication, when it names one, is asked first
// (the task page's login), as for any task.
import express from 'express';
import { StateError } from '../../core/errors';
import type { HandwritingOnlySigner, SignatureMaker } from '../../core/signer';
import { t, type TextKey } from '../i18n';
import { html, type Html } from '../html';
import { checkInk, inkBody, inkPad, inkTooLarge } from '../ink';
import type { Ctx, PageKit } from '../kit';
import { shownAudit } from '../task';
import { sealingMessage } from './sealing';

/** The handwriting-only signature maker (the signing pipeline's; src/signing/pipeline.ts). */
export type HandwritingMaker = () => Promise<SignatureMaker<HandwritingOnlySigner>>;

const docIdsOf = (req: express.Request): string[] =>
  ([] as unknown[]).concat(req.query.document_id ?? []).filter((x): x is string => typeof x === 'string');

/** Of the documents asked for, those this task still has to sign. */
const signable = (c: Ctx, ids: readonly string[]) => c.pt.documents.filter((x) => ids.includes(x.id) && x.action === 'sign' && !x.signed);

/** The page's address for these documents (the form posts to it too: the ids ride in the query, never in a body over the limit). */
const address = (c: Ctx, docIds: readonly string[]) =>
  `${c.base}/handwriting?${c.query}${docIds.map((x) => `&document_id=${encodeURIComponent(x)}`).join('')}`;

/** The sign page with the pad (status 200, or 400 with the refusal's text). */
function sendPad(d: PageKit, c: Ctx, res: express.Response, docIds: readonly string[], why?: TextKey): void {
  const docs = signable(c, docIds).map((x) => html`<li><span class="name">${x.description ?? x.id}</span></li>`);
  const text = html`<blockquote class="signtext">${c.pt.signText ?? t(c.lang, 'sign.defaultText')}</blockquote>`;
  const notice: Html | undefined = why && html`<p class="status warn" role="alert">${t(c.lang, why)}</p>`;
  const hidden = html`<input type="hidden" name="csrf" value="${c.session.csrf}">`;
  const pad = inkPad({ lang: c.lang, action: address(c, docIds), hidden, submit: 'sign.confirm' });
  const main = html`${notice}<h1>${t(c.lang, 'sign.title')}</h1>${text}<ul class="docs">${docs}</ul><h2>${t(c.lang, 'sign.with', {
    method: t(c.lang, 'ink.only'),
  })}</h2><p>${t(c.lang, 'ink.onlyHelp')}</p>${pad}`;
  d.send(res, why ? 400 : 200, c, t(c.lang, 'sign.title'), main);
}

/** The task, if it is a handwriting-only task this signer may sign these documents of now; else the answer was sent. */
async function ready(d: PageKit, req: express.Request, res: express.Response): Promise<{ c: Ctx; docIds: string[] } | undefined> {
  const c = await d.resolve(req, res, d.ids(req));
  if (!c) return undefined;
  const docIds = docIdsOf(req);
  if (!d.loggedIn(c) || !c.pt.handwritingOnly || !signable(c, docIds).length) {
    d.redirect(res, c, `${c.base}?${c.query}`);
    return undefined;
  }
  return { c, docIds };
}

/** The act: the drawing signed with the documents by the platform, recorded with its seal job; then "signed, being sealed". */
async function sign(d: PageKit, maker: HandwritingMaker, c: Ctx, req: express.Request, res: express.Response, docIds: string[]) {
  const checked = checkInk((req.body ?? {}) as Record<string, unknown>, req.headers['user-agent']);
  if (!checked.ok) {
    sendPad(d, c, res, docIds, checked.why);
    return;
  }
  const ink = checked.ink;
  const login = c.login && c.login.method !== 'none' ? `${c.login.method} login; ` : 'no login; ';
  const input = {
    documentIds: signable(c, docIds).map((x) => x.id),
    signer: { kind: 'handwriting-only' } as const,
    audit: [
      ...shownAudit(c),
      {
        type: 'handwriting-drawn',
        text: `${login}signature drawn with ${ink.device.pointerType} (${ink.strokes.length} strokes): a handwritten signature only, no eID (simple electronic signature)`,
      },
    ],
    defaultSignText: t(c.lang, 'sign.defaultText'),
    userAgent: req.headers['user-agent'],
    clientIp: req.ip,
    handwriting: ink,
    handwritingOnly: true,
  };
  try {
    await d.signer.signTask(c.svc, c.pt.requestId, c.pt.taskId, input, await maker());
  } catch (e) {
    // a second Sign that raced the first (a double click): the first act is being sealed, and this page follows it
    if (!(e instanceof StateError) || (await d.signer.sealState(c.svc, c.pt.requestId, c.pt.taskId)) !== 'sealing') throw e;
  }
  const m = sealingMessage(c.lang, { svc: c.svc, requestId: c.pt.requestId, taskId: c.pt.taskId });
  d.send(res, 200, c, m.title, m.main);
}

/** GET handwriting: the sign page with the pad; POST handwriting: the drawing checked and signed, or the pad again. */
export function mountHandwriting(r: express.Router, d: PageKit, maker: HandwritingMaker): void {
  r.get(
    '/std/docaction/:service/handwriting',
    d.guard(async (req, res) => {
      const ok = await ready(d, req, res);
      if (!ok || d.refuseUnready(res, ok.c, ok.docIds)) return;
      sendPad(d, ok.c, res, ok.docIds);
    }),
  );
  r.post(
    '/std/docaction/:service/handwriting',
    inkBody,
    d.guard(async (req, res) => {
      const ok = await ready(d, req, res);
      if (!ok) return;
      const { c, docIds } = ok;
      // too large: refused before the CSRF check (there is no body to check), nothing written
      if (inkTooLarge(req)) {
        sendPad(d, c, res, docIds, 'ink.tooLarge');
        return;
      }
      const body = (req.body ?? {}) as Record<string, unknown>;
      if (!d.csrfOk(c, body)) {
        const m = d.csrfRefused(c);
        d.send(res, 403, c, m.title, m.main);
        return;
      }
      if (body.do === 'cancel') {
        await d.signer.recordPortalEvent(c.svc, c.pt.requestId, c.pt.taskId, 'document-sign-cancelled', docIds.join(', '));
        d.redirect(res, c, `${c.base}?${c.query}`);
        return;
      }
      if (d.refuseUnready(res, c, docIds)) return;
      await sign(d, maker, c, req, res, docIds);
    }),
  );
}

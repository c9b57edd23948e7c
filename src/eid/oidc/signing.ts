// Authentication-based signature with an OIDC eID method (docs/oidc-eid.md; reference
// authentication.md §5.5). A task that names the method in `authentication-based-signature` signs by a
// fresh login at the broker whose nonce commits to what is signed: base64url(SHA-256(task id ‖ sign
// text ‖ each document's SHA-256)) (trust/oidc/nonce.ts). The broker signs that nonce into the ID
// token; at the callback the RP checks the token (rp.ts), the person is held against the task's subject
// and the task's login, and core's signTask records the act with the platform's native signature over
// exactly those documents and that sign text (SigningPipeline.authenticationBased refuses any other).
// The ID token, the broker's JWKS and discovery document as fetched and the nonce's inputs go with the
// act into the sealed LTV-SDO, where `segl verify` rechecks them (signing/evidence.ts).
import { createHash } from 'node:crypto';
import type express from 'express';
import { StateError } from '../../core/errors';
import type { AuthenticationEvidence } from '../../core/ports';
import { html, type Html } from '../../portal/html';
import { t } from '../../portal/i18n';
import type { Ctx, Kit } from '../../portal/kit';
import { formPost } from '../../portal/formpost';
import { sealingMessage } from '../../portal/pages/sealing';
import { taskKey } from '../../portal/session';
import { normaliseSignText, signingNonce, type SigningNonceInputs } from '../../trust/oidc/nonce';
import { eidError, errorEvent, errorTextKey, type EidErrorCode } from '../errors';
import { normaliseNationalId } from './config';
import { OidcLoginError, type RpLogin, type RpMethod } from './rp';
import type { BeginLogin, OidcDeps, Pending } from './deps';

const list = (v: unknown): string[] => ([] as unknown[]).concat(v ?? []).filter((x): x is string => typeof x === 'string');
const b64 = (s: string) => Buffer.from(s, 'utf8').toString('base64');

/** Of the documents asked for, those this task still has to sign. */
const signable = (c: Ctx, ids: readonly string[]) => c.pt.documents.filter((x) => ids.includes(x.id) && x.action === 'sign' && !x.signed);

/** The service's OIDC methods this task may sign with (named in its authentication-based-signature, configured for it). */
export const signingMethods = (c: Ctx, ms: readonly RpMethod[]) =>
  ms.filter((m) => m.config.use.includes('authentication-based-signature') && c.pt.signatureMethods.includes(m.config.name));

/**
 * GET sign, when the task signs with OIDC methods: the sign text, the documents, a button per method (a
 * POST: the login at the broker begins only on purpose) and a link per other signature method of the
 * task (`sign?…&method=NAME`, which the next eID method's sign page answers). Other tasks: `next`.
 */
export function mountSigning(r: express.Router, kit: Kit, d: OidcDeps, begin: BeginLogin): void {
  r.get('/std/docaction/:service/sign', (outer, response, next) =>
    kit.guard(async (req, res) => {
      const c = await kit.resolve(req, res, kit.ids(req));
      if (!c) return;
      const ms = signingMethods(c, await d.methods.forService(c.svc.id));
      const asked = typeof req.query.method === 'string' ? req.query.method : undefined;
      const docIds = list(req.query.document_id);
      if (!ms.length || (asked && !ms.some((m) => m.config.name === asked))) {
        // not this method's: the routes after this one (the test eID's sign page) answer
        next();
        return;
      }
      if (!kit.loggedIn(c) || !signable(c, docIds).length) {
        kit.redirect(res, c, `${c.base}?${c.query}`);
        return;
      }
      if (kit.refuseUnready(res, c, docIds)) return;
      kit.send(res, 200, c, t(c.lang, 'sign.title'), signPage(kit, c, docIds, ms));
    })(outer, response, next),
  );

  formPost(r, kit, '/std/docaction/:service/oidc/sign', async (c, body, _req, res) => {
    const docIds = list(body.document_id);
    const docs = signable(c, docIds);
    const m = signingMethods(c, await d.methods.forService(c.svc.id)).find((x) => x.config.name === body.method);
    if (!kit.loggedIn(c) || !docs.length || !m) {
      kit.redirect(res, c, `${c.base}?${c.query}`);
      return;
    }
    if (kit.refuseUnready(res, c, docIds)) return;
    await beginSigning(kit, c, res, m, docs, begin);
  });
}

function signPage(kit: Kit, c: Ctx, docIds: readonly string[], ms: readonly RpMethod[]): Html {
  const docs = signable(c, docIds).map((x) => html`<li><span class="name">${x.description ?? x.id}</span></li>`);
  const text = html`<blockquote class="signtext">${c.pt.signText ?? t(c.lang, 'sign.defaultText')}</blockquote>`;
  const hidden = html`<input type="hidden" name="csrf" value="${c.session.csrf}">${signable(c, docIds).map(
    (x) => html`<input type="hidden" name="document_id" value="${x.id}">`,
  )}`;
  const buttons = ms.map((m) => {
    const label = m.config.label ?? m.config.name;
    return html`<h2>${t(c.lang, 'sign.with', { method: label })}</h2><p>${t(c.lang, 'oidc.signLead', { method: label })}</p><form method="post" action="${c.base}/oidc/sign?${c.query}">${hidden}<input type="hidden" name="method" value="${m.config.name}"><div class="actions"><button class="button">${t(c.lang, 'sign.with', { method: label })}</button></div></form>`;
  });
  const oidcNames = new Set(ms.map((m) => m.config.name));
  const docQuery = signable(c, docIds)
    .map((x) => `&document_id=${encodeURIComponent(x.id)}`)
    .join('');
  const others = c.pt.signatureMethods
    .filter((n) => !oidcNames.has(n))
    .map(
      (n) =>
        html`<p class="actions"><a class="button secondary" href="${`${c.base}/sign?${c.query}${docQuery}&method=${encodeURIComponent(n)}`}">${t(c.lang, 'sign.with', { method: kit.methodName(n) })}</a></p>`,
    );
  return html`<h1>${t(c.lang, 'sign.title')}</h1>${text}<ul class="docs">${docs}</ul>${buttons}${others}`;
}

/** The documents' digests and the sign text as the nonce commits to them; the login begun with that nonce. */
async function beginSigning(
  kit: Kit,
  c: Ctx,
  res: express.Response,
  m: RpMethod,
  docs: Ctx['pt']['documents'],
  begin: BeginLogin,
): Promise<void> {
  const documents: Array<{ id: string; sha256: string }> = [];
  for (const x of docs) {
    // the bytes signTask will sign: the same stored row it reads (core/signer.ts documentsToSign)
    const row = await kit.signer.originalDocument(c.svc, c.pt.requestId, c.pt.taskId, x.id);
    const bytes = await kit.blobs.getBytes(row.blobKey!);
    documents.push({ id: x.id, sha256: createHash('sha256').update(bytes).digest('base64') });
  }
  const nonceInputs: SigningNonceInputs = {
    taskId: c.pt.taskId,
    signText: normaliseSignText(c.pt.signText ?? t(c.lang, 'sign.defaultText')),
    documents,
  };
  await begin(kit, c, res, m, { nonce: signingNonce(nonceInputs), sign: { nonceInputs } });
}

/** The callback of a signing login: the token checked (with the committed nonce), the person checked, the act recorded. */
export async function finishSigning(
  d: OidcDeps,
  kit: Kit,
  c: Ctx,
  req: express.Request,
  res: express.Response,
  m: RpMethod,
  p: Pending & { sign: NonNullable<Pending['sign']> },
): Promise<void> {
  let login: RpLogin;
  try {
    login = await d.rp.finish(m, new URL(req.originalUrl, 'http://callback.invalid'), p.begun);
  } catch (e) {
    if (!(e instanceof OidcLoginError)) throw e;
    await signRefused(d, kit, c, res, e.code, e.message, m, e.kind === 'cancelled' ? 200 : 401);
    return;
  }
  const nin = login.mapped.nationalId;
  if (m.config.nationalIdRequired && !nin) {
    await signRefused(d, kit, c, res, 'broker-refused', 'the broker sent no national id (none of the configured claims)', m, 401);
    return;
  }
  const pid = login.mapped.uniqueId ?? String(login.claims.sub);
  const otherPerson =
    (c.pt.nationalId && (!nin || normaliseNationalId(nin) !== normaliseNationalId(c.pt.nationalId))) ||
    // logged in for the task with this same method: the signer is that person
    (c.login?.method === m.config.name && c.login.pid !== pid);
  if (otherPerson) {
    const code = eidError('wrong-person').code;
    d.log.info({ event: 'oidc-signing-refused', code, method: m.config.name }, 'OIDC signing refused');
    await kit.signer.recordPortalEvent(c.svc, c.pt.requestId, c.pt.taskId, 'user-authentication-cancelled', errorEvent(code, 'signing'));
    delete c.session.tasks[taskKey(c.pt.requestId, c.pt.taskId)];
    const msg = kit.message(c.lang, 'refused.title', errorTextKey(code), 'warn');
    kit.send(res, 403, c, msg.title, msg.main);
    return;
  }
  const evidence = evidenceOf(m, login, p.sign.nonceInputs, pid);
  const pipeline = await d.signing();
  const acr = typeof login.claims.acr === 'string' ? `, acr ${login.claims.acr.slice(0, 200)}` : '';
  const viewed = new Set(c.login?.viewed ?? []);
  const audit = [
    ...c.pt.documents
      .filter((x) => viewed.has(x.id))
      .map((x) => ({ type: 'document-shown', text: `${x.description ?? x.id} shown to the signer` })),
    {
      type: 'user-authenticated',
      text: `${c.login?.method ?? 'none'} login; signature by ${m.config.name} (OpenID Connect${acr}): the ID token's nonce commits to the task, the sign text and the documents`,
    },
  ];
  try {
    await kit.signer.signTask(
      c.svc,
      c.pt.requestId,
      c.pt.taskId,
      {
        documentIds: p.sign.nonceInputs.documents.map((x) => x.id),
        signer: evidence,
        authentication: evidence,
        audit,
        defaultSignText: p.sign.nonceInputs.signText,
        userAgent: req.headers['user-agent'],
        clientIp: req.ip,
      },
      pipeline.authenticationBased(),
    );
  } catch (e) {
    if (!(e instanceof StateError) || (await kit.signer.sealState(c.svc, c.pt.requestId, c.pt.taskId)) !== 'sealing') throw e;
  }
  const s = sealingMessage(c.lang, { svc: c.svc, requestId: c.pt.requestId, taskId: c.pt.taskId });
  kit.send(res, 200, c, s.title, s.main);
}

/** The person as the broker named them, and its answer as evidence for the package. */
function evidenceOf(m: RpMethod, login: RpLogin, nonceInputs: SigningNonceInputs, pid: string): AuthenticationEvidence {
  const f = login.mapped;
  const name = f.name ?? ([f.givenName, f.familyName].filter(Boolean).join(' ') || pid);
  return {
    protocol: 'openid-connect',
    method: m.config.name,
    signer: { name, pid, nationalId: f.nationalId, nationality: f.nationalIdCountry },
    issuer: m.config.issuer,
    clientId: m.config.clientId,
    idToken: login.idToken,
    jwks: b64(login.jwks),
    discovery: b64(login.discovery),
    ...(login.userinfo ? { userinfo: b64(JSON.stringify(login.userinfo)) } : {}),
    nonceInputs,
  };
}

/** Recorded with the catalogue's code; the task's login stays; the reason and a way back to the task. */
async function signRefused(
  d: OidcDeps,
  kit: Kit,
  c: Ctx,
  res: express.Response,
  code: EidErrorCode,
  why: string,
  m: RpMethod,
  status: number,
): Promise<void> {
  d.log.info({ event: 'oidc-signing-refused', code, method: m.config.name, why }, 'OIDC signing refused');
  await kit.signer.recordPortalEvent(c.svc, c.pt.requestId, c.pt.taskId, 'document-sign-cancelled', errorEvent(code, why));
  const back = html`<p class="actions"><a class="button" href="${`${c.base}?${c.query}`}">${t(c.lang, 'doc.back')}</a></p>`;
  const msg = kit.message(c.lang, 'sign.title', code === 'usercancel' ? 'oidc.signCancelled' : 'oidc.signFailed', 'warn', back);
  kit.send(res, status, c, msg.title, msg.main);
}

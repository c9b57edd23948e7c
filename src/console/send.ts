// "Send for signature" from the console (issue 15 part 2): a manager uploads PDFs and names the signers;
// the form becomes the request a SOAP createRequest would carry (the PDFs as SDS uploads referred to by
// sds-document, one task per signer signing every document, depends-on-task for a sequential order, e-mail
// and SMS notifications) and goes through core's createRequest, the one way requests are made. The PDFs get
// SDS's size limit and content checks on the way in (portal/upload.ts storeChecked); their SDS rows are
// removed once createRequest has answered (the request keeps the bytes), so a refusal leaves nothing behind.
import busboy from 'busboy';
import type express from 'express';
import { ValidationError, type Violation } from '../core/errors';
import type { ServiceAccount } from '../core/ports';
import type { Notification, SigningRequest, Task } from '../core/types';
import type { ValidationContext } from '../core/validate';
import { parseMediaType } from '../content/check';
import { storeChecked } from '../portal/upload';
import { LANGUAGES, t, type Lang } from '../portal/i18n';
import type { Logger } from 'pino';
import type { RequestService } from '../core/requests';
import type { SdsUploads } from '../core/sds';
import type { BlobStore, PendingBlob } from '../store/blobs';
import type { ConsoleAuditRepository } from '../store/consoleaudit';
import { top } from './pages';
import { blankSigner, sendPage, type MethodOption, type SendInput, type SignerInput } from './sendpage';
import { csrfMatches, type ConsoleSession } from './session';

const MAX_FILES = 10;
const MAX_SIGNERS = 20;
const FIRST_ROWS = 2;

/** What sending needs of the console (routes.ts's ConsoleDeps has all of it). */
export interface SendDeps {
  requests: Pick<RequestService, 'createRequest' | 'methodsOf'>;
  blobs: BlobStore;
  uploads: SdsUploads<PendingBlob>;
  maxBytes: number;
  publicUrl: () => string;
  log: Logger;
  audit: Pick<ConsoleAuditRepository, 'record'>;
}
type Authed = express.Request & { session?: ConsoleSession; lang?: Lang };
/** routes.ts web()'s middlewares and answers this file uses */
interface Web {
  session: express.RequestHandler;
  manager: express.RequestHandler;
  csrf: express.RequestHandler;
  guard(f: (req: Authed, res: express.Response) => Promise<void>): express.RequestHandler;
  send(res: express.Response, code: number, body: string): void;
}
type Upload = { name: string } & ({ ok: PendingBlob } | { problem: 'type' | 'too-large' | 'empty' | 'unavailable' | 'bad'; why?: string });
type Parsed = { fields: Record<string, string>; files: Upload[]; tooMany: boolean; malformed: boolean; chosen: boolean };
type WithUploads = Authed & { uploads?: Parsed };

/** The select's choices: each signature method, and each method a login can sign with (authentication-based). */
export function methodOptions(lang: Lang, ctx: ValidationContext): MethodOption[] {
  const sig = [...ctx.signatureMethods].sort().map((m) => ({ value: `signature:${m}`, label: t(lang, 'console.send.methodSig', { m }) }));
  const abs = [...(ctx.authenticationBasedSignatureMethods ?? ctx.authenticationMethods)]
    .sort()
    .map((m) => ({ value: `login:${m}`, label: t(lang, 'console.send.methodLogin', { m }) }));
  return [...sig, ...abs];
}

export function sendRoutes(r: express.Router, d: SendDeps, w: Web): void {
  r.get(
    '/console/send',
    w.session,
    w.manager,
    w.guard(async (req, res) => {
      const methods = methodOptions(req.lang!, await d.requests.methodsOf(account(req)));
      const input: SendInput = {
        ...{ subject: '', message: '', reference: '', days: '', order: 'sequential', email: true, sms: false },
        language: req.lang!,
        signers: Array.from({ length: FIRST_ROWS }, () => blankSigner(methods[0]?.value)),
      };
      await show(d, w, req, res, 200, input, {});
    }),
  );
  r.post('/console/send', w.session, w.manager, receive(d), w.csrf, w.guard(sendIt(d, w)));
}

const account = (req: Authed): ServiceAccount => ({
  id: req.session!.serviceId,
  name: req.session!.service,
  public: req.session!.isPublic,
});

async function show(
  d: SendDeps,
  w: Web,
  req: Authed,
  res: express.Response,
  code: number,
  input: SendInput,
  errors: Record<string, string>,
  filesAgain = false,
): Promise<void> {
  const lang = req.lang!;
  const s = req.session!;
  const methods = methodOptions(lang, await d.requests.methodsOf(account(req)));
  const view = { service: s.service, csrf: s.csrf, input, methods, maxMb: megabytes(d.maxBytes), maxFiles: MAX_FILES };
  w.send(res, code, sendPage(lang, { ...view, errors, filesAgain }, top(lang, s.service, s.csrf)));
}

/**
 * Reads the multipart form: the fields, and each chosen PDF streamed into a pending blob through SDS's limit and
 * checks. A file is only stored when the session's CSRF token came before it and the form is not just asking
 * for another row; the csrf middleware after this one refuses the rest.
 */
function receive(d: SendDeps): express.RequestHandler {
  return (req: WithUploads, res, next) => {
    const parsed: Parsed = { fields: {}, files: [], tooMany: false, malformed: false, chosen: false };
    const work: Array<Promise<void>> = [];
    let finished = false;
    const finish = () => {
      if (finished) return;
      finished = true;
      void Promise.all(work).then(() => {
        req.uploads = parsed;
        req.body = parsed.fields;
        next();
      }, next);
    };
    let bb: busboy.Busboy;
    try {
      const limits = { files: MAX_FILES + 1, fields: 20 + 7 * MAX_SIGNERS, fieldSize: 20_000, parts: 40 + 7 * MAX_SIGNERS };
      bb = busboy({ headers: req.headers, limits });
    } catch {
      parsed.malformed = true;
      req.resume();
      return finish();
    }
    bb.on('field', (name, value) => {
      if (!(name in parsed.fields)) parsed.fields[name] = value;
    });
    bb.on('file', (_name, stream, info) => {
      stream.on('error', () => undefined);
      const name = (info.filename ?? '').slice(0, 200);
      parsed.chosen ||= !!name;
      if (!name || parsed.fields.do === 'add' || !csrfMatches(req.session!.csrf, parsed.fields._csrf)) return void stream.resume();
      if (parsed.files.length >= MAX_FILES) {
        parsed.tooMany = true;
        return void stream.resume();
      }
      const declared = parseMediaType(info.mimeType)?.type;
      const pdf = declared === 'application/pdf' || (declared === 'application/octet-stream' && /\.pdf$/i.test(name));
      if (!pdf) {
        parsed.files.push({ name, problem: 'type' });
        return void stream.resume();
      }
      work.push(
        storeChecked(d.blobs, stream, d.maxBytes, 'application/pdf').then((got) => {
          if (got.kind === 'ok') return void parsed.files.push({ name, ok: got.pending });
          const problem =
            got.kind === 'none' ? 'empty' : got.kind === 'bad' ? 'bad' : got.kind === 'unavailable' ? 'unavailable' : 'too-large';
          parsed.files.push({ name, problem, why: got.kind === 'bad' ? got.message : undefined });
          // over the limit: stop reading, drain the rest, answer now
          if (problem === 'too-large') {
            req.unpipe(bb);
            req.resume();
            finish();
          }
        }),
      );
    });
    bb.on('error', () => {
      parsed.malformed = true;
      req.unpipe(bb);
      req.resume();
      finish();
    });
    bb.on('close', finish);
    req.pipe(bb);
  };
}

const str = (f: Record<string, string>, k: string, max = 10_000) => (f[k] ?? '').trim().slice(0, max);

/** The form's fields as the page shows them again. */
function inputOf(f: Record<string, string>, lang: Lang, add: boolean): SendInput {
  const asked = Number(f.rows);
  const rows = Math.min(MAX_SIGNERS, Math.max(1, Number.isInteger(asked) ? asked : FIRST_ROWS) + (add ? 1 : 0));
  const signers = Array.from({ length: rows }, (_, i): SignerInput => {
    const g = (k: string) => str(f, `s${i}_${k}`, 300);
    return {
      first: g('first'),
      last: g('last'),
      nid: g('nid'),
      email: g('email'),
      mobile: g('mobile').replace(/[\s-]/g, ''),
      method: g('method'),
    };
  });
  const language = (LANGUAGES as readonly string[]).includes(f.language ?? '') ? (f.language as Lang) : lang;
  return {
    subject: str(f, 'subject', 500),
    message: str(f, 'message'),
    reference: str(f, 'reference', 1024),
    days: str(f, 'days', 10),
    language,
    order: f.order === 'parallel' ? 'parallel' : 'sequential',
    email: f.notify_email === 'on',
    sms: f.notify_sms === 'on',
    signers,
  };
}

const EMAIL = /^[^\s@]+@[^\s@]+$/;
const E164 = /^\+[1-9]\d{6,14}$/;

/** What the form itself can tell before anything is stored: signers, their contact data, the files. */
function formErrors(lang: Lang, input: SendInput, p: Parsed, maxMb: number): Record<string, string> {
  const e: Record<string, string> = {};
  const used = input.signers.filter(isFilled);
  if (!input.subject) e.subject = t(lang, 'console.send.err.subject');
  if (!used.length) e.s0_first = t(lang, 'console.send.err.signers');
  input.signers.forEach((s, i) => {
    if (!isFilled(s)) return;
    if (!s.first || !s.last) e[`s${i}_${s.first ? 'last' : 'first'}`] = t(lang, 'console.send.err.name');
    if (s.email && !EMAIL.test(s.email)) e[`s${i}_email`] = t(lang, 'console.send.err.email');
    else if (input.email && !s.email) e[`s${i}_email`] = t(lang, 'console.send.err.needEmail');
    if (s.mobile && !E164.test(s.mobile)) e[`s${i}_mobile`] = t(lang, 'console.send.err.mobile');
    else if (input.sms && !s.mobile) e[`s${i}_mobile`] = t(lang, 'console.send.err.needMobile');
    if (!/^(signature|login):./.test(s.method)) e[`s${i}_method`] = t(lang, 'console.send.err.method');
  });
  const bad = p.files.find((x) => 'problem' in x);
  if (p.malformed) e.form = t(lang, 'console.send.err.malformed');
  if (p.tooMany) e.files = t(lang, 'console.send.err.tooMany', { n: MAX_FILES });
  else if (bad && 'problem' in bad) {
    const why = bad.why ?? '';
    e.files = t(lang, `console.send.err.file.${bad.problem}`, { name: bad.name, mb: maxMb, why });
  } else if (!p.files.length) e.files = t(lang, 'console.send.err.nofile');
  return e;
}

const isFilled = (s: SignerInput) => !!(s.first || s.last || s.nid || s.email || s.mobile);

/** Where a core violation belongs on the form: task i is the i-th filled signer row; notifications as planned. */
function fieldOf(path: string, rows: number[], notes: Map<string, string>): string {
  const task = /^request\[0\]\/task\[(\d+)\]\/(.*)$/.exec(path);
  if (task) {
    const row = `s${rows[Number(task[1])] ?? 0}_`;
    const rest = task[2]!;
    const note = /^notification\[(\d+)\]/.exec(rest);
    if (note) return notes.get(`${task[1]}/${note[1]}`) ?? 'form';
    if (/^(signature|authentication)/.test(rest)) return `${row}method`;
    const sub = /^subject\/(national-id|first-name|last-name|email|mobile)/.exec(rest)?.[1];
    if (sub) return row + { 'national-id': 'nid', 'first-name': 'first', 'last-name': 'last', email: 'email', mobile: 'mobile' }[sub]!;
    if (rest.startsWith('days-to-live')) return 'days';
    if (rest.startsWith('dialog/title')) return 'subject';
    if (rest.startsWith('dialog/message')) return 'message';
    return 'form';
  }
  if (path.startsWith('request[0]/client-reference')) return 'reference';
  if (path.startsWith('request[0]/document')) return 'files';
  return 'form';
}

function messageOf(lang: Lang, field: string, v: Violation): string {
  const kind = field.replace(/^s\d+_/, '');
  if (kind === 'method') return t(lang, 'console.send.err.methodUnknown');
  if (kind === 'days') return t(lang, 'console.send.err.days');
  if (kind === 'email') return t(lang, 'console.send.err.email');
  if (kind === 'mobile') return t(lang, 'console.send.err.mobile');
  if (kind === 'form') return t(lang, 'console.send.err.refused', { why: `${v.path}: ${v.rule}` });
  return t(lang, 'console.send.err.field', { why: v.rule });
}

interface Built {
  request: SigningRequest;
  /** task index → the signer row it came from */
  rows: number[];
  /** "task/notification" index → the form field its recipient came from */
  notes: Map<string, string>;
}

/** The form as the request a SOAP createRequest would carry. */
function build(
  d: SendDeps,
  svc: ServiceAccount,
  ctx: ValidationContext,
  actor: string,
  input: SendInput,
  sds: Array<{ id: string; sds: string; name: string }>,
): Built {
  const L = input.language;
  const rows = input.signers.flatMap((s, i) => (isFilled(s) ? [i] : []));
  const ids = rows.map((_, n) => `t${n + 1}`);
  const notes = new Map<string, string>();
  const days = input.days === '' ? undefined : Number(input.days);
  const logins = [...ctx.authenticationMethods].sort();
  const tasks: Task[] = rows.map((row, n) => {
    const s = input.signers[row]!;
    const [kind, name] = [s.method.slice(0, s.method.indexOf(':')), s.method.slice(s.method.indexOf(':') + 1)];
    const methods: Partial<Task> =
      kind === 'login'
        ? { authentication: { method: [name] }, authenticationBasedSignature: [{ method: [{ value: name }] }] }
        : // a signature method's signer first logs in with one of the service's login methods (the test eID's key needs it)
          { authentication: logins.length ? { method: logins } : undefined, signature: [{ method: [{ value: name }] }] };
    return {
      id: ids[n]!,
      subject: {
        firstName: s.first,
        lastName: s.last,
        nationalId: s.nid || undefined,
        email: s.email || undefined,
        mobile: s.mobile || undefined,
      },
      daysToLive: days,
      dialog: { title: input.subject, message: input.message || undefined },
      documentAction: sds.map((x) => ({ type: 'sign' as const, documentRef: x.id })),
      dependsOnTask: input.order === 'sequential' && n > 0 ? [ids[n - 1]!] : undefined,
      ...methods,
    };
  });
  const sequential = input.order === 'sequential';
  rows.forEach((row, n) => {
    const s = input.signers[row]!;
    // In a sequential order a signer is told when the one before has signed (a schedule on that task), with
    // the link to their own task; otherwise when their task is created, with ${taskUrl}.
    const on = sequential && n > 0 ? n - 1 : n;
    const link = sequential && n > 0 ? taskLink(d, svc, ids[n]!) : '${taskUrl}';
    const schedule = sequential && n > 0 ? [{ stateIs: 'completed' as const }] : undefined;
    const body = `${t(L, 'console.send.mail.body', { subject: input.subject })}\n\n${link}`;
    const add = (type: 'EMAIL' | 'SMS', recipient: string, field: string) => {
      const task = tasks[on]!;
      task.notification ??= [];
      notes.set(`${on}/${task.notification.length}`, `s${row}_${field}`);
      const n1: Notification = { type, notificationId: `${type.toLowerCase()}-${ids[n]!}`, recipient, message: body, schedule };
      if (type === 'EMAIL') n1.header = input.subject;
      task.notification.push(n1);
    };
    if (input.email && s.email) add('EMAIL', s.email, 'email');
    if (input.sms && s.mobile) add('SMS', s.mobile, 'mobile');
  });
  const document = sds.map((x) => ({ kind: 'sds-document' as const, id: x.id, refSdsId: x.sds, description: x.name }));
  return {
    request: {
      language: L,
      document: document as SigningRequest['document'],
      task: tasks,
      clientReference: input.reference || undefined,
      sender: { uniqueId: actor.slice(0, 128) },
    },
    rows,
    notes,
  };
}

/** The signer's task URL for a message sent from another task's notification (${requestId} is filled in then). */
const taskLink = (d: SendDeps, svc: ServiceAccount, taskId: string) =>
  `${d.publicUrl()}/std/docaction/${encodeURIComponent(svc.name)}?request_id=\${requestId}&task_id=${taskId}`;

/** POST /console/send: the form checked, the PDFs kept as SDS uploads, createRequest, the SDS rows removed again. */
function sendIt(d: SendDeps, w: Web) {
  return async (req: WithUploads, res: express.Response): Promise<void> => {
    const lang = req.lang!;
    const p = req.uploads!;
    const pending = p.files.flatMap((f) => ('ok' in f ? [{ name: f.name, blob: f.ok }] : []));
    const discard = () => Promise.all(pending.map((x) => x.blob.discard().catch(() => undefined)));
    const add = p.fields.do === 'add';
    const input = inputOf(p.fields, lang, add);
    if (add) {
      await discard();
      return show(d, w, req, res, 200, input, {}, p.chosen);
    }
    const maxMb = megabytes(d.maxBytes);
    const errors = formErrors(lang, input, p, maxMb);
    if (Object.keys(errors).length) {
      await discard();
      const code = p.files.some((f) => 'problem' in f && f.problem === 'too-large')
        ? 413
        : p.files.some((f) => 'problem' in f && f.problem === 'unavailable')
          ? 503
          : 422;
      return show(d, w, req, res, code, input, errors, p.chosen);
    }
    const svc = account(req);
    const s = req.session!;
    const kept: Array<{ id: string; sds: string; name: string }> = [];
    try {
      for (const [i, x] of pending.entries()) {
        const row = await d.uploads.add(svc.id, 'application/pdf', x.blob);
        kept.push({ id: `doc${i + 1}`, sds: row.id, name: x.name.replace(/\.pdf$/i, '') || `doc${i + 1}` });
      }
    } catch (e) {
      await Promise.all(pending.slice(kept.length).map((x) => x.blob.discard().catch(() => undefined)));
      await Promise.all(kept.map((k) => d.uploads.remove(svc.id, k.sds)));
      throw e;
    }
    const built = build(d, svc, await d.requests.methodsOf(svc), s.actor, input, kept);
    let requestId: string | undefined;
    let refused: ValidationError | undefined;
    try {
      requestId = (await d.requests.createRequest(svc, [built.request])).requestIds[0]!;
    } catch (e) {
      if (!(e instanceof ValidationError)) throw e;
      refused = e;
    } finally {
      // the request holds its own rows for the bytes; the uploads were only the way in
      await Promise.all(kept.map((k) => d.uploads.remove(svc.id, k.sds)));
    }
    if (refused) {
      const shown: Record<string, string> = {};
      for (const v of refused.violations) {
        const f = fieldOf(v.path, built.rows, built.notes);
        shown[f] ??= messageOf(lang, f, v);
      }
      d.log.info({ service: svc.name, actor: s.actor, violations: refused.violations }, 'console send refused by createRequest');
      return show(d, w, req, res, 422, input, shown, true);
    }
    const detail = `${built.request.task.length} signer(s), ${input.order}; ${kept.map((k) => k.name).join(', ')}`;
    // the request is made: a failed audit write is logged loudly, not shown to the clerk as a failed send
    await d.audit
      .record({ serviceId: svc.id, actor: s.actor }, requestId!, 'send', detail.slice(0, 1000))
      .catch((e: unknown) =>
        d.log.error({ err: (e as Error).message, requestId, actor: s.actor }, 'console: the audit row of a send failed'),
      );
    d.log.info({ service: svc.name, actor: s.actor, requestId, tasks: built.request.task.length }, 'request sent from the console');
    res.redirect(303, `/console/requests/${encodeURIComponent(requestId!)}?lang=${lang}&done=sent`);
  };
}

/** The limit as the clerk reads it: megabytes with one decimal. */
const megabytes = (n: number) => Math.round(n / 104_857.6) / 10;

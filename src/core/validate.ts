// Validation of a signing request: required fields and enums of the DocumentService v3 schema, then
// segl's own rules (references resolve, depends-on is a DAG, limits, known eID methods).
// Every violation names the element path the caller wrote and the rule it breaks.
import { DOCUMENT_ACTION_TYPES, DOCUMENT_KINDS, NOTIFICATION_TYPES } from './enums';
import { ValidationError, type Violation } from './errors';
import { ancestors, findCycle } from './dag';
import { mediaTypeProblem } from './mediatype';
import { scheduleViolations } from './schedule';
import type {
  Authentication,
  Dialog,
  Document,
  DocumentAction,
  Method,
  Notification,
  PackagingTask,
  Schedule,
  SigningRequest,
  Subject,
  Task,
} from './types';

/** Documented limits (docs/integrators.md "Validation rules and limits"). */
export const LIMITS = {
  tasksPerRequest: 100,
  documentsPerRequest: 100,
  subjectsPerRequest: 100,
  requestsPerCall: 20,
  notificationsPerScope: 50,
  schedulesPerNotification: 10,
  actionsPerTask: 100,
  methodsPerList: 20,
  idLength: 128,
  textLength: 10_000,
  urlLength: 2_048,
  maxDays: 3_650,
  /** request-ids (and other ids) in one deleteRequest, getStatus, getPackagingTaskStatus or removeDocument call */
  idsPerCall: 1_000,
} as const;

export interface ValidationContext {
  /** eID method names allowed in authentication and authentication-based-signature. */
  authenticationMethods: ReadonlySet<string>;
  /** eID method names allowed in signature. */
  signatureMethods: ReadonlySet<string>;
  /** eID method names allowed in authentication-based-signature, where they differ from authenticationMethods */
  authenticationBasedSignatureMethods?: ReadonlySet<string>;
}

type Path = string;
const at = (base: Path, name: string, index?: number): Path => `${base}/${name}${index === undefined ? '' : `[${index}]`}`;

class Checker {
  readonly violations: Violation[] = [];
  fail(path: Path, rule: string): void {
    if (this.violations.length < 20) this.violations.push({ path, rule });
  }
  required(value: unknown, path: Path): boolean {
    if (value === undefined || value === null || (typeof value === 'string' && value.trim() === '')) {
      this.fail(path, 'is required');
      return false;
    }
    return true;
  }
  oneOf(value: string | undefined, allowed: readonly string[], path: Path): void {
    if (value !== undefined && !allowed.includes(value)) this.fail(path, `must be one of ${allowed.join(', ')}`);
  }
  text(value: string | undefined, path: Path, max: number = LIMITS.textLength): void {
    if (value !== undefined && value.length > max) this.fail(path, `must be at most ${max} characters`);
  }
  id(value: string | undefined, path: Path): boolean {
    if (!this.required(value, path)) return false;
    if (value!.length > LIMITS.idLength) {
      this.fail(path, `must be at most ${LIMITS.idLength} characters`);
      return false;
    }
    return true;
  }
  count(list: readonly unknown[] | undefined, max: number, path: Path, min = 0): void {
    const n = list?.length ?? 0;
    if (n < min) this.fail(path, min === 1 ? 'at least one is required' : `at least ${min} are required`);
    if (n > max) this.fail(path, `at most ${max} are allowed (got ${n})`);
  }
  days(value: number | undefined, path: Path): void {
    if (value === undefined) return;
    if (!Number.isInteger(value) || value < 1 || value > LIMITS.maxDays) {
      this.fail(path, `must be a whole number of days from 1 to ${LIMITS.maxDays}`);
    }
  }
  url(value: string | undefined, path: Path): void {
    if (value === undefined) return;
    this.text(value, path, LIMITS.urlLength);
    // ${requestId} / ${taskId} placeholders are allowed anywhere; check the rest is an absolute URL.
    const probe = value.replace(/\$\{(requestId|taskId|taskUrl)\}/g, 'x');
    let ok = false;
    try {
      const u = new URL(probe);
      ok = u.protocol === 'http:' || u.protocol === 'https:';
    } catch {
      ok = false;
    }
    if (!ok) this.fail(path, 'must be an absolute http or https URL');
  }
  unique(ids: Array<[string | undefined, Path]>, what: string): void {
    const seen = new Map<string, Path>();
    for (const [id, path] of ids) {
      if (id === undefined) continue;
      const first = seen.get(id);
      if (first) this.fail(path, `${what} "${id}" is used twice (first at ${first})`);
      else seen.set(id, path);
    }
  }
}

function checkDialog(c: Checker, d: Dialog | undefined, path: Path): void {
  if (!d) return;
  c.text(d.title, at(path, 'title'), 500);
  c.text(d.message, at(path, 'message'));
}

function checkSubject(c: Checker, s: Subject, path: Path, needsId: boolean): void {
  if (needsId) c.id(s.id, `${path}/@id`);
  for (const [key, wire] of [
    ['nationalId', 'national-id'],
    ['firstName', 'first-name'],
    ['lastName', 'last-name'],
    ['mobile', 'mobile'],
    ['email', 'email'],
    ['username', 'username'],
  ] as const) {
    c.text(s[key], at(path, wire), 256);
  }
}

function checkDocument(c: Checker, d: Document, path: Path): void {
  if (!c.required(d.kind, `${path}/@xsi:type`)) return;
  c.oneOf(d.kind, DOCUMENT_KINDS, `${path}/@xsi:type`);
  c.text(d.externalReference, at(path, 'external-reference'), 1024);
  c.text(d.signTextEntry, at(path, 'sign-text-entry'));
  if (d.form) {
    c.id(d.form.id, at(path, 'form') + '/@id');
    (d.form.inputParam ?? []).forEach((p, i) => {
      c.required(p.name, `${at(at(path, 'form'), 'input-param', i)}/@name`);
      c.required(p.value, `${at(at(path, 'form'), 'input-param', i)}/@value`);
    });
  }
  switch (d.kind) {
    case 'sds-document':
      c.id(d.refSdsId, `${path}/@ref-sds-id`);
      c.required(d.description, at(path, 'description'));
      c.text(d.description, at(path, 'description'), 1024);
      break;
    case 'provided-document':
      c.required(d.mimeType, `${path}/@mime-type`);
      // The same types SDS stores: anything else could not be served safely (or at all) later.
      if (d.mimeType !== undefined && d.mimeType.trim() !== '') {
        const why = mediaTypeProblem(d.mimeType);
        if (why) c.fail(`${path}/@mime-type`, why);
      }
      c.required(d.description, at(path, 'description'));
      c.text(d.description, at(path, 'description'), 1024);
      break;
    case 'upload-document':
      c.required(d.description, at(path, 'description'));
      c.text(d.description, at(path, 'description'), 1024);
      break;
    case 'archive-document':
      c.id(d.refArchiveId, `${path}/@ref-archive-id`);
      break;
    case 'result-document':
      c.id(d.refTaskId, `${path}/@ref-task-id`);
      c.id(d.refDocumentId, `${path}/@ref-document-id`);
      break;
    case 'packaging-result-document':
      c.id(d.refPackagingTaskId, `${path}/@ref-packaging-task-id`);
      break;
  }
}

/** A signature method with no name and handwritten="true": a handwriting-only signature (InkSign without an eID). */
export const handwritingOnly = (m: string | Method): boolean => typeof m !== 'string' && m.handwritten === true && !m.value?.trim();

/** `signature`: the list may hold a handwriting-only method (checkSignatures). */
function checkMethods(
  c: Checker,
  methods: ReadonlyArray<string | Method> | undefined,
  allowed: ReadonlySet<string>,
  path: Path,
  signature = false,
): void {
  c.count(methods, LIMITS.methodsPerList, at(path, 'method'), 1);
  (methods ?? []).forEach((m, i) => {
    const name = typeof m === 'string' ? m : m.value;
    const p = at(path, 'method', i);
    if (signature && handwritingOnly(m)) return;
    if (typeof m !== 'string' && !name?.trim()) {
      const why = signature
        ? 'may be empty only with handwritten="true"'
        : 'may be empty only in signature/method, with handwritten="true"';
      c.fail(p, `is required: a method name ${why} (a handwriting-only signature)`);
      return;
    }
    if (!c.required(name, p)) return;
    if (!allowed.has(name)) {
      const known = [...allowed].sort().join(', ') || 'none are enabled';
      c.fail(p, `"${name}" is not a known eID method here (known: ${known})`);
    }
  });
}

function checkAuthentication(c: Checker, a: Authentication | undefined, ctx: ValidationContext, path: Path): void {
  if (!a) return;
  checkDialog(c, a.dialog, at(path, 'dialog'));
  checkMethods(c, a.method, ctx.authenticationMethods, path);
}

function checkSchedule(c: Checker, s: Schedule, path: Path): void {
  // state-is, wait-until, wait, and the segl formats of days-of-week, time-of-day and timezone.
  for (const v of scheduleViolations(s, path)) c.fail(v.path, v.rule);
}

/** Checks one notification (request-, task- or packaging-level). */
function checkNotification(c: Checker, n: Notification, path: Path): void {
  c.id(n.notificationId, `${path}/@notification-id`);
  if (c.required(n.type, `${path}/@type`)) c.oneOf(n.type, NOTIFICATION_TYPES, `${path}/@type`);
  if (c.required(n.recipient, at(path, 'recipient'))) {
    if (n.type === 'URL') c.url(n.recipient, at(path, 'recipient'));
    else if (n.type === 'EMAIL' && !/^[^\s@]+@[^\s@]+$/.test(n.recipient)) {
      c.fail(at(path, 'recipient'), 'must be an e-mail address');
    } else if (n.type === 'SMS' && !/^\+[1-9]\d{6,14}$/.test(n.recipient)) {
      c.fail(at(path, 'recipient'), 'must be an E.164 phone number such as +4712345678');
    }
    c.text(n.recipient, at(path, 'recipient'), LIMITS.urlLength);
  }
  c.text(n.sender, at(path, 'sender'), 256);
  c.text(n.header, at(path, 'header'), 1024);
  if (c.required(n.message, at(path, 'message'))) c.text(n.message, at(path, 'message'));
  c.count(n.schedule, LIMITS.schedulesPerNotification, at(path, 'schedule'));
  (n.schedule ?? []).forEach((s, i) => checkSchedule(c, s, at(path, 'schedule', i)));
}

function checkNotifications(c: Checker, list: Notification[] | undefined, path: Path, name = 'notification'): void {
  c.count(list, LIMITS.notificationsPerScope, at(path, name));
  (list ?? []).forEach((n, i) => checkNotification(c, n, at(path, name, i)));
  c.unique(
    (list ?? []).map((n, i) => [n.notificationId, `${at(path, name, i)}/@notification-id`]),
    'notification-id',
  );
}

interface RequestIndex {
  subjects: Set<string>;
  documents: Map<string, Document>;
  tasks: Map<string, Task>;
  edges: Map<string, string[]>;
  packagingTasks: Set<string>;
}

function checkAction(c: Checker, a: DocumentAction, task: Task, idx: RequestIndex, path: Path): void {
  if (c.required(a.type, `${path}/@type`)) c.oneOf(a.type, DOCUMENT_ACTION_TYPES, `${path}/@type`);
  if (a.orderIndex !== undefined && (!Number.isInteger(a.orderIndex) || a.orderIndex < 0)) {
    c.fail(`${path}/@order-index`, 'must be a whole number of 0 or more');
  }
  checkDialog(c, a.dialog, at(path, 'dialog'));
  if (a.documentRef !== undefined && a.document !== undefined) {
    c.fail(path, 'give either document-ref or document, not both');
  }
  let doc: Document | undefined = a.document;
  if (a.document) checkDocument(c, a.document, at(path, 'document'));
  else if (a.documentRef === undefined || a.documentRef.trim() === '') {
    c.fail(at(path, 'document-ref'), `is required: a ${a.type ?? ''} action needs a document-ref or an inline document`);
  } else {
    doc = idx.documents.get(a.documentRef);
    if (!doc) c.fail(at(path, 'document-ref'), `"${a.documentRef}" does not match any request/document/@id`);
  }
  if (!doc) return;
  if (a.type === 'upload' && doc.kind !== 'upload-document') {
    c.fail(path, `an upload action needs an upload-document (document "${doc.id ?? ''}" is ${doc.kind})`);
  }
  if (a.type !== 'upload' && doc.kind === 'upload-document') {
    c.fail(path, `a ${a.type} action cannot use upload-document "${doc.id ?? ''}" (only upload actions can)`);
  }
  if (doc.kind === 'result-document') {
    const ref = idx.tasks.get(doc.refTaskId);
    if (!ref) c.fail(path, `result-document refers to task "${doc.refTaskId}", which is not in this request`);
    else {
      if (!ancestors(idx.edges, task.id).has(doc.refTaskId)) {
        c.fail(path, `result-document refers to task "${doc.refTaskId}"; task "${task.id}" must depend on it (depends-on-task)`);
      }
      const signs = ref.documentAction.some((x) => x.type === 'sign' && (x.documentRef ?? x.document?.id) === doc!.refDocumentId);
      if (!signs) {
        c.fail(path, `result-document refers to document "${doc.refDocumentId}", which task "${doc.refTaskId}" does not sign`);
      }
    }
  }
  if (doc.kind === 'packaging-result-document' && !idx.packagingTasks.has(doc.refPackagingTaskId)) {
    c.fail(path, `packaging-result-document refers to packaging task "${doc.refPackagingTaskId}", which is not in this request`);
  }
}

function checkTask(c: Checker, t: Task, idx: RequestIndex, ctx: ValidationContext, path: Path): void {
  c.id(t.id, `${path}/@id`);
  if (t.subjectRef !== undefined && t.subject !== undefined) c.fail(path, 'give either subject-ref or subject, not both');
  if (t.subjectRef !== undefined && !idx.subjects.has(t.subjectRef)) {
    c.fail(at(path, 'subject-ref'), `"${t.subjectRef}" does not match any request/subject/@id`);
  }
  if (t.subject) checkSubject(c, t.subject, at(path, 'subject'), false);
  c.days(t.daysToLive, at(path, 'days-to-live'));
  checkDialog(c, t.dialog, at(path, 'dialog'));
  c.count(t.documentAction, LIMITS.actionsPerTask, at(path, 'document-action'), 1);
  (t.documentAction ?? []).forEach((a, i) => checkAction(c, a, t, idx, at(path, 'document-action', i)));
  const actionDocIds = (t.documentAction ?? []).map((a, i): [string | undefined, Path] => [
    a.documentRef ?? a.document?.id,
    at(path, 'document-action', i),
  ]);
  c.unique(actionDocIds, 'document');
  checkNotifications(c, t.notification, path);
  checkAuthentication(c, t.authentication, ctx, at(path, 'authentication'));
  c.url(t.onTaskPostpone, at(path, 'on-task-postpone'));
  c.url(t.onTaskComplete, at(path, 'on-task-complete'));
  c.url(t.onTaskCancel, at(path, 'on-task-cancel'));
  const deps = t.dependsOnTask ?? [];
  c.count(deps, LIMITS.tasksPerRequest, at(path, 'depends-on-task'));
  deps.forEach((d, i) => {
    const p = at(path, 'depends-on-task', i);
    if (d === t.id) c.fail(p, `task "${t.id}" cannot depend on itself`);
    else if (!idx.tasks.has(d)) c.fail(p, `"${d}" does not match any task/@id in this request`);
  });
  c.unique(
    deps.map((d, i) => [d, at(path, 'depends-on-task', i)]),
    'depends-on-task',
  );
  for (const [v, wire] of [
    [t.profile, 'profile'],
    [t.language, 'language'],
    [t.configuration, 'configuration'],
  ] as const) {
    c.text(v, at(path, wire), 64);
  }
  c.text(t.signText, at(path, 'sign-text'));
  checkSignatures(c, t, ctx, path);
  (t.authenticationBasedSignature ?? []).forEach((s, i) => {
    checkDialog(c, s.dialog, at(at(path, 'authentication-based-signature', i), 'dialog'));
    checkMethods(
      c,
      s.method,
      ctx.authenticationBasedSignatureMethods ?? ctx.authenticationMethods,
      at(path, 'authentication-based-signature', i),
    );
  });
}

/**
 * signature/method: known signature methods, or one handwriting-only method (empty, handwritten="true"), which
 * must then be the task's only signature method (docs/integrators.md "Handwritten signature (InkSign)").
 */
function checkSignatures(c: Checker, t: Task, ctx: ValidationContext, path: Path): void {
  const all = (t.signature ?? []).flatMap((s) => s.method ?? []).length + (t.authenticationBasedSignature ?? []).length;
  (t.signature ?? []).forEach((s, i) => {
    const p = at(path, 'signature', i);
    checkDialog(c, s.dialog, at(p, 'dialog'));
    const only = (s.method ?? []).findIndex(handwritingOnly);
    if (only >= 0 && all > 1)
      c.fail(
        at(p, 'method', only),
        'a handwriting-only method (no name, handwritten="true") must be the only signature method of the task',
      );
    checkMethods(c, s.method, ctx.signatureMethods, p, true);
  });
}

function checkPackagingTask(c: Checker, p: PackagingTask, idx: RequestIndex, path: Path): void {
  c.id(p.packagingTaskId, `${path}/@packaging-task-id`);
  c.required(p.method, `${path}/@method`);
  checkNotifications(c, p.packagingNotification, path, 'packaging-notification');
  c.count(p.packagingTaskDocument, LIMITS.documentsPerRequest, at(path, 'packaging-task-document'), 1);
  (p.packagingTaskDocument ?? []).forEach((d, i) => {
    const dp = at(path, 'packaging-task-document', i);
    if (!c.id(d.taskId, `${dp}/@task-id`) || !c.id(d.documentId, `${dp}/@document-id`)) return;
    const task = idx.tasks.get(d.taskId);
    if (!task) {
      c.fail(`${dp}/@task-id`, `"${d.taskId}" does not match any task/@id in this request`);
      return;
    }
    const signs = task.documentAction.some((a) => a.type === 'sign' && (a.documentRef ?? a.document?.id) === d.documentId);
    if (!signs) c.fail(`${dp}/@document-id`, `task "${d.taskId}" does not sign document "${d.documentId}"`);
  });
}

/** Gives inline documents without an @id a stable one, so document-status can name them. */
export function normalizeRequest(r: SigningRequest): SigningRequest {
  for (const t of r.task ?? []) {
    (t.documentAction ?? []).forEach((a, i) => {
      if (a.document && (a.document.id === undefined || a.document.id === '')) a.document.id = `${t.id}-${i + 1}`;
    });
  }
  return r;
}

function buildIndex(r: SigningRequest): RequestIndex {
  return {
    subjects: new Set((r.subject ?? []).map((s) => s.id).filter((x): x is string => !!x)),
    documents: new Map((r.document ?? []).filter((d) => d.id).map((d) => [d.id!, d])),
    tasks: new Map((r.task ?? []).filter((t) => t.id).map((t) => [t.id, t])),
    edges: new Map((r.task ?? []).filter((t) => t.id).map((t) => [t.id, t.dependsOnTask ?? []])),
    packagingTasks: new Set((r.packagingTask ?? []).map((p) => p.packagingTaskId).filter((x) => !!x)),
  };
}

function collectRequest(c: Checker, r: SigningRequest, ctx: ValidationContext, path: Path): void {
  const idx = buildIndex(r);
  c.text(r.profile, at(path, 'profile'), 64);
  c.text(r.language, at(path, 'language'), 16);
  c.count(r.subject, LIMITS.subjectsPerRequest, at(path, 'subject'));
  (r.subject ?? []).forEach((s, i) => checkSubject(c, s, at(path, 'subject', i), true));
  c.unique(
    (r.subject ?? []).map((s, i) => [s.id, `${at(path, 'subject', i)}/@id`]),
    'subject id',
  );
  c.count(r.document, LIMITS.documentsPerRequest, at(path, 'document'));
  (r.document ?? []).forEach((d, i) => {
    c.id(d.id, `${at(path, 'document', i)}/@id`);
    checkDocument(c, d, at(path, 'document', i));
  });
  const allDocIds: Array<[string | undefined, Path]> = (r.document ?? []).map((d, i) => [d.id, `${at(path, 'document', i)}/@id`]);
  (r.task ?? []).forEach((t, ti) =>
    (t.documentAction ?? []).forEach((a, ai) => {
      if (a.document) allDocIds.push([a.document.id, `${at(at(path, 'task', ti), 'document-action', ai)}/document/@id`]);
    }),
  );
  c.unique(allDocIds, 'document id');
  c.count(r.task, LIMITS.tasksPerRequest, at(path, 'task'), 1);
  (r.task ?? []).forEach((t, i) => checkTask(c, t, idx, ctx, at(path, 'task', i)));
  c.unique(
    (r.task ?? []).map((t, i) => [t.id, `${at(path, 'task', i)}/@id`]),
    'task id',
  );
  const cycle = findCycle(idx.edges);
  if (cycle) c.fail(at(path, 'task'), `depends-on-task forms a cycle: ${cycle.join(' → ')}`);
  c.text(r.clientReference, at(path, 'client-reference'), 1024);
  if (r.sender) {
    c.id(r.sender.uniqueId, at(at(path, 'sender'), 'unique-id'));
    c.text(r.sender.firstName, at(at(path, 'sender'), 'first-name'), 256);
    c.text(r.sender.lastName, at(at(path, 'sender'), 'last-name'), 256);
  }
  checkNotifications(c, r.notification, path);
  c.days(r.daysUntilDeletion, at(path, 'days-until-deletion'));
  if (r.sdoFormat !== undefined && r.sdoFormat !== 'native') c.fail(at(path, 'sdo-format'), 'only "native" is supported');
  c.text(r.account, at(path, 'account'), 128);
  (r.packagingTask ?? []).forEach((p, i) => checkPackagingTask(c, p, idx, at(path, 'packaging-task', i)));
  c.unique(
    (r.packagingTask ?? []).map((p, i) => [p.packagingTaskId, `${at(path, 'packaging-task', i)}/@packaging-task-id`]),
    'packaging-task-id',
  );
}

/**
 * Validates one request as createRequest receives it. `path` is the element path of the request in
 * the caller's message (e.g. `request[0]`). Throws ValidationError listing every violation found.
 */
export function validateRequest(r: SigningRequest, ctx: ValidationContext, path: Path = 'request'): void {
  const c = new Checker();
  collectRequest(c, r, ctx, path);
  if (c.violations.length) throw new ValidationError(c.violations);
}

/** Validates a task about to be added to an existing request (addTask): the result must be valid as a whole. */
export function validateAddedTask(existing: SigningRequest, task: Task, ctx: ValidationContext): void {
  if (existing.task.some((t) => t.id === task.id)) {
    throw ValidationError.one('task/@id', `task "${task.id}" already exists in this request`);
  }
  const c = new Checker();
  const merged: SigningRequest = { ...existing, task: [...existing.task, task] };
  collectRequest(c, merged, ctx, 'request');
  // Report paths relative to the new task, the only part the caller sent.
  const prefix = `request/task[${existing.task.length}]`;
  const own = c.violations
    .filter((v) => v.path.startsWith(prefix) || !/^request\/task\[\d+\]/.test(v.path))
    .map((v) => ({ path: v.path.startsWith(prefix) ? `task${v.path.slice(prefix.length)}` : v.path, rule: v.rule }));
  if (own.length) throw new ValidationError(own);
}

/** Validates a notification added to a live request (addNotification). */
export function validateNotification(n: Notification, siblings: readonly Notification[], path: Path = 'notification'): void {
  const c = new Checker();
  checkNotification(c, n, path);
  if (siblings.length >= LIMITS.notificationsPerScope) {
    c.fail(path, `at most ${LIMITS.notificationsPerScope} notifications are allowed in one scope`);
  }
  if (siblings.some((s) => s.notificationId === n.notificationId)) {
    c.fail(`${path}/@notification-id`, `"${n.notificationId}" is already used in this scope`);
  }
  if (c.violations.length) throw new ValidationError(c.violations);
}

/** Validates the list of requests in one createRequest call. */
export function validateRequests(list: SigningRequest[], ctx: ValidationContext): void {
  if (list.length === 0) throw ValidationError.one('request', 'at least one request is required');
  if (list.length > LIMITS.requestsPerCall) {
    throw ValidationError.one('request', `at most ${LIMITS.requestsPerCall} requests per call (got ${list.length})`);
  }
  const all: Violation[] = [];
  list.forEach((r, i) => {
    try {
      validateRequest(r, ctx, `request[${i}]`);
    } catch (e) {
      if (e instanceof ValidationError) all.push(...e.violations);
      else throw e;
    }
  });
  if (all.length) throw new ValidationError(all.slice(0, 20));
}

/**
 * An id list of one call (deleteRequest, getStatus …): at most LIMITS.idsPerCall, none longer than
 * an id can be. Repeats collapse to the first occurrence: asking twice names the same thing once.
 */
export function idList(ids: readonly string[], path: Path): string[] {
  if (ids.length > LIMITS.idsPerCall) throw ValidationError.one(path, `at most ${LIMITS.idsPerCall} per call (got ${ids.length})`);
  const long = ids.findIndex((id) => id.length > LIMITS.idLength);
  if (long >= 0) throw ValidationError.one(`${path}[${long}]`, `must be at most ${LIMITS.idLength} characters`);
  return [...new Set(ids)];
}

// What the signer portal asks of a task (reference §4.5; issue 6): may this task be worked on now,
// and what does the signer see. Pure decisions; the DocumentService reads the rows.
import type { PackagingTaskStatus, TaskStatus } from './enums';
import { packagesShownBy } from './packagingtasks';
import type { RequestRow, TaskDocumentRow, TaskRow } from './ports';
import type { Dialog, FormField } from './types';
import { handwritingOnly } from './validate';

/** Why a task URL cannot be worked on, or that it can. */
export type TaskAccess =
  | { kind: 'open' }
  | { kind: 'waiting'; waitingFor: string[]; failedPackages?: string[] }
  | { kind: 'closed'; status: Exclude<TaskStatus, 'created'> | 'withdrawn' };

/**
 * depends-on-task must all be completed before a task opens; closed tasks stay closed. A task that
 * shows a package (a packaging-result-document) also waits until that packaging task has
 * completed (`packages`: the request's packaging tasks by id): before, there is nothing to show, so
 * the task is not yet available, and it stays so if the packaging task failed (waitingFor names it
 * as `packaging-task <id>`; `failedPackages` lists the failed ones, whose package will never come).
 */
export function taskAccess(
  request: RequestRow,
  task: TaskRow,
  tasks: readonly TaskRow[],
  packages: ReadonlyMap<string, PackagingTaskStatus> = new Map(),
): TaskAccess {
  if (request.deleted) return { kind: 'closed', status: 'withdrawn' };
  if (task.status === 'deleted') return { kind: 'closed', status: 'withdrawn' };
  if (task.status !== 'created') return { kind: 'closed', status: task.status };
  const status = new Map(tasks.map((t) => [t.taskId, t.status]));
  const shown = packagesShownBy(request.body, task.body);
  const waitingFor = [
    ...(task.body.dependsOnTask ?? []).filter((id) => status.get(id) !== 'completed'),
    ...shown.filter((id) => packages.get(id) !== 'completed').map((id) => `packaging-task ${id}`),
  ];
  const failedPackages = shown.filter((id) => packages.get(id) === 'failed');
  if (!waitingFor.length) return { kind: 'open' };
  return failedPackages.length ? { kind: 'waiting', waitingFor, failedPackages } : { kind: 'waiting', waitingFor };
}

export interface PortalDocument {
  id: string;
  description?: string;
  mimeType?: string;
  action: string;
  order: number;
  /** the signed result exists */
  signed: boolean;
  /** the signer may skip it (document-action/@optional) */
  optional: boolean;
  /** an upload action whose file has arrived */
  uploaded: boolean;
  dialog?: Dialog;
  /** a packaging-result-document: the packaging task whose package (one PAdES) it is */
  packagingTaskId?: string;
  /** an interactive form (core/forms.ts): its fields, with the signer's values once filled */
  form?: FormField[];
  /** the signer has filled the form: the document's bytes are the merged, flattened PDF */
  formFilled?: boolean;
}

/** The task as the signer sees it. */
export interface PortalTask {
  requestId: string;
  taskId: string;
  status: TaskStatus;
  access: TaskAccess;
  dialog?: Dialog;
  language?: string;
  profile?: string;
  /** eID methods the task accepts for authentication (empty: none required) */
  authentication: string[];
  artifactAllowed: boolean;
  documents: PortalDocument[];
  nationalId?: string;
  /** sign all sign-documents in one act (task/@bundle, default true) */
  bundle: boolean;
  signText?: string;
  /** browser redirects (on-task-complete / -cancel / -postpone) as written, placeholders unreplaced */
  redirects: { complete?: string; cancel?: string; postpone?: string };
  /** eID methods for the signature (signature/method and authentication-based-signature/method) */
  signatureMethods: string[];
  /** the signature methods marked handwritten="true" (InkSign: a drawing after the eID) */
  handwrittenMethods: string[];
  /** the task's signature is a drawing only (`<method handwritten="true"/>`): a simple electronic signature, no eID signs */
  handwritingOnly: boolean;
  clientReference?: string;
  /** the signer has signed and the package is being sealed (a seal job is pending): nothing more may be done here */
  sealing?: boolean;
  /** the last seal job was refused (its initial verification failed): the task is open again */
  sealRefused?: boolean;
}

export function portalTask(
  request: RequestRow,
  task: TaskRow,
  tasks: readonly TaskRow[],
  docs: readonly TaskDocumentRow[],
  uploaded: ReadonlySet<string> = new Set(),
  packages?: ReadonlyMap<string, PackagingTaskStatus>,
): PortalTask {
  const t = task.body;
  const subject = t.subject ?? (t.subjectRef ? request.body.subject?.find((s) => s.id === t.subjectRef) : undefined);
  const byId = new Map((request.body.document ?? []).map((d) => [d.id, d]));
  return {
    requestId: request.id,
    taskId: task.taskId,
    status: task.status,
    access: taskAccess(request, task, tasks, packages),
    dialog: t.dialog,
    language: t.language ?? request.body.language,
    profile: t.profile ?? request.body.profile,
    authentication: t.authentication?.method ?? [],
    artifactAllowed: t.authentication?.artifact === true,
    documents: docs
      .filter((d) => d.taskId === task.taskId)
      .sort((a, b) => a.ordinal - b.ordinal)
      .map((d) => {
        const a = t.documentAction.find((x) => (x.documentRef ?? x.document?.id) === d.documentId);
        const doc = a?.document ?? (a?.documentRef !== undefined ? byId.get(a.documentRef) : undefined);
        return {
          id: d.documentId,
          description: d.description,
          mimeType: d.mimeType,
          action: d.actionType,
          order: d.ordinal,
          signed: d.resultUri !== undefined,
          optional: a?.optional === true,
          dialog: a?.dialog,
          uploaded: uploaded.has(d.documentId),
          packagingTaskId: doc?.kind === 'packaging-result-document' ? doc.refPackagingTaskId : undefined,
          form: doc?.form?.fields,
        };
      }),
    nationalId: subject?.nationalId,
    bundle: t.bundle !== false,
    signText: t.signText,
    redirects: { complete: t.onTaskComplete, cancel: t.onTaskCancel, postpone: t.onTaskPostpone },
    signatureMethods: [...(t.signature ?? []), ...(t.authenticationBasedSignature ?? [])].flatMap((x) => x.method.map((m) => m.value)),
    handwrittenMethods: (t.signature ?? []).flatMap((x) => x.method.filter((m) => m.handwritten).map((m) => m.value)),
    handwritingOnly: (t.signature ?? []).some((x) => x.method.some(handwritingOnly)),
    clientReference: request.clientReference,
  };
}

/** A redirect URL with `${requestId}` and `${taskId}` replaced, raw and %-encoded (`%24%7BrequestId%7D`). */
export function redirectUrl(template: string, requestId: string, taskId: string): string {
  const ids: Record<string, string> = { requestId, taskId };
  return template
    .replace(/\$\{(requestId|taskId)\}/g, (_w, k: string) => encodeURIComponent(ids[k]!))
    .replace(/%24%7B(requestId|taskId)%7D/gi, (_w, k: string) => encodeURIComponent(ids[k]!));
}

/** Which sign-documents the signer must still read before Send in, given what they opened and chose to skip. */
export function unreadMandatory(task: PortalTask, viewed: ReadonlySet<string>, skipped: ReadonlySet<string>): PortalDocument[] {
  return task.documents.filter((d) => d.action !== 'upload' && !d.signed && !viewed.has(d.id) && !(d.optional && skipped.has(d.id)));
}

/** Upload actions still without their file (optional ones may stay empty). */
export function missingUploads(task: PortalTask): PortalDocument[] {
  return task.documents.filter((d) => d.action === 'upload' && !d.uploaded && !d.optional);
}

// How the document tables' rows map to core's records (requests, tasks, task-info) and back, with
// the sealed columns (national ids, bodies) opened and closed through AtRest.
import type { TaskStatus } from '../core/enums';
import type { TaskRow } from '../core/ports';
import type { TaskInfo } from '../core/types';
import type { Param } from './sql';
import type { AtRest } from './atrest';

export type DbRow = Record<string, unknown>;
const u = <T>(v: unknown): T | undefined => (v === null || v === undefined ? undefined : (v as T));
export const str = (v: unknown): string | undefined => u<string>(v);
export const num = (v: unknown): number | undefined => (v === null || v === undefined ? undefined : Number(v));

export const REQUEST_COLS = [
  'id',
  'service_id',
  'created_at',
  'updated_at',
  'deleted',
  'client_reference',
  'account',
  'delete_after',
  'body',
] as const;
export const TASK_COLS = [
  'request_id',
  'task_id',
  'service_id',
  'ordinal',
  'status',
  'client_status',
  'created_at',
  'updated_at',
  'expires_at',
  'body',
  'uid',
  'document_id',
  'archive_id',
  'account',
  'language',
  'document_description',
  'mime_type',
  'subject_first_name',
  'subject_last_name',
  'subject_email',
  'subject_national_id',
  'subject_mobile',
  'authentication_type',
  'signer',
  'sender_unique_id',
  'client_reference',
  'days_to_live',
  'subject_national_id_mac',
] as const;
export const TASK_DOC_COLS = [
  'request_id',
  'task_id',
  'document_id',
  'ordinal',
  'action_type',
  'description',
  'mime_type',
  'archive_id',
  'result_uri',
] as const;
export const DOC_COLS = ['request_id', 'document_id', 'kind', 'mime_type', 'description', 'blob_key', 'sha256', 'size'] as const;
export const EVENT_COLS = ['request_id', 'task_id', 'type', 'time', 'data'] as const;
export const ARTIFACT_COLS = ['hash', 'request_id', 'task_id', 'user_session_id', 'expires_at', 'used_at'] as const;
export const NOTIFICATION_COLS = ['request_id', 'scope', 'notification_id', 'disabled', 'body'] as const;

/** The national id is stored sealed, with its lookup MAC (store/atrest.ts). */
export function taskValues(t: TaskRow, serviceId: number, k: AtRest): Param[] {
  const i = t.info;
  const nid = i.subjectNationalId;
  return [
    t.requestId,
    t.taskId,
    serviceId,
    t.ordinal,
    t.status,
    t.clientStatus,
    t.createdAt,
    t.updatedAt,
    t.expiresAt,
    JSON.stringify(k.sealTaskBody(t.requestId, t.body)),
    i.id,
    i.documentId,
    i.archiveId,
    i.account,
    i.language,
    i.documentDescription,
    i.mimeType,
    i.subjectFirstName,
    i.subjectLastName,
    i.subjectEmail,
    nid === undefined ? undefined : k.sealNationalId(`${t.requestId}/${t.taskId}`, nid),
    i.subjectMobile,
    i.authenticationType,
    i.signer,
    i.senderUniqueId,
    i.clientReference,
    i.daysToLive,
    nid === undefined ? undefined : k.nationalIdMac(nid),
  ];
}

export function toInfo(r: DbRow, k: AtRest): TaskInfo {
  const nid = str(r.subject_national_id);
  return {
    id: r.uid as string,
    requestId: r.request_id as string,
    taskId: r.task_id as string,
    documentId: str(r.document_id),
    archiveId: str(r.archive_id),
    account: str(r.account),
    language: str(r.language),
    taskStatus: r.status as TaskStatus,
    documentDescription: str(r.document_description),
    mimeType: str(r.mime_type),
    subjectFirstName: str(r.subject_first_name),
    subjectLastName: str(r.subject_last_name),
    subjectEmail: str(r.subject_email),
    subjectNationalId: nid === undefined ? undefined : k.openNationalId(`${r.request_id as string}/${r.task_id as string}`, nid),
    subjectMobile: str(r.subject_mobile),
    created: r.created_at as string,
    lastUpdated: r.updated_at as string,
    signer: str(r.signer),
    senderUniqueId: str(r.sender_unique_id),
    clientReference: str(r.client_reference),
    clientStatus: str(r.client_status),
    daysToLive: num(r.days_to_live),
    authenticationType: str(r.authentication_type),
  };
}

export function toTaskRow(r: DbRow, k: AtRest): TaskRow {
  return {
    requestId: r.request_id as string,
    taskId: r.task_id as string,
    ordinal: Number(r.ordinal),
    status: r.status as TaskStatus,
    clientStatus: str(r.client_status),
    createdAt: r.created_at as string,
    updatedAt: r.updated_at as string,
    expiresAt: r.expires_at as string,
    body: k.openTaskBody(r.request_id as string, JSON.parse(r.body as string)),
    info: toInfo(r, k),
  };
}

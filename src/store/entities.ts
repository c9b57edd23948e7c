// TypeORM entity schemas. Times are ISO-8601 UTC strings with milliseconds (fixed width, so they
// sort as text on every driver); structured parts of a request are JSON text.
import { EntitySchema } from 'typeorm';

export interface ServiceEntity {
  id: number; name: string; passwordHash: string; public: boolean; createdAt: string; updatedAt: string;
}
export interface RequestEntity {
  id: string; serviceId: number; createdAt: string; updatedAt: string; deleted: boolean;
  clientReference: string | null; account: string | null; deleteAfter: string | null; body: string;
}
export interface TaskEntity {
  requestId: string; taskId: string; serviceId: number; ordinal: number; status: string; clientStatus: string | null;
  createdAt: string; updatedAt: string; expiresAt: string; body: string;
  uid: string; documentId: string | null; archiveId: string | null; account: string | null; language: string | null;
  documentDescription: string | null; mimeType: string | null; subjectFirstName: string | null;
  subjectLastName: string | null; subjectEmail: string | null; subjectNationalId: string | null;
  subjectMobile: string | null; authenticationType: string | null; signer: string | null;
  senderUniqueId: string | null; clientReference: string | null; daysToLive: number | null;
}
export interface TaskDocumentEntity {
  requestId: string; taskId: string; documentId: string; ordinal: number; actionType: string;
  description: string | null; mimeType: string | null; archiveId: string | null; resultUri: string | null;
}
export interface DocumentEntity {
  requestId: string; documentId: string; kind: string; mimeType: string | null; description: string | null;
  blobKey: string | null; sha256: string | null; size: number | null;
}
export interface EventEntity {
  id: number; requestId: string; taskId: string | null; type: string; time: string; data: string | null;
}
export interface ArtifactEntity {
  hash: string; requestId: string | null; taskId: string | null; userSessionId: string | null; expiresAt: string;
  usedAt: string | null;
}
export interface NotificationEntity {
  requestId: string; scope: string; notificationId: string; disabled: boolean; body: string;
}
export interface UserSessionEntity { id: string; serviceId: number; createdAt: string; body: string }

const str = (name: string, length = 255, nullable = false) => ({ type: 'varchar' as const, name, length, nullable });
const time = (name: string, nullable = false) => str(name, 30, nullable);

export const Service = new EntitySchema<ServiceEntity>({
  name: 'Service', tableName: 'service',
  columns: {
    id: { type: Number, primary: true, generated: 'increment' },
    name: { ...str('name', 64), unique: true },
    passwordHash: str('password_hash'),
    public: { type: Boolean, name: 'public', default: false },
    createdAt: time('created_at'),
    updatedAt: time('updated_at'),
  },
});

export const Request = new EntitySchema<RequestEntity>({
  name: 'Request', tableName: 'request',
  columns: {
    id: { ...str('id', 64), primary: true },
    serviceId: { type: Number, name: 'service_id' },
    createdAt: time('created_at'),
    updatedAt: time('updated_at'),
    deleted: { type: Boolean, name: 'deleted', default: false },
    clientReference: str('client_reference', 1024, true),
    account: str('account', 128, true),
    deleteAfter: time('delete_after', true),
    body: { type: 'text', name: 'body' },
  },
});

export const TaskRecord = new EntitySchema<TaskEntity>({
  name: 'Task', tableName: 'task',
  columns: {
    requestId: { ...str('request_id', 64), primary: true },
    taskId: { ...str('task_id', 128), primary: true },
    serviceId: { type: Number, name: 'service_id' },
    ordinal: { type: Number, name: 'ordinal' },
    status: str('status', 16),
    clientStatus: str('client_status', 1024, true),
    createdAt: time('created_at'),
    updatedAt: time('updated_at'),
    expiresAt: time('expires_at'),
    body: { type: 'text', name: 'body' },
    uid: str('uid', 200),
    documentId: str('document_id', 128, true),
    archiveId: str('archive_id', 128, true),
    account: str('account', 128, true),
    language: str('language', 16, true),
    documentDescription: str('document_description', 1024, true),
    mimeType: str('mime_type', 255, true),
    subjectFirstName: str('subject_first_name', 256, true),
    subjectLastName: str('subject_last_name', 256, true),
    subjectEmail: str('subject_email', 256, true),
    subjectNationalId: str('subject_national_id', 256, true),
    subjectMobile: str('subject_mobile', 256, true),
    authenticationType: str('authentication_type', 1024, true),
    signer: str('signer', 256, true),
    senderUniqueId: str('sender_unique_id', 128, true),
    clientReference: str('client_reference', 1024, true),
    daysToLive: { type: Number, name: 'days_to_live', nullable: true },
  },
});

export const TaskDocument = new EntitySchema<TaskDocumentEntity>({
  name: 'TaskDocument', tableName: 'task_document',
  columns: {
    requestId: { ...str('request_id', 64), primary: true },
    taskId: { ...str('task_id', 128), primary: true },
    documentId: { ...str('document_id', 128), primary: true },
    ordinal: { type: Number, name: 'ordinal' },
    actionType: str('action_type', 16),
    description: str('description', 1024, true),
    mimeType: str('mime_type', 255, true),
    archiveId: str('archive_id', 128, true),
    resultUri: str('result_uri', 2048, true),
  },
});

export const DocumentRecord = new EntitySchema<DocumentEntity>({
  name: 'Document', tableName: 'document',
  columns: {
    requestId: { ...str('request_id', 64), primary: true },
    documentId: { ...str('document_id', 128), primary: true },
    kind: str('kind', 32),
    mimeType: str('mime_type', 255, true),
    description: str('description', 1024, true),
    blobKey: str('blob_key', 255, true),
    sha256: str('sha256', 64, true),
    size: { type: Number, name: 'size', nullable: true },
  },
});

export const Event = new EntitySchema<EventEntity>({
  name: 'Event', tableName: 'event',
  columns: {
    id: { type: Number, primary: true, generated: 'increment' },
    requestId: str('request_id', 64),
    taskId: str('task_id', 128, true),
    type: str('type', 48),
    time: time('time'),
    data: { type: 'text', name: 'data', nullable: true },
  },
});

export const Artifact = new EntitySchema<ArtifactEntity>({
  name: 'Artifact', tableName: 'artifact',
  columns: {
    hash: { ...str('hash', 64), primary: true },
    requestId: str('request_id', 64, true),
    taskId: str('task_id', 128, true),
    userSessionId: str('user_session_id', 64, true),
    expiresAt: time('expires_at'),
    usedAt: time('used_at', true),
  },
});

export const NotificationRecord = new EntitySchema<NotificationEntity>({
  name: 'Notification', tableName: 'notification',
  columns: {
    requestId: { ...str('request_id', 64), primary: true },
    scope: { ...str('scope', 160), primary: true },
    notificationId: { ...str('notification_id', 128), primary: true },
    disabled: { type: Boolean, name: 'disabled', default: false },
    body: { type: 'text', name: 'body' },
  },
});

export const UserSessionRecord = new EntitySchema<UserSessionEntity>({
  name: 'UserSession', tableName: 'user_session',
  columns: {
    id: { ...str('id', 64), primary: true },
    serviceId: { type: Number, name: 'service_id' },
    createdAt: time('created_at'),
    body: { type: 'text', name: 'body' },
  },
});

export const ENTITIES = [
  Service, Request, TaskRecord, TaskDocument, DocumentRecord, Event, Artifact, NotificationRecord, UserSessionRecord,
];

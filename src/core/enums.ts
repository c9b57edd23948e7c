// Enumerations of the DocumentService v3 schema (reference §3.12), including the 2018 additions.

export const TASK_STATUSES = ['created', 'completed', 'rejected', 'expired', 'deleted', 'failed'] as const;
export type TaskStatus = (typeof TASK_STATUSES)[number];

export const NOTIFICATION_TYPES = ['SMS', 'EMAIL', 'URL'] as const;
export type NotificationType = (typeof NOTIFICATION_TYPES)[number];

export const DOCUMENT_ACTION_TYPES = ['sign', 'view', 'upload'] as const;
export type DocumentActionType = (typeof DOCUMENT_ACTION_TYPES)[number];

export const PACKAGING_TASK_STATUSES = ['created', 'failed', 'completed'] as const;
export type PackagingTaskStatus = (typeof PACKAGING_TASK_STATUSES)[number];

export const LOGICAL_OPERATORS = ['equals', 'not-equals', 'contains', 'less-than', 'greater-than'] as const;
export type LogicalOperator = (typeof LOGICAL_OPERATORS)[number];

export const TASK_FILTER_FIELDS = [
  'id',
  'request-id',
  'task-id',
  'document-id',
  'archive-id',
  'account',
  'language',
  'task-state',
  'document-description',
  'mime-type',
  'subject-first-name',
  'subject-last-name',
  'subject-email',
  'subject-national-id',
  'subject-mobile',
  'authentication-type',
  'created',
  'last-updated',
  'signer',
  'sender-unique-id',
  'client-reference',
  'client-status',
  'days-to-live',
] as const;
export type TaskFilterField = (typeof TASK_FILTER_FIELDS)[number];

export const EVENT_TYPES = [
  'request-created',
  'notification-sent',
  'task-started',
  'task-rejected',
  'task-completed',
  'error',
  'document-uploaded',
  'document-signed',
  'document-viewed',
  'document-sign-cancelled',
  'document-deleted',
  'user-authenticated',
  'user-authentication-cancelled',
  'packaging-task-created',
  'packaging-task-completed',
  'packaging-task-failed',
] as const;
export type EventType = (typeof EVENT_TYPES)[number];

/** xsi:type names of the polymorphic `document` (reference §3.6). */
export const DOCUMENT_KINDS = [
  'sds-document',
  'provided-document',
  'upload-document',
  'archive-document',
  'result-document',
  'packaging-result-document',
] as const;

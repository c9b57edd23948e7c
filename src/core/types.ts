// The domain of a signing request. Field names are the camelCase of the DocumentService v3 wire
// names (repeated elements keep their singular wire name), so a path in a validation error maps
// back to the element the caller wrote without a lookup table.
import type {
  DocumentActionType,
  EventType,
  LogicalOperator,
  NotificationType,
  PackagingTaskStatus,
  TaskFilterField,
  TaskStatus,
} from './enums';

export interface Dialog {
  title?: string;
  message?: string;
}
export interface Attribute {
  name?: string;
  value?: string;
}
export interface FormParam {
  name: string;
  value: string;
}
export interface Form {
  id: string;
  inputParam?: FormParam[];
  /** segl: an interactive form's AcroForm fields as read at createRequest (core/forms.ts), not on the wire */
  fields?: FormField[];
}

export type FormFieldKind = 'text' | 'checkbox' | 'radio' | 'combo' | 'list';

/** Where a field's widget sits: page index from 0, rectangle in PDF points from the page's lower left. */
export interface FormWidget {
  page: number;
  x: number;
  y: number;
  width: number;
  height: number;
}

/** One AcroForm field as the signer sees it. `value` is the current (prefilled) value; "" for none. */
export interface FormField {
  name: string;
  kind: FormFieldKind;
  /** the field's tooltip (/TU), the label shown to people; the name when it has none */
  label: string;
  readOnly: boolean;
  required: boolean;
  maxLength?: number;
  multiline?: boolean;
  /** radio, combo and list: the export values; checkbox: its one export value (the "on" state) */
  options: string[];
  value: string;
  widgets: FormWidget[];
}

export interface Subject {
  id?: string;
  nationalId?: string;
  firstName?: string;
  lastName?: string;
  mobile?: string;
  email?: string;
  username?: string;
  attribute?: Attribute[];
}

export interface Sender {
  uniqueId: string;
  firstName?: string;
  lastName?: string;
}

interface DocumentBase {
  id?: string;
  externalReference?: string;
  form?: Form;
  signTextEntry?: string;
}
export interface SdsDocument extends DocumentBase {
  kind: 'sds-document';
  description: string;
  refSdsId: string;
  sendToArchive?: boolean;
}
export interface ProvidedDocument extends DocumentBase {
  kind: 'provided-document';
  data?: Uint8Array;
  description: string;
  mimeType: string;
  sendToArchive?: boolean;
}
export interface UploadDocument extends DocumentBase {
  kind: 'upload-document';
  description: string;
  sendToArchive?: boolean;
}
export interface ArchiveDocument extends DocumentBase {
  kind: 'archive-document';
  refArchiveId: string;
}
export interface ResultDocument extends DocumentBase {
  kind: 'result-document';
  refTaskId: string;
  refDocumentId: string;
}
export interface PackagingResultDocument extends DocumentBase {
  kind: 'packaging-result-document';
  refPackagingTaskId: string;
}
export type Document = SdsDocument | ProvidedDocument | UploadDocument | ArchiveDocument | ResultDocument | PackagingResultDocument;

export interface DocumentAction {
  type: DocumentActionType;
  orderIndex?: number;
  optional?: boolean;
  sendResultToArchive?: boolean;
  dialog?: Dialog;
  documentRef?: string;
  document?: Document;
}

export interface Method {
  value: string;
  handwritten?: boolean;
}
export interface Authentication {
  artifact?: boolean;
  dialog?: Dialog;
  method: string[];
}
export interface Signature {
  ifAuthentication?: string;
  responsive?: boolean;
  dialog?: Dialog;
  method: Method[];
}
export interface AuthenticationBasedSignature {
  ifAuthentication?: string;
  dialog?: Dialog;
  method: Method[];
}

export interface Wait {
  days?: number;
  hours?: number;
  minutes?: number;
}
export interface Schedule {
  stateIs: TaskStatus;
  waitUntil?: string; // xs:dateTime, kept as written
  wait?: Wait;
  daysOfWeek?: string;
  timeOfDay?: string;
  timezone?: string;
}
export interface Notification {
  type: NotificationType;
  notificationId: string;
  recipient: string;
  sender?: string;
  header?: string;
  message: string;
  schedule?: Schedule[];
}

export interface Task {
  id: string;
  bundle?: boolean;
  subjectRef?: string;
  subject?: Subject;
  daysToLive?: number;
  dialog?: Dialog;
  documentAction: DocumentAction[];
  notification?: Notification[];
  authentication?: Authentication;
  onTaskPostpone?: string;
  onTaskComplete?: string;
  onTaskCancel?: string;
  dependsOnTask?: string[];
  profile?: string;
  language?: string;
  configuration?: string;
  signText?: string;
  signature?: Signature[];
  authenticationBasedSignature?: AuthenticationBasedSignature[];
}

export interface PackagingTaskDocument {
  taskId: string;
  documentId: string;
}
export interface PackagingTask {
  packagingTaskId: string;
  method: string;
  sendToArchive?: boolean;
  packagingNotification?: Notification[];
  packagingTaskDocument: PackagingTaskDocument[];
}

export interface SigningRequest {
  profile?: string;
  language?: string;
  subject?: Subject[];
  document?: Document[];
  task: Task[];
  clientReference?: string;
  sender?: Sender;
  notification?: Notification[];
  daysUntilDeletion?: number;
  sdoFormat?: string;
  account?: string;
  packagingTask?: PackagingTask[];
}

export interface SessionTaskInfo {
  requestId: string;
  taskId: string;
  order: number;
  description?: string;
}
export interface UserSession {
  language?: string;
  onSessionPostpone?: string;
  onSessionComplete?: string;
  onSessionCancel?: string;
  sessionTask: SessionTaskInfo[];
}

export interface TaskFilterCriteria {
  field: TaskFilterField;
  value: string;
  operator?: LogicalOperator;
  caseSensitive?: boolean;
}
export interface TaskFilter {
  criteria?: TaskFilterCriteria[];
  fromDate?: string;
  toDate?: string;
}

/** task-info: one row per task, as findTasks answers it. */
export interface TaskInfo {
  id: string;
  requestId: string;
  taskId: string;
  documentId?: string;
  archiveId?: string;
  account?: string;
  language?: string;
  taskStatus: TaskStatus;
  documentDescription?: string;
  mimeType?: string;
  subjectFirstName?: string;
  subjectLastName?: string;
  subjectEmail?: string;
  subjectNationalId?: string;
  subjectMobile?: string;
  created: string;
  lastUpdated: string;
  signer?: string;
  senderUniqueId?: string;
  clientReference?: string;
  clientStatus?: string;
  daysToLive?: number;
  /** segl's own: the task's eID method names, comma-separated (filter field authentication-type) */
  authenticationType?: string;
}

export interface DocumentStatus {
  id: string;
  originalUri?: string;
  resultUri?: string;
  formOutputParam?: FormParam[];
}
export interface TaskStatusInfo {
  requestId: string;
  taskId?: string;
  taskStatus: TaskStatus;
  clientReference?: string;
  clientStatus?: string;
  documentStatus?: DocumentStatus[];
}
export interface PackagingDocumentStatus {
  id: string;
  resultUri?: string;
}
export interface PackagingTaskStatusInfo {
  requestId: string;
  packagingTaskId: string;
  packagingTaskStatus: PackagingTaskStatus;
  packagingDocumentStatus?: PackagingDocumentStatus[];
}

export interface HistoryEvent {
  event: EventType;
  eventTime: string;
  data?: string;
}

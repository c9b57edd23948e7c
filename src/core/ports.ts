// What the DocumentService use cases need from storage. store/ implements it (TypeORM); core only
// describes it, so the use cases stay free of I/O libraries.
import type { PackagingTaskStatus, TaskStatus } from './enums';
import type { NotificationRow, OutboxRow } from './outbox';
import type { CompiledFilter, Page } from './filter';
import type { Document, FormField, HistoryEvent, PackagingTaskDocument, SigningRequest, Task, TaskInfo, UserSession } from './types';

export interface ServiceAccount {
  id: number;
  name: string;
  public: boolean;
}

/** The request as stored: everything but its tasks, which are rows of their own. */
export type RequestBody = Omit<SigningRequest, 'task'>;

export interface RequestRow {
  id: string;
  serviceId: number;
  createdAt: string;
  updatedAt: string;
  deleted: boolean;
  clientReference?: string;
  account?: string;
  deleteAfter?: string;
  body: RequestBody;
}

export interface TaskRow {
  requestId: string;
  taskId: string;
  ordinal: number;
  status: TaskStatus;
  clientStatus?: string;
  createdAt: string;
  updatedAt: string;
  expiresAt: string;
  body: Task;
  /** The searchable task-info attributes, resolved at creation (subject-ref, first document, ...). */
  info: TaskInfo;
}

/** A document a task acts on, with where its result is once one exists. */
export interface TaskDocumentRow {
  requestId: string;
  taskId: string;
  documentId: string;
  ordinal: number;
  actionType: string;
  description?: string;
  mimeType?: string;
  archiveId?: string;
  resultUri?: string;
}

/** The bytes of a document a request carries (provided-document data goes to the blob store). */
export interface DocumentRow {
  requestId: string;
  documentId: string;
  kind: Document['kind'];
  mimeType?: string;
  description?: string;
  blobKey?: string;
  sha256?: string;
  size?: number;
  /** an interactive form once filled: the original's blob (blobKey is then the merged PDF) */
  formOriginalBlobKey?: string;
  /** an interactive form once filled: its fields with the signer's values */
  formFields?: FormField[];
}

export interface EventRow extends HistoryEvent {
  requestId: string;
  taskId?: string;
}

export interface ArtifactRow {
  hash: string;
  requestId?: string;
  taskId?: string;
  userSessionId?: string;
  expiresAt: string;
}

/** scope: '' for request level, the task id for a task, `packaging:<id>` for a packaging task. */
export interface UserSessionRow {
  id: string;
  serviceId: number;
  createdAt: string;
  body: UserSession;
}

/**
 * Where a packaging task's job is: `waiting` for the tasks it names, `pending` (due: the relay moves
 * it into the segl-packaging queue), `queued` (a job exists), `done` (completed or failed).
 */
export type PackagingJobState = 'waiting' | 'pending' | 'queued' | 'done';

/** The package a packaging task made: an SDS document or an archive entry, and its blob. */
export interface PackagingResult {
  kind: 'sds' | 'archive';
  id: string;
  blobKey: string;
  sha256: string;
}

/** A packaging task's durable state (table packaging_task), one row per request/packaging-task. */
export interface PackagingTaskRow {
  requestId: string;
  packagingTaskId: string;
  serviceId: number;
  method: string;
  sendToArchive: boolean;
  /** its packaging-task-documents, in the order written */
  documents: PackagingTaskDocument[];
  status: PackagingTaskStatus;
  job: PackagingJobState;
  /** runs of the packaging job begun so far */
  attempts: number;
  result?: PackagingResult;
  error?: { code: string; message: string };
  createdAt: string;
  updatedAt: string;
  finishedAt?: string;
}

export interface NewRequest {
  request: RequestRow;
  tasks: TaskRow[];
  taskDocuments: TaskDocumentRow[];
  documents: DocumentRow[];
  notifications: NotificationRow[];
  events: EventRow[];
  packagingTasks: PackagingTaskRow[];
}

// The port is split by who needs it: every use case reads requests and moves tasks; the integrator's
// request service, the signer's actions and the timers each add their own writes. A use case is typed
// with the part it needs (see core/usecase.ts), so a signer action cannot call insertRequests.

/** Reads every use case makes; every method runs inside the transaction that `TxStore.tx` opened. */
export interface RequestReads {
  /**
   * `forUpdate`: the request is locked until the transaction ends, so that transactions changing its
   * tasks run one after another and each sees the states the others left (two signers completing the
   * last two tasks in two processes must not both find the other one still open).
   */
  getRequest(serviceId: number, requestId: string, forUpdate?: boolean): Promise<RequestRow | null>;
  getTasks(requestId: string): Promise<TaskRow[]>;
  getTaskDocuments(requestIds: string[]): Promise<TaskDocumentRow[]>;
  /** The stored bytes of one of a request's documents. */
  getDocument(requestId: string, documentId: string): Promise<DocumentRow | null>;
  events(requestId: string, taskId: string): Promise<EventRow[]>;
  notifications(requestId: string, scope: string): Promise<NotificationRow[]>;
  /** Every notification of a request, all scopes. */
  allNotifications(requestId: string): Promise<NotificationRow[]>;
  getResult(requestId: string, taskId: string, documentId: string): Promise<{ blobKey: string; sha256: string } | null>;
  /** The request's packaging tasks (none for requests stored before packaging existed). */
  packagingTasks(requestId: string): Promise<PackagingTaskRow[]>;
}

/** What a task transition writes (core/transitions.ts): the status, its event, reminders cancelled, deliveries queued. */
export interface TransitionWrites {
  setTaskStatus(requestId: string, taskId: string, status: TaskStatus, now: string): Promise<void>;
  insertEvents(events: EventRow[]): Promise<void>;
  /** Cancels the not-yet-due deliveries about a task (all of the request's when taskId is undefined). */
  cancelReminders(requestId: string, taskId: string | undefined, now: string): Promise<void>;
  /** Adds deliveries to the outbox; a delivery id already there is left as it is. */
  insertOutbox(rows: OutboxRow[]): Promise<void>;
  /** Deletes each of these blobs that no row names (after a refused or failed write). */
  releaseBlobs(keys: string[]): Promise<void>;
  /** A packaging task whose tasks are all completed becomes due (waiting → pending); false if it was not waiting. */
  startPackaging(requestId: string, packagingTaskId: string, now: string): Promise<boolean>;
  /** A packaging task still `created` becomes `failed` for good; false if it had ended already. */
  failPackaging(requestId: string, packagingTaskId: string, error: { code: string; message: string }, now: string): Promise<boolean>;
}

/** The integrator's writes and searches (core/requests.ts, the 16 DocumentService operations). */
export interface RequestWrites {
  insertRequests(list: NewRequest[]): Promise<void>;
  /** Marks requests deleted; returns the ids that were live before. */
  deleteRequests(serviceId: number, requestIds: string[], now: string): Promise<string[]>;
  insertTask(task: TaskRow, docs: TaskDocumentRow[], documents: DocumentRow[]): Promise<void>;
  setClientStatus(requestId: string, taskId: string, clientStatus: string, now: string): Promise<void>;
  insertArtifact(a: ArtifactRow): Promise<void>;
  insertNotification(n: NotificationRow): Promise<void>;
  disableNotifications(requestId: string, scope: string, ids: string[]): Promise<void>;
  /** Cancels the undelivered deliveries of these notifications (disableNotification). */
  cancelDeliveries(requestId: string, scope: string, notificationIds: string[], now: string): Promise<void>;
  findTasks(serviceId: number, filter: CompiledFilter, page: Page): Promise<TaskInfo[]>;
  countTasks(serviceId: number, filter: CompiledFilter): Promise<number>;
  /** Which of these (request, task) pairs exist for the service. */
  existingTasks(serviceId: number, pairs: Array<{ requestId: string; taskId: string }>): Promise<Set<string>>;
  insertUserSession(s: UserSessionRow): Promise<void>;
  /** SDS entries of this service by id (others' ids are simply absent). */
  sdsDocuments(serviceId: number, ids: string[]): Promise<Map<string, SdsEntry>>;
  /** A request now uses these SDS entries: they live until `expiresAt`. */
  touchSds(ids: string[], now: string, expiresAt: string): Promise<void>;
  /** Archive entries of this service by id. */
  archiveDocuments(serviceId: number, ids: string[]): Promise<Map<string, ArchiveEntry>>;
  /** Copies documents into the archive (same blobs); a package made here has no source request. */
  insertArchive(
    serviceId: number,
    entries: Array<ArchiveEntry & { createdAt: string; requestId?: string; documentId?: string }>,
  ): Promise<void>;
  /** A new SDS entry whose blob is already stored (a package made here, core/packaging.ts). */
  insertSds(entry: NewSdsEntry): Promise<void>;
}

/** The signer's writes (core/signer.ts): uploads, single-sign-on artifacts, signed results. */
export interface SignerWrites {
  /** The bytes a signer uploaded for an upload-document (document-action type upload); a replaced upload's blob goes when unused. */
  setDocumentBytes(
    requestId: string,
    documentId: string,
    b: { blobKey: string; sha256: string; size: number; mimeType: string },
  ): Promise<void>;
  /**
   * An interactive form filled by the signer: the merged PDF becomes the document's bytes, the original
   * is kept as form_original_blob_key, the fields with their values as form_fields; an earlier merged
   * PDF goes when unused.
   */
  setFormFilled(
    requestId: string,
    documentId: string,
    merged: { blobKey: string; sha256: string; size: number },
    originalBlobKey: string,
    fields: FormField[],
  ): Promise<void>;
  /** Marks an unused, unexpired artifact of this task used; false when there is none such. */
  useArtifact(hash: string, requestId: string, taskId: string, now: string): Promise<boolean>;
  /** Marks an unused, unexpired artifact of this user session used; false when there is none such. */
  useSessionArtifact(hash: string, userSessionId: string, now: string): Promise<boolean>;
  /** A user session of this service (createUserSession); null when unknown or another service's. */
  userSession(serviceId: number, id: string): Promise<UserSessionRow | null>;
  /** Records a document's signed result (the sealed LTV-SDO) and where getStatus points for it. */
  setResult(requestId: string, taskId: string, documentId: string, r: { blobKey: string; sha256: string; uri: string }): Promise<void>;
}

/** What the packaging job writes (core/packagingrun.ts). */
export interface PackagingWrites {
  /** The packaging task with its service's name, read for a run of its job; null when unknown. */
  packagingJob(requestId: string, packagingTaskId: string): Promise<{ row: PackagingTaskRow; serviceName: string } | null>;
  /** One more run of the job begins (the count survives lost jobs); returns the count. */
  countPackagingAttempt(requestId: string, packagingTaskId: string, now: string): Promise<number>;
  /** The package is made: a still `created` packaging task becomes `completed`; false if it had ended already. */
  completePackaging(requestId: string, packagingTaskId: string, result: PackagingResult, now: string): Promise<boolean>;
}

/** A seal job's state: due for the relay, in the queue, or ended (the package stored, or given up). */
export type SealJobStatus = 'pending' | 'queued' | 'done' | 'failed';

/** What the package needs besides the native signature, kept with the seal job (no CPR: it is read from the task). */
export interface SealContext {
  /** the portal's audit trail up to the signature, times as ISO 8601 */
  audit: Array<{ time: string; type: string; text: string }>;
  userAgent?: string;
  clientIp?: string;
  /** an authentication-based signature: who the eID vouched for, and the eID's answer that commits to the act */
  authentication?: AuthenticationEvidence;
  /** a handwriting-only signature (no eID): the package describes a simple electronic signature */
  handwritingOnly?: boolean;
}

/**
 * An authentication-based signature's evidence (docs/oidc-eid.md): the person as the eID's answer names
 * them, and that answer as received — an OpenID Connect ID token whose nonce commits to the task, the sign
 * text and the documents' digests, with the broker's JWKS and discovery document as fetched — so that the
 * LTV-SDO can be rechecked without the broker (segl verify).
 */
export interface AuthenticationEvidence {
  protocol: 'openid-connect';
  /** the task's method name (the service's OIDC method) */
  method: string;
  signer: { name: string; pid?: string; nationalId?: string; nationality?: string };
  issuer: string;
  clientId: string;
  /** compact JWS, as received from the token endpoint */
  idToken: string;
  /** the bytes as fetched, base64 */
  jwks: string;
  discovery: string;
  /** userinfo's JSON, base64, when a claim came from it (not signed by the broker) */
  userinfo?: string;
  /** what the nonce is computed from (trust/oidc/nonce.ts) */
  nonceInputs: { taskId: string; signText: string; documents: ReadonlyArray<{ id: string; sha256: string }> };
}

/** One act of signing waiting for (or done with) its seal: the row is the seal job's outbox (core/sealrun.ts). */
export interface SealJobRow {
  requestId: string;
  taskId: string;
  /** the act's number within its signTask (0 …): one package per act */
  act: number;
  serviceId: number;
  documentIds: string[];
  /** the signer's native XAdES, until the sealed package is stored */
  nativeXml?: string;
  context: SealContext;
  status: SealJobStatus;
  attempts: number;
  dueAt: string;
  error?: string;
  createdAt: string;
  updatedAt: string;
  finishedAt?: string;
}

/** A seal job's key. */
export interface SealJobKey {
  requestId: string;
  taskId: string;
  act: number;
}

/** What signing writes for the seal job and what the job itself reads and writes (core/signer.ts, core/sealrun.ts). */
export interface SealWrites {
  insertSealJobs(rows: SealJobRow[]): Promise<void>;
  /** The task's seal jobs (without their native signature), by act. */
  sealJobs(requestId: string, taskId: string): Promise<SealJobRow[]>;
  /** One seal job with its native signature and its service's name; null when unknown. */
  sealJob(key: SealJobKey): Promise<{ row: SealJobRow; serviceName: string } | null>;
  /** A queued job's run begins: its attempts counted, if it is still queued with `attempts` runs; false otherwise. */
  beginSealRun(key: SealJobKey, attempts: number, now: string): Promise<boolean>;
  /** The job ends (done or failed) and forgets its native signature; false when it had ended already. */
  endSealJob(key: SealJobKey, status: 'done' | 'failed', error: string | undefined, now: string): Promise<boolean>;
  /** A queued job is due again at `dueAt` (pending for the relay); false when it is no longer queued. */
  retrySealJob(key: SealJobKey, dueAt: string, error: string, now: string): Promise<boolean>;
  /** The head of the request's history chain (docs/audit.md): its last event's seq and hash; undefined before any. */
  historyHead(requestId: string): Promise<{ seq: number; hash: string } | undefined>;
}

/** What the timers find due (core/housekeeping.ts). */
export interface HousekeepingReads {
  /** Live requests whose days-until-deletion has run out by `now`, oldest first. */
  requestsDue(now: string, limit: number): Promise<Array<{ id: string; serviceId: number }>>;
  /** Open tasks of live requests whose days-to-live ran out by `now`, oldest first. */
  tasksDue(now: string, limit: number): Promise<Array<{ requestId: string; taskId: string; serviceId: number }>>;
}

/** Every part together: what store/ implements. */
export interface DocumentTx
  extends RequestReads, TransitionWrites, RequestWrites, SignerWrites, HousekeepingReads, PackagingWrites, SealWrites {}

/** A document in the archive. */
export interface ArchiveEntry {
  id: string;
  mimeType: string;
  size: number;
  sha256: string;
  blobKey: string;
}

/** What the core needs to know of an SDS upload. */
export interface SdsEntry {
  id: string;
  mimeType: string;
  size: number;
  sha256: string;
  blobKey: string;
}

/** An SDS entry as written: whose it is, and until when it lives. Times are ISO 8601 UTC. */
export interface NewSdsEntry extends SdsEntry {
  serviceId: number;
  createdAt: string;
  expiresAt: string;
}

/** Opens one transaction and runs `work` in it; `Tx` is the part of the port the caller may use. */
export interface TxStore<Tx> {
  tx<T>(work: (tx: Tx) => Promise<T>): Promise<T>;
}

export type DocumentStore = TxStore<DocumentTx>;

/** Stores bytes; returns a key (filesystem now, S3-compatible later). */
export interface BlobSink {
  /** `created`: this call wrote the blob (it did not exist), so a refusal may take it back. */
  putBytes(bytes: Uint8Array): Promise<{ key: string; sha256: string; size: number; created?: boolean }>;
  /** null when the store has no blob under `key` (an unreachable store throws). */
  stat(key: string): Promise<{ size: number } | null>;
}

/** Reads bytes back by key (the documents a signer signs). */
export interface BlobSource {
  getBytes(key: string): Promise<Uint8Array>;
}

export interface Clock {
  now(): Date;
}

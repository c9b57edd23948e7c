// The first schema, written once for both drivers: only the id, boolean and text types differ.
export interface Dialect {
  serial: string;
  bool: string;
  text: string;
  falseValue: string;
}

export const SQLITE: Dialect = { serial: 'integer PRIMARY KEY AUTOINCREMENT', bool: 'boolean', text: 'text', falseValue: '0' };
export const POSTGRES: Dialect = { serial: 'serial PRIMARY KEY', bool: 'boolean', text: 'text', falseValue: 'false' };

const v = (n: number) => `varchar(${n})`;
const T = v(30); // ISO-8601 time

/** Indexes only where a query needs one: each extra index is another B-tree write per insert. */
export function initSql(d: Dialect): string[] {
  return [
    `CREATE TABLE service (id ${d.serial}, name ${v(64)} NOT NULL UNIQUE, password_hash ${v(255)} NOT NULL,
      public ${d.bool} NOT NULL DEFAULT ${d.falseValue}, created_at ${T} NOT NULL, updated_at ${T} NOT NULL)`,
    `CREATE TABLE request (id ${v(64)} PRIMARY KEY, service_id integer NOT NULL REFERENCES service(id),
      created_at ${T} NOT NULL, updated_at ${T} NOT NULL, deleted ${d.bool} NOT NULL DEFAULT ${d.falseValue},
      client_reference ${v(1024)}, account ${v(128)}, delete_after ${T}, body ${d.text} NOT NULL)`,
    `CREATE TABLE task (request_id ${v(64)} NOT NULL REFERENCES request(id), task_id ${v(128)} NOT NULL,
      service_id integer NOT NULL, ordinal integer NOT NULL, status ${v(16)} NOT NULL, client_status ${v(1024)},
      created_at ${T} NOT NULL, updated_at ${T} NOT NULL, expires_at ${T} NOT NULL, body ${d.text} NOT NULL,
      uid ${v(200)} NOT NULL, document_id ${v(128)}, archive_id ${v(128)}, account ${v(128)}, language ${v(16)},
      document_description ${v(1024)}, mime_type ${v(255)}, subject_first_name ${v(256)}, subject_last_name ${v(256)},
      subject_email ${v(256)}, subject_national_id ${v(256)}, subject_mobile ${v(256)}, authentication_type ${v(1024)},
      signer ${v(256)}, sender_unique_id ${v(128)}, client_reference ${v(1024)}, days_to_live integer,
      PRIMARY KEY (request_id, task_id))`,
    `CREATE INDEX task_service_created ON task (service_id, created_at)`,
    `CREATE TABLE task_document (request_id ${v(64)} NOT NULL, task_id ${v(128)} NOT NULL, document_id ${v(128)} NOT NULL,
      ordinal integer NOT NULL, action_type ${v(16)} NOT NULL, description ${v(1024)}, mime_type ${v(255)},
      archive_id ${v(128)}, result_uri ${v(2048)}, PRIMARY KEY (request_id, task_id, document_id),
      FOREIGN KEY (request_id, task_id) REFERENCES task(request_id, task_id))`,
    `CREATE TABLE document (request_id ${v(64)} NOT NULL REFERENCES request(id), document_id ${v(128)} NOT NULL,
      kind ${v(32)} NOT NULL, mime_type ${v(255)}, description ${v(1024)}, blob_key ${v(255)}, sha256 ${v(64)},
      size integer, PRIMARY KEY (request_id, document_id))`,
    `CREATE TABLE event (id ${d.serial}, request_id ${v(64)} NOT NULL REFERENCES request(id), task_id ${v(128)},
      type ${v(48)} NOT NULL, time ${T} NOT NULL, data ${d.text})`,
    `CREATE INDEX event_request ON event (request_id, id)`,
    `CREATE TABLE artifact (hash ${v(64)} PRIMARY KEY, request_id ${v(64)}, task_id ${v(128)}, user_session_id ${v(64)},
      expires_at ${T} NOT NULL, used_at ${T})`,
    `CREATE TABLE notification (request_id ${v(64)} NOT NULL REFERENCES request(id), scope ${v(160)} NOT NULL,
      notification_id ${v(128)} NOT NULL, disabled ${d.bool} NOT NULL DEFAULT ${d.falseValue}, body ${d.text} NOT NULL,
      PRIMARY KEY (request_id, scope, notification_id))`,
    `CREATE TABLE user_session (id ${v(64)} PRIMARY KEY, service_id integer NOT NULL REFERENCES service(id),
      created_at ${T} NOT NULL, body ${d.text} NOT NULL)`,
  ];
}

export const INIT_TABLES = ['user_session', 'notification', 'artifact', 'event', 'document', 'task_document', 'task', 'request', 'service'];

/** Session Data Storage: documents uploaded over REST, until they expire. */
export function sdsSql(_d: Dialect): string[] {
  return [
    `CREATE TABLE sds_document (id ${v(64)} PRIMARY KEY, service_id integer NOT NULL REFERENCES service(id),
      mime_type ${v(255)} NOT NULL, size bigint NOT NULL, sha256 ${v(64)} NOT NULL, blob_key ${v(64)} NOT NULL,
      created_at ${T} NOT NULL, last_used_at ${T} NOT NULL, expires_at ${T} NOT NULL)`,
    `CREATE INDEX sds_document_expires ON sds_document (expires_at)`,
    `CREATE INDEX sds_document_blob ON sds_document (blob_key)`,
    `CREATE INDEX document_blob ON document (blob_key)`,
  ];
}
export const SDS_TABLES = ['sds_document'];
export const SDS_INDEXES = ['document_blob'];

/** The archive: documents kept without a time limit, independent of the request they came from. */
export function archiveSql(_d: Dialect): string[] {
  return [
    `CREATE TABLE archive_document (id ${v(64)} PRIMARY KEY, service_id integer NOT NULL REFERENCES service(id),
      mime_type ${v(255)} NOT NULL, size bigint NOT NULL, sha256 ${v(64)} NOT NULL, blob_key ${v(64)} NOT NULL,
      created_at ${T} NOT NULL, source_request_id ${v(64)}, source_document_id ${v(128)})`,
    `CREATE INDEX archive_document_blob ON archive_document (blob_key)`,
    `CREATE INDEX request_delete_after ON request (delete_after)`,
  ];
}
export const ARCHIVE_TABLES = ['archive_document'];
export const ARCHIVE_INDEXES = ['request_delete_after'];

/** Certificates issued by segl's test CA, with their revocation state (for OCSP and the CRL). */
export function certificateSql(d: Dialect): string[] {
  return [
    `CREATE TABLE certificate (serial ${v(64)} PRIMARY KEY, kind ${v(16)} NOT NULL, subject ${v(512)} NOT NULL,
      pid ${v(64)}, status ${v(16)} NOT NULL, reason ${v(32)}, revoked_at ${T}, not_before ${T} NOT NULL,
      not_after ${T} NOT NULL, created_at ${T} NOT NULL, pem ${d.text} NOT NULL)`,
    `CREATE INDEX certificate_status ON certificate (status)`,
  ];
}
export const CERTIFICATE_TABLES = ['certificate'];

/** Signed results (the sealed LTV-SDO) of a task's documents live in the blob store too. */
export function resultSql(_d: Dialect): string[] {
  return [
    `ALTER TABLE task_document ADD COLUMN result_blob_key ${v(64)}`,
    `ALTER TABLE task_document ADD COLUMN result_sha256 ${v(64)}`,
    `CREATE INDEX task_document_result_blob ON task_document (result_blob_key)`,
  ];
}

/**
 * Notifications: the outbox (one row per delivery, written in the transaction of the state change
 * that causes it; the relay moves due rows to the queues and workers record the outcome here, so it
 * is also the delivery log), each service's callback allowlist and webhook signing secret, and the
 * CPR numbers collected by PID-CPR (kept while in use, purged after 3 months unused).
 */
export function outboxSql(d: Dialect): string[] {
  return [
    `CREATE TABLE outbox (delivery_id ${v(64)} PRIMARY KEY, request_id ${v(64)} NOT NULL, task_id ${v(128)},
      scope ${v(160)} NOT NULL, notification_id ${v(128)} NOT NULL, channel ${v(8)} NOT NULL, trigger_state ${v(16)} NOT NULL,
      due_at ${T} NOT NULL, status ${v(12)} NOT NULL, attempts integer NOT NULL DEFAULT 0, queued_at ${T},
      last_error ${d.text}, created_at ${T} NOT NULL, updated_at ${T} NOT NULL, delivered_at ${T})`,
    `CREATE INDEX outbox_status_due ON outbox (status, due_at)`,
    `CREATE INDEX outbox_request ON outbox (request_id, task_id)`,
    `CREATE INDEX task_open_expires ON task (expires_at) WHERE status = 'created'`,
    `ALTER TABLE service ADD COLUMN callback_allow ${d.text}`,
    `ALTER TABLE service ADD COLUMN webhook_secret ${v(128)}`,
    `CREATE TABLE cpr_number (pid ${v(64)} PRIMARY KEY, cpr ${v(16)} NOT NULL, created_at ${T} NOT NULL, last_used_at ${T} NOT NULL)`,
    `CREATE INDEX cpr_number_last_used ON cpr_number (last_used_at)`,
  ];
}
export const OUTBOX_DOWN = [
  'DROP INDEX cpr_number_last_used',
  'DROP TABLE cpr_number',
  'ALTER TABLE service DROP COLUMN webhook_secret',
  'ALTER TABLE service DROP COLUMN callback_allow',
  'DROP INDEX task_open_expires',
  'DROP INDEX outbox_request',
  'DROP INDEX outbox_status_due',
  'DROP TABLE outbox',
];

/**
 * The test eID environment (NemID-style): test users with their centrally held key (sealed) and
 * certificate, key cards (codes sealed per card; one row per code for use and lookup by MAC),
 * login/signing challenges, each user's transaction log, and the PID-CPR mode per service. The
 * stored CPR numbers become encrypted text: the table is recreated with a text column (the old
 * plaintext values are dropped, not carried over: users type their CPR again once).
 */
export function testEidSql(d: Dialect): string[] {
  return [
    `CREATE TABLE test_user (id ${d.serial}, alias ${v(32)} NOT NULL UNIQUE, password_hash ${v(255)} NOT NULL,
      first_name ${v(128)} NOT NULL, last_name ${v(128)} NOT NULL, cpr_mac ${v(64)} NOT NULL UNIQUE, cpr ${d.text} NOT NULL,
      address ${v(512)} NOT NULL, pid ${v(32)} NOT NULL UNIQUE, cert_serial ${v(64)} NOT NULL, cert_pem ${d.text} NOT NULL,
      private_key ${d.text} NOT NULL, failed_attempts integer NOT NULL DEFAULT 0, locked_at ${T},
      created_at ${T} NOT NULL, updated_at ${T} NOT NULL)`,
    `CREATE TABLE key_card (id ${v(16)} PRIMARY KEY, user_id integer NOT NULL REFERENCES test_user(id),
      codes ${d.text} NOT NULL, created_at ${T} NOT NULL)`,
    `CREATE INDEX key_card_user ON key_card (user_id, created_at)`,
    `CREATE TABLE key_code (card_id ${v(16)} NOT NULL REFERENCES key_card(id), key_number ${v(4)} NOT NULL,
      code_mac ${v(64)} NOT NULL, used_at ${T}, used_by ${v(64)}, PRIMARY KEY (card_id, key_number))`,
    `CREATE TABLE testid_challenge (id ${v(64)} PRIMARY KEY, user_id integer NOT NULL REFERENCES test_user(id),
      purpose ${v(8)} NOT NULL, card_id ${v(16)} NOT NULL, key_number ${v(4)} NOT NULL, created_at ${T} NOT NULL,
      expires_at ${T} NOT NULL, used_at ${T}, used_by ${v(64)})`,
    `CREATE INDEX testid_challenge_expires ON testid_challenge (expires_at)`,
    `CREATE TABLE testid_log (id ${d.serial}, user_id integer NOT NULL REFERENCES test_user(id), time ${T} NOT NULL,
      type ${v(32)} NOT NULL, detail ${d.text})`,
    `CREATE INDEX testid_log_user ON testid_log (user_id, id)`,
    `CREATE TABLE pidcpr_mode (service_id integer PRIMARY KEY, mode ${v(8)} NOT NULL, updated_at ${T} NOT NULL)`,
    'DROP INDEX cpr_number_last_used',
    'DROP TABLE cpr_number',
    `CREATE TABLE cpr_number (pid ${v(64)} PRIMARY KEY, cpr ${d.text} NOT NULL, created_at ${T} NOT NULL, last_used_at ${T} NOT NULL)`,
    `CREATE INDEX cpr_number_last_used ON cpr_number (last_used_at)`,
  ];
}
export const TEST_EID_DOWN = [
  'DROP INDEX cpr_number_last_used',
  'DROP TABLE cpr_number',
  `CREATE TABLE cpr_number (pid ${v(64)} PRIMARY KEY, cpr ${v(16)} NOT NULL, created_at ${T} NOT NULL, last_used_at ${T} NOT NULL)`,
  'CREATE INDEX cpr_number_last_used ON cpr_number (last_used_at)',
  'DROP TABLE pidcpr_mode',
  'DROP INDEX testid_log_user',
  'DROP TABLE testid_log',
  'DROP INDEX testid_challenge_expires',
  'DROP TABLE testid_challenge',
  'DROP TABLE key_code',
  'DROP INDEX key_card_user',
  'DROP TABLE key_card',
  'DROP TABLE test_user',
];

/** The portal's graphical profiles per service: colours, logo and text overrides, chosen by `profile`. */
export function profileSql(d: Dialect): string[] {
  return [
    `CREATE TABLE portal_profile (service_id integer NOT NULL REFERENCES service(id), name ${v(64)} NOT NULL,
      body ${d.text} NOT NULL, updated_at ${T} NOT NULL, PRIMARY KEY (service_id, name))`,
  ];
}

/** The portal's sessions (issue 10): kept here, not in the cookie, so they stay small whatever the task. */
export function portalSessionSql(d: Dialect): string[] {
  return [
    `CREATE TABLE portal_session (id_hash ${v(64)} PRIMARY KEY, expires_at ${T} NOT NULL, data ${d.text} NOT NULL)`,
    `CREATE INDEX portal_session_expires ON portal_session (expires_at)`,
  ];
}

/**
 * Data at rest (issue 10): subjects' national ids are stored sealed (AES-256-GCM, store/atrest.ts)
 * with an HMAC beside them for findTasks' equals; sealed values are longer than the plain ones, so
 * PostgreSQL's columns become text (SQLite does not enforce varchar lengths). Rows written in clear
 * before this are sealed by encryptLegacyRows (./encrypt.ts) at start: it needs SEGL_SECRET, which
 * migrations do not have; `data_migration` records that it ran.
 */
export function atRestSql(d: Dialect): string[] {
  return [
    `ALTER TABLE task ADD COLUMN subject_national_id_mac ${v(64)}`,
    `CREATE INDEX task_national_id_mac ON task (service_id, subject_national_id_mac)`,
    ...(d === POSTGRES
      ? ['ALTER TABLE task ALTER COLUMN subject_national_id TYPE text', 'ALTER TABLE service ALTER COLUMN webhook_secret TYPE text']
      : []),
    `CREATE TABLE data_migration (name ${v(64)} PRIMARY KEY, done_at ${T} NOT NULL)`,
  ];
}
export const AT_REST_DOWN = [
  'DROP TABLE data_migration',
  'DROP INDEX task_national_id_mac',
  'ALTER TABLE task DROP COLUMN subject_national_id_mac',
];

/**
 * Packaging tasks (reference packagingservice-v4 §2): one row per request/packaging-task with its
 * status (created → completed | failed), the job's state (`job`: waiting for its tasks, pending for
 * the relay, queued in segl-packaging, done), the runs begun, the package made (an SDS or archive id
 * and its blob, counted as a blob reference) or the error. The row doubles as the job's outbox: it
 * becomes `pending` in the transaction that completes the last task it names.
 */
export function packagingSql(d: Dialect): string[] {
  return [
    `CREATE TABLE packaging_task (request_id ${v(64)} NOT NULL REFERENCES request(id), packaging_task_id ${v(128)} NOT NULL,
      service_id integer NOT NULL, method ${v(255)} NOT NULL, send_to_archive ${d.bool} NOT NULL DEFAULT ${d.falseValue},
      documents ${d.text} NOT NULL, status ${v(16)} NOT NULL, job ${v(8)} NOT NULL, attempts integer NOT NULL DEFAULT 0,
      result_kind ${v(8)}, result_id ${v(64)}, result_blob_key ${v(64)}, result_sha256 ${v(64)}, error_code ${v(64)},
      error_message ${d.text}, created_at ${T} NOT NULL, updated_at ${T} NOT NULL, queued_at ${T}, finished_at ${T},
      PRIMARY KEY (request_id, packaging_task_id))`,
    `CREATE INDEX packaging_task_job ON packaging_task (job, updated_at)`,
    `CREATE INDEX packaging_task_result_blob ON packaging_task (result_blob_key)`,
  ];
}
export const PACKAGING_DOWN = ['DROP INDEX packaging_task_result_blob', 'DROP INDEX packaging_task_job', 'DROP TABLE packaging_task'];

/**
 * Packaging methods per service (PackagingService v4 `packaging-method`): language, masking, PDF/A and
 * an optional cover template. The template's bytes are kept in the row (base64 text), as profile
 * logos are: small operator-supplied files that live as long as the row, outside the blob store's
 * request lifecycle (its orphan sweep deletes any blob no document row names).
 */
export function packagingMethodSql(d: Dialect): string[] {
  return [
    `CREATE TABLE packaging_method (service_id integer NOT NULL REFERENCES service(id), name ${v(40)} NOT NULL,
      language ${v(8)} NOT NULL, mask_national_id ${d.bool} NOT NULL, pdfa ${d.bool} NOT NULL, description ${v(1024)},
      template ${d.text}, template_sha256 ${v(64)}, template_size integer, updated_at ${T} NOT NULL,
      PRIMARY KEY (service_id, name))`,
  ];
}

/**
 * Each delivery sent once (issue 13): the job a queued row belongs to (several rows per job; not
 * indexed: a job names its rows, found by primary key, and an index would be rewritten by every
 * status change), and the claim a worker takes before sending (status `sending`, a token per run and its time): only the
 * claim's holder settles the row, and the relay hands a claim back only after a lease with its job
 * gone. Rows queued by earlier versions keep their job's id (`<delivery-id>-<attempts>`).
 */
export function outboxClaimsSql(): string[] {
  return [
    `ALTER TABLE outbox ADD COLUMN job_id ${v(64)}`,
    `ALTER TABLE outbox ADD COLUMN claim ${v(36)}`,
    `ALTER TABLE outbox ADD COLUMN claimed_at ${T}`,
    `UPDATE outbox SET job_id = delivery_id || '-' || CAST(attempts AS varchar(12)) WHERE status = 'queued'`,
  ];
}
export const OUTBOX_CLAIMS_DOWN = [
  `UPDATE outbox SET status = 'queued' WHERE status = 'sending'`,
  'ALTER TABLE outbox DROP COLUMN claimed_at',
  'ALTER TABLE outbox DROP COLUMN claim',
  'ALTER TABLE outbox DROP COLUMN job_id',
];

/**
 * Sealing as durable work (docs/ltvsdo.md): one row per act of signing, written in the transaction
 * that records the signer's act. It keeps the native signature (`native_xml`, until the package is
 * stored; then NULL), what the package's audit trail and contexts need (`context`, JSON), and the
 * job's state: pending (due for the relay at `due_at`) → queued (in segl-seal) → done | failed, with
 * the runs begun (`attempts`) and the last error. The row is the seal job's outbox.
 */
export function sealSql(d: Dialect): string[] {
  return [
    `CREATE TABLE seal_job (request_id ${v(64)} NOT NULL REFERENCES request(id), task_id ${v(128)} NOT NULL, act integer NOT NULL,
      service_id integer NOT NULL, document_ids ${d.text} NOT NULL, native_xml ${d.text}, context ${d.text} NOT NULL,
      status ${v(8)} NOT NULL, attempts integer NOT NULL DEFAULT 0, due_at ${T} NOT NULL, queued_at ${T}, error ${d.text},
      created_at ${T} NOT NULL, updated_at ${T} NOT NULL, finished_at ${T},
      PRIMARY KEY (request_id, task_id, act), FOREIGN KEY (request_id, task_id) REFERENCES task(request_id, task_id))`,
    `CREATE INDEX seal_job_due ON seal_job (status, due_at)`,
  ];
}
export const SEAL_DOWN = ['DROP INDEX seal_job_due', 'DROP TABLE seal_job'];

/**
 * The authentication service (issue 14): per service, the targets a login may answer to (an exact
 * origin and a path prefix, set with `segl service set --auth-target`); and the login transactions
 * that are not tasks (src/eid/authn): keyed by the SHA-256 of their id, bound to the portal session
 * that started them (the SHA-256 of its id), their state sealed (it holds the PID), single use
 * (`finished_at`), and gone after `expires_at`.
 */
export function authnSql(d: Dialect): string[] {
  return [
    `CREATE TABLE auth_target (service_id integer NOT NULL REFERENCES service(id), url ${v(2048)} NOT NULL, created_at ${T} NOT NULL,
      PRIMARY KEY (service_id, url))`,
    `CREATE TABLE login_transaction (id_hash ${v(64)} PRIMARY KEY, service_id integer NOT NULL REFERENCES service(id),
      session_hash ${v(64)} NOT NULL, data ${d.text} NOT NULL, created_at ${T} NOT NULL, expires_at ${T} NOT NULL, finished_at ${T})`,
    `CREATE INDEX login_transaction_expires ON login_transaction (expires_at)`,
  ];
}
export const AUTHN_DOWN = ['DROP INDEX login_transaction_expires', 'DROP TABLE login_transaction', 'DROP TABLE auth_target'];

/**
 * Employee (MOCES-style) test users of the test eID: the organisation's name, its CVR number and the
 * employee's RID. NULL for personal users; one employee per CVR number and RID.
 */
export function testEmployeeSql(): string[] {
  return [
    `ALTER TABLE test_user ADD COLUMN organisation ${v(200)}`,
    `ALTER TABLE test_user ADD COLUMN cvr ${v(8)}`,
    `ALTER TABLE test_user ADD COLUMN rid ${v(16)}`,
    `CREATE UNIQUE INDEX test_user_cvr_rid ON test_user (cvr, rid)`,
  ];
}
export const TEST_EMPLOYEE_DOWN = [
  'DROP INDEX test_user_cvr_rid',
  'ALTER TABLE test_user DROP COLUMN rid',
  'ALTER TABLE test_user DROP COLUMN cvr',
  'ALTER TABLE test_user DROP COLUMN organisation',
];

/**
 * OpenID Connect eID methods per service (issue 14 part 4, docs/oidc-eid.md): the method's JSON
 * config without its secrets, and the client secret or private key sealed (store/atrest.ts) in
 * `secret`. `eid_oidc_login` keeps each login begun at a broker (state, nonce, PKCE verifier, sealed
 * in `data`) until its callback takes it once, or it expires (10 minutes); keyed by the SHA-256 of
 * the state, bound to the SHA-256 of the portal session id.
 */
export function oidcEidSql(d: Dialect): string[] {
  return [
    `CREATE TABLE eid_oidc_method (service_id integer NOT NULL REFERENCES service(id), name ${v(40)} NOT NULL,
      config ${d.text} NOT NULL, secret ${d.text}, created_at ${T} NOT NULL, updated_at ${T} NOT NULL,
      PRIMARY KEY (service_id, name))`,
    `CREATE TABLE eid_oidc_login (state_hash ${v(64)} PRIMARY KEY, session_hash ${v(64)} NOT NULL,
      service_id integer NOT NULL, data ${d.text} NOT NULL, expires_at ${T} NOT NULL)`,
    `CREATE INDEX eid_oidc_login_expires ON eid_oidc_login (expires_at)`,
  ];
}
export const OIDC_EID_DOWN = ['DROP INDEX eid_oidc_login_expires', 'DROP TABLE eid_oidc_login', 'DROP TABLE eid_oidc_method'];

/**
 * SAML 2.0 service providers (issue 14, docs/authentication.md): one row per SP registered from its
 * metadata for a service, found by its entityID (unique: it is the AuthnRequest's Issuer). `acs` is
 * JSON (HTTP-POST AssertionConsumerService URLs with index and isDefault), `certificates` JSON
 * (base64 DER signing certificates); the metadata itself is kept as given. `saml_request_seen` is the
 * replay cache of AuthnRequest IDs per SP, kept until their IssueInstant can no longer be accepted.
 */
export function samlSpSql(d: Dialect): string[] {
  return [
    `CREATE TABLE saml_sp (id ${d.serial}, service_id integer NOT NULL REFERENCES service(id), entity_id ${v(1024)} NOT NULL UNIQUE,
      acs ${d.text} NOT NULL, certificates ${d.text} NOT NULL, authn_requests_signed ${d.bool} NOT NULL,
      want_assertions_signed ${d.bool} NOT NULL, metadata ${d.text} NOT NULL, created_at ${T} NOT NULL)`,
    `CREATE TABLE saml_request_seen (sp_id integer NOT NULL REFERENCES saml_sp(id) ON DELETE CASCADE, request_id ${v(256)} NOT NULL,
      expires_at ${T} NOT NULL, PRIMARY KEY (sp_id, request_id))`,
  ];
}
export const SAML_SP_DOWN = ['DROP TABLE saml_request_seen', 'DROP TABLE saml_sp'];

/**
 * segl's OpenID provider for integrators (issue 14 part 3, src/eid/op): its clients, one or more per
 * service (`segl oidc client add`), the secret sealed under SEGL_SECRET; and oidc-provider's storage
 * (interactions, sessions, grants, authorization codes, access tokens, the logins' identities), one
 * row per model and id, the payload sealed, shared by every api process: `consumed_at` is set once
 * (a code redeemed twice is refused whichever process sees it), and rows past `expires_at` go.
 */
export function oidcOpSql(d: Dialect): string[] {
  return [
    `CREATE TABLE oidc_op_client (client_id ${v(64)} PRIMARY KEY, service_id integer NOT NULL REFERENCES service(id),
      name ${v(200)} NOT NULL, redirect_uris ${d.text} NOT NULL, public ${d.bool} NOT NULL, token_auth ${v(32)} NOT NULL,
      secret ${d.text}, created_at ${T} NOT NULL)`,
    `CREATE TABLE oidc_op_entry (model ${v(40)} NOT NULL, id ${v(255)} NOT NULL, payload ${d.text} NOT NULL, grant_id ${v(255)},
      uid ${v(255)}, expires_at ${T} NOT NULL, consumed_at ${T}, PRIMARY KEY (model, id))`,
    `CREATE INDEX oidc_op_entry_expires ON oidc_op_entry (expires_at)`,
    `CREATE INDEX oidc_op_entry_grant ON oidc_op_entry (grant_id)`,
    `CREATE INDEX oidc_op_entry_uid ON oidc_op_entry (model, uid)`,
  ];
}
export const OIDC_OP_DOWN = [
  'DROP INDEX oidc_op_entry_uid',
  'DROP INDEX oidc_op_entry_grant',
  'DROP INDEX oidc_op_entry_expires',
  'DROP TABLE oidc_op_entry',
  'DROP TABLE oidc_op_client',
];

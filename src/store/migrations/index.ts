// One migration list per driver (column types are not portable). Each class runs the shared SQL
// with its driver's dialect.
import { FORMS_DOWN, formsSql } from './forms';
import type { MigrationInterface, QueryRunner } from 'typeorm';
import {
  profileSql,
  ARCHIVE_INDEXES,
  ARCHIVE_TABLES,
  archiveSql,
  CERTIFICATE_TABLES,
  certificateSql,
  INIT_TABLES,
  resultSql,
  initSql,
  OUTBOX_DOWN,
  outboxSql,
  POSTGRES,
  SDS_INDEXES,
  SDS_TABLES,
  sdsSql,
  SQLITE,
  TEST_EID_DOWN,
  testEidSql,
  type Dialect,
  oidcOpSql,
  OIDC_OP_DOWN,
} from './tables';
import { portalSessionSql } from './tables';
import { AT_REST_DOWN, atRestSql } from './tables';
import { PACKAGING_DOWN, packagingSql } from './tables';
import { packagingMethodSql } from './tables';
import { OUTBOX_CLAIMS_DOWN, outboxClaimsSql } from './tables';
import { SEAL_DOWN, sealSql } from './tables';
import { AUTHN_DOWN, authnSql } from './tables';
import { TEST_EMPLOYEE_DOWN, testEmployeeSql } from './tables';
import { OIDC_EID_DOWN, oidcEidSql } from './tables';
import { SAML_SP_DOWN, samlSpSql } from './tables';
import { serviceSealSql } from './serviceseals';
import { notifyTextSql } from './notifytexts';
import { PRESERVATION_DOWN, preservationSql } from './preservation';
import { feedDown, feedSql } from './feed';
import { CONSOLE_AUDIT_DOWN, consoleAuditSql } from './consoleaudit';
import { EMBEDDING_DOWN, embeddingSql } from './embedding';
import { CONSOLE_ACCOUNT_DOWN, consoleAccountSql } from './consoleaccounts';
import { auditChainMigration } from './auditchain';

function migration(name: string, dialect: Dialect, up: (d: Dialect) => string[], down: string[]): new () => MigrationInterface {
  return class implements MigrationInterface {
    name = name;
    async up(q: QueryRunner): Promise<void> {
      for (const sql of up(dialect)) await q.query(sql);
    }
    async down(q: QueryRunner): Promise<void> {
      for (const sql of down) await q.query(sql);
    }
  };
}

const all = (d: Dialect) => [
  migration(
    'Init1764316800000',
    d,
    initSql,
    INIT_TABLES.map((t) => `DROP TABLE ${t}`),
  ),
  migration('Sds1764403200000', d, sdsSql, [...SDS_INDEXES.map((i) => `DROP INDEX ${i}`), ...SDS_TABLES.map((t) => `DROP TABLE ${t}`)]),
  migration('Archive1764489600000', d, archiveSql, [
    ...ARCHIVE_INDEXES.map((i) => `DROP INDEX ${i}`),
    ...ARCHIVE_TABLES.map((t) => `DROP TABLE ${t}`),
  ]),
  migration(
    'Certificates1764576000000',
    d,
    certificateSql,
    CERTIFICATE_TABLES.map((t) => `DROP TABLE ${t}`),
  ),
  migration('Results1764662400000', d, resultSql, [
    'DROP INDEX task_document_result_blob',
    'ALTER TABLE task_document DROP COLUMN result_sha256',
    'ALTER TABLE task_document DROP COLUMN result_blob_key',
  ]),
  migration('Outbox1764748800000', d, outboxSql, OUTBOX_DOWN),
  migration('TestEid1764835200000', d, testEidSql, TEST_EID_DOWN),
  migration('Profiles1764921600000', d, profileSql, ['DROP TABLE portal_profile']),
  migration('PortalSessions1765010000000', d, portalSessionSql, ['DROP INDEX portal_session_expires', 'DROP TABLE portal_session']),
  migration('AtRest1765100000000', d, atRestSql, AT_REST_DOWN),
  migration('PackagingTasks1765200000000', d, packagingSql, PACKAGING_DOWN),
  migration('PackagingMethods1765300000000', d, packagingMethodSql, ['DROP TABLE packaging_method']),
  migration('OutboxClaims1765350000000', d, outboxClaimsSql, OUTBOX_CLAIMS_DOWN),
  migration('SealJobs1765400000000', d, sealSql, SEAL_DOWN),
  migration('Authn1765500000000', d, authnSql, AUTHN_DOWN),
  migration('TestEmployees1765520000000', d, testEmployeeSql, TEST_EMPLOYEE_DOWN),
  migration('OidcEid1765540000000', d, oidcEidSql, OIDC_EID_DOWN),
  migration('OidcOp1765550000000', d, oidcOpSql, OIDC_OP_DOWN),
  migration('SamlSps1765600000000', d, samlSpSql, SAML_SP_DOWN),
  migration('ConsoleAudit1765700000000', d, consoleAuditSql, CONSOLE_AUDIT_DOWN),
  migration('ConsoleAccounts1765710000000', d, consoleAccountSql, CONSOLE_ACCOUNT_DOWN),
  migration('EventFeed1765720000000', d, feedSql, feedDown(d)),
  migration('Embedding1765730000000', d, embeddingSql, EMBEDDING_DOWN),
  auditChainMigration(d),
  migration('Forms1765750000000', d, formsSql, FORMS_DOWN),
  migration('ServiceSeals1765770000000', d, serviceSealSql, ['DROP TABLE service_seal']),
  migration('NotifyTexts1765780000000', d, notifyTextSql, ['DROP TABLE notify_text']),
  migration('Preservation1765800000000', d, preservationSql, PRESERVATION_DOWN),
];

export const SQLITE_MIGRATIONS = all(SQLITE);
export const POSTGRES_MIGRATIONS = all(POSTGRES);

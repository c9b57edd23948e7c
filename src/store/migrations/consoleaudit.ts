// The console's audit log (issue 15 part 2, docs/console.md): every action a back-office session takes
// (withdraw, delete, resend, re-drive, extend expiry) with who took it. A table of its own, not `event`:
// getRequestHistory's event types are the fixed v3 enumeration. No foreign key to request: the rows
// are the record of what was done and outlive whatever happens to the request.
import type { Dialect } from './tables';

const T = 'varchar(30)'; // ISO-8601 time

export function consoleAuditSql(d: Dialect): string[] {
  return [
    `CREATE TABLE console_audit (id ${d.serial}, service_id integer NOT NULL REFERENCES service(id), request_id varchar(64) NOT NULL,
      task_id varchar(128), actor varchar(200) NOT NULL, action varchar(32) NOT NULL, detail ${d.text}, time ${T} NOT NULL)`,
    `CREATE INDEX console_audit_request ON console_audit (service_id, request_id, id)`,
  ];
}

export const CONSOLE_AUDIT_DOWN = ['DROP INDEX console_audit_request', 'DROP TABLE console_audit'];

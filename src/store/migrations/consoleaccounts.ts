// Console accounts (issue 15, docs/console.md "Accounts"): named clerks of a service, each with a
// scrypt password hash (the scheme of service passwords) and a role, viewer or manager; and the
// optional TOTP second factor, for each account and for the login with the service's own
// credentials (console_service_totp). A TOTP secret is sealed under SEGL_SECRET (util/secretbox.ts,
// bound to its row); `totp_on_at` is when it was confirmed with a code (NULL: not on, or enrolment
// not finished); `totp_last_step` the last step whose code was accepted (a code is good once).
import type { Dialect } from './tables';

const T = 'varchar(30)'; // ISO-8601 time

export function consoleAccountSql(d: Dialect): string[] {
  const totp = `totp_secret ${d.text}, totp_on_at ${T}, totp_last_step bigint`;
  return [
    `CREATE TABLE console_account (id ${d.serial}, service_id integer NOT NULL REFERENCES service(id),
      username varchar(64) NOT NULL, password_hash varchar(255) NOT NULL, role varchar(16) NOT NULL, ${totp},
      created_at ${T} NOT NULL, last_login_at ${T}, UNIQUE (service_id, username))`,
    `CREATE TABLE console_service_totp (service_id integer PRIMARY KEY REFERENCES service(id), ${totp})`,
  ];
}

export const CONSOLE_ACCOUNT_DOWN = ['DROP TABLE console_service_totp', 'DROP TABLE console_account'];

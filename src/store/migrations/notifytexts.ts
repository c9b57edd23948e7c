// Notification texts per service (issue 16 part 5, docs/notification-texts.md): named EMAIL/SMS
// templates, one row each, their texts per language as JSON ({lang: {subject?, body}}), checked by
// core/notifytexts.ts before they are stored.
import type { Dialect } from './tables';

export function notifyTextSql(d: Dialect): string[] {
  return [
    `CREATE TABLE notify_text (service_id integer NOT NULL REFERENCES service(id), name varchar(64) NOT NULL,
      channel varchar(8) NOT NULL, default_language varchar(8) NOT NULL, description varchar(200), texts ${d.text} NOT NULL,
      updated_at varchar(30) NOT NULL, PRIMARY KEY (service_id, name))`,
  ];
}

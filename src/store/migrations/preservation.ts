// Preservation of archived evidence (issue 17 part 1, docs/ltvsdo.md "Archive time-stamps and renewal"): what the
// preservation job records on each archived document — how often its evidence was renewed, when last, when it is
// due next (NULL: not looked at yet), why the last attempt did not renew it, and the SHA-256 of the version it
// replaced (every earlier version is a prefix of the current one: a renewal only appends).
import type { Dialect } from './tables';

export function preservationSql(d: Dialect): string[] {
  return [
    'ALTER TABLE archive_document ADD COLUMN preservation_count integer NOT NULL DEFAULT 0',
    'ALTER TABLE archive_document ADD COLUMN preserved_at varchar(30)',
    'ALTER TABLE archive_document ADD COLUMN preservation_due varchar(30)',
    `ALTER TABLE archive_document ADD COLUMN preservation_note ${d.text}`,
    'ALTER TABLE archive_document ADD COLUMN previous_sha256 varchar(64)',
    'CREATE INDEX archive_document_preservation_due ON archive_document (preservation_due)',
  ];
}

export const PRESERVATION_DOWN = [
  'DROP INDEX archive_document_preservation_due',
  'ALTER TABLE archive_document DROP COLUMN previous_sha256',
  'ALTER TABLE archive_document DROP COLUMN preservation_note',
  'ALTER TABLE archive_document DROP COLUMN preservation_due',
  'ALTER TABLE archive_document DROP COLUMN preserved_at',
  'ALTER TABLE archive_document DROP COLUMN preservation_count',
];

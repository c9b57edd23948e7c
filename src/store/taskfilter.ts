// findTasks and getTaskCount in SQL: task-filter criteria as WHERE clauses with the same semantics as
// core/filter.ts `matches`, and the sort columns.
import type { Criterion, CompiledFilter } from '../core/filter';
import type { TaskFilterField } from '../core/enums';
import type { Driver, Param } from './sql';
import type { AtRest } from './atrest';

/** task-filter-field → column; the document fields match any document of the task (d.*). */
const COLUMN: Record<TaskFilterField, string> = {
  id: 't.uid',
  'request-id': 't.request_id',
  'task-id': 't.task_id',
  'document-id': 'd.document_id',
  'archive-id': 'd.archive_id',
  account: 't.account',
  language: 't.language',
  'task-state': 't.status',
  'document-description': 'd.description',
  'mime-type': 'd.mime_type',
  'subject-first-name': 't.subject_first_name',
  'subject-last-name': 't.subject_last_name',
  'subject-email': 't.subject_email',
  'subject-national-id': 't.subject_national_id',
  'subject-mobile': 't.subject_mobile',
  'authentication-type': 't.authentication_type',
  created: 't.created_at',
  'last-updated': 't.updated_at',
  signer: 't.signer',
  'sender-unique-id': 't.sender_unique_id',
  'client-reference': 't.client_reference',
  'client-status': 't.client_status',
  'days-to-live': 't.days_to_live',
};
export const SORT_COLUMN: Record<TaskFilterField, string> = {
  ...COLUMN,
  'document-id': 't.document_id',
  'archive-id': 't.archive_id',
  'document-description': 't.document_description',
  'mime-type': 't.mime_type',
};

/** The SQL for one criterion; semantics as core/filter.ts `matches` (NULL only satisfies not-equals). */
function condition(driver: Driver, c: Criterion, params: Param[]): string {
  let col = COLUMN[c.field];
  let val = '?';
  if (c.kind === 'string' && !c.caseSensitive) {
    col = `LOWER(${col})`;
    val = 'LOWER(?)';
  }
  params.push(c.value);
  let sql: string;
  switch (c.operator) {
    case 'equals':
      sql = `${col} = ${val}`;
      break;
    case 'not-equals':
      sql = COLUMN[c.field].startsWith('d.') ? `${col} = ${val}` : `(${col} IS NULL OR ${col} <> ${val})`;
      break;
    case 'contains':
      sql = driver === 'postgres' ? `strpos(${col}, ${val}) > 0` : `instr(${col}, ${val}) > 0`;
      break;
    case 'less-than':
      sql = `${col} < ${val}`;
      break;
    case 'greater-than':
      sql = `${col} > ${val}`;
      break;
  }
  if (!COLUMN[c.field].startsWith('d.')) return sql;
  // A document field: some document of the task matches (not-equals: no document equals).
  const exists = `EXISTS (SELECT 1 FROM task_document d WHERE d.request_id = t.request_id AND d.task_id = t.task_id AND ${sql})`;
  return c.operator === 'not-equals' ? `NOT ${exists}` : exists;
}

export function where(driver: Driver, serviceId: number, f: CompiledFilter, params: Param[], k: AtRest): string {
  const parts = ['t.service_id = ?'];
  params.push(serviceId);
  for (const c of f.criteria) {
    if (c.field !== 'subject-national-id') parts.push(condition(driver, c, params));
    // sealed column: equals narrows by the lookup MAC; every national-id criterion is then checked in memory
    else if (c.operator === 'equals') {
      parts.push('t.subject_national_id_mac = ?');
      params.push(k.nationalIdMac(String(c.value)));
    }
  }
  if (f.fromDate) {
    parts.push('t.created_at >= ?');
    params.push(f.fromDate);
  }
  if (f.toDate) {
    parts.push('t.created_at <= ?');
    params.push(f.toDate);
  }
  return parts.join(' AND ');
}

// findTasks / getTaskCount filters (reference §3.11): criteria on task-filter-field with five
// operators, optional case-insensitivity, a created-date window, paging and sorting.
import { LOGICAL_OPERATORS, TASK_FILTER_FIELDS, type LogicalOperator, type TaskFilterField } from './enums';
import { ValidationError, type Violation } from './errors';
import type { TaskFilter } from './types';
import { parseXsDateTime } from './datetime';

export type FieldKind = 'string' | 'date' | 'int';

export function fieldKind(field: TaskFilterField): FieldKind {
  if (field === 'created' || field === 'last-updated') return 'date';
  if (field === 'days-to-live') return 'int';
  return 'string';
}

export interface Criterion {
  field: TaskFilterField;
  kind: FieldKind;
  operator: LogicalOperator;
  /** strings as given; dates as ISO-8601 UTC with milliseconds; ints as numbers */
  value: string | number;
  caseSensitive: boolean;
}

export interface CompiledFilter {
  criteria: Criterion[];
  fromDate?: string;
  toDate?: string;
}

export interface Page {
  offset: number;
  limit: number;
  sortField: TaskFilterField;
  ascending: boolean;
}

export const MAX_PAGE = 1000;

/** Checks a task-filter and turns it into typed criteria. Throws ValidationError. */
export function compileFilter(f: TaskFilter | undefined, path = 'filter'): CompiledFilter {
  const v: Violation[] = [];
  const criteria: Criterion[] = [];
  (f?.criteria ?? []).forEach((c, i) => {
    const p = `${path}/criteria[${i}]`;
    if (!c.field || !(TASK_FILTER_FIELDS as readonly string[]).includes(c.field)) {
      v.push({ path: `${p}/field`, rule: `must be one of ${TASK_FILTER_FIELDS.join(', ')}` });
      return;
    }
    const operator = c.operator ?? 'equals';
    if (!(LOGICAL_OPERATORS as readonly string[]).includes(operator)) {
      v.push({ path: `${p}/operator`, rule: `must be one of ${LOGICAL_OPERATORS.join(', ')}` });
      return;
    }
    if (c.value === undefined) {
      v.push({ path: `${p}/value`, rule: 'is required' });
      return;
    }
    const kind = fieldKind(c.field);
    let value: string | number = c.value;
    if (kind === 'date') {
      const t = parseXsDateTime(c.value);
      if (Number.isNaN(t)) {
        v.push({ path: `${p}/value`, rule: `${c.field} needs an xs:dateTime value` });
        return;
      }
      if (operator === 'contains') {
        v.push({ path: `${p}/operator`, rule: `contains does not apply to ${c.field}` });
        return;
      }
      value = new Date(t).toISOString();
    } else if (kind === 'int') {
      if (!/^-?\d+$/.test(c.value.trim())) {
        v.push({ path: `${p}/value`, rule: `${c.field} needs a whole number` });
        return;
      }
      if (operator === 'contains') {
        v.push({ path: `${p}/operator`, rule: `contains does not apply to ${c.field}` });
        return;
      }
      value = Number(c.value.trim());
    }
    criteria.push({ field: c.field, kind, operator, value, caseSensitive: c.caseSensitive ?? true });
  });
  const date = (s: string | undefined, name: string): string | undefined => {
    if (s === undefined) return undefined;
    const t = parseXsDateTime(s);
    if (Number.isNaN(t)) {
      v.push({ path: `${path}/${name}`, rule: 'must be an xs:dateTime' });
      return undefined;
    }
    return new Date(t).toISOString();
  };
  const fromDate = date(f?.fromDate, 'from-date');
  const toDate = date(f?.toDate, 'to-date');
  if (v.length) throw new ValidationError(v);
  return { criteria, fromDate, toDate };
}

/** from-index / to-index (to exclusive, defaults 0 and 100) and sorting. */
export function compilePage(
  fromIndex: number | undefined,
  toIndex: number | undefined,
  sortField: string | undefined,
  ascending: boolean | undefined,
): Page {
  const from = fromIndex ?? 0;
  const to = toIndex ?? 100;
  if (!Number.isInteger(from) || from < 0) throw ValidationError.one('from-index', 'must be a whole number of 0 or more');
  if (!Number.isInteger(to) || to < from) throw ValidationError.one('to-index', 'must be a whole number not below from-index');
  if (to - from > MAX_PAGE) throw ValidationError.one('to-index', `a page holds at most ${MAX_PAGE} tasks (to-index - from-index)`);
  if (sortField !== undefined && !(TASK_FILTER_FIELDS as readonly string[]).includes(sortField)) {
    throw ValidationError.one('sort-field', `must be one of ${TASK_FILTER_FIELDS.join(', ')}`);
  }
  return { offset: from, limit: to - from, sortField: (sortField as TaskFilterField) ?? 'created', ascending: ascending ?? true };
}

/** The filter semantics on plain values: the reference the SQL translation is tested against. */
export function matches(row: (field: TaskFilterField) => string | number | undefined, c: Criterion): boolean {
  const raw = row(c.field);
  if (raw === undefined || raw === null) return c.operator === 'not-equals';
  let a: string | number = raw;
  let b: string | number = c.value;
  if (c.kind === 'string' && !c.caseSensitive) {
    a = String(a).toLowerCase();
    b = String(b).toLowerCase();
  }
  switch (c.operator) {
    case 'equals':
      return a === b;
    case 'not-equals':
      return a !== b;
    case 'contains':
      return String(a).includes(String(b));
    case 'less-than':
      return a < b;
    case 'greater-than':
      return a > b;
  }
}

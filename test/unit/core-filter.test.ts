// Unit tests of src/core/filter.ts: compileFilter, compilePage and the reference semantics in `matches`.
import type { LogicalOperator, TaskFilterField } from '../../src/core/enums';
import { compileFilter, compilePage, fieldKind, matches, MAX_PAGE, type Criterion } from '../../src/core/filter';
import type { TaskFilter, TaskFilterCriteria } from '../../src/core/types';
import { violationsOf } from '../support/violations';

const one = (c: Partial<TaskFilterCriteria>): TaskFilter => ({ criteria: [c as TaskFilterCriteria] });

describe('fieldKind', () => {
  test('dates, ints and strings', () => {
    expect(fieldKind('created')).toBe('date');
    expect(fieldKind('last-updated')).toBe('date');
    expect(fieldKind('days-to-live')).toBe('int');
    expect(fieldKind('subject-email')).toBe('string');
    expect(fieldKind('task-state')).toBe('string');
  });
});

describe('compileFilter', () => {
  test('no filter and an empty filter compile to no criteria', () => {
    expect(compileFilter(undefined)).toEqual({ criteria: [], fromDate: undefined, toDate: undefined });
    expect(compileFilter({})).toEqual({ criteria: [], fromDate: undefined, toDate: undefined });
  });

  test('defaults: operator equals, case-sensitive true; strings kept as written', () => {
    expect(compileFilter(one({ field: 'subject-email', value: ' Ada@Example.com ' })).criteria).toEqual([
      { field: 'subject-email', kind: 'string', operator: 'equals', value: ' Ada@Example.com ', caseSensitive: true },
    ]);
  });

  test('explicit operator and case-sensitivity are kept', () => {
    expect(compileFilter(one({ field: 'client-reference', value: 'ABC', operator: 'contains', caseSensitive: false })).criteria).toEqual([
      { field: 'client-reference', kind: 'string', operator: 'contains', value: 'ABC', caseSensitive: false },
    ]);
  });

  test('unknown field', () => {
    const got = violationsOf(() => compileFilter(one({ field: 'task-status' as TaskFilterField, value: 'created' })));
    expect(got).toHaveLength(1);
    expect(got[0]!.path).toBe('filter/criteria[0]/field');
    expect(got[0]!.rule).toMatch(/^must be one of id, request-id, task-id, .*, days-to-live$/);
    expect(violationsOf(() => compileFilter(one({ value: 'x' })))[0]!.path).toBe('filter/criteria[0]/field');
  });

  test('unknown operator', () => {
    expect(violationsOf(() => compileFilter(one({ field: 'id', value: 'x', operator: 'like' as LogicalOperator })))).toEqual([
      { path: 'filter/criteria[0]/operator', rule: 'must be one of equals, not-equals, contains, less-than, greater-than' },
    ]);
  });

  test('value is required', () => {
    expect(violationsOf(() => compileFilter(one({ field: 'id' })))).toEqual([{ path: 'filter/criteria[0]/value', rule: 'is required' }]);
  });

  test('a date field needs a dateTime and is normalised to ISO UTC with milliseconds', () => {
    expect(violationsOf(() => compileFilter(one({ field: 'created', value: 'yesterday' })))).toEqual([
      { path: 'filter/criteria[0]/value', rule: 'created needs an xs:dateTime value' },
    ]);
    expect(compileFilter(one({ field: 'last-updated', value: '2024-03-05T10:20:30+02:00', operator: 'less-than' })).criteria).toEqual([
      { field: 'last-updated', kind: 'date', operator: 'less-than', value: '2024-03-05T08:20:30.000Z', caseSensitive: true },
    ]);
  });

  // BUG (src/core/filter.ts compileFilter): date values are checked with Date.parse, which accepts
  // non-xs:dateTime strings ("1" becomes 2001-01-01, "Dec 1 2026" is read in the server's local time).
  test('a date field rejects strings that are not xs:dateTime', () => {
    for (const bad of ['1', '2026', 'Dec 1 2026']) {
      expect(violationsOf(() => compileFilter(one({ field: 'created', value: bad })))).toEqual([
        { path: 'filter/criteria[0]/value', rule: 'created needs an xs:dateTime value' },
      ]);
    }
  });

  test('an int field needs a whole number', () => {
    for (const bad of ['3.5', 'ten', '', '1e3']) {
      expect(violationsOf(() => compileFilter(one({ field: 'days-to-live', value: bad })))).toEqual([
        { path: 'filter/criteria[0]/value', rule: 'days-to-live needs a whole number' },
      ]);
    }
    expect(compileFilter(one({ field: 'days-to-live', value: ' 30 ', operator: 'greater-than' })).criteria).toEqual([
      { field: 'days-to-live', kind: 'int', operator: 'greater-than', value: 30, caseSensitive: true },
    ]);
    expect(compileFilter(one({ field: 'days-to-live', value: '-2' })).criteria[0]!.value).toBe(-2);
  });

  test('contains is refused on dates and ints', () => {
    expect(violationsOf(() => compileFilter(one({ field: 'created', value: '2024-01-01T00:00:00Z', operator: 'contains' })))).toEqual([
      { path: 'filter/criteria[0]/operator', rule: 'contains does not apply to created' },
    ]);
    expect(violationsOf(() => compileFilter(one({ field: 'days-to-live', value: '30', operator: 'contains' })))).toEqual([
      { path: 'filter/criteria[0]/operator', rule: 'contains does not apply to days-to-live' },
    ]);
  });

  test('from-date and to-date are normalised to ISO; invalid ones are reported', () => {
    expect(compileFilter({ fromDate: '2024-01-01T00:00:00Z', toDate: '2024-02-01T12:00:00-01:00' })).toEqual({
      criteria: [],
      fromDate: '2024-01-01T00:00:00.000Z',
      toDate: '2024-02-01T13:00:00.000Z',
    });
    expect(violationsOf(() => compileFilter({ fromDate: 'soon', toDate: 'later' }))).toEqual([
      { path: 'filter/from-date', rule: 'must be an xs:dateTime' },
      { path: 'filter/to-date', rule: 'must be an xs:dateTime' },
    ]);
  });

  test('every bad criterion is reported with its index and the custom path', () => {
    expect(
      violationsOf(() =>
        compileFilter(
          {
            criteria: [
              { field: 'id', value: 'ok' },
              { field: 'days-to-live', value: 'x' },
              { field: 'nope' as TaskFilterField, value: 'x' },
            ],
          },
          'find-tasks/filter',
        ),
      ),
    ).toEqual([
      { path: 'find-tasks/filter/criteria[1]/value', rule: 'days-to-live needs a whole number' },
      { path: 'find-tasks/filter/criteria[2]/field', rule: expect.stringContaining('must be one of') },
    ]);
  });
});

describe('compilePage', () => {
  test('defaults 0 / 100, sort by created ascending', () => {
    expect(compilePage(undefined, undefined, undefined, undefined)).toEqual({
      offset: 0,
      limit: 100,
      sortField: 'created',
      ascending: true,
    });
  });

  test('explicit values', () => {
    expect(compilePage(10, 30, 'last-updated', false)).toEqual({ offset: 10, limit: 20, sortField: 'last-updated', ascending: false });
    expect(compilePage(5, 5, undefined, undefined)).toEqual({ offset: 5, limit: 0, sortField: 'created', ascending: true });
  });

  test('negative or fractional from-index', () => {
    for (const bad of [-1, 1.5]) {
      expect(violationsOf(() => compilePage(bad, 10, undefined, undefined))).toEqual([
        { path: 'from-index', rule: 'must be a whole number of 0 or more' },
      ]);
    }
  });

  test('to-index below from-index', () => {
    expect(violationsOf(() => compilePage(10, 9, undefined, undefined))).toEqual([
      { path: 'to-index', rule: 'must be a whole number not below from-index' },
    ]);
    expect(violationsOf(() => compilePage(0, -1, undefined, undefined))[0]!.path).toBe('to-index');
  });

  test(`a page holds at most ${MAX_PAGE} tasks`, () => {
    expect(MAX_PAGE).toBe(1000);
    expect(violationsOf(() => compilePage(0, 1001, undefined, undefined))).toEqual([
      { path: 'to-index', rule: 'a page holds at most 1000 tasks (to-index - from-index)' },
    ]);
    expect(compilePage(500, 1500, undefined, undefined).limit).toBe(1000);
  });

  test('unknown sort field', () => {
    expect(violationsOf(() => compilePage(0, 10, 'task-status', true))).toEqual([
      { path: 'sort-field', rule: expect.stringMatching(/^must be one of id, request-id, /) },
    ]);
  });
});

describe('matches', () => {
  const crit = (field: TaskFilterField, operator: LogicalOperator, value: string, caseSensitive?: boolean): Criterion =>
    compileFilter({ criteria: [{ field, operator, value, caseSensitive }] }).criteria[0]!;
  const row = (values: Partial<Record<TaskFilterField, string | number>>) => (f: TaskFilterField) => values[f];

  describe('strings, case-sensitive', () => {
    const r = row({ 'subject-first-name': 'Ada' });
    test.each<[LogicalOperator, string, boolean]>([
      ['equals', 'Ada', true],
      ['equals', 'ada', false],
      ['not-equals', 'ada', true],
      ['not-equals', 'Ada', false],
      ['contains', 'd', true],
      ['contains', 'D', false],
      ['less-than', 'Ba', true],
      ['less-than', 'Aa', false],
      ['less-than', 'Ada', false],
      ['greater-than', 'Aa', true],
      ['greater-than', 'a', false],
      ['greater-than', 'Ada', false],
    ])('%s %s → %s', (op, value, want) => {
      expect(matches(r, crit('subject-first-name', op, value))).toBe(want);
    });
  });

  describe('strings, case-insensitive', () => {
    const r = row({ 'subject-first-name': 'Ada' });
    test.each<[LogicalOperator, string, boolean]>([
      ['equals', 'ADA', true],
      ['equals', 'adb', false],
      ['not-equals', 'aDa', false],
      ['not-equals', 'bob', true],
      ['contains', 'DA', true],
      ['contains', 'x', false],
      ['less-than', 'B', true],
      ['less-than', 'A', false],
      ['greater-than', 'ACZ', true],
      ['greater-than', 'ADB', false],
    ])('%s %s → %s', (op, value, want) => {
      expect(matches(r, crit('subject-first-name', op, value, false))).toBe(want);
    });
  });

  describe('ints compare as numbers', () => {
    const r = row({ 'days-to-live': 9 });
    test.each<[LogicalOperator, string, boolean]>([
      ['equals', '9', true],
      ['equals', '09', true],
      ['equals', '10', false],
      ['not-equals', '10', true],
      ['not-equals', '9', false],
      ['less-than', '10', true],
      ['less-than', '9', false],
      ['greater-than', '8', true],
      ['greater-than', '10', false],
    ])('%s %s → %s', (op, value, want) => {
      expect(matches(r, crit('days-to-live', op, value))).toBe(want);
      expect(matches(r, crit('days-to-live', op, value, false))).toBe(want);
    });
  });

  describe('dates compare as instants', () => {
    const r = row({ created: '2024-03-05T08:00:00.000Z' });
    test.each<[LogicalOperator, string, boolean]>([
      ['equals', '2024-03-05T10:00:00+02:00', true],
      ['equals', '2024-03-05T08:00:00.001Z', false],
      ['not-equals', '2024-03-05T08:00:00Z', false],
      ['not-equals', '2024-03-06T08:00:00Z', true],
      ['less-than', '2024-03-05T08:00:01Z', true],
      ['less-than', '2024-03-05T08:00:00Z', false],
      ['greater-than', '2024-03-05T07:59:59Z', true],
      ['greater-than', '2025-01-01T00:00:00Z', false],
    ])('%s %s → %s', (op, value, want) => {
      expect(matches(r, crit('created', op, value))).toBe(want);
    });
  });

  test('an undefined value matches only not-equals', () => {
    const r = row({});
    expect(matches(r, crit('client-status', 'equals', 'x'))).toBe(false);
    expect(matches(r, crit('client-status', 'not-equals', 'x'))).toBe(true);
    expect(matches(r, crit('client-status', 'contains', ''))).toBe(false);
    expect(matches(r, crit('client-status', 'less-than', 'zzz'))).toBe(false);
    expect(matches(r, crit('client-status', 'greater-than', ''))).toBe(false);
    expect(matches(r, crit('days-to-live', 'not-equals', '1'))).toBe(true);
    expect(matches(r, crit('days-to-live', 'less-than', '1'))).toBe(false);
    expect(matches(r, crit('created', 'not-equals', '2024-01-01T00:00:00Z'))).toBe(true);
    expect(matches(r, crit('created', 'equals', '2024-01-01T00:00:00Z'))).toBe(false);
  });
});

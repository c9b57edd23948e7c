// The console's task search (issue 15: "the findTasks filters, paging and sorting"): the same
// task-filter SOAP findTasks takes — up to three criteria (field, operator, value, case), a date range —
// sorted by any filter field either way, 25 a page, through core's findTasks and getTaskCount scoped to
// the session's service. A filter core refuses is shown on the page with the field and the rule, as
// findTasks's SOAP fault names them.
import express from 'express';
import { LOGICAL_OPERATORS, TASK_FILTER_FIELDS, type LogicalOperator, type TaskFilterField } from '../core/enums';
import { ValidationError } from '../core/errors';
import type { RequestService } from '../core/requests';
import type { TaskFilter, TaskFilterCriteria } from '../core/types';
import type { Lang } from '../portal/i18n';
import type { ConsoleSession } from './session';
import { tasksPage, type TaskSearch } from './taskspage';

const PER_PAGE = 25;
const CRITERIA = 3;

type Authed = express.Request & { session?: ConsoleSession; lang?: Lang };

const one = (q: express.Request['query'], name: string): string => {
  const v = q[name];
  return typeof v === 'string' ? v.trim().slice(0, 1024) : '';
};

/** The search as the form sent it (kept as typed, so the page shows it back). */
export function searchOf(q: express.Request['query']): TaskSearch {
  const criteria = Array.from({ length: CRITERIA }, (_, i) => ({
    field: one(q, `f${i}`),
    operator: one(q, `o${i}`) || 'equals',
    value: one(q, `v${i}`),
    caseInsensitive: one(q, `i${i}`) === '1',
  }));
  const asked = Number(one(q, 'page'));
  return {
    criteria,
    fromDate: one(q, 'from'),
    toDate: one(q, 'to'),
    sort: one(q, 'sort') || 'created',
    descending: one(q, 'dir') !== 'asc',
    pageNo: Number.isInteger(asked) && asked > 0 ? Math.min(asked, 10_000) : 1,
  };
}

/** core's TaskFilter from the search; unknown fields and operators become violations core reports. */
function filterOf(s: TaskSearch): TaskFilter {
  const criteria: TaskFilterCriteria[] = s.criteria
    .filter((c) => c.field !== '')
    .map((c) => ({
      field: c.field as TaskFilterField,
      operator: c.operator as LogicalOperator,
      value: c.value,
      caseSensitive: !c.caseInsensitive,
    }));
  // a date from the form's date input is a day: from its start, to its end (UTC)
  const day = (d: string, end: boolean) =>
    /^\d{4}-\d{2}-\d{2}$/.test(d) ? `${d}T${end ? '23:59:59.999' : '00:00:00.000'}Z` : d || undefined;
  return { criteria, fromDate: day(s.fromDate, false), toDate: day(s.toDate, true) };
}

function knownOrViolation(s: TaskSearch): ValidationError | undefined {
  const v = s.criteria.flatMap((c, i) => [
    ...(c.field && !(TASK_FILTER_FIELDS as readonly string[]).includes(c.field)
      ? [{ path: `filter/criteria[${i}]/field`, rule: `must be one of ${TASK_FILTER_FIELDS.join(', ')}` }]
      : []),
    ...(c.field && !(LOGICAL_OPERATORS as readonly string[]).includes(c.operator)
      ? [{ path: `filter/criteria[${i}]/operator`, rule: `must be one of ${LOGICAL_OPERATORS.join(', ')}` }]
      : []),
  ]);
  return v.length ? new ValidationError(v) : undefined;
}

export function taskSearchRoute(
  r: express.Router,
  requests: Pick<RequestService, 'findTasks' | 'getTaskCount'>,
  w: {
    send: (res: express.Response, code: number, body: string) => void;
    session: express.RequestHandler;
    guard: (f: (req: Authed, res: express.Response) => Promise<void>) => express.RequestHandler;
  },
): void {
  r.get(
    '/console/tasks',
    w.session,
    w.guard(async (req, res) => {
      const s = req.session!;
      const svc = { id: s.serviceId, name: s.service, public: s.isPublic };
      const search = searchOf(req.query);
      const base = { service: s.service, csrf: s.csrf, search };
      try {
        const bad = knownOrViolation(search);
        if (bad) throw bad;
        const filter = filterOf(search);
        const from = (search.pageNo - 1) * PER_PAGE;
        const [rows, total] = await Promise.all([
          requests.findTasks(svc, filter, from, from + PER_PAGE, search.sort, !search.descending),
          requests.getTaskCount(svc, filter),
        ]);
        w.send(res, 200, tasksPage(req.lang!, { ...base, rows, total, pages: Math.max(1, Math.ceil(total / PER_PAGE)) }));
      } catch (e) {
        if (!(e instanceof ValidationError)) throw e;
        w.send(
          res,
          400,
          tasksPage(req.lang!, { ...base, rows: [], total: 0, pages: 1, problems: e.violations.map((v) => `${v.path}: ${v.rule}`) }),
        );
      }
    }),
  );
}

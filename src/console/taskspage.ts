// The console's task search page (src/console/tasks.ts): the findTasks form and its results, no script.
import { LOGICAL_OPERATORS, TASK_FILTER_FIELDS, TASK_STATUSES, type TaskStatus } from '../core/enums';
import type { TaskInfo } from '../core/types';
import { maskNationalId } from '../packaging/format';
import { html, join, type Html } from '../portal/html';
import { t, type Lang } from '../portal/i18n';
import { page } from '../portal/layout';

export interface TaskSearch {
  criteria: Array<{ field: string; operator: string; value: string; caseInsensitive: boolean }>;
  fromDate: string;
  toDate: string;
  sort: string;
  descending: boolean;
  pageNo: number;
}

export interface TasksView {
  service: string;
  csrf: string;
  search: TaskSearch;
  rows: TaskInfo[];
  total: number;
  pages: number;
  /** what core refused in the filter: the field and the rule */
  problems?: string[];
}

const q = (s: string) => encodeURIComponent(s);
const options = (values: readonly string[], chosen: string, blank?: string): Html =>
  join([
    ...(blank === undefined ? [] : [html`<option value="">${blank}</option>`]),
    ...values.map((v) => html`<option value="${v}"${v === chosen ? html` selected` : ''}>${v}</option>`),
  ]);
const statusText = (lang: Lang, s: string) =>
  (TASK_STATUSES as readonly string[]).includes(s) ? t(lang, `console.status.${s as TaskStatus}`) : s;

/** The search as a query string (for paging and sorting links). */
function queryOf(lang: Lang, s: TaskSearch, over: Partial<TaskSearch> = {}): string {
  const x = { ...s, ...over };
  const p = new URLSearchParams({ lang });
  x.criteria.forEach((c, i) => {
    if (!c.field) return;
    p.set(`f${i}`, c.field);
    p.set(`o${i}`, c.operator);
    p.set(`v${i}`, c.value);
    if (c.caseInsensitive) p.set(`i${i}`, '1');
  });
  if (x.fromDate) p.set('from', x.fromDate);
  if (x.toDate) p.set('to', x.toDate);
  p.set('sort', x.sort);
  p.set('dir', x.descending ? 'desc' : 'asc');
  p.set('page', String(x.pageNo));
  return p.toString();
}

function criterion(lang: Lang, c: TaskSearch['criteria'][number], i: number): Html {
  const n = i + 1;
  return html`<fieldset><legend>${t(lang, 'console.tasks.criterion', { n })}</legend>
<p><label for="f${i}">${t(lang, 'console.tasks.field')}</label><br><select id="f${i}" name="f${i}">${options(TASK_FILTER_FIELDS, c.field, t(lang, 'console.filter.any'))}</select></p>
<p><label for="o${i}">${t(lang, 'console.tasks.operator')}</label><br><select id="o${i}" name="o${i}">${options(LOGICAL_OPERATORS, c.operator)}</select></p>
<p><label for="v${i}">${t(lang, 'console.tasks.value')}</label><br><input id="v${i}" name="v${i}" type="text" value="${c.value}"></p>
<p><input id="i${i}" name="i${i}" type="checkbox" value="1"${c.caseInsensitive ? html` checked` : ''}> <label for="i${i}">${t(lang, 'console.tasks.anyCase')}</label></p></fieldset>`;
}

export function tasksPage(lang: Lang, v: TasksView): string {
  const s = v.search;
  const problems = v.problems?.length
    ? html`<div role="alert"><p class="error">${t(lang, 'console.tasks.refused')}</p><ul>${join(v.problems.map((p) => html`<li>${p}</li>`))}</ul></div>`
    : '';
  const rows = join(
    v.rows.map(
      (r) => html`<tr><td><a href="/console/requests/${q(r.requestId)}?lang=${lang}">${r.requestId}</a></td><td>${r.taskId}</td>
<td>${statusText(lang, r.taskStatus)}</td><td>${[r.subjectFirstName, r.subjectLastName].filter(Boolean).join(' ')}${r.subjectNationalId ? ` (${maskNationalId(r.subjectNationalId)})` : ''}</td>
<td>${r.created}</td><td>${r.clientReference ?? ''}</td></tr>`,
    ),
  );
  const prev =
    s.pageNo > 1 && html`<a href="/console/tasks?${queryOf(lang, s, { pageNo: s.pageNo - 1 })}" rel="prev">${t(lang, 'console.prev')}</a> `;
  const next =
    s.pageNo < v.pages &&
    html`<a href="/console/tasks?${queryOf(lang, s, { pageNo: s.pageNo + 1 })}" rel="next">${t(lang, 'console.next')}</a>`;
  const table = v.rows.length
    ? html`<div><table class="data"><caption>${t(lang, 'console.tasks.found', { n: v.total })}</caption>
<thead><tr><th scope="col">${t(lang, 'console.col.request')}</th><th scope="col">${t(lang, 'console.col.task')}</th><th scope="col">${t(lang, 'console.col.status')}</th>
<th scope="col">${t(lang, 'console.signer')}</th><th scope="col">${t(lang, 'console.col.created')}</th><th scope="col">${t(lang, 'console.col.reference')}</th></tr></thead>
<tbody>${rows}</tbody></table></div>
<nav aria-label="${t(lang, 'console.paging')}"><p>${t(lang, 'console.page', { n: s.pageNo, of: v.pages })} ${prev}${next}</p></nav>`
    : !problems && html`<p>${t(lang, 'console.none')}</p>`;
  const main = html`<nav class="console-nav" aria-label="${t(lang, 'console.title')}"><p><a href="/console?lang=${lang}">${t(lang, 'console.requests.title')}</a></p></nav>
<h1>${t(lang, 'console.tasks.title')}</h1>${problems}
<form method="get" action="/console/tasks" role="search"><input type="hidden" name="lang" value="${lang}">
${join(s.criteria.map((c, i) => criterion(lang, c, i)))}
<p><label for="from">${t(lang, 'console.tasks.from')}</label><br><input id="from" name="from" type="date" value="${s.fromDate}"></p>
<p><label for="to">${t(lang, 'console.tasks.to')}</label><br><input id="to" name="to" type="date" value="${s.toDate}"></p>
<p><label for="sort">${t(lang, 'console.tasks.sort')}</label><br><select id="sort" name="sort">${options(TASK_FILTER_FIELDS, s.sort)}</select></p>
<p><label for="dir">${t(lang, 'console.tasks.direction')}</label><br><select id="dir" name="dir"><option value="desc"${s.descending ? html` selected` : ''}>${t(lang, 'console.tasks.desc')}</option><option value="asc"${s.descending ? '' : html` selected`}>${t(lang, 'console.tasks.asc')}</option></select></p>
<p><button type="submit" class="button">${t(lang, 'console.filter.submit')}</button></p></form>${table}`;
  return page({ lang, title: t(lang, 'console.tasks.title'), main, service: v.service });
}

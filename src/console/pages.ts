// The console's pages, in the portal's look (layout.ts page(), html``): login, the requests list and a
// request's page. Plain forms and links, no script: they work with any browser a back office has.
import { TASK_STATUSES, type TaskStatus } from '../core/enums';
import type { SigningRequest, Subject, Task, TaskStatusInfo } from '../core/types';
import type { DeliveryLogEntry } from '../store/outbox';
import type { ConsoleAuditEntry } from '../store/consoleaudit';
import type { ConsoleEvent, ConsolePackage, ConsoleRequestRow } from '../store/consolequeries';
import { maskNationalId } from '../packaging/format';
import { html, join, type Html } from '../portal/html';
import { t, type Lang } from '../portal/i18n';
import { page } from '../portal/layout';
import { dependencyGraph } from './graph';
import { deliveryActions, operatorLinks, requestActions, timelineRows } from './actionviews';

const q = (s: string) => encodeURIComponent(s);
const status = (lang: Lang, s: string) =>
  (TASK_STATUSES as readonly string[]).includes(s) ? t(lang, `console.status.${s as TaskStatus}`) : s;

/** The bar above every page of a session: where one is, the account page, and sign out (a POST with the token). */
export function top(lang: Lang, service: string, csrf: string): Html {
  return html`<nav class="console-nav" aria-label="${t(lang, 'console.title')}"><p><a href="/console?lang=${lang}">${t(lang, 'console.requests.title')}</a> · <a href="/console/tasks?lang=${lang}">${t(lang, 'console.tasks.link')}</a> · <a href="/console/settings?lang=${lang}">${t(lang, 'console.settings.title')}</a>
· <a href="/console/account?lang=${lang}">${t(lang, 'console.account.link')}</a></p>
<form method="post" action="/console/logout?lang=${lang}"><input type="hidden" name="_csrf" value="${csrf}">
<button type="submit" class="button secondary">${t(lang, 'console.logout', { service })}</button></form></nav>`;
}

export function loginPage(lang: Lang, token: string, message?: string, service = '', user = ''): string {
  const msg = message && html`<p class="error" role="alert">${message}</p>`;
  const main = html`<h1>${t(lang, 'console.login.title')}</h1>${msg}
<form method="post" action="/console/login?lang=${lang}">
<input type="hidden" name="_csrf" value="${token}">
<p><label for="service">${t(lang, 'console.login.service')}</label><br><input id="service" name="service" type="text" autocomplete="username" required value="${service}"></p>
<p><label for="username">${t(lang, 'console.login.username')}</label><br><input id="username" name="username" type="text" autocomplete="off" value="${user}"></p>
<p><label for="password">${t(lang, 'console.login.password')}</label><br><input id="password" name="password" type="password" autocomplete="current-password" required></p>
<p><button type="submit" class="button">${t(lang, 'console.login.submit')}</button></p>
</form>
<p><a href="/console/operator?lang=${lang}">${t(lang, 'console.login.operator')}</a></p>`;
  return page({ lang, title: t(lang, 'console.login.title'), main });
}

/** A short page with a message (refusals, not found), with the way back. */
export function messagePage(lang: Lang, title: string, body: string, service?: string): string {
  const main = html`<h1>${title}</h1><p>${body}</p><p><a href="/console?lang=${lang}">${t(lang, 'console.back')}</a></p>`;
  return page({ lang, title, main, service });
}

export interface ListView {
  service: string;
  csrf: string;
  rows: ConsoleRequestRow[];
  total: number;
  counts: Record<TaskStatus, number>;
  status?: TaskStatus;
  reference?: string;
  pageNo: number;
  pages: number;
  /** a manager may send for signature from here */
  manager?: boolean;
  /** link to the operators' pages under /admin */
  operatorLinks?: boolean;
}

export function listPage(lang: Lang, v: ListView): string {
  const counts = join(TASK_STATUSES.map((s) => html`<li>${status(lang, s)}: <strong>${String(v.counts[s])}</strong></li>`));
  const options = join([
    html`<option value="">${t(lang, 'console.filter.any')}</option>`,
    ...TASK_STATUSES.map((s) => html`<option value="${s}"${v.status === s ? html` selected` : ''}>${status(lang, s)}</option>`),
  ]);
  const rows = join(
    v.rows.map(
      (r) => html`<tr><td><a href="/console/requests/${q(r.id)}?lang=${lang}">${r.id}</a></td><td>${r.createdAt}</td>
<td>${r.clientReference ?? ''}</td><td>${join(
        r.tasks.map((x) => `${x.taskId}: ${status(lang, x.status)}`),
        ', ',
      )}</td></tr>`,
    ),
  );
  const keep = `lang=${lang}${v.status ? `&status=${v.status}` : ''}${v.reference ? `&reference=${q(v.reference)}` : ''}`;
  const prev = v.pageNo > 1 && html`<a href="/console?${keep}&page=${String(v.pageNo - 1)}" rel="prev">${t(lang, 'console.prev')}</a> `;
  const next =
    v.pageNo < v.pages && html`<a href="/console?${keep}&page=${String(v.pageNo + 1)}" rel="next">${t(lang, 'console.next')}</a>`;
  const table = v.rows.length
    ? html`<div><table class="data"><caption>${t(lang, 'console.found', { n: v.total })}</caption>
<thead><tr><th scope="col">${t(lang, 'console.col.request')}</th><th scope="col">${t(lang, 'console.col.created')}</th>
<th scope="col">${t(lang, 'console.col.reference')}</th><th scope="col">${t(lang, 'console.col.tasks')}</th></tr></thead>
<tbody>${rows}</tbody></table></div>
<nav aria-label="${t(lang, 'console.paging')}"><p>${t(lang, 'console.page', { n: v.pageNo, of: v.pages })} ${prev}${next}</p></nav>`
    : html`<p>${t(lang, 'console.none')}</p>`;
  const main = html`${top(lang, v.service, v.csrf)}<h1>${t(lang, 'console.requests.title')}</h1>
${v.manager ? html`<p><a class="button" href="/console/send?lang=${lang}">${t(lang, 'console.send.title')}</a></p>` : ''}
<h2>${t(lang, 'console.counts')}</h2><ul class="counts">${counts}</ul>
<form method="get" action="/console" role="search"><input type="hidden" name="lang" value="${lang}">
<p><label for="status">${t(lang, 'console.filter.status')}</label><br><select id="status" name="status">${options}</select></p>
<p><label for="reference">${t(lang, 'console.filter.reference')}</label><br><input id="reference" name="reference" type="text" value="${v.reference ?? ''}"></p>
<p><button type="submit" class="button">${t(lang, 'console.filter.submit')}</button></p></form>
<h2>${t(lang, 'console.list')}</h2>${table}${v.operatorLinks && operatorLinks(lang)}`;
  return page({ lang, title: t(lang, 'console.requests.title'), main, service: v.service });
}

export interface RequestView {
  service: string;
  csrf: string;
  requestId: string;
  request: SigningRequest;
  statuses: TaskStatusInfo[];
  history: ConsoleEvent[];
  deliveries: DeliveryLogEntry[];
  packages: ConsolePackage[];
  notice?: string;
  /** the console actions on the request (merged into the timeline) */
  audit: ConsoleAuditEntry[];
  /** the session may act: the action forms are shown */
  manager: boolean;
  /** today (YYYY-MM-DD): the earliest expiry date offered */
  today: string;
}

function subjectOf(r: SigningRequest, task: Task): Subject | undefined {
  return task.subject ?? r.subject?.find((s) => s.id === task.subjectRef);
}

function taskBlock(lang: Lang, v: RequestView, task: Task): Html {
  const st = v.statuses.find((s) => s.taskId === task.id);
  const who = subjectOf(v.request, task);
  const name = [who?.firstName, who?.lastName].filter(Boolean).join(' ');
  const base = `/console/requests/${q(v.requestId)}/tasks/${q(task.id)}/documents`;
  const docs = join(
    (st?.documentStatus ?? []).map(
      (d) =>
        html`<li>${d.id}: <a href="${base}/${q(d.id)}/original">${t(lang, 'console.original')}</a>${
          d.resultUri ? html` · <a href="${base}/${q(d.id)}/result">${t(lang, 'console.result')}</a>` : ''
        }</li>`,
    ),
  );
  const deps = task.dependsOnTask?.length
    ? t(lang, 'console.dependsOn', { list: task.dependsOnTask.join(', ') })
    : t(lang, 'console.noDepends');
  return html`<li><h3>${t(lang, 'console.task', { id: task.id })}: ${status(lang, st?.taskStatus ?? '')}</h3>
<dl class="facts"><dt>${t(lang, 'console.signer')}</dt><dd>${name || '—'}${who?.nationalId ? html` (${t(lang, 'console.nationalId')} ${maskNationalId(who.nationalId)})` : ''}</dd>
<dt>${t(lang, 'console.order')}</dt><dd>${deps}</dd></dl>
<h4>${t(lang, 'console.documents')}</h4><ul>${docs}</ul></li>`;
}

/** The depends-on graph as a drawing (src/console/graph.ts), for a request of two tasks or more. */
function graph(lang: Lang, v: RequestView): Html | '' {
  const tasks = v.request.task.map((task) => {
    const s = v.statuses.find((x) => x.taskId === task.id)?.taskStatus ?? '';
    return { id: task.id, dependsOn: task.dependsOnTask ?? [], status: s, statusText: status(lang, s) };
  });
  return dependencyGraph(tasks, t(lang, 'console.graph'), (task, list) => t(lang, 'console.waitsFor', { task, list }));
}

export function requestPage(lang: Lang, v: RequestView): string {
  const id = v.requestId;
  const tasks = join(v.request.task.map((task) => taskBlock(lang, v, task)));
  const packages = v.packages.length
    ? html`<h2>${t(lang, 'console.packages')}</h2><ul>${join(
        v.packages.map(
          (p) =>
            html`<li>${p.packagingTaskId}: ${p.status}${
              p.blobKey
                ? html` · <a href="/console/requests/${q(id)}/packages/${q(p.packagingTaskId)}">${t(lang, 'console.download')}</a>`
                : ''
            }</li>`,
        ),
      )}</ul>`
    : '';
  const history = timelineRows(lang, v.history, v.audit);
  const acts = { requestId: id, csrf: v.csrf, manager: v.manager };
  const deliveries = v.deliveries.length
    ? html`<div><table class="data"><caption>${t(lang, 'console.notifications')}</caption><thead><tr>
<th scope="col">${t(lang, 'console.col.notification')}</th><th scope="col">${t(lang, 'console.col.channel')}</th>
<th scope="col">${t(lang, 'console.col.status')}</th><th scope="col">${t(lang, 'console.col.attempts')}</th>
<th scope="col">${t(lang, 'console.col.response')}</th>${v.manager && html`<th scope="col">${t(lang, 'console.actions')}</th>`}</tr></thead><tbody>${join(
        v.deliveries.map(
          (d) => html`<tr><td>${d.notificationId}${d.taskId ? ` (${d.taskId})` : ''} · ${d.triggerState}</td><td>${d.channel}</td>
<td>${d.status}</td><td>${String(d.attempts)}</td><td>${d.lastError ?? (d.deliveredAt ? t(lang, 'console.deliveredAt', { at: d.deliveredAt }) : '')}</td>${v.manager && deliveryActions(lang, acts, d)}</tr>`,
        ),
      )}</tbody></table></div>`
    : html`<p>${t(lang, 'console.noNotifications')}</p>`;
  const open = v.statuses.some((s) => s.taskStatus === 'created');
  const withdraw = open
    ? html`<h2>${t(lang, 'console.withdraw')}</h2><p>${t(lang, 'console.withdraw.hint')}</p>
<form method="post" action="/console/requests/${q(id)}/withdraw?lang=${lang}"><input type="hidden" name="_csrf" value="${v.csrf}">
<button type="submit" class="button danger">${t(lang, 'console.withdraw')}</button></form>`
    : '';
  const notice = v.notice && html`<p class="notice" role="status">${v.notice}</p>`;
  const main = html`${top(lang, v.service, v.csrf)}<h1>${t(lang, 'console.request.title', { id })}</h1>${notice}
${v.request.clientReference ? html`<p>${t(lang, 'console.col.reference')}: ${v.request.clientReference}</p>` : ''}
${v.request.sender ? html`<p>${t(lang, 'console.sentBy', { who: v.request.sender.uniqueId })}</p>` : ''}
<h2>${t(lang, 'console.tasks')}</h2>${graph(lang, v)}<ol class="tasks">${tasks}</ol>${packages}
<h2 id="history">${t(lang, 'console.history')}</h2><div><table class="data"><caption>${t(lang, 'console.history')}</caption>
<thead><tr><th scope="col">${t(lang, 'console.col.time')}</th><th scope="col">${t(lang, 'console.col.task')}</th>
<th scope="col">${t(lang, 'console.col.event')}</th><th scope="col">${t(lang, 'console.col.details')}</th></tr></thead><tbody>${history}</tbody></table></div>
<h2>${t(lang, 'console.notifications')}</h2>${deliveries}${withdraw}${requestActions(lang, acts, v.statuses, v.today)}`;
  return page({ lang, title: t(lang, 'console.request.title', { id }), main, service: v.service });
}

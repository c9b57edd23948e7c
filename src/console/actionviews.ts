// The request page's action parts (src/console/actions.ts): send again / deliver again on a delivery,
// extend the expiry, delete a finished request; the timeline of v3 history and console actions merged
// by time; the operators' links. Plain POST forms with the session's CSRF token, no script.
import { LIMITS } from '../core/validate';
import type { TaskStatusInfo } from '../core/types';
import type { ConsoleAuditEntry } from '../store/consoleaudit';
import type { ConsoleEvent } from '../store/consolequeries';
import type { DeliveryLogEntry } from '../store/outbox';
import { html, join, type Html } from '../portal/html';
import { t, type Lang } from '../portal/i18n';

const q = (s: string) => encodeURIComponent(s);

/** What an action form needs of the request page. */
export interface ActionContext {
  requestId: string;
  csrf: string;
  /** the session may act (the manager role) */
  manager: boolean;
}

const button = (lang: Lang, c: ActionContext, path: string, label: string, cls = 'secondary'): Html =>
  html`<form method="post" action="/console/requests/${q(c.requestId)}/${path}?lang=${lang}"><input type="hidden" name="_csrf" value="${c.csrf}">
<button type="submit" class="button ${cls}">${label}</button></form>`;

/** The action cell of a delivery: send again (e-mail/SMS that ended) and deliver again (dead-lettered). */
export function deliveryActions(lang: Lang, c: ActionContext, d: DeliveryLogEntry): Html {
  const base = `deliveries/${q(d.deliveryId)}`;
  const resend =
    ['EMAIL', 'SMS'].includes(d.channel) && ['delivered', 'dead', 'cancelled'].includes(d.status)
      ? button(lang, c, `${base}/resend`, t(lang, 'console.resend'))
      : '';
  const redrive = d.status === 'dead' ? button(lang, c, `${base}/redrive`, t(lang, 'console.redrive')) : '';
  return html`<td>${resend}${redrive}</td>`;
}

/** Extend the expiry (a request with an open task) or delete it (a finished, not yet deleted request). */
export function requestActions(lang: Lang, c: ActionContext, statuses: TaskStatusInfo[], today: string): Html | '' {
  if (!c.manager) return '';
  const open = statuses.some((s) => s.taskStatus === 'created');
  const deleted = statuses.every((s) => s.taskStatus === 'deleted');
  const hidden = html`<input type="hidden" name="_csrf" value="${c.csrf}">`;
  if (open)
    return html`<h2>${t(lang, 'console.extend')}</h2><p>${t(lang, 'console.extend.hint', { days: LIMITS.maxDays })}</p>
<form method="post" action="/console/requests/${q(c.requestId)}/extend?lang=${lang}">${hidden}
<p><label for="until">${t(lang, 'console.extend.until')}</label><br><input id="until" name="until" type="date" min="${today}" required></p>
<p><button type="submit" class="button">${t(lang, 'console.extend.submit')}</button></p></form>`;
  if (deleted) return '';
  return html`<h2>${t(lang, 'console.delete')}</h2><p>${t(lang, 'console.delete.hint')}</p>
<form method="post" action="/console/requests/${q(c.requestId)}/delete?lang=${lang}">${hidden}
<p><input id="confirm" name="confirm" type="checkbox" value="yes" required> <label for="confirm">${t(lang, 'console.delete.confirm')}</label></p>
<p><button type="submit" class="button danger">${t(lang, 'console.delete')}</button></p></form>`;
}

/** The timeline's rows: the request's history and its console actions (with who took them), by time. */
export function timelineRows(lang: Lang, history: ConsoleEvent[], audit: ConsoleAuditEntry[]): Html {
  const rows = [
    ...history.map((e, i) => ({
      time: e.eventTime,
      order: i,
      row: html`<tr><td>${e.eventTime}</td><td>${e.taskId ?? ''}</td><td>${e.event}</td><td>${e.data ?? ''}</td></tr>`,
    })),
    ...audit.map((a, i) => ({
      time: a.time,
      order: history.length + i,
      row: html`<tr class="console-action"><td>${a.time}</td><td>${a.taskId ?? ''}</td><td>${t(lang, `console.action.${a.action}`)}<br>${t(
        lang,
        'console.byConsole',
        { actor: a.actor },
      )}</td><td>${a.detail ?? ''}</td></tr>`,
    })),
  ];
  // ISO-8601 UTC times sort as text; at the same time, history first (the action's effects follow it)
  rows.sort((a, b) => (a.time < b.time ? -1 : a.time > b.time ? 1 : a.order - b.order));
  return join(rows.map((r) => r.row));
}

/** Links to the operators' pages under /admin (Bull Board, Prometheus metrics), which ask for the /admin login. */
export function operatorLinks(lang: Lang): Html {
  return html`<h2>${t(lang, 'console.operators')}</h2><p>${t(lang, 'console.operators.hint')}</p>
<ul><li><a href="/admin/queues">${t(lang, 'console.operators.queues')}</a></li><li><a href="/metrics">${t(lang, 'console.operators.metrics')}</a></li></ul>`;
}

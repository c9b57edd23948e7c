// A user session (createUserSession, reference §3.10): the tasks of several requests a signer works
// on in one visit. Pure decisions: the order the signer sees them in (the session's @order, but a
// task never before a task of its own request it depends on), and which login of one task may stand
// for another (the same eID method; a task naming a national id only for a login already checked
// against that same national id).
import type { PortalTask } from './portal';
import type { SessionTaskInfo } from './types';

/** One task of a session as the signer sees it: the task, or why it is not there any more. */
export type SessionEntry =
  | { requestId: string; taskId: string; order: number; description?: string; task: PortalTask }
  | { requestId: string; taskId: string; order: number; description?: string; task?: undefined };

const key = (requestId: string, taskId: string) => `${requestId}/${taskId}`;

/**
 * The session's tasks by @order (then as listed), moved so that a task comes after every task of the
 * same request it depends on that is also in the session (a stable topological order; a cycle,
 * refused at createRequest, would keep the @order).
 */
export function sessionOrder<T extends SessionTaskInfo & { dependsOn?: readonly string[] }>(tasks: readonly T[]): T[] {
  const sorted = tasks
    .map((t, i) => ({ t, i }))
    .sort((a, b) => a.t.order - b.t.order || a.i - b.i)
    .map((x) => x.t);
  const inSession = new Set(sorted.map((t) => key(t.requestId, t.taskId)));
  const out: T[] = [];
  const placed = new Set<string>();
  const pending = [...sorted];
  while (pending.length) {
    const i = pending.findIndex((t) =>
      (t.dependsOn ?? []).every((d) => !inSession.has(key(t.requestId, d)) || placed.has(key(t.requestId, d))),
    );
    const [next] = pending.splice(i < 0 ? 0 : i, 1);
    out.push(next!);
    placed.add(key(next!.requestId, next!.taskId));
  }
  return out;
}

/** A national id as compared (CPR numbers are written with or without the dash). */
const nid = (x: string) => x.replace(/-/g, '');

/**
 * Whether a login made on `from` (by `method`, checked against `from`'s national id where it names
 * one) may stand for `to`: `ok`; `login` — `to` asks for its own login (another method, or a national
 * id the login was never checked against); `mismatch` — `to` names another person.
 */
export function loginCarries(from: PortalTask, method: string, to: PortalTask): 'ok' | 'login' | 'mismatch' {
  if (!to.authentication.includes(method)) return 'login';
  if (!to.nationalId) return 'ok';
  if (!from.nationalId) return 'login';
  return nid(from.nationalId) === nid(to.nationalId) ? 'ok' : 'mismatch';
}

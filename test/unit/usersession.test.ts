// core/usersession.ts: the session's order (by @order, a task after its dependencies in the same
// session) and which login may stand for another task (method, national id).
import { loginCarries, sessionOrder } from '../../src/core/usersession';
import type { PortalTask } from '../../src/core/portal';

const st = (requestId: string, taskId: string, order: number, dependsOn?: string[]) => ({ requestId, taskId, order, dependsOn });
const ids = (xs: Array<{ requestId: string; taskId: string }>) => xs.map((x) => `${x.requestId}/${x.taskId}`);

describe('sessionOrder', () => {
  test('by @order, ties as listed', () => {
    expect(ids(sessionOrder([st('r2', 't', 2), st('r1', 't', 1), st('r3', 't', 2)]))).toEqual(['r1/t', 'r2/t', 'r3/t']);
  });
  test('a task after the tasks of its own request it depends on, whatever their @order', () => {
    const out = sessionOrder([st('r3', 'b', 1, ['a']), st('r1', 't', 2), st('r3', 'a', 3), st('r3', 'c', 0, ['b'])]);
    expect(ids(out)).toEqual(['r1/t', 'r3/a', 'r3/b', 'r3/c']);
  });
  test('a dependency outside the session, or of the same id in another request, does not hold a task back', () => {
    const out = sessionOrder([st('r1', 'b', 1, ['a']), st('r2', 'a', 2), st('r2', 'x', 3, ['gone'])]);
    expect(ids(out)).toEqual(['r1/b', 'r2/a', 'r2/x']);
  });
});

describe('loginCarries', () => {
  const pt = (authentication: string[], nationalId?: string) => ({ authentication, nationalId }) as unknown as PortalTask;
  test('the same method and no national id: carried', () => {
    expect(loginCarries(pt(['nemid']), 'nemid', pt(['nemid']))).toBe('ok');
  });
  test('another method: the task asks for its own login', () => {
    expect(loginCarries(pt(['nemid']), 'nemid', pt(['oidc-x']))).toBe('login');
  });
  test('a national id: only a login checked against the same one (dash or not)', () => {
    expect(loginCarries(pt(['nemid'], '010190-1234'), 'nemid', pt(['nemid'], '0101901234'))).toBe('ok');
    expect(loginCarries(pt(['nemid'], '0101901234'), 'nemid', pt(['nemid'], '0202021234'))).toBe('mismatch');
    expect(loginCarries(pt(['nemid']), 'nemid', pt(['nemid'], '0101901234'))).toBe('login');
  });
});

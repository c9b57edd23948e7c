// Console sessions for tests that drive the console over HTTP: a manager's and a viewer's of one
// service, opened in Redis the way a login opens them, as the cookie and CSRF token a form sends.
import { ConsoleSessions } from '../../src/console/session';
import type { TestServer } from './server';

export type ConsoleLogins = Record<'manager' | 'viewer', { cookie: string; csrf: string }>;

export async function consoleLogins(s: TestServer, service = 'demo'): Promise<ConsoleLogins> {
  const svc = (await s.rt.services.find(service))!;
  const sessions = new ConsoleSessions(s.rt.redis, s.rt.config.notify.queuePrefix);
  const as = {} as ConsoleLogins;
  for (const role of ['manager', 'viewer'] as const) {
    const id = await sessions.open({ serviceId: svc.id, service, isPublic: svc.public, role, actor: `clerk-${role}` });
    as[role] = { cookie: `segl_console=${id}`, csrf: (await sessions.use(id))!.csrf };
  }
  return as;
}

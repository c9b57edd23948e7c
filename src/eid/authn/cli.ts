// `segl service set NAME --auth-target URL` (repeatable) and the `auth-target` line of `segl service
// show`: the targets a service's logins may answer to (src/eid/authn/targets.ts checks each).
import type { DataSource } from 'typeorm';
import { AuthnRepository } from '../../store/authn';
import type { ServiceRepository } from '../../store/services';
import { authTargetEntry } from './targets';

/** Replaces the service's login targets, each checked (origin and path prefix); only "" clears them. */
export async function setAuthTargets(r: ServiceRepository, db: DataSource, name: string, given: string[]): Promise<void> {
  const svc = await r.find(name);
  if (!svc) throw new Error(`no service "${name}"`);
  const urls = given.filter((x) => x.trim() !== '').map(authTargetEntry);
  const bad = urls.find((u): u is Error => u instanceof Error);
  if (bad) throw bad;
  await new AuthnRepository(db).setTargets(svc.id, urls as string[], new Date().toISOString());
  process.stdout.write(`auth targets of ${name}: ${urls.join(' ') || '(none)'}\n`);
}

/** The service's login targets. */
export async function authTargets(r: ServiceRepository, db: DataSource, name: string): Promise<string[]> {
  const svc = await r.find(name);
  if (!svc) throw new Error(`no service "${name}"`);
  return new AuthnRepository(db).targets(svc.id);
}

// PID-CPR: from the PID an eID login gives to the person's CPR number, per service:
//   match  (default; private merchants): the user types the CPR and consents; it must equal the CPR
//          the register has for the PID, else a clear mismatch;
//   lookup (services marked public only): the CPR is taken from the PID with no user step.
// The register here is the test eID's (each test user's PID and CPR). After a match the user may let
// segl store the CPR (src/store/cpr.ts: AES-256-GCM at rest, key SEGL_CPR_KEY or HKDF of SEGL_SECRET)
// so the step is skipped next time; numbers unused for 3 months are purged by the nightly timer.
import type { TextKey } from '../portal/i18n';
import type { DataSource } from 'typeorm';
import type { Clock, ServiceAccount } from '../core/ports';
import { CprRepository } from '../store/cpr';
import { TestUserStore } from '../store/testusers';
import { cprProblem, normaliseCpr } from './cprnumber';

export type PidCprMode = 'match' | 'lookup';

/** Where CPR numbers of PIDs come from (the test eID environment: TestIdEnvironment.cprOfPid). */
export interface PidCprRegister {
  cprOfPid(pid: string): Promise<string | undefined>;
}

export type PidCprOutcome =
  | { ok: true; cpr: string; source: 'typed' | 'stored' | 'lookup'; stored: boolean }
  | { ok: false; reason: 'ask-user' | 'mismatch' | 'invalid-cpr' | 'unknown-pid' | 'not-public'; message: string };

export interface PidCprDeps {
  db: DataSource;
  register: PidCprRegister;
  /** the CPR store; default one keyed from `secret` / the environment (src/store/cpr.ts) */
  cpr?: CprRepository;
  /** SEGL_SECRET (Runtime.config.secret), for the default CPR store's key */
  secret?: string;
  clock?: Clock;
}

const MESSAGES = {
  'ask-user': 'Type your CPR number to confirm who you are.',
  mismatch: 'The CPR number does not belong to the person who logged in. Check it and try again.',
  'unknown-pid': 'No CPR number is registered for this PID.',
  'not-public': 'CPR lookup is only for public services; this service must ask the user (match).',
} as const;

/** The portal's translated text for a refusal (`message` stays the English detail for logs and the test tool). */
export const pidCprTextKey = (reason: Exclude<PidCprOutcome, { ok: true }>['reason']): TextKey => `cpr.error.${reason}`;

const no = (reason: Exclude<PidCprOutcome, { ok: true }>['reason'], message?: string): PidCprOutcome => ({
  ok: false,
  reason,
  message: message ?? MESSAGES[reason as keyof typeof MESSAGES],
});

export class PidCprService {
  readonly cpr: CprRepository;
  private readonly store: TestUserStore;
  private readonly clock: Clock;

  constructor(private readonly deps: PidCprDeps) {
    this.cpr = deps.cpr ?? new CprRepository(deps.db, { secret: deps.secret });
    this.store = new TestUserStore(deps.db);
    this.clock = deps.clock ?? { now: () => new Date() };
  }

  private now(): string {
    return this.clock.now().toISOString();
  }

  /** The service's mode: `lookup` only when set and the service is public, else `match`. */
  async modeOf(svc: ServiceAccount): Promise<PidCprMode> {
    const mode = await this.store.tx((t) => t.pidCprMode(svc.id));
    return mode === 'lookup' && svc.public ? 'lookup' : 'match';
  }

  /** Sets the service's mode; `lookup` is refused for a service not marked public. */
  async setMode(svc: ServiceAccount, mode: PidCprMode): Promise<void> {
    if (mode !== 'match' && mode !== 'lookup') throw new Error(`PID-CPR mode must be match or lookup, not ${JSON.stringify(mode)}`);
    if (mode === 'lookup' && !svc.public)
      throw new Error(`service "${svc.name}" is not public: PID-CPR lookup is only for public services`);
    await this.store.tx((t) => t.setPidCprMode(svc.id, mode, this.now()));
  }

  /**
   * The portal's first step after login: `lookup` services get the CPR at once; otherwise a CPR the
   * user chose to store is used (and its 3-month clock restarted); otherwise `ask-user`.
   */
  async begin(svc: ServiceAccount, pid: string): Promise<PidCprOutcome> {
    if ((await this.modeOf(svc)) === 'lookup') return this.lookup(svc, pid);
    const stored = await this.cpr.use(pid, this.now());
    if (stored !== undefined) {
      const registered = await this.deps.register.cprOfPid(pid);
      if (registered === stored) return { ok: true, cpr: stored, source: 'stored', stored: true };
      await this.cpr.forget(pid); // the register changed since: ask again
    }
    return no('ask-user');
  }

  /** `match`: the CPR the user typed against the PID's; stored (encrypted) when the user chose so. */
  async match(_svc: ServiceAccount, pid: string, typed: string, opts: { store?: boolean } = {}): Promise<PidCprOutcome> {
    const problem = cprProblem(typed ?? '', this.clock.now());
    if (problem) return no('invalid-cpr', `${problem[0]!.toUpperCase()}${problem.slice(1)}.`);
    const registered = await this.deps.register.cprOfPid(pid);
    if (registered === undefined) return no('unknown-pid');
    const cpr = normaliseCpr(typed)!;
    if (cpr !== registered) return no('mismatch');
    if (opts.store) await this.cpr.remember(pid, cpr, this.now());
    return { ok: true, cpr, source: 'typed', stored: !!opts.store };
  }

  /** `lookup`: the CPR from the PID, public services only. */
  async lookup(svc: ServiceAccount, pid: string): Promise<PidCprOutcome> {
    if (!svc.public) return no('not-public');
    const cpr = await this.deps.register.cprOfPid(pid);
    return cpr === undefined ? no('unknown-pid') : { ok: true, cpr, source: 'lookup', stored: false };
  }

  /** The user withdraws consent: the stored CPR goes at once. */
  forget(pid: string): Promise<boolean> {
    return this.cpr.forget(pid);
  }
}

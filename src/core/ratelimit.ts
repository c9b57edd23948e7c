// Login throttle: slows password guessing down without locking out the right password.
//
// Failures are counted per (source, account) and per source, over a sliding window. Below the free
// allowance nothing happens. Above it, attempts on that key are spaced out: each one is answered
// only after a back-off (doubling from BASE up to MAX_DELAY), and attempts queue behind each other,
// so parallel connections do not buy more guesses. An attempt that would have to wait longer than
// MAX_WAIT is refused at once ("try again in N s") and not counted. A correct password is therefore
// never refused because of failures on other accounts: at worst it is answered a few seconds late.
//
// Why two keys: the pair key bounds guessing one account from one address; the source key bounds a
// spray over many accounts (or unknown names) from one address. The source key does not apply to a
// pair that logged in successfully from that address recently (KNOWN_FOR): tenants behind one NAT
// are not slowed by a neighbour's failures. Successes do not reset failures (else an attacker behind
// the same address would get a fresh allowance each time the real client logs in).
//
// In-process: each API instance keeps its own counts. No I/O: the caller sleeps for `waitMs`.

export interface ThrottlePolicy {
  /** failures per (source, account) within `windowMs` before attempts are spaced out */
  pairFree: number;
  /** failures per source within `windowMs` before attempts of pairs not known there are spaced out */
  sourceFree: number;
  windowMs: number;
  /** first back-off; doubles per further failure */
  baseDelayMs: number;
  /** largest back-off between two attempts on one key */
  maxDelayMs: number;
  /** an attempt that would wait longer than this is refused (not queued) */
  maxWaitMs: number;
  /** how long a successful (source, account) stays exempt from the source key */
  knownForMs: number;
  /**
   * Attempts in flight (not yet known good or bad) count as failures beyond this many, so a burst of
   * parallel guesses is throttled before any of them has failed; a pair known good gets `knownInFlight`.
   */
  inFlight: number;
  knownInFlight: number;
}

export const DEFAULT_THROTTLE: ThrottlePolicy = {
  pairFree: 5,
  sourceFree: 20,
  windowMs: 15 * 60_000,
  baseDelayMs: 500,
  maxDelayMs: 8_000,
  maxWaitMs: 15_000,
  knownForMs: 24 * 3_600_000,
  inFlight: 16,
  knownInFlight: 256,
};

/** What the caller reports once the password was checked (each settles the attempt once). */
export interface LoginAttempt {
  /** go ahead after this many milliseconds (0 when not throttled) */
  waitMs: number;
  /** a wrong password or an unknown account */
  fail(): void;
  succeed(): void;
  /** neither: the check did not happen (an error, or the call was refused for another reason) */
  cancel(): void;
}

/** Either an attempt to make, or refused: try again after `retryAfterMs`. */
export type Admission = ({ ok: true } & LoginAttempt) | { ok: false; retryAfterMs: number };

interface KeyState {
  failures: number[];
  nextAt: number;
  pending: number;
}

/** Keys kept per map; past this the oldest go (bounded memory under a spray of sources or names). */
const MAX_KEYS = 100_000;

export class LoginThrottle {
  private readonly keys = new Map<string, KeyState>();
  private readonly known = new Map<string, number>();

  constructor(
    private readonly policy: ThrottlePolicy = DEFAULT_THROTTLE,
    private readonly now = () => Date.now(),
  ) {}

  /** Account names come from the caller: bounded so a long name cannot grow the maps. */
  private static pair(source: string, account: string): string {
    return `p\u0000${source}\u0000${account.slice(0, 200)}`;
  }

  private state(key: string): KeyState {
    const t = this.now();
    let s = this.keys.get(key);
    if (s) s.failures = s.failures.filter((x) => t - x < this.policy.windowMs);
    if (!s) {
      s = { failures: [], nextAt: 0, pending: 0 };
      this.keys.set(key, s);
      if (this.keys.size > MAX_KEYS) this.prune(t);
    }
    return s;
  }

  /** Drops idle keys (no failures in the window, nothing in flight, no slot ahead). */
  private prune(t: number): void {
    for (const [k, s] of this.keys) {
      if (s.pending === 0 && s.nextAt <= t && s.failures.every((x) => t - x >= this.policy.windowMs)) this.keys.delete(k);
    }
    if (this.keys.size > MAX_KEYS) this.keys.clear(); // a spray of live keys: forget rather than grow
  }

  private isKnown(source: string, account: string): boolean {
    const at = this.known.get(LoginThrottle.pair(source, account));
    return at !== undefined && this.now() - at < this.policy.knownForMs;
  }

  /** The keys an attempt is subject to, with their free allowances. */
  private keysOf(source: string, account: string): Array<{ key: string; free: number; inFlight: number }> {
    if (this.isKnown(source, account)) {
      return [{ key: LoginThrottle.pair(source, account), free: this.policy.pairFree, inFlight: this.policy.knownInFlight }];
    }
    return [
      { key: LoginThrottle.pair(source, account), free: this.policy.pairFree, inFlight: this.policy.inFlight },
      { key: `s\u0000${source}`, free: this.policy.sourceFree, inFlight: this.policy.inFlight },
    ];
  }

  private delay(over: number): number {
    return Math.min(this.policy.baseDelayMs * 2 ** Math.min(over, 30), this.policy.maxDelayMs);
  }

  /**
   * Call before checking a password. On `ok`, wait `waitMs`, check, then report `fail`, `succeed`
   * or `cancel`. The slot is reserved now, so concurrent attempts queue behind each other.
   */
  admit(source: string, account: string): Admission {
    const t = this.now();
    const keys = this.keysOf(source, account).map((k) => ({ ...k, s: this.state(k.key) }));
    let at = t;
    const slots = keys.map(({ s, free, inFlight }) => {
      const over = s.failures.length + Math.max(0, s.pending - inFlight) - free;
      if (over < 0) return undefined;
      const slot = Math.max(t, s.nextAt) + this.delay(over);
      at = Math.max(at, slot);
      return slot;
    });
    const waitMs = at - t;
    if (waitMs > this.policy.maxWaitMs) return { ok: false, retryAfterMs: waitMs - this.policy.maxWaitMs };
    keys.forEach(({ s }, i) => {
      if (slots[i] !== undefined) s.nextAt = Math.max(s.nextAt, slots[i]!);
      s.pending++;
    });
    let settled = false;
    const settle = (failed: boolean) => {
      if (settled) return;
      settled = true;
      const now = this.now();
      for (const { s } of keys) {
        s.pending--;
        if (failed) LoginThrottle.record(s, now);
      }
    };
    return {
      ok: true,
      waitMs,
      fail: () => settle(true),
      cancel: () => settle(false),
      succeed: () => {
        if (settled) return;
        settle(false);
        const key = LoginThrottle.pair(source, account);
        this.known.delete(key);
        this.known.set(key, this.now());
        if (this.known.size > MAX_KEYS) this.known.delete(this.known.keys().next().value!);
      },
    };
  }

  /** A call refused before its credentials could be checked still counts against its source (and account, if named). */
  refused(source: string, account = ''): void {
    const t = this.now();
    for (const { key } of this.keysOf(source, account)) LoginThrottle.record(this.state(key), t);
  }

  private static record(s: KeyState, t: number): void {
    s.failures.push(t);
    if (s.failures.length > 64) s.failures.splice(0, s.failures.length - 64); // only the last few matter
  }
}

/** Waits `ms` (what `admit` asked for). */
export function pause(ms: number): Promise<void> {
  return ms > 0 ? new Promise((resolve) => setTimeout(resolve, ms)) : Promise.resolve();
}

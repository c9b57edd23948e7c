// Failed-login limiter per source address: after `max` failures within `windowMs` the source is
// refused until the window has passed. In-process; each API instance keeps its own count.
export class FailureLimiter {
  private readonly failures = new Map<string, number[]>();

  constructor(private readonly max = 10, private readonly windowMs = 60_000, private readonly now = () => Date.now()) {}

  private recent(source: string): number[] {
    const t = this.now();
    const list = (this.failures.get(source) ?? []).filter((x) => t - x < this.windowMs);
    if (list.length) this.failures.set(source, list);
    else this.failures.delete(source);
    return list;
  }

  /** Milliseconds until the source may try again; 0 when it may now. */
  blockedFor(source: string): number {
    const list = this.recent(source);
    return list.length >= this.max ? this.windowMs - (this.now() - list[list.length - this.max]!) : 0;
  }

  fail(source: string): void {
    const list = this.recent(source);
    list.push(this.now());
    this.failures.set(source, list.slice(-this.max));
    if (this.failures.size > 100_000) this.failures.clear(); // bounded memory under a spray of sources
  }
}

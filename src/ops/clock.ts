// segl's clock: real time, plus an offset that only the preprod test clock can move forward
// (/admin/clock), so reminders and expiry days away are testable in seconds.
import type { Clock } from '../core/ports';

export class AdjustableClock implements Clock {
  private offsetMs = 0;
  constructor(readonly movable: boolean) {}
  now(): Date {
    return new Date(Date.now() + this.offsetMs);
  }
  get offset(): number {
    return this.offsetMs;
  }
  /** Moves the clock forward (never back: deliveries and expiry already decided stay decided). */
  advance(ms: number): Date {
    if (!this.movable) throw new Error('the test clock is off (SEGL_TEST_CLOCK=1, preprod only)');
    if (!Number.isFinite(ms) || ms <= 0) throw new Error('the clock only moves forward by a positive duration');
    this.offsetMs += ms;
    return this.now();
  }
}

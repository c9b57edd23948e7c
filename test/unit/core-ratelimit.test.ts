// The login throttle's policy on a hand-moved clock: free allowance, back-off, queueing of parallel
// attempts, refusal past the longest wait, per-(source, account) vs per-source keys, known pairs.
import { DEFAULT_THROTTLE, LoginThrottle, type Admission } from '../../src/core/ratelimit';

function setup() {
  let t = 1_000_000;
  const th = new LoginThrottle(DEFAULT_THROTTLE, () => t);
  const tick = (ms: number) => {
    t += ms;
  };
  /** one attempt that waits its turn and fails; returns how long it had to wait */
  const failOnce = (source: string, account: string): number => {
    const a = th.admit(source, account);
    if (!a.ok) throw new Error(`refused: retry after ${a.retryAfterMs}`);
    tick(a.waitMs);
    a.fail();
    return a.waitMs;
  };
  return { th, tick, failOnce };
}

const ok = (a: Admission) => {
  if (!a.ok) throw new Error('refused');
  return a;
};

describe('LoginThrottle', () => {
  test('five failures of a pair are free; then each attempt waits 0.5 s, 1 s, 2 s … up to 8 s', () => {
    const { failOnce } = setup();
    const waits = Array.from({ length: 11 }, () => failOnce('10.0.0.1', 'acme'));
    expect(waits).toEqual([0, 0, 0, 0, 0, 500, 1000, 2000, 4000, 8000, 8000]);
  });

  test('a right password after failures is admitted (after the back-off), never refused', () => {
    const { th, failOnce } = setup();
    for (let i = 0; i < 12; i++) failOnce('10.0.0.1', 'acme');
    const a = ok(th.admit('10.0.0.1', 'acme'));
    expect(a.waitMs).toBe(8000);
    a.succeed();
  });

  test('parallel attempts queue behind each other; past 15 s of queue they are refused, not counted', () => {
    const { th, failOnce } = setup();
    for (let i = 0; i < 9; i++) failOnce('10.0.0.1', 'acme'); // back-off now 8 s
    const first = ok(th.admit('10.0.0.1', 'acme'));
    expect(first.waitMs).toBe(8000);
    const second = th.admit('10.0.0.1', 'acme');
    expect(second).toEqual({ ok: false, retryAfterMs: 1000 }); // would wait 16 s
    first.cancel();
  });

  test('a burst of parallel guesses before any failed is throttled past the in-flight allowance', () => {
    const { th } = setup();
    // 16 in flight are allowed, then in-flight attempts count like failures against the 5 free ones
    const waits = Array.from({ length: 25 }, () => ok(th.admit('10.0.0.9', 'acme')).waitMs);
    expect(waits.slice(0, 21).every((w) => w === 0)).toBe(true);
    expect(waits.slice(21)).toEqual([500, 1500, 3500, 7500]);
  });

  test("another account behind the same address is not slowed by one account's failures", () => {
    const { th, failOnce } = setup();
    for (let i = 0; i < 10; i++) failOnce('10.0.0.1', 'acme');
    expect(ok(th.admit('10.0.0.1', 'other')).waitMs).toBe(0);
  });

  test('a spray over many accounts throttles the address, except for pairs known good there', () => {
    const { th, failOnce } = setup();
    ok(th.admit('10.0.0.1', 'known')).succeed();
    for (let i = 0; i < 20; i++) expect(failOnce('10.0.0.1', `name-${i}`)).toBe(0);
    expect(ok(th.admit('10.0.0.1', 'never-seen')).waitMs).toBe(500);
    expect(ok(th.admit('10.0.0.1', 'known')).waitMs).toBe(0);
    expect(ok(th.admit('10.0.0.2', 'never-seen')).waitMs).toBe(0);
  });

  test('failures age out after the window; successes do not reset them', () => {
    const { th, tick, failOnce } = setup();
    for (let i = 0; i < 6; i++) failOnce('10.0.0.1', 'acme');
    ok(th.admit('10.0.0.1', 'acme')).succeed();
    expect(ok(th.admit('10.0.0.1', 'acme')).waitMs).toBeGreaterThan(0);
    tick(DEFAULT_THROTTLE.windowMs + 30_000);
    expect(ok(th.admit('10.0.0.1', 'acme')).waitMs).toBe(0);
  });

  test('refused calls (no credentials checked) count against the address', () => {
    const { th } = setup();
    for (let i = 0; i < 20; i++) th.refused('10.0.0.1');
    expect(ok(th.admit('10.0.0.1', 'anyone')).waitMs).toBe(500);
  });
});

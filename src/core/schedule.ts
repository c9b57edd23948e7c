// Notification schedules (reference §3.8, §4.4). The wire leaves `days-of-week`, `time-of-day` and
// `timezone` as free strings; segl defines their formats here (docs/integrators.md "Notifications and callbacks"),
// refuses anything else, and computes the instant a scheduled notification fires.
// Pure: time zones come from Intl and the ICU data Node ships.
import { TASK_STATUSES, type TaskStatus } from './enums';
import { ValidationError, type Violation } from './errors';
import { parseXsDateTime } from './datetime';
import type { Schedule } from './types';

export interface CompiledSchedule {
  stateIs: TaskStatus;
  /** wait as milliseconds (a day is 24 hours). */
  waitMs: number;
  /** wait-until as milliseconds since the epoch. */
  waitUntil?: number;
  /** Allowed local days, 0 = Sunday … 6 = Saturday; null = every day. */
  days: ReadonlySet<number> | null;
  /** Minutes after local midnight: a time (no end) or a window [start, end); null = any time. */
  time: { start: number; end?: number } | null;
  /** The zone name as written (trimmed), e.g. Europe/Oslo; UTC when absent. */
  timeZone: string;
}

export const SCHEDULE_RULES = {
  daysOfWeek:
    'must be day names (MON, TUE, WED, THU, FRI, SAT, SUN) or ranges of two different days ' +
    '(MON-FRI; FRI-MON wraps), separated by commas',
  timeOfDay: 'must be HH:MM or HH:MM-HH:MM (24-hour), e.g. 09:00 or 08:00-16:00',
  window: 'a time window must start before it ends (e.g. 08:00-16:00; it cannot cross midnight)',
  timezone: 'must be an IANA time zone such as Europe/Oslo or America/New_York, or UTC',
  waitUntil: 'must be an xs:dateTime such as 2026-12-01T09:00:00Z',
  wait: 'must be a whole number from 0 to 100000',
} as const;

const MAX_TEXT = 64;
const MAX_WAIT = 100_000;
const MINUTE = 60_000;
const DAY = 86_400_000;
const DAY_NAMES = ['SUN', 'MON', 'TUE', 'WED', 'THU', 'FRI', 'SAT'] as const;

type Parsed<T> = { ok: true; value: T } | { ok: false; rule: string };
const ok = <T>(value: T): Parsed<T> => ({ ok: true, value });
const bad = <T>(rule: string): Parsed<T> => ({ ok: false, rule });

const dayIndex = (name: string | undefined): number =>
  name === undefined ? -1 : (DAY_NAMES as readonly string[]).indexOf(name.toUpperCase());

function parseDays(text: string): Parsed<ReadonlySet<number>> {
  const days = new Set<number>();
  for (const raw of text.split(',')) {
    const token = raw.trim();
    const m = /^([a-z]{3})(?:-([a-z]{3}))?$/i.exec(token);
    const from = dayIndex(m?.[1]);
    const to = m?.[2] === undefined ? from : dayIndex(m[2]);
    if (from < 0 || to < 0 || (m?.[2] !== undefined && from === to)) {
      return bad(`${SCHEDULE_RULES.daysOfWeek}; "${token}" is not one`);
    }
    for (let d = from; ; d = (d + 1) % 7) {
      days.add(d);
      if (d === to) break;
    }
  }
  return ok(days);
}

const HHMM = '([01]\\d|2[0-3]):([0-5]\\d)';
const TIME_OF_DAY = new RegExp(`^${HHMM}(?:-${HHMM})?$`);

function parseTime(text: string): Parsed<{ start: number; end?: number }> {
  const m = TIME_OF_DAY.exec(text.trim());
  if (!m) return bad(SCHEDULE_RULES.timeOfDay);
  const start = Number(m[1]) * 60 + Number(m[2]);
  if (m[3] === undefined) return ok({ start });
  const end = Number(m[3]) * 60 + Number(m[4]);
  return start < end ? ok({ start, end }) : bad(SCHEDULE_RULES.window);
}

function parseZone(text: string): Parsed<string> {
  const name = text.trim();
  const refused = bad<string>(`${SCHEDULE_RULES.timezone}; "${name}" is not one`);
  // Names only: newer ICU also takes offsets such as +01:00, which segl does not document.
  if (!/^[a-z][\w+-]*(\/[\w+-]+)*$/i.test(name)) return refused;
  try {
    formatter(name);
    return ok(name);
  } catch {
    return refused;
  }
}

const isBlank = (v: unknown): boolean => v === undefined || v === null || (typeof v === 'string' && v.trim() === '');

/** Checks every field; returns the violations and, when there are none, the compiled schedule. */
function analyse(s: Schedule, path: string): { violations: Violation[]; compiled?: CompiledSchedule } {
  const violations: Violation[] = [];
  const fail = (name: string, rule: string): void => {
    violations.push({ path: `${path}/${name}`, rule });
  };

  if (isBlank(s.stateIs)) fail('state-is', 'is required');
  else if (!TASK_STATUSES.includes(s.stateIs)) fail('state-is', `must be one of ${TASK_STATUSES.join(', ')}`);

  const waitUntil = s.waitUntil === undefined ? undefined : parseXsDateTime(s.waitUntil);
  if (waitUntil !== undefined && Number.isNaN(waitUntil)) fail('wait-until', SCHEDULE_RULES.waitUntil);

  let waitMinutes = 0;
  for (const [k, minutes] of [
    ['days', 1440],
    ['hours', 60],
    ['minutes', 1],
  ] as const) {
    const v = s.wait?.[k];
    if (v === undefined) continue;
    if (!Number.isInteger(v) || v < 0 || v > MAX_WAIT) fail(`wait/@${k}`, SCHEDULE_RULES.wait);
    else waitMinutes += v * minutes;
  }

  const field = <T>(name: string, text: string | undefined, parse: (t: string) => Parsed<T>): T | null => {
    if (text === undefined) return null;
    if (text.length > MAX_TEXT) {
      fail(name, `must be at most ${MAX_TEXT} characters`);
      return null;
    }
    const p = parse(text);
    if (p.ok) return p.value;
    fail(name, p.rule);
    return null;
  };
  const days = field('days-of-week', s.daysOfWeek, parseDays);
  const time = field('time-of-day', s.timeOfDay, parseTime);
  const timeZone = field('timezone', s.timezone, parseZone) ?? 'UTC';

  if (violations.length) return { violations };
  const compiled: CompiledSchedule = { stateIs: s.stateIs, waitMs: waitMinutes * MINUTE, days, time, timeZone };
  if (waitUntil !== undefined) compiled.waitUntil = waitUntil;
  return { violations, compiled };
}

/**
 * Violations (path + rule; the rule says what is accepted) for one schedule at `path`, e.g.
 * `request[0]/task[0]/notification[0]/schedule[0]`: state-is, wait-until, wait and the segl formats
 * of days-of-week, time-of-day and timezone.
 */
export function scheduleViolations(s: Schedule, path: string): Violation[] {
  return analyse(s, path).violations;
}

/** Throws ValidationError if invalid. */
export function compileSchedule(s: Schedule, path = 'schedule'): CompiledSchedule {
  const { violations, compiled } = analyse(s, path);
  if (!compiled) throw new ValidationError(violations);
  return compiled;
}

// ---- local wall time <-> instant ------------------------------------------------------------------
// A wall time is held as milliseconds "as if UTC": local day number * DAY + time of day.

const formatters = new Map<string, Intl.DateTimeFormat>();

/** A formatter for the zone; throws RangeError for an unknown zone. */
function formatter(timeZone: string): Intl.DateTimeFormat {
  let f = formatters.get(timeZone);
  if (!f) {
    if (formatters.size >= 1000) formatters.clear(); // names are caller input (any letter case): keep it bounded
    f = new Intl.DateTimeFormat('en-US', {
      timeZone,
      hourCycle: 'h23',
      year: 'numeric',
      month: 'numeric',
      day: 'numeric',
      hour: 'numeric',
      minute: 'numeric',
      second: 'numeric',
    });
    formatters.set(timeZone, f);
  }
  return f;
}

/** Milliseconds to add to the instant `t` to get the wall time in the zone. */
function offsetAt(timeZone: string, t: number): number {
  if (timeZone === 'UTC') return 0;
  const whole = t - (((t % 1000) + 1000) % 1000); // Intl shows whole seconds
  const p: Record<string, number> = {};
  for (const part of formatter(timeZone).formatToParts(whole)) p[part.type] = Number(part.value);
  const wall = new Date(0);
  wall.setUTCFullYear(p.year!, p.month! - 1, p.day!); // setUTCFullYear keeps years 0-99 as written
  wall.setUTCHours(p.hour!, p.minute!, p.second!, 0);
  return wall.getTime() - whole;
}

/**
 * The instant of a wall time: the earlier one when the wall time occurs twice (fall back), the first
 * instant after the gap when it does not occur at all (spring forward). Assumes at most one offset
 * change within a day either side, which holds for every zone in the tz database since 1900.
 */
function instantOf(timeZone: string, wall: number): number {
  const before = offsetAt(timeZone, wall - DAY);
  const after = offsetAt(timeZone, wall + DAY);
  const fits = [wall - before, wall - after].filter((t) => offsetAt(timeZone, t) === wall - t);
  if (fits.length) return Math.min(...fits);
  // In the gap: the transition lies in (wall - after, wall - before]; find its first instant.
  let lo = wall - after;
  let hi = wall - before;
  while (hi - lo > 1) {
    const mid = Math.floor((lo + hi) / 2);
    if (offsetAt(timeZone, mid) === after) hi = mid;
    else lo = mid;
  }
  return hi;
}

const weekday = (dayNumber: number): number => (((dayNumber + 4) % 7) + 7) % 7; // 1970-01-01 was a Thursday

/** The instant a notification with this schedule fires, for a task that entered s.stateIs at `triggeredAt`. */
export function fireTime(c: CompiledSchedule, triggeredAt: Date): Date {
  let base = triggeredAt.getTime() + c.waitMs;
  if (Number.isNaN(base)) throw new RangeError('triggeredAt is not a valid date');
  if (c.waitUntil !== undefined && c.waitUntil > base) base = c.waitUntil;
  if (!c.days && !c.time) return new Date(base);

  const today = Math.floor((base + offsetAt(c.timeZone, base)) / DAY);
  // An allowed day comes within a week; a time already past today moves to the same weekday next week.
  for (let day = today; day <= today + 7; day++) {
    if (c.days && !c.days.has(weekday(day))) continue;
    const at = (minute: number): number => instantOf(c.timeZone, day * DAY + minute * MINUTE);
    if (!c.time) return new Date(Math.max(base, at(0)));
    if (c.time.end === undefined) {
      const t = at(c.time.start);
      if (t >= base) return new Date(t);
    } else if (base < at(c.time.end)) {
      return new Date(Math.max(base, at(c.time.start)));
    }
  }
  throw new RangeError('the schedule allows no day of the week');
}

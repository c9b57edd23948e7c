// Unit tests of src/core/schedule.ts: every accepted and refused format of days-of-week, time-of-day
// and timezone, and fire times computed by hand (each case says how).
// Calendar used below: 2026-03-02 is a Monday. Europe/Oslo is +01:00 until 2026-03-29 01:00Z, then
// +02:00 until 2026-10-25 01:00Z. America/New_York is -05:00 until 2026-03-08 07:00Z, then -04:00.
// Asia/Kolkata is +05:30 all year. Pacific/Chatham is +13:45 until 2026-04-05, +12:45 from then to 2026-09-27.
import { ValidationError } from '../../src/core/errors';
import { compileSchedule, fireTime, scheduleViolations, type CompiledSchedule } from '../../src/core/schedule';
import type { Schedule, SigningRequest } from '../../src/core/types';
import { validateNotification, validateRequests, type ValidationContext } from '../../src/core/validate';
import { violationsOf } from '../support/violations';

const P = 'request[0]/task[0]/notification[0]/schedule[0]';
const DAYS_RULE =
  'must be day names (MON, TUE, WED, THU, FRI, SAT, SUN) or ranges of two different days (MON-FRI; FRI-MON wraps), separated by commas';
const TIME_RULE = 'must be HH:MM or HH:MM-HH:MM (24-hour), e.g. 09:00 or 08:00-16:00';
const WINDOW_RULE = 'a time window must start before it ends (e.g. 08:00-16:00; it cannot cross midnight)';
const ZONE_RULE = 'must be an IANA time zone such as Europe/Oslo or America/New_York, or UTC';

const sched = (extra: Partial<Schedule> = {}): Schedule => ({ stateIs: 'created', ...extra });

/** The fire time, as an ISO string, of a schedule triggered at `at`. */
function fire(extra: Partial<Schedule>, at: string): string {
  return fireTime(compileSchedule(sched(extra)), new Date(at)).toISOString();
}

describe('days-of-week', () => {
  const days = (text: string): number[] => [...(compileSchedule(sched({ daysOfWeek: text })).days ?? [])].sort();

  test('names, case-insensitive, with spaces around commas', () => {
    expect(days('MON')).toEqual([1]);
    expect(days('sun,Sat')).toEqual([0, 6]);
    expect(days(' mon , Tue ,wed ')).toEqual([1, 2, 3]);
  });

  test('ranges, also wrapping, and overlaps', () => {
    expect(days('MON-FRI')).toEqual([1, 2, 3, 4, 5]);
    expect(days('fri-mon')).toEqual([0, 1, 5, 6]);
    expect(days('SAT-SUN')).toEqual([0, 6]);
    expect(days('SUN-SAT')).toEqual([0, 1, 2, 3, 4, 5, 6]);
    expect(days('MON-WED,TUE,SAT-MON')).toEqual([0, 1, 2, 3, 6]);
  });

  test('absent means every day', () => {
    expect(compileSchedule(sched()).days).toBeNull();
  });

  test('empty, unknown names and malformed ranges are refused, naming the bad token', () => {
    for (const [text, token] of [
      ['', ''],
      [' ', ''],
      ['MON,', ''],
      ['MON,,TUE', ''],
      ['MONDAY', 'MONDAY'],
      ['MON,FRY', 'FRY'],
      ['XYZ', 'XYZ'],
      ['1', '1'],
      ['MON;TUE', 'MON;TUE'],
      ['MON - FRI', 'MON - FRI'],
      ['MON-', 'MON-'],
      ['MON-MON', 'MON-MON'],
      ['MON-FRI-SUN', 'MON-FRI-SUN'],
      ['MO', 'MO'],
    ]) {
      expect(scheduleViolations(sched({ daysOfWeek: text }), P)).toEqual([
        { path: `${P}/days-of-week`, rule: `${DAYS_RULE}; "${token}" is not one` },
      ]);
    }
  });
});

describe('time-of-day', () => {
  const time = (text: string): CompiledSchedule['time'] => compileSchedule(sched({ timeOfDay: text })).time;

  test('HH:MM and windows HH:MM-HH:MM, as minutes after midnight', () => {
    expect(time('00:00')).toEqual({ start: 0 });
    expect(time('09:05')).toEqual({ start: 545 });
    expect(time('23:59')).toEqual({ start: 1439 });
    expect(time(' 09:00 ')).toEqual({ start: 540 });
    expect(time('08:00-16:00')).toEqual({ start: 480, end: 960 });
    expect(time('00:00-23:59')).toEqual({ start: 0, end: 1439 });
    expect(compileSchedule(sched()).time).toBeNull();
  });

  test('anything else is refused', () => {
    for (const text of [
      '',
      '9:00',
      '24:00',
      '12:60',
      '0900',
      '09:00:00',
      '9am',
      '09.00',
      '08:00 - 16:00',
      '08:00-',
      '-16:00',
      '08:00-16:00-18:00',
    ]) {
      expect(scheduleViolations(sched({ timeOfDay: text }), P)).toEqual([{ path: `${P}/time-of-day`, rule: TIME_RULE }]);
    }
  });

  test('a window must start before it ends', () => {
    for (const text of ['16:00-08:00', '08:00-08:00', '22:00-02:00']) {
      expect(scheduleViolations(sched({ timeOfDay: text }), P)).toEqual([{ path: `${P}/time-of-day`, rule: WINDOW_RULE }]);
    }
  });
});

describe('timezone', () => {
  const zone = (text?: string): string => compileSchedule(sched({ timezone: text })).timeZone;

  test('IANA names (any letter case, aliases too) and UTC, kept as written; default UTC', () => {
    expect(zone()).toBe('UTC');
    for (const name of [
      'UTC',
      'Europe/Oslo',
      'America/New_York',
      'Asia/Kolkata',
      'Pacific/Chatham',
      'America/Argentina/Buenos_Aires',
      'Etc/GMT+5',
      'US/Eastern',
      'europe/oslo',
      'utc',
    ]) {
      expect(zone(name)).toBe(name);
    }
    expect(zone(' Europe/Oslo ')).toBe('Europe/Oslo');
    // 03-02 06:00Z = 07:00 in Oslo (+01:00): 09:00 local = 08:00Z, whatever the spelling.
    expect(fire({ timeOfDay: '09:00', timezone: 'europe/oslo' }, '2026-03-02T06:00:00Z')).toBe('2026-03-02T08:00:00.000Z');
  });

  test('unknown zones and offsets are refused, naming the value', () => {
    for (const text of ['', 'Mars/Base', 'Europe/Olso', '+01:00', 'UTC+1', 'GMT+1', 'Europe/', '/Oslo', 'Europe Oslo']) {
      expect(scheduleViolations(sched({ timezone: text }), P)).toEqual([
        { path: `${P}/timezone`, rule: `${ZONE_RULE}; "${text.trim()}" is not one` },
      ]);
    }
  });
});

describe('scheduleViolations and compileSchedule', () => {
  test('state-is, wait-until and wait are checked as before', () => {
    expect(scheduleViolations({} as Schedule, P)).toEqual([{ path: `${P}/state-is`, rule: 'is required' }]);
    expect(scheduleViolations(sched({ stateIs: 'done' as never }), P)).toEqual([
      { path: `${P}/state-is`, rule: 'must be one of created, completed, rejected, expired, deleted, failed' },
    ]);
    expect(scheduleViolations(sched({ waitUntil: 'tomorrow' }), P)).toEqual([
      { path: `${P}/wait-until`, rule: 'must be an xs:dateTime such as 2026-12-01T09:00:00Z' },
    ]);
    expect(scheduleViolations(sched({ wait: { days: -1, hours: 1.5, minutes: 100_001 } }), P)).toEqual([
      { path: `${P}/wait/@days`, rule: 'must be a whole number from 0 to 100000' },
      { path: `${P}/wait/@hours`, rule: 'must be a whole number from 0 to 100000' },
      { path: `${P}/wait/@minutes`, rule: 'must be a whole number from 0 to 100000' },
    ]);
  });

  test('over-long strings get only the length rule', () => {
    for (const [key, wire] of [
      ['daysOfWeek', 'days-of-week'],
      ['timeOfDay', 'time-of-day'],
      ['timezone', 'timezone'],
    ] as const) {
      expect(scheduleViolations(sched({ [key]: 'x'.repeat(65) }), P)).toEqual([
        { path: `${P}/${wire}`, rule: 'must be at most 64 characters' },
      ]);
    }
  });

  test('all violations, in element order', () => {
    expect(
      scheduleViolations(sched({ waitUntil: 'x', daysOfWeek: 'MONDAY', timeOfDay: '9', timezone: 'Oslo' }), P).map((v) => v.path),
    ).toEqual([`${P}/wait-until`, `${P}/days-of-week`, `${P}/time-of-day`, `${P}/timezone`]);
  });

  test('compileSchedule throws a ValidationError (default path "schedule") or compiles every field', () => {
    expect(() => compileSchedule(sched({ timeOfDay: '25:00' }))).toThrow(ValidationError);
    expect(violationsOf(() => compileSchedule(sched({ timeOfDay: '25:00' })))).toEqual([{ path: 'schedule/time-of-day', rule: TIME_RULE }]);
    expect(violationsOf(() => compileSchedule(sched({ timezone: 'Nowhere' }), 'n/schedule[2]'))).toEqual([
      { path: 'n/schedule[2]/timezone', rule: `${ZONE_RULE}; "Nowhere" is not one` },
    ]);
    expect(
      compileSchedule({
        stateIs: 'completed',
        waitUntil: '2026-03-02T10:00:00+01:00',
        wait: { days: 1, hours: 2, minutes: 3 },
        daysOfWeek: 'MON-FRI',
        timeOfDay: '08:00-16:00',
        timezone: 'Europe/Oslo',
      }),
    ).toEqual({
      stateIs: 'completed',
      waitUntil: Date.parse('2026-03-02T09:00:00Z'),
      waitMs: ((24 + 2) * 60 + 3) * 60_000,
      days: new Set([1, 2, 3, 4, 5]),
      time: { start: 480, end: 960 },
      timeZone: 'Europe/Oslo',
    });
    expect(compileSchedule(sched())).toEqual({ stateIs: 'created', waitMs: 0, days: null, time: null, timeZone: 'UTC' });
  });
});

describe('fireTime: wait and wait-until', () => {
  test('no schedule fields: the trigger time itself', () => {
    expect(fire({}, '2026-03-02T10:00:00.123Z')).toBe('2026-03-02T10:00:00.123Z');
  });

  test('plain wait: 2 days + 3 h + 30 min after 03-02 10:00Z', () => {
    expect(fire({ wait: { days: 2, hours: 3, minutes: 30 } }, '2026-03-02T10:00:00Z')).toBe('2026-03-04T13:30:00.000Z');
  });

  test('wait-until later than trigger + wait wins', () => {
    // trigger + 1 day = 03-03T10:00Z; wait-until 03-05T08:00+01:00 = 03-05T07:00Z is later.
    expect(fire({ wait: { days: 1 }, waitUntil: '2026-03-05T08:00:00+01:00' }, '2026-03-02T10:00:00Z')).toBe('2026-03-05T07:00:00.000Z');
  });

  test('wait-until earlier than trigger + wait loses', () => {
    // trigger + 2 h = 03-02T12:00Z; wait-until 03-01 is already past.
    expect(fire({ wait: { hours: 2 }, waitUntil: '2026-03-01T00:00:00Z' }, '2026-03-02T10:00:00Z')).toBe('2026-03-02T12:00:00.000Z');
  });

  test('wait-until alone; one without a zone is UTC', () => {
    expect(fire({ waitUntil: '2026-03-09T06:00:00' }, '2026-03-02T10:00:00Z')).toBe('2026-03-09T06:00:00.000Z');
  });
});

describe('fireTime: days-of-week and time-of-day (UTC)', () => {
  test('days-of-week alone: an allowed day keeps the base; otherwise 00:00 of the next allowed day', () => {
    // Fri 03-06 15:20 is allowed. Sat 03-07 15:20 is not: Sat and Sun are skipped, Mon 03-09 00:00.
    expect(fire({ daysOfWeek: 'MON-FRI' }, '2026-03-06T15:20:00Z')).toBe('2026-03-06T15:20:00.000Z');
    expect(fire({ daysOfWeek: 'MON-FRI' }, '2026-03-07T15:20:00Z')).toBe('2026-03-09T00:00:00.000Z');
    // Sun 03-08 23:59:59 is still Sunday.
    expect(fire({ daysOfWeek: 'MON-FRI' }, '2026-03-08T23:59:59Z')).toBe('2026-03-09T00:00:00.000Z');
  });

  test('the wait is added before the day is chosen', () => {
    // Thu 03-05 10:00 + 2 days = Sat 03-07 10:00, not allowed: Mon 03-09 00:00.
    expect(fire({ daysOfWeek: 'MON-FRI', wait: { days: 2 } }, '2026-03-05T10:00:00Z')).toBe('2026-03-09T00:00:00.000Z');
  });

  test('a wrapping range FRI-MON', () => {
    // Wed 03-04 is outside FRI,SAT,SUN,MON: Fri 03-06 00:00. Sun 03-08 and Mon 03-09 are inside.
    expect(fire({ daysOfWeek: 'FRI-MON' }, '2026-03-04T10:00:00Z')).toBe('2026-03-06T00:00:00.000Z');
    expect(fire({ daysOfWeek: 'FRI-MON' }, '2026-03-08T10:00:00Z')).toBe('2026-03-08T10:00:00.000Z');
    expect(fire({ daysOfWeek: 'FRI-MON' }, '2026-03-09T23:00:00Z')).toBe('2026-03-09T23:00:00.000Z');
    // Tue 03-10: next Fri 03-13.
    expect(fire({ daysOfWeek: 'FRI-MON' }, '2026-03-10T00:00:00Z')).toBe('2026-03-13T00:00:00.000Z');
  });

  test('HH:MM before, at and after the base', () => {
    // Mon 08:15 is before 09:00: today 09:00. At 09:00 exactly: now. At 09:30: tomorrow 09:00.
    expect(fire({ timeOfDay: '09:00' }, '2026-03-02T08:15:00Z')).toBe('2026-03-02T09:00:00.000Z');
    expect(fire({ timeOfDay: '09:00' }, '2026-03-02T09:00:00Z')).toBe('2026-03-02T09:00:00.000Z');
    expect(fire({ timeOfDay: '09:00' }, '2026-03-02T09:30:00Z')).toBe('2026-03-03T09:00:00.000Z');
  });

  test('HH:MM with days-of-week: a past time on the only allowed day waits a week', () => {
    // Mon 03-02 10:00 is past MON 09:00: next Monday 03-09.
    expect(fire({ timeOfDay: '09:00', daysOfWeek: 'MON' }, '2026-03-02T10:00:00Z')).toBe('2026-03-09T09:00:00.000Z');
    // Fri 03-06 10:00 is past 09:00; Sat, Sun not allowed: Mon 03-09 09:00.
    expect(fire({ timeOfDay: '09:00', daysOfWeek: 'MON-FRI' }, '2026-03-06T10:00:00Z')).toBe('2026-03-09T09:00:00.000Z');
  });

  test('window: inside fires at the base, before waits for the start, at or after the end goes to the next day', () => {
    expect(fire({ timeOfDay: '08:00-16:00' }, '2026-03-02T10:00:00.500Z')).toBe('2026-03-02T10:00:00.500Z');
    expect(fire({ timeOfDay: '08:00-16:00' }, '2026-03-02T08:00:00Z')).toBe('2026-03-02T08:00:00.000Z');
    expect(fire({ timeOfDay: '08:00-16:00' }, '2026-03-02T07:00:00Z')).toBe('2026-03-02T08:00:00.000Z');
    expect(fire({ timeOfDay: '08:00-16:00' }, '2026-03-02T16:00:00Z')).toBe('2026-03-03T08:00:00.000Z');
    expect(fire({ timeOfDay: '08:00-16:00' }, '2026-03-02T17:00:00Z')).toBe('2026-03-03T08:00:00.000Z');
  });

  test('window with days-of-week: inside the hours but on a weekend waits for Monday', () => {
    // Sat 03-07 10:00 is inside 08-16 but not MON-FRI: Mon 03-09 08:00.
    expect(fire({ timeOfDay: '08:00-16:00', daysOfWeek: 'MON-FRI' }, '2026-03-07T10:00:00Z')).toBe('2026-03-09T08:00:00.000Z');
  });
});

describe('fireTime: time zones', () => {
  const OSLO = 'Europe/Oslo';
  const NY = 'America/New_York';
  const cases: Array<[why: string, s: Partial<Schedule>, at: string, expected: string]> = [
    [
      'Oslo winter: 06:00Z = 07:00 (+01:00), before 09:00 local = 08:00Z',
      { timeOfDay: '09:00', timezone: OSLO },
      '2026-03-02T06:00:00Z',
      '2026-03-02T08:00:00.000Z',
    ],
    [
      'Oslo summer: 06:00Z = 08:00 (+02:00), before 09:00 local = 07:00Z',
      { timeOfDay: '09:00', timezone: OSLO },
      '2026-06-01T06:00:00Z',
      '2026-06-01T07:00:00.000Z',
    ],
    [
      'Oslo: Fri 15:30Z = 16:30, after the 08-16 window; Sat, Sun skipped: Mon 03-09 08:00 (+01:00) = 07:00Z',
      { timeOfDay: '08:00-16:00', daysOfWeek: 'MON-FRI', timezone: OSLO },
      '2026-03-06T15:30:00Z',
      '2026-03-09T07:00:00.000Z',
    ],
    [
      'the local day decides: Sun 03-01 23:30Z is Mon 00:30 in Oslo, allowed, so the base',
      { daysOfWeek: 'MON', timezone: OSLO },
      '2026-03-01T23:30:00Z',
      '2026-03-01T23:30:00.000Z',
    ],
    [
      'the local day decides: Tue 03-03 03:00Z is Mon 22:00 in New York (-05:00); TUE starts 03-03 00:00 local = 05:00Z',
      { daysOfWeek: 'TUE', timezone: NY },
      '2026-03-03T03:00:00Z',
      '2026-03-03T05:00:00.000Z',
    ],
    [
      'New York: Fri 15:00Z = 10:00 EST, past 09:00; Sat, Sun skipped; DST began Sun 03-08, Mon 09:00 EDT (-04:00) = 13:00Z',
      { timeOfDay: '09:00', daysOfWeek: 'MON-FRI', timezone: NY },
      '2026-03-06T15:00:00Z',
      '2026-03-09T13:00:00.000Z',
    ],
    [
      'Kolkata: 04:00Z = 09:30 IST (+05:30), past 09:00: 03-03 09:00 IST = 03:30Z',
      { timeOfDay: '09:00', timezone: 'Asia/Kolkata' },
      '2026-03-02T04:00:00Z',
      '2026-03-03T03:30:00.000Z',
    ],
    [
      'Kolkata: 09:30 IST is before the 10:00-12:00 window: 10:00 IST = 04:30Z',
      { timeOfDay: '10:00-12:00', timezone: 'Asia/Kolkata' },
      '2026-03-02T04:00:00Z',
      '2026-03-02T04:30:00.000Z',
    ],
    [
      'Chatham standard: 06-01 00:00Z = 12:45 local (+12:45), past 08:00: 06-02 08:00 local = 06-01 19:15Z',
      { timeOfDay: '08:00', timezone: 'Pacific/Chatham' },
      '2026-06-01T00:00:00Z',
      '2026-06-01T19:15:00.000Z',
    ],
    [
      'Chatham summer: 01-14 12:00Z = 01-15 01:45 local (+13:45), before 08:00: 01-15 08:00 local = 01-14 18:15Z',
      { timeOfDay: '08:00', timezone: 'Pacific/Chatham' },
      '2026-01-14T12:00:00Z',
      '2026-01-14T18:15:00.000Z',
    ],
  ];
  test.each(cases)('%s', (_why, s, at, expected) => {
    expect(fire(s, at)).toBe(expected);
  });
});

describe('fireTime: daylight saving in Europe/Oslo', () => {
  const at = (timeOfDay: string): Partial<Schedule> => ({ timeOfDay, timezone: 'Europe/Oslo' });
  const on = (daysOfWeek: string): Partial<Schedule> => ({ daysOfWeek, timezone: 'Europe/Oslo' });
  // Spring forward 2026-03-29 01:00Z: 02:00-03:00 local does not exist. Fall back 2026-10-25 01:00Z:
  // 02:00-03:00 local happens twice, first at +02:00 (00:00Z-01:00Z), then at +01:00 (01:00Z-02:00Z).
  const cases: Array<[why: string, s: Partial<Schedule>, at: string, expected: string]> = [
    [
      'gap: Sat 13:00 CET is past 02:30; Sun 02:30 is in the gap, so the gap end 01:00Z (03:00 CEST)',
      at('02:30'),
      '2026-03-28T12:00:00Z',
      '2026-03-29T01:00:00.000Z',
    ],
    ['gap: 02:00 is the first missing minute, also the gap end', at('02:00'), '2026-03-28T12:00:00Z', '2026-03-29T01:00:00.000Z'],
    ['gap: 01:30 CET, before the gap = 00:30Z', at('01:30'), '2026-03-28T12:00:00Z', '2026-03-29T00:30:00.000Z'],
    ['gap: 03:30 CEST, after the gap = 01:30Z', at('03:30'), '2026-03-28T12:00:00Z', '2026-03-29T01:30:00.000Z'],
    ['gap: the day after, 09:00 CEST = 07:00Z', at('09:00'), '2026-03-29T12:00:00Z', '2026-03-30T07:00:00.000Z'],
    [
      'gap: 01:30 CET is before the 02:30-04:00 window, whose start maps to 01:00Z',
      at('02:30-04:00'),
      '2026-03-29T00:30:00Z',
      '2026-03-29T01:00:00.000Z',
    ],
    ['gap: 01:30Z = 03:30 CEST is inside the 02:30-04:00 window', at('02:30-04:00'), '2026-03-29T01:30:00Z', '2026-03-29T01:30:00.000Z'],
    ['overlap: Sun 02:30 is 00:30Z and 01:30Z; the earlier', at('02:30'), '2026-10-24T12:00:00Z', '2026-10-25T00:30:00.000Z'],
    [
      "overlap: base 01:10Z = 02:10 CET (second pass); that day's 02:30 (00:30Z) is past, so Mon 02:30 CET = 01:30Z",
      at('02:30'),
      '2026-10-25T01:10:00Z',
      '2026-10-26T01:30:00.000Z',
    ],
    ['overlap: the day after, 09:00 CET = 08:00Z', at('09:00'), '2026-10-25T12:00:00Z', '2026-10-26T08:00:00.000Z'],
    ['days only: Sat 03-28; Sun 00:00 CET = 03-28 23:00Z', on('SUN,MON'), '2026-03-28T12:00:00Z', '2026-03-28T23:00:00.000Z'],
    ['days only: Sat 10-24; Sun 00:00 CEST = 10-24 22:00Z', on('SUN,MON'), '2026-10-24T12:00:00Z', '2026-10-24T22:00:00.000Z'],
    ['days only: Sun 03-29 after the change; Mon 00:00 CEST = 03-29 22:00Z', on('MON'), '2026-03-29T12:00:00Z', '2026-03-29T22:00:00.000Z'],
  ];
  test.each(cases)('%s', (_why, s, t, expected) => {
    expect(fire(s, t)).toBe(expected);
  });
});

describe('validation of requests and notifications', () => {
  const ctx: ValidationContext = { authenticationMethods: new Set(['nemid']), signatureMethods: new Set(['nemid-sign']) };
  function request(schedule: Partial<Schedule>): SigningRequest {
    return {
      subject: [{ id: 's1' }],
      document: [{ kind: 'provided-document', id: 'd1', mimeType: 'text/plain', description: 'D', data: new Uint8Array([104]) }],
      task: [
        {
          id: 't1',
          subjectRef: 's1',
          documentAction: [{ type: 'sign', documentRef: 'd1' }],
          authentication: { method: ['nemid'] },
          notification: [
            { type: 'EMAIL', notificationId: 'n1', recipient: 'ada@example.com', message: 'Sign', schedule: [sched(schedule)] },
          ],
        },
      ],
    };
  }

  test('a createRequest with bad days-of-week, time-of-day or timezone is refused at that element', () => {
    expect(violationsOf(() => validateRequests([request({ timeOfDay: '9:00' })], ctx))).toEqual([
      { path: `${P}/time-of-day`, rule: TIME_RULE },
    ]);
    expect(violationsOf(() => validateRequests([request({ daysOfWeek: 'MON-FRY' })], ctx))).toEqual([
      { path: `${P}/days-of-week`, rule: `${DAYS_RULE}; "MON-FRY" is not one` },
    ]);
    expect(violationsOf(() => validateRequests([request({ timezone: 'Europe/Olso' })], ctx))).toEqual([
      { path: `${P}/timezone`, rule: `${ZONE_RULE}; "Europe/Olso" is not one` },
    ]);
  });

  test('a createRequest with valid formats is accepted', () => {
    expect(() =>
      validateRequests([request({ daysOfWeek: 'MON-FRI', timeOfDay: '08:00-16:00', timezone: 'Europe/Oslo' })], ctx),
    ).not.toThrow();
  });

  test('addNotification checks the same formats', () => {
    const n = {
      type: 'SMS' as const,
      notificationId: 'n2',
      recipient: '+4712345678',
      message: 'Sign',
      schedule: [sched({ timeOfDay: '16:00-08:00' })],
    };
    expect(violationsOf(() => validateNotification(n, []))).toEqual([{ path: 'notification/schedule[0]/time-of-day', rule: WINDOW_RULE }]);
  });

  test('SMS recipients must be E.164', () => {
    const sms = (recipient: string) => ({ type: 'SMS' as const, notificationId: 'n2', recipient, message: 'Sign' });
    for (const ok of ['+4712345678', '+1234567', '+123456789012345']) expect(() => validateNotification(sms(ok), [])).not.toThrow();
    for (const bad of ['4712345678', '+47 123 45 678', '+0712345678', '+123456', '+1234567890123456', '+47-12345678', '0047123456']) {
      expect(violationsOf(() => validateNotification(sms(bad), []))).toEqual([
        { path: 'notification/recipient', rule: 'must be an E.164 phone number such as +4712345678' },
      ]);
    }
  });
});

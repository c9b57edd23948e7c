// Danish CPR numbers (personnummer): DDMMYY-SSSS. The date part must be a real date; the first digit
// of the sequence number fixes the century (CPR-kontoret's table, valid since 1968):
//   0–3 → 1900s;  4 and 9 → 2000s for YY ≤ 36, else 1900s;  5–8 → 2000s for YY ≤ 57, else 1800s.
// The modulus-11 check was dropped in 2007 (numbers without it exist), so it is not required.

/** `DDMMYY-SSSS` or `DDMMYYSSSS` → the 10 digits, or undefined when it is not that shape. */
export function normaliseCpr(input: string): string | undefined {
  const m = /^\s*(\d{6})-?(\d{4})\s*$/.exec(input);
  return m ? m[1]! + m[2]! : undefined;
}

/** The birth date a CPR number encodes (UTC midnight), or undefined when the date part is not a date. */
export function cprBirthDate(cpr: string): Date | undefined {
  const digits = normaliseCpr(cpr);
  if (!digits) return undefined;
  const dd = Number(digits.slice(0, 2));
  const mm = Number(digits.slice(2, 4));
  const yy = Number(digits.slice(4, 6));
  const year = centuryOf(Number(digits[6]), yy) + yy;
  const d = new Date(Date.UTC(year, mm - 1, dd));
  return d.getUTCFullYear() === year && d.getUTCMonth() === mm - 1 && d.getUTCDate() === dd ? d : undefined;
}

function centuryOf(first: number, yy: number): number {
  if (first <= 3) return 1900;
  if (first === 4 || first === 9) return yy <= 36 ? 2000 : 1900;
  return yy <= 57 ? 2000 : 1800;
}

/** Why `input` is not a usable CPR number (10 digits, a real date part, not in the future), or undefined. */
export function cprProblem(input: string, now: Date = new Date()): string | undefined {
  const digits = normaliseCpr(input);
  if (!digits) return 'a CPR number has 10 digits: DDMMYY-SSSS (the dash is optional)';
  const born = cprBirthDate(digits);
  if (!born) return `the date part ${digits.slice(0, 6)} of the CPR number is not a valid date (DDMMYY)`;
  if (born.getTime() > now.getTime()) return `the date part ${digits.slice(0, 6)} of the CPR number lies in the future`;
  return undefined;
}

/** A sequence-number first digit that puts `year` in its century (the inverse of centuryOf). */
export function sequenceDigitFor(year: number, pick: (n: number) => number): number {
  const yy = year % 100;
  if (year >= 2000) return yy <= 36 ? 4 + 5 * pick(2) /* 4 or 9 */ : 5 + pick(4);
  if (year >= 1900) return pick(4); // 0–3
  return 5 + pick(4); // 1858–1899: 5–8 with YY > 57
}

// How values read on a package: times, masked national id numbers, page ranges. The same strings go
// into the built-in cover and into template fields.

/** `2025-03-01 12:34:56 UTC`: one form whatever the package language, and the same on every machine. */
export function formatTime(d: Date): string {
  return `${d.toISOString().slice(0, 19).replace('T', ' ')} UTC`;
}

/**
 * A national id number with everything after the birth date hidden: `0102031234` and `010203-1234`
 * (DK CPR, NO fødselsnummer, FI henkilötunnus `010203A123B`) give `010203-****`, a 12-digit Swedish
 * personnummer `19010203-1234` gives `19010203-****`. The mask keeps the length of what it hides.
 * Anything shorter than 8 characters is hidden whole.
 */
export function maskNationalId(id: string): string {
  const compact = id.replace(/[\s\-+]/g, '');
  if (compact.length < 8) return '*'.repeat(Math.max(compact.length, 4));
  const keep = /^\d{12}$/.test(compact) ? 8 : 6;
  return `${compact.slice(0, keep)}-${'*'.repeat(compact.length - keep)}`;
}

/** Pages as readers number them (from 1): `3` or `3–5`. */
export function pageRange(firstIndex: number, count: number): string {
  if (count <= 0) return '';
  return count === 1 ? String(firstIndex + 1) : `${firstIndex + 1}–${firstIndex + count}`;
}

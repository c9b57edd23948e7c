// xs:dateTime (XML Schema 1.0 part 2 §3.2.7) as the protocol carries it.
const XS_DATETIME = /^-?\d{4,}-(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01])T([01]\d|2[0-3]):[0-5]\d:[0-5]\d(\.\d+)?(Z|[+-](0\d|1[0-4]):[0-5]\d)?$/;

/** Milliseconds since the epoch for an xs:dateTime; one without a zone is taken as UTC. NaN when not one. */
export function parseXsDateTime(s: string): number {
  const v = s.trim();
  const m = XS_DATETIME.exec(v);
  if (!m) return NaN;
  // Date.parse rolls 2026-02-30 over to March: check the day exists in its month.
  const [y, mo, d] = v.replace(/^-/, '').split('T')[0]!.split('-').map(Number) as [number, number, number];
  if (d > new Date(Date.UTC(y, mo, 0)).getUTCDate()) return NaN;
  return Date.parse(/(Z|[+-]\d{2}:\d{2})$/.test(v) ? v : `${v}Z`);
}

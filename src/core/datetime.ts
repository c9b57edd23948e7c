// xs:dateTime (XML Schema 1.0 part 2 §3.2.7) as the protocol carries it.
const XS_DATETIME = /^-?\d{4,}-(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01])T([01]\d|2[0-3]):[0-5]\d:[0-5]\d(\.\d+)?(Z|[+-](0\d|1[0-4]):[0-5]\d)?$/;

/** Milliseconds since the epoch for an xs:dateTime; one without a zone is taken as UTC. NaN when not one. */
export function parseXsDateTime(s: string): number {
  const v = s.trim();
  if (!XS_DATETIME.test(v)) return NaN;
  return Date.parse(/(Z|[+-]\d{2}:\d{2})$/.test(v) ? v : `${v}Z`);
}

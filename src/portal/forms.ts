// A request the body parser (or the router) refused before a handler ran: too large, too many fields,
// a charset or Content-Encoding it cannot read, a cut-off body, a %-sequence in the path that decodes
// to nothing. These are the client's mistakes: the portal and the test-user tool answer them with a
// translated page (413 for size, 400 for the rest), never with a 500 and a stack trace.
/** 413 or 400 for an error that describes a client mistake (a 4xx of body-parser or the router); undefined for anything else. */
export function clientErrorStatus(err: unknown): 400 | 413 | undefined {
  if (!err || typeof err !== 'object') return undefined;
  const e = err as { status?: unknown; statusCode?: unknown };
  const status = Number(e.status ?? e.statusCode);
  if (!(status >= 400 && status < 500)) return undefined;
  return status === 413 ? 413 : 400;
}

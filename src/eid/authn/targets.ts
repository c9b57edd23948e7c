// Where a login may send its answer: per service, an allowlist of absolute URLs, each an exact origin
// (scheme, host, port) and a path prefix. A target is compared as the browser will use it: parsed by
// the WHATWG URL parser (the one browsers use, so `..`, `%2e%2e` and default ports are resolved the
// same way) after refusing what parsers disagree on or silently repair — control characters, spaces,
// backslashes — and what hides the real host: user info (`https://ok@evil`) and anything not
// absolute (`//evil`, `/path`). A prefix matches whole path segments (`/cb` allows `/cb` and `/cb/x`,
// not `/cbevil`); an entry ending in `/` allows what is below it.

const MAX_URL = 2048;
// RFC 3986 §2: unreserved and reserved characters and `%` (escapes); everything else must come escaped
const SAFE = /^[A-Za-z0-9\-._~:/?#[\]@!$&'()*+,;=%]+$/;

/** The parsed URL when `text` is an absolute http(s) URL without user info or fragment, else why not. */
function parse(text: string): URL | string {
  if (text.length > MAX_URL) return `longer than ${MAX_URL} characters`;
  if (!SAFE.test(text)) return 'contains a space, a control character or a character URLs must escape';
  if (!/^https?:\/\/[^/]/i.test(text)) return 'not an absolute http or https URL';
  let u: URL;
  try {
    u = new URL(text);
  } catch {
    return 'not a URL';
  }
  if (u.username || u.password) return 'carries user info (user@host)';
  if (u.hash || text.includes('#')) return 'carries a fragment';
  return u;
}

/** An allowlist entry in its stored form (origin + path, no query), or an Error saying why it cannot be one. */
export function authTargetEntry(text: string): string | Error {
  const u = parse(text.trim());
  if (typeof u === 'string') return new Error(`--auth-target ${JSON.stringify(text)}: ${u}`);
  if (u.search)
    return new Error(`--auth-target ${JSON.stringify(text)}: an allowed target is an origin and a path prefix, without a query`);
  return `${u.origin}${u.pathname}`;
}

/** The target as the answer goes to it (the parsed URL), when it is on the allowlist; undefined otherwise. */
export function allowedTarget(text: string, allow: readonly string[]): string | undefined {
  const u = parse(text);
  if (typeof u === 'string') return undefined;
  for (const entry of allow) {
    const e = new URL(entry);
    if (e.origin !== u.origin) continue;
    const prefix = e.pathname;
    if (u.pathname === prefix || u.pathname.startsWith(prefix.endsWith('/') ? prefix : `${prefix}/`)) return u.href;
  }
  return undefined;
}

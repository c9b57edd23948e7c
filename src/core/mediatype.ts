// Media types of tenant documents: which segl stores, and how a declared one is checked. One list
// for SDS uploads and provided-documents, so nothing is accepted that could not be served safely.
// Pure: the SDS adapter (content/) re-exports the parser and adds the byte-level checks.

/** A parsed Content-Type: the lower-case `type/subtype` and the lower-case charset parameter if any. */
export interface MediaType {
  type: string;
  charset?: string;
}

// RFC 9110 §5.6.2 token: 1*tchar.
const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
// RFC 9110 §5.6.3 OWS.
const isOws = (c: string): boolean => c === ' ' || c === '\t';

/**
 * Parses a Content-Type header value (RFC 9110 §8.3.1, grammar in §5.6.6):
 *   media-type = type "/" subtype parameters
 *   parameters = *( OWS ";" OWS [ parameter ] ),  parameter = name "=" ( token / quoted-string )
 * Type, subtype and parameter names are case-insensitive and returned lower-case; the charset value
 * is case-insensitive too (RFC 9110 §8.3.2) and returned lower-case. Quoted values (§5.6.4) may use
 * quoted-pairs. Returns null for an absent, empty or malformed value, and for a repeated charset
 * (ambiguous).
 */
export function parseMediaType(contentType: string | undefined): MediaType | null {
  if (contentType === undefined) return null;
  const s = contentType;
  let i = 0;
  const n = s.length;
  const skipOws = (): void => {
    while (i < n && isOws(s[i]!)) i++;
  };
  const readToken = (): string => {
    const start = i;
    while (i < n && TOKEN.test(s[i]!)) i++;
    return s.slice(start, i);
  };

  skipOws();
  const type = readToken();
  if (!type || s[i] !== '/') return null;
  i++;
  const subtype = readToken();
  if (!subtype) return null;
  const result: MediaType = { type: `${type}/${subtype}`.toLowerCase() };

  skipOws();
  while (i < n) {
    if (s[i] !== ';') return null;
    i++;
    skipOws();
    if (i >= n || s[i] === ';') continue; // empty parameter, allowed by the grammar
    const name = readToken().toLowerCase();
    if (!name || s[i] !== '=') return null;
    i++;
    let value: string;
    if (s[i] === '"') {
      i++;
      value = '';
      for (;;) {
        if (i >= n) return null; // unterminated quoted-string
        const c = s[i]!;
        if (c === '"') {
          i++;
          break;
        }
        if (c === '\\') {
          // quoted-pair = "\" ( HTAB / SP / VCHAR / obs-text )
          if (i + 1 >= n) return null;
          value += s[i + 1];
          i += 2;
          continue;
        }
        // qdtext = HTAB / SP / %x21 / %x23-5B / %x5D-7E / obs-text
        const code = c.charCodeAt(0);
        if (code !== 0x09 && (code < 0x20 || code === 0x7f || code > 0xff)) return null;
        value += c;
        i++;
      }
    } else {
      value = readToken();
      if (!value) return null;
    }
    if (name === 'charset') {
      if (result.charset !== undefined) return null;
      result.charset = value.toLowerCase();
    }
    skipOws();
  }
  return result;
}

/**
 * Media types segl stores (Signicat DocumentService v3 SDS): PDF, PAdES (a signed PDF), plain text,
 * XML and LTV-SDO (an XML signature container). Anything else is refused, in particular HTML,
 * XHTML and SVG: they run script in a browser, and a signer could not be shown what they sign.
 */
export const SUPPORTED_TYPES: readonly string[] = Object.freeze([
  'application/pdf',
  'application/x-pades',
  'text/plain',
  'application/xml',
  'text/xml',
  'application/x-ltv-sdo',
]);

/** Whether segl stores this `type/subtype` (compared case-insensitively, RFC 9110 §8.3.1). */
export function isSupported(type: string): boolean {
  return SUPPORTED_TYPES.includes(type.trim().toLowerCase());
}

/**
 * The charsets segl checks, by the name it reports, each with its lower-case names and IANA aliases
 * (IANA Character Sets registry). The one list: content/text.ts picks a decoder per entry.
 */
export const CHARSET_ALIASES = {
  'UTF-8': ['utf-8', 'utf8', 'csutf8', 'unicode-1-1-utf-8'],
  'UTF-16LE': ['utf-16le', 'csutf16le'],
  'UTF-16BE': ['utf-16be', 'csutf16be'],
  'UTF-16': ['utf-16', 'csutf16'],
  'US-ASCII': [
    'us-ascii',
    'ascii',
    'us',
    'ansi_x3.4-1968',
    'ansi_x3.4-1986',
    'iso-ir-6',
    'iso_646.irv:1991',
    'iso646-us',
    'ibm367',
    'cp367',
    'csascii',
  ],
  'ISO-8859-1': [
    'iso-8859-1',
    'iso8859-1',
    'iso_8859-1',
    'iso_8859-1:1987',
    'latin1',
    'l1',
    'iso-ir-100',
    'ibm819',
    'cp819',
    'csisolatin1',
  ],
  'windows-1252': ['windows-1252', 'cp1252', 'x-cp1252', 'cswindows1252'],
} as const satisfies Record<string, readonly string[]>;

export type CharsetName = keyof typeof CHARSET_ALIASES;

/** Charset names (lower-case, aliases included) the text check understands. */
const SUPPORTED_CHARSETS: readonly string[] = Object.freeze(Object.values(CHARSET_ALIASES).flat());

const TEXT_TYPES = new Set(['text/plain', 'application/xml', 'text/xml']);

/**
 * Why a declared document mime-type cannot be accepted, or null when it can. The value must parse
 * as an RFC 9110 media type (which also makes it a valid header value), name a stored type, and
 * carry a charset only on text types and only one segl can check. What passes is served back
 * as `normalMediaType` gives it, so a stored type can never break a download.
 */
export function mediaTypeProblem(value: string): string | null {
  const m = parseMediaType(value);
  if (!m)
    return `"${value}" is not a media type (RFC 9110: type/subtype, then ;name=value parameters), e.g. application/pdf or text/plain;charset=utf-8`;
  if (!isSupported(m.type)) {
    return `"${m.type}" is not accepted; use one of ${SUPPORTED_TYPES.join(', ')} (HTML, XHTML, SVG and other active content are refused: they cannot be shown safely, and a signer must see exactly what is signed)`;
  }
  if (m.charset !== undefined && !TEXT_TYPES.has(m.type)) return `a charset parameter is not allowed on ${m.type}`;
  if (m.charset !== undefined && !SUPPORTED_CHARSETS.includes(m.charset)) {
    return `the charset "${m.charset}" is not supported; use UTF-8, UTF-16, US-ASCII, ISO-8859-1 or windows-1252`;
  }
  return null;
}

/** The canonical form segl stores and serves: `type/subtype` and, for text, `;charset=…`. */
export function normalMediaType(value: string): string {
  const m = parseMediaType(value);
  if (!m) return 'application/octet-stream';
  return m.charset !== undefined ? `${m.type};charset=${m.charset}` : m.type;
}

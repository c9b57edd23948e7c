// HTTP Basic credentials (RFC 7617 §2): `Basic <base64(user-id ":" password)>`, the scheme name matched
// case-insensitively (RFC 7235 §2.1). The one parser behind the SOAP endpoint, the SDS routes and /admin.

export interface BasicCredentials {
  user: string;
  password: string;
  /** false when the decoded value has no colon (RFC 7617 requires one): then `user` is all of it, `password` is '' */
  colon: boolean;
}

/** The credentials of an Authorization header, or undefined when it is absent or not Basic. */
export function parseBasicAuth(header: string | undefined): BasicCredentials | undefined {
  const m = /^Basic\s+([A-Za-z0-9+/=]+)\s*$/i.exec(header ?? '');
  if (!m) return undefined;
  const decoded = Buffer.from(m[1]!, 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  if (colon < 0) return { user: decoded, password: '', colon: false };
  return { user: decoded.slice(0, colon), password: decoded.slice(colon + 1), colon: true };
}

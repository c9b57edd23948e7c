// The two bindings an AuthnRequest arrives by (saml-bindings-2.0-os): HTTP-Redirect (§3.4.4.1,
// DEFLATE + base64 in the query string, the signature over the query string's octets as received)
// and HTTP-POST (§3.5.4, base64 in a form field). Here rather than in src/trust/saml2 because it
// inflates (node:zlib); the request itself is read and verified there.
import { inflateRawSync } from 'node:zlib';
import { AuthnRequestError, MAX_RELAY_STATE, MAX_REQUEST_BYTES, type EncodedRequest } from '../../../trust/saml2/authnrequest';

function formDecode(s: string, what: string): string {
  try {
    return decodeURIComponent(s.replace(/\+/g, ' '));
  } catch {
    throw new AuthnRequestError(`${what} is not URL-encoded UTF-8`);
  }
}

function base64(s: string, what: string): Buffer {
  const t = s.replace(/\s+/g, '');
  if (!t || !/^[A-Za-z0-9+/]+={0,2}$/.test(t) || t.length % 4 !== 0) throw new AuthnRequestError(`${what} is not base64`);
  return Buffer.from(t, 'base64');
}

function inflate(b: Buffer): Buffer {
  try {
    return inflateRawSync(b, { maxOutputLength: MAX_REQUEST_BYTES });
  } catch {
    throw new AuthnRequestError(`SAMLRequest is not DEFLATE-compressed (bindings §3.4.4.1) or inflates beyond ${MAX_REQUEST_BYTES} bytes`);
  }
}

function relay(value: string | undefined): string | undefined {
  if (value !== undefined && Buffer.byteLength(value, 'utf8') > MAX_RELAY_STATE)
    throw new AuthnRequestError(`RelayState is longer than ${MAX_RELAY_STATE} bytes (bindings §3.4.3)`);
  return value;
}

/** Decodes the HTTP-Redirect binding from the raw query string (what follows `?`, still URL-encoded). */
export function decodeRedirect(rawQuery: string): EncodedRequest {
  const raw = new Map<string, string>();
  for (const part of rawQuery.split('&')) {
    if (!part) continue;
    const eq = part.indexOf('=');
    const key = formDecode(eq < 0 ? part : part.slice(0, eq), 'a query parameter name');
    if (!['SAMLRequest', 'RelayState', 'SigAlg', 'Signature'].includes(key)) continue;
    if (raw.has(key)) throw new AuthnRequestError(`${key} appears more than once in the query string`);
    raw.set(key, eq < 0 ? '' : part.slice(eq + 1));
  }
  const samlRequest = raw.get('SAMLRequest');
  if (samlRequest === undefined) throw new AuthnRequestError('the query string has no SAMLRequest');
  const inflated = inflate(base64(formDecode(samlRequest, 'SAMLRequest'), 'SAMLRequest'));
  const relayState = relay(raw.has('RelayState') ? formDecode(raw.get('RelayState')!, 'RelayState') : undefined);
  const out: EncodedRequest = { binding: 'redirect', xml: utf8(inflated), ...(relayState !== undefined ? { relayState } : {}) };
  const sigAlg = raw.get('SigAlg');
  const signature = raw.get('Signature');
  if ((sigAlg === undefined) !== (signature === undefined)) throw new AuthnRequestError('SigAlg and Signature must come together');
  if (sigAlg !== undefined && signature !== undefined) {
    // §3.4.4.1: the octets are the parameters as received, in this order, RelayState only when present
    const octets = [
      `SAMLRequest=${samlRequest}`,
      ...(raw.has('RelayState') ? [`RelayState=${raw.get('RelayState')}`] : []),
      `SigAlg=${sigAlg}`,
    ];
    out.redirectSignature = {
      octets: octets.join('&'),
      sigAlg: formDecode(sigAlg, 'SigAlg'),
      signature: new Uint8Array(base64(formDecode(signature, 'Signature'), 'Signature')),
    };
  }
  return out;
}

/** Decodes the HTTP-POST binding from the form's fields. */
export function decodePost(samlRequest: unknown, relayState: unknown): EncodedRequest {
  if (typeof samlRequest !== 'string') throw new AuthnRequestError('the form has no SAMLRequest field');
  if (relayState !== undefined && typeof relayState !== 'string') throw new AuthnRequestError('RelayState must be one text field');
  let xml = base64(samlRequest, 'SAMLRequest');
  if (xml.length > MAX_REQUEST_BYTES) throw new AuthnRequestError(`SAMLRequest is larger than ${MAX_REQUEST_BYTES} bytes`);
  // §3.5.4 says base64 of the XML; node-saml (passport-saml) DEFLATEs it as for Redirect unless told
  // not to, so bytes that cannot begin an XML document are tried as DEFLATE
  if (!/^\s*</.test(xml.subarray(0, 64).toString('latin1'))) xml = inflate(xml);
  const r = relay(relayState);
  return { binding: 'post', xml: utf8(xml), ...(r !== undefined ? { relayState: r } : {}) };
}

function utf8(b: Buffer): string {
  const s = b.toString('utf8');
  if (!Buffer.from(s, 'utf8').equals(b)) throw new AuthnRequestError('SAMLRequest is not UTF-8');
  return s;
}

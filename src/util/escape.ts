// Escaping text for XML and HTML: the one place segl turns a string into markup-safe text.
// Everything else (SOAP writers, the portal's templates, the test CA, the demo) calls these.

const XML: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&apos;', '\r': '&#13;' };

/** Escapes XML text or an attribute value (XML 1.0 §2.4, §3.3.3): quotes and CR too, so values survive round trips. */
export function escapeXml(s: string): string {
  return /[&<>"'\r]/.test(s) ? s.replace(/[&<>"'\r]/g, (c) => XML[c]!) : s;
}

const ATTRIBUTE: Record<string, string> = { ...XML, '\n': '&#10;', '\t': '&#9;' };

/**
 * Escapes an attribute value: as escapeXml, and LF and TAB as character references too, since a parser
 * replaces a literal one in an attribute value by a space (attribute-value normalisation, XML 1.0 §3.3.3).
 */
export function escapeXmlAttribute(s: string): string {
  return /[&<>"'\r\n\t]/.test(s) ? s.replace(/[&<>"'\r\n\t]/g, (c) => ATTRIBUTE[c]!) : s;
}

const HTML: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

/** Escapes text for HTML element content and quoted attribute values. `null`/`undefined` give ''. */
export function escapeHtml(s: unknown): string {
  return String(s ?? '').replace(/[&<>"']/g, (c) => HTML[c]!);
}

// Escaping text for XML and HTML: the one place segl turns a string into markup-safe text.
// Everything else (SOAP writers, the portal's templates, the test CA, the demo) calls these.

/** Escapes XML character data (XML 1.0 §2.4); CR, NEL, LS and PS become references so they survive re-parsing. */
export function escapeXmlText(s: string): string {
  return s
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/[\r\u0085\u2028\u2029]/g, (ch) => `&#${ch.charCodeAt(0)};`);
}

/**
 * Escapes an XML attribute value for single or double quotes, keeping TAB/LF/CR through
 * attribute-value normalisation (§3.3.3). Safe in character data too.
 */
export function escapeXmlAttr(s: string): string {
  return escapeXmlText(s).replace(/"/g, '&quot;').replace(/'/g, '&apos;').replace(/\t/g, '&#9;').replace(/\n/g, '&#10;');
}

const HTML: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

/** Escapes text for HTML element content and quoted attribute values. `null`/`undefined` give ''. */
export function escapeHtml(s: unknown): string {
  return String(s ?? '').replace(/[&<>"']/g, (c) => HTML[c]!);
}

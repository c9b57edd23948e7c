// The response headers of every download of tenant bytes (SDS, order original/sdo, the archive and
// the portal's raw document). A tenant's document is someone else's content served from segl's
// origin: were a browser to render HTML or SVG from it, its script would run with segl's cookies
// and cached logins. So:
// - Content-Type is segl's canonical form of a stored type (never the raw string a client sent),
//   and application/octet-stream when that is not a media type at all;
// - X-Content-Type-Options: nosniff, so the browser never guesses a more dangerous type;
// - Content-Security-Policy: sandbox (no script, no same-origin access, no plugins) plus
//   default-src 'none', so even a document the browser does render can load and run nothing;
// - Content-Disposition: attachment, except PDF and plain text, which browsers show in their own
//   viewers (inline, still under the sandbox).
import type { Response } from 'express';
import { normalMediaType, parseMediaType } from '../core/mediatype';

/** Types shown inline: a browser's PDF viewer and plain text run no document script. */
const INLINE = new Set(['application/pdf', 'text/plain']);

/** Headers for every response of a route that serves tenant bytes, errors included. */
export const TENANT_BASE_HEADERS: Readonly<Record<string, string>> = Object.freeze({
  'X-Content-Type-Options': 'nosniff',
  'Content-Security-Policy': "sandbox; default-src 'none'",
});

/** The Content-Disposition filename, from a document id or description: a token-safe ASCII name. */
function filename(name: string, type: string): string {
  const ext =
    type === 'application/pdf'
      ? '.pdf'
      : type === 'text/plain'
        ? '.txt'
        : type.endsWith('xml') || type === 'application/x-ltv-sdo'
          ? '.xml'
          : '';
  const base = name.replace(/[^A-Za-z0-9._-]/g, '_').slice(0, 100) || 'document';
  return base.endsWith(ext) ? base : `${base}${ext}`;
}

/** Sets Content-Type, Content-Disposition, CSP and nosniff for serving a stored document. */
export function setTenantDownloadHeaders(res: Response, storedType: string | undefined, name: string): void {
  const type = normalMediaType(storedType ?? '');
  const bare = parseMediaType(type)?.type ?? 'application/octet-stream';
  // setHeader, not res.type: Express would add a charset to text types stored without one.
  res.setHeader('Content-Type', type);
  res.set({
    ...TENANT_BASE_HEADERS,
    'Content-Disposition': `${INLINE.has(bare) ? 'inline' : 'attachment'}; filename="${filename(name, bare)}"`,
  });
}

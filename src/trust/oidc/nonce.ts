// The nonce of an authentication-based signature with OpenID Connect (reference authentication.md
// §5.5): the ID token the broker signs carries it (OIDC Core §3.1.2.1 `nonce`, returned unchanged in
// the ID token, §2), so the broker's signature commits to what the person signed:
//
//   nonce = base64url( SHA-256( UTF-8(task id) ‖ 0x00 ‖ UTF-8(sign text) ‖ 0x00 ‖ SHA-256(document 1) ‖ … ) )
//
// The sign text with its line ends as LF (as the native signature's SignProperties carry it); each
// document's digest as 32 bytes, in the order of the act. NUL separates the two texts: neither may
// hold it (XML 1.0 §2.2 has no U+0000), so no two inputs give the same bytes. Creation only; the
// check is verify.ts's.
import { createHash } from 'node:crypto';

export interface SigningNonceInputs {
  taskId: string;
  signText: string;
  /** each document's SHA-256, base64 */
  documents: ReadonlyArray<{ id: string; sha256: string }>;
}

/** The sign text as the nonce and SignProperties hold it: CRLF and CR as LF. */
export const normaliseSignText = (s: string): string => s.replace(/\r\n?/g, '\n');

export function signingNonce(i: SigningNonceInputs): string {
  const h = createHash('sha256');
  h.update(Buffer.from(i.taskId, 'utf8'));
  h.update(Buffer.of(0));
  h.update(Buffer.from(normaliseSignText(i.signText), 'utf8'));
  h.update(Buffer.of(0));
  for (const d of i.documents) {
    const digest = Buffer.from(d.sha256, 'base64');
    if (digest.length !== 32) throw new Error(`document ${d.id}: a SHA-256 digest is 32 bytes`);
    h.update(digest);
  }
  return h.digest('base64url');
}

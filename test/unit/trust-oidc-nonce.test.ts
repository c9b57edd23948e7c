// The nonce of an OIDC authentication-based signature (src/trust/oidc/nonce.ts) against openssl: the
// same bytes — task id, NUL, sign text with LF line ends, NUL, each document's SHA-256 as openssl
// computes it — hashed by `openssl dgst -sha256`, base64url.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { signingNonce } from '../../src/trust/oidc/nonce';

const dir = mkdtempSync(path.join(os.tmpdir(), 'segl-nonce-'));
const opensslSha256 = (file: string): Buffer => execFileSync('openssl', ['dgst', '-sha256', '-binary', file]);

describe('the signing nonce', () => {
  const docs = [
    ['loan', Buffer.from('%PDF-1.7 a loan of 1 000 000 kr.')],
    ['terms', Buffer.from('Rente 3 % – æøå')],
  ] as const;
  for (const [id, bytes] of docs) writeFileSync(path.join(dir, id), bytes);
  const digests = docs.map(([id]) => ({ id, sha256: opensslSha256(path.join(dir, id)).toString('base64') }));

  it('is openssl SHA-256 over task id, NUL, the sign text with LF line ends, NUL and the documents’ digests', () => {
    const signText = 'I agree\r\nto both.\rReally.';
    writeFileSync(
      path.join(dir, 'input'),
      Buffer.concat([
        Buffer.from('task-7'),
        Buffer.of(0),
        Buffer.from('I agree\nto both.\nReally.'),
        Buffer.of(0),
        ...docs.map(([id]) => opensslSha256(path.join(dir, id))),
      ]),
    );
    const expected = opensslSha256(path.join(dir, 'input')).toString('base64url');
    expect(signingNonce({ taskId: 'task-7', signText, documents: digests })).toBe(expected);
    expect(signingNonce({ taskId: 'task-7', signText: 'I agree\nto both.\nReally.', documents: digests })).toBe(expected);
  });

  it('changes with the task, the text, a document or the order of the documents', () => {
    const base = { taskId: 't1', signText: 'Yes.', documents: digests };
    const n = signingNonce(base);
    expect(signingNonce({ ...base, taskId: 't2' })).not.toBe(n);
    expect(signingNonce({ ...base, signText: 'Yes!' })).not.toBe(n);
    expect(signingNonce({ ...base, documents: [...digests].reverse() })).not.toBe(n);
    expect(signingNonce({ ...base, documents: digests.slice(0, 1) })).not.toBe(n);
    // the separators keep the two texts apart: "t1" + "Yes." is not "t1Y" + "es."
    expect(signingNonce({ ...base, taskId: 't1Y', signText: 'es.' })).not.toBe(n);
  });

  it('refuses a digest that is not 32 bytes', () => {
    expect(() => signingNonce({ taskId: 't1', signText: 'x', documents: [{ id: 'a', sha256: 'AAAA' }] })).toThrow(/32 bytes/);
  });
});

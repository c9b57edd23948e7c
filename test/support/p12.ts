// A signing key and self-signed certificate made by openssl, exported as PKCS#12 (how an operator
// brings SEGL_SAML_P12 or SEGL_OIDC_P12): `<name>.key`, `<name>.pem` and `<name>.p12` in `dir`; and a
// logger whose lines a test reads (what a bad key file says at start).
import { execFile } from 'node:child_process';
import path from 'node:path';
import { Writable } from 'node:stream';
import { promisify } from 'node:util';
import pino, { type Logger } from 'pino';

const run = promisify(execFile);

export async function opensslP12(dir: string, name: string, subject: string, passphrase: string): Promise<void> {
  const key = path.join(dir, `${name}.key`);
  const pem = path.join(dir, `${name}.pem`);
  await run('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', key, '-out', pem, '-subj', subject, '-days', '30']);
  await run('openssl', [
    'pkcs12',
    '-export',
    '-inkey',
    key,
    '-in',
    pem,
    '-passout',
    `pass:${passphrase}`,
    '-out',
    path.join(dir, `${name}.p12`),
  ]);
}

/** A pino logger at `level` whose lines are kept in `lines` (to look for what was, or must not be, logged). */
export function capturedLog(level = 'info'): { log: Logger; lines: string[] } {
  const lines: string[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _e, done) {
      lines.push(...chunk.toString('utf8').split('\n').filter(Boolean));
      done();
    },
  });
  return { log: pino({ level }, sink), lines };
}

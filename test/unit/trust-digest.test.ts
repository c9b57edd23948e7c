// src/trust/crypto.ts digestBytes: small inputs hashed on this thread, large ones by WebCrypto; both
// must give what `openssl dgst` gives for the same bytes.
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { digestBytes } from '../../src/trust/crypto';

const openssl = (alg: string, data: Uint8Array): string =>
  execFileSync('openssl', ['dgst', `-${alg}`, '-r'], { input: data })
    .toString('utf8')
    .split(' ')[0]!;

const ALGS = [
  ['SHA-1', 'sha1'],
  ['SHA-256', 'sha256'],
  ['SHA-384', 'sha384'],
  ['SHA-512', 'sha512'],
] as const;

// 0 bytes, a certificate's size, exactly the limit, one byte over it (WebCrypto), and 1 MiB
const SIZES = [0, 1200, 64 * 1024, 64 * 1024 + 1, 1 << 20];

test.each(ALGS)('%s equals openssl dgst for small and large inputs', async (alg, name) => {
  for (const size of SIZES) {
    const data = new Uint8Array(randomBytes(size));
    expect(Buffer.from(await digestBytes(alg, data)).toString('hex')).toBe(openssl(name, data));
  }
});

test('a view into a larger buffer hashes only its own bytes', async () => {
  const whole = new Uint8Array(randomBytes(4096));
  const view = whole.subarray(100, 1100);
  expect(Buffer.from(await digestBytes('SHA-256', view)).toString('hex')).toBe(openssl('sha256', view));
});

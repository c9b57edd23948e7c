// What a production configuration needs beyond SEGL_MODE: a strong secret and external trust
// services (production refuses the test CA). The trust variables are only read when something is
// signed, so tests that merely start production can point them anywhere.
import { randomBytes } from 'node:crypto';
import os from 'node:os';

/** A secret as `openssl rand -base64 32` makes it. */
export function strongSecret(): string {
  return randomBytes(32).toString('base64');
}

export function productionEnv(extra: Record<string, string> = {}): Record<string, string> {
  return {
    SEGL_MODE: 'production',
    SEGL_SECRET: strongSecret(),
    SEGL_SEAL_P12: '/nonexistent/seal.p12',
    SEGL_TSA_URL: 'https://tsa.example.net/tsa',
    SEGL_TRUST_ANCHORS: os.tmpdir(),
    ...extra,
  };
}

// Key rollover of the test CA's short-lived service certificates, as a TSA or OCSP operator does it: when the clock
// (segl's, so the preprod test clock too) comes within the preservation margin of the end of the TSA certificate or
// of a delegated OCSP responder's (at most half its lifetime before, so a 2-year responder is not renewed at once),
// a fresh certificate is issued for a new key by the same CA and used from then on. The earlier certificates stay
// known (TestCa keeps them in `retired`: the responders keep answering "good" for them), so evidence made with
// them still validates.
//
// Kept beside the hierarchy in DATA_DIR/pki/rolled/<role>-<n>.pem and .key.json (n = 1, 2, …; sealed like the
// roles' keys by loadOrCreateLeaf, whose first-writer-wins makes two processes rolling at once agree on one).
// New keys are RSA-3072: RSA-2048 holds only through 2030 (NIST SP 800-57 Part 1 Rev. 5 §5.6.3), and a TSA rolled
// for preservation must outlast that (signing/preserve.ts algorithmEnd).
import { promises as fs } from 'node:fs';
import path from 'node:path';
import type * as x509 from '@peculiar/x509';
import { crypto, SIGNING_ALGORITHM, type CryptoKeyPair } from '../trust/crypto';
import { issueOcspResponder, issueTsaCertificate, type Issuer } from './pki';
import { loadOrCreateLeaf, type StoredTestPki } from './store';

export const ROLLED_ROLES = ['tsa', 'serviceOcsp', 'ocsp'] as const;
export type RolledRole = (typeof ROLLED_ROLES)[number];

const FILE: Record<RolledRole, string> = { tsa: 'tsa', serviceOcsp: 'serviceocsp', ocsp: 'ocsp' };

/** The generations of `role` kept in `dir`/rolled, oldest first. */
async function generations(dir: string, role: RolledRole): Promise<number[]> {
  const files = await fs.readdir(path.join(dir, 'rolled')).catch(() => [] as string[]);
  const re = new RegExp(`^${FILE[role]}-(\\d+)\\.pem$`);
  return files
    .map((f) => re.exec(f)?.[1])
    .filter((n): n is string => n !== undefined)
    .map(Number)
    .sort((a, b) => a - b);
}

const rolledLeaf = (dir: string, role: RolledRole, n: number, secret: string, make: () => Promise<Issuer>) =>
  loadOrCreateLeaf(path.join(dir, 'rolled'), `${FILE[role]}-${n}`, secret, make);

/** Puts the newest rolled certificate of each role in place; the ones it replaced go to `retired`. */
export async function applyRolled(pki: StoredTestPki, dir: string, secret: string): Promise<void> {
  for (const role of ROLLED_ROLES) {
    for (const n of await generations(dir, role)) {
      const next = await rolledLeaf(dir, role, n, secret, () => Promise.reject(new Error(`rolled/${FILE[role]}-${n} vanished`)));
      pki.retired.push(pki[role].certificate);
      pki[role] = next;
    }
  }
}

/** Whether `cert` is to be replaced at `now`: within `marginMs` of its end, at most half its lifetime. */
export function rolloverDue(cert: x509.X509Certificate, now: Date, marginMs: number): boolean {
  const life = cert.notAfter.getTime() - cert.notBefore.getTime();
  return now.getTime() >= cert.notAfter.getTime() - Math.min(marginMs, life / 2);
}

const generateRsa3072 = (): Promise<CryptoKeyPair> =>
  crypto.subtle.generateKey({ ...SIGNING_ALGORITHM, modulusLength: 3072 }, true, ['sign', 'verify']) as Promise<CryptoKeyPair>;

/**
 * How far a rolled certificate's notBefore is set back from the moment it is issued: the common allowance for clock
 * skew (public CAs backdate by an hour), and what lets a run that took its validation time just before the rollover
 * (queue/jobs/preserve.ts validates a whole renewal at the time the run started) validate the new certificate then.
 */
const BACKDATE_MS = 3_600_000;

/** A fresh certificate of `role` issued at `at` by its CA (valid from BACKDATE_MS before), stored as the next generation. */
async function issueRolled(pki: StoredTestPki, role: RolledRole, at: Date): Promise<Issuer> {
  const keys = await generateRsa3072();
  const now = new Date(at.getTime() - BACKDATE_MS);
  const name = pki.name;
  if (role === 'tsa') return issueTsaCertificate(pki.serviceCa, keys, { name, urls: pki.urls, now });
  if (role === 'serviceOcsp') return issueOcspResponder(pki.serviceCa, keys, { name, commonName: `${name} Service OCSP Responder`, now });
  return issueOcspResponder(pki.personCa, keys, { name, commonName: `${name} OCSP Responder`, now });
}

/** Rolls over every role due at `now` (rolloverDue); returns the roles rolled. */
export async function rollOverDue(pki: StoredTestPki, dir: string, secret: string, now: Date, marginMs: number): Promise<RolledRole[]> {
  const rolled: RolledRole[] = [];
  for (const role of ROLLED_ROLES) {
    if (!rolloverDue(pki[role].certificate, now, marginMs)) continue;
    await fs.mkdir(path.join(dir, 'rolled'), { recursive: true, mode: 0o700 });
    const n = ((await generations(dir, role)).pop() ?? 0) + 1;
    const next = await rolledLeaf(dir, role, n, secret, () => issueRolled(pki, role, now));
    pki.retired.push(pki[role].certificate);
    pki[role] = next;
    rolled.push(role);
  }
  return rolled;
}

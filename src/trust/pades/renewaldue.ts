// When a PAdES B-LTA needs renewal (renew.ts): the newest document time-stamp proves the file only as long as it
// can itself be validated (ETSI EN 319 102-1 §5.6, past signature validation of a time-stamp: its TSA certificate
// valid at the time of validation or of a later POE, and its algorithms still reliable). Its end is the earliest of:
//   - the notAfter of its TSA's certificate and of each CA certificate above it (RFC 5280 §6.1.3 (a)(2): every
//     certificate of the path valid at the validation time), the path found by name among the token's, the DSS's and
//     the caller's certificates;
//   - the end of the weakest algorithm in it: the message imprint's hash (RFC 3161 §2.4.2), the SignerInfo's digest
//     (RFC 5652 §5.3), and each path certificate's signature hash and public key size. The default ends
//     (ALGORITHM_ENDS) follow NIST SP 800-57 Part 1 Rev. 5 §5.6.3 Table 4 (112-bit security strength, RSA-2048 and
//     SHA-224: acceptable through 2030) and NIST SP 800-131A Rev. 2 (SHA-1 and keys under 112 bits: disallowed for
//     signature generation after 2013); 128-bit and stronger (SHA-256 and up, RSA-3072 and up, P-256 and up) have no
//     end there. ETSI TS 119 312 gives its own dates; a caller that follows it passes its own table.
// Renewal is due `marginMs` before that end. Not implemented: algorithms other than RSA and EC keys and SHA-1/2
// hashes (an unknown one ends at once, so the file is renewed rather than trusted blindly).
import { X509Certificate as NodeCertificate } from 'node:crypto';
import type * as x509 from '@peculiar/x509';
import { openSignedData } from '../cms/verify';
import { readTimestampTime } from '../tsp/token';
import { pkijsCertificate } from '../x509/cache';
import { readRenewable } from './renew';

/** When each algorithm stops being reliable (null: no end known). */
export interface AlgorithmEnds {
  /** by hash name: SHA-1, SHA-224, SHA-256, SHA-384, SHA-512 */
  hashes: Record<string, Date | null>;
  /** RSA: the end for moduli of at least `minBits` (the entry with the largest `minBits` not above the size applies) */
  rsa: Array<{ minBits: number; end: Date | null }>;
  /** EC: by named curve (node:crypto's names: prime256v1, secp384r1, secp521r1) */
  curves: Record<string, Date | null>;
}

const Y2013 = new Date('2013-12-31T23:59:59Z');
const Y2030 = new Date('2030-12-31T23:59:59Z');

/** The default ends (see the top of this file). */
export const ALGORITHM_ENDS: AlgorithmEnds = {
  hashes: { 'SHA-1': Y2013, 'SHA-224': Y2030, 'SHA-256': null, 'SHA-384': null, 'SHA-512': null },
  rsa: [
    { minBits: 0, end: Y2013 },
    { minBits: 2048, end: Y2030 },
    { minBits: 3072, end: null },
  ],
  curves: { prime256v1: null, secp384r1: null, secp521r1: null },
};

const HASH_OIDS: Record<string, string> = {
  '1.3.14.3.2.26': 'SHA-1',
  '2.16.840.1.101.3.4.2.4': 'SHA-224',
  '2.16.840.1.101.3.4.2.1': 'SHA-256',
  '2.16.840.1.101.3.4.2.2': 'SHA-384',
  '2.16.840.1.101.3.4.2.3': 'SHA-512',
};
/** Signature algorithm OIDs (RFC 4055 §5, RFC 5758 §3.2, RFC 3279 §2.2.1) and the hash each uses. */
const SIGNATURE_HASH: Record<string, string> = {
  '1.2.840.113549.1.1.5': 'SHA-1',
  '1.2.840.113549.1.1.14': 'SHA-224',
  '1.2.840.113549.1.1.11': 'SHA-256',
  '1.2.840.113549.1.1.12': 'SHA-384',
  '1.2.840.113549.1.1.13': 'SHA-512',
  '1.2.840.10045.4.1': 'SHA-1',
  '1.2.840.10045.4.3.1': 'SHA-224',
  '1.2.840.10045.4.3.2': 'SHA-256',
  '1.2.840.10045.4.3.3': 'SHA-384',
  '1.2.840.10045.4.3.4': 'SHA-512',
};

export interface RenewalDue {
  /** renewal is due at `now` */
  due: boolean;
  /** `endsAt` minus the margin */
  dueAt: Date;
  /** when the newest document time-stamp stops being provable, and what ends then */
  endsAt: Date;
  /**
   * what ends first: a certificate (a renewal with a TSA certificate of later notAfter helps) or an algorithm (only a
   * TSA with stronger algorithms helps: renewing with the same one leaves the file due)
   */
  cause: 'certificate' | 'algorithm';
  reason: string;
  newest: { fieldName: string; genTime: Date; tsa: string };
}

export interface End {
  at: Date;
  what: string;
  cause?: 'certificate';
}

const EPOCH = new Date(0);

function hashEnd(name: string | undefined, where: string, t: AlgorithmEnds): End | undefined {
  if (!name || !(name in t.hashes)) return { at: EPOCH, what: `${where}: unknown hash algorithm ${name ?? ''}`.trim() };
  const at = t.hashes[name];
  return at ? { at, what: `${where}: ${name}` } : undefined;
}

/** The end of a certificate's public key (RSA by size, EC by curve; an unknown type ends at once). */
export function keyEnd(cert: x509.X509Certificate, t: AlgorithmEnds): End | undefined {
  const key = new NodeCertificate(Buffer.from(cert.rawData)).publicKey;
  const d = key.asymmetricKeyDetails ?? {};
  if (key.asymmetricKeyType === 'rsa' && d.modulusLength) {
    const bits = d.modulusLength;
    const row = [...t.rsa].sort((a, b) => b.minBits - a.minBits).find((r) => bits >= r.minBits);
    return row?.end ? { at: row.end, what: `RSA-${bits} key of ${cert.subject}` } : undefined;
  }
  if (key.asymmetricKeyType === 'ec' && d.namedCurve && d.namedCurve in t.curves) {
    const at = t.curves[d.namedCurve];
    return at ? { at, what: `${d.namedCurve} key of ${cert.subject}` } : undefined;
  }
  return { at: EPOCH, what: `unknown key type ${key.asymmetricKeyType ?? ''} of ${cert.subject}` };
}

/** `leaf` and the certificates above it, by issuer name, up to a self-signed one or as far as `pool` goes. */
function pathOf(leaf: x509.X509Certificate, pool: x509.X509Certificate[]): x509.X509Certificate[] {
  const path = [leaf];
  for (let c = leaf; c.subject !== c.issuer && path.length < 10;) {
    const up = pool.find((p) => p.subject === c.issuer && !path.some((q) => q.equal(p)));
    if (!up) break;
    path.push(up);
    c = up;
  }
  return path;
}

/**
 * Whether `pdf`'s newest document time-stamp is within `marginMs` of its end at `now` (see the top of this file).
 * Throws RenewalError (renew.ts) for a file that is not a PAdES ending with a document time-stamp.
 */
export async function renewalDue(
  pdf: Uint8Array,
  now: Date,
  marginMs: number,
  o: { certificatePool?: x509.X509Certificate[]; algorithmEnds?: AlgorithmEnds } = {},
): Promise<RenewalDue> {
  const pool = o.certificatePool ?? [];
  const t = o.algorithmEnds ?? ALGORITHM_ENDS;
  const f = await readRenewable(pdf, pool);
  const opened = openSignedData(f.newest.der);
  const path = pathOf(f.tsa, [...opened.certificates, ...f.dssCertificates, ...pool]);
  const ends: End[] = path.map((c) => ({ at: c.notAfter, what: `certificate ${c.subject} expires`, cause: 'certificate' }));
  const imprint = readTimestampTime(f.newest.der).hashAlgorithm;
  for (const e of [
    hashEnd(HASH_OIDS[imprint], 'message imprint', t),
    hashEnd(HASH_OIDS[opened.signerInfo.digestAlgorithm.algorithmId], 'token digest', t),
    ...path.flatMap((c) => [
      hashEnd(SIGNATURE_HASH[pkijsCertificate(c).signatureAlgorithm.algorithmId], `signature on ${c.subject}`, t),
      keyEnd(c, t),
    ]),
  ])
    if (e) ends.push(e);
  const first = ends.reduce((a, b) => (b.at < a.at ? b : a));
  const dueAt = new Date(first.at.getTime() - marginMs);
  return {
    due: now >= dueAt,
    dueAt,
    endsAt: first.at,
    cause: first.cause ?? 'algorithm',
    reason: `${first.what} at ${first.at.toISOString()}`,
    newest: { fieldName: f.newest.fieldName, genTime: f.genTime, tsa: f.tsa.subject },
  };
}

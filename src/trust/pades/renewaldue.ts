// When a PAdES B-LTA needs renewal (renew.ts): the newest document time-stamp proves the file only as long as it
// can itself be validated (ETSI EN 319 102-1 §5.6, past signature validation of a time-stamp: its TSA certificate
// valid at the time of validation or of a later POE, and its algorithms still reliable). Its end is the earliest of:
//   - the notAfter of its TSA's certificate and of each CA certificate above it (RFC 5280 §6.1.3 (a)(2): every
//     certificate of the path valid at the validation time), the path found by name among the token's, the DSS's and
//     the caller's certificates;
//   - the end of the weakest algorithm in it: the message imprint's hash (RFC 3161 §2.4.2), the SignerInfo's digest
//     (RFC 5652 §5.3), and each path certificate's signature hash and public key size, by the one table of algorithm
//     ends (trust/algorithms.ts ALGORITHM_ENDS, NIST SP 800-57 style; a caller that follows ETSI TS 119 312 passes its
//     own table). An unknown algorithm ends at once, so the file is renewed rather than trusted blindly.
// Renewal is due `marginMs` before that end.
import type * as x509 from '@peculiar/x509';
import { ALGORITHM_ENDS, HASH_OIDS, hashEnd, keyEnd, SIGNATURE_HASH, type AlgorithmEnds, type End } from '../algorithms';
import { openSignedData } from '../cms/verify';
import { readTimestampTime } from '../tsp/token';
import { pkijsCertificate } from '../x509/cache';
import { readRenewable } from './renew';

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

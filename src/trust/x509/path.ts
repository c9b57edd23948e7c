// X.509 certification path building and validation (RFC 5280 §6), the essentials segl needs for
// ETSI EN 319 102-1 §5.2.6 "X.509 certificate validation":
//
//  - building: from the leaf up through `intermediates` to one of `anchors`, chaining by name
//    (RFC 5280 §4.1.2.4 / §6.1.3 (a)(4)), key identifiers as a hint (§4.2.1.1) and, decisively, the
//    issuer's key verifying the certificate's signature (§6.1.3 (a)(1));
//  - validation of every certificate in the path (the trust anchor excluded, §6.1.1 (d)): validity at
//    the validation time `at` (§6.1.3 (a)(2), the "shell model"), no unrecognised critical extension
//    (§6.1.4 (o), §6.1.5 (f)); for every issuing certificate basicConstraints cA (§6.1.4 (k)),
//    pathLenConstraint (§6.1.4 (l)(m)) and keyUsage keyCertSign when keyUsage is present (§6.1.4 (n)).
//
// Not implemented: certificate policies (§6.1.3 (d)-(f)), name constraints (§6.1.4 (g)) and policy
// constraints. Their extensions are therefore "unrecognised": a path with one of them marked critical
// is refused (fail closed) rather than silently accepted.
//
// The trust anchor is taken as RFC 5280 §6.1.1 (d) takes it: its name and key. Its own validity
// period and keyUsage are not checked; a pathLenConstraint in the anchor certificate IS honoured
// (RFC 5937 §2 allows enforcing the anchor's constraints, and openssl does).
import '../crypto';
import * as x509 from '@peculiar/x509';
import { certificateHash, signatureVerifiedBy } from './cache';

export type PathSubIndication = 'NO_CERTIFICATE_CHAIN_FOUND' | 'OUT_OF_BOUNDS_NO_POE' | 'NOT_YET_VALID' | 'CHAIN_CONSTRAINTS_FAILURE';

export type PathResult =
  | { ok: true; chain: x509.X509Certificate[] }
  | { ok: false; subIndication: PathSubIndication; message: string; chain?: x509.X509Certificate[] };

export interface PathOptions {
  /** Trusted certificates; a path must end in one of them. */
  anchors: x509.X509Certificate[];
  /** Untrusted certificates that may be used to build the path. */
  intermediates: x509.X509Certificate[];
  /** Validation time. */
  at: Date;
}

/** Longest path tried (leaf and anchor included); real PKIs rarely exceed 4. */
const MAX_PATH_LENGTH = 8;
/** Upper bound on complete candidate paths evaluated (cross-certified meshes could explode otherwise). */
const MAX_CANDIDATE_PATHS = 16;

const OID = {
  subjectKeyIdentifier: '2.5.29.14',
  keyUsage: '2.5.29.15',
  subjectAltName: '2.5.29.17',
  issuerAltName: '2.5.29.18',
  basicConstraints: '2.5.29.19',
  crlDistributionPoints: '2.5.29.31',
  certificatePolicies: '2.5.29.32',
  authorityKeyIdentifier: '2.5.29.35',
  extKeyUsage: '2.5.29.37',
  authorityInfoAccess: '1.3.6.1.5.5.7.1.1',
  ocspNoCheck: '1.3.6.1.5.5.7.48.1.5',
  qcStatements: '1.3.6.1.5.5.7.1.3',
} as const;

/**
 * Extensions this validator processes or that carry no path-validation semantics, so a critical
 * instance does not invalidate the path. certificatePolicies is listed because a relying party that
 * sets no initial policy set accepts any policy (RFC 5280 §6.1.1 (c) any-policy); segl enforces
 * POCES/MOCES policies at the application level (pki.ts certificateKind).
 */
const RECOGNISED_EXTENSIONS = new Set<string>(Object.values(OID));

function bytes(b: ArrayBuffer | Uint8Array): Uint8Array {
  return b instanceof Uint8Array ? b : new Uint8Array(b);
}

function sameCert(a: x509.X509Certificate, b: x509.X509Certificate): boolean {
  return a === b || certificateHash(a) === certificateHash(b);
}

const nameForms = new WeakMap<x509.Name, { der: string; text: string }>();
/** A Name's DER (hex) and RFC 4514 string, computed once per Name object (both are re-encoded on each call). */
function formsOf(n: x509.Name): { der: string; text: string } {
  let f = nameForms.get(n);
  if (!f) {
    f = { der: Buffer.from(bytes(n.toArrayBuffer())).toString('hex'), text: n.toString() };
    nameForms.set(n, f);
  }
  return f;
}

/** RFC 5280 §7.1 name matching, approximated: identical DER, or identical RFC 4514 string form. */
function namesMatch(a: x509.Name, b: x509.Name): boolean {
  const fa = formsOf(a);
  const fb = formsOf(b);
  return fa.der === fb.der || fa.text === fb.text;
}

/** Self-issued (RFC 5280 §6.1): subject and issuer names match. */
function selfIssued(cert: x509.X509Certificate): boolean {
  return namesMatch(cert.subjectName, cert.issuerName);
}

function describe(cert: x509.X509Certificate): string {
  return `"${cert.subject}" (serial ${cert.serialNumber})`;
}

const keyIdsOf = new WeakMap<x509.X509Certificate, { aki?: string; ski?: string }>();
/**
 * A certificate's AKI keyIdentifier and SKI, lower case, read once per certificate object (@peculiar/x509 decodes
 * its extensions again on every call).
 */
function keyIds(cert: x509.X509Certificate): { aki?: string; ski?: string } {
  let ids = keyIdsOf.get(cert);
  if (!ids) {
    ids = {
      aki: cert.getExtension(x509.AuthorityKeyIdentifierExtension)?.keyId?.toLowerCase(),
      ski: cert.getExtension(x509.SubjectKeyIdentifierExtension)?.keyId?.toLowerCase(),
    };
    keyIdsOf.set(cert, ids);
  }
  return ids;
}

/** AKI keyIdentifier vs SKI: only a hint, so an absent value never excludes a candidate. */
function keyIdsCompatible(child: x509.X509Certificate, parent: x509.X509Certificate): boolean {
  const aki = keyIds(child).aki;
  const ski = keyIds(parent).ski;
  return !aki || !ski || aki === ski;
}

/**
 * Does `parent`'s key verify `child`'s signature? Any error (unsupported algorithm, bad key) is "no".
 * The verdict is remembered per pair of DER encodings (cache.ts): it cannot change.
 */
function signedBy(child: x509.X509Certificate, parent: x509.X509Certificate): Promise<boolean> {
  return signatureVerifiedBy(child, parent);
}

/** Could `parent` have issued `child`? Name chaining, key-id hint, then the signature itself. */
async function issues(parent: x509.X509Certificate, child: x509.X509Certificate): Promise<boolean> {
  if (!namesMatch(child.issuerName, parent.subjectName)) return false;
  if (!keyIdsCompatible(child, parent)) return false;
  return signedBy(child, parent);
}

/**
 * Every path from `leaf` to an anchor whose signatures verify, shortest first. A path is
 * [leaf, …intermediates, anchor]; when the leaf itself is an anchor the path is just [leaf].
 */
async function buildPaths(leaf: x509.X509Certificate, opts: PathOptions): Promise<x509.X509Certificate[][]> {
  const anchors = opts.anchors;
  const pool = opts.intermediates.filter((c, i, all) => !anchors.some((a) => sameCert(a, c)) && all.findIndex((d) => sameCert(d, c)) === i);
  const found: x509.X509Certificate[][] = [];
  if (anchors.some((a) => sameCert(a, leaf))) return [[leaf]];

  // Breadth-first so that shorter paths are evaluated first.
  let frontier: x509.X509Certificate[][] = [[leaf]];
  while (frontier.length && found.length < MAX_CANDIDATE_PATHS) {
    const next: x509.X509Certificate[][] = [];
    for (const path of frontier) {
      const tip = path[path.length - 1];
      for (const anchor of anchors) {
        if (await issues(anchor, tip)) found.push([...path, anchor]);
      }
      if (path.length + 1 >= MAX_PATH_LENGTH) continue;
      for (const cand of pool) {
        if (path.some((c) => sameCert(c, cand))) continue; // no loops
        if (await issues(cand, tip)) next.push([...path, cand]);
      }
    }
    frontier = next;
  }
  return found.slice(0, MAX_CANDIDATE_PATHS);
}

type Failure = { subIndication: PathSubIndication; message: string };

/** RFC 5280 §6.1.3 (a)(2): the validity check, with the EN 319 102-1 sub-indications. */
function checkValidity(cert: x509.X509Certificate, at: Date, role: string): Failure | null {
  if (at < cert.notBefore) {
    return {
      subIndication: 'NOT_YET_VALID',
      message: `${role} ${describe(cert)} is not valid before ${cert.notBefore.toISOString()} (validation time ${at.toISOString()})`,
    };
  }
  if (at > cert.notAfter) {
    return {
      subIndication: 'OUT_OF_BOUNDS_NO_POE',
      message: `${role} ${describe(cert)} expired at ${cert.notAfter.toISOString()} (validation time ${at.toISOString()})`,
    };
  }
  return null;
}

function checkCriticalExtensions(cert: x509.X509Certificate, role: string): Failure | null {
  const unknown = cert.extensions.filter((e) => e.critical && !RECOGNISED_EXTENSIONS.has(e.type));
  if (!unknown.length) return null;
  return {
    subIndication: 'CHAIN_CONSTRAINTS_FAILURE',
    message: `${role} ${describe(cert)} has unrecognised critical extension(s) ${unknown.map((e) => e.type).join(', ')}`,
  };
}

/**
 * RFC 5280 §6.1.4 (k)(n): an issuing certificate must be a CA (basicConstraints cA, v3) and, when
 * keyUsage is present, assert keyCertSign. (l)(m): its pathLenConstraint bounds the number of
 * non-self-issued intermediate certificates below it (the leaf is not counted).
 */
function checkIssuer(chain: x509.X509Certificate[], index: number, isAnchor: boolean): Failure | null {
  const cert = chain[index];
  const role = isAnchor ? 'trust anchor' : 'issuing certificate';
  const bc = cert.getExtension(x509.BasicConstraintsExtension);
  if (!isAnchor) {
    if (!bc || !bc.ca) {
      return {
        subIndication: 'CHAIN_CONSTRAINTS_FAILURE',
        message: `${role} ${describe(cert)} is not a CA (basicConstraints cA missing or false) but issued ${describe(chain[index - 1])}`,
      };
    }
    const ku = cert.getExtension(x509.KeyUsagesExtension);
    if (ku && !(ku.usages & x509.KeyUsageFlags.keyCertSign)) {
      return {
        subIndication: 'CHAIN_CONSTRAINTS_FAILURE',
        message: `${role} ${describe(cert)} keyUsage lacks keyCertSign`,
      };
    }
  }
  if (bc?.ca && bc.pathLength !== undefined) {
    // Intermediates strictly between this certificate and the leaf: chain[1 .. index-1].
    const below = chain.slice(1, index).filter((c) => !selfIssued(c)).length;
    if (below > bc.pathLength) {
      return {
        subIndication: 'CHAIN_CONSTRAINTS_FAILURE',
        message: `${role} ${describe(cert)} has pathLenConstraint ${bc.pathLength} but ${below} intermediate CA certificate(s) follow it`,
      };
    }
  }
  return null;
}

/** RFC 5280 §6.1.3-§6.1.5 on one built path [leaf, …, anchor]. */
function checkPath(chain: x509.X509Certificate[], at: Date): Failure | null {
  const last = chain.length - 1;
  for (let i = 0; i < last; i++) {
    const role = i === 0 ? 'certificate' : 'intermediate CA certificate';
    const f = checkValidity(chain[i], at, role) ?? checkCriticalExtensions(chain[i], role);
    if (f) return f;
  }
  for (let i = 1; i <= last; i++) {
    const f = checkIssuer(chain, i, i === last);
    if (f) return f;
  }
  return null;
}

/**
 * Builds and validates a certification path for `leaf` at `opts.at`. Tries every candidate path
 * (shortest first) and returns the first that validates; otherwise the failure of the first path
 * that reached an anchor, or NO_CERTIFICATE_CHAIN_FOUND when none did. Never throws.
 */
export async function validatePath(leaf: x509.X509Certificate, opts: PathOptions): Promise<PathResult> {
  try {
    const at = opts.at;
    if (!(at instanceof Date) || Number.isNaN(at.getTime())) {
      return { ok: false, subIndication: 'NO_CERTIFICATE_CHAIN_FOUND', message: 'no valid validation time given' };
    }
    const paths = await buildPaths(leaf, opts);
    if (!paths.length) {
      return {
        ok: false,
        subIndication: 'NO_CERTIFICATE_CHAIN_FOUND',
        message: `no certification path from ${describe(leaf)} (issuer "${leaf.issuer}") to a trust anchor`,
      };
    }
    let first: (Failure & { chain: x509.X509Certificate[] }) | undefined;
    for (const chain of paths) {
      const f = checkPath(chain, at);
      if (!f) return { ok: true, chain };
      first ??= { ...f, chain };
    }
    const f = first as Failure & { chain: x509.X509Certificate[] };
    return { ok: false, subIndication: f.subIndication, message: f.message, chain: f.chain };
  } catch (e) {
    return {
      ok: false,
      subIndication: 'NO_CERTIFICATE_CHAIN_FOUND',
      message: `path building failed: ${e instanceof Error ? e.message : String(e)}`,
    };
  }
}

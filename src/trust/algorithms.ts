// When a cryptographic algorithm stops being reliable: the one table of algorithm ends, used on the creation side
// (pades/renewaldue.ts and signing/preserve.ts: when a renewal is due) and on the validation side (validation/
// cryptoconstraints.ts: ETSI EN 319 102-1 §5.2.8 cryptographic constraints at a proof of existence).
// The default ends (ALGORITHM_ENDS) follow NIST SP 800-57 Part 1 Rev. 5 §5.6.3 Table 4 (112-bit security strength,
// RSA-2048 and SHA-224: acceptable through 2030) and NIST SP 800-131A Rev. 2 (SHA-1 and keys under 112 bits:
// disallowed for signature generation after 2013); 128-bit and stronger (SHA-256 and up, RSA-3072 and up, P-256 and
// up) have no end there. ETSI TS 119 312 gives its own dates; a caller that follows it passes its own table.
// Not implemented: algorithms other than RSA and EC keys and SHA-1/2 hashes (an unknown one ends at once: it is
// never trusted blindly).
import { X509Certificate as NodeCertificate } from 'node:crypto';
import type * as x509 from '@peculiar/x509';

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

/** Hash algorithm OIDs (RFC 3370 §2.1, RFC 5754 §2). */
export const HASH_OIDS: Record<string, string> = {
  '1.3.14.3.2.26': 'SHA-1',
  '2.16.840.1.101.3.4.2.4': 'SHA-224',
  '2.16.840.1.101.3.4.2.1': 'SHA-256',
  '2.16.840.1.101.3.4.2.2': 'SHA-384',
  '2.16.840.1.101.3.4.2.3': 'SHA-512',
};

/** Signature algorithm OIDs (RFC 4055 §5, RFC 5758 §3.2, RFC 3279 §2.2.1) and the hash each uses. */
export const SIGNATURE_HASH: Record<string, string> = {
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

/** XMLDSig SignatureMethod URIs (W3C XMLDSig 1.1 §6.4, RFC 6931 §2.3) and the hash each uses. */
export const XMLDSIG_SIGNATURE_HASH: Record<string, string> = {
  'http://www.w3.org/2000/09/xmldsig#rsa-sha1': 'SHA-1',
  'http://www.w3.org/2001/04/xmldsig-more#rsa-sha224': 'SHA-224',
  'http://www.w3.org/2001/04/xmldsig-more#rsa-sha256': 'SHA-256',
  'http://www.w3.org/2001/04/xmldsig-more#rsa-sha384': 'SHA-384',
  'http://www.w3.org/2001/04/xmldsig-more#rsa-sha512': 'SHA-512',
  'http://www.w3.org/2001/04/xmldsig-more#ecdsa-sha1': 'SHA-1',
  'http://www.w3.org/2001/04/xmldsig-more#ecdsa-sha224': 'SHA-224',
  'http://www.w3.org/2001/04/xmldsig-more#ecdsa-sha256': 'SHA-256',
  'http://www.w3.org/2001/04/xmldsig-more#ecdsa-sha384': 'SHA-384',
  'http://www.w3.org/2001/04/xmldsig-more#ecdsa-sha512': 'SHA-512',
};

/** XMLDSig DigestMethod URIs (W3C XMLDSig 1.1 §6.2, RFC 6931 §2.1). */
export const XMLDSIG_DIGEST_HASH: Record<string, string> = {
  'http://www.w3.org/2000/09/xmldsig#sha1': 'SHA-1',
  'http://www.w3.org/2001/04/xmldsig-more#sha224': 'SHA-224',
  'http://www.w3.org/2001/04/xmlenc#sha256': 'SHA-256',
  'http://www.w3.org/2001/04/xmldsig-more#sha384': 'SHA-384',
  'http://www.w3.org/2001/04/xmlenc#sha512': 'SHA-512',
};

/** An algorithm's end and what it is the end of. */
export interface End {
  at: Date;
  what: string;
  cause?: 'certificate';
}

const EPOCH = new Date(0);

/** The end of hash `name` (undefined: none known; an unknown hash ends at once). */
export function hashEnd(name: string | undefined, where: string, t: AlgorithmEnds, id?: string): End | undefined {
  if (!name || !(name in t.hashes)) return { at: EPOCH, what: `${where}: unknown hash algorithm ${name ?? id ?? ''}`.trim() };
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

/** The earliest of some ends (undefined for none). */
export const firstEnd = (ends: Array<End | undefined>): End | undefined =>
  ends.filter((e): e is End => !!e).reduce<End | undefined>((a, b) => (!a || b.at < a.at ? b : a), undefined);

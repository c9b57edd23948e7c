// Cryptographic constraints (ETSI EN 319 102-1 §5.2.8, signature acceptance validation: the algorithms of every
// element involved in validating a signature, and the size of each key, acceptable at the time that counts; §5.6.2.5,
// past signature validation, where a later time-stamp gives that time, the proof of existence or POE). Judged by the
// one table of algorithm ends (trust/algorithms.ts), in the manner of EU DSS's CryptographicConstraint:
//   - a CMS signature or RFC 3161 token: the SignerInfo's digest (RFC 5652 §5.3), the hash its signature algorithm
//     names, the signer's public key (RSA modulus size or EC curve) and, for a token, the message imprint's hash
//     (RFC 3161 §2.4.2) (`cryptoConstraintsAt`);
//   - an XMLDSig signature: the hash of ds:SignatureMethod, every ds:DigestMethod of ds:SignedInfo and of the signed
//     XAdES properties (the signing certificate's digest), and the signer's key (`xmlSignatureEnds`);
//   - each certificate of the certification path but the trust anchor: the hash of the signature ON it (RFC 5280
//     §4.1.1.2) and the key that made that signature, its issuer's (the anchor's key included: it signs the first
//     certificate below it) (`supportConstraintsAt`);
//   - each OCSP response (RFC 6960 §4.2.1: its signature algorithm's hash and the responder's key) and CRL (RFC 5280
//     §5.1.1.2: its signature algorithm's hash and the issuer's key) used for a certificate's status.
// An element whose weakest algorithm ended before its POE is INDETERMINATE (§5.1.3): CRYPTO_CONSTRAINTS_FAILURE when
// the element itself says it was made after that end (a token's genTime, a certificate's notBefore, an OCSP response's
// producedAt, a CRL's thisUpdate, an XAdES SigningTime: made with an algorithm already ended, or forged, and no POE can
// change that), else CRYPTO_CONSTRAINTS_FAILURE_NO_POE (it may have been made in time, but nothing proves it was).
// A later time-stamp made while the algorithm was still acceptable moves the POE before the end and so passes it.
// Which POE each element gets is the caller's (validation/archive.ts, validation/padesitem.ts, signing/offline.ts).
// Not implemented: the algorithms of the trust anchor's own self-signature (the anchor is trusted by name and key,
// RFC 5280 §6.1.1 (d)); RSASSA-PSS and other signature algorithms whose hash is in parameters (not in the table:
// they end at once, never trusted blindly); a signature validation policy's other constraints (§5.2.8 attributes).
import type * as x509 from '@peculiar/x509';
import * as pkijs from 'pkijs';
import {
  ALGORITHM_ENDS,
  firstEnd,
  HASH_OIDS,
  hashEnd,
  keyEnd,
  SIGNATURE_HASH,
  XMLDSIG_DIGEST_HASH,
  XMLDSIG_SIGNATURE_HASH,
  type AlgorithmEnds,
  type End,
} from '../algorithms';
import { openSignedData } from '../cms/verify';
import { checkOcspResponse } from '../ocsp/response';
import { readTimestampTime } from '../tsp/token';
import { pkijsCertificate } from '../x509/cache';
import { normalizeSerialHex } from '../x509/serial';
import { NS } from '../xml/dom';
import type { Check, VerificationReport } from './report';
import type { El } from './xmldsig';

export interface CryptoConstraintsInput {
  /** the CMS SignedData (a signature's, or a time-stamp token) */
  der: Uint8Array;
  /** the certificate it verifies with */
  signer: x509.X509Certificate;
  /** its proof of existence: the genTime of the next time-stamp over it, or the validation time */
  poe: Date;
  /** what the element is, for the reason */
  element: string;
  /** a time-stamp token: its message imprint's hash is judged too */
  timeStamp: boolean;
  /** the table of ends (default ALGORITHM_ENDS) */
  ends?: AlgorithmEnds;
}

/** The end of the weakest algorithm of the element (undefined: none ends). Throws on an unreadable CMS. */
function weakest(i: CryptoConstraintsInput): End | undefined {
  const t = i.ends ?? ALGORITHM_ENDS;
  const si = openSignedData(i.der).signerInfo;
  const signatureHash = SIGNATURE_HASH[si.signatureAlgorithm.algorithmId];
  return firstEnd([
    i.timeStamp ? hashEnd(HASH_OIDS[readTimestampTime(i.der).hashAlgorithm], 'message imprint', t) : undefined,
    hashEnd(HASH_OIDS[si.digestAlgorithm.algorithmId], 'digest', t),
    signatureHash ? hashEnd(signatureHash, 'signature hash', t) : undefined,
    keyEnd(i.signer, t),
  ]);
}

/** A failure of the constraints: the indication, the sub-indication §5.1.3 gives it and what failed. */
export interface CryptoFailure {
  indication: 'INDETERMINATE';
  subIndication: 'CRYPTO_CONSTRAINTS_FAILURE' | 'CRYPTO_CONSTRAINTS_FAILURE_NO_POE';
  detail: string;
}

/** One element judged: what it is, its algorithms' ends, when it says it was made (if it does), its POE. */
export interface Judged {
  element: string;
  ends: Array<End | undefined>;
  producedAt?: Date;
  poe: Date;
}

/** The first of `items` whose weakest algorithm ended before its POE, as a failure (the top of this file). */
export function judge(items: Judged[]): CryptoFailure | undefined {
  for (const i of items) {
    const end = firstEnd(i.ends);
    if (!end || end.at >= i.poe) continue;
    const until = end.at.getTime() === 0 ? 'not in the table of algorithm ends' : `acceptable only until ${end.at.toISOString()}`;
    if (i.producedAt && end.at.getTime() !== 0 && i.producedAt > end.at)
      return {
        indication: 'INDETERMINATE',
        subIndication: 'CRYPTO_CONSTRAINTS_FAILURE',
        detail: `${i.element}: ${end.what} is ${until}, and it was made after then (${i.producedAt.toISOString()})`,
      };
    return {
      indication: 'INDETERMINATE',
      subIndication: 'CRYPTO_CONSTRAINTS_FAILURE_NO_POE',
      detail: `${i.element}: ${end.what} is ${until}, with no proof of existence before then (POE ${i.poe.toISOString()})`,
    };
  }
  return undefined;
}

/** The ends of an unreadable element: it ends at once. */
const unreadable = (e: unknown): End[] => [{ at: new Date(0), what: `algorithms unreadable (${(e as Error).message})` }];

/**
 * §5.2.8 for a CMS signature or a time-stamp token at its POE: undefined when its algorithms were all acceptable then,
 * else the failure, with a reason naming the element, the algorithm and its end. A token made (genTime) after the end
 * is CRYPTO_CONSTRAINTS_FAILURE.
 */
export function cryptoConstraintsAt(i: CryptoConstraintsInput): CryptoFailure | undefined {
  let ends: Array<End | undefined>;
  let producedAt: Date | undefined;
  try {
    ends = [weakest(i)];
    producedAt = i.timeStamp ? readTimestampTime(i.der).genTime : undefined;
  } catch (e) {
    ends = unreadable(e);
  }
  return judge([{ element: i.element, ends, poe: i.poe, ...(producedAt ? { producedAt } : {}) }]);
}

/** The hash a certificate's (or CRL's) signature algorithm names, judged for `where`. */
function signatureHashEnd(oid: string, where: string, t: AlgorithmEnds): End | undefined {
  return hashEnd(SIGNATURE_HASH[oid], where, t, oid);
}

/** The certificates of a path but the anchor, each by the signature on it and its issuer's key. */
export function certificateItems(chain: x509.X509Certificate[], poe: (index: number) => Date, t: AlgorithmEnds): Judged[] {
  const out: Judged[] = [];
  for (let k = 0; k + 1 < chain.length; k++) {
    const cert = chain[k]!;
    let ends: Array<End | undefined>;
    try {
      const oid = pkijsCertificate(cert).signatureAlgorithm.algorithmId;
      ends = [signatureHashEnd(oid, 'the signature on it', t), keyEnd(chain[k + 1]!, t)];
    } catch (e) {
      ends = unreadable(e);
    }
    out.push({ element: `certificate ${cert.subject}`, ends, producedAt: cert.notBefore, poe: poe(k) });
  }
  return out;
}

/** A revocation value used for `subject` (issued by `issuer`): an OCSP response or a CRL, in DER. */
export interface RevocationUse {
  der: Uint8Array;
  subject: x509.X509Certificate;
  issuer: x509.X509Certificate;
  serialHex: string;
}

/** The revocation values of a report's records (each the answer for one certificate of `chain`, issued by the next). */
export function revocationUses(
  chain: x509.X509Certificate[],
  records: Array<{ serialHex: string; subject: string; responseDer?: Uint8Array }>,
): RevocationUse[] {
  return records.flatMap((r) => {
    const k = chain.findIndex((c) => c.subject === r.subject && normalizeSerialHex(c.serialNumber) === r.serialHex);
    return r.responseDer && k >= 0 && k + 1 < chain.length
      ? [{ der: r.responseDer, subject: chain[k]!, issuer: chain[k + 1]!, serialHex: r.serialHex }]
      : [];
  });
}

/** An OCSP response or a CRL judged (RFC 6960 §4.2.1 / RFC 5280 §5.1.1.2): its signature's hash and its signer's key. */
async function revocationItem(r: RevocationUse, poe: Date, t: AlgorithmEnds): Promise<Judged> {
  const element = `revocation data for ${r.subject.subject}`;
  try {
    const ocsp = pkijs.OCSPResponse.fromBER(r.der);
    const bytes = ocsp.responseBytes?.response.valueBlock.valueHexView;
    if (!bytes) throw new Error('OCSP response without a BasicOCSPResponse');
    const basic = pkijs.BasicOCSPResponse.fromBER(bytes);
    const checked = await checkOcspResponse(r.der, { issuer: r.issuer, serialHex: r.serialHex });
    const oid = basic.signatureAlgorithm.algorithmId;
    const ends = [signatureHashEnd(oid, 'its signature', t), keyEnd(checked.responder, t)];
    return { element: `OCSP response for ${r.subject.subject}`, ends, producedAt: checked.producedAt, poe };
  } catch (ocspError) {
    try {
      const crl = pkijs.CertificateRevocationList.fromBER(r.der);
      const ends = [signatureHashEnd(crl.signatureAlgorithm.algorithmId, 'its signature', t), keyEnd(r.issuer, t)];
      return { element: `CRL of ${r.issuer.subject}`, ends, producedAt: crl.thisUpdate.value, poe };
    } catch {
      return { element, ends: unreadable(ocspError), poe };
    }
  }
}

/** What a signature or token was validated with: its path and the revocation values it used. */
export interface Support {
  chain: x509.X509Certificate[];
  revocation: RevocationUse[];
  /** the POE of the path's certificates below the signer and of the revocation values */
  poe: Date;
  /** the POE of the signer's certificate (default `poe`): the element's, when the element binds it (XAdES, ESS) */
  signerPoe?: Date;
  ends?: AlgorithmEnds;
}

/** §5.2.8 for the path and the revocation data an element was validated with (the top of this file). */
export async function supportConstraintsAt(s: Support): Promise<CryptoFailure | undefined> {
  const t = s.ends ?? ALGORITHM_ENDS;
  const certs = certificateItems(s.chain, (k) => (k === 0 ? (s.signerPoe ?? s.poe) : s.poe), t);
  const revocation = await Promise.all(s.revocation.map((r) => revocationItem(r, s.poe, t)));
  return judge([...certs, ...revocation]);
}

/** Every descendant element `ns`:`local` of `el`. */
function descendants(el: El, ns: string, local: string, out: El[] = []): El[] {
  for (let n = el.firstChild; n; n = n.nextSibling) {
    if (n.nodeType !== 1) continue;
    const e = n as El;
    if (e.namespaceURI === ns && e.localName === local) out.push(e);
    descendants(e, ns, local, out);
  }
  return out;
}

/**
 * The ends of an XMLDSig signature's algorithms: ds:SignatureMethod's hash, every ds:DigestMethod under ds:SignedInfo
 * and under xades:SignedProperties (the signing certificate's digest), and the signer's key.
 */
export function xmlSignatureEnds(sig: El, signer: x509.X509Certificate, t: AlgorithmEnds = ALGORITHM_ENDS): Array<End | undefined> {
  const signedInfo = descendants(sig, NS.ds, 'SignedInfo')[0];
  if (!signedInfo) return [{ at: new Date(0), what: 'no ds:SignedInfo' }];
  const method = descendants(signedInfo, NS.ds, 'SignatureMethod')[0]?.getAttribute('Algorithm') ?? '';
  const signed = [signedInfo, ...descendants(sig, NS.xades, 'SignedProperties')];
  const digests = signed.flatMap((e) => descendants(e, NS.ds, 'DigestMethod').map((d) => d.getAttribute('Algorithm') ?? ''));
  return [
    hashEnd(XMLDSIG_SIGNATURE_HASH[method], 'ds:SignatureMethod', t, method),
    ...[...new Set(digests)].map((d) => hashEnd(XMLDSIG_DIGEST_HASH[d], 'ds:DigestMethod', t, d)),
    keyEnd(signer, t),
  ];
}

/** When an XMLDSig signature's parts are known to have existed (signing/offline.ts gives them for an LTV-SDO). */
export interface XmlSignaturePoe {
  /** what the signature is, for the reason */
  element: string;
  /** the POE of the signature and of its signing certificate (which the signed XAdES properties bind by digest) */
  signaturePoe: Date;
  /** the POE of the rest of its path and of its revocation values */
  poe: Date;
  ends?: AlgorithmEnds;
}

/**
 * §5.2.8 for an XMLDSig signature that passed the rest (validation/process.ts's report): its algorithms
 * (xmlSignatureEnds; a claimed XAdES SigningTime after an end is CRYPTO_CONSTRAINTS_FAILURE), its path and its
 * revocation values, each at its POE; the report unchanged but for the check, or INDETERMINATE with the failure.
 */
export async function xmlSignatureConstraintsAt(r: VerificationReport, sig: El, o: XmlSignaturePoe): Promise<VerificationReport> {
  if (r.indication !== 'TOTAL-PASSED' || !r.signer) return r;
  const t = o.ends ?? ALGORITHM_ENDS;
  const chain = r.chain ?? [r.signer];
  const own: Judged = { element: o.element, ends: xmlSignatureEnds(sig, r.signer, t), poe: o.signaturePoe };
  const bad =
    judge([r.signingTime ? { ...own, producedAt: r.signingTime } : own]) ??
    (await supportConstraintsAt({
      chain,
      revocation: revocationUses(chain, r.revocation ?? []),
      poe: o.poe,
      signerPoe: o.signaturePoe,
      ends: t,
    }));
  const at =
    o.signaturePoe.getTime() === o.poe.getTime()
      ? o.poe.toISOString()
      : `${o.signaturePoe.toISOString()} (path and revocation data ${o.poe.toISOString()})`;
  const check: Check = {
    name: 'cryptographic-constraints',
    ok: !bad,
    detail: bad ? bad.detail : `algorithms acceptable at ${at}`,
    at: new Date(),
  };
  const checks = [...r.checks, check];
  return bad ? { ...r, indication: bad.indication, subIndication: bad.subIndication, message: bad.detail, checks } : { ...r, checks };
}

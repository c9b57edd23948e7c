// Cryptographic constraints at a proof of existence (ETSI EN 319 102-1 §5.2.8, signature acceptance validation:
// the algorithms of an element, and the size of its key, acceptable at the time it is known to have existed; §5.6.2.5,
// past signature validation, with the POE a later time-stamp gives). For a CMS signature or an RFC 3161 time-stamp
// token the algorithms are the SignerInfo's digest (RFC 5652 §5.3), the hash its signature algorithm names, the
// signer's public key (RSA modulus size or EC curve) and, for a token, the message imprint's hash (RFC 3161 §2.4.2),
// each judged by the table of algorithm ends (trust/algorithms.ts). An element whose weakest algorithm ended before
// its POE is INDETERMINATE CRYPTO_CONSTRAINTS_FAILURE_NO_POE (§5.1.3): it may have been forged after the end, and
// nothing proves it was not. A later time-stamp made while the algorithm was still acceptable moves the POE before
// the end and so passes it. Not implemented: the algorithms of the certificates of the path and of the revocation
// data (§5.2.8 names them too) and of XMLDSig signatures (the LTV-SDO's seal and native signature).
import type * as x509 from '@peculiar/x509';
import { ALGORITHM_ENDS, firstEnd, HASH_OIDS, hashEnd, keyEnd, SIGNATURE_HASH, type AlgorithmEnds, type End } from '../algorithms';
import { openSignedData } from '../cms/verify';
import { readTimestampTime } from '../tsp/token';

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

/**
 * §5.2.8 at the element's POE: undefined when its algorithms were all acceptable then, else the failure, with a
 * reason naming the element, the algorithm and its end.
 */
export function cryptoConstraintsAt(
  i: CryptoConstraintsInput,
): { indication: 'INDETERMINATE'; subIndication: 'CRYPTO_CONSTRAINTS_FAILURE_NO_POE'; detail: string } | undefined {
  let end: End | undefined;
  try {
    end = weakest(i);
  } catch (e) {
    end = { at: new Date(0), what: `algorithms unreadable (${(e as Error).message})` };
  }
  if (!end || end.at >= i.poe) return undefined;
  const until = end.at.getTime() === 0 ? 'not in the table of algorithm ends' : `acceptable only until ${end.at.toISOString()}`;
  return {
    indication: 'INDETERMINATE',
    subIndication: 'CRYPTO_CONSTRAINTS_FAILURE_NO_POE',
    detail: `${i.element}: ${end.what} is ${until}, with no proof of existence before then (POE ${i.poe.toISOString()})`,
  };
}

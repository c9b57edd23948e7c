// Preservation of an archived LTV-SDO (docs/ltvsdo.md "Archive time-stamps and renewal"): when its evidence is due,
// and its renewal — the validation data of the newest time-stamp fetched fresh, then a new archive time-stamp
// (trust/xades/archive.ts) — verified at once (signing/offline.ts) before anyone stores it.
import '../trust/crypto';
import * as x509 from '@peculiar/x509';
import { addArchiveTimeStamp, type ValidationData } from '../trust/xades/archive';
import { readTimestampToken } from '../trust/tsp/token';
import { validatePath } from '../trust/x509/path';
import type { RevocationSource, TimestampSource } from '../trust/sources';
import { parseDocument } from '../trust/validation/xmldsig';
import type { SElement } from '../trust/xml/strictxml';
import { verifyLtvSdo } from './offline';
import { ALGORITHM_ENDS, keyEnd } from '../trust/algorithms';

const DAY_MS = 86_400_000;
const DS = 'http://www.w3.org/2000/09/xmldsig#';
const XADES141 = 'http://uri.etsi.org/01903/v1.4.1#';

/**
 * Until when the certificate's key is taken to hold: the key-size row of the one algorithm table
 * (trust/algorithms.ts ALGORITHM_ENDS, NIST SP 800-57 Part 1 Rev. 5 §5.6.3: RSA-2048 through 2030, RSA-3072 and
 * up and the NIST curves with no end known). SHA-256 as the imprint and digest is not the weaker part.
 */
export function algorithmEnd(cert: x509.X509Certificate): Date | undefined {
  return keyEnd(cert, ALGORITHM_ENDS)?.at;
}

function elementsOf(n: SElement): SElement[] {
  const out: SElement[] = [];
  for (let c = n.firstChild; c; c = c.nextSibling) if (c.nodeType === 1) out.push(c);
  return out;
}

function descendants(n: SElement, local: string, out: SElement[] = []): SElement[] {
  for (const c of elementsOf(n)) {
    if (c.localName === local) out.push(c);
    descendants(c, local, out);
  }
  return out;
}

/** The newest time-stamp token of a sealed LTV-SDO (its last archive time-stamp, else the signature time-stamp) and the seal. */
function newestToken(xml: string): { token: Uint8Array; renewals: number; seal: x509.X509Certificate } {
  const root = parseDocument(xml).documentElement!;
  const kids = elementsOf(root);
  const seal = kids[kids.length - 1];
  if (!seal || seal.namespaceURI !== DS || seal.localName !== 'Signature') throw new Error('not a sealed LTV-SDO');
  const ats = descendants(seal, 'ArchiveTimeStamp').filter((e) => e.namespaceURI === XADES141);
  const last = ats[ats.length - 1];
  const text = last
    ? descendants(last, 'EncapsulatedTimeStamp')[0]?.textContent
    : descendants(kids.find((k) => k.localName === 'TrustedSigningTime') ?? root, 'TimeStampToken')[0]?.textContent;
  const sealCert = descendants(seal, 'X509Certificate')[0]?.textContent;
  if (!text || !sealCert) throw new Error('the LTV-SDO carries no time-stamp or no seal certificate');
  const b = (s: string) => new Uint8Array(Buffer.from(s.replace(/\s+/g, ''), 'base64'));
  return { token: b(text), renewals: ats.length, seal: new x509.X509Certificate(b(sealCert)) };
}

/**
 * When the package's evidence must be renewed: `margin` before the earliest end of what its newest time-stamp
 * rests on — that token's TSA certificate and its key's algorithm (algorithmEnd) — and, before the first
 * renewal, the seal's certificate and its key's algorithm too (the seal has no time-stamp of its own; the first
 * archive time-stamp is its proof of existence, which trust/validation/cryptoconstraints.ts needs before that end).
 */
export function preservationDue(xml: string, marginMs: number): Date {
  const { token, renewals, seal } = newestToken(xml);
  const tsa = readTimestampToken(token).certificates[0];
  if (!tsa) throw new Error('the newest time-stamp carries no TSA certificate');
  const first = renewals === 0 ? [seal.notAfter, algorithmEnd(seal)] : [];
  const ends = [tsa.notAfter, algorithmEnd(tsa), ...first].filter((d): d is Date => !!d);
  return new Date(Math.min(...ends.map((d) => d.getTime())) - marginMs);
}

export interface RenewalTrust {
  timestamp: TimestampSource;
  revocation: RevocationSource;
  anchors: x509.X509Certificate[];
  intermediates: x509.X509Certificate[];
}

/** A token's TSA chain (to an anchor, at `now`) and the status of each of its certificates below the anchor, fresh. */
async function tsaValidationData(token: Uint8Array, trust: RenewalTrust, now: Date): Promise<ValidationData> {
  const info = readTimestampToken(token);
  const tsa = info.certificates[0];
  if (!tsa) throw new Error('the time-stamp carries no TSA certificate');
  const path = await validatePath(tsa, { anchors: trust.anchors, intermediates: [...trust.intermediates, ...info.certificates], at: now });
  if (!path.ok) throw new Error(`the TSA certificate ${tsa.subject}: ${path.message}`);
  const ocspResponses: Uint8Array[] = [];
  for (let i = 0; i < path.chain.length - 1; i++) {
    const a = await trust.revocation(path.chain[i]!, path.chain[i + 1]!);
    if (a.status.status !== 'good' || !a.responseDer)
      throw new Error(`status of ${path.chain[i]!.subject}: ${a.status.status}${a.detail ? ` (${a.detail})` : ''}`);
    ocspResponses.push(a.responseDer);
  }
  return { certificates: path.chain.map((c) => new Uint8Array(c.rawData)), ocspResponses };
}

/**
 * The package with fresh validation data for its newest time-stamp and a new archive time-stamp, verified: the
 * whole chain TOTAL-PASSED at `now`, or at the new time-stamp's genTime when later. Throws when the TSA's chain
 * cannot be built, a status is not good, or the result does not verify: nothing is to be stored then.
 */
export async function renewLtvSdo(xml: string, trust: RenewalTrust, now: Date): Promise<{ xml: string; genTime: Date }> {
  const renewed = await addArchiveTimeStamp({
    xml,
    timestamp: trust.timestamp,
    validationData: await tsaValidationData(newestToken(xml).token, trust, now),
    validationDataFor: (token) => tsaValidationData(token, trust, now),
  });
  // verified at the later of `now` and the new token's genTime: the TSA answered after `now` was taken, and a
  // genTime in the next whole second would otherwise be "after the validation time"
  const at = renewed.genTime > now ? renewed.genTime : now;
  const check = await verifyLtvSdo(renewed.xml, trust.anchors, undefined, { now: at });
  if (check.indication !== 'TOTAL-PASSED') {
    const t = check.timeStamps;
    throw new Error(
      `the renewed package does not verify (${check.indication}); time-stamps: ${t.indication} ${t.subIndication ?? ''} ${t.message}`,
    );
  }
  return { xml: renewed.xml, genTime: renewed.genTime };
}

export const PRESERVATION_DEFAULT_MARGIN_MS = 730 * DAY_MS;

// Validation of a signature's chain of time-stamps, the ETSI EN 319 102-1 way (§5.6.3, validation process for
// signatures providing long-term availability and integrity of validation material): the signature time-stamp
// and the XAdES archive time-stamps after it (xades/archive.ts, EN 319 132-1 xades141:ArchiveTimeStamp), each
// validated at its own time:
//
//   the newest time-stamp            at the validation time (`now`): its TSA certificate's path valid then
//                                    (RFC 5280 §6.1.3 (a)(2); expired: INDETERMINATE/OUT_OF_BOUNDS_NO_POE),
//                                    with the validation data written after it too;
//   every older time-stamp           at the genTime of the next one, which is a proof of existence (POE,
//                                    §5.6.2.3) of the older token and of the validation data written before
//                                    it: its TSA certificate's path valid at that time, and its status taken
//                                    from an OCSP response carried under that POE (xades141:TimeStampValidationData):
//                                    none: INDETERMINATE/TRY_LATER; revoked before the POE: INDETERMINATE/REVOKED_NO_POE
//                                    (§5.6.2.4 past certificate validation needs POE before the revocation).
// At that same time each token's algorithms (imprint and digest hashes, the TSA's key), those of the certificates
// of the TSA's path (the signature on each and its issuer's key) and of the OCSP response that gave the TSA's status
// must still have been acceptable (EN 319 102-1 §5.2.8 cryptographic constraints, §5.6.2.5; cryptoconstraints.ts):
// one that ended before it is INDETERMINATE/CRYPTO_CONSTRAINTS_FAILURE_NO_POE (CRYPTO_CONSTRAINTS_FAILURE when it was
// made after the end), one that a later time-stamp made in time covers passes.
//
// Each token is checked by tsp/token.ts (RFC 3161 §2.4.2: the TSA's signature, ESS signing certificate, its
// TSA certificate (§2.3), genTime within its validity, and the imprint over what it covers: a changed package
// is TOTAL-FAILED/HASH_FAILURE). Time-stamps must follow each other in time. The newest time-stamp's TSA
// status is checked when the document carries one for it; offline it usually does not (the next renewal
// adds it), which the report says.
import * as x509 from '@peculiar/x509';
import { checkOcspResponse } from '../ocsp/response';
import type { AlgorithmEnds } from '../algorithms';
import { checkTimestampToken, readTimestampToken, readTimestampTime } from '../tsp/token';
import { certificateFromDer } from '../x509/cache';
import { validatePath } from '../x509/path';
import { normalizeSerialHex } from '../x509/serial';
import { archiveTimeStampInputBytes, EXC_C14N, kids, unsignedSignatureProperties } from '../xades/archivedata';
import { NS } from '../xml/dom';
import type { SDocument, SElement } from '../xml/strictxml';
import { cryptoConstraintsAt, supportConstraintsAt } from './cryptoconstraints';
import type { Indication, SubIndication } from './report';

/** One time-stamp of the chain, as validated. */
export interface TimeStampResult {
  kind: 'signature-time-stamp' | 'archive-time-stamp';
  genTime?: Date;
  tsa?: string;
  /** the time it was validated at: the next time-stamp's genTime, or the validation time for the newest */
  validatedAt: Date;
  indication: Indication;
  subIndication?: SubIndication;
  detail: string;
}

export interface TimeStampChainReport {
  indication: Indication;
  subIndication?: SubIndication;
  message: string;
  /** oldest first */
  stamps: TimeStampResult[];
}

export interface TimeStampChainInput {
  doc: SDocument;
  /** the signature whose unsigned properties hold the archive time-stamps */
  signature: SElement;
  /** the signature time-stamp (an RFC 3161 token) and the octets it time-stamps */
  signatureTimeStamp: { token: Uint8Array; data: Uint8Array };
  anchors: x509.X509Certificate[];
  /** certificates carried elsewhere in the document (the time-stamps' own are read from them and from TimeStampValidationData) */
  certificates: x509.X509Certificate[];
  /** OCSP responses carried elsewhere in the document, as far as the oldest archive time-stamp covers them */
  ocspResponses: Uint8Array[];
  /** the validation time (default now) */
  now?: Date;
  /** when each algorithm ends (default trust/algorithms.ts ALGORITHM_ENDS) */
  algorithmEnds?: AlgorithmEnds;
}

interface Stamp {
  kind: TimeStampResult['kind'];
  token: Uint8Array;
  data: () => Uint8Array;
  /** OCSP responses and certificates written before this stamp (so under its POE) */
  ocsp: Uint8Array[];
  certs: x509.X509Certificate[];
}

const b64 = (s: string): Uint8Array => new Uint8Array(Buffer.from(s.replace(/\s+/g, ''), 'base64'));
const RANK: Record<Indication, number> = { 'TOTAL-PASSED': 0, INDETERMINATE: 1, 'TOTAL-FAILED': 2 };

function certsOf(n: SElement): x509.X509Certificate[] {
  const out: x509.X509Certificate[] = [];
  for (const cv of kids(n, NS.xades, 'CertificateValues'))
    for (const c of kids(cv, NS.xades, 'EncapsulatedX509Certificate')) out.push(certificateFromDer(b64(c.textContent)));
  return out;
}

function ocspOf(n: SElement): Uint8Array[] {
  return kids(n, NS.xades, 'RevocationValues').flatMap((rv) =>
    kids(rv, NS.xades, 'OCSPValues').flatMap((ov) => kids(ov, NS.xades, 'EncapsulatedOCSPValue').map((o) => b64(o.textContent))),
  );
}

/** The chain's stamps, oldest first, each with the validation data written before it. Throws on a malformed property. */
function stampsOf(i: TimeStampChainInput): { stamps: Stamp[]; all: Pick<Stamp, 'ocsp' | 'certs'> } {
  const stamps: Stamp[] = [
    {
      kind: 'signature-time-stamp',
      token: i.signatureTimeStamp.token,
      data: () => i.signatureTimeStamp.data,
      ocsp: [...i.ocspResponses],
      certs: [...i.certificates],
    },
  ];
  const ocsp = [...i.ocspResponses];
  const certs = [...i.certificates];
  const usp = unsignedSignatureProperties(i.signature);
  for (const p of usp ? kids(usp) : []) {
    if (p.namespaceURI === NS.xades141 && p.localName === 'TimeStampValidationData') {
      ocsp.push(...ocspOf(p));
      certs.push(...certsOf(p));
    } else if (p.namespaceURI === NS.xades141 && p.localName === 'ArchiveTimeStamp') {
      const c14n = kids(p, NS.ds, 'CanonicalizationMethod')[0]?.getAttribute('Algorithm');
      if (c14n !== EXC_C14N)
        throw new Error(`archive time-stamp ${p.getAttribute('Id') ?? ''}: canonicalisation ${c14n ?? '(default)'} is not supported`);
      const enc = kids(p, NS.xades, 'EncapsulatedTimeStamp')[0];
      if (!enc) throw new Error('archive time-stamp without xades:EncapsulatedTimeStamp');
      stamps.push({
        kind: 'archive-time-stamp',
        token: b64(enc.textContent),
        data: () => archiveTimeStampInputBytes(i.doc, i.signature, p),
        ocsp: [...ocsp],
        certs: [...certs],
      });
    }
  }
  return { stamps, all: { ocsp, certs } };
}

/** The TSA certificate of a token: the carried certificate it verifies with. */
async function validateToken(
  s: Stamp,
): Promise<{ ok: true; tsa: x509.X509Certificate; genTime: Date } | { ok: false; r: Omit<TimeStampResult, 'kind' | 'validatedAt'> }> {
  let info;
  try {
    info = readTimestampToken(s.token);
  } catch (e) {
    return {
      ok: false,
      r: { indication: 'TOTAL-FAILED', subIndication: 'FORMAT_FAILURE', detail: `unreadable token: ${(e as Error).message}` },
    };
  }
  const data = s.data();
  let last = 'the token carries no TSA certificate';
  for (const cert of info.certificates) {
    const c = await checkTimestampToken(s.token, data, cert);
    if (c.ok) return { ok: true, tsa: cert, genTime: c.genTime };
    last = c.reason;
    if (c.failure === 'HASH_FAILURE')
      return {
        ok: false,
        r: {
          genTime: info.genTime,
          indication: 'TOTAL-FAILED',
          subIndication: 'HASH_FAILURE',
          detail: `${c.reason}: the evidence it covers was changed`,
        },
      };
  }
  return { ok: false, r: { genTime: info.genTime, indication: 'TOTAL-FAILED', subIndication: 'SIG_CRYPTO_FAILURE', detail: last } };
}

/** The TSA certificate's status from the OCSP responses under the stamp's POE: undefined when good. */
async function tsaStatus(
  tsa: x509.X509Certificate,
  issuer: x509.X509Certificate,
  responses: Uint8Array[],
  poe: Date,
  newest: boolean,
): Promise<{ bad?: Pick<TimeStampResult, 'indication' | 'subIndication' | 'detail'>; note: string; used?: Uint8Array }> {
  const serialHex = normalizeSerialHex(tsa.serialNumber);
  for (const der of responses) {
    let r;
    try {
      r = await checkOcspResponse(der, { issuer, serialHex });
    } catch {
      continue;
    }
    if (r.status.status === 'good') return { note: `TSA certificate good (OCSP produced ${r.producedAt.toISOString()})`, used: der };
    if (r.status.status === 'revoked' && r.status.revokedAt < poe) {
      const detail = `TSA certificate revoked at ${r.status.revokedAt.toISOString()}, before the proof of existence at ${poe.toISOString()}`;
      return { bad: { indication: 'INDETERMINATE', subIndication: 'REVOKED_NO_POE', detail }, note: detail };
    }
  }
  if (newest) return { note: 'no status of the newest TSA certificate is carried (the next renewal adds one); not checked offline' };
  const detail = `no OCSP response for TSA certificate ${serialHex} is carried under the proof of existence at ${poe.toISOString()}`;
  return { bad: { indication: 'INDETERMINATE', subIndication: 'TRY_LATER', detail }, note: detail };
}

/** One stamp at its validation time `at`. */
async function validateStamp(s: Stamp, at: Date, newest: boolean, i: TimeStampChainInput): Promise<TimeStampResult> {
  const base = { kind: s.kind, validatedAt: at };
  const tok = await validateToken(s);
  if (!tok.ok) return { ...base, ...tok.r };
  const stamp = { ...base, genTime: tok.genTime, tsa: tok.tsa.subject };
  if (tok.genTime > at) {
    const detail = `genTime is after ${newest ? 'the validation time' : 'the next time-stamp'} (${at.toISOString()})`;
    return { ...stamp, indication: 'INDETERMINATE', subIndication: 'GENERIC', detail };
  }
  const path = await validatePath(tok.tsa, { anchors: i.anchors, intermediates: s.certs, at });
  if (!path.ok)
    return {
      ...stamp,
      indication: 'INDETERMINATE',
      subIndication: path.subIndication,
      detail: `TSA certificate path at ${at.toISOString()}: ${path.message}`,
    };
  const status: Awaited<ReturnType<typeof tsaStatus>> =
    path.chain.length < 2 ? { note: 'TSA certificate is a trust anchor' } : await tsaStatus(tok.tsa, path.chain[1]!, s.ocsp, at, newest);
  if (status.bad) return { ...stamp, ...status.bad };
  const element = 'its token';
  const ends = i.algorithmEnds ? { ends: i.algorithmEnds } : {};
  const serialHex = normalizeSerialHex(tok.tsa.serialNumber);
  const used = status.used ? [{ der: status.used, subject: tok.tsa, issuer: path.chain[1]!, serialHex }] : [];
  const crypto =
    cryptoConstraintsAt({ der: s.token, signer: tok.tsa, poe: at, element, timeStamp: true, ...ends }) ??
    (await supportConstraintsAt({ chain: path.chain, revocation: used, poe: at, ...ends }));
  if (crypto) return { ...stamp, ...crypto };
  return {
    ...stamp,
    indication: 'TOTAL-PASSED',
    detail: `token verified; TSA path valid and its algorithms acceptable at ${at.toISOString()}; ${status.note}`,
  };
}

/**
 * Validates the chain of time-stamps of `input.signature` (the top of this file), newest first. Never throws:
 * a malformed property is TOTAL-FAILED/FORMAT_FAILURE.
 */
export async function validateTimeStampChain(input: TimeStampChainInput): Promise<TimeStampChainReport> {
  const now = input.now ?? new Date();
  let stamps: Stamp[];
  let all: Pick<Stamp, 'ocsp' | 'certs'>;
  try {
    ({ stamps, all } = stampsOf(input));
  } catch (e) {
    return { indication: 'TOTAL-FAILED', subIndication: 'FORMAT_FAILURE', message: (e as Error).message, stamps: [] };
  }
  // the stamp at i is validated at the genTime of the one after it (its POE), the newest at `now`
  const times = stamps.map((s) => {
    try {
      return readTimestampTime(s.token).genTime;
    } catch {
      return now;
    }
  });
  const results: TimeStampResult[] = [];
  for (let k = 0; k < stamps.length; k++) {
    const newest = k === stamps.length - 1;
    const at = newest ? now : times[k + 1]!;
    // the validation data under this stamp's POE is what the next stamp covers; the newest has all there is
    // (its own TSA's chain and status follow it, in the TimeStampValidationData written with it)
    const s = { ...stamps[k]!, ...(newest ? all : { ocsp: stamps[k + 1]!.ocsp, certs: stamps[k + 1]!.certs }) };
    results.push(await validateStamp(s, at, newest, input));
  }
  const worst = results.reduce((w, r) => (RANK[r.indication] > RANK[w.indication] ? r : w), results[0]!);
  const n = results.length - 1;
  const message =
    worst.indication === 'TOTAL-PASSED'
      ? `${results.length} time-stamp(s) valid, each at its own time; the newest (${results[n]!.kind}) at ${now.toISOString()}`
      : `${worst.kind} of ${worst.genTime?.toISOString() ?? '?'} validated at ${worst.validatedAt.toISOString()}: ${worst.detail}`;
  return { indication: worst.indication, ...(worst.subIndication ? { subIndication: worst.subIndication } : {}), message, stamps: results };
}

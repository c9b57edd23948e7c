// One PAdES signature or time-stamp validated with the building blocks of ETSI EN 319 102-1 §5.2, offline: what
// validation/pades.ts runs for each signature dictionary and each time-stamp token it finds.
//   format checking (§5.2.2)          the CMS is a SignedData with one SignerInfo; a signature's content is detached
//                                     (ISO 32000-1 §12.8.3.3.1: adbe.pkcs7.detached and ETSI.CAdES.detached both)
//   identification of the signer (§5.2.3)  by the SignerIdentifier among the CMS's certificates, the DSS's and the
//                                     caller's; a signing-certificate(-v2) that names another certificate is
//                                     INDETERMINATE NO_SIGNING_CERTIFICATE_FOUND (§5.2.3.4)
//   cryptographic verification (§5.2.7)    cms/verify.ts over the ByteRange bytes (signature) or tsp/token.ts over
//                                     the SignatureValue or the ByteRange bytes (time-stamps, RFC 3161 §2.4.2)
//   cryptographic constraints (§5.2.8)    the digest, signature hash and key of the signature or token acceptable at
//                                     the same time as its path (its POE; cryptoconstraints.ts): else INDETERMINATE
//                                     CRYPTO_CONSTRAINTS_FAILURE_NO_POE
//   X.509 certificate validation (§5.2.6)  x509/path.ts at the time proven for the item (its POE: the earliest
//                                     time-stamp over it that is TOTAL-PASSED; else the validation time), and every
//                                     certificate of the path but the anchor not revoked at that time, answered only
//                                     by the DSS and the CMS (pdfevidence.ts): no answer is INDETERMINATE TRY_LATER
// The report is report.ts's VerificationReport, with the time-stamps of a signature nested in it.
import type * as x509 from '@peculiar/x509';
import { CMS_OID } from '../cms/signeddata';
import {
  CmsFormatError,
  findSignerCertificate,
  openSignedData,
  unsignedAttributeValues,
  verifySignerInfo,
  type OpenedSignedData,
} from '../cms/verify';
import { checkTimestampToken } from '../tsp/token';
import { validatePath } from '../x509/path';
import { normalizeSerialHex } from '../x509/serial';
import type { AlgorithmEnds } from '../algorithms';
import { cryptoConstraintsAt, revocationUses, supportConstraintsAt } from './cryptoconstraints';
import { offlineStatus, type EvidenceValues } from './pdfevidence';
import type { Check, CheckName, Indication, RevocationRecord, SubIndication, VerificationReport } from './report';

/** What every item is validated with. */
export interface ItemContext {
  anchors: x509.X509Certificate[];
  /** certificates to build paths from: the caller's intermediates and the DSS's certificates */
  pool: x509.X509Certificate[];
  /** the DSS's values (the final revision's) */
  evidence: EvidenceValues;
  /** the validation time */
  at: Date;
  /** when each algorithm ends (default trust/algorithms.ts ALGORITHM_ENDS) */
  algorithmEnds?: AlgorithmEnds;
}

/** A time-stamp token's report: who made it, when, and whether it holds over its data. */
export interface TimestampReport extends VerificationReport {
  kind: 'signature-time-stamp' | 'document-time-stamp';
  /** the token's genTime (RFC 3161 §2.4.2), when it could be read */
  genTime?: Date;
  /** the token verifies over its data with its TSA's key (whatever its TSA's path) */
  intact: boolean;
  /** the time its TSA's path was validated at */
  validatedAt: Date;
}

/** The CMS of a signature as read, for the baseline level (padeslevel.ts). */
export interface SignatureFacts {
  opened?: OpenedSignedData;
  signer?: x509.X509Certificate;
  /** the signing-certificate(-v2) attribute names the signer */
  essOk: boolean;
  signingTime?: Date;
  timestamps: TimestampReport[];
  /** the time the signer's path was validated at */
  validatedAt: Date;
}

const check = (checks: Check[], name: CheckName, ok: boolean, detail: string): void => {
  checks.push({ name, ok, detail, at: new Date() });
};

function report(
  indication: Indication,
  subIndication: SubIndication | undefined,
  message: string,
  checks: Check[],
  rest: Partial<VerificationReport> = {},
): VerificationReport {
  return { indication, ...(subIndication ? { subIndication } : {}), message, ...rest, checks };
}

/** EN 319 102-1: what a certificate-path failure means (as process.ts). */
const PATH_INDICATION: Record<string, Indication> = {
  NO_CERTIFICATE_CHAIN_FOUND: 'INDETERMINATE',
  OUT_OF_BOUNDS_NO_POE: 'INDETERMINATE',
  CHAIN_CONSTRAINTS_FAILURE: 'INDETERMINATE',
  NOT_YET_VALID: 'TOTAL-FAILED',
};

/** One certificate's revocation answer from the evidence, as a record, or the failure it means. */
async function revocationOf(
  values: EvidenceValues,
  cert: x509.X509Certificate,
  issuer: x509.X509Certificate,
  at: Date,
): Promise<RevocationRecord> {
  const base = { subject: cert.subject, serialHex: normalizeSerialHex(cert.serialNumber) };
  const a = await offlineStatus(values, cert, issuer, at);
  if (!a)
    return { ...base, status: { status: 'unknown' }, source: 'embedded', detail: 'no OCSP response or CRL for it in the DSS or the CMS' };
  return { ...base, status: a.status, source: a.source, responseDer: a.der, detail: a.detail };
}

/** When a path is validated, and when its certificates must not have been revoked. */
interface Times {
  pathAt: Date;
  statusAt: Date;
  /** a time-stamp's genTime: a leaf revoked after it but not after `statusAt` lacks a POE before its revocation */
  madeAt?: Date;
}

/** §5.2.6 for `leaf`: the path at `t.pathAt`, and every certificate on it but the anchor not revoked at `t.statusAt`. */
async function certificateValidation(
  leaf: x509.X509Certificate,
  extra: x509.X509Certificate[],
  values: EvidenceValues,
  ctx: ItemContext,
  t: Times,
  checks: Check[],
): Promise<VerificationReport> {
  const at = t.pathAt;
  const path = await validatePath(leaf, { anchors: ctx.anchors, intermediates: [...extra, ...ctx.pool], at });
  if (!path.ok) {
    check(checks, 'path-validation', false, path.message);
    const rest = { signer: leaf, ...(path.chain ? { chain: path.chain } : {}) };
    return report(
      PATH_INDICATION[path.subIndication]!,
      path.subIndication,
      `path validation at ${at.toISOString()} failed: ${path.message}`,
      checks,
      rest,
    );
  }
  const chain = path.chain;
  check(
    checks,
    'path-validation',
    true,
    `path of ${chain.length} certificate(s) to ${chain[chain.length - 1]!.subject}, valid at ${at.toISOString()}`,
  );
  const records: RevocationRecord[] = [];
  for (let i = 0; i + 1 < chain.length; i++) records.push(await revocationOf(values, chain[i]!, chain[i + 1]!, t.statusAt));
  const rest = { signer: leaf, chain, revocation: records };
  for (const [i, r] of records.entries()) {
    const who = `${i === 0 ? 'certificate' : 'CA certificate'} ${r.subject}`;
    if (r.status.status === 'revoked') {
      // EN 319 102-1 §5.6, past signature validation: revoked after the token was made, but before any POE of it
      // (the next time-stamp's time, or the validation time): the token might have been made later with the key.
      const noPoe = i === 0 && t.madeAt !== undefined && r.status.revokedAt > t.madeAt;
      const when = noPoe ? `, after genTime ${t.madeAt!.toISOString()} but before the token's POE ${t.statusAt.toISOString()}` : '';
      const detail = `${who} was revoked at ${r.status.revokedAt.toISOString()}${when} (${r.detail ?? r.source})`;
      check(checks, 'revocation', false, detail);
      if (noPoe) return report('INDETERMINATE', 'REVOKED_NO_POE', detail, checks, rest);
      return report(i === 0 ? 'TOTAL-FAILED' : 'INDETERMINATE', i === 0 ? 'REVOKED' : 'REVOKED_CA_NO_POE', detail, checks, rest);
    }
    if (r.status.status !== 'good') {
      const detail = `status of ${who} at ${t.statusAt.toISOString()} is unknown offline: ${r.detail ?? 'no answer'}`;
      check(checks, 'revocation', false, detail);
      return report('INDETERMINATE', 'TRY_LATER', detail, checks, rest);
    }
  }
  const detail = records.length
    ? records.map((r) => `${r.subject} good (${r.source})`).join('; ')
    : 'the certificate is itself a trust anchor';
  check(checks, 'revocation', true, detail);
  return report(
    'TOTAL-PASSED',
    undefined,
    `valid at ${at.toISOString()}: path to ${chain[chain.length - 1]!.subject}; ${detail}`,
    checks,
    rest,
  );
}

/**
 * §5.2.8 for a signature or token that passed the rest at `poe`: its algorithms, those of its path's certificates and of
 * the OCSP responses and CRLs that gave their status acceptable then (cryptoconstraints.ts), recorded as a check; the
 * report unchanged, or INDETERMINATE CRYPTO_CONSTRAINTS_FAILURE(_NO_POE). The path and revocation values are judged at
 * the item's POE, the time they were validated at (the values a DSS or CMS carries are under the same time-stamps).
 */
async function withCryptoConstraints(
  status: VerificationReport,
  o: { der: Uint8Array; signer: x509.X509Certificate; poe: Date; element: string; timeStamp: boolean },
  ctx: ItemContext,
  checks: Check[],
): Promise<VerificationReport> {
  if (status.indication !== 'TOTAL-PASSED') return status;
  const ends = ctx.algorithmEnds ? { ends: ctx.algorithmEnds } : {};
  const chain = status.chain ?? [];
  const bad =
    cryptoConstraintsAt({ ...o, ...ends }) ??
    (await supportConstraintsAt({ chain, revocation: revocationUses(chain, status.revocation ?? []), poe: o.poe, ...ends }));
  check(checks, 'cryptographic-constraints', !bad, bad ? bad.detail : `algorithms acceptable at ${o.poe.toISOString()}`);
  return bad ? { ...status, indication: bad.indication, subIndication: bad.subIndication, message: bad.detail } : status;
}

/** Validates an RFC 3161 token over `data`; its TSA's path at `poe` (a later time-stamp's time, or the validation time). */
export async function validateTimestamp(
  token: Uint8Array,
  data: Uint8Array,
  kind: TimestampReport['kind'],
  ctx: ItemContext,
  poe: Date,
): Promise<TimestampReport> {
  const checks: Check[] = [];
  const ts = (r: VerificationReport, intact: boolean, genTime?: Date): TimestampReport => ({
    ...r,
    kind,
    intact,
    validatedAt: poe,
    ...(genTime ? { genTime } : {}),
  });
  let opened: OpenedSignedData;
  try {
    opened = openSignedData(token);
  } catch (e) {
    check(checks, 'time-stamp', false, (e as Error).message);
    return ts(report('TOTAL-FAILED', 'FORMAT_FAILURE', `the time-stamp token is unreadable: ${(e as Error).message}`, checks), false);
  }
  const tsa = findSignerCertificate(opened, ctx.pool);
  if (!tsa) {
    check(checks, 'signing-certificate-reference', false, "the TSA's certificate is neither in the token nor in the DSS");
    return ts(report('INDETERMINATE', 'NO_SIGNING_CERTIFICATE_FOUND', "the TSA's certificate is not available", checks), false);
  }
  const r = await checkTimestampToken(token, data, tsa);
  if (!r.ok) {
    check(checks, 'time-stamp', false, r.reason);
    return ts(report('TOTAL-FAILED', r.failure, `the time-stamp does not hold: ${r.reason}`, checks, { signer: tsa }), false);
  }
  check(checks, 'time-stamp', true, `token of ${tsa.subject} over the data, genTime ${r.genTime.toISOString()}`);
  // RFC 3161 §2.4.2 / EN 319 102-1 §5.4 and §5.6 (past signature validation building block): the TSA's certificate valid at the
  // time proven for the token (its POE), and not revoked before that POE: revoked at or before genTime is
  // TOTAL-FAILED REVOKED, revoked between genTime and the POE is INDETERMINATE REVOKED_NO_POE.
  const times = { pathAt: poe, statusAt: poe, madeAt: r.genTime };
  const valid = await certificateValidation(tsa, opened.certificates, withCms(ctx.evidence, opened), ctx, times, checks);
  const element = `${kind} of ${r.genTime.toISOString()}`;
  const status = await withCryptoConstraints(valid, { der: token, signer: tsa, poe, element, timeStamp: true }, ctx, checks);
  return ts({ ...status, message: `time-stamp of ${r.genTime.toISOString()} by ${tsa.subject}: ${status.message}` }, true, r.genTime);
}

/** The evidence plus a CMS's own revocation values (RFC 5652 §10.2.1). */
export function withCms(values: EvidenceValues, opened: OpenedSignedData): EvidenceValues {
  return { certificates: values.certificates, ocsps: [...values.ocsps, ...opened.ocsps], crls: [...values.crls, ...opened.crls] };
}

/** The earliest of some times (undefined for none). */
export const earliest = (times: Array<Date | undefined>): Date | undefined =>
  times.filter((t): t is Date => !!t).sort((a, b) => a.getTime() - b.getTime())[0];

/**
 * Validates a signature's CMS over `signedBytes` (the ByteRange bytes). `docPoe`: the earliest time of a document
 * time-stamp over it that verifies. Returns the report and the facts the baseline level needs.
 */
export async function validateSignatureCms(
  der: Uint8Array,
  signedBytes: Uint8Array,
  ctx: ItemContext,
  docPoe: Date | undefined,
): Promise<{ report: VerificationReport; facts: SignatureFacts }> {
  const checks: Check[] = [];
  const facts: SignatureFacts = { essOk: false, timestamps: [], validatedAt: docPoe ?? ctx.at };
  const done = (r: VerificationReport) => ({ report: r, facts });
  let opened: OpenedSignedData;
  try {
    opened = openSignedData(der);
    if (opened.eContent) throw new CmsFormatError('the CMS encapsulates content: a PDF signature is detached (ISO 32000-1 §12.8.3.3.1)');
  } catch (e) {
    check(checks, 'core-validation', false, (e as Error).message);
    return done(report('TOTAL-FAILED', 'FORMAT_FAILURE', (e as Error).message, checks));
  }
  facts.opened = opened;
  const signer = findSignerCertificate(opened, ctx.pool);
  if (!signer) {
    check(checks, 'signing-certificate-reference', false, 'no certificate matches the SignerIdentifier');
    return done(
      report('INDETERMINATE', 'NO_SIGNING_CERTIFICATE_FOUND', "the signer's certificate is neither in the CMS nor in the DSS", checks),
    );
  }
  facts.signer = signer;
  const v = await verifySignerInfo(opened, signedBytes, signer);
  if (!v.ok) {
    check(checks, 'core-validation', false, v.reason);
    const what = v.failure === 'HASH_FAILURE' ? 'the signed bytes were changed after signing: ' : '';
    return done(report('TOTAL-FAILED', v.failure, `${what}${v.reason}`, checks, { signer }));
  }
  check(checks, 'core-validation', true, `message-digest over the ByteRange bytes and the signature of ${signer.subject} verified`);
  if (v.signingTime) facts.signingTime = v.signingTime;
  facts.essOk = v.ess.ok;
  if (!v.ess.ok && !/^no signing-certificate/.test(v.ess.reason)) {
    check(checks, 'signing-certificate-reference', false, v.ess.reason);
    return done(
      report('INDETERMINATE', 'NO_SIGNING_CERTIFICATE_FOUND', `the signing certificate reference is wrong: ${v.ess.reason}`, checks, {
        signer,
      }),
    );
  }
  check(checks, 'signing-certificate-reference', v.ess.ok, v.ess.ok ? `${v.ess.attribute} names ${signer.subject}` : v.ess.reason);
  const value = new Uint8Array(opened.signerInfo.signature.valueBlock.valueHexView);
  for (const token of unsignedAttributeValues(opened.signerInfo, CMS_OID.signatureTimeStampToken))
    facts.timestamps.push(await validateTimestamp(token, value, 'signature-time-stamp', ctx, docPoe ?? ctx.at));
  const at = earliest([...facts.timestamps.filter((t) => t.indication === 'TOTAL-PASSED').map((t) => t.genTime), docPoe]) ?? ctx.at;
  facts.validatedAt = at;
  const times = { pathAt: at, statusAt: at };
  const valid = await certificateValidation(signer, opened.certificates, withCms(ctx.evidence, opened), ctx, times, checks);
  const status = await withCryptoConstraints(valid, { der, signer, poe: at, element: 'the signature', timeStamp: false }, ctx, checks);
  return done({ ...status, ...(v.signingTime ? { signingTime: v.signingTime } : {}) });
}

// Verification of one XMLDSig / XAdES signature, reported the ETSI EN 319 102-1 way: an indication
// (TOTAL-PASSED / INDETERMINATE / TOTAL-FAILED, §5.1.3) with a sub-indication (Table 5, §5.1.3) and
// the checks done on the way. The steps follow the basic building blocks of §5.2:
//
//   validation context init. (§5.2.4)      the validation time `at` (default: now), the caller's anchors,
//                                          intermediates and revocation callback
//   format checking (§5.2.2)               exactly one ds:Signature (or the one signatureXPath selects)
//   identification of the signing cert (§5.2.3)  KeyInfo X509Certificate; if XAdES SigningCertificateV2
//                                          (or v1 SigningCertificate) is present its CertDigest must match
//   cryptographic verification (§5.2.7)    XMLDSig core validation (reference digests, then SignatureValue)
//   X.509 certificate validation (§5.2.6)  path.ts at `at` (default: now), then revocation via a callback
//
// Signature acceptance validation (§5.2.8) is not a step here: no signature validation policy
// constrains attributes beyond what the steps above check, and the cryptographic constraints need a
// proof of existence this process does not have; the LTV-SDO caller (signing/offline.ts) applies them
// to the report afterwards (cryptoconstraints.ts xmlSignatureConstraintsAt). Nor is past-signature
// validation (§5.6): the LTV-SDO callers pass the trusted time they hold as `at` (below).
//
// The claimed SigningTime of XAdES is reported but not used as validation time: it is the signer's
// own claim, not a proof of existence (§5.3 validates basic signatures at the current time). A caller
// holding a trusted time (a time-stamp, the TSA time in an LTV-SDO) passes it as `at`.
//
// xadesjs `Verify()` throws on a bad digest and mixes the two cryptographic failures, so this module
// walks the references itself with xadesjs's own digest code and checks the SignatureValue separately,
// with the public key of the identified signing certificate only (never a stray KeyInfo KeyValue).
// Nothing here throws on bad input: every failure becomes a report.
// The validation process
import * as x509 from '@peculiar/x509';
import { normalizeSerialHex } from '../x509/serial';
import { validatePath } from '../x509/path';
import { useXades } from '../xml/dom';
import {
  FormatError,
  ExcC14nCore,
  type CoreCheck,
  selectSignatureDirect,
  parseXml,
  type ReferenceResult,
  errorText,
  loadWithXadesjs,
  type AnyDoc,
  selectSignature,
  parseDocument,
  type El,
} from './xmldsig';
import type { VerificationReport, Check, CheckName, VerifyOptions, RevocationRecord, Indication, SubIndication } from './report';
import type { RevocationSource } from '../sources';
import { readXades, refMatches, type XadesInfo, leafMost, keyInfoCertificates } from './signer';

function report(
  indication: Indication,
  subIndication: SubIndication | undefined,
  message: string,
  rest: Omit<VerificationReport, 'indication' | 'subIndication' | 'message' | 'checks'>,
  checks: Check[],
): VerificationReport {
  return { indication, ...(subIndication ? { subIndication } : {}), message, ...rest, checks };
}

function check(name: CheckName, ok: boolean, detail: string): Check {
  return { name, ok, detail, at: new Date() };
}

/** EN 319 102-1: what a certificate-path failure means for the signature. */
const PATH_INDICATION: Record<string, Indication> = {
  NO_CERTIFICATE_CHAIN_FOUND: 'INDETERMINATE',
  OUT_OF_BOUNDS_NO_POE: 'INDETERMINATE',
  CHAIN_CONSTRAINTS_FAILURE: 'INDETERMINATE',
  // §5.2.6/§5.5: a certificate not yet valid at the validation time cannot have made the signature.
  NOT_YET_VALID: 'TOTAL-FAILED',
};

async function askRevocation(
  revocation: RevocationSource,
  cert: x509.X509Certificate,
  issuer: x509.X509Certificate,
): Promise<RevocationRecord> {
  const base = { subject: cert.subject, serialHex: normalizeSerialHex(cert.serialNumber) };
  try {
    const a = await revocation(cert, issuer);
    if (!a || !a.status || !['good', 'revoked', 'unknown'].includes(a.status.status)) {
      return { ...base, status: { status: 'unknown' }, source: a?.source ?? 'ocsp', detail: 'revocation checker gave no status' };
    }
    return { ...base, ...a };
  } catch (e) {
    return { ...base, status: { status: 'unknown' }, source: 'ocsp', detail: `revocation checker failed: ${errorText(e)}` };
  }
}

/**
 * Verifies the XMLDSig/XAdES signature in `xml` (see the top of this file). Never throws: any failure,
 * including unparsable input, comes back as a report.
 */
export async function verifyXmlSignature(xml: string, opts: VerifyOptions): Promise<VerificationReport> {
  const checks: Check[] = [];
  try {
    return await verifyInner(xml, opts, checks);
  } catch (e) {
    if (e instanceof FormatError) return report('TOTAL-FAILED', 'FORMAT_FAILURE', e.message, {}, checks);
    return report('INDETERMINATE', 'GENERIC', `verification could not be completed: ${errorText(e)}`, {}, checks);
  }
}

/**
 * The process of the top of this file: one function per building block of §5.2, in the order this
 * verifier has always run them (cryptographic verification before the certificate path, so a changed
 * document is reported as such whatever its certificates). Each block either hands its result on or
 * ends the validation with its report.
 */
async function verifyInner(xml: string, opts: VerifyOptions, checks: Check[]): Promise<VerificationReport> {
  useXades();
  const ctx = initValidationContext(opts, checks);
  const { sig, xades, core } = checkFormat(xml, opts);
  const signingTime = xades?.signingTime;
  const keyInfoCerts = keyInfoCertificates(sig);
  const signer = identifySigningCertificate(keyInfoCerts, xades, signingTime, checks);
  if (ended(signer)) return signer;
  const identified = { signer, signingTime };
  const early = opts.prefetchRevocation ? prefetchRevocation(opts, keyInfoCerts, signer) : undefined;
  const cryptoFailure = await verifyCryptographically(core, identified, checks);
  if (cryptoFailure) return cryptoFailure;
  const chain = await validateCertificatePath(ctx, keyInfoCerts, identified);
  if (ended(chain)) return chain;
  return checkRevocation(ctx, { ...identified, chain }, early);
}

/** The signer's revocation status asked for early (VerifyOptions.prefetchRevocation), with the issuer it was asked with. */
interface EarlyRevocation {
  issuer: x509.X509Certificate;
  answer: Promise<RevocationRecord>;
}

/**
 * Asks about the signer with the one certificate (of the caller's intermediates and anchors and of
 * ds:KeyInfo) named as its issuer; none when that is not exactly one certificate (the path decides).
 */
function prefetchRevocation(
  opts: VerifyOptions,
  keyInfoCerts: x509.X509Certificate[],
  signer: x509.X509Certificate,
): EarlyRevocation | undefined {
  const issuers = [...(opts.intermediates ?? []), ...opts.anchors, ...keyInfoCerts].filter(
    (c) => c !== signer && c.subject === signer.issuer,
  );
  const issuer = issuers[0];
  if (!issuer || issuers.some((c) => !sameCertificate(c, issuer))) return undefined;
  return { issuer, answer: askRevocation(opts.revocation, signer, issuer) };
}

function sameCertificate(a: x509.X509Certificate, b: x509.X509Certificate): boolean {
  return a === b || Buffer.from(a.rawData).equals(Buffer.from(b.rawData));
}

/** Whether a building block ended the validation with its report instead of handing a result on. */
function ended<T extends object>(r: T | VerificationReport): r is VerificationReport {
  return 'indication' in r;
}

/**
 * Validation context initialisation (§5.2.4), as far as this basic validation has one: the validation
 * time (`at`, default now) and the caller's trust anchors, intermediates and revocation checker
 * (`opts`), with the list of checks the report carries. No signature validation policy is applied.
 */
interface ValidationContext {
  opts: VerifyOptions;
  at: Date;
  checks: Check[];
}

/** §5.2.4 for this process: fixes the validation time once, before any other block runs. */
function initValidationContext(opts: VerifyOptions, checks: Check[]): ValidationContext {
  return { opts, at: opts.at ?? new Date(), checks };
}

/** What format checking hands on: the signature, its XAdES properties if any, and how to check it. */
interface Formatted {
  sig: El;
  xades: XadesInfo | undefined;
  core: CoreCheck;
}

/**
 * Format checking (§5.2.2): exactly one ds:Signature (or the one signatureXPath selects), read in a
 * shape this verifier can process. Throws FormatError (TOTAL-FAILED/FORMAT_FAILURE) otherwise.
 */
function checkFormat(xml: string, opts: VerifyOptions): Formatted {
  if (typeof xml !== 'string') throw new FormatError('input is not a string');
  // Every document is read by the strict parser first: what it refuses is a format failure. segl's own
  // profile (exclusive C14N throughout, RSA PKCS#1 v1.5) is validated directly on that tree; any other
  // shape, and a signatureXPath the direct path does not answer (xmldsig.ts selectSignatureDirect), are
  // read again with xmldom for xadesjs / XPath, exactly as before. A caller that parsed `xml` already
  // hands its tree in (opts.document) and it is not parsed twice.
  const tree = opts.document ?? parseDocument(xml);
  const direct = selectSignatureDirect(tree, opts.signatureXPath);
  const directXades = direct && readXades(direct);
  const directCore = direct && ExcC14nCore.plan(tree, direct);
  if (direct && directCore) return { sig: direct, xades: directXades, core: directCore };
  const doc = parseXml(xml);
  const sig = selectSignature(doc, opts.signatureXPath);
  const xades = readXades(sig);
  return { sig, xades, core: ExcC14nCore.plan(doc as unknown as AnyDoc, sig) ?? loadWithXadesjs(doc, sig) };
}

/**
 * Identification of the signing certificate (§5.2.3): a ds:KeyInfo X509Certificate; if XAdES
 * SigningCertificateV2 (or v1 SigningCertificate) is present, one whose CertDigest matches it.
 * Returns the signer, or the INDETERMINATE/NO_SIGNING_CERTIFICATE_FOUND report.
 */
function identifySigningCertificate(
  keyInfoCerts: x509.X509Certificate[],
  xades: XadesInfo | undefined,
  signingTime: Date | undefined,
  checks: Check[],
): x509.X509Certificate | VerificationReport {
  if (!keyInfoCerts.length) {
    checks.push(check('signing-certificate-reference', false, 'no X509Certificate in ds:KeyInfo'));
    return report(
      'INDETERMINATE',
      'NO_SIGNING_CERTIFICATE_FOUND',
      'the signature carries no signing certificate (ds:KeyInfo/ds:X509Data/ds:X509Certificate)',
      { signingTime },
      checks,
    );
  }
  if (xades?.refs.length) {
    const matching = keyInfoCerts.filter((c) => xades.refs.some((r) => refMatches(r, c) === null));
    if (!matching.length) {
      const why = xades.refs.map((r) => `${r.property}: ${keyInfoCerts.map((c) => refMatches(r, c)).join('; ')}`).join(' | ');
      checks.push(
        check('signing-certificate-reference', false, `no ds:KeyInfo certificate matches the signed certificate reference (${why})`),
      );
      return report(
        'INDETERMINATE',
        'NO_SIGNING_CERTIFICATE_FOUND',
        `the XAdES signing certificate reference does not designate any certificate in ds:KeyInfo (${why})`,
        { signingTime },
        checks,
      );
    }
    const signer = leafMost(matching);
    const prop = xades.refs.find((r) => refMatches(r, signer) === null)?.property;
    checks.push(check('signing-certificate-reference', true, `${prop} CertDigest matches ${signer.subject}`));
    return signer;
  }
  const signer = leafMost(keyInfoCerts);
  checks.push(
    check(
      'signing-certificate-reference',
      true,
      `${xades ? 'XAdES without a signing certificate reference' : 'plain XMLDSig (no XAdES signing certificate reference)'}; signer taken from ds:KeyInfo: ${signer.subject}`,
    ),
  );
  return signer;
}

/** The identified signer and the claimed signing time, which every later report carries. */
interface Identified {
  signer: x509.X509Certificate;
  signingTime: Date | undefined;
}

/**
 * Cryptographic verification (§5.2.7): the references first (SIGNED_DATA_NOT_FOUND, FORMAT_FAILURE,
 * HASH_FAILURE), then the SignatureValue with the signer's key (SIG_CRYPTO_FAILURE). Returns the
 * failure report, or undefined when both verify.
 */
async function verifyCryptographically(core: CoreCheck, identified: Identified, checks: Check[]): Promise<VerificationReport | undefined> {
  let refs: ReferenceResult[];
  try {
    refs = await core.checkReferences();
  } catch (e) {
    throw new FormatError(`references could not be processed: ${errorText(e)}`);
  }
  const failed = referenceFailure(refs, identified, checks);
  if (failed) return failed;
  const { signer } = identified;
  let sigOk = false;
  let sigError = '';
  try {
    sigOk = await core.checkSignatureValue(signer);
  } catch (e) {
    sigError = `: ${errorText(e)}`;
  }
  if (!sigOk) {
    const detail = `${refs.length} reference digest(s) match but ds:SignatureValue does not verify with the key of ${signer.subject}${sigError}`;
    checks.push(check('core-validation', false, detail));
    return report('TOTAL-FAILED', 'SIG_CRYPTO_FAILURE', detail, identified, checks);
  }
  checks.push(
    check(
      'core-validation',
      true,
      `${refs.length} reference digest(s) and ds:SignatureValue verified (${core instanceof ExcC14nCore ? 'segl exclusive C14N' : 'xadesjs'})`,
    ),
  );
  return undefined;
}

/** §5.2.7, the references' part: what an unresolved or changed reference means, or undefined if all match. */
function referenceFailure(refs: ReferenceResult[], identified: Identified, checks: Check[]): VerificationReport | undefined {
  const unresolved = refs.filter((r) => r.error);
  const notFound = unresolved.filter((r) => /Cannot get object by reference/i.test(r.error as string));
  if (notFound.length) {
    const detail = notFound.map((r) => `${r.uri}: ${r.error}`).join('; ');
    checks.push(check('core-validation', false, `signed data not found: ${detail}`));
    return report('INDETERMINATE', 'SIGNED_DATA_NOT_FOUND', `signed data object(s) not found: ${detail}`, identified, checks);
  }
  if (unresolved.length) {
    const detail = unresolved.map((r) => `${r.uri}: ${r.error}`).join('; ');
    checks.push(check('core-validation', false, `reference processing failed: ${detail}`));
    return report('TOTAL-FAILED', 'FORMAT_FAILURE', `reference(s) could not be processed: ${detail}`, identified, checks);
  }
  const badDigests = refs.filter((r) => !r.ok);
  if (badDigests.length) {
    const detail = `digest mismatch for reference(s) ${badDigests.map((r) => r.uri || '""').join(', ')}`;
    checks.push(check('core-validation', false, detail));
    return report('TOTAL-FAILED', 'HASH_FAILURE', `the signed data was changed after signing: ${detail}`, identified, checks);
  }
  return undefined;
}

/**
 * X.509 certificate validation (§5.2.6), the path part: path.ts at the validation time, with the
 * other ds:KeyInfo certificates as extra intermediates. Returns the chain (signer first, anchor
 * last), or the report of the path failure (PATH_INDICATION).
 */
async function validateCertificatePath(
  { opts, at, checks }: ValidationContext,
  keyInfoCerts: x509.X509Certificate[],
  identified: Identified,
): Promise<x509.X509Certificate[] | VerificationReport> {
  const extra = keyInfoCerts.filter((c) => c !== identified.signer);
  const path = await validatePath(identified.signer, {
    anchors: opts.anchors,
    intermediates: [...(opts.intermediates ?? []), ...extra],
    at,
  });
  if (!path.ok) {
    checks.push(check('path-validation', false, path.message));
    return report(
      PATH_INDICATION[path.subIndication],
      path.subIndication,
      `certificate path validation at ${at.toISOString()} failed: ${path.message}`,
      { ...identified, ...(path.chain ? { chain: path.chain } : {}) },
      checks,
    );
  }
  const chain = path.chain;
  checks.push(
    check(
      'path-validation',
      true,
      `path of ${chain.length} certificate(s) to trust anchor ${chain[chain.length - 1].subject}, valid at ${at.toISOString()}`,
    ),
  );
  return chain;
}

/** What the revocation part reports on: the signer, the claimed signing time and the validated chain. */
interface WithChain extends Identified {
  chain: x509.X509Certificate[];
}

/**
 * Revocation (§5.2.5/§5.2.6): the signer, and the intermediate CAs if asked. The anchor is trusted as
 * such. Gives the final report: TOTAL-PASSED only when every certificate asked about is good.
 */
async function checkRevocation(
  { opts, at, checks }: ValidationContext,
  withChain: WithChain,
  early?: EarlyRevocation,
): Promise<VerificationReport> {
  const { chain, signer } = withChain;
  if (chain.length < 2) {
    checks.push(check('revocation', true, 'the signing certificate is itself a trust anchor; no revocation check'));
    return report(
      'TOTAL-PASSED',
      undefined,
      'signature valid; signing certificate is a trust anchor',
      { ...withChain, revocation: [] },
      checks,
    );
  }
  const subjects = opts.checkCaRevocation ? chain.slice(0, -1) : [signer];
  const records: RevocationRecord[] = [];
  for (const cert of subjects) {
    const i = chain.indexOf(cert);
    const issuer = chain[i + 1];
    // the early answer only for the same question: this signer with the issuer the path chose
    const asked = i === 0 && early && sameCertificate(early.issuer, issuer) ? early.answer : askRevocation(opts.revocation, cert, issuer);
    records.push(await asked);
  }
  const full = { ...withChain, revocation: records };
  for (const [i, r] of records.entries()) {
    const failed = revocationFailure(r, i, at, full, checks);
    if (failed) return failed;
  }
  const detail = records.map((r, i) => `${describeRevocationSubject(r, i)} good (${r.source})`).join('; ');
  checks.push(check('revocation', true, detail));
  return report(
    'TOTAL-PASSED',
    undefined,
    `signature valid: core validation passed, path to ${chain[chain.length - 1].subject}, ${detail}`,
    full,
    checks,
  );
}

/** Names the certificate of the i-th revocation record in details (the signer is asked about first). */
function describeRevocationSubject(r: RevocationRecord, i: number): string {
  return `${i === 0 ? 'signing certificate' : 'CA certificate'} ${r.subject}`;
}

/** What one certificate's revocation status means for the signature: a report, or undefined if good. */
function revocationFailure(
  r: RevocationRecord,
  i: number,
  at: Date,
  full: WithChain & { revocation: RevocationRecord[] },
  checks: Check[],
): VerificationReport | undefined {
  const s = r.status;
  const who = describeRevocationSubject(r, i);
  if (s.status === 'revoked' && s.reason === 'certificateHold') {
    // A held certificate is SUSPENDED, not revoked (RFC 5280 §5.3.1 certificateHold): the hold may be
    // released ("removeFromCRL"), after which the certificate is good again, so the answer is not
    // final. EN 319 102-1 gives no sub-indication for suspension; TRY_LATER says "ask again".
    const detail = `${who} is on hold (certificateHold, suspended since ${s.revokedAt.toISOString()}) according to ${r.source}`;
    checks.push(check('revocation', false, detail));
    return report('INDETERMINATE', 'TRY_LATER', `${detail}; the certificate is suspended, not revoked: validate again later`, full, checks);
  }
  if (s.status === 'revoked') {
    const reason = s.reason ?? 'unspecified';
    const detail = `${who} was revoked at ${s.revokedAt.toISOString()} (reason ${reason}) according to ${r.source}`;
    checks.push(check('revocation', false, detail));
    if (i > 0) return report('INDETERMINATE', 'REVOKED_CA_NO_POE', detail, full, checks);
    if (s.revokedAt <= at) return report('TOTAL-FAILED', 'REVOKED', detail, full, checks);
    // Revoked after the validation time: only proof that the signature existed before the
    // revocation (a time-stamp, §5.5/§5.6) could save it, and basic validation has none.
    return report('INDETERMINATE', 'REVOKED_NO_POE', `${detail}, after the validation time ${at.toISOString()}`, full, checks);
  }
  if (s.status !== 'good') {
    const detail = `status of ${who} is unknown (${r.source}${r.detail ? `: ${r.detail}` : ''})`;
    checks.push(check('revocation', false, detail));
    return report('INDETERMINATE', 'TRY_LATER', `${detail}; revocation status could not be established, try later`, full, checks);
  }
  return undefined;
}

// ---------------------------------------------------------------------------------------------

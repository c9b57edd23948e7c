// One signature, end to end, as the packaging policy orders it: the signer's native signature →
// initial verification (core, path, OCSP) → only if it passes: trusted time, the LTV-SDO, the seal
// → the seal verified at once. It is core's SignatureMaker: core's signTask (src/core/signer.ts)
// reads the documents, stores the package as the result of each signed document, and records a
// refusal as an `error` event in the task's history. A failure leaves no package.
//
// Requests that do not depend on each other overlap (their RSA signatures run on libuv's thread pool
// while this thread works): the OCSP questions for the signer and the seal certificates go out when
// sign() starts, and the time-stamp over the native SignatureValue is requested while that signature
// is verified. Each answer is still fresh, nonce-bound and checked, and is used only if the
// verification passes; nothing is reused from one signature to the next.
import { createHash } from 'node:crypto';
import os from 'node:os';
import type * as x509 from '@peculiar/x509';
import type { SignatureAct, SignatureMaker } from '../core/signer';
import { buildLtvSdo, describeUserAgent, type ContextDescription } from '../trust/ltvsdo';
import { certificateKind, pidOf } from '../testca/pki';
import { timestampFor } from '../trust/tsp/request';
import { verifyXmlSignature } from '../trust/validation/process';
import { type VerificationReport } from '../trust/validation/report';
import type { RevocationSource } from '../trust/sources';
import { createNativeSignature } from '../trust/xades/native';
import { createSeal } from '../trust/xades/seal';
import type { SigningIdentity } from '../trust/sources';
import type { TrustSetup } from './trust';
import { SEGL_VERSION } from '../version';

/** segl's seal policy (a test OID, like the certificate policies). */
export const SEAL_POLICY = {
  oid: '1.3.6.1.4.1.99999.3.1',
  description:
    'segl LTV-SDO seal policy 1: the platform seals the complete package immediately after the ' +
    'initial verification of the native signature passed; the seal carries all certificates and revocation ' +
    'values it needs and no time-stamp.',
};

/** One act: core's SignatureAct with the test eID's (or any PKCS#12) signing identity. */
export type SignAct = SignatureAct<SigningIdentity>;

/** Core's SignatureOutcome, with the package as text and the verification report for whoever wants them. */
export type SignOutcome =
  | { ok: true; bytes: Uint8Array; note: string; packageXml: string; report: VerificationReport }
  | { ok: false; stage: 'initial-verification' | 'seal-verification'; reason: string; report: VerificationReport };

/** Versions of the components that make and check signatures (for the contexts in the package). */
function versionOf(pkg: string): string {
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports -- a computed package path, read once at start
    return (require(`${pkg}/package.json`) as { version: string }).version;
  } catch {
    return 'unknown';
  }
}
const VERSIONS = {
  segl: SEGL_VERSION,
  xadesjs: versionOf('xadesjs'),
  xmldsigjs: versionOf('xmldsigjs'),
  pkijs: versionOf('pkijs'),
  x509: versionOf('@peculiar/x509'),
};

/**
 * segl writes and signs the XAdES itself (Node's WebCrypto); verification adds the X.509/CMS libraries,
 * and xadesjs/xmldsigjs for signature shapes outside segl's own profile.
 */
function serverContext(withVerification: boolean): ContextDescription['server'] {
  const components = [{ name: 'segl', version: VERSIONS.segl }];
  if (withVerification) {
    components.push(
      { name: 'xadesjs', version: VERSIONS.xadesjs },
      { name: 'xmldsigjs', version: VERSIONS.xmldsigjs },
      { name: 'pkijs', version: VERSIONS.pkijs },
      { name: '@peculiar/x509', version: VERSIONS.x509 },
    );
  }
  return { operatingSystem: `${os.type()} ${os.release()} ${os.arch()}`, runtime: `Node.js ${process.version}`, components };
}

function sameDer(a: x509.X509Certificate, b: x509.X509Certificate): boolean {
  return a === b || Buffer.from(a.rawData).equals(Buffer.from(b.rawData));
}

export class SigningPipeline implements SignatureMaker<SigningIdentity> {
  constructor(
    private readonly trust: TrustSetup,
    private readonly now: () => Date = () => new Date(),
  ) {}

  private verify(xml: string, signatureXPath?: string, revocation: RevocationSource = this.trust.revocation): Promise<VerificationReport> {
    const t = this.trust;
    return verifyXmlSignature(xml, { anchors: t.anchors, intermediates: t.intermediates, revocation, at: this.now(), signatureXPath });
  }

  /** An RFC 3161 token over the native signature's SignatureValue (the signing time from a trusted source). */
  private async trustedTime(nativeXml: string): Promise<{ time: Date; tokenDer: Uint8Array }> {
    const value = /<(?:\w+:)?SignatureValue[^>]*>([^<]+)</.exec(nativeXml)?.[1];
    if (!value) throw new Error('native signature has no SignatureValue');
    const digest = createHash('sha256')
      .update(Buffer.from(value.replace(/\s+/g, ''), 'base64'))
      .digest();
    const { token, genTime } = await timestampFor(digest, this.trust.timestamp);
    return { time: genTime, tokenDer: token };
  }

  /**
   * The revocation answer for the signer certificate, asked for while the native signature is being
   * made (the certificate is known before it signs anything). The verification uses it only when the
   * path it validated has exactly that certificate and issuer; otherwise it asks afresh.
   */
  private prefetchRevocation(cert: x509.X509Certificate): RevocationSource {
    const t = this.trust;
    const issuer = [...t.intermediates, ...t.anchors].find((c) => c.subject === cert.issuer && c.subject !== cert.subject);
    if (!issuer) return t.revocation;
    const early = t.revocation(cert, issuer);
    early.catch(() => undefined);
    return (c, i) => (sameDer(c, cert) && sameDer(i, issuer) ? early : t.revocation(c, i));
  }

  async sign(act: SignAct): Promise<SignOutcome> {
    const audit = [...act.audit];
    const { seal, sealChain } = this.trust;
    // Independent of the signature, so asked for at once; used only if the package is sealed.
    const sealOcspP = this.trust.revocation(seal.certificate, sealChain[0]!);
    sealOcspP.catch(() => undefined);
    const signerRevocation = this.prefetchRevocation(act.signer.certificate);
    const native = await createNativeSignature({
      signer: act.signer,
      signText: act.signText,
      documents: act.documents,
      signingTime: this.now(),
    });
    audit.push({ time: this.now(), type: 'signature-created', text: `native signature over ${act.documents.map((d) => d.id).join(', ')}` });

    // The time-stamp covers the native SignatureValue only, so it is requested while the signature is
    // verified; it goes into a package only if the verification passes.
    const timeP = this.trustedTime(native);
    timeP.catch(() => undefined);
    const report = await this.verify(native, undefined, signerRevocation);
    for (const c of report.checks) {
      audit.push({ time: c.at, type: `${c.name}-${c.ok ? 'succeeded' : 'failed'}`, text: c.detail });
    }
    if (report.indication !== 'TOTAL-PASSED') {
      const reason = `signature refused by the initial verification: ${report.indication}${report.subIndication ? ` ${report.subIndication}` : ''}: ${report.message}`;
      return { ok: false, stage: 'initial-verification', reason, report };
    }
    if (act.nationalId)
      audit.push({ time: this.now(), type: 'cpr-verified', text: "the signer's CPR was collected and matched to the PID" });

    const time = await timeP;
    const cert = report.signer as x509.X509Certificate;
    const packageXml = buildLtvSdo({
      id: `ltvsdo-${act.requestId}-${act.taskId}`.replace(/[^\w.-]/g, '_'),
      nativeSignatureXml: native,
      signer: {
        name: cert.subjectName.getField('CN')[0] ?? cert.subject,
        pid: pidOf(cert),
        nationalId: act.nationalId,
        nationality: 'DK',
        kind: certificateKind(cert),
      },
      trustedTime: { ...time, source: 'RFC 3161 time-stamping authority' },
      validation: {
        certificates: (report.chain ?? []).map((c) => new Uint8Array(c.rawData)),
        ocspResponses: (report.revocation ?? []).flatMap((r) => (r.responseDer ? [r.responseDer] : [])),
        indication: report.indication,
        subIndication: report.subIndication,
        verifiedAt: this.now(),
        checks: report.checks,
      },
      creationContext: { client: { ...describeUserAgent(act.userAgent), ip: act.clientIp }, server: serverContext(false) },
      verificationContext: { server: serverContext(true) },
      externalContext: act.externalContext,
      auditTrail: audit,
    });
    // The seal carries its own chain and the OCSP answer for the seal certificate.
    const sealOcsp = await sealOcspP;
    const sealed = await createSeal({
      packageXml,
      canonical: true,
      seal,
      chain: sealChain,
      revocationValues: { ocspResponses: sealOcsp.responseDer ? [sealOcsp.responseDer] : [] },
      policy: SEAL_POLICY,
      signingTime: this.now(),
    });
    // The seal is verified with the OCSP answer it was just given (fetched seconds ago, embedded).
    const sealReport = await this.verify(sealed, '/*/ds:Signature', async (c, issuer) =>
      c.serialNumber === seal.certificate.serialNumber && c.issuer === seal.certificate.issuer && sealOcsp.responseDer
        ? sealOcsp
        : this.trust.revocation(c, issuer),
    );
    if (sealReport.indication !== 'TOTAL-PASSED') {
      const reason = `the seal did not verify: ${sealReport.indication} ${sealReport.subIndication ?? ''}: ${sealReport.message}`;
      return { ok: false, stage: 'seal-verification', reason, report: sealReport };
    }
    return { ok: true, bytes: Buffer.from(sealed, 'utf8'), note: 'sealed LTV-SDO', packageXml: sealed, report };
  }
}

// One signature, as the packaging policy orders it, in two parts. In the signer's request:
// the native signature (nativeSignature). In the seal job (core/sealrun.ts, a worker, retried through
// TSA/OCSP outages): initial verification (core, path, OCSP) → only if it passes: trusted time, the
// LTV-SDO, the seal → the seal verified at once (seal). An answer that may change later (OCSP or TSA
// unreachable: INDETERMINATE TRY_LATER, or a thrown network error) is marked `retry`; any other
// failure refuses the act. `sign` runs both parts at once (fixtures and the bench).
//
// Requests that do not depend on each other overlap (their RSA signatures run on libuv's thread pool
// while this thread works): the OCSP question for the seal certificate goes out when seal() starts,
// and the time-stamp over the native SignatureValue is requested while that signature is verified;
// so is the OCSP answer for the signer's certificate, once the signature names it (prefetchRevocation).
// Each answer is still fresh, nonce-bound and checked, and is used only if the verification passes;
// nothing is reused from one signature to the next.
import { createHash } from 'node:crypto';
import os from 'node:os';
import type * as x509 from '@peculiar/x509';
import type { HandwritingOnlySigner, SignatureAct, SignatureMaker } from '../core/signer';
import type { AuthenticationEvidence } from '../core/ports';
import { normaliseSignText } from '../trust/oidc/nonce';
import type { SealAct, SealMaker } from '../core/sealrun';
import { buildLtvSdo, describeUserAgent, HANDWRITING_ONLY_SIGNER, type ContextDescription } from '../trust/ltvsdo';
import { certificateKind, cvrOf, organisationOf, pidOf, ridOf } from '../testca/pki';
import { timestampFor } from '../trust/tsp/request';
import { verifyXmlSignature } from '../trust/validation/process';
import { type VerificationReport } from '../trust/validation/report';
import type { RevocationSource } from '../trust/sources';
import { createNativeSignature } from '../trust/xades/native';
import { createSeal } from '../trust/xades/seal';
import type { SigningIdentity } from '../trust/sources';
import type { TrustSetup } from './trust';
import { SEGL_VERSION } from '../version';
import { EVENT_HASH_VERSION } from '../util/hashchain';

/** segl's seal policy (a test OID, like the certificate policies). */
export const SEAL_POLICY = {
  oid: '1.3.6.1.4.1.99999.3.1',
  description:
    'segl LTV-SDO seal policy 1: the platform seals the complete package immediately after the ' +
    'initial verification of the native signature passed; the seal carries all certificates and revocation ' +
    'values it needs and no time-stamp.',
};

/** One act, both parts: core's SignatureAct with the test eID's (or any PKCS#12) signing identity, and what the package says. */
export type SignAct = SignatureAct<SigningIdentity> & Omit<SealAct, 'nativeXml' | 'requestId' | 'taskId'>;

/** Core's SealOutcome, with the package as text and the verification report for whoever wants them. */
export type SignOutcome =
  | { ok: true; bytes: Uint8Array; note: string; packageXml: string; report: VerificationReport }
  | { ok: false; stage: 'initial-verification' | 'seal-verification'; reason: string; retry: boolean; report: VerificationReport };

/**
 * A verification that could not be completed now (revocation status unknown: responder unreachable …)
 * may pass later. A certificate on hold is TRY_LATER too, but the signer's act is refused at once: the
 * signer may sign again once the hold is released.
 */
const tryLater = (r: VerificationReport) =>
  r.indication === 'INDETERMINATE' && r.subIndication === 'TRY_LATER' && !(r.revocation ?? []).some((x) => x.status.status === 'revoked');

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

export class SigningPipeline implements SignatureMaker<SigningIdentity>, SealMaker {
  constructor(
    private readonly trust: TrustSetup,
    private readonly now: () => Date = () => new Date(),
  ) {}

  private verify(xml: string, signatureXPath?: string, revocation: RevocationSource = this.trust.revocation): Promise<VerificationReport> {
    const t = this.trust;
    // The signer's OCSP question goes out while the signature value and path are checked (used only if they pass).
    const prefetchRevocation = revocation === t.revocation;
    return verifyXmlSignature(xml, {
      anchors: t.anchors,
      intermediates: t.intermediates,
      revocation,
      at: this.now(),
      signatureXPath,
      prefetchRevocation,
    });
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

  /** The signer's native XAdES over the act's documents (in the signer's request: one RSA signature, no network). */
  async nativeSignature(act: SignatureAct<SigningIdentity>): Promise<string> {
    return createNativeSignature({
      signer: act.signer,
      signText: act.signText,
      documents: act.documents,
      signingTime: this.now(),
      handwriting: act.handwriting,
    });
  }

  /**
   * The native signature of an authentication-based act (docs/oidc-eid.md): no signer key exists, so the
   * platform signs the act with its seal key, after checking that the act is the one the eID's answer
   * committed to — the same task, sign text and document digests as the nonce's inputs. The person is
   * named by the evidence the package carries (seal()), not by this certificate.
   */
  authenticationBased(): SignatureMaker<AuthenticationEvidence> {
    return {
      nativeSignature: async (act) => {
        const n = act.signer.nonceInputs;
        const digests = new Map(n.documents.map((d) => [d.id, d.sha256]));
        const same =
          n.taskId === act.taskId &&
          normaliseSignText(n.signText) === normaliseSignText(act.signText) &&
          act.documents.every((d) => digests.get(d.id) === createHash('sha256').update(d.bytes).digest('base64'));
        if (!same) throw new Error('the act is not the one the eID answer committed to (task, sign text or document digests differ)');
        const { signText, documents } = act;
        return createNativeSignature({ signer: this.trust.seal, signText, documents, signingTime: this.now() });
      },
    };
  }

  /**
   * The native signature of a handwriting-only act (`<method handwritten="true"/>`, docs/ltvsdo.md): no eID and no
   * signer key, so the platform signs the documents, the sign text and the drawing with its seal key, as for an
   * authentication-based act; the package says that this is a simple electronic signature (seal()).
   */
  handwritingOnly(): SignatureMaker<HandwritingOnlySigner> {
    return {
      nativeSignature: async (act) => {
        if (!act.handwriting) throw new Error('a handwriting-only signature needs the drawing');
        const { signText, documents, handwriting } = act;
        return createNativeSignature({ signer: this.trust.seal, signText, documents, signingTime: this.now(), handwriting });
      },
    };
  }

  /** Both parts at once: the native signature, then the seal job's work on it. */
  async sign(act: SignAct): Promise<SignOutcome> {
    const nativeXml = await this.nativeSignature(act);
    const audit = [
      ...act.audit,
      { time: this.now(), type: 'signature-created', text: `native signature over ${act.documents.map((d) => d.id).join(', ')}` },
    ];
    return this.seal({ ...act, audit, nativeXml });
  }

  /** The seal job's part: initial verification, trusted time, the LTV-SDO, the seal, the seal verified. */
  async seal(act: SealAct): Promise<SignOutcome> {
    const audit = [...act.audit];
    const native = act.nativeXml;
    const { signer: seal, chain: sealChain } = await this.trust.sealFor(act.serviceId);
    // Independent of the signature, so asked for at once; used only if the package is sealed.
    const sealOcspP = this.trust.revocation(seal.certificate, sealChain[0]!);
    sealOcspP.catch(() => undefined);

    // The time-stamp covers the native SignatureValue only, so it is requested while the signature is
    // verified; it goes into a package only if the verification passes.
    const timeP = this.trustedTime(native);
    timeP.catch(() => undefined);
    const report = await this.verify(native);
    for (const c of report.checks) {
      audit.push({ time: c.at, type: `${c.name}-${c.ok ? 'succeeded' : 'failed'}`, text: c.detail });
    }
    if (report.indication !== 'TOTAL-PASSED') {
      const reason = `signature refused by the initial verification: ${report.indication}${report.subIndication ? ` ${report.subIndication}` : ''}: ${report.message}`;
      return { ok: false, stage: 'initial-verification', reason, retry: tryLater(report), report };
    }
    if (act.nationalId && !act.authentication && !act.handwritingOnly)
      audit.push({ time: this.now(), type: 'cpr-verified', text: "the signer's CPR was collected and matched to the PID" });

    const time = await timeP;
    const cert = report.signer as x509.X509Certificate;
    const auth = act.authentication;
    const packageXml = buildLtvSdo({
      id: `ltvsdo-${act.requestId}-${act.taskId}`.replace(/[^\w.-]/g, '_'),
      nativeSignatureXml: native,
      // an authentication-based signature names the person the eID vouched for; the certificate is the platform's
      // a handwriting-only signature names nobody: a simple electronic signature, the certificate is the platform's
      signer: auth
        ? { ...auth.signer, kind: `oidc:${auth.method}` }
        : act.handwritingOnly
          ? HANDWRITING_ONLY_SIGNER
          : {
              name: cert.subjectName.getField('CN')[0] ?? cert.subject,
              pid: pidOf(cert),
              nationalId: act.nationalId,
              nationality: 'DK',
              kind: certificateKind(cert),
              ...(cvrOf(cert) ? { organisation: organisationOf(cert), cvr: cvrOf(cert), rid: ridOf(cert) } : {}),
            },
      authentication: auth,
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
      historyHead: act.historyHead && { requestId: act.requestId, ...act.historyHead, algorithm: EVENT_HASH_VERSION },
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
      return { ok: false, stage: 'seal-verification', reason, retry: tryLater(sealReport), report: sealReport };
    }
    return { ok: true, bytes: Buffer.from(sealed, 'utf8'), note: 'sealed LTV-SDO', packageXml: sealed, report };
  }
}

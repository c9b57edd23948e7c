// `segl verify FILE`: an LTV-SDO checked with nothing but what it carries and a trust anchor — the
// seal over the package, then the native signature inside it, each at the package's trusted
// signing time, with revocation answered by the OCSP responses embedded in the package.
import * as x509 from '@peculiar/x509';
import { checkOcspResponse } from '../trust/ocsp/response';
import { certificateFromDer } from '../trust/x509/cache';
import { normalizeSerialHex } from '../trust/x509/serial';
import { verifyXmlSignature } from '../trust/validation/process';
import { parseDocument } from '../trust/validation/xmldsig';
import type { SDocument, SElement } from '../trust/xml/strictxml';
import { type Indication, type VerificationReport } from '../trust/validation/report';
import type { RevocationSource } from '../trust/sources';
import { cvrOf, organisationOf, pidOf, ridOf } from '../testca/pki';
import { checkAuthenticationEvidence } from './evidence';
import type { EvidenceResult } from '../trust/oidc/verify';
import { validateTimeStampChain, type TimeStampChainReport } from '../trust/validation/archive';
import type { AlgorithmEnds } from '../trust/algorithms';
import { xmlSignatureConstraintsAt } from '../trust/validation/cryptoconstraints';
import { signatureLevelOf } from '../trust/ltvsdo';

const DS = 'http://www.w3.org/2000/09/xmldsig#';

/** Every descendant element with this local name (any namespace), in document order. */
function all(n: SElement, local: string, out: SElement[] = []): SElement[] {
  for (let c = n.firstChild; c; c = c.nextSibling) {
    if (c.nodeType !== 1) continue;
    if (c.localName === local) out.push(c);
    all(c, local, out);
  }
  return out;
}

function elements(n: SElement): SElement[] {
  const out: SElement[] = [];
  for (let c = n.firstChild; c; c = c.nextSibling) if (c.nodeType === 1) out.push(c);
  return out;
}

/** Answers revocation questions from the package's own OCSP responses (offline). */
function embedded(responses: Uint8Array[]): RevocationSource {
  return async (cert, issuer) => {
    const serialHex = normalizeSerialHex(cert.serialNumber);
    for (const der of responses) {
      try {
        const r = await checkOcspResponse(der, { issuer, serialHex });
        return { status: r.status, responseDer: der, source: 'embedded' };
      } catch {
        /* not this certificate's response */
      }
    }
    return { status: { status: 'unknown' }, source: 'embedded', detail: `no embedded OCSP response for serial ${serialHex}` };
  };
}

export interface OfflineResult {
  indication: Indication;
  seal: VerificationReport;
  native?: VerificationReport;
  /** an authentication-based signature's OpenID Connect evidence, rechecked (signing/evidence.ts) */
  authentication?: EvidenceResult;
  /**
   * `simple`: the package says the signature is a handwriting-only one (SignerDescription/SignatureLevel): a simple
   * electronic signature, whose native signature is the platform's, not a signer's certificate
   */
  level?: 'simple';
  /** the signature time-stamp and the archive time-stamps after it, each at its own time (docs/ltvsdo.md) */
  timeStamps: TimeStampChainReport;
  at: Date;
  /** the validation time of the newest time-stamp */
  now: Date;
}

const RANK: Record<Indication, number> = { 'TOTAL-PASSED': 0, INDETERMINATE: 1, 'TOTAL-FAILED': 2 };

/**
 * Verifies an LTV-SDO offline; `options.now` is the validation time of its newest time-stamp (default now), and
 * `options.intermediates` CA certificates the caller knows besides those the package carries (a TSA's CA), and
 * `options.algorithmEnds` the table of algorithm ends its time-stamps are judged by (default trust/algorithms.ts).
 * `document` is `xml`'s strict parse when the caller has one (packaging/sdo.ts parseLtvSdo): the XML is then
 * not parsed again. Throws FormatError when `xml` is not well-formed.
 */
export async function verifyLtvSdo(
  xml: string,
  anchors: x509.X509Certificate[],
  document?: SDocument,
  options: { now?: Date; intermediates?: x509.X509Certificate[]; algorithmEnds?: AlgorithmEnds } = {},
): Promise<OfflineResult> {
  const tree = document ?? parseDocument(xml);
  const root = tree.documentElement!;
  const text = (n: SElement | undefined) => n?.textContent.replace(/\s+/g, '') ?? '';
  const certs = [...all(root, 'Certificate'), ...all(root, 'EncapsulatedX509Certificate')]
    .map((n) => {
      try {
        return certificateFromDer(new Uint8Array(Buffer.from(text(n), 'base64')));
      } catch {
        return undefined;
      }
    })
    .filter((c): c is x509.X509Certificate => !!c);
  const renewed = new Set(all(root, 'TimeStampValidationData').flatMap((v) => all(v, 'EncapsulatedOCSPValue')));
  const ocspNodes = [...all(root, 'OcspResponse'), ...all(root, 'EncapsulatedOCSPValue')];
  const ocsp = ocspNodes.map((n) => new Uint8Array(Buffer.from(text(n), 'base64')));
  // the package's own OCSP responses (what the oldest archive time-stamp covers), without those renewals added
  const ownOcsp = ocsp.filter((_, i) => !renewed.has(ocspNodes[i]!));
  const time = all(root, 'TrustedSigningTime')[0];
  const at = new Date((time && elements(time).find((c) => c.localName === 'Time')?.textContent) ?? Date.now());
  const opts = { anchors, intermediates: certs, revocation: embedded(ocsp), at, document: tree };
  const sealReport = await verifyXmlSignature(xml, { ...opts, signatureXPath: '/*/ds:Signature' });
  const hasNative = elements(root).some(
    (c) => c.localName === 'SignedDataObject' && elements(c).some((s) => s.namespaceURI === DS && s.localName === 'Signature'),
  );
  const nativeReport = hasNative
    ? await verifyXmlSignature(xml, { ...opts, signatureXPath: "/*/*[local-name()='SignedDataObject']/ds:Signature" })
    : undefined;
  const authentication = await checkAuthenticationEvidence(root, at);
  const now = options.now ?? new Date();
  const ends = options.algorithmEnds ? { algorithmEnds: options.algorithmEnds } : {};
  const timeStamps = await timeStampChain(tree, {
    anchors,
    certs: [...certs, ...(options.intermediates ?? [])],
    ocsp: ownOcsp,
    now,
    ...ends,
  });
  const judged = await withCryptoConstraints(root, { seal: sealReport, native: nativeReport }, timeStamps, now, options.algorithmEnds);
  const { seal, native } = judged;
  const worst = [seal, native, timeStamps, authentication && { indication: authentication.ok ? 'TOTAL-PASSED' : 'TOTAL-FAILED' }]
    .filter((r): r is { indication: Indication } => !!r)
    .reduce<Indication>((w, r) => (RANK[r.indication] > RANK[w] ? r.indication : w), 'TOTAL-PASSED');
  const level = signatureLevelOf(elements(root).find((c) => c.localName === 'SignerDescription')) ? { level: 'simple' as const } : {};
  return { indication: hasNative ? worst : 'TOTAL-FAILED', seal, native, authentication, ...level, timeStamps, at, now };
}

/**
 * Cryptographic constraints (EN 319 102-1 §5.2.8, §5.6.2.5; trust/validation/cryptoconstraints.ts) on the seal and the
 * native signature, each at its proof of existence (POE): the package's POE is the genTime of the earliest archive
 * time-stamp that is TOTAL-PASSED (it covers the whole package: the seal, every certificate and OCSP response), else
 * the validation time `now`; the native signature and its signing certificate (bound by its signed XAdES
 * SigningCertificateV2) have the signature time-stamp's genTime when that passes (it covers the native
 * SignatureValue), else the package's. The rest of each path and the OCSP responses have the package's.
 */
async function withCryptoConstraints(
  root: SElement,
  r: { seal: VerificationReport; native: VerificationReport | undefined },
  timeStamps: TimeStampChainReport,
  now: Date,
  ends: AlgorithmEnds | undefined,
): Promise<{ seal: VerificationReport; native: VerificationReport | undefined }> {
  const passed = timeStamps.stamps.filter((s) => s.indication === 'TOTAL-PASSED' && s.genTime);
  const archive = passed.filter((s) => s.kind === 'archive-time-stamp').map((s) => s.genTime!.getTime());
  const poe = archive.length ? new Date(Math.min(...archive)) : now;
  const signatureTimeStamp = passed.find((s) => s.kind === 'signature-time-stamp')?.genTime;
  const kids = elements(root);
  const sealEl = kids[kids.length - 1];
  const sdo = kids.find((c) => c.localName === 'SignedDataObject');
  const nativeEl = sdo && elements(sdo).find((c) => c.namespaceURI === DS && c.localName === 'Signature');
  const t = ends ? { ends } : {};
  const seal =
    sealEl?.namespaceURI === DS && sealEl.localName === 'Signature'
      ? await xmlSignatureConstraintsAt(r.seal, sealEl, { element: 'the seal', signaturePoe: poe, poe, ...t })
      : r.seal;
  const native =
    r.native && nativeEl
      ? await xmlSignatureConstraintsAt(r.native, nativeEl, {
          element: 'the native signature',
          signaturePoe: signatureTimeStamp ?? poe,
          poe,
          ...t,
        })
      : r.native;
  return { seal, native };
}

/**
 * The package's time-stamps (trust/validation/archive.ts): the TrustedSigningTime token over the native
 * SignatureValue, then the seal's archive time-stamps. A package without that token has no chain to validate.
 */
async function timeStampChain(
  tree: SDocument,
  o: { anchors: x509.X509Certificate[]; certs: x509.X509Certificate[]; ocsp: Uint8Array[]; now: Date; algorithmEnds?: AlgorithmEnds },
): Promise<TimeStampChainReport> {
  const root = tree.documentElement!;
  const kids = elements(root);
  const token = kids.find((c) => c.localName === 'TrustedSigningTime');
  const tokenText = token && elements(token).find((c) => c.localName === 'TimeStampToken')?.textContent;
  const native = kids.find((c) => c.localName === 'SignedDataObject');
  const value = native && all(native, 'SignatureValue')[0]?.textContent;
  const seal = kids[kids.length - 1];
  if (!tokenText || !value || !seal || seal.namespaceURI !== DS || seal.localName !== 'Signature')
    return { indication: 'INDETERMINATE', subIndication: 'GENERIC', message: 'the package carries no signature time-stamp', stamps: [] };
  const b = (s: string) => new Uint8Array(Buffer.from(s.replace(/\s+/g, ''), 'base64'));
  return validateTimeStampChain({
    doc: tree,
    signature: seal,
    signatureTimeStamp: { token: b(tokenText), data: b(value) },
    anchors: o.anchors,
    certificates: o.certs,
    ocspResponses: o.ocsp,
    now: o.now,
    ...(o.algorithmEnds ? { algorithmEnds: o.algorithmEnds } : {}),
  });
}

/** Who signed, from the certificate: the name, and an employee's organisation, CVR number and RID or a person's PID. */
function signerText(cert: x509.X509Certificate): string {
  const name = cert.subjectName.getField('CN')[0] ?? cert.subject;
  const cvr = cvrOf(cert);
  if (cvr) return `${name}, employee of ${organisationOf(cert) ?? '?'} (CVR ${cvr}, RID ${ridOf(cert) ?? '?'})`;
  const pid = pidOf(cert);
  return pid ? `${name} (PID ${pid})` : name;
}

export function describe(r: OfflineResult): string {
  const line = (name: string, v?: VerificationReport) =>
    v
      ? `${name}: ${v.indication}${v.subIndication ? ` ${v.subIndication}` : ''} — ${v.message}`
      : `${name}: missing (the package holds no native signature)`;
  return (
    [
      `${r.indication} (validated at the package's trusted signing time ${r.at.toISOString()})`,
      line('seal', r.seal),
      line('native signature', r.native),
      `time-stamps: ${r.timeStamps.indication}${r.timeStamps.subIndication ? ` ${r.timeStamps.subIndication}` : ''} — ${r.timeStamps.message}`,
      ...r.timeStamps.stamps.map(
        (s) =>
          `  ${s.kind} ${s.genTime?.toISOString() ?? '?'} (${s.tsa ?? '?'}) at ${s.validatedAt.toISOString()}: ` +
          `${s.indication}${s.subIndication ? ` ${s.subIndication}` : ''} — ${s.detail}`,
      ),
      ...(r.authentication
        ? [
            `authentication evidence (OpenID Connect): ${r.authentication.ok ? 'PASSED' : 'FAILED'}`,
            ...r.authentication.checks.map((c) => `  ${c.ok ? 'ok' : 'FAILED'} ${c.name}: ${c.detail}`),
            ...(r.authentication.claims
              ? [
                  `signer, as the broker's ID token names them: ${String(r.authentication.claims.name ?? '?')} (sub ${String(r.authentication.claims.sub)})`,
                ]
              : []),
            `certificate: the platform's (an authentication-based signature), ${r.native?.signer ? signerText(r.native.signer) : '?'}`,
          ]
        : r.level === 'simple'
          ? [
              'signature level: simple electronic signature — a handwritten signature only: no eID identified the signer and no certificate of the signer signed',
              `certificate: the platform's, over the documents, the sign text and the drawing, ${r.native?.signer ? signerText(r.native.signer) : '?'}`,
            ]
          : r.native?.signer
            ? [`signer: ${signerText(r.native.signer)}`]
            : []),
    ].join('\n') + '\n'
  );
}

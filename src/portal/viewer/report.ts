// What the viewer says about one uploaded file (reference viewer-forms-inksign.md §1.3): an LTV-SDO, or
// a PAdES and each LTV-SDO attached to it, verified offline against the platform's trust anchors
// (signing/offline.ts, offlinepdf.ts: the same checks as `segl verify`), and what each signed — as
// plain data, for the HTML page and the JSON API alike. National ids are masked here, before anything
// is shown or answered.
import { createHash } from 'node:crypto';
import type * as x509 from '@peculiar/x509';
import { maskNationalId } from '../../packaging/format';
import { LtvSdoFormatError, parseLtvSdo, readLtvSdo } from '../../packaging/sdo';
import { verifyLtvSdo, type OfflineResult } from '../../signing/offline';
import { verifyPadesFile } from '../../signing/offlinepdf';
import { LTVSDO_NS } from '../../trust/ltvsdo';
import type { Indication, SubIndication, VerificationReport } from '../../trust/validation/report';
import { childElements } from '../../trust/validation/xmldsig';
import type { SElement } from '../../trust/xml/strictxml';

export interface ViewerCheck {
  name: string;
  ok: boolean;
  detail: string;
}

export interface ViewerDocument {
  id: string;
  description?: string;
  mimeType: string;
  size: number;
  sha256: string;
  /** a text document's content (shown inline), at most TEXT_LIMIT characters */
  text?: string;
  /** a PDF's bytes, base64, at most PDF_LIMIT bytes: drawn in the report page, left out of the JSON (viewerJson) */
  pdf?: string;
}

/** One LTV-SDO: its verdict, who signed what and when, and its audit trail. */
export interface SdoView {
  /** the attachment's name in a PAdES */
  name?: string;
  indication: Indication;
  subIndication?: SubIndication;
  message: string;
  /** the chain of the seal or the native signature ends at a root the viewer does not trust */
  untrustedRoot: boolean;
  /** the file could not be read as an LTV-SDO at all */
  unreadable?: string;
  signer?: { name: string; method?: string; pid?: string; nationalIdMasked?: string; nationality?: string };
  signedAt?: string;
  signText?: string;
  /** the signer's drawing (InkSign) as signed: its PNG, base64, checked by readLtvSdo against its digest and limits */
  handwriting?: { png: string; width: number; height: number };
  seal?: { subject: string; issuer: string };
  documents: ViewerDocument[];
  checks: ViewerCheck[];
  audit: Array<{ time: string; type: string; text: string }>;
}

export interface PadesItemView {
  kind: 'signature' | 'document-time-stamp';
  field: string;
  subFilter: string;
  indication: Indication;
  subIndication?: SubIndication;
  message: string;
  signer?: string;
  time?: string;
  level?: string;
  coversWholeFile: boolean;
  laterChanges: string[];
}

export interface ViewerReport {
  kind: 'ltv-sdo' | 'pades';
  size: number;
  sha256: string;
  indication: Indication;
  subIndication?: SubIndication;
  message: string;
  untrustedRoot: boolean;
  verifiedAt: string;
  pades?: { revisions: number; items: PadesItemView[]; refusedChanges: string[] };
  sdos: SdoView[];
}

export const TEXT_LIMIT = 200_000;
export const PDF_LIMIT = 10 * 1024 * 1024;

/** The report as the API answers and the integrators' flow keeps it: without the PDFs' bytes. */
export const viewerJson = (r: ViewerReport): string => JSON.stringify(r, (k, v: unknown) => (k === 'pdf' ? undefined : v));
const RANK: Record<Indication, number> = { 'TOTAL-PASSED': 0, INDETERMINATE: 1, 'TOTAL-FAILED': 2 };

/** The file as the viewer sees it: `%PDF-` is a PAdES, anything else an LTV-SDO. */
export async function viewerReport(bytes: Uint8Array, anchors: x509.X509Certificate[], now = new Date()): Promise<ViewerReport> {
  const base = { size: bytes.length, sha256: createHash('sha256').update(bytes).digest('hex'), verifiedAt: now.toISOString() };
  if (Buffer.from(bytes.subarray(0, 5)).toString('latin1') === '%PDF-') {
    const r = await verifyPadesFile(bytes, anchors, { at: now });
    const sdos = await Promise.all(r.attachments.map(async (a) => ({ ...(await sdoView(a.data, anchors, a.result)), name: a.name })));
    const items = [...r.pades.signatures, ...r.pades.documentTimestamps].map((i): PadesItemView => ({
      kind: i.kind,
      field: i.fieldName,
      subFilter: i.subFilter,
      indication: i.indication,
      subIndication: i.subIndication,
      message: i.message,
      signer: i.signer?.subject,
      time: (i.genTime ?? i.timestamps[0]?.genTime ?? i.claimedTime)?.toISOString(),
      level: i.level?.level,
      coversWholeFile: i.coversWholeFile,
      laterChanges: i.laterChanges,
    }));
    const untrusted =
      [r.pades, ...r.pades.signatures, ...r.pades.documentTimestamps].some(noTrustedRoot) || sdos.some((x) => x.untrustedRoot);
    return {
      kind: 'pades',
      ...base,
      indication: r.indication,
      subIndication: r.pades.subIndication,
      message: r.pades.message,
      untrustedRoot: untrusted,
      pades: { revisions: r.pades.revisions, items, refusedChanges: r.pades.updates.flatMap((u) => u.refused) },
      sdos,
    };
  }
  const sdo = await sdoView(bytes, anchors);
  return {
    kind: 'ltv-sdo',
    ...base,
    indication: sdo.indication,
    subIndication: sdo.subIndication,
    message: sdo.message,
    untrustedRoot: sdo.untrustedRoot,
    sdos: [sdo],
  };
}

const noTrustedRoot = (r: { subIndication?: SubIndication }) => r.subIndication === 'NO_CERTIFICATE_CHAIN_FOUND';

/** One LTV-SDO read and verified (or its verification given, from a PAdES's attachment). */
async function sdoView(bytes: Uint8Array, anchors: x509.X509Certificate[], given?: OfflineResult): Promise<SdoView> {
  let parsed: ReturnType<typeof parseLtvSdo>;
  try {
    parsed = parseLtvSdo(bytes);
  } catch (e) {
    if (!(e instanceof LtvSdoFormatError)) throw e;
    return unreadable(e.message);
  }
  const root = parsed.document.documentElement;
  if (root?.localName !== 'LtvSdo' || root.namespaceURI !== LTVSDO_NS)
    return unreadable(`not an LTV-SDO: the root element is {${root?.namespaceURI ?? ''}}${root?.localName ?? '(none)'}`);
  const result = given ?? (await verifyLtvSdo(parsed.xml, anchors, parsed.document));
  const checks = [
    ...reportChecks('seal', result.seal),
    ...reportChecks('native signature', result.native),
    ...(result.authentication?.checks ?? []).map((c) => ({ name: `login evidence: ${c.name}`, ok: c.ok, detail: c.detail })),
  ];
  const worst = [result.seal, result.native]
    .filter((r): r is VerificationReport => !!r)
    .sort((a, b) => RANK[b.indication] - RANK[a.indication])[0];
  const view: SdoView = {
    indication: result.indication,
    subIndication: result.indication === 'TOTAL-PASSED' ? undefined : worst?.subIndication,
    message:
      result.indication === 'TOTAL-PASSED'
        ? 'every signature holds'
        : worst?.indication === 'TOTAL-PASSED'
          ? 'the login evidence does not hold'
          : (worst?.message ?? ''),
    untrustedRoot: [result.seal, result.native].some((r) => r && noTrustedRoot(r)),
    documents: [],
    checks,
    audit: auditTrail(parsed.document.documentElement!),
  };
  try {
    const s = readLtvSdo(parsed);
    view.signer = {
      name: s.signer.name,
      method: s.signer.level === 'simple' ? 'handwritten signature only (simple electronic signature)' : s.signer.certificateKind,
      pid: s.signer.pid,
      nationalIdMasked: s.signer.nationalId ? maskNationalId(s.signer.nationalId) : undefined,
      nationality: s.signer.nationality,
    };
    view.signedAt = s.trustedSigningTime.toISOString();
    view.signText = s.signText;
    if (s.handwriting)
      view.handwriting = {
        png: Buffer.from(s.handwriting.png).toString('base64'),
        width: s.handwriting.width,
        height: s.handwriting.height,
      };
    view.seal = s.seal;
    view.documents = s.documents.map((d) => ({
      id: d.id,
      description: d.description,
      mimeType: d.mimeType,
      size: d.bytes.length,
      sha256: d.sha256,
      ...(d.mimeType.startsWith('text/') ? { text: Buffer.from(d.bytes).toString('utf8').slice(0, TEXT_LIMIT) } : {}),
      ...(d.mimeType === 'application/pdf' && d.bytes.length <= PDF_LIMIT ? { pdf: Buffer.from(d.bytes).toString('base64') } : {}),
    }));
  } catch (e) {
    if (!(e instanceof LtvSdoFormatError)) throw e;
    // verified (and failed, or the verdict says why); what it signed cannot be read
    view.checks.push({ name: 'format', ok: false, detail: e.message });
    if (view.indication === 'TOTAL-PASSED')
      Object.assign(view, { indication: 'TOTAL-FAILED', subIndication: 'FORMAT_FAILURE', message: e.message });
  }
  return view;
}

function unreadable(why: string): SdoView {
  return {
    indication: 'TOTAL-FAILED',
    subIndication: 'FORMAT_FAILURE',
    message: why,
    untrustedRoot: false,
    unreadable: why,
    documents: [],
    checks: [],
    audit: [],
  };
}

const reportChecks = (what: string, r?: VerificationReport): ViewerCheck[] =>
  r
    ? r.checks.map((c) => ({ name: `${what}: ${c.name}`, ok: c.ok, detail: c.detail }))
    : [{ name: what, ok: false, detail: 'missing: the package holds no native signature' }];

/** The package's AuditTrail entries, as written. */
function auditTrail(root: SElement): SdoView['audit'] {
  return (childElements(root, LTVSDO_NS, 'AuditTrail') as SElement[]).flatMap((c) =>
    (childElements(c, LTVSDO_NS, 'Entry') as SElement[]).map((e) => ({
      time: e.getAttribute('Time') ?? '',
      type: e.getAttribute('Type') ?? '',
      text: e.textContent,
    })),
  );
}

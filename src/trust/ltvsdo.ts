// The LTV-SDO package (application/x-ltv-sdo): everything a stranger needs to validate a signature
// years later, as the packaging policy lists it (docs/ltvsdo.md). This module only builds the XML;
// xades.ts signs it (the seal) and verify.ts checks it. Element names follow what is known of
// Signicat's LTV-SDO 1.1 (SignerDescription, SignerNationalId, SignerNationality).
export const LTVSDO_NS = 'urn:segl:ltvsdo:1';
export const LTVSDO_MIME = 'application/x-ltv-sdo';

export interface ContextDescription {
  client?: { userAgent?: string; operatingSystem?: string; browser?: string; ip?: string };
  server: { operatingSystem: string; runtime: string; components: Array<{ name: string; version: string }> };
}

export interface AuditEntry { time: Date; type: string; text: string }

export interface LtvSdoInput {
  id: string;
  /** the native signature (a ds:Signature element as XML text) */
  nativeSignatureXml: string;
  signer: { name: string; pid?: string; nationalId?: string; nationality?: string; kind?: string };
  /** signing time from the trusted time source, with the RFC 3161 token over the native SignatureValue */
  trustedTime: { time: Date; tokenDer: Uint8Array; source: string };
  /** every certificate and OCSP response the initial verification used */
  validation: {
    certificates: Uint8Array[];
    ocspResponses: Uint8Array[];
    indication: string;
    subIndication?: string;
    verifiedAt: Date;
    checks: Array<{ name: string; ok: boolean; detail: string; at: Date }>;
  };
  creationContext: ContextDescription;
  verificationContext: ContextDescription;
  externalContext?: string;
  auditTrail: AuditEntry[];
}

const ESC: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' };
const x = (s: string): string => s.replace(/[&<>"]/g, (c) => ESC[c]!);
const b64 = (b: Uint8Array): string => Buffer.from(b).toString('base64');
const t = (d: Date): string => d.toISOString();
const el = (name: string, value: string | undefined): string => (value === undefined ? '' : `<${name}>${x(value)}</${name}>`);

/** Strips an XML declaration so the native signature can be embedded as an element. */
function asElement(xml: string): string {
  return xml.replace(/^\s*<\?xml[^>]*\?>\s*/, '');
}

function context(name: string, c: ContextDescription): string {
  const client = c.client
    ? `<Client>${el('OperatingSystem', c.client.operatingSystem)}${el('Browser', c.client.browser)}${el('UserAgent', c.client.userAgent)}${el('Address', c.client.ip)}</Client>`
    : '';
  const comps = c.server.components.map((k) => `<Component Name="${x(k.name)}" Version="${x(k.version)}"/>`).join('');
  return `<${name}>${client}<Server>${el('OperatingSystem', c.server.operatingSystem)}${el('Runtime', c.server.runtime)}${comps}</Server></${name}>`;
}

/** The unsealed package; its root carries the Id the seal's reference covers (URI=""). */
export function buildLtvSdo(p: LtvSdoInput): string {
  const v = p.validation;
  return `<?xml version="1.0" encoding="UTF-8"?>`
    + `<LtvSdo xmlns="${LTVSDO_NS}" Version="1" Id="${x(p.id)}">`
    + `<SignedDataObject>${asElement(p.nativeSignatureXml)}</SignedDataObject>`
    + `<SignerDescription>${el('SignerName', p.signer.name)}${el('SignerPid', p.signer.pid)}${el('SignerNationalId', p.signer.nationalId)}`
    + `${el('SignerNationality', p.signer.nationality)}${el('CertificateKind', p.signer.kind)}</SignerDescription>`
    + `<TrustedSigningTime Source="${x(p.trustedTime.source)}">${el('Time', t(p.trustedTime.time))}${el('TimeStampToken', b64(p.trustedTime.tokenDer))}</TrustedSigningTime>`
    + `<ValidationData>`
    + `<Certificates>${v.certificates.map((c) => el('Certificate', b64(c))).join('')}</Certificates>`
    + `<RevocationValues>${v.ocspResponses.map((o) => el('OcspResponse', b64(o))).join('')}</RevocationValues>`
    + `<InitialVerification Indication="${x(v.indication)}"${v.subIndication ? ` SubIndication="${x(v.subIndication)}"` : ''} At="${t(v.verifiedAt)}">`
    + v.checks.map((c) => `<Check Name="${x(c.name)}" Ok="${c.ok}" At="${t(c.at)}">${x(c.detail)}</Check>`).join('')
    + `</InitialVerification></ValidationData>`
    + context('SignatureCreationContext', p.creationContext)
    + context('VerificationContext', p.verificationContext)
    + el('ExternalContext', p.externalContext)
    + `<AuditTrail>${p.auditTrail.map((a) => `<Entry Time="${t(a.time)}" Type="${x(a.type)}">${x(a.text)}</Entry>`).join('')}</AuditTrail>`
    + `</LtvSdo>`;
}

/** A rough reading of a User-Agent header: enough to name the client's OS and browser. */
export function describeUserAgent(ua: string | undefined): { operatingSystem?: string; browser?: string; userAgent?: string } {
  if (!ua) return {};
  const os = /Windows NT [\d.]+|Mac OS X [\d_.]+|Android [\d.]+|iPhone OS [\d_]+|CrOS [\w.]+|Linux/.exec(ua)?.[0]?.replace(/_/g, '.');
  // Most specific first: Edge and Opera also say Chrome, Chrome also says Safari.
  const names: Array<[RegExp, string]> = [[/Edg\/([\d.]+)/, 'Edge'], [/OPR\/([\d.]+)/, 'Opera'], [/Firefox\/([\d.]+)/, 'Firefox'],
    [/Chrom(?:e|ium)\/([\d.]+)/, 'Chrome'], [/Version\/([\d.]+).*Safari/, 'Safari']];
  const hit = names.map(([re, name]) => [re.exec(ua), name] as const).find(([m]) => m);
  const browser = hit ? `${hit[1]}/${hit[0]![1]}` : undefined;
  return { operatingSystem: os, browser, userAgent: ua };
}

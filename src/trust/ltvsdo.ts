// The LTV-SDO package (application/x-ltv-sdo): everything a stranger needs to validate a signature
// years later, as the packaging policy lists it (docs/ltvsdo.md). This module only builds the XML;
// xades.ts signs it (the seal) and verify.ts checks it. Element names follow what is known of
// Signicat's LTV-SDO 1.1 (SignerDescription, SignerNationalId, SignerNationality).
import { el, raw, render, type XChild, type XEl } from './xml/c14n';
import type { SElement } from './xml/strictxml';

export const LTVSDO_NS = 'urn:segl:ltvsdo:1';

/** What a SignerDescription/SignatureLevel says, by its Level. */
export const SIGNATURE_LEVELS = {
  simple:
    'simple electronic signature: a handwritten signature drawn in the portal, with no eID and no certificate of the signer; ' +
    "the platform's certificate signs the act (documents, sign text, drawing and device) and its seal covers the package",
} as const;

/** The level a package's SignerDescription states (its SignatureLevel's Level), if one segl writes: `simple`. */
export function signatureLevelOf(signerDescription: SElement | undefined): 'simple' | undefined {
  for (let c = signerDescription?.firstChild; c; c = c.nextSibling)
    if (c.nodeType === 1 && c.namespaceURI === LTVSDO_NS && c.localName === 'SignatureLevel' && c.getAttribute('Level') === 'simple')
      return 'simple';
  return undefined;
}

/** The signer description of a handwriting-only signature (docs/ltvsdo.md): nobody identified, level `simple`. */
export const HANDWRITING_ONLY_SIGNER = { name: 'not identified (handwritten signature only)', level: 'simple' } as const;

export interface ContextDescription {
  client?: { userAgent?: string; operatingSystem?: string; browser?: string; ip?: string };
  server: { operatingSystem: string; runtime: string; components: Array<{ name: string; version: string }> };
}

export interface AuditEntry {
  time: Date;
  type: string;
  text: string;
}

export interface LtvSdoInput {
  id: string;
  /** the native signature (a ds:Signature element as XML text) */
  nativeSignatureXml: string;
  /** an employee's certificate (MOCES) also names the organisation, its CVR number and the employee's RID */
  signer: {
    name: string;
    pid?: string;
    nationalId?: string;
    nationality?: string;
    kind?: string;
    organisation?: string;
    cvr?: string;
    rid?: string;
    /** `simple`: a simple electronic signature (a handwriting-only signature: no eID, no certificate of the signer) */
    level?: 'simple';
  };
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
  /**
   * the head of the request's tamper-evident history when the package was made (docs/audit.md): the
   * last event's number within the request and its hash
   */
  historyHead?: { requestId: string; seq: number; hash: string; algorithm: string };
  /** an authentication-based signature: the eID's answer that names the signer and commits to the act */
  authentication?: AuthenticationEvidenceInput;
}

/**
 * An OpenID Connect login as evidence (docs/ltvsdo.md): the ID token as received, the broker's JWKS and
 * discovery document as fetched (bytes, base64), userinfo when a claim came from it (unsigned), and the
 * inputs of the nonce (trust/oidc/nonce.ts) the ID token carries.
 */
export interface AuthenticationEvidenceInput {
  protocol: 'openid-connect';
  method: string;
  issuer: string;
  clientId: string;
  idToken: string;
  jwks: string;
  discovery: string;
  userinfo?: string;
  nonceInputs: { taskId: string; signText: string; documents: ReadonlyArray<{ id: string; sha256: string }> };
}

function evidence(a: AuthenticationEvidenceInput): XEl {
  const n = a.nonceInputs;
  return l(
    'AuthenticationEvidence',
    { Protocol: a.protocol, Method: a.method },
    l('Issuer', null, a.issuer),
    l('ClientId', null, a.clientId),
    l('IdToken', null, a.idToken),
    l('Jwks', null, a.jwks),
    l('DiscoveryDocument', null, a.discovery),
    opt('UserInfo', a.userinfo),
    l(
      'NonceInputs',
      { TaskId: n.taskId },
      l('SignText', null, n.signText),
      ...n.documents.map((d) => l('Document', { Id: d.id, Sha256: d.sha256 })),
    ),
  );
}

const b64 = (b: Uint8Array): string => Buffer.from(b).toString('base64');
const t = (d: Date): string => d.toISOString();
const l = (name: string, attrs: Record<string, string | undefined> | null, ...children: XChild[]): XEl =>
  el(name, LTVSDO_NS, attrs, ...children);
/** An element with text, left out when the value is undefined. */
const opt = (name: string, value: string | undefined): XChild => (value === undefined ? undefined : l(name, null, value));

/**
 * The native signature as a fragment: without an XML declaration, and as createNativeSignature writes
 * it, i.e. in exclusive canonical form with its own ds/xades/sp declarations (checked loosely here;
 * a seal over a package whose fragment is not canonical does not verify, see createSeal `canonical`).
 */
function asElement(xml: string): string {
  const fragment = xml.replace(/^\s*<\?xml[^>]*\?>\s*/, '');
  if (!/^<ds:Signature xmlns:ds="http:\/\/www\.w3\.org\/2000\/09\/xmldsig#"[ >]/.test(fragment) || !fragment.endsWith('</ds:Signature>')) {
    throw new Error('LTV-SDO: the native signature is not a canonical ds:Signature element');
  }
  return fragment;
}

function context(name: string, c: ContextDescription): XEl {
  const client =
    c.client &&
    l(
      'Client',
      null,
      opt('OperatingSystem', c.client.operatingSystem),
      opt('Browser', c.client.browser),
      opt('UserAgent', c.client.userAgent),
      opt('Address', c.client.ip),
    );
  return l(
    name,
    null,
    client,
    l(
      'Server',
      null,
      opt('OperatingSystem', c.server.operatingSystem),
      opt('Runtime', c.server.runtime),
      ...c.server.components.map((k) => l('Component', { Name: k.name, Version: k.version })),
    ),
  );
}

/**
 * The unsealed package; its root carries the Id the seal's reference covers (URI=""). Written in
 * exclusive canonical form (c14n.ts) after the XML declaration, so the seal digests these bytes as
 * they are (createSeal with `canonical: true`).
 */
export function buildLtvSdo(p: LtvSdoInput): string {
  const v = p.validation;
  const root = l(
    'LtvSdo',
    { Version: '1', Id: p.id },
    l('SignedDataObject', null, raw(asElement(p.nativeSignatureXml))),
    l(
      'SignerDescription',
      null,
      opt('SignerName', p.signer.name),
      opt('SignerPid', p.signer.pid),
      opt('SignerNationalId', p.signer.nationalId),
      opt('SignerNationality', p.signer.nationality),
      opt('CertificateKind', p.signer.kind),
      opt('SignerOrganisation', p.signer.organisation),
      opt('SignerCvr', p.signer.cvr),
      opt('SignerRid', p.signer.rid),
      p.signer.level && l('SignatureLevel', { Level: p.signer.level }, SIGNATURE_LEVELS[p.signer.level]),
    ),
    p.authentication && evidence(p.authentication),
    l(
      'TrustedSigningTime',
      { Source: p.trustedTime.source },
      opt('Time', t(p.trustedTime.time)),
      opt('TimeStampToken', b64(p.trustedTime.tokenDer)),
    ),
    l(
      'ValidationData',
      null,
      l('Certificates', null, ...v.certificates.map((c) => l('Certificate', null, b64(c)))),
      l('RevocationValues', null, ...v.ocspResponses.map((o) => l('OcspResponse', null, b64(o)))),
      l(
        'InitialVerification',
        { Indication: v.indication, SubIndication: v.subIndication || undefined, At: t(v.verifiedAt) },
        ...v.checks.map((c) => l('Check', { Name: c.name, Ok: String(c.ok), At: t(c.at) }, c.detail)),
      ),
    ),
    context('SignatureCreationContext', p.creationContext),
    context('VerificationContext', p.verificationContext),
    opt('ExternalContext', p.externalContext),
    l(
      'AuditTrail',
      null,
      p.historyHead &&
        l('HistoryChainHead', {
          RequestId: p.historyHead.requestId,
          Seq: String(p.historyHead.seq),
          Hash: p.historyHead.hash,
          Algorithm: p.historyHead.algorithm,
        }),
      ...p.auditTrail.map((a) => l('Entry', { Time: t(a.time), Type: a.type }, a.text)),
    ),
  );
  return `<?xml version="1.0" encoding="UTF-8"?>${render(root)}`;
}

/** A rough reading of a User-Agent header: enough to name the client's OS and browser. */
export function describeUserAgent(ua: string | undefined): { operatingSystem?: string; browser?: string; userAgent?: string } {
  if (!ua) return {};
  const os = /Windows NT [\d.]+|Mac OS X [\d_.]+|Android [\d.]+|iPhone OS [\d_]+|CrOS [\w.]+|Linux/.exec(ua)?.[0]?.replace(/_/g, '.');
  // Most specific first: Edge and Opera also say Chrome, Chrome also says Safari.
  const names: Array<[RegExp, string]> = [
    [/Edg\/([\d.]+)/, 'Edge'],
    [/OPR\/([\d.]+)/, 'Opera'],
    [/Firefox\/([\d.]+)/, 'Firefox'],
    [/Chrom(?:e|ium)\/([\d.]+)/, 'Chrome'],
    [/Version\/([\d.]+).*Safari/, 'Safari'],
  ];
  const hit = names.map(([re, name]) => [re.exec(ua), name] as const).find(([m]) => m);
  const browser = hit ? `${hit[1]}/${hit[0]![1]}` : undefined;
  return { operatingSystem: os, browser, userAgent: ua };
}

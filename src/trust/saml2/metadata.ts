// SAML 2.0 metadata (OASIS saml-metadata-2.0-os): reading a service provider's EntityDescriptor and
// writing the identity provider's. Reading is strict and narrow: strictxml.ts (no DTD, no entities),
// one md:EntityDescriptor as the root (§2.3.2; an EntitiesDescriptor is refused: one SP per file),
// exactly one md:SPSSODescriptor (§2.4.4) supporting the SAML 2.0 protocol, its AuthnRequestsSigned
// and WantAssertionsSigned (xs:boolean), its signing certificates (md:KeyDescriptor with use
// "signing" or no use, §2.4.1.1, ds:KeyInfo/ds:X509Data/ds:X509Certificate) and its
// AssertionConsumerService endpoints with the HTTP-POST binding (§2.4.4.1, IndexedEndpointType
// §2.2.3: index required, isDefault optional). Everything else in the file is kept but not read.
//
// Not implemented: a signature on the metadata (the operator registers the file it trusts), other
// ACS bindings (segl answers by HTTP-POST only), encryption keys (assertions are not encrypted),
// validUntil/cacheDuration (a registration stays until it is removed).
// first: it loads reflect-metadata, which @peculiar/x509 needs before it loads
import '../crypto';
import * as x509 from '@peculiar/x509';
import { el, type XEl } from '../xml/c14n';
import { parseStrict, StrictXmlError, type SElement } from '../xml/strictxml';

export const MD_NS = 'urn:oasis:names:tc:SAML:2.0:metadata';
export const DS_NS = 'http://www.w3.org/2000/09/xmldsig#';
export const SAML2_PROTOCOL = 'urn:oasis:names:tc:SAML:2.0:protocol';
export const SAML2_ASSERTION = 'urn:oasis:names:tc:SAML:2.0:assertion';
export const BINDING_POST = 'urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST';
export const BINDING_REDIRECT = 'urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect';
/** Largest metadata file read (an SP's with a few certificates is a few kB). */
export const MAX_METADATA_BYTES = 256 * 1024;
/** entityID is at most 1024 characters (saml-core §8.3.6). */
export const MAX_ENTITY_ID = 1024;

export interface AcsEndpoint {
  url: string;
  index: number;
  isDefault: boolean;
}

/** What segl keeps of an SP's metadata. */
export interface SpMetadata {
  entityId: string;
  /** HTTP-POST AssertionConsumerService endpoints, in document order */
  acs: AcsEndpoint[];
  /** signing certificates, DER */
  certificates: Uint8Array[];
  authnRequestsSigned: boolean;
  wantAssertionsSigned: boolean;
}

/** Metadata segl cannot register; the message names the element and the rule. */
export class MetadataError extends Error {
  override name = 'MetadataError';
}

function elements(parent: SElement, ns: string, local: string): SElement[] {
  const out: SElement[] = [];
  for (let n = parent.firstChild; n; n = n.nextSibling) {
    if (n.nodeType === 1 && n.namespaceURI === ns && n.localName === local) out.push(n);
  }
  return out;
}

/** xs:boolean (XML Schema 2 §3.2.2): true, false, 1, 0; absent → the default. */
function xsBoolean(e: SElement, attr: string, dflt: boolean): boolean {
  const v = e.getAttribute(attr);
  if (v === null) return dflt;
  const t = v.trim();
  if (t === 'true' || t === '1') return true;
  if (t === 'false' || t === '0') return false;
  throw new MetadataError(`md:${e.localName} ${attr}="${v}" is not an xs:boolean (true, false, 1 or 0)`);
}

/** An absolute http(s) URL: where a browser is sent must be a web address, not javascript: or data:. */
export function isWebUrl(s: string): boolean {
  try {
    const u = new URL(s);
    return (u.protocol === 'https:' || u.protocol === 'http:') && !u.username && !u.password && u.href.length <= 2048;
  } catch {
    return false;
  }
}

function acsEndpoints(sp: SElement): AcsEndpoint[] {
  const out: AcsEndpoint[] = [];
  for (const e of elements(sp, MD_NS, 'AssertionConsumerService')) {
    if (e.getAttribute('Binding') !== BINDING_POST) continue;
    const url = e.getAttribute('Location') ?? '';
    if (!isWebUrl(url)) throw new MetadataError(`md:AssertionConsumerService Location "${url}" must be an absolute http or https URL`);
    const index = e.getAttribute('index');
    if (index === null || !/^\d{1,5}$/.test(index.trim()) || Number(index) > 65535)
      throw new MetadataError(`md:AssertionConsumerService ${url}: index must be an unsigned short (§2.2.3)`);
    if (out.some((a) => a.index === Number(index)))
      throw new MetadataError(`md:AssertionConsumerService index ${Number(index)} is used twice`);
    out.push({ url, index: Number(index), isDefault: xsBoolean(e, 'isDefault', false) });
  }
  if (!out.length) throw new MetadataError('md:SPSSODescriptor has no md:AssertionConsumerService with the HTTP-POST binding');
  if (out.filter((a) => a.isDefault).length > 1) throw new MetadataError('more than one md:AssertionConsumerService has isDefault="true"');
  return out;
}

function signingCertificates(sp: SElement): Uint8Array[] {
  const out: Uint8Array[] = [];
  for (const kd of elements(sp, MD_NS, 'KeyDescriptor')) {
    const use = kd.getAttribute('use');
    if (use !== null && use !== 'signing' && use !== 'encryption')
      throw new MetadataError(`md:KeyDescriptor use="${use}" must be signing or encryption`);
    if (use === 'encryption') continue;
    for (const ki of elements(kd, DS_NS, 'KeyInfo')) {
      for (const xd of elements(ki, DS_NS, 'X509Data')) {
        for (const c of elements(xd, DS_NS, 'X509Certificate')) {
          const der = new Uint8Array(Buffer.from(c.textContent.replace(/\s+/g, ''), 'base64'));
          try {
            new x509.X509Certificate(der);
          } catch {
            throw new MetadataError('ds:X509Certificate in md:KeyDescriptor is not a DER X.509 certificate in base64');
          }
          out.push(der);
        }
      }
    }
  }
  return out;
}

/** Reads an SP's metadata; throws MetadataError naming what is wrong. */
export function parseSpMetadata(xml: string): SpMetadata {
  if (Buffer.byteLength(xml, 'utf8') > MAX_METADATA_BYTES)
    throw new MetadataError(`the metadata is larger than ${MAX_METADATA_BYTES} bytes`);
  let root: SElement;
  try {
    root = parseStrict(xml).documentElement!;
  } catch (e) {
    throw new MetadataError(`the metadata is not well-formed XML segl accepts: ${e instanceof StrictXmlError ? e.message : String(e)}`);
  }
  if (root.namespaceURI !== MD_NS || root.localName !== 'EntityDescriptor')
    throw new MetadataError(`the root element must be md:EntityDescriptor (${MD_NS}), not ${root.nodeName}`);
  const entityId = root.getAttribute('entityID') ?? '';
  if (!entityId || entityId.length > MAX_ENTITY_ID || /\s/.test(entityId))
    throw new MetadataError(`md:EntityDescriptor entityID must be a URI of at most ${MAX_ENTITY_ID} characters without spaces`);
  const sps = elements(root, MD_NS, 'SPSSODescriptor');
  if (sps.length !== 1) throw new MetadataError(`md:EntityDescriptor must hold exactly one md:SPSSODescriptor (it holds ${sps.length})`);
  const sp = sps[0]!;
  const protocols = (sp.getAttribute('protocolSupportEnumeration') ?? '').split(/\s+/);
  if (!protocols.includes(SAML2_PROTOCOL))
    throw new MetadataError(`md:SPSSODescriptor protocolSupportEnumeration must include ${SAML2_PROTOCOL}`);
  const authnRequestsSigned = xsBoolean(sp, 'AuthnRequestsSigned', false);
  const certificates = signingCertificates(sp);
  if (authnRequestsSigned && !certificates.length)
    throw new MetadataError('md:SPSSODescriptor has AuthnRequestsSigned="true" but no md:KeyDescriptor with a signing certificate');
  return {
    entityId,
    acs: acsEndpoints(sp),
    certificates,
    authnRequestsSigned,
    // absent: segl signs the Assertion as well as the Response
    wantAssertionsSigned: xsBoolean(sp, 'WantAssertionsSigned', true),
  };
}

export interface IdpMetadataInput {
  entityId: string;
  ssoUrl: string;
  certificateDer: Uint8Array;
  wantAuthnRequestsSigned: boolean;
  nameIdFormats: readonly string[];
}

/** The IdP's md:EntityDescriptor (§2.4.3 IDPSSODescriptor), canonical as written (c14n.ts). */
export function idpMetadata(o: IdpMetadataInput): XEl {
  const md = (local: string, attrs: Record<string, string | undefined> | null, ...children: Array<XEl | string>) =>
    el(`md:${local}`, MD_NS, attrs, ...children);
  const ds = (local: string, ...children: Array<XEl | string>) => el(`ds:${local}`, DS_NS, null, ...children);
  return md(
    'EntityDescriptor',
    { entityID: o.entityId },
    md(
      'IDPSSODescriptor',
      { WantAuthnRequestsSigned: String(o.wantAuthnRequestsSigned), protocolSupportEnumeration: SAML2_PROTOCOL },
      md(
        'KeyDescriptor',
        { use: 'signing' },
        ds('KeyInfo', ds('X509Data', ds('X509Certificate', Buffer.from(o.certificateDer).toString('base64')))),
      ),
      ...o.nameIdFormats.map((f) => md('NameIDFormat', null, f)),
      md('SingleSignOnService', { Binding: BINDING_REDIRECT, Location: o.ssoUrl }),
      md('SingleSignOnService', { Binding: BINDING_POST, Location: o.ssoUrl }),
    ),
  );
}

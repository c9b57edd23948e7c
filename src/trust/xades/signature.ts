// XAdES signatures (ETSI EN 319 132-1 V1.2.1, over W3C XML Signature 1.1): the signer's native
// signature (enveloping, baseline B-B) and the platform seal over a whole LTV-SDO package
// (enveloped, baseline B-B plus CertificateValues and RevocationValues, no time-stamp).
//
// Both are written here directly, in exclusive canonical form (c14n.ts el/render): every signed part
// (the SignProperties object, SignedProperties, SignedInfo, and a package that buildLtvSdo wrote) is
// digested or signed over exactly the bytes exclusive C14N gives for it, without a DOM round trip.
// SignedInfo is signed with WebCrypto (RSASSA-PKCS1-v1_5, SHA-256). Every reference, SignedProperties
// included, carries exclusive C14N explicitly: the inclusive C14N 1.0 a transform-less reference
// would get (XMLDSig §4.4.3.3) depends on the namespaces in scope where the signature later sits.
//
// ---------------------------------------------------------------------------------------------
// Identifiers
// ---------------------------------------------------------------------------------------------
import { crypto } from '../crypto';
import type { RawSigner } from '../sources';
import { createHash } from 'node:crypto';
import { el, render, type XChild, type XEl } from '../xml/c14n';
import { isXmlText, NS } from '../xml/dom';

/** Namespace of segl's SignProperties (the signed content of a native signature). */
export const SIGNPROPERTIES_NS = 'urn:segl:signproperties:1';
/** id-cti-ets-proofOfApproval (RFC 5126 §5.11.1; ETSI TS 119 172-1 Annex B commitment types). */
export const PROOF_OF_APPROVAL_OID = '1.2.840.113549.1.9.16.6.5';
/** Media type of an LTV-SDO package, the default DataObjectFormat of a seal. */
export const LTV_SDO_MIME_TYPE = 'application/x-ltv-sdo';

export const ALG = {
  excC14n: 'http://www.w3.org/2001/10/xml-exc-c14n#',
  enveloped: 'http://www.w3.org/2000/09/xmldsig#enveloped-signature',
  sha256: 'http://www.w3.org/2001/04/xmlenc#sha256',
  rsaSha256: 'http://www.w3.org/2001/04/xmldsig-more#rsa-sha256',
} as const;

/** ds:Reference Type of a ds:Object (XMLDSig 1.1 §4.4.3.1) and of XAdES SignedProperties (EN 319 132-1 §4.3.1). */
export const OBJECT_TYPE = 'http://www.w3.org/2000/09/xmldsig#Object';
const SIGNED_PROPERTIES_TYPE = 'http://uri.etsi.org/01903#SignedProperties';
export const SIGN_ALGORITHM = { name: 'RSASSA-PKCS1-v1_5', hash: { name: 'SHA-256' } };

// ---------------------------------------------------------------------------------------------
// Small helpers
// ---------------------------------------------------------------------------------------------

export function sha256(data: Uint8Array | string): Uint8Array {
  return new Uint8Array(createHash('sha256').update(data).digest());
}

export function b64(data: ArrayBuffer | Uint8Array): string {
  return Buffer.from(data instanceof Uint8Array ? data : new Uint8Array(data)).toString('base64');
}

export function randomId(prefix: string): string {
  return `${prefix}-${Buffer.from(crypto.getRandomValues(new Uint8Array(8))).toString('hex')}`;
}

/**
 * Line ends as any XML parser would leave them (CRLF, CR, NEL, LS, PS → LF), so a sign text or
 * description reads the same after any number of parse/serialize rounds.
 */
export function normaliseLines(s: string): string {
  return s.replace(/\r\n?|[\u0085\u2028\u2029]/g, '\n');
}

export function requireXmlText(s: string, what: string): string {
  if (!isXmlText(s)) throw new Error(`${what} contains characters XML 1.0 cannot carry`);
  return s;
}

export const ds = (local: string, attrs: Record<string, string | undefined> | null, ...children: XChild[]): XEl =>
  el(`ds:${local}`, NS.ds, attrs, ...children);
export const xa = (local: string, attrs: Record<string, string | undefined> | null, ...children: XChild[]): XEl =>
  el(`xades:${local}`, NS.xades, attrs, ...children);

/** ds:DigestMethod (SHA-256) and ds:DigestValue, as in a Reference, CertDigest or SigPolicyHash. */
export function digestParts(digest: Uint8Array): XEl[] {
  return [ds('DigestMethod', { Algorithm: ALG.sha256 }), ds('DigestValue', null, b64(digest))];
}

/**
 * SigningCertificateV2 (EN 319 132-1 §5.2.2) with a SHA-256 CertDigest and no IssuerSerialV2 (as
 * xadesjs wrote it).
 */
export function signingCertificateV2(der: Uint8Array): XEl {
  return xa('SigningCertificateV2', null, xa('Cert', null, xa('CertDigest', null, ...digestParts(sha256(der)))));
}

/** xades:DataObjectFormat (EN 319 132-1 §5.2.4) for the reference with Id `refId`. */
export function dataObjectFormat(refId: string, mimeType: string, description: string): XEl {
  return xa('DataObjectFormat', { ObjectReference: `#${refId}` }, xa('Description', null, description), xa('MimeType', null, mimeType));
}

interface ReferenceSpec {
  id?: string;
  uri: string;
  type?: string;
  transforms: string[];
  digest: Uint8Array;
}

/** The RSASSA-PKCS1-v1_5 SHA-256 key SignatureMethod rsa-sha256 promises (WebCrypto takes the hash from the key). */

/**
 * A XAdES ds:Signature (XMLDSig 1.1 §4, EN 319 132-1 §4.3): SignedInfo with `references` plus the
 * SignedProperties reference (Type …#SignedProperties, exclusive C14N), SignatureValue over the
 * canonical SignedInfo, KeyInfo with the certificate, one ds:Object with QualifyingProperties
 * (`signedProperties`, then `unsignedProperties` if any), then `objects`. Written canonically.
 */
export async function xadesSignature(o: {
  sigId: string;
  /** signs the canonical SignedInfo (RSASSA-PKCS1-v1_5 SHA-256, as SignatureMethod says) */
  sign: RawSigner;
  certificateDer: Uint8Array;
  references: ReferenceSpec[];
  signedProperties: XEl;
  unsignedProperties?: XEl;
  objects?: XEl[];
}): Promise<string> {
  const references: ReferenceSpec[] = [
    ...o.references,
    {
      uri: `#${o.sigId}-signedprops`,
      type: SIGNED_PROPERTIES_TYPE,
      transforms: [ALG.excC14n],
      digest: sha256(render(o.signedProperties)),
    },
  ];
  const signedInfo = ds(
    'SignedInfo',
    null,
    ds('CanonicalizationMethod', { Algorithm: ALG.excC14n }),
    ds('SignatureMethod', { Algorithm: ALG.rsaSha256 }),
    ...references.map((r) =>
      ds(
        'Reference',
        { Id: r.id, Type: r.type, URI: r.uri },
        ds('Transforms', null, ...r.transforms.map((t) => ds('Transform', { Algorithm: t }))),
        ...digestParts(r.digest),
      ),
    ),
  );
  const value = await o.sign(Buffer.from(render(signedInfo), 'utf8'));
  return render(
    ds(
      'Signature',
      { Id: o.sigId },
      signedInfo,
      ds('SignatureValue', null, b64(value)),
      ds('KeyInfo', null, ds('X509Data', null, ds('X509Certificate', null, b64(o.certificateDer)))),
      ds('Object', null, xa('QualifyingProperties', { Target: `#${o.sigId}` }, o.signedProperties, o.unsignedProperties)),
      ...(o.objects ?? []),
    ),
  );
}

// ---------------------------------------------------------------------------------------------

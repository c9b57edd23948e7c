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
// Reading back (parseSignature, verifySignatureCore) still uses xadesjs/xmldsigjs, with one
// correction in SeglSignedXml: xmldsigjs's enveloped-signature transform removes every ds:Signature
// that is a child of the signed root, not only the enclosing one (XMLDSig 1.1 §6.6.4), which breaks a
// seal over a package that holds another signature at that level. verify.ts has its own validator.
import { crypto, type CryptoKey } from '../crypto';
import type { SigningIdentity } from '../sources';
import { createHash } from 'node:crypto';
import * as x509 from '@peculiar/x509';
import * as xadesjs from 'xadesjs';
import * as xmldsigjs from 'xmldsigjs';
import { canonicalise, el, render, type XChild, type XEl } from '../xml/c14n';
import {
  base64Bytes,
  childElement,
  childElements,
  descendants,
  isXmlText,
  NS,
  parseXml,
  serializeXml,
  textOf,
  useXades,
  FRAGILE_LINE_CHARS,
  type Document,
  type Element,
} from '../xml/dom';
useXades();

// ---------------------------------------------------------------------------------------------
// Identifiers
// ---------------------------------------------------------------------------------------------

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
const OBJECT_TYPE = 'http://www.w3.org/2000/09/xmldsig#Object';
const SIGNED_PROPERTIES_TYPE = 'http://uri.etsi.org/01903#SignedProperties';
const SIGN_ALGORITHM = { name: 'RSASSA-PKCS1-v1_5', hash: { name: 'SHA-256' } };

// ---------------------------------------------------------------------------------------------
// xadesjs (reading only) with the enveloped-signature correction described at the top
// ---------------------------------------------------------------------------------------------

// Parameters are `any`: their declared types (Algorithm, Element, …) come from the DOM lib, which
// tsconfig does not load.
class SeglSignedXml extends xadesjs.SignedXml {
  /** XMLDSig 1.1 §6.6.4: the enveloped-signature transform removes only the Signature containing it. */
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- DOM-lib types, not loaded (see above)
  protected override ApplyTransforms(transforms: any, input: any): any {
    const rest = new xmldsigjs.Transforms();
    let enveloped = false;
    for (const t of transforms.GetIterator()) {
      if (t instanceof xmldsigjs.XmlDsigEnvelopedSignatureTransform) enveloped = true;
      else rest.Add(t);
    }
    if (!enveloped) return super.ApplyTransforms(transforms, input);
    const own = this.findOwnSignature(input as Element);
    own?.parentNode?.removeChild(own);
    if (rest.Count) return super.ApplyTransforms(rest, input);
    // A node-set left as the last output is turned into octets with C14N 1.0 (XMLDSig 1.1 §4.4.3.2).
    const c14n = new xmldsigjs.XmlDsigC14NTransform();
    c14n.LoadInnerXml(input);
    return c14n.GetOutput();
  }

  /** This signature inside `root` (by Id, else by SignatureValue); none while signing. */
  private findOwnSignature(root: Element): Element | undefined {
    const id = this.XmlSignature.Id;
    const value = this.Signature ? Buffer.from(this.Signature).toString('base64') : undefined;
    const candidates =
      root.localName === 'Signature' && root.namespaceURI === NS.ds
        ? [root, ...descendants(root, NS.ds, 'Signature')]
        : descendants(root, NS.ds, 'Signature');
    for (const sig of candidates) {
      if (id && sig.getAttribute('Id') === id) return sig;
      if (!id && value && textOf(childElement(sig, NS.ds, 'SignatureValue')).replace(/\s/g, '') === value) return sig;
    }
    return undefined;
  }
}

// ---------------------------------------------------------------------------------------------
// Small helpers
// ---------------------------------------------------------------------------------------------

function sha256(data: Uint8Array | string): Uint8Array {
  return new Uint8Array(createHash('sha256').update(data).digest());
}

function b64(data: ArrayBuffer | Uint8Array): string {
  return Buffer.from(data instanceof Uint8Array ? data : new Uint8Array(data)).toString('base64');
}

function randomId(prefix: string): string {
  return `${prefix}-${Buffer.from(crypto.getRandomValues(new Uint8Array(8))).toString('hex')}`;
}

/**
 * Line ends as any XML parser would leave them (CRLF, CR, NEL, LS, PS → LF), so a sign text or
 * description reads the same after any number of parse/serialize rounds.
 */
function normaliseLines(s: string): string {
  return s.replace(/\r\n?|[\u0085\u2028\u2029]/g, '\n');
}

function requireXmlText(s: string, what: string): string {
  if (!isXmlText(s)) throw new Error(`${what} contains characters XML 1.0 cannot carry`);
  return s;
}

const ds = (local: string, attrs: Record<string, string | undefined> | null, ...children: XChild[]): XEl =>
  el(`ds:${local}`, NS.ds, attrs, ...children);
const xa = (local: string, attrs: Record<string, string | undefined> | null, ...children: XChild[]): XEl =>
  el(`xades:${local}`, NS.xades, attrs, ...children);

/** ds:DigestMethod (SHA-256) and ds:DigestValue, as in a Reference, CertDigest or SigPolicyHash. */
function digestParts(digest: Uint8Array): XEl[] {
  return [ds('DigestMethod', { Algorithm: ALG.sha256 }), ds('DigestValue', null, b64(digest))];
}

/**
 * SigningCertificateV2 (EN 319 132-1 §5.2.2) with a SHA-256 CertDigest and no IssuerSerialV2 (as
 * xadesjs wrote it).
 */
function signingCertificateV2(der: Uint8Array): XEl {
  return xa('SigningCertificateV2', null, xa('Cert', null, xa('CertDigest', null, ...digestParts(sha256(der)))));
}

/** xades:DataObjectFormat (EN 319 132-1 §5.2.4) for the reference with Id `refId`. */
function dataObjectFormat(refId: string, mimeType: string, description: string): XEl {
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
function requireRsaSha256(key: CryptoKey): void {
  const alg = key.algorithm as { name?: string; hash?: { name?: string } };
  if (alg.name !== 'RSASSA-PKCS1-v1_5' || alg.hash?.name !== 'SHA-256' || key.type !== 'private') {
    throw new Error('the signing key must be an RSASSA-PKCS1-v1_5 SHA-256 private key');
  }
}

/**
 * A XAdES ds:Signature (XMLDSig 1.1 §4, EN 319 132-1 §4.3): SignedInfo with `references` plus the
 * SignedProperties reference (Type …#SignedProperties, exclusive C14N), SignatureValue over the
 * canonical SignedInfo, KeyInfo with the certificate, one ds:Object with QualifyingProperties
 * (`signedProperties`, then `unsignedProperties` if any), then `objects`. Written canonically.
 */
async function xadesSignature(o: {
  sigId: string;
  key: CryptoKey;
  certificateDer: Uint8Array;
  references: ReferenceSpec[];
  signedProperties: XEl;
  unsignedProperties?: XEl;
  objects?: XEl[];
}): Promise<string> {
  requireRsaSha256(o.key);
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
  const value = await crypto.subtle.sign(SIGN_ALGORITHM, o.key, Buffer.from(render(signedInfo), 'utf8'));
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
// Native signature (the signer's act)
// ---------------------------------------------------------------------------------------------

export interface DocumentToSign {
  /** The document's id in the signing order (written as the DocumentId attribute; not an XML ID). */
  id: string;
  description: string;
  mimeType: string;
  bytes: Uint8Array;
}

export interface NativeSignatureInput {
  signer: SigningIdentity;
  /** The commitment text shown to the signer. Line ends are normalised to LF. */
  signText: string;
  /** One or more documents; several make one signature over one bundle. */
  documents: DocumentToSign[];
  signingTime?: Date;
}

/** How a document's bytes sit in SignProperties. */
export type AttachmentKind = 'attachedpdf' | 'attachedtext' | 'attacheddata';

/** Fixed statement in every SignProperties, binding the sign text to the listed documents. */
export const COMMITMENT_STATEMENT =
  'By signing, the signer approves the sign text above and commits to every document listed below, ' +
  'each identified by its media type and the SHA-256 digest of its exact bytes.';

const MIME =
  /^[A-Za-z0-9][A-Za-z0-9!#$&^_.+-]{0,126}\/[A-Za-z0-9][A-Za-z0-9!#$&^_.+-]{0,126}(\s*;\s*[A-Za-z0-9!#$&^_.+-]+=("[^"\\\r\n]*"|[A-Za-z0-9!#$&^_.+-]+))*$/;

function baseType(mimeType: string): string {
  return mimeType.split(';')[0].trim().toLowerCase();
}

/**
 * Text documents are carried as text when the bytes are UTF-8 (or US-ASCII), every character is an
 * XML character and no character is one a parser rewrites (CR, NEL, LS, PS: a CRLF file would come
 * back as LF after any naive re-serialization, and its digest would no longer match). Otherwise,
 * and for every non-text type, the bytes are carried base64-encoded.
 */
function attachment(doc: DocumentToSign): { kind: AttachmentKind; base64: boolean; content: string } {
  const type = baseType(doc.mimeType);
  if (type === 'application/pdf') return { kind: 'attachedpdf', base64: true, content: b64(doc.bytes) };
  if (type.startsWith('text/')) {
    const charset = /;\s*charset\s*=\s*"?([^";\s]+)/i.exec(doc.mimeType)?.[1]?.toLowerCase();
    if (!charset || charset === 'utf-8' || charset === 'utf8' || charset === 'us-ascii') {
      try {
        const text = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true }).decode(doc.bytes);
        if (isXmlText(text) && !FRAGILE_LINE_CHARS.test(text)) return { kind: 'attachedtext', base64: false, content: text };
      } catch {
        /* not UTF-8: base64 below */
      }
    }
    return { kind: 'attachedtext', base64: true, content: b64(doc.bytes) };
  }
  return { kind: 'attacheddata', base64: true, content: b64(doc.bytes) };
}

/**
 * The signed content of a native signature: segl's SignProperties, modelled on NemID/OpenSign's
 * signature properties (the sign text shown, the PDF base64-encoded as `attachedpdf`), as a typed
 * element instead of name/value pairs. Returns the ds:Object element.
 */
function signPropertiesObject(objectId: string, input: NativeSignatureInput): XEl {
  const signText = requireXmlText(normaliseLines(input.signText), 'sign text');
  if (!signText.trim()) throw new Error('sign text is empty');
  if (!input.documents.length) throw new Error('nothing to sign: no documents');
  const seen = new Set<string>();
  const sp = (local: string, attrs: Record<string, string | undefined> | null, ...children: XChild[]): XEl =>
    el(`sp:${local}`, SIGNPROPERTIES_NS, attrs, ...children);
  const docs = input.documents.map((d, i) => {
    if (typeof d.id !== 'string' || !d.id || d.id.length > 256) throw new Error(`document ${i + 1}: bad id`);
    requireXmlText(d.id, `document ${i + 1} id`);
    if (seen.has(d.id)) throw new Error(`document id ${JSON.stringify(d.id)} appears twice`);
    seen.add(d.id);
    if (!MIME.test(d.mimeType)) throw new Error(`document ${JSON.stringify(d.id)}: bad mime type ${JSON.stringify(d.mimeType)}`);
    if (!(d.bytes instanceof Uint8Array)) throw new Error(`document ${JSON.stringify(d.id)}: bytes must be a Uint8Array`);
    const description = requireXmlText(normaliseLines(d.description ?? ''), `document ${JSON.stringify(d.id)} description`);
    const a = attachment(d);
    return sp(
      'Document',
      { DocumentId: d.id, Index: String(i + 1) },
      sp('Description', null, description),
      sp('MimeType', null, d.mimeType),
      sp('Size', null, String(d.bytes.length)),
      sp('DigestValue', { Algorithm: ALG.sha256 }, b64(sha256(d.bytes))),
      sp(a.kind, a.base64 ? { Encoding: 'base64' } : null, a.content),
    );
  });
  return ds(
    'Object',
    { Id: objectId, MimeType: 'text/xml' },
    sp(
      'SignProperties',
      { Version: '1' },
      sp('SignText', { Format: 'text/plain' }, signText),
      sp('Commitment', { Type: `urn:oid:${PROOF_OF_APPROVAL_OID}` }, COMMITMENT_STATEMENT),
      sp('Documents', { Count: String(docs.length) }, ...docs),
    ),
  );
}

/**
 * The signer's act (ETSI EN 319 132-1 §4 XAdES-BES, baseline B-B per §6.3; W3C XMLDSig 1.1
 * enveloping signature, §2 / §4.5): one ds:Object holding SignProperties (sign text, commitment
 * statement and every document with its description, media type, SHA-256 digest and content: PDFs
 * base64 as `attachedpdf`, text as text), signed by the signer's key with RSA-SHA256 over exclusive
 * C14N. Signed properties: SigningTime (§5.2.1), SigningCertificateV2 (§5.2.2), DataObjectFormat
 * (§5.2.4) naming the object's media type, and CommitmentTypeIndication (§5.2.3) proof-of-approval
 * for that object. KeyInfo carries the signer's certificate. Returns the ds:Signature element as
 * an XML document.
 */
export async function createNativeSignature(input: NativeSignatureInput): Promise<string> {
  const sigId = randomId('sig');
  const objectId = randomId('signproperties');
  const refId = `${sigId}-ref-signproperties`;
  const object = signPropertiesObject(objectId, input);
  const der = new Uint8Array(input.signer.certificate.rawData);
  const signedProperties = xa(
    'SignedProperties',
    { Id: `${sigId}-signedprops` },
    xa(
      'SignedSignatureProperties',
      null,
      xa('SigningTime', null, (input.signingTime ?? new Date()).toISOString()),
      signingCertificateV2(der),
    ),
    xa(
      'SignedDataObjectProperties',
      null,
      dataObjectFormat(
        refId,
        'text/xml',
        `segl SignProperties: the sign text and ${input.documents.length} document(s) the signer commits to`,
      ),
      xa(
        'CommitmentTypeIndication',
        null,
        xa(
          'CommitmentTypeId',
          null,
          xa('Identifier', { Qualifier: 'OIDAsURN' }, `urn:oid:${PROOF_OF_APPROVAL_OID}`),
          xa('Description', null, 'Proof of approval'),
        ),
        xa('ObjectReference', null, `#${refId}`),
      ),
    ),
  );
  return xadesSignature({
    sigId,
    key: input.signer.keys.privateKey,
    certificateDer: der,
    signedProperties,
    objects: [object],
    // The object as a same-document reference selects it (exclusive C14N: as the apex of its subtree).
    references: [{ id: refId, uri: `#${objectId}`, type: OBJECT_TYPE, transforms: [ALG.excC14n], digest: sha256(render(object)) }],
  });
}

// ---------------------------------------------------------------------------------------------
// Seal over an LTV-SDO package
// ---------------------------------------------------------------------------------------------

export interface SignaturePolicy {
  /** Policy OID (dotted decimal), written as `urn:oid:…` with Qualifier OIDAsURN. */
  oid: string;
  description: string;
  /** SHA-256 digest of the policy document; default: SHA-256 of the UTF-8 description text. */
  digest?: Uint8Array;
}

export interface SealInput {
  packageXml: string;
  /**
   * The package is an optional XML declaration followed by its root element exactly as exclusive
   * C14N writes it (as buildLtvSdo writes it): the reference digest is then taken over those bytes,
   * without parsing them. Claiming it for other text makes a seal that does not verify.
   */
  canonical?: boolean;
  seal: SigningIdentity;
  /** The seal certificate's issuing CA and the root (put into CertificateValues). */
  chain: x509.X509Certificate[];
  /** DER OCSPResponses (and CRLs) for the seal's chain (put into RevocationValues). */
  revocationValues: { ocspResponses: Uint8Array[]; crls?: Uint8Array[] };
  policy: SignaturePolicy;
  /** DataObjectFormat MimeType of the package; default application/x-ltv-sdo. */
  mimeType?: string;
  signingTime?: Date;
}

/**
 * Written as the SigPolicyId's DocumentationReference when no policy digest is given: it states that
 * SigPolicyHash is the SHA-256 digest of the UTF-8 encoding of the SigPolicyId Description text (the
 * policy has no separate document). Not a SigPolicyQualifier: xadesjs 2.6.8 cannot load those back
 * ("SigPolicyQualifier doesn't have required 'parser'"), so its Verify() would fail on every seal.
 */
export const POLICY_DIGEST_OF_DESCRIPTION = 'urn:segl:sigpolicyhash:sha256-of-utf8-description';

const OID = /^[0-2](\.(0|[1-9][0-9]*))+$/;

/**
 * The platform seal (ETSI EN 319 132-1 baseline B-B, §6.3, with the §5.5 validation data of
 * baseline B-LT but no SignatureTimeStamp, as the packaging policy requires): an enveloped XMLDSig
 * signature (XMLDSig 1.1 §6.6.4, reference URI "" with the enveloped-signature transform and exclusive
 * C14N) appended as the last child of the package root. Signed properties: SigningTime (§5.2.1),
 * SigningCertificateV2 (§5.2.2), SignaturePolicyIdentifier (§5.2.9, explicit SignaturePolicyId with
 * description; the digest defaults to SHA-256 over the UTF-8 description, which a
 * DocumentationReference POLICY_DIGEST_OF_DESCRIPTION then states) and DataObjectFormat (§5.2.4).
 * Unsigned properties: CertificateValues (§5.5.1) holding
 * `chain` and RevocationValues (§5.5.2) holding the OCSP responses (and CRLs). Returns the package.
 */
export async function createSeal(input: SealInput): Promise<string> {
  const { policy } = input;
  if (!OID.test(policy.oid)) throw new Error(`signature policy: bad OID ${JSON.stringify(policy.oid)}`);
  requireXmlText(policy.description, 'signature policy description');
  if (policy.digest && policy.digest.length !== 32) throw new Error('signature policy digest must be a SHA-256 digest (32 bytes)');
  const pkg = input.canonical ? canonicalPackage(input.packageXml) : parsedPackage(input.packageXml);

  const sigId = randomId('seal');
  const refId = `${sigId}-ref-package`;
  const der = new Uint8Array(input.seal.certificate.rawData);
  const signedProperties = xa(
    'SignedProperties',
    { Id: `${sigId}-signedprops` },
    xa(
      'SignedSignatureProperties',
      null,
      xa('SigningTime', null, (input.signingTime ?? new Date()).toISOString()),
      signingCertificateV2(der),
      xa(
        'SignaturePolicyIdentifier',
        null,
        xa(
          'SignaturePolicyId',
          null,
          xa(
            'SigPolicyId',
            null,
            xa('Identifier', { Qualifier: 'OIDAsURN' }, `urn:oid:${policy.oid}`),
            xa('Description', null, policy.description),
            !policy.digest && xa('DocumentationReferences', null, xa('DocumentationReference', null, POLICY_DIGEST_OF_DESCRIPTION)),
          ),
          xa('SigPolicyHash', null, ...digestParts(policy.digest ?? sha256(policy.description))),
        ),
      ),
    ),
    xa('SignedDataObjectProperties', null, dataObjectFormat(refId, input.mimeType ?? LTV_SDO_MIME_TYPE, 'The complete LTV-SDO package')),
  );
  const crls = input.revocationValues.crls ?? [];
  const ocsps = input.revocationValues.ocspResponses;
  const unsignedProperties =
    input.chain.length || crls.length || ocsps.length
      ? xa(
          'UnsignedProperties',
          { Id: `${sigId}-unsignedprops` },
          xa(
            'UnsignedSignatureProperties',
            null,
            input.chain.length > 0 &&
              xa(
                'CertificateValues',
                null,
                ...input.chain.map((c) => xa('EncapsulatedX509Certificate', null, b64(new Uint8Array(c.rawData)))),
              ),
            (crls.length > 0 || ocsps.length > 0) &&
              xa(
                'RevocationValues',
                null,
                crls.length > 0 && xa('CRLValues', null, ...crls.map((c) => xa('EncapsulatedCRLValue', null, b64(c)))),
                ocsps.length > 0 && xa('OCSPValues', null, ...ocsps.map((o) => xa('EncapsulatedOCSPValue', null, b64(o)))),
              ),
          ),
        )
      : undefined;
  const signature = await xadesSignature({
    sigId,
    key: input.seal.keys.privateKey,
    certificateDer: der,
    signedProperties,
    unsignedProperties,
    // With the seal appended as the root's last child and nothing around it, the enveloped-signature
    // transform gives back exactly this package, so its canonical form is what the seal digests.
    references: [{ id: refId, uri: '', transforms: [ALG.enveloped, ALG.excC14n], digest: sha256(pkg.canonical) }],
  });
  return pkg.append(signature);
}

interface PackageToSeal {
  /** Exclusive C14N of the package (the document: its root element). */
  canonical: string;
  /** The package with the signature text as the last child of its root element. */
  append(signature: string): string;
}

/** A package written canonically (buildLtvSdo): nothing to parse, the signature goes before the end tag. */
function canonicalPackage(xml: string): PackageToSeal {
  const decl = /^<\?xml[^>]*\?>/.exec(xml)?.[0] ?? '';
  const canonical = xml.slice(decl.length);
  const name = /^<([^\s>/]+)/.exec(canonical)?.[1];
  const endTag = `</${name}>`;
  if (!name || !canonical.endsWith(endTag)) throw new Error('package: not an element in canonical form');
  return { canonical, append: (sig) => xml.slice(0, xml.length - endTag.length) + sig + endTag };
}

/** Any other package: parsed (strictly), canonicalised from the DOM. */
function parsedPackage(xml: string): PackageToSeal {
  const doc = parseXml(xml, 'package');
  for (let n = doc.firstChild; n; n = n.nextSibling) {
    // URI="" covers the whole document (XMLDSig 1.1 §4.4.3.2): a PI outside the root would be signed by
    // xmlsec1 but not seen by xmldsigjs, which canonicalises from the root element.
    // (xmldom keeps the XML declaration as a PI named "xml": that one is not part of the infoset.)
    if (n.nodeType === 7 && n.nodeName !== 'xml') {
      throw new Error('package: processing instructions outside the root element are not supported');
    }
  }
  return { canonical: canonicalise(doc), append: (sig) => appendToRoot(xml, doc, sig) };
}

/**
 * The package with `signature` as the last child of its root element. When the root has an end tag
 * and nothing but whitespace and the XML declaration lies outside it, the signature text goes into
 * the caller's own text just before that end tag: the package keeps its exact bytes, and the
 * signature (which declares its own ds and xades prefixes and has no unprefixed elements) needs
 * nothing from the namespaces in scope there. Otherwise the signature is parsed, imported into the
 * DOM and the whole document serialized. No whitespace is added around the signature: the
 * enveloped-signature transform removes the element only, so added text would be signed by
 * verifiers but not by this signature.
 */
function appendToRoot(packageXml: string, doc: Document, signature: string): string {
  const root = doc.documentElement as Element;
  let spliceable = true;
  for (let n = root.nextSibling; n; n = n.nextSibling) {
    if (!(n.nodeType === 3 && !/[^ \t\r\n]/.test(n.nodeValue ?? ''))) spliceable = false;
  }
  const end = new RegExp(`</${root.tagName.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}\\s*>\\s*$`).exec(packageXml);
  if (spliceable && end) {
    return packageXml.slice(0, end.index) + signature + packageXml.slice(end.index);
  }
  const sigEl = parseXml(signature, 'signature').documentElement as Element;
  root.appendChild(doc.importNode(sigEl as never, true));
  return serializeXml(doc);
}

// ---------------------------------------------------------------------------------------------
// Reading signatures back (no trust decisions here)
// ---------------------------------------------------------------------------------------------

/**
 * The ds:Signature to read: the one with `signatureId`; else the root when it is a ds:Signature (a
 * native signature); else the last ds:Signature child of the root (the seal of a package).
 */
export function selectSignature(doc: Document, signatureId?: string): Element {
  const all = descendants(doc, NS.ds, 'Signature');
  if (signatureId !== undefined) {
    const hits = all.filter((s) => s.getAttribute('Id') === signatureId);
    if (hits.length !== 1) throw new Error(`expected one ds:Signature with Id ${JSON.stringify(signatureId)}, found ${hits.length}`);
    return hits[0];
  }
  const root = doc.documentElement as Element;
  if (root.namespaceURI === NS.ds && root.localName === 'Signature') return root;
  const seal = childElements(root, NS.ds, 'Signature').pop();
  if (!seal) throw new Error('no ds:Signature at the root or as a child of the root');
  return seal;
}

export interface SignedDocument {
  id: string;
  index: number;
  description: string;
  mimeType: string;
  size: number;
  /** SHA-256 digest as stated in SignProperties. */
  digest: Uint8Array;
  /** The content, decoded (base64 or UTF-8 text). */
  bytes: Uint8Array;
  carriedAs: AttachmentKind;
  /** The decoded bytes have the stated digest and size. */
  digestMatches: boolean;
}

export interface SignProperties {
  signText: string;
  commitment: string;
  documents: SignedDocument[];
}

export interface ParsedSignature {
  id: string;
  signingTime?: Date;
  /** First certificate in KeyInfo. */
  signerCertificate?: x509.X509Certificate;
  keyInfoCertificates: x509.X509Certificate[];
  /** xades:SigningCertificateV2 CertDigest values (algorithm URI + digest). */
  signingCertificateDigests: Array<{ algorithm: string; digest: Uint8Array }>;
  references: Array<{ id?: string; uri: string; type?: string; transforms: string[] }>;
  /** ds:Objects that a ds:Reference points at (QualifyingProperties excluded), as signed: exclusive C14N. */
  signedObjects: Array<{ id: string; mimeType?: string; canonical: Uint8Array }>;
  /** Present for native signatures. */
  signProperties?: SignProperties;
  dataObjectFormats: Array<{ objectReference: string; mimeType?: string; description?: string }>;
  commitmentTypes: string[];
  policy?: {
    identifier: string;
    oid?: string;
    description?: string;
    documentationReferences: string[];
    digestAlgorithm?: string;
    digest?: Uint8Array;
  };
  certificateValues: x509.X509Certificate[];
  ocspResponses: Uint8Array[];
  crls: Uint8Array[];
  hasSignatureTimeStamp: boolean;
}

function path(el: Element | undefined, ns: string, ...names: string[]): Element | undefined {
  let cur = el;
  for (const n of names) cur = cur ? childElement(cur, ns, n) : undefined;
  return cur;
}

function excC14n(el: Element): Uint8Array {
  const t = new xmldsigjs.XmlDsigExcC14NTransform();
  t.LoadInnerXml(el as never);
  return new Uint8Array(Buffer.from(t.GetOutput() as string, 'utf8'));
}

/** Reads a SignProperties element (see signPropertiesObject). Throws on a malformed one. */
export function parseSignProperties(el: Element): SignProperties {
  if (el.namespaceURI !== SIGNPROPERTIES_NS || el.localName !== 'SignProperties') throw new Error('not a SignProperties element');
  const sp = SIGNPROPERTIES_NS;
  const documents = childElements(childElement(el, sp, 'Documents') ?? el, sp, 'Document').map((d): SignedDocument => {
    const content = childElements(d, sp).find((c) => ['attachedpdf', 'attachedtext', 'attacheddata'].includes(c.localName ?? ''));
    if (!content) throw new Error('SignProperties document without content');
    const base64 = content.getAttribute('Encoding') === 'base64';
    const bytes = base64 ? base64Bytes(textOf(content)) : new Uint8Array(Buffer.from(textOf(content), 'utf8'));
    const digest = base64Bytes(textOf(childElement(d, sp, 'DigestValue')));
    const size = Number(textOf(childElement(d, sp, 'Size')));
    return {
      id: d.getAttribute('DocumentId') ?? '',
      index: Number(d.getAttribute('Index')),
      description: textOf(childElement(d, sp, 'Description')),
      mimeType: textOf(childElement(d, sp, 'MimeType')),
      size,
      digest,
      bytes,
      carriedAs: content.localName as AttachmentKind,
      digestMatches: size === bytes.length && Buffer.from(sha256(bytes)).equals(Buffer.from(digest)),
    };
  });
  return {
    signText: textOf(childElement(el, sp, 'SignText')),
    commitment: textOf(childElement(el, sp, 'Commitment')),
    documents,
  };
}

/**
 * Reads a signature's parts (XMLDSig 1.1 §4; EN 319 132-1 §5). Nothing here is verified: act on it
 * only after verifySignatureCore and path validation succeeded. See selectSignature for `signatureId`.
 */
export function parseSignature(xml: string | Document, opts: { signatureId?: string } = {}): ParsedSignature {
  const doc = typeof xml === 'string' ? parseXml(xml, 'signature') : xml;
  const sig = selectSignature(doc, opts.signatureId);
  const ds = NS.ds;
  const xa = NS.xades;
  const references = childElements(childElement(sig, ds, 'SignedInfo') ?? sig, ds, 'Reference').map((r) => ({
    id: r.getAttribute('Id') || undefined,
    uri: r.getAttribute('URI') ?? '',
    type: r.getAttribute('Type') || undefined,
    transforms: childElements(childElement(r, ds, 'Transforms') ?? r, ds, 'Transform').map((t) => t.getAttribute('Algorithm') ?? ''),
  }));
  const objects = childElements(sig, ds, 'Object');
  const signedObjects: ParsedSignature['signedObjects'] = [];
  let signProperties: SignProperties | undefined;
  for (const ref of references) {
    if (!ref.uri.startsWith('#')) continue;
    const obj = objects.find((o) => o.getAttribute('Id') === ref.uri.slice(1));
    if (!obj) continue;
    signedObjects.push({ id: ref.uri.slice(1), mimeType: obj.getAttribute('MimeType') || undefined, canonical: excC14n(obj) });
    const spEl = childElement(obj, SIGNPROPERTIES_NS, 'SignProperties');
    if (spEl && !signProperties) signProperties = parseSignProperties(spEl);
  }
  const keyInfo = childElement(sig, ds, 'KeyInfo');
  const keyInfoCertificates = (keyInfo ? descendants(keyInfo, ds, 'X509Certificate') : []).map(
    (c) => new x509.X509Certificate(base64Bytes(textOf(c))),
  );

  const qp = objects.map((o) => childElement(o, xa, 'QualifyingProperties')).find(Boolean);
  const ssp = path(qp, xa, 'SignedProperties', 'SignedSignatureProperties');
  const sdop = path(qp, xa, 'SignedProperties', 'SignedDataObjectProperties');
  const usp = path(qp, xa, 'UnsignedProperties', 'UnsignedSignatureProperties');
  const signingTimeText = textOf(path(ssp, xa, 'SigningTime'));
  const signingCertificateDigests = childElements(path(ssp, xa, 'SigningCertificateV2') ?? sig, xa, 'Cert').map((c) => ({
    algorithm: path(c, xa, 'CertDigest')?.getElementsByTagNameNS(ds, 'DigestMethod').item(0)?.getAttribute('Algorithm') ?? '',
    digest: base64Bytes(textOf(path(c, xa, 'CertDigest')?.getElementsByTagNameNS(ds, 'DigestValue').item(0))),
  }));
  const policyId = path(ssp, xa, 'SignaturePolicyIdentifier', 'SignaturePolicyId');
  let policy: ParsedSignature['policy'];
  if (policyId) {
    const identifier = textOf(path(policyId, xa, 'SigPolicyId', 'Identifier')).trim();
    const hash = path(policyId, xa, 'SigPolicyHash');
    const digestText = textOf(hash?.getElementsByTagNameNS(ds, 'DigestValue').item(0));
    policy = {
      identifier,
      oid: /^urn:oid:(.+)$/i.exec(identifier)?.[1] ?? (OID.test(identifier) ? identifier : undefined),
      description: path(policyId, xa, 'SigPolicyId', 'Description') ? textOf(path(policyId, xa, 'SigPolicyId', 'Description')) : undefined,
      documentationReferences: childElements(
        path(policyId, xa, 'SigPolicyId', 'DocumentationReferences') ?? policyId,
        xa,
        'DocumentationReference',
      ).map((r) => textOf(r).trim()),
      digestAlgorithm: hash?.getElementsByTagNameNS(ds, 'DigestMethod').item(0)?.getAttribute('Algorithm') ?? undefined,
      digest: digestText ? base64Bytes(digestText) : undefined,
    };
  }
  return {
    id: sig.getAttribute('Id') ?? '',
    signingTime: signingTimeText ? new Date(signingTimeText.trim()) : undefined,
    signerCertificate: keyInfoCertificates[0],
    keyInfoCertificates,
    signingCertificateDigests,
    references,
    signedObjects,
    signProperties,
    dataObjectFormats: childElements(sdop ?? sig, xa, 'DataObjectFormat').map((d) => ({
      objectReference: d.getAttribute('ObjectReference') ?? '',
      mimeType: path(d, xa, 'MimeType') ? textOf(path(d, xa, 'MimeType')) : undefined,
      description: path(d, xa, 'Description') ? textOf(path(d, xa, 'Description')) : undefined,
    })),
    commitmentTypes: childElements(sdop ?? sig, xa, 'CommitmentTypeIndication').map((c) =>
      textOf(path(c, xa, 'CommitmentTypeId', 'Identifier')).trim(),
    ),
    policy,
    certificateValues: childElements(path(usp, xa, 'CertificateValues') ?? sig, xa, 'EncapsulatedX509Certificate').map(
      (c) => new x509.X509Certificate(base64Bytes(textOf(c))),
    ),
    ocspResponses: childElements(path(usp, xa, 'RevocationValues', 'OCSPValues') ?? sig, xa, 'EncapsulatedOCSPValue').map((c) =>
      base64Bytes(textOf(c)),
    ),
    crls: childElements(path(usp, xa, 'RevocationValues', 'CRLValues') ?? sig, xa, 'EncapsulatedCRLValue').map((c) =>
      base64Bytes(textOf(c)),
    ),
    hasSignatureTimeStamp: !!usp && childElements(usp, xa, 'SignatureTimeStamp').length > 0,
  };
}

// ---------------------------------------------------------------------------------------------
// Core validation
// ---------------------------------------------------------------------------------------------

export interface CoreValidation {
  /** W3C XMLDSig 1.1 §3.2 core validation passed and SigningCertificateV2 names the KeyInfo certificate. */
  valid: boolean;
  signatureId: string;
  reason?: string;
}

/**
 * XMLDSig 1.1 §3.2 core validation (every reference digest, then SignatureValue with the key of the
 * KeyInfo certificate), plus the EN 319 132-1 §5.2.2 / EN 319 102-1 §5.2.3 check that the
 * SigningCertificateV2 digest is that certificate's. Never throws on a bad signature: xadesjs's
 * exceptions become `valid: false` with the reason. Trust (chain, revocation) is not checked here.
 */
export async function verifySignatureCore(xml: string | Document, opts: { signatureId?: string } = {}): Promise<CoreValidation> {
  let signatureId = opts.signatureId ?? '';
  try {
    const doc = typeof xml === 'string' ? parseXml(xml, 'signature') : xml;
    const sigEl = selectSignature(doc, opts.signatureId);
    signatureId = sigEl.getAttribute('Id') ?? '';
    const parsed = parseSignature(doc, { signatureId: signatureId || undefined });
    const signer = parsed.signerCertificate;
    if (!signer) return { valid: false, signatureId, reason: 'no certificate in KeyInfo' };
    const sx = new SeglSignedXml(doc as never);
    sx.LoadXml(sigEl as never);
    // Only the signer certificate's key counts (xmldsigjs would accept any key found in KeyInfo).
    const key = await crypto.subtle.importKey('spki', signer.publicKey.rawData, SIGN_ALGORITHM, true, ['verify']);
    if (!(await sx.Verify(key as never))) return { valid: false, signatureId, reason: 'SignatureValue does not verify' };
    if (parsed.signingCertificateDigests.length !== 1) {
      return { valid: false, signatureId, reason: 'SigningCertificateV2 must name exactly one certificate' };
    }
    const [{ algorithm, digest }] = parsed.signingCertificateDigests;
    if (algorithm !== ALG.sha256) return { valid: false, signatureId, reason: `unsupported SigningCertificateV2 digest ${algorithm}` };
    if (!Buffer.from(sha256(new Uint8Array(signer.rawData))).equals(Buffer.from(digest))) {
      return { valid: false, signatureId, reason: 'SigningCertificateV2 does not match the KeyInfo certificate' };
    }
    return { valid: true, signatureId };
  } catch (e) {
    return { valid: false, signatureId, reason: (e as Error).message };
  }
}

// Reading segl's XAdES back in tests (parseSignature, verifySignatureCore), with xadesjs/xmldsigjs, an implementation
// independent of the product's validator (src/trust/validation). One
// correction in SeglSignedXml: xmldsigjs's enveloped-signature transform removes every ds:Signature
// that is a child of the signed root, not only the enclosing one (XMLDSig 1.1 §6.6.4), which breaks a
// seal over a package that holds another signature at that level.
import { crypto } from '../../src/trust/crypto';
import * as x509 from '@peculiar/x509';
import * as xadesjs from 'xadesjs';
import * as xmldsigjs from 'xmldsigjs';
import {
  base64Bytes,
  childElement,
  childElements,
  descendants,
  NS,
  parseXml,
  textOf,
  useXades,
  type Document,
  type Element,
} from '../../src/trust/xml/dom';
import { sha256, ALG, SIGNPROPERTIES_NS, SIGN_ALGORITHM } from '../../src/trust/xades/signature';
import { OID } from '../../src/trust/xades/seal';
import type { AttachmentKind } from '../../src/trust/xades/native';
useXades();

// ---------------------------------------------------------------------------------------------
// xadesjs (reading only) with the enveloped-signature correction described at the top
// ---------------------------------------------------------------------------------------------

// Parameters are `any`: their declared types (Algorithm, Element, …) come from the DOM lib, which
// tsconfig does not load.
class SeglSignedXml extends xadesjs.SignedXml {
  /** XMLDSig 1.1 §6.6.4: the enveloped-signature transform removes only the Signature containing it. */
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

// XMLDSig core validation (EN 319 102-1 §5.2.7, cryptographic verification) and the XML helpers it shares with
// the signer checks: selecting exactly one ds:Signature, reference digests, the SignatureValue with the signing
// certificate's key only. Two paths, named here as the one second XML stack kept on purpose: the direct path
// (strictxml + own exclusive C14N, for the documents segl writes and verifies several times faster) and
// xadesjs/xmldsigjs over xmldom for every other document.
import { crypto } from '../crypto';
import * as x509 from '@peculiar/x509';
import * as xadesjs from 'xadesjs';
import type * as xmldom from '@xmldom/xmldom';
import { createHash } from 'node:crypto';
import { verificationKey } from '../x509/cache';
import { canonicalHash, canonicalise, type C14nNode } from '../xml/c14n';
import { parseStrict, StrictXmlError, type SDocument } from '../xml/strictxml';
import { parseXml as parseStrictXml, useXades, XmlParseError, xpath } from '../xml/dom';
import { equalBytes } from '../../util/bytes';
useXades();
// XML helpers

export const NS = {
  ds: 'http://www.w3.org/2000/09/xmldsig#',
  xades: 'http://uri.etsi.org/01903/v1.3.2#',
  xades141: 'http://uri.etsi.org/01903/v1.4.1#',
} as const;

/**
 * What the verifier reads of an element (DOM names): xmldom's elements (the xadesjs path) and
 * strictxml.ts's (the direct path) are both this.
 */
export interface El extends C14nNode {
  readonly namespaceURI: string | null;
  readonly localName: string | null;
  readonly textContent: string | null;
  getAttribute(name: string): string | null;
  hasAttribute(name: string): boolean;
}

/** A parsed document, either tree. */
export interface AnyDoc extends C14nNode {
  readonly documentElement: El | null;
}

type Doc = xmldom.Document;

export class FormatError extends Error {}

/**
 * Parses the document for the direct path (strictxml.ts: XML 1.0 and namespace well-formedness, no
 * DTD); anything it refuses is a format failure, whichever path the signature would take.
 */
export function parseDocument(xml: string): SDocument {
  try {
    return parseStrict(xml);
  } catch (e) {
    throw new FormatError(e instanceof StrictXmlError ? `document: ${e.message}` : `not well-formed XML: ${errorText(e)}`);
  }
}

/** Parses XML with xmldom for xadesjs and XPath (xml.ts: XML 1.0 line ends, no DTDs); any failure is a format failure. */
export function parseXml(xml: string): Doc {
  try {
    return parseStrictXml(xml, 'document') as unknown as Doc;
  } catch (e) {
    throw new FormatError(e instanceof XmlParseError ? e.message : `not well-formed XML: ${errorText(e)}`);
  }
}

export function childElements(el: El, ns: string, local: string): El[] {
  const out: El[] = [];
  for (let n = el.firstChild; n; n = n.nextSibling) {
    if (n.nodeType === 1 && (n as El).namespaceURI === ns && (n as El).localName === local) out.push(n as El);
  }
  return out;
}

export function child(el: El | undefined, ns: string, local: string): El | undefined {
  return el ? childElements(el, ns, local)[0] : undefined;
}

export function text(el: El | undefined): string {
  return (el?.textContent ?? '').trim();
}

export function base64Bytes(s: string): Uint8Array<ArrayBuffer> {
  const clean = s.replace(/\s+/g, '');
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(clean)) throw new FormatError('invalid base64');
  return new Uint8Array(Buffer.from(clean, 'base64'));
}

export function errorText(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

const SEAL_XPATH = '/*/ds:Signature';
// The ds:Signature of one named child of the root (an LTV-SDO's native signature), as the XPath
// root / any child with local-name() NAME / ds:Signature.
const CHILD_XPATH = /^\/\*\/\*\[local-name\(\)='([A-Za-z_][\w.-]*)'\]\/ds:Signature$/;

function exactlyOneSelected(list: unknown[]): El {
  const found = list.filter(
    (n) => n && (n as El).nodeType === 1 && (n as El).namespaceURI === NS.ds && (n as El).localName === 'Signature',
  ) as El[];
  if (found.length !== list.length || found.length !== 1) {
    throw new FormatError(
      `signatureXPath must select exactly one ds:Signature element (it selected ${list.length} node(s), ${found.length} of them ds:Signature)`,
    );
  }
  return found[0];
}

function theOnlySignature(found: El[]): El {
  if (found.length !== 1) {
    throw new FormatError(
      found.length
        ? `the document holds ${found.length} ds:Signature elements; give signatureXPath to choose one`
        : 'no ds:Signature element in the document',
    );
  }
  return found[0];
}

/**
 * The ds:Signature to verify in the direct path's tree, for no signatureXPath (the only one in the
 * document), the XPath that selects the root's ds:Signature children (SEAL_XPATH: the only one
 * there, e.g. a seal) or the one that selects them under the root's children of one local name
 * (CHILD_XPATH: an LTV-SDO's native signature); undefined for any other XPath, which only xmldom's
 * tree can answer.
 */
export function selectSignatureDirect(doc: SDocument, signatureXPath?: string): El | undefined {
  const root = doc.documentElement as El;
  if (signatureXPath === SEAL_XPATH)
    return checkSignatureShape(exactlyOneSelected(elementChildren(root).filter((e) => isDs(e, 'Signature'))));
  const named = signatureXPath && CHILD_XPATH.exec(signatureXPath);
  if (named) {
    const selected = elementChildren(root)
      .filter((e) => e.localName === named[1])
      .flatMap((e) => elementChildren(e).filter((s) => isDs(s, 'Signature')));
    return checkSignatureShape(exactlyOneSelected(selected));
  }
  if (signatureXPath) return undefined;
  const found: El[] = [];
  const walk = (el: El): void => {
    if (isDs(el, 'Signature')) found.push(el);
    for (let n = el.firstChild; n; n = n.nextSibling) if (n.nodeType === 1) walk(n as El);
  };
  walk(root);
  return checkSignatureShape(theOnlySignature(found));
}

/** The ds:Signature to verify: exactly one in the document, or exactly one selected by the XPath. */
export function selectSignature(doc: Doc, signatureXPath?: string): El {
  if (signatureXPath) {
    let nodes: unknown;
    try {
      nodes = xpath.useNamespaces({ ...NS })(signatureXPath, doc);
    } catch (e) {
      throw new FormatError(`signatureXPath ${JSON.stringify(signatureXPath)} failed: ${errorText(e)}`);
    }
    return checkSignatureShape(exactlyOneSelected(Array.isArray(nodes) ? nodes : []));
  }
  const all = doc.getElementsByTagNameNS(NS.ds, 'Signature');
  const found: El[] = [];
  for (let i = 0; i < all.length; i++) found.push(all.item(i) as unknown as El);
  return checkSignatureShape(theOnlySignature(found));
}

/** XMLDSig §4.1 structure essentials; xadesjs would otherwise fail later in confusing ways. */
function checkSignatureShape(sig: El): El {
  const si = child(sig, NS.ds, 'SignedInfo');
  if (!si) throw new FormatError('ds:Signature has no ds:SignedInfo');
  if (!childElements(si, NS.ds, 'Reference').length) throw new FormatError('ds:SignedInfo has no ds:Reference');
  if (!text(child(sig, NS.ds, 'SignatureValue'))) throw new FormatError('ds:Signature has no ds:SignatureValue');
  return sig;
}

// ---------------------------------------------------------------------------------------------
// Cryptographic verification (EN 319 102-1 §5.2.7): XMLDSig core validation with xadesjs

export interface ReferenceResult {
  uri: string;
  ok: boolean;
  /** xadesjs could not dereference or transform it (not a digest mismatch). */
  error?: string;
}

/** xadesjs SignedXml with its reference and SignatureValue steps exposed separately. */
class CoreValidator extends xadesjs.SignedXml {
  async checkReferences(): Promise<ReferenceResult[]> {
    const root = (this.document as unknown as Doc | undefined)?.documentElement;
    if (!root) throw new FormatError('no document to validate');
    const results: ReferenceResult[] = [];
    for (const ref of this.XmlSignature.SignedInfo.References.GetIterator()) {
      const uri = ref.Uri ?? '(no URI)';
      try {
        // Transforms (enveloped-signature) may modify their input, so a whole-document reference gets a
        // fresh copy; a same-document "#id" reference is dereferenced into a copy by xmldsigjs itself.
        const input = uri.startsWith('#') ? root : root.cloneNode(true);
        const digest = await this.DigestReference(input as never, ref, false);
        results.push({ uri, ok: equalBytes(new Uint8Array(digest), new Uint8Array(ref.DigestValue ?? [])) });
      } catch (e) {
        results.push({ uri, ok: false, error: errorText(e) });
      }
    }
    return results;
  }

  async checkSignatureValue(cert: x509.X509Certificate): Promise<boolean> {
    const alg = this.Algorithm as { name: string; hash?: unknown } | undefined;
    if (!alg) throw new Error('unknown SignatureMethod');
    const params: Record<string, unknown> = { name: alg.name };
    if (alg.name === 'ECDSA') {
      params.namedCurve = (cert.publicKey.algorithm as { namedCurve?: string }).namedCurve;
    } else {
      params.hash = alg.hash;
    }
    const key = await verificationKey(cert, params as { name: string });
    return this.ValidateSignatureValue([key as never]);
  }
}

/** The two steps of XMLDSig core validation (§3.2.1 references, §3.2.2 SignatureValue). */
export interface CoreCheck {
  checkReferences(): Promise<ReferenceResult[]>;
  checkSignatureValue(cert: x509.X509Certificate): Promise<boolean>;
}

/** Any signature xadesjs can read. */
export function loadWithXadesjs(doc: Doc, sig: El): CoreValidator {
  const core = new CoreValidator(doc as never);
  // xadesjs turns everything below ds:Signature into objects: it parses every KeyInfo certificate
  // (with asn1js) and the unsigned properties (CertificateValues, RevocationValues: most of a seal),
  // none of which core validation reads (the signer is identified from the DOM above). They are taken
  // out of the DOM while it loads and put back at once, unless a Reference points into them.
  const unsigned = unreferencedParts(sig) as unknown as xmldom.Element[];
  const detached = unsigned.map((u) => ({ u, parent: u.parentNode as xmldom.Element, next: u.nextSibling }));
  for (const { u, parent } of detached) parent.removeChild(u);
  try {
    core.LoadXml(sig as never);
  } catch (e) {
    throw new FormatError(`ds:Signature could not be read: ${errorText(e)}`);
  } finally {
    for (const { u, parent, next } of detached) parent.insertBefore(u, next);
  }
  return core;
}

const EXC_C14N = 'http://www.w3.org/2001/10/xml-exc-c14n#';
const ENVELOPED = 'http://www.w3.org/2000/09/xmldsig#enveloped-signature';
/** SignatureMethods validated directly: RSASSA-PKCS1-v1_5 (RFC 6931 §2.3.2, XMLDSig 1.1 §6.4.2). */
const RSA_BY_URI: Record<string, string> = {
  'http://www.w3.org/2001/04/xmldsig-more#rsa-sha256': 'SHA-256',
  'http://www.w3.org/2001/04/xmldsig-more#rsa-sha384': 'SHA-384',
  'http://www.w3.org/2001/04/xmldsig-more#rsa-sha512': 'SHA-512',
};

function elementChildren(el: El): El[] {
  const out: El[] = [];
  for (let n = el.firstChild; n; n = n.nextSibling) if (n.nodeType === 1) out.push(n as El);
  return out;
}

function isDs(el: El | undefined, local: string): el is El {
  return !!el && el.namespaceURI === NS.ds && el.localName === local;
}

/** ds:CanonicalizationMethod, ds:Transform, ds:DigestMethod or ds:SignatureMethod with only an Algorithm (no parameters). */
function bareAlgorithm(el: El | undefined, local: string): string | undefined {
  return isDs(el, local) && !elementChildren(el).length ? (el.getAttribute('Algorithm') ?? undefined) : undefined;
}

/**
 * Elements under `roots` by Id, ID or id (one entry per element), skipping ds:Signature subtrees when
 * asked: the lookup xmldsigjs does.
 */
function elementsById(roots: El[], skipSignatures: boolean): Map<string, El[]> {
  const byId = new Map<string, El[]>();
  const walk = (el: El): void => {
    if (skipSignatures && isDs(el, 'Signature')) return;
    for (const name of ['Id', 'ID', 'id']) {
      if (el.hasAttribute(name)) {
        const v = el.getAttribute(name) ?? '';
        const list = byId.get(v);
        if (list) list.push(el);
        else byId.set(v, [el]);
        break;
      }
    }
    for (let n = el.firstChild; n; n = n.nextSibling) if (n.nodeType === 1) walk(n as El);
  };
  for (const r of roots) walk(r);
  return byId;
}

/**
 * What a same-document "#id" reference of `sig` selects, as xmldsigjs resolves it: elements of the
 * document outside every ds:Signature, else elements inside this signature's KeyInfo and Objects.
 * More than one (in either place, or one in each) is an error for the caller to report.
 */
function idResolver(doc: AnyDoc, sig: El): (id: string) => El[] {
  let inDocument: Map<string, El[]> | undefined;
  let inSignature: Map<string, El[]> | undefined;
  return (id) => {
    inDocument ??= elementsById(doc.documentElement ? [doc.documentElement] : [], true);
    inSignature ??= elementsById(
      elementChildren(sig).filter((e) => isDs(e, 'KeyInfo') || isDs(e, 'Object')),
      false,
    );
    const a = inDocument.get(id) ?? [];
    const b = inSignature.get(id) ?? [];
    return a.length && b.length ? [...a, ...b] : a.length ? a : b;
  };
}

interface PlannedReference {
  uri: string;
  /** what the URI selects: the document, or the element(s) with that Id (more than one is an error) */
  targets: C14nNode[];
  enveloped: boolean;
  hash: string;
  digest: Uint8Array;
}

/**
 * XMLDSig core validation for the profile segl writes, done on the parsed DOM with c14n.ts: exclusive
 * C14N (no PrefixList) for SignedInfo, RSASSA-PKCS1-v1_5 with SHA-256/384/512, and references that are
 * URI="" or a bare-name "#id" with exactly [exclusive C14N] or [enveloped-signature, exclusive C14N]
 * as transforms. plan() returns undefined for any other shape, which then goes to xadesjs, so nothing
 * unknown is accepted here. The enveloped-signature transform leaves out the signature being
 * validated only (XMLDSig 1.1 §6.6.4); the document is not copied.
 */
export class ExcC14nCore implements CoreCheck {
  private constructor(
    private readonly sig: El,
    private readonly signedInfo: El,
    private readonly signatureHash: string,
    private readonly signatureValue: Uint8Array,
    private readonly references: PlannedReference[],
  ) {}

  static plan(doc: AnyDoc, sig: El): ExcC14nCore | undefined {
    const signedInfo = child(sig, NS.ds, 'SignedInfo') as El;
    const [c14nMethod, sigMethod, ...refs] = elementChildren(signedInfo);
    if (bareAlgorithm(c14nMethod, 'CanonicalizationMethod') !== EXC_C14N) return undefined;
    const signatureHash = RSA_BY_URI[bareAlgorithm(sigMethod, 'SignatureMethod') ?? ''];
    if (!signatureHash || !refs.length || !refs.every((r) => isDs(r, 'Reference'))) return undefined;
    const byId = idResolver(doc, sig);
    const planned: PlannedReference[] = [];
    for (const ref of refs) {
      if (!ref.hasAttribute('URI')) return undefined;
      const uri = ref.getAttribute('URI') ?? '';
      const parts = elementChildren(ref);
      const transformsEl = isDs(parts[0], 'Transforms') ? parts.shift() : undefined;
      if (parts.length !== 2) return undefined;
      const transforms = transformsEl ? elementChildren(transformsEl).map((t) => bareAlgorithm(t, 'Transform')) : [];
      const enveloped = transforms.length === 2 && transforms[0] === ENVELOPED && transforms[1] === EXC_C14N;
      if (!enveloped && !(transforms.length === 1 && transforms[0] === EXC_C14N)) return undefined;
      const hash = DIGEST_BY_URI[bareAlgorithm(parts[0], 'DigestMethod') ?? ''];
      if (!hash || !isDs(parts[1], 'DigestValue') || elementChildren(parts[1]).length) return undefined;
      let targets: C14nNode[];
      if (uri === '') {
        targets = [doc];
      } else if (/^#[^\s#()'"]+$/.test(uri)) {
        targets = byId(uri.slice(1));
        // Not found here: xadesjs looks further (and reports SIGNED_DATA_NOT_FOUND as before).
        if (!targets.length) return undefined;
      } else {
        return undefined;
      }
      planned.push({ uri, targets, enveloped, hash, digest: base64Bytes(text(parts[1])) });
    }
    return new ExcC14nCore(sig, signedInfo, signatureHash, base64Bytes(text(child(sig, NS.ds, 'SignatureValue'))), planned);
  }

  async checkReferences(): Promise<ReferenceResult[]> {
    return this.references.map((r) => {
      if (r.targets.length !== 1) return { uri: r.uri, ok: false, error: `Duplicate Id '${r.uri.slice(1)}' in the document` };
      try {
        // hashed piece by piece (c14n.ts canonicalHash): an LTV-SDO's attached document is not copied for it
        const hash = createHash(r.hash);
        canonicalHash(r.targets[0]!, r.enveloped ? this.sig : undefined, hash);
        return { uri: r.uri, ok: equalBytes(new Uint8Array(hash.digest()), r.digest) };
      } catch (e) {
        return { uri: r.uri, ok: false, error: errorText(e) };
      }
    });
  }

  async checkSignatureValue(cert: x509.X509Certificate): Promise<boolean> {
    const alg = { name: 'RSASSA-PKCS1-v1_5', hash: { name: this.signatureHash } };
    const key = await verificationKey(cert, alg);
    return crypto.subtle.verify(alg, key, this.signatureValue, Buffer.from(canonicalise(this.signedInfo), 'utf8'));
  }
}

// ---------------------------------------------------------------------------------------------

export const DIGEST_BY_URI: Record<string, string> = {
  'http://www.w3.org/2000/09/xmldsig#sha1': 'sha1',
  'http://www.w3.org/2001/04/xmldsig-more#sha224': 'sha224',
  'http://www.w3.org/2001/04/xmlenc#sha256': 'sha256',
  'http://www.w3.org/2001/04/xmldsig-more#sha384': 'sha384',
  'http://www.w3.org/2001/04/xmlenc#sha512': 'sha512',
};

/**
 * ds:KeyInfo and xades:UnsignedProperties of this signature that no ds:Reference of it points into
 * (by an Id on them or below them; any xpointer reference keeps everything).
 */
export function unreferencedParts(sig: El): El[] {
  const uris = childElements(child(sig, NS.ds, 'SignedInfo') as El, NS.ds, 'Reference').map((r) => r.getAttribute('URI') ?? '');
  if (uris.some((u) => u.startsWith('#xpointer'))) return [];
  const parts = [...childElements(sig, NS.ds, 'KeyInfo')];
  for (const obj of childElements(sig, NS.ds, 'Object')) {
    for (const qp of childElements(obj, NS.xades, 'QualifyingProperties')) parts.push(...childElements(qp, NS.xades, 'UnsignedProperties'));
  }
  const referenced = (e: El): boolean =>
    ['Id', 'ID', 'id'].some((a) => e.hasAttribute(a) && uris.includes(`#${e.getAttribute(a)}`)) || childElementsOf(e).some(referenced);
  return parts.filter((p) => !referenced(p));
}

function childElementsOf(e: El): El[] {
  const out: El[] = [];
  for (let n = e.firstChild; n; n = n.nextSibling) if (n.nodeType === 1) out.push(n as El);
  return out;
}

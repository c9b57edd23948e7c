// Verification of one XMLDSig / XAdES signature, reported the ETSI EN 319 102-1 way: an indication
// (TOTAL-PASSED / INDETERMINATE / TOTAL-FAILED, §5.1.3) with a sub-indication (Table 5, §5.1.3) and
// the checks done on the way. The steps follow the basic building blocks of §5.2:
//
//   format checking (§5.2.2)               exactly one ds:Signature (or the one signatureXPath selects)
//   identification of the signing cert (§5.2.3)  KeyInfo X509Certificate; if XAdES SigningCertificateV2
//                                          (or v1 SigningCertificate) is present its CertDigest must match
//   cryptographic verification (§5.2.7)    XMLDSig core validation (reference digests, then SignatureValue)
//   X.509 certificate validation (§5.2.6)  path.ts at `at` (default: now), then revocation via a callback
//
// The claimed SigningTime of XAdES is reported but not used as validation time: it is the signer's
// own claim, not a proof of existence (§5.3 validates basic signatures at the current time). A caller
// holding a trusted time (a time-stamp, the TSA time in an LTV-SDO) passes it as `at`.
//
// xadesjs `Verify()` throws on a bad digest and mixes the two cryptographic failures, so this module
// walks the references itself with xadesjs's own digest code and checks the SignatureValue separately,
// with the public key of the identified signing certificate only (never a stray KeyInfo KeyValue).
// Nothing here throws on bad input: every failure becomes a report.
import { crypto } from '../crypto';
import * as x509 from '@peculiar/x509';
import * as asn1js from 'asn1js';
import * as xadesjs from 'xadesjs';
import type * as xmldom from '@xmldom/xmldom';
import { createHash } from 'node:crypto';
import { certificateFromDer, verificationKey } from '../x509/cache';
import { canonicalise, type C14nNode } from '../xml/c14n';
import { oid, TAG, tlv } from '../asn1/der';
import { certIdFor, checkOcspResponse, type CertStatus } from '../ocsp/ocsp';
import { normalizeSerialHex } from '../x509/serial';
import { validatePath } from '../x509/path';
import { parseStrict, StrictXmlError, type SDocument } from '../xml/strictxml';
import { parseXml as parseStrictXml, useXades, XmlParseError, xpath } from '../xml/dom';
import { equalBytes } from '../../util/bytes';

/** id-pkix-ocsp-nonce (RFC 6960 §4.4.1). */
const OCSP_NONCE = '1.3.6.1.5.5.7.48.1.2';

useXades();

// ---------------------------------------------------------------------------------------------
// Types

export type Indication = 'TOTAL-PASSED' | 'INDETERMINATE' | 'TOTAL-FAILED';

/** EN 319 102-1 §5.1.3 sub-indications this verifier produces. */
export type SubIndication =
  | 'FORMAT_FAILURE'
  | 'HASH_FAILURE'
  | 'SIG_CRYPTO_FAILURE'
  | 'SIGNED_DATA_NOT_FOUND'
  | 'NO_SIGNING_CERTIFICATE_FOUND'
  | 'NO_CERTIFICATE_CHAIN_FOUND'
  | 'OUT_OF_BOUNDS_NO_POE'
  | 'NOT_YET_VALID'
  | 'CHAIN_CONSTRAINTS_FAILURE'
  | 'REVOKED'
  | 'REVOKED_NO_POE'
  | 'REVOKED_CA_NO_POE'
  | 'TRY_LATER'
  | 'GENERIC';

export type CheckName = 'core-validation' | 'path-validation' | 'revocation' | 'signing-certificate-reference';

export interface Check {
  name: CheckName;
  ok: boolean;
  detail: string;
  /** When the check was made. */
  at: Date;
}

export type RevocationSource = 'ocsp' | 'crl' | 'embedded';

/** What a revocation callback answers for one certificate. */
export interface RevocationAnswer {
  status: CertStatus;
  /** The evidence (a DER OCSPResponse or CRL) to keep with the signature. */
  responseDer?: Uint8Array;
  source: RevocationSource;
  /** Why the status is what it is (e.g. why it is unknown). */
  detail?: string;
}

/** One revocation check as recorded in the report. */
export interface RevocationRecord extends RevocationAnswer {
  /** Subject DN of the certificate checked. */
  subject: string;
  /** Its serial, canonical hex. */
  serialHex: string;
}

export type RevocationChecker = (cert: x509.X509Certificate, issuer: x509.X509Certificate) => Promise<RevocationAnswer>;

export interface VerifyOptions {
  anchors: x509.X509Certificate[];
  intermediates?: x509.X509Certificate[];
  /** Validation time (a trusted time if you have one); default now. */
  at?: Date;
  revocation: RevocationChecker;
  /** Also ask `revocation` about the intermediate CA certificates of the path (default false). */
  checkCaRevocation?: boolean;
  /**
   * XPath (prefixes ds, xades, xades141) selecting the ds:Signature to verify when the document holds
   * more than one; it must select exactly one ds:Signature element.
   */
  signatureXPath?: string;
}

export interface VerificationReport {
  indication: Indication;
  subIndication?: SubIndication;
  message: string;
  signer?: x509.X509Certificate;
  chain?: x509.X509Certificate[];
  /** Claimed signing time (XAdES SigningTime), if present. */
  signingTime?: Date;
  revocation?: RevocationRecord[];
  checks: Check[];
}

// ---------------------------------------------------------------------------------------------
// XML helpers

const NS = {
  ds: 'http://www.w3.org/2000/09/xmldsig#',
  xades: 'http://uri.etsi.org/01903/v1.3.2#',
  xades141: 'http://uri.etsi.org/01903/v1.4.1#',
} as const;

/**
 * What the verifier reads of an element (DOM names): xmldom's elements (the xadesjs path) and
 * strictxml.ts's (the direct path) are both this.
 */
interface El extends C14nNode {
  readonly namespaceURI: string | null;
  readonly localName: string | null;
  readonly textContent: string | null;
  getAttribute(name: string): string | null;
  hasAttribute(name: string): boolean;
}

/** A parsed document, either tree. */
interface AnyDoc extends C14nNode {
  readonly documentElement: El | null;
}

type Doc = xmldom.Document;

class FormatError extends Error {}

/**
 * Parses the document for the direct path (strictxml.ts: XML 1.0 and namespace well-formedness, no
 * DTD); anything it refuses is a format failure, whichever path the signature would take.
 */
function parseDocument(xml: string): SDocument {
  try {
    return parseStrict(xml);
  } catch (e) {
    throw new FormatError(e instanceof StrictXmlError ? `document: ${e.message}` : `not well-formed XML: ${errorText(e)}`);
  }
}

/** Parses XML with xmldom for xadesjs and XPath (xml.ts: XML 1.0 line ends, no DTDs); any failure is a format failure. */
function parseXml(xml: string): Doc {
  try {
    return parseStrictXml(xml, 'document') as unknown as Doc;
  } catch (e) {
    throw new FormatError(e instanceof XmlParseError ? e.message : `not well-formed XML: ${errorText(e)}`);
  }
}

function childElements(el: El, ns: string, local: string): El[] {
  const out: El[] = [];
  for (let n = el.firstChild; n; n = n.nextSibling) {
    if (n.nodeType === 1 && (n as El).namespaceURI === ns && (n as El).localName === local) out.push(n as El);
  }
  return out;
}

function child(el: El | undefined, ns: string, local: string): El | undefined {
  return el ? childElements(el, ns, local)[0] : undefined;
}

function text(el: El | undefined): string {
  return (el?.textContent ?? '').trim();
}

function base64Bytes(s: string): Uint8Array<ArrayBuffer> {
  const clean = s.replace(/\s+/g, '');
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(clean)) throw new FormatError('invalid base64');
  return new Uint8Array(Buffer.from(clean, 'base64'));
}

function errorText(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

const SEAL_XPATH = '/*/ds:Signature';

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
 * document) or the XPath that selects the root's ds:Signature children (SEAL_XPATH: the only one
 * there, e.g. a seal); undefined for any other XPath, which only xmldom's tree can answer.
 */
function selectSignatureDirect(doc: SDocument, signatureXPath?: string): El | undefined {
  const root = doc.documentElement as El;
  if (signatureXPath === SEAL_XPATH)
    return checkSignatureShape(exactlyOneSelected(elementChildren(root).filter((e) => isDs(e, 'Signature'))));
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
function selectSignature(doc: Doc, signatureXPath?: string): El {
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
// Identification of the signing certificate (EN 319 102-1 §5.2.3)

const DIGEST_BY_URI: Record<string, string> = {
  'http://www.w3.org/2000/09/xmldsig#sha1': 'sha1',
  'http://www.w3.org/2001/04/xmldsig-more#sha224': 'sha224',
  'http://www.w3.org/2001/04/xmlenc#sha256': 'sha256',
  'http://www.w3.org/2001/04/xmldsig-more#sha384': 'sha384',
  'http://www.w3.org/2001/04/xmlenc#sha512': 'sha512',
};

interface CertRef {
  /** 'SigningCertificateV2' or 'SigningCertificate'. */
  property: string;
  digestAlgorithm: string;
  digest: Uint8Array;
  /** IssuerSerialV2 (DER) or v1 IssuerSerial serial (decimal). */
  issuerSerialV2?: Uint8Array;
  serialDecimal?: string;
}

interface XadesInfo {
  refs: CertRef[];
  signingTime?: Date;
}

/** Reads the XAdES signed properties that matter here, checking that they are actually signed. */
function readXades(sig: El): XadesInfo | undefined {
  let qp: El | undefined;
  for (const obj of childElements(sig, NS.ds, 'Object')) {
    const q = child(obj, NS.xades, 'QualifyingProperties');
    if (q) {
      if (qp) throw new FormatError('more than one xades:QualifyingProperties');
      qp = q;
    }
  }
  if (!qp) return undefined;
  const sigId = sig.getAttribute('Id');
  const target = qp.getAttribute('Target');
  if (target && (!sigId || target !== `#${sigId}`)) {
    throw new FormatError(`xades:QualifyingProperties Target ${target} does not point to this signature`);
  }
  const sp = child(qp, NS.xades, 'SignedProperties');
  if (!sp) return { refs: [] };
  // EN 319 132-1 §4.3.1: the SignedProperties must be covered by a ds:Reference, or nothing in them is signed.
  const spId = sp.getAttribute('Id');
  const refs = childElements(child(sig, NS.ds, 'SignedInfo') as El, NS.ds, 'Reference');
  if (!spId || !refs.some((r) => r.getAttribute('URI') === `#${spId}`)) {
    throw new FormatError('xades:SignedProperties is not covered by any ds:Reference');
  }
  const ssp = child(sp, NS.xades, 'SignedSignatureProperties');
  const out: XadesInfo = { refs: [] };
  const st = text(child(ssp, NS.xades, 'SigningTime'));
  if (st) {
    const d = new Date(st);
    if (Number.isNaN(d.getTime())) throw new FormatError(`xades:SigningTime is not a dateTime: ${st}`);
    out.signingTime = d;
  }
  for (const property of ['SigningCertificateV2', 'SigningCertificate']) {
    for (const holder of ssp ? childElements(ssp, NS.xades, property) : []) {
      for (const cert of childElements(holder, NS.xades, 'Cert')) {
        const cd = child(cert, NS.xades, 'CertDigest');
        const alg = child(cd, NS.ds, 'DigestMethod')?.getAttribute('Algorithm') ?? '';
        const ref: CertRef = { property, digestAlgorithm: alg, digest: base64Bytes(text(child(cd, NS.ds, 'DigestValue'))) };
        const isv2 = text(child(cert, NS.xades, 'IssuerSerialV2'));
        if (isv2) ref.issuerSerialV2 = base64Bytes(isv2);
        const serial = text(child(child(cert, NS.xades, 'IssuerSerial'), NS.ds, 'X509SerialNumber'));
        if (serial) ref.serialDecimal = serial;
        out.refs.push(ref);
      }
    }
  }
  return out;
}

/**
 * ds:KeyInfo and xades:UnsignedProperties of this signature that no ds:Reference of it points into
 * (by an Id on them or below them; any xpointer reference keeps everything).
 */
function unreferencedParts(sig: El): El[] {
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

/** RFC 5035 IssuerSerial { issuer GeneralNames, serialNumber } against a certificate. */
function issuerSerialMatches(der: Uint8Array, cert: x509.X509Certificate): boolean {
  try {
    const asn = asn1js.fromBER(der);
    if (asn.offset === -1) return false;
    const [names, serial] = (asn.result as asn1js.Sequence).valueBlock.value;
    if (!(serial instanceof asn1js.Integer)) return false;
    if (normalizeSerialHex(Buffer.from(serial.valueBlock.valueHexView).toString('hex')) !== normalizeSerialHex(cert.serialNumber))
      return false;
    const issuerDer = new Uint8Array(cert.issuerName.toArrayBuffer());
    for (const gn of (names as asn1js.Sequence).valueBlock.value) {
      // directoryName [4] EXPLICIT Name
      if (gn.idBlock.tagClass === 3 && gn.idBlock.tagNumber === 4 && gn instanceof asn1js.Constructed) {
        const name = gn.valueBlock.value[0];
        if (name && equalBytes(new Uint8Array(name.toBER()), issuerDer)) return true;
      }
    }
    return false;
  } catch {
    return false;
  }
}

/** Does this XAdES certificate reference designate `cert`? Returns the reason when it does not. */
function refMatches(ref: CertRef, cert: x509.X509Certificate): string | null {
  const alg = DIGEST_BY_URI[ref.digestAlgorithm];
  if (!alg) return `unsupported CertDigest algorithm ${ref.digestAlgorithm || '(none)'}`;
  const digest = new Uint8Array(createHash(alg).update(new Uint8Array(cert.rawData)).digest());
  if (!equalBytes(digest, ref.digest)) return 'CertDigest differs';
  if (ref.issuerSerialV2 && !issuerSerialMatches(ref.issuerSerialV2, cert)) return 'IssuerSerialV2 differs';
  if (ref.serialDecimal) {
    let same = false;
    try {
      same = BigInt(ref.serialDecimal) === BigInt(`0x${normalizeSerialHex(cert.serialNumber)}`);
    } catch {
      /* not a number */
    }
    if (!same) return 'IssuerSerial X509SerialNumber differs';
  }
  return null;
}

function keyInfoCertificates(sig: El): x509.X509Certificate[] {
  const out: x509.X509Certificate[] = [];
  const keyInfo = child(sig, NS.ds, 'KeyInfo');
  if (!keyInfo) return out;
  for (const data of childElements(keyInfo, NS.ds, 'X509Data')) {
    for (const c of childElements(data, NS.ds, 'X509Certificate')) {
      try {
        out.push(certificateFromDer(base64Bytes(text(c))));
      } catch {
        /* an unparsable certificate identifies nobody */
      }
    }
  }
  return out;
}

/** Among candidates, the one that issued none of the others (the end of the chain). */
function leafMost(certs: x509.X509Certificate[]): x509.X509Certificate {
  const leaf = certs.find((c) => !certs.some((d) => d !== c && d.issuer === c.subject && d.subject !== c.subject));
  return leaf ?? certs[0];
}

// ---------------------------------------------------------------------------------------------
// Cryptographic verification (EN 319 102-1 §5.2.7): XMLDSig core validation with xadesjs

interface ReferenceResult {
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
interface CoreCheck {
  checkReferences(): Promise<ReferenceResult[]>;
  checkSignatureValue(cert: x509.X509Certificate): Promise<boolean>;
}

/** Any signature xadesjs can read. */
function loadWithXadesjs(doc: Doc, sig: El): CoreValidator {
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
class ExcC14nCore implements CoreCheck {
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
        const octets = canonicalise(r.targets[0]!, r.enveloped ? this.sig : undefined);
        return { uri: r.uri, ok: equalBytes(new Uint8Array(createHash(r.hash).update(octets, 'utf8').digest()), r.digest) };
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
// The validation process

function report(
  indication: Indication,
  subIndication: SubIndication | undefined,
  message: string,
  rest: Omit<VerificationReport, 'indication' | 'subIndication' | 'message' | 'checks'>,
  checks: Check[],
): VerificationReport {
  return { indication, ...(subIndication ? { subIndication } : {}), message, ...rest, checks };
}

function check(name: CheckName, ok: boolean, detail: string): Check {
  return { name, ok, detail, at: new Date() };
}

/** EN 319 102-1: what a certificate-path failure means for the signature. */
const PATH_INDICATION: Record<string, Indication> = {
  NO_CERTIFICATE_CHAIN_FOUND: 'INDETERMINATE',
  OUT_OF_BOUNDS_NO_POE: 'INDETERMINATE',
  CHAIN_CONSTRAINTS_FAILURE: 'INDETERMINATE',
  // §5.2.6/§5.5: a certificate not yet valid at the validation time cannot have made the signature.
  NOT_YET_VALID: 'TOTAL-FAILED',
};

async function askRevocation(
  revocation: RevocationChecker,
  cert: x509.X509Certificate,
  issuer: x509.X509Certificate,
): Promise<RevocationRecord> {
  const base = { subject: cert.subject, serialHex: normalizeSerialHex(cert.serialNumber) };
  try {
    const a = await revocation(cert, issuer);
    if (!a || !a.status || !['good', 'revoked', 'unknown'].includes(a.status.status)) {
      return { ...base, status: { status: 'unknown' }, source: a?.source ?? 'ocsp', detail: 'revocation checker gave no status' };
    }
    return { ...base, ...a };
  } catch (e) {
    return { ...base, status: { status: 'unknown' }, source: 'ocsp', detail: `revocation checker failed: ${errorText(e)}` };
  }
}

/**
 * Verifies the XMLDSig/XAdES signature in `xml` (see the top of this file). Never throws: any failure,
 * including unparsable input, comes back as a report.
 */
export async function verifyXmlSignature(xml: string, opts: VerifyOptions): Promise<VerificationReport> {
  const checks: Check[] = [];
  try {
    return await verifyInner(xml, opts, checks);
  } catch (e) {
    if (e instanceof FormatError) return report('TOTAL-FAILED', 'FORMAT_FAILURE', e.message, {}, checks);
    return report('INDETERMINATE', 'GENERIC', `verification could not be completed: ${errorText(e)}`, {}, checks);
  }
}

async function verifyInner(xml: string, opts: VerifyOptions, checks: Check[]): Promise<VerificationReport> {
  useXades();
  const at = opts.at ?? new Date();

  // 1. Format checking (§5.2.2).
  if (typeof xml !== 'string') throw new FormatError('input is not a string');
  // Every document is read by the strict parser first: what it refuses is a format failure. segl's own
  // profile (exclusive C14N throughout, RSA PKCS#1 v1.5) is validated directly on that tree; any other
  // shape, and a signatureXPath other than SEAL_XPATH, are read again with xmldom for
  // xadesjs / XPath, exactly as before.
  const tree = parseDocument(xml);
  const direct = selectSignatureDirect(tree, opts.signatureXPath);
  let sig: El;
  let xades: XadesInfo | undefined;
  let core: CoreCheck;
  const directXades = direct && readXades(direct);
  const directCore = direct && ExcC14nCore.plan(tree, direct);
  if (direct && directCore) {
    sig = direct;
    xades = directXades;
    core = directCore;
  } else {
    const doc = parseXml(xml);
    sig = selectSignature(doc, opts.signatureXPath);
    xades = readXades(sig);
    core = ExcC14nCore.plan(doc as unknown as AnyDoc, sig) ?? loadWithXadesjs(doc, sig);
  }
  const signingTime = xades?.signingTime;

  // 2. Identification of the signing certificate (§5.2.3).
  const keyInfoCerts = keyInfoCertificates(sig);
  let signer: x509.X509Certificate | undefined;
  if (!keyInfoCerts.length) {
    checks.push(check('signing-certificate-reference', false, 'no X509Certificate in ds:KeyInfo'));
    return report(
      'INDETERMINATE',
      'NO_SIGNING_CERTIFICATE_FOUND',
      'the signature carries no signing certificate (ds:KeyInfo/ds:X509Data/ds:X509Certificate)',
      { signingTime },
      checks,
    );
  }
  if (xades?.refs.length) {
    const matching = keyInfoCerts.filter((c) => xades.refs.some((r) => refMatches(r, c) === null));
    if (!matching.length) {
      const why = xades.refs.map((r) => `${r.property}: ${keyInfoCerts.map((c) => refMatches(r, c)).join('; ')}`).join(' | ');
      checks.push(
        check('signing-certificate-reference', false, `no ds:KeyInfo certificate matches the signed certificate reference (${why})`),
      );
      return report(
        'INDETERMINATE',
        'NO_SIGNING_CERTIFICATE_FOUND',
        `the XAdES signing certificate reference does not designate any certificate in ds:KeyInfo (${why})`,
        { signingTime },
        checks,
      );
    }
    signer = leafMost(matching);
    const prop = xades.refs.find((r) => refMatches(r, signer as x509.X509Certificate) === null)?.property;
    checks.push(check('signing-certificate-reference', true, `${prop} CertDigest matches ${signer.subject}`));
  } else {
    signer = leafMost(keyInfoCerts);
    checks.push(
      check(
        'signing-certificate-reference',
        true,
        `${xades ? 'XAdES without a signing certificate reference' : 'plain XMLDSig (no XAdES signing certificate reference)'}; signer taken from ds:KeyInfo: ${signer.subject}`,
      ),
    );
  }
  const identified = { signer, signingTime };

  // 3. Cryptographic verification (§5.2.7): references first (HASH_FAILURE), then SignatureValue.
  let refs: ReferenceResult[];
  try {
    refs = await core.checkReferences();
  } catch (e) {
    throw new FormatError(`references could not be processed: ${errorText(e)}`);
  }
  const unresolved = refs.filter((r) => r.error);
  const notFound = unresolved.filter((r) => /Cannot get object by reference/i.test(r.error as string));
  if (notFound.length) {
    const detail = notFound.map((r) => `${r.uri}: ${r.error}`).join('; ');
    checks.push(check('core-validation', false, `signed data not found: ${detail}`));
    return report('INDETERMINATE', 'SIGNED_DATA_NOT_FOUND', `signed data object(s) not found: ${detail}`, identified, checks);
  }
  if (unresolved.length) {
    const detail = unresolved.map((r) => `${r.uri}: ${r.error}`).join('; ');
    checks.push(check('core-validation', false, `reference processing failed: ${detail}`));
    return report('TOTAL-FAILED', 'FORMAT_FAILURE', `reference(s) could not be processed: ${detail}`, identified, checks);
  }
  const badDigests = refs.filter((r) => !r.ok);
  if (badDigests.length) {
    const detail = `digest mismatch for reference(s) ${badDigests.map((r) => r.uri || '""').join(', ')}`;
    checks.push(check('core-validation', false, detail));
    return report('TOTAL-FAILED', 'HASH_FAILURE', `the signed data was changed after signing: ${detail}`, identified, checks);
  }
  let sigOk = false;
  let sigError = '';
  try {
    sigOk = await core.checkSignatureValue(signer);
  } catch (e) {
    sigError = `: ${errorText(e)}`;
  }
  if (!sigOk) {
    const detail = `${refs.length} reference digest(s) match but ds:SignatureValue does not verify with the key of ${signer.subject}${sigError}`;
    checks.push(check('core-validation', false, detail));
    return report('TOTAL-FAILED', 'SIG_CRYPTO_FAILURE', detail, identified, checks);
  }
  checks.push(
    check(
      'core-validation',
      true,
      `${refs.length} reference digest(s) and ds:SignatureValue verified (${core instanceof ExcC14nCore ? 'segl exclusive C14N' : 'xadesjs'})`,
    ),
  );

  // 4. X.509 certificate validation (§5.2.6): the path, at `at`.
  const extra = keyInfoCerts.filter((c) => c !== signer);
  const path = await validatePath(signer, { anchors: opts.anchors, intermediates: [...(opts.intermediates ?? []), ...extra], at });
  if (!path.ok) {
    checks.push(check('path-validation', false, path.message));
    return report(
      PATH_INDICATION[path.subIndication],
      path.subIndication,
      `certificate path validation at ${at.toISOString()} failed: ${path.message}`,
      { ...identified, ...(path.chain ? { chain: path.chain } : {}) },
      checks,
    );
  }
  const chain = path.chain;
  checks.push(
    check(
      'path-validation',
      true,
      `path of ${chain.length} certificate(s) to trust anchor ${chain[chain.length - 1].subject}, valid at ${at.toISOString()}`,
    ),
  );

  // 5. Revocation (§5.2.5/§5.2.6): the signer, and the intermediate CAs if asked. The anchor is trusted as such.
  const withChain = { ...identified, chain };
  if (chain.length < 2) {
    checks.push(check('revocation', true, 'the signing certificate is itself a trust anchor; no revocation check'));
    return report(
      'TOTAL-PASSED',
      undefined,
      'signature valid; signing certificate is a trust anchor',
      { ...withChain, revocation: [] },
      checks,
    );
  }
  const subjects = opts.checkCaRevocation ? chain.slice(0, -1) : [signer];
  const records: RevocationRecord[] = [];
  for (const cert of subjects) {
    const i = chain.indexOf(cert);
    records.push(await askRevocation(opts.revocation, cert, chain[i + 1]));
  }
  const full = { ...withChain, revocation: records };
  const describe = (r: RevocationRecord, i: number): string => `${i === 0 ? 'signing certificate' : 'CA certificate'} ${r.subject}`;

  for (const [i, r] of records.entries()) {
    const s = r.status;
    const who = describe(r, i);
    if (s.status === 'revoked' && s.reason === 'certificateHold') {
      // A held certificate is SUSPENDED, not revoked (RFC 5280 §5.3.1 certificateHold): the hold may be
      // released ("removeFromCRL"), after which the certificate is good again, so the answer is not
      // final. EN 319 102-1 gives no sub-indication for suspension; TRY_LATER says "ask again".
      const detail = `${who} is on hold (certificateHold, suspended since ${s.revokedAt.toISOString()}) according to ${r.source}`;
      checks.push(check('revocation', false, detail));
      return report(
        'INDETERMINATE',
        'TRY_LATER',
        `${detail}; the certificate is suspended, not revoked: validate again later`,
        full,
        checks,
      );
    }
    if (s.status === 'revoked') {
      const reason = s.reason ?? 'unspecified';
      const detail = `${who} was revoked at ${s.revokedAt.toISOString()} (reason ${reason}) according to ${r.source}`;
      checks.push(check('revocation', false, detail));
      if (i > 0) return report('INDETERMINATE', 'REVOKED_CA_NO_POE', detail, full, checks);
      if (s.revokedAt <= at) return report('TOTAL-FAILED', 'REVOKED', detail, full, checks);
      // Revoked after the validation time: only proof that the signature existed before the
      // revocation (a time-stamp, §5.5/§5.6) could save it, and basic validation has none.
      return report('INDETERMINATE', 'REVOKED_NO_POE', `${detail}, after the validation time ${at.toISOString()}`, full, checks);
    }
    if (s.status !== 'good') {
      const detail = `status of ${who} is unknown (${r.source}${r.detail ? `: ${r.detail}` : ''})`;
      checks.push(check('revocation', false, detail));
      return report('INDETERMINATE', 'TRY_LATER', `${detail}; revocation status could not be established, try later`, full, checks);
    }
  }
  const detail = records.map((r, i) => `${describe(r, i)} good (${r.source})`).join('; ');
  checks.push(check('revocation', true, detail));
  return report(
    'TOTAL-PASSED',
    undefined,
    `signature valid: core validation passed, path to ${chain[chain.length - 1].subject}, ${detail}`,
    full,
    checks,
  );
}

// ---------------------------------------------------------------------------------------------
// OCSP revocation checker (RFC 6960)

export interface OcspCheckerOptions {
  /**
   * POSTs a DER OCSPRequest to `url` and returns the DER body. The transport is the product's (src/signing/online.ts
   * over HTTP, or the test CA in process): trust/ does no I/O.
   */
  fetch: (url: string, der: Uint8Array) => Promise<Uint8Array>;
  /** Locally trusted OCSP responder certificates (RFC 6960 §4.2.2.2 case 1). */
  responderTrust?: x509.X509Certificate[];
  /** Clock for the freshness check; default now. */
  now?: () => Date;
  /** Tolerated clock skew for thisUpdate/nextUpdate, minutes; default 5. */
  skewMinutes?: number;
  /** Maximum age of a response without nextUpdate, minutes; default 60 * 24. */
  maxAgeMinutes?: number;
}

/** The first http(s) OCSP URL in the certificate's AuthorityInfoAccess (RFC 5280 §4.2.2.1). */
export function ocspUrlOf(cert: x509.X509Certificate): string | undefined {
  const aia = cert.getExtension(x509.AuthorityInfoAccessExtension);
  return aia?.ocsp.map((g) => String(g.value)).find((u) => /^https?:\/\//i.test(u));
}

/**
 * RFC 6960 §4.1: an OCSPRequest for one certificate (CertID with SHA-1) carrying a nonce (§4.4.1),
 * written directly in DER (der.ts): SEQUENCE { TBSRequest { requestList { Request { CertID } },
 * [2] requestExtensions { nonce } } }.
 */
export async function buildOcspRequest(
  cert: x509.X509Certificate,
  issuer: x509.X509Certificate,
): Promise<{ der: Uint8Array; nonce: Uint8Array }> {
  const nonce = crypto.getRandomValues(new Uint8Array(16));
  const nonceExtension = tlv(TAG.sequence, oid(OCSP_NONCE), tlv(TAG.octetString, tlv(TAG.octetString, nonce)));
  const tbsRequest = tlv(
    TAG.sequence,
    tlv(TAG.sequence, tlv(TAG.sequence, await certIdFor(cert, issuer))),
    tlv(0xa2, tlv(TAG.sequence, nonceExtension)),
  );
  return { der: tlv(TAG.sequence, tbsRequest), nonce };
}

/**
 * A RevocationChecker that asks the OCSP responder named in each certificate's AIA: builds the
 * request, hands it to the given transport, checks the answer with checkOcspResponse (signature, authorised responder, nonce,
 * the certificate's entry) and its freshness. Anything that goes wrong (no URL, network error,
 * unverifiable or stale response) is an `unknown` status with the reason in `detail`, which the
 * verifier reports as INDETERMINATE TRY_LATER.
 */
export function ocspRevocationChecker(o: OcspCheckerOptions): RevocationChecker {
  const post = o.fetch;
  const skewMs = (o.skewMinutes ?? 5) * 60_000;
  const maxAgeMs = (o.maxAgeMinutes ?? 60 * 24) * 60_000;
  return async (cert, issuer) => {
    const unknown = (detail: string, responseDer?: Uint8Array): RevocationAnswer => ({
      status: { status: 'unknown' },
      source: 'ocsp',
      detail,
      ...(responseDer ? { responseDer } : {}),
    });
    const url = ocspUrlOf(cert);
    if (!url) return unknown('the certificate names no http OCSP responder in AuthorityInfoAccess');
    let request: { der: Uint8Array; nonce: Uint8Array };
    try {
      request = await buildOcspRequest(cert, issuer);
    } catch (e) {
      return unknown(`could not build the OCSP request: ${errorText(e)}`);
    }
    let responseDer: Uint8Array;
    try {
      responseDer = await post(url, request.der);
    } catch (e) {
      const cause = (e as { cause?: { code?: string } })?.cause?.code;
      return unknown(`OCSP responder ${url} unreachable: ${errorText(e)}${cause ? ` (${cause})` : ''}`);
    }
    try {
      const r = await checkOcspResponse(responseDer, {
        issuer,
        serialHex: normalizeSerialHex(cert.serialNumber),
        nonce: request.nonce,
        ...(o.responderTrust ? { responderTrust: o.responderTrust } : {}),
      });
      const now = (o.now ?? (() => new Date()))().getTime();
      if (r.thisUpdate.getTime() > now + skewMs) return unknown(`OCSP response thisUpdate ${r.thisUpdate.toISOString()} is in the future`);
      if (r.nextUpdate ? r.nextUpdate.getTime() < now - skewMs : r.thisUpdate.getTime() < now - maxAgeMs) {
        return unknown(
          `OCSP response is stale (thisUpdate ${r.thisUpdate.toISOString()}${r.nextUpdate ? `, nextUpdate ${r.nextUpdate.toISOString()}` : ''})`,
        );
      }
      return {
        status: r.status,
        responseDer,
        source: 'ocsp',
        detail: `OCSP response from ${r.responder.subject} produced ${r.producedAt.toISOString()}`,
      };
    } catch (e) {
      return unknown(`OCSP response from ${url} rejected: ${errorText(e)}`);
    }
  };
}

// Reading what a package's cover needs from one sealed LTV-SDO (docs/ltvsdo.md): the documents and
// sign text from the native signature's SignProperties, the signer description, the trusted signing
// time, the initial verification's indication, the signer's and the seal's certificates, and the
// signer's drawing (sp:Handwriting's PNG) when there is one. This
// reads; it does not verify: run the LTV-SDO through segl's verifier (signing/offline.ts
// verifyLtvSdo) before packaging it. Each document's bytes are checked against the digest and size
// SignProperties gives for them. The XML is parsed once (parseLtvSdo, the strict parser the verifier
// uses) and the same tree is handed to the verifier: a 100-page SDO is read once, not three times.
import { createHash } from 'node:crypto';
import { pngHeader } from '../content/png';
import { HANDWRITING_LIMITS } from '../core/signer';
import { LTVSDO_NS, signatureLevelOf } from '../trust/ltvsdo';
import { certificateFromDer } from '../trust/x509/cache';
import { parseStrict, StrictXmlError, type SDocument, type SElement } from '../trust/xml/strictxml';
import { ALG, SIGNPROPERTIES_NS } from '../trust/xades/signature';
import type { PackageSigner } from './types';

const DS = 'http://www.w3.org/2000/09/xmldsig#';

export interface SdoDocument {
  /** the DocumentId in the signing order */
  id: string;
  description?: string;
  mimeType: string;
  bytes: Uint8Array;
  /** lower-case hex SHA-256 of `bytes` (equal to SignProperties' DigestValue) */
  sha256: string;
}

export interface LtvSdoSummary {
  /** the LtvSdo element's Id */
  id: string;
  documents: SdoDocument[];
  signText: string;
  /** level `simple`: a handwriting-only signature (SignatureLevel; no eID, the certificate is the platform's) */
  signer: { name: string; pid?: string; nationalId?: string; nationality?: string; certificateKind?: string; level?: 'simple' };
  trustedSigningTime: Date;
  signerCertificate: { subject: string; issuer: string };
  initialVerification: { indication: string; subIndication?: string };
  seal: { subject: string; issuer: string };
  /** the signer's drawing (InkSign, sp:Handwriting's Image), when the native signature carries one */
  handwriting?: SdoHandwriting;
}

/** A drawn signature's rendered PNG, as signed (its own bytes, not a view of the SDO's text). */
export interface SdoHandwriting {
  png: Uint8Array;
  /** in pixels, from the PNG's IHDR (equal to the Image element's Width and Height) */
  width: number;
  height: number;
}

/** The bytes are not a readable LTV-SDO of segl's format. */
export class LtvSdoFormatError extends Error {
  constructor(message: string) {
    super(`not an LTV-SDO: ${message}`);
    this.name = 'LtvSdoFormatError';
  }
}

const fail = (message: string): never => {
  throw new LtvSdoFormatError(message);
};

function child(n: SElement, local: string, uri: string): SElement | undefined {
  for (let c = n.firstChild; c; c = c.nextSibling) if (c.nodeType === 1 && c.localName === local && c.namespaceURI === uri) return c;
  return undefined;
}

function children(n: SElement, local: string, uri: string): SElement[] {
  const out: SElement[] = [];
  for (let c = n.firstChild; c; c = c.nextSibling) if (c.nodeType === 1 && c.localName === local && c.namespaceURI === uri) out.push(c);
  return out;
}

function need(n: SElement | undefined, local: string, uri: string, where: string): SElement {
  return (n && child(n, local, uri)) ?? fail(`no ${local} in ${where}`);
}

function optText(n: SElement, local: string): string | undefined {
  const c = child(n, local, LTVSDO_NS);
  return c ? own(c.textContent) : undefined;
}

/**
 * A copy of `s` that holds nothing else: the parser's strings are slices of the SDO's whole text, and V8 keeps the
 * whole text alive for as long as a slice of it lives (a summary kept a 70 MB text alive through packaging).
 */
function own<T extends string | undefined>(s: T): T {
  return (s === undefined ? s : Buffer.from(s, 'utf8').toString('utf8')) as T;
}

/**
 * Strict base64 (RFC 4648 §4, the standard alphabet; whitespace between characters allowed, as xs:base64Binary):
 * one pass over the characters (a regular expression over a 600 kB string took three times as long), decoding as it
 * goes by Node's decoder (which skips whitespace) into one buffer of the final size, a slice of about 1 MiB at a time:
 * Node copies a string it decodes whole into a temporary of the string's size first (a 70 MB PDF's text was held
 * twice).
 */
function base64(text: string, what: string): Uint8Array {
  let n = 0;
  let pad = 0;
  let from = 0;
  let written = 0;
  let out = Buffer.allocUnsafe(Math.ceil(text.length / 4) * 3);
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09) continue;
    n++;
    if (c === 0x3d) pad++;
    else if (pad || !BASE64[c]) fail(`${what} is not base64`);
    if ((n & 3) === 0 && i + 1 - from >= DECODE_SLICE) {
      written += out.write(text.slice(from, i + 1), written, 'base64');
      from = i + 1;
    }
  }
  if (n % 4 !== 0 || pad > 2) fail(`${what} is not base64`);
  if (from < text.length) written += out.write(text.slice(from), written, 'base64');
  // Padding and whitespace made the first guess larger: a view when little is left over (line breaks every 76
  // characters leave under 2 %), else the bytes copied once into a buffer of their own size.
  out = written * 8 >= out.length * 7 ? out.subarray(0, written) : Buffer.from(out.subarray(0, written));
  return new Uint8Array(out.buffer, out.byteOffset, out.byteLength);
}
const DECODE_SLICE = 1 << 20;
const BASE64 = new Uint8Array(128);
for (const c of 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/') BASE64[c.charCodeAt(0)] = 1;

/** Subject and issuer of the certificate in a ds:Signature's KeyInfo. */
function certificateOf(sig: SElement, what: string): { subject: string; issuer: string } {
  const data = need(need(sig, 'KeyInfo', DS, what), 'X509Data', DS, `${what} KeyInfo`);
  const der = base64(need(data, 'X509Certificate', DS, `${what} X509Data`).textContent, `${what} certificate`);
  try {
    const cert = certificateFromDer(der); // parsed once per process: verifyLtvSdo reads the same certificates
    return { subject: cert.subject, issuer: cert.issuer };
  } catch {
    return fail(`${what} certificate is not an X.509 certificate`);
  }
}

const ATTACHED = ['attachedpdf', 'attachedtext', 'attacheddata'];

/**
 * Documents already decoded while reading the SDOs of one package, by their text in the SDO: the same document
 * signed by several people is decoded (and hashed) once. Each SDO's own digest and size are still checked.
 */
export type DecodedDocuments = Map<string, { text: string; encoded: boolean; bytes: Uint8Array; sha: Buffer }>;

function document(d: SElement, n: number, decoded: DecodedDocuments): SdoDocument {
  const where = `document ${n}`;
  const id = d.getAttribute('DocumentId') ?? fail(`${where} has no DocumentId`);
  const mimeType = need(d, 'MimeType', SIGNPROPERTIES_NS, where).textContent;
  const content = ATTACHED.map((local) => child(d, local, SIGNPROPERTIES_NS)).find((c) => c) ?? fail(`${where} has no content`);
  const encoded = content.getAttribute('Encoding') === 'base64';
  const text = content.textContent;
  const digest = need(d, 'DigestValue', SIGNPROPERTIES_NS, where);
  // Looked up by the digest the SDO claims (short), used only when the text is the same too.
  let done = decoded.get(digest.textContent);
  if (!done || done.text !== text || done.encoded !== encoded) {
    const bytes = encoded ? base64(text, `${where} content`) : new Uint8Array(Buffer.from(text, 'utf8'));
    done = { text, encoded, bytes, sha: createHash('sha256').update(bytes).digest() };
    decoded.set(digest.textContent, done);
  }
  const { bytes, sha } = done;
  const algorithm = digest.getAttribute('Algorithm');
  if (algorithm !== ALG.sha256) fail(`${where}: digest algorithm ${algorithm ?? '(none)'} is not SHA-256`);
  if (!sha.equals(Buffer.from(base64(digest.textContent, `${where} digest`))))
    fail(`document ${JSON.stringify(id)}: its bytes do not match its digest`);
  const size = child(d, 'Size', SIGNPROPERTIES_NS)?.textContent;
  if (size !== undefined && size !== String(bytes.length)) fail(`document ${JSON.stringify(id)}: ${bytes.length} bytes, Size says ${size}`);
  const description = child(d, 'Description', SIGNPROPERTIES_NS)?.textContent;
  return {
    id: own(id),
    description: description ? own(description) : undefined,
    mimeType: own(mimeType),
    bytes,
    sha256: sha.toString('hex'),
  };
}

function signProperties(native: SElement): SElement {
  for (const o of children(native, 'Object', DS)) {
    const sp = child(o, 'SignProperties', SIGNPROPERTIES_NS);
    if (sp) return sp;
  }
  return fail('the native signature has no SignProperties');
}

export { HANDWRITING_LIMITS };

/**
 * The drawing in SignProperties' sp:Handwriting (docs/ltvsdo.md), if there is one: its Image's PNG, checked against
 * the Image's SHA-256 DigestValue, its IHDR (PNG §11.2.2) against Width and Height, and against the portal's limits;
 * a larger one is refused before it is decoded whole.
 */
function handwriting(sp: SElement): SdoHandwriting | undefined {
  const hw = child(sp, 'Handwriting', SIGNPROPERTIES_NS);
  if (!hw) return undefined;
  const image = need(hw, 'Image', SIGNPROPERTIES_NS, 'Handwriting');
  if (image.getAttribute('MimeType') !== 'image/png' || image.getAttribute('Encoding') !== 'base64')
    fail('the handwriting image is not a base64 image/png');
  const text = need(image, 'Data', SIGNPROPERTIES_NS, 'Handwriting/Image').textContent;
  const { pngBytes, pixels } = HANDWRITING_LIMITS;
  // base64 is 4 characters per 3 bytes; twice that leaves room for any whitespace a line-wrapped text has
  if (text.length > Math.ceil(pngBytes / 3) * 8) fail(`the handwriting image is larger than ${pngBytes} bytes`);
  const png = new Uint8Array(base64(text, 'the handwriting image')); // a copy of its own size
  if (png.length > pngBytes) fail(`the handwriting image is larger than ${pngBytes} bytes`);
  const digest = need(image, 'DigestValue', SIGNPROPERTIES_NS, 'Handwriting/Image');
  if (digest.getAttribute('Algorithm') !== ALG.sha256) fail('the handwriting image digest is not SHA-256');
  if (
    !createHash('sha256')
      .update(png)
      .digest()
      .equals(Buffer.from(base64(digest.textContent, 'the handwriting image digest')))
  )
    fail('the handwriting image does not match its digest');
  const { width, height } = pngHeader(png) ?? fail('the handwriting image is not a PNG');
  if (!width || !height || width > pixels || height > pixels) fail(`the handwriting image is ${width}×${height}, over ${pixels}×${pixels}`);
  if (image.getAttribute('Width') !== String(width) || image.getAttribute('Height') !== String(height))
    fail(`the handwriting image is ${width}×${height}, its Width and Height say otherwise`);
  return { png, width, height };
}

/** An LTV-SDO's text and its strict parse, read once and shared by readLtvSdo and the verifier. */
export interface ParsedLtvSdo {
  xml: string;
  document: SDocument;
}

/** Decodes and parses an LTV-SDO (UTF-8, well-formed, no DTD); LtvSdoFormatError otherwise. */
export function parseLtvSdo(bytes: Uint8Array): ParsedLtvSdo {
  let xml: string;
  try {
    xml = new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    return fail('not UTF-8');
  }
  try {
    return { xml, document: parseStrict(xml) };
  } catch (e) {
    if (e instanceof StrictXmlError) return fail(`not well-formed XML: ${e.message}`);
    throw e;
  }
}

/** How the cover describes the signature an LTV-SDO holds (documentIds: its documents' ids in the package). */
export function signerOf(s: LtvSdoSummary, documentIds: string[] = s.documents.map((d) => d.id)): PackageSigner {
  return {
    name: s.signer.name,
    nationalId: s.signer.nationalId,
    nationality: s.signer.nationality,
    method: s.signer.certificateKind,
    pid: s.signer.pid,
    signedAt: s.trustedSigningTime,
    // a handwriting-only signature has no certificate of the signer (the native signature's is the platform's)
    certSubject: s.signer.level ? '' : s.signerCertificate.subject,
    certIssuer: s.signer.level ? '' : s.signerCertificate.issuer,
    ...(s.signer.level ? { level: s.signer.level } : {}),
    indication: s.initialVerification.indication,
    documentIds,
    signText: s.signText,
    handwriting: s.handwriting,
  };
}

/**
 * Reads one sealed LTV-SDO (its bytes, or its parse from parseLtvSdo); LtvSdoFormatError for anything else.
 * `decoded` is shared by the SDOs of one package (DecodedDocuments).
 */
export function readLtvSdo(input: Uint8Array | ParsedLtvSdo, decoded: DecodedDocuments = new Map()): LtvSdoSummary {
  const root = (input instanceof Uint8Array ? parseLtvSdo(input) : input).document.documentElement ?? fail('no root element');
  if (root.namespaceURI !== LTVSDO_NS || root.localName !== 'LtvSdo')
    fail(`the root element is {${root.namespaceURI ?? ''}}${root.localName}, not {${LTVSDO_NS}}LtvSdo`);
  const native = need(need(root, 'SignedDataObject', LTVSDO_NS, 'LtvSdo'), 'Signature', DS, 'SignedDataObject');
  const sp = signProperties(native);
  const docs = children(need(sp, 'Documents', SIGNPROPERTIES_NS, 'SignProperties'), 'Document', SIGNPROPERTIES_NS);
  if (!docs.length) fail('SignProperties lists no documents');
  const sd = need(root, 'SignerDescription', LTVSDO_NS, 'LtvSdo');
  const time = new Date(need(need(root, 'TrustedSigningTime', LTVSDO_NS, 'LtvSdo'), 'Time', LTVSDO_NS, 'TrustedSigningTime').textContent);
  if (Number.isNaN(time.getTime())) fail('TrustedSigningTime/Time is not a time');
  const iv = need(need(root, 'ValidationData', LTVSDO_NS, 'LtvSdo'), 'InitialVerification', LTVSDO_NS, 'ValidationData');
  const seal = child(root, 'Signature', DS) ?? fail('the LTV-SDO has no seal (ds:Signature child of the root)');
  const level = signatureLevelOf(sd);
  return {
    id: own(root.getAttribute('Id') ?? ''),
    documents: docs.map((d, i) => document(d, i + 1, decoded)),
    signText: own(need(sp, 'SignText', SIGNPROPERTIES_NS, 'SignProperties').textContent),
    signer: {
      name: optText(sd, 'SignerName') ?? fail('no SignerName'),
      pid: optText(sd, 'SignerPid'),
      nationalId: optText(sd, 'SignerNationalId'),
      nationality: optText(sd, 'SignerNationality'),
      certificateKind: optText(sd, 'CertificateKind'),
      ...(level ? { level } : {}),
    },
    trustedSigningTime: time,
    signerCertificate: certificateOf(native, 'the native signature'),
    initialVerification: {
      indication: own(iv.getAttribute('Indication') ?? fail('InitialVerification has no Indication')),
      subIndication: own(iv.getAttribute('SubIndication') ?? undefined),
    },
    seal: certificateOf(seal, 'the seal'),
    handwriting: handwriting(sp),
  };
}

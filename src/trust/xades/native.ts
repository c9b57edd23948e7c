// The signer's native XAdES signature (ETSI EN 319 132-1, enveloping, baseline B-B): creation only.
import type { SignerLike } from '../sources';
import { asSigner } from '../signer';
import { el, render, type XChild, type XEl } from '../xml/c14n';
import { isXmlText, FRAGILE_LINE_CHARS } from '../xml/dom';
import {
  PROOF_OF_APPROVAL_OID,
  ALG,
  SIGNPROPERTIES_NS,
  xadesSignature,
  requireXmlText,
  OBJECT_TYPE,
  normaliseLines,
  sha256,
  xa,
  ds,
  dataObjectFormat,
  signingCertificateV2,
  b64,
  randomId,
} from './signature';
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
  signer: SignerLike;
  /** The commitment text shown to the signer. Line ends are normalised to LF. */
  signText: string;
  /** One or more documents; several make one signature over one bundle. */
  documents: DocumentToSign[];
  signingTime?: Date;
  /** a drawn signature (InkSign), carried in SignProperties after the documents */
  handwriting?: HandwritingInput;
}

/** The drawing as the portal checked it: normalised strokes, the rendered PNG and the device. */
export interface HandwritingInput {
  strokes: ReadonlyArray<{ pointerType: string; points: ReadonlyArray<{ x: number; y: number; t: number; p?: number }> }>;
  png: Uint8Array;
  width: number;
  height: number;
  device: { userAgent: string; pointerType: string; screen: string };
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
      ...(input.handwriting ? [handwritingElement(input.handwriting, sp)] : []),
    ),
  );
}

const num = (v: number) => String(Math.round(v * 10000) / 10000);

/**
 * sp:Handwriting (docs/ltvsdo.md): the device, each stroke as `x,y,t[,p]` points separated by spaces
 * (x, y normalised to 0..1 of the pad, t in ms from the stroke set's first point, p the pressure 0..1),
 * and the rendered PNG with its digest. Inside SignProperties, so the native signature's reference covers it.
 */
function handwritingElement(
  h: HandwritingInput,
  sp: (l: string, a: Record<string, string | undefined> | null, ...c: XChild[]) => XEl,
): XEl {
  const device = sp(
    'Device',
    { PointerType: requireXmlText(h.device.pointerType, 'pointer type'), Screen: requireXmlText(h.device.screen, 'screen') },
    sp('UserAgent', null, requireXmlText(h.device.userAgent, 'user agent')),
  );
  const strokes = h.strokes.map((s, i) =>
    sp(
      'Stroke',
      { Index: String(i + 1), PointerType: s.pointerType },
      s.points.map((p) => [num(p.x), num(p.y), String(Math.round(p.t)), ...(p.p === undefined ? [] : [num(p.p)])].join(',')).join(' '),
    ),
  );
  return sp(
    'Handwriting',
    { Version: '1' },
    device,
    sp('Strokes', { Count: String(strokes.length), Coordinates: 'normalised' }, ...strokes),
    sp(
      'Image',
      { MimeType: 'image/png', Width: String(h.width), Height: String(h.height), Encoding: 'base64' },
      sp('DigestValue', { Algorithm: ALG.sha256 }, b64(sha256(h.png))),
      sp('Data', null, b64(h.png)),
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
    sign: asSigner(input.signer).sign,
    certificateDer: der,
    signedProperties,
    objects: [object],
    // The object as a same-document reference selects it (exclusive C14N: as the apex of its subtree).
    references: [{ id: refId, uri: `#${objectId}`, type: OBJECT_TYPE, transforms: [ALG.excC14n], digest: sha256(render(object)) }],
  });
}

// ---------------------------------------------------------------------------------------------

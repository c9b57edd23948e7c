// The input of a XAdES archive time-stamp (ETSI EN 319 132-1 V1.2.1, the xades141:ArchiveTimeStamp qualifying
// property, input computation for the "not distributed" case), shared by its creation (xades/archive.ts) and its
// validation (validation/archive.ts): both compute the same octets from the strict parse of the same document.
//
// The octets, in this order, each canonicalised with the ds:CanonicalizationMethod the time-stamp names (segl writes
// and accepts exclusive C14N only):
//   1. the output of processing every ds:Reference of ds:SignedInfo, in order (XMLDSig 1.1 §4.4.3: dereference,
//      then the transforms; segl's profile: URI "" with the enveloped-signature transform, or "#id", then exc-c14n);
//   2. ds:SignedInfo, ds:SignatureValue and ds:KeyInfo, in their order;
//   3. the unsigned signature properties that precede this time-stamp, in their order within
//      xades:UnsignedSignatureProperties (CertificateValues, RevocationValues, earlier TimeStampValidationData and
//      ArchiveTimeStamp elements: so each archive time-stamp covers every earlier one and its validation data);
//   4. every ds:Object of the signature other than the one holding xades:QualifyingProperties.
import { canonicalHash, type C14nNode, type C14nSink } from '../xml/c14n';
import { NS } from '../xml/dom';
import type { SDocument, SElement } from '../xml/strictxml';

export const EXC_C14N = 'http://www.w3.org/2001/10/xml-exc-c14n#';
const ENVELOPED = 'http://www.w3.org/2000/09/xmldsig#enveloped-signature';

/** Element children of `n`, optionally only those with this namespace and local name. */
export function kids(n: SElement, ns?: string, local?: string): SElement[] {
  const out: SElement[] = [];
  for (let c = n.firstChild; c; c = c.nextSibling)
    if (c.nodeType === 1 && (!ns || (c.namespaceURI === ns && c.localName === local))) out.push(c);
  return out;
}

/** The element with attribute Id = `id` (XMLDSig 1.1 §4.4.3.3 same-document reference), depth first. */
function byId(n: SElement, id: string): SElement | undefined {
  if (n.getAttribute('Id') === id) return n;
  for (const c of kids(n)) {
    const hit = byId(c, id);
    if (hit) return hit;
  }
  return undefined;
}

/** The seal's xades:UnsignedSignatureProperties (QualifyingProperties/UnsignedProperties/…), if any. */
export function unsignedSignatureProperties(sig: SElement): SElement | undefined {
  for (const o of kids(sig, NS.ds, 'Object'))
    for (const qp of kids(o, NS.xades, 'QualifyingProperties'))
      for (const up of kids(qp, NS.xades, 'UnsignedProperties')) return kids(up, NS.xades, 'UnsignedSignatureProperties')[0];
  return undefined;
}

/**
 * Feeds the archive time-stamp input of signature `sig` in `doc` to `sink`: everything above, with the unsigned
 * signature properties before `upTo` (an xades141:ArchiveTimeStamp of `sig`; none: all of them, for a new one).
 * Throws on a reference outside segl's profile (then the time-stamp cannot be computed or checked).
 */
export function archiveTimeStampInput(doc: SDocument, sig: SElement, upTo: SElement | undefined, sink: C14nSink): void {
  const root = doc.documentElement!;
  const signedInfo = kids(sig, NS.ds, 'SignedInfo')[0];
  if (!signedInfo) throw new Error('archive time-stamp: the signature has no ds:SignedInfo');
  for (const ref of kids(signedInfo, NS.ds, 'Reference')) {
    const uri = ref.getAttribute('URI') ?? '';
    const transforms = kids(kids(ref, NS.ds, 'Transforms')[0] ?? ref, NS.ds, 'Transform').map((t) => t.getAttribute('Algorithm'));
    if (transforms.some((t) => t !== EXC_C14N && t !== ENVELOPED) || transforms[transforms.length - 1] !== EXC_C14N)
      throw new Error(`archive time-stamp: reference ${JSON.stringify(uri)} is not exclusive C14N`);
    let target: C14nNode | undefined;
    if (uri === '') target = doc;
    else if (uri.startsWith('#')) target = byId(root, uri.slice(1));
    if (!target) throw new Error(`archive time-stamp: reference ${JSON.stringify(uri)} cannot be resolved`);
    canonicalHash(target, transforms.includes(ENVELOPED) ? sig : undefined, sink);
  }
  for (const part of kids(sig).filter((c) => c.namespaceURI === NS.ds && ['SignedInfo', 'SignatureValue', 'KeyInfo'].includes(c.localName)))
    canonicalHash(part, undefined, sink);
  const usp = unsignedSignatureProperties(sig);
  if (usp) {
    for (const p of kids(usp)) {
      if (p === upTo) break;
      canonicalHash(p, undefined, sink);
    }
  }
  for (const o of kids(sig, NS.ds, 'Object')) if (!kids(o, NS.xades, 'QualifyingProperties').length) canonicalHash(o, undefined, sink);
}

/** The input as one buffer (for tests and for `openssl ts -verify -data`); a digest should stream it instead. */
export function archiveTimeStampInputBytes(doc: SDocument, sig: SElement, upTo: SElement | undefined): Buffer {
  const parts: Buffer[] = [];
  archiveTimeStampInput(doc, sig, upTo, { update: (d: string) => parts.push(Buffer.from(d, 'utf8')) });
  return Buffer.concat(parts);
}

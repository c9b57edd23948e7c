// An enveloped XML Signature over a whole document (W3C XMLDSig 1.1): the signature sits inside the
// element it signs and names it by its ID attribute (`URI="#…"`, §4.4.3.3), as SAML 1.1 Responses
// are signed (the SAML 1.1 binding, oasis-sstc-saml-core-1.1 §5.4.2: "enveloped signature" over the
// Response by its ResponseID). Written directly in canonical form (c14n.ts el/render), as the XAdES
// signatures are:
//
// - the Reference has the enveloped-signature transform (§6.6.4) then exclusive C14N (exc-c14n §3)
//   with an InclusiveNamespaces PrefixList when asked for: the digest is over render(root) without
//   the signature, which IS that canonical form because the root is the apex and every namespace it
//   declares beyond what it uses is named in the PrefixList (checked here, see XEl.decls);
// - SignedInfo is canonicalised by exclusive C14N without a PrefixList (§4.4.1) and signed with
//   RSASSA-PKCS1-v1_5 SHA-256 (rsa-sha256, RFC 6931 §2.3.2), the digests are SHA-256 (xmlenc#sha256);
// - KeyInfo carries the signer's certificate (X509Data/X509Certificate, §4.5.4). A verifier must not
//   trust it by itself: it pins the certificate (or its key) it expects.
//
// Not implemented, because no caller needs it: other algorithms, several references, signatures on a
// sub-element (the caller signs the apex only), and XML with text that is not already canonical
// (render writes only canonical text).
import { crypto, type CryptoKey } from '../crypto';
import { el, render, type XChild, type XEl } from '../xml/c14n';
import { ALG, b64, digestParts, ds, SIGN_ALGORITHM, sha256 } from '../xades/signature';

const EXC_C14N_NS = 'http://www.w3.org/2001/10/xml-exc-c14n#';

export interface EnvelopedInput {
  /** the element to sign (the document's root), without the signature */
  root: XEl;
  /** the name of its ID attribute (e.g. `ResponseID`); its value is the Reference URI's fragment */
  idAttribute: string;
  /** where the ds:Signature goes among root's children (0: first) */
  position: number;
  /** exc-c14n InclusiveNamespaces PrefixList of the Reference's transform (`#default` for the default namespace) */
  inclusivePrefixes?: readonly string[];
  /** RSASSA-PKCS1-v1_5 SHA-256 private key */
  key: CryptoKey;
  certificateDer: Uint8Array;
}

/** The signed document (no XML declaration), canonical as written. */
export async function signEnveloped(o: EnvelopedInput): Promise<string> {
  const id = o.root.attrs.find(([k]) => k === o.idAttribute)?.[1];
  if (!id || !/^[A-Za-z_][\w.-]*$/.test(id)) throw new Error(`the signed element needs an NCName in ${o.idAttribute}`);
  const prefixes = o.inclusivePrefixes ?? [];
  for (const [p] of o.root.decls ?? []) {
    if (!prefixes.includes(p === '' ? '#default' : p)) throw new Error(`the namespace declaration of "${p}" is not in the PrefixList`);
  }
  const digest = sha256(render(o.root));
  const c14n = prefixes.length
    ? ds('Transform', { Algorithm: ALG.excC14n }, el('ec:InclusiveNamespaces', EXC_C14N_NS, { PrefixList: prefixes.join(' ') }))
    : ds('Transform', { Algorithm: ALG.excC14n });
  const signedInfo = ds(
    'SignedInfo',
    null,
    ds('CanonicalizationMethod', { Algorithm: ALG.excC14n }),
    ds('SignatureMethod', { Algorithm: ALG.rsaSha256 }),
    ds('Reference', { URI: `#${id}` }, ds('Transforms', null, ds('Transform', { Algorithm: ALG.enveloped }), c14n), ...digestParts(digest)),
  );
  const value = await crypto.subtle.sign(SIGN_ALGORITHM, o.key, Buffer.from(render(signedInfo), 'utf8'));
  const signature = ds(
    'Signature',
    null,
    signedInfo,
    ds('SignatureValue', null, b64(value)),
    ds('KeyInfo', null, ds('X509Data', null, ds('X509Certificate', null, b64(o.certificateDer)))),
  );
  const children: XChild[] = [...o.root.children];
  children.splice(o.position, 0, signature);
  return render({ ...o.root, children });
}

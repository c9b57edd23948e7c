// A SAML 2.0 AuthnRequest as an identity provider receives it (OASIS saml-core-2.0-os §3.4.1,
// saml-bindings-2.0-os §3.4 HTTP-Redirect and §3.5 HTTP-POST): reading the request, verifying its
// signature with the SP's certificates, and the checks that need no database. (Decoding the bindings
// inflates, so it is in src/eid/saml/saml2/bindings.ts.)
//
// - Redirect (bindings §3.4.4.1): a signature is over the octets `SAMLRequest=…&RelayState=…&SigAlg=…`
//   exactly as they arrived URL-encoded (bindings.ts keeps them raw), and the XML itself must carry no
//   ds:Signature (§3.4.4.1: it "MUST be removed").
// - POST (bindings §3.5.4): a signature is enveloped in the request (saml-core §5.4: one Reference to
//   the root's ID, enveloped-signature and exclusive C14N transforms), verified with
//   trust/validation/xmldsig.ts's ExcC14nCore (strictxml + c14n.ts).
// - RelayState at most 80 bytes (bindings §3.4.3, §3.5.3).
// - Version 2.0 (core §3.2.1), ID an NCName, IssueInstant within the accepted window, Destination
//   equal to the SSO URL when present and required when signed (bindings §3.4.5.2, §3.5.5.2),
//   ProtocolBinding HTTP-POST when given (the only one segl answers with), not both an
//   AssertionConsumerServiceURL and an AssertionConsumerServiceIndex (core §3.4.1).
//
// Not implemented: rsa-sha1 and DSA/ECDSA signatures (refused: only RSASSA-PKCS1-v1_5 with SHA-256,
// -384, -512), the Artifact binding, Scoping/RequestedAuthnContext (ignored: segl has one level per
// method), Subject in the request (refused: the IdP decides who logs in), Conditions (ignored).
import { X509Certificate as NodeX509, verify as verifyRsa } from 'node:crypto';
// first: it loads reflect-metadata, which @peculiar/x509 needs before it loads
import '../crypto';
import * as x509 from '@peculiar/x509';
import { ExcC14nCore, type El } from '../validation/xmldsig';
import { parseStrict, StrictXmlError, type SDocument, type SElement } from '../xml/strictxml';
import { BINDING_POST, DS_NS, SAML2_ASSERTION, SAML2_PROTOCOL } from './metadata';

/** Largest AuthnRequest read, after inflating (a real one is under 2 kB; a signed POST one under 8 kB). */
export const MAX_REQUEST_BYTES = 64 * 1024;
export const MAX_RELAY_STATE = 80;

/** SigAlg values of the Redirect binding accepted (XMLDSig 1.1 §6.4.2, RFC 6931 §2.3.2). */
const REDIRECT_SIG_ALGS: Record<string, string> = {
  'http://www.w3.org/2001/04/xmldsig-more#rsa-sha256': 'sha256',
  'http://www.w3.org/2001/04/xmldsig-more#rsa-sha384': 'sha384',
  'http://www.w3.org/2001/04/xmldsig-more#rsa-sha512': 'sha512',
};

/** A request segl does not answer to an ACS (the message says what is wrong); nothing was stored. */
export class AuthnRequestError extends Error {
  override name = 'AuthnRequestError';
}

/** The Redirect binding's signature: the signed octets, the algorithm and the value. */
export interface RedirectSignature {
  octets: string;
  sigAlg: string;
  signature: Uint8Array;
}

/** A request as it came in, decoded from its binding. */
export interface EncodedRequest {
  binding: 'redirect' | 'post';
  xml: string;
  relayState?: string;
  /** Redirect only: the query-string signature, when there is one */
  redirectSignature?: RedirectSignature;
}

/** What segl reads of an AuthnRequest. */
export interface AuthnRequest {
  id: string;
  issuer: string;
  issueInstant: Date;
  destination?: string;
  acsUrl?: string;
  acsIndex?: number;
  nameIdFormat?: string;
  forceAuthn: boolean;
  isPassive: boolean;
  /** the enveloped ds:Signature (POST), when there is one */
  signature?: SElement;
  doc: SDocument;
  root: SElement;
}

function children(parent: SElement): SElement[] {
  const out: SElement[] = [];
  for (let n = parent.firstChild; n; n = n.nextSibling) if (n.nodeType === 1) out.push(n);
  return out;
}

function boolAttr(e: SElement, name: string): boolean {
  const v = e.getAttribute(name);
  if (v === null) return false;
  if (v === 'true' || v === '1') return true;
  if (v === 'false' || v === '0') return false;
  throw new AuthnRequestError(`samlp:AuthnRequest ${name}="${v}" is not an xs:boolean`);
}

function countSignatures(e: SElement): number {
  let n = e.namespaceURI === DS_NS && e.localName === 'Signature' ? 1 : 0;
  for (const c of children(e)) n += countSignatures(c);
  return n;
}

/** xs:dateTime in UTC as SAML requires (core §1.3.3: no time zone other than Z). */
const DATE_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,9})?Z$/;

/** Reads the request's XML (core §3.4.1); throws AuthnRequestError naming the element. */
export function parseAuthnRequest(xml: string): AuthnRequest {
  let doc: SDocument;
  try {
    doc = parseStrict(xml);
  } catch (e) {
    throw new AuthnRequestError(`SAMLRequest is not well-formed XML segl accepts: ${e instanceof StrictXmlError ? e.message : String(e)}`);
  }
  const root = doc.documentElement!;
  if (root.namespaceURI !== SAML2_PROTOCOL || root.localName !== 'AuthnRequest')
    throw new AuthnRequestError(`SAMLRequest must be a samlp:AuthnRequest, not ${root.nodeName}`);
  if (root.getAttribute('Version') !== '2.0') throw new AuthnRequestError('samlp:AuthnRequest Version must be 2.0 (core §3.2.1)');
  const id = root.getAttribute('ID') ?? '';
  if (!/^[A-Za-z_][\w.-]{0,255}$/.test(id))
    throw new AuthnRequestError('samlp:AuthnRequest ID must be an NCName of at most 256 characters');
  const instant = root.getAttribute('IssueInstant') ?? '';
  if (!DATE_TIME.test(instant) || Number.isNaN(Date.parse(instant)))
    throw new AuthnRequestError('samlp:AuthnRequest IssueInstant must be an xs:dateTime in UTC');
  const kids = children(root);
  const issuerEl = kids[0];
  if (!issuerEl || issuerEl.namespaceURI !== SAML2_ASSERTION || issuerEl.localName !== 'Issuer')
    throw new AuthnRequestError('samlp:AuthnRequest must begin with saml:Issuer (segl finds the SP by it)');
  const issuer = issuerEl.textContent.trim();
  const sigs = kids.filter((k) => k.namespaceURI === DS_NS && k.localName === 'Signature');
  if (countSignatures(root) !== sigs.length || sigs.length > 1)
    throw new AuthnRequestError('samlp:AuthnRequest may hold one ds:Signature, directly under it after saml:Issuer');
  if (kids.some((k) => k.namespaceURI === SAML2_ASSERTION && k.localName === 'Subject'))
    throw new AuthnRequestError('samlp:AuthnRequest with a saml:Subject is not supported: the person logging in chooses who they are');
  const binding = root.getAttribute('ProtocolBinding');
  if (binding !== null && binding !== BINDING_POST)
    throw new AuthnRequestError(`samlp:AuthnRequest ProtocolBinding ${binding} is not supported: segl answers by HTTP-POST only`);
  const acsUrl = root.getAttribute('AssertionConsumerServiceURL') ?? undefined;
  const acsIndexText = root.getAttribute('AssertionConsumerServiceIndex');
  if (acsUrl !== undefined && acsIndexText !== null)
    throw new AuthnRequestError('samlp:AuthnRequest has both AssertionConsumerServiceURL and AssertionConsumerServiceIndex (core §3.4.1)');
  if (acsIndexText !== null && !/^\d{1,5}$/.test(acsIndexText))
    throw new AuthnRequestError('samlp:AuthnRequest AssertionConsumerServiceIndex must be an unsigned short');
  const policy = kids.find((k) => k.namespaceURI === SAML2_PROTOCOL && k.localName === 'NameIDPolicy');
  const format = policy?.getAttribute('Format') ?? undefined;
  const destination = root.getAttribute('Destination') ?? undefined;
  return {
    id,
    issuer,
    issueInstant: new Date(instant),
    ...(destination !== undefined ? { destination } : {}),
    ...(acsUrl !== undefined ? { acsUrl } : {}),
    ...(acsIndexText !== null ? { acsIndex: Number(acsIndexText) } : {}),
    ...(format !== undefined ? { nameIdFormat: format } : {}),
    forceAuthn: boolAttr(root, 'ForceAuthn'),
    isPassive: boolAttr(root, 'IsPassive'),
    ...(sigs[0] ? { signature: sigs[0] } : {}),
    doc,
    root,
  };
}

/** Verifies the Redirect binding's signature (§3.4.4.1) with any of the certificates. */
export function verifyRedirectSignature(sig: RedirectSignature, certificates: readonly Uint8Array[]): boolean {
  const hash = REDIRECT_SIG_ALGS[sig.sigAlg];
  if (!hash) throw new AuthnRequestError(`SigAlg ${sig.sigAlg} is not accepted (rsa-sha256, rsa-sha384 or rsa-sha512)`);
  return certificates.some((der) => {
    const key = new NodeX509(Buffer.from(der)).publicKey;
    return key.asymmetricKeyType === 'rsa' && verifyRsa(hash, Buffer.from(sig.octets, 'utf8'), key, sig.signature);
  });
}

/** Verifies the POST binding's enveloped signature over the whole request (core §5.4) with any of the certificates. */
export async function verifyEnvelopedSignature(req: AuthnRequest, certificates: readonly Uint8Array[]): Promise<boolean> {
  const sig = req.signature;
  if (!sig) return false;
  const signedInfo = children(sig)[0];
  const refs = signedInfo ? children(signedInfo).filter((e) => e.namespaceURI === DS_NS && e.localName === 'Reference') : [];
  if (refs.length !== 1 || refs[0]!.getAttribute('URI') !== `#${req.id}`)
    throw new AuthnRequestError('the ds:Signature must have one ds:Reference, to the samlp:AuthnRequest ID (core §5.4.2)');
  const core = ExcC14nCore.plan(req.doc, sig as unknown as El);
  if (!core)
    throw new AuthnRequestError(
      'the ds:Signature of samlp:AuthnRequest is not of the profile segl verifies (exc-c14n, rsa-sha256/384/512, enveloped, no PrefixList)',
    );
  const results = await core.checkReferences();
  if (!results.every((r) => r.ok)) return false;
  for (const der of certificates) {
    if (await core.checkSignatureValue(new x509.X509Certificate(der))) return true;
  }
  return false;
}

export interface RequestWindow {
  /** the SSO endpoint's URL: Destination must equal it */
  ssoUrl: string;
  now: Date;
  /** how old an IssueInstant may be */
  maxAgeMs: number;
  /** how far in the future an IssueInstant may be (clock skew) */
  skewMs: number;
}

/** Destination and IssueInstant (core §3.2.1, bindings §3.4.5.2 / §3.5.5.2). */
export function checkRequestWindow(req: AuthnRequest, signed: boolean, w: RequestWindow): void {
  if (req.destination === undefined && signed)
    throw new AuthnRequestError('a signed samlp:AuthnRequest must name its Destination (bindings §3.4.5.2, §3.5.5.2)');
  if (req.destination !== undefined && req.destination !== w.ssoUrl)
    throw new AuthnRequestError(`samlp:AuthnRequest Destination ${req.destination} is not this SSO endpoint (${w.ssoUrl})`);
  const age = w.now.getTime() - req.issueInstant.getTime();
  if (age > w.maxAgeMs) throw new AuthnRequestError(`samlp:AuthnRequest IssueInstant is more than ${w.maxAgeMs / 1000} s old`);
  if (-age > w.skewMs) throw new AuthnRequestError(`samlp:AuthnRequest IssueInstant is more than ${w.skewMs / 1000} s in the future`);
}

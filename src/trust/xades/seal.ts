// The platform seal over a whole LTV-SDO package (XAdES enveloped, B-B plus CertificateValues and RevocationValues):
// creation only.
import type { SignerLike } from '../sources';
import { asSigner } from '../signer';
import * as x509 from '@peculiar/x509';
import { canonicalise } from '../xml/c14n';
import { parseXml, serializeXml, type Document, type Element } from '../xml/dom';
import {
  xadesSignature,
  requireXmlText,
  xa,
  sha256,
  dataObjectFormat,
  b64,
  signingCertificateV2,
  randomId,
  digestParts,
  ALG,
  LTV_SDO_MIME_TYPE,
} from './signature';
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
  /** who seals: a key pair here, or a signer whose key stays in its token */
  seal: SignerLike;
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

export const OID = /^[0-2](\.(0|[1-9][0-9]*))+$/;

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
    sign: asSigner(input.seal).sign,
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

// Archive time-stamps for a sealed XAdES signature (ETSI EN 319 132-1 V1.2.1, baseline B-LTA's
// xades141:ArchiveTimeStamp with xades141:TimeStampValidationData): creation only. Validation is
// validation/archive.ts; the time-stamp's input is xades/archivedata.ts, shared by both.
//
// One renewal appends these unsigned signature properties to the seal (the root's last ds:Signature):
//   xades141:TimeStampValidationData   the certificates (xades:CertificateValues) and fresh revocation
//                                      data (xades:RevocationValues/OCSPValues) of the time-stamp that is
//                                      newest so far, so that it stays provable once its TSA certificate
//                                      has expired (EN 319 102-1 §5.6.2: validated at the POE the next one gives);
//   xades141:ArchiveTimeStamp          an RFC 3161 token over archivedata.ts's input (which covers the element
//                                      before it and every earlier one), with ds:CanonicalizationMethod
//                                      exclusive C14N stated, and the token in xades:EncapsulatedTimeStamp;
//   xades141:TimeStampValidationData   (optional) the new time-stamp's own TSA chain and status, for whoever
//                                      validates it as the newest; the next renewal's time-stamp covers it.
// Unsigned properties are outside ds:SignedInfo, and the seal's URI="" reference removes the whole seal
// (enveloped-signature transform), so both XMLDSig signatures in the package verify unchanged.
//
// The text of the package is kept: both elements are written canonically in the namespace context of
// xades:UnsignedSignatureProperties (c14n.ts render with its bindings) and put before its end tag, so a
// package in exclusive canonical form (as buildLtvSdo and createSeal write it) stays in that form.
import { createHash } from 'node:crypto';
import { el, render, type XChild, type XEl } from '../xml/c14n';
import { NS } from '../xml/dom';
import { parseStrict, type SDocument, type SElement } from '../xml/strictxml';
import type { TimestampSource } from '../sources';
import { timestampFor } from '../tsp/request';
import { archiveTimeStampInput, EXC_C14N, kids, unsignedSignatureProperties } from './archivedata';
import { b64, ds, randomId, xa } from './signature';

const x141 = (local: string, attrs: Record<string, string | undefined> | null, ...children: XChild[]): XEl =>
  el(`xades141:${local}`, NS.xades141, attrs, ...children);

export interface ArchiveTimeStampRequest {
  /** the sealed package: its root element's last child is the seal (a ds:Signature with unsigned properties) */
  xml: string;
  timestamp: TimestampSource;
  /** validation data for the time-stamp that is newest so far: its TSA's chain (DER) and fresh OCSP responses */
  validationData: ValidationData;
  /**
   * the validation data of the new time-stamp's own TSA (its chain, its status now), given its token: written in a
   * second xades141:TimeStampValidationData after the archive time-stamp, for the verifier of the newest one; the
   * next renewal's archive time-stamp covers it
   */
  validationDataFor?: (token: Uint8Array) => Promise<ValidationData>;
}

export interface ValidationData {
  certificates: Uint8Array[];
  ocspResponses: Uint8Array[];
}

export interface ArchiveTimeStampResult {
  xml: string;
  token: Uint8Array;
  genTime: Date;
}

/** The seal: the root's last element child, a ds:Signature. */
export function sealOf(doc: SDocument): SElement {
  const last = kids(doc.documentElement!).pop();
  if (!last || last.namespaceURI !== NS.ds || last.localName !== 'Signature') throw new Error('the package ends with no ds:Signature');
  return last;
}

/**
 * `xml` with `e` written as the last child of the seal's xades:UnsignedSignatureProperties. The seal is the
 * root's last child and holds only its QualifyingProperties object, so the last end tag of that element
 * in the text is the seal's; the result is parsed again and checked to say so.
 */
function appendUnsigned(xml: string, e: XEl): { xml: string; doc: SDocument; added: SElement } {
  const usp = unsignedSignatureProperties(sealOf(parseStrict(xml)));
  if (!usp) throw new Error('the seal has no xades:UnsignedSignatureProperties');
  if (usp.prefix !== 'xades') throw new Error('the seal does not write the XAdES namespace with the prefix xades');
  const endTag = '</xades:UnsignedSignatureProperties>';
  const at = xml.lastIndexOf(endTag);
  if (at < 0) throw new Error("the seal's xades:UnsignedSignatureProperties has no end tag");
  const out = xml.slice(0, at) + render(e, { ds: NS.ds, xades: NS.xades }) + xml.slice(at);
  const doc = parseStrict(out);
  const added = kids(unsignedSignatureProperties(sealOf(doc))!).pop();
  if (!added || added.localName !== e.name.split(':')[1]) throw new Error('the property was not added to the seal');
  return { xml: out, doc, added };
}

/** xades141:TimeStampValidationData (xades:CertificateValues, xades:RevocationValues/OCSPValues). */
function timeStampValidationData(v: ValidationData): XEl {
  return x141(
    'TimeStampValidationData',
    { Id: randomId('tsvd') },
    v.certificates.length > 0 &&
      xa('CertificateValues', null, ...v.certificates.map((c) => xa('EncapsulatedX509Certificate', null, b64(c)))),
    v.ocspResponses.length > 0 &&
      xa('RevocationValues', null, xa('OCSPValues', null, ...v.ocspResponses.map((o) => xa('EncapsulatedOCSPValue', null, b64(o))))),
  );
}

/**
 * Adds fresh validation data and an archive time-stamp to the sealed package `xml` (the top of this file).
 * The token is asked of `timestamp` over SHA-256 of the input, and checked to answer for it (tsp/request.ts);
 * verifying the result is the caller's (validation/archive.ts).
 */
export async function addArchiveTimeStamp(r: ArchiveTimeStampRequest): Promise<ArchiveTimeStampResult> {
  const withData = appendUnsigned(r.xml, timeStampValidationData(r.validationData));
  const hash = createHash('sha256');
  archiveTimeStampInput(withData.doc, sealOf(withData.doc), undefined, hash);
  const { token, genTime } = await timestampFor(new Uint8Array(hash.digest()), r.timestamp);
  const ats = x141(
    'ArchiveTimeStamp',
    { Id: randomId('ats') },
    ds('CanonicalizationMethod', { Algorithm: EXC_C14N }),
    xa('EncapsulatedTimeStamp', null, b64(token)),
  );
  const stamped = appendUnsigned(withData.xml, ats).xml;
  const after = r.validationDataFor && (await r.validationDataFor(token));
  return { xml: after ? appendUnsigned(stamped, timeStampValidationData(after)).xml : stamped, token, genTime };
}

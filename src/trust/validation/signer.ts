// Identification of the signing certificate (EN 319 102-1 §5.2.3): the KeyInfo certificates, the XAdES
// SigningCertificate(V2) digest and issuer-serial references, and which certificate is the leaf.
import * as x509 from '@peculiar/x509';
import * as asn1js from 'asn1js';
import { createHash } from 'node:crypto';
import { certificateFromDer } from '../x509/cache';
import { normalizeSerialHex } from '../x509/serial';
import { equalBytes } from '../../util/bytes';
import { child, base64Bytes, NS, childElements, type El, FormatError, text, DIGEST_BY_URI } from './xmldsig';
// Identification of the signing certificate (EN 319 102-1 §5.2.3)

interface CertRef {
  /** 'SigningCertificateV2' or 'SigningCertificate'. */
  property: string;
  digestAlgorithm: string;
  digest: Uint8Array;
  /** IssuerSerialV2 (DER) or v1 IssuerSerial serial (decimal). */
  issuerSerialV2?: Uint8Array;
  serialDecimal?: string;
}

export interface XadesInfo {
  refs: CertRef[];
  signingTime?: Date;
}

/** Reads the XAdES signed properties that matter here, checking that they are actually signed. */
export function readXades(sig: El): XadesInfo | undefined {
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
export function refMatches(ref: CertRef, cert: x509.X509Certificate): string | null {
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

export function keyInfoCertificates(sig: El): x509.X509Certificate[] {
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
export function leafMost(certs: x509.X509Certificate[]): x509.X509Certificate {
  const leaf = certs.find((c) => !certs.some((d) => d !== c && d.issuer === c.subject && d.subject !== c.subject));
  return leaf ?? certs[0];
}

// ---------------------------------------------------------------------------------------------

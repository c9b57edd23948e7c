// A PAdES baseline signature in a PDF (ETSI EN 319 142-1 §5.3, §6.3 B-B and B-T), added as an incremental
// update (ISO 32000-1 §7.5.6) so that nothing already in the file changes:
//   - a signature dictionary (ISO 32000-1 §12.8.1, Table 252) with /Type /Sig, /Filter /Adobe.PPKLite,
//     /SubFilter /ETSI.CAdES.detached (EN 319 142-1 §6.3 requirement (l); ISO 32000-2 §12.8.3.4), /M the claimed
//     signing time (the CMS carries no signing-time, §6.3), optional /Name /Location /ContactInfo /Reason (§5.3),
//     and /ByteRange and /Contents filled by placeholder.ts;
//   - a signature field and its widget (field.ts), invisible unless an appearance is given (appearance.ts);
//   - the CMS of pades/cms.ts over the ByteRange bytes, with a signature time-stamp when a TimestampSource is
//     given (B-T).
// Not implemented: /Reason together with a commitment-type-indication or signature-policy-identifier (EN 319
// 142-1 §6.3 (d), (m): cms.ts writes neither, so /Reason is allowed); /Prop_Build; DocMDP certification signatures.
import type * as x509 from '@peculiar/x509';
import { PDFName } from '@cantoo/pdf-lib';
import type { SignerLike, TimestampSource } from '../sources';
import { createPadesCms } from './cms';
import { appearanceStream, type SignatureAppearance } from './appearance';
import { addSignatureField, IncrementalPdf, pdfDate, textString, untracked } from './field';
import { contentsReserve, setPlaceholders, type FilledSignature } from './placeholder';

export interface SignPdfOptions {
  signer: SignerLike;
  /** the signer's issuing CA(s) up to the root, carried in SignedData.certificates (EN 319 142-1 §6.3 (a)) */
  chain: x509.X509Certificate[];
  /** B-T: the signature time-stamp's source; absent: B-B */
  timestamps?: TimestampSource;
  /** /M, the claimed signing time; default now */
  time?: Date;
  /** the new signature field's name; default the first free `SignatureN` */
  fieldName?: string;
  /** /Name, /Location, /ContactInfo, /Reason of the signature dictionary (ISO 32000-1 Table 252) */
  name?: string;
  location?: string;
  contactInfo?: string;
  reason?: string;
  /** a visible signature; absent: an invisible widget (Rect 0 0 0 0) on the first page */
  appearance?: SignatureAppearance;
  /** bytes to reserve for the CMS in /Contents; default from the certificates and, for B-T, a token (contentsReserve) */
  contentsSize?: number;
}

const OPTIONAL_TEXT = [
  ['name', 'Name'],
  ['location', 'Location'],
  ['contactInfo', 'ContactInfo'],
  ['reason', 'Reason'],
] as const;

/**
 * Signs `pdf` in a new incremental update and returns the whole file. Throws PlaceholderTooSmallError when the
 * CMS outgrows the reserved /Contents, and whatever the TimestampSource throws or answers wrongly (cms.ts).
 */
export async function signPdf(pdf: Uint8Array, o: SignPdfOptions): Promise<Uint8Array> {
  const file = await IncrementalPdf.open(pdf);
  await signIncrement(file, o);
  return file.bytes;
}

/** signPdf on a file already open for updates (pades.ts): the update is appended; returns the CMS and /Contents. */
export async function signIncrement(file: IncrementalPdf, o: SignPdfOptions): Promise<FilledSignature> {
  const { doc } = file;
  // A new object: built without pdf-lib's change tracking (field.ts untracked).
  const sigRef = await untracked(doc, () => {
    const sig = doc.context.obj({
      Type: 'Sig',
      Filter: 'Adobe.PPKLite',
      SubFilter: 'ETSI.CAdES.detached',
      M: pdfDate(o.time ?? new Date()),
    });
    for (const [key, pdfKey] of OPTIONAL_TEXT) {
      const value = o[key];
      if (value !== undefined) sig.set(PDFName.of(pdfKey), textString(value));
    }
    const certificates = [o.signer.certificate, ...o.chain].map((c) => new Uint8Array(c.rawData));
    setPlaceholders(sig, o.contentsSize ?? contentsReserve(certificates, !!o.timestamps));
    return doc.context.register(sig);
  });
  const a = o.appearance;
  await addSignatureField(doc, sigRef, {
    name: o.fieldName,
    prefix: 'Signature',
    ...(a ? { pageIndex: a.pageIndex, rect: toCorners(a.rect), appearance: await appearanceStream(doc, a) } : {}),
  });
  await file.commit();
  return file.fill((signedDigest) =>
    createPadesCms({ signer: o.signer, chain: o.chain, signedDigest, ...(o.timestamps ? { timestamps: o.timestamps } : {}) }),
  );
}

/** [x, y, width, height] → the /Rect corners [x1 y1 x2 y2] (ISO 32000-1 §7.9.5). */
function toCorners([x, y, w, h]: [number, number, number, number]): [number, number, number, number] {
  return [x, y, x + w, y + h];
}

// What composePackage takes and gives back, and the errors it throws. The package is the unsigned
// PDF a PAdES seal is put on afterwards (by incremental updates, src/trust/pades).
import type { PackageLanguage } from './texts';

/** One original document, as it was signed. */
export interface PackageDocument {
  id: string;
  description?: string;
  externalReference?: string;
  /** its media type as signed, e.g. `application/pdf` or `text/plain;charset=utf-8` */
  mimeType: string;
  bytes: Uint8Array;
  /** lower-case hex SHA-256 of `bytes`; checked when given */
  sha256?: string;
}

/** One signature (one LTV-SDO), as the cover describes it. */
export interface PackageSigner {
  name: string;
  /** shown masked (`010203-****`) unless options.maskNationalId is false */
  nationalId?: string;
  nationality?: string;
  /** the certificate kind or eID method, e.g. `POCES` */
  method?: string;
  pid?: string;
  /** the trusted signing time (the LTV-SDO's TrustedSigningTime) */
  signedAt: Date;
  certSubject: string;
  certIssuer: string;
  /** `simple`: a handwriting-only signature, a simple electronic signature (no eID, no certificate of the signer) */
  level?: 'simple';
  /** the initial verification's indication, e.g. `TOTAL-PASSED` */
  indication: string;
  /** the ids of the documents this signature covers (each must be one of `documents`) */
  documentIds: string[];
  /** the sign text the signer approved; laid out as its own section (identical texts once) */
  signText?: string;
  /** the signer's drawing (InkSign) as signed: a PNG and its size in pixels; drawn in the signer's block on the built-in cover */
  handwriting?: { png: Uint8Array; width: number; height: number };
}

/** PDF/A-3 §6.8 associated-file relationships (ISO 32000-2 Table 43). */
export type AfRelationship = 'Source' | 'Data' | 'Alternative' | 'Supplement' | 'Unspecified';

export interface PackageAttachment {
  /** the file name shown by PDF readers; unique within the package */
  name: string;
  mimeType: string;
  bytes: Uint8Array;
  description?: string;
  /** default `Unspecified` */
  afRelationship?: AfRelationship;
}

export interface PackageOptions {
  /** make the file PDF/A-3b (XMP pdfaid, sRGB output intent); not checked by a PDF/A validator */
  pdfa?: boolean;
  /** default true */
  maskNationalId?: boolean;
  /** a PDF whose AcroForm text fields are named after TEMPLATE_FIELDS; it replaces the built-in cover */
  template?: Uint8Array;
}

export interface PackageContent {
  packageId: string;
  serviceName: string;
  /** the packaging time: shown on the cover and used as every date in the file */
  createdAt: Date;
  language: PackageLanguage;
  /** an http(s) URL, shown as text and as a link */
  verificationUrl?: string;
  requestId?: string;
  clientReference?: string;
  documents: PackageDocument[];
  signers: PackageSigner[];
  seal: { subject: string; issuer: string };
  /** embedded files (/EmbeddedFiles with /AF), typically each LTV-SDO as `<doc-id>-<task-id>.ltvsdo.xml` */
  attachments: PackageAttachment[];
  /** written as the `package.json` attachment (JSON.stringify, two-space indent, keys in the given order) */
  manifest: unknown;
  options?: PackageOptions;
}

/** Where a part of the package sits (page indexes from 0). */
export interface PackageSection {
  kind: 'cover' | 'document' | 'sign-text';
  documentId?: string;
  firstPageIndex: number;
  pageCount: number;
}

export interface ComposedPackage {
  pdf: Uint8Array;
  pageCount: number;
  /** the empty framed box kept for the visible seal: page index and [x, y, width, height] in PDF points */
  sealAppearance: { pageIndex: number; rect: [number, number, number, number] };
  sections: PackageSection[];
}

/** The input cannot make a package (a bad field, a duplicate name, a digest that does not match …). */
export class PackageInputError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'PackageInputError';
  }
}

/** A PDF original that cannot be copied: encrypted, or not readable as a PDF. */
export class UnreadableOriginalError extends Error {
  constructor(
    readonly documentId: string,
    readonly reason: 'encrypted' | 'unreadable',
    detail: string,
  ) {
    super(`document ${JSON.stringify(documentId)}: ${reason === 'encrypted' ? 'the PDF is encrypted' : 'not a readable PDF'} (${detail})`);
    this.name = 'UnreadableOriginalError';
  }
}

/** The template PDF cannot be used (unreadable, encrypted, or without a `seal.box` field). */
export class TemplateError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'TemplateError';
  }
}

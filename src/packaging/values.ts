// The package's values as displayed strings, one place for the built-in cover and for template fields
// (TEMPLATE_FIELDS), so both say the same thing: masked national ids, times, page ranges.
import { formatTime, maskNationalId, pageRange } from './format';
import type { PackageContent, PackageSection } from './types';

export interface DocumentValues {
  id: string;
  description: string;
  externalReference: string;
  mimeType: string;
  sha256: string;
  pageCount: string;
  pages: string;
}

export interface SignerValues {
  name: string;
  nationalId: string;
  nationality: string;
  method: string;
  pid: string;
  signedAt: string;
  certSubject: string;
  certIssuer: string;
  indication: string;
  documents: string;
  /** `simple` for a handwriting-only signature (a simple electronic signature: no eID, no certificate of the signer), else empty */
  level: string;
}

export interface PackageValues {
  packageId: string;
  createdAt: string;
  serviceName: string;
  requestId: string;
  clientReference: string;
  documents: DocumentValues[];
  signers: SignerValues[];
  seal: { subject: string; issuer: string };
  verificationUrl: string;
}

/**
 * `sections` give each document's pages (cover pages first); `sha256` is the checked hex digest of
 * each document, by id.
 */
export function packageValues(c: PackageContent, sections: PackageSection[], sha256: Map<string, string>): PackageValues {
  const mask = c.options?.maskNationalId ?? true;
  const label = new Map(c.documents.map((d) => [d.id, d.description?.trim() || d.id]));
  return {
    packageId: c.packageId,
    createdAt: formatTime(c.createdAt),
    serviceName: c.serviceName,
    requestId: c.requestId ?? '',
    clientReference: c.clientReference ?? '',
    documents: c.documents.map((d) => {
      const s = sections.find((x) => x.kind === 'document' && x.documentId === d.id);
      return {
        id: d.id,
        description: d.description ?? '',
        externalReference: d.externalReference ?? '',
        mimeType: d.mimeType,
        sha256: sha256.get(d.id) ?? '',
        pageCount: s ? String(s.pageCount) : '',
        pages: s ? pageRange(s.firstPageIndex, s.pageCount) : '',
      };
    }),
    signers: c.signers.map((s) => ({
      name: s.name,
      nationalId: s.nationalId ? (mask ? maskNationalId(s.nationalId) : s.nationalId) : '',
      nationality: s.nationality ?? '',
      method: s.method ?? '',
      pid: s.pid ?? '',
      signedAt: formatTime(s.signedAt),
      certSubject: s.certSubject,
      certIssuer: s.certIssuer,
      indication: s.indication,
      documents: s.documentIds.map((id) => label.get(id) ?? id).join('; '),
      level: s.level ?? '',
    })),
    seal: { ...c.seal },
    verificationUrl: c.verificationUrl ?? '',
  };
}

// The document use cases by actor, built on one store: the integrator's request service (the SOAP
// operations), the signer's actions (portal and eID methods) and housekeeping (the timers).
import { Housekeeping } from './housekeeping';
import { RequestService, type RequestServiceDeps } from './requests';
import { SignerActions } from './signer';
import type { BlobSink, BlobSource, Clock, DocumentStore } from './ports';
import type { DocumentUris } from './usecase';
import type { ValidationContext } from './validate';
import type { PdfForms } from './forms';

export interface DocumentUseCases {
  requests: RequestService;
  signer: SignerActions;
  housekeeping: Housekeeping;
}

export interface DocumentUseCaseDeps {
  store: DocumentStore;
  blobs: BlobSink & BlobSource;
  clock: Clock;
  methods: ValidationContext;
  /** a service's own methods (OIDC eID methods), see RequestServiceDeps */
  methodsFor?: RequestServiceDeps['methodsFor'];
  uris: DocumentUris;
  /** how long an SDS upload lives after a request last used it (default 30 days) */
  sdsTtlDays?: number;
  /** interactive PDF forms (packaging/forms.ts) */
  pdfForms?: PdfForms;
  /** the names of a service's notification texts, see RequestServiceDeps */
  templateNames?: RequestServiceDeps['templateNames'];
  /** SDS uploads, for their time to live */
  sds: { purgeExpired(now: string): Promise<number> };
  /** called after a commit that put deliveries into the outbox (wakes the relay) */
  onOutbox?: (count: number) => void;
}

export function documentUseCases(d: DocumentUseCaseDeps): DocumentUseCases {
  const base = { store: d.store, blobs: d.blobs, clock: d.clock, uris: d.uris, onOutbox: d.onOutbox };
  return {
    requests: new RequestService({
      ...base,
      methods: d.methods,
      methodsFor: d.methodsFor,
      sdsTtlDays: d.sdsTtlDays ?? 30,
      pdfForms: d.pdfForms,
      templateNames: d.templateNames,
    }),
    signer: new SignerActions({ ...base, pdfForms: d.pdfForms }),
    housekeeping: new Housekeeping({ ...base, sds: d.sds }),
  };
}

// The port through which core asks for a PAdES package (PackagingService v4's create-package and the
// packaging tasks of a request). The maker verifies every SDO and refuses a package made of anything
// that does not verify; it composes and seals; it stores nothing — core keeps the result.

/** One SDO to package: its bytes (an LTV-SDO) and, for sdo-extended, the original supplied beside it. */
export interface PackageSource {
  /** how the caller named it, for messages (e.g. `order:REQ/task1/doc1`, `sds:ID`) */
  ref: string;
  sdo: Uint8Array;
  original?: { bytes: Uint8Array; mimeType: string };
}

/** A PDF, or a refusal with a code from docs/packaging.md's table (`internal-error` = retry may help). */
export type PackageOutcome = { ok: true; pdf: Uint8Array } | { ok: false; code: string; message: string };

export interface PackageMaker {
  make(input: {
    serviceId: number;
    serviceName: string;
    method: string;
    packageId: string;
    sources: PackageSource[];
    now: Date;
    /** a packaging task's request: the head of its history chain (docs/audit.md), written into package.json */
    historyHead?: { requestId: string; seq: number; hash: string };
  }): Promise<PackageOutcome>;
}

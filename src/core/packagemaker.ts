// The PAdES builder as core sees it: one call per packaging task, every sealed LTV-SDO of the task
// in, one PDF (or a refusal) out. The real maker (verifies every SDO, composes the package, seals it
// B-LTA) lives outside core; the packaging job (core/packagingrun.ts) only calls it.

/** One SDO to package. `ref` names where it came from, e.g. `order:{request}/{task}/{document}`. */
export interface PackageSource {
  ref: string;
  sdo: Uint8Array;
  original?: { bytes: Uint8Array; mimeType: string };
}

/** The package, or why not: `internal-error` is worth another try, any other code is a refusal. */
export type PackageOutcome = { ok: true; pdf: Uint8Array } | { ok: false; code: string; message: string };

export interface PackageMaker {
  make(input: {
    serviceId: number;
    serviceName: string;
    method: string;
    packageId: string;
    sources: PackageSource[];
    now: Date;
  }): Promise<PackageOutcome>;
}

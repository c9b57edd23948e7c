// Packaging methods (PackagingService v4 `packaging-method`, reference/packagingservice-v4.md §2-§3: it
// "defines both format and graphical profile"): per service, a name that picks the package's
// language, whether national ids are masked, PDF/A-3b, and the cover template. `pades` is built in
// for every service and cannot be replaced or removed. The methods are stored per service
// (src/store/packagingmethods.ts); the PAdES maker resolves one by the name a request gives.

/** The languages a package's fixed words exist in (src/packaging/texts.ts has the words). */
export const PACKAGE_LANGUAGES = ['en', 'da', 'nb', 'sv', 'fi'] as const;
export type PackageLanguage = (typeof PACKAGE_LANGUAGES)[number];

/** What a stored method may be called. */
export const PACKAGING_METHOD_NAME = /^[A-Za-z0-9_-]{1,40}$/;

/** The built-in method's name (Signicat's own sample sends it); reserved in any letter case. */
export const BUILT_IN_METHOD = 'pades';

/** A method as packaging uses it: the package options and the language. */
export interface ResolvedPackagingMethod {
  name: string;
  language: PackageLanguage;
  maskNationalId: boolean;
  pdfa: boolean;
  /** a template PDF (AcroForm text fields named after TEMPLATE_FIELDS) replacing the built-in cover */
  template?: Uint8Array;
}

/** `pades`: the built-in cover in English, national ids masked, no PDF/A. */
export const PADES_METHOD: Readonly<ResolvedPackagingMethod> = Object.freeze({
  name: BUILT_IN_METHOD,
  language: 'en',
  maskNationalId: true,
  pdfa: false,
});

/** Where the PAdES maker looks a method up. */
export interface PackagingMethodSource {
  /** The service's method of that name; `pades` always; undefined for a name the service does not have. */
  resolvePackagingMethod(serviceId: number, name: string): Promise<ResolvedPackagingMethod | undefined>;
}

export const isPackageLanguage = (s: string): s is PackageLanguage => (PACKAGE_LANGUAGES as readonly string[]).includes(s);

/** Why a name cannot be stored as a method, or undefined when it can. */
export function methodNameProblem(name: string): string | undefined {
  if (name.toLowerCase() === BUILT_IN_METHOD)
    return `"${name}" is reserved for the built-in packaging method ${BUILT_IN_METHOD}; it cannot be set or removed`;
  if (!PACKAGING_METHOD_NAME.test(name)) return `packaging method name "${name}" must match ${PACKAGING_METHOD_NAME}`;
  return undefined;
}

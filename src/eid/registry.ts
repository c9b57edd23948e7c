// The eID methods segl offers, by the names tasks use in authentication, signature and
// authentication-based-signature. Methods register here; validation asks which names are known.
import type { ValidationContext } from '../core/validate';

export interface EidMethodInfo {
  name: string;
  /** what the method can do for a task */
  use: 'authentication' | 'signature';
  description: string;
}

/** The NemID-style test environment (preprod only: production refuses SEGL_TEST_EID=1). */
export const TESTID_METHODS: EidMethodInfo[] = [
  { name: 'nemid', use: 'authentication', description: 'segl test eID: user id, password and key-card code' },
  { name: 'nemid-sign', use: 'signature', description: 'segl test eID signing with the central test key' },
];

export class EidRegistry {
  private readonly methods = new Map<string, EidMethodInfo>();

  register(m: EidMethodInfo): void {
    this.methods.set(m.name, m);
  }

  list(): EidMethodInfo[] {
    return [...this.methods.values()];
  }

  validationContext(): ValidationContext {
    const names = (use: EidMethodInfo['use']) =>
      new Set(
        this.list()
          .filter((m) => m.use === use)
          .map((m) => m.name),
      );
    return { authenticationMethods: names('authentication'), signatureMethods: names('signature') };
  }
}

export function defaultRegistry(testEid: boolean): EidRegistry {
  const r = new EidRegistry();
  if (testEid) TESTID_METHODS.forEach((m) => r.register(m));
  return r;
}

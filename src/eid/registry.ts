// The eID methods segl offers, by the names tasks use in authentication, signature and
// authentication-based-signature. Methods register here; validation asks which names are known.
import type { ValidationContext } from '../core/validate';

export interface EidMethodInfo {
  name: string;
  /** what the method can do for a task */
  use: 'authentication' | 'signature';
  description: string;
  /** the name signers see */
  label: string;
}

/**
 * One identity method as the portal runs it: the task method names it serves and its pages. The router, the
 * portal's kit and its page context are the portal's types (src/portal/kit.ts binds them), so that a new method
 * (OIDC, SAML) is one object handed to the registry and needs no edit in the portal.
 */
export interface EidMethod<Router = unknown, Kit = unknown, Ctx = unknown> {
  readonly methods: readonly EidMethodInfo[];
  /** Mounts the method's pages; answers the login form for a task method it serves ('' for the others). */
  mount(router: Router, kit: Kit): { loginForm(c: Ctx, method: string): string };
}

/** The NemID-style test environment (preprod only: production refuses SEGL_TEST_EID=1). */
export const TESTID_METHODS: EidMethodInfo[] = [
  { name: 'nemid', use: 'authentication', description: 'segl test eID: user id, password and key-card code', label: 'NemID (test)' },
  {
    name: 'nemid-sign',
    use: 'signature',
    description: 'segl test eID signing with the central test key',
    label: 'NemID signing (test)',
  },
];

export class EidRegistry {
  private readonly methods = new Map<string, EidMethodInfo>();

  register(m: EidMethodInfo): void {
    this.methods.set(m.name, m);
  }

  list(): EidMethodInfo[] {
    return [...this.methods.values()];
  }

  /** The name signers see for a task method (the method name itself when unknown). */
  label(name: string): string {
    return this.methods.get(name)?.label ?? name;
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

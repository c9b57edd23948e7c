// A service's OIDC eID methods as segl uses them: read from the store, checked again with the config
// schema (a row written by an older version that no longer passes is left out, with a warning), and
// handed to the RP, the portal's login page and createRequest's validation.
import type { Logger } from 'pino';
import type { ValidationContext } from '../../core/validate';
import { oidcMethodGeneration, type OidcMethodRepository, type StoredOidcMethod } from '../../store/oidcmethods';
import { OIDC_USES, OidcConfigError, parseOidcMethodConfig, type OidcMethodConfig, type OidcUse } from './config';
import type { RpMethod } from './rp';

/** The part of a method config that is secret, stored sealed apart from the rest. */
export interface OidcSecret {
  clientSecret?: string;
  privateKeyPem?: string;
}

/** Splits a checked config into what is stored in clear and what is sealed. */
export function splitSecret(c: OidcMethodConfig): { config: string; secret?: string } {
  const { clientSecret, privateKeyPem, ...rest } = c;
  const secret: OidcSecret = { clientSecret, privateKeyPem };
  return { config: JSON.stringify(rest), secret: clientSecret || privateKeyPem ? JSON.stringify(secret) : undefined };
}

export function toRpMethod(row: StoredOidcMethod): RpMethod {
  const secret = row.secret ? (JSON.parse(row.secret) as OidcSecret) : {};
  const config = parseOidcMethodConfig(JSON.stringify({ ...(JSON.parse(row.config) as object), ...secret }));
  return { key: `${row.serviceId}/${row.name}/${row.updatedAt}`, config, ...secret };
}

/** How long createRequest's view of a service's OIDC method names is kept (another process's change waits this long). */
export const NAMES_CACHE_MS = 2_000;

export class OidcMethods {
  private readonly names = new Map<number, { at: number; gen: number; uses: Array<{ name: string; use: OidcUse[] }> }>();
  constructor(
    private readonly repo: OidcMethodRepository,
    private readonly log?: Logger,
  ) {}

  /** The service's methods that still pass the config schema. */
  async forService(serviceId: number): Promise<RpMethod[]> {
    return this.checked(await this.repo.list(serviceId));
  }

  /** The same, by the service's name. */
  async forServiceName(service: string): Promise<RpMethod[]> {
    return this.checked(await this.repo.listByServiceName(service));
  }

  private checked(rows: StoredOidcMethod[]): RpMethod[] {
    const out: RpMethod[] = [];
    for (const row of rows) {
      try {
        out.push(toRpMethod(row));
      } catch (e) {
        if (!(e instanceof OidcConfigError)) throw e;
        this.log?.warn(
          { serviceId: row.serviceId, method: row.name, problem: e.message },
          'an OIDC eID method config no longer passes its checks; left out',
        );
      }
    }
    return out;
  }

  /**
   * createRequest's methods for one service: `base` (the methods every service has) and this service's
   * OIDC methods, each in what its config's `use` allows (authentication, authentication-based-signature).
   * On every createRequest and addTask, so read without the secrets and kept for NAMES_CACHE_MS per
   * service (as ServiceRepository keeps its rows); a put or remove in this process drops the cache at once.
   */
  async validationContext(serviceId: number, base: ValidationContext): Promise<ValidationContext> {
    const uses = await this.uses(serviceId);
    if (!uses.length) return base;
    const auth = new Set(base.authenticationMethods);
    const abs = new Set(base.authenticationBasedSignatureMethods ?? base.authenticationMethods);
    for (const u of uses) {
      if (u.use.includes('authentication')) auth.add(u.name);
      if (u.use.includes('authentication-based-signature')) abs.add(u.name);
    }
    return { authenticationMethods: auth, signatureMethods: base.signatureMethods, authenticationBasedSignatureMethods: abs };
  }

  private async uses(serviceId: number): Promise<Array<{ name: string; use: OidcUse[] }>> {
    const hit = this.names.get(serviceId);
    const gen = oidcMethodGeneration();
    if (hit && hit.gen === gen && Date.now() - hit.at < NAMES_CACHE_MS) return hit.uses;
    const uses = (await this.repo.configs(serviceId)).flatMap((r) => {
      const use = (JSON.parse(r.config) as { use?: unknown }).use;
      // a row that no longer passes the config schema is left out where it is used (forService); here the
      // name counts only with a use segl knows
      const known = Array.isArray(use) ? use.filter((u): u is OidcUse => (OIDC_USES as readonly unknown[]).includes(u)) : [];
      return known.length ? [{ name: r.name, use: known }] : [];
    });
    if (this.names.size > 10_000) this.names.clear();
    this.names.set(serviceId, { at: Date.now(), gen, uses });
    return uses;
  }
}

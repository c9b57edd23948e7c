// A service's OIDC eID methods as segl uses them: read from the store, checked again with the config
// schema (a row written by an older version that no longer passes is left out, with a warning), and
// handed to the RP, the portal's login page and createRequest's validation.
import type { Logger } from 'pino';
import type { ValidationContext } from '../../core/validate';
import type { OidcMethodRepository, StoredOidcMethod } from '../../store/oidcmethods';
import { OidcConfigError, parseOidcMethodConfig, type OidcMethodConfig } from './config';
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

export class OidcMethods {
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
   * OIDC methods, in authentication only (authentication-based signature with them is not built yet:
   * docs/oidc-eid.md).
   */
  async validationContext(serviceId: number, base: ValidationContext): Promise<ValidationContext> {
    const methods = await this.forService(serviceId);
    if (!methods.length) return base;
    const auth = new Set(base.authenticationMethods);
    for (const m of methods) auth.add(m.config.name);
    return {
      authenticationMethods: auth,
      signatureMethods: base.signatureMethods,
      authenticationBasedSignatureMethods: base.authenticationBasedSignatureMethods ?? base.authenticationMethods,
    };
  }
}

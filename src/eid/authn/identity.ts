// What a login that is not a task hands to the front door that started it (SAML 1.1 `/std/method`
// now; the SAML 2.0 IdP and the OIDC provider later): who logged in, or the eID error code why not.
import type { EidErrorCode } from '../errors';

/** The person an eID login established, as far as the service may know it. */
export interface Identity {
  /** the eID method's name (`nemid`) */
  method: string;
  /** the method's persistent identifier (NemID: the PID, `9208-2002-2-…`) */
  pid: string;
  /** the national id (CPR, 10 digits), only when PID-CPR released it to this service */
  cpr?: string;
  name: string;
  firstName?: string;
  lastName?: string;
  /** YYYY-MM-DD, when known (from a released CPR) */
  dateOfBirth?: string;
  /** the method's assurance level (NemID: 3) */
  securityLevel: number;
  /** the eID certificate's subject DN, when the method has one */
  certificateSubject?: string;
  /** the certificate's serialNumber attribute (NemID: `PID:…`) */
  subjectSerialNumber?: string;
  authenticatedAt: Date;
}

/** How a login ended: an identity, or an error from the catalogue (src/eid/errors.ts). */
export type LoginOutcome = { ok: true; identity: Identity } | { ok: false; error: EidErrorCode };

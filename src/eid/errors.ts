// The eID error catalogue: every refusal or failure an eID method can end with has one stable code,
// and here is what each protocol answers for it — SAML 1.1 (`urn:signicat:error:*` in a Responder
// StatusMessage, as Signicat sends it), SAML 2.0 (a second-level status code) and OpenID Connect (an
// RFC 6749 / OIDC Core error) — with the English sentence those answers carry. The translated texts
// a person reads are the portal's `eid.error.<code>` keys (src/eid/testid/texts, five languages).
import type { TextKey } from '../portal/i18n';

export const EID_ERROR_CODES = [
  'usercancel',
  'unknown-user',
  'wrong-password',
  'wrong-code',
  'user-locked',
  'certificate-revoked',
  'wrong-person',
  'expired',
  'method-unavailable',
  'broker-refused',
  'internal',
] as const;
export type EidErrorCode = (typeof EID_ERROR_CODES)[number];

export interface EidError {
  code: EidErrorCode;
  /** SAML 1.1 StatusMessage prefix, as Signicat's (`urn:signicat:error:usercancel`) */
  saml11: string;
  /** SAML 2.0 second-level StatusCode under urn:oasis:names:tc:SAML:2.0:status:Responder */
  saml2: string;
  /** OpenID Connect / OAuth 2.0 `error` */
  oidc: 'access_denied' | 'login_required' | 'temporarily_unavailable' | 'server_error';
  /** the English sentence the protocol answers carry (never a national id or a password) */
  message: string;
}

const S2 = 'urn:oasis:names:tc:SAML:2.0:status:';
const e = (code: EidErrorCode, saml2: string, oidc: EidError['oidc'], message: string): EidError => ({
  code,
  saml11: `urn:signicat:error:${code}`,
  saml2: `${S2}${saml2}`,
  oidc,
  message,
});

export const EID_ERRORS: Record<EidErrorCode, EidError> = {
  usercancel: e('usercancel', 'AuthnFailed', 'access_denied', 'The process was aborted by the end user'),
  'unknown-user': e('unknown-user', 'UnknownPrincipal', 'access_denied', 'The user is not known to the eID'),
  'wrong-password': e('wrong-password', 'AuthnFailed', 'access_denied', 'The user id or the password was wrong too many times'),
  'wrong-code': e('wrong-code', 'AuthnFailed', 'access_denied', 'The one-time code was wrong too many times'),
  'user-locked': e('user-locked', 'AuthnFailed', 'access_denied', 'The eID is locked'),
  'certificate-revoked': e('certificate-revoked', 'AuthnFailed', 'access_denied', "The user's eID certificate is revoked"),
  'wrong-person': e('wrong-person', 'AuthnFailed', 'access_denied', 'The person who logged in is not the one asked for'),
  expired: e('expired', 'RequestDenied', 'login_required', 'The login took too long or its link was already used'),
  'method-unavailable': e('method-unavailable', 'NoAvailableIDP', 'temporarily_unavailable', 'The eID method is not available now'),
  'broker-refused': e('broker-refused', 'AuthnFailed', 'access_denied', 'The identity broker refused the login'),
  internal: e('internal', 'AuthnFailed', 'server_error', 'An internal error stopped the login'),
};

export const eidError = (code: EidErrorCode): EidError => EID_ERRORS[code];

/** The text key of a code (every code has one in every language: test/unit/eid-errors.test.ts). */
export const errorTextKey = (code: EidErrorCode): TextKey => `eid.error.${code}`;

/**
 * The data of the portal event an eID refusal records: the code first (`eid-error=<code>`, as the
 * SAML 1.1 answer names it after `urn:signicat:error:`), then why in English. Never what the person
 * typed (a user id may be a CPR number).
 */
export const errorEvent = (code: EidErrorCode, why: string): string => `eid-error=${code}: ${why || eidError(code).message}`;

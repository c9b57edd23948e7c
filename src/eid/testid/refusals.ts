// Every way the test eID refuses in the portal, and the one code of the eID error catalogue
// (src/eid/errors.ts) each maps to: the one place that decides it. The steps (steps/*.ts) show the
// code's translated text (`eid.error.<code>`, with the tries left where the environment counts them)
// and record the code in the task's history.
import { errorEvent, errorTextKey, type EidErrorCode } from '../errors';
import { t, type LangLike } from '../../portal/i18n';
import type { FailureReason } from './users';

/** A refusal of the test eID: the environment's failures (users.ts) and what the portal steps check. */
export type TestIdRefusal =
  | FailureReason
  /** the signer pressed Cancel at the key-card step */
  | 'cancelled'
  /** the person who logged in is not the task's subject (PID-CPR), or signs with another eID than the login's */
  | 'national-id-mismatch'
  | 'other-signer'
  /** the signing certificate as OCSP reports it */
  | 'certificate-revoked'
  | 'certificate-on-hold'
  /** none of the task's signature methods is the test eID */
  | 'method-not-offered';

/** Total by type: a new refusal does not compile until it has a code. */
export const REFUSAL_CODES: Record<TestIdRefusal, EidErrorCode> = {
  'unknown-user': 'unknown-user',
  'wrong-password': 'wrong-password',
  'wrong-code': 'wrong-code',
  'user-locked': 'user-locked',
  'challenge-unknown': 'expired',
  'challenge-expired': 'expired',
  'challenge-used': 'expired',
  cancelled: 'usercancel',
  'national-id-mismatch': 'wrong-person',
  'other-signer': 'wrong-person',
  'certificate-revoked': 'certificate-revoked',
  // a certificate on hold is a locked eID: usable again once unlocked
  'certificate-on-hold': 'user-locked',
  'method-not-offered': 'method-unavailable',
};

export const refusalCode = (r: TestIdRefusal): EidErrorCode => REFUSAL_CODES[r];

/** The code's text in the signer's language, and the tries left when the environment counted them. */
export function refusalText(lang: LangLike, r: TestIdRefusal, attemptsLeft?: number): string {
  const text = t(lang, errorTextKey(refusalCode(r)));
  return attemptsLeft === undefined ? text : `${text} ${t(lang, 'eid.attemptsLeft', { left: attemptsLeft })}`;
}

/**
 * The data of the portal event a refusal records: the code first (`eid-error=<code>`, as the SAML 1.1
 * answer names it after `urn:signicat:error:`), then why in English. Never the user id as typed
 * (it may be a CPR number).
 */
export const refusalEvent = (r: TestIdRefusal, why: string): string => errorEvent(refusalCode(r), why);

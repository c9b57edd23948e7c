// The SAML 2.0 Response segl's IdP POSTs to an SP's AssertionConsumerService (saml-core-2.0-os §3.3.3,
// §2.3.3 Assertion; saml-profiles-2.0-os §4.1.4.2 Web Browser SSO): a samlp:Response with Issuer,
// InResponseTo, Destination = the ACS, and on success one saml:Assertion with
//
// - Issuer, Subject with the NameID (persistent: pairwise per SP, persistentNameId; or the national id in the
//   `…:nameid-format:fnr` format when the SP asked for it and PID-CPR released it) and a bearer
//   SubjectConfirmation whose SubjectConfirmationData carries InResponseTo, Recipient (the ACS) and
//   NotOnOrAfter (profiles §4.1.4.2);
// - Conditions NotBefore/NotOnOrAfter with an AudienceRestriction to the SP's entityID;
// - an AuthnStatement (AuthnInstant, SessionIndex, AuthnContextClassRef);
// - an AttributeStatement with Signicat's standard SAML 2.0 attributes (reference authentication.md
//   §1.4: national-identity, national-identity-country, common-name, given-name, surname; NameFormat
//   basic; "always provided … may be blank … never omitted"): the national id and its country only
//   where released, as for SAML 1.1 (the Identity's cpr).
//
// Signatures (core §5): the Assertion is signed enveloped (when the SP wants signed assertions), then
// the Response is signed enveloped around it, each with exc-c14n and rsa-sha256
// (trust/xmldsig/enveloped.ts), the ds:Signature right after the Issuer as the schema orders it.
// Errors: a signed Response with no Assertion, the top-level status (Responder, or Requester for a
// request segl cannot satisfy) and the second-level status from the eID error catalogue.
import { createHmac } from 'node:crypto';
import { keyFromSecret } from '../../../util/secretbox';
import { el, raw, render, type XEl } from '../../../trust/xml/c14n';
import { signEnveloped } from '../../../trust/xmldsig/enveloped';
import { SAML2_ASSERTION, SAML2_PROTOCOL } from '../../../trust/saml2/metadata';
import type { CryptoKey } from '../../../trust/crypto';
import type { Identity } from '../../authn/identity';
import { eidError, type EidErrorCode } from '../../errors';
import { samlId } from '../saml11';

export const NAMEID_PERSISTENT = 'urn:oasis:names:tc:SAML:2.0:nameid-format:persistent';

/**
 * The persistent NameID of a person at one SP (saml-core-2.0-os §8.3.7: an opaque identifier that the
 * IdP and that SP share, so SPs cannot link a person by it): an HMAC of the SP's entityID and the PID
 * under a key from SEGL_SECRET — the same at that SP for every login, another at every other SP, and
 * new if SEGL_SECRET changes. The PID itself (one value for every service) is never the NameID.
 */
export function persistentNameId(secret: string, spEntityId: string, pid: string): string {
  return createHmac('sha256', keyFromSecret(secret, 'segl saml2 persistent nameid v1')).update(`${spEntityId}\0${pid}`).digest('base64url');
}
export const NAMEID_UNSPECIFIED = 'urn:oasis:names:tc:SAML:1.1:nameid-format:unspecified';
/** The national id as NameID, in the format Signicat's SAML 1.1 NameIdentifier uses for it. */
export const NAMEID_NATIONAL_ID = 'urn:kantega:ksi:3.0:nameid-format:fnr';
/** NameID formats an SP may ask for (md:NameIDFormat in segl's metadata). */
export const NAMEID_FORMATS = [NAMEID_PERSISTENT, NAMEID_NATIONAL_ID, NAMEID_UNSPECIFIED] as const;
const STATUS = 'urn:oasis:names:tc:SAML:2.0:status:';
const ATTRNAME_BASIC = 'urn:oasis:names:tc:SAML:2.0:attrname-format:basic';
const BEARER = 'urn:oasis:names:tc:SAML:2.0:cm:bearer';
/** How long an assertion may be used at the ACS (SubjectConfirmationData and Conditions NotOnOrAfter). */
export const SAML2_ASSERTION_LIFETIME_MS = 120_000;

/** AuthnContextClassRef per eID method (Signicat's names, reference §2). */
const AUTHN_CONTEXT: Record<string, string> = { nemid: 'urn:ksi:names:SAML:2.0:ac:OCES' };
/** The country whose national id the method carries (ISO 3166-1 alpha-2). */
const NATIONAL_ID_COUNTRY: Record<string, string> = { nemid: 'DK' };

export interface Saml2Signer {
  key: CryptoKey;
  certificateDer: Uint8Array;
}

/** Where and to whom the Response goes. */
export interface Saml2Audience {
  /** the IdP's entityID (Issuer) */
  issuer: string;
  /** the SP's entityID (Audience) */
  spEntityId: string;
  /** the ACS URL (Destination, Recipient) */
  acsUrl: string;
  /** the AuthnRequest's ID (InResponseTo) */
  inResponseTo: string;
  wantAssertionsSigned: boolean;
  now: Date;
}

/** The outcome to answer: an identity (with the NameID format chosen), or an error status. */
export type Saml2Outcome =
  | { ok: true; identity: Identity; nameIdFormat: typeof NAMEID_PERSISTENT | typeof NAMEID_NATIONAL_ID; persistentId: string }
  | { ok: false; eidError: EidErrorCode }
  | { ok: false; status: { top: 'Requester' | 'Responder'; second: string; message: string } };

const p = (
  local: string,
  attrs: Record<string, string | undefined> | null,
  ...children: Array<XEl | string | undefined | { raw: string }>
) => el(`samlp:${local}`, SAML2_PROTOCOL, attrs, ...children);
const a = (local: string, attrs: Record<string, string | undefined> | null, ...children: Array<XEl | string | undefined>) =>
  el(`saml:${local}`, SAML2_ASSERTION, attrs, ...children);

function attribute(name: string, value: string | undefined): XEl {
  return a('Attribute', { Name: name, NameFormat: ATTRNAME_BASIC }, a('AttributeValue', null, value ?? ''));
}

/** The Assertion (unsigned), canonical as written. */
function assertion(id: Identity, nameIdFormat: string, persistentId: string, o: Saml2Audience): XEl {
  const instant = o.now.toISOString();
  const until = new Date(o.now.getTime() + SAML2_ASSERTION_LIFETIME_MS).toISOString();
  const nationalId = nameIdFormat === NAMEID_NATIONAL_ID ? id.cpr : undefined;
  return a(
    'Assertion',
    { ID: samlId(), IssueInstant: instant, Version: '2.0' },
    a('Issuer', null, o.issuer),
    a(
      'Subject',
      null,
      a('NameID', { Format: nameIdFormat, SPNameQualifier: o.spEntityId }, nationalId ?? persistentId),
      a(
        'SubjectConfirmation',
        { Method: BEARER },
        a('SubjectConfirmationData', { InResponseTo: o.inResponseTo, NotOnOrAfter: until, Recipient: o.acsUrl }),
      ),
    ),
    a('Conditions', { NotBefore: instant, NotOnOrAfter: until }, a('AudienceRestriction', null, a('Audience', null, o.spEntityId))),
    a(
      'AuthnStatement',
      { AuthnInstant: id.authenticatedAt.toISOString(), SessionIndex: samlId() },
      a('AuthnContext', null, a('AuthnContextClassRef', null, AUTHN_CONTEXT[id.method] ?? `urn:signicat:names:SAML:2.0:ac:${id.method}`)),
    ),
    a(
      'AttributeStatement',
      null,
      attribute('national-identity', id.cpr),
      attribute('national-identity-country', id.cpr ? NATIONAL_ID_COUNTRY[id.method] : undefined),
      attribute('common-name', id.name),
      attribute('given-name', id.firstName),
      attribute('surname', id.lastName),
    ),
  );
}

function status(outcome: Saml2Outcome): XEl {
  if (outcome.ok) return p('Status', null, p('StatusCode', { Value: `${STATUS}Success` }));
  const s =
    'eidError' in outcome
      ? { top: 'Responder', second: eidError(outcome.eidError).saml2, message: eidError(outcome.eidError).message }
      : outcome.status;
  return p(
    'Status',
    null,
    p('StatusCode', { Value: `${STATUS}${s.top}` }, p('StatusCode', { Value: s.second })),
    p('StatusMessage', null, s.message),
  );
}

/** The signed Response (XML text, no declaration). */
export async function saml2Response(outcome: Saml2Outcome, o: Saml2Audience, signer: Saml2Signer): Promise<string> {
  let signedAssertion: { raw: string } | undefined;
  if (outcome.ok) {
    const assertionEl = assertion(outcome.identity, outcome.nameIdFormat, outcome.persistentId, o);
    const text = o.wantAssertionsSigned
      ? await signEnveloped({ root: assertionEl, idAttribute: 'ID', position: 1, key: signer.key, certificateDer: signer.certificateDer })
      : render(assertionEl);
    signedAssertion = raw(text);
  }
  const root = p(
    'Response',
    { Destination: o.acsUrl, ID: samlId(), InResponseTo: o.inResponseTo, IssueInstant: o.now.toISOString(), Version: '2.0' },
    a('Issuer', null, o.issuer),
    status(outcome),
    signedAssertion,
  );
  return signEnveloped({ root, idAttribute: 'ID', position: 1, key: signer.key, certificateDer: signer.certificateDer });
}

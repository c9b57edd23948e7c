// The SAML 1.1 Response of the authentication service, shaped as Signicat's (reference
// authentication.md §2, from real preprod captures): a Response in the protocol namespace (default)
// declaring saml, samlp, xsd and xsi, signed enveloped over `#ResponseID` (the signature first), a
// Status, and on success one Assertion (Issuer `<host>/std`, Conditions NotBefore = IssueInstant and
// NotOnOrAfter 30 s later, no AudienceRestriction), an AuthenticationStatement and an
// AttributeStatement whose Subject is the same NameIdentifier (format `…:fnr`): the CPR when it was
// released, else the PID. Attributes are named per namespace as in the NemID capture; the national
// id attributes appear only when the CPR was released. Errors: the same signed Response with
// `samlp:Responder` and StatusMessage `urn:signicat:error:<code>; <message>`, and no Assertion.
import { randomBytes } from 'node:crypto';
import type { CryptoKey } from '../../trust/crypto';
import { el, type XEl } from '../../trust/xml/c14n';
import { signEnveloped } from '../../trust/xmldsig/enveloped';
import { eidError } from '../errors';
import type { LoginOutcome, Identity } from '../authn/identity';

export const SAML1_PROTOCOL = 'urn:oasis:names:tc:SAML:1.0:protocol';
export const SAML1_ASSERTION = 'urn:oasis:names:tc:SAML:1.0:assertion';
const XSD = 'http://www.w3.org/2001/XMLSchema';
const XSI = 'http://www.w3.org/2001/XMLSchema-instance';
/** The PrefixList of Signicat's exc-c14n transform (reference §2). */
export const SIGNICAT_PREFIX_LIST = ['code', 'ds', 'kind', 'rw', 'saml', 'samlp', 'typens', '#default', 'xsd', 'xsi'] as const;
export const NAMEID_FORMAT_FNR = 'urn:kantega:ksi:3.0:nameid-format:fnr';
const BEARER = 'urn:oasis:names:tc:SAML:1.0:cm:bearer';
/** Validity of an assertion, as Signicat's (NotOnOrAfter − NotBefore). */
export const ASSERTION_LIFETIME_MS = 30_000;

/** AuthenticationMethod per eID method (reference §2's table). */
const AUTHENTICATION_METHODS: Record<string, string> = { nemid: 'urn:ksi:names:SAML:2.0:ac:OCES' };

export interface Saml11Signer {
  key: CryptoKey;
  certificateDer: Uint8Array;
}

export interface Saml11ResponseInput {
  outcome: LoginOutcome;
  /** the target the Response is POSTed to (Recipient) */
  recipient: string;
  /** `<host>/std` (Signicat: `test.signicat.com/std`) */
  issuer: string;
  /** the service's name (`signicat:service-name`) */
  service: string;
  now: Date;
}

const p = (local: string, attrs: Record<string, string | undefined> | null, ...children: Array<XEl | string | undefined>) =>
  el(local, SAML1_PROTOCOL, attrs, ...children);
const a = (local: string, attrs: Record<string, string | undefined> | null, ...children: Array<XEl | string | undefined | false>) =>
  el(local, SAML1_ASSERTION, attrs, ...children);

/** `_` and 32 hex digits, as Signicat's ids (an NCName, so usable as an XML ID). */
export const samlId = (): string => `_${randomBytes(16).toString('hex')}`;

/** The attributes of a NemID login, in the capture's order; national id attributes only when released. */
function attributes(id: Identity, service: string): Array<[string, string, string | undefined]> {
  const cpr = id.cpr;
  return [
    ['unique-id', id.method, id.pid],
    ['signicat', 'unique-id', id.pid],
    ['signicat', 'service-name', service],
    ['signicat', 'method-name', id.method],
    ['signicat', 'plain-name', id.name],
    [id.method, 'firstname', id.firstName],
    [id.method, 'lastname', id.lastName],
    ['signicat', 'security-level', String(id.securityLevel)],
    [id.method, 'subject-serial-number', id.subjectSerialNumber],
    ['oces', 'plain-name', id.name],
    [id.method, 'pid', id.pid],
    [id.method, 'cpr', cpr],
    ['national-id', 'dk.cpr', cpr],
    ['signicat', 'national-id', cpr],
    ['signicat', 'date-of-birth', id.dateOfBirth],
  ];
}

function subject(nameId: string): XEl {
  return a(
    'Subject',
    null,
    a('NameIdentifier', { Format: NAMEID_FORMAT_FNR }, nameId),
    a('SubjectConfirmation', null, a('ConfirmationMethod', null, BEARER)),
  );
}

function assertion(id: Identity, o: Saml11ResponseInput, instant: string): XEl {
  const nameId = id.cpr ?? id.pid;
  const method = AUTHENTICATION_METHODS[id.method] ?? `urn:signicat:names:SAML:2.0:ac:${id.method}`;
  return el(
    'Assertion',
    SAML1_ASSERTION,
    { AssertionID: samlId(), IssueInstant: instant, Issuer: o.issuer, MajorVersion: '1', MinorVersion: '1' },
    a('Conditions', { NotBefore: instant, NotOnOrAfter: new Date(o.now.getTime() + ASSERTION_LIFETIME_MS).toISOString() }),
    a(
      'AuthenticationStatement',
      { AuthenticationInstant: id.authenticatedAt.toISOString(), AuthenticationMethod: method },
      subject(nameId),
    ),
    a(
      'AttributeStatement',
      null,
      subject(nameId),
      ...attributes(id, o.service)
        .filter((x): x is [string, string, string] => x[2] !== undefined && x[2] !== '')
        .map(([ns, name, value]) => a('Attribute', { AttributeName: name, AttributeNamespace: ns }, a('AttributeValue', null, value))),
    ),
  );
}

/** The signed Response (XML text, no declaration) for `o.outcome`. */
export function saml11Response(o: Saml11ResponseInput, signer: Saml11Signer): Promise<string> {
  const instant = o.now.toISOString();
  const status = o.outcome.ok
    ? p('Status', null, p('StatusCode', { Value: 'samlp:Success' }))
    : p(
        'Status',
        null,
        p('StatusCode', { Value: 'samlp:Responder' }),
        p('StatusMessage', null, `${eidError(o.outcome.error).saml11}; ${eidError(o.outcome.error).message}`),
      );
  const root: XEl = {
    ...p(
      'Response',
      { IssueInstant: instant, MajorVersion: '1', MinorVersion: '1', Recipient: o.recipient, ResponseID: samlId() },
      status,
      o.outcome.ok ? assertion(o.outcome.identity, o, instant) : undefined,
    ),
    decls: [
      ['saml', SAML1_ASSERTION],
      ['samlp', SAML1_PROTOCOL],
      ['xsd', XSD],
      ['xsi', XSI],
    ],
  };
  return signEnveloped({
    root,
    idAttribute: 'ResponseID',
    position: 0,
    inclusivePrefixes: SIGNICAT_PREFIX_LIST,
    key: signer.key,
    certificateDer: signer.certificateDer,
  });
}

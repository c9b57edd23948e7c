// The claim sets the test IdP hands out, one dialect per broker (reference authentication.md §5.1):
// what a real broker's ID token and userinfo would carry for the same person, built from a test eID
// user. Each names its scopes (the claims a scope releases), the acr it answers with and where the
// national id goes (ID token and userinfo, or userinfo only as legacy Signicat).
import type { TestUser } from '../../testid/users';

export const DIALECTS = ['eidhub', 'signicat-legacy', 'idura-mitid', 'idura-sebankid'] as const;
export type DialectName = (typeof DIALECTS)[number];

export interface Dialect {
  /** the claims each scope releases (oidc-provider's `claims` option) */
  scopes: Record<string, string[]>;
  /** acr values the broker answers with; the first when the client asks for none of them */
  acrValues: string[];
  /** the person's claims for the ID token or for userinfo */
  claims(u: TestUser, use: 'id_token' | 'userinfo'): Record<string, string | boolean>;
  /** a method config for segl that fits this broker (docs/oidc-eid.md's demo) */
  example: { scope: string; acrValues: string[] };
}

/** CPR DDMMYYSSSS → YYYY-MM-DD by the CPR century rule (digit 7 and the year). */
export function birthdateOfCpr(cpr: string): string {
  const dd = cpr.slice(0, 2);
  const mm = cpr.slice(2, 4);
  const yy = Number(cpr.slice(4, 6));
  const s = Number(cpr[6]);
  const century = s <= 3 ? 1900 : s === 4 || s === 9 ? (yy <= 36 ? 2000 : 1900) : yy <= 57 ? 2000 : 1800;
  return `${century + yy}-${mm}-${dd}`;
}

/** A Swedish-looking 12-digit personnummer for the test user (YYYYMMDD + the CPR's last four digits). */
export const personnummerOf = (cpr: string) => `${birthdateOfCpr(cpr).replace(/-/g, '')}${cpr.slice(6)}`;

const names = (u: TestUser) => ({ name: u.name, given_name: u.firstName, family_name: u.lastName });

export const DIALECT: Record<DialectName, Dialect> = {
  // Signicat eID Hub: nin + nin_type + nin_issuing_country, idp / idp_id, in the ID token
  eidhub: {
    scopes: {
      profile: ['name', 'given_name', 'family_name', 'birthdate'],
      nin: ['nin', 'nin_type', 'nin_issuing_country'],
      'idp-id': ['idp', 'idp_id'],
    },
    acrValues: ['urn:signicat:oidc:method:mitid', 'urn:signicat:oidc:method:mitid-cpr'],
    claims: (u) => ({
      ...names(u),
      birthdate: birthdateOfCpr(u.cpr),
      nin: u.cpr,
      nin_type: 'PERSON',
      nin_issuing_country: 'DK',
      idp: 'mitid',
      idp_id: u.pid,
      mitid_has_cpr: true,
    }),
    example: { scope: 'openid profile nin idp-id', acrValues: ['urn:signicat:oidc:method:mitid'] },
  },
  // legacy Signicat …/oidc: the national id is a flat key, and only userinfo has it
  'signicat-legacy': {
    scopes: { profile: ['name', 'given_name', 'family_name'], 'signicat.national_id': ['signicat.national_id'] },
    acrValues: ['urn:signicat:oidc:method:nemid', 'urn:signicat:oidc:method:mitid-cpr'],
    claims: (u, use) => ({ ...names(u), ...(use === 'userinfo' ? { 'signicat.national_id': u.cpr } : {}) }),
    example: { scope: 'openid profile signicat.national_id', acrValues: ['urn:signicat:oidc:method:nemid'] },
  },
  // Idura (ex-Criipto) Danish MitID: cprNumberIdentifier and the MitID uuid, released with openid
  'idura-mitid': {
    scopes: { openid: ['cprNumberIdentifier', 'uuid', 'identityscheme', 'name', 'birthdate', 'country'] },
    acrValues: ['urn:grn:authn:dk:mitid:substantial', 'urn:grn:authn:dk:mitid:low'],
    claims: (u) => ({
      cprNumberIdentifier: u.cpr,
      uuid: u.pid,
      identityscheme: 'dkmitid',
      name: u.name,
      birthdate: birthdateOfCpr(u.cpr),
      country: 'DK',
    }),
    example: { scope: 'openid', acrValues: ['urn:grn:authn:dk:mitid:substantial'] },
  },
  // Idura Swedish BankID: ssn (a 12-digit personnummer)
  'idura-sebankid': {
    scopes: { openid: ['ssn', 'identityscheme', 'name', 'given_name', 'family_name', 'birthdate', 'country'] },
    acrValues: ['urn:grn:authn:se:bankid:same-device', 'urn:grn:authn:se:bankid:another-device'],
    claims: (u) => ({
      ssn: personnummerOf(u.cpr),
      identityscheme: 'sebankid',
      ...names(u),
      birthdate: birthdateOfCpr(u.cpr),
      country: 'SE',
    }),
    example: { scope: 'openid', acrValues: ['urn:grn:authn:se:bankid:same-device'] },
  },
};

// The OIDC method config's claim mapping (reference authentication.md §5.3: each field takes the first
// present claim, ID token before userinfo for the same claim), national-id normalisation (§5.4), and
// the test IdP's birth dates and personnummer from a CPR (the CPR century rule of digit 7).
import { DEFAULT_CLAIMS, mappedClaim, normaliseNationalId, parseOidcMethodConfig } from '../../src/eid/oidc/config';
import { birthdateOfCpr, personnummerOf } from '../../src/eid/oidc/testidp/dialects';

const base = {
  name: 'mitid',
  issuer: 'https://broker.example/auth/open',
  clientId: 'c',
  clientAuth: 'client_secret_basic',
  clientSecret: 's',
};

describe('OIDC method config', () => {
  it('fills the defaults: scope, algs, claim lists, national id required, authentication only', () => {
    const c = parseOidcMethodConfig(JSON.stringify(base));
    expect(c).toMatchObject({
      scope: 'openid profile',
      idTokenAlgs: ['RS256', 'PS256', 'ES256'],
      nationalIdRequired: true,
      use: ['authentication'],
    });
    expect(c.claims).toEqual(DEFAULT_CLAIMS);
  });

  it('keeps the defaults of the fields a config does not list', () => {
    const c = parseOidcMethodConfig(JSON.stringify({ ...base, claims: { nationalId: ['personal_id'] } }));
    expect(c.claims.nationalId).toEqual(['personal_id']);
    expect(c.claims.uniqueId).toEqual(DEFAULT_CLAIMS.uniqueId);
  });

  it('takes the first listed claim that is present and not empty, from the ID token before userinfo', () => {
    const c = parseOidcMethodConfig(JSON.stringify(base));
    expect(mappedClaim(c, 'nationalId', { nin: '', ssn: '199010275312' }, { nin: '0101901234' })).toBe('0101901234');
    expect(mappedClaim(c, 'nationalId', { ssn: '199010275312' }, { 'signicat.national_id': '0101901234' })).toBe('199010275312');
    expect(mappedClaim(c, 'uniqueId', { sub: 'pseudonym', uuid: 'mitid-uuid' })).toBe('mitid-uuid');
    expect(mappedClaim(c, 'birthdate', { name: 'x' })).toBeUndefined();
  });

  it('compares national ids without - and spaces', () => {
    expect(normaliseNationalId('010190-1234')).toBe(normaliseNationalId('0101901234'));
    expect(normaliseNationalId('19901027 5312')).toBe('199010275312');
  });
});

describe('the test IdP: birth date and personnummer of a CPR', () => {
  it.each([
    ['0101901234', '1990-01-01'], // digit 7 = 1: 1900s
    ['0101054234', '2005-01-01'], // digit 7 = 4, year ≤ 36: 2000s
    ['0101504234', '1950-01-01'], // digit 7 = 4, year > 36: 1900s
    ['0101105234', '2010-01-01'], // digit 7 = 5, year ≤ 57: 2000s
    ['0101705234', '1870-01-01'], // digit 7 = 5, year > 57: 1800s
  ])('%s → %s', (cpr, date) => {
    expect(birthdateOfCpr(cpr)).toBe(date);
  });

  it('makes a 12-digit personnummer: the birth date and the last four digits', () => {
    expect(personnummerOf('2710901234')).toBe('199010271234');
  });
});

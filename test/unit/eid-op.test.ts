// The pure parts of segl's OpenID provider: redirect URIs as `segl oidc client add` accepts them,
// the method `acr_values` picks, the claims by the PID-CPR rule, the pairwise `sub`, and where the
// ID-token signing key comes from in each mode.
import { describeConfig, loadConfig } from '../../src/config';
import { oidcSigningSource } from '../../src/eid/authn/routes';
import type { Identity } from '../../src/eid/authn/identity';
import { redirectUriProblem } from '../../src/eid/op/newclient';
import { methodOf, opClaims, pairwiseSub } from '../../src/eid/op/provider';
import { productionEnv } from '../support/production';

const SECRET = 'a'.repeat(43);

describe('redirect URIs a client may register', () => {
  test.each([
    'https://app.example/cb',
    'https://app.example:8443/auth/callback?x=1',
    'http://127.0.0.1:8765/cb',
    'http://localhost/cb',
    'http://[::1]:9/cb',
  ])('%s is accepted', (uri) => expect(redirectUriProblem(uri)).toBeUndefined());
  test.each([
    ['cb', /not an absolute URL/],
    ['https://app.example/cb#x', /fragment/],
    ['https://app.example/cb#', /fragment/],
    ['http://app.example/cb', /must be https/],
    ['javascript:alert(1)', /must be https/],
    ['https://user:pw@app.example/cb', /user or password/],
  ])('%s is refused', (uri, why) => expect(redirectUriProblem(uri)).toMatch(why));
});

describe('the method acr_values asks for', () => {
  const methods = ['nemid'];
  test.each([
    [undefined, 'nemid'],
    ['', 'nemid'],
    ['urn:signicat:oidc:method:nemid', 'nemid'],
    ['nemid', 'nemid'],
    ['urn:signicat:oidc:method:sbid urn:signicat:oidc:method:nemid', 'nemid'],
    ['urn:signicat:oidc:method:sbid', undefined],
  ])('%j → %j', (acr, want) => expect(methodOf(acr, methods)).toBe(want));
  it('no method runs: none', () => expect(methodOf(undefined, [])).toBeUndefined());
});

describe('claims', () => {
  const base: Identity = {
    method: 'nemid',
    pid: '9208-2002-2-123456789012',
    name: 'Karen Nielsen',
    firstName: 'Karen',
    lastName: 'Nielsen',
    securityLevel: 3,
    authenticatedAt: new Date('2026-12-07T00:00:00Z'),
  };
  it('the CPR released: nin, its type and country, the birth date', () => {
    const c = opClaims(SECRET, 'demo', { ...base, cpr: '0101901234', dateOfBirth: '1990-01-01' });
    expect(c).toEqual({
      sub: pairwiseSub(SECRET, 'demo', base.pid),
      idp: 'nemid',
      name: 'Karen Nielsen',
      given_name: 'Karen',
      family_name: 'Nielsen',
      nin: '0101901234',
      nin_type: 'PERSON',
      nin_issuing_country: 'DK',
      birthdate: '1990-01-01',
    });
  });
  it('not released: neither the national id nor the birth date', () => {
    const c = opClaims(SECRET, 'demo', base);
    for (const k of ['nin', 'nin_type', 'nin_issuing_country', 'birthdate']) expect(c[k]).toBeUndefined();
    expect(JSON.stringify(c)).not.toContain(base.pid);
  });
  it('sub: stable per service, different between services and secrets, never the PID', () => {
    const a = pairwiseSub(SECRET, 'demo', base.pid);
    expect(pairwiseSub(SECRET, 'demo', base.pid)).toBe(a);
    expect(pairwiseSub(SECRET, 'other', base.pid)).not.toBe(a);
    expect(pairwiseSub('b'.repeat(43), 'demo', base.pid)).not.toBe(a);
    expect(pairwiseSub(SECRET, 'demo', '9208-2002-2-000000000001')).not.toBe(a);
    expect(a).toMatch(/^[A-Za-z0-9_-]{43}$/);
  });
});

describe('the ID-token signing key', () => {
  it('preprod: the test PKI; production: SEGL_OIDC_P12 or off', () => {
    expect(oidcSigningSource(loadConfig({ SEGL_MODE: 'preprod' }))).toBe('test PKI');
    const off = loadConfig(productionEnv());
    expect(oidcSigningSource(off)).toBeUndefined();
    expect(describeConfig(off).oidcP12).toMatch(/^off/);
    const on = loadConfig(productionEnv({ SEGL_OIDC_P12: '/etc/segl/oidc.p12', SEGL_OIDC_P12_PASSPHRASE: 'x' }));
    expect(oidcSigningSource(on)).toBe('SEGL_OIDC_P12');
    expect(on.oidcP12).toEqual({ path: '/etc/segl/oidc.p12', passphrase: 'x' });
    expect(() => loadConfig({ SEGL_OIDC_P12_PASSPHRASE: 'x' })).toThrow(/without SEGL_OIDC_P12/);
  });
});

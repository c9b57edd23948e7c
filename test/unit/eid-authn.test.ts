// The pure parts of the authentication service: the `id` parameter of /std/method, the target
// allowlist (entries as `segl service set --auth-target` stores them; targets as a browser would
// use them) and where the SAML signing key comes from in each mode.
import { loadConfig, describeConfig } from '../../src/config';
import { samlSigningSource } from '../../src/eid/authn/routes';
import { allowedTarget, authTargetEntry } from '../../src/eid/authn/targets';
import { parseMethodId } from '../../src/eid/saml/std';
import { productionEnv } from '../support/production';

describe('/std/method id', () => {
  test.each([
    ['nemid', { method: 'nemid' }],
    ['nemid:', { method: 'nemid' }],
    ['nemid:corp', { method: 'nemid', profile: 'corp' }],
    ['nemid::da', { method: 'nemid', language: 'da' }],
    ['nemid:corp:da', { method: 'nemid', profile: 'corp', language: 'da' }],
    ['nbid-mobil::nb', { method: 'nbid-mobil', language: 'nb' }],
  ])('%s', (id, want) => expect(parseMethodId(id)).toEqual(want));
  test.each(['', ':x', 'nemid:a:b:c', 'NEMID', 'nemid:<x>', 'nemid:a:d a'])('%j is refused', (id) =>
    expect(parseMethodId(id)).toBeUndefined(),
  );
});

describe('target allowlist', () => {
  test('entries: origin and path, no query, no user info, http(s) only', () => {
    expect(authTargetEntry('https://App.Example:443/auth/')).toBe('https://app.example/auth/');
    expect(authTargetEntry('http://127.0.0.1:8080/cb')).toBe('http://127.0.0.1:8080/cb');
    for (const bad of [
      'https://a.example/cb?x=1',
      'https://u@a.example/',
      'ftp://a.example/',
      '//a.example/',
      'https://a b/',
      'https://a.example/#x',
    ])
      expect(authTargetEntry(bad)).toBeInstanceOf(Error);
  });

  const allow = ['https://rp.example/auth/', 'https://rp.example/cb', 'http://127.0.0.1:8080/x/'];
  test.each([
    ['https://rp.example/auth/verify', 'https://rp.example/auth/verify'],
    ['https://rp.example/auth/', 'https://rp.example/auth/'],
    ['https://rp.example:443/auth/v?s=1&t=2', 'https://rp.example/auth/v?s=1&t=2'],
    ['https://rp.example/cb', 'https://rp.example/cb'],
    ['https://rp.example/cb/deeper', 'https://rp.example/cb/deeper'],
    ['https://rp.example/auth/a/../b', 'https://rp.example/auth/b'],
    ['http://127.0.0.1:8080/x/y', 'http://127.0.0.1:8080/x/y'],
    // the same host as the browser reads it (WHATWG IPv4 parsing): the same origin, so allowed
    ['http://2130706433:8080/x/y', 'http://127.0.0.1:8080/x/y'],
  ])('allows %s', (t, want) => expect(allowedTarget(t, allow)).toBe(want));
  test.each([
    'https://rp.example/cbx',
    'https://rp.example/auth',
    'https://rp.example/auth/../evil',
    'https://rp.example/auth/%2e%2e/evil',
    'https://rp.example/auth/%2E%2E/%2E%2E/evil',
    'https://rp.example/auth%2f..%2fevil',
    'http://rp.example/auth/v',
    'https://rp.example:8443/auth/v',
    'https://evil.example/auth/v',
    'https://rp.example.evil.example/auth/v',
    'https://rp.example@evil.example/auth/v',
    'https://ok@rp.example/auth/v',
    '//rp.example/auth/v',
    '/auth/v',
    'https:/rp.example/auth/v',
    'https://rp.example\\@evil.example/auth/',
    'https://rp.example/auth/\nv',
    ' https://rp.example/auth/v',
    'javascript:alert(1)//https://rp.example/auth/',
    'https://rp.example/auth/v#frag',
    'http://127.0.0.1:8081/x/y',
  ])('refuses %j', (t) => expect(allowedTarget(t, allow)).toBeUndefined());
});

describe('the SAML signing key', () => {
  test('preprod: the test PKI; production: SEGL_SAML_P12, else the service is off and the configuration says so', () => {
    expect(samlSigningSource(loadConfig({ SEGL_MODE: 'preprod' }))).toBe('test PKI');
    const off = loadConfig(productionEnv());
    expect(samlSigningSource(off)).toBeUndefined();
    expect(describeConfig(off).samlP12).toMatch(/^off/);
    const on = loadConfig(productionEnv({ SEGL_SAML_P12: '/etc/segl/saml.p12', SEGL_SAML_P12_PASSPHRASE: 'x' }));
    expect(samlSigningSource(on)).toBe('SEGL_SAML_P12');
    expect(on.samlP12).toEqual({ path: '/etc/segl/saml.p12', passphrase: 'x' });
    expect(() => loadConfig({ SEGL_SAML_P12_PASSPHRASE: 'x' })).toThrow(/without SEGL_SAML_P12/);
  });
});

// The eID error catalogue (src/eid/errors.ts): every code has its text in the five languages, the
// protocol answers are well-formed, and every refusal of the test eID maps to a code.
import { EID_ERROR_CODES, EID_ERRORS } from '../../src/eid/errors';
import { LANGUAGES, TEXTS } from '../../src/portal/i18n';
import { REFUSAL_CODES, refusalEvent, refusalText, type TestIdRefusal } from '../../src/eid/testid/refusals';

const placeholders = (s: string) => [...s.matchAll(/\{(\w+)\}/g)].map((m) => m[1]).sort();

describe('the eID error catalogue', () => {
  test.each(EID_ERROR_CODES.map((c) => [c]))('%s: a text in every language, translated, with no placeholders', (code) => {
    const en = TEXTS.en[`eid.error.${code}`];
    expect(en).toMatch(/^\S.*[.!]$/);
    for (const lang of LANGUAGES) {
      const text = TEXTS[lang][`eid.error.${code}`];
      expect(typeof text).toBe('string');
      expect(text.trim().length).toBeGreaterThan(10);
      expect(placeholders(text)).toEqual([]);
      if (lang !== 'en') expect(text).not.toBe(en);
    }
  });

  test('the texts and the codes agree both ways, and no two codes share a text in one language', () => {
    for (const lang of LANGUAGES) {
      const keys = Object.keys(TEXTS[lang]).filter((k) => k.startsWith('eid.error.'));
      expect(keys.map((k) => k.slice('eid.error.'.length)).sort()).toEqual([...EID_ERROR_CODES].sort());
      const texts = keys.map((k) => TEXTS[lang][k as keyof (typeof TEXTS)['en']]);
      expect(new Set(texts).size).toBe(texts.length);
      expect(placeholders(TEXTS[lang]['eid.attemptsLeft'])).toEqual(['left']);
    }
  });

  test('each code answers in SAML 1.1, SAML 2.0 and OIDC', () => {
    expect(Object.keys(EID_ERRORS).sort()).toEqual([...EID_ERROR_CODES].sort());
    for (const code of EID_ERROR_CODES) {
      const e = EID_ERRORS[code];
      expect(e.code).toBe(code);
      expect(e.saml11).toBe(`urn:signicat:error:${code}`);
      expect(e.saml2).toMatch(/^urn:oasis:names:tc:SAML:2\.0:status:[A-Z][A-Za-z]+$/);
      expect(['access_denied', 'login_required', 'temporarily_unavailable', 'server_error']).toContain(e.oidc);
      expect(e.message).not.toMatch(/\d{6}-?\d{4}/); // never a national id
    }
  });
});

describe('test eID refusal → code', () => {
  // Every FailureReason of src/eid/testid/users.ts and every refusal the portal steps make. The Record
  // type already refuses a missing one at compile time; this checks the list here is the same set.
  const ALL: TestIdRefusal[] = [
    'unknown-user',
    'wrong-password',
    'user-locked',
    'wrong-code',
    'challenge-unknown',
    'challenge-expired',
    'challenge-used',
    'cancelled',
    'national-id-mismatch',
    'other-signer',
    'certificate-revoked',
    'certificate-on-hold',
    'method-not-offered',
  ];

  test('total: every refusal has one catalogue code', () => {
    expect(Object.keys(REFUSAL_CODES).sort()).toEqual([...ALL].sort());
    for (const r of ALL) expect(EID_ERROR_CODES).toContain(REFUSAL_CODES[r]);
  });

  test('the expected codes for the refusals a signer meets', () => {
    expect(REFUSAL_CODES['wrong-password']).toBe('wrong-password');
    expect(REFUSAL_CODES['challenge-expired']).toBe('expired');
    expect(REFUSAL_CODES['challenge-used']).toBe('expired');
    expect(REFUSAL_CODES.cancelled).toBe('usercancel');
    expect(REFUSAL_CODES['other-signer']).toBe('wrong-person');
    expect(REFUSAL_CODES['national-id-mismatch']).toBe('wrong-person');
    expect(REFUSAL_CODES['certificate-on-hold']).toBe('user-locked');
  });

  test('the text: the code’s, plus the tries left where counted, in the signer’s language', () => {
    expect(refusalText('en', 'wrong-password', 4)).toBe('The password is wrong. Attempts left: 4.');
    expect(refusalText('da', 'wrong-code', 2)).toBe('Koden fra nøglekortet er forkert. Forsøg tilbage: 2.');
    expect(refusalText('sv', 'challenge-used')).toBe(TEXTS.sv['eid.error.expired']);
    expect(refusalText('fi', 'certificate-on-hold')).toBe(TEXTS.fi['eid.error.user-locked']);
  });

  test('the event data starts with the code', () => {
    expect(refusalEvent('wrong-code', 'login: key-card code refused')).toBe('eid-error=wrong-code: login: key-card code refused');
    expect(refusalEvent('certificate-on-hold', '')).toBe(`eid-error=user-locked: ${EID_ERRORS['user-locked'].message}`);
  });
});

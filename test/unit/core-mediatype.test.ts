// src/core/mediatype.ts: one list of stored types for SDS and provided-documents, the charsets the
// text check decodes, and the canonical form every download serves.
import { CHARSET_ALIASES, mediaTypeProblem, normalMediaType } from '../../src/core/mediatype';
import { TextValidator } from '../../src/content/text';

describe('media types of tenant documents', () => {
  test('every charset name core accepts is one the text check decodes, and a name it refuses is refused there too', () => {
    const names = Object.values(CHARSET_ALIASES).flat();
    expect(names.length).toBeGreaterThan(30);
    for (const name of names) {
      // quoted: a name like iso_646.irv:1991 is not an RFC 9110 token
      expect(mediaTypeProblem(`text/plain;charset="${name}"`)).toBeNull();
      const v = new TextValidator(name);
      expect(v.problem).toBeNull();
    }
    for (const name of ['koi8-r', 'utf-7', 'shift_jis']) {
      expect(mediaTypeProblem(`text/plain;charset=${name}`)).toMatch(/is not supported/);
      expect(new TextValidator(name).problem?.code).toBe('unsupported-charset');
    }
  });

  test('stored types are served in a canonical form that is always a valid header value', () => {
    expect(normalMediaType('Text/Plain; Charset="UTF-8"; format=flowed')).toBe('text/plain;charset=utf-8');
    expect(normalMediaType('application/pdf')).toBe('application/pdf');
    // whatever an old row holds, the header is safe to set
    expect(normalMediaType('text/html; name="\u0100"')).toBe('application/octet-stream');
    expect(normalMediaType('text/plain\r\nSet-Cookie: x=1')).toBe('application/octet-stream');
  });

  test.each([
    ['text/html', /is not accepted/],
    ['image/svg+xml', /is not accepted/],
    ['application/xhtml+xml', /is not accepted/],
    ['text/plain; charset=x-unknown', /charset "x-unknown" is not supported/],
    ['text/plain; charset=a; charset=b', /is not a media type/],
    ['application/x-ltv-sdo; charset=utf-8', /charset parameter is not allowed/],
  ])('%j is refused', (value, why) => {
    expect(mediaTypeProblem(value)).toMatch(why);
  });

  test.each([
    'application/pdf',
    'application/x-pades',
    'text/plain',
    'text/plain;charset=windows-1252',
    'application/xml; charset=utf-8',
    'text/xml',
    'application/x-ltv-sdo',
  ])('%j is accepted', (value) => {
    expect(mediaTypeProblem(value)).toBeNull();
  });
});

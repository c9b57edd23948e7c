// src/core/mediatype.ts: one list of stored types for SDS and provided-documents, the charsets the
// text check decodes, and the canonical form every download serves.
import { mediaTypeProblem, normalMediaType, SUPPORTED_CHARSETS as CORE_CHARSETS } from '../../src/core/mediatype';
import { SUPPORTED_CHARSETS as DECODED } from '../../src/content/text';

describe('media types of tenant documents', () => {
  test('the charsets core accepts are exactly those the SDS text check decodes', () => {
    expect([...CORE_CHARSETS].sort()).toEqual([...DECODED].sort());
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

// The one canonical text form of a certificate serial number (validation and creation alike).
//
// RFC 5280 §4.1.2.2: the serial is a positive INTEGER of at most 20 octets; DER (X.690 §8.3.2) writes it in
// the fewest two's-complement octets, so a value whose high bit is set carries a leading 00 octet. That 00
// is a sign octet, not part of the value: `00 8f` and `8f` are the same serial. The canonical form is the
// value's unsigned octets in lower-case hex, without leading zero octets, and always whole octets (even
// length, `0abc` rather than `abc`), the form OCSP CertIDs, TSA tokens and @peculiar/x509 show for most
// serials. Encoders put the 00 sign octet back (see tsa.ts unsignedInteger, pki.ts createCrl).
//
// Two normalisers used to exist (normaliseSerialHex in pki.ts stripped to odd length, normalizeSerialHex
// in ocsp.ts kept whole octets), so a serial such as 0x0abc was stored as `abc` by the test CA but asked
// for as `0abc` by its OCSP responder. Every store, CRL, OCSP and TSA lookup now keys serials by this one.

/** Canonical serial: lower-case hex of the unsigned value, no leading zero octets, even length. Accepts "0x", ':' and spaces. */
export function normalizeSerialHex(serial: string): string {
  const h = serial.trim().toLowerCase().replace(/^0x/, '').replace(/[:\s]/g, '');
  if (!/^[0-9a-f]*$/.test(h)) throw new RangeError(`not a hexadecimal serial number: ${serial}`);
  const stripped = h.replace(/^0+/, '');
  if (!stripped) return '00';
  return stripped.length % 2 ? `0${stripped}` : stripped;
}

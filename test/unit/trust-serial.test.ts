// The one serial-number normaliser (src/trust/x509/serial.ts): RFC 5280 §4.1.2.2 positive INTEGER, DER sign octet dropped,
// whole octets kept, so the test CA's store, its CRL and its OCSP responder key every serial the same way.
import { generateKeys } from '../../src/trust/crypto'; // first: it loads reflect-metadata, which @peculiar/x509 needs
import * as x509 from '@peculiar/x509';
import { normalizeSerialHex } from '../../src/trust/x509/serial';

describe('normalizeSerialHex', () => {
  it('drops the DER sign octet and leading zeros, keeps whole octets, lower-cases', () => {
    expect(normalizeSerialHex('00:8F:01')).toBe('8f01');
    expect(normalizeSerialHex('00:0A:bc')).toBe('0abc');
    expect(normalizeSerialHex('abc')).toBe('0abc');
    expect(normalizeSerialHex('0x 7f')).toBe('7f');
    expect(normalizeSerialHex('0')).toBe('00');
    expect(normalizeSerialHex('')).toBe('00');
  });

  it('rejects what is not hexadecimal', () => {
    expect(() => normalizeSerialHex('xyz')).toThrow(/hexadecimal/);
  });

  it('gives the same text for a certificate whose serial needs the 00 sign octet and for its bare value', async () => {
    const keys = await generateKeys();
    const cert = await x509.X509CertificateGenerator.createSelfSigned({
      serialNumber: '008f0102',
      name: 'CN=serial',
      keys,
      notBefore: new Date(),
      notAfter: new Date(Date.now() + 60_000),
    });
    expect(normalizeSerialHex(cert.serialNumber)).toBe('8f0102');
    expect(normalizeSerialHex('8F:01:02')).toBe(normalizeSerialHex(cert.serialNumber));
  });
});

// The LTV-SDO builder: well-formed, every element the packaging policy asks for, text escaped.
import { buildLtvSdo, describeUserAgent, LTVSDO_NS, type LtvSdoInput } from '../../src/trust/ltvsdo';
import { parseXml, type XNode } from '../../src/soap/xml';

const input = (): LtvSdoInput => ({
  id: 'sdo-1',
  nativeSignatureXml:
    '<?xml version="1.0"?><ds:Signature xmlns:ds="http://www.w3.org/2000/09/xmldsig#" Id="sig"><ds:SignatureValue>AAA=</ds:SignatureValue></ds:Signature>',
  signer: { name: 'Ann <Berg> & Co', pid: '9208-2002-2-1', nationalId: '0101801234', nationality: 'DK', kind: 'POCES' },
  trustedTime: { time: new Date('2026-11-28T10:00:00Z'), tokenDer: new Uint8Array([1, 2, 3]), source: 'segl TSA' },
  validation: {
    certificates: [new Uint8Array([4]), new Uint8Array([5])],
    ocspResponses: [new Uint8Array([6])],
    indication: 'TOTAL-PASSED',
    verifiedAt: new Date('2026-11-28T10:00:01Z'),
    checks: [{ name: 'core-validation', ok: true, detail: 'references and signature value', at: new Date('2026-11-28T10:00:01Z') }],
  },
  creationContext: {
    client: describeUserAgent('Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/156.0.0.0 Safari/537.36'),
    server: { operatingSystem: 'linux 6', runtime: 'node v20', components: [{ name: 'segl', version: '0.1.0' }] },
  },
  verificationContext: { server: { operatingSystem: 'linux 6', runtime: 'node v20', components: [{ name: 'xadesjs', version: '2.6.8' }] } },
  externalContext: 'client-reference: "ref-1"',
  auditTrail: [{ time: new Date('2026-11-28T09:59:00Z'), type: 'pdf-shown', text: 'document d1 shown' }],
});

const child = (n: XNode, name: string): XNode | undefined => n.children.find((c) => c.local === name);
const path = (n: XNode, ...names: string[]): XNode | undefined =>
  names.reduce<XNode | undefined>((acc, k) => (acc ? child(acc, k) : undefined), n);

test('the package is well-formed and holds every element the policy lists', () => {
  const root = parseXml(buildLtvSdo(input()));
  expect(root.uri).toBe(LTVSDO_NS);
  expect(root.attrs).toMatchObject({ Id: 'sdo-1', Version: '1' });
  expect(path(root, 'SignedDataObject', 'Signature')?.attrs.Id).toBe('sig');
  expect(path(root, 'SignerDescription', 'SignerName')?.text).toBe('Ann <Berg> & Co');
  expect(path(root, 'SignerDescription', 'SignerNationalId')?.text).toBe('0101801234');
  expect(path(root, 'SignerDescription', 'SignerNationality')?.text).toBe('DK');
  expect(path(root, 'TrustedSigningTime', 'Time')?.text).toBe('2026-11-28T10:00:00.000Z');
  expect(path(root, 'TrustedSigningTime', 'TimeStampToken')?.text).toBe('AQID');
  expect(path(root, 'ValidationData', 'Certificates')?.children.map((c) => c.text)).toEqual(['BA==', 'BQ==']);
  expect(path(root, 'ValidationData', 'RevocationValues', 'OcspResponse')?.text).toBe('Bg==');
  expect(path(root, 'ValidationData', 'InitialVerification')?.attrs.Indication).toBe('TOTAL-PASSED');
  expect(path(root, 'SignatureCreationContext', 'Client', 'Browser')?.text).toBe('Chrome/156.0.0.0');
  expect(path(root, 'SignatureCreationContext', 'Client', 'OperatingSystem')?.text).toBe('Linux');
  expect(path(root, 'SignatureCreationContext', 'Server', 'Runtime')?.text).toBe('node v20');
  expect(path(root, 'VerificationContext', 'Server', 'Component')?.attrs).toEqual({ Name: 'xadesjs', Version: '2.6.8' });
  expect(path(root, 'ExternalContext')?.text).toBe('client-reference: "ref-1"');
  expect(path(root, 'AuditTrail', 'Entry')?.attrs.Type).toBe('pdf-shown');
});

test('no CPR element where none was collected', () => {
  const i = input();
  delete i.signer.nationalId;
  expect(buildLtvSdo(i)).not.toContain('SignerNationalId');
});

test('User-Agent strings name the OS and browser', () => {
  expect(
    describeUserAgent(
      'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0 Safari/537.36 Edg/120.0',
    ),
  ).toMatchObject({ operatingSystem: 'Windows NT 10.0', browser: 'Edge/120.0' });
  expect(
    describeUserAgent('Mozilla/5.0 (Macintosh; Intel Mac OS X 14_1) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.1 Safari/605.1.15'),
  ).toMatchObject({ operatingSystem: 'Mac OS X 14.1', browser: 'Safari/17.1' });
  expect(describeUserAgent(undefined)).toEqual({});
});

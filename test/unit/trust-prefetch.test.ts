// src/trust/validation/process.ts VerifyOptions.prefetchRevocation: the signer's revocation question
// goes out as soon as the signature names its certificate, but the answer counts only when the
// signature value and the path verified, and only for the issuer the path chose. A segl native
// signature (src/trust/xades/native.ts) over a test PKI; the revocation source records each question.
import '../../src/trust/crypto';
import { generateKeys } from '../../src/trust/crypto';
import * as x509 from '@peculiar/x509';
import { createTestPki, issuePersonCertificate, type PkiUrls, type TestPki } from '../../src/testca/pki';
import type { RevocationSource } from '../../src/trust/sources';
import { verifyXmlSignature } from '../../src/trust/validation/process';
import type { VerifyOptions } from '../../src/trust/validation/report';
import { createNativeSignature } from '../../src/trust/xades/native';

const DAY = 24 * 3600_000;
const urls: PkiUrls = { ocsp: 'http://127.0.0.1:9/ocsp', crl: 'http://127.0.0.1:9/crl' };
let pki: TestPki;
let other: TestPki;
let signed: string;
let certificate: x509.X509Certificate;

beforeAll(async () => {
  [pki, other] = await Promise.all([createTestPki({ urls }), createTestPki({ name: 'segl test', urls })]);
  const keys = await generateKeys();
  certificate = await issuePersonCertificate(pki.personCa, {
    commonName: 'Prefetch Signer',
    pid: '9208-2002-2-111122223333',
    kind: 'POCES',
    publicKey: keys.publicKey,
    urls,
    now: new Date(Date.now() - DAY),
  });
  signed = await createNativeSignature({
    signer: { certificate, keys },
    signText: 'I agree to pay 100 DKK',
    documents: [{ id: 'd1', description: 'contract', mimeType: 'text/plain', bytes: new TextEncoder().encode('100 DKK') }],
  });
}, 60_000);

/** A revocation source that answers `status` and records who was asked about, with which issuer. */
function recording(status: 'good' | 'revoked' = 'good'): { source: RevocationSource; asked: Array<[string, string]> } {
  const asked: Array<[string, string]> = [];
  const source: RevocationSource = async (cert, issuer) => {
    asked.push([cert.subject, issuer.subject]);
    return status === 'good'
      ? { status: { status: 'good' }, source: 'ocsp' }
      : { status: { status: 'revoked', revokedAt: new Date(Date.now() - 60_000), reason: 'keyCompromise' }, source: 'ocsp' };
  };
  return { source, asked };
}

const options = (revocation: RevocationSource, extra: Partial<VerifyOptions> = {}): VerifyOptions => ({
  anchors: [pki.root.certificate],
  intermediates: [pki.personCa.certificate],
  revocation,
  prefetchRevocation: true,
  ...extra,
});

function alterSignatureValue(xml: string): string {
  return xml.replace(/(<(?:ds:)?SignatureValue[^>]*>)([^<]+)/, (_m, open: string, value: string) => {
    const i = value.search(/[A-Za-z0-9]/);
    return open + value.slice(0, i) + (value[i] === 'A' ? 'B' : 'A') + value.slice(i + 1);
  });
}

test('valid: TOTAL-PASSED with the prefetched answer, asked once, about the signer and its issuing CA', async () => {
  const { source, asked } = recording();
  const r = await verifyXmlSignature(signed, options(source));
  expect(r).toMatchObject({ indication: 'TOTAL-PASSED' });
  expect(asked).toEqual([[certificate.subject, pki.personCa.certificate.subject]]);
  expect(r.revocation).toHaveLength(1);
  expect(r.revocation?.[0]).toMatchObject({ status: { status: 'good' }, source: 'ocsp' });
});

test('the prefetched answer is used: revoked → TOTAL-FAILED REVOKED', async () => {
  const { source, asked } = recording('revoked');
  const r = await verifyXmlSignature(signed, options(source));
  expect(r).toMatchObject({ indication: 'TOTAL-FAILED', subIndication: 'REVOKED' });
  expect(asked).toHaveLength(1);
});

test('SignatureValue altered: SIG_CRYPTO_FAILURE whatever the early answer; the answer is not in the report', async () => {
  const { source, asked } = recording();
  const r = await verifyXmlSignature(alterSignatureValue(signed), options(source));
  expect(r).toMatchObject({ indication: 'TOTAL-FAILED', subIndication: 'SIG_CRYPTO_FAILURE' });
  expect(r.revocation).toBeUndefined();
  expect(r.checks.map((c) => c.name)).not.toContain('revocation');
  expect(asked).toHaveLength(1); // the one needless question a refused signature costs
  const late = recording();
  const r2 = await verifyXmlSignature(alterSignatureValue(signed), options(late.source, { prefetchRevocation: false }));
  expect(r2).toMatchObject({ indication: 'TOTAL-FAILED', subIndication: 'SIG_CRYPTO_FAILURE' });
  expect(late.asked).toHaveLength(0);
});

test('two different certificates named as the issuer: nothing asked early; the path decides, then one question', async () => {
  // another PKI with the same names: its person CA has the subject of ours, with another key
  expect(other.personCa.certificate.subject).toBe(pki.personCa.certificate.subject);
  const { source, asked } = recording();
  const r = await verifyXmlSignature(signed, options(source, { intermediates: [other.personCa.certificate, pki.personCa.certificate] }));
  expect(r).toMatchObject({ indication: 'TOTAL-PASSED' });
  expect(asked).toEqual([[certificate.subject, pki.personCa.certificate.subject]]);
  expect(r.chain?.[1]?.equal(pki.personCa.certificate)).toBe(true);
});

test('only a look-alike issuer: the early question names it, but no path is found and its answer is not used', async () => {
  const { source, asked } = recording();
  const r = await verifyXmlSignature(signed, options(source, { intermediates: [other.personCa.certificate] }));
  expect(r).toMatchObject({ indication: 'INDETERMINATE', subIndication: 'NO_CERTIFICATE_CHAIN_FOUND' });
  expect(r.revocation).toBeUndefined();
  expect(asked).toHaveLength(1);
});

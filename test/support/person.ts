// The built-in test PKI (src/testca/pki.ts) with made-up service URLs and one POCES person under its
// person CA: what the XML-level trust tests sign with.
import { createTestPki, issuePersonCertificate, type TestPki } from '../../src/testca/pki';
import { generateKeys } from '../../src/trust/crypto';
import type { SigningIdentity } from '../../src/trust/sources';

export const TEST_URLS = { ocsp: 'http://segl.test/ocsp', crl: 'http://segl.test/crl', caIssuers: 'http://segl.test/ca' };

export async function pkiWithPerson(commonName: string, pid: string): Promise<{ pki: TestPki; signer: SigningIdentity }> {
  const pki = await createTestPki({ urls: TEST_URLS });
  const keys = await generateKeys();
  const certificate = await issuePersonCertificate(pki.personCa, {
    commonName,
    pid,
    kind: 'POCES',
    publicKey: keys.publicKey,
    urls: TEST_URLS,
  });
  return { pki, signer: { certificate, keys } };
}

// A throw-away PKI for trust tests: a root CA, an OCSP responder, a TSA and two end-entity
// certificates, made with @peculiar/x509 and written as PEM files for openssl.
import { generateKeys, type CryptoKeyPair } from '../../src/trust/crypto';
import { normalizeSerialHex } from '../../src/trust/x509/serial';
import * as x509 from '@peculiar/x509';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface TestIdentity {
  certificate: x509.X509Certificate;
  keys: CryptoKeyPair;
  /** PEM file of the certificate. */
  pem: string;
  /** Normalised hex serial (x509's form). */
  serial: string;
}

export interface TestCa {
  dir: string;
  root: TestIdentity;
  ocsp: TestIdentity;
  tsa: TestIdentity;
  ee: TestIdentity;
  ee2: TestIdentity;
  cleanup(): Promise<void>;
}

const OCSP_NOCHECK = '1.3.6.1.5.5.7.48.1.5';
const HOUR = 3_600_000;

async function issue(
  name: string,
  issuer: { certificate: x509.X509Certificate; keys: CryptoKeyPair } | null,
  extensions: x509.Extension[],
): Promise<{ certificate: x509.X509Certificate; keys: CryptoKeyPair }> {
  const keys = await generateKeys();
  const common = {
    notBefore: new Date(Date.now() - HOUR),
    notAfter: new Date(Date.now() + 365 * 24 * HOUR),
    signingAlgorithm: { name: 'RSASSA-PKCS1-v1_5', hash: 'SHA-256' },
  };
  const ski = await x509.SubjectKeyIdentifierExtension.create(keys.publicKey as never);
  if (!issuer) {
    const certificate = await x509.X509CertificateGenerator.createSelfSigned({
      ...common,
      name,
      keys: keys as never,
      extensions: [...extensions, ski],
    });
    return { certificate, keys };
  }
  const aki = await x509.AuthorityKeyIdentifierExtension.create(issuer.certificate);
  const certificate = await x509.X509CertificateGenerator.create({
    ...common,
    subject: name,
    issuer: issuer.certificate.subject,
    publicKey: keys.publicKey as never,
    signingKey: issuer.keys.privateKey as never,
    extensions: [...extensions, ski, aki],
  });
  return { certificate, keys };
}

/** Makes the PKI under a fresh temp dir (or `dir`); `label` keeps names distinct when a test needs two CAs. */
export async function makeTestCa(label = 'segl Test', dir?: string): Promise<TestCa> {
  const out = dir ?? (await mkdtemp(join(tmpdir(), 'segl-testca-')));
  const KU = x509.KeyUsageFlags;
  const root = await issue(`CN=${label} Root CA,O=segl`, null, [
    new x509.BasicConstraintsExtension(true, undefined, true),
    new x509.KeyUsagesExtension(KU.keyCertSign | KU.cRLSign, true),
  ]);
  const leaf = (usage: number) => [new x509.BasicConstraintsExtension(false, undefined, true), new x509.KeyUsagesExtension(usage, true)];
  const ocsp = await issue(`CN=${label} OCSP Responder,O=segl`, root, [
    ...leaf(KU.digitalSignature),
    new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.ocspSigning]),
    new x509.Extension(OCSP_NOCHECK, false, new Uint8Array([0x05, 0x00])),
  ]);
  const tsa = await issue(`CN=${label} TSA,O=segl`, root, [
    ...leaf(KU.digitalSignature | KU.nonRepudiation),
    new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.timeStamping], true),
  ]);
  const ee = await issue(`CN=${label} Signer One,O=segl`, root, leaf(KU.digitalSignature | KU.nonRepudiation));
  const ee2 = await issue(`CN=${label} Signer Two,O=segl`, root, leaf(KU.digitalSignature | KU.nonRepudiation));

  const save = async (file: string, id: { certificate: x509.X509Certificate; keys: CryptoKeyPair }): Promise<TestIdentity> => {
    const pem = join(out, file);
    await writeFile(pem, id.certificate.toString('pem') + '\n');
    return { ...id, pem, serial: normalizeSerialHex(id.certificate.serialNumber) };
  };
  return {
    dir: out,
    root: await save('ca.pem', root),
    ocsp: await save('ocsp.pem', ocsp),
    tsa: await save('tsa.pem', tsa),
    ee: await save('ee.pem', ee),
    ee2: await save('ee2.pem', ee2),
    cleanup: () => rm(out, { recursive: true, force: true }),
  };
}

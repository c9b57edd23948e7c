// What the SAML 2.0 IdP tests share: node-saml as the SP (its configuration as an SP operator sets it
// up against segl), RSA keys with a self-signed certificate, and the test eID's login steps in Chromium.
import type { SamlConfig } from '@node-saml/node-saml';
import type { Page } from 'playwright-core';
import { crypto, generateKeys, type CryptoKey } from '../../src/trust/crypto';
import * as x509 from '@peculiar/x509';
import type { TestIdEnvironment } from '../../src/eid/testid/users';

export const PERSISTENT = 'urn:oasis:names:tc:SAML:2.0:nameid-format:persistent';

/** node-saml's options for an SP at `acs` with entityID `entityId`, sending to `sso`, strict about everything it checks. */
export function nodeSamlConfig(entityId: string, acs: string, sso: string, extra: Partial<SamlConfig> = {}): SamlConfig {
  return {
    issuer: entityId,
    callbackUrl: acs,
    entryPoint: sso,
    idpCert: '',
    audience: entityId,
    identifierFormat: PERSISTENT,
    signatureAlgorithm: 'sha256',
    digestAlgorithm: 'sha256',
    wantAssertionsSigned: true,
    wantAuthnResponseSigned: true,
    validateInResponseTo: 'always' as never,
    ...extra,
  };
}

/** The signing certificate in segl's IdP metadata (base64 DER), as an SP operator imports it. */
export function idpCertOf(metadata: string): string {
  return /<ds:X509Certificate>([^<]+)<\/ds:X509Certificate>/.exec(metadata)![1]!;
}

/** An RSA key (PKCS#8 PEM and the CryptoKey) with a self-signed certificate (PEM and DER). */
export async function keyAndCert(cn: string): Promise<{ key: CryptoKey; pem: string; certPem: string; der: Uint8Array }> {
  const keys = await generateKeys();
  const cert = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: '0a',
    name: `CN=${cn}`,
    notBefore: new Date(Date.now() - 86_400_000),
    notAfter: new Date(Date.now() + 365 * 86_400_000),
    keys,
    signingAlgorithm: { name: 'RSASSA-PKCS1-v1_5', hash: 'SHA-256' },
  });
  const pkcs8 = Buffer.from(await crypto.subtle.exportKey('pkcs8', keys.privateKey)).toString('base64');
  const pem = `-----BEGIN PRIVATE KEY-----\n${pkcs8.replace(/.{64}/g, '$&\n')}\n-----END PRIVATE KEY-----\n`;
  return { key: keys.privateKey, pem, certPem: cert.toString('pem'), der: new Uint8Array(cert.rawData) };
}

/** The test eID's user id, password and key-card steps on segl's login pages; returns at the CPR step. */
export async function testIdSteps(tab: Page, testid: TestIdEnvironment, alias: string, password: string): Promise<void> {
  await tab.fill('#user', alias);
  await tab.fill('#password', password);
  await tab.click('button[value=next]');
  const keyNumber = /key number (\d+)/.exec(await tab.locator('main').innerText())![1]!;
  let code: string | undefined;
  for (const card of await testid.keyCards(alias)) for (const c of card.codes) if (c.keyNumber === keyNumber && !c.used) code ??= c.code;
  await tab.fill('#code', code!);
  await tab.click('button[value=next]');
  await tab.locator('#cpr').waitFor();
}

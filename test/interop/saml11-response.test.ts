// The SAML 1.1 Response of the authentication service (src/eid/saml/saml11.ts, signed by
// src/trust/xmldsig/enveloped.ts), checked by two outside verifiers exactly as a relying party of
// Signicat's runs them (reference authentication.md §3): xmlsec1 with `--id-attr:ResponseID Response`
// and a pinned certificate, and xml-crypto 6.3.2 with `idAttribute: 'ResponseID'` and `publicCert`.
// A tampered Subject, NotOnOrAfter or SignatureMethod Algorithm fails both.
import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DOMParser } from '@xmldom/xmldom';
import { SignedXml } from 'xml-crypto';
import { generateKeys } from '../../src/trust/crypto';
import * as x509 from '@peculiar/x509';
import { saml11Response, type Saml11Signer } from '../../src/eid/saml/saml11';
import type { Identity } from '../../src/eid/authn/identity';

jest.setTimeout(60_000);

const identity: Identity = {
  method: 'nemid',
  pid: '9208-2002-2-963154826612',
  cpr: '0707580210',
  name: 'Theodora Mathiesen',
  firstName: 'Theodora',
  lastName: 'Mathiesen',
  dateOfBirth: '1958-07-07',
  securityLevel: 3,
  subjectSerialNumber: 'PID:9208-2002-2-963154826612',
  authenticatedAt: new Date('2026-12-07T10:16:19.889Z'),
};
const NOW = new Date('2026-12-07T10:16:20.077Z');
const TARGET = 'https://rp.example/auth/verify';

let dir: string;
let signer: Saml11Signer;
let certPem: string;

function run(cmd: string, args: string[]): Promise<{ code: number; out: string }> {
  return new Promise((resolve) => {
    execFile(cmd, args, { encoding: 'utf8' }, (err, stdout, stderr) =>
      resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, out: `${stdout}${stderr}` }),
    );
  });
}

async function xmlsec1(xml: string): Promise<boolean> {
  const file = join(dir, `r-${Math.random().toString(36).slice(2)}.xml`);
  await writeFile(file, xml);
  const r = await run('xmlsec1', ['--verify', '--id-attr:ResponseID', 'Response', '--pubkey-cert-pem', join(dir, 'cert.pem'), file]);
  return r.code === 0 && /OK/.test(r.out);
}

function xmlCrypto(xml: string): boolean {
  const doc = new DOMParser().parseFromString(xml, 'text/xml');
  const sig = doc.getElementsByTagNameNS('http://www.w3.org/2000/09/xmldsig#', 'Signature')[0];
  const sx = new SignedXml({ publicCert: certPem, idAttribute: 'ResponseID' });
  sx.loadSignature(sig as never);
  try {
    return sx.checkSignature(xml);
  } catch {
    return false;
  }
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'segl-saml11-'));
  const keys = await generateKeys();
  const cert = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: '01',
    name: 'CN=segl.test/std, O=segl test, C=DK',
    notBefore: new Date('2026-01-01T00:00:00Z'),
    notAfter: new Date('2030-01-01T00:00:00Z'),
    keys,
    signingAlgorithm: { name: 'RSASSA-PKCS1-v1_5', hash: 'SHA-256' },
  });
  certPem = cert.toString('pem');
  await writeFile(join(dir, 'cert.pem'), certPem);
  signer = { key: keys.privateKey, certificateDer: new Uint8Array(cert.rawData) };
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

const success = () =>
  saml11Response({ outcome: { ok: true, identity }, recipient: TARGET, issuer: 'segl.test/std', service: 'demo', now: NOW }, signer);

describe('SAML 1.1 Response', () => {
  it('is shaped as Signicat’s: Recipient, Issuer, the 30 s window, NameIdentifier = CPR, the attributes per namespace', async () => {
    const xml = await success();
    expect(xml).toMatch(/^<Response xmlns="urn:oasis:names:tc:SAML:1.0:protocol" xmlns:saml="[^"]+" xmlns:samlp="[^"]+" xmlns:xsd/);
    expect(xml).toContain(`Recipient="${TARGET}"`);
    expect(xml).toMatch(/<Response [^>]*><ds:Signature /);
    expect(xml).toContain('<Status><StatusCode Value="samlp:Success"></StatusCode></Status>');
    expect(xml).toContain('Issuer="segl.test/std"');
    expect(xml).toContain('<Conditions NotBefore="2026-12-07T10:16:20.077Z" NotOnOrAfter="2026-12-07T10:16:50.077Z">');
    expect(xml).toContain('AuthenticationMethod="urn:ksi:names:SAML:2.0:ac:OCES"');
    expect(xml).toContain('<NameIdentifier Format="urn:kantega:ksi:3.0:nameid-format:fnr">0707580210</NameIdentifier>');
    for (const [ns, name, value] of [
      ['signicat', 'unique-id', identity.pid],
      ['signicat', 'national-id', '0707580210'],
      ['signicat', 'service-name', 'demo'],
      ['signicat', 'method-name', 'nemid'],
      ['signicat', 'plain-name', 'Theodora Mathiesen'],
      ['signicat', 'security-level', '3'],
      ['unique-id', 'nemid', identity.pid],
      ['national-id', 'dk.cpr', '0707580210'],
      ['nemid', 'firstname', 'Theodora'],
      ['nemid', 'lastname', 'Mathiesen'],
      ['nemid', 'cpr', '0707580210'],
      ['nemid', 'subject-serial-number', `PID:${identity.pid}`],
    ])
      expect(xml).toContain(
        `<Attribute AttributeName="${name}" AttributeNamespace="${ns}"><AttributeValue>${value}</AttributeValue></Attribute>`,
      );
    expect(xml).toContain('PrefixList="code ds kind rw saml samlp typens #default xsd xsi"');
    expect(xml).toContain('Algorithm="http://www.w3.org/2001/04/xmldsig-more#rsa-sha256"');
  });

  it('without a released CPR: NameIdentifier = PID and no national id attribute', async () => {
    const { cpr: _cpr, dateOfBirth: _dob, ...noCpr } = identity;
    const xml = await saml11Response(
      { outcome: { ok: true, identity: noCpr }, recipient: TARGET, issuer: 'segl.test/std', service: 'demo', now: NOW },
      signer,
    );
    expect(xml).toContain(`<NameIdentifier Format="urn:kantega:ksi:3.0:nameid-format:fnr">${identity.pid}</NameIdentifier>`);
    expect(xml).not.toContain('national-id');
    expect(xml).not.toContain('AttributeName="cpr"');
    expect(xml).not.toContain('0707580210');
    expect(await xmlsec1(xml)).toBe(true);
    expect(xmlCrypto(xml)).toBe(true);
  });

  it('xmlsec1 and xml-crypto verify it', async () => {
    const xml = await success();
    expect(await xmlsec1(xml)).toBe(true);
    expect(xmlCrypto(xml)).toBe(true);
  });

  it('an error is a signed Responder with urn:signicat:error:<code> and no Assertion', async () => {
    const xml = await saml11Response(
      { outcome: { ok: false, error: 'usercancel' }, recipient: TARGET, issuer: 'segl.test/std', service: 'demo', now: NOW },
      signer,
    );
    expect(xml).toContain(
      '<Status><StatusCode Value="samlp:Responder"></StatusCode><StatusMessage>urn:signicat:error:usercancel; The process was aborted by the end user</StatusMessage></Status>',
    );
    expect(xml).not.toContain('Assertion');
    expect(await xmlsec1(xml)).toBe(true);
    expect(xmlCrypto(xml)).toBe(true);
  });

  const tamperings: Array<[string, (xml: string) => string]> = [
    ['the Subject', (x) => x.replace(/>0707580210<\/NameIdentifier>/g, '>0101010101</NameIdentifier>')],
    ['NotOnOrAfter', (x) => x.replace('NotOnOrAfter="2026-12-07T10:16:50.077Z"', 'NotOnOrAfter="2026-12-07T11:16:50.077Z"')],
    ['the SignatureMethod Algorithm', (x) => x.replace('xmldsig-more#rsa-sha256', 'xmldsig-more#rsa-sha512')],
  ];
  it.each(tamperings)('a tampered %s fails xmlsec1 and xml-crypto', async (_what, tamper) => {
    const xml = await success();
    const bad = tamper(xml);
    expect(bad).not.toBe(xml);
    expect(await xmlsec1(bad)).toBe(false);
    expect(xmlCrypto(bad)).toBe(false);
  });
});

// src/trust/validation/ and src/trust/x509/path.ts: ETSI EN 319 102-1 style verification of XMLDSig / XAdES
// signatures made independently of segl's signer (xmlsec1, and xadesjs called directly), against a
// test PKI whose OCSP responder runs in this test on a local HTTP server with statuses we control.
import '../../src/trust/crypto';
import { crypto, generateKeys, SIGNING_ALGORITHM, type CryptoKeyPair } from '../../src/trust/crypto';
import * as x509 from '@peculiar/x509';
import { DOMParser, XMLSerializer } from '@xmldom/xmldom';
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as xadesjs from 'xadesjs';
import { checkOcspResponse } from '../../src/trust/ocsp/response';
import { respondOcsp } from '../../src/trust/ocsp/responder';
import type { CertStatus } from '../../src/trust/sources';
import { normalizeSerialHex } from '../../src/trust/x509/serial';
import { validatePath } from '../../src/trust/x509/path';
import { createTestPki, issuePersonCertificate, toPem, type Issuer, type PkiUrls, type TestPki } from '../../src/testca/pki';
import { ocspRevocationSource } from '../../src/trust/validation/revocation';
import { verifyXmlSignature } from '../../src/trust/validation/process';
import { type VerificationReport, type VerifyOptions } from '../../src/trust/validation/report';
import type { RevocationSource } from '../../src/trust/sources';
import { readBody } from '../support/http';
import { postOcsp } from '../../src/signing/online';

const DAY = 24 * 3600_000;
const SIGN_TEXT = 'I agree to pay 100 DKK';

interface Run {
  code: number;
  out: string;
}

function run(cmd: string, args: string[], cwd: string): Promise<Run> {
  return new Promise((resolve) => {
    execFile(cmd, args, { cwd, encoding: 'utf8', maxBuffer: 1 << 24 }, (err, stdout, stderr) => {
      resolve({ code: err ? (typeof err.code === 'number' ? err.code : 1) : 0, out: `${stdout}\n${stderr}` });
    });
  });
}

function listen(server: http.Server): Promise<number> {
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve((server.address() as AddressInfo).port)));
}

function close(server: http.Server): Promise<void> {
  return new Promise((resolve) => server.close(() => resolve()));
}

const b64 = (cert: x509.X509Certificate): string => Buffer.from(cert.rawData).toString('base64');
const serialOf = (cert: x509.X509Certificate): string => normalizeSerialHex(cert.serialNumber);

let dir: string;
let server: http.Server;
let urls: PkiUrls;
let pki: TestPki;
let other: TestPki;
/** OCSP status by serial; a serial not in the map is good. */
const statuses = new Map<string, CertStatus>();
let ocspRequests = 0;

interface Signer {
  certificate: x509.X509Certificate;
  keys: CryptoKeyPair;
}
let signer: Signer;
let foreignSigner: Signer;
let offlineSigner: Signer;
let xmlsecSigned: string;
let xadesSigned: string;

async function person(ca: Issuer, cn: string, u: PkiUrls): Promise<Signer> {
  const keys = await generateKeys();
  const certificate = await issuePersonCertificate(ca, {
    commonName: cn,
    pid: `9208-2002-2-${Math.floor(Math.random() * 1e12)}`,
    kind: 'POCES',
    publicKey: keys.publicKey,
    urls: u,
    now: new Date(Date.now() - 2 * DAY),
  });
  return { certificate, keys };
}

/** (a) xmlsec1 signs an enveloping template (ds:Object with the sign text, KeyInfo/X509Data placeholder). */
async function signWithXmlsec(s: Signer, name: string): Promise<string> {
  const pkcs8 = await crypto.subtle.exportKey('pkcs8', s.keys.privateKey);
  await writeFile(join(dir, `${name}.key.pem`), toPem(pkcs8, 'PRIVATE KEY'));
  await writeFile(join(dir, `${name}.cert.pem`), s.certificate.toString('pem'));
  await writeFile(
    join(dir, `${name}.tmpl.xml`),
    `<?xml version="1.0" encoding="UTF-8"?>
<Signature xmlns="http://www.w3.org/2000/09/xmldsig#">
  <SignedInfo>
    <CanonicalizationMethod Algorithm="http://www.w3.org/2001/10/xml-exc-c14n#"/>
    <SignatureMethod Algorithm="http://www.w3.org/2001/04/xmldsig-more#rsa-sha256"/>
    <Reference URI="#obj-1">
      <Transforms><Transform Algorithm="http://www.w3.org/2001/10/xml-exc-c14n#"/></Transforms>
      <DigestMethod Algorithm="http://www.w3.org/2001/04/xmlenc#sha256"/>
      <DigestValue/>
    </Reference>
  </SignedInfo>
  <SignatureValue/>
  <KeyInfo><X509Data><X509Certificate/></X509Data></KeyInfo>
  <Object Id="obj-1"><SignText xmlns="urn:segl:test">${SIGN_TEXT}</SignText></Object>
</Signature>
`,
  );
  const r = await run(
    'xmlsec1',
    ['--sign', '--privkey-pem', `${name}.key.pem,${name}.cert.pem`, '--output', `${name}.signed.xml`, `${name}.tmpl.xml`],
    dir,
  );
  if (r.code !== 0) throw new Error(`xmlsec1 --sign failed: ${r.out}`);
  return readFile(join(dir, `${name}.signed.xml`), 'utf8');
}

/** (b) xadesjs directly: enveloped XAdES-BES with SigningTime and SigningCertificateV2. */
async function signWithXades(s: Signer, sigCertV2: x509.X509Certificate = s.certificate): Promise<string> {
  const doc = new DOMParser().parseFromString(`<Document xmlns="urn:segl:test"><SignText>${SIGN_TEXT}</SignText></Document>`, 'text/xml');
  const sx = new xadesjs.SignedXml();
  await sx.Sign(
    { name: 'RSASSA-PKCS1-v1_5' } as never,
    s.keys.privateKey as never,
    doc as never,
    {
      references: [{ uri: '', hash: 'SHA-256', transforms: ['enveloped', 'exc-c14n'] }],
      x509: [b64(s.certificate)],
      signingCertificateV2: b64(sigCertV2),
      signingTime: { value: new Date() },
    } as never,
  );
  doc.documentElement!.appendChild(sx.GetXml() as never);
  return new XMLSerializer().serializeToString(doc);
}

/** Independent check that a fixture is a valid signature: xmlsec1 --verify with the test root as trust anchor. */
async function xmlsecVerify(xml: string, name: string): Promise<Run> {
  await writeFile(join(dir, 'root.pem'), pki.root.certificate.toString('pem'));
  await writeFile(join(dir, 'ca.pem'), pki.personCa.certificate.toString('pem'));
  await writeFile(join(dir, `${name}.verify.xml`), xml);
  return run('xmlsec1', ['--verify', '--trusted-pem', 'root.pem', '--untrusted-pem', 'ca.pem', `${name}.verify.xml`], dir);
}

const checker = (): RevocationSource => ocspRevocationSource({ fetch: postOcsp });

function options(extra: Partial<VerifyOptions> = {}): VerifyOptions {
  return {
    anchors: [pki.root.certificate],
    intermediates: [pki.personCa.certificate],
    revocation: checker(),
    ...extra,
  };
}

/** Changes one character of the SignatureValue's base64 (keeping it valid base64). */
function alterSignatureValue(xml: string): string {
  return xml.replace(/(<(?:ds:)?SignatureValue[^>]*>)([^<]+)/, (_m, open: string, value: string) => {
    let i = 20;
    while (!/[A-Za-z0-9]/.test(value[i])) i++;
    const repl = value[i] === 'A' ? 'B' : 'A';
    return open + value.slice(0, i) + repl + value.slice(i + 1);
  });
}

function changeSignedByte(xml: string): string {
  const out = xml.replace('100 DKK', '900 DKK');
  expect(out).not.toBe(xml);
  return out;
}

function expectAllChecksOk(r: VerificationReport): void {
  expect(r.checks.map((c) => c.name).sort()).toEqual(['core-validation', 'path-validation', 'revocation', 'signing-certificate-reference']);
  for (const c of r.checks) {
    expect(c).toMatchObject({ ok: true });
    expect(c.at).toBeInstanceOf(Date);
  }
}

function checkOf(r: VerificationReport, name: string) {
  return r.checks.find((c) => c.name === name);
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'segl-verify-'));
  server = http.createServer((req, res) => {
    void (async () => {
      if (req.method !== 'POST' || req.url !== '/ocsp') {
        res.writeHead(404).end();
        return;
      }
      ocspRequests++;
      const der = await readBody(req);
      const out = Buffer.from(
        await respondOcsp(der, {
          responder: pki.ocsp,
          issuer: pki.personCa.certificate,
          lookup: async (serial) => statuses.get(serial) ?? { status: 'good' },
        }),
      );
      res.writeHead(200, { 'content-type': 'application/ocsp-response', 'content-length': out.length }).end(out);
    })();
  });
  const port = await listen(server);
  urls = { ocsp: `http://127.0.0.1:${port}/ocsp`, crl: `http://127.0.0.1:${port}/crl` };
  // A port nobody listens on: the "OCSP server down" case.
  const gone = http.createServer();
  const downPort = await listen(gone);
  await close(gone);
  const past = new Date(Date.now() - 2 * DAY);
  [pki, other] = await Promise.all([createTestPki({ urls, now: past }), createTestPki({ name: 'Other', urls, now: past })]);
  [signer, foreignSigner, offlineSigner] = await Promise.all([
    person(pki.personCa, 'Signe Signer', urls),
    person(other.personCa, 'Foreign Signer', urls),
    person(pki.personCa, 'Offline Signer', { ocsp: `http://127.0.0.1:${downPort}/ocsp`, crl: urls.crl }),
  ]);
  xmlsecSigned = await signWithXmlsec(signer, 'signer');
  xadesSigned = await signWithXades(signer);
});

afterAll(async () => {
  await close(server);
  await rm(dir, { recursive: true, force: true });
});

beforeEach(() => {
  statuses.clear();
  ocspRequests = 0;
});

// ---------------------------------------------------------------------------------------------

describe('fixtures are genuine signatures (independent verifier)', () => {
  test('xmlsec1 --verify accepts both fixtures and rejects a changed byte', async () => {
    expect(xmlsecSigned).toContain('<SignatureValue>');
    expect(xadesSigned).toContain('SigningCertificateV2');
    expect((await xmlsecVerify(xmlsecSigned, 'a')).code).toBe(0);
    expect((await xmlsecVerify(xadesSigned, 'b')).code).toBe(0);
    expect((await xmlsecVerify(changeSignedByte(xmlsecSigned), 'c')).code).not.toBe(0);
  });
});

describe.each([
  ['xmlsec1 enveloping XMLDSig', () => xmlsecSigned],
  ['xadesjs enveloped XAdES-BES', () => xadesSigned],
])('%s', (_name, fixture) => {
  test('valid → TOTAL-PASSED, all four checks ok, OCSP evidence kept', async () => {
    const r = await verifyXmlSignature(fixture(), options());
    expect(r).toMatchObject({ indication: 'TOTAL-PASSED' });
    expect(r.subIndication).toBeUndefined();
    expectAllChecksOk(r);
    expect(r.signer?.equal(signer.certificate)).toBe(true);
    expect(r.chain?.map((c) => c.subject)).toEqual([
      signer.certificate.subject,
      pki.personCa.certificate.subject,
      pki.root.certificate.subject,
    ]);
    expect(r.revocation).toHaveLength(1);
    expect(r.revocation?.[0]).toMatchObject({ source: 'ocsp', status: { status: 'good' } });
    const checked = await checkOcspResponse(r.revocation![0].responseDer!, {
      issuer: pki.personCa.certificate,
      serialHex: serialOf(signer.certificate),
    });
    expect(checked.status).toEqual({ status: 'good' });
    expect(ocspRequests).toBe(1);
  });

  test('one byte changed in the signed object → TOTAL-FAILED HASH_FAILURE', async () => {
    const r = await verifyXmlSignature(changeSignedByte(fixture()), options());
    expect(r).toMatchObject({ indication: 'TOTAL-FAILED', subIndication: 'HASH_FAILURE' });
    expect(checkOf(r, 'core-validation')).toMatchObject({ ok: false });
    expect(ocspRequests).toBe(0);
  });

  test('SignatureValue altered → TOTAL-FAILED SIG_CRYPTO_FAILURE', async () => {
    const altered = alterSignatureValue(fixture());
    expect(altered).not.toBe(fixture());
    const r = await verifyXmlSignature(altered, options());
    expect(r).toMatchObject({ indication: 'TOTAL-FAILED', subIndication: 'SIG_CRYPTO_FAILURE' });
    expect(checkOf(r, 'core-validation')).toMatchObject({ ok: false });
  });

  test('revoked (OCSP keyCompromise) → TOTAL-FAILED REVOKED with the OCSP response in the report', async () => {
    const revokedAt = new Date(Math.floor((Date.now() - 3600_000) / 1000) * 1000);
    statuses.set(serialOf(signer.certificate), { status: 'revoked', revokedAt, reason: 'keyCompromise' });
    const r = await verifyXmlSignature(fixture(), options());
    expect(r).toMatchObject({ indication: 'TOTAL-FAILED', subIndication: 'REVOKED' });
    expect(r.message).toContain('keyCompromise');
    expect(checkOf(r, 'revocation')).toMatchObject({ ok: false });
    const der = r.revocation?.[0].responseDer;
    expect(der).toBeInstanceOf(Uint8Array);
    const checked = await checkOcspResponse(der!, { issuer: pki.personCa.certificate, serialHex: serialOf(signer.certificate) });
    expect(checked.status).toEqual({ status: 'revoked', revokedAt, reason: 'keyCompromise' });
  });
});

describe('signing certificate and trust', () => {
  test('signer from another (untrusted) root → INDETERMINATE NO_CERTIFICATE_CHAIN_FOUND, no OCSP asked', async () => {
    const xml = await signWithXades(foreignSigner);
    const r = await verifyXmlSignature(xml, options());
    expect(r).toMatchObject({ indication: 'INDETERMINATE', subIndication: 'NO_CERTIFICATE_CHAIN_FOUND' });
    expect(checkOf(r, 'core-validation')).toMatchObject({ ok: true });
    expect(checkOf(r, 'path-validation')).toMatchObject({ ok: false });
    expect(ocspRequests).toBe(0);
    // Control: trusting the other root makes the same signature pass the path (OCSP then says good).
    const ok = await verifyXmlSignature(xml, options({ anchors: [other.root.certificate], intermediates: [other.personCa.certificate] }));
    expect(checkOf(ok, 'path-validation')).toMatchObject({ ok: true });
  });

  test('missing intermediate → NO_CERTIFICATE_CHAIN_FOUND; the intermediate in KeyInfo is enough', async () => {
    const r = await verifyXmlSignature(xadesSigned, options({ intermediates: [] }));
    expect(r).toMatchObject({ indication: 'INDETERMINATE', subIndication: 'NO_CERTIFICATE_CHAIN_FOUND' });
    // The same signature with the CA certificate added to KeyInfo/X509Data builds the path.
    const withCa = xadesSigned.replace(
      /(<ds:X509Certificate>)/,
      `<ds:X509Certificate>${b64(pki.personCa.certificate)}</ds:X509Certificate>$1`,
    );
    const r2 = await verifyXmlSignature(withCa, options({ intermediates: [] }));
    expect(r2.indication).toBe('TOTAL-PASSED');
    expect(r2.signer?.equal(signer.certificate)).toBe(true);
  });

  test('SigningCertificateV2 digest not matching the KeyInfo certificate → INDETERMINATE NO_SIGNING_CERTIFICATE_FOUND', async () => {
    const xml = await signWithXades(signer, pki.seal.certificate);
    const r = await verifyXmlSignature(xml, options());
    expect(r).toMatchObject({ indication: 'INDETERMINATE', subIndication: 'NO_SIGNING_CERTIFICATE_FOUND' });
    expect(checkOf(r, 'signing-certificate-reference')).toMatchObject({ ok: false });
    expect(r.message).toMatch(/CertDigest differs/);
  });

  test('a swapped KeyInfo certificate does not verify the SignatureValue (XMLDSig) → SIG_CRYPTO_FAILURE', async () => {
    const swapped = xmlsecSigned.replace(
      /<X509Certificate>[^<]+<\/X509Certificate>/,
      `<X509Certificate>${b64(offlineSigner.certificate)}</X509Certificate>`,
    );
    expect(swapped).not.toBe(xmlsecSigned);
    const r = await verifyXmlSignature(swapped, options());
    expect(r).toMatchObject({ indication: 'TOTAL-FAILED', subIndication: 'SIG_CRYPTO_FAILURE' });
  });

  test('the XAdES SigningTime is reported', async () => {
    const r = await verifyXmlSignature(xadesSigned, options());
    expect(r.signingTime).toBeInstanceOf(Date);
    expect(Math.abs(r.signingTime!.getTime() - Date.now())).toBeLessThan(10 * 60_000);
  });
});

describe('revocation', () => {
  test('held (certificateHold) → INDETERMINATE TRY_LATER with the hold in the message', async () => {
    statuses.set(serialOf(signer.certificate), {
      status: 'revoked',
      revokedAt: new Date(Date.now() - 3600_000),
      reason: 'certificateHold',
    });
    const r = await verifyXmlSignature(xadesSigned, options());
    expect(r).toMatchObject({ indication: 'INDETERMINATE', subIndication: 'TRY_LATER' });
    expect(r.message).toMatch(/certificateHold/);
    expect(r.message).toMatch(/hold/i);
    expect(r.revocation?.[0].responseDer).toBeInstanceOf(Uint8Array);
  });

  test('OCSP says unknown → INDETERMINATE TRY_LATER', async () => {
    statuses.set(serialOf(signer.certificate), { status: 'unknown' });
    const r = await verifyXmlSignature(xmlsecSigned, options());
    expect(r).toMatchObject({ indication: 'INDETERMINATE', subIndication: 'TRY_LATER' });
    expect(r.revocation?.[0].status).toEqual({ status: 'unknown' });
  });

  test('OCSP server down → INDETERMINATE TRY_LATER', async () => {
    const xml = await signWithXades(offlineSigner);
    const r = await verifyXmlSignature(xml, options());
    expect(r).toMatchObject({ indication: 'INDETERMINATE', subIndication: 'TRY_LATER' });
    expect(r.message).toMatch(/unreachable/);
    expect(checkOf(r, 'core-validation')).toMatchObject({ ok: true });
    expect(checkOf(r, 'path-validation')).toMatchObject({ ok: true });
    expect(checkOf(r, 'revocation')).toMatchObject({ ok: false });
  });

  test('revoked after the validation time → INDETERMINATE REVOKED_NO_POE', async () => {
    statuses.set(serialOf(signer.certificate), { status: 'revoked', revokedAt: new Date(Date.now() - 3600_000), reason: 'superseded' });
    const r = await verifyXmlSignature(xadesSigned, options({ at: new Date(Date.now() - DAY) }));
    expect(r).toMatchObject({ indication: 'INDETERMINATE', subIndication: 'REVOKED_NO_POE' });
  });

  test('an OCSP answer from a responder the CA did not authorise is not believed → TRY_LATER', async () => {
    // Forges "good" with the other PKI's responder key.
    const forging = ocspRevocationSource({
      fetch: async (_url, der) =>
        respondOcsp(der, {
          responder: other.ocsp,
          issuer: pki.personCa.certificate,
          lookup: async () => ({ status: 'good' }),
        }),
    });
    const r = await verifyXmlSignature(xadesSigned, options({ revocation: forging }));
    expect(r).toMatchObject({ indication: 'INDETERMINATE', subIndication: 'TRY_LATER' });
    expect(r.revocation?.[0].detail).toMatch(/authorised responder/);
  });

  test('a replayed OCSP response (nonce not echoed) is not believed → TRY_LATER', async () => {
    const first = await verifyXmlSignature(xadesSigned, options());
    expect(first.indication).toBe('TOTAL-PASSED');
    const old = first.revocation![0].responseDer!;
    const replaying = ocspRevocationSource({ fetch: async () => old });
    const r = await verifyXmlSignature(xadesSigned, options({ revocation: replaying }));
    expect(r).toMatchObject({ indication: 'INDETERMINATE', subIndication: 'TRY_LATER' });
    expect(r.revocation?.[0].detail).toMatch(/nonce/);
  });

  test('a throwing revocation callback gives TRY_LATER, not a crash', async () => {
    const r = await verifyXmlSignature(
      xadesSigned,
      options({
        revocation: async () => {
          throw new Error('boom');
        },
      }),
    );
    expect(r).toMatchObject({ indication: 'INDETERMINATE', subIndication: 'TRY_LATER' });
    expect(r.message).toContain('boom');
  });

  test('checkCaRevocation asks about the CA too; a revoked CA → INDETERMINATE REVOKED_CA_NO_POE', async () => {
    const asked: Array<[string, string]> = [];
    const cb: RevocationSource = async (cert, issuer) => {
      asked.push([cert.subject, issuer.subject]);
      return cert.equal(pki.personCa.certificate)
        ? { status: { status: 'revoked', revokedAt: new Date(Date.now() - 60_000), reason: 'cACompromise' }, source: 'crl' }
        : { status: { status: 'good' }, source: 'ocsp' };
    };
    const r = await verifyXmlSignature(xadesSigned, options({ revocation: cb, checkCaRevocation: true }));
    expect(asked).toEqual([
      [signer.certificate.subject, pki.personCa.certificate.subject],
      [pki.personCa.certificate.subject, pki.root.certificate.subject],
    ]);
    expect(r).toMatchObject({ indication: 'INDETERMINATE', subIndication: 'REVOKED_CA_NO_POE' });
  });
});

describe('format', () => {
  const bad: Array<[string, string]> = [
    ['not XML', 'this is not xml at all'],
    ['not well-formed', '<a><b></a>'],
    ['no Signature', '<Document><SignText>hi</SignText></Document>'],
    ['a DTD', '<!DOCTYPE a [<!ENTITY x "y">]><a>&x;</a>'],
    [
      'a Signature without SignedInfo',
      '<Signature xmlns="http://www.w3.org/2000/09/xmldsig#"><SignatureValue>AA==</SignatureValue></Signature>',
    ],
  ];
  test.each(bad)('%s → TOTAL-FAILED FORMAT_FAILURE', async (_n, xml) => {
    const r = await verifyXmlSignature(xml, options());
    expect(r).toMatchObject({ indication: 'TOTAL-FAILED', subIndication: 'FORMAT_FAILURE' });
    expect(r.message.length).toBeGreaterThan(0);
  });

  test('non-string input → FORMAT_FAILURE, not a throw', async () => {
    const r = await verifyXmlSignature(undefined as unknown as string, options());
    expect(r).toMatchObject({ indication: 'TOTAL-FAILED', subIndication: 'FORMAT_FAILURE' });
  });

  test('two signatures: FORMAT_FAILURE unless signatureXPath picks one', async () => {
    const strip = (x: string): string => x.replace(/^<\?xml[^>]*\?>\s*/, '');
    const bundle = `<Bundle>${strip(xmlsecSigned)}${strip(changeSignedByte(xmlsecSigned))}</Bundle>`;
    const none = await verifyXmlSignature(bundle, options());
    expect(none).toMatchObject({ indication: 'TOTAL-FAILED', subIndication: 'FORMAT_FAILURE' });
    expect(none.message).toMatch(/2 ds:Signature/);
    const first = await verifyXmlSignature(bundle, options({ signatureXPath: '/Bundle/ds:Signature[1]' }));
    expect(first.indication).toBe('TOTAL-PASSED');
    const second = await verifyXmlSignature(bundle, options({ signatureXPath: '/Bundle/ds:Signature[2]' }));
    expect(second).toMatchObject({ indication: 'TOTAL-FAILED', subIndication: 'HASH_FAILURE' });
    const both = await verifyXmlSignature(bundle, options({ signatureXPath: '//ds:Signature' }));
    expect(both).toMatchObject({ indication: 'TOTAL-FAILED', subIndication: 'FORMAT_FAILURE' });
  });

  test('XAdES SignedProperties not covered by a Reference → FORMAT_FAILURE', async () => {
    const refs = xadesSigned.match(/<ds:Reference\b[\s\S]*?<\/ds:Reference>/g) ?? [];
    const spRef = refs.find((r) => r.includes('#SignedProperties'));
    expect(spRef).toBeDefined();
    const r = await verifyXmlSignature(xadesSigned.replace(spRef!, ''), options());
    expect(r).toMatchObject({ indication: 'TOTAL-FAILED', subIndication: 'FORMAT_FAILURE' });
    expect(r.message).toMatch(/SignedProperties is not covered/);
  });

  test('a Signature without any certificate → INDETERMINATE NO_SIGNING_CERTIFICATE_FOUND', async () => {
    const noCert = xmlsecSigned.replace(/<KeyInfo>[\s\S]*<\/KeyInfo>/, '');
    expect(noCert).not.toBe(xmlsecSigned);
    const r = await verifyXmlSignature(noCert, options());
    expect(r).toMatchObject({ indication: 'INDETERMINATE', subIndication: 'NO_SIGNING_CERTIFICATE_FOUND' });
  });
});

// ---------------------------------------------------------------------------------------------
// Path validation (RFC 5280 §6) unit cases

interface MkCert {
  cn: string;
  keys: CryptoKeyPair;
  issuer?: Signer;
  notBefore?: Date;
  notAfter?: Date;
  ca?: boolean;
  pathLen?: number;
  /** keyUsage flags; omitted → CA: keyCertSign|cRLSign, EE: digitalSignature. */
  ku?: number;
  extra?: x509.Extension[];
}

async function mkCert(p: MkCert): Promise<Signer> {
  const ext: x509.Extension[] = [
    new x509.BasicConstraintsExtension(!!p.ca, p.pathLen, true),
    new x509.KeyUsagesExtension(
      p.ku ?? (p.ca ? x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign : x509.KeyUsageFlags.digitalSignature),
      true,
    ),
    await x509.SubjectKeyIdentifierExtension.create(p.keys.publicKey as never),
    ...(p.extra ?? []),
  ];
  if (p.issuer) {
    const ski = p.issuer.certificate.getExtension(x509.SubjectKeyIdentifierExtension);
    if (ski) ext.push(new x509.AuthorityKeyIdentifierExtension(ski.keyId));
  }
  const certificate = await x509.X509CertificateGenerator.create({
    serialNumber: `01${Buffer.from(crypto.getRandomValues(new Uint8Array(8))).toString('hex')}`,
    subject: `CN=${p.cn}`,
    issuer: p.issuer ? p.issuer.certificate.subjectName : `CN=${p.cn}`,
    notBefore: p.notBefore ?? new Date(Date.now() - DAY),
    notAfter: p.notAfter ?? new Date(Date.now() + 365 * DAY),
    publicKey: p.keys.publicKey as never,
    signingKey: (p.issuer ? p.issuer.keys.privateKey : p.keys.privateKey) as never,
    signingAlgorithm: SIGNING_ALGORITHM as never,
    extensions: ext,
  });
  return { certificate, keys: p.keys };
}

describe('validatePath', () => {
  let k1: CryptoKeyPair;
  let k2: CryptoKeyPair;
  let root: Signer;
  let anchors: x509.X509Certificate[];
  const now = new Date();

  beforeAll(async () => {
    [k1, k2] = await Promise.all([generateKeys(), generateKeys()]);
    root = pki.root;
    anchors = [root.certificate];
  });

  test('valid chain: seal → service CA → root (the person CA is not on it)', async () => {
    const r = await validatePath(pki.seal.certificate, {
      anchors,
      intermediates: [pki.personCa.certificate, pki.serviceCa.certificate],
      at: now,
    });
    expect(r.ok).toBe(true);
    if (r.ok)
      expect(r.chain.map((c) => c.subject)).toEqual([
        pki.seal.certificate.subject,
        pki.serviceCa.certificate.subject,
        root.certificate.subject,
      ]);
    const viaPersonCa = await validatePath(pki.seal.certificate, { anchors, intermediates: [pki.personCa.certificate], at: now });
    expect(viaPersonCa).toMatchObject({ ok: false, subIndication: 'NO_CERTIFICATE_CHAIN_FOUND' });
  });

  test('no path: missing intermediate, foreign root, forged issuer name → NO_CERTIFICATE_CHAIN_FOUND', async () => {
    const missing = await validatePath(pki.seal.certificate, { anchors, intermediates: [], at: now });
    expect(missing).toMatchObject({ ok: false, subIndication: 'NO_CERTIFICATE_CHAIN_FOUND' });
    const foreign = await validatePath(other.seal.certificate, {
      anchors,
      intermediates: [pki.serviceCa.certificate, other.serviceCa.certificate],
      at: now,
    });
    expect(foreign).toMatchObject({ ok: false, subIndication: 'NO_CERTIFICATE_CHAIN_FOUND' });
    // Issuer name and AKI of the person CA, but signed by the other PKI's person CA key.
    const forged = await mkCert({ cn: 'Forged', keys: k1, issuer: { certificate: pki.personCa.certificate, keys: other.personCa.keys } });
    expect(forged.certificate.issuer).toBe(pki.personCa.certificate.subject);
    const r = await validatePath(forged.certificate, { anchors, intermediates: [pki.personCa.certificate], at: now });
    expect(r).toMatchObject({ ok: false, subIndication: 'NO_CERTIFICATE_CHAIN_FOUND' });
  });

  test('expired intermediate → OUT_OF_BOUNDS_NO_POE (valid when validated inside its lifetime)', async () => {
    const inter = await mkCert({
      cn: 'Old CA',
      keys: k1,
      issuer: root,
      ca: true,
      notBefore: new Date(now.getTime() - 40 * DAY),
      notAfter: new Date(now.getTime() - 10 * DAY),
    });
    const leaf = await mkCert({
      cn: 'Leaf of old CA',
      keys: k2,
      issuer: inter,
      notBefore: new Date(now.getTime() - 30 * DAY),
      notAfter: new Date(now.getTime() + 30 * DAY),
    });
    const r = await validatePath(leaf.certificate, { anchors, intermediates: [inter.certificate], at: now });
    expect(r).toMatchObject({ ok: false, subIndication: 'OUT_OF_BOUNDS_NO_POE' });
    if (!r.ok) expect(r.message).toContain('Old CA');
    // Control: validated at a time inside the intermediate's lifetime the same path is fine (the
    // anchor's own validity period is not part of RFC 5280 path validation).
    const atInside = new Date(now.getTime() - 20 * DAY);
    expect(await validatePath(leaf.certificate, { anchors, intermediates: [inter.certificate], at: atInside })).toMatchObject({ ok: true });
  });

  test('leaf not yet valid at the validation time → NOT_YET_VALID', async () => {
    const r = await validatePath(pki.seal.certificate, {
      anchors,
      intermediates: [pki.serviceCa.certificate],
      at: new Date(now.getTime() - 10 * DAY),
    });
    expect(r).toMatchObject({ ok: false, subIndication: 'NOT_YET_VALID' });
  });

  test('leaf signed by a non-CA certificate → CHAIN_CONSTRAINTS_FAILURE', async () => {
    const leaf = await mkCert({ cn: 'Issued by the seal', keys: k1, issuer: pki.seal });
    const r = await validatePath(leaf.certificate, { anchors, intermediates: [pki.seal.certificate, pki.serviceCa.certificate], at: now });
    expect(r).toMatchObject({ ok: false, subIndication: 'CHAIN_CONSTRAINTS_FAILURE' });
    if (!r.ok) expect(r.message).toMatch(/not a CA/);
  });

  test('pathLenConstraint exceeded → CHAIN_CONSTRAINTS_FAILURE (same construction under the root passes)', async () => {
    // person CA has pathLen 0: a sub-CA below it makes one intermediate CA too many.
    const sub = await mkCert({ cn: 'Sub CA', keys: k1, issuer: pki.personCa, ca: true });
    const leaf = await mkCert({ cn: 'Leaf of sub CA', keys: k2, issuer: sub });
    const r = await validatePath(leaf.certificate, { anchors, intermediates: [sub.certificate, pki.personCa.certificate], at: now });
    expect(r).toMatchObject({ ok: false, subIndication: 'CHAIN_CONSTRAINTS_FAILURE' });
    if (!r.ok) expect(r.message).toMatch(/pathLenConstraint 0/);
    // Control: the root has no pathLen, so a sub-CA directly under it is fine.
    const sub2 = await mkCert({ cn: 'Sub CA 2', keys: k1, issuer: root, ca: true });
    const leaf2 = await mkCert({ cn: 'Leaf of sub CA 2', keys: k2, issuer: sub2 });
    expect(await validatePath(leaf2.certificate, { anchors, intermediates: [sub2.certificate], at: now })).toMatchObject({ ok: true });
  });

  test('issuing CA without keyCertSign → CHAIN_CONSTRAINTS_FAILURE', async () => {
    const sub = await mkCert({ cn: 'CRL-only CA', keys: k1, issuer: root, ca: true, ku: x509.KeyUsageFlags.cRLSign });
    const leaf = await mkCert({ cn: 'Leaf of CRL-only CA', keys: k2, issuer: sub });
    const r = await validatePath(leaf.certificate, { anchors, intermediates: [sub.certificate], at: now });
    expect(r).toMatchObject({ ok: false, subIndication: 'CHAIN_CONSTRAINTS_FAILURE' });
    if (!r.ok) expect(r.message).toMatch(/keyCertSign/);
  });

  test('unrecognised critical extension → CHAIN_CONSTRAINTS_FAILURE; non-critical is ignored', async () => {
    const crit = await mkCert({
      cn: 'Critical',
      keys: k1,
      issuer: pki.personCa,
      extra: [new x509.Extension('1.2.3.4.5', true, new Uint8Array([5, 0]))],
    });
    const r = await validatePath(crit.certificate, { anchors, intermediates: [pki.personCa.certificate], at: now });
    expect(r).toMatchObject({ ok: false, subIndication: 'CHAIN_CONSTRAINTS_FAILURE' });
    const soft = await mkCert({
      cn: 'Not critical',
      keys: k1,
      issuer: pki.personCa,
      extra: [new x509.Extension('1.2.3.4.5', false, new Uint8Array([5, 0]))],
    });
    expect(await validatePath(soft.certificate, { anchors, intermediates: [pki.personCa.certificate], at: now })).toMatchObject({
      ok: true,
    });
  });
});

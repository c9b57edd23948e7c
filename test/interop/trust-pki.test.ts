// Unit tests of src/testca/pki.ts and src/testca/store.ts: the test hierarchy, person certificates
// and CRLs are checked with openssl (verify, x509 -text, crl -text), not with our own parser.
import { execFile } from 'node:child_process';
import { promises as fs } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { crypto, generateKeys, type CryptoKeyPair } from '../../src/trust/crypto';
import * as x509 from '@peculiar/x509';
import {
  certificateKind,
  createCrl,
  createTestPki,
  cvrOf,
  organisationOf,
  issuePersonCertificate,
  MOCES_POLICY,
  pidOf,
  POCES_POLICY,
  ridOf,
  serialHex,
  toPem,
  type PkiUrls,
  type TestPki,
} from '../../src/testca/pki';
import { loadOrCreateTestPki } from '../../src/testca/store';

jest.setTimeout(60_000);

const urls: PkiUrls = {
  ocsp: 'http://segl.test:8080/pki/ocsp',
  crl: 'http://segl.test:8080/pki/crl',
  caIssuers: 'http://segl.test:8080/pki/ca.pem',
  rootCrl: 'http://segl.test:8080/pki/root.crl',
  serviceCrl: 'http://segl.test:8080/pki/service.crl',
  serviceCaIssuers: 'http://segl.test:8080/pki/service-ca.pem',
};

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs openssl without throwing on a non-zero exit: the tests look at the code and the output. */
function openssl(...args: string[]): Promise<Run> {
  return new Promise((resolve, reject) => {
    execFile('openssl', args, { encoding: 'utf8' }, (err, stdout, stderr) => {
      if (err && typeof err.code !== 'number') return reject(err); // openssl missing, not a verdict
      resolve({ code: err ? Number(err.code) : 0, stdout, stderr });
    });
  });
}

let dir: string;
const file = (name: string): string => path.join(dir, name);
let pki: TestPki;
let poces: x509.X509Certificate;
let moces: x509.X509Certificate;
let third: x509.X509Certificate;
let personKeys: CryptoKeyPair;

async function writeCert(name: string, cert: x509.X509Certificate): Promise<string> {
  await fs.writeFile(file(name), cert.toString('pem') + '\n');
  return file(name);
}

beforeAll(async () => {
  dir = await fs.mkdtemp(path.join(os.tmpdir(), 'segl-trust-pki-'));
  pki = await createTestPki({ urls });
  personKeys = await generateKeys();
  poces = await issuePersonCertificate(pki.personCa, {
    kind: 'POCES',
    commonName: 'Anne Test Jensen',
    pid: '9208-2002-2-123456789012',
    email: 'anne@example.test',
    publicKey: personKeys.publicKey,
    urls,
  });
  moces = await issuePersonCertificate(pki.personCa, {
    kind: 'MOCES',
    commonName: 'Bent Ansat',
    pid: '9208-2002-2-999999999999',
    cvr: '12345678',
    rid: '4711',
    organisation: 'Testfirma ApS',
    publicKey: personKeys.publicKey,
    urls,
  });
  third = await issuePersonCertificate(pki.personCa, {
    kind: 'POCES',
    commonName: 'Carl Tredje',
    pid: '9208-2002-2-333333333333',
    publicKey: personKeys.publicKey,
    urls,
  });
  await writeCert('root.pem', pki.root.certificate);
  await writeCert('personca.pem', pki.personCa.certificate);
  await writeCert('serviceca.pem', pki.serviceCa.certificate);
  await fs.writeFile(file('chain.pem'), pki.root.certificate.toString('pem') + '\n' + pki.personCa.certificate.toString('pem') + '\n');
  for (const [n, c] of Object.entries({
    seal: pki.seal.certificate,
    ocsp: pki.ocsp.certificate,
    tsa: pki.tsa.certificate,
    serviceocsp: pki.serviceOcsp.certificate,
    poces,
    moces,
    third,
  })) {
    await writeCert(`${n}.pem`, c);
  }
});

afterAll(async () => {
  if (dir) await fs.rm(dir, { recursive: true, force: true });
});

const verify = (leaf: string, ...extra: string[]): Promise<Run> =>
  openssl('verify', '-CAfile', file('root.pem'), '-untrusted', file('personca.pem'), ...extra, file(leaf));
/** The same through the service CA (the seal's, the TSA's and the service OCSP responder's issuer). */
const verifyService = (leaf: string, ...extra: string[]): Promise<Run> =>
  openssl('verify', '-CAfile', file('root.pem'), '-untrusted', file('serviceca.pem'), ...extra, file(leaf));

const text = async (name: string): Promise<string> => {
  const r = await openssl('x509', '-in', file(name), '-noout', '-text');
  expect(r.code).toBe(0);
  return r.stdout;
};

/** The lines of an extension's block in `openssl x509 -text` output (header line included). */
function extensionBlock(out: string, header: string): string {
  const lines = out.split('\n');
  const start = lines.findIndex((l) => l.trim().startsWith(header));
  if (start < 0) return '';
  const indent = lines[start].search(/\S/);
  const body = [lines[start]];
  for (const l of lines.slice(start + 1)) {
    if (l.search(/\S/) <= indent) break;
    body.push(l);
  }
  return body.join('\n');
}

describe('test hierarchy', () => {
  it.each(['ocsp.pem', 'poces.pem', 'moces.pem', 'personca.pem'])(
    'openssl verifies %s up to the root through the person CA',
    async (leaf) => {
      const r = await verify(leaf);
      expect(r.stderr).toBe('');
      expect(r.code).toBe(0);
      expect(r.stdout).toContain(': OK');
    },
  );

  it.each(['seal.pem', 'tsa.pem', 'serviceocsp.pem', 'serviceca.pem'])(
    'openssl verifies %s up to the root through the service CA, and not through the person CA',
    async (leaf) => {
      const r = await verifyService(leaf);
      expect(r.stderr).toBe('');
      expect(r.code).toBe(0);
      expect(r.stdout).toContain(': OK');
      if (leaf !== 'serviceca.pem') {
        const viaPersonCa = await verify(leaf);
        expect(viaPersonCa.code).not.toBe(0);
        expect(viaPersonCa.stdout + viaPersonCa.stderr).toMatch(/unable to get local issuer certificate/);
      }
    },
  );

  it('people and the platform have separate issuing CAs under one root', () => {
    expect(pki.seal.certificate.issuer).toBe(pki.serviceCa.certificate.subject);
    expect(pki.tsa.certificate.issuer).toBe(pki.serviceCa.certificate.subject);
    expect(pki.serviceOcsp.certificate.issuer).toBe(pki.serviceCa.certificate.subject);
    // RFC 6960 §4.2.2.2: the person CA's delegated responder is issued by the person CA.
    expect(pki.ocsp.certificate.issuer).toBe(pki.personCa.certificate.subject);
    expect(pki.serviceCa.certificate.subject).toBe('CN=segl test Service CA, O=segl test, C=DK');
    expect(pki.serviceCa.certificate.issuer).toBe(pki.root.certificate.subject);
    expect(pki.serviceCa.certificate.subject).not.toBe(pki.personCa.certificate.subject);
  });

  it('a leaf does not verify without the person CA (the chain really goes through it)', async () => {
    const r = await openssl('verify', '-CAfile', file('root.pem'), file('poces.pem'));
    expect(r.code).not.toBe(0);
    expect(r.stdout + r.stderr).toMatch(/unable to get local issuer certificate/);
  });

  it('a leaf does not verify against a different root', async () => {
    const other = await createTestPki({ name: 'other', urls });
    await writeCert('other-root.pem', other.root.certificate);
    const r = await openssl('verify', '-CAfile', file('other-root.pem'), '-untrusted', file('serviceca.pem'), file('seal.pem'));
    expect(r.code).not.toBe(0);
  });

  it('root and the issuing CAs carry the CA extensions', async () => {
    const root = await text('root.pem');
    expect(root).toMatch(/X509v3 Basic Constraints: critical\s+CA:TRUE\s*\n/);
    expect(root).toMatch(/X509v3 Key Usage: critical\s+Certificate Sign, CRL Sign/);
    expect(root).toContain('X509v3 Subject Key Identifier');
    expect(root).toMatch(/Subject: CN = segl test Root CA, O = segl test, C = DK/);
    expect(root).toMatch(/Validity\s+Not Before: .*\s+Not After : .*20(4[5-9]|5\d)/);

    const ca = await text('personca.pem');
    expect(ca).toMatch(/X509v3 Basic Constraints: critical\s+CA:TRUE, pathlen:0/);
    expect(ca).toMatch(/X509v3 Key Usage: critical\s+Certificate Sign, CRL Sign/);
    expect(ca).toContain('X509v3 Authority Key Identifier');
    expect(extensionBlock(ca, 'X509v3 CRL Distribution Points')).toContain(`URI:${urls.rootCrl}`);
    expect(extensionBlock(ca, 'Authority Information Access')).toContain(`OCSP - URI:${urls.ocsp}`);
    expect(extensionBlock(ca, 'Authority Information Access')).not.toContain('CA Issuers'); // ca.pem is the person CA itself
    expect(ca).toMatch(/Issuer: CN = segl test Root CA/);

    const service = await text('serviceca.pem');
    expect(service).toMatch(/Subject: CN = segl test Service CA, O = segl test, C = DK/);
    expect(service).toMatch(/X509v3 Basic Constraints: critical\s+CA:TRUE, pathlen:0/);
    expect(service).toMatch(/X509v3 Key Usage: critical\s+Certificate Sign, CRL Sign/);
    expect(extensionBlock(service, 'X509v3 CRL Distribution Points')).toContain(`URI:${urls.rootCrl}`);
    expect(extensionBlock(service, 'Authority Information Access')).not.toContain('CA Issuers');
    expect(service).toMatch(/Issuer: CN = segl test Root CA/);
  });

  it('the OCSP responder has OCSP Signing and OCSP No Check', async () => {
    const out = await text('ocsp.pem');
    expect(extensionBlock(out, 'X509v3 Extended Key Usage')).toContain('OCSP Signing');
    expect(out).toContain('OCSP No Check');
    expect(out).toMatch(/X509v3 Key Usage: critical\s+Digital Signature\s*\n/);
    expect(out).toMatch(/Issuer: CN = segl test Person CA/);

    const service = await text('serviceocsp.pem');
    expect(extensionBlock(service, 'X509v3 Extended Key Usage')).toContain('OCSP Signing');
    expect(service).toContain('OCSP No Check');
    expect(service).toMatch(/Subject: CN = segl test Service OCSP Responder/);
    expect(service).toMatch(/Issuer: CN = segl test Service CA/);
  });

  it('the TSA has a critical Time Stamping EKU and nothing else in it', async () => {
    const out = await text('tsa.pem');
    expect(extensionBlock(out, 'X509v3 Extended Key Usage')).toMatch(/X509v3 Extended Key Usage: critical\s+Time Stamping\s*$/);
    expect(out).toMatch(/X509v3 Key Usage: critical\s+Digital Signature, Non Repudiation/);
    // openssl's own purpose check for RFC 3161 signers.
    const r = await verifyService('tsa.pem', '-purpose', 'timestampsign');
    expect(r.code).toBe(0);
    expect(await text('tsa.pem')).toMatch(/Issuer: CN = segl test Service CA/);
    const wrong = await verifyService('seal.pem', '-purpose', 'timestampsign');
    expect(wrong.code).not.toBe(0);
  });

  it('the seal is an organisation certificate with AIA and CRL DP', async () => {
    const out = await text('seal.pem');
    expect(out).toMatch(/Subject: CN = segl test Seal, O = segl test, C = DK/);
    expect(out).toMatch(/X509v3 Key Usage: critical\s+Digital Signature, Non Repudiation/);
    expect(extensionBlock(out, 'Authority Information Access')).toContain(`OCSP - URI:${urls.ocsp}`);
    // Its issuer is the service CA: caIssuers and the CRL are the service CA's.
    expect(out).toMatch(/Issuer: CN = segl test Service CA, O = segl test, C = DK/);
    expect(extensionBlock(out, 'Authority Information Access')).toContain(`CA Issuers - URI:${urls.serviceCaIssuers}`);
    expect(extensionBlock(out, 'X509v3 CRL Distribution Points')).toContain(`URI:${urls.serviceCrl}`);
    expect(extensionBlock(out, 'X509v3 CRL Distribution Points')).not.toContain(`URI:${urls.crl}`);
  });

  it('validity periods are 20/10/3/2/5 years (issuing CAs 10, responders 2)', () => {
    const years = (c: x509.X509Certificate): number => c.notAfter.getUTCFullYear() - c.notBefore.getUTCFullYear();
    expect([pki.root, pki.personCa, pki.seal, pki.ocsp, pki.tsa, pki.serviceCa, pki.serviceOcsp].map((i) => years(i.certificate))).toEqual([
      20, 10, 3, 2, 5, 10, 2,
    ]);
  });

  it('serials are random positive 16-byte integers, canonical hex without leading zeros', async () => {
    const serials = [pki.root, pki.personCa, pki.seal, pki.ocsp, pki.tsa, pki.serviceCa, pki.serviceOcsp].map((i) =>
      serialHex(i.certificate),
    );
    expect(new Set(serials).size).toBe(7);
    for (const s of serials) expect(s).toMatch(/^[4-7][0-9a-f]{31}$/);
    const r = await openssl('x509', '-in', file('seal.pem'), '-noout', '-serial');
    expect(r.stdout.trim().toLowerCase()).toBe(`serial=${serialHex(pki.seal.certificate)}`);
  });

  it('the keys in each Issuer match its certificate', async () => {
    for (const issuer of [pki.root, pki.personCa, pki.seal, pki.ocsp, pki.tsa, pki.serviceCa, pki.serviceOcsp]) {
      const data = new TextEncoder().encode('probe');
      const sig = await crypto.subtle.sign('RSASSA-PKCS1-v1_5', issuer.keys.privateKey, data);
      const pub = await issuer.certificate.publicKey.export();
      expect(await crypto.subtle.verify('RSASSA-PKCS1-v1_5', pub as never, sig, data)).toBe(true);
    }
  });
});

describe('person certificates', () => {
  it('POCES: OCES subject with PID in a multi-valued RDN, policy, AIA, CRL DP, email', async () => {
    const out = await text('poces.pem');
    expect(out).toMatch(
      /Subject: (CN = Anne Test Jensen \+ serialNumber = PID:9208-2002-2-123456789012|serialNumber = PID:9208-2002-2-123456789012 \+ CN = Anne Test Jensen), C = DK/,
    );
    expect(extensionBlock(out, 'X509v3 Certificate Policies')).toContain(`Policy: ${POCES_POLICY}`);
    expect(extensionBlock(out, 'X509v3 Certificate Policies')).not.toContain(MOCES_POLICY);
    expect(out).toMatch(/X509v3 Key Usage: critical\s+Digital Signature, Non Repudiation/);
    const aia = extensionBlock(out, 'Authority Information Access');
    expect(aia).toContain(`OCSP - URI:${urls.ocsp}`);
    expect(aia).toContain(`CA Issuers - URI:${urls.caIssuers}`);
    expect(extensionBlock(out, 'X509v3 CRL Distribution Points')).toContain(`URI:${urls.crl}`);
    expect(extensionBlock(out, 'X509v3 Subject Alternative Name')).toContain('email:anne@example.test');
  });

  it('MOCES: CVR-RID serialNumber, organisation, MOCES policy, no SAN without email', async () => {
    const out = await text('moces.pem');
    expect(out).toMatch(
      /Subject: (CN = Bent Ansat \+ serialNumber = CVR:12345678-RID:4711|serialNumber = CVR:12345678-RID:4711 \+ CN = Bent Ansat), O = Testfirma ApS \/\/ CVR:12345678, C = DK/,
    );
    expect(extensionBlock(out, 'X509v3 Certificate Policies')).toContain(`Policy: ${MOCES_POLICY}`);
    expect(out).not.toContain('Subject Alternative Name');
  });

  it('the multi-valued RDN is one SET with its members in DER order (X.690 §11.6), whatever the name length', async () => {
    // DER sorts SET OF members by encoding, so the shorter AttributeTypeAndValue comes first.
    const order = async (name: string): Promise<string> => {
      const r = await openssl('asn1parse', '-in', file(name));
      expect(r.code).toBe(0);
      const subject = r.stdout
        .split('\n')
        .map((l) => /OBJECT\s+:(commonName|serialNumber|organizationName|countryName)/.exec(l)?.[1])
        .filter((n): n is string => !!n)
        .slice(3); // the first three are the issuer's
      return subject.join(',');
    };
    expect(await order('poces.pem')).toBe('commonName,serialNumber,countryName');
    const long = await issuePersonCertificate(pki.personCa, {
      kind: 'POCES',
      commonName: 'Anne-Sofie Margrethe Christiansen-Vestergaard Test',
      pid: '1',
      publicKey: personKeys.publicKey,
      urls,
    });
    await writeCert('long.pem', long);
    expect(await order('long.pem')).toBe('serialNumber,commonName,countryName');
    expect(pidOf(long)).toBe('1');
    const r = await openssl('x509', '-in', file('long.pem'), '-noout', '-subject', '-nameopt', 'RFC2253');
    expect(r.stdout).toMatch(/\+/); // one RDN with two members, not two RDNs
  });

  it('pidOf / ridOf / cvrOf / certificateKind round trip', async () => {
    expect(pidOf(poces)).toBe('9208-2002-2-123456789012');
    expect(ridOf(poces)).toBeUndefined();
    expect(certificateKind(poces)).toBe('POCES');
    expect(ridOf(moces)).toBe('4711');
    expect(cvrOf(moces)).toBe('12345678');
    expect(organisationOf(moces)).toBe('Testfirma ApS');
    expect(organisationOf(poces)).toBeUndefined();
    expect(pidOf(moces)).toBeUndefined();
    expect(certificateKind(moces)).toBe('MOCES');
    expect(certificateKind(pki.seal.certificate)).toBe('other');
    expect(pidOf(pki.seal.certificate)).toBeUndefined();
    // Through PEM and back, as the certificates come in from signatures.
    const reparsed = new x509.X509Certificate(poces.toString('pem'));
    expect(pidOf(reparsed)).toBe('9208-2002-2-123456789012');
    expect(certificateKind(reparsed)).toBe('POCES');
  });

  it('rejects malformed MOCES / POCES requests', async () => {
    const base = { commonName: 'X', pid: '1', publicKey: personKeys.publicKey, urls };
    await expect(issuePersonCertificate(pki.personCa, { ...base, kind: 'MOCES', rid: '1', organisation: 'O' })).rejects.toThrow(/cvr/);
    await expect(issuePersonCertificate(pki.personCa, { ...base, kind: 'MOCES', cvr: '12345678', organisation: 'O' })).rejects.toThrow(
      /rid/,
    );
    await expect(issuePersonCertificate(pki.personCa, { ...base, kind: 'MOCES', cvr: '12345678', rid: '1' })).rejects.toThrow(
      /organisation/,
    );
    await expect(issuePersonCertificate(pki.personCa, { ...base, kind: 'POCES', pid: 'a,b' })).rejects.toThrow(/PID/);
  });

  it('a person certificate never outlives its CA', async () => {
    const c = await issuePersonCertificate(pki.personCa, {
      kind: 'POCES',
      commonName: 'Long Lived',
      pid: '1',
      publicKey: personKeys.publicKey,
      urls,
      years: 50,
    });
    expect(c.notAfter.getTime()).toBe(pki.personCa.certificate.notAfter.getTime());
  });
});

describe('CRL', () => {
  let crlText: string;

  beforeAll(async () => {
    const now = new Date();
    const crl = await createCrl(
      pki.personCa,
      [
        { serialHex: serialHex(poces), revokedAt: new Date(now.getTime() - 60_000), reason: 'keyCompromise' },
        { serialHex: serialHex(moces), revokedAt: new Date(now.getTime() - 60_000), reason: 'certificateHold' },
      ],
      { thisUpdate: new Date(now.getTime() - 30_000), nextUpdate: new Date(now.getTime() + 86_400_000), crlNumber: 7 },
    );
    await fs.writeFile(file('crl.pem'), toPem(crl, 'X509 CRL'));
    await fs.writeFile(file('root-crl.pem'), toPem(await createCrl(pki.root, [], { crlNumber: 1 }), 'X509 CRL'));
    const r = await openssl('crl', '-in', file('crl.pem'), '-noout', '-text');
    expect(r.code).toBe(0);
    crlText = r.stdout;
  });

  const crlVerify = (leaf: string): Promise<Run> =>
    openssl('verify', '-crl_check', '-CRLfile', file('crl.pem'), '-CAfile', file('chain.pem'), file(leaf));

  it.each(['poces.pem', 'moces.pem'])('openssl -crl_check rejects revoked %s with error 23', async (leaf) => {
    const r = await crlVerify(leaf);
    expect(r.code).not.toBe(0);
    expect(r.stdout + r.stderr).toMatch(/error 23 at 0 depth lookup: certificate revoked/);
  });

  it('openssl -crl_check passes an unrevoked certificate', async () => {
    const r = await crlVerify('third.pem');
    expect(r.code).toBe(0);
    expect(r.stdout).toContain(': OK');
  });

  it('without the CRL, -crl_check fails (so the pass above used our CRL)', async () => {
    const r = await openssl('verify', '-crl_check', '-CAfile', file('chain.pem'), file('third.pem'));
    expect(r.code).not.toBe(0);
    expect(r.stdout + r.stderr).toMatch(/unable to get certificate CRL/);
  });

  it('-crl_check_all passes with the root CRL too (root CRL is well-formed and signed by the root)', async () => {
    const r = await openssl(
      'verify',
      '-crl_check_all',
      '-CRLfile',
      file('crl.pem'),
      '-CRLfile',
      file('root-crl.pem'),
      '-CAfile',
      file('chain.pem'),
      file('third.pem'),
    );
    expect(r.stdout + r.stderr).toContain(': OK');
    expect(r.code).toBe(0);
  });

  it('openssl crl -text shows the reasons, AKI and CRL number', () => {
    expect(crlText).toContain('Certificate Hold');
    expect(crlText).toContain('Key Compromise');
    expect(crlText).toMatch(/X509v3 CRL Number:\s+7/);
    expect(crlText).toContain('X509v3 Authority Key Identifier');
    expect(crlText).toMatch(/Issuer: CN = segl test Person CA, O = segl test, C = DK/);
    const held = crlText.split('Serial Number: ').find((b) => b.toLowerCase().startsWith(serialHex(moces)));
    expect(held).toBeDefined();
    expect(held).toContain('Certificate Hold');
    expect(held).not.toContain('Key Compromise');
  });

  it('the CRL signature verifies with the CA certificate', async () => {
    const r = await openssl('crl', '-in', file('crl.pem'), '-noout', '-CAfile', file('chain.pem'));
    expect(r.stderr).toMatch(/verify OK/);
  });

  it('unspecified omits the reason code; removeFromCRL is refused', async () => {
    const der = await createCrl(pki.personCa, [{ serialHex: serialHex(third), revokedAt: new Date(), reason: 'unspecified' }], {
      crlNumber: 8,
    });
    const crl = new x509.X509Crl(der);
    expect(crl.findRevoked(third)?.reason).toBeUndefined();
    await fs.writeFile(file('crl-unspec.pem'), toPem(der, 'X509 CRL'));
    const r = await openssl('verify', '-crl_check', '-CRLfile', file('crl-unspec.pem'), '-CAfile', file('chain.pem'), file('third.pem'));
    expect(r.stdout + r.stderr).toMatch(/error 23 at 0 depth lookup: certificate revoked/);
    await expect(
      createCrl(pki.personCa, [{ serialHex: 'ab', revokedAt: new Date(), reason: 'removeFromCRL' }], { crlNumber: 9 }),
    ).rejects.toThrow(/delta/);
  });
});

describe('test CA store (src/testca/store.ts)', () => {
  const secret = 'correct horse battery staple, 32+ characters long';
  const fingerprint = async (c: x509.X509Certificate): Promise<string> => Buffer.from(await c.getThumbprint('SHA-256')).toString('hex');
  const roles = ['root', 'personCa', 'seal', 'ocsp', 'tsa', 'serviceCa', 'serviceOcsp'] as const;

  it('creates on first use and reloads the same hierarchy with working keys', async () => {
    const store = path.join(dir, 'data', 'pki');
    const first = await loadOrCreateTestPki(store, secret, urls);
    const files = (await fs.readdir(store)).sort();
    expect(files).toEqual([
      'ocsp.key.json',
      'ocsp.pem',
      'personca.key.json',
      'personca.pem',
      'pki.json',
      'root.key.json',
      'root.pem',
      'seal.key.json',
      'seal.pem',
      'serviceca.key.json',
      'serviceca.pem',
      'serviceocsp.key.json',
      'serviceocsp.pem',
      'tsa.key.json',
      'tsa.pem',
    ]);

    const again = await loadOrCreateTestPki(store, secret, { ocsp: 'http://elsewhere/ocsp', crl: 'http://elsewhere/crl' });
    expect(again.urls).toEqual(urls);
    for (const role of roles) {
      expect(serialHex(again[role].certificate)).toBe(serialHex(first[role].certificate));
      expect(await fingerprint(again[role].certificate)).toBe(await fingerprint(first[role].certificate));
      const data = new TextEncoder().encode(`signed by the reloaded ${role} key`);
      const sig = await crypto.subtle.sign('RSASSA-PKCS1-v1_5', again[role].keys.privateKey, data);
      const pub = await first[role].certificate.publicKey.export();
      expect(await crypto.subtle.verify('RSASSA-PKCS1-v1_5', pub as never, sig, data)).toBe(true);
    }
    // The stored certificates are what openssl sees, and the reloaded CA key still issues valid certificates.
    const leaf = await issuePersonCertificate(again.personCa, {
      kind: 'POCES',
      commonName: 'After Restart',
      pid: '42',
      publicKey: personKeys.publicKey,
      urls,
    });
    await fs.writeFile(path.join(store, '..', 'leaf.pem'), leaf.toString('pem'));
    const r = await openssl(
      'verify',
      '-CAfile',
      path.join(store, 'root.pem'),
      '-untrusted',
      path.join(store, 'personca.pem'),
      path.join(store, '..', 'leaf.pem'),
    );
    expect(r.code).toBe(0);
  });

  it('a wrong secret is a clear error', async () => {
    const store = path.join(dir, 'wrong', 'pki');
    await loadOrCreateTestPki(store, secret, urls);
    await expect(loadOrCreateTestPki(store, 'not the secret', urls)).rejects.toThrow(/wrong secret/);
  });

  it('key files are 0600 and not plain PKCS#8; certificate files are plain PEM', async () => {
    const store = path.join(dir, 'modes', 'pki');
    await loadOrCreateTestPki(store, secret, urls);
    for (const role of ['root', 'personca', 'seal', 'ocsp', 'tsa', 'serviceca', 'serviceocsp']) {
      const keyFile = path.join(store, `${role}.key.json`);
      expect((await fs.stat(keyFile)).mode & 0o777).toBe(0o600);
      const content = await fs.readFile(keyFile, 'utf8');
      expect(content).not.toContain('PRIVATE KEY-----\nMII');
      expect(content).not.toContain('PRIVATE KEY');
      expect(JSON.parse(content)).toMatchObject({ cipher: 'aes-256-gcm', kdf: { name: 'scrypt' } });
      expect(await fs.readFile(path.join(store, `${role}.pem`), 'utf8')).toMatch(/^-----BEGIN CERTIFICATE-----\n/);
    }
    expect((await fs.stat(store)).mode & 0o777).toBe(0o700);
  });

  it('a tampered key file is refused rather than loaded', async () => {
    const store = path.join(dir, 'tamper', 'pki');
    await loadOrCreateTestPki(store, secret, urls);
    const keyFile = path.join(store, 'seal.key.json');
    const sealed = JSON.parse(await fs.readFile(keyFile, 'utf8')) as { ciphertext: string };
    const bytes = Buffer.from(sealed.ciphertext, 'base64');
    bytes[10] ^= 1;
    sealed.ciphertext = bytes.toString('base64');
    await fs.writeFile(keyFile, JSON.stringify(sealed));
    await expect(loadOrCreateTestPki(store, secret, urls)).rejects.toThrow(/seal\.key\.json/);
  });

  it('swapping two key files is detected (the role is bound to the ciphertext)', async () => {
    const store = path.join(dir, 'swap', 'pki');
    await loadOrCreateTestPki(store, secret, urls);
    const a = await fs.readFile(path.join(store, 'seal.key.json'));
    await fs.writeFile(path.join(store, 'seal.key.json'), await fs.readFile(path.join(store, 'tsa.key.json')));
    await fs.writeFile(path.join(store, 'tsa.key.json'), a);
    await expect(loadOrCreateTestPki(store, secret, urls)).rejects.toThrow(/cannot decrypt/);
  });

  it('two concurrent first starts end up with one hierarchy', async () => {
    const store = path.join(dir, 'race', 'pki');
    const [a, b] = await Promise.all([loadOrCreateTestPki(store, secret, urls), loadOrCreateTestPki(store, secret, urls)]);
    expect(await fingerprint(a.root.certificate)).toBe(await fingerprint(b.root.certificate));
    const c = await loadOrCreateTestPki(store, secret, urls);
    expect(await fingerprint(c.root.certificate)).toBe(await fingerprint(a.root.certificate));
    expect((await fs.readdir(path.dirname(store))).filter((n) => n.includes('.tmp-'))).toEqual([]);
  });

  it('refuses to overwrite a non-empty directory that is not a PKI', async () => {
    const store = path.join(dir, 'foreign', 'pki');
    await fs.mkdir(store, { recursive: true });
    await fs.writeFile(path.join(store, 'something'), 'x');
    await expect(loadOrCreateTestPki(store, secret, urls)).rejects.toThrow(/no pki\.json/);
  });

  describe('a directory made before the service CA (layout version 1)', () => {
    // test/fixtures/pki-v1 was written by segl's test CA store (src/testca/store.ts) before the service CA existed (seal and TSA
    // issued by the person CA), with this secret.
    const v1Secret = 'segl-v1-fixture-Kq8vT3nZr6Wp2yLm9Xc4Hb7J';
    const fixture = path.join(__dirname, '..', 'fixtures', 'pki-v1');
    const pem = (f: string): Promise<string> => fs.readFile(path.join(fixture, f), 'utf8');
    const der = (c: x509.X509Certificate): string => Buffer.from(c.rawData).toString('hex');
    const copyV1 = async (name: string): Promise<string> => {
      const store = path.join(dir, name, 'pki');
      await fs.mkdir(store, { recursive: true, mode: 0o700 });
      for (const f of await fs.readdir(fixture)) await fs.copyFile(path.join(fixture, f), path.join(store, f));
      return store;
    };
    const manifestOf = async (store: string): Promise<{ version: number; urls: PkiUrls; retired?: string[] }> =>
      JSON.parse(await fs.readFile(path.join(store, 'pki.json'), 'utf8'));

    it('the fixture really is the old layout', async () => {
      expect((await manifestOf(fixture)).version).toBe(1);
      expect(new x509.X509Certificate(await pem('seal.pem')).issuer).toBe(new x509.X509Certificate(await pem('personca.pem')).subject);
    });

    it('is upgraded in place: same root, person CA and responder; a service CA with a new seal and TSA; the old ones retired', async () => {
      const store = await copyV1('upgrade');
      const oldSealKey = await fs.readFile(path.join(store, 'seal.key.json'), 'utf8');
      const up = await loadOrCreateTestPki(store, v1Secret, urls);
      for (const [role, f] of [
        ['root', 'root.pem'],
        ['personCa', 'personca.pem'],
        ['ocsp', 'ocsp.pem'],
      ] as const) {
        expect(der(up[role].certificate)).toBe(der(new x509.X509Certificate(await pem(f))));
      }
      expect(up.serviceCa.certificate.subject).toBe('CN=segl test Service CA, O=segl test, C=DK');
      expect(up.serviceCa.certificate.issuer).toBe(up.root.certificate.subject);
      for (const role of ['seal', 'tsa', 'serviceOcsp'] as const)
        expect(up[role].certificate.issuer).toBe(up.serviceCa.certificate.subject);
      expect(der(up.seal.certificate)).not.toBe(der(new x509.X509Certificate(await pem('seal.pem'))));
      // The old seal and TSA are kept as retired certificates; their keys are gone (overwritten by the new ones).
      expect(up.retired.map(der).sort()).toEqual(
        [der(new x509.X509Certificate(await pem('seal.pem'))), der(new x509.X509Certificate(await pem('tsa.pem')))].sort(),
      );
      expect(await fs.readFile(path.join(store, 'seal.key.json'), 'utf8')).not.toBe(oldSealKey);
      expect((await fs.readdir(path.join(store, 'retired'))).sort()).toEqual(
        [
          `seal-${serialHex(new x509.X509Certificate(await pem('seal.pem')))}.pem`,
          `tsa-${serialHex(new x509.X509Certificate(await pem('tsa.pem')))}.pem`,
        ].sort(),
      );
      expect((await fs.readdir(store)).filter((f) => f.startsWith('.'))).toEqual([]);
      // The certificates already issued keep their URLs; the service CA's are added from the caller's.
      const m = await manifestOf(store);
      expect(m.version).toBe(2);
      expect(m.urls).toMatchObject({
        ocsp: 'http://127.0.0.1:8080/pki/ocsp',
        crl: 'http://127.0.0.1:8080/pki/crl',
        serviceCrl: urls.serviceCrl,
      });
      // The new seal chains to the old root through the service CA (openssl) and its key signs.
      await fs.writeFile(path.join(store, '..', 'chain-check.pem'), up.seal.certificate.toString('pem'));
      const r = await openssl(
        'verify',
        '-CAfile',
        path.join(fixture, 'root.pem'),
        '-untrusted',
        path.join(store, 'serviceca.pem'),
        path.join(store, '..', 'chain-check.pem'),
      );
      expect(r.stdout).toContain(': OK');
      const data = new TextEncoder().encode('sealed after the upgrade');
      const sig = await crypto.subtle.sign('RSASSA-PKCS1-v1_5', up.seal.keys.privateKey, data);
      expect(await crypto.subtle.verify('RSASSA-PKCS1-v1_5', (await up.seal.certificate.publicKey.export()) as never, sig, data)).toBe(
        true,
      );
      // Loading again upgrades nothing more.
      const again = await loadOrCreateTestPki(store, v1Secret, urls);
      expect(der(again.seal.certificate)).toBe(der(up.seal.certificate));
      expect(again.retired.map(der).sort()).toEqual(up.retired.map(der).sort());
    });

    it('a wrong secret leaves the old directory untouched', async () => {
      const store = await copyV1('upgrade-wrong');
      await expect(loadOrCreateTestPki(store, secret, urls)).rejects.toThrow(/wrong secret/);
      expect((await manifestOf(store)).version).toBe(1);
      expect((await fs.readdir(store)).sort()).toEqual((await fs.readdir(fixture)).sort());
    });

    it('two processes upgrading at once end with one hierarchy', async () => {
      const store = await copyV1('upgrade-race');
      const [a, b] = await Promise.all([loadOrCreateTestPki(store, v1Secret, urls), loadOrCreateTestPki(store, v1Secret, urls)]);
      expect(der(a.seal.certificate)).toBe(der(b.seal.certificate));
      expect(der((await loadOrCreateTestPki(store, v1Secret, urls)).serviceCa.certificate)).toBe(der(a.serviceCa.certificate));
    });

    it('an incomplete stage left by a crash is discarded and the upgrade done afresh', async () => {
      const store = await copyV1('upgrade-crash-early');
      await fs.mkdir(path.join(store, '.upgrade'));
      await fs.writeFile(path.join(store, '.upgrade', 'serviceca.pem'), 'half written');
      const old = new Date(Date.now() - 10 * 60_000);
      await fs.utimes(path.join(store, '.upgrade'), old, old);
      const up = await loadOrCreateTestPki(store, v1Secret, urls);
      expect(up.seal.certificate.issuer).toBe(up.serviceCa.certificate.subject);
      expect((await fs.readdir(store)).includes('.upgrade')).toBe(false);
    });

    it('an upgrade interrupted after its stage was complete is finished on the next start', async () => {
      // What a complete stage holds: the files and manifest of an upgrade (taken from one done elsewhere).
      const done = await copyV1('upgrade-reference');
      const ref = await loadOrCreateTestPki(done, v1Secret, urls);
      const store = await copyV1('upgrade-crash-late');
      const stage = path.join(store, '.upgrade');
      await fs.mkdir(path.join(stage, 'retired'), { recursive: true });
      for (const f of ['serviceca', 'serviceocsp', 'seal', 'tsa'].flatMap((r) => [`${r}.pem`, `${r}.key.json`]))
        await fs.copyFile(path.join(done, f), path.join(stage, f));
      for (const f of await fs.readdir(path.join(done, 'retired')))
        await fs.copyFile(path.join(done, 'retired', f), path.join(stage, 'retired', f));
      await fs.copyFile(path.join(done, 'pki.json'), path.join(stage, 'pki.json'));
      // The crash came after the first renames: the service CA is in place, the old seal not yet replaced.
      await fs.rename(path.join(stage, 'serviceca.pem'), path.join(store, 'serviceca.pem'));
      await fs.rename(path.join(stage, 'serviceca.key.json'), path.join(store, 'serviceca.key.json'));
      const up = await loadOrCreateTestPki(store, v1Secret, urls);
      expect(der(up.seal.certificate)).toBe(der(ref.seal.certificate));
      expect(der(up.serviceCa.certificate)).toBe(der(ref.serviceCa.certificate));
      expect((await manifestOf(store)).version).toBe(2);
      expect((await fs.readdir(store)).includes('.upgrade')).toBe(false);
    });
  });
});

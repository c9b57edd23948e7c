// Issue 17, cryptographic constraints beyond the time-stamps (src/trust/validation/cryptoconstraints.ts, ETSI EN 319
// 102-1 §5.2.8 / §5.6.2.5): the certificates of the signer's path (the signature on each and its issuer's key), the
// OCSP responses that gave their status, and the signature itself. The weak objects are made by openssl from the test
// root's and service CA's keys: a CA certificate signed with SHA-1, a CA with an RSA-1024 key, an OCSP response signed
// with SHA-1; openssl prints the algorithm of each, so the fixture truly is weak. Each is a PAdES B-LT signature (its
// signature time-stamp is its proof of existence, POE), made before or after the end of the weak algorithm in a table
// that ends SHA-1 and RSA below 2048 bits at E = t0 + 1 year: made before, it passes at V = t0 + 2 years; made after
// (t0 + 1.25 years), it is INDETERMINATE CRYPTO_CONSTRAINTS_FAILURE_NO_POE naming the object, the algorithm and E.
// With the default table (SHA-1 ends 2013) a CA certificate issued now with SHA-1 was made after the end:
// CRYPTO_CONSTRAINTS_FAILURE. On the LTV-SDO side the seal (an XMLDSig signature) is judged at the POE an archive
// time-stamp gives it, the native signature at its signature time-stamp's.
import '../../src/trust/crypto';
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import * as x509 from '@peculiar/x509';
import { PDFDocument, StandardFonts } from '@cantoo/pdf-lib';
import { SigningPipeline } from '../../src/signing/pipeline';
import { verifyLtvSdo } from '../../src/signing/offline';
import { createTestPki, type Issuer, type TestPki } from '../../src/testca/pki';
import { TSA_POLICY } from '../../src/testca/testca';
import { ALGORITHM_ENDS, type AlgorithmEnds } from '../../src/trust/algorithms';
import { crypto, SIGNING_ALGORITHM, type CryptoKey } from '../../src/trust/crypto';
import { createPades } from '../../src/trust/pades/pades';
import type { RevocationSource } from '../../src/trust/sources';
import { respondTimestamp } from '../../src/trust/tsp/responder';
import { validatePades } from '../../src/trust/validation/pades';
import { normalizeSerialHex } from '../../src/trust/x509/serial';
import { TEST_URLS } from '../support/person';
import { trustAt } from '../support/preserve';
import { sealedSdo, trustFor } from '../support/sdo';

const exec = promisify(execFile);
const YEAR = 365.25 * 86_400_000;
const NO_POE = 'CRYPTO_CONSTRAINTS_FAILURE_NO_POE';

let dir: string;
let pki: TestPki;
let t0: Date;
let E: Date;
let early: Date;
let late: Date;
let V: Date;
let ends: AlgorithmEnds;
let pdf: Uint8Array;

/** t0 plus `years`, in whole seconds (a genTime's precision) */
const at = (years: number) => new Date(Math.floor((t0.getTime() + years * YEAR) / 1000) * 1000);
const openssl = async (...args: string[]) => (await exec('openssl', args, { cwd: dir, env: { PATH: process.env.PATH } })).stdout;

/** A WebCrypto key as PKCS#8 PEM, for openssl. */
async function keyPem(key: CryptoKey): Promise<string> {
  const der = Buffer.from(await crypto.subtle.exportKey('pkcs8', key));
  return `-----BEGIN PRIVATE KEY-----\n${der.toString('base64').replace(/.{64}/g, '$&\n')}\n-----END PRIVATE KEY-----\n`;
}

/** An issuer (`name`.pem and `name`.key) as openssl made it, imported for signing. */
async function issuerFrom(name: string): Promise<Issuer> {
  const certificate = new x509.X509Certificate(await readFile(join(dir, `${name}.pem`), 'utf8'));
  const pem = await readFile(join(dir, `${name}.key`), 'utf8');
  const der = Buffer.from(pem.replace(/-----[^-]+-----|\s+/g, ''), 'base64');
  const privateKey = await crypto.subtle.importKey('pkcs8', der, SIGNING_ALGORITHM, true, ['sign']);
  const publicKey = await crypto.subtle.importKey('spki', certificate.publicKey.rawData, SIGNING_ALGORITHM, true, ['verify']);
  return { certificate, keys: { privateKey, publicKey } };
}

const EXT = `[ca]
authorityInfoAccess = OCSP;URI:${TEST_URLS.ocsp}
basicConstraints = critical, CA:true, pathlen:0
keyUsage = critical, keyCertSign, cRLSign
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
[leaf]
basicConstraints = critical, CA:false
keyUsage = critical, digitalSignature, nonRepudiation
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
`;

/** `openssl x509 -req`: `name` with a new `bits` key, signed by `issuer` with `md`, as `ext`. */
async function issue(name: string, cn: string, bits: number, issuer: string, md: string, ext: 'ca' | 'leaf', serial: string) {
  await openssl(
    'req',
    '-new',
    '-newkey',
    `rsa:${bits}`,
    '-nodes',
    '-keyout',
    `${name}.key`,
    '-subj',
    `/CN=${cn}/O=segl test/C=DK`,
    '-out',
    `${name}.csr`,
  );
  await openssl(
    ...['x509', '-req', '-in', `${name}.csr`, '-CA', `${issuer}.pem`, '-CAkey', `${issuer}.key`, `-${md}`, '-days', '3650'],
    ...['-set_serial', `0x${serial}`, '-extfile', 'ext.cnf', '-extensions', ext, '-out', `${name}.pem`],
  );
}

/** An OCSP response by openssl for `leaf` (a file name), signed by its CA `ca` with `md`: good. */
async function opensslOcsp(leaf: string, ca: string, md: string): Promise<Uint8Array> {
  const cert = new x509.X509Certificate(await readFile(join(dir, `${leaf}.pem`), 'utf8'));
  const serial = normalizeSerialHex(cert.serialNumber).toUpperCase();
  await writeFile(join(dir, `${leaf}.idx`), `V\t351231235959Z\t\t${serial}\tunknown\t/CN=${leaf}\n`);
  await openssl('ocsp', '-issuer', `${ca}.pem`, '-sha256', '-cert', `${leaf}.pem`, '-no_nonce', '-reqout', `${leaf}.req`);
  await openssl(
    ...['ocsp', '-index', `${leaf}.idx`, '-rsigner', `${ca}.pem`, '-rkey', `${ca}.key`, '-CA', `${ca}.pem`],
    ...['-reqin', `${leaf}.req`, '-respout', `${leaf}.ocsp`, '-rmd', md, '-ndays', '3650'],
  );
  return new Uint8Array(await readFile(join(dir, `${leaf}.ocsp`)));
}

/** The test CA's answers at `t`, but `answers` (by serial) for the certificates openssl answers for. */
function revocationAt(t: Date, answers: Record<string, Uint8Array>): RevocationSource {
  const base = trustAt(pki, { serviceCa: pki.serviceCa, serviceOcsp: pki.serviceOcsp, seal: pki.seal, tsa: pki.tsa }, t).revocation;
  return async (cert, issuer) => {
    const der = answers[normalizeSerialHex(cert.serialNumber)];
    return der ? { status: { status: 'good' }, responseDer: der, source: 'ocsp' } : base(cert, issuer);
  };
}

/** A PAdES B-LT by `signer` (path `chain`), time-stamped at `t` (its POE). */
function padesAt(signer: Issuer, chain: x509.X509Certificate[], t: Date, revocation: RevocationSource): Promise<Uint8Array> {
  return createPades(pdf, {
    level: 'B-LT',
    signer,
    chain,
    certificatePool: [...chain, pki.serviceCa.certificate],
    time: t,
    timestamps: (req) => respondTimestamp(req, { tsa: pki.tsa, policyOid: TSA_POLICY, now: () => t }),
    revocation,
  });
}

const validate = async (file: Uint8Array, table: AlgorithmEnds = ends) => {
  const r = await validatePades(file, { anchors: [pki.root.certificate], at: V, algorithmEnds: table });
  const s = r.signatures[0]!;
  return { indication: s.indication, subIndication: s.subIndication, message: s.message };
};

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'segl-crypto-path-'));
  pki = await createTestPki({ urls: TEST_URLS });
  t0 = new Date();
  // openssl's certificates are made after t0: the early signatures are made a month later
  [early, E, late, V] = [at(0.1), at(1), at(1.25), at(2)];
  ends = {
    ...ALGORITHM_ENDS,
    hashes: { ...ALGORITHM_ENDS.hashes, 'SHA-1': E },
    rsa: ALGORITHM_ENDS.rsa.map((r) => (r.minBits === 0 ? { ...r, end: E } : r)),
  };
  await writeFile(join(dir, 'ext.cnf'), EXT);
  await writeFile(join(dir, 'root.pem'), pki.root.certificate.toString('pem') + '\n');
  await writeFile(join(dir, 'root.key'), await keyPem(pki.root.keys.privateKey));
  await writeFile(join(dir, 'service.pem'), pki.serviceCa.certificate.toString('pem') + '\n');
  await writeFile(join(dir, 'service.key'), await keyPem(pki.serviceCa.keys.privateKey));
  const doc = await PDFDocument.create();
  const font = await doc.embedFont(StandardFonts.Helvetica);
  doc.addPage([595, 842]).drawText('A deed under a weak chain', { x: 50, y: 760, size: 14, font });
  pdf = await doc.save({ useObjectStreams: false });
}, 120_000);

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('the certificates of the path', () => {
  let sha1Ca: Issuer;
  let sha1Leaf: Issuer;
  let smallCa: Issuer;
  let smallLeaf: Issuer;
  let answers: Record<string, Uint8Array>;

  beforeAll(async () => {
    await issue('sha1ca', 'segl SHA-1 CA', 3072, 'root', 'sha1', 'ca', '5A01');
    await issue('sha1leaf', 'segl SHA-1 chain Seal', 2048, 'sha1ca', 'sha256', 'leaf', '5A02');
    await issue('smallca', 'segl RSA-1024 CA', 1024, 'root', 'sha256', 'ca', '5A03');
    await issue('smallleaf', 'segl RSA-1024 chain Seal', 2048, 'smallca', 'sha256', 'leaf', '5A04');
    [sha1Ca, sha1Leaf, smallCa, smallLeaf] = await Promise.all(['sha1ca', 'sha1leaf', 'smallca', 'smallleaf'].map(issuerFrom));
    answers = {
      [normalizeSerialHex(sha1Leaf.certificate.serialNumber)]: await opensslOcsp('sha1leaf', 'sha1ca', 'sha256'),
      [normalizeSerialHex(smallLeaf.certificate.serialNumber)]: await opensslOcsp('smallleaf', 'smallca', 'sha256'),
    };
  }, 120_000);

  test('openssl shows the weak algorithms: the CA certificate signed with SHA-1, the other CA with an RSA-1024 key', async () => {
    expect(await openssl('x509', '-in', 'sha1ca.pem', '-noout', '-text')).toMatch(/Signature Algorithm: sha1WithRSAEncryption/);
    expect(await openssl('x509', '-in', 'smallca.pem', '-noout', '-text')).toMatch(/Public-Key: \(1024 bit\)/);
    expect(await openssl('x509', '-in', 'smallleaf.pem', '-noout', '-text')).toMatch(/Signature Algorithm: sha256WithRSAEncryption/);
  });

  test('a CA certificate signed with SHA-1: TOTAL-PASSED made before its end, INDETERMINATE NO_POE made after it', async () => {
    const chain = [sha1Ca.certificate, pki.root.certificate];
    expect(await validate(await padesAt(sha1Leaf, chain, early, revocationAt(early, answers)))).toMatchObject({
      indication: 'TOTAL-PASSED',
    });
    const after = await validate(await padesAt(sha1Leaf, chain, late, revocationAt(late, answers)));
    expect([after.indication, after.subIndication]).toEqual(['INDETERMINATE', NO_POE]);
    expect(after.message).toBe(
      `certificate ${sha1Ca.certificate.subject}: the signature on it: SHA-1 is acceptable only until ${E.toISOString()}, ` +
        `with no proof of existence before then (POE ${late.toISOString()})`,
    );
  });

  test('the default table (SHA-1 ended 2013): the CA certificate was made after the end, CRYPTO_CONSTRAINTS_FAILURE', async () => {
    const r = await validate(
      await padesAt(sha1Leaf, [sha1Ca.certificate, pki.root.certificate], early, revocationAt(early, answers)),
      ALGORITHM_ENDS,
    );
    expect([r.indication, r.subIndication]).toEqual(['INDETERMINATE', 'CRYPTO_CONSTRAINTS_FAILURE']);
    expect(r.message).toMatch(
      /^certificate CN=segl SHA-1 CA.*: the signature on it: SHA-1 is acceptable only until 2013-12-31T23:59:59.000Z, and it was made after then/,
    );
  });

  test('a certificate signed with an RSA-1024 key: TOTAL-PASSED made before its end, INDETERMINATE NO_POE made after it', async () => {
    const chain = [smallCa.certificate, pki.root.certificate];
    expect(await validate(await padesAt(smallLeaf, chain, early, revocationAt(early, answers)))).toMatchObject({
      indication: 'TOTAL-PASSED',
    });
    const after = await validate(await padesAt(smallLeaf, chain, late, revocationAt(late, answers)));
    expect([after.indication, after.subIndication]).toEqual(['INDETERMINATE', NO_POE]);
    expect(after.message).toBe(
      `certificate ${smallLeaf.certificate.subject}: RSA-1024 key of ${smallCa.certificate.subject} is acceptable only until ` +
        `${E.toISOString()}, with no proof of existence before then (POE ${late.toISOString()})`,
    );
  });
});

describe('the revocation data', () => {
  let sha1Ocsp: Uint8Array;

  beforeAll(async () => {
    await writeFile(join(dir, 'seal.pem'), pki.seal.certificate.toString('pem') + '\n');
    sha1Ocsp = await opensslOcsp('seal', 'service', 'sha1');
  }, 60_000);

  test('an OCSP response signed with SHA-1 (openssl shows it): passes made before the end, INDETERMINATE NO_POE after', async () => {
    await writeFile(join(dir, 'seal.ocsp'), sha1Ocsp);
    const text = await openssl('ocsp', '-respin', 'seal.ocsp', '-resp_text', '-noverify');
    expect(text).toMatch(/Cert Status: good/);
    expect(text.match(/Signature Algorithm: (\S+)/)?.[1]).toBe('sha1WithRSAEncryption');
    const answers = { [normalizeSerialHex(pki.seal.certificate.serialNumber)]: sha1Ocsp };
    const chain = [pki.serviceCa.certificate, pki.root.certificate];
    expect(await validate(await padesAt(pki.seal, chain, early, revocationAt(early, answers)))).toMatchObject({
      indication: 'TOTAL-PASSED',
    });
    const after = await validate(await padesAt(pki.seal, chain, late, revocationAt(late, answers)));
    expect([after.indication, after.subIndication]).toEqual(['INDETERMINATE', NO_POE]);
    expect(after.message).toBe(
      `OCSP response for ${pki.seal.certificate.subject}: its signature: SHA-1 is acceptable only until ${E.toISOString()}, ` +
        `with no proof of existence before then (POE ${late.toISOString()})`,
    );
  });
});

describe('the XMLDSig signatures of an LTV-SDO', () => {
  let sealed: string;
  let sha1: string;
  const verify = (xml: string, now: Date, table: AlgorithmEnds = ends) =>
    verifyLtvSdo(xml, [pki.root.certificate], undefined, { now, algorithmEnds: table });

  beforeAll(async () => {
    const deed = { id: 'd1', description: 'Deed', mimeType: 'text/plain', bytes: Buffer.from('a deed sealed with SHA-1') };
    const sign = { name: 'Weak Seal Person', pid: '9208-2002-2-333333333333', taskId: 't-sha1', signText: 'I agree', documents: [deed] };
    sealed = Buffer.from(await sealedSdo(pki, new SigningPipeline(trustFor(pki)), sign)).toString('utf8');
    // the seal (the last ds:Signature) re-signed by xmlsec1 with rsa-sha1 and the seal's key
    const id = [...sealed.matchAll(/<ds:Signature[^>]*\sId="([^"]+)"/g)].pop()![1]!;
    const [sha256, sha1Uri] = ['http://www.w3.org/2001/04/xmldsig-more#rsa-sha256', 'http://www.w3.org/2000/09/xmldsig#rsa-sha1'];
    const k = sealed.lastIndexOf(sha256);
    await writeFile(join(dir, 'sdo-template.xml'), `${sealed.slice(0, k)}${sha1Uri}${sealed.slice(k + sha256.length)}`);
    await writeFile(join(dir, 'seal.key'), await keyPem(pki.seal.keys.privateKey));
    await exec(
      'xmlsec1',
      [
        ...['--sign', '--privkey-pem', 'seal.key', '--id-attr:Id', 'http://uri.etsi.org/01903/v1.3.2#:SignedProperties'],
        ...[
          '--id-attr:Id',
          'http://www.w3.org/2000/09/xmldsig#:Signature',
          '--node-id',
          id,
          '--output',
          'sdo-sha1.xml',
          'sdo-template.xml',
        ],
      ],
      { cwd: dir },
    );
    sha1 = await readFile(join(dir, 'sdo-sha1.xml'), 'utf8');
  }, 120_000);

  test('xmlsec1 verifies the seal re-signed with rsa-sha1; segl passes it before the end, INDETERMINATE NO_POE after', async () => {
    const seal = sha1.slice(sha1.lastIndexOf('<ds:Signature '));
    expect(seal).toMatch(/<ds:SignatureMethod Algorithm="http:\/\/www.w3.org\/2000\/09\/xmldsig#rsa-sha1"\/>/);
    const id = /<ds:Signature[^>]*\sId="([^"]+)"/.exec(seal)![1]!;
    const args = ['--verify', '--trusted-pem', 'root.pem', '--untrusted-pem', 'service.pem', '--id-attr:Id'];
    args.push('http://uri.etsi.org/01903/v1.3.2#:SignedProperties', '--id-attr:Id', 'http://www.w3.org/2000/09/xmldsig#:Signature');
    const r = await exec('xmlsec1', [...args, '--node-id', id, 'sdo-sha1.xml'], { cwd: dir }).catch((e: { stderr: string }) => e);
    expect(r.stderr).toMatch(/^OK/m);
    const before = await verify(sha1, at(0.5));
    expect([before.indication, before.seal.indication]).toEqual(['TOTAL-PASSED', 'TOTAL-PASSED']);
    const after = await verify(sha1, V);
    expect([after.seal.indication, after.seal.subIndication, after.seal.message]).toEqual([
      'INDETERMINATE',
      NO_POE,
      `the seal: ds:SignatureMethod: SHA-1 is acceptable only until ${E.toISOString()}, with no proof of existence before then (POE ${V.toISOString()})`,
    ]);
    // the native signature is untouched and proven by its signature time-stamp; the rsa-sha256 seal passes at V
    expect(after.native?.indication).toBe('TOTAL-PASSED');
    expect((await verify(sealed, V)).seal.indication).toBe('TOTAL-PASSED');
  });

  test('the default table (SHA-1 ended 2013): the seal says it was signed after the end, CRYPTO_CONSTRAINTS_FAILURE', async () => {
    const r = await verify(sha1, at(0.5), ALGORITHM_ENDS);
    expect([r.seal.indication, r.seal.subIndication]).toEqual(['INDETERMINATE', 'CRYPTO_CONSTRAINTS_FAILURE']);
    expect(r.seal.message).toMatch(
      /^the seal: ds:SignatureMethod: SHA-1 is acceptable only until 2013-12-31T23:59:59.000Z, and it was made after then/,
    );
  });
});

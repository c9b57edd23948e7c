// src/trust/pades/cms.ts (the CMS of a PAdES baseline signature) and src/trust/cms/signeddata.ts, checked with
// openssl: `cms -verify` over the detached bytes (one flipped byte fails), `cms -cmsout -print` for the attributes
// EN 319 142-1 asks (signing-certificate-v2 present, signing-time absent, no encapsulated content), and
// `ts -verify` for the B-T signature time-stamp over the SignatureValue.
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { childrenOf, contentOf, encodingOf, readDer, TAG, type Tlv } from '../../src/trust/asn1/der';
import { createPadesCms } from '../../src/trust/pades/cms';
import { requestTimestamp } from '../../src/trust/tsp/request';
import { respondTimestamp } from '../../src/trust/tsp/responder';
import { makeTestCa, type TestCa } from '../support/testca';

function openssl(args: string[], cwd: string): Promise<{ code: number; out: string }> {
  return new Promise((resolve) => {
    execFile('openssl', args, { cwd, encoding: 'utf8', maxBuffer: 1 << 24 }, (err, stdout, stderr) => {
      resolve({ code: err ? (typeof err.code === 'number' ? err.code : 1) : 0, out: `${stdout}\n${stderr}` });
    });
  });
}

/** `openssl cms -verify` of a detached signature file over a data file, both in the CA's directory. */
const cmsVerify = (sig: string, data: string) =>
  openssl(
    [
      'cms',
      '-verify',
      '-binary',
      '-inform',
      'DER',
      '-in',
      sig,
      '-content',
      data,
      '-CAfile',
      'ca.pem',
      '-purpose',
      'any',
      '-out',
      '/dev/null',
    ],
    ca.dir,
  );

/** ContentInfo → SignedData → the one SignerInfo's fields. */
function signerInfoOf(cms: Uint8Array): Tlv[] {
  const [, explicit] = childrenOf(readDer(cms));
  const signedData = childrenOf(childrenOf(explicit!)[0]!);
  const signerInfos = signedData[signedData.length - 1]!;
  return childrenOf(childrenOf(signerInfos)[0]!);
}

const POLICY = '1.3.6.1.4.1.55555.1.2';
let ca: TestCa;
const signedBytes = Buffer.from('%PDF-1.7 … the bytes a ByteRange covers, æøå …');

beforeAll(async () => {
  ca = await makeTestCa('PAdES CMS');
  await writeFile(join(ca.dir, 'data.bin'), signedBytes);
}, 60_000);
afterAll(async () => {
  await ca.cleanup();
});

describe('PAdES CMS (ETSI EN 319 142-1 §6.3) checked by openssl', () => {
  test('B-B: openssl verifies the detached signature; signing-certificate-v2, no signing-time, no eContent, the chain carried', async () => {
    const cms = await createPadesCms({ signer: ca.ee, chain: [ca.root.certificate], signedBytes });
    await writeFile(join(ca.dir, 'bb.der'), cms);
    const ok = await cmsVerify('bb.der', 'data.bin');
    expect([ok.code, ok.out]).toEqual([0, expect.stringContaining('Verification successful')]);
    const flipped = Buffer.from(signedBytes);
    flipped[3]! ^= 0x01;
    await writeFile(join(ca.dir, 'flipped.bin'), flipped);
    const bad = await cmsVerify('bb.der', 'flipped.bin');
    expect(bad.code).not.toBe(0);
    expect(bad.out).toMatch(/digest failure|Verification failure/);

    const printed = (await openssl(['cms', '-cmsout', '-print', '-inform', 'DER', '-in', 'bb.der'], ca.dir)).out;
    expect(printed).toMatch(/id-smime-aa-signingCertificateV2/);
    expect(printed).toMatch(/object: contentType/);
    expect(printed).toMatch(/object: messageDigest/);
    expect(printed).not.toMatch(/signingTime/);
    expect(printed).toMatch(/eContent: <ABSENT>/);
    expect(printed).not.toMatch(/unsignedAttrs:\s*\n\s*object/);
    // the signer's certificate and its chain
    expect((printed.match(/d.certificate:/g) ?? []).length).toBe(2);
  });

  test('signed by digest (the ByteRange hashed where it lies): openssl verifies it over the bytes; content XOR digest', async () => {
    const signedDigest = new Uint8Array(createHash('sha256').update(signedBytes).digest());
    const cms = await createPadesCms({ signer: ca.ee, chain: [ca.root.certificate], signedDigest });
    await writeFile(join(ca.dir, 'bydigest.der'), cms);
    const ok = await cmsVerify('bydigest.der', 'data.bin');
    expect([ok.code, ok.out]).toEqual([0, expect.stringContaining('Verification successful')]);
    await expect(createPadesCms({ signer: ca.ee, chain: [], signedBytes, signedDigest })).rejects.toThrow(/exactly one/);
    await expect(createPadesCms({ signer: ca.ee, chain: [] })).rejects.toThrow(/exactly one/);
    await expect(createPadesCms({ signer: ca.ee, chain: [], signedDigest: signedDigest.subarray(1) })).rejects.toThrow(/SHA-256/);
  });

  test('B-T: a signature time-stamp over the SignatureValue that openssl ts verifies against the TSA', async () => {
    const timestamps = (req: Uint8Array) => respondTimestamp(req, { tsa: ca.tsa, policyOid: POLICY });
    const cms = await createPadesCms({ signer: ca.ee, chain: [ca.root.certificate], signedBytes, timestamps });
    await writeFile(join(ca.dir, 'bt.der'), cms);
    const ok = await cmsVerify('bt.der', 'data.bin');
    expect([ok.code, ok.out]).toEqual([0, expect.stringContaining('Verification successful')]);
    expect((await openssl(['cms', '-cmsout', '-print', '-inform', 'DER', '-in', 'bt.der'], ca.dir)).out).toMatch(
      /id-smime-aa-timeStampToken/,
    );

    const fields = signerInfoOf(cms);
    const signatureValue = contentOf(fields.find((f) => f.tag === TAG.octetString)!);
    const unsigned = fields[fields.length - 1]!;
    expect(unsigned.tag).toBe(0xa1);
    const [attr] = childrenOf(unsigned);
    const [, values] = childrenOf(attr!);
    await writeFile(join(ca.dir, 'sigts.der'), encodingOf(childrenOf(values!)[0]!));
    const digest = createHash('sha256').update(signatureValue).digest('hex');
    const ts = (hex: string) =>
      openssl(['ts', '-verify', '-digest', hex, '-in', 'sigts.der', '-token_in', '-CAfile', 'ca.pem', '-untrusted', 'tsa.pem'], ca.dir);
    expect((await ts(digest)).out).toContain('Verification: OK');
    // over the SignatureValue, not over the signed bytes
    expect((await ts(createHash('sha256').update(signedBytes).digest('hex'))).out).not.toContain('Verification: OK');
  });

  test('a TSA that refuses, or answers for another imprint, makes no signature', async () => {
    const refusing = (req: Uint8Array) => respondTimestamp(req, { tsa: ca.tsa, policyOid: POLICY, now: () => new Date(Number.NaN) });
    await expect(createPadesCms({ signer: ca.ee, chain: [], signedBytes, timestamps: refusing })).rejects.toThrow(/TSA refused/);
    const otherImprint = () =>
      respondTimestamp(requestTimestamp(Buffer.alloc(32, 7), { hashAlgorithm: 'SHA-256' }), { tsa: ca.tsa, policyOid: POLICY });
    await expect(createPadesCms({ signer: ca.ee, chain: [], signedBytes, timestamps: otherImprint })).rejects.toThrow(
      /another message imprint/,
    );
  });
});

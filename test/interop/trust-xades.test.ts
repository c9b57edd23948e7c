// src/trust/xades/: the native (enveloping XAdES-BES) signature and the platform seal (enveloped
// XAdES over a whole LTV-SDO package), checked by three independent verifiers: xmlsec1 1.2.37
// (libxml2 + OpenSSL, with path validation to the test root), xml-crypto 6.3.2 and xadesjs itself.
import { generateKeys } from '../../src/trust/crypto';
import * as x509 from '@peculiar/x509';
import { DOMParser, XMLSerializer } from '@xmldom/xmldom';
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as xadesjs from 'xadesjs';
import { SignedXml as XmlCryptoSignedXml } from 'xml-crypto';
import { respondOcsp } from '../../src/trust/ocsp/responder';
import { createCrl, createTestPki, issuePersonCertificate, type Issuer, type PkiUrls, type TestPki } from '../../src/testca/pki';
import { ALG, LTV_SDO_MIME_TYPE, PROOF_OF_APPROVAL_OID, SIGNPROPERTIES_NS } from '../../src/trust/xades/signature';
import { createNativeSignature, type DocumentToSign } from '../../src/trust/xades/native';
import { createSeal, POLICY_DIGEST_OF_DESCRIPTION } from '../../src/trust/xades/seal';
import { parseSignature, verifySignatureCore } from '../support/xades-read';
import { NS } from '../../src/trust/xml/dom';
import { makePdf } from '../support/pdf';

jest.setTimeout(120_000);

const urls: PkiUrls = {
  ocsp: 'http://segl.test:8080/pki/ocsp',
  crl: 'http://segl.test:8080/pki/crl',
  caIssuers: 'http://segl.test:8080/pki/ca.pem',
};
const POLICY_OID = '1.3.6.1.4.1.99999.2.1';
const POLICY_DESCRIPTION = 'segl LTV-SDO sealing policy: the platform seals the complete package after initial verification';
const SIGN_TEXT = 'Jeg, Test Person, godkender låneaftalen og de vedlagte vilkår <§ 3 & 4>.\nI commit to the documents listed.';
const TEXT_DOC = 'Vilkår for lån nr. 42\n\n1. Renten er 3,5 % <fast>.\n2. "Æ" & \'ø\' skal stå som de står.\n';
const SIGNING_TIME = new Date('2026-11-28T10:11:12.345Z');

interface Run {
  code: number;
  out: string;
}

/** Runs a tool without throwing on a non-zero exit; `out` is stdout and stderr together. */
function run(cmd: string, args: string[], cwd?: string): Promise<Run> {
  return new Promise((resolve, reject) => {
    execFile(cmd, args, { cwd, encoding: 'utf8', maxBuffer: 1 << 26 }, (err, stdout, stderr) => {
      if (err && typeof err.code !== 'number') return reject(err); // tool missing: not a verdict
      resolve({ code: err ? (err.code as number) : 0, out: `${stdout}\n${stderr}` });
    });
  });
}

let pki: TestPki;
let person: Issuer;
let dir: string;
let pdf: Buffer;
let fileNo = 0;

beforeAll(async () => {
  pki = await createTestPki({ urls });
  const keys = await generateKeys();
  const certificate = await issuePersonCertificate(pki.personCa, {
    commonName: 'Test Person',
    pid: '9208-2002-2-123456789012',
    kind: 'POCES',
    publicKey: keys.publicKey,
    urls,
  });
  person = { certificate, keys };
  dir = await mkdtemp(join(tmpdir(), 'segl-xades-'));
  await writeFile(join(dir, 'root.pem'), pki.root.certificate.toString('pem'));
  await writeFile(join(dir, 'personca.pem'), pki.personCa.certificate.toString('pem'));
  await writeFile(join(dir, 'serviceca.pem'), pki.serviceCa.certificate.toString('pem'));
  await writeFile(join(dir, 'seal.pem'), pki.seal.certificate.toString('pem'));
  pdf = makePdf({ text: 'Loan agreement 42', padBytes: 3000 });
});

afterAll(async () => {
  if (dir && !process.env.SEGL_KEEP_TMP) await rm(dir, { recursive: true, force: true });
});

/**
 * xmlsec1 with path validation to the test root (`--trusted-pem`); the person CA (the signer's issuer)
 * and the service CA (the seal's) are supplied as untrusted intermediates.
 * Reference URIs (`#signproperties-…`, `#…-signedprops`) resolve without any
 * `--id-attr` option. `nodeId` picks the signature in a document with several (without it xmlsec1
 * takes the first ds:Signature): `--node-id` looks the Id up before verification starts, so the
 * Signature's Id must be declared with `--id-attr:Id <ds-namespace>:Signature`.
 */
async function xmlsec(xml: string, nodeId?: string): Promise<Run> {
  const file = join(dir, `doc-${++fileNo}.xml`);
  await writeFile(file, xml);
  return run('xmlsec1', [
    '--verify',
    '--trusted-pem',
    join(dir, 'root.pem'),
    '--untrusted-pem',
    join(dir, 'personca.pem'),
    '--untrusted-pem',
    join(dir, 'serviceca.pem'),
    ...(nodeId ? ['--id-attr:Id', `${NS.ds}:Signature`, '--node-id', nodeId] : []),
    file,
  ]);
}

function expectXmlsecOk(r: Run): void {
  expect(r.out).toMatch(/^OK$/m);
  expect(r.code).toBe(0);
}

function expectXmlsecFail(r: Run): void {
  expect(r.code).not.toBe(0);
  expect(r.out).not.toMatch(/^OK$/m);
}

/** The ds:Signature element `id` (or the root) serialized, for xml-crypto's loadSignature. */
function signatureText(xml: string, id?: string): string {
  const doc = new DOMParser().parseFromString(xml, 'text/xml');
  if (!id) return xml;
  const list = doc.getElementsByTagNameNS(NS.ds, 'Signature');
  for (let i = 0; i < list.length; i++) {
    const el = list.item(i);
    if (el?.getAttribute('Id') === id) return new XMLSerializer().serializeToString(el);
  }
  throw new Error(`no signature ${id}`);
}

/** xml-crypto 6.3.2 with the certificate pinned (it ignores KeyInfo unless told otherwise). */
function xmlCrypto(xml: string, cert: x509.X509Certificate, id?: string): { ok: boolean; refs: string[]; error?: string } {
  const sx = new XmlCryptoSignedXml({ publicCert: cert.toString('pem') });
  sx.loadSignature(signatureText(xml, id));
  try {
    const ok = sx.checkSignature(xml);
    return { ok, refs: ok ? sx.getSignedReferences() : [] };
  } catch (e) {
    return { ok: false, refs: [], error: (e as Error).message };
  }
}

/** Plain xadesjs (no segl subclass): Verify() either resolves to a boolean or throws on tampering. */
async function xadesVerify(xml: string, id?: string): Promise<boolean> {
  const doc = new DOMParser().parseFromString(xml, 'text/xml');
  const list = doc.getElementsByTagNameNS(NS.ds, 'Signature');
  let el = list.item(0);
  for (let i = 0; id && i < list.length; i++) if (list.item(i)?.getAttribute('Id') === id) el = list.item(i);
  const sx = new xadesjs.SignedXml(doc as never);
  sx.LoadXml(el as never);
  try {
    return await sx.Verify();
  } catch {
    return false;
  }
}

const sha256 = (b: Uint8Array | string): Buffer => createHash('sha256').update(b).digest();

function documents(): DocumentToSign[] {
  return [
    {
      id: 'terms',
      description: 'Lånevilkår (text)',
      mimeType: 'text/plain; charset=utf-8',
      bytes: new Uint8Array(Buffer.from(TEXT_DOC, 'utf8')),
    },
    { id: 'agreement', description: 'Loan agreement 42 (PDF)', mimeType: 'application/pdf', bytes: new Uint8Array(pdf) },
  ];
}

/** Replaces the character at `index` by another one of the same class (letter, digit, base64). */
function flipAt(xml: string, index: number): string {
  const c = xml[index];
  const replacement = c === 'A' ? 'B' : /[a-z]/.test(c) ? (c === 'a' ? 'b' : 'a') : /[0-9]/.test(c) ? (c === '0' ? '1' : '0') : 'A';
  return xml.slice(0, index) + replacement + xml.slice(index + 1);
}

/** Index of a character in the middle of the text content of the first `<prefix:name …>` element. */
function insideElement(xml: string, qname: string): number {
  const open = xml.indexOf(`<${qname}`);
  const start = xml.indexOf('>', open) + 1;
  const end = xml.indexOf(`</${qname}>`, start);
  expect(open).toBeGreaterThanOrEqual(0);
  expect(end).toBeGreaterThan(start + 4);
  let i = Math.floor((start + end) / 2);
  while (!/[A-Za-z0-9]/.test(xml[i])) i++;
  return i;
}

describe('native signature (enveloping XAdES-BES)', () => {
  let sig: string;

  beforeAll(async () => {
    sig = await createNativeSignature({ signer: person, signText: SIGN_TEXT, documents: documents(), signingTime: SIGNING_TIME });
    await writeFile(join(dir, 'native.xml'), sig);
  });

  it('is a ds:Signature with SignProperties in one signed ds:Object, exc-c14n, RSA-SHA256', () => {
    const doc = new DOMParser().parseFromString(sig, 'text/xml');
    const root = doc.documentElement!;
    expect([root.namespaceURI, root.localName]).toEqual([NS.ds, 'Signature']);
    const byName = (ns: string, n: string) =>
      Array.from({ length: doc.getElementsByTagNameNS(ns, n).length }, (_, i) => doc.getElementsByTagNameNS(ns, n).item(i)!);
    expect(byName(NS.ds, 'CanonicalizationMethod')[0].getAttribute('Algorithm')).toBe(ALG.excC14n);
    expect(byName(NS.ds, 'SignatureMethod')[0].getAttribute('Algorithm')).toBe(ALG.rsaSha256);
    const refs = byName(NS.ds, 'Reference');
    expect(refs).toHaveLength(2); // the bundle object and SignedProperties
    for (const r of refs) {
      expect(r.getElementsByTagNameNS(NS.ds, 'DigestMethod').item(0)?.getAttribute('Algorithm')).toBe(ALG.sha256);
      const transforms = r.getElementsByTagNameNS(NS.ds, 'Transform');
      expect(transforms.length).toBe(1);
      expect(transforms.item(0)?.getAttribute('Algorithm')).toBe(ALG.excC14n);
    }
    expect(byName(SIGNPROPERTIES_NS, 'SignProperties')).toHaveLength(1);
    expect(byName(SIGNPROPERTIES_NS, 'Document')).toHaveLength(2);
    expect(byName(SIGNPROPERTIES_NS, 'attachedpdf')).toHaveLength(1);
    expect(byName(SIGNPROPERTIES_NS, 'attachedtext')[0].getAttribute('Encoding')).toBeNull();
    expect(byName(NS.ds, 'X509Certificate')).toHaveLength(1);
    // The signed properties a baseline B-B signer's act needs, and no unsigned ones.
    for (const n of ['SigningTime', 'SigningCertificateV2', 'DataObjectFormat', 'CommitmentTypeIndication']) {
      expect(byName(NS.xades, n)).toHaveLength(1);
    }
    expect(byName(NS.xades, 'UnsignedProperties')).toHaveLength(0);
  });

  it('xmlsec1 verifies it with path validation to the test root', async () => {
    expectXmlsecOk(await xmlsec(sig));
  });

  it('xmlsec1 refuses it without the trust anchor', async () => {
    const file = join(dir, 'native-untrusted.xml');
    await writeFile(file, sig);
    const r = await run('xmlsec1', ['--verify', '--untrusted-pem', join(dir, 'personca.pem'), file]);
    expectXmlsecFail(r);
  });

  it('xml-crypto verifies it independently and its signed references cover the SignProperties object', () => {
    const r = xmlCrypto(sig, person.certificate);
    expect(r.error).toBeUndefined();
    expect(r.ok).toBe(true);
    const object = r.refs.find((x) => x.includes('SignProperties'));
    expect(object).toBeDefined();
    expect(object).toContain(pdf.toString('base64'));
    expect(object).toContain('Renten er 3,5 % &lt;fast&gt;.');
    expect(r.refs.some((x) => x.includes('SignedProperties') && x.includes('SigningCertificateV2'))).toBe(true);
  });

  it('xadesjs Verify() is true, and segl core validation (SigningCertificateV2 included) passes', async () => {
    expect(await xadesVerify(sig)).toBe(true);
    await expect(verifySignatureCore(sig)).resolves.toMatchObject({ valid: true });
  });

  it('carries the exact PDF bytes and text, their digests, the sign text and the signed properties', () => {
    const p = parseSignature(sig);
    expect(p.signingTime?.toISOString()).toBe(SIGNING_TIME.toISOString());
    expect(Buffer.from(p.signerCertificate!.rawData).equals(Buffer.from(person.certificate.rawData))).toBe(true);
    expect(p.signingCertificateDigests).toEqual([
      { algorithm: ALG.sha256, digest: new Uint8Array(sha256(new Uint8Array(person.certificate.rawData))) },
    ]);
    expect(p.commitmentTypes).toEqual([`urn:oid:${PROOF_OF_APPROVAL_OID}`]);
    const objectRef = p.references.find((r) => r.type === 'http://www.w3.org/2000/09/xmldsig#Object')!;
    expect(p.dataObjectFormats).toEqual([expect.objectContaining({ objectReference: `#${objectRef.id}`, mimeType: 'text/xml' })]);
    expect(p.signedObjects).toHaveLength(1);
    expect(p.signedObjects[0].mimeType).toBe('text/xml');
    const sp = p.signProperties!;
    expect(sp.signText).toBe(SIGN_TEXT);
    const [text, agreement] = sp.documents;
    expect(agreement).toMatchObject({
      id: 'agreement',
      mimeType: 'application/pdf',
      carriedAs: 'attachedpdf',
      size: pdf.length,
      digestMatches: true,
    });
    expect(Buffer.from(agreement.bytes).equals(pdf)).toBe(true);
    expect(Buffer.from(agreement.digest).equals(sha256(pdf))).toBe(true);
    expect(text).toMatchObject({ id: 'terms', description: 'Lånevilkår (text)', carriedAs: 'attachedtext', digestMatches: true });
    expect(Buffer.from(text.bytes).toString('utf8')).toBe(TEXT_DOC);
    expect(Buffer.from(text.digest).equals(sha256(TEXT_DOC))).toBe(true);
    expect(p.certificateValues).toHaveLength(0);
    expect(p.hasSignatureTimeStamp).toBe(false);
  });

  const tamperings: Array<[string, (xml: string) => string]> = [
    ['one letter of the sign text', (xml) => flipAt(xml, insideElement(xml, 'sp:SignText'))],
    ['one base64 character of the attached PDF', (xml) => flipAt(xml, insideElement(xml, 'sp:attachedpdf'))],
    ['one character of the text document', (xml) => flipAt(xml, insideElement(xml, 'sp:attachedtext'))],
    [
      'the stated digest of the PDF',
      (xml) => flipAt(xml, xml.indexOf('>', xml.indexOf('<sp:DigestValue', xml.indexOf('DocumentId="agreement"'))) + 5),
    ],
    [
      'the signing time (a signed property)',
      (xml) => xml.replace(/(<xades:SigningTime>\d{4})/, (m) => m.slice(0, -1) + String((Number(m.slice(-1)) + 1) % 10)),
    ],
  ];

  it.each(tamperings)('changing %s breaks it for xmlsec1, xml-crypto and xadesjs', async (_what, tamper) => {
    const bad = tamper(sig);
    expect(bad).not.toBe(sig);
    expect(bad.length).toBe(sig.length);
    expectXmlsecFail(await xmlsec(bad));
    expect(xmlCrypto(bad, person.certificate).ok).toBe(false);
    expect(await xadesVerify(bad)).toBe(false);
    await expect(verifySignatureCore(bad)).resolves.toMatchObject({ valid: false });
  });

  it('another certificate in KeyInfo fails SigningCertificateV2 and the signature value', async () => {
    const other = Buffer.from(pki.seal.certificate.rawData).toString('base64');
    const mine = Buffer.from(person.certificate.rawData).toString('base64');
    const bad = sig.replace(mine, other);
    expect(bad).not.toBe(sig);
    const r = await verifySignatureCore(bad);
    expect(r.valid).toBe(false);
    expectXmlsecFail(await xmlsec(bad));
  });

  it('several documents in one act are one signature over one object (bundle)', async () => {
    const docs: DocumentToSign[] = [
      ...documents(),
      { id: 'annex', description: 'Annex (PDF)', mimeType: 'application/pdf', bytes: new Uint8Array(makePdf({ text: 'Annex' })) },
      { id: 'data', description: 'Raw data', mimeType: 'application/octet-stream', bytes: new Uint8Array([0, 1, 2, 255]) },
    ];
    const bundle = await createNativeSignature({ signer: person, signText: SIGN_TEXT, documents: docs });
    const p = parseSignature(bundle);
    expect(p.references.filter((r) => r.type === 'http://www.w3.org/2000/09/xmldsig#Object')).toHaveLength(1);
    expect(p.signProperties!.documents.map((d) => [d.id, d.carriedAs, d.digestMatches])).toEqual([
      ['terms', 'attachedtext', true],
      ['agreement', 'attachedpdf', true],
      ['annex', 'attachedpdf', true],
      ['data', 'attacheddata', true],
    ]);
    expect(Buffer.from(p.signProperties!.documents[3].bytes)).toEqual(Buffer.from([0, 1, 2, 255]));
    expectXmlsecOk(await xmlsec(bundle));
    expect(xmlCrypto(bundle, person.certificate).ok).toBe(true);
  });

  it('text a parser would rewrite (CRLF, LS) or that is not UTF-8 goes in base64 and comes back byte for byte', async () => {
    const texts = [Buffer.from('line 1\r\nline 2\r\n'), Buffer.from('a\u2028b'), Buffer.from([0x68, 0xe6, 0x6c, 0x6c, 0x6f])];
    const bundle = await createNativeSignature({
      signer: person,
      signText: 'Windows line ends\r\nin the sign text',
      documents: texts.map((t, i) => ({ id: `t${i}`, description: `text ${i}`, mimeType: 'text/plain', bytes: new Uint8Array(t) })),
    });
    expect(bundle).not.toMatch(/[\r\u2028]/);
    const p = parseSignature(bundle);
    expect(p.signProperties!.signText).toBe('Windows line ends\nin the sign text');
    p.signProperties!.documents.forEach((d, i) => {
      expect(d.carriedAs).toBe('attachedtext');
      expect(Buffer.from(d.bytes).equals(texts[i])).toBe(true);
      expect(d.digestMatches).toBe(true);
    });
    expectXmlsecOk(await xmlsec(bundle));
  });

  it('refuses bad input', async () => {
    const base = { signer: person, signText: SIGN_TEXT, documents: documents() };
    await expect(createNativeSignature({ ...base, documents: [] })).rejects.toThrow(/no documents/);
    await expect(createNativeSignature({ ...base, signText: '  ' })).rejects.toThrow(/sign text is empty/);
    await expect(createNativeSignature({ ...base, signText: 'bell \u0007' })).rejects.toThrow(/XML 1.0/);
    await expect(createNativeSignature({ ...base, documents: [documents()[0], documents()[0]] })).rejects.toThrow(/twice/);
    await expect(createNativeSignature({ ...base, documents: [{ ...documents()[0], mimeType: 'pdf' }] })).rejects.toThrow(/mime type/);
  });

  it('throughput (sanity, not asserted on time): native signatures per second', async () => {
    const n = 30;
    const docs = [{ id: 'd', description: 'small PDF', mimeType: 'application/pdf', bytes: new Uint8Array(makePdf()) }];
    const t0 = process.hrtime.bigint();
    const out: string[] = [];
    for (let i = 0; i < n; i++) out.push(await createNativeSignature({ signer: person, signText: SIGN_TEXT, documents: docs }));
    const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
    const v0 = process.hrtime.bigint();
    const results = await Promise.all(out.map((x) => verifySignatureCore(x)));
    const vSeconds = Number(process.hrtime.bigint() - v0) / 1e9;
    console.log(
      `[xades] ${n} native signatures in ${seconds.toFixed(2)} s: ${(n / seconds).toFixed(1)} signatures/s; ` +
        `core validation ${(n / vSeconds).toFixed(1)}/s`,
    );
    expect(results.every((r) => r.valid)).toBe(true);
  });
});

describe('seal over an LTV-SDO package (enveloped XAdES, no time-stamp)', () => {
  let native: string;
  let nativeId: string;
  let ocspDer: Uint8Array;
  let crlDer: Uint8Array;
  let packageXml: string;
  let sealed: string;
  let sealId: string;

  beforeAll(async () => {
    native = await createNativeSignature({ signer: person, signText: SIGN_TEXT, documents: documents(), signingTime: SIGNING_TIME });
    nativeId = parseSignature(native).id;
    const r = await run('openssl', ['ocsp', '-issuer', 'serviceca.pem', '-cert', 'seal.pem', '-reqout', 'req.der', '-no_nonce'], dir);
    expect(r.code).toBe(0);
    const req = await readFile(join(dir, 'req.der'));
    ocspDer = await respondOcsp(req, {
      responder: pki.serviceOcsp,
      issuer: pki.serviceCa.certificate,
      lookup: async () => ({ status: 'good' }),
    });
    crlDer = new Uint8Array(await createCrl(pki.serviceCa, [], { crlNumber: 1 }));
    // The native signature is a direct child of the root on purpose: the enveloped-signature
    // transform must remove only the seal (XMLDSig §6.6.4), not every ds:Signature child.
    packageXml = [
      '<LtvSdo xmlns="urn:segl:ltvsdo:1" Version="1.1">',
      '<SignerDescription><SignerNationalId>0101011234</SignerNationalId></SignerDescription>',
      native,
      '<AuditTrail>',
      '<Event time="2026-11-28T10:11:00Z">PDF shown to the signer</Event>',
      '<Event time="2026-11-28T10:11:12Z">Signature created; core validation succeeded</Event>',
      '</AuditTrail>',
      '<ExternalContext><!-- not signed: comments are outside C14N -->client-reference: 42</ExternalContext>',
      '</LtvSdo>',
    ].join('\n');
    sealed = await createSeal({
      packageXml,
      seal: pki.seal,
      chain: [pki.serviceCa.certificate, pki.root.certificate],
      revocationValues: { ocspResponses: [ocspDer] },
      policy: { oid: POLICY_OID, description: POLICY_DESCRIPTION },
    });
    sealId = parseSignature(sealed).id;
    await writeFile(join(dir, 'sealed.xml'), sealed);
  });

  it('is the last child of the package root and leaves the package otherwise as it was', () => {
    const doc = new DOMParser().parseFromString(sealed, 'text/xml');
    const root = doc.documentElement!;
    const last = root.lastChild as unknown as { namespaceURI: string; localName: string; getAttribute(n: string): string };
    expect([last.namespaceURI, last.localName, last.getAttribute('Id')]).toEqual([NS.ds, 'Signature', sealId]);
    expect(sealId).toMatch(/^seal-/);
    expect(sealed).toContain(native);
    expect(sealed.startsWith(packageXml.slice(0, packageXml.lastIndexOf('</LtvSdo>')))).toBe(true);
  });

  it('xmlsec1 verifies the seal to the test root, and the embedded native signature still verifies', async () => {
    expectXmlsecOk(await xmlsec(sealed, sealId));
    expectXmlsecOk(await xmlsec(sealed, nativeId));
  });

  it('xml-crypto verifies the seal (covering the whole package) and the embedded native signature', () => {
    const seal = xmlCrypto(sealed, pki.seal.certificate, sealId);
    expect(seal.error).toBeUndefined();
    expect(seal.ok).toBe(true);
    const whole = seal.refs.find((x) => x.startsWith('<LtvSdo'));
    expect(whole).toContain('PDF shown to the signer');
    expect(whole).toContain(pdf.toString('base64'));
    expect(whole).not.toContain(sealId);
    expect(xmlCrypto(sealed, person.certificate, nativeId).ok).toBe(true);
  });

  it('xadesjs-based core validation passes for both signatures', async () => {
    await expect(verifySignatureCore(sealed)).resolves.toEqual({ valid: true, signatureId: sealId });
    await expect(verifySignatureCore(sealed, { signatureId: nativeId })).resolves.toEqual({ valid: true, signatureId: nativeId });
  });

  it('signed properties: SigningTime, SigningCertificateV2, SignaturePolicyIdentifier with the OID, DataObjectFormat', () => {
    const p = parseSignature(sealed);
    expect(p.signingTime).toBeInstanceOf(Date);
    expect(p.signingCertificateDigests).toEqual([
      { algorithm: ALG.sha256, digest: new Uint8Array(sha256(new Uint8Array(pki.seal.certificate.rawData))) },
    ]);
    expect(p.policy).toEqual({
      identifier: `urn:oid:${POLICY_OID}`,
      oid: POLICY_OID,
      description: POLICY_DESCRIPTION,
      documentationReferences: [POLICY_DIGEST_OF_DESCRIPTION],
      digestAlgorithm: ALG.sha256,
      digest: new Uint8Array(sha256(POLICY_DESCRIPTION)),
    });
    expect(p.references).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ uri: '', transforms: [ALG.enveloped, ALG.excC14n] }),
        expect.objectContaining({ type: 'http://uri.etsi.org/01903#SignedProperties', transforms: [ALG.excC14n] }),
      ]),
    );
    expect(p.dataObjectFormats).toEqual([expect.objectContaining({ mimeType: LTV_SDO_MIME_TYPE })]);
    expect(Buffer.from(p.signerCertificate!.rawData).equals(Buffer.from(pki.seal.certificate.rawData))).toBe(true);
  });

  it('unsigned properties: CertificateValues hold the chain, RevocationValues the OCSP response; no time-stamp', async () => {
    const p = parseSignature(sealed);
    expect(p.certificateValues.map((c) => c.subject)).toEqual([pki.serviceCa.certificate.subject, pki.root.certificate.subject]);
    expect(p.certificateValues.map((c) => Buffer.from(c.rawData).toString('hex'))).toEqual(
      [pki.serviceCa.certificate, pki.root.certificate].map((c) => Buffer.from(c.rawData).toString('hex')),
    );
    expect(p.ocspResponses).toHaveLength(1);
    expect(Buffer.from(p.ocspResponses[0]).equals(Buffer.from(ocspDer))).toBe(true);
    expect(p.crls).toHaveLength(0);
    expect(p.hasSignatureTimeStamp).toBe(false);
    expect(sealed).not.toMatch(/TimeStamp/);
    // The embedded OCSP response says what it should, by openssl.
    await writeFile(join(dir, 'embedded-ocsp.der'), p.ocspResponses[0]);
    const r = await run(
      'openssl',
      [
        'ocsp',
        '-respin',
        'embedded-ocsp.der',
        '-issuer',
        'serviceca.pem',
        '-cert',
        'seal.pem',
        '-CAfile',
        'root.pem',
        '-verify_other',
        'serviceca.pem',
      ],
      dir,
    );
    expect(r.out).toMatch(/Response verify OK/);
    expect(r.out).toMatch(/seal\.pem: good/);
  });

  it('CRLValues come before OCSPValues when CRLs are given, and an explicit policy digest is used as is', async () => {
    const digest = new Uint8Array(sha256('the policy document'));
    const other = await createSeal({
      packageXml,
      seal: pki.seal,
      chain: [pki.serviceCa.certificate, pki.root.certificate],
      revocationValues: { ocspResponses: [ocspDer], crls: [crlDer] },
      policy: { oid: POLICY_OID, description: POLICY_DESCRIPTION, digest },
    });
    const p = parseSignature(other);
    expect(p.crls.map((c) => Buffer.from(c).toString('hex'))).toEqual([Buffer.from(crlDer).toString('hex')]);
    expect(other.indexOf('<xades:CRLValues>')).toBeLessThan(other.indexOf('<xades:OCSPValues>'));
    expect(p.policy?.digest).toEqual(digest);
    expect(p.policy?.documentationReferences).toEqual([]);
    expectXmlsecOk(await xmlsec(other, p.id));
  });

  const tamperings: Array<[string, (xml: string) => string]> = [
    ['one letter of the audit trail', (xml) => xml.replace('PDF shown to the signer', 'PDF shown to the signes')],
    ['one letter of the sign text inside the embedded native signature', (xml) => flipAt(xml, insideElement(xml, 'sp:SignText'))],
    ['one base64 character of the PDF inside the embedded native signature', (xml) => flipAt(xml, insideElement(xml, 'sp:attachedpdf'))],
    ['one character of the native SignatureValue', (xml) => flipAt(xml, insideElement(xml, 'ds:SignatureValue'))],
    ['the signer national id', (xml) => xml.replace('0101011234', '0101011235')],
    ['an attribute of the root', (xml) => xml.replace('Version="1.1"', 'Version="1.2"')],
    ['text outside any comment in the external context', (xml) => xml.replace('client-reference: 42', 'client-reference: 43')],
    ['the seal policy OID (a signed property)', (xml) => xml.replace(`urn:oid:${POLICY_OID}`, `urn:oid:${POLICY_OID.slice(0, -1)}2`)],
  ];

  it.each(tamperings)('changing %s breaks the seal for xmlsec1 and xml-crypto', async (_what, tamper) => {
    const bad = tamper(sealed);
    expect(bad).not.toBe(sealed);
    expect(bad.length).toBe(sealed.length);
    expectXmlsecFail(await xmlsec(bad, sealId));
    expect(xmlCrypto(bad, pki.seal.certificate, sealId).ok).toBe(false);
    await expect(verifySignatureCore(bad)).resolves.toMatchObject({ valid: false });
  });

  it('keeps an XML declaration and a leading comment of the package, and still verifies', async () => {
    const withDecl = await createSeal({
      packageXml: `<?xml version="1.0" encoding="UTF-8"?>\n<!-- LTV-SDO -->\n${packageXml}`,
      seal: pki.seal,
      chain: [pki.serviceCa.certificate, pki.root.certificate],
      revocationValues: { ocspResponses: [ocspDer] },
      policy: { oid: POLICY_OID, description: POLICY_DESCRIPTION },
    });
    expect(withDecl.startsWith('<?xml version="1.0" encoding="UTF-8"?>\n<!-- LTV-SDO -->\n<LtvSdo')).toBe(true);
    const id = parseSignature(withDecl).id;
    expectXmlsecOk(await xmlsec(withDecl, id));
    expect(xmlCrypto(withDecl, pki.seal.certificate, id).ok).toBe(true);
    await expect(verifySignatureCore(withDecl)).resolves.toMatchObject({ valid: true });
  });

  it.each([
    ['a comment after the root', (x: string) => `${x}\n<!-- end of package -->`],
    ['an empty-element root', () => '<LtvSdo xmlns="urn:segl:ltvsdo:1" Version="1.1"/>'],
    ['a prefixed root', () => '<l:LtvSdo xmlns:l="urn:segl:ltvsdo:1"><l:AuditTrail>x</l:AuditTrail></l:LtvSdo>'],
  ])('seals packages of other shapes (the first two go through the DOM, not text splicing): %s', async (_what, make) => {
    const pkg = make(packageXml);
    const out = await createSeal({
      packageXml: pkg,
      seal: pki.seal,
      chain: [pki.serviceCa.certificate, pki.root.certificate],
      revocationValues: { ocspResponses: [ocspDer] },
      policy: { oid: POLICY_OID, description: POLICY_DESCRIPTION },
    });
    const id = parseSignature(out).id;
    expect(id).toMatch(/^seal-/);
    expectXmlsecOk(await xmlsec(out, id));
    expect(xmlCrypto(out, pki.seal.certificate, id).ok).toBe(true);
    await expect(verifySignatureCore(out)).resolves.toMatchObject({ valid: true });
  });

  it('refuses a package with a DOCTYPE, a processing instruction outside the root, and a bad policy OID', async () => {
    const base = {
      packageXml,
      seal: pki.seal,
      chain: [pki.serviceCa.certificate, pki.root.certificate],
      revocationValues: { ocspResponses: [ocspDer] },
      policy: { oid: POLICY_OID, description: POLICY_DESCRIPTION },
    };
    await expect(createSeal({ ...base, packageXml: `<!DOCTYPE LtvSdo [<!ENTITY x "y">]>${packageXml}` })).rejects.toThrow(/DOCTYPE/);
    await expect(createSeal({ ...base, packageXml: `<?xml-stylesheet href="a.xsl"?>${packageXml}` })).rejects.toThrow(
      /processing instruction/,
    );
    await expect(createSeal({ ...base, policy: { oid: 'not-an-oid', description: 'x' } })).rejects.toThrow(/OID/);
  });

  it('throughput (sanity, not asserted on time): seals per second over this package', async () => {
    const n = 10;
    const t0 = process.hrtime.bigint();
    const out: string[] = [];
    for (let i = 0; i < n; i++) {
      out.push(
        await createSeal({
          packageXml,
          seal: pki.seal,
          chain: [pki.serviceCa.certificate, pki.root.certificate],
          revocationValues: { ocspResponses: [ocspDer] },
          policy: { oid: POLICY_OID, description: POLICY_DESCRIPTION },
        }),
      );
    }
    const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
    console.log(
      `[xades] ${n} seals over a ${packageXml.length}-character package in ${seconds.toFixed(2)} s: ${(n / seconds).toFixed(1)} seals/s`,
    );
    expect((await verifySignatureCore(out[n - 1])).valid).toBe(true);
  });
});

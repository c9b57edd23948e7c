// src/trust/xml/c14n.ts: exclusive C14N of a parsed DOM (what the verifier digests) and the canonical
// writer (what the signer digests without parsing), each checked against two independent
// implementations: libxml2 (`xmllint --exc-c14n`, the C14N xmlsec1 uses) and xmldsigjs.
import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as xmldsigjs from 'xmldsigjs';
import { canonicalise, el, raw, render } from '../../src/trust/xml/c14n';
import { buildLtvSdo } from '../../src/trust/ltvsdo';
import { pkiWithPerson } from '../support/person';
import { parseStrict } from '../../src/trust/xml/strictxml';
import { verifyXmlSignature } from '../../src/trust/validation/process';
import { type VerifyOptions } from '../../src/trust/validation/report';
import { createNativeSignature } from '../../src/trust/xades/native';
import { createSeal } from '../../src/trust/xades/seal';
import { childElement, descendants, NS, parseXml, useXades, type Element } from '../../src/trust/xml/dom';

useXades();
jest.setTimeout(60_000);

let dir: string;
let n = 0;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'segl-c14n-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** libxml2's exclusive C14N of a whole document (comments kept by xmllint, so inputs here have none). */
async function xmllint(xml: string): Promise<string> {
  const file = join(dir, `doc${n++}.xml`);
  await writeFile(file, xml);
  return new Promise((resolve, reject) => {
    execFile('xmllint', ['--exc-c14n', file], { encoding: 'utf8', maxBuffer: 1 << 26 }, (err, stdout, stderr) => {
      if (err) reject(new Error(`xmllint: ${stderr}`));
      else resolve(stdout);
    });
  });
}

/** lxml's (libxml2) exclusive C14N of every element of the document as the apex of its subtree, in document order. */
async function lxmlSubtrees(xml: string): Promise<string[]> {
  const file = join(dir, `doc${n++}.xml`);
  await writeFile(file, xml);
  const script =
    'import sys, json\nfrom lxml import etree\nd = etree.parse(sys.argv[1])\n' +
    'print(json.dumps([etree.tostring(e, method="c14n", exclusive=True, with_comments=False).decode("utf-8") for e in d.iter(tag=etree.Element)]))';
  // Debian's python3 (python3-lxml), not a pyenv one on PATH.
  return new Promise((resolve, reject) => {
    execFile('/usr/bin/python3', ['-c', script, file], { encoding: 'utf8', maxBuffer: 1 << 26 }, (err, stdout, stderr) => {
      if (err) reject(new Error(`lxml: ${stderr}`));
      else resolve(JSON.parse(stdout) as string[]);
    });
  });
}

/** xmldsigjs's exclusive C14N of an element (as the apex of its subtree). */
function xmldsig(node: Element): string {
  const t = new xmldsigjs.XmlDsigExcC14NTransform();
  t.LoadInnerXml(node as never);
  return t.GetOutput() as string;
}

const DOCS: Array<[string, string]> = [
  [
    'namespaces used, unused, redeclared and undeclared',
    '<a xmlns="urn:u" xmlns:b="urn:v" xmlns:unused="urn:w"><b:c b:y="2" x="1" xml:lang="da">t</b:c>' +
      '<e xmlns=""><f xmlns="urn:u"/></e><b:g xmlns:b="urn:other"><b:h/></b:g><i xmlns:b="urn:v"><b:j/></i></a>',
  ],
  ['attribute order by namespace URI then local name', '<r xmlns:z="urn:a" xmlns:a="urn:z"><s z:b="1" a:a="2" c="3" b="4" z:a="5"/></r>'],
  [
    'escapes in text and attributes, CR, TAB, LF, CDATA, char refs',
    '<r a="&#9;&#10;&#13;&quot;&lt;&gt;&amp;\'" b=\'"\'>x &gt; y &lt; z &amp; "q" \'s\' &#13;&#10;<![CDATA[<cdata> & ]]>é€😀</r>',
  ],
  [
    'processing instructions inside and around the root, whitespace outside it',
    '<?xml version="1.0" encoding="UTF-8"?>\n<?before a?>\n<r><?inner  data ?><?empty?></r>\n<?after?>\n',
  ],
  ['empty elements and whitespace-only text', '<r>\n  <a/>\n  <b></b>\n\t<c x=""/>\n</r>'],
  ['prefixed root with default namespace child', '<p:r xmlns:p="urn:p" xmlns="urn:d"><c p:a="1"><p:d/></c></p:r>'],
];

describe('canonicalise (reading)', () => {
  test.each(DOCS)("whole document equals xmllint --exc-c14n, from xmldom's tree and from strictxml's: %s", async (_name, xml) => {
    const expected = await xmllint(xml);
    expect(canonicalise(parseXml(xml))).toBe(expected);
    expect(canonicalise(parseStrict(xml))).toBe(expected);
  });

  test.each(DOCS)('every element subtree equals lxml exclusive C14N: %s', async (_name, xml) => {
    const doc = parseXml(xml);
    const all = doc.getElementsByTagName('*');
    const expected = await lxmlSubtrees(xml);
    expect(all.length).toBe(expected.length);
    for (let i = 0; i < all.length; i++) expect(canonicalise(all.item(i) as Element)).toBe(expected[i]);
  });

  test('xmldsigjs agrees too, except that it writes xmlns="" on an apex in no namespace (lxml and the spec do not)', () => {
    const doc = parseXml('<a xmlns="urn:u"><e xmlns=""><f xmlns="urn:u"/></e><g/></a>');
    const [e, g] = [doc.getElementsByTagName('e').item(0) as Element, doc.getElementsByTagName('g').item(0) as Element];
    expect(canonicalise(e)).toBe('<e><f xmlns="urn:u"></f></e>');
    expect(xmldsig(e)).toBe('<e xmlns=""><f xmlns="urn:u"></f></e>');
    expect(canonicalise(g)).toBe(xmldsig(g));
  });

  test('comments are dropped', () => {
    expect(canonicalise(parseXml('<!--a--><r><!--b-->x<!--c--></r><!--d-->'))).toBe('<r>x</r>');
  });

  test('an excluded element is left out with its subtree, and nothing else changes', () => {
    const xml = `<r xmlns="urn:r"><a>1</a><ds:Signature xmlns:ds="${NS.ds}"><ds:x/></ds:Signature><b>2</b></r>`;
    const doc = parseXml(xml);
    const sig = descendants(doc, NS.ds, 'Signature')[0]!;
    expect(canonicalise(doc, sig)).toBe('<r xmlns="urn:r"><a>1</a><b>2</b></r>');
    expect(canonicalise(doc)).toContain('<ds:Signature');
  });
});

describe('render (writing): the text written is its own canonical form', () => {
  test('an element tree with mixed namespaces, attribute order and escapes', async () => {
    const tree = el(
      'r',
      'urn:r',
      { z: 'last', a: 'first "q" <&>\t\n\r' },
      'text <&> "q" \r',
      el('ds:A', NS.ds, null, el('ds:B', NS.ds, { Algorithm: 'x' }), el('xades:C', NS.xades, null, el('ds:D', NS.ds, null))),
      el('plain', 'urn:r', null),
      el('other', 'urn:o', null, el('child', 'urn:o', null)),
      undefined,
      false,
    );
    const out = render(tree);
    expect(out).toBe(await xmllint(out));
    const doc = parseXml(out);
    expect(canonicalise(doc)).toBe(out);
    // As a subtree: the nested elements render the same as the apex of their own subtrees.
    const a = descendants(doc, NS.ds, 'A')[0]!;
    expect(render(tree.children[1] as never)).toBe(canonicalise(a));
    expect(render(tree.children[1] as never)).toBe(xmldsig(a));
  });

  test('characters XML cannot carry are refused', () => {
    expect(() => render(el('r', 'urn:r', null, 'bell \u0007'))).toThrow(/XML 1.0/);
    expect(() => render(el('r', 'urn:r', { a: '\uD800' }))).toThrow(/XML 1.0/);
    expect(() => el('r', 'urn:r', { 'x:y': '1' })).toThrow(/unprefixed/);
  });

  test('a raw fragment is written unchanged', () => {
    expect(render(el('r', 'urn:r', null, raw('<p:x xmlns:p="urn:p"></p:x>')))).toBe('<r xmlns="urn:r"><p:x xmlns:p="urn:p"></p:x></r>');
  });

  test('the native signature, its signed parts and an LTV-SDO around it are canonical as written', async () => {
    const { signer } = await pkiWithPerson('Test "Person" <&>', '9208-2002-2-1');
    const { certificate } = signer;
    const native = await createNativeSignature({
      signer,
      signText: 'Sign <this> & "that"\r\nnext line\u2028',
      documents: [
        { id: 'doc "1" <&>\t', description: 'PDF', mimeType: 'application/pdf', bytes: Buffer.from('%PDF-1.4') },
        { id: 'doc2', description: 'text\r\nwith CRLF', mimeType: 'text/plain; charset=utf-8', bytes: Buffer.from('a > b & "c"\n') },
      ],
    });
    expect(native).toBe(await xmllint(native));
    const doc = parseXml(native);
    const sig = doc.documentElement as Element;
    for (const part of [
      childElement(sig, NS.ds, 'SignedInfo'),
      ...descendants(sig, NS.xades, 'SignedProperties'),
      ...descendants(sig, NS.ds, 'Object'),
    ]) {
      expect(canonicalise(part!)).toBe(xmldsig(part!));
    }
    const pkg = buildLtvSdo({
      id: 'ltvsdo-1',
      nativeSignatureXml: native,
      signer: { name: 'Test "Person" <&>', pid: 'PID:1', nationalId: '0101011234', nationality: 'DK', kind: 'POCES' },
      trustedTime: { time: new Date(), tokenDer: new Uint8Array([1, 2, 3]), source: 'RFC 3161 "TSA" & co' },
      validation: {
        certificates: [new Uint8Array(certificate.rawData)],
        ocspResponses: [new Uint8Array([4, 5])],
        indication: 'TOTAL-PASSED',
        verifiedAt: new Date(),
        checks: [{ name: 'core-validation', ok: true, detail: 'a > b\r\n"q"', at: new Date() }],
      },
      creationContext: {
        client: { userAgent: 'UA <x> & "y"', ip: '127.0.0.1' },
        server: { operatingSystem: 'Linux', runtime: 'Node', components: [{ name: 'a"b', version: '<1>' }] },
      },
      verificationContext: { server: { operatingSystem: 'Linux', runtime: 'Node', components: [] } },
      externalContext: 'ref\t&\r',
      auditTrail: [{ time: new Date(), type: 'pdf-shown', text: 'shown <&> "x"' }],
    });
    expect(pkg.startsWith('<?xml version="1.0" encoding="UTF-8"?><LtvSdo ')).toBe(true);
    const body = pkg.slice('<?xml version="1.0" encoding="UTF-8"?>'.length);
    expect(body).toBe(await xmllint(pkg));
    expect(canonicalise(parseXml(pkg))).toBe(body);
  });
});

describe('verifyXmlSignature on a sealed LTV-SDO: validated directly (exclusive C14N on the DOM)', () => {
  let sealed: string;
  let opts: VerifyOptions;
  const sealOpts = (): VerifyOptions => ({ ...opts, signatureXPath: '/*/ds:Signature' });
  const nativeOpts = (): VerifyOptions => ({ ...opts, signatureXPath: "/*/*[local-name()='SignedDataObject']/ds:Signature" });

  beforeAll(async () => {
    const { pki, signer } = await pkiWithPerson('Signer', '9208-2002-2-2');
    const native = await createNativeSignature({
      signer,
      signText: 'I agree to pay 100 DKK',
      documents: [{ id: 'doc1', description: 'PDF', mimeType: 'application/pdf', bytes: Buffer.from('%PDF-1.4 contract') }],
    });
    const pkg = buildLtvSdo({
      id: 'ltvsdo-2',
      nativeSignatureXml: native,
      signer: { name: 'Signer' },
      trustedTime: { time: new Date(), tokenDer: new Uint8Array([1]), source: 'TSA' },
      validation: { certificates: [], ocspResponses: [], indication: 'TOTAL-PASSED', verifiedAt: new Date(), checks: [] },
      creationContext: { server: { operatingSystem: 'L', runtime: 'N', components: [] } },
      verificationContext: { server: { operatingSystem: 'L', runtime: 'N', components: [] } },
      auditTrail: [{ time: new Date(), type: 'pdf-shown', text: 'Amount: 100 DKK' }],
    });
    sealed = await createSeal({
      packageXml: pkg,
      canonical: true,
      seal: pki.seal,
      chain: [pki.serviceCa.certificate, pki.root.certificate],
      revocationValues: { ocspResponses: [] },
      policy: { oid: '1.2.3.4', description: 'test policy' },
    });
    opts = {
      anchors: [pki.root.certificate],
      intermediates: [pki.personCa.certificate, pki.serviceCa.certificate],
      revocation: async () => ({ status: { status: 'good' }, source: 'ocsp' }),
    };
  });

  test('the seal and the native signature pass, by the direct validator', async () => {
    for (const o of [sealOpts(), nativeOpts()]) {
      const r = await verifyXmlSignature(sealed, o);
      expect(r.indication).toBe('TOTAL-PASSED');
      expect(r.checks.find((c) => c.name === 'core-validation')?.detail).toMatch(/segl exclusive C14N/);
    }
  });

  test('xmlsec1 verifies the seal made over the unparsed canonical package', async () => {
    const file = join(dir, 'sealed.xml');
    await writeFile(file, sealed);
    const id = /<ds:Signature xmlns:ds="[^"]+" Id="(seal-[^"]+)"/.exec(sealed)![1];
    const out = await new Promise<string>((resolve) => {
      execFile(
        'xmlsec1',
        [
          '--verify',
          '--insecure',
          '--id-attr:Id',
          'http://www.w3.org/2000/09/xmldsig#:Signature',
          '--node-xpath',
          `//*[@Id='${id}']`,
          file,
        ],
        { encoding: 'utf8' },
        (err, stdout, stderr) => resolve(`${err ? 'FAIL' : 'OK'} ${stdout}${stderr}`),
      );
    });
    expect(out).toMatch(/^OK/);
  });

  test('a changed byte in the package → HASH_FAILURE for the seal only', async () => {
    const bad = sealed.replace('Amount: 100 DKK', 'Amount: 900 DKK');
    expect(bad).not.toBe(sealed);
    expect(await verifyXmlSignature(bad, sealOpts())).toMatchObject({ indication: 'TOTAL-FAILED', subIndication: 'HASH_FAILURE' });
    expect((await verifyXmlSignature(bad, nativeOpts())).indication).toBe('TOTAL-PASSED');
  });

  test('changed signed content of the native signature → HASH_FAILURE for both', async () => {
    const bad = sealed.replace('I agree to pay 100 DKK', 'I agree to pay 900 DKK');
    expect(await verifyXmlSignature(bad, nativeOpts())).toMatchObject({ indication: 'TOTAL-FAILED', subIndication: 'HASH_FAILURE' });
    expect(await verifyXmlSignature(bad, sealOpts())).toMatchObject({ indication: 'TOTAL-FAILED', subIndication: 'HASH_FAILURE' });
  });

  test('a changed signed property → HASH_FAILURE; a changed SignatureValue → SIG_CRYPTO_FAILURE', async () => {
    const props = sealed.replace(/(<xades:Description>)test policy/, '$1test polica');
    expect(props).not.toBe(sealed);
    expect(await verifyXmlSignature(props, sealOpts())).toMatchObject({ indication: 'TOTAL-FAILED', subIndication: 'HASH_FAILURE' });
    const sealValue = /<ds:Signature xmlns:ds="[^"]+" Id="seal-[\s\S]*?<ds:SignatureValue>([^<]{20})/.exec(sealed)![1]!;
    const flipped = sealValue.slice(0, 10) + (sealValue[10] === 'A' ? 'B' : 'A') + sealValue.slice(11);
    const value = sealed.replace(sealValue, flipped);
    expect(await verifyXmlSignature(value, sealOpts())).toMatchObject({ indication: 'TOTAL-FAILED', subIndication: 'SIG_CRYPTO_FAILURE' });
  });

  test('a second element with the SignedProperties Id (wrapping) → FORMAT_FAILURE, not a pass', async () => {
    const id = /<xades:SignedProperties Id="(seal-[^"]+)"/.exec(sealed)![1];
    const at = sealed.lastIndexOf('<ds:KeyInfo>'); // the seal's own
    const wrapped = `${sealed.slice(0, at)}<ds:Object><x Id="${id}"></x></ds:Object>${sealed.slice(at)}`;
    expect(wrapped).not.toBe(sealed);
    expect(await verifyXmlSignature(wrapped, sealOpts())).toMatchObject({ indication: 'TOTAL-FAILED', subIndication: 'FORMAT_FAILURE' });
  });

  test('malformed or hostile XML around a valid seal → FORMAT_FAILURE from the strict parser, never a pass', async () => {
    const cases: Array<[string, string]> = [
      ['a DOCTYPE with an entity', sealed.replace('?><LtvSdo ', '?><!DOCTYPE LtvSdo [<!ENTITY x "y">]><LtvSdo ')],
      ['an undeclared entity', sealed.replace('Amount: 100 DKK', 'Amount: &x; DKK')],
      ['a duplicate attribute', sealed.replace('<AuditTrail>', '<AuditTrail a="1" a="1">')],
      [
        'a duplicate attribute by expanded name',
        sealed.replace('<AuditTrail>', '<AuditTrail xmlns:a="urn:x" xmlns:b="urn:x" a:z="1" b:z="1">'),
      ],
      ['an unbound prefix', sealed.replace('<AuditTrail>', '<AuditTrail q:a="1">')],
      ['xmlns:ds="" (XML 1.0)', sealed.replace('<AuditTrail>', '<AuditTrail xmlns:ds="">')],
      ['a relative namespace URI', sealed.replace('<AuditTrail>', '<AuditTrail xmlns:r="relative">')],
      ['XML 1.1', sealed.replace('<?xml version="1.0"', '<?xml version="1.1"')],
      ['a second root', `${sealed}<LtvSdo/>`],
    ];
    for (const [name, xml] of cases) {
      expect([name, xml]).not.toEqual([name, sealed]);
      const r = await verifyXmlSignature(xml, sealOpts());
      expect([name, r.indication, r.subIndication]).toEqual([name, 'TOTAL-FAILED', 'FORMAT_FAILURE']);
    }
  });

  test("a second ds:Signature among the root's children → FORMAT_FAILURE for the seal XPath", async () => {
    const seal = /<ds:Signature xmlns:ds="[^"]+" Id="seal-[\s\S]*<\/ds:Signature>/.exec(sealed)![0];
    const twice = sealed.replace('</LtvSdo>', `${seal}</LtvSdo>`);
    const r = await verifyXmlSignature(twice, sealOpts());
    expect(r).toMatchObject({ indication: 'TOTAL-FAILED', subIndication: 'FORMAT_FAILURE' });
    expect(r.message).toMatch(/selected 2 node/);
  });

  test('a shape outside the direct profile (an unknown transform) is left to xadesjs, which refuses it', async () => {
    const odd = sealed.replace(
      /(<ds:Signature xmlns:ds="[^"]+" Id="seal-[\s\S]*?<ds:Transforms>)/,
      '$1<ds:Transform Algorithm="urn:unknown"></ds:Transform>',
    );
    expect(odd).not.toBe(sealed);
    const r = await verifyXmlSignature(odd, sealOpts());
    expect(r.indication).not.toBe('TOTAL-PASSED');
  });
});

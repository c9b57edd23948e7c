// src/trust/xml/strictxml.ts, the verifier's own strict XML parser, against independent parsers:
// - saxes 6 (a conforming XML 1.0 + Namespaces parser) turned into the same kind of tree by a few
//   lines below: on valid, malformed and hostile documents and on thousands of randomly damaged copies
//   of real segl signatures, both must accept the same documents and build the same trees;
// - libxml2 (`xmllint --exc-c14n`, the C14N xmlsec1 uses) and xmldom: the same canonical form.
import { spawnSync } from 'node:child_process';
import { SaxesParser, type SaxesTagNS } from 'saxes';
import { canonicalise } from '../../src/trust/xml/c14n';
import { buildLtvSdo } from '../../src/trust/ltvsdo';
import { pkiWithPerson } from '../support/person';
import { MAX_DEPTH, parseStrict, StrictXmlError, type SDocument, type SElement } from '../../src/trust/xml/strictxml';
import { createNativeSignature } from '../../src/trust/xades/native';
import { createSeal } from '../../src/trust/xades/seal';
import { parseXml } from '../../src/trust/xml/dom';

jest.setTimeout(120_000);

const XMLNS_NS = 'http://www.w3.org/2000/xmlns/';

// ---------------------------------------------------------------------------------------------
// The reference: saxes events → a neutral dump (no comments, adjacent text and CDATA merged)

type Dump = Array<string | Dump>;

/** What a parser made of a document, as nested arrays; or 'refused'. */
function saxesDump(text: string): string {
  const root: Dump = [];
  const stack: Dump[] = [root];
  let depth = 0;
  const top = (): Dump => stack[stack.length - 1]!;
  const addText = (t: string): void => {
    if (stack.length === 1) return;
    const d = top();
    const last = d[d.length - 1];
    if (typeof last === 'string' && last.startsWith('T')) d[d.length - 1] = last + t;
    else d.push(`T${t}`);
  };
  // Two rules saxes does not apply, checked here on their own: XML 1.0 Char excludes lone surrogates
  // (saxes lets them through), and C14N 1.0 §2 fails on relative namespace URIs (saxes also trims
  // namespace names).
  if (/[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/.test(text)) return 'refused';
  let relative = false;
  const p = new SaxesParser({ xmlns: true });
  p.on('attribute', (a) => {
    if (a.prefix === 'xmlns' || a.name === 'xmlns') relative ||= a.value !== '' && !/^[A-Za-z][A-Za-z0-9+.-]*:[^\s<>"`]*$/.test(a.value);
  });
  p.on('xmldecl', (d) => {
    if (d.version !== '1.0') throw new Error('1.1');
  });
  p.on('doctype', () => {
    throw new Error('doctype');
  });
  p.on('processinginstruction', (pi) => {
    top().push(`P${pi.target}|${pi.body}`);
  });
  p.on('opentag', (tag: SaxesTagNS) => {
    if (++depth > MAX_DEPTH) throw new Error('depth');
    const attrs = Object.values(tag.attributes)
      .filter((a) => a.uri !== XMLNS_NS)
      .map((a) => `A${a.uri}|${a.local}|${a.prefix}|${a.value}`)
      .sort();
    const el: Dump = [`E${tag.uri}|${tag.local}|${tag.prefix}`, ...attrs];
    top().push(el);
    stack.push(el);
  });
  p.on('closetag', () => {
    depth--;
    stack.pop();
  });
  p.on('text', addText);
  p.on('cdata', addText);
  p.on('error', (e) => {
    throw e;
  });
  try {
    p.write(text).close();
  } catch {
    return 'refused';
  }
  return relative ? 'refused' : JSON.stringify(root);
}

function strictDump(text: string): string {
  let doc: SDocument;
  try {
    doc = parseStrict(text);
  } catch (e) {
    if (!(e instanceof StrictXmlError)) throw e;
    return 'refused';
  }
  const walk = (parent: SElement | SDocument, out: Dump): Dump => {
    for (let n = parent.firstChild; n; n = n.nextSibling) {
      if (n.nodeType === 3) out.push(`T${n.nodeValue}`);
      else if (n.nodeType === 7) out.push(`P${n.nodeName}|${n.nodeValue}`);
      else {
        const attrs: string[] = [];
        for (let i = 0; i < n.attributes.length; i++) {
          const a = n.attributes.item(i)!;
          attrs.push(`A${a.namespaceURI ?? ''}|${a.localName}|${a.prefix ?? ''}|${a.value}`);
        }
        out.push(walk(n, [`E${n.namespaceURI ?? ''}|${n.localName}|${n.prefix ?? ''}`, ...attrs.sort()]));
      }
    }
    return out;
  };
  return JSON.stringify(walk(doc, []));
}

// ---------------------------------------------------------------------------------------------
// libxml2

/** libxml2 (xmllint) on a document given on stdin. */
function libxml2(args: string[], xml: string): { status: number | null; stdout: string; stderr: string } {
  return spawnSync('xmllint', [...args, '-'], { input: xml, encoding: 'utf8', maxBuffer: 1 << 26 });
}

/** Does libxml2 refuse the document (an error, or a namespace error on stderr)? */
function xmllintRefuses(xml: string): boolean {
  const r = libxml2(['--noout', '--nonet'], xml);
  return r.status !== 0 || r.stderr.length > 0;
}

/** libxml2's exclusive C14N of the whole document. */
function xmllintC14n(xml: string): string {
  const r = libxml2(['--exc-c14n'], xml);
  if (r.status !== 0) throw new Error(`xmllint: ${r.stderr}`);
  return r.stdout;
}

// ---------------------------------------------------------------------------------------------
// Corpora

/**
 * Valid documents without comments (xmllint keeps comments in its C14N output), besides those of
 * trust-c14n.test.ts (whose canonical forms are checked from both trees there).
 */
const VALID: Array<[string, string]> = [
  ['line ends and attribute-value normalisation', '<r a="x\ty\nz\r\nw\rv" b="&#x9;&#xA;&#xD;">a\r\nb\rc\n\u0085\u2028d\r\r\n</r>'],
  ['declaration variants, single quotes, spaces around =', "<?xml version='1.0' standalone='yes' ?><r a = 'x' b\n=\n\"y\" ></r >"],
  [
    'references of every kind',
    '<r a="&amp;&lt;&gt;&quot;&apos;&#65;&#x1F600;&#0000066;">&amp;&lt;&gt;&quot;&apos;&#65;&#x1F600;&#x00043;</r>',
  ],
  ['names with dots, dashes, digits, non-ASCII', '<é-r.1 xmlns:ñ_2="urn:n"><ñ_2:x·y ñ_2:a.b-c="1" _z="2"/></é-r.1>'],
  [
    'the xml prefix declared as it must be, xml:* attributes',
    '<r xmlns:xml="http://www.w3.org/XML/1998/namespace" xml:space="preserve" xml:lang="en"><s xml:id="a"/></r>',
  ],
  ['a PI whose target only starts with xml', '<?xml-stylesheet href="a"?><r/>'],
  ['a byte order mark', '\uFEFF<r>x</r>'],
  ['"]]" and ">" in text', '<r>a ]] b > c ]]&gt;</r>'],
];

/** Refused by strictxml (and by saxes, unless marked otherwise). */
const REFUSED: Array<[string, string]> = [
  ['a DOCTYPE', '<!DOCTYPE r><r/>'],
  ['an internal subset with an entity', '<!DOCTYPE r [<!ENTITY x "y">]><r>&x;</r>'],
  ['billion laughs', '<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;">]><lolz>&lol2;</lolz>'],
  ['an external entity', '<!DOCTYPE r [<!ENTITY x SYSTEM "file:///etc/passwd">]><r>&x;</r>'],
  ['an undeclared entity', '<r>&nbsp;</r>'],
  ['an undeclared entity in an attribute', '<r a="&x;"/>'],
  ['a bare &', '<r>a & b</r>'],
  ['a reference to NUL', '<r>&#0;</r>'],
  ['a reference to a surrogate', '<r a="&#xD800;"/>'],
  ['a reference beyond Unicode', '<r>&#x110000;</r>'],
  ['a control character', '<r>\u0001</r>'],
  ['U+FFFE', '<r>\uFFFE</r>'],
  ['a lone surrogate', '<r>\uD800</r>'],
  ['"]]>" in text', '<r>a]]>b</r>'],
  ['"<" in an attribute value', '<r a="<"/>'],
  ['an unquoted attribute', '<r a=1/>'],
  ['an attribute without a value', '<r a/>'],
  ['attributes without whitespace between them', '<r a="1"b="2"/>'],
  ['a duplicate attribute', '<r a="1" a="2"/>'],
  ['a duplicate attribute by expanded name', '<r xmlns:p="urn:x" xmlns:q="urn:x" p:a="1" q:a="2"/>'],
  ['a duplicate namespace declaration', '<r xmlns:p="urn:x" xmlns:p="urn:y"/>'],
  ['an unbound element prefix', '<p:r/>'],
  ['an unbound attribute prefix', '<r p:a="1"/>'],
  ['a prefix bound only on a sibling', '<r><a xmlns:p="urn:p"/><p:b/></r>'],
  ['xmlns:p="" (XML 1.0)', '<r xmlns:p="urn:x"><s xmlns:p=""/></r>'],
  ['the xml prefix bound elsewhere', '<r xmlns:xml="urn:x"/>'],
  ['the xml namespace bound to another prefix', '<r xmlns:p="http://www.w3.org/XML/1998/namespace"/>'],
  ['the xml namespace as default', '<r xmlns="http://www.w3.org/XML/1998/namespace"/>'],
  ['the xmlns prefix declared', '<r xmlns:xmlns="urn:x"/>'],
  ['the xmlns namespace declared', '<r xmlns:p="http://www.w3.org/2000/xmlns/"/>'],
  ['an element with the xmlns prefix', '<xmlns:r/>'],
  ['two colons in a name', '<a:b:c xmlns:a="urn:a"/>'],
  ['an empty local part', '<a: xmlns:a="urn:a"/>'],
  ['an empty prefix', '<:a/>'],
  ['a name starting with a digit', '<1r/>'],
  ['a colon in a PI target', '<r><?a:b x?></r>'],
  ['"xml" as a PI target', '<r><?xml version="1.0"?></r>'],
  ['"XmL" as a PI target', '<r><?XmL x?></r>'],
  ['a declaration not at the start', ' <?xml version="1.0"?><r/>'],
  ['XML 1.1', '<?xml version="1.1"?><r/>'],
  ['a declaration without version', '<?xml encoding="UTF-8"?><r/>'],
  ['a malformed declaration', '<?xml version="1.0" foo="x"?><r/>'],
  ['"--" in a comment', '<r><!-- a -- b --></r>'],
  ['a comment ending in "-"', '<r><!-- a ---></r>'],
  ['an unterminated comment', '<r><!-- a </r>'],
  ['an unterminated CDATA section', '<r><![CDATA[ a </r>'],
  ['CDATA outside the root', '<![CDATA[x]]><r/>'],
  ['"<!" of no known kind', '<r><!ELEMENT r ANY></r>'],
  ['mismatched end tag', '<r></s>'],
  ['an end tag with another prefix for the same namespace', '<p:r xmlns:p="urn:p" xmlns:q="urn:p"></q:r>'],
  ['an unclosed element', '<r><s></s>'],
  ['an end tag without a start', '<r/></r>'],
  ['two roots', '<r/><s/>'],
  ['text before the root', 'x<r/>'],
  ['text after the root', '<r/>x'],
  ['a reference after the root', '<r/>&amp;'],
  ['no root', '<?xml version="1.0"?>'],
  ['empty', ''],
  ['whitespace only', ' \n'],
  ['a space after <', '< r/>'],
  ['a space after </', '<r></ r>'],
  ['a lone <', '<r><</r>'],
  ['a tag cut off', '<r a="1"'],
  ['a relative namespace URI', '<r xmlns="relative/path"/>'],
  ['a namespace name with a space', '<p:r xmlns:p="urn:x y"/>'],
  ['too deep', `${'<a>'.repeat(MAX_DEPTH + 1)}${'</a>'.repeat(MAX_DEPTH + 1)}`],
];

// ---------------------------------------------------------------------------------------------

let native: string;
let sealed: string;

beforeAll(async () => {
  const { pki, signer } = await pkiWithPerson('Test "Person" <&>', '9208-2002-2-1');
  const { certificate } = signer;
  native = await createNativeSignature({
    signer,
    signText: 'Sign <this> & "that"\r\nnext line\u2028 😀',
    documents: [{ id: 'doc "1" <&>\t', description: 'PDF', mimeType: 'application/pdf', bytes: Buffer.from('%PDF-1.4') }],
  });
  const pkg = buildLtvSdo({
    id: 'ltvsdo-1',
    nativeSignatureXml: native,
    signer: { name: 'Test' },
    trustedTime: { time: new Date(), tokenDer: new Uint8Array([1, 2, 3]), source: 'TSA' },
    validation: {
      certificates: [new Uint8Array(certificate.rawData)],
      ocspResponses: [],
      indication: 'TOTAL-PASSED',
      verifiedAt: new Date(),
      checks: [],
    },
    creationContext: { server: { operatingSystem: 'L', runtime: 'N', components: [] } },
    verificationContext: { server: { operatingSystem: 'L', runtime: 'N', components: [] } },
    externalContext: 'ref\t&\r',
    auditTrail: [{ time: new Date(), type: 'pdf-shown', text: 'shown <&> "x"' }],
  });
  sealed = await createSeal({
    packageXml: pkg,
    canonical: true,
    seal: pki.seal,
    chain: [pki.serviceCa.certificate, pki.root.certificate],
    revocationValues: { ocspResponses: [] },
    policy: { oid: '1.2.3.4', description: 'test policy' },
  });
});

describe('parseStrict', () => {
  test.each(VALID)('valid: %s — same tree as saxes, same canonical form as libxml2 and xmldom', async (_name, xml) => {
    const dump = strictDump(xml);
    expect(dump).not.toBe('refused');
    expect(dump).toBe(saxesDump(xml));
    const c14n = canonicalise(parseStrict(xml));
    expect(c14n).toBe(xmllintC14n(xml));
    expect(c14n).toBe(canonicalise(parseXml(xml.replace(/^\uFEFF/, '')))); // xmldom refuses a BOM in a string
  });

  test("segl's native signature and sealed package: same tree as saxes, same canonical form as libxml2 and xmldom", async () => {
    for (const xml of [native, sealed]) {
      expect(strictDump(xml)).toBe(saxesDump(xml));
      const c14n = canonicalise(parseStrict(xml));
      expect(c14n).toBe(xmllintC14n(xml));
      expect(c14n).toBe(canonicalise(parseXml(xml)));
    }
  });

  test.each(REFUSED)('refused: %s (saxes refuses it too)', (_name, xml) => {
    expect(() => parseStrict(xml)).toThrow(StrictXmlError);
    expect(saxesDump(xml)).toBe('refused');
  });

  test('comments are dropped, text around them joined; getAttribute, textContent', () => {
    const doc = parseStrict('<r xmlns:p="urn:p" a="1" p:b="2">x<!-- c -->y<s>z</s><![CDATA[w]]></r>');
    const r = doc.documentElement!;
    expect(r.getAttribute('a')).toBe('1');
    expect(r.getAttribute('p:b')).toBe('2');
    expect(r.getAttribute('b')).toBeNull();
    expect(r.hasAttribute('xmlns:p')).toBe(false);
    expect(r.textContent).toBe('xyzw');
    expect(r.firstChild).toMatchObject({ nodeType: 3, nodeValue: 'xy' });
  });

  test('errors name the line', () => {
    expect(() => parseStrict('<r>\n\n<s a="1" a="2"/></r>')).toThrow(/^line 3: duplicate attribute a/);
  });

  test('randomly damaged segl documents: accepted and refused as saxes does, with the same trees (stricter only where libxml2 is)', async () => {
    // A fixed-seed generator (mulberry32), so a failure can be reproduced.
    let seed = Number(process.env.STRICTXML_SEED ?? 0x5e61);
    const random = (): number => {
      seed = (seed + 0x6d2b79f5) | 0;
      let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
      t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
      return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
    };
    const pieces = [
      '<',
      '>',
      '/',
      '&',
      ';',
      '"',
      "'",
      '=',
      ':',
      '!',
      '?',
      '-',
      '[',
      ']',
      ' ',
      '\n',
      '\r',
      '\t',
      'x',
      '#',
      'xmlns',
      'xmlns:p="urn:p"',
      'p:',
      '&amp;',
      '&#x41;',
      '&#0;',
      '<!--',
      '-->',
      '<![CDATA[',
      ']]>',
      '<?pi ',
      '?>',
      '</',
      '/>',
      '<!DOCTYPE',
      '\u0000',
      '\uFFFE',
      '\uD800',
      'é',
      '😀',
    ];
    const sources = [native, sealed.slice(0, 6000) + sealed.slice(-2000), ...VALID.map(([, x]) => x)];
    let accepted = 0;
    let stricter = 0;
    const disagreements: string[] = [];
    for (let i = 0; i < 4000; i++) {
      let doc = sources[Math.floor(random() * sources.length)]!;
      for (let k = 1 + Math.floor(random() * 3); k > 0; k--) {
        const at = Math.floor(random() * (doc.length + 1));
        const kind = random();
        if (kind < 0.3) doc = doc.slice(0, at) + doc.slice(at + 1 + Math.floor(random() * 3));
        else if (kind < 0.8) doc = doc.slice(0, at) + pieces[Math.floor(random() * pieces.length)] + doc.slice(at);
        else {
          const from = Math.floor(random() * doc.length);
          doc = doc.slice(0, at) + doc.slice(from, from + Math.floor(random() * 20)) + doc.slice(at);
        }
      }
      const ours = strictDump(doc);
      if (ours !== 'refused') accepted++;
      const theirs = saxesDump(doc);
      if (ours === theirs) continue;
      // saxes is lax in places (e.g. it takes "<?a?b?>" as target a with data "?b"): refusing what
      // saxes accepts is right when libxml2 refuses it too.
      if (ours === 'refused' && xmllintRefuses(doc)) {
        stricter++;
        continue;
      }
      disagreements.push(JSON.stringify(doc.length > 400 ? `${doc.slice(0, 400)}…` : doc));
    }
    expect(disagreements.slice(0, 5)).toEqual([]);
    // Both outcomes are exercised.
    expect(accepted).toBeGreaterThan(100);
    expect(accepted).toBeLessThan(3900);
    expect(stricter).toBeLessThan(100);
  });
});

// A small strict XML 1.0 + Namespaces 1.0 parser into a read-only tree, for the verifier's direct
// path (verify.ts ExcC14nCore). It reads the documents segl verifies several times faster than
// xmldom (which builds a regular expression for every end tag) and refuses everything outside a
// plain, namespace-well-formed document:
//
// - a document type declaration (so no entity can be declared: only the five predefined entities and
//   character references exist; any other reference is an error), XML 1.1, a misplaced or malformed
//   XML declaration, "xml" as a processing instruction target, a colon in one;
// - anything not well-formed (XML 1.0 5th ed.): characters outside Char (also by reference), malformed
//   names, attributes without whitespace between them, '<' in an attribute value, "]]>" in text,
//   "--" in a comment, mismatched or missing end tags, more than one root, text outside it;
// - anything not namespace-well-formed (Namespaces 1.0 §3–§6): a duplicate attribute, also by
//   expanded name; an unbound prefix; xmlns:p="" (1.0 cannot undeclare a prefix); the xml prefix
//   bound elsewhere or its namespace to another prefix; the xmlns prefix or namespace declared or
//   used for an element; a QName with more than one colon or an empty part; a namespace name that is
//   not an absolute URI (C14N 1.0 §2 fails on relative ones, and so do libxml2 and xmlsec1);
// - nesting deeper than MAX_DEPTH (the recursive walks over the tree would otherwise overflow).
//
// Line ends are normalised first (§2.11: CRLF and CR become LF; NEL, LS, PS are left alone, as
// XML 1.0 and libxml2 do), attribute values as §3.3.3 says for CDATA attributes (a literal TAB or LF
// becomes a space; one written as a reference stays).
//
// The tree has the shape canonicalise() (c14n.ts) and the verifier read, with xmldom's names:
// nodeType 1 elements (nodeName, prefix, localName, namespaceURI, attributes without the namespace
// declarations, getAttribute/hasAttribute by qualified name, textContent), 3 text (CDATA sections and
// adjacent text merged: C14N writes both as text) and 7 processing instructions; comments are dropped
// (every C14N segl uses is without comments), and so is the XML declaration.
//
// test/interop/trust-strictxml.test.ts checks it against saxes (a conforming parser) on valid,
// malformed and randomly damaged documents, and its canonical forms against libxml2.

const XMLNS_NS = 'http://www.w3.org/2000/xmlns/';
const XML_NS = 'http://www.w3.org/XML/1998/namespace';
/** Deeper documents are refused (segl's deepest signature part is about 10 levels down). */
export const MAX_DEPTH = 256;
/** More attributes on one element are refused (the duplicate checks are quadratic). */
export const MAX_ATTRIBUTES = 256;

export class StrictXmlError extends Error {
  override name = 'StrictXmlError';
}

// ---------------------------------------------------------------------------------------------
// The tree
// ---------------------------------------------------------------------------------------------

export interface SAttr {
  readonly name: string;
  readonly prefix: string | null;
  readonly localName: string;
  readonly namespaceURI: string | null;
  readonly value: string;
}

/** An element's attributes, read as xmldom's NamedNodeMap is (length, item). */
export class SAttrList {
  constructor(private readonly list: readonly SAttr[]) {}
  get length(): number {
    return this.list.length;
  }
  item(i: number): SAttr | null {
    return this.list[i] ?? null;
  }
}

const NO_ATTRS = new SAttrList([]);

export class SText {
  readonly nodeType = 3;
  readonly nodeName = '#text';
  readonly firstChild = null;
  nextSibling: SNode | null = null;
  constructor(public nodeValue: string) {}
}

export class SProcessingInstruction {
  readonly nodeType = 7;
  readonly firstChild = null;
  nextSibling: SNode | null = null;
  constructor(
    readonly nodeName: string,
    readonly nodeValue: string,
  ) {}
}

export class SElement {
  readonly nodeType = 1;
  readonly nodeValue = null;
  parentNode: SElement | SDocument | null = null;
  firstChild: SNode | null = null;
  lastChild: SNode | null = null;
  nextSibling: SNode | null = null;
  constructor(
    readonly nodeName: string,
    readonly prefix: string | null,
    readonly localName: string,
    readonly namespaceURI: string | null,
    readonly attributes: SAttrList,
  ) {}

  /** The value of the attribute with this qualified name (as xmldom's getAttribute), or null. */
  getAttribute(name: string): string | null {
    for (let i = 0; i < this.attributes.length; i++) {
      const a = this.attributes.item(i)!;
      if (a.name === name) return a.value;
    }
    return null;
  }

  hasAttribute(name: string): boolean {
    return this.getAttribute(name) !== null;
  }

  /** The text of every descendant text node, in document order. */
  get textContent(): string {
    let out = '';
    const walk = (p: SElement): void => {
      for (let n = p.firstChild; n; n = n.nextSibling) {
        if (n.nodeType === 3) out += n.nodeValue;
        else if (n.nodeType === 1) walk(n);
      }
    };
    walk(this);
    return out;
  }
}

export class SDocument {
  readonly nodeType = 9;
  readonly nodeName = '#document';
  readonly nodeValue = null;
  readonly nextSibling = null;
  documentElement: SElement | null = null;
  firstChild: SNode | null = null;
  lastChild: SNode | null = null;
}

export type SNode = SElement | SText | SProcessingInstruction;

function append(parent: SElement | SDocument, n: SNode): void {
  if (parent.lastChild) parent.lastChild.nextSibling = n;
  else parent.firstChild = n;
  parent.lastChild = n;
}

// ---------------------------------------------------------------------------------------------
// Lexical pieces (XML 1.0 5th ed. §2.2, §2.3; Namespaces 1.0 §3)
// ---------------------------------------------------------------------------------------------

/** XML 1.0 §2.2 Char (after line-end normalisation CR is gone, so it is not listed). */
const NOT_CHAR = /[^\t\n\u0020-\uD7FF\uE000-\uFFFD\u{10000}-\u{10FFFF}]/u;
const NC_START =
  'A-Z_a-z\\u00C0-\\u00D6\\u00D8-\\u00F6\\u00F8-\\u02FF\\u0370-\\u037D\\u037F-\\u1FFF\\u200C-\\u200D' +
  '\\u2070-\\u218F\\u2C00-\\u2FEF\\u3001-\\uD7FF\\uF900-\\uFDCF\\uFDF0-\\uFFFD\\u{10000}-\\u{EFFFF}';
const NC_CHAR = `${NC_START}\\-.0-9\\u00B7\\u0300-\\u036F\\u203F-\\u2040`;
const NCNAME = `[${NC_START}][${NC_CHAR}]*`;
/** A QName (prefix, local part) at the position; a following name character means it was not one. */
// eslint-disable-next-line no-misleading-character-class -- XML 1.0 §2.3 NameChar includes the combining marks U+0300-036F
const QNAME = new RegExp(`(${NCNAME})(?::(${NCNAME}))?(?![${NC_CHAR}:])`, 'uy');
// eslint-disable-next-line no-misleading-character-class -- as for QNAME: the XML NameChar production
const PI_TARGET = new RegExp(`(${NCNAME})(?![${NC_CHAR}:])`, 'uy');
const SPACE = /[ \t\n]*/y;
const EQ = /[ \t\n]*=[ \t\n]*/y;
const END_TAG_TAIL = /[ \t\n]*>/y;
const XML_DECL =
  /<\?xml[ \t\n]+version[ \t\n]*=[ \t\n]*(?:"1\.0"|'1\.0')(?:[ \t\n]+encoding[ \t\n]*=[ \t\n]*(?:"[A-Za-z][\w.-]*"|'[A-Za-z][\w.-]*'))?(?:[ \t\n]+standalone[ \t\n]*=[ \t\n]*(?:"(?:yes|no)"|'(?:yes|no)'))?[ \t\n]*\?>/y;
const REFERENCE = /&(?:(amp|lt|gt|quot|apos)|#([0-9]+)|#x([0-9a-fA-F]+));/y;
const PREDEFINED: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" };
const ONLY_SPACE = /^[ \t\n]*$/;
/** A scheme, then no whitespace, '<', '>', '"' or '`' (RFC 3986 §3.1; characters no URI holds). */
const ABSOLUTE_URI = /^[A-Za-z][A-Za-z0-9+.-]*:[^\s<>"`]*$/;

function isChar(cp: number): boolean {
  return (
    cp === 0x9 ||
    cp === 0xa ||
    cp === 0xd ||
    (cp >= 0x20 && cp <= 0xd7ff) ||
    (cp >= 0xe000 && cp <= 0xfffd) ||
    (cp >= 0x10000 && cp <= 0x10ffff)
  );
}

interface OpenElement {
  el: SElement;
  /** prefix ('' = default) → namespace URI ('' = none) in scope */
  scope: Map<string, string>;
}

/**
 * Parses a complete document (see the top of this file). `text` is the decoded document (a leading
 * byte order mark is skipped). Throws StrictXmlError, with the line, on anything refused.
 */
export function parseStrict(input: string): SDocument {
  let text = input.charCodeAt(0) === 0xfeff ? input.slice(1) : input;
  if (text.includes('\r')) text = text.replace(/\r\n?/g, '\n');
  let pos = 0;
  const fail = (message: string, at = pos): never => {
    const line = text.slice(0, at).split('\n').length;
    throw new StrictXmlError(`line ${line}: ${message}`);
  };
  const bad = NOT_CHAR.exec(text);
  if (bad) fail(`character U+${bad[0].codePointAt(0)!.toString(16).toUpperCase().padStart(4, '0')} is not allowed in XML 1.0`, bad.index);

  /** Replaces the references in character data or an attribute value (§4.1, §4.6). */
  const decode = (s: string, at: number): string => {
    let amp = s.indexOf('&');
    if (amp < 0) return s;
    let out = '';
    let last = 0;
    while (amp >= 0) {
      REFERENCE.lastIndex = amp;
      const m = REFERENCE.exec(s);
      if (!m)
        fail(
          '"&" that does not start a character reference or one of &amp; &lt; &gt; &quot; &apos; (no other entity exists without a DTD)',
          at + amp,
        );
      let ch: string;
      if (m![1]) {
        ch = PREDEFINED[m![1]]!;
      } else {
        const cp = m![2] ? parseInt(m![2], 10) : parseInt(m![3]!, 16);
        if (!isChar(cp)) fail(`character reference ${m![0]} is not an XML 1.0 character`, at + amp);
        ch = String.fromCodePoint(cp);
      }
      out += s.slice(last, amp) + ch;
      last = REFERENCE.lastIndex;
      amp = s.indexOf('&', last);
    }
    return out + s.slice(last);
  };

  /** A QName at pos: [qname, prefix, local]; pos moves past it. */
  const qname = (what: string): [string, string, string] => {
    QNAME.lastIndex = pos;
    const m = QNAME.exec(text);
    if (!m) fail(`malformed ${what} name (a QName: NCName or prefix:NCName)`);
    pos = QNAME.lastIndex;
    return m![2] === undefined ? [m![1]!, '', m![1]!] : [m![0], m![1]!, m![2]];
  };

  const doc = new SDocument();
  const stack: OpenElement[] = [];
  let scope = new Map<string, string>([['', '']]);
  let parent: SElement | SDocument = doc;

  /** '<?' at pos: a processing instruction (the XML declaration was handled before). */
  const processingInstruction = (): void => {
    PI_TARGET.lastIndex = pos + 2;
    const m = PI_TARGET.exec(text);
    if (!m) fail('malformed processing instruction target (a name without a colon)');
    const target = m![1]!;
    if (/^xml$/i.test(target)) fail('an XML declaration is allowed only at the very start of the document');
    const end = text.indexOf('?>', PI_TARGET.lastIndex);
    if (end < 0) fail('unterminated processing instruction');
    let data = '';
    if (end > PI_TARGET.lastIndex) {
      SPACE.lastIndex = PI_TARGET.lastIndex;
      SPACE.exec(text);
      if (SPACE.lastIndex === PI_TARGET.lastIndex) fail('whitespace must separate a processing instruction target from its data');
      data = text.slice(SPACE.lastIndex, end);
    }
    append(parent, new SProcessingInstruction(target, data));
    pos = end + 2;
  };

  /** '<!--' at pos: a comment, checked and dropped. */
  const comment = (): void => {
    const dashes = text.indexOf('--', pos + 4);
    if (dashes < 0) fail('unterminated comment');
    if (text.charCodeAt(dashes + 2) !== 0x3e) fail('"--" inside a comment');
    pos = dashes + 3;
  };

  /** '<' + name at pos: a start tag or an empty-element tag. */
  const startTag = (): void => {
    pos++;
    const [name, prefix, local] = qname('element');
    const raw: Array<[string, string, string, string]> = []; // qname, prefix, local, value
    for (;;) {
      const before = pos;
      SPACE.lastIndex = pos;
      SPACE.exec(text);
      pos = SPACE.lastIndex;
      const c = text.charCodeAt(pos);
      if (c === 0x3e || (c === 0x2f && text.charCodeAt(pos + 1) === 0x3e)) break;
      if (pos === before) fail(`whitespace or the end of the tag expected in <${name}>`);
      const [aname, aprefix, alocal] = qname('attribute');
      EQ.lastIndex = pos;
      if (!EQ.exec(text)) fail(`"=" expected after attribute ${aname}`);
      pos = EQ.lastIndex;
      const quote = text[pos];
      if (quote !== '"' && quote !== "'") fail(`attribute ${aname} value is not quoted`);
      const end = text.indexOf(quote!, pos + 1);
      if (end < 0) fail(`unterminated value of attribute ${aname}`);
      let value = text.slice(pos + 1, end);
      if (value.includes('<')) fail(`"<" in the value of attribute ${aname}`, pos + 1 + value.indexOf('<'));
      // §3.3.3: each literal whitespace character becomes a space; references are replaced after.
      if (/[\t\n]/.test(value)) value = value.replace(/[\t\n]/g, ' ');
      value = decode(value, pos + 1);
      for (const r of raw) if (r[0] === aname) fail(`duplicate attribute ${aname} on <${name}>`);
      if (raw.length >= MAX_ATTRIBUTES) fail(`more than ${MAX_ATTRIBUTES} attributes on <${name}>`);
      raw.push([aname, aprefix, alocal, value]);
      pos = end + 1;
    }
    const empty = text.charCodeAt(pos) === 0x2f;
    pos += empty ? 2 : 1;

    // Namespace declarations first (Namespaces 1.0 §3), then the names they bind.
    let inScope = scope;
    const attrs: SAttr[] = [];
    for (const [aname, aprefix, alocal, value] of raw) {
      const declared = aname === 'xmlns' ? '' : aprefix === 'xmlns' ? alocal : undefined;
      if (declared === undefined) continue;
      if (declared === 'xmlns') fail('the xmlns prefix must not be declared');
      if (declared === 'xml' ? value !== XML_NS : value === XML_NS) fail(`only the xml prefix may be bound to ${XML_NS}, and only to it`);
      if (value === XMLNS_NS) fail(`${XMLNS_NS} must not be declared`);
      if (declared !== '' && value === '') fail(`xmlns:${declared}="" (XML 1.0 namespaces cannot undeclare a prefix)`);
      // C14N 1.0 §2: canonicalisation must fail on a relative namespace URI (libxml2 does; also on one with spaces).
      if (value !== '' && !ABSOLUTE_URI.test(value)) fail(`namespace name ${JSON.stringify(value)} is not an absolute URI`);
      if (inScope === scope) inScope = new Map(scope);
      inScope.set(declared, value);
    }
    const resolve = (p: string, what: string): string => {
      if (p === 'xml') return XML_NS;
      if (p === 'xmlns') fail(`the xmlns prefix cannot name ${what}`);
      const uri = inScope.get(p);
      if (uri === undefined) fail(`prefix ${p} of ${what} is not bound`);
      return uri!;
    };
    const uri = prefix ? resolve(prefix, `<${name}>`) : inScope.get('')!;
    for (const [aname, aprefix, alocal, value] of raw) {
      if (aname === 'xmlns' || aprefix === 'xmlns') continue;
      const auri = aprefix ? resolve(aprefix, `attribute ${aname}`) : '';
      if (auri && attrs.some((a) => a.namespaceURI === auri && a.localName === alocal)) {
        fail(`attributes ${aname} and another with the same namespace and local name on <${name}>`);
      }
      attrs.push({ name: aname, prefix: aprefix || null, localName: alocal, namespaceURI: auri || null, value });
    }
    if (parent === doc && doc.documentElement) fail('content after the root element');
    const el = new SElement(name, prefix || null, local, uri || null, attrs.length ? new SAttrList(attrs) : NO_ATTRS);
    el.parentNode = parent;
    append(parent, el);
    if (parent === doc) doc.documentElement = el;
    if (!empty) {
      if (stack.length >= MAX_DEPTH) fail(`elements nested deeper than ${MAX_DEPTH}`);
      stack.push({ el, scope });
      scope = inScope;
      parent = el;
    }
  };

  /** '</' at pos. */
  const endTag = (): void => {
    pos += 2;
    const [name] = qname('end tag');
    END_TAG_TAIL.lastIndex = pos;
    if (!END_TAG_TAIL.exec(text)) fail(`">" expected to end </${name}`);
    pos = END_TAG_TAIL.lastIndex;
    const open = stack.pop();
    if (!open || open.el.nodeName !== name) fail(open ? `</${name}> ends <${open.el.nodeName}>` : `</${name}> without a start tag`);
    scope = open!.scope;
    parent = open!.el.parentNode!;
  };

  const addText = (t: string): void => {
    if (parent === doc) {
      if (!ONLY_SPACE.test(t)) fail('text outside the root element');
      return;
    }
    const last = parent.lastChild;
    if (last && last.nodeType === 3) last.nodeValue += t;
    else append(parent, new SText(t));
  };

  if (text.startsWith('<?xml') && /[ \t\n?]/.test(text[5] ?? '')) {
    XML_DECL.lastIndex = 0;
    if (!XML_DECL.exec(text)) fail('malformed XML declaration, or a version other than 1.0');
    pos = XML_DECL.lastIndex;
  }
  const n = text.length;
  while (pos < n) {
    const lt = text.indexOf('<', pos);
    const end = lt < 0 ? n : lt;
    if (end > pos) {
      const t = text.slice(pos, end);
      const cdataEnd = t.indexOf(']]>');
      if (cdataEnd >= 0) fail('"]]>" in character data', pos + cdataEnd);
      addText(parent === doc ? t : decode(t, pos));
      pos = end;
      continue;
    }
    const c = text.charCodeAt(pos + 1);
    if (c === 0x2f) {
      endTag();
    } else if (c === 0x3f) {
      processingInstruction();
    } else if (c === 0x21) {
      if (text.startsWith('<!--', pos)) {
        comment();
      } else if (text.startsWith('<![CDATA[', pos)) {
        if (parent === doc) fail('a CDATA section outside the root element');
        const close = text.indexOf(']]>', pos + 9);
        if (close < 0) fail('unterminated CDATA section');
        addText(text.slice(pos + 9, close));
        pos = close + 3;
      } else if (text.startsWith('<!DOCTYPE', pos)) {
        fail('a DOCTYPE is not allowed');
      } else {
        fail('"<!" that starts neither a comment nor a CDATA section');
      }
    } else {
      startTag();
    }
  }
  if (stack.length) fail(`<${stack[stack.length - 1]!.el.nodeName}> is not closed`);
  if (!doc.documentElement) fail('no root element');
  return doc;
}

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

/** An attribute as read from the tag, before namespaces: qname, prefix, local, value. */
type RawAttr = [string, string, string, string];

/**
 * Parses a complete document (see the top of this file). `text` is the decoded document (a leading
 * byte order mark is skipped). Throws StrictXmlError, with the line, on anything refused.
 */
export function parseStrict(input: string): SDocument {
  return new StrictParser(input).document();
}

/**
 * One parse: the normalised text, the position in it, and the open elements with their namespace
 * scopes. One method per production of XML 1.0 (5th ed.; numbers in brackets), so nothing is
 * allocated per character or per element beyond the tree itself.
 */
class StrictParser {
  private readonly text: string;
  private pos = 0;
  private readonly doc = new SDocument();
  private readonly stack: OpenElement[] = [];
  private scope = new Map<string, string>([['', '']]);
  private parent: SElement | SDocument = this.doc;

  constructor(input: string) {
    let text = input.charCodeAt(0) === 0xfeff ? input.slice(1) : input;
    if (text.includes('\r')) text = text.replace(/\r\n?/g, '\n');
    this.text = text;
  }

  /** Refuses the document, naming the line of `at`. */
  private fail(message: string, at = this.pos): never {
    const line = this.text.slice(0, at).split('\n').length;
    throw new StrictXmlError(`line ${line}: ${message}`);
  }

  /** document [1]: the characters (Char [2]), the XML declaration, then content up to the end. */
  document(): SDocument {
    const bad = NOT_CHAR.exec(this.text);
    if (bad)
      this.fail(`character U+${bad[0].codePointAt(0)!.toString(16).toUpperCase().padStart(4, '0')} is not allowed in XML 1.0`, bad.index);
    this.xmlDecl();
    this.content();
    if (this.stack.length) this.fail(`<${this.stack[this.stack.length - 1]!.el.nodeName}> is not closed`);
    if (!this.doc.documentElement) this.fail('no root element');
    return this.doc;
  }

  /** XMLDecl [23] (with VersionInfo [24], EncodingDecl [80], SDDecl [32]): version 1.0 only. */
  private xmlDecl(): void {
    const text = this.text;
    if (text.startsWith('<?xml') && /[ \t\n?]/.test(text[5] ?? '')) {
      XML_DECL.lastIndex = 0;
      if (!XML_DECL.exec(text)) this.fail('malformed XML declaration, or a version other than 1.0');
      this.pos = XML_DECL.lastIndex;
    }
  }

  /** prolog [22], element [39], content [43], Misc [27]: text up to the next '<', then the markup there. */
  private content(): void {
    const text = this.text;
    const n = text.length;
    while (this.pos < n) {
      const lt = text.indexOf('<', this.pos);
      const end = lt < 0 ? n : lt;
      if (end > this.pos) {
        this.charData(end);
        continue;
      }
      const c = text.charCodeAt(this.pos + 1);
      if (c === 0x2f) this.endTag();
      else if (c === 0x3f) this.processingInstruction();
      else if (c === 0x21) this.markupDeclaration();
      else this.startTag();
    }
  }

  /** CharData [14] with references (content [43]) up to `end`; outside the root only whitespace (S [3]). */
  private charData(end: number): void {
    const t = this.text.slice(this.pos, end);
    const cdataEnd = t.indexOf(']]>');
    if (cdataEnd >= 0) this.fail('"]]>" in character data', this.pos + cdataEnd);
    this.addText(this.parent === this.doc ? t : this.decode(t, this.pos));
    this.pos = end;
  }

  /** '<!' at pos: Comment [15], CDSect [18], or a doctypedecl [28], which is refused. */
  private markupDeclaration(): void {
    const text = this.text;
    if (text.startsWith('<!--', this.pos)) {
      this.comment();
    } else if (text.startsWith('<![CDATA[', this.pos)) {
      this.cdSect();
    } else if (text.startsWith('<!DOCTYPE', this.pos)) {
      this.fail('a DOCTYPE is not allowed');
    } else {
      this.fail('"<!" that starts neither a comment nor a CDATA section');
    }
  }

  /** Comment [15] at pos: checked and dropped. */
  private comment(): void {
    const dashes = this.text.indexOf('--', this.pos + 4);
    if (dashes < 0) this.fail('unterminated comment');
    if (this.text.charCodeAt(dashes + 2) !== 0x3e) this.fail('"--" inside a comment');
    this.pos = dashes + 3;
  }

  /** CDSect [18] at pos: its text joins the adjacent text (C14N writes both as text). */
  private cdSect(): void {
    if (this.parent === this.doc) this.fail('a CDATA section outside the root element');
    const close = this.text.indexOf(']]>', this.pos + 9);
    if (close < 0) this.fail('unterminated CDATA section');
    this.addText(this.text.slice(this.pos + 9, close));
    this.pos = close + 3;
  }

  /** PI [16] at pos, with PITarget [17] (the XML declaration was handled before). */
  private processingInstruction(): void {
    const text = this.text;
    PI_TARGET.lastIndex = this.pos + 2;
    const m = PI_TARGET.exec(text);
    if (!m) this.fail('malformed processing instruction target (a name without a colon)');
    const target = m![1]!;
    if (/^xml$/i.test(target)) this.fail('an XML declaration is allowed only at the very start of the document');
    const end = text.indexOf('?>', PI_TARGET.lastIndex);
    if (end < 0) this.fail('unterminated processing instruction');
    let data = '';
    if (end > PI_TARGET.lastIndex) {
      SPACE.lastIndex = PI_TARGET.lastIndex;
      SPACE.exec(text);
      if (SPACE.lastIndex === PI_TARGET.lastIndex) this.fail('whitespace must separate a processing instruction target from its data');
      data = text.slice(SPACE.lastIndex, end);
    }
    append(this.parent, new SProcessingInstruction(target, data));
    this.pos = end + 2;
  }

  /** Appends text to the open element, merged with a text node before it; outside the root only whitespace. */
  private addText(t: string): void {
    const parent = this.parent;
    if (parent === this.doc) {
      if (!ONLY_SPACE.test(t)) this.fail('text outside the root element');
      return;
    }
    const last = parent.lastChild;
    if (last && last.nodeType === 3) last.nodeValue += t;
    else append(parent, new SText(t));
  }

  /** Replaces the references (Reference [67], CharRef [66]) in character data or an attribute value (§4.1, §4.6). */
  private decode(s: string, at: number): string {
    let amp = s.indexOf('&');
    if (amp < 0) return s;
    let out = '';
    let last = 0;
    while (amp >= 0) {
      REFERENCE.lastIndex = amp;
      const m = REFERENCE.exec(s);
      if (!m)
        this.fail(
          '"&" that does not start a character reference or one of &amp; &lt; &gt; &quot; &apos; (no other entity exists without a DTD)',
          at + amp,
        );
      let ch: string;
      if (m![1]) {
        ch = PREDEFINED[m![1]]!;
      } else {
        const cp = m![2] ? parseInt(m![2], 10) : parseInt(m![3]!, 16);
        if (!isChar(cp)) this.fail(`character reference ${m![0]} is not an XML 1.0 character`, at + amp);
        ch = String.fromCodePoint(cp);
      }
      out += s.slice(last, amp) + ch;
      last = REFERENCE.lastIndex;
      amp = s.indexOf('&', last);
    }
    return out + s.slice(last);
  }

  /** A QName (Namespaces 1.0 [7]) at pos: [qname, prefix, local]; pos moves past it. */
  private qname(what: string): [string, string, string] {
    QNAME.lastIndex = this.pos;
    const m = QNAME.exec(this.text);
    if (!m) this.fail(`malformed ${what} name (a QName: NCName or prefix:NCName)`);
    this.pos = QNAME.lastIndex;
    return m![2] === undefined ? [m![1]!, '', m![1]!] : [m![0], m![1]!, m![2]];
  }

  /** STag [40] or EmptyElemTag [44] at pos ('<' + name): the element, opened unless empty. */
  private startTag(): void {
    this.pos++;
    const [name, prefix, local] = this.qname('element');
    const raw = this.attributes(name);
    const empty = this.text.charCodeAt(this.pos) === 0x2f;
    this.pos += empty ? 2 : 1;

    // Namespace declarations first (Namespaces 1.0 §3), then the names they bind.
    const inScope = this.declareNamespaces(raw);
    const uri = prefix ? this.resolve(inScope, prefix, `<${name}>`) : inScope.get('')!;
    const attrs = this.bindAttributes(raw, name, inScope);
    const parent = this.parent;
    if (parent === this.doc && this.doc.documentElement) this.fail('content after the root element');
    const el = new SElement(name, prefix || null, local, uri || null, attrs.length ? new SAttrList(attrs) : NO_ATTRS);
    el.parentNode = parent;
    append(parent, el);
    if (parent === this.doc) this.doc.documentElement = el;
    if (!empty) {
      if (this.stack.length >= MAX_DEPTH) this.fail(`elements nested deeper than ${MAX_DEPTH}`);
      this.stack.push({ el, scope: this.scope });
      this.scope = inScope;
      this.parent = el;
    }
  }

  /** The (S Attribute)* S? of STag [40] / EmptyElemTag [44] for <name>; pos stops at '>' or '/>'. */
  private attributes(name: string): RawAttr[] {
    const text = this.text;
    const raw: RawAttr[] = [];
    for (;;) {
      const before = this.pos;
      SPACE.lastIndex = this.pos;
      SPACE.exec(text);
      this.pos = SPACE.lastIndex;
      const c = text.charCodeAt(this.pos);
      if (c === 0x3e || (c === 0x2f && text.charCodeAt(this.pos + 1) === 0x3e)) return raw;
      if (this.pos === before) this.fail(`whitespace or the end of the tag expected in <${name}>`);
      this.attribute(name, raw);
    }
  }

  /** Attribute [41] (Eq [25], AttValue [10]) at pos, its value normalised (§3.3.3) and decoded, added to `raw`. */
  private attribute(name: string, raw: RawAttr[]): void {
    const text = this.text;
    const [aname, aprefix, alocal] = this.qname('attribute');
    EQ.lastIndex = this.pos;
    if (!EQ.exec(text)) this.fail(`"=" expected after attribute ${aname}`);
    this.pos = EQ.lastIndex;
    const quote = text[this.pos];
    if (quote !== '"' && quote !== "'") this.fail(`attribute ${aname} value is not quoted`);
    const end = text.indexOf(quote!, this.pos + 1);
    if (end < 0) this.fail(`unterminated value of attribute ${aname}`);
    let value = text.slice(this.pos + 1, end);
    if (value.includes('<')) this.fail(`"<" in the value of attribute ${aname}`, this.pos + 1 + value.indexOf('<'));
    // §3.3.3: each literal whitespace character becomes a space; references are replaced after.
    if (/[\t\n]/.test(value)) value = value.replace(/[\t\n]/g, ' ');
    value = this.decode(value, this.pos + 1);
    for (const r of raw) if (r[0] === aname) this.fail(`duplicate attribute ${aname} on <${name}>`);
    if (raw.length >= MAX_ATTRIBUTES) this.fail(`more than ${MAX_ATTRIBUTES} attributes on <${name}>`);
    raw.push([aname, aprefix, alocal, value]);
    this.pos = end + 1;
  }

  /** Namespaces 1.0 §3 (NSAttName [1]): the scope of the new element, a copy only if it declares something. */
  private declareNamespaces(raw: RawAttr[]): Map<string, string> {
    const scope = this.scope;
    let inScope = scope;
    for (const [aname, aprefix, alocal, value] of raw) {
      const declared = aname === 'xmlns' ? '' : aprefix === 'xmlns' ? alocal : undefined;
      if (declared === undefined) continue;
      if (declared === 'xmlns') this.fail('the xmlns prefix must not be declared');
      if (declared === 'xml' ? value !== XML_NS : value === XML_NS)
        this.fail(`only the xml prefix may be bound to ${XML_NS}, and only to it`);
      if (value === XMLNS_NS) this.fail(`${XMLNS_NS} must not be declared`);
      if (declared !== '' && value === '') this.fail(`xmlns:${declared}="" (XML 1.0 namespaces cannot undeclare a prefix)`);
      // C14N 1.0 §2: canonicalisation must fail on a relative namespace URI (libxml2 does; also on one with spaces).
      if (value !== '' && !ABSOLUTE_URI.test(value)) this.fail(`namespace name ${JSON.stringify(value)} is not an absolute URI`);
      if (inScope === scope) inScope = new Map(scope);
      inScope.set(declared, value);
    }
    return inScope;
  }

  /** The namespace URI of a prefix in scope (Namespaces 1.0 §3, §5); xml is always bound, xmlns never usable. */
  private resolve(inScope: Map<string, string>, p: string, what: string): string {
    if (p === 'xml') return XML_NS;
    if (p === 'xmlns') this.fail(`the xmlns prefix cannot name ${what}`);
    const uri = inScope.get(p);
    if (uri === undefined) this.fail(`prefix ${p} of ${what} is not bound`);
    return uri!;
  }

  /** The attributes other than namespace declarations, with their namespaces; unique by expanded name (§6.3). */
  private bindAttributes(raw: RawAttr[], name: string, inScope: Map<string, string>): SAttr[] {
    const attrs: SAttr[] = [];
    for (const [aname, aprefix, alocal, value] of raw) {
      if (aname === 'xmlns' || aprefix === 'xmlns') continue;
      const auri = aprefix ? this.resolve(inScope, aprefix, `attribute ${aname}`) : '';
      if (auri) {
        for (const a of attrs) {
          if (a.namespaceURI === auri && a.localName === alocal) {
            this.fail(`attributes ${aname} and another with the same namespace and local name on <${name}>`);
          }
        }
      }
      attrs.push({ name: aname, prefix: aprefix || null, localName: alocal, namespaceURI: auri || null, value });
    }
    return attrs;
  }

  /** ETag [42] at pos: closes the open element of the same name. */
  private endTag(): void {
    this.pos += 2;
    const [name] = this.qname('end tag');
    END_TAG_TAIL.lastIndex = this.pos;
    if (!END_TAG_TAIL.exec(this.text)) this.fail(`">" expected to end </${name}`);
    this.pos = END_TAG_TAIL.lastIndex;
    const open = this.stack.pop();
    if (!open || open.el.nodeName !== name) this.fail(open ? `</${name}> ends <${open.el.nodeName}>` : `</${name}> without a start tag`);
    this.scope = open!.scope;
    this.parent = open!.el.parentNode!;
  }
}

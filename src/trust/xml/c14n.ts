// Exclusive XML Canonicalization 1.0 without comments (W3C exc-c14n, over C14N 1.0 §2/§4), the one
// canonicalisation every segl signature uses, in two directions:
//
// - reading: canonicalise(node, exclude) serialises a parsed subtree or document (xmldom's, or the
//   verifier's own strictxml.ts tree: both have the shape of C14nElement below), optionally
//   without one element (the signature an enveloped-signature transform removes, XMLDSig 1.1 §6.6.4),
//   directly from the parsed DOM: no clone, no node-set. No InclusiveNamespaces PrefixList (callers
//   that meet one use another implementation).
// - writing: el()/render() build elements whose serialisation IS their exclusive canonical form, in
//   any context that binds none of their prefixes (see render), so a signer can digest the very bytes
//   it writes without parsing them back.
//   An apex may declare namespaces it does not use (XEl.decls): its canonical form under an
//   InclusiveNamespaces PrefixList naming them (exc-c14n §3) keeps them, so it is still what is written.
//
// The rules (exc-c14n §3, C14N 1.0 §2.3): no XML declaration or DTD; comments dropped; empty elements
// as start-end pairs; a namespace declaration is written on an element only when the element or one
// of its attributes visibly uses that prefix and the nearest output ancestor did not already write
// the same binding (xmlns="" only to undo a written default); declarations sorted by prefix, then the
// attributes sorted by namespace URI and local name; text escapes & < > and CR, attribute values
// & < " TAB LF CR; CDATA as text; document-level PIs separated from the root by a line feed.

/** What canonicalise reads of a node (DOM names): xmldom's nodes and strictxml.ts's are both this. */
export interface C14nNode {
  readonly nodeType: number;
  readonly nodeName: string;
  readonly nodeValue: string | null;
  readonly firstChild: C14nNode | null;
  readonly nextSibling: C14nNode | null;
}

export interface C14nAttr {
  readonly name: string;
  readonly prefix: string | null;
  readonly localName: string | null;
  readonly namespaceURI: string | null;
  readonly value: string;
}

export interface C14nElement extends C14nNode {
  readonly prefix: string | null;
  readonly localName: string | null;
  readonly namespaceURI: string | null;
  readonly attributes: { readonly length: number; item(i: number): C14nAttr | null };
}

const XMLNS_NS = 'http://www.w3.org/2000/xmlns/';
const XML_NS = 'http://www.w3.org/XML/1998/namespace';

const TEXT_ESC: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '\r': '&#xD;' };
const ATTR_ESC: Record<string, string> = { '&': '&amp;', '<': '&lt;', '"': '&quot;', '\t': '&#x9;', '\n': '&#xA;', '\r': '&#xD;' };

/** Character data as C14N writes it (C14N 1.0 §2.3 text nodes). */
export function c14nText(s: string): string {
  return /[&<>\r]/.test(s) ? s.replace(/[&<>\r]/g, (c) => TEXT_ESC[c]!) : s;
}

/** An attribute value as C14N writes it (C14N 1.0 §2.3 attribute nodes). */
export function c14nAttr(s: string): string {
  return /[&<"\t\n\r]/.test(s) ? s.replace(/[&<"\t\n\r]/g, (c) => ATTR_ESC[c]!) : s;
}

/** Compares by Unicode code point (C14N sorts by UCS codepoint; JS `<` compares UTF-16 units). */
export function compareCodePoints(a: string, b: string): number {
  if (a === b) return 0;
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const x = a.charCodeAt(i);
    const y = b.charCodeAt(i);
    if (x !== y) {
      // A surrogate (D800–DFFF) stands for a code point above FFFF: it sorts after E000–FFFF.
      const xs = x >= 0xd800 && x <= 0xdfff;
      const ys = y >= 0xd800 && y <= 0xdfff;
      if (xs !== ys) return xs ? 1 : -1;
      return x - y;
    }
  }
  return a.length - b.length;
}

// ---------------------------------------------------------------------------------------------
// Reading: canonicalising a parsed DOM
// ---------------------------------------------------------------------------------------------

/** prefix ('' = default) → namespace URI ('' = none) as written by the output ancestors. */
type Rendered = Map<string, string>;

const EMPTY_CONTEXT: Rendered = new Map([['', '']]);

function renderElement(el: C14nElement, ctx: Rendered, exclude: C14nNode | undefined, out: string[]): void {
  const prefix = el.prefix ?? '';
  const qname = prefix ? `${prefix}:${el.localName}` : (el.localName ?? el.nodeName);
  // Namespaces visibly utilised: the element's own, and each prefixed attribute's (never xml:).
  const used: Array<[string, string]> = [[prefix, el.namespaceURI ?? '']];
  const attrs: Array<{ uri: string; local: string; name: string; value: string }> = [];
  const list = el.attributes;
  for (let i = 0; i < list.length; i++) {
    const a = list.item(i)!;
    const uri = a.namespaceURI ?? '';
    if (uri === XMLNS_NS || a.name === 'xmlns' || a.prefix === 'xmlns') continue;
    const p = a.prefix ?? '';
    const local = a.localName ?? a.name;
    if (p && p !== 'xml') {
      if (!used.some(([q]) => q === p)) used.push([p, uri]);
    }
    attrs.push({ uri: p === 'xml' ? XML_NS : uri, local, name: p ? `${p}:${local}` : local, value: a.value });
  }
  let next = ctx;
  const decls: Array<[string, string]> = [];
  for (const [p, uri] of used) {
    if (p === 'xml') continue;
    if ((ctx.get(p) ?? (p === '' ? '' : undefined)) === uri) continue;
    if (p !== '' && uri === '') throw new Error(`canonicalisation: prefix ${p} is not bound`);
    decls.push([p, uri]);
  }
  out.push('<', qname);
  if (decls.length) {
    next = new Map(ctx);
    decls.sort((a, b) => compareCodePoints(a[0], b[0]));
    for (const [p, uri] of decls) {
      next.set(p, uri);
      out.push(p ? ` xmlns:${p}="` : ' xmlns="', c14nAttr(uri), '"');
    }
  }
  if (attrs.length > 1) attrs.sort((a, b) => compareCodePoints(a.uri, b.uri) || compareCodePoints(a.local, b.local));
  for (const a of attrs) out.push(' ', a.name, '="', c14nAttr(a.value), '"');
  out.push('>');
  renderChildren(el, next, exclude, out);
  out.push('</', qname, '>');
}

function renderChildren(parent: C14nNode, ctx: Rendered, exclude: C14nNode | undefined, out: string[]): void {
  for (let n = parent.firstChild; n; n = n.nextSibling) {
    switch (n.nodeType) {
      case 1:
        if (n !== exclude) renderElement(n as C14nElement, ctx, exclude, out);
        break;
      case 3:
      case 4:
        out.push(c14nText(n.nodeValue ?? ''));
        break;
      case 7:
        out.push(pi(n));
        break;
      case 8:
        break;
      default:
        throw new Error(`canonicalisation: unsupported node type ${n.nodeType}`);
    }
  }
}

function pi(n: C14nNode): string {
  const data = n.nodeValue ?? '';
  return `<?${n.nodeName}${data ? ` ${data}` : ''}?>`;
}

/**
 * Exclusive C14N (without comments, no PrefixList) of `node`: an element's subtree, or a whole
 * document (the root element, with processing instructions before it followed by LF and after it
 * preceded by LF; the XML declaration is not a node). `exclude` is left out with its subtree.
 */
export function canonicalise(node: C14nNode, exclude?: C14nNode): string {
  return renderPieces(node, exclude).join('');
}

/** What `update` takes: a node:crypto Hash (UTF-8 strings). */
export interface C14nSink {
  update(data: string, encoding: 'utf8'): unknown;
}

/** Pieces at least this long are handed to the sink as they are; shorter ones are joined first (fewer calls). */
const PIECE = 64 * 1024;

/**
 * canonicalise(node, exclude) fed to `sink` as UTF-8, piece by piece, for a digest: the same octets, but never one
 * string. A document of tens of MB in a text node (an LTV-SDO's attached PDF, base64) is hashed where it lies: the
 * joined canonical form and its UTF-8 copy were two more copies of it at once.
 */
export function canonicalHash(node: C14nNode, exclude: C14nNode | undefined, sink: C14nSink): void {
  let small = '';
  const flush = (): void => {
    if (small) sink.update(small, 'utf8');
    small = '';
  };
  for (const piece of renderPieces(node, exclude)) {
    if (piece.length >= PIECE) {
      flush();
      // In slices: node:crypto encodes a string argument whole into a temporary buffer first. A cut never falls
      // between the two halves of a surrogate pair, which would each encode as U+FFFD.
      for (let at = 0; at < piece.length;) {
        let end = Math.min(piece.length, at + PIECE);
        const c = piece.charCodeAt(end);
        if (end < piece.length && c >= 0xdc00 && c <= 0xdfff) end++;
        sink.update(piece.slice(at, end), 'utf8');
        at = end;
      }
    } else {
      small += piece;
      if (small.length >= PIECE) flush();
    }
  }
  flush();
}

function renderPieces(node: C14nNode, exclude?: C14nNode): string[] {
  const out: string[] = [];
  if (node.nodeType === 1) {
    if (node !== exclude) renderElement(node as C14nElement, EMPTY_CONTEXT, exclude, out);
    return out;
  }
  let seenRoot = false;
  for (let n = node.firstChild; n; n = n.nextSibling) {
    if (n.nodeType === 1) {
      seenRoot = true;
      if (n !== exclude) renderElement(n as C14nElement, EMPTY_CONTEXT, exclude, out);
    } else if (n.nodeType === 7 && n.nodeName !== 'xml') {
      out.push(seenRoot ? `\n${pi(n)}` : `${pi(n)}\n`);
    }
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// Writing: elements that are canonical as written
// ---------------------------------------------------------------------------------------------

/** An element to write: qualified name, the namespace its prefix (or the default) stands for, unprefixed attributes, children. */
export interface XEl {
  name: string;
  ns: string;
  attrs: Array<[string, string]>;
  children: XChild[];
  /**
   * Further namespace declarations (prefix, '' for the default → URI) written on the element whatever
   * it uses: what an InclusiveNamespaces PrefixList (exc-c14n §3) keeps on a signed apex. Only for
   * an apex whose PrefixList names each of these prefixes; elsewhere exclusive C14N drops them.
   */
  decls?: Array<[string, string]>;
}

/** Text (escaped on output), an element, or a canonical fragment written as is (see raw). */
export type XChild = string | XEl | { raw: string } | undefined | false;

/**
 * An element in namespace `ns` (its prefix is the one in `name`; none = the default namespace).
 * Attributes are unprefixed, undefined values are left out; they are sorted when written.
 */
export function el(name: string, ns: string, attrs: Record<string, string | number | undefined> | null, ...children: XChild[]): XEl {
  const list: Array<[string, string]> = [];
  for (const [k, v] of Object.entries(attrs ?? {})) {
    if (v === undefined) continue;
    if (k.includes(':') || k === 'xmlns') throw new Error(`el: only unprefixed attributes (${k})`);
    list.push([k, String(v)]);
  }
  list.sort((a, b) => compareCodePoints(a[0], b[0]));
  return { name, ns, attrs: list, children };
}

/**
 * A fragment already in canonical form that declares every prefix it uses on its own outermost
 * element, uses no default namespace, and contains no xml:* attribute: written unchanged. (Valid
 * wherever the enclosing elements bind none of its prefixes, e.g. a ds:Signature inside an LTV-SDO.)
 */
export function raw(canonical: string): { raw: string } {
  return { raw: canonical };
}

/**
 * Writes `e` as exclusive C14N would write it when its nearest output ancestors have written the
 * bindings in `context` (prefix → URI; omit for an apex, e.g. a signed subtree or a document root).
 */
export function render(e: XEl, context: Record<string, string> = {}): string {
  const out: string[] = [];
  const ctx: Rendered = new Map([['', ''], ...Object.entries(context)]);
  write(e, ctx, out);
  return out.join('');
}

/** XML 1.0 §2.2 Char, without the C0 controls other than TAB, LF, CR (lone surrogates included). */
const NOT_XML_CHAR = /[^\t\n\r\u0020-\uD7FF\uE000-\uFFFD\u{10000}-\u{10FFFF}]/u;

function xmlChars(s: string): string {
  if (NOT_XML_CHAR.test(s)) throw new Error('text contains characters XML 1.0 cannot carry');
  return s;
}

function write(e: XEl, ctx: Rendered, out: string[]): void {
  const colon = e.name.indexOf(':');
  const prefix = colon < 0 ? '' : e.name.slice(0, colon);
  let next = ctx;
  out.push('<', e.name);
  const decls = new Map<string, string>(e.decls ?? []);
  decls.set(prefix, e.ns);
  for (const [p, uri] of [...decls].sort((a, b) => compareCodePoints(a[0], b[0]))) {
    if (ctx.get(p) === uri) continue;
    if (next === ctx) next = new Map(ctx);
    next.set(p, uri);
    out.push(p ? ` xmlns:${p}="` : ' xmlns="', c14nAttr(uri), '"');
  }
  for (const [k, v] of e.attrs) out.push(' ', k, '="', c14nAttr(xmlChars(v)), '"');
  out.push('>');
  for (const c of e.children) {
    if (c === undefined || c === false) continue;
    if (typeof c === 'string') out.push(c14nText(xmlChars(c)));
    else if ('raw' in c) out.push(c.raw);
    else write(c, next, out);
  }
  out.push('</', e.name, '>');
}

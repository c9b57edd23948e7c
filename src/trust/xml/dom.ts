// Small XML/DOM helpers shared by the trust modules (XAdES, LTV-SDO): one DOM implementation
// (@xmldom/xmldom 0.9) wired into xadesjs/xmldsigjs, a strict parser, a serializer that keeps
// carriage returns, escaping, and namespace-aware child lookups.
//
// tsconfig has no DOM lib, so DOM objects are typed with xmldom's own declarations.
import { DOMImplementation, DOMParser, XMLSerializer, type Document, type Element, type Node } from '@xmldom/xmldom';
import * as xadesjs from 'xadesjs';

import { crypto } from '../crypto';

/**
 * The little of `xpath` segl uses. Its typings pull lib "dom" into the whole program (which compiles without DOM types),
 * so it is loaded untyped.
 */
export interface XPathModule {
  useNamespaces(ns: Record<string, string>): (expr: string, node: unknown) => unknown;
}
// eslint-disable-next-line @typescript-eslint/no-require-imports -- untyped on purpose: see the comment above
export const xpath = require('xpath') as XPathModule;

export type { Document, Element, Node };

/** Namespaces (W3C XMLDSig 1.1 §2.1, ETSI EN 319 132-1 §4.2 / Annex A). */
export const NS = {
  ds: 'http://www.w3.org/2000/09/xmldsig#',
  xades: 'http://uri.etsi.org/01903/v1.3.2#',
  xades141: 'http://uri.etsi.org/01903/v1.4.1#',
  xmlns: 'http://www.w3.org/2000/xmlns/',
} as const;

let wired = false;
/**
 * Sets xadesjs up once for every trust module (stack-notes §Q2): xmldom and xpath as its DOM
 * implementation (without them: "Node dependency not found: DOMParser") and Node's WebCrypto as its
 * engine — which also sets pkijs's process-global engine, to the same implementation crypto.ts uses.
 */
export function useXades(): void {
  if (wired) return;
  xadesjs.setNodeDependencies({ DOMParser, XMLSerializer, DOMImplementation, xpath });
  xadesjs.Application.setEngine('NodeJS', crypto as never);
  wired = true;
}

export class XmlParseError extends Error {
  override name = 'XmlParseError';
}

/**
 * Parses a complete XML document strictly: any xmldom error or fatal error throws XmlParseError
 * (xmldom 0.9 only logs non-fatal errors by default), and a document type declaration is refused
 * outright, so no entity of any kind (internal, external, parameter) can be declared or expanded.
 */
export function parseXml(text: string, what = 'XML'): Document {
  if (/<!DOCTYPE/i.test(text)) throw new XmlParseError(`${what}: a DOCTYPE is not allowed`);
  let doc: Document;
  try {
    doc = new DOMParser({
      // XML 1.0 §2.11 (what libxml2/xmlsec1 do). xmldom's default follows XML 1.1 and also turns
      // U+0085, U+2028 and U+2029 into LF, which would change signed text.
      normalizeLineEndings: (s: string) => s.replace(/\r\n?/g, '\n'),
      onError: (level: string, message: string) => {
        if (level !== 'warning') throw new XmlParseError(`${what}: ${message}`);
      },
    }).parseFromString(text, 'text/xml');
  } catch (e) {
    if (e instanceof XmlParseError) throw e;
    throw new XmlParseError(`${what}: ${(e as Error).message}`);
  }
  if (!doc.documentElement) throw new XmlParseError(`${what}: no root element`);
  return doc;
}

/** Characters a parser may rewrite on the way in: CR (XML 1.0 §2.11) and NEL/LS/PS (XML 1.1 §2.11, xmldom's default). */
export const FRAGILE_LINE_CHARS = /[\r\u0085\u2028\u2029]/;

/**
 * Serializes a node with xmldom so that the result parses back to the same canonical form
 * (W3C C14N 1.0 / Exclusive C14N), which every signature over it depends on.
 *
 * xmldom escapes CR, TAB and LF in attribute values but writes CR raw in text, and a raw CR becomes
 * LF in the next parser (XML 1.0 §2.11); a parser following XML 1.1 line-end rules (xmldom's default)
 * also turns NEL, LS and PS into LF. So those four characters are written as character references,
 * which no parser normalises. They can be escaped only in text and attribute values, so CDATA sections
 * holding them are first replaced by equal text nodes (C14N treats CDATA as text, §2.3 of C14N 1.0),
 * and a processing instruction holding one makes this throw (neither is signable there). In a
 * comment the reference is written literally: comments are outside every C14N used here (the
 * without-comments variants). The CDATA replacement happens in place.
 */
export function serializeXml(node: Node): string {
  const serializer = new XMLSerializer();
  let out = serializer.serializeToString(node);
  if (!FRAGILE_LINE_CHARS.test(out)) return out;
  const walk = (n: Node): void => {
    for (let c = n.firstChild; c;) {
      const next = c.nextSibling;
      if (c.nodeType === 4 && FRAGILE_LINE_CHARS.test(c.nodeValue ?? '')) {
        const doc = c.ownerDocument;
        if (!doc) throw new Error('serializeXml: CDATA section without a document');
        n.replaceChild(doc.createTextNode(c.nodeValue ?? ''), c);
      } else if (c.nodeType === 7 && FRAGILE_LINE_CHARS.test(c.nodeValue ?? '')) {
        throw new Error('serializeXml: a processing instruction holds CR, NEL, LS or PS');
      } else if (c.nodeType === 1) {
        walk(c);
      }
      c = next;
    }
  };
  walk(node);
  out = serializer.serializeToString(node);
  return out.replace(/[\r\u0085\u2028\u2029]/g, (ch) => `&#${ch.charCodeAt(0)};`);
}

/** XML 1.0 §2.2 Char, without the C0 controls other than TAB, LF, CR. */
const NOT_XML_CHAR = /[^\t\n\r\u0020-\uD7FF\uE000-\uFFFD\u{10000}-\u{10FFFF}]/u;

/** True when every character of `s` may appear in an XML 1.0 document. */
export function isXmlText(s: string): boolean {
  return !NOT_XML_CHAR.test(s);
}

/** Element children of `parent`, optionally only those with the given namespace and local name. */
export function childElements(parent: Node, ns?: string, localName?: string): Element[] {
  const out: Element[] = [];
  for (let n = parent.firstChild; n; n = n.nextSibling) {
    if (n.nodeType !== 1) continue;
    const el = n as Element;
    if (ns !== undefined && el.namespaceURI !== ns) continue;
    if (localName !== undefined && el.localName !== localName) continue;
    out.push(el);
  }
  return out;
}

/** The first child element with this namespace and local name, or undefined. */
export function childElement(parent: Node, ns: string, localName: string): Element | undefined {
  return childElements(parent, ns, localName)[0];
}

/** All descendant elements (document order) with this namespace and local name. */
export function descendants(root: Document | Element, ns: string, localName: string): Element[] {
  const list = root.getElementsByTagNameNS(ns, localName);
  const out: Element[] = [];
  for (let i = 0; i < list.length; i++) out.push(list.item(i) as Element);
  return out;
}

/** Text content of an element ('' for null). */
export function textOf(el: Element | undefined | null): string {
  return el?.textContent ?? '';
}

/** Decodes base64 text that may contain XML whitespace (XML Schema base64Binary). */
export function base64Bytes(text: string): Uint8Array<ArrayBuffer> {
  const clean = text.replace(/[\s]/g, '');
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(clean) || clean.length % 4 !== 0) throw new Error('invalid base64 content');
  return new Uint8Array(Buffer.from(clean, 'base64'));
}

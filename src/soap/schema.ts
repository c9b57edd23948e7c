// The XML Schema inside segl's WSDL, read at start into a small model that drives both decoding
// of requests and encoding of responses (element order = xsd:sequence order).
import { parseXml, type XNode } from './xml';

const XSD = 'http://www.w3.org/2001/XMLSchema';
const WSDL = 'http://schemas.xmlsoap.org/wsdl/';

export type Builtin = 'string' | 'int' | 'integer' | 'boolean' | 'dateTime' | 'base64Binary' | 'anyType';
const BUILTINS = new Set<string>(['string', 'int', 'integer', 'boolean', 'dateTime', 'base64Binary', 'anyType']);

/** A type reference: an XSD builtin or a named type of the target namespace. */
export type TypeRef = { builtin: Builtin } | { named: string };

export interface ElementDecl {
  name: string;
  key: string; // camelCase of name: the property in decoded objects
  type: TypeRef;
  min: number;
  max: number;
  nillable: boolean;
  default?: string;
  /**
   * Set on the elements of a repeated xsd:choice (maxOccurs > 1): the key of the one list that
   * holds them in document order, each item `{ [element key]: value }` (JAXB's `getAOrB()`).
   */
  choice?: string;
}
export interface AttributeDecl {
  name: string;
  key: string;
  type: TypeRef;
  required: boolean;
}
export interface ComplexType {
  name: string;
  base?: string;
  elements: ElementDecl[]; // base elements first, as XSD extension orders them
  attributes: AttributeDecl[];
  simpleContent?: TypeRef;
}
export interface SimpleType {
  name: string;
  base: Builtin;
  enumeration?: string[];
}

export interface Schema {
  targetNamespace: string;
  elements: Map<string, ComplexType>; // global elements (all have anonymous or named complex types)
  complexTypes: Map<string, ComplexType>;
  simpleTypes: Map<string, SimpleType>;
  /** named type → itself and every type that extends it (transitively) */
  subtypes: Map<string, Set<string>>;
}

export const camel = (s: string): string => s.replace(/-([a-z0-9])/g, (_, c: string) => c.toUpperCase());

function kids(n: XNode, local: string): XNode[] {
  return n.children.filter((c) => c.uri === XSD && c.local === local);
}
function kid(n: XNode, local: string): XNode | undefined {
  return kids(n, local)[0];
}

function typeRef(n: XNode, qname: string, tns: string): TypeRef {
  const i = qname.indexOf(':');
  const prefix = i < 0 ? '' : qname.slice(0, i);
  const local = i < 0 ? qname : qname.slice(i + 1);
  const uri = n.scope?.[prefix] ?? '';
  if (uri === XSD) {
    if (!BUILTINS.has(local)) throw new Error(`schema: unsupported builtin xsd:${local}`);
    return { builtin: local as Builtin };
  }
  if (uri !== tns) throw new Error(`schema: type ${qname} is outside the target namespace`);
  return { named: local };
}

function readAttributes(parent: XNode, tns: string): AttributeDecl[] {
  return kids(parent, 'attribute').map((a) => ({
    name: a.attrs.name!,
    key: camel(a.attrs.name!),
    type: typeRef(a, a.attrs.type ?? 'xsd:string', tns),
    required: a.attrs.use === 'required',
  }));
}

const occurs = (v: string | undefined, absent: number): number => (v === 'unbounded' ? Infinity : v === undefined ? absent : Number(v));

function readElement(e: XNode, tns: string): ElementDecl {
  return {
    name: e.attrs.name!,
    key: camel(e.attrs.name!),
    type: typeRef(e, e.attrs.type!, tns),
    min: occurs(e.attrs.minOccurs, 1),
    max: occurs(e.attrs.maxOccurs, 1),
    nillable: e.attrs.nillable === 'true',
    ...(e.attrs.default !== undefined ? { default: e.attrs.default } : {}),
  };
}

/**
 * The elements of an xsd:sequence in order. An xsd:choice inside it contributes its elements, each
 * optional; a repeated choice also names the list that keeps them in document order (`choice`).
 */
function readSequence(parent: XNode, tns: string): ElementDecl[] {
  const seq = kid(parent, 'sequence');
  if (!seq) return [];
  const out: ElementDecl[] = [];
  for (const n of seq.children) {
    if (n.uri !== XSD) continue;
    if (n.local === 'element') out.push(readElement(n, tns));
    else if (n.local === 'choice') {
      const max = occurs(n.attrs.maxOccurs, 1);
      const items = kids(n, 'element').map((e) => readElement(e, tns));
      const choice = max > 1 ? items.map((e, i) => (i ? e.key[0]!.toUpperCase() + e.key.slice(1) : e.key)).join('Or') : undefined;
      for (const e of items) out.push({ ...e, min: 0, max: e.max * max, ...(choice ? { choice } : {}) });
    } else if (n.local !== 'annotation') throw new Error(`schema: xsd:${n.local} inside xsd:sequence is not supported`);
  }
  return out;
}

function readComplex(name: string, ct: XNode, tns: string): ComplexType & { rawBase?: string } {
  const cc = kid(ct, 'complexContent');
  const sc = kid(ct, 'simpleContent');
  if (cc) {
    const ext = kid(cc, 'extension')!;
    const base = typeRef(ext, ext.attrs.base!, tns);
    if (!('named' in base)) throw new Error(`schema: ${name} extends a builtin`);
    return { name, rawBase: base.named, elements: readSequence(ext, tns), attributes: readAttributes(ext, tns) };
  }
  if (sc) {
    const ext = kid(sc, 'extension')!;
    return { name, elements: [], attributes: readAttributes(ext, tns), simpleContent: typeRef(ext, ext.attrs.base!, tns) };
  }
  return { name, elements: readSequence(ct, tns), attributes: readAttributes(ct, tns) };
}

/** Loads the first xsd:schema of a WSDL document. */
export function loadSchema(wsdlText: string): Schema {
  const root = parseXml(wsdlText, { maxDepth: 64, maxElements: 100_000, maxAttributes: 64 }, true);
  if (root.uri !== WSDL || root.local !== 'definitions') throw new Error('schema: not a WSDL 1.1 document');
  const types = root.children.find((c) => c.uri === WSDL && c.local === 'types');
  const schemaNode = types && kid(types, 'schema');
  if (!schemaNode) throw new Error('schema: no xsd:schema in wsdl:types');
  const tns = schemaNode.attrs.targetNamespace!;
  const raw = new Map<string, ComplexType & { rawBase?: string }>();
  const elements = new Map<string, ComplexType & { rawBase?: string }>();
  const simpleTypes = new Map<string, SimpleType>();
  for (const n of schemaNode.children) {
    if (n.uri !== XSD) continue;
    if (n.local === 'complexType') raw.set(n.attrs.name!, readComplex(n.attrs.name!, n, tns));
    else if (n.local === 'element') {
      const inline = kid(n, 'complexType');
      if (!inline) throw new Error(`schema: global element ${n.attrs.name} needs an inline complexType`);
      elements.set(n.attrs.name!, readComplex(n.attrs.name!, inline, tns));
    } else if (n.local === 'simpleType') {
      const r = kid(n, 'restriction')!;
      const base = typeRef(r, r.attrs.base!, tns);
      if (!('builtin' in base)) throw new Error(`schema: ${n.attrs.name} restricts a named type`);
      const enumeration = kids(r, 'enumeration').map((e) => e.attrs.value!);
      simpleTypes.set(n.attrs.name!, { name: n.attrs.name!, base: base.builtin, ...(enumeration.length ? { enumeration } : {}) });
    }
  }
  // Flatten extensions: base elements and attributes first.
  const complexTypes = new Map<string, ComplexType>();
  const flatten = (t: ComplexType & { rawBase?: string }): ComplexType => {
    const done = complexTypes.get(t.name);
    if (done && raw.get(t.name) === t) return done;
    if (!t.rawBase) return { name: t.name, elements: t.elements, attributes: t.attributes, simpleContent: t.simpleContent };
    const base = raw.get(t.rawBase);
    if (!base) throw new Error(`schema: unknown base ${t.rawBase}`);
    const b = flatten(base);
    return { name: t.name, base: t.rawBase, elements: [...b.elements, ...t.elements], attributes: [...b.attributes, ...t.attributes] };
  };
  for (const t of raw.values()) complexTypes.set(t.name, flatten(t));
  const subtypes = new Map<string, Set<string>>();
  for (const t of complexTypes.values()) {
    subtypes.set(t.name, (subtypes.get(t.name) ?? new Set()).add(t.name));
    for (let b = t.base; b; b = complexTypes.get(b)?.base) {
      subtypes.set(b, (subtypes.get(b) ?? new Set([b])).add(t.name));
    }
  }
  const globals = new Map<string, ComplexType>();
  for (const [name, t] of elements) globals.set(name, flatten(t));
  // Attribute and element keys share one object: a clash would lose data, so refuse it here.
  for (const t of [...complexTypes.values(), ...globals.values()]) {
    const keys = new Set(t.elements.flatMap((e) => (e.choice ? [e.key, e.choice] : [e.key])));
    for (const a of t.attributes) if (keys.has(a.key)) throw new Error(`schema: ${t.name} has element and attribute ${a.name}`);
  }
  return { targetNamespace: tns, elements: globals, complexTypes, simpleTypes, subtypes };
}

// Schema-driven mapping between XML and plain objects. Decoding is tolerant where real clients
// differ (child order, prefixes, xsi:type with or without prefix, xsi:nil, unqualified children)
// and strict where a mistake would be silent (unknown elements, bad numbers, booleans, enums).
// Encoding always writes schema order, which strict clients (JAXB, WCF, zeep) rely on.
import { Buffer } from 'node:buffer';
import { parseXsDateTime } from '../core/datetime';
import { XSI, type XNode } from './xml';
import type { Builtin, ComplexType, ElementDecl, Schema, TypeRef } from './schema';
import { escapeXml, escapeXmlAttribute } from '../util/escape';

/** A rule broken at a path in the caller's message; becomes a Client fault. */
export class DecodeError extends Error {
  constructor(
    readonly path: string,
    readonly rule: string,
  ) {
    super(`${path}: ${rule}`);
    this.name = 'DecodeError';
  }
}

const sub = (path: string, name: string): string => (path ? `${path}/${name}` : name);

const INT32 = /^[+-]?\d{1,10}$/;
const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;

export class Codec {
  constructor(readonly schema: Schema) {}

  private builtinOf(t: TypeRef): { base: Builtin; enumeration?: string[]; name: string } | undefined {
    if ('builtin' in t) return { base: t.builtin, name: t.builtin };
    const s = this.schema.simpleTypes.get(t.named);
    return s ? { base: s.base, enumeration: s.enumeration, name: s.name } : undefined;
  }

  private scalar(text: string, t: TypeRef, path: string): unknown {
    const b = this.builtinOf(t)!;
    const v = b.base === 'string' || b.base === 'anyType' ? text : text.trim();
    if (b.enumeration && !b.enumeration.includes(v)) {
      throw new DecodeError(path, `"${v}" is not a ${b.name} (one of ${b.enumeration.join(', ')})`);
    }
    switch (b.base) {
      case 'int':
        if (!INT32.test(v) || Math.abs(Number(v)) > 2 ** 31 - 1) throw new DecodeError(path, `"${v}" is not an xs:int`);
        return Number(v);
      case 'integer':
        if (!/^[+-]?\d+$/.test(v) || !Number.isSafeInteger(Number(v))) throw new DecodeError(path, `"${v}" is not an xs:integer`);
        return Number(v);
      case 'boolean':
        if (v === 'true' || v === '1') return true;
        if (v === 'false' || v === '0') return false;
        throw new DecodeError(path, `"${v}" is not an xs:boolean (true, false, 1 or 0)`);
      case 'dateTime':
        if (Number.isNaN(parseXsDateTime(v))) {
          throw new DecodeError(path, `"${v}" is not an xs:dateTime (e.g. 2026-12-01T09:00:00Z)`);
        }
        return v;
      case 'base64Binary': {
        const compact = v.replace(/\s+/g, '');
        if (!BASE64.test(compact) || compact.length % 4 === 1) throw new DecodeError(path, 'is not valid base64');
        return Buffer.from(compact, 'base64');
      }
      default:
        return v;
    }
  }

  /** Decodes the children and attributes of `node` as complex type `type`. */
  decodeComplex(node: XNode, type: ComplexType, path: string): Record<string, unknown> {
    const out: Record<string, unknown> = {};
    const ns = this.schema.targetNamespace;
    if (type.simpleContent) out.value = this.scalar(node.text, type.simpleContent, path);
    for (const a of type.attributes) {
      const raw = node.attrs[a.name];
      if (raw === undefined) {
        if (a.required) throw new DecodeError(sub(path, `@${a.name}`), 'is required');
        continue;
      }
      out[a.key] = this.scalar(raw, a.type, sub(path, `@${a.name}`));
    }
    const counts = new Map<string, number>();
    const byName = new Map(type.elements.map((e) => [e.name, e]));
    for (const child of node.children) {
      const decl = byName.get(child.local);
      if (!decl || (child.uri !== ns && child.uri !== '')) {
        const where = child.uri && child.uri !== ns ? ` in namespace ${child.uri}` : '';
        const expected = type.elements.map((e) => e.name).join(', ') || 'none';
        throw new DecodeError(sub(path, child.local), `unknown element${where} (expected: ${expected})`);
      }
      const n = (counts.get(decl.name) ?? 0) + 1;
      counts.set(decl.name, n);
      if (n > decl.max) throw new DecodeError(sub(path, decl.name), `may occur at most ${decl.max} time(s)`);
      // A repeated choice's items are numbered by their place in the one list that keeps them.
      const at = decl.choice ? ((out[decl.choice] as unknown[] | undefined)?.length ?? 0) : n - 1;
      const p = sub(path, decl.max > 1 ? `${decl.name}[${at}]` : decl.name);
      if (child.nil) {
        if (!decl.nillable && decl.min > 0) throw new DecodeError(p, 'is required and cannot be nil');
        continue;
      }
      const value = this.decodeElement(child, decl, p);
      if (value === undefined) continue;
      if (decl.choice) ((out[decl.choice] ??= []) as unknown[]).push({ [decl.key]: value });
      else if (decl.max > 1) ((out[decl.key] ??= []) as unknown[]).push(value);
      else out[decl.key] = value;
    }
    for (const e of type.elements) {
      if (out[e.key] !== undefined || e.choice) continue;
      if (e.default !== undefined) out[e.key] = this.scalar(e.default, e.type, sub(path, e.name));
      else if (e.min > 0) throw new DecodeError(sub(path, e.name), 'is required');
    }
    return out;
  }

  private decodeElement(child: XNode, decl: ElementDecl, path: string): unknown {
    const t = decl.type;
    if ('builtin' in t || this.schema.simpleTypes.has(t.named)) {
      // An empty element with a schema default means "the default" (find-tasks from-index, to-index).
      if (child.text.trim() === '' && decl.default !== undefined) return undefined;
      if ('builtin' in t && t.builtin === 'anyType') {
        if (child.children.length) throw new DecodeError(path, 'must be a simple value');
        return child.text;
      }
      if (child.children.length) throw new DecodeError(path, 'must be a simple value, not elements');
      return this.scalar(child.text, t, path);
    }
    let type = this.schema.complexTypes.get(t.named)!;
    let kind: string | undefined;
    if (child.xsiType) {
      const { uri, local, unbound } = child.xsiType;
      if (unbound !== undefined) throw new DecodeError(sub(path, '@xsi:type'), `prefix "${unbound}" is not declared`);
      const allowed = this.schema.subtypes.get(t.named) ?? new Set([t.named]);
      if ((uri !== this.schema.targetNamespace && uri !== '') || !allowed.has(local)) {
        throw new DecodeError(sub(path, '@xsi:type'), `"${local}" is not a ${t.named} type (one of ${[...allowed].join(', ')})`);
      }
      type = this.schema.complexTypes.get(local)!;
      if (allowed.size > 1) kind = local;
    }
    const value = this.decodeComplex(child, type, path);
    if (kind && kind !== t.named) value.kind = kind;
    return value;
  }

  /** Decodes a global element (an operation's request). */
  decodeRoot(node: XNode): Record<string, unknown> {
    const type = this.schema.elements.get(node.local);
    if (!type) throw new DecodeError(node.local, 'unknown operation element');
    return this.decodeComplex(node, type, '');
  }

  private encodeScalar(v: unknown, t: TypeRef, attribute = false): string {
    const b = this.builtinOf(t)!.base;
    if (b === 'base64Binary' && v instanceof Uint8Array) return Buffer.from(v).toString('base64');
    if (b === 'boolean') return v ? 'true' : 'false';
    return attribute ? escapeXmlAttribute(String(v)) : escapeXml(String(v));
  }

  private encodeComplex(out: string[], name: string, type: ComplexType, value: Record<string, unknown>, xsiType?: string): void {
    out.push('<', name);
    if (xsiType) out.push(' xsi:type="tns:', xsiType, '"');
    for (const a of type.attributes) {
      const v = value[a.key];
      if (v !== undefined && v !== null) out.push(' ', a.name, '="', this.encodeScalar(v, a.type, true), '"');
    }
    const body: string[] = [];
    if (type.simpleContent && value.value !== undefined) body.push(this.encodeScalar(value.value, type.simpleContent));
    const choices = new Set<string>();
    for (const e of type.elements) {
      if (e.choice) {
        if (!choices.has(e.choice)) this.encodeChoice(body, type, e.choice, value[e.choice]);
        choices.add(e.choice);
        continue;
      }
      const v = value[e.key];
      if (v === undefined || v === null) continue;
      for (const item of e.max > 1 && Array.isArray(v) ? v : [v]) this.encodeElement(body, e, item);
    }
    if (body.length) out.push('>', ...body, '</', name, '>');
    else out.push('/>');
  }

  /** A repeated choice from its list, in list order: each item names its element by its one key. */
  private encodeChoice(out: string[], type: ComplexType, choice: string, list: unknown): void {
    if (!Array.isArray(list)) return;
    const decls = type.elements.filter((e) => e.choice === choice);
    for (const item of list as Array<Record<string, unknown>>) {
      const e = decls.find((d) => item[d.key] !== undefined && item[d.key] !== null);
      if (!e) throw new Error(`encode: an item of ${choice} has none of ${decls.map((d) => d.key).join(', ')}`);
      this.encodeElement(out, e, item[e.key]);
    }
  }

  private encodeElement(out: string[], e: ElementDecl, v: unknown): void {
    const t = e.type;
    if ('builtin' in t || this.schema.simpleTypes.has(t.named)) {
      out.push('<', e.name, '>', this.encodeScalar(v, t), '</', e.name, '>');
      return;
    }
    const obj = v as Record<string, unknown>;
    const kind = typeof obj.kind === 'string' && obj.kind !== t.named ? obj.kind : undefined;
    const type = this.schema.complexTypes.get(kind ?? t.named);
    if (!type) throw new Error(`encode: unknown type ${kind}`);
    this.encodeComplex(out, e.name, type, obj, kind);
  }

  /** Encodes a global element with the target namespace as default namespace. */
  encodeRoot(name: string, value: Record<string, unknown>): string {
    const type = this.schema.elements.get(name);
    if (!type) throw new Error(`encode: unknown element ${name}`);
    const out: string[] = [];
    this.encodeComplex(out, name, type, value);
    const ns = escapeXml(this.schema.targetNamespace);
    // Declare the namespaces on the root element (default, tns for xsi:type values, xsi).
    out[1] = `${name} xmlns="${ns}" xmlns:tns="${ns}" xmlns:xsi="${XSI}"`;
    return out.join('');
  }
}

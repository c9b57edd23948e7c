// A namespace-aware XML reader for untrusted input (saxes, strict). Refuses DTDs (so no entity
// tricks: XXE, billion laughs), bounds nesting depth and element count, and resolves xsi:type as a
// QName where it stands, so prefixes, default namespaces and unprefixed types all work.
import { SaxesParser, type SaxesTagNS } from 'saxes';

export const XSI = 'http://www.w3.org/2001/XMLSchema-instance';

/** `unbound` names a prefix that no xmlns declares (the codec reports it with the element's path). */
export interface QName {
  uri: string;
  local: string;
  unbound?: string;
}

export interface XNode {
  uri: string;
  local: string;
  /** attributes without a namespace, by local name */
  attrs: Record<string, string>;
  /** namespace-qualified attributes (other than xsi:*), keyed `uri|local` */
  nsAttrs?: Record<string, string>;
  children: XNode[];
  text: string;
  xsiType?: QName;
  nil: boolean;
  /** prefix → namespace in scope at this element (kept only when asked for: schema loading) */
  scope?: Record<string, string>;
}

export interface XmlLimits {
  maxDepth: number;
  maxElements: number;
  maxAttributes: number;
}
export const DEFAULT_XML_LIMITS: XmlLimits = { maxDepth: 64, maxElements: 500_000, maxAttributes: 64 };

export class XmlError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'XmlError';
  }
}

function parseQName(value: string, resolve: (prefix: string) => string | undefined): QName {
  const v = value.trim();
  const i = v.indexOf(':');
  const prefix = i < 0 ? '' : v.slice(0, i);
  const local = i < 0 ? v : v.slice(i + 1);
  // An unprefixed QName takes the default namespace; with none in scope it has no namespace.
  const uri = resolve(prefix);
  if (uri === undefined && prefix !== '') return { uri: '', local, unbound: prefix };
  return { uri: uri ?? '', local };
}

/**
 * Builds the tree chunk by chunk (saxes carries a split surrogate pair or CR over to the next
 * chunk), so a caller can stop early (scanXml) or yield between chunks (parseXmlAsync).
 */
class TreeBuilder {
  private readonly parser = new SaxesParser({ xmlns: true, position: true });
  private readonly stack: XNode[] = [];
  root: XNode | undefined;
  /** elements closed so far, innermost first in `path` (root … parent) */
  onClose?: (node: XNode, path: readonly XNode[]) => void;

  constructor(limits: XmlLimits, keepScopes: boolean) {
    const { parser, stack } = this;
    let count = 0;
    let error: XmlError | undefined;
    const fail = (msg: string): never => {
      throw new XmlError(msg);
    };
    parser.on('doctype', () => fail('DTDs (<!DOCTYPE>) are not allowed'));
    parser.on('processinginstruction', (pi) => {
      if (pi.target.toLowerCase() !== 'xml') fail(`processing instructions are not allowed (<?${pi.target}?>)`);
    });
    parser.on('opentag', (tag: SaxesTagNS) => {
      if (++count > limits.maxElements) fail(`more than ${limits.maxElements} elements`);
      if (stack.length >= limits.maxDepth) fail(`elements nested deeper than ${limits.maxDepth}`);
      const attrs: Record<string, string> = {};
      let n = 0;
      let xsiType: QName | undefined;
      let nil = false;
      let nsAttrs: Record<string, string> | undefined;
      for (const a of Object.values(tag.attributes)) {
        if (++n > limits.maxAttributes) fail(`more than ${limits.maxAttributes} attributes on <${tag.name}>`);
        if (a.uri === XSI) {
          if (a.local === 'type') xsiType = parseQName(a.value, (p) => parser.resolve(p));
          else if (a.local === 'nil') nil = a.value === 'true' || a.value === '1';
        } else if (a.uri === '' && a.prefix === '' && a.name !== 'xmlns') {
          attrs[a.local] = a.value;
        } else if (a.uri && a.prefix !== 'xmlns' && a.name !== 'xmlns') {
          (nsAttrs ??= {})[`${a.uri}|${a.local}`] = a.value;
        }
      }
      const node: XNode = { uri: tag.uri ?? '', local: tag.local ?? tag.name, attrs, children: [], text: '', nil };
      if (xsiType) node.xsiType = xsiType;
      if (nsAttrs) node.nsAttrs = nsAttrs;
      if (keepScopes) {
        const scope: Record<string, string> = { ...(stack[stack.length - 1]?.scope ?? {}) };
        for (const [p, uri] of Object.entries(tag.ns ?? {})) scope[p] = uri;
        node.scope = scope;
      }
      if (stack.length) stack[stack.length - 1]!.children.push(node);
      else this.root = node;
      stack.push(node);
    });
    parser.on('text', (t) => {
      const top = stack[stack.length - 1];
      if (top) top.text += t;
    });
    parser.on('cdata', (t) => {
      const top = stack[stack.length - 1];
      if (top) top.text += t;
    });
    parser.on('closetag', () => {
      const node = stack.pop();
      if (node && this.onClose) this.onClose(node, stack);
    });
    parser.on('error', (e) => {
      if (!error) error = new XmlError(e.message.replace(/^undefined:/, 'line '));
      throw error;
    });
  }

  private guard(f: () => void): void {
    try {
      f();
    } catch (e) {
      if (e instanceof XmlError) throw e;
      throw new XmlError(e instanceof Error ? e.message : String(e));
    }
  }

  write(chunk: string): void {
    this.guard(() => this.parser.write(chunk));
  }

  close(): XNode {
    this.guard(() => this.parser.close());
    if (!this.root) throw new XmlError('no root element');
    return this.root;
  }
}

/** Parses a whole document into a tree. Throws XmlError with a readable reason. */
export function parseXml(text: string, limits: XmlLimits = DEFAULT_XML_LIMITS, keepScopes = false): XNode {
  const b = new TreeBuilder(limits, keepScopes);
  b.write(text);
  return b.close();
}

/** parseXmlAsync writes slices this long and yields once a turn has taken YIELD_MS. */
const ASYNC_SLICE = 16 * 1024;
const YIELD_MS = 10;

/**
 * parseXml for large untrusted bodies: yields to the event loop every few milliseconds of work, so a
 * 20 MB envelope does not stall health checks and other requests for the seconds it takes to parse.
 */
export async function parseXmlAsync(text: string, limits: XmlLimits = DEFAULT_XML_LIMITS): Promise<XNode> {
  const b = new TreeBuilder(limits, false);
  let turn = performance.now();
  for (let i = 0; i < text.length; i += ASYNC_SLICE) {
    b.write(text.slice(i, i + ASYNC_SLICE));
    if (performance.now() - turn >= YIELD_MS) {
      await new Promise<void>((resolve) => setImmediate(resolve));
      turn = performance.now();
    }
  }
  return b.close();
}

/**
 * Reads at most `maxChars` of a document (under `limits`), handing each closed element and its
 * ancestors to `onClose` until it returns true. `complete` says the whole document was read (and
 * was well-formed). Cheap whatever the document's size: for looking at its start before deciding
 * whether to read the rest.
 */
export function scanXml(
  text: string,
  maxChars: number,
  limits: XmlLimits,
  onClose: (node: XNode, path: readonly XNode[]) => boolean,
): { stopped: boolean; complete: boolean } {
  const b = new TreeBuilder(limits, false);
  let stopped = false;
  b.onClose = (node, path) => {
    if (!stopped && onClose(node, path)) stopped = true;
  };
  const end = Math.min(text.length, maxChars);
  // Small pieces first, growing: what is looked for usually comes early (the credentials before the
  // request), and a piece is parsed whole before the callback can stop the scan.
  for (let i = 0, step = 512; i < end && !stopped; i += step, step = Math.min(step * 2, 8192)) {
    b.write(text.slice(i, Math.min(i + step, end)));
  }
  if (stopped) return { stopped, complete: false };
  if (end < text.length) return { stopped, complete: false };
  b.close();
  return { stopped, complete: true };
}

// segl's PackagingService v4 WSDL against Signicat's (the fixture): the same contract, compared
// structurally (every element, attribute, QName and cardinality; only documentation and the address
// may differ) and as python-zeep reads both; served with this instance's address. And the runtime's
// own maker (src/packaging/maker.ts) refusing an XML that is not an LTV-SDO: both generated clients
// get its error, and nothing is stored.
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { DOMParser, type Element as XElement } from '@xmldom/xmldom';
import * as soap from 'soap';
import { WSDL_DIR } from '../../src/runtime';
import { blobFiles } from '../support/blobs';
import { nodeSoapClient, packagingSchemaErrors, REFERENCE_PACKAGING_WSDL, requireZeep, zeepCalls } from '../support/packaging';
import { databases, startServer, type TestServer } from '../support/server';
import { bodyPayload } from '../support/soap';

jest.setTimeout(120_000);
const run = promisify(execFile);

const XMLNS = 'http://www.w3.org/2000/xmlns/';
const WSDL = 'http://schemas.xmlsoap.org/wsdl/';
const XSD = 'http://www.w3.org/2001/XMLSchema';
const SOAP = 'http://schemas.xmlsoap.org/wsdl/soap/';
/** Attributes whose value is a QName: compared as {namespace}local, whatever the prefix. */
const QNAME_ATTRS = new Set(['type', 'base', 'element', 'message', 'binding']);
/** XSD defaults written out, so `minOccurs="1"` and no minOccurs compare equal. */
const DEFAULTS: Record<string, string> = { minOccurs: '1', maxOccurs: '1', nillable: 'false' };

interface Node {
  name: string;
  attrs: Record<string, string>;
  children: Node[];
}

/** A WSDL as a tree of its meaning: documentation and annotations dropped, QNames resolved, defaults explicit, the address masked. */
function describe_(el: XElement): Node {
  const attrs: Record<string, string> = {};
  const isXsd = el.namespaceURI === XSD;
  for (const a of Array.from(el.attributes)) {
    if (a.namespaceURI === XMLNS || a.name === 'xmlns' || a.name.startsWith('xmlns:')) continue;
    let v = a.value;
    if (QNAME_ATTRS.has(a.localName!)) {
      const [prefix, local] = v.includes(':') ? v.split(':') : [null, v];
      v = `{${el.lookupNamespaceURI(prefix as string | null)}}${local}`;
    }
    attrs[a.localName!] = v;
  }
  if (isXsd && (el.localName === 'element' || el.localName === 'choice' || el.localName === 'sequence')) {
    for (const [k, d] of Object.entries(DEFAULTS)) if (k !== 'nillable' || el.localName === 'element') attrs[k] ??= d;
  }
  if (el.namespaceURI === SOAP && el.localName === 'address') attrs.location = '(address)';
  const children = Array.from(el.childNodes)
    .filter((c): c is XElement => c.nodeType === 1)
    .filter(
      (c) => !(c.namespaceURI === WSDL && c.localName === 'documentation') && !(c.namespaceURI === XSD && c.localName === 'annotation'),
    )
    .map(describe_);
  return { name: `{${el.namespaceURI}}${el.localName}`, attrs: Object.fromEntries(Object.entries(attrs).sort()), children };
}
const describeWsdl = (text: string): Node => describe_(new DOMParser().parseFromString(text, 'text/xml').documentElement!);

const reference = readFileSync(REFERENCE_PACKAGING_WSDL, 'utf8');
const own = readFileSync(path.join(WSDL_DIR, 'packagingservice-v4.wsdl'), 'utf8');

describe("segl's WSDL and Signicat's describe the same contract", () => {
  test('structurally equal: names, types, order, cardinalities, defaults, messages, binding, service and port', () => {
    const ref = describeWsdl(reference);
    expect(JSON.stringify(ref)).toContain('create-package');
    expect(describeWsdl(own)).toEqual(ref);
  });

  // The comparison must be able to fail: each of these small departures is found.
  test.each([
    ['a cardinality', 'name="task-id"', 'name="task-id" maxOccurs="2"'],
    ['a default', 'default="result"', 'default="source"'],
    ['the choice bound', 'maxOccurs="unbounded">', 'maxOccurs="10">'],
    ['an element name', 'name="uri-document-id"', 'name="uri-id"'],
    ['a type', '<xsd:element name="packaging-method" type="xsd:string"/>', '<xsd:element name="packaging-method" type="xsd:token"/>'],
    ['a port name', 'name="PackagingEndPointImplPort"', 'name="PackagingPort"'],
    ['the soapAction', 'soapAction=""', 'soapAction="create"'],
  ])('a changed %s is found', (_label, from, to) => {
    expect(own).toContain(from);
    expect(describeWsdl(own.replace(from, to))).not.toEqual(describeWsdl(reference));
  });

  test('element order matters to the comparison', () => {
    const swapped = own.replace(
      /(<xsd:element name="service" type="xsd:string"\/>)(\s*)(<xsd:element name="password" type="xsd:string"\/>)/,
      '$3$2$1',
    );
    expect(swapped).not.toBe(own);
    expect(describeWsdl(swapped)).not.toEqual(describeWsdl(reference));
  });

  test('python-zeep reads both into the same operations, types and bindings', async () => {
    requireZeep();
    const dir = mkdtempSync(path.join(os.tmpdir(), 'segl-pkg-wsdl-'));
    const file = path.join(dir, 'segl.wsdl');
    writeFileSync(file, own.replace('{{PUBLIC_URL}}', 'http://localhost:1'));
    const dump = async (f: string) => (await run('/usr/bin/python3', ['-m', 'zeep', f])).stdout;
    const [a, b] = await Promise.all([dump(REFERENCE_PACKAGING_WSDL), dump(file)]);
    expect(a).toContain('create-package(version: xsd:string');
    expect(b).toBe(a);
  });
});

describe.each(databases())('the served PackagingService v4 with the runtime as wired (%s)', (db) => {
  let s: TestServer;
  let sdsId: string;
  const endpoint = () => `${s.url}/ws/packagingservice-v4`;
  const stored = async () => ({
    rows: Number((await s.rt.db.query('SELECT COUNT(*) AS n FROM sds_document'))[0].n),
    archive: Number((await s.rt.db.query('SELECT COUNT(*) AS n FROM archive_document'))[0].n),
    blobs: blobFiles(s.dataDir),
  });
  beforeAll(async () => {
    s = await startServer(db);
    const auth = `Basic ${Buffer.from(`demo:${s.demoPassword}`).toString('base64')}`;
    // Any XML stored as an LTV-SDO passes create-package's own checks; verifying it is the maker's job.
    const r = await fetch(`${s.url}/doc/demo/sds`, {
      method: 'POST',
      headers: { authorization: auth, 'content-type': 'application/x-ltv-sdo' },
      body: '<?xml version="1.0"?><not-checked-here/>',
    });
    sdsId = await r.text();
  });
  afterAll(async () => {
    await s?.stop();
  });

  test("GET ?wsdl serves segl's WSDL with this instance's address and no namespaces declared on xsd:schema", async () => {
    const res = await fetch(`${endpoint()}?wsdl`);
    expect(res.status).toBe(200);
    const text = await res.text();
    expect(text).toContain(`<soap:address location="${endpoint()}"/>`);
    expect(text).not.toContain('{{PUBLIC_URL}}');
    const schemaTags = text.match(/<(?:[\w.-]+:)?schema\b[^>]*>/g) ?? [];
    expect(schemaTags).toHaveLength(1);
    expect(schemaTags[0]).not.toMatch(/\sxmlns(?::[\w.-]+)?\s*=/);
    expect(describeWsdl(text)).toEqual(describeWsdl(reference));
  });

  test("node-soap (from the reference WSDL and from the served one) and zeep all get the maker's not-an-sdo error; nothing is stored", async () => {
    requireZeep();
    const before = await stored();
    const args = { sdo: [{ 'sds-document-id': { id: sdsId } }] };
    const auth = { service: 'demo', password: s.demoPassword };
    const fromReference = await (await nodeSoapClient(endpoint(), auth))(args);
    if ('fault' in fromReference) throw new Error(fromReference.fault);
    expect(fromReference.result).toEqual({
      error: { code: 'not-an-sdo', message: expect.stringMatching(/\/doc\/demo\/sds\/.*not an LTV-SDO/) },
    });
    expect(await packagingSchemaErrors(bodyPayload(fromReference.raw)!)).toBe('');

    const served = await soap.createClientAsync(`${endpoint()}?wsdl`);
    const viaServed = await new Promise<any>((resolve, reject) =>
      (served as any)['create-package'](
        {
          version: '4',
          ...auth,
          'validation-policy': 'ltvsdo-validator',
          'packaging-method': 'pades',
          'send-result-to-archive': false,
          ...args,
        },
        (e: unknown, r: unknown) => (e ? reject(e) : resolve(r)),
      ),
    );
    expect(viaServed).toEqual(fromReference.result);

    const [z] = await zeepCalls(endpoint(), [
      {
        version: '4',
        service: 'demo',
        password: s.demoPassword,
        'validation-policy': 'ltvsdo-validator',
        'packaging-method': 'pades',
        'send-result-to-archive': true,
        _value_1: [{ sdo: { 'sds-document-id': { id: sdsId } } }],
      },
    ]);
    expect(z).toEqual({ id: null, error: fromReference.result.error });
    expect(await stored()).toEqual(before);
  });
});

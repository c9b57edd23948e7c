// Wire tolerance: what different SOAP stacks put on the wire must all work — default xmlns or any
// prefix, xsi:type with or without a prefix, xsi:nil, no XML declaration, a BOM, HTTP Basic, empty
// defaulted elements — and responses keep schema order and Signicat's shape.
import { gzipSync } from 'node:zlib';
import { databases, startServer, type TestServer } from '../support/server';
import { bodyPayload, envelope, faultString, NS, post, xmllintErrors } from '../support/soap';

const cred = (s: TestServer) => `<service>demo</service><password>${s.demoPassword}</password>`;

function createBody(s: TestServer, opts: { xsiType?: string; ref?: string } = {}): string {
  const t = opts.xsiType ?? 'provided-document';
  return (
    `<create-request-request xmlns="${NS}">${cred(s)}<request>` +
    `<document xsi:type="${t}" id="d1" mime-type="text/plain"><data>${Buffer.from('hi').toString('base64')}</data><description>Hi</description></document>` +
    `<task id="t1"><document-action type="sign"><document-ref>d1</document-ref></document-action></task>` +
    `<client-reference>${opts.ref ?? 'wire'}</client-reference></request></create-request-request>`
  );
}

const requestIdOf = (xml: string): string => /<request-id>([^<]+)<\/request-id>/.exec(xml)![1]!;

describe.each(databases())('wire tolerance on %s', (db) => {
  let s: TestServer;
  beforeAll(async () => {
    s = await startServer(db);
  });
  afterAll(async () => {
    await s.stop();
  });

  test('default xmlns with unprefixed xsi:type (PHP/WCF style)', async () => {
    const r = await post(s.endpoint, envelope(createBody(s)));
    expect(r.status).toBe(200);
    expect(requestIdOf(r.text)).toMatch(/^\d{8}[0-9a-z]{49,50}$/);
    expect(await xmllintErrors(bodyPayload(r.text)!)).toBe('');
  });

  test('prefixed elements with xsi:type bound to another prefix (JAX-WS/node-soap style)', async () => {
    const xml =
      `<soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/" xmlns:v3="${NS}" xmlns:foo="${NS}" xmlns:i="http://www.w3.org/2001/XMLSchema-instance">` +
      `<soapenv:Header/><soapenv:Body><v3:create-request-request><v3:service>demo</v3:service><v3:password>${s.demoPassword}</v3:password><v3:request>` +
      `<v3:document i:type="foo:provided-document" id="d1" mime-type="text/plain"><v3:data>aGk=</v3:data><v3:description>Hi</v3:description></v3:document>` +
      `<v3:task id="t1"><v3:document-action type="sign"><v3:document-ref>d1</v3:document-ref></v3:document-action></v3:task>` +
      `</v3:request></v3:create-request-request></soapenv:Body></soapenv:Envelope>`;
    const r = await post(s.endpoint, xml);
    expect(r.status).toBe(200);
    expect(requestIdOf(r.text)).toMatch(/^\d{8}/);
  });

  test('no XML declaration, a UTF-8 BOM, and non-ASCII text survive', async () => {
    const xml = envelope(createBody(s, { ref: 'Ærø – 签名' })).replace(/^<\?xml[^>]*\?>/, '');
    const r = await post(s.endpoint, Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(xml, 'utf8')]));
    expect(r.status).toBe(200);
    const id = requestIdOf(r.text);
    const st = await post(
      s.endpoint,
      envelope(`<get-status-request xmlns="${NS}">${cred(s)}<request-id>${id}</request-id></get-status-request>`),
    );
    expect(st.text).toContain('<client-reference>Ærø – 签名</client-reference>');
  });

  test('ISO-8859-1 declared bodies are read as such', async () => {
    const xml = envelope(createBody(s, { ref: 'Søren' })).replace('encoding="UTF-8"', 'encoding="ISO-8859-1"');
    const r = await post(s.endpoint, Buffer.from(xml, 'latin1'));
    expect(r.status).toBe(200);
    const st = await post(
      s.endpoint,
      envelope(`<get-status-request xmlns="${NS}">${cred(s)}<request-id>${requestIdOf(r.text)}</request-id></get-status-request>`),
    );
    expect(st.text).toContain('<client-reference>Søren</client-reference>');
  });

  test('xsi:nil on optional and nillable elements is treated as absent', async () => {
    const body =
      `<create-request-request xmlns="${NS}">${cred(s)}<request><profile xsi:nil="true"/><subject xsi:nil="true"/>` +
      `<document xsi:type="provided-document" id="d1" mime-type="text/plain"><description>x</description></document>` +
      `<task id="t1"><days-to-live xsi:nil="true"/><document-action type="view"><document-ref>d1</document-ref></document-action><notification xsi:nil="true"/></task>` +
      `</request></create-request-request>`;
    const r = await post(s.endpoint, envelope(body));
    expect(r.status).toBe(200);
  });

  test('an HTTP Basic header is tolerated beside the body credentials', async () => {
    const basic = `Basic ${Buffer.from(`demo:${s.demoPassword}`).toString('base64')}`;
    const r = await post(s.endpoint, envelope(createBody(s)), { authorization: basic });
    expect(r.status).toBe(200);
  });

  test('gzip request bodies are accepted', async () => {
    const r = await post(s.endpoint, gzipSync(Buffer.from(envelope(createBody(s)))), { 'content-encoding': 'gzip' });
    expect(r.status).toBe(200);
  });

  test('findTasks with empty from-index/to-index uses the schema defaults', async () => {
    const body =
      `<find-tasks-request xmlns="${NS}">${cred(s)}<filter><criteria><field>client-reference</field>` +
      `<value xmlns:xs="http://www.w3.org/2001/XMLSchema" xsi:type="xs:string">wire</value></criteria></filter><from-index/><to-index></to-index></find-tasks-request>`;
    const r = await post(s.endpoint, envelope(body));
    expect(r.status).toBe(200);
    expect((r.text.match(/<task /g) ?? []).length).toBeGreaterThanOrEqual(1);
    expect(await xmllintErrors(bodyPayload(r.text)!)).toBe('');
  });

  test('findTasks with from-index/to-index left out entirely also works', async () => {
    const body = `<find-tasks-request xmlns="${NS}">${cred(s)}<filter/></find-tasks-request>`;
    const r = await post(s.endpoint, envelope(body));
    expect(r.status).toBe(200);
  });

  test('responses keep schema order and declare the namespace on the response element', async () => {
    const r = await post(s.endpoint, envelope(createBody(s)));
    const id = requestIdOf(r.text);
    await post(
      s.endpoint,
      envelope(
        `<set-client-status-request xmlns="${NS}">${cred(s)}<request-id>${id}</request-id><task-id>t1</task-id><client-status>x</client-status></set-client-status-request>`,
      ),
    );
    const st = await post(
      s.endpoint,
      envelope(`<get-status-request xmlns="${NS}">${cred(s)}<request-id>${id}</request-id></get-status-request>`),
    );
    const payload = bodyPayload(st.text)!;
    expect(payload.startsWith(`<get-status-response xmlns="${NS}"`)).toBe(true);
    const order = ['request-id', 'task-id', 'task-status', 'client-reference', 'client-status', 'document-status'].map((n) =>
      payload.search(new RegExp(`<${n}[ >]`)),
    );
    expect(order.every((x) => x > 0)).toBe(true);
    expect([...order].sort((a, b) => a - b)).toEqual(order);
  });

  test('void operations answer with an empty soap:Body', async () => {
    const r = await post(s.endpoint, envelope(createBody(s)));
    const id = requestIdOf(r.text);
    const v = await post(
      s.endpoint,
      envelope(`<disable-task-request xmlns="${NS}">${cred(s)}<request-id>${id}</request-id><task-id>t1</task-id></disable-task-request>`),
    );
    expect(v.status).toBe(200);
    expect(v.text).toMatch(/<soap:Body\/><\/soap:Envelope>$/);
  });

  test("GET ?wsdl serves segl's WSDL with its own address", async () => {
    const res = await fetch(`${s.endpoint}?wsdl`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/xml/);
    const text = await res.text();
    expect(text).toContain(`location="${s.endpoint}"`);
    expect(text).toContain('targetNamespace="https://id.signicat.com/definitions/wsdl/Document-v3"');
    expect(text).not.toContain('{{PUBLIC_URL}}');
  });

  // JAX-WS with SchemaValidationFeature refuses an inline schema that re-declares namespace
  // prefixes (s4s-att-not-allowed) before any call; test/interop/jaxws.test.ts runs that client.
  test.each(['documentservice-v3', 'archiveservice-v3'])('the served %s WSDL declares no namespaces on xsd:schema', async (name) => {
    const text = await (await fetch(`${s.url}/ws/${name}?wsdl`)).text();
    const schemaTags = text.match(/<(?:[\w.-]+:)?schema\b[^>]*>/g) ?? [];
    expect(schemaTags).toHaveLength(1);
    expect(schemaTags[0]).not.toMatch(/\sxmlns(?::[\w.-]+)?\s*=/);
    // the prefixes the schema uses are declared once, on wsdl:definitions
    const definitions = /<wsdl:definitions\b[^>]*>/.exec(text)![0];
    expect(definitions).toContain('xmlns:xsd="http://www.w3.org/2001/XMLSchema"');
    expect(definitions).toMatch(/xmlns:tns="https:\/\/id\.signicat\.com\/definitions\/wsdl\/(Document|Archive)-v3"/);
  });

  test('an unknown request id is a Client fault naming request-id', async () => {
    const r = await post(
      s.endpoint,
      envelope(`<get-status-request xmlns="${NS}">${cred(s)}<request-id>nope</request-id></get-status-request>`),
    );
    expect(r.status).toBe(500);
    expect(r.text).toContain('<faultcode>soap:Client</faultcode>');
    expect(faultString(r.text)).toBe('request-id: no request "nope" exists for service demo');
  });
});

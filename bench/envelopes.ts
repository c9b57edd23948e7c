// The raw SOAP 1.1 envelopes the benchmark sends, and cheap checks of the answers. Written by hand
// (prefixed elements, as JAX-WS/CXF clients send them) so segl and the baseline parse exactly the
// same bytes.
export const NS = 'https://id.signicat.com/definitions/wsdl/Document-v3';
export const SOAP11 = 'http://schemas.xmlsoap.org/soap/envelope/';
export const SOAP_HEADERS = { 'content-type': 'text/xml; charset=utf-8', soapaction: '""' } as const;
export const ENDPOINT_PATH = '/ws/documentservice-v3';

const b64 = (s: string): string => Buffer.from(s, 'utf8').toString('base64');

function wrap(body: string): string {
  return (
    '<?xml version="1.0" encoding="UTF-8"?>' +
    `<soapenv:Envelope xmlns:soapenv="${SOAP11}" xmlns:tns="${NS}" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">` +
    `<soapenv:Header/><soapenv:Body>${body}</soapenv:Body></soapenv:Envelope>`
  );
}

/**
 * createRequest: one request with 2 subjects, 2 provided-documents (small text/plain, base64), 2 tasks
 * (t2 depends on t1, both authenticate with nemid), and 2 notifications on t1: an EMAIL invitation
 * with a reminder schedule and a URL callback on completion.
 */
export function createRequestEnvelope(service: string, password: string): string {
  const subject = (id: string, nid: string, first: string, last: string, email: string): string =>
    `<tns:subject id="${id}"><tns:national-id>${nid}</tns:national-id><tns:first-name>${first}</tns:first-name>` +
    `<tns:last-name>${last}</tns:last-name><tns:email>${email}</tns:email></tns:subject>`;
  const document = (id: string, text: string, description: string): string =>
    `<tns:document xsi:type="tns:provided-document" id="${id}" mime-type="text/plain">` +
    `<tns:data>${b64(text)}</tns:data><tns:description>${description}</tns:description></tns:document>`;
  const actions =
    '<tns:document-action type="sign" order-index="0"><tns:document-ref>doc1</tns:document-ref></tns:document-action>' +
    '<tns:document-action type="view" order-index="1"><tns:document-ref>doc2</tns:document-ref></tns:document-action>';
  const auth = '<tns:authentication artifact="false"><tns:method>nemid</tns:method></tns:authentication>';
  const notifications =
    '<tns:notification type="EMAIL" notification-id="invite-1">' +
    '<tns:recipient>alice@example.com</tns:recipient><tns:sender>noreply@example.com</tns:sender>' +
    '<tns:header>Please sign</tns:header><tns:message>Sign here: ${taskUrl}</tns:message>' +
    '<tns:schedule><tns:state-is>created</tns:state-is></tns:schedule>' +
    '<tns:schedule><tns:state-is>created</tns:state-is><tns:wait days="2" hours="0" minutes="0"/></tns:schedule>' +
    '</tns:notification>' +
    '<tns:notification type="URL" notification-id="callback-1">' +
    '<tns:recipient>http://127.0.0.1:9/callback?order=42</tns:recipient><tns:message>ignored</tns:message>' +
    '<tns:schedule><tns:state-is>completed</tns:state-is></tns:schedule>' +
    '</tns:notification>';
  const request =
    '<tns:request><tns:profile>default</tns:profile><tns:language>da</tns:language>' +
    subject('s1', '0101701234', 'Alice', 'Andersen', 'alice@example.com') +
    subject('s2', '0202802345', 'Bob', 'Berg', 'bob@example.com') +
    document('doc1', 'Contract: the parties agree to the terms below.\n', 'Contract') +
    document('doc2', 'Appendix A: price list.\n', 'Appendix') +
    `<tns:task id="t1" bundle="true"><tns:subject-ref>s1</tns:subject-ref><tns:days-to-live>30</tns:days-to-live>${actions}${notifications}${auth}` +
    '<tns:on-task-complete>https://example.com/done?r=${requestId}&amp;t=${taskId}</tns:on-task-complete></tns:task>' +
    `<tns:task id="t2" bundle="true"><tns:subject-ref>s2</tns:subject-ref>${actions}${auth}` +
    '<tns:depends-on-task>t1</tns:depends-on-task></tns:task>' +
    '<tns:client-reference>bench-order-42</tns:client-reference>' +
    '</tns:request>';
  return wrap(
    `<tns:create-request-request><tns:service>${service}</tns:service><tns:password>${password}</tns:password>${request}</tns:create-request-request>`,
  );
}

export function getStatusEnvelope(service: string, password: string, requestId: string): string {
  return wrap(
    `<tns:get-status-request><tns:service>${service}</tns:service><tns:password>${password}</tns:password>` +
      `<tns:request-id>${requestId}</tns:request-id></tns:get-status-request>`,
  );
}

export interface SoapAnswer {
  status: number;
  contentType: string;
  body: string;
}

export async function post(url: string, xml: string): Promise<SoapAnswer> {
  const res = await fetch(url, { method: 'POST', headers: SOAP_HEADERS, body: xml });
  return { status: res.status, contentType: res.headers.get('content-type') ?? '', body: await res.text() };
}

/** The text of the first element with this local name (any prefix), or undefined. */
export function firstText(xml: string, local: string): string | undefined {
  const m = new RegExp(`<(?:[\\w.-]+:)?${local}(?:\\s[^>]*)?>([^<]*)</(?:[\\w.-]+:)?${local}>`).exec(xml);
  return m?.[1];
}

export function countElements(xml: string, local: string): number {
  return (xml.match(new RegExp(`<(?:[\\w.-]+:)?${local}[\\s>/]`, 'g')) ?? []).length;
}

/** Throws unless the answer is HTTP 200 carrying the named response element and no Fault. */
export function expectResponse(what: string, a: SoapAnswer, element: string): void {
  const fault = /<(?:[\w.-]+:)?Fault[\s>]/.test(a.body);
  const has = new RegExp(`<(?:[\\w.-]+:)?${element}[\\s>/]`).test(a.body);
  if (a.status !== 200 || fault || !has) {
    const why = fault ? `fault: ${firstText(a.body, 'faultstring') ?? '(no faultstring)'}` : `no ${element} element`;
    throw new Error(`${what}: HTTP ${a.status}, ${why}\n${a.body.slice(0, 800)}`);
  }
}

/**
 * createRequest for the sealing phase: one request with one provided-document (a small PDF) and one
 * task t1 that signs it (as test/integration/signing.test.ts creates them, in the prefixed style above).
 */
export function createSigningRequestEnvelope(service: string, password: string, pdf: Buffer, clientReference: string): string {
  const request =
    '<tns:request>' +
    `<tns:document xsi:type="tns:provided-document" id="doc1" mime-type="application/pdf"><tns:data>${pdf.toString('base64')}</tns:data>` +
    '<tns:description>Bench contract</tns:description></tns:document>' +
    '<tns:task id="t1"><tns:document-action type="sign"><tns:document-ref>doc1</tns:document-ref></tns:document-action></tns:task>' +
    `<tns:client-reference>${clientReference}</tns:client-reference>` +
    '</tns:request>';
  return wrap(
    `<tns:create-request-request><tns:service>${service}</tns:service><tns:password>${password}</tns:password>${request}</tns:create-request-request>`,
  );
}

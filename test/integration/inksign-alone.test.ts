// InkSign alone (issue 16 part 2): `<signature><method handwritten="true"/></signature>`, a handwriting-only
// signature, over HTTP on each database. createRequest accepts the empty method only with handwritten="true" and
// only as the task's one signature method (else a SOAP Fault naming the element and the rule). Without any eID
// login the signer reads the document, Send in leads to the pad, refused drawings answer 400 in the signer's
// language and write nothing, and a drawing signs: the task completes, the sealed LTV-SDO carries the strokes in
// the platform's native signature and says "simple electronic signature", xmlsec1 verifies both signatures,
// segl's own verifier passes it and reports the simple level, a replayed POST writes nothing, and the PAdES cover
// shows the drawing with "handwritten signature only (simple electronic signature)" and no certificate subject.
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe as describeResult, verifyLtvSdo } from '../../src/signing/offline';
import { envelope, faultString, NS, post, createRequestXml } from '../support/soap';
import { BrowserLike, formBody, pageText, step } from '../support/portalflow';
import { waitSealed } from '../support/sign';
import { databases, type TestServer } from '../support/server';
import { xmlsecEachSignature } from '../support/xmlsec';
import { testPng, testStrokes } from '../support/inkpng';
import { completedPackage, INK_USER_AGENT, inkSuite } from '../support/inkflow';
import { nodeSoapClient } from '../support/packaging';
import { run } from '../support/pades';
import * as x509 from '@peculiar/x509';

jest.setTimeout(180_000);

const DOC =
  '<document xsi:type="provided-document" id="d1" mime-type="text/plain"><description>Receipt</description>' +
  `<data>${Buffer.from('Received: one bicycle.\n').toString('base64')}</data></document>`;
const task = (signature: string, extra = '') =>
  `<task id="t1">${extra}<document-action type="sign"><document-ref>d1</document-ref></document-action><signature>${signature}</signature></task>`;

describe.each(databases())('InkSign alone: a handwriting-only signature without an eID (%s)', (db) => {
  const suite = inkSuite(db, 'segl-inkalone-');
  const { pem, state } = suite;
  let s: TestServer;
  beforeAll(() => (s = suite.server()));
  const create = (request: string) =>
    post(
      s.endpoint,
      envelope(
        `<create-request-request xmlns="${NS}"><service>demo</service><password>${s.demoPassword}</password><request>${request}</request></create-request-request>`,
      ),
    );

  test('createRequest: an empty method only with handwritten="true", and only as the one signature method', async () => {
    const before = await state();
    const refused = async (signature: string, rule: string) => {
      const r = await create(DOC + task(signature));
      expect([r.status, faultString(r.text)]).toEqual([500, expect.stringContaining(rule)]);
    };
    await refused(
      '<method/>',
      'request[0]/task[0]/signature[0]/method[0]: is required: a method name may be empty only with handwritten="true"',
    );
    await refused('<method handwritten="false"/>', 'request[0]/task[0]/signature[0]/method[0]: is required');
    await refused(
      '<method handwritten="true"/><method>nemid-sign</method>',
      'request[0]/task[0]/signature[0]/method[0]: a handwriting-only method (no name, handwritten="true") must be the only signature method of the task',
    );
    expect(await state()).toEqual(before);
    expect(await createRequestXml(s.endpoint, 'demo', s.demoPassword, DOC + task('<method handwritten="true"/>'))).toMatch(/\S/);
  });

  test('no login: read, Send in, the pad; bad drawings 400 and nothing written; a drawing signs, is sealed and says "simple"', async () => {
    const requestId = await createRequestXml(s.endpoint, 'demo', s.demoPassword, DOC + task('<method handwritten="true"/>'));
    const q = `request_id=${requestId}&task_id=t1`;
    const b = new BrowserLike(s.url, INK_USER_AGENT);
    let p = await b.open(`/std/docaction/demo?${q}`, 'task URL');
    expect(p.html).not.toMatch(/name="password"/); // no eID login asked
    // Send in before reading: the wizard again with what is unread, nothing written
    const before = await state();
    const early = await b.request('POST', ...formBody(p, (f) => f.id === 'sendin', { do: 'sendin' }, 'Send in'));
    expect([early.status, early.html]).toEqual([
      400,
      expect.stringMatching(/role="alert">Read these documents before you send in: Receipt/),
    ]);
    const pad0 = await b.request('GET', `/std/docaction/demo/handwriting?${q}&document_id=d1`);
    expect(pad0.status).toBe(400); // the pad is not offered before the document is read
    expect(await state()).toEqual({ ...before });
    await b.open(`/std/docaction/demo/document?${q}&document_id=d1`, 'document');
    p = await b.open(`/std/docaction/demo?${q}`, 'wizard');
    const pad = await b.submit(p, (f) => f.id === 'sendin', { do: 'sendin' }, 'Send in');
    expect(pad.url).toContain('/handwriting?');
    expect(pageText(pad.html)).toContain('Sign with a handwritten signature only (simple electronic signature)');
    expect(pad.html).toMatch(/<canvas id="ink-pad" role="img"/);
    expect(pad.html).toMatch(/<button class="button" name="do" value="next">Sign<\/button>/);

    const good = {
      strokes: JSON.stringify(testStrokes(2, 30, 'pen')),
      png: testPng(600, 200).toString('base64'),
      pointer: 'pen',
      screen: '1280x800',
    };
    const mid = await state();
    const refused = async (over: Record<string, string>, status: number, text: string) => {
      const a = await b.request('POST', ...formBody(pad, step('handwriting'), { ...good, ...over, do: 'next' }, 'bad drawing'));
      expect({ status: a.status, text: pageText(a.html) }).toEqual({ status, text: expect.stringContaining(text) as string });
      expect(await state()).toEqual(mid);
    };
    await refused({ strokes: '[]' }, 400, 'Draw your signature in the box before you go on.');
    await refused({ strokes: '{"x":1}' }, 400, 'The drawing could not be used.');
    await refused({ png: Buffer.from('GIF89a').toString('base64') }, 400, 'The drawing could not be used.');
    await refused({ png: 'A'.repeat(720 * 1024) }, 400, 'The drawing is too large.');
    await refused({ png: 'A'.repeat(1200 * 1024) }, 400, 'The drawing is too large.'); // over the body limit
    await refused({ csrf: 'forged' }, 403, 'For your security the form could not be sent.');

    const [url, body] = formBody(pad, step('handwriting'), { ...good, do: 'next' }, 'drawing');
    const done = await b.request('POST', url, body);
    expect([done.status, done.html]).toEqual([200, expect.stringContaining('seal-status')]);
    expect((await waitSealed(s.rt, requestId, 't1')).map((r) => r.status)).toEqual(['done']);
    const xml = await completedPackage(s, requestId);
    // replayed: the completed page, nothing written
    const after = await state();
    const replay = await b.request('POST', url, body);
    expect([replay.status, pageText(replay.html)]).toEqual([200, expect.stringContaining('This task is completed')]);
    expect(await state()).toEqual(after);

    // the drawing inside the native signature's signed SignProperties
    expect(xml).toMatch(
      /<ds:Object Id="signproperties-[^"]+"[^>]*><sp:SignProperties[\s\S]*<sp:Handwriting[\s\S]*<\/sp:SignProperties><\/ds:Object>/,
    );
    const strokes = [...xml.matchAll(/<sp:Stroke Index="\d+" PointerType="pen">([^<]*)<\/sp:Stroke>/g)];
    expect(strokes).toHaveLength(2);
    expect(xml).toContain(`<sp:Device PointerType="pen" Screen="1280x800"><sp:UserAgent>${INK_USER_AGENT}</sp:UserAgent>`);
    // the signer: nobody identified, level simple; no certificate kind, PID or CPR
    const sd = /<SignerDescription>([\s\S]*?)<\/SignerDescription>/.exec(xml)![1]!;
    expect(sd).toContain('<SignerName>not identified (handwritten signature only)</SignerName>');
    expect(sd).toMatch(/<SignatureLevel Level="simple">simple electronic signature: a handwritten signature drawn in the portal/);
    expect(sd).not.toMatch(/CertificateKind|SignerPid|SignerNationalId/);
    expect(xml).toMatch(
      /<Entry [^>]*Type="handwriting-drawn">no login; signature drawn with pen \(2 strokes\): a handwritten signature only, no eID \(simple electronic signature\)<\/Entry>/,
    );
    expect(xml).toMatch(/<Address>[^<]+<\/Address>/);
    const outs = await xmlsecEachSignature(suite.dir(), xml, pem.root!, [pem.ca!, pem['service-ca']!]);
    expect(outs).toHaveLength(2);
    for (const out of outs) expect(out).toMatch(/^OK$/m);
    const tampered = xml.replace(
      /(<sp:Stroke Index="1" PointerType="pen">)(\d)/,
      (_m, a: string, d: string) => `${a}${d === '0' ? '1' : '0'}`,
    );
    expect(tampered).not.toBe(xml);
    for (const out of await xmlsecEachSignature(suite.dir(), tampered, pem.root!, [pem.ca!, pem['service-ca']!]))
      expect(out).not.toMatch(/^OK$/m);
    // segl verify: passes, and says it is a simple electronic signature, not a signer's certificate
    const result = await verifyLtvSdo(xml, [new x509.X509Certificate(pem.root!)]);
    expect([result.indication, result.level]).toEqual(['TOTAL-PASSED', 'simple']);
    const text = describeResult(result);
    expect(text).toContain('signature level: simple electronic signature — a handwritten signature only');
    expect(text).not.toMatch(/^signer: /m);

    // the PAdES cover: the drawing, the simple level in words, no certificate subject or issuer
    const call = await nodeSoapClient(`${s.url}/ws/packagingservice-v4`, { service: 'demo', password: s.demoPassword });
    const r = await call({
      'packaging-method': 'pades',
      sdo: [{ 'order-document-id': { 'request-id': requestId, 'task-id': 't1', 'document-id': 'd1', type: 'result' } }],
    });
    if ('fault' in r) throw new Error(r.fault);
    expect(r.result.error).toBeUndefined();
    const auth = { authorization: `Basic ${Buffer.from(`demo:${s.demoPassword}`).toString('base64')}` };
    const pdf = path.join(suite.dir(), `alone-${db}.pdf`);
    writeFileSync(pdf, Buffer.from(await (await fetch(`${s.url}/doc/demo/sds/${r.result.id}`, { headers: auth })).arrayBuffer()));
    const cover = (await run('pdftotext', ['-enc', 'UTF-8', pdf, '-'])).out.split('\f')[0]!.replace(/\s+/g, ' ');
    expect(cover).toContain('handwritten signature only (simple electronic signature)');
    expect(cover).toContain('not identified (no eID)');
    expect(cover).toContain('Handwritten signature, part of the signed evidence');
    expect(cover).not.toContain('Certificate subject');
    expect((await run('pdfimages', ['-list', pdf])).out).toMatch(/^\s*1\s+\d+\s+image\s+600\s+200\s/m);
  });

  test('a task naming a login asks it first: the pad is not reached without it', async () => {
    const requestId = await createRequestXml(
      s.endpoint,
      'demo',
      s.demoPassword,
      DOC +
        task('<method handwritten="true"/>', '').replace(
          '<signature>',
          '<authentication><method>nemid</method></authentication><signature>',
        ),
    );
    const q = `request_id=${requestId}&task_id=t1`;
    const b = new BrowserLike(s.url);
    const p = await b.open(`/std/docaction/demo?${q}`, 'task URL');
    expect(p.html).toMatch(/name="password"/); // the login form
    const before = await state();
    const pad = await b.request('GET', `/std/docaction/demo/handwriting?${q}&document_id=d1`);
    expect([pad.status, pad.location]).toEqual([303, `/std/docaction/demo?${q}`]);
    expect(await state()).toEqual(before);
  });
});

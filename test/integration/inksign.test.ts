// InkSign (issue 16 part 2): `<method handwritten="true">nemid-sign</method>` over HTTP on each database. After
// the sign page's user id the portal shows the drawing pad; refused drawings (empty, malformed, a lying or
// oversized PNG, too many strokes, a body over the limit) answer 400 with a translated text and write nothing;
// an accepted drawing is signed with the documents: the sealed LTV-SDO's native signature carries the strokes,
// the PNG and the device inside its signed SignProperties, xmlsec1 verifies both signatures, and a changed
// stroke breaks them.
import { createHash } from 'node:crypto';
import { verifyLtvSdo } from '../../src/signing/offline';
import { createRequestXml } from '../support/soap';
import { BrowserLike, formBody, formsOf, keyCardCode, pageText, step } from '../support/portalflow';
import { newSessionUser, sessionUrl, signingTask, textDoc } from '../support/usersessions';
import { waitSealed } from '../support/sign';
import { databases, type TestServer } from '../support/server';
import { xmlsecEachSignature } from '../support/xmlsec';
import { testPng, testStrokes } from '../support/inkpng';
import { inkPad, inkSuite } from '../support/inkflow';
import * as x509 from '@peculiar/x509';

describe.each(databases())('InkSign: a handwritten signature after the test eID (%s)', (db) => {
  const suite = inkSuite(db, 'segl-ink-');
  const pem = suite.pem;
  let s: TestServer;
  let dir: string;
  beforeAll(() => {
    s = suite.server();
    dir = suite.dir();
  });

  const state = suite.state;

  /** A new handwritten task (in `language`), logged in with `u`, its document read, Send in, the user id: the pad. */
  const padFor = (u: { alias: string; password: string }, language = 'en') => inkPad(s, u, language);

  test('in Danish: the pad and its refusals', async () => {
    const u = { ...s.rt.testid!.autofill(), alias: `ink-da-${db}`, password: `ink-da-password-${db}` };
    await s.rt.testid!.createUser(u);
    const { b, pad } = await padFor(u, 'da');
    expect(pageText(pad.html)).toContain('Tegn din underskrift');
    expect(pad.html).toContain('aria-label="Felt til tegning af underskrift"');
    const before = await state();
    const a = await b.request(
      'POST',
      ...formBody(pad, step('sign/ink'), { strokes: '[]', png: '', pointer: 'touch', screen: '360x740', do: 'next' }, 'empty'),
    );
    expect([a.status, pageText(a.html)]).toEqual([400, expect.stringContaining('Tegn din underskrift i feltet, før du går videre.')]);
    expect(await state()).toEqual(before);
  });

  test('the pad follows the user id; bad drawings get 400 and nothing written; a drawn task completes and the LTV-SDO signs the drawing', async () => {
    const testid = s.rt.testid!;
    const u = { ...testid.autofill(), alias: `ink-${db}`, password: `ink-password-${db}` };
    await testid.createUser(u);
    const { b, pad, requestId } = await padFor(u);
    // the pad: label, instructions, the canvas and its script (no code form yet)
    expect(pageText(pad.html)).toContain('Draw your signature');
    expect(pad.html).toMatch(/<canvas id="ink-pad" role="img" aria-label="Signature drawing box" aria-describedby="ink-help">/);
    expect(pad.html).toContain('<script src="/portal/static/inkpad.js" defer></script>');
    expect(pad.html).not.toMatch(/key number/);
    const js = await fetch(`${s.url}/portal/static/inkpad.js`);
    expect(js.status).toBe(200);
    expect(await js.text()).toContain("addEventListener('pointerdown'");

    const good = {
      strokes: JSON.stringify(testStrokes(3, 40)),
      png: testPng(750, 300).toString('base64'),
      pointer: 'touch',
      screen: '360x740',
    };
    const before = await state();
    const refused = async (over: Record<string, string>, text: string) => {
      const a = await b.request('POST', ...formBody(pad, step('sign/ink'), { ...good, ...over, do: 'next' }, 'bad drawing'));
      expect({ status: a.status, text: pageText(a.html) }).toEqual({ status: 400, text: expect.stringContaining(text) as string });
      expect(await state()).toEqual(before);
    };
    await refused({ strokes: '[]' }, 'Draw your signature in the box before you go on.');
    await refused({ strokes: '' }, 'Draw your signature in the box before you go on.');
    await refused({ strokes: '{"x":1}' }, 'The drawing could not be used.');
    await refused({ strokes: JSON.stringify(testStrokes(1, 3)).replace('0.25', '1.5') }, 'The drawing could not be used.');
    await refused({ strokes: JSON.stringify(testStrokes(201, 2)) }, 'The drawing could not be used.');
    await refused({ strokes: JSON.stringify(testStrokes(3, 4000)) }, 'The drawing could not be used.');
    await refused({ pointer: 'joystick' }, 'The drawing could not be used.');
    await refused({ png: Buffer.from('GIF89a not a png').toString('base64') }, 'The drawing could not be used.');
    await refused({ png: testPng(750, 300, 200).toString('base64') }, 'The drawing could not be used.'); // rows missing
    await refused({ png: testPng(5000, 10).toString('base64') }, 'The drawing could not be used.'); // too wide
    await refused({ png: 'A'.repeat(720 * 1024) }, 'The drawing is too large.');
    await refused({ png: 'A'.repeat(1200 * 1024) }, 'The drawing is too large.'); // over the body limit

    // straight to the key-card step without a drawing: the pad again, nothing written
    const [inkUrl, inkBody] = formBody(pad, step('sign/ink'), {}, 'pad');
    const direct = new URLSearchParams({ csrf: inkBody.get('csrf')!, document_id: 'd1', user: u.alias, password: u.password });
    for (const [k, v] of Object.entries({ challenge: 'x', code: '000000', do: 'next' })) direct.set(k, v);
    const early = await b.request('POST', inkUrl.replace('/sign/ink?', '/sign/confirm?'), direct);
    expect([early.status, pageText(early.html)]).toEqual([
      400,
      expect.stringContaining('Draw your signature in the box before you go on.'),
    ]);
    expect(await state()).toEqual(before);

    // accepted: the code form follows, and Sign completes the task
    const p = await b.submit(pad, step('sign/ink'), { ...good, do: 'next' }, 'drawing');
    const confirm = formBody(
      p,
      step('sign/confirm'),
      { password: u.password, code: await keyCardCode(testid, u.alias, p, 'code'), do: 'next' },
      'confirm',
    );
    const done = await b.request('POST', ...confirm);
    expect(done.status).toBe(200);
    expect((await waitSealed(s.rt, requestId, 't1')).map((r) => r.status)).toEqual(['done']);
    const svc = (await s.rt.services.find('demo'))!;
    const status = await s.rt.documents.requests.getStatus(svc, [requestId]);
    expect(status[0]!.taskStatus).toBe('completed');
    const doc = await s.rt.documents.requests.resultDocument(svc, requestId, 't1', 'd1');
    const xml = Buffer.from(await s.rt.blobs.getBytes(doc.blobKey)).toString('utf8');
    await expectDrawingSigned(xml, good);
    // segl's own offline verifier (segl verify) accepts the package with the drawing
    expect((await verifyLtvSdo(xml, [new x509.X509Certificate(pem.root!)])).indication).toBe('TOTAL-PASSED');
  });

  test("a user session's one act leaves a handwritten task out (no pad there): not offered, refused when named, nothing written", async () => {
    const u = await newSessionUser(s, `inksession-${db}`, 1);
    const create = (inner: string) => createRequestXml(s.endpoint, 'demo', s.demoPassword, inner);
    const r1 = await create(`${textDoc('loan', 'Loan agreement')}${signingTask('t1', 'loan')}`);
    const r2 = await create(
      `${textDoc('deed', 'Deed')}${signingTask('t1', 'deed').replace('<method>nemid-sign', '<method handwritten="true">nemid-sign')}`,
    );
    const svc = (await s.rt.services.find('demo'))!;
    const sessionTask = [
      { requestId: r1, taskId: 't1', order: 1, description: 'Loan' },
      { requestId: r2, taskId: 't1', order: 2, description: 'Deed' },
    ];
    const { userSessionId, artifact } = await s.rt.documents.requests.createUserSession(svc, { language: 'en', sessionTask });
    const b = new BrowserLike(s.url);
    let p = await b.open(sessionUrl(userSessionId, artifact), 'session');
    const link = new RegExp(`href="([^"]*request_id=${r1}[^"]*)"`).exec(p.html)![1]!.replace(/&amp;/g, '&');
    let t = await b.open(link, 'task page');
    t = await b.submit(t, step('login'), { user: u.alias, password: u.password }, 'login');
    await b.submit(t, step('login/code'), { code: await keyCardCode(s.rt.testid!, u.alias, t, 'login code'), do: 'next' }, 'code');
    p = await b.open(sessionUrl(userSessionId), 'session');
    for (const m of p.html.matchAll(/href="([^"]*\/document\?[^"]*)"/g)) await b.open(m[1]!.replace(/&amp;/g, '&'), 'document');
    p = await b.open(sessionUrl(userSessionId), 'session');
    const signall = formsOf(p.html).find((f) => f.id === 'signall');
    expect(signall?.fields.filter(([k]) => k === 'task').map(([, v]) => v)).toEqual([`${r1}/t1`]);
    const before = await state();
    const [url, body] = formBody(p, (f) => f.id === 'signall', {}, 'sign all');
    body.append('task', `${r2}/t1`);
    const a = await b.request('POST', url, body);
    expect([a.status, pageText(a.html)]).toEqual([409, expect.stringContaining('Deed')]);
    expect(await state()).toEqual(before);
  });

  /** The package carries the drawing in the native signature's SignProperties; xmlsec1 verifies it; a changed stroke fails. */
  async function expectDrawingSigned(xml: string, good: { strokes: string; png: string }): Promise<void> {
    const hw = /<sp:Handwriting Version="1">([\s\S]*?)<\/sp:Handwriting>/.exec(xml)?.[1];
    expect(hw).toBeDefined();
    expect(hw).toMatch(
      /<sp:Device PointerType="touch" Screen="360x740"><sp:UserAgent>Mozilla\/5.0 \(Linux; Android 14\) segl-ink-test<\/sp:UserAgent>/,
    );
    const sent = JSON.parse(good.strokes) as Array<{ points: number[][] }>;
    const strokes = [...hw!.matchAll(/<sp:Stroke Index="(\d+)" PointerType="touch">([^<]*)<\/sp:Stroke>/g)].map((m) =>
      m[2]!.split(' ').map((pt) => pt.split(',').map(Number)),
    );
    expect(strokes).toEqual(sent.map((x) => x.points.map((pt) => pt.map((v) => Math.round(v * 10000) / 10000))));
    const png =
      /<sp:Image Encoding="base64" Height="300" MimeType="image\/png" Width="750"><sp:DigestValue Algorithm="[^"]+">([^<]+)<\/sp:DigestValue><sp:Data>([^<]+)<\/sp:Data>/.exec(
        hw!,
      );
    expect(png?.[2]).toBe(good.png);
    expect(png?.[1]).toBe(createHash('sha256').update(Buffer.from(good.png, 'base64')).digest('base64'));
    // inside the native signature's signed object (the Handwriting sits in the ds:Object its Reference digests)
    expect(xml).toMatch(
      /<ds:Object Id="(signproperties-[^"]+)"[^>]*><sp:SignProperties[\s\S]*<sp:Handwriting[\s\S]*<\/sp:SignProperties><\/ds:Object>/,
    );
    const outs = await xmlsecEachSignature(dir, xml, pem.root!, [pem.ca!, pem['service-ca']!]);
    expect(outs).toHaveLength(2);
    for (const out of outs) expect(out).toMatch(/^OK$/m);
    // one coordinate changed: the native signature's reference and the seal both fail
    const tampered = xml.replace(/(<sp:Stroke Index="1" PointerType="touch">)0\.0244/, '$10.0245');
    expect(tampered).not.toBe(xml);
    for (const out of await xmlsecEachSignature(dir, tampered, pem.root!, [pem.ca!, pem['service-ca']!])) expect(out).not.toMatch(/^OK$/m);
  }
});

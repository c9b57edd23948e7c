// Interactive forms (issue 16 part 1, Signicat's form id="interactive"): a PDF with every AcroForm field
// kind is read at createRequest (prefilled by input-param); XFA, two signers, unknown input-param names
// and values a field cannot take are refused with a Client fault and nothing stored. On both databases.
import { PDFDocument } from '@cantoo/pdf-lib';
import { formPdf } from '../support/formpdf';
import { execFile, execFileSync } from 'node:child_process';
import { promisify } from 'node:util';
import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { bodyPayload, createRequestXml, envelope, faultString, NS, post, REFERENCE_WSDL, xmllintErrors } from '../support/soap';
import { BrowserLike, formBody, formsOf, keyCardCode, pageText, step, type Form } from '../support/portalflow';
import { waitSealed } from '../support/sign';
import { databases, startServer, type TestServer } from '../support/server';
import { blobFiles } from '../support/blobs';
import { deflatedZeros, objectStreamBomb } from '../support/pdfbomb';

const ZEEP = path.join(__dirname, 'forms_zeep.py');
const run = promisify(execFile);
/** Runs a system tool (poppler-utils, qpdf); a non-zero exit throws. */
const tool = (cmd: string, args: string[]): string => execFileSync(cmd, args).toString('utf8');

const formDoc = (pdf: Buffer, params = '', id = 'f1') =>
  `<document xsi:type="provided-document" id="${id}" mime-type="application/pdf"><description>Application</description>` +
  `<form id="interactive">${params}</form><data>${pdf.toString('base64')}</data></document>`;

const signTask = (id: string, doc = 'f1') =>
  `<task id="${id}"><subject><national-id>0101701234</national-id></subject><document-action type="sign"><document-ref>${doc}</document-ref></document-action>` +
  '<signature><method>nemid-sign</method></signature></task>';

describe.each(databases())('interactive forms at createRequest (%s)', (db) => {
  let s: TestServer;
  beforeAll(async () => {
    s = await startServer(db);
  });
  afterAll(async () => {
    await s?.stop();
  });

  const create = (request: string) =>
    post(
      s.endpoint,
      envelope(
        `<create-request-request xmlns="${NS}"><service>demo</service><password>${s.demoPassword}</password>` +
          `<request>${request}</request></create-request-request>`,
      ),
    );
  const count = async (table: string) =>
    Number(((await s.rt.db.query(`SELECT COUNT(*) AS n FROM ${table}`)) as Array<{ n: number | string }>)[0]!.n);
  /** what a refused createRequest must leave as it was */
  const state = async () => ({ requests: await count('request'), documents: await count('document'), blobs: blobFiles(s.dataDir).length });

  test('every field kind is read, input-param prefills, and the fields are kept with the document', async () => {
    const params =
      '<input-param name="ref" value="Kunde 4711 Æble"/><input-param name="city" value="Tromsø"/><input-param name="agree" value="Yes"/>';
    const r = await create(formDoc(await formPdf(), params) + signTask('t1'));
    expect(faultString(r.text)).toBeNull();
    const requestId = /<request-id>([^<]+)</.exec(r.text)![1]!;
    const svc = (await s.rt.services.find('demo'))!;
    const body = await s.rt.documents.requests.getRequest(svc, requestId);
    const fields = body.document![0]!.form!.fields!;
    expect(fields.map((f) => [f.name, f.kind, f.value])).toEqual([
      ['name', 'text', ''],
      ['note', 'text', ''],
      ['agree', 'checkbox', 'Yes'],
      ['colour', 'radio', 'Off'],
      ['city', 'combo', 'Tromsø'],
      ['size', 'list', ''],
      ['ref', 'text', 'Kunde 4711 Æble'],
    ]);
    const name = fields[0]!;
    expect(name).toMatchObject({ label: 'Full name', required: true, maxLength: 40, readOnly: false });
    // the widget's rectangle with pdf-lib's 1 pt border
    expect(name.widgets[0]).toMatchObject({ page: 0, x: 49.5, y: 699.5, width: 301, height: 25 });
    expect(fields[3]!.options).toEqual(['red', 'blue']);
    expect(fields[6]!.readOnly).toBe(true);
    // getRequest over SOAP answers the form as sent (the field list is segl's own, not on the wire)
    const got = await post(
      s.endpoint,
      envelope(
        `<get-request-request xmlns="${NS}"><service>demo</service><password>${s.demoPassword}</password>` +
          `<request-id>${requestId}</request-id></get-request-request>`,
      ),
    );
    const payload = bodyPayload(got.text)!;
    expect(await xmllintErrors(payload)).toBe('');
    expect(payload).toContain('<form id="interactive"><input-param name="ref" value="Kunde 4711 Æble"/>');
    expect(payload).not.toContain('widgets');
  });

  const refused: Array<[string, () => Promise<string>, RegExp]> = [
    [
      'an XFA form',
      async () => formDoc(await formPdf({ xfa: true })) + signTask('t1'),
      /request\[0\]\/document\[0\]\/form: document "f1" holds an XFA form/,
    ],
    [
      'a form document two tasks sign',
      async () => formDoc(await formPdf()) + signTask('t1') + signTask('t2'),
      /document "f1" has an interactive form and can only have one signer; 2 tasks sign it/,
    ],
    [
      'an input-param naming no field',
      async () => formDoc(await formPdf(), '<input-param name="nosuch" value="x"/>') + signTask('t1'),
      /form\/input-param\[0\]: "nosuch" names no field of document "f1"/,
    ],
    [
      'an input-param value that is no export value',
      async () => formDoc(await formPdf(), '<input-param name="colour" value="green"/>') + signTask('t1'),
      /"colour" is not one of the export values of the field \(red, blue\)/,
    ],
    [
      'an input-param longer than the max length',
      async () => formDoc(await formPdf(), `<input-param name="name" value="${'x'.repeat(41)}"/>`) + signTask('t1'),
      /"name" is longer than the maximum length 40 of the field/,
    ],
    [
      'a form on a text document',
      async () =>
        '<document xsi:type="provided-document" id="f1" mime-type="text/plain"><description>T</description><form id="interactive"/>' +
        `<data>${Buffer.from('hello').toString('base64')}</data></document>` +
        signTask('t1'),
      /an interactive form needs a provided-document of mime-type application\/pdf/,
    ],
    [
      // 256 MiB of object stream in a few hundred bytes: refused once 64 MiB are unpacked (content/decodebudget.ts)
      'a form PDF whose object stream unpacks to 256 MiB (a compression bomb)',
      async () => formDoc(objectStreamBomb(await deflatedZeros(256 * 1024 * 1024))) + signTask('t1'),
      /request\[0\]\/document\[0\]\/data: document "f1": the form PDF cannot be read: its compressed streams unpack to more than 64 MB: a compression bomb/,
    ],
  ];
  test.each(refused)('%s is refused with a Client fault, nothing stored', async (_what, request, fault) => {
    const before = await state();
    const r = await create(await request());
    expect(r.status).toBe(500);
    expect(r.text).toMatch(/<faultcode>[^<]*Client<\/faultcode>/);
    expect(faultString(r.text)).toMatch(fault);
    expect(await state()).toEqual(before);
  });
});

describe.each(databases())('an interactive form filled in the portal and signed (%s)', (db) => {
  let s: TestServer;
  beforeAll(async () => {
    s = await startServer(db);
  });
  afterAll(async () => {
    await s?.stop();
  });

  const auth = () => ({ authorization: `Basic ${Buffer.from(`demo:${s.demoPassword}`).toString('base64')}` });
  const docRow = async (requestId: string) =>
    (
      (await s.rt.db.query(
        db === 'postgres'
          ? 'SELECT blob_key, form_fields FROM document WHERE request_id = $1'
          : 'SELECT blob_key, form_fields FROM document WHERE request_id = ?',
        [requestId],
      )) as Array<{ blob_key: string; form_fields: string | null }>
    )[0]!;

  test('the fields show as labelled inputs; bad values are refused (400, nothing written); Nordic values are merged, signed and reported', async () => {
    const testid = s.rt.testid!;
    const u = { ...testid.autofill(), alias: `form-${db}`, password: `form-password-${db}` };
    await testid.createUser(u);
    const params = '<input-param name="ref" value="Kunde 4711"/>';
    const request =
      formDoc(await formPdf(), params) +
      `<task id="t1"><subject><national-id>${u.cpr}</national-id></subject><document-action type="sign"><document-ref>f1</document-ref></document-action>` +
      '<authentication><method>nemid</method></authentication><signature><method>nemid-sign</method></signature></task>';
    const requestId = await createRequestXml(s.endpoint, 'demo', s.demoPassword, request);
    const q = `request_id=${requestId}&task_id=t1`;
    const b = new BrowserLike(s.url);
    const taskUrl = `/std/docaction/demo?${q}`;
    let p = await b.open(taskUrl, 'task URL');
    p = await b.submit(p, step('login'), { user: u.alias, password: u.password }, 'login');
    p = await b.submit(p, step('login/code'), { code: await keyCardCode(testid, u.alias, p, 'login code'), do: 'next' }, 'login code');
    if (formsOf(p.html).some(step('cpr'))) p = await b.submit(p, step('cpr'), { cpr: `${u.cpr.slice(0, 6)}-${u.cpr.slice(6)}` }, 'CPR');

    // Send in before the form is filled: the wizard says so
    p = await b.open(taskUrl, 'wizard');
    const early = await b.request('POST', ...formBody(p, (f) => f.id === 'sendin', { do: 'sendin' }, 'Send in'));
    expect(pageText(early.html)).toContain('Fill in the form of these documents before you send in: Application');

    const docUrl = `/std/docaction/demo/document?${q}&document_id=f1`;
    p = await b.open(docUrl, 'document');
    // labelled inputs: the tooltip as label, max length, required, read-only, export values
    expect(p.html).toMatch(
      /<label for="ff-0">Full name <span class="hint">\(required\)<\/span><\/label><input type="text" id="ff-0" name="field:name" form="docform" data-widget="0,49.5,699.5,301,25" maxlength="40" required/,
    );
    expect(p.html).toMatch(/<input type="text" id="ff-6" name="field:ref" form="docform" data-widget="[^"]+" readonly value="Kunde 4711">/);
    expect(p.html).toContain(
      '<input type="checkbox" id="ff-2" name="field:agree" form="docform" data-widget="0,49.5,559.5,17,17" value="Yes">',
    );
    expect(p.html).toContain('<legend>colour</legend>');
    expect(p.html).toContain('<option value="Malmö">Malmö</option>');
    const good = {
      'field:name': 'Æble Øst Åse',
      'field:note': 'Første linje\nanden linje',
      'field:agree': 'Yes',
      'field:colour': 'blue',
      'field:city': 'Malmö',
      'field:size': 'M',
    };
    const pick = (f: Form) => f.id === 'docform';
    const before = await docRow(requestId);
    const bad: Array<[Record<string, string>, string]> = [
      [{ 'field:nosuch': 'x' }, 'nosuch'],
      [{ 'field:ref': 'Kunde 9999' }, 'ref'],
      [{ 'field:name': 'Æ'.repeat(41) }, 'Full name'],
      [{ 'field:colour': 'green' }, 'colour'],
      [{ 'field:city': 'Oslo' }, 'city'],
      [{ 'field:agree': 'Maybe' }, 'agree'],
      [{ 'field:name': '' }, 'Full name'],
    ];
    for (const [over, named] of bad) {
      const a = await b.request('POST', ...formBody(p, pick, { ...good, ...over }, 'bad form'));
      expect(a.status).toBe(400);
      expect(pageText(a.html)).toContain('The answers could not be used');
      expect(pageText(a.html)).toContain(named);
      expect(await docRow(requestId)).toEqual(before);
    }
    const lilla = await b.request('POST', ...formBody(p, pick, { ...good, 'field:colour': 'lilla' }, 'bad form'));
    expect(lilla.status).toBe(400);
    expect(await docRow(requestId)).toEqual(before);

    p = await b.submit(p, pick, good, 'form');
    expect(p.url).toContain('/document?');
    expect(pageText(p.html)).toContain('Your answers are in the document');
    const after = await docRow(requestId);
    expect(after.blob_key).not.toBe(before.blob_key);
    await b.open(`/std/docaction/demo/document/raw?${q}&document_id=f1`, 'the merged PDF');
    p = await b.open(taskUrl, 'wizard');
    p = await b.submit(p, (f) => f.id === 'sendin', { do: 'sendin' }, 'Send in');
    p = await b.submit(p, step('sign/start'), {}, 'sign/start');
    const confirm = formBody(
      p,
      step('sign/confirm'),
      { password: u.password, code: await keyCardCode(testid, u.alias, p, 'signing code'), do: 'next' },
      'confirm',
    );
    const done = await b.request('POST', ...confirm);
    expect([200, 303]).toContain(done.status);
    expect((await waitSealed(s.rt, requestId, 't1')).map((r) => r.status)).toEqual(['done']);

    // getStatus: form-output-param for every field, valid against Signicat's schema
    const st = await post(
      s.endpoint,
      envelope(
        `<get-status-request xmlns="${NS}"><service>demo</service><password>${s.demoPassword}</password><request-id>${requestId}</request-id></get-status-request>`,
      ),
    );
    const payload = bodyPayload(st.text)!;
    expect(await xmllintErrors(payload)).toBe('');
    // (a line break in an attribute value is written as &#10;: a literal one would be read as a space, XML 1.0 §3.3.3)
    const out = [...payload.matchAll(/<form-output-param name="([^"]*)" value="([^"]*)"\/>/g)].map((m) => [
      m[1],
      m[2]!.replace(/&#10;/g, '\n'),
    ]);
    const expected = [
      ['name', 'Æble Øst Åse'],
      ['note', 'Første linje\nanden linje'],
      ['agree', 'Yes'],
      ['colour', 'blue'],
      ['city', 'Malmö'],
      ['size', 'M'],
      ['ref', 'Kunde 4711'],
    ];
    expect(out).toEqual(expected);
    // and as a client generated from Signicat's own WSDL reads them (python-zeep, strict)
    // (asynchronously: the server answering it runs in this process)
    const zeep = JSON.parse(
      (await run('/usr/bin/python3', [ZEEP, REFERENCE_WSDL, s.endpoint, 'demo', s.demoPassword, requestId], { timeout: 60_000 })).stdout,
    ) as Array<{ task: string; document: string; params: string[][] }>;
    expect(zeep).toEqual([{ task: 't1', document: 'f1', params: expected }]);

    // the original (with its form), the merged PDF and the result can all be downloaded
    const get = async (kind: string) => {
      const r = await fetch(`${s.url}/doc/demo/order/${requestId}/t1/f1/${kind}`, { headers: auth() });
      expect(r.status).toBe(200);
      return Buffer.from(await r.arrayBuffer());
    };
    const original = await get('original');
    const merged = await get('merged');
    const sdo = (await get('sdo')).toString('utf8');
    expect((await PDFDocument.load(original)).getForm().getFields()).toHaveLength(7);
    expect((await PDFDocument.load(merged)).getForm().getFields()).toHaveLength(0); // flattened
    const dir = mkdtempSync(path.join(os.tmpdir(), 'segl-forms-'));
    try {
      writeFileSync(path.join(dir, 'merged.pdf'), merged);
      const text = tool('pdftotext', ['-enc', 'UTF-8', path.join(dir, 'merged.pdf'), '-']);
      for (const v of ['Æble Øst Åse', 'Første linje', 'Malmö', 'Kunde 4711']) expect(text).toContain(v);
      tool('qpdf', ['--check', path.join(dir, 'merged.pdf')]);
      const fonts = tool('pdffonts', [path.join(dir, 'merged.pdf')]);
      expect(fonts).toMatch(/DejaVuSans\s+CID TrueType\s+Identity-H\s+yes\s+yes/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
    // the native signature (inside the LTV-SDO) covers the merged bytes, not the original's
    const digest = (b: Buffer) => createHash('sha256').update(b).digest('base64');
    expect(sdo).toContain(digest(merged));
    expect(sdo).not.toContain(digest(original));
  });
});

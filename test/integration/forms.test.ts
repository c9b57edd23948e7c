// Interactive forms (issue 16 part 1, Signicat's form id="interactive"): a PDF with every AcroForm field
// kind is read at createRequest (prefilled by input-param); XFA, two signers, unknown input-param names
// and values a field cannot take are refused with a Client fault and nothing stored. On both databases.
import { PDFDocument, PDFName, PDFString, StandardFonts } from '@cantoo/pdf-lib';
import { envelope, faultString, NS, post } from '../support/soap';
import { databases, startServer, type TestServer } from '../support/server';
import { blobFiles } from '../support/blobs';

/** A one-page form: name (text, tooltip, max 40), note (multiline), agree (checkbox), colour (radio), city (combo),
 * size (list), ref (read-only). */
export async function formPdf(opts: { xfa?: boolean } = {}): Promise<Buffer> {
  const doc = await PDFDocument.create();
  const page = doc.addPage([595, 842]);
  const font = await doc.embedFont(StandardFonts.Helvetica);
  page.drawText('Application form', { x: 50, y: 790, size: 18, font });
  const form = doc.getForm();
  const name = form.createTextField('name');
  name.setMaxLength(40);
  name.enableRequired();
  name.addToPage(page, { x: 50, y: 700, width: 300, height: 24 });
  name.acroField.dict.set(PDFName.of('TU'), PDFString.of('Full name'));
  const note = form.createTextField('note');
  note.enableMultiline();
  note.addToPage(page, { x: 50, y: 600, width: 300, height: 60 });
  const agree = form.createCheckBox('agree');
  agree.addToPage(page, { x: 50, y: 560, width: 16, height: 16 });
  const colour = form.createRadioGroup('colour');
  colour.addOptionToPage('red', page, { x: 50, y: 520, width: 14, height: 14 });
  colour.addOptionToPage('blue', page, { x: 80, y: 520, width: 14, height: 14 });
  const city = form.createDropdown('city');
  city.addOptions(['Aarhus', 'Malmö', 'Tromsø']);
  city.addToPage(page, { x: 50, y: 470, width: 200, height: 24 });
  const size = form.createOptionList('size');
  size.addOptions(['S', 'M', 'L']);
  size.addToPage(page, { x: 50, y: 380, width: 100, height: 60 });
  const ref = form.createTextField('ref');
  ref.enableReadOnly();
  ref.addToPage(page, { x: 300, y: 470, width: 200, height: 24 });
  if (opts.xfa) {
    const acro = doc.catalog.getOrCreateAcroForm();
    acro.dict.set(
      PDFName.of('XFA'),
      doc.context.obj([PDFString.of('template'), doc.context.register(doc.context.flateStream('<template/>'))]),
    );
  }
  return Buffer.from(await doc.save({ updateFieldAppearances: !opts.xfa }));
}

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

// A PDF with an AcroForm of every field kind, made with pdf-lib, for the forms tests (issue 16 part 1).
import { PDFDocument, PDFName, PDFString, StandardFonts } from '@cantoo/pdf-lib';

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

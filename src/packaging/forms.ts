// Interactive forms on pdf-lib (core/forms.ts's `PdfForms` port): the AcroForm fields of a PDF read
// (text, checkbox, radio, combo and list; XFA detected), and values filled into a copy whose appearance
// streams are regenerated in DejaVu Sans (every Nordic letter) and whose form is flattened: the page
// content then shows the values in any reader, and no field is left to change after signing.
import {
  PDFCheckBox,
  PDFDocument,
  PDFDropdown,
  PDFHexString,
  PDFName,
  PDFOptionList,
  PDFRadioGroup,
  PDFString,
  PDFTextField,
  type PDFField,
} from '@cantoo/pdf-lib';
import { boundedDecode, CompressionBombError } from '../content/decodebudget';
import { ValidationError } from '../core/errors';
import { OFF, type PdfFormRead, type PdfForms } from '../core/forms';
import type { FormField, FormFieldKind } from '../core/types';
import { embedRegular } from './fonts';
import { places } from './template';

async function load(pdf: Uint8Array): Promise<PDFDocument> {
  try {
    return await PDFDocument.load(pdf, { updateMetadata: false });
  } catch (e) {
    throw ValidationError.one('document', `the form PDF cannot be read: ${e instanceof Error ? e.message : String(e)}`);
  }
}

/** Reads the form PDF and runs `f` on it, within the decode bound of its size: a compression bomb is refused. */
async function withPdf<T>(pdf: Uint8Array, f: (doc: PDFDocument) => Promise<T>): Promise<T> {
  try {
    return await boundedDecode(pdf.byteLength, async () => f(await load(pdf)));
  } catch (e) {
    if (e instanceof CompressionBombError) throw ValidationError.one('document', `the form PDF cannot be read: ${e.message}`);
    throw e;
  }
}

function tooltip(f: PDFField): string | undefined {
  const tu = f.acroField.dict.lookup(PDFName.of('TU'));
  const text = tu instanceof PDFString || tu instanceof PDFHexString ? tu.decodeText().trim() : '';
  return text || undefined;
}

function kindOf(f: PDFField): FormFieldKind | undefined {
  if (f instanceof PDFTextField) return 'text';
  if (f instanceof PDFCheckBox) return 'checkbox';
  if (f instanceof PDFRadioGroup) return 'radio';
  if (f instanceof PDFDropdown) return 'combo';
  if (f instanceof PDFOptionList) return 'list';
  return undefined; // push buttons and signature fields are not filled by the signer
}

function describe(doc: PDFDocument, f: PDFField, kind: FormFieldKind): FormField {
  const base = {
    name: f.getName(),
    kind,
    label: tooltip(f) ?? f.getName(),
    readOnly: f.isReadOnly(),
    required: f.isRequired(),
    widgets: places(doc, f).map((p) => ({ page: p.pageIndex, x: p.rect[0], y: p.rect[1], width: p.rect[2], height: p.rect[3] })),
  };
  if (f instanceof PDFTextField)
    return { ...base, options: [], value: f.getText() ?? '', maxLength: f.getMaxLength(), multiline: f.isMultiline() };
  if (f instanceof PDFCheckBox) {
    const on = f.acroField.getOnValue()?.decodeText() ?? 'Yes';
    return { ...base, options: [on], value: f.isChecked() ? on : OFF };
  }
  if (f instanceof PDFRadioGroup) return { ...base, options: f.getOptions(), value: f.getSelected() ?? OFF };
  const choice = f as PDFDropdown | PDFOptionList;
  return { ...base, options: choice.getOptions(), value: choice.getSelected()[0] ?? '' };
}

const read = (pdf: Uint8Array): Promise<PdfFormRead> => withPdf(pdf, readForm);

async function readForm(doc: PDFDocument): Promise<PdfFormRead> {
  // pdf-lib's getForm() drops an XFA form (with a warning): look before
  const xfa = doc.catalog.getAcroForm()?.dict.has(PDFName.of('XFA')) ?? false;
  if (xfa) return { xfa, fields: [] };
  const form = doc.getForm();
  const fields: FormField[] = [];
  for (const f of form.getFields()) {
    const kind = kindOf(f);
    if (kind) fields.push(describe(doc, f, kind));
  }
  return { xfa, fields };
}

function set(f: PDFField, v: FormField): void {
  const none = v.value === OFF || v.value === '';
  if (f instanceof PDFTextField) f.setText(v.value || undefined);
  else if (f instanceof PDFCheckBox) {
    if (none) f.uncheck();
    else f.check();
  } else if (f instanceof PDFRadioGroup) {
    if (none) f.clear();
    else f.select(v.value);
  } else if (f instanceof PDFDropdown || f instanceof PDFOptionList) {
    if (none) f.clear();
    else f.select(v.value);
  }
}

/** Fills the values into a copy, regenerates every appearance in DejaVu Sans and flattens the form. */
const fill = (pdf: Uint8Array, fields: readonly FormField[]): Promise<Uint8Array> => withPdf(pdf, (doc) => fillForm(doc, fields));

async function fillForm(doc: PDFDocument, fields: readonly FormField[]): Promise<Uint8Array> {
  const form = doc.getForm();
  const values = new Map(fields.map((f) => [f.name, f]));
  for (const f of form.getFields()) {
    const v = values.get(f.getName());
    if (v) set(f, v);
  }
  form.updateFieldAppearances(await embedRegular(doc, 'SEGLF'));
  form.flatten({ updateFieldAppearances: false });
  return doc.save({ useObjectStreams: false });
}

export const pdfForms: PdfForms = { read, fill };

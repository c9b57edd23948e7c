// Template covers: a service's own PDF whose AcroForm text fields are named after the package's
// dynamic fields (TEMPLATE_FIELDS). The fields are filled in DejaVu Sans, flattened into the page
// content, and the filled pages replace the built-in cover. The `seal.box` field only marks where the
// visible seal goes: it is removed, and its rectangle is where the seal's appearance is drawn. A
// `signers.N.handwriting` field likewise only marks where signer N's drawing (InkSign) goes, when there is one.
import { EncryptedPDFError, PDFDocument, PDFTextField, type PDFField, type PDFFont } from '@cantoo/pdf-lib';
import { embedRegular } from './fonts';
import { TemplateError } from './types';
import type { PackageValues } from './values';

/**
 * The dynamic field names a template may use (AcroForm fully qualified names). `N` counts from 1
 * (`signers.1.name` is the first signer); rows beyond the package's count are left empty.
 */
export const TEMPLATE_FIELDS: readonly string[] = Object.freeze([
  'package.id',
  'package.createdAt',
  'service.name',
  'request.id',
  'request.clientReference',
  'documents.N.id',
  'documents.N.description',
  'documents.N.externalReference',
  'documents.N.mimeType',
  'documents.N.sha256',
  'documents.N.pageCount',
  'documents.N.pages',
  'signers.N.name',
  'signers.N.nationalId',
  'signers.N.nationality',
  'signers.N.method',
  'signers.N.pid',
  'signers.N.signedAt',
  'signers.N.certSubject',
  'signers.N.certIssuer',
  'signers.N.indication',
  'signers.N.level',
  'signers.N.documents',
  'signers.N.handwriting',
  'seal.subject',
  'seal.issuer',
  'verification.url',
  'seal.box',
]);

const PATTERNS = TEMPLATE_FIELDS.map((f) => new RegExp(`^${f.replace(/\./g, '\\.').replace('N', '[1-9][0-9]{0,3}')}$`));

/** Every field's value by its full name (rows 1..count of documents and signers). */
export function templateValues(v: PackageValues): Map<string, string> {
  const m = new Map<string, string>([
    ['package.id', v.packageId],
    ['package.createdAt', v.createdAt],
    ['service.name', v.serviceName],
    ['request.id', v.requestId],
    ['request.clientReference', v.clientReference],
    ['seal.subject', v.seal.subject],
    ['seal.issuer', v.seal.issuer],
    ['verification.url', v.verificationUrl],
  ]);
  v.documents.forEach((d, i) => {
    for (const [k, value] of Object.entries(d)) m.set(`documents.${i + 1}.${k}`, value);
  });
  v.signers.forEach((s, i) => {
    for (const [k, value] of Object.entries(s)) m.set(`signers.${i + 1}.${k}`, value);
  });
  return m;
}

export interface Place {
  pageIndex: number;
  rect: [number, number, number, number];
}

/** Where a field's widgets sit: page index and rectangle. */
export function places(doc: PDFDocument, field: PDFField): Place[] {
  const pages = doc.getPages();
  return field.acroField.getWidgets().flatMap((w) => {
    const ref = doc.context.getObjectRef(w.dict);
    const byP = pages.findIndex((p) => p.ref === w.P());
    const pageIndex = byP >= 0 ? byP : pages.findIndex((p) => ref !== undefined && p.node.Annots()?.indexOf(ref) !== undefined);
    const r = w.getRectangle();
    return pageIndex >= 0 ? [{ pageIndex, rect: [r.x, r.y, r.width, r.height] as [number, number, number, number] }] : [];
  });
}

export async function loadTemplate(bytes: Uint8Array): Promise<PDFDocument> {
  let doc: PDFDocument;
  try {
    doc = await PDFDocument.load(bytes, { updateMetadata: false });
  } catch (e) {
    if (e instanceof EncryptedPDFError)
      throw new TemplateError('the template PDF is encrypted (ISO 32000-1 §7.6); give an unencrypted one');
    throw new TemplateError(`the template is not a readable, unencrypted PDF: ${e instanceof Error ? e.message : String(e)}`);
  }
  if (doc.getPageCount() === 0) throw new TemplateError('the template has no pages');
  return doc;
}

function setText(field: PDFTextField, value: string): void {
  const max = field.getMaxLength();
  field.setText(max !== undefined ? Array.from(value).slice(0, max).join('') : value);
}

export interface FilledTemplate {
  /** the template with its fields filled and flattened, fonts embedded (ready for copyPages) */
  doc: PDFDocument;
  sealBox: Place;
  /** where `verification.url` was shown, for link annotations */
  links: Place[];
  /** where each signer's drawing goes (`signers.N.handwriting`, removed like `seal.box`); `signer` counts from 1 */
  drawings: Array<{ signer: number; place: Place }>;
}

const DRAWING_FIELD = /^signers\.([1-9][0-9]{0,3})\.handwriting$/;

/**
 * Fills every text field with its value (an unknown name is a TemplateError, so a misspelt field
 * does not silently stay empty), removes `seal.box`, and flattens the form: no AcroForm field is
 * left on the pages. Other field types (check boxes …) are flattened as they are.
 */
export async function fillTemplate(doc: PDFDocument, values: Map<string, string>): Promise<FilledTemplate> {
  const form = doc.getForm();
  // A hybrid XFA form would be drawn from its XFA by some readers, not from the fields filled here.
  if (form.hasXFA()) form.deleteXFA();
  const fields = form.getFields();
  const unknown = fields.map((f) => f.getName()).filter((n) => !PATTERNS.some((p) => p.test(n)));
  if (unknown.length) throw new TemplateError(`the template has fields that are not package fields: ${unknown.join(', ')}`);
  const box = fields.find((f) => f.getName() === 'seal.box');
  const sealBox = box && places(doc, box)[0];
  if (!box || !sealBox) throw new TemplateError('the template needs a `seal.box` field on a page (the place of the visible seal)');
  const links = fields.filter((f) => f.getName() === 'verification.url' && values.get('verification.url')).flatMap((f) => places(doc, f));
  const drawingFields = fields.filter((f) => DRAWING_FIELD.test(f.getName()));
  const drawings = drawingFields.flatMap((f) =>
    places(doc, f).map((place) => ({ signer: Number(DRAWING_FIELD.exec(f.getName())![1]), place })),
  );
  form.removeField(box);
  for (const f of drawingFields) form.removeField(f);
  const font: PDFFont = await embedRegular(doc, 'SEGLT');
  for (const f of form.getFields()) if (f instanceof PDFTextField) setText(f, values.get(f.getName()) ?? '');
  try {
    form.updateFieldAppearances(font);
    form.flatten({ updateFieldAppearances: false });
  } catch (e) {
    throw new TemplateError(`the template's form cannot be filled: ${e instanceof Error ? e.message : String(e)}`);
  }
  await doc.flush();
  return { doc, sealBox, links, drawings };
}

/**
 * Checks a template before it is stored (packaging methods): it is loaded and filled with empty
 * values exactly as composePackage does, so whatever composePackage would refuse (unreadable or
 * encrypted, no pages, a field that is not a package field, no `seal.box`, a form that cannot be
 * filled or flattened) is a TemplateError here. Returns the page count and the fields' names.
 */
export async function checkTemplate(bytes: Uint8Array): Promise<{ pageCount: number; fields: string[] }> {
  const doc = await loadTemplate(bytes);
  const fields = doc
    .getForm()
    .getFields()
    .map((f) => f.getName());
  await fillTemplate(doc, new Map());
  return { pageCount: doc.getPageCount(), fields };
}

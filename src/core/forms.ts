// Signicat's interactive forms (document/form/@id="interactive"): the PDF's own AcroForm fields are
// read at createRequest, shown to the one signer, filled into a copy that is flattened, and that copy is
// what is signed; getStatus answers every field as form-output-param. The rules live here, pure; the PDF
// reading and filling is a port (`PdfForms`, implemented in packaging/forms.ts on pdf-lib).
import { ValidationError, type Violation } from './errors';
import type { Document, FormField, FormFieldKind, FormParam, SigningRequest, Task } from './types';

/** Signicat's one documented form id: the PDF's own AcroForm. */
export const INTERACTIVE_FORM = 'interactive';

export interface PdfFormRead {
  xfa: boolean;
  fields: FormField[];
}

/** The PDF side of forms: read a PDF's fields, and fill values into a flattened copy. */
export interface PdfForms {
  read(pdf: Uint8Array): Promise<PdfFormRead>;
  fill(pdf: Uint8Array, fields: readonly FormField[]): Promise<Uint8Array>;
}

/** The value of an unchecked checkbox or an unselected radio group (the PDF's "Off" state). */
export const OFF = 'Off';

const CHECKABLE: readonly FormFieldKind[] = ['checkbox', 'radio'];

/** Why `value` cannot be the value of `f` (undefined when it can). */
export function valueProblem(f: FormField, value: string): string | undefined {
  if (f.kind === 'text') {
    if (f.maxLength !== undefined && [...value].length > f.maxLength)
      return `is longer than the maximum length ${f.maxLength} of the field`;
    if ([...value].some((ch) => ch < ' ' && ch !== '\n' && ch !== '\r' && ch !== '\t')) return 'holds control characters';
    if (!f.multiline && /[\r\n]/.test(value)) return 'holds a line break in a one-line field';
    return undefined;
  }
  if (value === '' || (CHECKABLE.includes(f.kind) && value === OFF)) return undefined;
  return f.options.includes(value) ? undefined : `is not one of the export values of the field (${f.options.join(', ')})`;
}

/** "" and "Off" both mean nothing chosen; checkable fields keep "Off" as their value. */
const normal = (f: FormField, v: string): string => (CHECKABLE.includes(f.kind) && v === '' ? OFF : v);

/** Where a request's documents are (request-level first, then inline ones in task order), with the tasks that sign each. */
function formDocuments(r: SigningRequest, base: string): { doc: Document; path: string; signers: number }[] {
  const out: { doc: Document; path: string; signers: number }[] = [];
  const signers = (doc: Document): number =>
    r.task.filter((t) => t.documentAction.some((a) => a.type === 'sign' && (a.document === doc || (!!doc.id && a.documentRef === doc.id))))
      .length;
  (r.document ?? []).forEach((doc, j) => out.push({ doc, path: `${base}/document[${j}]`, signers: 0 }));
  r.task.forEach((t, ti) =>
    t.documentAction.forEach((a, ai) => {
      if (a.document) out.push({ doc: a.document, path: `${base}/task[${ti}]/document-action[${ai}]/document`, signers: 0 });
    }),
  );
  for (const x of out) x.signers = signers(x.doc);
  return out.filter((x) => x.doc.form?.id === INTERACTIVE_FORM);
}

/** Signicat: "documents that contain interactive forms can only have one signer" (also when a task is added). */
export function checkFormSigners(r: SigningRequest, base: string): void {
  for (const { doc, path, signers } of formDocuments(r, base))
    if (signers > 1)
      throw ValidationError.one(
        `${path}/form`,
        `document "${doc.id}" has an interactive form and can only have one signer; ${signers} tasks sign it`,
      );
}

/**
 * createRequest's checks of interactive forms, before anything is stored: the document is an inline
 * PDF with AcroForm fields and no XFA, at most one task signs it (Signicat: "documents that contain
 * interactive forms can only have one signer"), and every input-param names a field and holds a value
 * it can take. The fields, prefilled, are kept on the document (`form.fields`) for the portal.
 */
export async function readForms(requests: SigningRequest[], pdfForms: PdfForms | undefined): Promise<void> {
  for (const [ri, r] of requests.entries()) {
    checkFormSigners(r, `request[${ri}]`);
    for (const { doc, path } of formDocuments(r, `request[${ri}]`)) {
      const at = `${path}/form`;
      if (doc.kind !== 'provided-document' || doc.mimeType !== 'application/pdf' || !doc.data || !pdfForms)
        throw ValidationError.one(at, 'an interactive form needs a provided-document of mime-type application/pdf with its data');
      // the reader's refusals (unreadable, a compression bomb) named at the document's data
      const read = await pdfForms.read(doc.data).catch((e: unknown) => {
        if (!(e instanceof ValidationError)) throw e;
        throw ValidationError.one(`${path}/data`, `document "${doc.id}": ${e.violations.map((v) => v.rule).join('; ')}`);
      });
      if (read.xfa)
        throw ValidationError.one(at, `document "${doc.id}" holds an XFA form; only AcroForm (interactive) forms are supported`);
      if (!read.fields.length) throw ValidationError.one(at, `document "${doc.id}" has no AcroForm fields to fill`);
      const byName = new Map(read.fields.map((f) => [f.name, f]));
      const bad: Violation[] = [];
      (doc.form!.inputParam ?? []).forEach((p, i) => {
        const f = byName.get(p.name);
        const problem = f ? valueProblem(f, p.value) : `names no field of document "${doc.id}"`;
        if (problem) bad.push({ path: `${at}/input-param[${i}]`, rule: `"${p.name}" ${problem}` });
        else f!.value = normal(f!, p.value);
      });
      if (bad.length) throw new ValidationError(bad);
      doc.form!.fields = read.fields;
    }
  }
}

/**
 * The signer's values checked against the fields: no unknown names, read-only fields unchanged, values
 * the field can take, required fields filled. Returns the fields with the values set (a new list).
 */
export function applyValues(fields: readonly FormField[], submitted: ReadonlyMap<string, string>): FormField[] {
  const byName = new Map(fields.map((f) => [f.name, f]));
  const bad: Violation[] = [];
  for (const name of submitted.keys()) if (!byName.has(name)) bad.push({ path: name, rule: 'is not a field of this form' });
  const out = fields.map((f) => {
    const given = submitted.get(f.name);
    // an unchecked checkbox or an empty list is not sent by a browser: it means "nothing chosen"
    const v = normal(f, given ?? (f.kind === 'text' ? f.value : ''));
    if (f.readOnly) {
      if (given !== undefined && v !== f.value) bad.push({ path: f.name, rule: 'is read-only' });
      return { ...f };
    }
    const problem = valueProblem(f, v);
    if (problem) bad.push({ path: f.name, rule: problem });
    else if (f.required && (v === '' || v === OFF)) bad.push({ path: f.name, rule: 'is required' });
    return { ...f, value: v };
  });
  if (bad.length) throw new ValidationError(bad);
  return out;
}

/** getStatus: every field as form-output-param (checkbox and radio as their export value or Off). */
export const formOutput = (fields: readonly FormField[]): FormParam[] => fields.map((f) => ({ name: f.name, value: f.value }));

/** The fields of a request's interactive-form document as read at createRequest (with input-param prefills). */
export function formFieldsOf(
  documents: readonly Document[] | undefined,
  tasks: readonly Task[],
  documentId: string,
): FormField[] | undefined {
  const docs = [...(documents ?? []), ...tasks.flatMap((t) => t.documentAction.map((a) => a.document))];
  return docs.find((d) => d?.id === documentId && d.form?.id === INTERACTIVE_FORM)?.form?.fields;
}

// Interactive forms (issue 16 part 1, core/forms.ts): once the signer has filled a form document, the
// document row names the merged, flattened PDF (blob_key: what is signed) and keeps the original
// (form_original_blob_key, a blob referrer like blob_key) and the fields with the signer's values
// (form_fields, JSON: getStatus's form-output-param). Same SQL on SQLite and PostgreSQL.
export function formsSql(): string[] {
  return ['ALTER TABLE document ADD COLUMN form_original_blob_key varchar(255)', 'ALTER TABLE document ADD COLUMN form_fields text'];
}

export const FORMS_DOWN = ['ALTER TABLE document DROP COLUMN form_fields', 'ALTER TABLE document DROP COLUMN form_original_blob_key'];

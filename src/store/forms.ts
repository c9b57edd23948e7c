// Interactive forms' columns of the document row (migrations/forms.ts): the original PDF kept beside the
// merged one, and the fields with the signer's values (JSON).
import type { DocumentRow } from '../core/ports';
import type { FormField } from '../core/types';
import type { BlobStore } from './blobs';
import { dropUnusedBlobs } from './blobrefs';
import type { DbRow } from './taskrows';
import type { Sql } from './sql';

/** The form columns of a `document` row, as DocumentRow fields. */
export function formColumns(d: DbRow): Pick<DocumentRow, 'formOriginalBlobKey' | 'formFields'> {
  const original = d.form_original_blob_key;
  const fields = d.form_fields;
  return {
    ...(typeof original === 'string' ? { formOriginalBlobKey: original } : {}),
    ...(typeof fields === 'string' ? { formFields: JSON.parse(fields) as FormField[] } : {}),
  };
}

/** SignerWrites.setFormFilled: the merged PDF becomes the document's bytes; an earlier merged one goes when unused. */
export async function setFormFilled(
  q: Sql,
  blobs: BlobStore,
  requestId: string,
  documentId: string,
  merged: { blobKey: string; sha256: string; size: number },
  originalBlobKey: string,
  fields: FormField[],
): Promise<void> {
  const [before] = await q.all<{ blob_key: string | null }>('SELECT blob_key FROM document WHERE request_id = ? AND document_id = ?', [
    requestId,
    documentId,
  ]);
  await q.run(
    `UPDATE document SET blob_key = ?, sha256 = ?, size = ?, form_original_blob_key = ?, form_fields = ?
      WHERE request_id = ? AND document_id = ?`,
    [merged.blobKey, merged.sha256, merged.size, originalBlobKey, JSON.stringify(fields), requestId, documentId],
  );
  const old = before?.blob_key;
  if (old && old !== merged.blobKey && old !== originalBlobKey) await dropUnusedBlobs(q, blobs, [old]);
}

// The bytes behind the URIs getStatus answers (original-uri, result-uri), read by the integrator's
// /doc downloads and by the signer's portal alike: one rule for both about what a task may show.
import { NotFoundError } from './errors';
import type { DocumentRow, RequestReads, ServiceAccount } from './ports';

/** An original the task acts on, with stored bytes (an upload-document only once uploaded). */
export async function readOriginal(
  tx: RequestReads,
  svc: ServiceAccount,
  requestId: string,
  taskId: string,
  documentId: string,
): Promise<DocumentRow> {
  const r = await tx.getRequest(svc.id, requestId);
  if (!r) throw new NotFoundError('request', `no request "${requestId}"`);
  const acts = (await tx.getTaskDocuments([requestId])).some((d) => d.taskId === taskId && d.documentId === documentId);
  if (!acts) throw new NotFoundError('document', `task "${taskId}" of request "${requestId}" has no document "${documentId}"`);
  return withBytes(await tx.getDocument(requestId, documentId), documentId);
}

/** A document row that has stored bytes; NotFound says why not (an upload not made yet, a kind without bytes). */
export function withBytes(row: DocumentRow | null, documentId: string): DocumentRow {
  if (!row?.blobKey) {
    throw new NotFoundError(
      'document',
      row?.kind === 'upload-document'
        ? `document "${documentId}" has not been uploaded yet`
        : `document "${documentId}" has no stored bytes here (${row?.kind ?? 'unknown'})`,
    );
  }
  return row;
}

/** The sealed LTV-SDO of a signed document; NotFound until the document has been signed. */
export async function readResult(
  tx: RequestReads,
  svc: ServiceAccount,
  requestId: string,
  taskId: string,
  documentId: string,
): Promise<{ blobKey: string; sha256: string }> {
  if (!(await tx.getRequest(svc.id, requestId))) throw new NotFoundError('request', `no request "${requestId}"`);
  const r = await tx.getResult(requestId, taskId, documentId);
  if (!r) throw new NotFoundError('document', `document "${documentId}" of task "${taskId}" has no signed result yet`);
  return r;
}

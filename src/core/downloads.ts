// The bytes behind the URIs getStatus answers (original-uri, result-uri), read by the integrator's
// /doc downloads and by the signer's portal alike: one rule for both about what a task may show.
import { NotFoundError } from './errors';
import type { DocumentRow, RequestReads, RequestRow, ServiceAccount } from './ports';

/** An original the task acts on, with stored bytes (an upload-document only once uploaded, a package once made). */
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
  return documentBytes(tx, r, await tx.getDocument(requestId, documentId), documentId);
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

/**
 * The bytes a task shows or signs for one of its documents. A packaging-result-document is the
 * package its packaging task made, once that task has completed: the PAdES, shown as
 * `application/pdf` (it is one, and the portal draws PDFs; the SDS or archive copy keeps
 * `application/x-pades`). Before that, or after the packaging task failed, it is not available: a
 * NotFound saying so (a task showing it waits for it anyway, see core/portal.ts taskAccess).
 */
export async function documentBytes(
  tx: Pick<RequestReads, 'getTasks' | 'packagingTasks'>,
  request: RequestRow,
  row: DocumentRow | null,
  documentId: string,
): Promise<DocumentRow> {
  if (row?.kind !== 'packaging-result-document') return withBytes(row, documentId);
  const ref = await packageOf(tx, request, documentId);
  const p = (await tx.packagingTasks(request.id)).find((x) => x.packagingTaskId === ref);
  if (p?.status !== 'completed' || !p.result?.blobKey) {
    throw new NotFoundError(
      'document',
      `document "${documentId}" is the package of packaging task "${ref}", which ${p?.status === 'failed' ? 'failed' : 'has not been made yet'}`,
    );
  }
  return { ...row, blobKey: p.result.blobKey, sha256: p.result.sha256, mimeType: 'application/pdf' };
}

/** The packaging-task-id a packaging-result-document of the request refers to (request-level or inline in a task). */
async function packageOf(tx: Pick<RequestReads, 'getTasks'>, request: RequestRow, documentId: string): Promise<string | undefined> {
  const top = (request.body.document ?? []).find((d) => d.id === documentId);
  if (top?.kind === 'packaging-result-document') return top.refPackagingTaskId;
  for (const t of await tx.getTasks(request.id)) {
    const inline = t.body.documentAction.find((a) => a.document?.id === documentId)?.document;
    if (inline?.kind === 'packaging-result-document') return inline.refPackagingTaskId;
  }
  return undefined;
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

// The signer's side: what the portal and the eID methods do to a task. Reading the task as the
// signer sees it, redeeming a single-sign-on artifact, recording what happened in the portal,
// uploads, declining, completing, and signing itself as one use case (`signTask`): the documents are
// read, the signature is made, verified, packaged and sealed by a `SignatureMaker` (src/signing), and
// each result is recorded with this clock, so the test clock reaches the audit trail too.
import { hashArtifact, newSignicatId } from './ids';
import type { TaskStatus } from './enums';
import { NotFoundError, StateError } from './errors';
import { moveTask } from './transitions';
import { portalTask, type PortalDocument, type PortalTask } from './portal';
import { documentBytes, readOriginal } from './downloads';
import { iso, mustBeOpen, taskPath, UseCase, type BaseTx, type UseCaseDeps } from './usecase';
import type { BlobSource, DocumentRow, RequestRow, RequestWrites, ServiceAccount, SignerWrites } from './ports';
import type { HistoryEvent } from './types';

type Tx = BaseTx & SignerWrites & Pick<RequestWrites, 'insertArchive'>;

export interface SignerDeps extends UseCaseDeps<Tx> {
  blobs: UseCaseDeps<Tx>['blobs'] & BlobSource;
}

/** A document handed to the signature maker, bytes and all. */
export interface DocumentToSign {
  id: string;
  description: string;
  mimeType: string;
  bytes: Uint8Array;
}

/** One line of the package's audit trail. */
export interface AuditEntry {
  time: Date;
  type: string;
  text: string;
}

/** One act of signing as the maker receives it: these documents, by this signer, with what happened before. */
export interface SignatureAct<Signer> {
  requestId: string;
  taskId: string;
  signer: Signer;
  signText: string;
  documents: DocumentToSign[];
  /** what the portal saw and did before the signature (document shown, user authenticated …) */
  audit: AuditEntry[];
  userAgent?: string;
  clientIp?: string;
  /** the signer's CPR, only where collected and allowed (PID-CPR) */
  nationalId?: string;
  /** free text from the request, e.g. its client-reference */
  externalContext?: string;
}

/**
 * What the maker answers: the sealed package and what it is ("sealed LTV-SDO"), or the stage that
 * refused and why (for the task's history).
 */
export type SignatureOutcome = { ok: true; bytes: Uint8Array; note: string } | { ok: false; stage: string; reason: string };

/** Makes the signer's signature and the sealed package (src/signing/pipeline.ts); `Signer` is the eID's signing identity. */
export interface SignatureMaker<Signer> {
  sign(act: SignatureAct<Signer>): Promise<SignatureOutcome>;
}

/** The signer's act as an eID method hands it over once the signer authorised it. */
export interface SignTaskInput<Signer> {
  documentIds: readonly string[];
  signer: Signer;
  /** what happened before, stamped with this use case's clock */
  audit: ReadonlyArray<{ type: string; text: string }>;
  /** the sign text in the signer's language, for tasks that have none */
  defaultSignText: string;
  userAgent?: string;
  clientIp?: string;
}

export type SignTaskOutcome = { ok: true; resultUris: string[]; packages: Uint8Array[] } | { ok: false; stage: string; reason: string };

/** One act of a signTask: the documents signed together, with their stored rows. */
interface Act {
  group: PortalDocument[];
  rows: DocumentRow[];
}

export class SignerActions extends UseCase<Tx, SignerDeps> {
  /** The task behind a portal task URL; NotFound for unknown ids and other services' requests alike. */
  async portalTask(svc: ServiceAccount, requestId: string, taskId: string): Promise<PortalTask> {
    return this.d.store.tx(async (tx) => (await this.readPortalTask(tx, svc, requestId, taskId, false)).pt);
  }

  /** The task as the signer sees it, read in `tx`; with `open`, a closed or waiting task is refused. */
  private async readPortalTask(
    tx: Tx,
    svc: ServiceAccount,
    requestId: string,
    taskId: string,
    open: boolean,
  ): Promise<{ pt: PortalTask; request: RequestRow }> {
    const { request, task, tasks, packages } = await this.liveTask(tx, svc, requestId, taskId);
    if (open) mustBeOpen(request, task, tasks, packages);
    const docs = await tx.getTaskDocuments([requestId]);
    const uploaded = new Set<string>();
    for (const d of docs.filter((x) => x.taskId === taskId && x.actionType === 'upload')) {
      if ((await tx.getDocument(requestId, d.documentId))?.blobKey) uploaded.add(d.documentId);
    }
    return { pt: portalTask(request, task, tasks, docs, uploaded, packages), request };
  }

  /**
   * Redeems a single-sign-on artifact for a task: valid once, within its 30 s, for the task it was
   * issued for. Returns whether it was accepted (a used, expired or foreign artifact is simply false).
   */
  async redeemArtifact(svc: ServiceAccount, requestId: string, taskId: string, artifact: string): Promise<boolean> {
    const now = iso(this.now());
    return this.d.store.tx(async (tx) => {
      const { request } = await this.liveTask(tx, svc, requestId, taskId);
      if (request.deleted) return false;
      return tx.useArtifact(hashArtifact(artifact), requestId, taskId, now);
    });
  }

  /**
   * Records what the signer did in the portal (task-started, document-viewed, user-authenticated,
   * user-authentication-cancelled, document-sign-cancelled …). With `once`, an event already in the
   * task's history is not written again.
   */
  async recordPortalEvent(
    svc: ServiceAccount,
    requestId: string,
    taskId: string,
    event: HistoryEvent['event'],
    data?: string,
    once = false,
  ): Promise<void> {
    const n = iso(this.now());
    await this.d.store.tx(async (tx) => {
      await this.liveTask(tx, svc, requestId, taskId);
      if (once && (await tx.events(requestId, taskId)).some((e) => e.event === event && e.taskId === taskId)) return;
      await tx.insertEvents([{ requestId, taskId, event, eventTime: n, data: data?.slice(0, 2000) }]);
    });
  }

  /** A file the signer uploaded for an upload action of an open task (document-uploaded). */
  async recordUpload(
    svc: ServiceAccount,
    requestId: string,
    taskId: string,
    documentId: string,
    blob: { key: string; sha256: string; size: number },
    mimeType: string,
  ): Promise<void> {
    const n = iso(this.now());
    // The file is already in place: a refusal (the task closed meanwhile …) takes it back.
    await this.releasingOnFailure(async (written) => {
      written.push(blob.key);
      await this.d.store.tx(async (tx) => {
        const { request, task, tasks, packages } = await this.liveTask(tx, svc, requestId, taskId);
        mustBeOpen(request, task, tasks, packages);
        const action = (await tx.getTaskDocuments([requestId])).find(
          (d) => d.taskId === taskId && d.documentId === documentId && d.actionType === 'upload',
        );
        if (!action) throw new NotFoundError('document-id', `task "${taskId}" has no upload action for document "${documentId}"`);
        await tx.setDocumentBytes(requestId, documentId, { blobKey: blob.key, sha256: blob.sha256, size: blob.size, mimeType });
        await tx.insertEvents([
          {
            requestId,
            taskId,
            event: 'document-uploaded',
            eventTime: n,
            data: `${documentId}: ${mimeType}, ${blob.size} bytes, sha256 ${blob.sha256}`,
          },
        ]);
      });
    });
  }

  /** The signer finished a task (all its documents signed or, for view-only tasks, read). */
  async completeTask(svc: ServiceAccount, requestId: string, taskId: string): Promise<void> {
    await this.moveTo(svc, requestId, taskId, 'completed');
  }

  /** The signer declined the task. */
  async rejectTask(svc: ServiceAccount, requestId: string, taskId: string, reason?: string): Promise<void> {
    await this.moveTo(svc, requestId, taskId, 'rejected', reason);
  }

  private async moveTo(svc: ServiceAccount, requestId: string, taskId: string, to: TaskStatus, note?: string): Promise<void> {
    const now = this.now();
    await this.write(async (tx, out) => {
      const { request, task, tasks, packages } = await this.liveTask(tx, svc, requestId, taskId);
      if (request.deleted) throw new StateError('request-id', `request "${requestId}" is deleted`);
      if (to === 'completed') mustBeOpen(request, task, tasks, packages);
      await moveTask(tx, out, task, tasks, to, now, note);
    });
  }

  /** Records that something went wrong for a task (an `error` event in its history). */
  async recordError(svc: ServiceAccount, requestId: string, taskId: string, message: string): Promise<void> {
    const n = iso(this.now());
    await this.d.store.tx(async (tx) => {
      await this.liveTask(tx, svc, requestId, taskId);
      await tx.insertEvents([{ requestId, taskId, event: 'error', eventTime: n, data: message.slice(0, 2000) }]);
    });
  }

  /**
   * Signs the chosen documents of an open task (a closed or waiting task is refused before anything
   * is signed): one act for all of them (task/@bundle, the default) or one per document. Each act's
   * package is stored and recorded as the result of its documents; a refusal records an `error`
   * event and stops. The task is read and the originals found in one transaction; each act's
   * results are recorded in one more, which completes the task after the last act.
   */
  async signTask<S>(
    svc: ServiceAccount,
    requestId: string,
    taskId: string,
    input: SignTaskInput<S>,
    maker: SignatureMaker<S>,
  ): Promise<SignTaskOutcome> {
    const { pt, acts } = await this.d.store.tx(async (tx) => {
      const { pt, request } = await this.readPortalTask(tx, svc, requestId, taskId, true);
      const docs = pt.documents.filter((x) => input.documentIds.includes(x.id) && x.action === 'sign' && !x.signed);
      if (!docs.length) throw new StateError('document-id', `${taskPath(requestId, taskId)} has none of these documents left to sign`);
      const acts: Act[] = [];
      for (const group of pt.bundle ? [docs] : docs.map((x) => [x])) {
        const rows: DocumentRow[] = [];
        // the documents are the task's own (pt.documents): only their bytes are left to find
        for (const x of group) rows.push(await documentBytes(tx, request, await tx.getDocument(requestId, x.id), x.id));
        acts.push({ group, rows });
      }
      return { pt, acts };
    });
    const now = this.now();
    const audit = input.audit.map((a) => ({ time: now, ...a }));
    const resultUris: string[] = [];
    const packages: Uint8Array[] = [];
    for (const [i, act] of acts.entries()) {
      const outcome = await maker.sign({
        requestId,
        taskId,
        signer: input.signer,
        signText: pt.signText ?? input.defaultSignText,
        documents: await this.documentsToSign(act),
        audit,
        userAgent: input.userAgent,
        clientIp: input.clientIp,
        nationalId: pt.nationalId,
        externalContext: pt.clientReference,
      });
      if (!outcome.ok) {
        await this.recordError(svc, requestId, taskId, outcome.reason);
        return outcome;
      }
      resultUris.push(...(await this.recordResults(svc, requestId, taskId, act.group, outcome, i === acts.length - 1)));
      packages.push(outcome.bytes);
    }
    return { ok: true, resultUris, packages };
  }

  /** The originals of one act, bytes read from the blob store. */
  private documentsToSign(act: Act): Promise<DocumentToSign[]> {
    return Promise.all(
      act.rows.map(async (row, i) => ({
        id: row.documentId,
        description: act.group[i]!.description ?? row.documentId,
        mimeType: row.mimeType ?? 'text/plain',
        bytes: new Uint8Array(await this.d.blobs.getBytes(row.blobKey!)),
      })),
    );
  }

  /**
   * Stores a package and records it as the result of each document of its act (document-signed
   * events). A document whose action says `send-result-to-archive="true"` also gets an archive entry
   * for the package (same blob, `application/x-ltv-sdo`), and its result-uri is then the archive's
   * (`/doc/{service}/archive/{id}`, reference §3.5). The task completes when every document it signs
   * has its result, or after the last act (optional documents the signer skipped leave nothing else
   * to do).
   */
  private async recordResults(
    svc: ServiceAccount,
    requestId: string,
    taskId: string,
    group: PortalDocument[],
    outcome: { bytes: Uint8Array; note: string },
    last: boolean,
  ): Promise<string[]> {
    const now = this.now();
    const n = iso(now);
    return this.releasingOnFailure(async (written) => {
      const blob = await this.d.blobs.putBytes(outcome.bytes);
      if (blob.created !== false) written.push(blob.key);
      return this.write(async (tx, out) => {
        const { request, task, tasks, packages } = await this.liveTask(tx, svc, requestId, taskId);
        mustBeOpen(request, task, tasks, packages);
        const uris: string[] = [];
        for (const d of group) {
          const toArchive = task.body.documentAction.some(
            (a) => (a.documentRef ?? a.document?.id) === d.id && a.sendResultToArchive === true,
          );
          let uri = this.d.uris.result(svc.name, requestId, taskId, d.id);
          if (toArchive) {
            const id = newSignicatId(now);
            const entry = { id, mimeType: 'application/x-ltv-sdo', size: blob.size, sha256: blob.sha256, blobKey: blob.key };
            await tx.insertArchive(svc.id, [{ ...entry, createdAt: n, requestId, documentId: d.id }]);
            uri = this.d.uris.stored(svc.name, 'archive', id);
          }
          await tx.setResult(requestId, taskId, d.id, { blobKey: blob.key, sha256: blob.sha256, uri });
          await tx.insertEvents([
            { requestId, taskId, event: 'document-signed', eventTime: n, data: `${d.id}: ${outcome.note} ${blob.sha256}` },
          ]);
          uris.push(uri);
        }
        const done = new Set(group.map((d) => d.id));
        const signs = (await tx.getTaskDocuments([requestId])).filter((d) => d.taskId === taskId && d.actionType === 'sign');
        if (last || signs.every((d) => done.has(d.documentId) || d.resultUri !== undefined))
          await moveTask(tx, out, task, tasks, 'completed', now);
        return uris;
      });
    });
  }

  /** The bytes of one of the task's documents (shown to the signer). */
  async originalDocument(svc: ServiceAccount, requestId: string, taskId: string, documentId: string): Promise<DocumentRow> {
    return this.d.store.tx((tx) => readOriginal(tx, svc, requestId, taskId, documentId));
  }
}

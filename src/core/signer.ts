// The signer's side: what the portal and the eID methods do to a task. Reading the task as the
// signer sees it, redeeming a single-sign-on artifact, recording what happened in the portal,
// uploads, declining, completing, and the signer's act itself (`signTask`): the documents are read,
// the native signature made by a `SignatureMaker` (src/signing) and the act recorded with its seal
// job, which the worker runs (core/sealrun.ts: verified, time-stamped, packaged, sealed, stored,
// the task completed). Everything is stamped with this clock, so the test clock reaches the audit trail too.
import { hashArtifact } from './ids';
import type { TaskStatus } from './enums';
import { NotFoundError, StateError } from './errors';
import { moveTask } from './transitions';
import { portalTask, type PortalDocument, type PortalTask } from './portal';
import { documentBytes, readOriginal } from './downloads';
import { applyValues, formFieldsOf, type PdfForms } from './forms';
import { iso, mustBeOpen, taskPath, UseCase, type BaseTx, type UseCaseDeps } from './usecase';
import type {
  AuthenticationEvidence,
  BlobSource,
  DocumentRow,
  RequestRow,
  RequestWrites,
  SealJobKey,
  SealJobRow,
  SealWrites,
  ServiceAccount,
  SignerWrites,
} from './ports';
import type { HistoryEvent, UserSession } from './types';
import { sessionOrder, type SessionEntry } from './usersession';

type Tx = BaseTx & SignerWrites & SealWrites & Pick<RequestWrites, 'insertArchive'>;

export interface SignerDeps extends UseCaseDeps<Tx> {
  blobs: UseCaseDeps<Tx>['blobs'] & BlobSource;
  /** fills interactive forms (packaging/forms.ts) */
  pdfForms?: PdfForms;
}

/** A document handed to the signature maker, bytes and all. */
export interface DocumentToSign {
  id: string;
  description: string;
  mimeType: string;
  bytes: Uint8Array;
}

/** A drawing's bounds: the PNG's bytes and its width and height in pixels (the portal refuses more; packaging reads no more). */
export const HANDWRITING_LIMITS = { pngBytes: 512 * 1024, pixels: 2000 };

/**
 * A handwritten signature drawn in the portal (InkSign, `method/@handwritten`), already checked by the
 * portal (src/portal/ink.ts): the strokes (coordinates normalised to 0..1 of the pad, time offsets in ms
 * from the first point, pressure 0..1 when the device gave it), the pad rendered as PNG, and the device.
 */

export interface Handwriting {
  strokes: Array<{ pointerType: string; points: Array<{ x: number; y: number; t: number; p?: number }> }>;
  png: Uint8Array;
  width: number;
  height: number;
  device: { userAgent: string; pointerType: string; screen: string };
}

/** One line of the package's audit trail. */
export interface AuditEntry {
  time: Date;
  type: string;
  text: string;
}

/** One act of signing as the maker receives it: these documents, by this signer, under this sign text. */
export interface SignatureAct<Signer> {
  requestId: string;
  taskId: string;
  signer: Signer;
  signText: string;
  documents: DocumentToSign[];
  /** the signer's drawing, signed with the documents (InkSign) */
  handwriting?: Handwriting;
}

/**
 * Makes the signer's native signature (src/signing/pipeline.ts) in the signer's request; `Signer` is
 * the eID's signing identity. Verifying, time-stamping and sealing it is the seal job's (core/sealrun.ts).
 */
export interface SignatureMaker<Signer> {
  nativeSignature(act: SignatureAct<Signer>): Promise<string>;
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
  /** an authentication-based signature's evidence, carried to the seal job and into the package */
  authentication?: AuthenticationEvidence;
  /** the signer's drawing, when the task's signature method is handwritten */
  handwriting?: Handwriting;
  /** the drawing is the whole signature (`<method handwritten="true"/>`): a simple electronic signature, said so in the package */
  handwritingOnly?: boolean;
  /**
   * A user session's act: tasks of this request it signed just before this one. Those still being
   * sealed count as completed for this task's depends-on; its seal job waits for them (core/sealrun.ts).
   */
  signedInAct?: readonly string[];
}

/**
 * The signer of a handwriting-only act: nobody an eID names. The platform signs the act (documents, sign text,
 * drawing) with its own key (src/signing/pipeline.ts handwritingOnly) and the package says it is a simple
 * electronic signature.
 */
export interface HandwritingOnlySigner {
  kind: 'handwriting-only';
}

/** The act is recorded: one seal job per act, sealed by the worker (core/sealrun.ts). */
export interface SignTaskOutcome {
  ok: true;
  sealJobs: SealJobKey[];
}

/** Where a task's sealing stands, as the portal's status route tells the signer's page. */
export type SealState = 'sealing' | 'refused' | 'open' | 'completed' | 'closed';

/** One act of a signTask: the documents signed together, with their stored rows. */
interface Act {
  group: PortalDocument[];
  rows: DocumentRow[];
}

const sealing = (jobs: readonly SealJobRow[]) => jobs.some((j) => j.status === 'pending' || j.status === 'queued');

export class SignerActions extends UseCase<Tx, SignerDeps> {
  /** The task behind a portal task URL; NotFound for unknown ids and other services' requests alike. */
  async portalTask(svc: ServiceAccount, requestId: string, taskId: string): Promise<PortalTask> {
    return this.d.store.tx(async (tx) => (await this.readPortalTask(tx, svc, requestId, taskId, false)).pt);
  }

  /**
   * The task as the signer sees it, read in `tx`; with `open`, a closed or waiting task is refused
   * (`signedInAct`: tasks counted as completed, see mustBeOpen).
   */
  private async readPortalTask(
    tx: Tx,
    svc: ServiceAccount,
    requestId: string,
    taskId: string,
    open: boolean,
    signedInAct: ReadonlySet<string> = new Set(),
  ): Promise<{ pt: PortalTask; request: RequestRow; dependsOn?: string[] }> {
    const { request, task, tasks, packages } = await this.liveTask(tx, svc, requestId, taskId);
    if (open) mustBeOpen(request, task, tasks, packages, signedInAct);
    const jobs = await tx.sealJobs(requestId, taskId);
    if (open) this.notSealing(jobs, requestId, taskId);
    const docs = await tx.getTaskDocuments([requestId]);
    const uploaded = new Set<string>();
    for (const d of docs.filter((x) => x.taskId === taskId && x.actionType === 'upload')) {
      if ((await tx.getDocument(requestId, d.documentId))?.blobKey) uploaded.add(d.documentId);
    }
    const pt = portalTask(request, task, tasks, docs, uploaded, packages);
    for (const d of pt.documents.filter((x) => x.form)) {
      const filled = (await tx.getDocument(requestId, d.id))?.formFields;
      if (filled) Object.assign(d, { form: filled, formFilled: true });
    }
    pt.sealing = sealing(jobs);
    pt.sealRefused = !pt.sealing && task.status === 'created' && jobs.at(-1)?.status === 'failed';
    return { pt, request, dependsOn: task.body.dependsOnTask };
  }

  /** A task whose signature is being sealed takes nothing more from the signer. */
  private notSealing(jobs: readonly SealJobRow[], requestId: string, taskId: string): void {
    if (sealing(jobs)) throw new StateError('task-id', `${taskPath(requestId, taskId)} is signed and being sealed`);
  }

  /** Of `ids` (tasks of the request a user session's act signed before this one), those signed and being sealed. */
  private async beingSealed(tx: Tx, requestId: string, ids: readonly string[] = []): Promise<Set<string>> {
    const out = new Set<string>();
    for (const id of ids) if (sealing(await tx.sealJobs(requestId, id))) out.add(id);
    return out;
  }

  /** Where the task's sealing stands (the portal's page asks while it waits). */
  async sealState(svc: ServiceAccount, requestId: string, taskId: string): Promise<SealState> {
    return this.d.store.tx(async (tx) => {
      const { pt } = await this.readPortalTask(tx, svc, requestId, taskId, false);
      if (pt.sealing) return 'sealing';
      if (pt.status === 'completed') return 'completed';
      if (pt.status !== 'created') return 'closed';
      return pt.sealRefused ? 'refused' : 'open';
    });
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

  /** Redeems a user session's artifact: valid once, within its 30 s, for a session of this service. */
  async redeemSessionArtifact(svc: ServiceAccount, sessionId: string, artifact: string): Promise<boolean> {
    const now = iso(this.now());
    return this.d.store.tx(async (tx) => {
      if (!(await tx.userSession(svc.id, sessionId))) return false;
      return tx.useSessionArtifact(hashArtifact(artifact), sessionId, now);
    });
  }

  /**
   * The tasks of a user session in the order the signer works on them (core/usersession.ts), each as
   * the signer sees it now; a task gone since (its request deleted and purged) has none. NotFound
   * for an unknown session or another service's.
   */
  async userSessionTasks(svc: ServiceAccount, sessionId: string): Promise<{ session: UserSession; entries: SessionEntry[] }> {
    return this.d.store.tx(async (tx) => {
      const row = await tx.userSession(svc.id, sessionId);
      if (!row) throw new NotFoundError('user-session-id', `no user session "${sessionId}"`);
      const read = [];
      for (const st of row.body.sessionTask) {
        try {
          const { pt, dependsOn } = await this.readPortalTask(tx, svc, st.requestId, st.taskId, false);
          read.push({ ...st, task: pt as PortalTask | undefined, dependsOn });
        } catch (e) {
          if (!(e instanceof NotFoundError)) throw e;
          read.push({ ...st, task: undefined, dependsOn: undefined });
        }
      }
      const entries: SessionEntry[] = sessionOrder(read).map((x) => ({ ...x, dependsOn: undefined }));
      return { session: row.body, entries };
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
        this.notSealing(await tx.sealJobs(requestId, taskId), requestId, taskId);
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

  /**
   * The signer's values for an interactive form (core/forms.ts): checked against the fields (else a
   * ValidationError, nothing written), filled into a copy of the ORIGINAL PDF that is flattened, and that
   * merged PDF becomes the document's bytes, the one signed. Filling again starts from the original.
   */
  async fillForm(
    svc: ServiceAccount,
    requestId: string,
    taskId: string,
    documentId: string,
    values: ReadonlyMap<string, string>,
  ): Promise<void> {
    const { doc, row, fields } = await this.d.store.tx(async (tx) => {
      const { pt, request } = await this.readPortalTask(tx, svc, requestId, taskId, true);
      const doc = pt.documents.find((x) => x.id === documentId && x.action === 'sign' && !x.signed);
      const fields = formFieldsOf(
        request.body.document,
        (await tx.getTasks(requestId)).map((t) => t.body),
        documentId,
      );
      if (!doc || !fields) throw new NotFoundError('document-id', `${taskPath(requestId, taskId)} has no form "${documentId}" to fill`);
      return { doc, row: (await tx.getDocument(requestId, documentId))!, fields };
    });
    const filled = applyValues(fields, values);
    const original = row.formOriginalBlobKey ?? row.blobKey!;
    const merged = await this.d.pdfForms!.fill(new Uint8Array(await this.d.blobs.getBytes(original)), filled);
    await this.releasingOnFailure(async (written) => {
      const put = await this.d.blobs.putBytes(merged);
      if (put.created !== false) written.push(put.key);
      await this.d.store.tx(async (tx) => {
        const { request, task, tasks, packages } = await this.liveTask(tx, svc, requestId, taskId);
        mustBeOpen(request, task, tasks, packages);
        this.notSealing(await tx.sealJobs(requestId, taskId), requestId, taskId);
        await tx.setFormFilled(requestId, doc.id, { blobKey: put.key, sha256: put.sha256, size: put.size }, original, filled);
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
      this.notSealing(await tx.sealJobs(requestId, taskId), requestId, taskId);
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
   * The signer signs the chosen documents of an open task (a closed, waiting or sealing task is
   * refused before anything is signed; one waiting only for tasks `input.signedInAct` names counts as
   * open): one act for all of them (task/@bundle, the default) or one per document. Here, in the
   * signer's request, only the native signature of each act is made; the acts are recorded in ONE
   * transaction — a `document-signed` event per document and a seal job per act (the native
   * signature and what the package's audit trail needs) — and the task stays
   * `created` until the seal job (core/sealrun.ts) has verified, time-stamped, packaged and sealed
   * every act and stored the packages: that completes it.
   */
  async signTask<S>(
    svc: ServiceAccount,
    requestId: string,
    taskId: string,
    input: SignTaskInput<S>,
    maker: SignatureMaker<S>,
  ): Promise<SignTaskOutcome> {
    const { pt, acts } = await this.d.store.tx(async (tx) => {
      const inAct = await this.beingSealed(tx, requestId, input.signedInAct);
      const { pt, request } = await this.readPortalTask(tx, svc, requestId, taskId, true, inAct);
      const docs = pt.documents.filter((x) => input.documentIds.includes(x.id) && x.action === 'sign' && !x.signed);
      if (!docs.length) throw new StateError('document-id', `${taskPath(requestId, taskId)} has none of these documents left to sign`);
      const unfilled = docs.find((x) => x.form && !x.formFilled);
      if (unfilled) throw new StateError('document-id', `the form of document "${unfilled.id}" is not filled in yet`);
      const acts: Act[] = [];
      for (const group of pt.bundle ? [docs] : docs.map((x) => [x])) {
        const rows: DocumentRow[] = [];
        // the documents are the task's own (pt.documents): only their bytes are left to find
        for (const x of group) rows.push(await documentBytes(tx, request, await tx.getDocument(requestId, x.id), x.id));
        acts.push({ group, rows });
      }
      return { pt, acts };
    });
    const audit = input.audit.map((a) => ({ time: iso(this.now()), ...a }));
    const natives = await this.nativeSignatures(requestId, taskId, pt.signText ?? input.defaultSignText, acts, input, maker);
    const n = iso(this.now());
    const rows: SealJobRow[] = acts.map((act, i) => ({
      requestId,
      taskId,
      act: 0,
      serviceId: svc.id,
      documentIds: act.group.map((d) => d.id),
      nativeXml: natives[i]!,
      context: {
        audit: [...audit, { time: n, type: 'signature-created', text: `native signature over ${act.group.map((d) => d.id).join(', ')}` }],
        userAgent: input.userAgent,
        clientIp: input.clientIp,
        ...(input.authentication ? { authentication: input.authentication } : {}),
        ...(input.handwritingOnly ? { handwritingOnly: true } : {}),
      },
      status: 'pending',
      attempts: 0,
      dueAt: n,
      createdAt: n,
      updatedAt: n,
    }));
    await this.write(async (tx, out) => {
      const { request, task, tasks, packages } = await this.liveTask(tx, svc, requestId, taskId);
      // checked again: the task may have closed, or another Sign been recorded, while the signatures were made
      mustBeOpen(request, task, tasks, packages, await this.beingSealed(tx, requestId, input.signedInAct));
      const before = await tx.sealJobs(requestId, taskId);
      this.notSealing(before, requestId, taskId);
      const first = (before.at(-1)?.act ?? -1) + 1;
      rows.forEach((r, i) => (r.act = first + i));
      await tx.insertSealJobs(rows);
      await tx.insertEvents(
        acts.flatMap((act) =>
          act.group.map((d) => ({
            requestId,
            taskId,
            event: 'document-signed' as const,
            eventTime: n,
            data: `${d.id}: signed by the signer (native XAdES); being sealed`,
          })),
        ),
      );
      out.count += rows.length; // wakes the relay for the seal jobs
    });
    return { ok: true, sealJobs: rows.map((r) => ({ requestId, taskId, act: r.act })) };
  }

  /** Each act's native signature, in the signer's request (outside any transaction). */
  private async nativeSignatures<S>(
    requestId: string,
    taskId: string,
    signText: string,
    acts: Act[],
    input: SignTaskInput<S>,
    maker: SignatureMaker<S>,
  ): Promise<string[]> {
    const natives: string[] = [];
    for (const act of acts) {
      const documents = await this.documentsToSign(act);
      const handwriting = input.handwriting ? { handwriting: input.handwriting } : {};
      natives.push(await maker.nativeSignature({ requestId, taskId, signer: input.signer, signText, documents, ...handwriting }));
    }
    return natives;
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

  /** The bytes of one of the task's documents (shown to the signer). */
  async originalDocument(svc: ServiceAccount, requestId: string, taskId: string, documentId: string): Promise<DocumentRow> {
    return this.d.store.tx((tx) => readOriginal(tx, svc, requestId, taskId, documentId));
  }
}

// PackagingService v4 `create-package` as a use case (docs/packaging.md): check the request, resolve
// every SDO (and supplied original) of this service to its bytes, hand them to a PackageMaker, and
// keep the PAdES it returns in SDS or the archive. Every refusal is a PackagingError answered as the
// response's `error` (code + message), never an exception; nothing is stored unless all went well.
// No I/O here: the store, the blobs and the maker are ports.
import { readOriginal, readResult } from './downloads';
import { NotFoundError } from './errors';
import { newSignicatId } from './ids';
import { parseMediaType } from './mediatype';
import type { BlobSink, BlobSource, Clock, RequestReads, RequestWrites, ServiceAccount, TransitionWrites, TxStore } from './ports';
import { LIMITS } from './validate';

// ---------------------------------------------------------------------------------------------
// The maker port (the PAdES itself is built elsewhere; this is its whole contract)

export type { PackageMaker, PackageOutcome, PackageSource } from './packagemaker';
import type { PackageMaker, PackageSource } from './packagemaker';

// ---------------------------------------------------------------------------------------------
// Input and output (the decoded create-package-request: camelCase of the wire names)

export interface DocumentIdInput {
  archiveDocumentId?: { id: string };
  orderDocumentId?: { requestId: string; taskId?: string; documentId: string; type?: 'source' | 'result' };
  sdsDocumentId?: { id: string };
  uriDocumentId?: string;
}
export interface SdoExtendedInput {
  sdo: DocumentIdInput;
  supplementaryData?: { originalDocument?: DocumentIdInput };
}
export interface CreatePackageInput {
  version: string;
  validationPolicy: string;
  packagingMethod: string;
  sendResultToArchive: boolean;
  /** The xsd:choice 0..n of `sdo-extended` and `sdo`, in document order. */
  sdoExtendedOrSdo?: Array<{ sdo?: DocumentIdInput; sdoExtended?: SdoExtendedInput }>;
}

/** segl's error codes (docs/packaging.md); a maker's own codes pass through unchanged. */
export type PackagingErrorCode =
  'invalid-request' | 'not-found' | 'not-allowed-uri' | 'not-an-sdo' | 'sdo-invalid' | 'unknown-packaging-method' | 'internal-error';

export type CreatePackageResult = { id: string } | { error: { code: string; message: string } };

/** A refusal of the request: its code and a message naming the place in the request. */
export class PackagingError extends Error {
  constructor(
    readonly code: PackagingErrorCode,
    message: string,
  ) {
    super(message);
    this.name = 'PackagingError';
  }
}

export const PACKAGING_VERSIONS: readonly string[] = ['4', '4.0'];
export const VALIDATION_POLICIES: readonly string[] = ['ltvsdo-validator'];
/** What an `sdo` may be stored as: the LTV-SDO's own type and the XML types an upload may use for it. */
const SDO_TYPES = new Set(['application/x-ltv-sdo', 'application/xml', 'text/xml']);
export const PADES_MIME_TYPE = 'application/x-pades';
const DAY_MS = 86_400_000;

// ---------------------------------------------------------------------------------------------
// Document references and this instance's own document URLs

/** A document of this service, however the request named it. */
export type DocRef =
  | { kind: 'sds'; id: string }
  | { kind: 'archive'; id: string }
  | { kind: 'order'; requestId: string; taskId?: string; documentId: string; type: 'source' | 'result' };

const enc = encodeURIComponent;

/** The document's URL on this instance (the form `/doc/{service}/…` downloads answer at). */
export function documentUrl(base: string, service: string, ref: DocRef): string {
  const root = `${base.replace(/\/+$/, '')}/doc/${enc(service)}`;
  if (ref.kind !== 'order') return `${root}/${ref.kind}/${enc(ref.id)}`;
  const kind = ref.type === 'result' ? 'sdo' : 'original';
  return `${root}/order/${enc(ref.requestId)}/${enc(ref.taskId ?? '')}/${enc(ref.documentId)}/${kind}`;
}

/**
 * The document a URL names when it is one of this instance's own document URLs for `service`:
 * same origin as `base` (scheme, host, port), under its path, no credentials, query or fragment,
 * and exactly `/doc/{service}/sds/{id}`, `/doc/{service}/archive/{id}` or
 * `/doc/{service}/order/{request}/{task}/{document}/{sdo|original}`. Null for anything else: such a
 * URL is never fetched (it would let a caller make segl request any address).
 */
export function ownDocumentRef(uri: string, base: string, service: string): DocRef | null {
  let u: URL;
  let b: URL;
  try {
    u = new URL(uri.trim());
    b = new URL(base);
  } catch {
    return null;
  }
  if (!/^https?:$/.test(u.protocol) || u.origin !== b.origin || u.username || u.password || /[?#]/.test(uri)) return null;
  const prefix = `${b.pathname.replace(/\/+$/, '')}/doc/`;
  if (!u.pathname.startsWith(prefix)) return null;
  let parts: string[];
  try {
    parts = u.pathname.slice(prefix.length).split('/').map(decodeURIComponent);
  } catch {
    return null;
  }
  if (parts.some((p) => p === '') || parts[0] !== service) return null;
  const [, kind, ...rest] = parts;
  if ((kind === 'sds' || kind === 'archive') && rest.length === 1) return { kind, id: rest[0]! };
  if (kind === 'order' && rest.length === 4 && (rest[3] === 'sdo' || rest[3] === 'original')) {
    return { kind: 'order', requestId: rest[0]!, taskId: rest[1]!, documentId: rest[2]!, type: rest[3] === 'sdo' ? 'result' : 'source' };
  }
  return null;
}

// ---------------------------------------------------------------------------------------------
// The use case

/** What create-package needs of the store: reading documents of all kinds, writing the package's row. */
export type PackagingTx = RequestReads &
  Pick<TransitionWrites, 'releaseBlobs'> &
  Pick<RequestWrites, 'sdsDocuments' | 'archiveDocuments' | 'insertArchive' | 'insertSds'>;

export interface PackagingDeps {
  store: TxStore<PackagingTx>;
  blobs: BlobSink & BlobSource;
  clock: Clock;
  maker: PackageMaker;
  /** this instance's public base URL (PUBLIC_URL, with the real port) */
  publicUrl: () => string;
  /** how long a package kept in SDS lives */
  sdsTtlDays: number;
}

/** A source located in the store: its URL here, its blob, its stored type. */
interface Located {
  ref: string;
  blobKey: string;
  mimeType: string;
}
interface PlannedSource {
  sdo: Located;
  original?: Located;
}

function fail(code: PackagingErrorCode, message: string): never {
  throw new PackagingError(code, message);
}

export class PackagingUseCases {
  constructor(private readonly d: PackagingDeps) {}

  /**
   * create-package: the id of the stored PAdES (an SDS id, or an archive id with
   * send-result-to-archive), or `error`. Unexpected failures (database, blob store, a maker that
   * throws) are thrown for the adapter to log and answer as internal-error; nothing stays stored.
   */
  async createPackage(svc: ServiceAccount, input: CreatePackageInput): Promise<CreatePackageResult> {
    try {
      checkRequest(input);
      const planned = await this.d.store.tx((tx) => this.locateAll(tx, svc, input.sdoExtendedOrSdo ?? []));
      const sources = await Promise.all(planned.map((p) => this.read(p)));
      const now = this.d.clock.now();
      const packageId = newSignicatId(now);
      const made = await this.d.maker.make({
        serviceId: svc.id,
        serviceName: svc.name,
        method: input.packagingMethod.trim(),
        packageId,
        sources,
        now,
      });
      if (!made.ok) return { error: { code: made.code, message: made.message } };
      await this.keep(svc, packageId, made.pdf, input.sendResultToArchive, now);
      return { id: packageId };
    } catch (e) {
      if (e instanceof PackagingError) return { error: { code: e.code, message: e.message } };
      throw e;
    }
  }

  /** Every SDO (and original) located in one read transaction, or the first refusal. */
  private async locateAll(tx: PackagingTx, svc: ServiceAccount, items: NonNullable<CreatePackageInput['sdoExtendedOrSdo']>) {
    const out: PlannedSource[] = [];
    const seen = new Map<string, string>();
    for (const [i, item] of items.entries()) {
      const ext = item.sdoExtended;
      const path = ext ? `sdo-extended[${i}]/sdo` : `sdo[${i}]`;
      const sdo = await this.locate(tx, svc, ext ? ext.sdo : item.sdo!, path);
      if (!SDO_TYPES.has(parseMediaType(sdo.mimeType)?.type ?? '')) {
        fail('not-an-sdo', `${path}: ${sdo.ref} is ${sdo.mimeType}, not an LTV-SDO (application/x-ltv-sdo)`);
      }
      const earlier = seen.get(sdo.ref);
      if (earlier) fail('invalid-request', `${path}: names the same SDO as ${earlier} (${sdo.ref})`);
      seen.set(sdo.ref, path);
      const orig = ext?.supplementaryData?.originalDocument;
      const original = orig ? await this.locate(tx, svc, orig, `sdo-extended[${i}]/supplementary-data/original-document`) : undefined;
      out.push(original ? { sdo, original } : { sdo });
    }
    return out;
  }

  /** One document-id: exactly one of its four kinds, a document of this service with stored bytes. */
  private async locate(tx: PackagingTx, svc: ServiceAccount, id: DocumentIdInput, path: string): Promise<Located> {
    const ref = this.refOf(id, svc, path);
    const base = this.d.publicUrl();
    try {
      if (ref.kind === 'sds') {
        const e = (await tx.sdsDocuments(svc.id, [ref.id])).get(ref.id);
        if (!e) return fail('not-found', `${path}: no SDS document "${ref.id}" exists for service ${svc.name}`);
        return { ref: documentUrl(base, svc.name, ref), blobKey: e.blobKey, mimeType: e.mimeType };
      }
      if (ref.kind === 'archive') {
        const e = (await tx.archiveDocuments(svc.id, [ref.id])).get(ref.id);
        if (!e) return fail('not-found', `${path}: no archived document "${ref.id}" exists for service ${svc.name}`);
        return { ref: documentUrl(base, svc.name, ref), blobKey: e.blobKey, mimeType: e.mimeType };
      }
      if (!(await tx.getRequest(svc.id, ref.requestId))) {
        return fail('not-found', `${path}: no request "${ref.requestId}" exists for service ${svc.name}`);
      }
      return await this.locateOrder(tx, svc, ref, path);
    } catch (e) {
      if (e instanceof NotFoundError) return fail('not-found', `${path}: ${e.message}`);
      throw e;
    }
  }

  /**
   * An order's result (the task's stored LTV-SDO) or source (the original), by the /doc downloads'
   * rules. Without task-id: for a result the one task that signed the document, for a source the
   * first task that acts on it.
   */
  private async locateOrder(tx: PackagingTx, svc: ServiceAccount, ref: Extract<DocRef, { kind: 'order' }>, path: string): Promise<Located> {
    const { requestId, documentId } = ref;
    const taskId = ref.taskId ?? (await this.taskOf(tx, ref, path));
    const url = documentUrl(this.d.publicUrl(), svc.name, { ...ref, taskId });
    if (ref.type === 'result') {
      const r = await readResult(tx, svc, requestId, taskId, documentId);
      return { ref: url, blobKey: r.blobKey, mimeType: 'application/x-ltv-sdo' };
    }
    const row = await readOriginal(tx, svc, requestId, taskId, documentId);
    return { ref: url, blobKey: row.blobKey!, mimeType: row.mimeType ?? 'application/octet-stream' };
  }

  private async taskOf(tx: PackagingTx, ref: Extract<DocRef, { kind: 'order' }>, path: string): Promise<string> {
    const { requestId, documentId } = ref;
    const acting = (await tx.getTaskDocuments([requestId])).filter((d) => d.documentId === documentId).map((d) => d.taskId);
    if (acting.length === 0) fail('not-found', `${path}: no task of request "${requestId}" acts on document "${documentId}"`);
    if (ref.type === 'source') return acting[0]!;
    const signed: string[] = [];
    for (const t of acting) if (await tx.getResult(requestId, t, documentId)) signed.push(t);
    if (signed.length === 0) fail('not-found', `${path}: document "${documentId}" of request "${requestId}" has no signed result yet`);
    if (signed.length > 1) {
      fail('invalid-request', `${path}/task-id: document "${documentId}" was signed in tasks ${signed.join(', ')}; name the task`);
    }
    return signed[0]!;
  }

  /** Which document a document-id names: exactly one kind; a URI only as this instance's own document URL. */
  private refOf(id: DocumentIdInput, svc: ServiceAccount, path: string): DocRef {
    const kinds = KINDS.filter(([, key]) => id[key] !== undefined).map(([name]) => name);
    if (kinds.length !== 1) {
      fail(
        'invalid-request',
        `${path}: must contain exactly one of archive-document-id, order-document-id, sds-document-id, uri-document-id (found ${kinds.length ? kinds.join(', ') : 'none'})`,
      );
    }
    if (id.sdsDocumentId) return { kind: 'sds', id: checkId(id.sdsDocumentId.id, `${path}/sds-document-id/id`) };
    if (id.archiveDocumentId) return { kind: 'archive', id: checkId(id.archiveDocumentId.id, `${path}/archive-document-id/id`) };
    const o = id.orderDocumentId;
    if (o) {
      const p = `${path}/order-document-id`;
      const taskId = o.taskId === undefined || o.taskId.trim() === '' ? undefined : checkId(o.taskId, `${p}/task-id`);
      return {
        kind: 'order',
        requestId: checkId(o.requestId, `${p}/request-id`),
        documentId: checkId(o.documentId, `${p}/document-id`),
        ...(taskId !== undefined ? { taskId } : {}),
        type: o.type ?? 'result',
      };
    }
    const uri = id.uriDocumentId!;
    if (uri.length > LIMITS.urlLength) fail('invalid-request', `${path}/uri-document-id: must be at most ${LIMITS.urlLength} characters`);
    const base = this.d.publicUrl();
    const own = ownDocumentRef(uri, base, svc.name);
    if (!own) {
      const root = `${base.replace(/\/+$/, '')}/doc/${enc(svc.name)}`;
      fail(
        'not-allowed-uri',
        `${path}/uri-document-id: only this service's own document URLs are accepted (${root}/sds/{id}, ${root}/archive/{id}, ${root}/order/{request}/{task}/{document}/sdo or …/original); no other URL is ever fetched`,
      );
    }
    return own;
  }

  private async read(p: PlannedSource): Promise<PackageSource> {
    const sdo = await this.d.blobs.getBytes(p.sdo.blobKey);
    if (!p.original) return { ref: p.sdo.ref, sdo };
    return { ref: p.sdo.ref, sdo, original: { bytes: await this.d.blobs.getBytes(p.original.blobKey), mimeType: p.original.mimeType } };
  }

  /** The PAdES stored and its row written; when the row cannot be written the blob goes again. */
  private async keep(svc: ServiceAccount, id: string, pdf: Uint8Array, toArchive: boolean, now: Date): Promise<void> {
    const put = await this.d.blobs.putBytes(pdf);
    const entry = { id, mimeType: PADES_MIME_TYPE, size: put.size, sha256: put.sha256, blobKey: put.key, createdAt: now.toISOString() };
    try {
      await this.d.store.tx(async (tx) => {
        if (toArchive) await tx.insertArchive(svc.id, [entry]);
        else {
          await tx.insertSds({
            ...entry,
            serviceId: svc.id,
            expiresAt: new Date(now.getTime() + this.d.sdsTtlDays * DAY_MS).toISOString(),
          });
        }
      });
    } catch (e) {
      if (put.created !== false) await this.d.store.tx((tx) => tx.releaseBlobs([put.key])).catch(() => undefined);
      throw e;
    }
  }
}

const KINDS: Array<[string, keyof DocumentIdInput]> = [
  ['archive-document-id', 'archiveDocumentId'],
  ['order-document-id', 'orderDocumentId'],
  ['sds-document-id', 'sdsDocumentId'],
  ['uri-document-id', 'uriDocumentId'],
];

function checkId(v: string, path: string): string {
  const id = v.trim();
  if (id === '') fail('invalid-request', `${path}: must not be empty`);
  if (id.length > LIMITS.idLength) fail('invalid-request', `${path}: must be at most ${LIMITS.idLength} characters`);
  return id;
}

/** version, validation-policy, packaging-method and the number of SDOs. */
function checkRequest(input: CreatePackageInput): void {
  if (!PACKAGING_VERSIONS.includes(input.version.trim())) {
    fail('invalid-request', `version: must be ${PACKAGING_VERSIONS.join(' or ')} (got "${input.version}")`);
  }
  if (!VALIDATION_POLICIES.includes(input.validationPolicy.trim())) {
    fail('invalid-request', `validation-policy: "${input.validationPolicy}" is not known (use ${VALIDATION_POLICIES.join(', ')})`);
  }
  if (input.packagingMethod.trim() === '') fail('invalid-request', 'packaging-method: must not be empty');
  const n = input.sdoExtendedOrSdo?.length ?? 0;
  if (n === 0) fail('invalid-request', 'sdo, sdo-extended: at least one SDO is required');
  if (n > LIMITS.documentsPerRequest)
    fail('invalid-request', `sdo, sdo-extended: at most ${LIMITS.documentsPerRequest} SDOs per package (got ${n})`);
}

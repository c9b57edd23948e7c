// Values segl must read back but nobody with a copy of the database should: services' webhook
// signing secrets and the national ids of request subjects. Each is sealed with AES-256-GCM
// (src/util/secretbox.ts) under its own HKDF key from SEGL_SECRET, bound by additional data to the
// row it belongs to (a value moved to another service or request does not open). Remembered CPR
// numbers (src/store/cpr.ts) work the same way with their own key.
//
// National ids are also searched (findTasks, subject-national-id). The task row keeps, next to the
// sealed value, an HMAC of the lower-cased id under a third key: `equals` (either case mode) looks
// rows up by that MAC and then compares the opened values exactly; the other operators (contains,
// less-than, greater-than, not-equals) and sorting by the national id compare opened values in
// memory after the other criteria narrowed the rows in SQL (core/filter.ts `matches`, the reference
// semantics). An HMAC rather than a plain hash: without SEGL_SECRET the ten-digit CPR space cannot
// be enumerated against it.
//
// Values written in clear by earlier versions still read (they do not carry the `v1.` prefix of a
// sealed value); `encryptLegacyRows` (src/store/migrations/encrypt.ts) seals them at start.
import type { Criterion, Page } from '../core/filter';
import { matches } from '../core/filter';
import type { RequestBody } from '../core/ports';
import type { Subject, Task, TaskInfo } from '../core/types';
import { keyFromSecret, mac, open, seal } from '../util/secretbox';

const SEALED = 'v1.';

export class AtRest {
  private readonly webhookKey: Buffer;
  private readonly nationalIdKey: Buffer;
  private readonly nationalIdMacKey: Buffer;
  private readonly oidcKey: Buffer;
  private readonly sealKeyKey: Buffer;

  constructor(secret: string) {
    this.webhookKey = keyFromSecret(secret, 'segl service.webhook_secret v1');
    this.nationalIdKey = keyFromSecret(secret, 'segl subject national-id v1');
    this.nationalIdMacKey = keyFromSecret(secret, 'segl subject national-id mac v1');
    this.oidcKey = keyFromSecret(secret, 'segl eid_oidc_method.secret v1');
    this.sealKeyKey = keyFromSecret(secret, 'segl service_seal.secret v1');
  }

  static isSealed(stored: string): boolean {
    return stored.startsWith(SEALED);
  }

  sealWebhookSecret(service: string, secret: string): string {
    return seal(this.webhookKey, secret, `segl:webhook_secret:${service}`);
  }

  /** The `whsec_…` secret; one stored in clear by an earlier version is returned as it is. */
  openWebhookSecret(service: string, stored: string): string {
    if (!AtRest.isSealed(stored)) return stored;
    const plain = open(this.webhookKey, stored, `segl:webhook_secret:${service}`);
    if (plain === undefined) {
      throw new Error(
        `the webhook secret of service "${service}" cannot be decrypted: was SEGL_SECRET changed? (\`segl service set ${service} --rotate-webhook-secret\` makes a new one)`,
      );
    }
    return plain;
  }

  /** An OIDC eID method's client secret or private key (JSON), bound to its service and method. */
  sealOidcSecret(serviceId: number, method: string, secret: string): string {
    return seal(this.oidcKey, secret, `segl:oidc-secret:${serviceId}:${method}`);
  }

  openOidcSecret(serviceId: number, method: string, stored: string): string {
    const plain = open(this.oidcKey, stored, `segl:oidc-secret:${serviceId}:${method}`);
    if (plain === undefined) throw new Error(`the client secret of OIDC method "${method}" cannot be decrypted: was SEGL_SECRET changed?`);
    return plain;
  }

  /** A service's own seal key (PKCS#8 or PKCS#12 with its passphrase, as JSON), bound to the service. */
  sealSealKey(serviceId: number, secret: string): string {
    return seal(this.sealKeyKey, secret, `segl:service-seal:${serviceId}`);
  }

  openSealKey(serviceId: number, stored: string): string {
    const plain = open(this.sealKeyKey, stored, `segl:service-seal:${serviceId}`);
    if (plain === undefined) throw new Error(`the seal key of service ${serviceId} cannot be decrypted: was SEGL_SECRET changed?`);
    return plain;
  }

  /** `where`: the request id, or `request/task` for a task's own subject and its task-info column. */
  sealNationalId(where: string, id: string): string {
    return seal(this.nationalIdKey, id, `segl:national-id:${where}`);
  }

  openNationalId(where: string, stored: string): string {
    if (!AtRest.isSealed(stored)) return stored;
    const plain = open(this.nationalIdKey, stored, `segl:national-id:${where}`);
    if (plain === undefined) throw new Error(`a subject's national id (${where}) cannot be decrypted: was SEGL_SECRET changed?`);
    return plain;
  }

  /** The lookup MAC of a national id: case-folded, so it serves case-sensitive and -insensitive `equals`. */
  nationalIdMac(id: string): string {
    return mac(this.nationalIdMacKey, id.toLowerCase());
  }

  private subject<S extends Subject | undefined>(s: S, where: string, f: (where: string, v: string) => string): S {
    return s?.nationalId === undefined ? s : { ...s, nationalId: f(where, s.nationalId) };
  }

  /** The request body as stored: each subject's national id sealed. */
  sealRequestBody(requestId: string, body: RequestBody): RequestBody {
    if (!body.subject?.some((s) => s.nationalId !== undefined)) return body;
    return { ...body, subject: body.subject.map((s) => this.subject(s, requestId, (w, v) => this.sealNationalId(w, v))) };
  }

  openRequestBody(requestId: string, body: RequestBody): RequestBody {
    if (!body.subject?.some((s) => s.nationalId !== undefined)) return body;
    return { ...body, subject: body.subject.map((s) => this.subject(s, requestId, (w, v) => this.openNationalId(w, v))) };
  }

  sealTaskBody(requestId: string, task: Task): Task {
    return task.subject?.nationalId === undefined
      ? task
      : { ...task, subject: this.subject(task.subject, `${requestId}/${task.id}`, (w, v) => this.sealNationalId(w, v)) };
  }

  openTaskBody(requestId: string, task: Task): Task {
    return task.subject?.nationalId === undefined
      ? task
      : { ...task, subject: this.subject(task.subject, `${requestId}/${task.id}`, (w, v) => this.openNationalId(w, v)) };
  }
}

/** findTasks criteria that SQL cannot evaluate on the sealed column (all on subject-national-id). */
export function nationalIdCriteria(criteria: Criterion[]): Criterion[] {
  return criteria.filter((c) => c.field === 'subject-national-id');
}

/**
 * The in-memory half of findTasks / getTaskCount when the national id takes part: `rows` come from
 * SQL with every other criterion applied, ordered by request id and ordinal in the page's
 * direction. Keeps the rows whose opened national id satisfies `criteria`, then, when the page
 * sorts by the national id, orders them as SQL would (`NULLS FIRST` ascending, `NULLS LAST`
 * descending; ties keep the request/ordinal order).
 */
export function filterByNationalId(rows: TaskInfo[], criteria: Criterion[], page: Pick<Page, 'sortField' | 'ascending'>): TaskInfo[] {
  const kept = rows.filter((r) =>
    criteria.every((c) => matches((f) => (f === 'subject-national-id' ? r.subjectNationalId : undefined), c)),
  );
  if (page.sortField !== 'subject-national-id') return kept;
  const dir = page.ascending ? 1 : -1;
  return kept
    .map((r, i) => ({ r, i }))
    .sort((a, b) => {
      const x = a.r.subjectNationalId;
      const y = b.r.subjectNationalId;
      if (x === y) return a.i - b.i;
      if (x === undefined) return -dir;
      if (y === undefined) return dir;
      return (x < y ? -1 : 1) * dir || a.i - b.i;
    })
    .map((e) => e.r);
}

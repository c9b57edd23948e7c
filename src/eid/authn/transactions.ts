// Login transactions that are not tasks: one per login a front door starts. The browser carries a
// random id (24 bytes, in the login pages' URLs); the row is keyed by its SHA-256 (a copy of the
// table resumes nobody's login), bound to the portal session that started it (the SHA-256 of the
// session id, moved along when the id changes at login), its state sealed with AES-256-GCM under a
// key from SEGL_SECRET bound to the row (it holds the PID), valid for LOGIN_TTL_MS, and single use:
// finish() succeeds once, and a finished transaction is refused by every page. One that expired
// unfinished is answered once more, in the browser that started it, to say that it expired.
import { createHash, randomBytes } from 'node:crypto';
import type { Lang } from '../../portal/i18n';
import type { AuthnRepository } from '../../store/authn';
import { keyFromSecret, open, seal } from '../../util/secretbox';

export const LOGIN_TTL_MS = 10 * 60_000;

/** What a login is and where it stands. */
export interface LoginState {
  /** the front door that started it and answers at the end (`saml11`) */
  door: string;
  /** what the front door needs to answer (SAML 1.1: the target) */
  answer: Record<string, string>;
  method: string;
  /** the graphical profile asked for */
  profile?: string;
  lang: Lang;
  step: 'login' | 'cpr';
  /** set once the eID said who it is */
  pid?: string;
  authenticatedAt?: string;
  /** wrong CPR numbers typed so far */
  cprTries?: number;
}

export type Loaded =
  | { kind: 'open' | 'expired'; serviceId: number; state: LoginState }
  | { kind: 'unknown' | 'finished' | 'other-browser'; serviceId?: number };

const hash = (s: string) => createHash('sha256').update(s).digest('hex');
const ID = /^[A-Za-z0-9_-]{32}$/;

export class LoginTransactions {
  private readonly key: Buffer;
  constructor(
    private readonly repo: AuthnRepository,
    secret: string,
  ) {
    this.key = keyFromSecret(secret, 'segl login transaction v1');
  }

  /** A new transaction for the browser whose portal session id is `sessionId`; its id. */
  async create(serviceId: number, sessionId: string, state: LoginState, now: Date): Promise<string> {
    const id = randomBytes(24).toString('base64url');
    const idHash = hash(id);
    await this.repo.insert(
      idHash,
      {
        serviceId,
        sessionHash: hash(sessionId),
        data: seal(this.key, JSON.stringify(state), idHash),
        expiresAt: new Date(now.getTime() + LOGIN_TTL_MS).toISOString(),
      },
      now.toISOString(),
    );
    return id;
  }

  /** The transaction `id` as the browser with session `sessionId` may see it. */
  async load(id: string, sessionId: string, now: Date): Promise<Loaded> {
    if (!ID.test(id)) return { kind: 'unknown' };
    const idHash = hash(id);
    const row = await this.repo.get(idHash);
    if (!row) return { kind: 'unknown' };
    if (row.finishedAt) return { kind: 'finished', serviceId: row.serviceId };
    if (row.sessionHash !== hash(sessionId)) return { kind: 'other-browser', serviceId: row.serviceId };
    const data = open(this.key, row.data, idHash);
    if (data === undefined) return { kind: 'unknown' };
    const kind = row.expiresAt > now.toISOString() ? 'open' : 'expired';
    return { kind, serviceId: row.serviceId, state: JSON.parse(data) as LoginState };
  }

  /** Stores the new state (and the session id, which changes at login); false when no longer open. */
  save(id: string, sessionId: string, state: LoginState, now: Date): Promise<boolean> {
    const idHash = hash(id);
    return this.repo.update(idHash, seal(this.key, JSON.stringify(state), idHash), hash(sessionId), now.toISOString());
  }

  /** Ends it: true for exactly one caller; `expired`: ends an expired one, to answer that it expired. */
  finish(id: string, now: Date, expired = false): Promise<boolean> {
    return this.repo.finish(hash(id), now.toISOString(), expired);
  }
}

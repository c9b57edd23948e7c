// OpenID Connect eID methods per service and the logins begun at their brokers (docs/oidc-eid.md).
// This store knows rows only: the method's config is JSON that src/eid/oidc/config.ts checks and
// reads; its secret part (client secret or private key) is sealed under SEGL_SECRET, bound to the
// service and method (store/atrest.ts). A login row is taken once: the callback deletes it in the
// same statement that reads it, so a replayed state finds nothing.
import { createHash } from 'node:crypto';
import type { DataSource } from 'typeorm';
import { keyFromSecret, open, seal } from '../util/secretbox';
import type { AtRest } from './atrest';
import { sqlDatabase, type SqlDatabase } from './sql';

/** A method as stored: its public config JSON and its secret JSON (opened). */
export interface StoredOidcMethod {
  serviceId: number;
  name: string;
  config: string;
  secret?: string;
  updatedAt: string;
}

const sha256 = (s: string) => createHash('sha256').update(s).digest('hex');

/**
 * Bumped by every put and remove in this process: a reader's short-lived cache of a service's method
 * names (eid/oidc/methods.ts) is dropped at once when the CLI or a test changes them in-process;
 * another process's change reaches it when the cache entry expires.
 */
let generation = 0;
export const oidcMethodGeneration = (): number => generation;

export class OidcMethodRepository {
  private readonly db: SqlDatabase;
  constructor(
    ds: DataSource,
    private readonly atRest: AtRest,
  ) {
    this.db = sqlDatabase(ds);
  }

  /** Creates or replaces the method `name` of a service. */
  async put(serviceId: number, name: string, config: string, secret: string | undefined, now: string): Promise<void> {
    const sealed = secret === undefined ? null : this.atRest.sealOidcSecret(serviceId, name, secret);
    await this.db.tx((q) =>
      q.run(
        `INSERT INTO eid_oidc_method (service_id, name, config, secret, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?)
         ON CONFLICT (service_id, name) DO UPDATE SET config = excluded.config, secret = excluded.secret, updated_at = excluded.updated_at`,
        [serviceId, name, config, sealed, now, now],
      ),
    );
    generation++;
  }

  /** The service's methods' names and public config JSON, without opening any secret (createRequest's check). */
  async configs(serviceId: number): Promise<Array<{ name: string; config: string }>> {
    return this.db.tx((q) =>
      q.all<{ name: string; config: string }>('SELECT name, config FROM eid_oidc_method WHERE service_id = ? ORDER BY name', [serviceId]),
    );
  }

  /** The service's methods (secrets opened), by name. */
  async list(serviceId: number): Promise<StoredOidcMethod[]> {
    const rows = await this.db.tx((q) =>
      q.all<{ name: string; config: string; secret: string | null; updated_at: string }>(
        'SELECT name, config, secret, updated_at FROM eid_oidc_method WHERE service_id = ? ORDER BY name',
        [serviceId],
      ),
    );
    return rows.map((r) => ({
      serviceId,
      name: r.name,
      config: r.config,
      secret: r.secret === null ? undefined : this.atRest.openOidcSecret(serviceId, r.name, r.secret),
      updatedAt: r.updated_at,
    }));
  }

  /** The methods of the service named `service` (none when there is no such service). */
  async listByServiceName(service: string): Promise<StoredOidcMethod[]> {
    const rows = await this.db.tx((q) => q.all<{ id: number }>('SELECT id FROM service WHERE name = ?', [service]));
    return rows[0] ? this.list(Number(rows[0].id)) : [];
  }

  /** Every service's methods whose config names `issuer` (the test IdP's clients), with the service's name. */
  async byIssuer(issuer: string): Promise<Array<StoredOidcMethod & { serviceName: string }>> {
    const rows = await this.db.tx((q) =>
      q.all<{ service_id: number; service_name: string; name: string; config: string; secret: string | null; updated_at: string }>(
        `SELECT m.service_id, s.name AS service_name, m.name, m.config, m.secret, m.updated_at
         FROM eid_oidc_method m JOIN service s ON s.id = m.service_id ORDER BY m.service_id, m.name`,
      ),
    );
    return rows
      .filter((r) => (JSON.parse(r.config) as { issuer?: string }).issuer === issuer)
      .map((r) => ({
        serviceId: Number(r.service_id),
        serviceName: r.service_name,
        name: r.name,
        config: r.config,
        secret: r.secret === null ? undefined : this.atRest.openOidcSecret(Number(r.service_id), r.name, r.secret),
        updatedAt: r.updated_at,
      }));
  }

  /** Removes a method; false when there was none. */
  async remove(serviceId: number, name: string): Promise<boolean> {
    const gone = await this.db.tx((q) =>
      q.all('DELETE FROM eid_oidc_method WHERE service_id = ? AND name = ? RETURNING name', [serviceId, name]),
    );
    generation++;
    return gone.length > 0;
  }
}

/**
 * Logins begun at a broker: what the callback needs (task, method, nonce, PKCE verifier), sealed and
 * bound to the SHA-256 of the state; taken once, only by the portal session that began it, before
 * it expires (the caller compares the session: `sessionHash`). Expired rows are swept by whoever begins a login.
 */
export class OidcLoginRepository {
  private readonly db: SqlDatabase;
  private readonly key: Buffer;
  constructor(ds: DataSource, secret: string) {
    this.db = sqlDatabase(ds);
    this.key = keyFromSecret(secret, 'segl eid_oidc_login.data v1');
  }

  async begin(state: string, sessionId: string, serviceId: number, data: string, now: string, expiresAt: string): Promise<void> {
    const h = sha256(state);
    await this.db.tx(async (q) => {
      await q.run('DELETE FROM eid_oidc_login WHERE expires_at <= ?', [now]);
      await q.run('INSERT INTO eid_oidc_login (state_hash, session_hash, service_id, data, expires_at) VALUES (?, ?, ?, ?, ?)', [
        h,
        sha256(sessionId),
        serviceId,
        seal(this.key, data, `segl:oidc-login:${h}`),
        expiresAt,
      ]);
    });
  }

  /**
   * The login begun with this state, deleted in the same statement (single use); undefined when the
   * state is unknown, already used or expired. The caller checks the session and service it is bound to.
   */
  async take(state: string, now: string): Promise<{ sessionHash: string; serviceId: number; data: string } | undefined> {
    const h = sha256(state);
    const [row] = await this.db.tx((q) =>
      q.all<{ session_hash: string; service_id: number; data: string; expires_at: string }>(
        'DELETE FROM eid_oidc_login WHERE state_hash = ? RETURNING session_hash, service_id, data, expires_at',
        [h],
      ),
    );
    if (!row || row.expires_at <= now) return undefined;
    const data = open(this.key, row.data, `segl:oidc-login:${h}`);
    return data === undefined ? undefined : { sessionHash: row.session_hash, serviceId: Number(row.service_id), data };
  }
}

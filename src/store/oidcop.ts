// segl's OpenID provider for integrators (src/eid/op): its clients and oidc-provider's storage, on
// segl's database so that every api process sees the same codes, tokens and interactions.
//
// Clients: the secret is sealed under SEGL_SECRET bound to the client id (oidc-provider compares the
// secret a client sends with the one registered, so it must be read back, not only hashed).
// Entries: one row per oidc-provider model and id, the payload sealed bound to both (it holds the
// login's identity), with its expiry; `consume` sets `consumed_at` only where it is still unset, so
// exactly one caller in any process redeems a code. Expired rows go at most once a minute per process.
import type { DataSource } from 'typeorm';
import { keyFromSecret, open, seal } from '../util/secretbox';
import { sqlDatabase, type SqlDatabase } from './sql';

export interface OpClient {
  clientId: string;
  serviceId: number;
  serviceName: string;
  name: string;
  redirectUris: string[];
  public: boolean;
  /** how a confidential client authenticates at the token endpoint */
  tokenAuth: 'client_secret_basic' | 'client_secret_post';
  /** the client secret (opened); none for a public client */
  secret?: string;
  createdAt: string;
}

export interface OpEntry {
  payload: string;
  consumedAt?: string;
}

type ClientRow = {
  client_id: string;
  service_id: number;
  service_name: string;
  name: string;
  redirect_uris: string;
  public: number | boolean;
  token_auth: string;
  secret: string | null;
  created_at: string;
};

const CLIENT_SELECT = `SELECT c.client_id, c.service_id, s.name AS service_name, c.name, c.redirect_uris, c.public, c.token_auth, c.secret, c.created_at
  FROM oidc_op_client c JOIN service s ON s.id = c.service_id`;

export class OidcOpRepository {
  private readonly db: SqlDatabase;
  private readonly clientKey: Buffer;
  private readonly entryKey: Buffer;
  private sweptAt = 0;

  constructor(ds: DataSource, secret: string) {
    this.db = sqlDatabase(ds);
    this.clientKey = keyFromSecret(secret, 'segl oidc_op_client.secret v1');
    this.entryKey = keyFromSecret(secret, 'segl oidc_op_entry.payload v1');
  }

  private client(r: ClientRow): OpClient {
    const secret = r.secret === null ? undefined : open(this.clientKey, r.secret, `segl:oidc-op-client:${r.client_id}`);
    if (r.secret !== null && secret === undefined)
      throw new Error(`the secret of OIDC client ${r.client_id} cannot be decrypted: was SEGL_SECRET changed?`);
    return {
      clientId: r.client_id,
      serviceId: Number(r.service_id),
      serviceName: r.service_name,
      name: r.name,
      redirectUris: JSON.parse(r.redirect_uris) as string[],
      public: r.public === true || r.public === 1,
      tokenAuth: r.token_auth as OpClient['tokenAuth'],
      ...(secret === undefined ? {} : { secret }),
      createdAt: r.created_at,
    };
  }

  async addClient(c: Omit<OpClient, 'serviceName'>): Promise<void> {
    const sealed = c.secret === undefined ? null : seal(this.clientKey, c.secret, `segl:oidc-op-client:${c.clientId}`);
    await this.db.tx((q) =>
      q.run(
        `INSERT INTO oidc_op_client (client_id, service_id, name, redirect_uris, public, token_auth, secret, created_at)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
        [c.clientId, c.serviceId, c.name, JSON.stringify(c.redirectUris), c.public, c.tokenAuth, sealed, c.createdAt],
      ),
    );
  }

  async findClient(clientId: string): Promise<OpClient | undefined> {
    const rows = await this.db.tx((q) => q.all<ClientRow>(`${CLIENT_SELECT} WHERE c.client_id = ?`, [clientId]));
    return rows[0] ? this.client(rows[0]) : undefined;
  }

  async clients(serviceId: number): Promise<OpClient[]> {
    const rows = await this.db.tx((q) =>
      q.all<ClientRow>(`${CLIENT_SELECT} WHERE c.service_id = ? ORDER BY c.created_at, c.client_id`, [serviceId]),
    );
    return rows.map((r) => this.client(r));
  }

  /** Removes a client of the service; false when it has none of that id. */
  async removeClient(serviceId: number, clientId: string): Promise<boolean> {
    const gone = await this.db.tx((q) =>
      q.all('DELETE FROM oidc_op_client WHERE service_id = ? AND client_id = ? RETURNING client_id', [serviceId, clientId]),
    );
    return gone.length > 0;
  }

  private aad(model: string, id: string): string {
    return `segl:oidc-op:${model}:${id}`;
  }

  /** Creates or replaces an entry (its consumed mark stays). */
  async upsert(
    model: string,
    id: string,
    payload: string,
    e: { grantId?: string; uid?: string; expiresAt: string; now: string },
  ): Promise<void> {
    const sealed = seal(this.entryKey, payload, this.aad(model, id));
    await this.db.tx(async (q) => {
      await this.sweep(q, e.now);
      await q.run(
        `INSERT INTO oidc_op_entry (model, id, payload, grant_id, uid, expires_at) VALUES (?, ?, ?, ?, ?, ?)
         ON CONFLICT (model, id) DO UPDATE SET payload = excluded.payload, grant_id = excluded.grant_id, uid = excluded.uid,
           expires_at = excluded.expires_at`,
        [model, id, sealed, e.grantId ?? null, e.uid ?? null, e.expiresAt],
      );
    });
  }

  private entry(model: string, r: { id: string; payload: string; consumed_at: string | null } | undefined): OpEntry | undefined {
    if (!r) return undefined;
    const payload = open(this.entryKey, r.payload, this.aad(model, r.id));
    if (payload === undefined) return undefined;
    return { payload, ...(r.consumed_at ? { consumedAt: r.consumed_at } : {}) };
  }

  find(model: string, id: string, now: string): Promise<OpEntry | undefined> {
    return this.findBy(model, 'id', id, now);
  }

  findByUid(model: string, uid: string, now: string): Promise<OpEntry | undefined> {
    return this.findBy(model, 'uid', uid, now);
  }

  private async findBy(model: string, column: 'id' | 'uid', value: string, now: string): Promise<OpEntry | undefined> {
    const rows = await this.db.tx((q) =>
      q.all<{ id: string; payload: string; consumed_at: string | null }>(
        `SELECT id, payload, consumed_at FROM oidc_op_entry WHERE model = ? AND ${column} = ? AND expires_at > ?`,
        [model, value, now],
      ),
    );
    return this.entry(model, rows[0]);
  }

  /** Marks an entry consumed: true for exactly one caller (false when already consumed, expired or unknown). */
  async consume(model: string, id: string, now: string): Promise<boolean> {
    const rows = await this.db.tx((q) =>
      q.all('UPDATE oidc_op_entry SET consumed_at = ? WHERE model = ? AND id = ? AND consumed_at IS NULL AND expires_at > ? RETURNING id', [
        now,
        model,
        id,
        now,
      ]),
    );
    return rows.length === 1;
  }

  async destroy(model: string, id: string): Promise<void> {
    await this.db.tx((q) => q.run('DELETE FROM oidc_op_entry WHERE model = ? AND id = ?', [model, id]));
  }

  async revokeByGrantId(grantId: string): Promise<void> {
    await this.db.tx((q) => q.run('DELETE FROM oidc_op_entry WHERE grant_id = ?', [grantId]));
  }

  /** Removes the expired entries now; how many went. */
  async purgeExpired(now: string): Promise<number> {
    const gone = await this.db.tx((q) => q.all('DELETE FROM oidc_op_entry WHERE expires_at <= ? RETURNING id', [now]));
    return gone.length;
  }

  /** At most once a minute per process: expired entries go. */
  private async sweep(q: { run(sql: string, p?: Array<string | number>): Promise<void> }, now: string): Promise<void> {
    const t = Date.parse(now);
    if (t - this.sweptAt < 60_000 && t >= this.sweptAt) return;
    this.sweptAt = t;
    await q.run('DELETE FROM oidc_op_entry WHERE expires_at <= ?', [now]);
  }
}

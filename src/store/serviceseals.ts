// A service's own seal (migrations/serviceseals.ts): its certificate and chain as PEM, and where its
// key is. Keys held here are sealed under SEGL_SECRET (AtRest), bound to the service's id.
import type { DataSource } from 'typeorm';
import { AtRest } from './atrest';
import { sqlDatabase, type SqlDatabase } from './sql';

export type SealSource = 'test-ca' | 'pkcs12' | 'pkcs11';

/** A PKCS#11 key: the module (the token's library), the token's label, the key's label, the PIN's variable. */
export interface Pkcs11KeyRef {
  module: string;
  token: string;
  key: string;
  /** the environment variable that holds the user PIN where segl signs (never stored) */
  pinEnv: string;
}

export interface ServiceSeal {
  serviceId: number;
  source: SealSource;
  /** the seal certificate (PEM) */
  certificate: string;
  /** its issuing CA(s) up to the root (PEM, concatenated) */
  chain: string;
  /** test-ca: `{ "pkcs8": base64 }`; pkcs12: `{ "p12": base64, "passphrase": … }` (opened) */
  secret?: string;
  pkcs11?: Pkcs11KeyRef;
  createdAt: string;
}

type Row = Record<string, unknown>;

export class ServiceSealRepository {
  private readonly db: SqlDatabase;
  constructor(
    ds: DataSource,
    private readonly atRest: AtRest,
  ) {
    this.db = sqlDatabase(ds);
  }

  /** Sets (or replaces) the service's seal. */
  async set(s: ServiceSeal): Promise<void> {
    const secret = s.secret === undefined ? null : this.atRest.sealSealKey(s.serviceId, s.secret);
    const pkcs11 = s.pkcs11 ? JSON.stringify(s.pkcs11) : null;
    await this.db.tx(async (q) => {
      await q.run('DELETE FROM service_seal WHERE service_id = ?', [s.serviceId]);
      await q.run(
        'INSERT INTO service_seal (service_id, source, certificate, chain, secret, pkcs11, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)',
        [s.serviceId, s.source, s.certificate, s.chain, secret, pkcs11, s.createdAt],
      );
    });
  }

  async get(serviceId: number): Promise<ServiceSeal | undefined> {
    const [r] = await this.db.tx((q) => q.all<Row>('SELECT * FROM service_seal WHERE service_id = ?', [serviceId]));
    if (!r) return undefined;
    return {
      serviceId,
      source: r.source as SealSource,
      certificate: r.certificate as string,
      chain: r.chain as string,
      ...(r.secret ? { secret: this.atRest.openSealKey(serviceId, r.secret as string) } : {}),
      ...(r.pkcs11 ? { pkcs11: JSON.parse(r.pkcs11 as string) as Pkcs11KeyRef } : {}),
      createdAt: r.created_at as string,
    };
  }

  /** Removes the service's seal (its packages are sealed by the platform again); false when it had none. */
  async remove(serviceId: number): Promise<boolean> {
    return this.db.tx(
      async (q) => (await q.all('DELETE FROM service_seal WHERE service_id = ? RETURNING service_id', [serviceId])).length > 0,
    );
  }
}

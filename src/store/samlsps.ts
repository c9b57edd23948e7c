// SAML 2.0 service providers per service (docs/authentication.md): `saml_sp`, one row per SP
// registered from its metadata (trust/saml2/metadata.ts reads it before anything is written), found
// by entityID (the AuthnRequest's Issuer); and `saml_request_seen`, the replay cache of AuthnRequest
// IDs: an ID is taken once per SP, and kept until a request with it would be refused as stale anyway.
import type { DataSource } from 'typeorm';
import type { AcsEndpoint, SpMetadata } from '../trust/saml2/metadata';
import { sqlDatabase, type SqlDatabase } from './sql';

/** A registered SP. */
export interface SamlSp extends SpMetadata {
  id: number;
  serviceId: number;
  service: string;
  createdAt: string;
}

/** A registration refused; nothing was written. */
export class SamlSpError extends Error {
  override name = 'SamlSpError';
}

interface Row {
  id: number;
  service_id: number;
  service: string;
  entity_id: string;
  acs: string;
  certificates: string;
  authn_requests_signed: unknown;
  want_assertions_signed: unknown;
  created_at: string;
}

const COLUMNS = `s.id, s.service_id, v.name AS service, s.entity_id, s.acs, s.certificates, s.authn_requests_signed,
  s.want_assertions_signed, s.created_at`;
const FROM = 'saml_sp s JOIN service v ON v.id = s.service_id';

function toSp(r: Row): SamlSp {
  return {
    id: Number(r.id),
    serviceId: Number(r.service_id),
    service: r.service,
    entityId: r.entity_id,
    acs: JSON.parse(r.acs) as AcsEndpoint[],
    certificates: (JSON.parse(r.certificates) as string[]).map((c) => new Uint8Array(Buffer.from(c, 'base64'))),
    authnRequestsSigned: !!r.authn_requests_signed,
    wantAssertionsSigned: !!r.want_assertions_signed,
    createdAt: r.created_at,
  };
}

export class SamlSpRepository {
  private readonly db: SqlDatabase;
  constructor(ds: DataSource) {
    this.db = sqlDatabase(ds);
  }

  /** Registers the SP for the service; refused when its entityID is already registered (for any service). */
  async add(serviceId: number, sp: SpMetadata, metadataXml: string, now: string): Promise<SamlSp> {
    await this.db.tx(async (q) => {
      const taken = await q.all<{ name: string }>(
        'SELECT v.name FROM saml_sp s JOIN service v ON v.id = s.service_id WHERE s.entity_id = ?',
        [sp.entityId],
      );
      if (taken.length)
        throw new SamlSpError(`entityID ${sp.entityId} is already registered for service "${taken[0]!.name}"; remove it first`);
      await q.run(
        `INSERT INTO saml_sp (service_id, entity_id, acs, certificates, authn_requests_signed, want_assertions_signed, metadata, created_at)
          VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
        [
          serviceId,
          sp.entityId,
          JSON.stringify(sp.acs),
          JSON.stringify(sp.certificates.map((c) => Buffer.from(c).toString('base64'))),
          sp.authnRequestsSigned,
          sp.wantAssertionsSigned,
          metadataXml,
          now,
        ],
      );
    });
    return (await this.byEntityId(sp.entityId))!;
  }

  async byEntityId(entityId: string): Promise<SamlSp | undefined> {
    const [row] = await this.db.tx((q) => q.all<Row>(`SELECT ${COLUMNS} FROM ${FROM} WHERE s.entity_id = ?`, [entityId]));
    return row ? toSp(row) : undefined;
  }

  /** The service's SPs by entityID. */
  async list(serviceId: number): Promise<SamlSp[]> {
    const rows = await this.db.tx((q) =>
      q.all<Row>(`SELECT ${COLUMNS} FROM ${FROM} WHERE s.service_id = ? ORDER BY s.entity_id`, [serviceId]),
    );
    return rows.map(toSp);
  }

  /** Removes the service's SP (and its replay entries); false when the service has none with that entityID. */
  async remove(serviceId: number, entityId: string): Promise<boolean> {
    return this.db.tx(async (q) => {
      const [row] = await q.all<{ id: number }>('SELECT id FROM saml_sp WHERE service_id = ? AND entity_id = ?', [serviceId, entityId]);
      if (!row) return false;
      await q.run('DELETE FROM saml_request_seen WHERE sp_id = ?', [row.id]);
      await q.run('DELETE FROM saml_sp WHERE id = ?', [row.id]);
      return true;
    });
  }

  /**
   * Takes the AuthnRequest ID for the SP: true the first time, false when it was seen before (a
   * replay). Entries past their time are dropped on the way.
   */
  async takeRequestId(spId: number, requestId: string, keepUntil: Date, now: Date): Promise<boolean> {
    return this.db.tx(async (q) => {
      await q.run('DELETE FROM saml_request_seen WHERE expires_at < ?', [now.toISOString()]);
      const taken = await q.all(
        'INSERT INTO saml_request_seen (sp_id, request_id, expires_at) VALUES (?, ?, ?) ON CONFLICT (sp_id, request_id) DO NOTHING RETURNING request_id',
        [spId, requestId, keepUntil.toISOString()],
      );
      return taken.length === 1;
    });
  }
}

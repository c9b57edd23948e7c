// Certificates issued by the test CA and their state: good, revoked (with reason and time) or on
// hold ("locked", RFC 5280 certificateHold). OCSP and the CRL read from here.
import type { DataSource } from 'typeorm';
import { sqlDatabase, type SqlDatabase } from './sql';

export type CertificateState = 'good' | 'revoked' | 'hold';

export interface CertificateRecord {
  serial: string; // lower-case hex
  kind: string;
  subject: string;
  pid?: string;
  status: CertificateState;
  reason?: string;
  revokedAt?: string;
  notBefore: string;
  notAfter: string;
  createdAt: string;
  pem: string;
}

const toRecord = (r: Record<string, unknown>): CertificateRecord => ({
  serial: r.serial as string,
  kind: r.kind as string,
  subject: r.subject as string,
  pid: (r.pid as string | null) ?? undefined,
  status: r.status as CertificateState,
  reason: (r.reason as string | null) ?? undefined,
  revokedAt: (r.revoked_at as string | null) ?? undefined,
  notBefore: r.not_before as string,
  notAfter: r.not_after as string,
  createdAt: r.created_at as string,
  pem: r.pem as string,
});

export class CertificateRepository {
  private readonly db: SqlDatabase;
  constructor(ds: DataSource) {
    this.db = sqlDatabase(ds);
  }

  async insert(c: CertificateRecord): Promise<void> {
    await this.db.tx((q) =>
      q.run(
        'INSERT INTO certificate (serial, kind, subject, pid, status, reason, revoked_at, not_before, not_after, created_at, pem) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)',
        [c.serial, c.kind, c.subject, c.pid, c.status, c.reason, c.revokedAt, c.notBefore, c.notAfter, c.createdAt, c.pem],
      ),
    );
  }

  async get(serial: string): Promise<CertificateRecord | null> {
    const [r] = await this.db.tx((q) => q.all('SELECT * FROM certificate WHERE serial = ?', [serial.toLowerCase()]));
    return r ? toRecord(r) : null;
  }

  /** Revoked and held certificates, for the CRL. */
  async listRevoked(): Promise<CertificateRecord[]> {
    return (await this.db.tx((q) => q.all("SELECT * FROM certificate WHERE status <> 'good' ORDER BY revoked_at"))).map(toRecord);
  }

  /**
   * Moves a certificate between states. Revocation is final (RFC 5280 §3.3); a hold can be released
   * (unlock) or made final. Returns the new record, or null when there is no such certificate.
   */
  async setState(serial: string, to: CertificateState, reason: string | undefined, now: string): Promise<CertificateRecord | null> {
    return this.db.tx(async (q) => {
      const [r] = await q.all('SELECT * FROM certificate WHERE serial = ?', [serial.toLowerCase()]);
      if (!r) return null;
      const cur = toRecord(r);
      if (cur.status === 'revoked') throw new Error(`certificate ${serial} is revoked; revocation is final`);
      const revokedAt = to === 'good' ? null : cur.status === 'hold' && to === 'hold' ? cur.revokedAt : now;
      const why = to === 'good' ? null : to === 'hold' ? 'certificateHold' : (reason ?? 'unspecified');
      await q.run('UPDATE certificate SET status = ?, reason = ?, revoked_at = ? WHERE serial = ?', [to, why, revokedAt, cur.serial]);
      return { ...cur, status: to, reason: why ?? undefined, revokedAt: revokedAt ?? undefined };
    });
  }
}

// Graphical profiles of the portal, per service: brand colours, a logo and text overrides. A task
// (or its request) names one with `profile`; without one, or with an unknown name, the service's
// `default` profile applies, and without that segl's own look.
import type { DataSource } from 'typeorm';
import { sqlDatabase, type SqlDatabase } from './sql';

export interface PortalProfile {
  /** CSS colours (#rgb / #rrggbb): brand background, text on brand, page ink */
  colours?: { brand?: string; brandInk?: string; ink?: string };
  /** the logo shown in the header: PNG, SVG or JPEG bytes (base64) and their type */
  logo?: { mimeType: 'image/png' | 'image/svg+xml' | 'image/jpeg'; base64: string; alt: string };
  /** the name shown in the header instead of the service's */
  displayName?: string;
  /** text overrides: language → text key → text */
  texts?: Record<string, Record<string, string>>;
}

export const PROFILE_NAME = /^[A-Za-z0-9._-]{1,64}$/;
export const COLOUR = /^#([0-9a-f]{3}|[0-9a-f]{6})$/i;

export class ProfileRepository {
  private readonly db: SqlDatabase;
  private readonly cache = new Map<string, { value: PortalProfile | null; until: number }>();
  constructor(ds: DataSource) {
    this.db = sqlDatabase(ds);
  }

  async set(serviceId: number, name: string, p: PortalProfile, now: string): Promise<void> {
    if (!PROFILE_NAME.test(name)) throw new Error(`profile name "${name}" must match ${PROFILE_NAME}`);
    for (const [k, c] of Object.entries(p.colours ?? {}))
      if (c !== undefined && !COLOUR.test(c)) throw new Error(`colour ${k} "${c}" must be #rgb or #rrggbb`);
    await this.db.tx(async (q) => {
      await q.run('DELETE FROM portal_profile WHERE service_id = ? AND name = ?', [serviceId, name]);
      await q.run('INSERT INTO portal_profile (service_id, name, body, updated_at) VALUES (?, ?, ?, ?)', [
        serviceId,
        name,
        JSON.stringify(p),
        now,
      ]);
    });
    this.cache.clear();
  }

  async get(serviceId: number, name: string): Promise<PortalProfile | null> {
    const key = `${serviceId}/${name}`;
    const hit = this.cache.get(key);
    if (hit && hit.until > Date.now()) return hit.value;
    const [row] = await this.db.tx((q) =>
      q.all<{ body: string }>('SELECT body FROM portal_profile WHERE service_id = ? AND name = ?', [serviceId, name]),
    );
    const value = row ? (JSON.parse(row.body) as PortalProfile) : null;
    if (this.cache.size > 1000) this.cache.clear();
    this.cache.set(key, { value, until: Date.now() + 2000 });
    return value;
  }

  /** The profile a task shows: its named one, else the service's `default`. */
  async resolve(serviceId: number, name: string | undefined): Promise<{ name: string; profile: PortalProfile } | null> {
    for (const n of [name, 'default']) {
      if (!n || !PROFILE_NAME.test(n)) continue;
      const p = await this.get(serviceId, n);
      if (p) return { name: n, profile: p };
    }
    return null;
  }

  async list(serviceId: number): Promise<string[]> {
    const rows = await this.db.tx((q) =>
      q.all<{ name: string }>('SELECT name FROM portal_profile WHERE service_id = ? ORDER BY name', [serviceId]),
    );
    return rows.map((r) => r.name);
  }
}

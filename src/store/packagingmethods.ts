// Packaging methods per service (src/core/packagingmethod.ts): stored in `packaging_method`, one row
// per service and name, the template PDF in the row as base64 (as portal profiles keep their logo:
// an operator's small file that lives exactly as long as its row, set and removed in one
// transaction, outside the blob store whose orphan sweep only knows request documents).
import { createHash } from 'node:crypto';
import type { DataSource } from 'typeorm';
import {
  BUILT_IN_METHOD,
  isPackageLanguage,
  methodNameProblem,
  PACKAGE_LANGUAGES,
  PADES_METHOD,
  type PackageLanguage,
  type PackagingMethodSource,
  type ResolvedPackagingMethod,
} from '../core/packagingmethod';
import { checkTemplate } from '../packaging/template';
import { sqlDatabase, type SqlDatabase } from './sql';

/** Largest template accepted (a cover with its fonts and a logo is far below this). */
export const MAX_TEMPLATE_BYTES = 4 * 1024 * 1024;
const MAX_DESCRIPTION = 1024;

/** What `set` stores; what is not given takes the built-in method's value. */
export interface PackagingMethodInput {
  language?: string;
  maskNationalId?: boolean;
  pdfa?: boolean;
  description?: string;
  template?: Uint8Array;
}

/** A method as an operator sees it (`builtIn` for `pades`, which has no row). */
export interface PackagingMethodInfo {
  name: string;
  language: PackageLanguage;
  maskNationalId: boolean;
  pdfa: boolean;
  description?: string;
  template?: { sha256: string; size: number };
  builtIn: boolean;
  updatedAt?: string;
}

/** Input a method cannot be stored with; nothing was changed. */
export class PackagingMethodError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'PackagingMethodError';
  }
}

interface Row {
  name: string;
  language: string;
  mask_national_id: unknown;
  pdfa: unknown;
  description: string | null;
  template_sha256: string | null;
  template_size: number | string | null;
  updated_at: string;
}

const INFO_COLUMNS = 'name, language, mask_national_id, pdfa, description, template_sha256, template_size, updated_at';

const BUILT_IN_INFO: PackagingMethodInfo = {
  name: PADES_METHOD.name,
  language: PADES_METHOD.language,
  maskNationalId: PADES_METHOD.maskNationalId,
  pdfa: PADES_METHOD.pdfa,
  description: 'built in: the built-in cover in English, national ids masked, no PDF/A',
  builtIn: true,
};

function toInfo(r: Row): PackagingMethodInfo {
  return {
    name: r.name,
    language: r.language as PackageLanguage,
    maskNationalId: !!r.mask_national_id,
    pdfa: !!r.pdfa,
    ...(r.description ? { description: r.description } : {}),
    ...(r.template_sha256 ? { template: { sha256: r.template_sha256, size: Number(r.template_size) } } : {}),
    builtIn: false,
    updatedAt: r.updated_at,
  };
}

/** Checks everything before anything is written; throws PackagingMethodError. */
async function checkInput(name: string, m: PackagingMethodInput): Promise<void> {
  const problem = methodNameProblem(name);
  if (problem) throw new PackagingMethodError(problem);
  if (m.language !== undefined && !isPackageLanguage(m.language))
    throw new PackagingMethodError(`language "${m.language}" must be one of ${PACKAGE_LANGUAGES.join(', ')}`);
  if (m.description !== undefined && (m.description.length > MAX_DESCRIPTION || /\p{Cc}/u.test(m.description)))
    throw new PackagingMethodError(`the description must be one line of at most ${MAX_DESCRIPTION} characters`);
  if (m.template === undefined) return;
  if (m.template.byteLength > MAX_TEMPLATE_BYTES) throw new PackagingMethodError(`the template is larger than ${MAX_TEMPLATE_BYTES} bytes`);
  try {
    await checkTemplate(m.template);
  } catch (e) {
    throw new PackagingMethodError(e instanceof Error ? e.message : String(e));
  }
}

export class PackagingMethodRepository implements PackagingMethodSource {
  private readonly db: SqlDatabase;
  constructor(ds: DataSource) {
    this.db = sqlDatabase(ds);
  }

  /** Creates or replaces the service's method `name` (the template is checked as composePackage uses it). */
  async set(serviceId: number, name: string, m: PackagingMethodInput, now: string): Promise<PackagingMethodInfo> {
    await checkInput(name, m);
    const t = m.template;
    await this.db.tx(async (q) => {
      await q.run('DELETE FROM packaging_method WHERE service_id = ? AND name = ?', [serviceId, name]);
      await q.run(
        `INSERT INTO packaging_method (service_id, name, language, mask_national_id, pdfa, description, template, template_sha256,
          template_size, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
        [
          serviceId,
          name,
          m.language ?? PADES_METHOD.language,
          m.maskNationalId ?? PADES_METHOD.maskNationalId,
          m.pdfa ?? PADES_METHOD.pdfa,
          m.description || null,
          t ? Buffer.from(t).toString('base64') : null,
          t ? createHash('sha256').update(t).digest('hex') : null,
          t ? t.byteLength : null,
          now,
        ],
      );
    });
    return (await this.get(serviceId, name))!;
  }

  /** The method as stored (`pades`: the built-in one); undefined when the service has none of that name. */
  async get(serviceId: number, name: string): Promise<PackagingMethodInfo | undefined> {
    if (name === BUILT_IN_METHOD) return BUILT_IN_INFO;
    const [row] = await this.db.tx((q) =>
      q.all<Row>(`SELECT ${INFO_COLUMNS} FROM packaging_method WHERE service_id = ? AND name = ?`, [serviceId, name]),
    );
    return row ? toInfo(row) : undefined;
  }

  /** The template's bytes, or undefined when the method has none. */
  async template(serviceId: number, name: string): Promise<Uint8Array | undefined> {
    const [row] = await this.db.tx((q) =>
      q.all<{ template: string | null }>('SELECT template FROM packaging_method WHERE service_id = ? AND name = ?', [serviceId, name]),
    );
    return row?.template ? new Uint8Array(Buffer.from(row.template, 'base64')) : undefined;
  }

  /** `pades` first, then the service's own methods by name. */
  async list(serviceId: number): Promise<PackagingMethodInfo[]> {
    const rows = await this.db.tx((q) =>
      q.all<Row>(`SELECT ${INFO_COLUMNS} FROM packaging_method WHERE service_id = ? ORDER BY name`, [serviceId]),
    );
    return [BUILT_IN_INFO, ...rows.map(toInfo)];
  }

  /** Removes the method; false when the service had none of that name. `pades` cannot be removed. */
  async remove(serviceId: number, name: string): Promise<boolean> {
    const problem = methodNameProblem(name);
    if (problem) throw new PackagingMethodError(problem);
    return this.db.tx(async (q) => {
      const found = await q.all('SELECT name FROM packaging_method WHERE service_id = ? AND name = ?', [serviceId, name]);
      if (found.length) await q.run('DELETE FROM packaging_method WHERE service_id = ? AND name = ?', [serviceId, name]);
      return found.length > 0;
    });
  }

  async resolvePackagingMethod(serviceId: number, name: string): Promise<ResolvedPackagingMethod | undefined> {
    if (name === BUILT_IN_METHOD) return { ...PADES_METHOD };
    if (methodNameProblem(name)) return undefined;
    const [row] = await this.db.tx((q) =>
      q.all<Row & { template: string | null }>(`SELECT ${INFO_COLUMNS}, template FROM packaging_method WHERE service_id = ? AND name = ?`, [
        serviceId,
        name,
      ]),
    );
    if (!row) return undefined;
    const info = toInfo(row);
    return {
      name: info.name,
      language: info.language,
      maskNationalId: info.maskNationalId,
      pdfa: info.pdfa,
      ...(row.template ? { template: new Uint8Array(Buffer.from(row.template, 'base64')) } : {}),
    };
  }
}

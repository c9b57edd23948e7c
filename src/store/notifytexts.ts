// The notification texts of each service (core/notifytexts.ts has the rules): set (create or replace),
// list, get, remove; the names createRequest checks references against; what the delivery worker reads
// at send time (the template and the task's and request's languages).
import type { DataSource } from 'typeorm';
import {
  checkTemplate,
  NotifyTextError,
  TEXT_NAME,
  type NotifyTemplate,
  type TemplateNames,
  type TextChannel,
  type TextLanguage,
} from '../core/notifytexts';
import { optionalString as str, sqlDatabase, type SqlDatabase } from './sql';

type Row = Record<string, unknown>;
const COLUMNS = 'name, channel, default_language, description, texts, updated_at';

function toTemplate(r: Row): NotifyTemplate {
  return {
    name: r.name as string,
    channel: r.channel as TextChannel,
    defaultLanguage: r.default_language as TextLanguage,
    texts: JSON.parse(r.texts as string) as NotifyTemplate['texts'],
    ...(str(r.description) ? { description: str(r.description) } : {}),
    updatedAt: r.updated_at as string,
  };
}

/** What the delivery worker needs (notify/texts.ts). */
export interface NotifyTextSource {
  template(serviceId: number, name: string): Promise<NotifyTemplate | undefined>;
  /** the task's language (as stored: its own, else the request's) and the request's own */
  languages(requestId: string, taskId: string | undefined): Promise<{ task?: string; request?: string }>;
}

export class NotifyTextRepository implements NotifyTextSource {
  private readonly db: SqlDatabase;
  constructor(ds: DataSource) {
    this.db = sqlDatabase(ds);
  }

  /** Creates or replaces the template `t.name` after checking it (NotifyTextError names the rule; nothing is stored then). */
  async set(serviceId: number, t: NotifyTemplate, now: string): Promise<NotifyTemplate> {
    checkTemplate(t);
    await this.db.tx(async (q) => {
      await q.run('DELETE FROM notify_text WHERE service_id = ? AND name = ?', [serviceId, t.name]);
      await q.run(
        `INSERT INTO notify_text (service_id, name, channel, default_language, description, texts, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?)`,
        [serviceId, t.name, t.channel, t.defaultLanguage, t.description || null, JSON.stringify(t.texts), now],
      );
    });
    return (await this.template(serviceId, t.name))!;
  }

  async template(serviceId: number, name: string): Promise<NotifyTemplate | undefined> {
    if (!TEXT_NAME.test(name)) return undefined;
    const [row] = await this.db.tx((q) =>
      q.all<Row>(`SELECT ${COLUMNS} FROM notify_text WHERE service_id = ? AND name = ?`, [serviceId, name]),
    );
    return row ? toTemplate(row) : undefined;
  }

  async list(serviceId: number): Promise<NotifyTemplate[]> {
    const rows = await this.db.tx((q) => q.all<Row>(`SELECT ${COLUMNS} FROM notify_text WHERE service_id = ? ORDER BY name`, [serviceId]));
    return rows.map(toTemplate);
  }

  async names(serviceId: number): Promise<TemplateNames> {
    const rows = await this.db.tx((q) => q.all<Row>('SELECT name, channel FROM notify_text WHERE service_id = ?', [serviceId]));
    return new Map(rows.map((r) => [r.name as string, r.channel as TextChannel]));
  }

  /** Removes the template; false when the service had none of that name. */
  async remove(serviceId: number, name: string): Promise<boolean> {
    if (!TEXT_NAME.test(name)) throw new NotifyTextError(`name "${name.slice(0, 80)}" is not a notification text name`);
    return this.db.tx(async (q) => {
      const found = await q.all('SELECT name FROM notify_text WHERE service_id = ? AND name = ?', [serviceId, name]);
      if (found.length) await q.run('DELETE FROM notify_text WHERE service_id = ? AND name = ?', [serviceId, name]);
      return found.length > 0;
    });
  }

  async languages(requestId: string, taskId: string | undefined): Promise<{ task?: string; request?: string }> {
    return this.db.tx(async (q) => {
      const [t] = taskId
        ? await q.all<Row>('SELECT language FROM task WHERE request_id = ? AND task_id = ?', [requestId, taskId])
        : [undefined];
      const [r] = await q.all<Row>('SELECT body FROM request WHERE id = ?', [requestId]);
      const body = r ? (JSON.parse(r.body as string) as { language?: unknown }) : {};
      return { task: str(t?.language), request: typeof body.language === 'string' ? body.language : undefined };
    });
  }
}

/** The names of a service's notification texts, which createRequest checks `template:NAME` against. */
export function notifyTextNames(db: DataSource): (svc: { id: number }) => Promise<TemplateNames> {
  const texts = new NotifyTextRepository(db);
  return (svc) => texts.names(svc.id);
}

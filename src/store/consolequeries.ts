// The back-office console's reads (src/console): a service's requests as a list, its task counts by
// state, a request's whole history and its packages. Every query is scoped by the service id, so a
// console session can never read another tenant's rows (issue 15, tenant isolation).
import type { DataSource } from 'typeorm';
import { TASK_STATUSES, type TaskStatus } from '../core/enums';
import { sqlDatabase, type Param, type SqlDatabase, optionalString } from './sql';

export interface ConsoleRequestRow {
  id: string;
  createdAt: string;
  clientReference?: string;
  deleted: boolean;
  /** its tasks' states, in task order */
  tasks: Array<{ taskId: string; status: TaskStatus }>;
}

export interface ConsoleListFilter {
  status?: TaskStatus;
  /** a client reference, matched exactly */
  clientReference?: string;
  offset: number;
  limit: number;
}

export interface ConsoleEvent {
  taskId?: string;
  event: string;
  eventTime: string;
  data?: string;
}

export interface ConsolePackage {
  packagingTaskId: string;
  status: string;
  blobKey?: string;
  sha256?: string;
}

type Row = Record<string, unknown>;
const str = optionalString;

export class ConsoleQueries {
  private readonly db: SqlDatabase;
  constructor(ds: DataSource) {
    this.db = sqlDatabase(ds);
  }

  /** The service's requests, newest first, with the total that match (for paging). */
  async requests(serviceId: number, f: ConsoleListFilter): Promise<{ rows: ConsoleRequestRow[]; total: number }> {
    // each criterion with its value; the ones not asked for drop out
    const asked: Array<[string, Param]> = [
      ['r.service_id = ?', serviceId],
      ['r.client_reference = ?', f.clientReference],
      ['EXISTS (SELECT 1 FROM task t WHERE t.request_id = r.id AND t.status = ?)', f.status],
    ];
    const criteria = asked.filter(([, v]) => v !== undefined && v !== '');
    const cond = criteria.map(([sql]) => sql).join(' AND ');
    const params = criteria.map(([, v]) => v);
    const limit = Math.min(Math.max(1, Math.floor(f.limit)), 200);
    const offset = Math.max(0, Math.floor(f.offset));
    return this.db.tx(async (q) => {
      const [count] = await q.all<Row>(`SELECT COUNT(*) AS n FROM request r WHERE ${cond}`, params);
      const found = await q.all<Row>(
        `SELECT r.id, r.created_at, r.client_reference, r.deleted FROM request r WHERE ${cond}
         ORDER BY r.created_at DESC, r.id DESC LIMIT ${limit} OFFSET ${offset}`,
        params,
      );
      const ids = found.map((r) => String(r.id));
      const tasks = ids.length
        ? await q.all<Row>(
            `SELECT request_id, task_id, status FROM task WHERE service_id = ? AND request_id IN (${ids.map(() => '?').join(', ')})
             ORDER BY ordinal`,
            [serviceId, ...ids],
          )
        : [];
      const rows = found.map((r) => ({
        id: String(r.id),
        createdAt: String(r.created_at),
        clientReference: str(r.client_reference),
        deleted: r.deleted === true || Number(r.deleted) === 1,
        tasks: tasks.filter((t) => t.request_id === r.id).map((t) => ({ taskId: String(t.task_id), status: t.status as TaskStatus })),
      }));
      return { rows, total: Number(count?.n ?? 0) };
    });
  }

  /** How many of the service's tasks are in each state. */
  async taskCounts(serviceId: number): Promise<Record<TaskStatus, number>> {
    const rows = await this.db.tx((q) =>
      q.all<Row>('SELECT status, COUNT(*) AS n FROM task WHERE service_id = ? GROUP BY status', [serviceId]),
    );
    const out = Object.fromEntries(TASK_STATUSES.map((s) => [s, 0])) as Record<TaskStatus, number>;
    for (const r of rows) if ((r.status as TaskStatus) in out) out[r.status as TaskStatus] = Number(r.n);
    return out;
  }

  /** Every event of the request (request level and all tasks), oldest first; empty when it is not this service's. */
  async history(serviceId: number, requestId: string): Promise<ConsoleEvent[]> {
    const rows = await this.db.tx((q) =>
      q.all<Row>(
        `SELECT e.task_id, e.type, e.time, e.data FROM event e JOIN request r ON r.id = e.request_id
         WHERE r.service_id = ? AND e.request_id = ? ORDER BY e.id`,
        [serviceId, requestId],
      ),
    );
    return rows.map((e) => ({ taskId: str(e.task_id), event: String(e.type), eventTime: String(e.time), data: str(e.data) }));
  }

  /** The request's packaging tasks with the package each made (none when it is not this service's). */
  async packages(serviceId: number, requestId: string): Promise<ConsolePackage[]> {
    const rows = await this.db.tx((q) =>
      q.all<Row>(
        `SELECT packaging_task_id, status, result_blob_key, result_sha256 FROM packaging_task
         WHERE service_id = ? AND request_id = ? ORDER BY created_at, packaging_task_id`,
        [serviceId, requestId],
      ),
    );
    return rows.map((p) => ({
      packagingTaskId: String(p.packaging_task_id),
      status: String(p.status),
      blobKey: str(p.result_blob_key),
      sha256: str(p.result_sha256),
    }));
  }
}

// The data half of migration AtRest1765100000000: values earlier versions stored in clear are
// sealed (store/atrest.ts). It needs the key, which derives from SEGL_SECRET, so it runs at start
// (startRuntime) after the schema migrations rather than inside them. Each row is updated only if
// it still holds what was read (instances starting together do not seal twice), in batches of
// 500, each in its own transaction; `data_migration` records completion so later starts skip it.
import type { DataSource } from 'typeorm';
import type { RequestBody } from '../../core/ports';
import type { Task } from '../../core/types';
import { AtRest } from '../atrest';
import { sqlDatabase, type SqlDatabase } from '../sql';

export const ENCRYPT_AT_REST = 'encrypt-at-rest-v1';
const BATCH = 500;

/** Seals what is still in clear; returns how many rows changed (0 once done). */
export async function encryptLegacyRows(ds: DataSource, k: AtRest, now = new Date()): Promise<number> {
  const db = sqlDatabase(ds);
  const [done] = await db.tx((q) => q.all('SELECT name FROM data_migration WHERE name = ?', [ENCRYPT_AT_REST]));
  if (done) return 0;
  let changed = 0;
  changed += await sealWebhookSecrets(db, k);
  changed += await sealTaskRows(db, k);
  changed += await sealRequestBodies(db, k);
  await db.tx(async (q) => {
    if (!(await q.all('SELECT name FROM data_migration WHERE name = ?', [ENCRYPT_AT_REST])).length) {
      await q.run('INSERT INTO data_migration (name, done_at) VALUES (?, ?)', [ENCRYPT_AT_REST, now.toISOString()]);
    }
  });
  return changed;
}

/** Webhook secrets: `whsec_…` in clear. */
async function sealWebhookSecrets(db: SqlDatabase, k: AtRest): Promise<number> {
  let changed = 0;
  const services = await db.tx((q) =>
    q.all<{ name: string; webhook_secret: string }>("SELECT name, webhook_secret FROM service WHERE webhook_secret LIKE 'whsec%'"),
  );
  for (const s of services) {
    await db.tx((q) =>
      q.run('UPDATE service SET webhook_secret = ? WHERE name = ? AND webhook_secret = ?', [
        k.sealWebhookSecret(s.name, s.webhook_secret),
        s.name,
        s.webhook_secret,
      ]),
    );
    changed++;
  }
  return changed;
}

/** Task rows: the national-id column (and its MAC), and a task's own subject in its body. */
async function sealTaskRows(db: SqlDatabase, k: AtRest): Promise<number> {
  let changed = 0;
  for (let after = { r: '', t: '' }; ;) {
    const rows = await db.tx((q) =>
      q.all<{ request_id: string; task_id: string; subject_national_id: string | null; body: string }>(
        `SELECT request_id, task_id, subject_national_id, body FROM task
        WHERE (request_id > ? OR (request_id = ? AND task_id > ?)) AND (subject_national_id IS NOT NULL OR body LIKE '%"nationalId"%')
        ORDER BY request_id, task_id LIMIT ${BATCH}`,
        [after.r, after.r, after.t],
      ),
    );
    if (!rows.length) break;
    await db.tx(async (q) => {
      for (const r of rows) {
        const nid = r.subject_national_id;
        const task = JSON.parse(r.body) as Task;
        const sealNid = nid !== null && !AtRest.isSealed(nid);
        const sealBody = task.subject?.nationalId !== undefined && !AtRest.isSealed(task.subject.nationalId);
        if (!sealNid && !sealBody) continue;
        await q.run(
          'UPDATE task SET subject_national_id = ?, subject_national_id_mac = ?, body = ? WHERE request_id = ? AND task_id = ? AND body = ?',
          [
            sealNid ? k.sealNationalId(`${r.request_id}/${r.task_id}`, nid) : nid,
            nid === null ? null : k.nationalIdMac(sealNid ? nid : k.openNationalId(`${r.request_id}/${r.task_id}`, nid)),
            sealBody ? JSON.stringify(k.sealTaskBody(r.request_id, task)) : r.body,
            r.request_id,
            r.task_id,
            r.body,
          ],
        );
        changed++;
      }
    });
    const last = rows[rows.length - 1]!;
    after = { r: last.request_id, t: last.task_id };
  }
  return changed;
}

/** Request bodies: the subjects' national ids. */
async function sealRequestBodies(db: SqlDatabase, k: AtRest): Promise<number> {
  let changed = 0;
  for (let after = ''; ;) {
    const rows = await db.tx((q) =>
      q.all<{ id: string; body: string }>(
        `SELECT id, body FROM request WHERE id > ? AND body LIKE '%"nationalId"%' ORDER BY id LIMIT ${BATCH}`,
        [after],
      ),
    );
    if (!rows.length) break;
    await db.tx(async (q) => {
      for (const r of rows) {
        const body = JSON.parse(r.body) as RequestBody;
        if (!body.subject?.some((s) => s.nationalId !== undefined && !AtRest.isSealed(s.nationalId))) continue;
        // sealRequestBody seals every subject; one already sealed (a row half-done by hand) is opened first
        const plain = k.openRequestBody(r.id, body);
        await q.run('UPDATE request SET body = ? WHERE id = ? AND body = ?', [
          JSON.stringify(k.sealRequestBody(r.id, plain)),
          r.id,
          r.body,
        ]);
        changed++;
      }
    });
    after = rows[rows.length - 1]!.id;
  }
  return changed;
}

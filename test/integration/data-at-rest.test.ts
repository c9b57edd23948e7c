// Issue 10 item 8: data at rest. DATA_DIR and everything segl writes under it are for segl's own
// user only (directories 0700, files 0600: the SQLite file holds subject national ids and service
// settings, blobs hold signed results with CPR numbers), also for a DATA_DIR an older version left
// world-readable. Webhook secrets and subjects' national ids are stored encrypted (AES-256-GCM under
// keys derived from SEGL_SECRET): the raw rows do not show them, while getStatus, findTasks by
// national id and signed callbacks work as before; rows written in clear by older versions are
// encrypted at the next start.
import { signTask } from '../support/sign';
import { chmodSync, mkdirSync, mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { verifyWebhook } from '../../src/notify/signature';
import { startRuntime } from '../../src/runtime';
import { ENCRYPT_AT_REST } from '../../src/store/migrations/encrypt';
import { generateKeys } from '../../src/trust/crypto';
import { makePdf } from '../support/pdf';
import { startReceiver, type Receiver } from '../support/receiver';
import { databases, startServer, type TestServer } from '../support/server';
import { envelope, NS, post } from '../support/soap';

const FAST = { SEGL_CALLBACK_RETRY_SCHEDULE: '200ms,200ms', SEGL_RELAY_INTERVAL: '100ms', SEGL_RELAY_LEASE: '1s', SEGL_JOB_LOCK: '2s' };
const CPR = '0101801234';

/** Every directory and file below `root` (and root) whose mode lets group or others in. */
function looseEntries(root: string): string[] {
  const out: string[] = [];
  const walk = (p: string) => {
    const st = statSync(p);
    if (st.mode & 0o077) out.push(`${path.relative(root, p) || '.'} ${(st.mode & 0o777).toString(8)}`);
    if (st.isDirectory()) for (const n of readdirSync(p)) walk(path.join(p, n));
  };
  walk(root);
  return out;
}

function countFiles(root: string): number {
  let n = 0;
  const walk = (p: string) => {
    if (statSync(p).isDirectory()) for (const x of readdirSync(p)) walk(path.join(p, x));
    else n++;
  };
  walk(root);
  return n;
}

const eventually = async <T>(f: () => Promise<T | null | undefined>, ms: number, what: string): Promise<T> => {
  const until = Date.now() + ms;
  for (;;) {
    const v = await f();
    if (v) return v;
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
};

describe('file modes under DATA_DIR (SQLite, private Redis files, blobs, PKI, outbox)', () => {
  let s: TestServer;
  let prevUmask: number;
  beforeAll(async () => {
    // the umask a default Linux login has: without segl's own care, files come out 0644
    prevUmask = process.umask(0o022);
    s = await startServer('sqlite', { ...FAST }, { worker: true });
  }, 60_000);
  afterAll(async () => {
    await s?.stop();
    process.umask(prevUmask);
  });

  test('after upload, createRequest, signing and an e-mail to the outbox nothing is group- or world-readable', async () => {
    const auth = `Basic ${Buffer.from(`demo:${s.demoPassword}`).toString('base64')}`;
    const pdf = makePdf({ text: 'Loan agreement 8' });
    const up = await fetch(`${s.url}/doc/demo/sds`, {
      method: 'POST',
      headers: { authorization: auth, 'content-type': 'application/pdf' },
      body: pdf,
    });
    expect(up.status).toBe(201);
    const sdsId = await up.text();
    const r = await post(
      s.endpoint,
      envelope(
        `<create-request-request xmlns="${NS}"><service>demo</service><password>${s.demoPassword}</password><request>` +
          `<subject id="s"><national-id>${CPR}</national-id><first-name>Ann</first-name><last-name>Berg</last-name></subject>` +
          `<document xsi:type="sds-document" id="loan" ref-sds-id="${sdsId.trim()}"><description>loan</description></document>` +
          `<document xsi:type="provided-document" id="terms" mime-type="text/plain"><description>terms</description><data>${Buffer.from('Terms').toString('base64')}</data></document>` +
          '<task id="t1"><subject-ref>s</subject-ref><document-action type="sign"><document-ref>loan</document-ref></document-action>' +
          '<document-action type="sign"><document-ref>terms</document-ref></document-action>' +
          '<notification type="EMAIL" notification-id="m"><recipient>ann@example.com</recipient><message>please sign</message></notification></task>' +
          '</request></create-request-request>',
      ),
    );
    const requestId = /<request-id>([^<]+)</.exec(r.text)?.[1];
    expect(requestId).toBeDefined();
    const svc = (await s.rt.services.find('demo'))!;
    const keys = await generateKeys();
    const certificate = await (
      await s.rt.ca()
    ).issuePerson({ commonName: 'Ann Berg', pid: '9208-2002-2-123456789012', publicKey: keys.publicKey });
    const out = await signTask(
      s.rt,
      svc,
      requestId!,
      { certificate, keys },
      {
        documentIds: ['loan', 'terms'],
        act: { signText: 'I agree', userAgent: 'test', clientIp: '127.0.0.1', externalContext: 'x' },
      },
    );
    expect(out.ok).toBe(true);
    await eventually(
      async () => readdirSync(path.join(s.dataDir, 'outbox', 'mail'), { withFileTypes: true }).some((e) => e.isFile()) || null,
      10_000,
      'the e-mail in the outbox',
    );
    // what the flow wrote: the database (+ WAL), the secret, blobs (SDS upload, documents, results), the PKI
    expect(countFiles(s.dataDir)).toBeGreaterThan(10);
    for (const sub of ['blobs', 'pki', 'outbox']) expect(readdirSync(path.join(s.dataDir, sub)).length).toBeGreaterThan(0);
    expect(looseEntries(s.dataDir)).toEqual([]);
  });
});

describe('a DATA_DIR left readable by an older version is closed at start', () => {
  test('directories become 0700 and files 0600', async () => {
    const prev = process.umask(0o022);
    const dataDir = mkdtempSync(path.join(os.tmpdir(), 'segl-modes-'));
    try {
      chmodSync(dataDir, 0o755);
      mkdirSync(path.join(dataDir, 'blobs', 'ab'), { recursive: true, mode: 0o755 });
      writeFileSync(path.join(dataDir, 'blobs', 'ab', 'old-result'), 'CPR 0101801234', { mode: 0o644 });
      writeFileSync(path.join(dataDir, 'notes.txt'), 'x', { mode: 0o666 });
      expect(looseEntries(dataDir).length).toBe(5);
      const s = await startServer('sqlite', { DATA_DIR: dataDir });
      try {
        expect(looseEntries(dataDir)).toEqual([]);
        expect(statSync(dataDir).mode & 0o777).toBe(0o700);
        expect(statSync(path.join(dataDir, 'blobs', 'ab', 'old-result')).mode & 0o777).toBe(0o600);
      } finally {
        await s.rt.close();
      }
    } finally {
      process.umask(prev);
      rmSync(dataDir, { recursive: true, force: true });
    }
  }, 60_000);
});

describe.each(databases())('webhook secrets and national ids encrypted at rest on %s', (db) => {
  let s: TestServer;
  let rx: Receiver;
  let requestId: string;
  const CPR2 = '0202802345'; // a task's own subject
  const plainSecret = 'whsec_' + Buffer.alloc(24, 9).toString('base64'); // as an earlier version stored it
  const raw = async (sql: string) => JSON.stringify(await s.rt.db.query(sql));
  const find = async (
    criteria: Array<{
      operator: 'equals' | 'contains' | 'not-equals' | 'less-than' | 'greater-than';
      value: string;
      caseSensitive?: boolean;
    }>,
    sortField?: string,
    ascending?: boolean,
  ) => {
    const svc = (await s.rt.services.find('demo'))!;
    const filter = { criteria: criteria.map((c) => ({ field: 'subject-national-id' as const, ...c })) };
    const tasks = await s.rt.documents.requests.findTasks(svc, filter, 0, 100, sortField, ascending);
    return {
      tasks: tasks.map((t) => `${t.taskId}:${t.subjectNationalId ?? '-'}`),
      count: await s.rt.documents.requests.getTaskCount(svc, filter),
    };
  };

  beforeAll(async () => {
    rx = await startReceiver();
    s = await startServer(db, { ...FAST, SEGL_CALLBACK_ALLOW: '127.0.0.1' }, { worker: true });
    const r = await post(
      s.endpoint,
      envelope(
        `<create-request-request xmlns="${NS}"><service>demo</service><password>${s.demoPassword}</password><request>` +
          `<subject id="s"><national-id>${CPR}</national-id><first-name>Ann</first-name></subject>` +
          `<document xsi:type="provided-document" id="d" mime-type="text/plain"><description>d</description><data>${Buffer.from('x').toString('base64')}</data></document>` +
          '<task id="a"><subject-ref>s</subject-ref><document-action type="sign"><document-ref>d</document-ref></document-action>' +
          `<notification type="URL" notification-id="cb"><recipient>${rx.base}/hook</recipient><message>created</message></notification></task>` +
          `<task id="b"><subject><national-id>${CPR2}</national-id><first-name>Bo</first-name></subject><document-action type="sign"><document-ref>d</document-ref></document-action></task>` +
          '<task id="c"><document-action type="view"><document-ref>d</document-ref></document-action></task>' +
          '</request></create-request-request>',
      ),
    );
    requestId = /<request-id>([^<]+)</.exec(r.text)![1]!;
  }, 60_000);
  afterAll(async () => {
    await s?.stop();
    await rx?.close();
  });

  test('the raw rows show neither the national ids nor the webhook secret', async () => {
    const { webhookSecret } = await s.rt.services.settings('demo');
    expect(webhookSecret).toMatch(/^whsec_[A-Za-z0-9+/]{32}$/);
    const rows = (await raw('SELECT * FROM task')) + (await raw('SELECT * FROM request')) + (await raw('SELECT * FROM service'));
    expect(rows).toContain(requestId); // the rows are there
    for (const secret of [CPR, CPR2, webhookSecret, webhookSecret.slice(6)]) expect(rows).not.toContain(secret);
    expect(rows).not.toContain('"nationalId":"0');
  });

  test('the callback is signed with the secret `segl service show` prints', async () => {
    const [call] = await rx.waitDelivered(1);
    const { webhookSecret } = await s.rt.services.settings('demo');
    const headers = {
      id: call!.headers['webhook-id'] as string,
      timestamp: call!.headers['webhook-timestamp'] as string,
      signature: call!.headers['webhook-signature'] as string,
    };
    expect(verifyWebhook(webhookSecret, headers, `${rx.base}${call!.url.pathname}${call!.url.search}`)).toBe(true);
  });

  test('getStatus, the portal view and findTasks by national id work as before', async () => {
    const svc = (await s.rt.services.find('demo'))!;
    expect((await s.rt.documents.requests.getStatus(svc, [requestId])).map((t) => t.taskId)).toEqual(['a', 'b', 'c']);
    expect((await s.rt.documents.signer.portalTask(svc, requestId, 'a')).nationalId).toBe(CPR);
    expect((await s.rt.documents.signer.portalTask(svc, requestId, 'b')).nationalId).toBe(CPR2);
    expect(await find([{ operator: 'equals', value: CPR }])).toEqual({ tasks: [`a:${CPR}`], count: 1 });
    expect(await find([{ operator: 'equals', value: CPR2, caseSensitive: false }])).toEqual({ tasks: [`b:${CPR2}`], count: 1 });
    expect(await find([{ operator: 'contains', value: '0280' }])).toEqual({ tasks: [`b:${CPR2}`], count: 1 });
    expect(await find([{ operator: 'not-equals', value: CPR }])).toEqual({ tasks: [`b:${CPR2}`, 'c:-'], count: 2 });
    expect(await find([{ operator: 'greater-than', value: '0150' }])).toEqual({ tasks: [`b:${CPR2}`], count: 1 });
    expect(await find([{ operator: 'less-than', value: '0150' }])).toEqual({ tasks: [`a:${CPR}`], count: 1 });
    expect((await find([], 'subject-national-id', true)).tasks).toEqual(['c:-', `a:${CPR}`, `b:${CPR2}`]);
    expect((await find([], 'subject-national-id', false)).tasks).toEqual([`b:${CPR2}`, `a:${CPR}`, 'c:-']);
  });

  test('rows an earlier version wrote in clear are encrypted at the next start and still read', async () => {
    const q = (sql: string, p: unknown[]) =>
      s.rt.db.query(
        db === 'postgres'
          ? sql.replace(
              /\?/g,
              (() => {
                let i = 0;
                return () => `$${++i}`;
              })(),
            )
          : sql,
        p,
      );
    // what an older segl stored: everything in clear, no MAC column values, no record of the data migration
    await q('UPDATE service SET webhook_secret = ? WHERE name = ?', [plainSecret, 'demo']);
    await q('UPDATE task SET subject_national_id = ?, subject_national_id_mac = NULL WHERE request_id = ? AND task_id = ?', [
      CPR,
      requestId,
      'a',
    ]);
    const [b] = await s.rt.db.query(
      db === 'postgres'
        ? 'SELECT body FROM task WHERE request_id = $1 AND task_id = $2'
        : 'SELECT body FROM task WHERE request_id = ? AND task_id = ?',
      [requestId, 'b'],
    );
    const oldTask = { ...JSON.parse(b.body), subject: { nationalId: CPR2, firstName: 'Bo' } };
    await q('UPDATE task SET body = ?, subject_national_id = ?, subject_national_id_mac = NULL WHERE request_id = ? AND task_id = ?', [
      JSON.stringify(oldTask),
      CPR2,
      requestId,
      'b',
    ]);
    const [r] = await s.rt.db.query(
      db === 'postgres' ? 'SELECT body FROM request WHERE id = $1' : 'SELECT body FROM request WHERE id = ?',
      [requestId],
    );
    await q('UPDATE request SET body = ? WHERE id = ?', [
      JSON.stringify({ ...JSON.parse(r.body), subject: [{ id: 's', nationalId: CPR, firstName: 'Ann' }] }),
      requestId,
    ]);
    await q('DELETE FROM data_migration WHERE name = ?', [ENCRYPT_AT_REST]);
    expect((await raw('SELECT * FROM task')) + (await raw('SELECT * FROM service'))).toContain(CPR2); // in clear now
    expect(await raw('SELECT * FROM service')).toContain(plainSecret);

    // a new instance (the upgraded version) starting on the same database and Redis
    const next = await startRuntime(
      {
        ...s.rt.config,
        redisUrl: s.rt.redisHandle.url,
        notify: { ...s.rt.config.notify, queuePrefix: `${s.rt.config.notify.queuePrefix}-2` },
      },
      { http: false, worker: false },
    );
    try {
      await check(next);
    } finally {
      await next.close();
    }
  }, 60_000);

  async function check(rt: TestServer['rt']): Promise<void> {
    const rows = (await raw('SELECT * FROM task')) + (await raw('SELECT * FROM request')) + (await raw('SELECT * FROM service'));
    for (const secret of [CPR, CPR2, plainSecret, plainSecret.slice(6)]) expect(rows).not.toContain(secret);
    expect(await raw('SELECT * FROM data_migration')).toContain(ENCRYPT_AT_REST);
    expect((await rt.services.settings('demo')).webhookSecret).toBe(plainSecret); // the receivers' secret did not change
    const svc = (await rt.services.find('demo'))!;
    expect((await rt.documents.signer.portalTask(svc, requestId, 'a')).nationalId).toBe(CPR);
    expect((await rt.documents.signer.portalTask(svc, requestId, 'b')).nationalId).toBe(CPR2);
    expect(await find([{ operator: 'equals', value: CPR }])).toEqual({ tasks: [`a:${CPR}`], count: 1 });
    expect(await find([{ operator: 'equals', value: CPR2 }])).toEqual({ tasks: [`b:${CPR2}`], count: 1 });
  }
});

// Packaging tasks end to end with real parts: SOAP createRequest with a packaging-task → both named
// tasks signed by the real pipeline (sealed LTV-SDOs) → the packaging_task row made due in the same
// transaction → relay → BullMQ segl-packaging on Redis → worker → core's PackagingRuns → the
// PAdES in SDS (or the archive) → getPackagingTaskStatus through node-soap clients generated from
// Signicat's reference WSDL (payload checked by xmllint against its schema), the download, the
// packaging notification at a real HTTP receiver, and a later view task showing the package.
//
// The PAdES builder is not part of this work: the maker here is TEST-LOCAL (TEST_PACKAGE_MAKER), a
// recording stand-in that answers a small real PDF (test/support/pdf.ts) or fails as its method
// says: `pades` makes one, `flaky` throws twice first, `refuse` refuses.
import { createHash } from 'node:crypto';
import * as soap from 'soap';
import type { PackageMaker } from '../../src/core/packagemaker';
import { PackagingRetry, PackagingRuns } from '../../src/core/packagingrun';
import { runPackagingJob } from '../../src/queue/jobs/packaging';
import { PACKAGING_ATTEMPTS } from '../../src/queue/queues';
import type { DocumentStore, DocumentTx } from '../../src/core/ports';
import { AtRest } from '../../src/store/atrest';
import { SqlDocumentStore } from '../../src/store/documents';
import { packageId } from '../../src/core/packagingtasks';
import type { ServiceAccount } from '../../src/core/ports';
import { toPg } from '../../src/store/sql';
import { generateKeys } from '../../src/trust/crypto';
import type { SigningIdentity } from '../../src/trust/sources';
import { makePdf } from '../support/pdf';
import { eventually, startReceiver, type Receiver } from '../support/receiver';
import { databases, startServer, type TestServer } from '../support/server';
import { signTask } from '../support/sign';
import { bodyPayload, envelope, NS, post, REFERENCE_WSDL, xmllintErrors } from '../support/soap';

type MakeInput = Parameters<PackageMaker['make']>[0];

const FAST = { SEGL_CALLBACK_RETRY_SCHEDULE: '200ms,200ms', SEGL_RELAY_INTERVAL: '100ms', SEGL_RELAY_LEASE: '1s', SEGL_JOB_LOCK: '5s' };

/** TEST-LOCAL PackageMaker (never product code): records every call, answers by the packaging task's method. */
function testPackageMaker() {
  const calls: MakeInput[] = [];
  const made = new Map<string, Buffer>();
  const maker: PackageMaker = {
    async make(input) {
      calls.push(input);
      const n = calls.filter((c) => c.packageId === input.packageId).length;
      if (input.method === 'flaky' && n <= 2) throw new Error(`test maker: failure ${n} of 2`);
      if (input.method === 'refuse') return { ok: false, code: 'sdo-invalid', message: 'test maker refuses: an SDO does not verify' };
      const pdf = makePdf({ text: `package ${input.packageId}` });
      made.set(input.packageId, pdf);
      return { ok: true, pdf };
    },
  };
  return { maker, calls, made };
}

const esc = (t: string) => t.replace(/&/g, '&amp;').replace(/</g, '&lt;');
const provided = (id: string, text: string) =>
  `<document xsi:type="provided-document" id="${id}" mime-type="text/plain"><data>${Buffer.from(text).toString('base64')}</data><description>${id}</description></document>`;
const signs = (task: string, doc: string, more = '') =>
  `<task id="${task}"><document-action type="sign"${more}><document-ref>${doc}</document-ref></document-action></task>`;
const urlNotification = (id: string, recipient: string, stateIs?: string) =>
  `<packaging-notification type="URL" notification-id="${id}"><recipient>${esc(recipient)}</recipient><message>packaged</message>` +
  (stateIs ? `<schedule><state-is>${stateIs}</state-is></schedule>` : '') +
  '</packaging-notification>';

interface RequestSpec {
  method?: string;
  toArchive?: boolean;
  notifications?: string;
  /** task t3 views the package (request-level packaging-result-document pr1) */
  viewTask?: boolean;
  /** document-action/@send-result-to-archive on t1's action */
  resultToArchive?: boolean;
}

describe.each(databases())('packaging tasks on %s', (db) => {
  let s: TestServer;
  let rx: Receiver;
  let svc: ServiceAccount;
  let signer: SigningIdentity;
  const t = testPackageMaker();
  const auth = () => `Basic ${Buffer.from(`demo:${s.demoPassword}`).toString('base64')}`;
  const get = (url: string) => fetch(url, { headers: { authorization: auth() } });
  const sql = <T = Record<string, unknown>>(text: string, params: unknown[]): Promise<T[]> =>
    s.rt.db.query(db === 'postgres' ? toPg(text) : text, params);

  async function createRequest(spec: RequestSpec = {}): Promise<string> {
    const archive = spec.toArchive ? ' send-to-archive="true"' : '';
    const body =
      provided('d1', 'first contract') +
      provided('d2', 'second contract') +
      (spec.viewTask ? '<document xsi:type="packaging-result-document" id="pr1" ref-packaging-task-id="p1"/>' : '') +
      signs('t1', 'd1', spec.resultToArchive ? ' send-result-to-archive="true"' : '') +
      signs('t2', 'd2') +
      (spec.viewTask
        ? '<task id="t3"><document-action type="view"><document-ref>pr1</document-ref></document-action><depends-on-task>t1</depends-on-task><depends-on-task>t2</depends-on-task></task>'
        : '') +
      `<packaging-task packaging-task-id="p1" method="${spec.method ?? 'pades'}"${archive}>${spec.notifications ?? ''}` +
      '<packaging-task-document task-id="t1" document-id="d1"/><packaging-task-document task-id="t2" document-id="d2"/></packaging-task>';
    const r = await post(
      s.endpoint,
      envelope(
        `<create-request-request xmlns="${NS}"><service>demo</service><password>${s.demoPassword}</password><request>${body}</request></create-request-request>`,
      ),
    );
    const id = /<request-id>([^<]+)</.exec(r.text)?.[1];
    if (!id) throw new Error(`createRequest failed: ${r.text}`);
    return id;
  }

  const sign = async (requestId: string, taskId: string, documentId: string) => {
    const out = await signTask(s.rt, svc, requestId, signer, { taskId, documentIds: [documentId] });
    if (!out.ok) throw new Error(`signing ${taskId} failed: ${out.reason}`);
    return out.resultUris[0]!;
  };
  const status = async (requestId: string) => (await s.rt.documents.requests.getPackagingTaskStatus(svc, [requestId]))[0]!;
  const ended = (requestId: string) =>
    eventually(async () => ((await status(requestId)).packagingTaskStatus !== 'created' ? status(requestId) : null), 20_000, 'the end');
  const row = async (requestId: string) =>
    (await sql<Record<string, unknown>>('SELECT * FROM packaging_task WHERE request_id = ?', [requestId]))[0]!;
  const packageRows = async () =>
    Number((await sql<{ n: number }>("SELECT COUNT(*) AS n FROM sds_document WHERE mime_type = 'application/x-pades'", []))[0]!.n);

  beforeAll(async () => {
    rx = await startReceiver();
    s = await startServer(db, { ...FAST, SEGL_CALLBACK_ALLOW: '127.0.0.1' }, { worker: true, packageMaker: t.maker });
    svc = (await s.rt.services.find('demo'))!;
    const keys = await generateKeys();
    signer = {
      certificate: await (
        await s.rt.ca()
      ).issuePerson({ commonName: 'Ann Berg', pid: '9208-2002-2-123456789012', publicKey: keys.publicKey }),
      keys,
    };
  }, 60_000);
  afterAll(async () => {
    await s.stop();
    await rx.close();
  });
  beforeEach(() => {
    rx.calls.length = 0;
  });

  test('both tasks signed → one PAdES made from exactly their two LTV-SDOs, kept in SDS, announced and shown by a later view task', async () => {
    const requestId = await createRequest({ viewTask: true, notifications: urlNotification('pn', `${rx.base}/packaged?token=x`) });
    const pid = packageId(requestId, 'p1');
    // Before: created, no package; the view task waits for it and its document is not available.
    expect(await status(requestId)).toEqual({
      requestId,
      packagingTaskId: 'p1',
      packagingTaskStatus: 'created',
      packagingDocumentStatus: [],
    });
    expect((await s.rt.documents.signer.portalTask(svc, requestId, 't3')).access).toEqual({
      kind: 'waiting',
      waitingFor: ['t1', 't2', 'packaging-task p1'],
    });
    const early = await get(`${s.url}/doc/demo/order/${requestId}/t3/pr1/original`);
    expect(early.status).toBe(404);
    expect(await early.text()).toContain('the package of packaging task "p1", which has not been made yet');

    const sdo1 = await sign(requestId, 't1', 'd1');
    expect((await row(requestId)).job).toBe('waiting'); // t2 is still open
    const sdo2 = await sign(requestId, 't2', 'd2');
    const done = await ended(requestId);

    // One maker call for the whole packaging task, with exactly the two stored LTV-SDOs.
    const mine = t.calls.filter((c) => c.packageId === pid);
    expect(mine).toHaveLength(1);
    expect(mine[0]).toMatchObject({ serviceId: svc.id, serviceName: 'demo', method: 'pades' });
    expect(mine[0]!.sources.map((x) => x.ref)).toEqual([`order:${requestId}/t1/d1`, `order:${requestId}/t2/d2`]);
    const stored = await Promise.all([sdo1, sdo2].map(async (u) => Buffer.from(await (await get(u)).arrayBuffer())));
    expect(stored[0]!.toString('utf8')).toContain('urn:segl:ltvsdo:1');
    expect(mine[0]!.sources.map((x) => Buffer.from(x.sdo))).toEqual(stored);

    // Completed, one packaging-document-status: @id = the packaging-task-id, result-uri in SDS.
    const uri = done.packagingDocumentStatus![0]!.resultUri!;
    expect(done).toEqual({
      requestId,
      packagingTaskId: 'p1',
      packagingTaskStatus: 'completed',
      packagingDocumentStatus: [
        { id: 'p1', resultUri: expect.stringMatching(new RegExp(`^${s.url}/doc/demo/sds/\\d{8}[0-9a-z]{49,50}$`)) },
      ],
    });
    const res = await get(uri);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('application/x-pades');
    expect(Buffer.from(await res.arrayBuffer()).equals(t.made.get(pid)!)).toBe(true);

    // The packaging notification (no schedule: fires at the end) reaches the receiver, request-level.
    const [call] = await rx.waitDelivered(1);
    expect(call!.url.pathname).toBe('/packaged');
    expect(call!.url.searchParams.get('requestId')).toBe(requestId);
    expect(call!.url.searchParams.has('taskId')).toBe(false);
    expect(await s.rt.outbox.log({ requestId })).toEqual([
      expect.objectContaining({ notificationId: 'pn', triggerState: 'completed', status: 'delivered' }),
    ]);
    // 2018-only event types stay out of the history that 2017-WSDL clients read.
    const history = await s.rt.documents.requests.getRequestHistory(svc, requestId, 't1');
    expect(history.filter((e) => e.event.startsWith('packaging-task'))).toEqual([]);

    // The later view task opens and shows the package (as a PDF) on /doc and in the portal's use case.
    expect((await s.rt.documents.signer.portalTask(svc, requestId, 't3')).access).toEqual({ kind: 'open' });
    const view = await get(`${s.url}/doc/demo/order/${requestId}/t3/pr1/original`);
    expect(view.status).toBe(200);
    expect(view.headers.get('content-type')).toBe('application/pdf');
    expect(Buffer.from(await view.arrayBuffer()).equals(t.made.get(pid)!)).toBe(true);
    const shown = await s.rt.documents.signer.originalDocument(svc, requestId, 't3', 'pr1');
    expect(shown.sha256).toBe(createHash('sha256').update(t.made.get(pid)!).digest('hex'));

    // The job run again (by hand, twice) finds the task completed: nothing new is made or stored.
    const packages = await packageRows();
    expect(await s.rt.packagingTasks.run(requestId, 'p1')).toBe('skipped');
    expect(await s.rt.packagingTasks.run(requestId, 'p1', { lastAttempt: true })).toBe('skipped');
    await s.rt.queues.packaging.add('package', { requestId, packagingTaskId: 'p1' }, { jobId: pid });
    await new Promise((r) => setTimeout(r, 500));
    expect(await packageRows()).toBe(packages);
    expect(t.calls.filter((c) => c.packageId === pid)).toHaveLength(1);
    expect((await row(requestId)).attempts).toBe(1);
  }, 60_000);

  test('getPackagingTaskStatus through node-soap from Signicat’s WSDL shows packaging-document-status', async () => {
    const requestId = await createRequest();
    await sign(requestId, 't1', 'd1');
    await sign(requestId, 't2', 'd2');
    const done = await ended(requestId);
    const c = (await soap.createClientAsync(REFERENCE_WSDL, { endpoint: s.endpoint })) as soap.Client &
      Record<string, (a: unknown) => Promise<[any, string]>>;
    const [result, raw] = await c.getPackagingTaskStatusAsync!({ service: 'demo', password: s.demoPassword, 'request-id': [requestId] });
    expect(await xmllintErrors(bodyPayload(raw)!)).toBe('');
    const info = result['packaging-task-status-info'][0];
    expect([info['request-id'], info['packaging-task-id'], info['packaging-task-status']]).toEqual([requestId, 'p1', 'completed']);
    expect(info['packaging-document-status']).toEqual([
      { attributes: { id: 'p1' }, 'result-uri': done.packagingDocumentStatus![0]!.resultUri },
    ]);
  }, 60_000);

  test('a rejected task fails the packaging task at once: error event, failed notification, no maker call', async () => {
    const requestId = await createRequest({
      notifications:
        urlNotification('on-failed', `${rx.base}/failed`, 'failed') + urlNotification('on-done', `${rx.base}/done`, 'completed'),
    });
    await sign(requestId, 't1', 'd1');
    await s.rt.documents.signer.rejectTask(svc, requestId, 't2', 'no thanks');
    // the same transaction as the rejection: no waiting
    expect((await status(requestId)).packagingTaskStatus).toBe('failed');
    expect(await row(requestId)).toMatchObject({ status: 'failed', job: 'done', error_code: 'task-not-completed' });
    const history = await s.rt.documents.requests.getRequestHistory(svc, requestId, 't1');
    expect(history.find((e) => e.event === 'error')!.data).toBe(
      'packaging task "p1" failed (task-not-completed): task "t2" ended rejected: its documents cannot be packaged',
    );
    const [call] = await rx.waitDelivered(1);
    expect(call!.url.pathname).toBe('/failed');
    await new Promise((r) => setTimeout(r, 500));
    expect(rx.calls.map((x) => x.url.pathname)).toEqual(['/failed']);
    expect(t.calls.filter((c) => c.packageId === packageId(requestId, 'p1'))).toEqual([]);
  }, 60_000);

  test('a deleted request fails its packaging task', async () => {
    const requestId = await createRequest();
    await sign(requestId, 't1', 'd1');
    expect(await s.rt.documents.requests.deleteRequest(svc, [requestId])).toBe(1);
    expect(await row(requestId)).toMatchObject({ status: 'failed', error_code: 'request-deleted' });
  }, 60_000);

  test('a maker that throws twice is retried with backoff: completed once, one SDS row', async () => {
    const requestId = await createRequest({ method: 'flaky' });
    const pid = packageId(requestId, 'p1');
    await sign(requestId, 't1', 'd1');
    await sign(requestId, 't2', 'd2');
    const done = await ended(requestId);
    expect(done.packagingTaskStatus).toBe('completed');
    const calls = t.calls.filter((c) => c.packageId === pid);
    expect(calls).toHaveLength(3);
    expect(calls[1]!.now.getTime() - calls[0]!.now.getTime()).toBeGreaterThanOrEqual(900); // BullMQ's backoff
    const r = await row(requestId);
    expect(r).toMatchObject({ status: 'completed', attempts: 3 });
    expect(await sql('SELECT id FROM sds_document WHERE blob_key = ?', [r.result_blob_key])).toEqual([{ id: r.result_id }]);
    const res = await get(done.packagingDocumentStatus![0]!.resultUri!);
    expect(Buffer.from(await res.arrayBuffer()).equals(t.made.get(pid)!)).toBe(true);
  }, 60_000);

  test('a refusing maker fails the packaging task for good, with no SDS row', async () => {
    const before = await packageRows();
    const requestId = await createRequest({ method: 'refuse' });
    await sign(requestId, 't1', 'd1');
    await sign(requestId, 't2', 'd2');
    const done = await ended(requestId);
    expect(done).toEqual({ requestId, packagingTaskId: 'p1', packagingTaskStatus: 'failed', packagingDocumentStatus: [] });
    expect(await row(requestId)).toMatchObject({
      error_code: 'sdo-invalid',
      error_message: 'test maker refuses: an SDO does not verify',
      attempts: 1,
      result_id: null,
    });
    expect(t.calls.filter((c) => c.packageId === packageId(requestId, 'p1'))).toHaveLength(1);
    expect(await packageRows()).toBe(before);
  }, 60_000);

  test('send-to-archive keeps the package in the archive; send-result-to-archive archives a task’s LTV-SDO', async () => {
    const requestId = await createRequest({ toArchive: true, resultToArchive: true });
    const result1 = await sign(requestId, 't1', 'd1');
    expect(result1).toMatch(new RegExp(`^${s.url}/doc/demo/archive/\\d{8}[0-9a-z]{49,50}$`));
    const archived = await get(result1);
    expect(archived.headers.get('content-type')).toBe('application/x-ltv-sdo');
    const sdo = await get(`${s.url}/doc/demo/order/${requestId}/t1/d1/sdo`);
    expect(Buffer.from(await archived.arrayBuffer()).equals(Buffer.from(await sdo.arrayBuffer()))).toBe(true);
    await sign(requestId, 't2', 'd2');
    const done = await ended(requestId);
    const uri = done.packagingDocumentStatus![0]!.resultUri!;
    expect(uri).toMatch(new RegExp(`^${s.url}/doc/demo/archive/\\d{8}[0-9a-z]{49,50}$`));
    const res = await get(uri);
    expect(res.headers.get('content-type')).toBe('application/x-pades');
    expect(Buffer.from(await res.arrayBuffer()).equals(t.made.get(packageId(requestId, 'p1'))!)).toBe(true);
  }, 60_000);
  test('a failure between storing the package and marking the task leaves nothing half-made; the next run completes', async () => {
    const requestId = await createRequest({ method: 'by-hand' });
    // No worker may take this one: the job is run here, by hand, on a store whose SDS insert fails once.
    await sql("UPDATE packaging_task SET job = 'done' WHERE request_id = ?", [requestId]);
    await sign(requestId, 't1', 'd1');
    await sign(requestId, 't2', 'd2');
    const real = new SqlDocumentStore(s.rt.db, s.rt.blobs, new AtRest(s.rt.config.secret!));
    let failures = 1;
    const crashing: DocumentStore = {
      tx: (work) =>
        real.tx((tx) =>
          work(
            new Proxy(tx, {
              get: (target, k: keyof DocumentTx) =>
                k === 'insertSds' && failures-- > 0
                  ? async () => {
                      throw new Error('disk full');
                    }
                  : (target[k] as (...a: unknown[]) => unknown).bind(target),
            }),
          ),
        ),
    };
    const runs = new PackagingRuns({
      store: crashing,
      blobs: s.rt.blobs,
      clock: s.rt.clock,
      uris: { original: () => '', result: () => '', stored: () => '' },
      maker: t.maker,
      sdsTtlDays: 30,
      maxAttempts: 5,
    });
    const before = await packageRows();
    await expect(runs.run(requestId, 'p1')).rejects.toThrow('disk full');
    const pdf = t.made.get(packageId(requestId, 'p1'))!;
    const key = createHash('sha256').update(pdf).digest('hex');
    expect(await row(requestId)).toMatchObject({ status: 'created', result_id: null, attempts: 1 });
    expect(await packageRows()).toBe(before);
    expect(await s.rt.blobs.stat(key)).toBeNull(); // the bytes written for the rolled-back rows are taken back
    expect(await runs.run(requestId, 'p1')).toBe('completed');
    expect(await row(requestId)).toMatchObject({ status: 'completed', attempts: 2, result_blob_key: key });
    expect(await packageRows()).toBe(before + 1);
    expect(await runs.run(requestId, 'p1')).toBe('skipped');
  }, 60_000);
  test('a maker failing on every run: each run is retried, and the queue’s last attempt fails the task with its message', async () => {
    const requestId = await createRequest({ method: 'by-hand' });
    await sql("UPDATE packaging_task SET job = 'done' WHERE request_id = ?", [requestId]); // run by hand below, not by the worker
    await sign(requestId, 't1', 'd1');
    await sign(requestId, 't2', 'd2');
    const runs = new PackagingRuns({
      store: new SqlDocumentStore(s.rt.db, s.rt.blobs, new AtRest(s.rt.config.secret!)),
      blobs: s.rt.blobs,
      clock: s.rt.clock,
      uris: { original: () => '', result: () => '', stored: () => '' },
      // TEST-LOCAL: a maker that answers internal-error every time (worth a retry, never a package)
      maker: { make: async () => ({ ok: false, code: 'internal-error', message: 'test maker: the TSA is away' }) },
      sdsTtlDays: 30,
      maxAttempts: PACKAGING_ATTEMPTS,
    });
    const job = (attemptsMade: number) => ({
      data: { requestId, packagingTaskId: 'p1' },
      attemptsMade,
      opts: { attempts: PACKAGING_ATTEMPTS },
    });
    const first = runPackagingJob({ packagingTasks: runs }, job(0));
    await expect(first).rejects.toBeInstanceOf(PackagingRetry);
    await expect(first).rejects.toThrow('test maker: the TSA is away (attempt 1); will be retried');
    expect(await row(requestId)).toMatchObject({ status: 'created', attempts: 1 });
    expect(await runPackagingJob({ packagingTasks: runs }, job(PACKAGING_ATTEMPTS - 1))).toBe('failed');
    expect(await row(requestId)).toMatchObject({
      status: 'failed',
      error_code: 'internal-error',
      error_message: 'test maker: the TSA is away (attempt 2); no attempts left',
    });
    expect((await status(requestId)).packagingTaskStatus).toBe('failed');
  }, 60_000);
  test('a queued packaging job lost from Redis is queued again by the relay after the lease', async () => {
    const requestId = await createRequest();
    await sql("UPDATE packaging_task SET job = 'done' WHERE request_id = ?", [requestId]); // keep it from the relay while signing
    await sign(requestId, 't1', 'd1');
    await sign(requestId, 't2', 'd2');
    // As if the relay had queued it long ago and Redis had lost the job since.
    await sql("UPDATE packaging_task SET job = 'queued', queued_at = ? WHERE request_id = ?", ['2000-01-01T00:00:00.000Z', requestId]);
    expect(await s.rt.queues.packaging.getJob(packageId(requestId, 'p1'))).toBeUndefined();
    const done = await ended(requestId);
    expect(done.packagingTaskStatus).toBe('completed');
    expect(t.calls.filter((c) => c.packageId === packageId(requestId, 'p1'))).toHaveLength(1);
  }, 60_000);
});

// Services are tenants: one service's requests are invisible to every other. And a refused or
// failed createRequest writes nothing: validation happens first, and the writes share one transaction.
import { ValidationError } from '../../src/core/errors';
import { RequestService } from '../../src/core/requests';
import type { DocumentStore, DocumentTx, ServiceAccount } from '../../src/core/ports';
import type { SigningRequest } from '../../src/core/types';
import { SqlDocumentStore } from '../../src/store/documents';
import { AtRest } from '../../src/store/atrest';
import { FsBlobStore } from '../../src/store/blobs';
import { databases, startServer, type TestServer } from '../support/server';
import { envelope, faultString, NS, post } from '../support/soap';

const TABLES = ['request', 'task', 'task_document', 'document', 'event', 'artifact', 'notification', 'user_session'];

async function counts(s: TestServer): Promise<Record<string, number>> {
  const out: Record<string, number> = {};
  for (const t of TABLES) out[t] = Number((await s.rt.db.query(`SELECT COUNT(*) AS n FROM ${t}`))[0].n);
  return out;
}

const valid = (ref: string): SigningRequest => ({
  document: [{ kind: 'provided-document', id: 'd1', mimeType: 'text/plain', description: 'x', data: Buffer.from('abc') }],
  task: [{ id: 't1', documentAction: [{ type: 'sign', documentRef: 'd1' }], authentication: { artifact: true, method: ['nemid'] } }],
  clientReference: ref,
});

describe.each(databases())('tenancy and atomicity on %s', (db) => {
  let s: TestServer;
  let demo: ServiceAccount;
  let other: ServiceAccount;
  let theirs: string;
  beforeAll(async () => {
    s = await startServer(db);
    demo = (await s.rt.services.find('demo'))!;
    other = await s.rt.services.create('other', 'other-password-1');
    theirs = (await s.rt.documents.requests.createRequest(other, [valid('theirs')])).requestIds[0]!;
  });
  afterAll(async () => {
    await s.stop();
  });

  const asDemo = (inner: string) =>
    post(s.endpoint, envelope(inner.replace('<X>', `<service>demo</service><password>${s.demoPassword}</password>`)));

  test.each([
    ['getRequest', `<get-request-request xmlns="${NS}"><X><request-id>ID</request-id></get-request-request>`],
    ['getStatus', `<get-status-request xmlns="${NS}"><X><request-id>ID</request-id></get-status-request>`],
    ['getTask', `<get-task-request xmlns="${NS}"><X><request-id>ID</request-id><task-id>t1</task-id></get-task-request>`],
    [
      'getRequestHistory',
      `<get-request-history-request xmlns="${NS}"><X><request-id>ID</request-id><task-id>t1</task-id></get-request-history-request>`,
    ],
    [
      'createArtifact',
      `<create-artifact-request xmlns="${NS}"><X><request-id>ID</request-id><task-id>t1</task-id></create-artifact-request>`,
    ],
    [
      'setClientStatus',
      `<set-client-status-request xmlns="${NS}"><X><request-id>ID</request-id><task-id>t1</task-id><client-status>x</client-status></set-client-status-request>`,
    ],
    ['disableTask', `<disable-task-request xmlns="${NS}"><X><request-id>ID</request-id><task-id>t1</task-id></disable-task-request>`],
    [
      'getPackagingTaskStatus',
      `<get-packaging-task-status-request xmlns="${NS}"><X><request-id>ID</request-id></get-packaging-task-status-request>`,
    ],
  ])("%s on another service's request answers exactly as for an unknown id", async (_op, xml) => {
    const before = await counts(s);
    const foreign = await asDemo(xml.replace('ID', theirs));
    const unknown = await asDemo(xml.replace('ID', `${theirs.slice(0, -3)}zzz`));
    expect(foreign.status).toBe(500);
    expect(faultString(foreign.text)).toBe(faultString(unknown.text)!.replace(`${theirs.slice(0, -3)}zzz`, theirs));
    expect(await counts(s)).toEqual(before);
  });

  test("findTasks and getTaskCount never show another service's tasks", async () => {
    const crit = `<filter><criteria><field>request-id</field><value xmlns:xs="http://www.w3.org/2001/XMLSchema" xsi:type="xs:string">${theirs}</value></criteria></filter>`;
    const f = await asDemo(`<find-tasks-request xmlns="${NS}"><X>${crit}</find-tasks-request>`);
    expect(f.status).toBe(200);
    expect(f.text).not.toContain('<task ');
    const c = await asDemo(`<get-task-count-request xmlns="${NS}"><X>${crit}</get-task-count-request>`);
    expect(c.text).toContain('<count>0</count>');
    expect(await s.rt.documents.requests.getTaskCount(other, { criteria: [{ field: 'request-id', value: theirs }] })).toBe(1);
  });

  test("deleteRequest of another service's request deletes nothing", async () => {
    const d = await asDemo(`<delete-request-request xmlns="${NS}"><X><request-id>${theirs}</request-id></delete-request-request>`);
    expect(d.text).toContain('<deleted>0</deleted>');
    const st = await s.rt.documents.requests.getStatus(other, [theirs]);
    expect(st[0]!.taskStatus).toBe('created');
  });

  test('a refused createRequest writes nothing, even when the bad request is the second of two', async () => {
    const before = await counts(s);
    const bad = valid('bad');
    bad.task[0]!.dependsOnTask = ['t1'];
    await expect(s.rt.documents.requests.createRequest(demo, [valid('good'), bad])).rejects.toThrow(ValidationError);
    await expect(s.rt.documents.requests.createRequest(demo, [valid('good'), bad])).rejects.toThrow(
      'request[1]/task[0]/depends-on-task[0]: task "t1" cannot depend on itself',
    );
    expect(await counts(s)).toEqual(before);
  });

  test('a failure inside the transaction rolls every row back', async () => {
    const before = await counts(s);
    const real = new SqlDocumentStore(s.rt.db, s.rt.blobs, new AtRest(s.rt.config.secret!));
    // The last write of createRequest (the artifact) fails after the request rows went in.
    const failing: DocumentStore = {
      tx: (work) =>
        real.tx((tx) =>
          work(
            new Proxy(tx, {
              get: (t, k: keyof DocumentTx) =>
                k === 'insertArtifact'
                  ? async () => {
                      throw new Error('disk full');
                    }
                  : (t[k] as (...a: unknown[]) => unknown).bind(t),
            }),
          ),
        ),
    };
    const ds = new RequestService({
      store: failing,
      blobs: new FsBlobStore(`${s.dataDir}/blobs`),
      clock: { now: () => new Date() },
      methods: { authenticationMethods: new Set(['nemid']), signatureMethods: new Set() },
      uris: { original: () => 'x', result: () => 'y', stored: () => 'z' },
      sdsTtlDays: 30,
    });
    await expect(ds.createRequest(demo, [valid('a'), valid('b')])).rejects.toThrow('disk full');
    expect(await counts(s)).toEqual(before);
  });

  test('concurrent calls commit together, yet one failing call rolls back only itself', async () => {
    const before = await counts(s);
    const real = new SqlDocumentStore(s.rt.db, s.rt.blobs, new AtRest(s.rt.config.secret!));
    let calls = 0;
    // The 4th of 10 concurrent transactions fails at its last write.
    const failing: DocumentStore = {
      tx: (work) => {
        const mine = ++calls;
        return real.tx((tx) =>
          work(
            new Proxy(tx, {
              get: (t, k: keyof DocumentTx) =>
                k === 'insertArtifact' && mine === 4
                  ? async () => {
                      throw new Error('boom');
                    }
                  : (t[k] as (...a: unknown[]) => unknown).bind(t),
            }),
          ),
        );
      },
    };
    const ds = new RequestService({
      store: failing,
      blobs: new FsBlobStore(`${s.dataDir}/blobs`),
      clock: { now: () => new Date() },
      methods: { authenticationMethods: new Set(['nemid']), signatureMethods: new Set() },
      uris: { original: () => 'x', result: () => 'y', stored: () => 'z' },
      sdsTtlDays: 30,
    });
    const results = await Promise.allSettled(Array.from({ length: 10 }, (_, i) => ds.createRequest(demo, [valid(`c${i}`)])));
    expect(results.filter((r) => r.status === 'rejected').map((r) => (r as PromiseRejectedResult).reason.message)).toEqual(['boom']);
    const after = await counts(s);
    expect(after.request - before.request).toBe(9);
    expect(after.task - before.task).toBe(9);
    expect(after.artifact - before.artifact).toBe(9);
    const ok = results.filter((r): r is PromiseFulfilledResult<{ requestIds: string[] }> => r.status === 'fulfilled');
    for (const r of ok) expect((await s.rt.documents.requests.getStatus(demo, r.value.requestIds))[0]!.taskStatus).toBe('created');
  });
});

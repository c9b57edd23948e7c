// A user session's act over a task and the task of its request that depends on it (issue 16 part 3),
// at core's level on both databases: signTask accepts the dependent only when the act names its
// dependency (`signedInAct`) and that dependency is being sealed; the dependent's seal job waits for
// the dependency's (not counted as an attempt) so that the dependency completes first; when the
// dependency's seal is refused, the dependent's is refused too and the task waits again.
import { envelope, NS, post } from '../support/soap';
import { databases, startServer, type TestServer } from '../support/server';
import { sealRows, waitSealed } from '../support/sign';
import { SealJobs } from '../../src/store/sealjobs';
import type { SealMaker } from '../../src/core/sealrun';

describe.each(databases())('depends-on within one act on %s', (db) => {
  let s: TestServer;
  beforeAll(async () => {
    s = await startServer(db);
  });
  afterAll(async () => {
    await s.stop();
  });

  const doc = (id: string) =>
    `<document xsi:type="provided-document" id="${id}" mime-type="text/plain"><description>${id}</description><data>${Buffer.from(`text ${id}`).toString('base64')}</data></document>`;
  const task = (id: string, docId: string, dependsOn?: string) =>
    `<task id="${id}">${dependsOn ? `<depends-on-task>${dependsOn}</depends-on-task>` : ''}<document-action type="sign"><document-ref>${docId}</document-ref></document-action></task>`;
  const create = async () => {
    const inner = `${doc('deed')}${doc('annex')}${task('a', 'deed')}${task('b', 'annex', 'a')}`;
    const r = await post(
      s.endpoint,
      envelope(
        `<create-request-request xmlns="${NS}"><service>demo</service><password>${s.demoPassword}</password><request>${inner}</request></create-request-request>`,
      ),
    );
    return /<request-id>([^<]+)</.exec(r.text)![1]!;
  };
  const svc = async () => (await s.rt.services.find('demo'))!;
  const maker = { nativeSignature: async (a: { taskId: string }) => `<native>${a.taskId}</native>` };
  const sealed: string[] = [];
  const sealer: SealMaker = {
    seal: async (a) => (sealed.push(a.nativeXml), { ok: true, bytes: Buffer.from(`package of ${a.nativeXml}`), note: 'test package' }),
  };
  const refusing: SealMaker = {
    seal: async () => ({ ok: false, stage: 'initial-verification', reason: 'signature refused by the test', retry: false }),
  };
  const sign = async (requestId: string, taskId: string, docId: string, signedInAct?: string[]) =>
    s.rt.documents.signer.signTask(
      await svc(),
      requestId,
      taskId,
      { documentIds: [docId], signer: {}, audit: [], defaultSignText: 'I agree.', ...(signedInAct ? { signedInAct } : {}) },
      maker,
    );
  const history = async (requestId: string, taskId: string) => s.rt.documents.requests.getRequestHistory(await svc(), requestId, taskId);

  test('the dependent is signed right after its dependency in the act; its seal waits, so the dependency completes first', async () => {
    const r = await create();
    // the dependency named but not signed (not being sealed): refused, nothing written
    await expect(sign(r, 'b', 'annex', ['a'])).rejects.toThrow(/waits for "a" to complete first/);
    await sign(r, 'a', 'deed');
    // signed, being sealed, but not named by the act: still waiting (sealing is not completed)
    await expect(sign(r, 'b', 'annex')).rejects.toThrow(/waits for "a" to complete first/);
    expect((await history(r, 'b')).some((e) => e.event === 'document-signed')).toBe(false);
    await sign(r, 'b', 'annex', ['a']);
    expect((await s.rt.documents.signer.portalTask(await svc(), r, 'b')).sealing).toBe(true);

    // the dependent's seal job run first: due again, the attempt not counted, nothing sealed
    await new SealJobs(s.rt.db).claimDue(s.rt.clock.now().toISOString(), new Date().toISOString(), 100);
    expect(await s.rt.sealing.run({ requestId: r, taskId: 'b', act: 0, attempts: 0 }, sealer)).toBe('skipped');
    // due again in a second or more: pending with the reason, unless the server's relay (it runs in this test) has
    // claimed it again since, on a slow machine (claiming clears the reason); the attempt is not counted either way
    const [row] = await sealRows(s.rt, r, 'b');
    expect(
      row!.status === 'queued'
        ? row
        : { act: 0, status: 'pending', attempts: 0, error: 'waits for the seal of task "a", which it depends on' },
    ).toEqual(row);
    expect([row!.act, row!.attempts, ['pending', 'queued'].includes(row!.status)]).toEqual([0, 0, true]);
    expect(sealed).toEqual([]);
    await waitSealed(s.rt, r, 'a', { maker: sealer });
    expect((await waitSealed(s.rt, r, 'b', { maker: sealer })).map((x) => [x.status, x.attempts])).toEqual([['done', 1]]);
    expect(sealed).toEqual(['<native>a</native>', '<native>b</native>']);
    const status = await s.rt.documents.requests.getStatus(await svc(), [r]);
    expect(status.map((x) => `${x.taskId} ${x.taskStatus}`)).toEqual(['a completed', 'b completed']);
    const completed = async (t: string) => (await history(r, t)).find((e) => e.event === 'task-completed')!.eventTime;
    expect((await completed('a')) < (await completed('b'))).toBe(true);
  });

  test('the dependency’s seal refused: the dependent’s seal is refused too (an error event), and it waits again', async () => {
    const r = await create();
    await sign(r, 'a', 'deed');
    await sign(r, 'b', 'annex', ['a']);
    expect((await waitSealed(s.rt, r, 'a', { maker: refusing })).map((x) => x.status)).toEqual(['failed']);
    const before = sealed.length;
    const [job] = await waitSealed(s.rt, r, 'b', { maker: sealer });
    expect([job!.status, job!.error]).toEqual([
      'failed',
      'signature not sealed: task "a", which this task depends on and which was signed in the same act, was not completed',
    ]);
    expect(sealed).toHaveLength(before);
    expect((await history(r, 'b')).filter((e) => e.event === 'error').map((e) => e.data)).toEqual([job!.error]);
    const pt = await s.rt.documents.signer.portalTask(await svc(), r, 'b');
    expect([pt.status, pt.access.kind, pt.sealing]).toEqual(['created', 'waiting', false]);
    const status = await s.rt.documents.requests.getStatus(await svc(), [r]);
    expect(status.map((x) => `${x.taskId} ${x.taskStatus}`)).toEqual(['a created', 'b created']);
  });
});

// The portal's use cases on both databases (the browser tests run on SQLite): artifacts redeem once,
// uploads land on the request, events are written once where asked, waiting tasks cannot complete.
import { envelope, NS, post } from '../support/soap';
import { databases, startServer, type TestServer } from '../support/server';

describe.each(databases())('portal use cases on %s', (db) => {
  let s: TestServer;
  beforeAll(async () => { s = await startServer(db); });
  afterAll(async () => { await s.stop(); });

  const create = async (inner: string) => {
    const r = await post(s.endpoint, envelope(`<create-request-request xmlns="${NS}"><service>demo</service><password>${s.demoPassword}</password><request>${inner}</request></create-request-request>`));
    return { requestId: /<request-id>([^<]+)</.exec(r.text)![1]!, artifact: /<artifact>([^<]+)</.exec(r.text)?.[1] };
  };
  const account = async () => (await s.rt.services.find('demo'))!;

  test('an artifact is redeemed once, for its own task; a wrong or foreign one is not', async () => {
    const task = (id: string) => `<task id="${id}"><document-action type="view"><document-ref>a</document-ref></document-action><authentication artifact="true"><method>nemid</method></authentication></task>`;
    const { requestId, artifact } = await create(`<document xsi:type="provided-document" id="a" mime-type="text/plain"><description>A</description><data>QQ==</data></document>${task('t1')}${task('t2')}`);
    const svc = await account();
    expect(await s.rt.documents.redeemArtifact(svc, requestId, 't2', artifact!)).toBe(false); // bound to t1
    const [first, second] = await Promise.all([
      s.rt.documents.redeemArtifact(svc, requestId, 't1', artifact!),
      s.rt.documents.redeemArtifact(svc, requestId, 't1', artifact!),
    ]);
    expect([first, second].sort()).toEqual([false, true]); // once, even when two arrive together
    expect(await s.rt.documents.redeemArtifact(svc, requestId, 't1', 'x'.repeat(32))).toBe(false);
  });

  test('an upload lands on the request with its event; portalTask reports it; task-started is written once', async () => {
    const { requestId } = await create('<document xsi:type="upload-document" id="u"><description>Payslip</description></document><task id="t1"><document-action type="upload"><document-ref>u</document-ref></document-action></task>');
    const svc = await account();
    expect((await s.rt.documents.portalTask(svc, requestId, 't1')).documents[0]).toMatchObject({ id: 'u', action: 'upload', uploaded: false });
    const blob = await s.rt.blobs.putBytes(new TextEncoder().encode('Salary'));
    await s.rt.documents.recordUpload(svc, requestId, 't1', 'u', blob, 'text/plain');
    expect((await s.rt.documents.portalTask(svc, requestId, 't1')).documents[0]).toMatchObject({ uploaded: true, mimeType: 'text/plain' });
    const row = await s.rt.documents.originalDocument(svc, requestId, 't1', 'u');
    expect([row.blobKey, row.mimeType, row.size]).toEqual([blob.key, 'text/plain', 6]);
    await expect(s.rt.documents.recordUpload(svc, requestId, 't1', 'nope', blob, 'text/plain')).rejects.toThrow('task "t1" has no upload action for document "nope"');
    for (let i = 0; i < 3; i++) await s.rt.documents.recordPortalEvent(svc, requestId, 't1', 'task-started', undefined, true);
    const events = (await s.rt.documents.getRequestHistory(svc, requestId, 't1')).map((e) => e.event);
    expect(events.filter((e) => e === 'task-started')).toHaveLength(1);
    expect(events).toContain('document-uploaded');
  });
});

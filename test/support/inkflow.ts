// The portal flow of a handwritten (InkSign) task up to the drawing pad, shared by the InkSign tests: a new task
// `<method handwritten="true">nemid-sign</method>` over one text document d1, logged in with the test eID user `u`,
// the document read, Send in, the user id: the answer is the pad. Also the suites' set-up (inkSuite) and the
// completed task's sealed package (completedPackage).
import { BrowserLike, keyCardCode, step, type Answer } from './portalflow';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { startServer, type DbKind, type TestServer } from './server';
import { createRequestXml } from './soap';

export const INK_USER_AGENT = 'Mozilla/5.0 (Linux; Android 14) segl-ink-test';

export async function inkPad(
  s: TestServer,
  u: { alias: string; password: string },
  language = 'en',
): Promise<{ b: BrowserLike; requestId: string; pad: Answer }> {
  const testid = s.rt.testid!;
  const request =
    `<document xsi:type="provided-document" id="d1" mime-type="text/plain"><description>Lease</description><data>${Buffer.from('Lease: 3 years.\n').toString('base64')}</data></document>` +
    `<task id="t1"><language>${language}</language><document-action type="sign"><document-ref>d1</document-ref></document-action>` +
    '<authentication><method>nemid</method></authentication><signature><method handwritten="true">nemid-sign</method></signature></task>';
  const requestId = await createRequestXml(s.endpoint, 'demo', s.demoPassword, request);
  const q = `request_id=${requestId}&task_id=t1`;
  const b = new BrowserLike(s.url, INK_USER_AGENT);
  // (the key number as the English page says it, for keyCardCode)
  const code = async (p: Answer) => keyCardCode(testid, u.alias, { ...p, html: p.html.replace(/nøgle nummer/g, 'key number') }, 'code');
  let p = await b.open(`/std/docaction/demo?${q}`, 'task URL');
  p = await b.submit(p, step('login'), { user: u.alias, password: u.password }, 'login');
  p = await b.submit(p, step('login/code'), { code: await code(p), do: 'next' }, 'login code');
  await b.open(`/std/docaction/demo/document?${q}&document_id=d1`, 'document');
  p = await b.open(`/std/docaction/demo?${q}`, 'wizard');
  p = await b.submit(p, (f) => f.id === 'sendin', { do: 'sendin' }, 'Send in');
  return { b, requestId, pad: await b.submit(p, step('sign/start'), {}, 'sign/start') };
}

/**
 * The InkSign suites' set-up on `db`: a server, a scratch directory and the test PKI's PEMs (root, ca, service-ca,
 * for xmlsec1), made before the suite's tests and removed after them; and what refusals must leave unchanged.
 */
export function inkSuite(
  db: DbKind,
  prefix: string,
): { server(): TestServer; dir(): string; pem: Record<string, string>; state(): Promise<Record<string, unknown>> } {
  let s: TestServer | undefined;
  let dir = '';
  const pem: Record<string, string> = {};
  beforeAll(async () => {
    s = await startServer(db);
    dir = mkdtempSync(path.join(os.tmpdir(), prefix));
    for (const n of ['root', 'ca', 'service-ca']) pem[n] = await (await fetch(`${s.url}/pki/${n}.pem`)).text();
  });
  afterAll(async () => {
    await s?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });
  const rows = async (sql: string) => (await s!.rt.db.query(sql, [])) as Array<Record<string, unknown>>;
  /** what a refused drawing must leave as it was: the sessions' data, requests, events, seal jobs */
  const state = async () => ({
    sessions: (await rows('SELECT data FROM portal_session ORDER BY id_hash')).map((r) => r.data),
    requests: (await rows('SELECT COUNT(*) AS n FROM request'))[0]!.n,
    events: (await rows('SELECT COUNT(*) AS n FROM event'))[0]!.n,
    seals: (await rows('SELECT COUNT(*) AS n FROM seal_job'))[0]!.n,
  });
  return { server: () => s!, dir: () => dir, pem, state };
}

/** The task t1 of `requestId` is completed: its sealed LTV-SDO for document d1, as text. */
export async function completedPackage(s: TestServer, requestId: string): Promise<string> {
  const svc = (await s.rt.services.find('demo'))!;
  expect((await s.rt.documents.requests.getStatus(svc, [requestId]))[0]!.taskStatus).toBe('completed');
  const doc = await s.rt.documents.requests.resultDocument(svc, requestId, 't1', 'd1');
  return Buffer.from(await s.rt.blobs.getBytes(doc.blobKey)).toString('utf8');
}

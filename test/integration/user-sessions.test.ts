// User sessions (createUserSession, issue 16 part 3) on both databases, over HTTP like a browser:
// the artifact opens one page listing the session's tasks across three requests in depends-on order;
// one test eID login (with the CPR check) stands for every task naming the same person, and not for
// a task naming another; each task is read and signed through its own pages; the dependent task
// becomes signable in the same visit once its dependency completes; every request's history is its
// own. A stale, reused or foreign artifact, another service's session: a translated page, nothing written.
import { createRequestXml } from '../support/soap';
import { databases, startServer, type TestServer } from '../support/server';
import { mainText } from '../support/portalclient';
import { BrowserLike, formsOf, keyCardCode, step } from '../support/portalflow';
import { waitSealed } from '../support/sign';
import {
  expectAllSigned,
  historyLines,
  newSessionUser,
  sessionRows,
  sessionUrl,
  signingTask,
  textDoc,
  threeRequests,
} from '../support/usersessions';
import type { AdjustableClock } from '../../src/ops/clock';

describe.each(databases())('user sessions on %s', (db) => {
  let s: TestServer;
  let n = 0;
  beforeAll(async () => {
    s = await startServer(db, { SEGL_TEST_CLOCK: '1' });
    if (!(await s.rt.services.find('other'))) await s.rt.services.create('other', 'other-password-1');
  });
  afterAll(async () => {
    await s.stop();
  });

  const svc = async () => (await s.rt.services.find('demo'))!;
  const newUser = async () => newSessionUser(s, `us-${db}`, ++n);
  const doc = textDoc;
  const task = signingTask;
  const create = (inner: string, service = 'demo', password = s.demoPassword) => createRequestXml(s.endpoint, service, password, inner);
  const history = (requestId: string, taskId: string) => historyLines(s, requestId, taskId);
  const rows = sessionRows;
  /** Every event of these requests' tasks, and the stored portal sessions: what a refusal must leave as it was. */
  const snapshot = async (tasks: Array<[string, string]>) => {
    const events = await Promise.all(tasks.map(([r, t]) => history(r, t)));
    const sessions = (await s.rt.db.query('SELECT COUNT(*) AS n FROM portal_session', [])) as Array<{ n: unknown }>;
    return { events, sessions: Number(sessions[0]!.n) };
  };

  /** Reads the task's document and signs it on its own pages (password and a fresh code), then waits for its seal job. */
  const signOnTaskPage = async (
    b: BrowserLike,
    u: { alias: string; password: string },
    requestId: string,
    taskId: string,
    docId: string,
  ) => {
    const q = `request_id=${requestId}&task_id=${taskId}`;
    await b.open(`/std/docaction/demo/document?${q}&document_id=${docId}`, `document ${docId}`);
    let p = await b.open(`/std/docaction/demo?${q}`, 'wizard');
    p = await b.submit(p, (f) => f.id === 'sendin', { do: 'sendin' }, 'Send in');
    p = await b.submit(p, step('sign/start'), {}, 'sign/start');
    const code = await keyCardCode(s.rt.testid!, u.alias, p, 'signing code');
    p = await b.submit(p, step('sign/confirm'), { password: u.password, code, do: 'next' }, 'sign/confirm');
    expect(mainText(p.html)).toContain('Signed, being sealed');
    await waitSealed(s.rt, requestId, taskId);
  };

  test('one login for three requests in depends-on order; each task signed on its own pages; the dependent task opens in the same visit; histories separate', async () => {
    const u = await newUser();
    const other = await newUser();
    const { r1, r2, r3 } = await threeRequests(create, u.cpr);
    const r4 = await create(`${doc('gift', 'Gift letter')}${task('t1', 'gift', { nationalId: other.cpr })}`);
    const { userSessionId, artifact } = await s.rt.documents.requests.createUserSession(await svc(), {
      language: 'en',
      sessionTask: [
        { requestId: r3, taskId: 'b', order: 1, description: 'Annex' },
        { requestId: r1, taskId: 't1', order: 2, description: 'Loan' },
        { requestId: r2, taskId: 't1', order: 3, description: 'Terms' },
        { requestId: r3, taskId: 'a', order: 4, description: 'Deed' },
        { requestId: r4, taskId: 't1', order: 5, description: 'Gift' },
      ],
    });
    const b = new BrowserLike(s.url);
    let p = await b.open(sessionUrl(userSessionId, artifact), 'session artifact');
    expect(p.url).not.toContain('artifact='); // reloaded without it
    // @order, but the deed (a) before the annex (b) that depends on it
    expect(rows(p)).toEqual([
      'Loan: Log in to open',
      'Terms: Log in to open',
      'Deed: Log in to open',
      'Annex: Waiting for an earlier task',
      'Gift: Log in to open',
    ]);

    // one login, on the loan's page (its CPR checked)
    const loanLink = new RegExp(`href="([^"]*request_id=${r1}[^"]*)"`).exec(p.html)![1]!.replace(/&amp;/g, '&');
    let t = await b.open(loanLink, 'loan task page');
    t = await b.submit(t, step('login'), { user: u.alias, password: u.password }, 'login');
    t = await b.submit(
      t,
      step('login/code'),
      { code: await keyCardCode(s.rt.testid!, u.alias, t, 'login code'), do: 'next' },
      'login code',
    );
    if (formsOf(t.html).some(step('cpr'))) t = await b.submit(t, step('cpr'), { cpr: u.cpr }, 'CPR');
    p = await b.open(sessionUrl(userSessionId), 'session page');
    expect(rows(p)).toEqual([
      'Loan: Ready: you are logged in',
      'Terms: Ready: you are logged in',
      'Deed: Ready: you are logged in',
      'Annex: Ready: signed in the same go, right after the task it depends on',
      'Gift: The person logged in is not the signer of this task, so it cannot be signed with this login.',
    ]);
    expect((await history(r2, 't1')).filter((e) => e.startsWith('user-authenticated'))).toEqual([
      `user-authenticated: nemid; the login of user session task ${r1}/t1`,
    ]);
    expect((await history(r4, 't1')).some((e) => e.startsWith('user-authenticated'))).toBe(false);

    await signOnTaskPage(b, u, r1, 't1', 'loan');
    await signOnTaskPage(b, u, r2, 't1', 'terms');
    await signOnTaskPage(b, u, r3, 'a', 'deed');
    // same visit: the annex is open now, the shared login stands for it
    p = await b.open(sessionUrl(userSessionId), 'session page after the deed');
    expect(rows(p).slice(0, 4)).toEqual([
      'Loan: This task is completed',
      'Terms: This task is completed',
      'Deed: This task is completed',
      'Annex: Ready: you are logged in',
    ]);
    await signOnTaskPage(b, u, r3, 'b', 'annex');

    await expectAllSigned(s, { r1, r2, r3 });
    // each request's history is its own: its document, its login, its signature, its completion
    for (const [r, tid, docId] of [
      [r1, 't1', 'loan'],
      [r2, 't1', 'terms'],
      [r3, 'b', 'annex'],
    ] as const) {
      const h = await history(r, tid);
      expect(h).toEqual(
        expect.arrayContaining([
          expect.stringMatching(/^user-authenticated: nemid/),
          `document-viewed: ${docId}`,
          expect.stringMatching(new RegExp(`^document-signed: ${docId}: `)),
          expect.stringMatching(/^task-completed/),
        ]),
      );
      expect(h.filter((e) => e.startsWith('document-viewed') || e.startsWith('document-signed')).every((e) => e.includes(docId))).toBe(
        true,
      );
    }
    // the person named by the gift letter's task signed nothing
    expect((await s.rt.documents.requests.getStatus(await svc(), [r4]))[0]!.taskStatus).toBe('created');
  });

  test('a stale, reused or foreign artifact, another service, a withdrawn task: a clear page, nothing written', async () => {
    const r1 = await create(`${doc('x', 'X')}${task('t1', 'x')}`);
    const r2 = await create(`${doc('y', 'Y')}${task('t1', 'y')}`);
    const tasks: Array<[string, string]> = [
      [r1, 't1'],
      [r2, 't1'],
    ];
    const session = async () =>
      s.rt.documents.requests.createUserSession(await svc(), {
        sessionTask: [
          { requestId: r1, taskId: 't1', order: 1 },
          { requestId: r2, taskId: 't1', order: 2 },
        ],
      });
    const before = await snapshot(tasks);

    // stale: 31 s later
    const stale = await session();
    (s.rt.clock as AdjustableClock).advance(31_000);
    let p = await new BrowserLike(s.url).request('GET', sessionUrl(stale.userSessionId, stale.artifact));
    expect(p.status).toBe(410);
    expect(mainText(p.html)).toContain('This link can no longer be used');
    expect(p.html).not.toContain('segl_portal');

    // reused: a second browser with the same artifact
    const used = await session();
    await new BrowserLike(s.url).open(sessionUrl(used.userSessionId, used.artifact), 'first use');
    const afterFirst = await snapshot(tasks);
    p = await new BrowserLike(s.url).request('GET', sessionUrl(used.userSessionId, used.artifact));
    expect(p.status).toBe(410);
    expect(await snapshot(tasks)).toEqual(afterFirst);
    // no artifact at all, in a browser that never had it
    p = await new BrowserLike(s.url).request('GET', sessionUrl(used.userSessionId));
    expect(p.status).toBe(410);
    // a foreign artifact (another session's) for this session
    const third = await session();
    p = await new BrowserLike(s.url).request('GET', sessionUrl(third.userSessionId, used.artifact));
    expect(p.status).toBe(410);

    // another service's session under this service's URL, and this session under the other's
    const otherSvc = (await s.rt.services.find('other'))!;
    const ro = await create(`${doc('z', 'Z')}${task('t1', 'z')}`, 'other', 'other-password-1');
    const foreign = await s.rt.documents.requests.createUserSession(otherSvc, { sessionTask: [{ requestId: ro, taskId: 't1', order: 1 }] });
    p = await new BrowserLike(s.url).request('GET', sessionUrl(foreign.userSessionId, foreign.artifact));
    expect(p.status).toBe(404);
    expect(mainText(p.html)).toContain('We could not find');
    p = await new BrowserLike(s.url).request(
      'GET',
      `/std/docaction/other/session?session_id=${third.userSessionId}&artifact=${third.artifact}`,
    );
    expect(p.status).toBe(404);
    expect(await snapshot(tasks)).toEqual(afterFirst);
    expect((await s.rt.documents.requests.getRequestHistory(otherSvc, ro, 't1')).some((e) => e.event === 'user-authenticated')).toBe(false);
    // the unused artifacts are still good for their own session (nothing was used up by the refusals)
    expect(await s.rt.documents.signer.redeemSessionArtifact(otherSvc, foreign.userSessionId, foreign.artifact)).toBe(true);

    // withdrawn meanwhile: the row says so, offers no link, and nothing is written for it
    await s.rt.documents.requests.disableTask(await svc(), r2, 't1');
    const w = await session().catch((e: Error) => e);
    expect(String(w)).toMatch(/no open task/); // a new session cannot name it ...
    const b = new BrowserLike(s.url);
    p = await b.open(sessionUrl(third.userSessionId, third.artifact), 'session with a withdrawn task');
    expect(rows(p)).toEqual([`${r1} / t1: Log in to open`, `${r2} / t1: This task has been withdrawn`]);
    expect(p.html).not.toContain(`request_id=${r2}`);
    expect(before.events[1]!.length).toBeGreaterThan(0);
    expect((await history(r2, 't1')).filter((e) => !e.startsWith('task-') && !e.startsWith('request-'))).toEqual(
      before.events[1]!.filter((e) => !e.startsWith('task-') && !e.startsWith('request-')),
    );
  });
});

// One act over a user session's tasks (issue 16 part 3), both databases, over HTTP like a browser:
// one test eID login, every document opened from the session page, "Sign all ready tasks", one
// password and key-card code → each task its own native signature and seal job, each request's
// history its own; the task that depends on a task of its request is signed in the same act right
// after it, its seal (and completion) after the dependency's, and the browser goes to
// on-session-complete. Bad input: unread documents, a task not in the session, a task whose
// dependency the act leaves out, another person's, a second submission, another browser: a clear
// page, nothing written; a task refused at the last step takes the task depending on it with it.
import { createRequestXml } from '../support/soap';
import { databases, startServer, type TestServer } from '../support/server';
import { mainText } from '../support/portalclient';
import { BrowserLike, formBody, formsOf, keyCardCode, step, type Answer } from '../support/portalflow';
import { sealRows, waitSealed } from '../support/sign';
import { SealJobs } from '../../src/store/sealjobs';
import {
  expectAllSigned,
  fourTasks,
  historyLines,
  newSessionUser,
  sessionRows,
  sessionUrl,
  signingTask,
  textDoc,
  threeRequests,
} from '../support/usersessions';

describe.each(databases())('one act over a user session on %s', (db) => {
  let s: TestServer;
  let n = 0;
  beforeAll(async () => {
    s = await startServer(db);
  });
  afterAll(async () => {
    await s.stop();
  });

  const newUser = async () => newSessionUser(s, `act-${db}`, ++n);
  const svc = async () => (await s.rt.services.find('demo'))!;
  const create = (inner: string) => createRequestXml(s.endpoint, 'demo', s.demoPassword, inner);
  const history = (requestId: string, taskId: string) => historyLines(s, requestId, taskId);
  const rows = sessionRows;
  const seals = async () => Number(((await s.rt.db.query('SELECT COUNT(*) AS n FROM seal_job', [])) as Array<{ n: unknown }>)[0]!.n);
  const snapshot = async (tasks: Array<[string, string]>) => ({
    events: await Promise.all(tasks.map(([r, t]) => history(r, t))),
    seals: await seals(),
  });

  /** Logs in on the task page linked from the session page (the CPR when asked), back to the session page. */
  const login = async (b: BrowserLike, u: { alias: string; password: string; cpr: string }, link: string, sessionId: string) => {
    let t = await b.open(link, 'task page');
    t = await b.submit(t, step('login'), { user: u.alias, password: u.password }, 'login');
    t = await b.submit(t, step('login/code'), { code: await keyCardCode(s.rt.testid!, u.alias, t, 'login code'), do: 'next' }, 'code');
    if (formsOf(t.html).some(step('cpr'))) await b.submit(t, step('cpr'), { cpr: u.cpr }, 'CPR');
    return b.open(sessionUrl(sessionId), 'session page');
  };
  /** Opens every document link of the session page (the task's document page, which records the read). */
  const readAll = async (b: BrowserLike, p: Answer) => {
    for (const m of p.html.matchAll(/href="([^"]*\/document\?[^"]*)"/g)) await b.open(m[1]!.replace(/&amp;/g, '&'), 'document');
    return b.open(p.url, 'session page');
  };
  /** "Sign all ready tasks", the user id, then the password and one code (of `u`): the act's answer. */
  const act = async (b: BrowserLike, p: Answer, u: { alias: string; password: string }) => {
    let a = await b.submit(p, (f) => f.id === 'signall', {}, 'sign all');
    a = await b.submit(a, step('session/sign/start'), { user: u.alias }, 'sign/start');
    const code = await keyCardCode(s.rt.testid!, u.alias, a, 'signing code');
    const [url, body] = formBody(a, step('session/sign/confirm'), { password: u.password, code, do: 'next' }, 'confirm');
    return { answer: await b.request('POST', url, body), confirm: [url, body] as const };
  };

  test('three requests signed in one act, the dependent task right after its dependency, histories and redirects per request', async () => {
    const u = await newUser();
    const { r1, r2, r3 } = await threeRequests(create, u.cpr);
    const { userSessionId, artifact } = await s.rt.documents.requests.createUserSession(await svc(), {
      language: 'en',
      onSessionComplete: 'https://shop.example/session/done',
      sessionTask: fourTasks({ r1, r2, r3 }),
    });
    const b = new BrowserLike(s.url);
    let p = await b.open(sessionUrl(userSessionId, artifact), 'session artifact');
    expect(formsOf(p.html).some((f) => f.id === 'signall')).toBe(false); // nobody logged in yet
    const loanLink = new RegExp(`href="([^"]*request_id=${r1}[^"]*)"`).exec(p.html)![1]!.replace(/&amp;/g, '&');
    p = await login(b, u, loanLink, userSessionId);
    expect(rows(p)).toEqual([
      'Loan: Ready: you are logged in',
      'Terms: Ready: you are logged in',
      'Deed: Ready: you are logged in',
      'Annex: Ready: signed in the same go, right after the task it depends on',
    ]);
    const signall = formsOf(p.html).find((f) => f.id === 'signall')!;
    expect(signall.fields.filter(([k]) => k === 'task').map(([, v]) => v)).toEqual([`${r1}/t1`, `${r2}/t1`, `${r3}/a`, `${r3}/b`]);

    // unread documents: the act is refused, nothing written
    const tasks: Array<[string, string]> = [
      [r1, 't1'],
      [r2, 't1'],
      [r3, 'a'],
      [r3, 'b'],
    ];
    const before = await snapshot(tasks);
    let a = await b.request('POST', ...formBody(p, (f) => f.id === 'signall', {}, 'sign all unread'));
    expect(a.status).toBe(400);
    expect(mainText(a.html)).toContain('Loan Read these documents before you send in: Loan agreement Terms');
    expect(await snapshot(tasks)).toEqual(before);

    // the dependent task without the task it depends on: refused whole, nothing written
    const [actUrl, forged] = formBody(p, (f) => f.id === 'signall', {}, 'forged');
    forged.delete('task');
    for (const k of [`${r1}/t1`, `${r3}/b`]) forged.append('task', k);
    a = await b.request('POST', actUrl, forged);
    expect(a.status).toBe(409);
    expect(mainText(a.html)).toContain('Annex : Waiting for an earlier task');
    expect(mainText(a.html)).not.toContain('Loan :');
    expect(await snapshot(tasks)).toEqual(before);

    p = await readAll(b, p);
    expect(p.html).not.toContain('Not read yet');
    const { answer, confirm } = await act(b, p, u);
    // nothing left to sign: the session's own redirect, not a task's on-task-complete
    expect(answer.status).toBe(303);
    expect(answer.location).toBe('https://shop.example/session/done');
    // one act, four native signatures, four seal jobs
    expect((await seals()) - before.seals).toBe(4);

    // the same act again (a double click, the back button): refused, nothing written
    const afterAct = await snapshot(tasks);
    a = await b.request('POST', confirm[0], confirm[1]);
    expect(a.status).toBe(409);
    expect(mainText(a.html)).toContain('These tasks have already been sent in');
    expect(await snapshot(tasks)).toEqual(afterAct);

    // the annex's seal job run first: it waits for the deed's (not counted as an attempt), then seals once the deed is completed
    await new SealJobs(s.rt.db).claimDue(s.rt.clock.now().toISOString(), new Date().toISOString(), 100);
    expect(await s.rt.sealing.run({ requestId: r3, taskId: 'b', act: 0, attempts: 0 })).toBe('skipped');
    expect(await sealRows(s.rt, r3, 'b')).toEqual([
      { act: 0, status: 'pending', attempts: 0, error: 'waits for the seal of task "a", which it depends on' },
    ]);
    for (const [r, t] of tasks) await waitSealed(s.rt, r, t);
    await expectAllSigned(s, { r1, r2, r3 });
    // the deed's request: each task its own events, the deed's signature and completion before the annex's
    const deed = await history(r3, 'a');
    const annex = await history(r3, 'b');
    expect(deed.filter((e) => e.includes(': annex'))).toEqual([]);
    expect(annex.filter((e) => e.includes(': deed'))).toEqual([]);
    const at = async (taskId: string, event: string) =>
      (await s.rt.documents.requests.getRequestHistory(await svc(), r3, taskId)).find((e) => e.event === event)!.eventTime;
    expect((await at('a', 'document-signed')) <= (await at('b', 'document-signed'))).toBe(true);
    expect((await at('a', 'task-completed')) < (await at('b', 'task-completed'))).toBe(true);
    // and each task's own history in order: logged in, read, signed, completed
    for (const h of [deed, annex]) {
      const i = ['user-authenticated', 'document-viewed', 'document-signed', 'task-completed'].map((x) =>
        h.findIndex((e) => e.startsWith(x)),
      );
      expect(i.every((x, k) => x >= 0 && (k === 0 || x > i[k - 1]!))).toBe(true);
    }
    // each request's history: only its own task's events, its own document
    for (const [r, t, docId, others] of [
      [r1, 't1', 'loan', ['terms', 'deed', 'annex']],
      [r2, 't1', 'terms', ['loan', 'deed', 'annex']],
    ] as const) {
      const h = await history(r, t);
      expect(h).toEqual(
        expect.arrayContaining([
          `document-viewed: ${docId}`,
          expect.stringMatching(new RegExp(`^document-signed: ${docId}: `)),
          expect.stringMatching(/^task-completed/),
        ]),
      );
      expect(h.filter((e) => others.some((o) => e.includes(`: ${o}`)))).toEqual([]);
      expect(h.filter((e) => e.includes('document-signed'))).toHaveLength(1);
    }
  });

  test('another person’s task, a task not in the session, another browser: refused, nothing signed of them', async () => {
    const u = await newUser();
    const other = await newUser();
    const r1 = await create(`${textDoc('x', 'X')}${signingTask('t1', 'x', { nationalId: u.cpr })}`);
    const r2 = await create(`${textDoc('y', 'Y')}${signingTask('t1', 'y', { nationalId: other.cpr })}`);
    const r3 = await create(`${textDoc('z', 'Z')}${signingTask('t1', 'z')}`);
    const { userSessionId, artifact } = await s.rt.documents.requests.createUserSession(await svc(), {
      sessionTask: [
        { requestId: r1, taskId: 't1', order: 1, description: 'Mine' },
        { requestId: r2, taskId: 't1', order: 2, description: 'Theirs' },
      ],
    });
    const b = new BrowserLike(s.url);
    let p = await b.open(sessionUrl(userSessionId, artifact), 'session');
    p = await login(b, u, new RegExp(`href="([^"]*request_id=${r1}[^"]*)"`).exec(p.html)![1]!.replace(/&amp;/g, '&'), userSessionId);
    p = await readAll(b, p);
    expect(rows(p)[1]).toMatch(/^Theirs: The person logged in is not the signer/);
    const tasks: Array<[string, string]> = [
      [r1, 't1'],
      [r2, 't1'],
      [r3, 't1'],
    ];
    const before = await snapshot(tasks);
    const [url, body] = formBody(p, (f) => f.id === 'signall', {}, 'sign all');
    // another person's task named in the act
    const theirs = new URLSearchParams(body);
    theirs.append('task', `${r2}/t1`);
    let a = await b.request('POST', url, theirs);
    expect(a.status).toBe(409);
    expect(mainText(a.html)).toContain('Theirs : The person logged in is not the signer of this task');
    // a task of no session (its request exists), and a made-up one
    for (const key of [`${r3}/t1`, 'nope/t1']) {
      const forged = new URLSearchParams(body);
      forged.set('task', key);
      a = await b.request('POST', url, forged);
      expect(a.status).toBe(400);
      expect(mainText(a.html)).toContain('This task is not part of your session');
    }
    // another browser (no session), and a missing CSRF token
    a = await new BrowserLike(s.url).request('POST', url, body);
    expect(a.status).toBe(410);
    const noCsrf = new URLSearchParams(body);
    noCsrf.delete('csrf');
    a = await b.request('POST', url, noCsrf);
    expect(a.status).toBe(403);
    expect(await snapshot(tasks)).toEqual(before);
    // signing with another person's NemID than the one logged in: refused, nothing of it signed
    a = (await act(b, p, other)).answer;
    expect(mainText(a.html)).toContain('Mine : Not signed:');
    expect(await seals()).toBe(before.seals);
    expect((await history(r1, 't1')).some((e) => e.includes('document-signed'))).toBe(false);
    expect(
      (await history(r1, 't1')).filter((e) => e.startsWith('user-authentication-cancelled') && e.includes('another NemID')),
    ).toHaveLength(1);
  });

  test('a task refused at the last step takes the task depending on it with it: neither signed, nothing of the act written', async () => {
    const u = await newUser();
    const other = await newUser();
    // no login asked; the first task names another person, the second (naming nobody) depends on it
    const noLogin = (id: string, docId: string, extra: string) =>
      `<task id="${id}">${extra}<language>en</language><document-action type="sign"><document-ref>${docId}</document-ref></document-action>` +
      '<signature><method>nemid-sign</method></signature></task>';
    const r = await create(
      `${textDoc('x', 'X')}${textDoc('y', 'Y')}${noLogin('a', 'x', `<subject><national-id>${other.cpr}</national-id></subject>`)}` +
        noLogin('b', 'y', '<depends-on-task>a</depends-on-task>'),
    );
    const { userSessionId, artifact } = await s.rt.documents.requests.createUserSession(await svc(), {
      language: 'en',
      sessionTask: [
        { requestId: r, taskId: 'a', order: 1, description: 'First' },
        { requestId: r, taskId: 'b', order: 2, description: 'Second' },
      ],
    });
    const b = new BrowserLike(s.url);
    let p = await b.open(sessionUrl(userSessionId, artifact), 'session');
    expect(rows(p)).toEqual([
      'First: Ready: you are logged in',
      'Second: Ready: signed in the same go, right after the task it depends on',
    ]);
    p = await readAll(b, p);
    expect(p.html).not.toContain('Not read yet');
    const before = await seals();
    const a = (await act(b, p, u)).answer;
    expect(a.status).toBe(200);
    expect(mainText(a.html)).toMatch(/First : Not signed: .*Second : Not signed: Waiting for an earlier task/);
    expect(await seals()).toBe(before);
    for (const t of ['a', 'b']) expect((await history(r, t)).some((e) => e.startsWith('document-signed'))).toBe(false);
  });

  test('leave without signing and postpone go to the session redirects, nothing written', async () => {
    const u = await newUser();
    const r1 = await create(`${textDoc('x', 'X')}${signingTask('t1', 'x', { nationalId: u.cpr })}`);
    const { userSessionId, artifact } = await s.rt.documents.requests.createUserSession(await svc(), {
      onSessionCancel: 'https://shop.example/session/cancel',
      onSessionPostpone: 'https://shop.example/session/later',
      sessionTask: [{ requestId: r1, taskId: 't1', order: 1 }],
    });
    const b = new BrowserLike(s.url);
    const p = await b.open(sessionUrl(userSessionId, artifact), 'session');
    const before = await history(r1, 't1');
    for (const [what, to] of [
      ['cancel', 'https://shop.example/session/cancel'],
      ['postpone', 'https://shop.example/session/later'],
    ]) {
      const a = await b.request('POST', ...formBody(p, (f) => f.id === 'leave', { do: what! }, what!));
      expect([a.status, a.location]).toEqual([303, to]);
    }
    expect(await history(r1, 't1')).toEqual(before);
    expect((await s.rt.documents.requests.getStatus(await svc(), [r1]))[0]!.taskStatus).toBe('created');
  });
});

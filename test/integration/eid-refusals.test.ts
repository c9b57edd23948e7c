// Every refusal of the test eID in the portal, over HTTP like a browser, on SQLite: the page shows the
// eID error catalogue's text in the task's language (Danish and Swedish here; English in the Chromium
// test), and the task's history records an event whose data starts with the code.
import { TEXTS, type Lang } from '../../src/portal/i18n';
import type { EidErrorCode } from '../../src/eid/errors';
import { envelope, NS, post } from '../support/soap';
import { startServer, type TestServer } from '../support/server';
import { mainText } from '../support/portalclient';
import { BrowserLike, formBody, step, type Answer } from '../support/portalflow';

describe.each<Lang>(['da', 'sv'])('test eID refusals in the portal (sqlite, %s)', (lang) => {
  let s: TestServer;
  let n = 0;
  beforeAll(async () => {
    s = await startServer('sqlite', { SEGL_TEST_CLOCK: '1' });
  });
  afterAll(async () => {
    await s.stop();
  });

  const newUser = async (name: string) => {
    const draft = { ...s.rt.testid!.autofill(), alias: `${name}-${lang}-${++n}`, password: `pw-${name}-123456` };
    return { ...(await s.rt.testid!.createUser(draft)), password: draft.password };
  };
  const svc = async () => (await s.rt.services.find('demo'))!;

  /** A request with one task in `lang` (test eID login and signature, one text document); its task URL. */
  const task = async (nationalId?: string) => {
    const doc = `<document xsi:type="provided-document" id="terms" mime-type="text/plain"><description>Terms</description><data>${Buffer.from('Interest 3 %').toString('base64')}</data></document>`;
    const subject = nationalId ? `<subject><national-id>${nationalId}</national-id></subject>` : '';
    const t =
      `<task id="t1">${subject}<language>${lang}</language><document-action type="sign"><document-ref>terms</document-ref></document-action>` +
      '<authentication><method>nemid</method></authentication><signature><method>nemid-sign</method></signature></task>';
    const r = await post(
      s.endpoint,
      envelope(
        `<create-request-request xmlns="${NS}"><service>demo</service><password>${s.demoPassword}</password><request>${doc}${t}</request></create-request-request>`,
      ),
    );
    const requestId = /<request-id>([^<]+)</.exec(r.text)?.[1];
    if (!requestId) throw new Error(r.text);
    return { requestId, url: `/std/docaction/demo?request_id=${requestId}&task_id=t1` };
  };

  const events = async (requestId: string) => s.rt.documents.requests.getRequestHistory(await svc(), requestId, 't1');
  /** The one event carrying `code`, of type `type`. */
  const eventWith = async (requestId: string, type: string, code: EidErrorCode) => {
    const hits = (await events(requestId)).filter((e) => e.event === type && (e.data ?? '').startsWith(`eid-error=${code}: `));
    expect(hits).toHaveLength(1);
    return hits[0]!.data!;
  };
  const text = (code: EidErrorCode) => TEXTS[lang][`eid.error.${code}`];
  const left = (k: number) => TEXTS[lang]['eid.attemptsLeft'].replace('{left}', String(k));
  /** The code the key-card form asks for (the key number is in the code field's label, whatever the language). */
  const codeFor = async (alias: string, page: Answer) => {
    const number = /<label for="code">[^<]*?(\d{4})/.exec(page.html)?.[1];
    if (!number) throw new Error(`no key number on ${page.url}: ${mainText(page.html)}`);
    for (const card of await s.rt.testid!.keyCards(alias)) {
      const hit = card.codes.find((c) => c.keyNumber === number && !c.used);
      if (hit) return hit.code;
    }
    throw new Error(`no unused code ${number} for ${alias}`);
  };
  const wrongCode = async (alias: string, page: Answer) => ((await codeFor(alias, page)) === '000000' ? '111111' : '000000');
  const send = (b: BrowserLike, page: Answer, name: string, typed: Record<string, string>) =>
    b.request('POST', ...formBody(page, step(name), typed, name));

  /** Logged in as `u`, the document read, Send in, and sign/start (as `signAs`, else the login's user id): the sign/confirm page. */
  const toSigning = async (u: { alias: string; password: string }, requestId: string, url: string, signAs?: string) => {
    const b = new BrowserLike(s.url);
    let p = await send(b, await b.open(url, 'task'), 'login', { user: u.alias, password: u.password });
    p = await b.submit(p, step('login/code'), { code: await codeFor(u.alias, p), do: 'next' }, 'code');
    await b.open(`/std/docaction/demo/document?request_id=${requestId}&task_id=t1&document_id=terms`, 'document');
    p = await b.submit(await b.open(url, 'wizard'), (f) => f.id === 'sendin', { do: 'sendin' }, 'Send in');
    return { b, p: await b.submit(p, step('sign/start'), signAs ? { user: signAs } : {}, 'sign/start') };
  };

  test('unknown user, wrong password (with tries left), then five wrong: locked', async () => {
    const u = await newUser('lis');
    const { requestId, url } = await task();
    const b = new BrowserLike(s.url);
    const p = await b.open(url, 'task');
    const unknown = await send(b, p, 'login', { user: `nobody-${lang}`, password: 'whatever-123' });
    expect(unknown.status).toBe(401);
    expect(mainText(unknown.html)).toContain(text('unknown-user'));
    expect(unknown.html).not.toContain(`nobody-${lang}`); // nothing of what was typed comes back in the alert
    await eventWith(requestId, 'error', 'unknown-user');

    for (let i = 1; i <= 4; i++) {
      const wrong = await send(b, p, 'login', { user: u.alias, password: 'not-the-password' });
      expect(wrong.status).toBe(401);
      expect(mainText(wrong.html)).toContain(`${text('wrong-password')} ${left(5 - i)}`);
    }
    expect((await events(requestId)).filter((e) => (e.data ?? '').startsWith('eid-error=wrong-password: '))).toHaveLength(4);
    const locked = await send(b, p, 'login', { user: u.alias, password: 'not-the-password' });
    expect(locked.status).toBe(401);
    expect(mainText(locked.html)).toContain(text('user-locked'));
    // locked: even the right password is refused, with the same code
    const still = await send(b, p, 'login', { user: u.alias, password: u.password });
    expect(mainText(still.html)).toContain(text('user-locked'));
    expect((await events(requestId)).filter((e) => (e.data ?? '').startsWith('eid-error=user-locked: '))).toHaveLength(2);
    // none of it logged anyone in
    expect(mainText((await b.open(url, 'task again')).html)).toContain(TEXTS[lang]['login.title']);
  });

  test('wrong code (a fresh key asked, tries left), a used challenge, an expired one, and Cancel', async () => {
    const u = await newUser('kim');
    const { requestId, url } = await task();
    const b = new BrowserLike(s.url);
    let p = await b.open(url, 'task');
    p = await send(b, p, 'login', { user: u.alias, password: u.password });
    expect(p.status).toBe(200);
    const first = p;
    const wrong = await send(b, p, 'login/code', { code: await wrongCode(u.alias, p), do: 'next' });
    expect(wrong.status).toBe(401);
    expect(mainText(wrong.html)).toContain(`${text('wrong-code')} ${left(4)}`);
    await eventWith(requestId, 'error', 'wrong-code');

    // the first challenge again (a replayed form): used up
    const replay = await send(b, first, 'login/code', { code: await codeFor(u.alias, wrong), do: 'next' });
    expect(replay.status).toBe(401);
    expect(mainText(replay.html)).toContain(text('expired'));
    await eventWith(requestId, 'error', 'expired');

    // the fresh challenge, answered after its five minutes
    s.rt.clock.advance(6 * 60_000);
    const late = await send(b, wrong, 'login/code', { code: await codeFor(u.alias, wrong), do: 'next' });
    expect(late.status).toBe(401);
    expect(mainText(late.html)).toContain(text('expired'));
    expect((await events(requestId)).filter((e) => (e.data ?? '').startsWith('eid-error=expired: '))).toHaveLength(2);

    // a new challenge, cancelled
    p = await send(b, await b.open(url, 'task'), 'login', { user: u.alias, password: u.password });
    const cancel = await send(b, p, 'login/code', { do: 'cancel' });
    expect(cancel.status).toBe(303);
    expect(await eventWith(requestId, 'user-authentication-cancelled', 'usercancel')).toMatch(/cancelled the key-card step/);
  });

  test("another person than the task's subject: refused as wrong-person, the login forgotten", async () => {
    const [anna, bent] = [await newUser('anna'), await newUser('bent')];
    const { requestId, url } = await task(anna.cpr);
    const b = new BrowserLike(s.url);
    let p = await send(b, await b.open(url, 'task'), 'login', { user: bent.alias, password: bent.password });
    p = await b.submit(p, step('login/code'), { code: await codeFor(bent.alias, p), do: 'next' }, 'code');
    const refused = await send(b, p, 'cpr', { cpr: bent.cpr });
    expect(refused.status).toBe(403);
    expect(mainText(refused.html)).toContain(TEXTS[lang]['refused.title']);
    expect(mainText(refused.html)).toContain(text('wrong-person'));
    expect(await eventWith(requestId, 'user-authentication-cancelled', 'wrong-person')).toMatch(/national-id mismatch/);
    expect(refused.html).not.toContain(bent.cpr.slice(6));
    expect(mainText((await b.open(url, 'task again')).html)).toContain(TEXTS[lang]['login.title']);
  });

  test('signing with another eID than the one that logged in: refused as wrong-person, with the detail', async () => {
    const [carl, dora] = [await newUser('carl'), await newUser('dora')];
    const { requestId, url } = await task();
    const { b, p } = await toSigning(carl, requestId, url, dora.alias);
    const refused = await send(b, p, 'sign/confirm', { password: dora.password, code: await codeFor(dora.alias, p), do: 'next' });
    expect(refused.status).toBe(403);
    expect(mainText(refused.html)).toContain(`${text('wrong-person')} ${TEXTS[lang]['refused.otherSigner']}`);
    expect(await eventWith(requestId, 'user-authentication-cancelled', 'wrong-person')).toMatch(
      /another NemID than the one that logged in/,
    );
    expect((await events(requestId)).some((e) => e.event === 'document-signed')).toBe(false);
  });

  test.each([
    ['revoke', 'certificate-revoked'],
    ['lock', 'user-locked'],
  ] as const)('a certificate after %s: signing refused with %s, nothing signed', async (action, code) => {
    const u = await newUser(action);
    await s.rt.testid!.certificateAction(u.alias, action);
    const { requestId, url } = await task();
    const { b, p } = await toSigning(u, requestId, url);
    const refused = await send(b, p, 'sign/confirm', { password: u.password, code: await codeFor(u.alias, p), do: 'next' });
    expect(refused.status).toBe(409);
    expect(mainText(refused.html)).toContain(text(code));
    expect(await eventWith(requestId, 'error', code)).toMatch(action === 'revoke' ? /is revoked/ : /on hold/);
    expect((await events(requestId)).some((e) => e.event === 'document-signed')).toBe(false);
    const st = await s.rt.documents.requests.getStatus(await svc(), [requestId]);
    expect(st.map((x) => [x.taskId, x.taskStatus, x.documentStatus?.[0]?.resultUri])).toEqual([['t1', 'created', undefined]]);
  });
});

// Send for signature from the console (src/console/send.ts) on each database with the real Redis: the form
// becomes the request a SOAP createRequest would make (read back over SOAP: tasks, depends-on, notifications),
// and every refusal — no file, not a PDF, a PDF that is not one, too large, a bad e-mail, an unknown method, a
// viewer, no CSRF token — is a readable 4xx page with nothing created (no request, no SDS upload left behind).
import { ConsoleSessions } from '../../src/console/session';
import { ConsoleAuditRepository } from '../../src/store/consoleaudit';
import { ConsoleQueries } from '../../src/store/consolequeries';
import { makePdf } from '../support/pdf';
import { envelope, NS, post } from '../support/soap';
import { databases, startServer, type TestServer } from '../support/server';

const LIMIT = 300_000;

describe.each(databases())('console: send for signature (%s)', (db) => {
  let s: TestServer;
  let manager: string;
  let viewer: string;
  let csrf: string;
  const pdf = makePdf({ text: 'Loan agreement 7' });

  const cookie = (id: string) => ({ cookie: `segl_console=${id}` });
  const total = async () =>
    (await new ConsoleQueries(s.rt.db).requests((await s.rt.services.find('demo'))!.id, { offset: 0, limit: 50 })).total;
  const sdsRows = async () =>
    Number(((await s.rt.db.query('SELECT COUNT(*) AS n FROM sds_document')) as Array<{ n: number | string }>)[0]!.n);

  /** A filled-in form: two signers, one after the other, e-mail on; `change` adjusts fields, `files` the PDFs. */
  function form(
    change: Record<string, string | null> = {},
    files: Array<[Blob, string]> = [[new Blob([pdf], { type: 'application/pdf' }), 'loan.pdf']],
  ) {
    const fields: Record<string, string> = {
      _csrf: csrf,
      rows: '2',
      subject: 'Loan agreement 7',
      message: 'Please sign the loan agreement.',
      reference: 'loan-7',
      days: '14',
      language: 'da',
      order: 'sequential',
      notify_email: 'on',
      notify_sms: 'on',
      s0_first: 'Åse',
      s0_last: 'Berg',
      s0_nid: '0101901234',
      s0_email: 'ase@example.com',
      s0_mobile: '+4512345678',
      s0_method: 'signature:nemid-sign',
      s1_first: 'Bo',
      s1_last: 'Ek',
      s1_email: 'bo@example.com',
      s1_mobile: '+46701234567',
      s1_method: 'login:nemid',
      do: 'send',
    };
    for (const [k, v] of Object.entries(change)) {
      if (v === null) delete fields[k];
      else fields[k] = v;
    }
    const f = new FormData();
    for (const [k, v] of Object.entries(fields)) f.append(k, v);
    for (const [b, name] of files) f.append('files', b, name);
    return f;
  }
  const send = (body: FormData, who = manager) =>
    fetch(`${s.url}/console/send?lang=en`, { method: 'POST', body, headers: cookie(who), redirect: 'manual' });

  beforeAll(async () => {
    s = await startServer(db, { SEGL_SDS_LIMIT: String(LIMIT) });
    const demo = (await s.rt.services.find('demo'))!;
    const sessions = new ConsoleSessions(s.rt.redis, s.rt.config.notify.queuePrefix);
    const base = { serviceId: demo.id, service: 'demo', isPublic: demo.public };
    manager = await sessions.open({ ...base, role: 'manager', actor: 'demo' });
    viewer = await sessions.open({ ...base, role: 'viewer', actor: 'clerk-v' });
    const page = await (await fetch(`${s.url}/console/send?lang=en`, { headers: cookie(manager) })).text();
    csrf = /name="_csrf" value="([^"]+)"/.exec(page)![1]!;
  }, 60_000);
  afterAll(async () => {
    await s?.stop();
  });

  test('the form offers the service’s methods; "Add a signer" comes back with one more row and the values kept', async () => {
    const page = await (await fetch(`${s.url}/console/send?lang=en`, { headers: cookie(manager) })).text();
    expect(page).toContain('<option value="signature:nemid-sign" selected>Sign with nemid-sign</option>');
    expect(page).toContain('<option value="login:nemid">Log in and sign with nemid</option>');
    expect(page).toContain('id="s1_first"');
    expect(page).not.toContain('id="s2_first"');
    const res = await send(form({ do: 'add' }));
    expect(res.status).toBe(200);
    const again = await res.text();
    expect(again).toContain('id="s2_first"');
    expect(again).toContain('value="Åse"');
    expect(again).toContain('Choose the files again');
    expect([await total(), await sdsRows()]).toEqual([0, 0]);
  });

  test('a two-signer sequential request from the form is what createRequest makes: tasks, depends-on, notifications', async () => {
    const res = await send(form());
    expect(res.status).toBe(303);
    const id = /^\/console\/requests\/([^?]+)\?lang=en&done=sent$/.exec(res.headers.get('location')!)![1]!;
    const soap = (op: string, inner: string) =>
      post(
        s.endpoint,
        envelope(`<${op}-request xmlns="${NS}"><service>demo</service><password>${s.demoPassword}</password>${inner}</${op}-request>`),
      );
    const status = await soap('get-status', `<request-id>${id}</request-id>`);
    expect([...status.text.matchAll(/<task-id>([^<]+)</g)].map((m) => m[1])).toEqual(['t1', 't2']);
    expect([...status.text.matchAll(/<task-status>([^<]+)</g)].map((m) => m[1])).toEqual(['created', 'created']);
    expect(status.text).toContain('<client-reference>loan-7</client-reference>');
    const got = (await soap('get-request', `<request-id>${id}</request-id>`)).text;
    const tasks = got.split(/<task\b/).slice(1);
    expect(tasks).toHaveLength(2);
    expect(tasks[0]).not.toContain('depends-on-task');
    expect(tasks[1]).toContain('<depends-on-task>t2</depends-on-task>'.replace('t2', 't1'));
    // the first signer is told at once; the second when the first has signed, with the link to their own task
    expect(tasks[0]).toMatch(/notification[^>]*type="EMAIL"[^>]*notification-id="email-t1"|notification-id="email-t1"[^>]*type="EMAIL"/);
    expect(tasks[0]).toMatch(/<recipient>ase@example.com<\/recipient>/);
    expect(tasks[0]).toMatch(/<recipient>\+4512345678<\/recipient>/);
    expect(tasks[0]).toMatch(
      /notification-id="email-t2"[\s\S]*<recipient>bo@example.com<\/recipient>[\s\S]*task_id=t2[\s\S]*<state-is>completed<\/state-is>/,
    );
    expect(tasks[0]).toMatch(/notification-id="sms-t2"[\s\S]*<recipient>\+46701234567<\/recipient>/);
    expect(tasks[0]).toContain('Du bedes underskrive: Loan agreement 7');
    expect(tasks[0]).toContain('<method>nemid-sign</method>');
    expect(tasks[1]).toMatch(/<authentication-based-signature>\s*<method>nemid<\/method>/);
    expect(tasks[0]).toContain('<national-id>0101901234</national-id>');
    expect(tasks[0]).toContain('<days-to-live>14</days-to-live>');
    expect(got).toMatch(/<unique-id>demo<\/unique-id>/);
    expect(got).toMatch(/<document xsi:type="[^"]*sds-document"[^>]*id="doc1"|id="doc1"[^>]*sds-document/);
    // the request keeps its bytes; the SDS upload that carried them in is gone
    expect(await sdsRows()).toBe(0);
    const original = await fetch(`${s.url}/console/requests/${id}/tasks/t1/documents/doc1/original`, { headers: cookie(manager) });
    expect(Buffer.from(await original.arrayBuffer()).equals(pdf)).toBe(true);
    const shown = await (await fetch(`${s.url}/console/requests/${id}?lang=en&done=sent`, { headers: cookie(manager) })).text();
    expect(shown).toContain('The request was sent for signature.');
    expect(shown).toContain('Sent by demo');
    expect(shown).toContain('email-t1');
    // the audit log names who sent it; findTasks finds it by the sender
    const demo = (await s.rt.services.find('demo'))!;
    const audit = await new ConsoleAuditRepository(s.rt.db).list(demo.id, id);
    expect(audit.map((a) => [a.action, a.actor, a.detail])).toEqual([['send', 'demo', '2 signer(s), sequential; loan']]);
    expect(shown).toContain('Sent for signature');
    const found = await s.rt.documents.requests.findTasks(demo, { criteria: [{ field: 'sender-unique-id', value: 'demo' }] });
    expect(found.map((x) => [x.requestId, x.taskId])).toEqual(
      expect.arrayContaining([
        [id, 't1'],
        [id, 't2'],
      ]),
    );
    expect(await total()).toBeGreaterThanOrEqual(1);
  }, 60_000);

  test('in parallel order every signer is told at once with their own task URL; SMS off sends none', async () => {
    const res = await send(form({ order: 'parallel', notify_sms: null, s0_method: 'login:nemid' }));
    expect(res.status).toBe(303);
    const id = /^\/console\/requests\/([^?]+)\?/.exec(res.headers.get('location')!)![1]!;
    const r = await s.rt.documents.requests.getRequest((await s.rt.services.find('demo'))!, id);
    expect(
      r.task.map((x) => [
        x.id,
        x.dependsOnTask,
        x.notification?.map((n) => [n.type, n.notificationId, n.recipient, n.schedule, n.message.endsWith('${taskUrl}')]),
      ]),
    ).toEqual([
      ['t1', undefined, [['EMAIL', 'email-t1', 'ase@example.com', undefined, true]]],
      ['t2', undefined, [['EMAIL', 'email-t2', 'bo@example.com', undefined, true]]],
    ]);
    expect(r.task.map((x) => [x.authentication?.method, x.authenticationBasedSignature?.[0]?.method[0]?.value, x.signature])).toEqual([
      [['nemid'], 'nemid', undefined],
      [['nemid'], 'nemid', undefined],
    ]);
    expect(await sdsRows()).toBe(0);
  }, 30_000);

  describe('refusals: a readable page, nothing created', () => {
    const cases: Array<[string, () => FormData, number, string]> = [
      ['no file', () => form({}, []), 422, 'Choose at least one PDF file.'],
      ['not a PDF', () => form({}, [[new Blob(['hello'], { type: 'text/plain' }), 'note.txt']]), 422, '“note.txt” is not a PDF file.'],
      [
        'a "PDF" that is not one',
        () => form({}, [[new Blob(['hello, not a pdf'], { type: 'application/pdf' }), 'fake.pdf']]),
        422,
        '“fake.pdf” is not a PDF that can be signed',
      ],
      [
        'too large',
        () => form({}, [[new Blob([makePdf({ padBytes: LIMIT + 50_000 })], { type: 'application/pdf' }), 'big.pdf']]),
        413,
        '“big.pdf” is larger than the limit of 0.3 MB.',
      ],
      ['a bad e-mail', () => form({ s1_email: 'bo-at-example' }), 422, 'Give a valid e-mail address, such as name@example.com.'],
      ['an unknown method (core refuses it)', () => form({ s1_method: 'signature:nope' }), 422, 'This signing method is not available'],
      ['days out of range (core refuses it)', () => form({ days: '0' }), 422, 'Give a whole number of days from 1 to 3650.'],
      [
        'no signer',
        () =>
          form({
            s0_first: '',
            s0_last: '',
            s0_nid: '',
            s0_email: '',
            s0_mobile: '',
            s1_first: '',
            s1_last: '',
            s1_email: '',
            s1_mobile: '',
          }),
        422,
        'Add at least one signer.',
      ],
    ];
    test.each(cases)(
      '%s',
      async (_what, body, code, message) => {
        const before = await total();
        const res = await send(body());
        const page = await res.text();
        expect([res.status, page.includes(message)]).toEqual([code, true]);
        expect(page).toContain('aria-invalid="true"');
        expect([await total(), await sdsRows()]).toEqual([before, 0]);
      },
      30_000,
    );
  });

  test('a viewer may not send (403, nothing created); a POST without the CSRF token is refused', async () => {
    const before = await total();
    const get = await fetch(`${s.url}/console/send?lang=en`, { headers: cookie(viewer) });
    expect(get.status).toBe(403);
    const byViewer = await send(form(), viewer);
    expect([byViewer.status, (await byViewer.text()).includes('Nothing was changed.')]).toEqual([403, true]);
    const list = await (await fetch(`${s.url}/console?lang=en`, { headers: cookie(viewer) })).text();
    expect(list).not.toContain('href="/console/send');
    expect(await (await fetch(`${s.url}/console?lang=en`, { headers: cookie(manager) })).text()).toContain('href="/console/send?lang=en"');
    for (const token of [null, 'wrong']) {
      const res = await send(form({ _csrf: token }));
      expect([res.status, (await res.text()).includes('Nothing was changed.')]).toEqual([403, true]);
    }
    expect([await total(), await sdsRows()]).toEqual([before, 0]);
  }, 30_000);
});

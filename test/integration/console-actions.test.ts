// The console's manager actions (src/console/actions.ts, store/consoleaudit.ts) on each database with
// real Redis, a real SMTP server and a real callback receiver: send an e-mail again (a new delivery
// through the outbox, a second mail arrives), re-drive a callback dead-lettered while its receiver was
// down (delivered once the receiver is back), extend the expiry, delete a finished request, withdraw;
// each recorded in console_audit with the actor and shown in the request's timeline. Refused and
// changing nothing: a viewer session (403), a POST without the CSRF token (403), another service's
// request (404), a delivery that is not dead (409), a past or too distant date (400), a closed request (409).
import { ConsoleAuditRepository } from '../../src/store/consoleaudit';
import { sqlDatabase } from '../../src/store/sql';
import { eventually, startReceiver } from '../support/receiver';
import { startSmtpSink, type SmtpSink } from '../support/smtp';
import { envelope, NS, post } from '../support/soap';
import { databases, startServer, type TestServer } from '../support/server';
import { consoleLogins } from '../support/console';

const FAST = {
  SEGL_CALLBACK_RETRY_SCHEDULE: '200ms,200ms,200ms',
  SEGL_RELAY_INTERVAL: '100ms',
  SEGL_RELAY_LEASE: '1s',
  SEGL_JOB_LOCK: '2s',
  SEGL_CALLBACK_ALLOW: '127.0.0.1',
};
const DAY = 86_400_000;
const day = (offsetDays: number) => new Date(Date.now() + offsetDays * DAY).toISOString().slice(0, 10);

describe.each(databases())('console actions (%s)', (db) => {
  let s: TestServer;
  let smtp: SmtpSink;
  /** the mails received, quoted-printable soft line breaks undone */
  const mails = () => smtp.mails.map((m) => m.replace(/=\r?\n/g, ''));
  let audit: ConsoleAuditRepository;
  let demoId: number;
  /** cookies and CSRF tokens of a manager and a viewer session of demo */
  const as: Record<'manager' | 'viewer', { cookie: string; csrf: string }> = {} as never;

  async function create(tasks: string, service = 'demo', password = s.demoPassword): Promise<string> {
    const doc = `<document xsi:type="provided-document" id="d" mime-type="text/plain"><data>${Buffer.from('x').toString('base64')}</data><description>d</description></document>`;
    const r = await post(
      s.endpoint,
      envelope(
        `<create-request-request xmlns="${NS}"><service>${service}</service><password>${password}</password><request>${doc}${tasks}</request></create-request-request>`,
      ),
    );
    const id = /<request-id>([^<]+)</.exec(r.text)?.[1];
    if (!id) throw new Error(r.text);
    return id;
  }
  const task = (id: string, notification = '') =>
    `<task id="${id}"><document-action type="sign"><document-ref>d</document-ref></document-action>${notification}</task>`;
  const note = (type: 'EMAIL' | 'URL', id: string, recipient: string) =>
    `<notification type="${type}" notification-id="${id}"><recipient>${recipient}</recipient><header>Sign</header><message>Please sign \${requestId}</message></notification>`;

  /** A POST of the console form; the answer's status and body. */
  async function act(who: 'manager' | 'viewer', path: string, fields: Record<string, string> = {}, csrf = true) {
    const body = new URLSearchParams({ ...(csrf ? { _csrf: as[who].csrf } : {}), ...fields });
    const r = await fetch(`${s.url}/console/requests/${path}?lang=en`, {
      method: 'POST',
      headers: { cookie: as[who].cookie, 'content-type': 'application/x-www-form-urlencoded' },
      body,
      redirect: 'manual',
    });
    return { status: r.status, location: r.headers.get('location'), text: await r.text() };
  }
  const page = async (path: string) => (await fetch(`${s.url}${path}`, { headers: { cookie: as.manager.cookie } })).text();
  const deliveries = (requestId: string) => s.rt.outbox.log({ requestId });
  const expiries = (requestId: string) =>
    sqlDatabase(s.rt.db).tx((q) =>
      q.all<{ task_id: string; expires_at: string }>('SELECT task_id, expires_at FROM task WHERE request_id = ? ORDER BY ordinal', [
        requestId,
      ]),
    );
  const actions = async (requestId: string) => (await audit.list(demoId, requestId)).map((a) => [a.action, a.actor, a.taskId ?? null]);

  beforeAll(async () => {
    smtp = await startSmtpSink();
    s = await startServer(db, { ...FAST, SMTP_URL: smtp.url }, { worker: true });
    await s.rt.services.create('other', 'other-password-1');
    audit = new ConsoleAuditRepository(s.rt.db);
    const demo = (await s.rt.services.find('demo'))!;
    demoId = demo.id;
    Object.assign(as, await consoleLogins(s));
  }, 60_000);
  afterAll(async () => {
    await s?.stop();
    await smtp.close();
  });

  test('send again: a new e-mail delivery through the outbox, a second mail, audited and in the timeline', async () => {
    const id = await create(task('t1', note('EMAIL', 'mail', 'signer@example.com')));
    await eventually(async () => mails().filter((m) => m.includes(id)).length === 1, 10_000, 'the first mail');
    const [first] = await eventually(async () => {
      const d = await deliveries(id);
      return d[0]?.status === 'delivered' ? d : null;
    });
    // refused, nothing changed: a viewer, no CSRF token, a delivery of another request id
    expect((await act('viewer', `${id}/deliveries/${first!.deliveryId}/resend`)).status).toBe(403);
    expect((await act('manager', `${id}/deliveries/${first!.deliveryId}/resend`, {}, false)).status).toBe(403);
    const otherId = await create(task('t1'));
    expect((await act('manager', `${otherId}/deliveries/${first!.deliveryId}/resend`)).status).toBe(404);
    expect(await deliveries(id)).toHaveLength(1);
    const r = await act('manager', `${id}/deliveries/${first!.deliveryId}/resend`);
    expect([r.status, r.location]).toEqual([303, `/console/requests/${id}?lang=en&done=resent#history`]);
    await eventually(async () => mails().filter((m) => m.includes(id)).length === 2, 10_000, 'the second mail');
    const after = await eventually(async () => {
      const d = await deliveries(id);
      return d.length === 2 && d.every((x) => x.status === 'delivered') ? d : null;
    });
    expect(after.map((d) => [d.channel, d.notificationId, d.taskId])).toEqual([
      ['EMAIL', 'mail', 't1'],
      ['EMAIL', 'mail', 't1'],
    ]);
    expect(new Set(after.map((d) => d.deliveryId)).size).toBe(2);
    expect(await actions(id)).toEqual([['resend', 'clerk-manager', 't1']]);
    const html = await page(`/console/requests/${id}?lang=en&done=resent`);
    expect(html).toContain('The notification is queued to be sent again.');
    expect(html).toContain('Notification sent again<br>in the console by clerk-manager');
  }, 30_000);

  test('re-drive: a callback dead-lettered while its receiver was down is delivered once it is back; only a dead one', async () => {
    const down = await startReceiver();
    const port = down.port;
    await down.close(); // the receiver is down: connections are refused
    const id = await create(task('t1', note('URL', 'cb', `http://127.0.0.1:${port}/hook`)));
    const [dead] = await eventually(
      async () => {
        const d = await deliveries(id);
        return d[0]?.status === 'dead' ? d : null;
      },
      15_000,
      'the dead letter',
    );
    expect(dead!.attempts).toBe(4);
    // a viewer, no CSRF: refused, still dead
    expect((await act('viewer', `${id}/deliveries/${dead!.deliveryId}/redrive`)).status).toBe(403);
    expect((await act('manager', `${id}/deliveries/${dead!.deliveryId}/redrive`, {}, false)).status).toBe(403);
    expect((await deliveries(id))[0]!.status).toBe('dead');
    // the page offers it
    expect(await page(`/console/requests/${id}?lang=en`)).toContain(`/deliveries/${dead!.deliveryId}/redrive`);
    const rx = await startReceiver(port); // back up
    try {
      const r = await act('manager', `${id}/deliveries/${dead!.deliveryId}/redrive`);
      expect([r.status, r.location]).toEqual([303, `/console/requests/${id}?lang=en&done=redriven#history`]);
      const [call] = await rx.waitDelivered(1);
      expect(call!.url.searchParams.get('requestId')).toBe(id);
      const done = await eventually(async () => {
        const d = await deliveries(id);
        return d[0]?.status === 'delivered' ? d : null;
      });
      expect(done).toHaveLength(1);
      expect(done[0]!.attempts).toBe(5);
      // once: it is not dead any more
      const again = await act('manager', `${id}/deliveries/${dead!.deliveryId}/redrive`);
      expect([again.status, again.text]).toEqual([409, expect.stringContaining('This delivery is not dead-lettered')]);
      expect(await actions(id)).toEqual([['redrive', 'clerk-manager', 't1']]);
      expect(rx.calls).toHaveLength(1);
    } finally {
      await rx.close();
    }
  }, 40_000);

  test('extend the expiry: the open tasks expire at the end of the chosen day; bad dates and closed requests change nothing', async () => {
    const id = await create(task('t1') + task('t2'));
    await s.rt.documents.signer.rejectTask((await s.rt.services.find('demo'))!, id, 't2');
    const before = await expiries(id);
    for (const [until, message] of [
      [day(-1), 'The date is in the past.'],
      [day(3_652), 'The date is too far ahead: at most 3650 days from today.'],
      ['31.12.2030', 'The date is not valid.'],
      ['2030-02-30', 'The date is not valid.'],
    ] as const) {
      const r = await act('manager', `${id}/extend`, { until });
      expect([until, r.status, r.text]).toEqual([until, 400, expect.stringContaining(message)]);
    }
    expect((await act('viewer', `${id}/extend`, { until: day(60) })).status).toBe(403);
    expect((await act('manager', `${id}/extend`, { until: day(60) }, false)).status).toBe(403);
    expect(await expiries(id)).toEqual(before);
    const r = await act('manager', `${id}/extend`, { until: day(60) });
    expect([r.status, r.location]).toEqual([303, `/console/requests/${id}?lang=en&done=extended#history`]);
    // only the open task; the rejected one keeps its expiry
    expect(await expiries(id)).toEqual([
      { task_id: 't1', expires_at: `${day(60)}T23:59:59.999Z` },
      { task_id: 't2', expires_at: before[1]!.expires_at },
    ]);
    // not earlier than it already is
    expect((await act('manager', `${id}/extend`, { until: day(59) })).status).toBe(409);
    expect(await actions(id)).toEqual([['extend-expiry', 'clerk-manager', 't1']]);
    // a closed request (withdrawn: no open task) cannot be extended
    const closed = await create(task('t1'));
    expect((await act('manager', `${closed}/withdraw`)).status).toBe(303);
    const closedBefore = await expiries(closed);
    const refused = await act('manager', `${closed}/extend`, { until: day(60) });
    expect([refused.status, refused.text]).toEqual([409, expect.stringContaining('Nothing to extend')]);
    expect(await expiries(closed)).toEqual(closedBefore);
  }, 30_000);

  test('delete a finished request; an open one is withdrawn instead; both audited and in the timeline', async () => {
    const svc = (await s.rt.services.find('demo'))!;
    const open = await create(task('t1'));
    expect((await act('manager', `${open}/delete`, { confirm: 'yes' })).status).toBe(409);
    const finished = await create(task('t1'));
    await s.rt.documents.signer.rejectTask(svc, finished, 't1');
    expect((await act('viewer', `${finished}/delete`, { confirm: 'yes' })).status).toBe(403);
    expect((await act('manager', `${finished}/delete`, { confirm: 'yes' }, false)).status).toBe(403);
    const unconfirmed = await act('manager', `${finished}/delete`);
    expect([unconfirmed.status, unconfirmed.text]).toEqual([400, expect.stringContaining('Tick the box')]);
    expect((await s.rt.documents.requests.getStatus(svc, [finished]))[0]!.taskStatus).toBe('rejected');
    expect(await actions(finished)).toEqual([]);
    const r = await act('manager', `${finished}/delete`, { confirm: 'yes' });
    expect([r.status, r.location]).toEqual([303, `/console/requests/${finished}?lang=en&done=deleted#history`]);
    expect((await s.rt.documents.requests.getStatus(svc, [finished]))[0]!.taskStatus).toBe('deleted');
    // once: deleted already
    expect((await act('manager', `${finished}/delete`, { confirm: 'yes' })).status).toBe(409);
    expect(await actions(finished)).toEqual([['delete', 'clerk-manager', null]]);
    // withdraw (the open one) is audited too, and the timeline shows it after the history
    expect((await act('viewer', `${open}/withdraw`)).status).toBe(403);
    expect(await actions(open)).toEqual([]);
    expect((await act('manager', `${open}/withdraw`)).status).toBe(303);
    expect(await actions(open)).toEqual([['withdraw', 'clerk-manager', null]]);
    const html = await page(`/console/requests/${open}?lang=da`);
    expect(html).toContain('Trukket tilbage<br>i back office af clerk-manager');
    expect(html.indexOf('document-deleted')).toBeLessThan(html.indexOf('Trukket tilbage<br>'));
  }, 30_000);

  test("another service's request: every action answers 404 and changes nothing", async () => {
    const theirs = await create(task('t1', note('EMAIL', 'mail', 'them@example.com')), 'other', 'other-password-1');
    const [d] = await eventually(async () => {
      const x = await deliveries(theirs);
      return x[0]?.status === 'delivered' ? x : null;
    });
    const before = await expiries(theirs);
    for (const [path, fields] of [
      [`${theirs}/deliveries/${d!.deliveryId}/resend`, {}],
      [`${theirs}/deliveries/${d!.deliveryId}/redrive`, {}],
      [`${theirs}/extend`, { until: day(30) }],
      [`${theirs}/delete`, { confirm: 'yes' }],
      [`${theirs}/withdraw`, {}],
    ] as const) {
      const r = await act('manager', path, fields);
      expect([path, r.status, r.text]).toEqual([path, 404, expect.stringContaining('Request not found')]);
    }
    expect(await deliveries(theirs)).toHaveLength(1);
    expect(await expiries(theirs)).toEqual(before);
    const other = (await s.rt.services.find('other'))!;
    expect((await s.rt.documents.requests.getStatus(other, [theirs]))[0]!.taskStatus).toBe('created');
    expect(await audit.list(other.id, theirs)).toEqual([]);
  }, 30_000);

  test('a viewer sees no action forms; the list page links to Bull Board and /metrics for operators', async () => {
    const id = await create(task('t1'));
    const asViewer = await (await fetch(`${s.url}/console/requests/${id}?lang=en`, { headers: { cookie: as.viewer.cookie } })).text();
    expect(asViewer).not.toContain('/extend');
    expect(await page(`/console/requests/${id}?lang=en`)).toContain(`/console/requests/${id}/extend`);
    const list = await page('/console?lang=sv');
    expect(list).toContain('<a href="/admin/queues">Jobbköer (Bull Board)</a>');
    expect(list).toContain('<a href="/metrics">Mätvärden (Prometheus)</a>');
    expect(list).toContain('/admin-inloggning');
  });
});

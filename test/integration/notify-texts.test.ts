// Notification texts per service (issue 16 part 5) end to end on both databases: texts set with the
// built CLI (bin/segl.js → dist/, run `npm run build` first), requests whose EMAIL and SMS notifications
// name them (message `template:NAME`), the mail read off a real SMTP server and the SMS off the outbox
// directory, in the task's language, else the request's, else the text's default; refusals change nothing.
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { NotifyTextRepository } from '../../src/store/notifytexts';
import { runSegl } from '../support/cli';
import { eventually } from '../support/receiver';
import { databases, startServer, type TestServer } from '../support/server';
import { startSmtpSink, type SmtpSink } from '../support/smtp';
import { envelope, faultString, NS, post } from '../support/soap';

const FAST = { SEGL_RELAY_INTERVAL: '100ms', SEGL_RELAY_LEASE: '1s', SEGL_JOB_LOCK: '2s', SEGL_CALLBACK_RETRY_SCHEDULE: '200ms' };
const doc = `<document xsi:type="provided-document" id="d" mime-type="text/plain"><description>contract</description><data>${Buffer.from('I agree').toString('base64')}</data></document>`;
const action = '<document-action type="sign"><document-ref>d</document-ref></document-action>';
const mailTo = (id: string, to: string, message: string) =>
  `<notification type="EMAIL" notification-id="${id}"><recipient>${to}</recipient><header>literal header</header><message>${message}</message></notification>`;
const smsTo = (id: string, to: string, message: string) =>
  `<notification type="SMS" notification-id="${id}"><recipient>${to}</recipient><message>${message}</message></notification>`;
const task = (id: string, language: string | undefined, notifications: string) =>
  `<task id="${id}">${action}${notifications}${language ? `<language>${language}</language>` : ''}</task>`;

/** A mail as sent: its Subject (RFC 2047 decoded) and its text body (quoted-printable or base64 decoded). */
function parseMail(raw: string): { to: string; subject: string; body: string } {
  const [head, ...rest] = raw.split(/\r?\n\r?\n/);
  const unfolded = head!.replace(/\r?\n[ \t]+/g, ' ');
  const header = (n: string) => new RegExp(`^${n}: (.*)$`, 'im').exec(unfolded)?.[1] ?? '';
  const words = (s: string) =>
    s.replace(/=\?utf-8\?([QB])\?([^?]*)\?=\s*/gi, (_, enc: string, text: string) =>
      enc.toUpperCase() === 'B' ? Buffer.from(text, 'base64').toString('utf8') : qp(text.replace(/_/g, ' ')),
    );
  const qp = (s: string) =>
    Buffer.from(
      s.replace(/=\r?\n/g, '').replace(/=([0-9A-F]{2})/gi, (_, h: string) => String.fromCharCode(parseInt(h, 16))),
      'latin1',
    ).toString('utf8');
  const enc = header('Content-Transfer-Encoding').toLowerCase();
  const text = rest.join('\n\n').replace(/\r?\n\.?\r?\n?$/, '');
  const body = enc === 'base64' ? Buffer.from(text, 'base64').toString('utf8') : enc === 'quoted-printable' ? qp(text) : text;
  return { to: header('To'), subject: words(header('Subject')).trim(), body: body.replace(/\r\n/g, '\n').trim() };
}

describe.each(databases())('notification texts on %s', (db) => {
  let s: TestServer;
  let smtp: SmtpSink;
  let env: NodeJS.ProcessEnv;
  const segl = (...args: string[]) => runSegl(env, ...args);
  const requestCount = async () => Number((await s.rt.db.query('SELECT COUNT(*) AS n FROM request'))[0].n);
  const smsDir = () => path.join(s.dataDir, 'outbox', 'sms');
  const smsTexts = (): Array<{ to: string; text: string }> => {
    try {
      return readdirSync(smsDir())
        .filter((f) => f.endsWith('.json'))
        .map((f) => JSON.parse(readFileSync(path.join(smsDir(), f), 'utf8')));
    } catch {
      return [];
    }
  };
  const create = (body: string) =>
    post(
      s.endpoint,
      envelope(
        `<create-request-request xmlns="${NS}"><service>demo</service><password>${s.demoPassword}</password><request>${body}</request></create-request-request>`,
      ),
    );
  const created = async (body: string) => {
    const r = await create(body);
    const id = /<request-id>([^<]+)</.exec(r.text)?.[1];
    if (!id) throw new Error(`createRequest failed: ${r.text}`);
    return id;
  };

  beforeAll(async () => {
    smtp = await startSmtpSink();
    s = await startServer(db, { ...FAST, SMTP_URL: smtp.url }, { worker: true });
    env = {
      PATH: process.env.PATH,
      HOME: process.env.HOME,
      DATA_DIR: s.dataDir,
      LOG_LEVEL: 'warn',
      PUBLIC_URL: 'https://sign.example',
      ...(s.rt.config.databaseUrl ? { DATABASE_URL: s.rt.config.databaseUrl } : {}),
    };
  }, 120_000);
  afterAll(async () => {
    await s?.stop();
    await smtp?.close();
  });

  test('segl notify-text set, list, show --preview; an unknown placeholder is refused and nothing is stored', async () => {
    const set = await segl(
      'notify-text',
      'set',
      'demo',
      'welcome',
      '--channel',
      'EMAIL',
      '--default-language',
      'da',
      '--subject',
      'en=Please sign (${requestId})',
      '--body',
      'en=Hello! Sign at ${taskUrl} - language ${language}, task ${taskId}',
      '--subject',
      'da=Underskriv venligst',
      '--body',
      'da=Hej! Underskriv på ${taskUrl} - sprog ${language}, tjeneste ${service}',
    );
    expect([set.code, set.stderr]).toEqual([0, '']);
    expect(set.stdout).toContain('notification text welcome of demo saved');
    const sms = await segl(
      'notify-text',
      'set',
      'demo',
      'reminder',
      '--channel',
      'sms',
      '--body',
      'en=Reminder: ${taskUrl}',
      '--body',
      'sv=Påminnelse: ${taskUrl}',
    );
    expect([sms.code, sms.stderr]).toEqual([0, '']);
    const bad = await segl('notify-text', 'set', 'demo', 'broken', '--channel', 'SMS', '--body', 'en=Dear ${firstName}');
    expect(bad.code).toBe(1);
    expect(bad.stderr).toContain(
      'en body: unknown placeholder ${firstName} (known: ${taskUrl}, ${requestId}, ${taskId}, ${language}, ${service})',
    );
    const list = await segl('notify-text', 'list', 'demo');
    expect(list.stdout).toBe('reminder\tSMS\ten\ten,sv\t\nwelcome\tEMAIL\tda\ten,da\t\n');
    const show = await segl('notify-text', 'show', 'demo', 'welcome', '--preview');
    expect(show.code).toBe(0);
    expect(show.stdout).toMatch(
      /preview \(sample values\):\n\[en\]\nsubject: Please sign \(\w+\)\nHello! Sign at https:\/\/sign\.example\/std\/docaction\/demo\?request_id=\w+&task_id=task-1 - language en, task task-1\n/,
    );
    expect(show.stdout).toContain('Hej! Underskriv på https://sign.example/std/docaction/demo?request_id=');
    expect(show.stdout).toContain('- sprog da, tjeneste demo');
  }, 60_000);

  test("a request's notifications are sent with the text in the task's language, else the request's, else the default", async () => {
    const before = smtp.mails.length;
    const requestId = await created(
      `<language>en</language>${doc}` +
        task('t-da', 'da', mailTo('m', 'dansk@example.com', 'template:welcome')) +
        task('t-sv', 'sv', mailTo('m', 'svensk@example.com', 'template:welcome') + smsTo('s', '+46701234567', 'template:reminder')) +
        task('t-req', undefined, mailTo('m', 'request@example.com', 'template:welcome')) +
        task('t-plain', 'da', mailTo('m', 'plain@example.com', 'Sign at ${taskUrl}')),
    );
    const other = await created(doc + task('t-fi', 'fi', mailTo('m', 'suomi@example.com', 'template:welcome')));
    await eventually(async () => smtp.mails.length - before >= 5, 20_000, 'five mails');
    const mails = smtp.mails.slice(before).map(parseMail);
    const to = (who: string) => mails.find((m) => m.to === who)!;
    const url = (rid: string, tid: string) => `${s.url}/std/docaction/demo?request_id=${rid}&task_id=${tid}`;
    // the task's own language
    expect(to('dansk@example.com')).toEqual({
      to: 'dansk@example.com',
      subject: 'Underskriv venligst',
      body: `Hej! Underskriv på ${url(requestId, 't-da')} - sprog da, tjeneste demo`,
    });
    // no Swedish e-mail text: the request's language (en)
    expect(to('svensk@example.com').subject).toBe(`Please sign (${requestId})`);
    expect(to('svensk@example.com').body).toBe(`Hello! Sign at ${url(requestId, 't-sv')} - language en, task t-sv`);
    // no language of its own: the request's
    expect(to('request@example.com').body).toBe(`Hello! Sign at ${url(requestId, 't-req')} - language en, task t-req`);
    // Finnish task, request without language: the text's default (da)
    expect(to('suomi@example.com').body).toBe(`Hej! Underskriv på ${url(other, 't-fi')} - sprog da, tjeneste demo`);
    // a message that names no text is sent as written, its header as the subject (as before)
    expect(to('plain@example.com')).toEqual({
      to: 'plain@example.com',
      subject: 'literal header',
      body: `Sign at ${url(requestId, 't-plain')}`,
    });
    // the SMS text has Swedish
    const sms = await eventually(async () => smsTexts().find((x) => x.to === '+46701234567'), 20_000, 'the SMS');
    expect(sms.text).toBe(`Påminnelse: ${url(requestId, 't-sv')}`);
    const history = await s.rt.documents.requests.getRequestHistory((await s.rt.services.find('demo'))!, requestId, 't-da');
    expect(history.find((e) => e.event === 'notification-sent')?.data).toMatch(
      /^EMAIL notification "m" sent to dansk@example\.com via smtp \(.+\) with notification text "welcome" \(da\)/,
    );
  }, 60_000);

  test('createRequest naming an unknown text, or one of the other channel, is a SOAP Fault and creates nothing', async () => {
    const before = await requestCount();
    const unknown = await create(doc + task('t1', 'da', mailTo('m', 'a@example.com', 'template:nope')));
    expect(unknown.status).toBe(500);
    expect(unknown.text).toContain('<faultcode>soap:Client</faultcode>');
    expect(faultString(unknown.text)).toBe(
      'request[0]/task[0]/notification[0]/message: "template:nope" names no notification text of this service (segl notify-text list)',
    );
    const crossed = await create(doc + task('t1', 'da', smsTo('s', '+4512345678', 'template:welcome')));
    expect(faultString(crossed.text)).toBe('request[0]/task[0]/notification[0]/message: notification text "welcome" is for EMAIL, not SMS');
    expect(await requestCount()).toBe(before);
    // addNotification and addTask check the same way, and add nothing
    const demo = (await s.rt.services.find('demo'))!;
    const requestId = await created(doc + task('t1', undefined, ''));
    const requests = s.rt.documents.requests;
    await expect(
      requests.addNotification(demo, requestId, 't1', {
        notificationId: 'x',
        type: 'SMS',
        recipient: '+4512345678',
        message: 'template:nope',
      }),
    ).rejects.toThrow('notification/message: "template:nope" names no notification text of this service');
    await expect(
      requests.addTask(demo, requestId, {
        id: 't2',
        documentAction: [{ type: 'sign', documentRef: 'd' }],
        notification: [{ notificationId: 'y', type: 'EMAIL', recipient: 'a@example.com', message: 'template:nope' }],
      } as Parameters<typeof requests.addTask>[2]),
    ).rejects.toThrow('task/notification[0]/message: "template:nope" names no notification text of this service');
    expect((await requests.getRequest(demo, requestId)).task.map((t) => t.id)).toEqual(['t1']);
    const rows = await s.rt.db.query(`SELECT COUNT(*) AS n FROM notification WHERE request_id = '${requestId}'`);
    expect(Number(rows[0].n)).toBe(0);
  }, 30_000);

  test('segl notify-text remove; a removed text is refused at createRequest', async () => {
    const rm = await segl('notify-text', 'remove', 'demo', 'reminder');
    expect([rm.code, rm.stdout]).toEqual([0, 'notification text reminder of demo removed\n']);
    const again = await segl('notify-text', 'remove', 'demo', 'reminder');
    expect([again.code, again.stderr]).toEqual([1, 'segl: service "demo" has no notification text "reminder"\n']);
    const r = await create(doc + task('t1', undefined, smsTo('s', '+4512345678', 'template:reminder')));
    expect(faultString(r.text)).toMatch(
      /^request\[0\]\/task\[0\]\/notification\[0\]\/message: "template:reminder" names no notification text/,
    );
  }, 30_000);

  test('texts are read at send time: an edited text sends the new wording, a removed one is dead-lettered with the reason', async () => {
    const repo = new NotifyTextRepository(s.rt.db);
    const demo = (await s.rt.services.find('demo'))!;
    const sms = (name: string, body: string) =>
      repo.set(demo.id, { name, channel: 'SMS', defaultLanguage: 'en', texts: { en: { body } } }, new Date().toISOString());
    await sms('edited', 'old wording ${taskId}');
    await sms('gone', 'never sent');
    const onCompleted = (id: string, to: string, name: string) =>
      `<notification type="SMS" notification-id="${id}"><recipient>${to}</recipient><message>template:${name}</message><schedule><state-is>completed</state-is></schedule></notification>`;
    const requestId = await created(
      doc + task('t1', undefined, onCompleted('a', '+4511111111', 'edited') + onCompleted('b', '+4522222222', 'gone')),
    );
    await sms('edited', 'new wording ${taskId} (${language})');
    expect(await repo.remove(demo.id, 'gone')).toBe(true);
    await s.rt.documents.signer.completeTask(demo, requestId, 't1');
    const sent = await eventually(async () => smsTexts().find((x) => x.to === '+4511111111'), 20_000, 'the edited SMS');
    expect(sent.text).toBe('new wording t1 (en)');
    const dead = await eventually(
      async () => (await s.rt.outbox.log({ requestId })).find((d) => d.notificationId === 'b' && d.status === 'dead'),
      20_000,
      'the dead letter',
    );
    expect(dead.lastError).toMatch(
      /^SMS notification "b" not delivered: service "demo" has no notification text "gone" \(any more\) \(delivery \w+, 1 attempt, not retried\)$/,
    );
    expect(smsTexts().some((x) => x.to === '+4522222222')).toBe(false);
  }, 60_000);
});

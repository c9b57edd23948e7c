// Notifications end to end with real parts: SOAP createRequest → outbox row in the same transaction
// → relay → BullMQ on Redis → worker → a real HTTP receiver / SMTP server / SMS outbox file.
import { execFile } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { SMTPServer } from 'smtp-server';
import type { ServiceAccount } from '../../src/core/ports';
import { verifyWebhook } from '../../src/notify/signature';
import { eventually, startReceiver, type Receiver } from '../support/receiver';
import { databases, startServer, type TestServer } from '../support/server';
import { envelope, faultString, NS, post, REPO } from '../support/soap';

const exec = promisify(execFile);
const DAY = 86_400_000;
const FAST = {
  SEGL_CALLBACK_RETRY_SCHEDULE: '200ms,200ms,200ms',
  SEGL_RELAY_INTERVAL: '100ms',
  SEGL_RELAY_LEASE: '1s',
  SEGL_JOB_LOCK: '2s',
};

const doc = `<document xsi:type="provided-document" id="d" mime-type="text/plain"><description>contract</description><data>${Buffer.from('I agree').toString('base64')}</data></document>`;
const action = '<document-action type="sign"><document-ref>d</document-ref></document-action>';

/** A notification element; schedule is the inner XML of <schedule> elements. */
export function notification(
  type: 'URL' | 'EMAIL' | 'SMS',
  id: string,
  recipient: string,
  message: string,
  more: { sender?: string; header?: string; schedule?: string[] } = {},
): string {
  const esc = (t: string) => t.replace(/&/g, '&amp;').replace(/</g, '&lt;');
  return (
    `<notification type="${type}" notification-id="${id}"><recipient>${esc(recipient)}</recipient>` +
    (more.sender ? `<sender>${esc(more.sender)}</sender>` : '') +
    (more.header ? `<header>${esc(more.header)}</header>` : '') +
    `<message>${esc(message)}</message>${(more.schedule ?? []).map((s) => `<schedule>${s}</schedule>`).join('')}</notification>`
  );
}

async function createRequest(
  s: TestServer,
  tasks: string,
  requestLevel = '',
  service = 'demo',
  password = s.demoPassword,
): Promise<string> {
  const r = await post(
    s.endpoint,
    envelope(
      `<create-request-request xmlns="${NS}"><service>${service}</service><password>${password}</password><request>${doc}${tasks}${requestLevel}</request></create-request-request>`,
    ),
  );
  const id = /<request-id>([^<]+)</.exec(r.text)?.[1];
  if (!id) throw new Error(`createRequest failed: ${r.text}`);
  return id;
}

const task = (id: string, notifications: string, daysToLive?: number) =>
  `<task id="${id}">${daysToLive ? `<days-to-live>${daysToLive}</days-to-live>` : ''}${action}${notifications}</task>`;

async function svc(s: TestServer, name = 'demo'): Promise<ServiceAccount> {
  return (await s.rt.services.find(name))!;
}

async function history(s: TestServer, requestId: string, taskId: string, name = 'demo') {
  return s.rt.documents.requests.getRequestHistory(await svc(s, name), requestId, taskId);
}

describe.each(databases())('callbacks on %s', (db) => {
  let s: TestServer;
  let rx: Receiver;
  beforeAll(async () => {
    rx = await startReceiver();
    s = await startServer(db, { ...FAST, SEGL_CALLBACK_ALLOW: '127.0.0.1' }, { worker: true });
  });
  afterAll(async () => {
    await s.stop();
    await rx.close();
  });
  beforeEach(() => {
    rx.calls.length = 0;
    rx.answer = () => 200;
  });

  test('a task-created callback arrives with requestId and taskId appended, signed, and leaves a notification-sent event', async () => {
    const requestId = await createRequest(s, task('t1', notification('URL', 'cb', `${rx.base}/hook?token=s3cr%C3%A9t&x=1`, 'created')));
    const [call] = await rx.waitDelivered(1);
    expect(call!.url.pathname).toBe('/hook');
    expect(call!.url.searchParams.get('token')).toBe('s3crét'); // the caller's own parameters stay
    expect(call!.url.searchParams.get('x')).toBe('1');
    expect(call!.url.searchParams.get('requestId')).toBe(requestId);
    expect(call!.url.searchParams.get('taskId')).toBe('t1');
    expect(call!.headers['x-segl-attempt']).toBe('1');
    const id = call!.headers['x-segl-delivery-id'] as string;
    expect(id).toMatch(/^d[0-9a-f]{40}$/);
    // Standard-Webhooks signature over id.timestamp.URL with the service's secret
    const { webhookSecret } = await s.rt.services.settings('demo');
    const headers = {
      id,
      timestamp: call!.headers['webhook-timestamp'] as string,
      signature: call!.headers['webhook-signature'] as string,
    };
    const fullUrl = `${rx.base}${call!.url.pathname}${call!.url.search}`;
    expect(verifyWebhook(webhookSecret, headers, fullUrl)).toBe(true);
    expect(verifyWebhook(webhookSecret, headers, fullUrl.replace('x=1', 'x=2'))).toBe(false);
    expect(verifyWebhook('whsec_' + Buffer.from('wrong').toString('base64'), headers, fullUrl)).toBe(false);
    const events = await eventually(
      async () => {
        const h = await history(s, requestId, 't1');
        return h.some((e) => e.event === 'notification-sent') ? h : null;
      },
      5000,
      'notification-sent',
    );
    expect(events.find((e) => e.event === 'notification-sent')!.data).toContain(`URL notification "cb" delivered to 127.0.0.1:${rx.port}`);
    const [logEntry] = await s.rt.outbox.log({ requestId });
    expect(logEntry).toMatchObject({ status: 'delivered', attempts: 1, channel: 'URL', triggerState: 'created' });
  });

  test('a receiver failing twice gets the delivery on the third attempt, exactly once per delivery id', async () => {
    let n = 0;
    rx.answer = () => (++n <= 2 ? 500 : 200);
    const requestId = await createRequest(
      s,
      task('t1', notification('URL', 'cb', `${rx.base}/flaky`, 'x')) + task('t2', notification('URL', 'cb', `${rx.base}/flaky`, 'x')),
    );
    await rx.waitDelivered(2);
    await new Promise((r) => setTimeout(r, 700)); // time for any duplicate to show up
    const ok = rx.calls.filter((c) => c.status === 200);
    const ids = ok.map((c) => c.headers['x-segl-delivery-id']);
    expect(new Set(ids).size).toBe(2);
    expect(ok).toHaveLength(2);
    const attempts = rx.calls.map((c) => [c.headers['x-segl-delivery-id'], c.headers['x-segl-attempt'], c.status]);
    expect(attempts.filter((a) => a[2] === 500)).toHaveLength(2);
    // each failed attempt was followed by the next attempt number for the same delivery
    for (const id of new Set(ids)) {
      const mine = attempts.filter((a) => a[0] === id).map((a) => Number(a[1]));
      expect(mine).toEqual(mine.map((_, i) => i + 1));
    }
    const log = await eventually(
      async () => {
        const l = await s.rt.outbox.log({ requestId });
        return l.every((d) => d.status === 'delivered') ? l : null;
      },
      5000,
      'both settled',
    );
    expect(log.map((d) => d.attempts).reduce((a, b) => a + b)).toBe(4);
  });

  test('after the last retry the delivery is dead-lettered: an error event and the delivery log say so', async () => {
    rx.answer = () => 503;
    const requestId = await createRequest(s, task('t1', notification('URL', 'cb', `${rx.base}/down`, 'x')));
    const [dead] = await eventually(
      async () => {
        const l = await s.rt.outbox.log({ requestId, status: 'dead' });
        return l.length ? l : null;
      },
      10_000,
      'dead letter',
    );
    expect(dead!.attempts).toBe(4); // the first try and the three retries of the schedule
    expect(rx.calls).toHaveLength(4);
    const h = await history(s, requestId, 't1');
    const err = h.find((e) => e.event === 'error');
    expect(err!.data).toMatch(/URL notification "cb" not delivered: HTTP 503 .*4 attempts, retries exhausted/);
    const auth = `Basic ${Buffer.from(`admin:${s.rt.adminPassword}`).toString('base64')}`;
    const res = await fetch(`${s.url}/admin/deliveries?status=dead&request_id=${requestId}`, { headers: { authorization: auth } });
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual([
      expect.objectContaining({ requestId, status: 'dead', attempts: 4, lastError: expect.stringContaining('HTTP 503') }),
    ]);
  });

  test('a redirect is not followed; it counts as a failed attempt', async () => {
    rx.answer = (c) => (c.url.pathname === '/moved' ? { status: 302, headers: { location: `${rx.base}/elsewhere` } } : 200);
    const requestId = await createRequest(s, task('t1', notification('URL', 'cb', `${rx.base}/moved`, 'x')));
    await eventually(async () => (await s.rt.outbox.log({ requestId, status: 'dead' })).length > 0, 10_000, 'dead letter');
    expect(rx.calls.every((c) => c.url.pathname === '/moved')).toBe(true);
    const [d] = await s.rt.outbox.log({ requestId });
    expect(d!.lastError).toContain('redirects are not followed (Location:');
  });

  test('a receiver that is down during the event gets the delivery once it is up', async () => {
    const down = await startReceiver();
    const port = down.port;
    await down.close(); // the port is closed now: connection refused
    const requestId = await createRequest(s, task('t1', notification('URL', 'cb', `http://127.0.0.1:${port}/late`, 'x')));
    await eventually(async () => ((await s.rt.outbox.log({ requestId }))[0]?.attempts ?? 0) >= 1, 5000, 'a failed attempt');
    const up = await startReceiver(port);
    try {
      const [call] = await up.waitDelivered(1, 10_000);
      expect(call!.url.searchParams.get('requestId')).toBe(requestId);
      expect(Number(call!.headers['x-segl-attempt'])).toBeGreaterThan(1);
    } finally {
      await up.close();
    }
  });

  test('request-level notifications fire when the whole request completes, without a taskId', async () => {
    const requestId = await createRequest(s, task('a', '') + task('b', ''), notification('URL', 'done', `${rx.base}/done`, 'x'));
    const account = await svc(s);
    await s.rt.documents.signer.completeTask(account, requestId, 'a');
    await new Promise((r) => setTimeout(r, 400));
    expect(rx.calls.filter((c) => c.url.pathname === '/done')).toHaveLength(0);
    await s.rt.documents.signer.completeTask(account, requestId, 'b');
    const [call] = await rx.waitDelivered(1);
    expect(call!.url.pathname).toBe('/done');
    expect(call!.url.searchParams.get('requestId')).toBe(requestId);
    expect(call!.url.searchParams.has('taskId')).toBe(false);
  });

  test('task-completed and task-rejected notifications; disableTask sends the deleted ones', async () => {
    const on = (state: string, p: string) =>
      notification('URL', `on-${state}`, `${rx.base}/${p}`, 'x', { schedule: [`<state-is>${state}</state-is>`] });
    const requestId = await createRequest(
      s,
      task('a', on('completed', 'completed')) + task('b', on('rejected', 'rejected')) + task('c', on('deleted', 'deleted')),
    );
    const account = await svc(s);
    await s.rt.documents.signer.completeTask(account, requestId, 'a');
    await s.rt.documents.signer.rejectTask(account, requestId, 'b', 'no thanks');
    await s.rt.documents.requests.disableTask(account, requestId, 'c');
    const calls = await rx.waitDelivered(3);
    expect(calls.map((c) => `${c.url.pathname}:${c.url.searchParams.get('taskId')}`).sort()).toEqual([
      '/completed:a',
      '/deleted:c',
      '/rejected:b',
    ]);
  });
});

describe('Redis losing its data, and a worker killed mid-delivery (sqlite)', () => {
  let s: TestServer;
  let rx: Receiver;
  beforeAll(async () => {
    rx = await startReceiver();
    // REDIS_URL empty: this server gets a private Redis that the test may flush
    s = await startServer('sqlite', { ...FAST, SEGL_CALLBACK_ALLOW: '127.0.0.1', REDIS_URL: '' });
  });
  afterAll(async () => {
    await s.stop();
    await rx.close();
  });

  test('FLUSHALL after the state change and before delivery: the relay re-drives from the outbox and it is delivered', async () => {
    const requestId = await createRequest(s, task('t1', notification('URL', 'cb', `${rx.base}/after-flush`, 'x')));
    await eventually(async () => (await s.rt.outbox.log({ requestId }))[0]?.status === 'queued', 5000, 'queued');
    expect(await s.rt.queues.byName['segl-callback'].getJobCounts('waiting')).toEqual({ waiting: 1 });
    await s.rt.redis.flushall();
    expect(await s.rt.queues.byName['segl-callback'].getJobCounts('waiting')).toEqual({ waiting: 0 });
    await s.rt.startWorkers();
    const [call] = await rx.waitDelivered(1, 10_000);
    expect(call!.url.searchParams.get('requestId')).toBe(requestId);
    expect(s.rt.relay.stats.redriven).toBeGreaterThanOrEqual(1);
    await eventually(async () => (await s.rt.outbox.log({ requestId }))[0]?.status === 'delivered', 5000, 'delivered');
  });

  test('a worker process killed with SIGKILL while delivering: a restarted worker delivers', async () => {
    await s.rt.workers?.close(); // from here on, only worker processes deliver
    rx.calls.length = 0;
    const env = {
      ...process.env,
      DATA_DIR: s.dataDir,
      LOG_LEVEL: 'silent',
      REDIS_URL: s.rt.redisHandle.url,
      SEGL_QUEUE_PREFIX: s.rt.queues.prefix,
      SEGL_DEMO_PASSWORD: 'demo-password-1',
      ...FAST,
      SEGL_CALLBACK_ALLOW: '127.0.0.1',
    };
    const spawnWorker = () => execFile(process.execPath, [path.join(REPO, 'bin', 'segl.js'), 'worker'], { env });
    let first = true;
    rx.answer = () => (first ? 'hang' : 200); // the first call never gets an answer
    const w1 = spawnWorker();
    const requestId = await createRequest(s, task('t1', notification('URL', 'cb', `${rx.base}/killed`, 'x')));
    await eventually(async () => rx.calls.length >= 1, 15_000, 'the first worker calling');
    w1.kill('SIGKILL');
    await new Promise((r) => w1.once('exit', r));
    first = false;
    const w2 = spawnWorker();
    try {
      const [call] = await rx.waitDelivered(1, 20_000);
      expect(call!.url.searchParams.get('requestId')).toBe(requestId);
      await eventually(async () => (await s.rt.outbox.log({ requestId }))[0]?.status === 'delivered', 10_000, 'delivered');
      const ok = rx.calls.filter((c) => c.status === 200);
      expect(ok).toHaveLength(1);
    } finally {
      w2.kill('SIGTERM');
      await new Promise((r) => w2.once('exit', r));
    }
  });
});

describe('callback safety (no deployment-wide allowlist for loopback)', () => {
  let s: TestServer;
  let rx: Receiver;
  const names: Record<string, string> = { 'rebind.test': '127.0.0.1', 'meta.test': '169.254.169.254', 'public.test': '93.184.216.34' };
  beforeAll(async () => {
    rx = await startReceiver();
    s = await startServer(
      'sqlite',
      { ...FAST, SEGL_CALLBACK_ALLOW: '*.test' },
      {
        worker: true,
        resolve: async (h) => (names[h] ? [{ address: names[h]!, family: 4 }] : []),
      },
    );
    await s.rt.services.create('shop', 'shop-password-1');
  });
  afterAll(async () => {
    await s.stop();
    await rx.close();
  });

  const refusedWith = async (recipient: string, service = 'demo', password = s.demoPassword) => {
    const requestId = await createRequest(s, task('t1', notification('URL', 'cb', recipient, 'x')), '', service, password);
    const [d] = await eventually(
      async () => {
        const l = await s.rt.outbox.log({ requestId, status: 'dead' });
        return l.length ? l : null;
      },
      5000,
      `refusal of ${recipient}`,
    );
    expect(d!.attempts).toBe(1); // refused at once, never retried
    const h = await history(s, requestId, 't1', service);
    expect(h.find((e) => e.event === 'error')!.data).toContain('not retried');
    return d!.lastError!;
  };

  test('loopback, private and link-local destinations are refused and recorded; nothing is called', async () => {
    expect(await refusedWith(`${rx.base}/x`)).toContain(`127.0.0.1:${rx.port} is not on the callback allowlist`);
    expect(await refusedWith('http://10.1.2.3/x')).toContain('10.1.2.3:80 is not on the callback allowlist');
    expect(await refusedWith('http://169.254.169.254/latest/meta-data')).toContain('not on the callback allowlist');
    // allowed by a wildcard name, but the name points inside: refused
    expect(await refusedWith(`http://rebind.test:${rx.port}/x`)).toContain(
      'rebind.test resolves to 127.0.0.1, a private/loopback/link-local address',
    );
    expect(await refusedWith('http://meta.test/x')).toContain('resolves to 169.254.169.254');
    expect(rx.calls).toHaveLength(0);
  });

  test('a service allowlist set with `segl service set --callback-allow` opens exactly that destination', async () => {
    const env = { ...process.env, DATA_DIR: s.dataDir, LOG_LEVEL: 'silent' };
    const cli = (...args: string[]) => exec(process.execPath, [path.join(REPO, 'bin', 'segl.js'), ...args], { env });
    await expect(cli('service', 'set', 'shop', '--callback-allow', 'not a host!')).rejects.toMatchObject({
      stderr: expect.stringContaining('is not an allowlist pattern'),
    });
    expect((await cli('service', 'set', 'shop', '--callback-allow', `127.0.0.1:${rx.port}`)).stdout).toBe(
      `callback allowlist of shop: 127.0.0.1:${rx.port}\n`,
    );
    expect((await cli('service', 'show', 'shop')).stdout).toMatch(
      /callback-allow: {2}127\.0\.0\.1:\d+\nwebhook secret: {2}whsec_[A-Za-z0-9+/=]{32}\n/,
    );
    await new Promise((r) => setTimeout(r, 2100)); // the service row cache (2 s) of the running server
    const requestId = await createRequest(s, task('t1', notification('URL', 'cb', `${rx.base}/shop`, 'x')), '', 'shop', 'shop-password-1');
    const [call] = await rx.waitDelivered(1);
    expect(call!.url.searchParams.get('requestId')).toBe(requestId);
    // the demo service's list is its own: still refused there
    expect(await refusedWith(`${rx.base}/demo`)).toContain('not on the callback allowlist');
  });
});

/** Undoes quoted-printable soft line breaks and the escaped '=' (enough for ASCII bodies). */
const qp = (raw: string) => raw.replace(/=\r?\n/g, '').replace(/=3D/g, '=');

describe('e-mail and SMS (sqlite)', () => {
  let s: TestServer;
  let smtp: SMTPServer;
  const mails: Array<{ from: string; to: string[]; raw: string }> = [];
  beforeAll(async () => {
    smtp = new SMTPServer({
      authOptional: true,
      disabledCommands: ['STARTTLS'],
      onData(stream, session, cb) {
        let raw = '';
        stream.setEncoding('utf8');
        stream.on('data', (c: string) => {
          raw += c;
        });
        stream.on('end', () => {
          mails.push({
            from: (session.envelope.mailFrom as { address: string }).address,
            to: session.envelope.rcptTo.map((r) => r.address),
            raw,
          });
          cb();
        });
      },
    });
    await new Promise<void>((r) => smtp.listen(0, '127.0.0.1', r));
    const port = (smtp.server.address() as { port: number }).port;
    s = await startServer('sqlite', { ...FAST, SMTP_URL: `smtp://127.0.0.1:${port}` }, { worker: true });
  });
  afterAll(async () => {
    await s.stop();
    await new Promise<void>((r) => smtp.close(() => r()));
  });

  test('an e-mail through SMTP: sender → From, header → Subject, message with ${taskUrl} expanded', async () => {
    const requestId = await createRequest(
      s,
      task(
        't1',
        notification('EMAIL', 'mail', 'signer@example.com', 'Please sign: ${taskUrl} (request ${requestId}, task ${taskId})', {
          sender: 'Acme <noreply@acme.example>',
          header: 'Sign the contract',
        }),
      ),
    );
    const mail = await eventually(async () => mails.find((m) => qp(m.raw).includes(requestId)), 10_000, 'the mail');
    expect(mail.to).toEqual(['signer@example.com']);
    expect(mail.from).toBe('noreply@acme.example');
    expect(mail.raw).toMatch(/^From: Acme <noreply@acme\.example>$/m);
    expect(mail.raw).toMatch(/^Subject: Sign the contract$/m);
    const body = qp(mail.raw);
    expect(body).toContain(`Please sign: ${s.url}/std/docaction/demo?request_id=${requestId}&task_id=t1 (request ${requestId}, task t1)`);
    const h = await eventually(
      async () => {
        const x = await history(s, requestId, 't1');
        return x.some((e) => e.event === 'notification-sent') ? x : null;
      },
      5000,
      'event',
    );
    expect(h.find((e) => e.event === 'notification-sent')!.data).toContain('EMAIL notification "mail" sent to signer@example.com via smtp');
  });

  test('a task that authenticates by artifact gets a fresh artifact in ${taskUrl}', async () => {
    const t = `<task id="t1">${action}${notification('EMAIL', 'mail', 'a@example.com', 'Go: ${taskUrl}')}<authentication artifact="true"><method>nemid</method></authentication></task>`;
    const requestId = await createRequest(s, t);
    const mail = await eventually(async () => mails.find((m) => qp(m.raw).includes(requestId)), 10_000, 'the mail');
    const body = qp(mail.raw);
    expect(body).toMatch(new RegExp(`task_id=t1&artifact=[A-Za-z0-9_-]{20,}`));
  });

  test('an SMS without a gateway goes to the dev outbox, placeholders expanded; the dev page lists it', async () => {
    const requestId = await createRequest(
      s,
      task('t1', notification('SMS', 'sms', '+4712345678', 'Sign here: ${taskUrl}', { sender: 'Acme' })),
    );
    const dir = path.join(s.dataDir, 'outbox', 'sms');
    const file = await eventually(
      async () => {
        try {
          return readdirSync(dir)
            .map((f) => JSON.parse(readFileSync(path.join(dir, f), 'utf8')))
            .find((m) => String(m.text).includes(requestId));
        } catch {
          return undefined;
        }
      },
      10_000,
      'the SMS file',
    );
    expect(file).toMatchObject({
      to: '+4712345678',
      from: 'Acme',
      text: `Sign here: ${s.url}/std/docaction/demo?request_id=${requestId}&task_id=t1`,
    });
    // the dev outbox shows every tenant's messages: admin login only
    expect((await fetch(`${s.url}/dev/outbox.json`)).status).toBe(401);
    const admin = { authorization: `Basic ${Buffer.from(`admin:${s.rt.adminPassword}`).toString('base64')}` };
    const page = (await (await fetch(`${s.url}/dev/outbox.json`, { headers: admin })).json()) as {
      sms: Array<{ to: string; text: string }>;
    };
    expect(page.sms.some((m) => m.text.includes(requestId))).toBe(true);
  });

  test('an SMS recipient that is not E.164 is refused at createRequest with a fault naming it', async () => {
    const r = await post(
      s.endpoint,
      envelope(
        `<create-request-request xmlns="${NS}"><service>demo</service><password>${s.demoPassword}</password><request>${doc}${task('t1', notification('SMS', 'sms', '004712345678', 'x'))}</request></create-request-request>`,
      ),
    );
    expect(faultString(r.text)).toBe('request[0]/task[0]/notification[0]/recipient: must be an E.164 phone number such as +4712345678');
  });
});

describe('schedules, reminders and expiry with the test clock (sqlite)', () => {
  let s: TestServer;
  let rx: Receiver;
  let auth: string;
  beforeAll(async () => {
    rx = await startReceiver();
    s = await startServer('sqlite', { ...FAST, SEGL_CALLBACK_ALLOW: '127.0.0.1', SEGL_TEST_CLOCK: '1' }, { worker: true });
    auth = `Basic ${Buffer.from(`admin:${s.rt.adminPassword}`).toString('base64')}`;
  });
  afterAll(async () => {
    await s.stop();
    await rx.close();
  });
  beforeEach(() => {
    rx.calls.length = 0;
  });

  const advance = async (by: string) => {
    const res = await fetch(`${s.url}/admin/clock/advance?by=${by}`, { method: 'POST', headers: { authorization: auth } });
    expect(res.status).toBe(200);
    return res.json() as Promise<{ now: string; expired: number; requests: number; cpr: number }>;
  };
  const settle = () => new Promise((r) => setTimeout(r, 600));
  const localTime = (iso: string, zone: string) =>
    new Intl.DateTimeFormat('en-GB', { timeZone: zone, hour: '2-digit', minute: '2-digit', hourCycle: 'h23' }).format(new Date(iso));

  test('a reminder 2 days on at 09:00 Europe/Oslo goes once, at that local time; one whose task completes first is cancelled', async () => {
    const reminder = (p: string) =>
      notification('URL', 'remind', `${rx.base}/${p}`, 'x', {
        schedule: ['<state-is>created</state-is><wait days="2"/><time-of-day>09:00</time-of-day><timezone>Europe/Oslo</timezone>'],
      });
    const t0 = s.rt.clock.now().getTime();
    const open = await createRequest(s, task('t1', reminder('remind-open')));
    const done = await createRequest(s, task('t1', reminder('remind-done')));
    await s.rt.documents.signer.completeTask(await svc(s), done, 't1');
    const [row] = await s.rt.outbox.log({ requestId: open });
    expect(localTime(row!.dueAt, 'Europe/Oslo')).toBe('09:00');
    const due = Date.parse(row!.dueAt);
    expect(due).toBeGreaterThanOrEqual(t0 + 2 * DAY);
    expect(due).toBeLessThan(t0 + 3 * DAY);
    expect((await s.rt.outbox.log({ requestId: done }))[0]).toMatchObject({
      status: 'cancelled',
      lastError: 'the task left the state that triggered it',
    });

    await advance('1d');
    await settle();
    expect(rx.calls).toHaveLength(0);
    // just before it is due: still nothing
    const left = due - s.rt.clock.now().getTime();
    await advance(`${Math.floor(left / 1000) - 5}s`);
    await settle();
    expect(rx.calls).toHaveLength(0);
    await advance('10s');
    const [call] = await rx.waitDelivered(1, 5000);
    expect(call!.url.pathname).toBe('/remind-open');
    await advance('3d');
    await settle();
    expect(rx.calls).toHaveLength(1);
    expect(rx.calls.some((c) => c.url.pathname === '/remind-done')).toBe(false);
  });

  test('days-to-live runs out: the task expires and its expired notification is sent', async () => {
    const onExpired = notification('URL', 'exp', `${rx.base}/expired`, 'x', { schedule: ['<state-is>expired</state-is>'] });
    const requestId = await createRequest(s, task('t1', onExpired, 1));
    const st = async () => (await s.rt.documents.requests.getStatus(await svc(s), [requestId]))[0]!.taskStatus;
    expect(await st()).toBe('created');
    const r = await advance('1d');
    expect(r.expired).toBeGreaterThanOrEqual(1);
    expect(await st()).toBe('expired');
    const [call] = await rx.waitDelivered(1, 5000);
    expect(call!.url.pathname).toBe('/expired');
    expect(call!.url.searchParams.get('taskId')).toBe('t1');
    const h = await history(s, requestId, 't1');
    expect(h.find((e) => e.event === 'error')!.data).toMatch(/^task expired: its days-to-live ran out at /);
  });

  test('days-until-deletion: the timers delete the request and its deleted notifications fire; unused CPR numbers go after 3 months', async () => {
    const onDeleted = notification('URL', 'del', `${rx.base}/deleted`, 'x', { schedule: ['<state-is>deleted</state-is>'] });
    const requestId = await createRequest(s, task('t1', onDeleted, 1), '<days-until-deletion>1</days-until-deletion>');
    const now = () => s.rt.clock.now().toISOString();
    await s.rt.cpr.remember('PID:9208-2002-2-111111111111', '0101701234', now());
    await s.rt.cpr.remember('PID:9208-2002-2-222222222222', '0202702345', now());
    await advance('1d'); // expired first (days-to-live 1)
    rx.calls.length = 0;
    const r = await advance('1d'); // one day after expiry: deleted
    expect(r).toMatchObject({ requests: 1 });
    expect((await s.rt.documents.requests.getStatus(await svc(s), [requestId]))[0]!.taskStatus).toBe('deleted');
    const [call] = await rx.waitDelivered(1, 5000);
    expect(call!.url.pathname).toBe('/deleted');
    // a CPR number used 60 days from now survives the purge at day 93; the other goes
    await advance('60d');
    expect(await s.rt.cpr.use('PID:9208-2002-2-111111111111', now())).toBe('0101701234');
    const purged = await advance('33d');
    expect(purged).toMatchObject({ cpr: 1 });
    expect(await s.rt.cpr.use('PID:9208-2002-2-222222222222', now())).toBeUndefined();
    expect(await s.rt.cpr.use('PID:9208-2002-2-111111111111', now())).toBe('0101701234');
  });

  test('disableNotification stops a reminder before it is due', async () => {
    const requestId = await createRequest(
      s,
      task('t1', notification('URL', 'nag', `${rx.base}/nag`, 'x', { schedule: ['<state-is>created</state-is><wait hours="5"/>'] })),
    );
    await s.rt.documents.requests.disableNotification(await svc(s), requestId, 't1', ['nag']);
    expect((await s.rt.outbox.log({ requestId }))[0]).toMatchObject({ status: 'cancelled', lastError: 'notification disabled' });
    await advance('6h');
    await settle();
    expect(rx.calls).toHaveLength(0);
  });

  test('the clock only moves with admin credentials, forward, by a valid duration', async () => {
    expect((await fetch(`${s.url}/admin/clock/advance?by=1d`, { method: 'POST' })).status).toBe(401);
    const bad = await fetch(`${s.url}/admin/clock/advance?by=tomorrow`, { method: 'POST', headers: { authorization: auth } });
    expect(bad.status).toBe(400);
    expect(await bad.text()).toBe('by must be a duration such as 90s, 30m, 2h or 3d (?by=2d)\n');
    const before = s.rt.clock.now().getTime();
    expect((await fetch(`${s.url}/admin/clock/advance?by=-1d`, { method: 'POST', headers: { authorization: auth } })).status).toBe(400);
    expect(s.rt.clock.now().getTime() - before).toBeLessThan(1000);
  });

  test('a bad schedule is refused at createRequest with a fault naming the element and the rule', async () => {
    const bad = notification('URL', 'n', `${rx.base}/x`, 'x', { schedule: ['<state-is>created</state-is><time-of-day>9am</time-of-day>'] });
    const r = await post(
      s.endpoint,
      envelope(
        `<create-request-request xmlns="${NS}"><service>demo</service><password>${s.demoPassword}</password><request>${doc}${task('t1', bad)}</request></create-request-request>`,
      ),
    );
    expect(faultString(r.text)).toBe(
      'request[0]/task[0]/notification[0]/schedule[0]/time-of-day: must be HH:MM or HH:MM-HH:MM (24-hour), e.g. 09:00 or 08:00-16:00',
    );
  });

  test('/metrics and Bull Board sit behind admin auth and report deliveries', async () => {
    expect((await fetch(`${s.url}/metrics`)).status).toBe(401);
    const m = await (await fetch(`${s.url}/metrics`, { headers: { authorization: auth } })).text();
    expect(m).toMatch(/segl_deliveries_total\{channel="URL",outcome="delivered"\} [1-9]/);
    expect(m).toMatch(/segl_outbox_deliveries\{status="cancelled"\} [1-9]/);
    expect(m).toMatch(/segl_queue_jobs\{queue="segl-callback",state="waiting"\} \d+/);
    expect((await fetch(`${s.url}/admin/queues`)).status).toBe(401);
    const board = await fetch(`${s.url}/admin/queues`, { headers: { authorization: auth } });
    expect(board.status).toBe(200);
    expect(await board.text()).toContain('<title>');
  });
});

// The notification transports against real peers: an smtp-server SMTPServer, a node:http SMS
// gateway, and the dev outbox router in a real express app. No mocks.
import { readdirSync, readFileSync, mkdtempSync, rmSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import express from 'express';
import { SMTPServer, type SMTPServerOptions } from 'smtp-server';
import { decodeEncodedWords, devOutboxRouter, parseEml } from '../../src/notify/devoutbox';
import { emailSenderFrom, OUTBOX_EML_NAME, OutboxEmailSender, SmtpEmailSender } from '../../src/notify/email';
import { PermanentDeliveryError } from '../../src/notify/errors';
import { HttpSmsSender, isE164, OUTBOX_SMS_NAME, OutboxSmsSender, smsSenderFrom } from '../../src/notify/sms';
import { readBody } from '../support/http';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/** The error `p` rejects with (fails the test when it resolves). */
async function failure(p: Promise<unknown>): Promise<Error & { permanent?: boolean; status?: number }> {
  try {
    await p;
  } catch (e) {
    return e as Error;
  }
  throw new Error('expected a failure');
}

// ---------------------------------------------------------------- SMTP

interface Received {
  from: string;
  to: string[];
  raw: Buffer;
}
interface Smtp {
  port: number;
  received: Received[];
  connections: number;
  close(): Promise<void>;
}

async function startSmtp(extra: Partial<SMTPServerOptions> = {}): Promise<Smtp> {
  const received: Received[] = [];
  const state = { connections: 0 };
  const server = new SMTPServer({
    authOptional: true,
    allowInsecureAuth: true,
    disabledCommands: ['STARTTLS'],
    closeTimeout: 500,
    logger: false,
    onConnect(_session, cb) {
      state.connections++;
      cb();
    },
    onData(stream, session, cb) {
      const parts: Buffer[] = [];
      stream.on('data', (c: Buffer) => parts.push(c));
      stream.on('end', () => {
        received.push({
          from: session.envelope.mailFrom ? session.envelope.mailFrom.address : '',
          to: session.envelope.rcptTo.map((a) => a.address),
          raw: Buffer.concat(parts),
        });
        cb();
      });
    },
    ...extra,
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.server.address() as AddressInfo).port,
    received,
    get connections() {
      return state.connections;
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

const rejectRcpt = (code: number, text: string): Partial<SMTPServerOptions> => ({
  onRcptTo(_address, _session, cb) {
    cb(Object.assign(new Error(text), { responseCode: code }));
  },
});

describe('SmtpEmailSender against smtp-server', () => {
  const closers: Array<() => Promise<void>> = [];
  afterAll(async () => {
    for (const c of closers.reverse()) await c();
  });

  async function setup(extra: Partial<SMTPServerOptions> = {}, auth = '') {
    const smtp = await startSmtp(extra);
    const sender = new SmtpEmailSender({ url: `smtp://${auth}127.0.0.1:${smtp.port}`, timeoutMs: 5000 });
    closers.push(
      () => smtp.close(),
      () => sender.close(),
    );
    return { smtp, sender };
  }

  test('delivers From, To, a non-ASCII Subject, the body and extra headers; the pool reuses its connection', async () => {
    const { smtp, sender } = await setup();
    expect(sender.kind).toBe('smtp');
    const text = 'Hei Åse,\n\nvennligst signér dokumentet: https://sign.example.test/t/abc?x=1&y=2\n\nHilsen segl';
    const r = await sender.send({
      from: 'segl <noreply@segl.example>',
      to: 'Åse Ødegård <ase@example.no>',
      subject: 'Signér dokumentet',
      text,
      headers: { 'X-Segl-Notification': 'n-42' },
    });
    expect(r.messageId).toMatch(/^<.+@.+>$/);
    await sender.send({ from: 'noreply@segl.example', to: 'bob@example.no', subject: 'second', text: 'two' });

    expect(smtp.received).toHaveLength(2);
    const first = smtp.received[0]!;
    expect(first.from).toBe('noreply@segl.example');
    expect(first.to).toEqual(['ase@example.no']);
    const mail = parseEml(first.raw);
    expect(decodeEncodedWords(mail.headers.get('subject')!)).toBe('Signér dokumentet');
    expect(decodeEncodedWords(mail.headers.get('to')!)).toContain('Åse Ødegård');
    expect(mail.headers.get('to')).toContain('<ase@example.no>');
    expect(mail.headers.get('from')).toBe('segl <noreply@segl.example>');
    expect(mail.headers.get('message-id')).toBe(r.messageId);
    expect(mail.headers.get('x-segl-notification')).toBe('n-42');
    expect(mail.body.replace(/\r\n/g, '\n').trimEnd()).toBe(text);
    expect(smtp.received[1]!.to).toEqual(['bob@example.no']);
    expect(smtp.connections).toBe(1);
  });

  test('a 550 rejection of the recipient is a PermanentDeliveryError', async () => {
    const { sender } = await setup(rejectRcpt(550, 'No such user here'));
    const e = await failure(sender.send({ from: 'a@segl.example', to: 'nobody@example.no', subject: 's', text: 't' }));
    expect(e).toBeInstanceOf(PermanentDeliveryError);
    expect(e.permanent).toBe(true);
    expect(e.message).toContain('550');
  });

  test('a 451 rejection is an ordinary (temporary) error', async () => {
    const { sender } = await setup(rejectRcpt(451, 'Greylisted, try again later'));
    const e = await failure(sender.send({ from: 'a@segl.example', to: 'later@example.no', subject: 's', text: 't' }));
    expect(e).toBeInstanceOf(Error);
    expect(e).not.toBeInstanceOf(PermanentDeliveryError);
    expect(e.permanent).toBeUndefined();
    expect(e.message).toContain('451');
  });

  test('the password of the SMTP URL never appears in an error, even when the server echoes it', async () => {
    const password = 's3cr3t:p@ss/w%rd';
    const { sender } = await setup(
      {
        onAuth(auth, _session, cb) {
          cb(new Error(`wrong credentials ${auth.username}/${auth.password}`));
        },
      },
      `mailer:${encodeURIComponent(password)}@`,
    );
    const e = await failure(sender.send({ from: 'a@segl.example', to: 'b@example.no', subject: 's', text: 't' }));
    expect(e.message).toContain('wrong credentials mailer/[redacted]');
    expect(e.message).not.toContain(password);
    expect(e.message).not.toContain(encodeURIComponent(password));
    expect(e.stack ?? '').not.toContain(password);

    // nobody listening: a connection failure, temporary, and no password either
    const closed = await startSmtp();
    await closed.close();
    const down = new SmtpEmailSender({ url: `smtp://mailer:${encodeURIComponent(password)}@127.0.0.1:${closed.port}`, timeoutMs: 2000 });
    const e2 = await failure(down.send({ from: 'a@segl.example', to: 'b@example.no', subject: 's', text: 't' }));
    await down.close();
    expect(e2).not.toBeInstanceOf(PermanentDeliveryError);
    expect(e2.message).not.toContain(password);
  });

  test('only smtp:// and smtps:// URLs are taken, and the refusal does not repeat the URL', () => {
    expect(() => new SmtpEmailSender({ url: 'http://u:hunter2@mail.example' })).toThrow(/smtp:\/\/ or smtps:\/\//);
    expect(() => new SmtpEmailSender({ url: 'http://u:hunter2@mail.example' })).not.toThrow(/hunter2/);
  });
});

// ---------------------------------------------------------------- outboxes and the dev page

describe('outbox senders and the dev outbox page', () => {
  let dir: string;
  let mailDir: string;
  let smsDir: string;
  let server: http.Server;
  let base: string;

  beforeAll(async () => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'segl-outbox-'));
    mailDir = path.join(dir, 'mail'); // created by the first send
    smsDir = path.join(dir, 'sms');
    const app = express();
    // the page itself; its admin login (required by runtime) is tested in admin.test.ts
    app.use(devOutboxRouter({ mailDir, smsDir, auth: (_req, _res, next) => next() }));
    server = app.listen(0, '127.0.0.1');
    await new Promise<void>((resolve) => server.once('listening', () => resolve()));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    await new Promise<void>((resolve) => server.close(() => resolve()));
    rmSync(dir, { recursive: true, force: true });
  });

  test('an empty (missing) outbox lists nothing', async () => {
    const r = await fetch(`${base}/dev/outbox.json`);
    expect(r.status).toBe(200);
    expect(await r.json()).toEqual({ mails: [], sms: [] });
  });

  test('OutboxEmailSender writes one parseable .eml, which the page lists and serves', async () => {
    const sender = emailSenderFrom({ outboxDir: mailDir });
    expect(sender.kind).toBe('outbox');
    expect(sender).toBeInstanceOf(OutboxEmailSender);
    const older = await sender.send({ from: 'noreply@segl.example', to: 'first@example.no', subject: 'first', text: 'one' });
    await new Promise((r) => setTimeout(r, 5)); // a later time in the name
    const text = 'Linje 1 <b>fet</b>\nLinje 2 — æøå\nLinje 3';
    const { messageId } = await sender.send({
      from: 'segl <noreply@segl.example>',
      to: 'Åse <ase@example.no>',
      subject: 'Signér dokumentet <script>',
      text,
    });
    await sender.close();

    const files = readdirSync(mailDir);
    expect(files).toHaveLength(2); // no temporary files left
    for (const f of files) expect(f).toMatch(OUTBOX_EML_NAME);
    const newest = files.sort().at(-1)!;
    const raw = readFileSync(path.join(mailDir, newest));
    expect(raw.toString('latin1')).toContain('\r\n'); // RFC 5322 line ends
    const mail = parseEml(raw);
    expect(mail.headers.get('message-id')).toBe(messageId);
    expect(decodeEncodedWords(mail.headers.get('subject')!)).toBe('Signér dokumentet <script>');
    expect(mail.body.replace(/\r\n/g, '\n').trimEnd()).toBe(text);

    const list = (await (await fetch(`${base}/dev/outbox.json`)).json()) as { mails: Array<Record<string, string>> };
    expect(list.mails.map((m) => m.to)).toEqual(['Åse <ase@example.no>', 'first@example.no']); // newest first
    const m = list.mails[0]!;
    expect(m).toMatchObject({
      name: newest,
      from: 'segl <noreply@segl.example>',
      subject: 'Signér dokumentet <script>',
      href: `/dev/outbox/mail/${newest}`,
    });
    expect(m.preview).toBe(text);
    expect(new Date(m.time!).toISOString()).toBe(m.time);
    expect(older.messageId).not.toBe(messageId);

    const page = await fetch(`${base}/dev/outbox`);
    expect(page.headers.get('content-type')).toMatch(/^text\/html/);
    const html = await page.text();
    expect(html).toContain('Signér dokumentet &lt;script&gt;');
    expect(html).toContain('Linje 1 &lt;b&gt;fet&lt;/b&gt;');
    expect(html).not.toContain('<script>');
    expect(html).toContain(`href="/dev/outbox/mail/${newest}"`);

    const eml = await fetch(`${base}${m.href}`);
    expect(eml.status).toBe(200);
    expect(eml.headers.get('content-type')).toMatch(/^message\/rfc822/);
    expect(Buffer.from(await eml.arrayBuffer()).equals(raw)).toBe(true);
  });

  test('the mail route serves only outbox names: traversal, other files and unknown names are 404', async () => {
    const real = readdirSync(mailDir)[0]!; // a real file name, reached the wrong way below
    for (const p of [
      '..%2F..%2F..%2F..%2Fetc%2Fpasswd',
      `..%2Fmail%2F${real}`,
      '%2E%2E%2Fsecret.eml',
      'passwd',
      `${real}.bak`,
      '2024-01-01T000000.000Z-nothing-here.eml',
    ]) {
      const r = await fetch(`${base}/dev/outbox/mail/${p}`);
      expect([p, r.status]).toEqual([p, 404]);
      await r.arrayBuffer();
    }
  });

  test('OutboxSmsSender writes {id, from, to, text, at}, listed newest first on the page', async () => {
    const sender = smsSenderFrom({ outboxDir: smsDir, from: 'Segl' });
    expect(sender.kind).toBe('outbox');
    expect(sender).toBeInstanceOf(OutboxSmsSender);
    const a = await sender.send({ to: '+4791234567', text: 'Kode: 123456' });
    await new Promise((r) => setTimeout(r, 5));
    const b = await sender.send({ to: '+4798765432', from: 'Bank', text: 'Sign "this" <now>\nline 2' });
    await sender.close();
    expect(a.id).toMatch(UUID);

    const files = readdirSync(smsDir).sort();
    expect(files).toHaveLength(2);
    for (const f of files) expect(f).toMatch(OUTBOX_SMS_NAME);
    expect(files[0]!.endsWith(`-${a.id}.json`)).toBe(true);
    const rec = JSON.parse(readFileSync(path.join(smsDir, files[1]!), 'utf8')) as Record<string, string>;
    expect(rec).toEqual({ id: b.id, from: 'Bank', to: '+4798765432', text: 'Sign "this" <now>\nline 2', at: expect.any(String) });
    expect(new Date(rec.at!).toISOString()).toBe(rec.at);
    expect(JSON.parse(readFileSync(path.join(smsDir, files[0]!), 'utf8')).from).toBe('Segl');

    const list = (await (await fetch(`${base}/dev/outbox.json`)).json()) as { sms: Array<Record<string, string>> };
    expect(list.sms.map((s) => [s.id, s.from, s.to, s.text])).toEqual([
      [b.id, 'Bank', '+4798765432', 'Sign "this" <now>\nline 2'],
      [a.id, 'Segl', '+4791234567', 'Kode: 123456'],
    ]);
    const html = await (await fetch(`${base}/dev/outbox`)).text();
    expect(html).toContain('Sign &quot;this&quot; &lt;now&gt;');
    expect(html).toContain('+4791234567');
  });

  test('the outbox refuses a non-E.164 number and writes nothing', async () => {
    const before = readdirSync(smsDir).length;
    const e = await failure(new OutboxSmsSender({ dir: smsDir }).send({ to: '004791234567', text: 'x' }));
    expect(e).toBeInstanceOf(PermanentDeliveryError);
    expect(readdirSync(smsDir)).toHaveLength(before);
  });
});

// ---------------------------------------------------------------- HTTP SMS gateway

interface Hit {
  method: string;
  url: string;
  headers: http.IncomingHttpHeaders;
  body: string;
}
type Answer = (hit: Hit, res: http.ServerResponse) => void;

describe('HttpSmsSender against a node:http gateway', () => {
  const hits: Hit[] = [];
  let answer: Answer = (_h, res) => {
    res.writeHead(200, { 'content-type': 'application/json' }).end('{"id":"gw-1"}');
  };
  let server: http.Server;
  let base: string;
  const auth = 'Bearer gw-token-9f8e7d';

  beforeAll(async () => {
    server = http.createServer(async (req, res) => {
      const hit = { method: req.method!, url: req.url!, headers: req.headers, body: Buffer.from(await readBody(req)).toString('utf8') };
      hits.push(hit);
      answer(hit, res);
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });
  beforeEach(() => {
    hits.length = 0;
    answer = (_h, res) => {
      res.writeHead(200, { 'content-type': 'application/json' }).end('{"id":"gw-1"}');
    };
  });

  const tricky = 'He said "sign ${to}" \\ now\nline 2\ttab – æøå ✓ 😀 & a=b+c %20';

  test('JSON (default): values are JSON-escaped, Authorization arrives, the gateway id is returned', async () => {
    const sender = smsSenderFrom({ url: `${base}/sms`, authorization: auth, from: 'Segl', outboxDir: '/nonexistent' });
    expect(sender.kind).toBe('http');
    const r = await sender.send({ to: '+4791234567', text: tricky });
    expect(r).toEqual({ id: 'gw-1' });
    expect(hits).toHaveLength(1);
    const h = hits[0]!;
    expect(h.method).toBe('POST');
    expect(h.url).toBe('/sms');
    expect(h.headers['content-type']).toBe('application/json');
    expect(h.headers.authorization).toBe(auth);
    expect(JSON.parse(h.body)).toEqual({ to: '+4791234567', from: 'Segl', text: tricky });
  });

  test('form encoding with a custom template (Twilio style); without a JSON id a uuid is made', async () => {
    answer = (_h, res) => {
      res.writeHead(201, { 'content-type': 'text/plain' }).end('queued');
    };
    const sender = new HttpSmsSender({
      url: `${base}/2010-04-01/Messages`,
      contentType: 'application/x-www-form-urlencoded',
      bodyTemplate: 'To=${to}&From=${from}&Body=${text}',
      defaultFrom: '+4740000000',
    });
    const r = await sender.send({ to: '+4791234567', text: tricky });
    expect(r.id).toMatch(UUID);
    const h = hits[0]!;
    expect(h.headers['content-type']).toBe('application/x-www-form-urlencoded');
    expect(h.headers.authorization).toBeUndefined();
    expect(Object.fromEntries(new URLSearchParams(h.body))).toEqual({ To: '+4791234567', From: '+4740000000', Body: tricky });
  });

  test('GET with the placeholders in the URL, URL-encoded; message_id from the answer', async () => {
    answer = (_h, res) => {
      res.writeHead(200, { 'content-type': 'application/json' }).end('{"message_id":42}');
    };
    const sender = new HttpSmsSender({ url: `${base}/send?to=\${to}&sender=\${from}&msg=\${text}`, method: 'GET', authorization: auth });
    const r = await sender.send({ to: '+4791234567', from: 'Segl AS', text: tricky });
    expect(r).toEqual({ id: '42' });
    const h = hits[0]!;
    expect(h.method).toBe('GET');
    expect(h.body).toBe('');
    expect(h.headers.authorization).toBe(auth);
    const u = new URL(h.url, base);
    expect(u.pathname).toBe('/send');
    expect(Object.fromEntries(u.searchParams)).toEqual({ to: '+4791234567', sender: 'Segl AS', msg: tricky });
  });

  test('400 is permanent, and the Authorization value stays out of the error even when echoed', async () => {
    answer = (h, res) => {
      res
        .writeHead(400, { 'content-type': 'application/json' })
        .end(JSON.stringify({ error: 'bad number', auth: h.headers.authorization }));
    };
    const e = await failure(new HttpSmsSender({ url: `${base}/sms`, authorization: auth }).send({ to: '+4791234567', text: 'x' }));
    expect(e).toBeInstanceOf(PermanentDeliveryError);
    expect(e.message).toContain('400');
    expect(e.message).toContain('bad number');
    expect(e.message).not.toContain('gw-token-9f8e7d');
  });

  test.each([503, 500, 429, 408])('%i is a temporary error with the status', async (status) => {
    answer = (_h, res) => {
      res.writeHead(status).end('busy');
    };
    const e = await failure(new HttpSmsSender({ url: `${base}/sms` }).send({ to: '+4791234567', text: 'x' }));
    expect(e).not.toBeInstanceOf(PermanentDeliveryError);
    expect(e.status).toBe(status);
    expect(e.message).toContain(String(status));
  });

  test('a 302 is a failure and is not followed', async () => {
    answer = (h, res) => {
      if (h.url === '/moved') res.writeHead(302, { location: '/elsewhere' }).end();
      else res.writeHead(200, { 'content-type': 'application/json' }).end('{"id":"followed"}');
    };
    const e = await failure(new HttpSmsSender({ url: `${base}/moved` }).send({ to: '+4791234567', text: 'x' }));
    expect(e).not.toBeInstanceOf(PermanentDeliveryError);
    expect(e.message).toContain('302');
    expect(hits.map((h) => h.url)).toEqual(['/moved']);
  });

  test('a gateway that never answers times out as a temporary error', async () => {
    answer = () => {
      /* never answers; closeAllConnections in afterAll ends it */
    };
    const started = Date.now();
    const e = await failure(new HttpSmsSender({ url: `${base}/hang`, timeoutMs: 200 }).send({ to: '+4791234567', text: 'x' }));
    expect(Date.now() - started).toBeLessThan(5000);
    expect(e).not.toBeInstanceOf(PermanentDeliveryError);
    expect(e.message).toContain('did not answer within 200 ms');
  });

  test('a non-E.164 recipient is refused as permanent without any HTTP call', async () => {
    const sender = new HttpSmsSender({ url: `${base}/sms` });
    for (const to of ['4791234567', '+0791234567', '+47 91234567', '+47123', '+1234567890123456', '']) {
      const e = await failure(sender.send({ to, text: 'x' }));
      expect(e).toBeInstanceOf(PermanentDeliveryError);
    }
    expect(hits).toHaveLength(0);
    expect(isE164('+4791234567')).toBe(true);
    expect(isE164('+1234567')).toBe(true);
    expect(isE164('+123456789012345')).toBe(true);
  });

  test('a gateway URL must be http(s)', () => {
    expect(() => new HttpSmsSender({ url: 'ftp://gw.example/sms' })).toThrow(/http/);
    expect(() => new HttpSmsSender({ url: 'not a url?key=secret' })).toThrow(/not a valid URL/);
  });
});

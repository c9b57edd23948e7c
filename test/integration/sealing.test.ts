// Sealing as durable work, with real parts: segl with its worker in the process (`segl start`), a
// TSA reached over HTTP through a switch the test turns off (the port refuses connections) and on
// again, the filesystem blob store taken away and given back, a real callback receiver. The signer's
// act is recorded at once; the seal job is retried on the (short) schedule and completes exactly once
// after the TSA (the blob store) is back; the `completed` callback fires after sealing.
import { mkdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import type { ServiceAccount } from '../../src/core/ports';
import { generateKeys } from '../../src/trust/crypto';
import { eventually, startReceiver, type Receiver } from '../support/receiver';
import { databases, startServer, type TestServer } from '../support/server';
import { envelope, NS, post } from '../support/soap';
import { sealRows, waitSealed } from '../support/sign';

const FAST = {
  SEGL_CALLBACK_RETRY_SCHEDULE: '200ms,200ms,200ms',
  SEGL_RELAY_INTERVAL: '100ms',
  SEGL_RELAY_LEASE: '1s',
  SEGL_JOB_LOCK: '2s',
  SEGL_CALLBACK_ALLOW: '127.0.0.1',
  // the published schedule, shortened: 40 waits of 250 ms
  SEGL_SEAL_RETRY_SCHEDULE: Array.from({ length: 40 }, () => '250ms').join(','),
};

/** A TSA switch: forwards RFC 3161 queries to segl's own TSA while on; while off, its port refuses connections. */
interface TsaSwitch {
  url: string;
  target: string;
  queries: number;
  off(): Promise<void>;
  on(): Promise<void>;
  close(): Promise<void>;
}

async function startTsaSwitch(): Promise<TsaSwitch> {
  let server: http.Server | undefined;
  const sw: TsaSwitch = {
    url: '',
    target: '',
    queries: 0,
    on: async () => {
      if (server) return;
      const s = http.createServer((req, res) => {
        const parts: Buffer[] = [];
        req.on('data', (c: Buffer) => parts.push(c));
        req.on('end', () => {
          sw.queries++;
          void fetch(sw.target, {
            method: 'POST',
            headers: { 'content-type': 'application/timestamp-query' },
            body: Buffer.concat(parts),
          }).then(
            async (a) => res.writeHead(a.status, { 'content-type': 'application/timestamp-reply' }).end(Buffer.from(await a.arrayBuffer())),
            () => res.writeHead(502).end(),
          );
        });
      });
      const port = sw.url ? Number(new URL(sw.url).port) : 0;
      await new Promise<void>((resolve) => s.listen(port, '127.0.0.1', resolve));
      sw.url = `http://127.0.0.1:${(s.address() as AddressInfo).port}/tsa`;
      server = s;
    },
    off: async () => {
      const s = server;
      server = undefined;
      if (s) await new Promise<void>((resolve) => s.close(() => resolve()));
    },
    close: () => sw.off(),
  };
  await sw.on();
  return sw;
}

const doc = `<document xsi:type="provided-document" id="d" mime-type="text/plain"><description>contract</description><data>${Buffer.from('I agree to the loan').toString('base64')}</data></document>`;

describe.each(databases())('durable sealing (%s)', (db) => {
  let s: TestServer;
  let rx: Receiver;
  let tsa: TsaSwitch;
  let svc: ServiceAccount;

  beforeAll(async () => {
    rx = await startReceiver();
    tsa = await startTsaSwitch();
    s = await startServer(db, { ...FAST, SEGL_TSA_URL: tsa.url, SEGL_TEST_CLOCK: '1' }, { worker: true });
    tsa.target = `${s.url}/pki/tsa`;
    svc = (await s.rt.services.find('demo'))!;
  }, 60_000);
  afterAll(async () => {
    await s?.stop();
    await rx?.close();
    await tsa?.close();
  });

  /** A request whose task calls back at `${rx.base}/<name>` when it is completed. */
  async function newRequest(name: string, daysToLive?: number): Promise<string> {
    const note = `<notification type="URL" notification-id="done"><recipient>${rx.base}/${name}</recipient><message>x</message><schedule><state-is>completed</state-is></schedule></notification>`;
    const r = await post(
      s.endpoint,
      envelope(
        `<create-request-request xmlns="${NS}"><service>demo</service><password>${s.demoPassword}</password><request>${doc}<task id="t1">${daysToLive ? `<days-to-live>${daysToLive}</days-to-live>` : ''}<document-action type="sign"><document-ref>d</document-ref></document-action>${note}</task></request></create-request-request>`,
      ),
    );
    const id = /<request-id>([^<]+)</.exec(r.text)?.[1];
    if (!id) throw new Error(`createRequest failed: ${r.text}`);
    return id;
  }

  /** The signer's act as the portal records it: the native signature and the seal job. */
  async function sign(requestId: string): Promise<void> {
    const keys = await generateKeys();
    const certificate = await (
      await s.rt.ca()
    ).issuePerson({ commonName: 'Ann Berg', pid: '9208-2002-2-123456789012', publicKey: keys.publicKey });
    const input = { documentIds: ['d'], signer: { certificate, keys }, audit: [], defaultSignText: 'I agree.' };
    await s.rt.documents.signer.signTask(svc, requestId, 't1', input, await s.rt.signing());
  }

  const status = async (requestId: string) => (await s.rt.documents.requests.getStatus(svc, [requestId]))[0]!;
  const callsTo = (name: string) => rx.calls.filter((c) => c.url.pathname === `/${name}` && c.status === 200);

  test('a TSA that is down loses nothing: the act is recorded, the seal job is retried on the schedule, and once the TSA is back the task completes once, with one result and one completed callback after sealing', async () => {
    const requestId = await newRequest('tsa');
    await tsa.off();
    await sign(requestId);
    // retried while the TSA's port refuses: the act kept, the task open, no result, no callback
    const waiting = await eventually(
      async () => {
        const rows = await sealRows(s.rt, requestId, 't1');
        return rows[0] && rows[0].attempts >= 3 ? rows : null;
      },
      20_000,
      'three attempts of the seal job',
    );
    expect(waiting).toHaveLength(1);
    expect(['pending', 'queued']).toContain(waiting[0]!.status);
    expect(waiting[0]!.error).toMatch(/^sealing: .*\(attempt \d+\); next at /); // thrown by the TSA call: retried
    const before = await status(requestId);
    expect([before.taskStatus, before.documentStatus![0]!.resultUri]).toEqual(['created', undefined]);
    expect(await s.rt.documents.signer.sealState(svc, requestId, 't1')).toBe('sealing');
    const history = (await s.rt.documents.requests.getRequestHistory(svc, requestId, 't1')).map((e) => `${e.event} ${e.data ?? ''}`);
    expect(history).toContain('document-signed d: signed by the signer (native XAdES); being sealed');
    expect(callsTo('tsa')).toHaveLength(0);

    const tsaBack = Date.now();
    await tsa.on();
    const rows = await waitSealed(s.rt, requestId, 't1', { timeoutMs: 30_000 });
    expect(rows.map((r) => r.status)).toEqual(['done']);
    const after = await status(requestId);
    expect(after.taskStatus).toBe('completed');
    expect(after.documentStatus!.map((d) => d.resultUri)).toEqual([`${s.url}/doc/demo/order/${requestId}/t1/d/sdo`]);
    await eventually(async () => (callsTo('tsa').length === 1 ? true : null), 15_000, 'the completed callback');
    expect(callsTo('tsa')[0]!.url.searchParams.get('requestId')).toBe(requestId);
    // the package is the sealed LTV-SDO with the time-stamp the TSA gave once it was back
    const sdo = Buffer.from(
      await s.rt.blobs.getBytes((await s.rt.documents.requests.resultDocument(svc, requestId, 't1', 'd')).blobKey),
    ).toString();
    expect(sdo).toContain('<TimeStampToken>');
    expect(sdo).toMatch(/<InitialVerification [^>]*Indication="TOTAL-PASSED"/);
    // exactly once: later runs of any attempt do nothing, and no second callback comes
    for (let a = 0; a <= rows[0]!.attempts; a++)
      expect(await s.rt.sealing.run({ requestId, taskId: 't1', act: 0, attempts: a })).toBe('skipped');
    await new Promise((r) => setTimeout(r, 1500));
    expect(callsTo('tsa')).toHaveLength(1);
    // fired by the completion the seal job made: after the TSA came back, never while it was away
    expect(callsTo('tsa')[0]!.at).toBeGreaterThanOrEqual(tsaBack);
    const events = (await s.rt.documents.requests.getRequestHistory(svc, requestId, 't1')).map((e) => e.event);
    expect(events.filter((e) => e === 'document-signed')).toHaveLength(1);
    expect((await s.rt.documents.requests.getStatus(svc, [requestId]))[0]!.documentStatus).toHaveLength(1);
  }, 90_000);

  test('a blob store outage during sealing delays, never loses: the package is stored once the store is back', async () => {
    const requestId = await newRequest('blobs');
    await tsa.off(); // holds the job in its retries while the store goes away
    await sign(requestId);
    const blobs = path.join(s.dataDir, 'blobs');
    const away = `${blobs}.away`;
    renameSync(blobs, away);
    writeFileSync(blobs, 'not a directory'); // every write into the store fails (ENOTDIR), even as root
    try {
      await tsa.on();
      const failing = await eventually(
        async () => {
          const r = (await sealRows(s.rt, requestId, 't1'))[0];
          return r?.error?.includes('storing the sealed package failed') ? r : null;
        },
        20_000,
        'a seal attempt that could not store its package',
      );
      expect(['pending', 'queued']).toContain(failing.status);
      expect((await status(requestId)).taskStatus).toBe('created');
    } finally {
      rmSync(blobs, { force: true });
      renameSync(away, blobs);
      mkdirSync(blobs, { recursive: true });
    }
    expect((await waitSealed(s.rt, requestId, 't1', { timeoutMs: 30_000 })).map((r) => r.status)).toEqual(['done']);
    const after = await status(requestId);
    expect([after.taskStatus, after.documentStatus![0]!.resultUri !== undefined]).toEqual(['completed', true]);
    await eventually(async () => (callsTo('blobs').length === 1 ? true : null), 15_000, 'the completed callback');
  }, 90_000);
  test('when the schedule runs out the task fails: an error event, task-status failed, its failed callback; nothing half-stored', async () => {
    const t = await startServer(
      db,
      { ...FAST, SEGL_TSA_URL: 'http://127.0.0.1:9/tsa', SEGL_SEAL_RETRY_SCHEDULE: '200ms,200ms' },
      { worker: true },
    );
    try {
      const account = (await t.rt.services.find('demo'))!;
      const note = `<notification type="URL" notification-id="f"><recipient>${rx.base}/failed</recipient><message>x</message><schedule><state-is>failed</state-is></schedule></notification>`;
      const r = await post(
        t.endpoint,
        envelope(
          `<create-request-request xmlns="${NS}"><service>demo</service><password>${t.demoPassword}</password><request>${doc}<task id="t1"><document-action type="sign"><document-ref>d</document-ref></document-action>${note}</task></request></create-request-request>`,
        ),
      );
      const requestId = /<request-id>([^<]+)</.exec(r.text)![1]!;
      const keys = await generateKeys();
      const certificate = await (
        await t.rt.ca()
      ).issuePerson({ commonName: 'Bo Lind', pid: '9208-2002-2-123456789013', publicKey: keys.publicKey });
      const input = { documentIds: ['d'], signer: { certificate, keys }, audit: [], defaultSignText: 'I agree.' };
      await t.rt.documents.signer.signTask(account, requestId, 't1', input, await t.rt.signing());
      const rows = await waitSealed(t.rt, requestId, 't1', { timeoutMs: 30_000 });
      expect(rows.map((x) => [x.status, x.attempts])).toEqual([['failed', 3]]);
      expect(rows[0]!.error).toMatch(/\(attempt 3\); no attempts left$/);
      const st = (await t.rt.documents.requests.getStatus(account, [requestId]))[0]!;
      expect([st.taskStatus, st.documentStatus![0]!.resultUri]).toEqual(['failed', undefined]);
      const history = await t.rt.documents.requests.getRequestHistory(account, requestId, 't1');
      expect(history.filter((e) => e.event === 'error').map((e) => e.data)).toEqual([
        expect.stringMatching(/^the signature could not be sealed: /),
      ]);
      await eventually(async () => (callsTo('failed').length === 1 ? true : null), 15_000, 'the failed callback');
    } finally {
      await t.stop();
    }
  }, 90_000);
  test('a task under seal does not expire: its days-to-live run out while the TSA is away, and it is sealed and completed after', async () => {
    const signed = await newRequest('expiry', 1);
    const idle = await newRequest('idle', 1);
    await tsa.off();
    await sign(signed);
    await eventually(async () => ((await sealRows(s.rt, signed, 't1'))[0]?.attempts ?? 0) >= 1, 20_000, 'a first seal attempt');
    s.rt.clock.advance(2 * 86_400_000);
    await s.rt.runTimers();
    expect([(await status(signed)).taskStatus, (await status(idle)).taskStatus]).toEqual(['created', 'expired']);
    await tsa.on();
    expect((await waitSealed(s.rt, signed, 't1', { timeoutMs: 30_000 })).map((r) => r.status)).toEqual(['done']);
    expect((await status(signed)).taskStatus).toBe('completed');
  }, 90_000);
  test('Redis losing the seal jobs loses nothing: the relay queues them again from the seal_job rows (due, or queued past the lease)', async () => {
    const requestId = await newRequest('lost');
    await tsa.off();
    await sign(requestId);
    await eventually(async () => ((await sealRows(s.rt, requestId, 't1'))[0]?.attempts ?? 0) >= 1, 20_000, 'a first seal attempt');
    // every seal job gone from Redis (as after a flush), while the rows say pending or queued
    await s.rt.queues.seal.obliterate({ force: true });
    await tsa.on();
    expect((await waitSealed(s.rt, requestId, 't1', { timeoutMs: 30_000 })).map((r) => r.status)).toEqual(['done']);
    expect((await status(requestId)).taskStatus).toBe('completed');
    await eventually(async () => (callsTo('lost').length === 1 ? true : null), 15_000, 'the completed callback');
    expect(callsTo('lost')).toHaveLength(1);
  }, 90_000);
});

// The outbox's once-only rules, on the repository (issue 13 item 3): a job's run claims the job's
// queued rows (a second run of the same job gets nothing), only the claim's holder settles a row,
// the relay's re-queue leaves a freshly claimed row alone and gives back one whose claim is old, and
// settles that go together into one statement each keep their own outcome; a run whose rows wait for
// a send slot keeps them (its claim is renewed), and does not send a row the relay gave back meanwhile.
import type { NotifyDeps, Send } from '../../src/notify/delivery';
import { runDeliveryJob } from '../../src/notify/delivery';
import type { ServiceAccount } from '../../src/core/ports';
import type { SigningRequest } from '../../src/core/types';
import type { OutboxRepository } from '../../src/store/outbox';
import { databases, startServer, type TestServer } from '../support/server';

const request = (n: number): SigningRequest => ({
  document: [{ kind: 'provided-document', id: 'd1', mimeType: 'text/plain', description: 'x', data: Buffer.from('abc') }],
  task: [
    {
      id: 't1',
      documentAction: [{ type: 'sign', documentRef: 'd1' }],
      notification: [{ type: 'URL', notificationId: `cb${n}`, recipient: 'http://127.0.0.1:9/cb', message: 'x' }],
    },
  ],
});

const iso = (msFromNow: number) => new Date(Date.now() + msFromNow).toISOString();

describe.each(databases())('outbox claims on %s', (db) => {
  let s: TestServer;
  let outbox: OutboxRepository;
  let svc: ServiceAccount;
  let jobs = 0;
  const jobId = () => `jtest${++jobs}`;
  beforeAll(async () => {
    s = await startServer(db, { SEGL_CALLBACK_ALLOW: '127.0.0.1' });
    await s.rt.relay.stop(); // the test moves the rows itself
    outbox = s.rt.outbox;
    svc = (await s.rt.services.find('demo'))!;
  });
  afterAll(() => s.stop());

  const status = async (id: string) =>
    (await s.rt.db.query(`SELECT status, attempts, claim, job_id FROM outbox WHERE delivery_id = '${id}'`))[0];

  test('one run claims a job; a second run of the job, and a settle under another claim, change nothing', async () => {
    await s.rt.documents.requests.createRequest(svc, [request(1)]);
    const [job] = await outbox.claimDue(iso(1000), iso(0), 10, 20, jobId);
    expect(job).toMatchObject({ channel: 'URL' });
    expect(job!.deliveryIds).toHaveLength(1);
    const id = job!.deliveryIds[0]!;
    expect(await status(id)).toMatchObject({ status: 'queued', job_id: job!.jobId });

    const [w] = await outbox.claim(job!.jobId, [id], 'run-1', iso(0));
    expect(w).toMatchObject({ deliveryId: id, status: 'sending', claim: 'run-1', attempts: 0 });
    expect(await outbox.claim(job!.jobId, [id], 'run-2', iso(0))).toEqual([]); // BullMQ ran the job again
    expect(await outbox.settle({ ...w!, claim: 'run-2' }, { kind: 'delivered', note: 'x' }, iso(0))).toBe(false);
    expect(await status(id)).toMatchObject({ status: 'sending', claim: 'run-1' });

    expect(await outbox.settle(w!, { kind: 'delivered', note: 'sent once' }, iso(0))).toBe(true);
    expect(await status(id)).toMatchObject({ status: 'delivered', attempts: 1, claim: null });
    expect(await outbox.settle(w!, { kind: 'delivered', note: 'again' }, iso(0))).toBe(false);
    const events = await s.rt.db.query(`SELECT data FROM event WHERE type = 'notification-sent' AND data = 'sent once'`);
    expect(events).toHaveLength(1);
  });

  test('re-queue: a fresh claim is left alone, an old one is given back in a new job that the old job cannot claim', async () => {
    await s.rt.documents.requests.createRequest(svc, [request(2)]);
    const [job] = await outbox.claimDue(iso(1000), iso(0), 10, 20, jobId);
    const id = job!.deliveryIds[0]!;
    const [w] = await outbox.claim(job!.jobId, [id], 'run-a', iso(0));

    // claimed just now: not unsettled for a sending lease that began a minute ago
    expect((await outbox.unsettled(iso(-60_000), iso(-60_000), 100)).map((r) => r.deliveryId)).not.toContain(id);
    const [row] = (await outbox.unsettled(iso(-60_000), iso(60_000), 100)).filter((r) => r.deliveryId === id);
    expect(row).toEqual({ deliveryId: id, channel: 'URL', jobId: job!.jobId });
    expect(await outbox.requeue([row!], iso(-60_000), iso(0), 20, jobId)).toEqual([]); // the run may still be sending
    expect(await status(id)).toMatchObject({ status: 'sending', claim: 'run-a' });

    const [again] = await outbox.requeue([row!], iso(60_000), iso(0), 20, jobId); // the claim is older than the lease
    expect(again).toMatchObject({ channel: 'URL', deliveryIds: [id] });
    expect(again!.jobId).not.toBe(job!.jobId);
    expect(await status(id)).toMatchObject({ status: 'queued', claim: null, job_id: again!.jobId });
    expect(await outbox.claim(job!.jobId, [id], 'run-b', iso(0))).toEqual([]);
    const [w2] = await outbox.claim(again!.jobId, [id], 'run-c', iso(0));
    expect(w2).toMatchObject({ deliveryId: id, claim: 'run-c' });
    expect(await outbox.settle(w!, { kind: 'delivered', note: 'x' }, iso(0))).toBe(false); // the dead run's claim is void
    expect(await outbox.settle(w2!, { kind: 'delivered', note: 'x' }, iso(0))).toBe(true);
  });

  test('settles sent together each get their own outcome and answer', async () => {
    await s.rt.documents.requests.createRequest(svc, [request(3), request(4), request(5)]);
    const jobsMade = await outbox.claimDue(iso(1000), iso(0), 10, 2, jobId);
    expect(jobsMade.map((j) => j.deliveryIds.length).sort()).toEqual([1, 2]); // at most two per job
    const claimed = (await Promise.all(jobsMade.map((j) => outbox.claim(j.jobId, j.deliveryIds, `run-${j.jobId}`, iso(0))))).flat();
    expect(claimed).toHaveLength(3);
    const [a, b, c] = claimed;
    const answers = await Promise.all([
      outbox.settle(a!, { kind: 'delivered', note: 'a sent' }, iso(0)),
      outbox.settle(b!, { kind: 'retry', note: 'attempt 1: HTTP 503', nextDueAt: iso(60_000) }, iso(0)),
      outbox.settle({ ...c!, claim: 'not-mine' }, { kind: 'dead', note: 'c dead' }, iso(0)),
    ]);
    expect(answers).toEqual([true, true, false]);
    expect(await status(a!.deliveryId)).toMatchObject({ status: 'delivered', attempts: 1 });
    expect(await status(b!.deliveryId)).toMatchObject({ status: 'pending', attempts: 1, claim: null });
    expect(await status(c!.deliveryId)).toMatchObject({ status: 'sending', attempts: 0 });
    // the delivered one's event only: a retry writes none, and the settle without the claim applied nothing
    const notes = await s.rt.db.query(`SELECT type, data FROM event WHERE data IN ('a sent', 'attempt 1: HTTP 503', 'c dead')`);
    expect(notes).toEqual([{ type: 'notification-sent', data: 'a sent' }]);
    expect((await outbox.counts()).sending).toBeGreaterThanOrEqual(1);
  });
  test('the relay claim: due rows in jobs of at most perJob, each row naming its job; two relays at once never take the same row', async () => {
    await s.rt.documents.requests.createRequest(
      svc,
      Array.from({ length: 7 }, (_, i) => request(10 + i)),
    );
    const made = await outbox.claimDue(iso(1000), iso(0), 100, 3, jobId);
    expect(made.map((j) => j.deliveryIds.length)).toEqual([3, 3, 1]);
    expect(new Set(made.map((j) => j.jobId)).size).toBe(3);
    for (const j of made) {
      expect(j.channel).toBe('URL');
      for (const id of j.deliveryIds) expect(await status(id)).toMatchObject({ status: 'queued', job_id: j.jobId });
    }
    expect(await outbox.claimDue(iso(1000), iso(0), 100, 3, jobId)).toEqual([]); // nothing pending is left

    for (const from of [100, 120])
      await s.rt.documents.requests.createRequest(
        svc,
        Array.from({ length: 20 }, (_, i) => request(from + i)),
      );
    const [a, b] = await Promise.all([1, 2].map(() => outbox.claimDue(iso(1000), iso(0), 25, 4, jobId)));
    const ids = [...a!, ...b!].flatMap((j) => j.deliveryIds);
    expect(ids).toHaveLength(40);
    expect(new Set(ids).size).toBe(40);
    expect([...a!, ...b!].every((j) => j.deliveryIds.length <= 4)).toBe(true);
  });

  test('a run holds the rows waiting for a send slot; a row given back meanwhile is not sent by it', async () => {
    await s.rt.documents.requests.createRequest(svc, [request(200), request(201), request(202)]);
    const [job] = await outbox.claimDue(iso(1000), iso(0), 10, 10, jobId);
    expect(job!.deliveryIds).toHaveLength(3);
    const leaseMs = 300;
    const deps = {
      outbox,
      log: s.rt.log,
      clock: s.rt.clock,
      config: { ...s.rt.config.notify, relayLeaseMs: leaseMs, retrySchedule: [60_000] },
    } as unknown as NotifyDeps; // the rest of NotifyDeps is used by the channels' send, replaced here
    const calls: string[] = [];
    const send: Send = async (w) => {
      calls.push(w.deliveryId);
      return 'sent';
    };
    // one send slot at first; the other two rows wait until the gate opens
    let open!: () => void;
    const opened = new Promise<void>((r) => (open = r));
    let entered = 0;
    const gate = async <T>(f: () => Promise<T>): Promise<T> => {
      if (entered++ > 0) await opened;
      return f();
    };
    const claimedAt = Date.now();
    const run = runDeliveryJob(deps, { id: job!.jobId, data: { deliveries: job!.deliveryIds } as never }, send, gate);
    await new Promise((r) => setTimeout(r, 4 * leaseMs));
    expect(calls).toHaveLength(1);
    const sent = calls[0]!;
    const [kept, lost] = job!.deliveryIds.filter((id) => id !== sent) as [string, string];
    // 4 leases after the claim, the waiting rows' claim time is recent: a relay finds nothing to give back
    const renewed = await s.rt.db.query(`SELECT delivery_id, claimed_at FROM outbox WHERE delivery_id IN ('${kept}', '${lost}')`);
    for (const r of renewed as Array<{ claimed_at: string }>) expect(Date.parse(r.claimed_at)).toBeGreaterThan(claimedAt + 2 * leaseMs);
    const stale = (await outbox.unsettled(iso(-60_000), iso(-2 * leaseMs), 100)).map((r) => r.deliveryId);
    expect(stale).not.toContain(kept);
    // the relay gives `lost` back anyway (as it would after a pause longer than the sending lease)
    const [row] = (await outbox.unsettled(iso(-60_000), iso(60_000), 100)).filter((r) => r.deliveryId === lost);
    const [requeued] = await outbox.requeue([row!], iso(60_000), iso(0), 10, jobId);
    expect(requeued!.deliveryIds).toEqual([lost]);
    await new Promise((r) => setTimeout(r, leaseMs)); // the run's next renewals find it no longer holds `lost`
    open();
    const outcomes = await run;
    expect(calls.sort()).toEqual([kept, sent].sort()); // `lost` was not sent by this run
    expect(outcomes.filter((o) => o === 'stale')).toHaveLength(1);
    expect(await status(kept)).toMatchObject({ status: 'delivered' });
    expect(await status(lost)).toMatchObject({ status: 'queued', claim: null, job_id: requeued!.jobId });
  });

  if (db === 'postgres')
    test('a settle PostgreSQL aborts as a deadlock victim is tried again: the send is recorded, not left to be repeated', async () => {
      await s.rt.documents.requests.createRequest(svc, [300, 301, 302, 303].map(request));
      const [job] = await outbox.claimDue(iso(1000), iso(0), 10, 10, jobId);
      const ids = [...job!.deliveryIds].sort();
      const works = await outbox.claim(job!.jobId, ids, 'run-d', iso(0));
      const byId = new Map(works.map((w) => [w.deliveryId, w]));
      const [a, b, e, f] = ids as [string, string, string, string];
      const other = s.rt.db.createQueryRunner();
      await other.connect();
      try {
        await other.query(`SET deadlock_timeout = '30s'`); // the settle's side (1 s) finds the deadlock, and is its victim
        await other.startTransaction();
        await other.query(`UPDATE outbox SET updated_at = updated_at WHERE delivery_id = $1`, [b]);
        // e and f occupy both settle statements; a and b wait, then go together in one (locking a, then waiting for b)
        const settled = Promise.all(
          [e, f, a, b].map((id) => outbox.settle(byId.get(id)!, { kind: 'delivered', note: `sent ${id}` }, iso(0))),
        );
        const waiting = async () =>
          Number(
            (
              await other.query(
                `SELECT COUNT(*) AS n FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'`,
              )
            )[0].n,
          );
        for (let i = 0; i < 100 && (await waiting()) === 0; i++) await new Promise((r) => setTimeout(r, 50));
        expect(await waiting()).toBe(1);
        await other.query(`UPDATE outbox SET updated_at = updated_at WHERE delivery_id = $1`, [a]); // a cycle: the settle is aborted
        await other.commitTransaction();
        expect(await settled).toEqual([true, true, true, true]);
      } finally {
        if (other.isTransactionActive) await other.rollbackTransaction();
        await other.release();
      }
      for (const id of ids) expect(await status(id)).toMatchObject({ status: 'delivered', attempts: 1 });
      const logged = await s.rt.db.query(`SELECT data FROM event WHERE type = 'notification-sent' AND data LIKE 'sent d%' ORDER BY data`);
      expect(logged.map((r: { data: string }) => r.data)).toEqual(ids.map((id) => `sent ${id}`));
    });
});

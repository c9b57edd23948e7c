// The preservation job (queue/jobs/preserve.ts) on SQLite and PostgreSQL with a filesystem blob store: an archived
// LTV-SDO is given its due time, renewed once the clock passes it (a new blob, the row moved onto it in one
// transaction, the old blob gone, count / time / next due / previous SHA-256 recorded), not renewed again by a
// second run, and counted for /metrics; a TSA that refuses leaves the document as it was, with the reason noted.
import { createHash } from 'node:crypto';
import { Metrics } from '../../src/ops/metrics';
import { preserveDue, type PreservationDeps } from '../../src/queue/jobs/preserve';
import { verifyLtvSdo } from '../../src/signing/offline';
import { SigningPipeline } from '../../src/signing/pipeline';
import { PRESERVATION_DEFAULT_MARGIN_MS } from '../../src/signing/preserve';
import { archiveQueries } from '../../src/store/archive';
import { FsBlobStore } from '../../src/store/blobs';
import { PreservationRepository } from '../../src/store/preservation';
import { sqlDatabase } from '../../src/store/sql';
import { ALGORITHM_ENDS, type AlgorithmEnds } from '../../src/trust/algorithms';
import { generateKeys } from '../../src/trust/crypto';
import { createServiceBranch, createTestPki, type ServiceBranch, type TestPki } from '../../src/testca/pki';
import { TEST_URLS } from '../support/person';
import { trustAt } from '../support/preserve';
import { sealedSdo, trustFor } from '../support/sdo';
import { archiveFixture, type ArchiveFixture } from '../support/archivedb';
import { databases, startServer, type TestServer } from '../support/server';

const YEAR = 365.25 * 86_400_000;
let pki: TestPki;
let branch2: ServiceBranch;
let sdo: Uint8Array;
let t0: Date;
let t1: Date;

beforeAll(async () => {
  t0 = new Date();
  t1 = new Date(t0.getTime() + 1.5 * YEAR);
  pki = await createTestPki({ urls: TEST_URLS });
  branch2 = await createServiceBranch(pki.root, { name: 'segl Test Later', urls: TEST_URLS, now: t1 });
  const doc = { id: 'd1', description: 'Deed', mimeType: 'text/plain', bytes: Buffer.from('kept for decades') };
  const sign = { name: 'Kept Person', pid: '9208-2002-2-222222222222', signText: 'keep it', documents: [doc] };
  sdo = await sealedSdo(pki, new SigningPipeline(trustFor(pki)), { ...sign, taskId: 't1' });
}, 60_000);

describe.each(databases())('preservation job on %s', (kind) => {
  let a: ArchiveFixture;
  let blobs: FsBlobStore;
  let repo: PreservationRepository;
  let now = new Date();
  const log = { warn: jest.fn() };

  beforeAll(async () => {
    a = await archiveFixture(kind);
    blobs = a.blobs;
    repo = new PreservationRepository(a.db, blobs);
  }, 60_000);

  afterAll(async () => {
    await a?.close();
  });

  const archive = (id: string) => a.archive(id, sdo, 'application/x-ltv-sdo', t0);
  const row = (id: string) => a.row(id);

  const deps = (trust: PreservationDeps['trust']): PreservationDeps => ({
    repo,
    clock: { now: () => now },
    marginMs: PRESERVATION_DEFAULT_MARGIN_MS,
    trust,
    log,
  });

  test('due time first, then one renewal past it; a second run renews nothing', async () => {
    await archive('kept-1');
    const original = await row('kept-1');
    const trust = async () => trustAt(pki, branch2, now);
    now = t0;
    expect(await preserveDue(deps(trust))).toEqual({ renewed: 0, scheduled: 1, failed: 0 });
    const due = new Date(pki.seal.certificate.notAfter.getTime() - PRESERVATION_DEFAULT_MARGIN_MS);
    expect((await row('kept-1')).preservation_due).toBe(due.toISOString());
    expect(await preserveDue(deps(trust))).toEqual({ renewed: 0, scheduled: 0, failed: 0 });

    now = t1;
    expect(await preserveDue(deps(trust))).toEqual({ renewed: 1, scheduled: 0, failed: 0 });
    expect(await preserveDue(deps(trust))).toEqual({ renewed: 0, scheduled: 0, failed: 0 });
    const r = await row('kept-1');
    expect(Number(r.preservation_count)).toBe(1);
    expect(r.preserved_at).toBe(t1.toISOString());
    expect(String(r.preservation_due) > t1.toISOString()).toBe(true);
    expect(r.previous_sha256).toBe(original.sha256);
    expect(r.blob_key).not.toBe(original.blob_key);
    expect(await blobs.stat(original.blob_key as string)).toBeNull();
    const bytes = await blobs.getBytes(r.blob_key as string);
    expect(createHash('sha256').update(bytes).digest('hex')).toBe(r.sha256);
    // the previous version is the renewed one's beginning: a renewal only appends to the seal's unsigned properties
    const old = Buffer.from(sdo).toString('utf8');
    expect(bytes.toString('utf8').startsWith(old.slice(0, old.lastIndexOf('</xades:UnsignedSignatureProperties>')))).toBe(true);
    // past the first TSA certificate's end the renewal is its proof of existence; but branch2's TSA key is RSA-2048,
    // which ends 2030 (trust/algorithms.ts), before that: the archive time-stamp itself is then INDETERMINATE
    // CRYPTO_CONSTRAINTS_FAILURE_NO_POE (hence the next renewal, with a stronger TSA, is due before 2029: see below)
    const pastTsa = new Date(pki.tsa.certificate.notAfter.getTime() + 86_400_000);
    const verifyAt = (algorithmEnds?: AlgorithmEnds) =>
      verifyLtvSdo(bytes.toString('utf8'), [pki.root.certificate], undefined, {
        now: pastTsa,
        ...(algorithmEnds ? { algorithmEnds } : {}),
      });
    const later = await verifyAt();
    expect([later.indication, later.timeStamps.stamps.map((t) => t.subIndication)]).toEqual([
      'INDETERMINATE',
      [undefined, 'CRYPTO_CONSTRAINTS_FAILURE_NO_POE'],
    ]);
    const noRsaEnd = { ...ALGORITHM_ENDS, rsa: ALGORITHM_ENDS.rsa.map((x) => (x.minBits === 2048 ? { ...x, end: null } : x)) };
    expect((await verifyAt(noRsaEnd)).indication).toBe('TOTAL-PASSED');
    expect(await repo.counts(t1)).toEqual({ renewals: 1, preserved: 1, due: 0, failing: 0 });
    const scraped = await new Metrics({ preservation: { counts: () => repo.counts(t1) } }).registry.metrics();
    expect(scraped).toMatch(/^segl_archive_preservation\{state="renewals"\} 1$/m);
    expect(scraped).toMatch(/^segl_archive_preservation\{state="due"\} 0$/m);
  }, 60_000);

  test('a TSA that refuses: nothing changes but the note and the next try', async () => {
    await archive('kept-2');
    const before = await row('kept-2');
    now = t1;
    const refusing = async () => ({
      ...trustAt(pki, branch2, now),
      timestamp: async () => {
        throw new Error('TSA unreachable');
      },
    });
    expect(await preserveDue(deps(refusing))).toEqual({ renewed: 0, scheduled: 0, failed: 1 });
    const r = await row('kept-2');
    expect(r.blob_key).toBe(before.blob_key);
    expect(Number(r.preservation_count)).toBe(0);
    expect(r.preservation_note).toMatch(/TSA unreachable/);
    expect(r.preservation_due).toBe(new Date(t1.getTime() + 86_400_000).toISOString());
    expect(await repo.counts(t1)).toMatchObject({ renewals: 1, preserved: 1, failing: 1 });
  }, 60_000);

  test('a renewal that would not push the due time out (the same RSA-2048 TSA after 2028) is not stored', async () => {
    const kept1 = await row('kept-1');
    now = new Date(new Date(kept1.preservation_due as string).getTime() + 86_400_000);
    const trust = async () => trustAt(pki, branch2, now);
    // kept-2 (its TSA refused earlier) is renewed now; kept-1's next renewal would end as soon as the last one
    const run = await preserveDue(deps(trust));
    expect([run, (await row('kept-2')).preservation_note]).toEqual([{ renewed: 1, scheduled: 0, failed: 1 }, null]);
    const r = await row('kept-1');
    expect(r.blob_key).toBe(kept1.blob_key);
    expect(Number(r.preservation_count)).toBe(1);
    expect(r.preservation_note).toMatch(/would not push the due time/);
    expect(r.preservation_due).toBe(new Date(now.getTime() + 30 * 86_400_000).toISOString());
    expect(Number((await row('kept-2')).preservation_count)).toBe(1);
  }, 60_000);
});

describe('preservation in the runtime (SQLite)', () => {
  let s: TestServer;
  beforeAll(async () => {
    s = await startServer('sqlite');
  }, 120_000);
  afterAll(() => s.stop());

  test('the preserve timer gives an archived LTV-SDO its due time; /metrics counts it', async () => {
    const ca = await s.rt.ca();
    const keys = await generateKeys();
    const pid = '9208-2002-2-333333333333';
    const certificate = await ca.issuePerson({ commonName: 'Runtime Person', pid, publicKey: keys.publicKey });
    const doc = { id: 'd1', description: 'Deed', mimeType: 'text/plain', bytes: Buffer.from('runtime') };
    const act = { requestId: 'req-rt', taskId: 't1', signer: { certificate, keys }, signText: 'kept', documents: [doc], audit: [] };
    const out = await (await s.rt.signing()).sign(act);
    if (!out.ok) throw new Error(out.reason);
    const bytes = out.bytes;
    const q = sqlDatabase(s.rt.db);
    const [svc] = await q.tx((t) => t.all<{ id: number }>('SELECT id FROM service ORDER BY id LIMIT 1'));
    const blob = await s.rt.blobs.putBytes(bytes);
    const entry = { id: 'rt-kept', mimeType: 'application/x-ltv-sdo', size: blob.size, sha256: blob.sha256, blobKey: blob.key };
    await q.tx((t) => archiveQueries.insert(t, Number(svc!.id), [{ ...entry, createdAt: new Date().toISOString() }]));
    const auth = `Basic ${Buffer.from(`admin:${s.rt.adminPassword}`).toString('base64')}`;
    const metrics = async () => (await fetch(`${s.url}/metrics`, { headers: { authorization: auth } })).text();
    expect(await metrics()).toMatch(/^segl_archive_preservation\{state="due"\} 1$/m);
    expect((await s.rt.runTimers()).preserved).toBe(0);
    const [row] = await q.tx((t) => t.all<Record<string, unknown>>("SELECT * FROM archive_document WHERE id = 'rt-kept'"));
    const sealCert = ca.pki.seal.certificate.notAfter.getTime();
    expect(row!.preservation_due).toBe(
      new Date(Math.min(sealCert, Date.parse('2030-12-31T23:59:59Z')) - PRESERVATION_DEFAULT_MARGIN_MS).toISOString(),
    );
    expect(await metrics()).toMatch(/^segl_archive_preservation\{state="due"\} 0$/m);
  }, 120_000);
});

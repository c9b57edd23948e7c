// The tamper-evident history (docs/audit.md) on each database: events chained per request by the one
// writer (appendEvents), the sealed LTV-SDO carrying the chain head (xmlsec1 still verifies it), the
// daily anchor time-stamped by the TSA (its token checked by `openssl ts -verify` too), `segl audit
// export` of a clean run verified by `segl audit verify` offline, and tampering in the database —
// an edited event, a deleted one, two swapped, a re-hashed chain — each named by request and seq.
// Concurrent appends to one request never fork the chain.
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import type { ServiceAccount } from '../../src/core/ports';
import { generateKeys } from '../../src/trust/crypto';
import * as x509 from '@peculiar/x509';
import { appendEvents, AuditChainRepository, type NewEvent } from '../../src/store/auditchain';
import { sqlDatabase } from '../../src/store/sql';
import { anchorStatement, eventHash } from '../../src/util/hashchain';
import { verifyAuditExport, type AuditExport, type Problem } from '../../src/signing/auditverify';
import { auditExport } from '../../src/ops/auditcli';
import { TIMER_JOBS } from '../../src/queue/jobs/timers';
import { auditChainMigration } from '../../src/store/migrations/auditchain';
import { POSTGRES, SQLITE } from '../../src/store/migrations/tables';
import { signTask } from '../support/sign';
import { databases, startServer, type TestServer } from '../support/server';
import { createRequestXml, REPO } from '../support/soap';
import { xmlsecEachSignature } from '../support/xmlsec';

const exec = promisify(execFile);
const BIN = path.join(REPO, 'bin', 'segl.js');
const DAY = 86_400_000;

describe.each(databases())('tamper-evident history (%s)', (db) => {
  let s: TestServer;
  let svc: ServiceAccount;
  let dir: string;
  let root: x509.X509Certificate;
  const pem: Record<string, string> = {};
  const pg = db === 'postgres';
  /** a statement with ? placeholders on either driver, straight on the database (as an intruder would) */
  const sql = (text: string, params: unknown[] = []) => {
    let n = 0;
    return s.rt.db.query(pg ? text.replace(/\?/g, () => `$${++n}`) : text, params) as Promise<Array<Record<string, unknown>>>;
  };
  const segl = async (...args: string[]) => {
    const env = {
      PATH: process.env.PATH,
      HOME: process.env.HOME,
      DATA_DIR: s.dataDir,
      LOG_LEVEL: 'warn',
      ...(s.rt.config.databaseUrl ? { DATABASE_URL: s.rt.config.databaseUrl } : {}),
    };
    try {
      const r = await exec(process.execPath, [BIN, ...args], { env, timeout: 60_000, encoding: 'utf8', maxBuffer: 64 << 20 });
      return { code: 0, stdout: r.stdout, stderr: r.stderr };
    } catch (e) {
      return e as { code: number; stdout: string; stderr: string };
    }
  };
  const create = () =>
    createRequestXml(
      s.endpoint,
      'demo',
      s.demoPassword,
      `<document xsi:type="provided-document" id="d" mime-type="text/plain"><data>${Buffer.from('Terms: 3 %.\n').toString('base64')}</data>` +
        `<description>d</description></document><task id="t1"><document-action type="sign"><document-ref>d</document-ref></document-action></task>`,
    );
  /** task t1 of a request signed and sealed (the seal job run here) by a new test-CA person */
  const signAs = async (name: string, requestId: string) => {
    const keys = await generateKeys();
    const certificate = await (
      await s.rt.ca()
    ).issuePerson({ commonName: name, pid: '9208-2002-2-123456789012', publicKey: keys.publicKey });
    const done = await signTask(s.rt, svc, requestId, { certificate, keys }, { documentIds: ['d'] });
    if (!done.ok) throw new Error(done.reason);
    return done;
  };
  /** events appended through the one writer, each in a transaction of its own */
  const append = async (requestId: string, n: number) => {
    for (let i = 0; i < n; i++)
      await sqlDatabase(s.rt.db).tx((q) =>
        appendEvents(q, [{ requestId, taskId: 't1', type: 'document-viewed', time: s.rt.clock.now().toISOString(), data: `view ${i}` }]),
      );
  };
  const chain = async (requestId: string) =>
    sql('SELECT id, seq, prev_hash, hash, type, data, time, task_id FROM event WHERE request_id = ? ORDER BY seq', [requestId]);
  const exportFile = async (name: string, ...more: string[]): Promise<string> => {
    const r = await segl('audit', 'export', 'demo', ...more);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const file = path.join(dir, name);
    writeFileSync(file, r.stdout);
    return file;
  };
  const verifyFile = (file: string) => segl('audit', 'verify', file, '--anchor', path.join(dir, 'root.pem'), '--json');
  const problemsOf = async (file: string): Promise<{ code: number; problems: Problem[] }> => {
    const r = await verifyFile(file);
    return { code: r.code, problems: (JSON.parse(r.stdout) as { problems: Problem[] }).problems };
  };

  let signed: string;
  let packageXml: string;
  const tampered: Record<'edit' | 'delete' | 'swap' | 'rehash', string> = { edit: '', delete: '', swap: '', rehash: '' };

  beforeAll(async () => {
    s = await startServer(db, { SEGL_TEST_CLOCK: '1' });
    svc = (await s.rt.services.find('demo'))!;
    dir = mkdtempSync(path.join(os.tmpdir(), 'segl-audit-'));
    for (const [n, u] of [
      ['root.pem', '/pki/root.pem'],
      ['ca.pem', '/pki/ca.pem'],
      ['service-ca.pem', '/pki/service-ca.pem'],
    ] as const) {
      pem[n] = await (await fetch(`${s.url}${u}`)).text();
      writeFileSync(path.join(dir, n), pem[n]!);
    }
    root = new x509.X509Certificate(pem['root.pem']!);
    const r = await exec('npm', ['run', 'build'], { cwd: REPO }).catch((e: Error) => e);
    if (r instanceof Error) throw r;
  }, 240_000);
  afterAll(async () => {
    await s?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  test('a signed request: its events chained by seq, the sealed LTV-SDO carries the chain head, xmlsec1 verifies it', async () => {
    signed = await create();
    await append(signed, 2);
    const done = await signAs('Ada Lovelace', signed);
    packageXml = done.packageXml;
    const rows = await chain(signed);
    expect(rows.map((r) => Number(r.seq))).toEqual(rows.map((_, i) => i + 1));
    expect(rows[0]!.prev_hash).toBe('0'.repeat(64));
    for (let i = 1; i < rows.length; i++) expect(rows[i]!.prev_hash).toBe(rows[i - 1]!.hash);
    const head = /<HistoryChainHead Algorithm="segl-event\/1" Hash="([0-9a-f]{64})" RequestId="([^"]+)" Seq="(\d+)"/.exec(packageXml);
    expect(head).not.toBeNull();
    expect(head![2]).toBe(signed);
    const atSeal = rows.find((r) => Number(r.seq) === Number(head![3]))!;
    expect(atSeal.hash).toBe(head![1]);
    expect(Number(head![3])).toBeGreaterThanOrEqual(3); // created + two views (+ the act recorded)
    const outs = await xmlsecEachSignature(dir, packageXml, pem['root.pem']!, [pem['ca.pem']!, pem['service-ca.pem']!]);
    expect(outs).toHaveLength(2);
    for (const o of outs) expect(o).toMatch(/^OK$/m);
    // the head is covered by the seal: one digit changed and xmlsec1 refuses the seal
    const forged = packageXml.replace(`Seq="${head![3]}"`, `Seq="${Number(head![3]) + 1}"`);
    const bad = await xmlsecEachSignature(dir, forged, pem['root.pem']!, [pem['ca.pem']!, pem['service-ca.pem']!]);
    expect(bad.some((o) => /^OK$/m.test(o))).toBe(true); // the native signature is untouched
    expect(bad.some((o) => /FAIL/.test(o))).toBe(true);
  }, 120_000);

  test('the daily anchor: a Merkle root time-stamped by the TSA, idempotent; openssl ts -verify accepts its token', async () => {
    expect(Object.keys(TIMER_JOBS)).toContain('anchor');
    for (const k of Object.keys(tampered) as Array<keyof typeof tampered>) {
      tampered[k] = await create();
      await append(tampered[k], 4);
    }
    expect(await s.rt.audit.anchorDue()).toBe(0); // nothing before today's midnight yet
    s.rt.clock.advance(DAY);
    expect(await s.rt.audit.anchorDue()).toBe(1);
    expect(await s.rt.audit.anchorDue()).toBe(0);
    const { anchors, events } = await new AuditChainRepository(s.rt.db).export(svc.id);
    expect(anchors).toHaveLength(1);
    const a = anchors[0]!;
    expect(a.leafCount).toBe(events.length);
    writeFileSync(path.join(dir, 'statement'), anchorStatement({ serviceId: svc.id, day: a.day, leafCount: a.leafCount, root: a.root }));
    writeFileSync(path.join(dir, 'anchor.tst'), Buffer.from(a.token, 'base64'));
    const args = ['ts', '-verify', '-data', path.join(dir, 'statement'), '-in', path.join(dir, 'anchor.tst'), '-token_in'];
    args.push('-CAfile', path.join(dir, 'root.pem'), '-untrusted', path.join(dir, 'service-ca.pem'));
    const ok = await exec('openssl', args);
    expect(ok.stdout).toMatch(/Verification: OK/);
    // another statement (one leaf less) is not what the TSA stamped
    writeFileSync(
      path.join(dir, 'statement'),
      anchorStatement({ serviceId: svc.id, day: a.day, leafCount: a.leafCount - 1, root: a.root }),
    );
    const no = await exec('openssl', args).catch((e: { stdout: string; stderr: string }) => e);
    expect(`${no.stdout}${no.stderr}`).toMatch(/Verification: FAILED/);
  }, 120_000);

  test('segl audit export of the clean run verifies offline: complete and unchanged since the anchor', async () => {
    await append(signed, 1); // after the anchor: chained, not yet anchored
    const file = await exportFile('clean.json');
    const r = await segl('audit', 'verify', file, '--anchor', path.join(dir, 'root.pem'));
    expect(r.stdout).toMatch(/the history is complete and unchanged/);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(
      new RegExp(`request ${signed}: .*complete and unchanged since anchor \\d+ of \\d{4}-\\d{2}-\\d{2} \\(through seq \\d+\\), seq`),
    );
    const one = await exportFile('one.json', '--request', tampered.edit);
    const parsed = JSON.parse(readFileSync(one, 'utf8')) as AuditExport;
    expect(parsed.events.every((e) => e.requestId === tampered.edit)).toBe(true);
    expect(parsed.anchors[0]!.complete).toBe(false);
    expect(parsed.anchors[0]!.leaves.every((l) => l.path && l.index !== undefined)).toBe(true);
    expect((await verifyFile(one)).code).toBe(0);
    // the verifier needs the right trust anchor: another root does not vouch for the TSA
    const v = await verifyAuditExport(parsed, [new x509.X509Certificate(pem['ca.pem']!)]);
    expect(v.ok).toBe(false);
    expect(v.problems[0]!.kind).toBe('anchor');
    // bad input: a file that is no export is refused with a clear message
    writeFileSync(path.join(dir, 'bad.json'), '{"format":"other"}');
    const bad = await verifyFile(path.join(dir, 'bad.json'));
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(/not a segl audit export/);
    const none = await segl('audit', 'export', 'nobody');
    expect(none.code).toBe(1);
    expect(none.stderr).toMatch(/no service "nobody"/);
  }, 120_000);

  test('an edited, a deleted, two swapped and a re-hashed event are each named by request and seq', async () => {
    const rows = async (id: string) => chain(id);
    // edited: one event's data
    await sql('UPDATE event SET data = ? WHERE request_id = ? AND seq = 3', ['view 1 (edited)', tampered.edit]);
    // deleted: one event
    await sql('DELETE FROM event WHERE request_id = ? AND seq = 2', [tampered.delete]);
    // reordered: the contents of seq 2 and 3 swapped (what getRequestHistory shows in that order)
    const [s2, s3] = (await rows(tampered.swap)).slice(1, 3);
    for (const [to, from] of [
      [s2!, s3!],
      [s3!, s2!],
    ])
      await sql('UPDATE event SET data = ?, time = ?, type = ? WHERE id = ?', [from.data, from.time, from.type, to.id]);
    // re-hashed: seq 2 edited and the whole chain after it computed afresh, so the chain alone holds
    const re = await rows(tampered.rehash);
    let prev = String(re[0]!.hash);
    for (const r of re.slice(1)) {
      const data = Number(r.seq) === 2 ? 'view 0 (forged)' : (r.data as string);
      const hash = eventHash({
        serviceId: svc.id,
        requestId: tampered.rehash,
        seq: Number(r.seq),
        taskId: r.task_id as string,
        type: r.type as string,
        time: r.time as string,
        data,
        prevHash: prev,
      });
      await sql('UPDATE event SET data = ?, prev_hash = ?, hash = ? WHERE id = ?', [data, prev, hash, r.id]);
      prev = hash;
    }
    const { code, problems } = await problemsOf(await exportFile('tampered.json'));
    expect(code).toBe(1);
    const named = problems.map((p) => `${p.kind} ${p.requestId} ${p.seq}`).sort();
    expect(named).toEqual(
      [
        `edited ${tampered.edit} 3`,
        `deleted ${tampered.delete} 2`,
        `reordered ${tampered.swap} 2`,
        `reordered ${tampered.swap} 3`,
        `rewritten ${tampered.rehash} 2`,
      ].sort(),
    );
    // the untouched request is not named
    expect(problems.some((p) => p.requestId === signed)).toBe(false);
    // a one-request export names the same event (inclusion proofs instead of the whole tree)
    const one = await problemsOf(await exportFile('one-edited.json', '--request', tampered.rehash));
    expect(one.problems.map((p) => `${p.kind} ${p.seq}`)).toEqual(['rewritten 2']);
    // text for people names it too
    const text = await segl('audit', 'verify', path.join(dir, 'tampered.json'), '--anchor', path.join(dir, 'root.pem'));
    expect(text.stdout).toContain(`DELETED: (${tampered.delete}, 2) is missing: the event was deleted`);
  }, 120_000);

  test('concurrent appends to one request do not fork the chain', async () => {
    const id = await create();
    const base = (await chain(id)).length;
    const store = sqlDatabase(s.rt.db);
    const ev = (i: number): NewEvent => ({ requestId: id, type: 'document-viewed', time: s.rt.clock.now().toISOString(), data: `c${i}` });
    await Promise.all(Array.from({ length: 24 }, (_, i) => store.tx((q) => appendEvents(q, [ev(i), ev(100 + i)]))));
    const rows = await chain(id);
    expect(rows).toHaveLength(base + 48);
    expect(rows.map((r) => Number(r.seq))).toEqual(rows.map((_, i) => i + 1));
    const { events, anchors } = await new AuditChainRepository(s.rt.db).export(svc.id, id);
    const v = await verifyAuditExport(auditExport(svc, events, anchors, id, new Date()) as AuditExport, [root]);
    expect(v.problems).toEqual([]);
    expect(v.requests[0]!.head!.seq).toBe(base + 48);
  }, 60_000);

  test("a packaging task's PAdES carries the chain head in its signed package.json", async () => {
    const id = await createRequestXml(
      s.endpoint,
      'demo',
      s.demoPassword,
      `<document xsi:type="provided-document" id="d" mime-type="text/plain"><data>eA==</data><description>d</description></document>` +
        `<task id="t1"><document-action type="sign"><document-ref>d</document-ref></document-action></task>` +
        `<packaging-task packaging-task-id="p1" method="pades"><packaging-task-document task-id="t1" document-id="d"/></packaging-task>`,
    );
    await signAs('Ann Berg', id);
    const head = (await chain(id)).at(-1)!;
    expect(await s.rt.packagingTasks.run(id, 'p1')).toBe('completed');
    const [row] = await sql('SELECT result_blob_key FROM packaging_task WHERE request_id = ?', [id]);
    const file = path.join(dir, 'package.pdf');
    writeFileSync(file, await s.rt.blobs.getBytes(row!.result_blob_key as string));
    const out = path.join(dir, 'detached');
    rmSync(out, { recursive: true, force: true });
    await exec('mkdir', ['-p', out]);
    await exec('pdfdetach', ['-saveall', '-o', out, file]);
    const manifest = JSON.parse(readFileSync(path.join(out, 'package.json'), 'utf8')) as { history?: unknown };
    expect(manifest.history).toEqual({ requestId: id, seq: Number(head.seq), hash: head.hash, algorithm: 'segl-event/1' });
    // at segl's clock (moved a day on by the anchor test: the test CA and its TSA work on it)
    const verified = await segl('verify', file, '--anchor', path.join(dir, 'root.pem'), '--at', s.rt.clock.now().toISOString());
    expect(verified.stdout).toMatch(/TOTAL-PASSED/);
    expect(verified.code).toBe(0);
  }, 120_000);

  test('the migration chains the events written before it: the same hashes as the writer, an export that verifies', async () => {
    const before = await chain(signed);
    const q = s.rt.db.createQueryRunner();
    const migration = new (auditChainMigration(pg ? POSTGRES : SQLITE))();
    try {
      await migration.down(q);
      const cols = await sql('SELECT * FROM event WHERE request_id = ?', [signed]);
      expect(cols.length).toBe(before.length);
      expect(Object.keys(cols[0]!)).not.toContain('hash');
      await migration.up(q);
    } finally {
      await q.release();
    }
    const after = await chain(signed);
    expect(after.map((r) => [r.seq, r.prev_hash, r.hash])).toEqual(before.map((r) => [r.seq, r.prev_hash, r.hash]));
    const { events, anchors } = await new AuditChainRepository(s.rt.db).export(svc.id);
    expect(anchors).toEqual([]);
    const v = await verifyAuditExport(auditExport(svc, events, anchors, undefined, new Date()) as AuditExport, [root]);
    expect(v.problems).toEqual([]);
    expect(v.requests.length).toBeGreaterThanOrEqual(6);
    // and the writer carries on from the migrated head
    await append(signed, 1);
    expect((await chain(signed)).at(-1)!.prev_hash).toBe(after.at(-1)!.hash);
  }, 60_000);
});

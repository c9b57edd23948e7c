// Issue 10 item 8: data at rest. DATA_DIR and everything segl writes under it are for segl's own
// user only (directories 0700, files 0600: the SQLite file holds subject national ids and service
// settings, blobs hold signed results with CPR numbers), also for a DATA_DIR an older version left
// world-readable. Webhook secrets and subjects' national ids are stored encrypted (AES-256-GCM under
// keys derived from SEGL_SECRET): the raw rows do not show them, while getStatus, findTasks by
// national id and signed callbacks work as before; rows written in clear by older versions are
// encrypted at the next start.
import { chmodSync, mkdirSync, mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { ServiceAccount } from '../../src/core/ports';
import { verifyWebhook } from '../../src/notify/signature';
import { generateKeys } from '../../src/trust/crypto';
import { makePdf } from '../support/pdf';
import { startReceiver, type Receiver } from '../support/receiver';
import { databases, startServer, type TestServer } from '../support/server';
import { envelope, NS, post } from '../support/soap';

const FAST = { SEGL_CALLBACK_RETRY_SCHEDULE: '200ms,200ms', SEGL_RELAY_INTERVAL: '100ms', SEGL_RELAY_LEASE: '1s', SEGL_JOB_LOCK: '2s' };
const CPR = '0101801234';

/** Every directory and file below `root` (and root) whose mode lets group or others in. */
function looseEntries(root: string): string[] {
  const out: string[] = [];
  const walk = (p: string) => {
    const st = statSync(p);
    if (st.mode & 0o077) out.push(`${path.relative(root, p) || '.'} ${(st.mode & 0o777).toString(8)}`);
    if (st.isDirectory()) for (const n of readdirSync(p)) walk(path.join(p, n));
  };
  walk(root);
  return out;
}

function countFiles(root: string): number {
  let n = 0;
  const walk = (p: string) => {
    if (statSync(p).isDirectory()) for (const x of readdirSync(p)) walk(path.join(p, x));
    else n++;
  };
  walk(root);
  return n;
}

const eventually = async <T>(f: () => Promise<T | null | undefined>, ms: number, what: string): Promise<T> => {
  const until = Date.now() + ms;
  for (;;) {
    const v = await f();
    if (v) return v;
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
};

describe('file modes under DATA_DIR (SQLite, private Redis files, blobs, PKI, outbox)', () => {
  let s: TestServer;
  let prevUmask: number;
  beforeAll(async () => {
    // the umask a default Linux login has: without segl's own care, files come out 0644
    prevUmask = process.umask(0o022);
    s = await startServer('sqlite', { ...FAST }, { worker: true });
  }, 60_000);
  afterAll(async () => { await s?.stop(); process.umask(prevUmask); });

  test('after upload, createRequest, signing and an e-mail to the outbox nothing is group- or world-readable', async () => {
    const auth = `Basic ${Buffer.from(`demo:${s.demoPassword}`).toString('base64')}`;
    const pdf = makePdf({ text: 'Loan agreement 8' });
    const up = await fetch(`${s.url}/doc/demo/sds`, { method: 'POST', headers: { authorization: auth, 'content-type': 'application/pdf' }, body: pdf });
    expect(up.status).toBe(201);
    const sdsId = await up.text();
    const r = await post(s.endpoint, envelope(`<create-request-request xmlns="${NS}"><service>demo</service><password>${s.demoPassword}</password><request>` +
      `<subject id="s"><national-id>${CPR}</national-id><first-name>Ann</first-name><last-name>Berg</last-name></subject>` +
      `<document xsi:type="sds-document" id="loan" ref-sds-id="${sdsId.trim()}"><description>loan</description></document>` +
      `<document xsi:type="provided-document" id="terms" mime-type="text/plain"><description>terms</description><data>${Buffer.from('Terms').toString('base64')}</data></document>` +
      '<task id="t1"><subject-ref>s</subject-ref><document-action type="sign"><document-ref>loan</document-ref></document-action>' +
      '<document-action type="sign"><document-ref>terms</document-ref></document-action>' +
      '<notification type="EMAIL" notification-id="m"><recipient>ann@example.com</recipient><message>please sign</message></notification></task>' +
      '</request></create-request-request>'));
    const requestId = /<request-id>([^<]+)</.exec(r.text)?.[1];
    expect(requestId).toBeDefined();
    const svc = (await s.rt.services.find('demo'))!;
    const keys = await generateKeys();
    const certificate = await (await s.rt.ca()).issuePerson({ commonName: 'Ann Berg', pid: '9208-2002-2-123456789012', publicKey: keys.publicKey });
    const out = await (await s.rt.signing()).sign({
      svc, requestId: requestId!, taskId: 't1', signer: { certificate, keys }, signText: 'I agree',
      documents: [
        { id: 'loan', description: 'loan', mimeType: 'application/pdf', bytes: pdf },
        { id: 'terms', description: 'terms', mimeType: 'text/plain', bytes: Buffer.from('Terms') },
      ],
      audit: [], userAgent: 'test', clientIp: '127.0.0.1', nationalId: CPR, externalContext: 'x',
    });
    expect(out.ok).toBe(true);
    await eventually(async () => readdirSync(path.join(s.dataDir, 'outbox', 'mail'), { withFileTypes: true }).some((e) => e.isFile()) || null, 10_000, 'the e-mail in the outbox');
    // what the flow wrote: the database (+ WAL), the secret, blobs (SDS upload, documents, results), the PKI
    expect(countFiles(s.dataDir)).toBeGreaterThan(10);
    for (const sub of ['blobs', 'pki', 'outbox']) expect(readdirSync(path.join(s.dataDir, sub)).length).toBeGreaterThan(0);
    expect(looseEntries(s.dataDir)).toEqual([]);
  });
});

describe('a DATA_DIR left readable by an older version is closed at start', () => {
  test('directories become 0700 and files 0600', async () => {
    const prev = process.umask(0o022);
    const dataDir = mkdtempSync(path.join(os.tmpdir(), 'segl-modes-'));
    try {
      chmodSync(dataDir, 0o755);
      mkdirSync(path.join(dataDir, 'blobs', 'ab'), { recursive: true, mode: 0o755 });
      writeFileSync(path.join(dataDir, 'blobs', 'ab', 'old-result'), 'CPR 0101801234', { mode: 0o644 });
      writeFileSync(path.join(dataDir, 'notes.txt'), 'x', { mode: 0o666 });
      expect(looseEntries(dataDir).length).toBe(5);
      const s = await startServer('sqlite', { DATA_DIR: dataDir });
      try {
        expect(looseEntries(dataDir)).toEqual([]);
        expect(statSync(dataDir).mode & 0o777).toBe(0o700);
        expect(statSync(path.join(dataDir, 'blobs', 'ab', 'old-result')).mode & 0o777).toBe(0o600);
      } finally {
        await s.rt.close();
      }
    } finally {
      process.umask(prev);
      rmSync(dataDir, { recursive: true, force: true });
    }
  }, 60_000);
});

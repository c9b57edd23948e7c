// 100 000 events stream from the built `segl start` (SQLite) to a consumer that reads slowly at first:
// the server's resident memory stays bounded (the stream waits for the socket to drain, and pages
// are 1 000 events), and the consumer gets every event exactly once, in cursor order.
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { spawnSegl, type SeglProcess } from '../support/cli';
import { createRequestXml } from '../support/soap';

const EVENTS = 100_000;
const PASSWORD = 'demo-password-1';

interface SqliteDb {
  pragma(s: string): unknown;
  prepare(sql: string): { run(...p: unknown[]): unknown };
  transaction(f: () => void): () => void;
  close(): void;
}
const Sqlite = createRequire(__filename)('better-sqlite3') as new (file: string) => SqliteDb;

/** The process's resident set in bytes (Linux /proc). */
const rss = (pid: number) => Number(/VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))![1]) * 1024;

describe('event feed memory', () => {
  const dataDir = mkdtempSync(path.join(os.tmpdir(), 'segl-feed-mem-'));
  let segl: SeglProcess;
  afterAll(async () => {
    segl?.proc.kill('SIGTERM');
    await segl?.exit;
    rmSync(dataDir, { recursive: true, force: true });
  });

  test(`${EVENTS} events stream with the server's memory bounded`, async () => {
    segl = await spawnSegl('start', {
      DATA_DIR: dataDir,
      HOST: '127.0.0.1',
      PORT: '0',
      SEGL_SECRET: randomBytes(32).toString('base64'),
      SEGL_DEMO_PASSWORD: PASSWORD,
      REDIS_URL: process.env.SEGL_TEST_REDIS_URL ?? 'redis://127.0.0.1:6379',
      SEGL_QUEUE_PREFIX: `segl-feedmem-${process.pid}`,
    });
    const doc = `<document xsi:type="provided-document" id="d" mime-type="text/plain"><data>eA==</data><description>d</description></document>`;
    const task = '<task id="t1"><document-action type="sign"><document-ref>d</document-ref></document-action></task>';
    const requestId = await createRequestXml(`${segl.url}/ws/documentservice-v3`, 'demo', PASSWORD, doc + task);
    // the history rows, written straight into the server's database file (WAL: it reads them at once)
    const db = new Sqlite(path.join(dataDir, 'segl.sqlite'));
    db.pragma('busy_timeout = 10000');
    const insert = db.prepare("INSERT INTO event (request_id, task_id, type, time, data) VALUES (?, 't1', 'document-viewed', ?, ?)");
    db.transaction(() => {
      for (let i = 0; i < EVENTS; i++)
        insert.run(requestId, new Date(Date.UTC(2026, 0, 1, 0, 0, 0, i)).toISOString(), `viewed ${i} ${'x'.repeat(900)}`);
    })();
    db.close();

    const pid = segl.proc.pid!;
    const auth = `Basic ${Buffer.from(`demo:${PASSWORD}`).toString('base64')}`;
    const cold = rss(pid);
    // the baseline: the server has read a page of the new rows (its database cache is warm)
    const warm = await fetch(`${segl.url}/api/v1/services/demo/events?limit=1000`, { headers: { authorization: auth } });
    expect(((await warm.json()) as { events: unknown[] }).events.length).toBe(1000);
    const timeline: number[] = [];
    for (let i = 0; i < 10; i++) {
      timeline.push(rss(pid));
      await new Promise((r) => setTimeout(r, 200));
    }
    process.stdout.write(`\n[rss before] cold ${(cold / 1048576).toFixed(0)} ${timeline.map((b) => (b / 1048576).toFixed(0)).join(' ')}\n`);
    const before = rss(pid);
    let peak = before;
    const sampler = setInterval(() => (peak = Math.max(peak, rss(pid))), 50);
    const ac = new AbortController();
    const res = await fetch(`${segl.url}/api/v1/services/demo/events`, {
      headers: { authorization: auth, accept: 'text/event-stream' },
      signal: ac.signal,
    });
    expect(res.status).toBe(200);
    const reader = res.body!.getReader();
    // a slow start: the server's writes back up while nothing is read
    await new Promise((r) => setTimeout(r, 3000));
    const decoder = new TextDecoder();
    let text = '';
    let seen = 0;
    let bytes = 0;
    let last = -1;
    let duplicates = 0;
    while (seen < EVENTS + 1) {
      const { value, done } = await reader.read();
      if (done) break;
      bytes += value.length;
      text += decoder.decode(value, { stream: true });
      let end;
      while ((end = text.indexOf('\n\n')) >= 0) {
        const block = text.slice(0, end);
        text = text.slice(end + 2);
        const id = /^id: v1\.0\.(\d+)$/m.exec(block)?.[1];
        if (!id) continue;
        if (Number(id) <= last) duplicates++;
        last = Number(id);
        seen++;
      }
    }
    ac.abort();
    clearInterval(sampler);
    const growthMb = (peak - before) / 1024 / 1024;
    process.stdout.write(
      `\n[event-feed-memory] ${seen} events, ${(bytes / 1024 / 1024).toFixed(0)} MB of SSE; server RSS ${(before / 1024 / 1024).toFixed(0)} MB → peak ${(peak / 1024 / 1024).toFixed(0)} MB (+${growthMb.toFixed(1)} MB)\n`,
    );
    expect(seen).toBe(EVENTS + 1); // the request-created event and the 100 000
    expect(duplicates).toBe(0);
    expect(bytes).toBeGreaterThan(90 * 1024 * 1024);
    expect(growthMb).toBeLessThan(64);
  }, 300_000);
});

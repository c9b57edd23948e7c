// How long a server in this process keeps /healthz waiting, less the time the garbage collector held
// the whole process (the tests run in one Jest process: after a hundred suites its heap is large, and
// one full collection of it took over a second on the 2-core CI machine; that is not the server
// stalling). Node reports each collection's start and duration (perf_hooks 'gc' entries).
import { PerformanceObserver, performance, type PerformanceEntry } from 'node:perf_hooks';

export interface Stalls {
  /** each /healthz answer's wait in ms, less the collections that overlapped it */
  waits: number[];
  /** the longest answer as measured, before the collections are taken off */
  rawWorst: number;
  /** ms of garbage collection while the probe ran */
  gcMs: number;
}

/** Asks `${url}/healthz` again and again (20 ms apart) until `stop()`, which answers the waits. */
export function probeHealth(url: string): { stop(): Promise<Stalls> } {
  const gc: PerformanceEntry[] = [];
  const observer = new PerformanceObserver((list) => gc.push(...list.getEntries()));
  observer.observe({ entryTypes: ['gc'] });
  const spans: Array<[number, number]> = [];
  let done = false;
  const run = (async () => {
    while (!done) {
      const t0 = performance.now();
      const r = await fetch(`${url}/healthz`);
      await r.text();
      if (r.status !== 200) throw new Error(`/healthz answered ${r.status}`);
      spans.push([t0, performance.now()]);
      await new Promise((r2) => setTimeout(r2, 20));
    }
  })();
  return {
    async stop() {
      done = true;
      await run;
      await new Promise((r) => setTimeout(r, 50)); // the last entries are delivered asynchronously
      gc.push(...observer.takeRecords());
      observer.disconnect();
      const overlap = (a: number, b: number) =>
        gc.reduce((sum, e) => sum + Math.max(0, Math.min(b, e.startTime + e.duration) - Math.max(a, e.startTime)), 0);
      return {
        waits: spans.map(([a, b]) => Math.round(b - a - overlap(a, b))),
        rawWorst: Math.round(Math.max(0, ...spans.map(([a, b]) => b - a))),
        gcMs: Math.round(gc.reduce((sum, e) => sum + e.duration, 0)),
      };
    },
  };
}

/** 'no stall' when every wait (less collections) was under `ms`; else what was measured */
export function stallOver(s: Stalls, ms: number): string {
  const worst = Math.max(0, ...s.waits);
  return worst < ms
    ? 'no stall'
    : `a wait of ${worst} ms beyond garbage collection (${s.rawWorst} ms measured; ${s.gcMs} ms of collections)`;
}

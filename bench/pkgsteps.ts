// Instruments for the packaging worker (bench/pack.ts), none of which changes product code:
//   - steps: the exported functions PadesMaker.make goes through (src/packaging/maker.ts, src/trust/pades/pades.ts)
//     are wrapped at run time on their modules' exports, and IncrementalPdf.open on its class (the compiled
//     CommonJS calls `(0, mod_1.fn)(…)`, so it looks the function up at each call) to time each step and, for the
//     memory run, record memory at its ends;
//   - RSA private-key operations: SubtleCrypto.prototype.sign wrapped, as bench/seal.ts does, counted by key;
//   - memory: an RSS sampler in a worker thread (it keeps sampling while the main thread is busy in synchronous
//     code, which a timer on the main thread would not), and Linux's peak RSS (VmHWM, /proc/self/status), reset
//     before make() by writing 5 to /proc/self/clear_refs (proc(5)), so it is the peak of make() alone.
import { readFileSync, writeFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import { Worker } from 'node:worker_threads';
import * as compose from '../src/packaging/compose';
import * as sdo from '../src/packaging/sdo';
import * as offline from '../src/signing/offline';
import { crypto, type CryptoKey } from '../src/trust/crypto';
import * as doctimestamp from '../src/trust/pades/doctimestamp';
import * as dss from '../src/trust/pades/dss';
import * as field from '../src/trust/pades/field';
import * as sign from '../src/trust/pades/sign';
import * as validationdata from '../src/trust/pades/validationdata';

/** The steps of one make(), in order; `maker (rest)` is what is left (method, content, manifest, hashes). */
export const STEPS = [
  { step: 'sdo-parse', module: sdo, fn: 'parseLtvSdo', what: 'src/packaging/sdo.ts parseLtvSdo: decode and parse the SDO XML (once)' },
  { step: 'sdo-read', module: sdo, fn: 'readLtvSdo', what: 'src/packaging/sdo.ts readLtvSdo: the cover values, the documents decoded' },
  {
    step: 'sdo-verify',
    module: offline,
    fn: 'verifyLtvSdo',
    what: 'src/signing/offline.ts verifyLtvSdo: the seal and the native signature on the same parse, with the embedded OCSP',
  },
  {
    step: 'compose',
    module: compose,
    fn: 'composePackage',
    what: 'src/packaging/compose.ts: cover, pages copied, attachments, save (pdf-lib)',
  },
  {
    step: 'seal-load',
    module: field.IncrementalPdf,
    fn: 'open',
    what: 'pades/field.ts IncrementalPdf.open: the composed PDF parsed once for the three updates',
  },
  {
    step: 'seal-sign',
    module: sign,
    fn: 'signIncrement',
    what: 'pades/sign.ts signIncrement: field + appearance, commit, CMS with signature time-stamp (after one load)',
  },
  {
    step: 'seal-validation-data',
    module: validationdata,
    fn: 'collectValidationData',
    what: 'pades/validationdata.ts: paths and OCSP for the seal and the TSA',
  },
  { step: 'seal-dss', module: dss, fn: 'addDssIncrement', what: 'pades/dss.ts addDssIncrement: DSS + VRI, commit' },
  {
    step: 'seal-doc-timestamp',
    module: doctimestamp,
    fn: 'addDocumentTimestampIncrement',
    what: 'pades/doctimestamp.ts addDocumentTimestampIncrement: field, commit, RFC 3161 token',
  },
] as const;

export type StepName = (typeof STEPS)[number]['step'];

export interface MemoryMark {
  rss: number;
  heapUsed: number;
  external: number;
  arrayBuffers: number;
}

export interface StepRecord {
  step: StepName;
  /** epoch ms (performance.timeOrigin + now), comparable with the sampler's */
  start: number;
  end: number;
  memStart?: MemoryMark;
  memEnd?: MemoryMark;
  /** bytes of the PDF the step returned (compose, signPdf, addDss, addDocumentTimestamp) */
  outBytes?: number;
}

const epoch = (): number => performance.timeOrigin + performance.now();
const mark = (): MemoryMark => {
  const m = process.memoryUsage();
  return { rss: m.rss, heapUsed: m.heapUsed, external: m.external, arrayBuffers: m.arrayBuffers };
};

/**
 * Wraps every step's function (call once per process); `records` receives one entry per call. With `gcAtSteps` set
 * (a diagnostic run), `gc` runs before each step starts and after it ends, so its memory marks are what is live.
 */
export function instrumentSteps(o: { memory: boolean; gc?: () => void }): { records: StepRecord[]; gcAtSteps: boolean } {
  const out = { records: [] as StepRecord[], gcAtSteps: false };
  const gc = (): void => {
    if (out.gcAtSteps) o.gc?.();
  };
  for (const s of STEPS) {
    const exportsOf = s.module as unknown as Record<string, (...a: unknown[]) => unknown>;
    const original = exportsOf[s.fn]!;
    exportsOf[s.fn] = function step(this: unknown, ...args: unknown[]): unknown {
      gc();
      const r: StepRecord = { step: s.step, start: 0, end: 0, ...(o.memory ? { memStart: mark() } : {}) };
      r.start = epoch();
      const close = (v?: unknown): void => {
        r.end = epoch();
        const pdf = v instanceof Uint8Array ? v : (v as { pdf?: unknown } | undefined)?.pdf;
        if (pdf instanceof Uint8Array) r.outBytes = pdf.byteLength;
        gc();
        if (o.memory) r.memEnd = mark();
        out.records.push(r);
      };
      let value: unknown;
      try {
        value = original.apply(this, args);
      } catch (e) {
        close();
        throw e;
      }
      if (value instanceof Promise)
        return value.then(
          (v: unknown) => {
            close(v);
            return v;
          },
          (e: unknown) => {
            close();
            throw e;
          },
        );
      close(value);
      return value;
    };
  }
  return out;
}

/** Milliseconds per step of the records in [from, to), and `maker (rest)` = total − their sum. */
export function stepTimes(records: StepRecord[], from: number, to: number): Record<string, number> {
  const ms: Record<string, number> = Object.fromEntries(STEPS.map((s) => [s.step, 0]));
  for (const r of records) if (r.start >= from && r.end <= to) ms[r.step] = (ms[r.step] ?? 0) + (r.end - r.start);
  const sum = Object.values(ms).reduce((a, b) => a + b, 0);
  ms['maker (rest)'] = Math.max(0, to - from - sum);
  return ms;
}

// ---------------------------------------------------------------------------------------------
// RSA private-key operations
// ---------------------------------------------------------------------------------------------

export interface RsaCounter {
  total: number;
  byKey: Record<string, number>;
}

/** Wraps SubtleCrypto.prototype.sign (Node's WebCrypto: pkijs, @peculiar/x509 and segl's XAdES all sign through it). */
export function countRsaSigns(names: Map<CryptoKey, string>): RsaCounter {
  const count: RsaCounter = { total: 0, byKey: {} };
  const proto = Object.getPrototypeOf(crypto.subtle) as { sign: (...a: unknown[]) => Promise<ArrayBuffer> };
  const original = proto.sign;
  proto.sign = function sign(this: unknown, ...args: unknown[]): Promise<ArrayBuffer> {
    const key = args[1] as CryptoKey | undefined;
    if (/^RSA/i.test(key?.algorithm?.name ?? '')) {
      count.total++;
      const name = (key && names.get(key)) ?? 'other';
      count.byKey[name] = (count.byKey[name] ?? 0) + 1;
    }
    return original.apply(this, args);
  };
  return count;
}

// ---------------------------------------------------------------------------------------------
// Memory
// ---------------------------------------------------------------------------------------------

const SAMPLER = `
const { parentPort, workerData } = require('node:worker_threads');
const { performance } = require('node:perf_hooks');
const samples = [];
const tick = () => samples.push(performance.timeOrigin + performance.now(), process.memoryUsage.rss());
tick();
const timer = setInterval(tick, workerData.intervalMs);
parentPort.on('message', () => { clearInterval(timer); tick(); parentPort.postMessage(samples); });
`;

/** Samples the process's RSS every `intervalMs` from a worker thread; stop() gives [epoch ms, rss bytes] pairs. */
export async function rssSampler(intervalMs: number): Promise<{ stop(): Promise<Array<[number, number]>> }> {
  const worker = new Worker(SAMPLER, { eval: true, workerData: { intervalMs } });
  await new Promise((resolve) => setTimeout(resolve, 3 * intervalMs + 50));
  return {
    stop: () =>
      new Promise((resolve, reject) => {
        worker.once('error', reject);
        worker.once('message', (flat: number[]) => {
          const pairs: Array<[number, number]> = [];
          for (let i = 0; i + 1 < flat.length; i += 2) pairs.push([flat[i]!, flat[i + 1]!]);
          void worker.terminate();
          resolve(pairs);
        });
        worker.postMessage('stop');
      }),
  };
}

/** VmHWM (peak RSS) in bytes from /proc/self/status; null off Linux. */
export function peakRss(): number | null {
  try {
    const m = /^VmHWM:\s+(\d+)\s+kB/m.exec(readFileSync('/proc/self/status', 'utf8'));
    return m ? Number(m[1]) * 1024 : null;
  } catch {
    return null;
  }
}

/** Resets VmHWM to the current RSS (Linux ≥ 4.0, proc(5) clear_refs "5"); false when it could not. */
export function resetPeakRss(): boolean {
  try {
    writeFileSync('/proc/self/clear_refs', '5');
    return true;
  } catch {
    return false;
  }
}

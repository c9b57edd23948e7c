// The sealing path: core's signTask with segl's signing pipeline (the stored original read → the
// native XAdES signature → the act and its seal job recorded), then the seal job as the worker runs
// it (SealRuns.run: initial verification with OCSP → RFC 3161 token → LTV-SDO → seal → seal verified
// → the result stored and the task completed), one package after the other on one core. Run as a
// child process (`node dist/bench/seal.js`, a SealSpec as JSON on
// stdin, a SealResult as JSON on stdout), so nothing else shares its event loop.
//
// It starts its own segl runtime (SQLite, temp DATA_DIR, LOG_LEVEL silent, REDIS_URL from the
// environment or a private redis-server), creates the requests over SOAP first (one small PDF each),
// warms up, then calls signTask() back to back for `seconds`. Every RSA private-key operation goes through
// Node's WebCrypto (src/trust/xades/signature.ts and pkijs both use it, see src/trust/crypto.ts), so SubtleCrypto.sign is
// wrapped to count them per package and by key. An optional CPU profile (node:inspector, the same V8
// profile `node --cpu-prof` writes) is taken in a separate run after the measured one, so its
// overhead does not touch the figures.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { Session } from 'node:inspector/promises';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { loadConfig } from '../src/config';
import { startRuntime, type Runtime } from '../src/runtime';
import { SealJobs } from '../src/store/sealjobs';
import { crypto, generateKeys, type CryptoKey } from '../src/trust/crypto';
import { createSigningRequestEnvelope, ENDPOINT_PATH, expectResponse, firstText, post } from './envelopes';
import { lineContent, pdfDocument } from '../src/util/pdf';

export interface SealSpec {
  title: string;
  service: string;
  password: string;
  /** measured seconds of sequential sign() calls */
  seconds: number;
  /** unmeasured signatures first */
  warmup: number;
  /** seconds of a separate, profiled run after the measured one; 0 = no profile */
  profileSeconds: number;
  /** seconds of Node WebCrypto RSA-2048 signing, sequential, for comparison with openssl; 0 = skip */
  nodeRsaSeconds: number;
}

export interface ProfileEntry {
  functionName: string;
  location: string;
  selfMs: number;
  selfPercent: number;
}

export interface SealProfile {
  /** how it was taken */
  method: string;
  seconds: number;
  packages: number;
  sampleIntervalUs: number;
  samples: number;
  totalMs: number;
  /** the top 5 functions by self time (V8's pseudo-nodes (idle), (program), (garbage collector) are under `other`) */
  topSelf: ProfileEntry[];
  /** self time summed by where the code lives (a node_modules package, a segl source directory, node internals) */
  byModule: Array<{ module: string; selfMs: number; selfPercent: number }>;
  /** V8 pseudo-nodes: idle = main thread waiting (e.g. for WebCrypto jobs on the libuv thread pool) */
  other: { idleMs: number; programMs: number; garbageCollectorMs: number };
}

export interface SealResult {
  title: string;
  node: string;
  pid: number;
  setup: {
    pkiSeconds: number;
    /** requests created over SOAP before the warm-up, and topped up before the measured run */
    requestsCreated: number;
    requestCreateSeconds: number;
    pdfBytes: number;
    signer: string;
    /** bytes of one sealed LTV-SDO (the first warm-up package) */
    packageBytes: number;
  };
  warmup: { packages: number; ms: number[] };
  measured: {
    seconds: number;
    packages: number;
    packagesPerSec: number;
    p50Ms: number;
    p90Ms: number;
    p99Ms: number;
    minMs: number;
    maxMs: number;
    meanMs: number;
    /** process CPU time (user + system) ÷ wall time over the measured run: about 1 means one core busy */
    cpuCores: number;
    cpuUserSeconds: number;
    cpuSystemSeconds: number;
    /** 'time' normally; 'requests' when the created requests ran out first */
    endedBy: 'time' | 'requests';
  };
  /** sign() answers that were not ok, and throws (any makes the bench exit 1) */
  failures: string[];
  rsaSigns: {
    /** WebCrypto SubtleCrypto.sign calls with an RSA key, counted inside sign() over the measured run */
    total: number;
    packages: number;
    perPackage: number;
    perPackageMin: number;
    perPackageMax: number;
    /** the same calls by whose private key signed */
    byKey: Record<string, number>;
    algorithms: Record<string, number>;
  };
  /** Node's WebCrypto RSASSA-PKCS1-v1_5 SHA-256, 2048-bit, one await at a time */
  nodeRsa?: { seconds: number; signs: number; signsPerSec: number };
  profile?: SealProfile;
}

// ---------------------------------------------------------------------------------------------
// A small hand-made PDF (the structure of test/support/pdf.ts makePdf, without padding)
// ---------------------------------------------------------------------------------------------

// ---------------------------------------------------------------------------------------------
// Counting RSA private-key operations
// ---------------------------------------------------------------------------------------------

const rsaCount = { total: 0, byKey: {} as Record<string, number>, algorithms: {} as Record<string, number> };
const keyNames = new Map<CryptoKey, string>();

/** Wraps SubtleCrypto.prototype.sign (the one WebCrypto segl's XAdES writer, pkijs and @peculiar/x509 use). */
function countRsaSigns(): void {
  const proto = Object.getPrototypeOf(crypto.subtle) as { sign: (...a: unknown[]) => Promise<ArrayBuffer> };
  const original = proto.sign;
  proto.sign = function sign(this: unknown, ...args: unknown[]): Promise<ArrayBuffer> {
    const key = args[1] as CryptoKey | undefined;
    const alg = key?.algorithm?.name ?? '?';
    if (/^RSA/i.test(alg)) {
      rsaCount.total++;
      const name = (key && keyNames.get(key)) ?? 'other';
      rsaCount.byKey[name] = (rsaCount.byKey[name] ?? 0) + 1;
      const hash = (key?.algorithm as { hash?: { name?: string } }).hash?.name;
      const a = `${alg}${hash ? ` ${hash}` : ''} ${String((key?.algorithm as { modulusLength?: number }).modulusLength ?? '?')}-bit`;
      rsaCount.algorithms[a] = (rsaCount.algorithms[a] ?? 0) + 1;
    }
    return original.apply(this, args);
  };
}

// ---------------------------------------------------------------------------------------------
// Figures
// ---------------------------------------------------------------------------------------------

function percentile(sorted: number[], p: number): number {
  if (!sorted.length) return NaN;
  const i = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[i]!;
}

const round = (x: number, digits = 3): number => (Number.isFinite(x) ? Number(x.toFixed(digits)) : x);

interface CpuProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  hitCount?: number;
  children?: number[];
}
interface CpuProfile {
  nodes: CpuProfileNode[];
  startTime: number;
  endTime: number;
  samples?: number[];
  timeDeltas?: number[];
}

const META = new Set(['(idle)', '(program)', '(garbage collector)', '(root)']);

function moduleOf(url: string): string {
  if (!url) return '(native / V8 builtins)';
  if (url.startsWith('node:')) return 'node internals';
  const u = url.replace(/^file:\/\//, '');
  const nm = u.lastIndexOf('/node_modules/');
  if (nm >= 0) {
    const parts = u.slice(nm + '/node_modules/'.length).split('/');
    return parts[0]!.startsWith('@') ? `${parts[0]}/${parts[1]}` : parts[0]!;
  }
  const m = /\/dist\/(src|bench)\/(?:([^/]+)\/)?[^/]+\.js$/.exec(u);
  if (m) return m[2] ? `segl ${m[1]}/${m[2]}` : `segl ${m[1]}`;
  return path.basename(u);
}

/** Self time per function and per module from a V8 CPU profile (each sample lasts until the next one). */
export function summariseProfile(p: CpuProfile, root: string): Omit<SealProfile, 'method' | 'seconds' | 'packages' | 'sampleIntervalUs'> {
  const byId = new Map(p.nodes.map((n) => [n.id, n]));
  const parent = new Map<number, CpuProfileNode>();
  for (const n of p.nodes) for (const c of n.children ?? []) parent.set(c, n);
  const where = (n: CpuProfileNode): string => {
    const url = n.callFrame.url.replace(/^file:\/\//, '');
    const rel = url.startsWith(`${root}/`) ? url.slice(root.length + 1) : url;
    return rel ? `${rel}:${n.callFrame.lineNumber + 1}` : '';
  };
  const samples = p.samples ?? [];
  const deltas = p.timeDeltas ?? [];
  const selfUs = new Map<number, number>();
  let t = p.startTime;
  const times: number[] = [];
  for (const d of deltas) {
    t += d;
    times.push(t);
  }
  for (let i = 0; i < samples.length; i++) {
    const dur = (i + 1 < times.length ? times[i + 1]! : p.endTime) - times[i]!;
    selfUs.set(samples[i]!, (selfUs.get(samples[i]!) ?? 0) + Math.max(0, dur));
  }
  const totalUs = Math.max(1, p.endTime - p.startTime);
  const fns = new Map<string, ProfileEntry & { us: number }>();
  const mods = new Map<string, number>();
  const other = { idleMs: 0, programMs: 0, garbageCollectorMs: 0 };
  for (const [id, us] of selfUs) {
    const n = byId.get(id);
    if (!n) continue;
    const name = n.callFrame.functionName || '(anonymous)';
    if (META.has(name)) {
      if (name === '(idle)') other.idleMs += us / 1000;
      else if (name === '(program)') other.programMs += us / 1000;
      else if (name === '(garbage collector)') other.garbageCollectorMs += us / 1000;
      continue;
    }
    // A native function (no script) is named by its JavaScript caller, e.g. better-sqlite3's run.
    let location = where(n);
    if (!location) {
      const caller = parent.get(id);
      location =
        caller && where(caller) ? `(native, called from ${caller.callFrame.functionName || '(anonymous)'} ${where(caller)})` : '(native)';
    }
    const key = `${name}\0${location}`;
    const e = fns.get(key) ?? { functionName: name, location, selfMs: 0, selfPercent: 0, us: 0 };
    e.us += us;
    fns.set(key, e);
    const mod = moduleOf(n.callFrame.url);
    mods.set(mod, (mods.get(mod) ?? 0) + us);
  }
  const pct = (us: number): number => round((100 * us) / totalUs, 1);
  return {
    samples: samples.length,
    totalMs: round(totalUs / 1000, 1),
    topSelf: [...fns.values()]
      .sort((a, b) => b.us - a.us)
      .slice(0, 5)
      .map((e) => ({ functionName: e.functionName, location: e.location, selfMs: round(e.us / 1000, 1), selfPercent: pct(e.us) })),
    byModule: [...mods.entries()]
      .sort((a, b) => b[1] - a[1])
      .slice(0, 8)
      .map(([module, us]) => ({ module, selfMs: round(us / 1000, 1), selfPercent: pct(us) })),
    other: { idleMs: round(other.idleMs, 1), programMs: round(other.programMs, 1), garbageCollectorMs: round(other.garbageCollectorMs, 1) },
  };
}

// ---------------------------------------------------------------------------------------------
// The run
// ---------------------------------------------------------------------------------------------

let rt: Runtime | undefined;
let dataDir: string | undefined;

async function cleanup(): Promise<void> {
  const r = rt;
  rt = undefined;
  try {
    await r?.close();
  } finally {
    if (dataDir) rmSync(dataDir, { recursive: true, force: true });
    dataDir = undefined;
  }
}

export async function runSeal(spec: SealSpec): Promise<SealResult> {
  countRsaSigns();
  dataDir = mkdtempSync(path.join(os.tmpdir(), 'segl-bench-seal-'));
  const cfg = loadConfig({
    PORT: '0',
    HOST: '127.0.0.1',
    DATA_DIR: dataDir,
    LOG_LEVEL: 'silent',
    SEGL_DEMO_PASSWORD: spec.password,
    ...(process.env.REDIS_URL ? { REDIS_URL: process.env.REDIS_URL } : {}),
  });
  rt = await startRuntime(cfg, { http: true, worker: false });
  const runtime = rt;
  const endpoint = `${runtime.url!}${ENDPOINT_PATH}`;
  const svc = await runtime.services.find(spec.service);
  if (!svc) throw new Error(`service "${spec.service}" not found`);
  const sealJobs = new SealJobs(runtime.db);

  let t0 = performance.now();
  const ca = await runtime.ca();
  const pipeline = await runtime.signing();
  const pkiSeconds = (performance.now() - t0) / 1000;
  for (const [name, issuer] of Object.entries(ca.pki)) {
    if (issuer && typeof issuer === 'object' && 'keys' in issuer)
      keyNames.set((issuer as { keys: { privateKey: CryptoKey } }).keys.privateKey, name);
  }
  const keys = await generateKeys();
  keyNames.set(keys.privateKey, 'signer');
  const signerName = 'Bench Signer';
  const certificate = await ca.issuePerson({ commonName: signerName, pid: '9208-2002-2-123456789012', publicKey: keys.publicKey });
  const signer = { certificate, keys };

  const pdf = pdfDocument([lineContent('Bench contract 42')]);
  const pool: string[] = [];
  let created = 0;
  let createMs = 0;
  /** Creates `n` requests over SOAP, 8 at a time; each answer must carry one request-id. */
  const createRequests = async (n: number): Promise<void> => {
    const t = performance.now();
    let next = 0;
    const one = async (): Promise<void> => {
      while (next < n) {
        const i = next++;
        const a = await post(endpoint, createSigningRequestEnvelope(spec.service, spec.password, pdf, `bench-seal-${created + i}`));
        expectResponse('sealing: createRequest', a, 'create-request-response');
        const id = firstText(a.body, 'request-id');
        if (!id) throw new Error(`sealing: createRequest answered without a request-id\n${a.body.slice(0, 500)}`);
        pool.push(id);
      }
    };
    await Promise.all(Array.from({ length: Math.min(8, n) }, one));
    created += n;
    createMs += performance.now() - t;
  };

  // The portal's path: core's signTask reads the stored original, the pipeline signs, verifies and
  // seals, and core stores the package as the document's result.
  const input = {
    documentIds: ['doc1'],
    signer,
    audit: [{ type: 'pdf-shown', text: 'doc1 shown to the signer' }],
    defaultSignText: 'I approve the bench contract.',
    userAgent: 'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/156.0.0.0 Safari/537.36',
    clientIp: '127.0.0.1',
  };
  const failures: string[] = [];
  /** One package; returns its wall ms, the RSA signs it made and the sealed package's size (0 when it failed). */
  /** Checked after the run (outside the timing): the task completed with its one result; returns the package's size. */
  const check = async (requestId: string): Promise<number> => {
    const st = await runtime.documents.requests.getStatus(svc, [requestId]);
    const uris = st.flatMap((x) => x.documentStatus ?? []).filter((d) => d.resultUri);
    if (st[0]?.taskStatus !== 'completed' || uris.length !== 1) {
      failures.push(`after sealing ${requestId}: ${JSON.stringify(st)}`);
      return 0;
    }
    return (await runtime.blobs.getBytes((await runtime.documents.requests.resultDocument(svc, requestId, 't1', 'doc1')).blobKey)).length;
  };
  const signed: string[] = [];
  /** One package (both steps); returns its wall ms and the RSA signs it made. */
  const signOne = async (): Promise<{ ms: number; rsa: number; requestId: string }> => {
    const requestId = pool.pop()!;
    const before = rsaCount.total;
    const t = performance.now();
    try {
      // the portal's request: the native signature and the act with its seal job
      const out = await runtime.documents.signer.signTask(svc, requestId, 't1', input, pipeline);
      // the worker's job, run here one at a time: claimed as the relay claims it, then SealRuns.run
      await sealJobs.claimDue(runtime.clock.now().toISOString(), new Date().toISOString(), 10);
      for (const k of out.sealJobs) {
        const outcome = await runtime.sealing.run({ ...k, attempts: 0 });
        if (outcome !== 'completed') failures.push(`the seal job of ${requestId} ended ${outcome}`);
      }
      signed.push(requestId);
    } catch (e) {
      failures.push(`sign() threw: ${(e as Error).message ?? String(e)}`);
    }
    return { ms: performance.now() - t, rsa: rsaCount.total - before, requestId };
  };
  const tooManyFailures = (): void => {
    if (failures.length >= 5) throw new Error(`sealing: sign() failed ${failures.length} times; first: ${failures[0]}`);
  };

  // Requests for the warm-up plus a first batch; topped up once the warm-up shows the pace.
  await createRequests(spec.warmup + 20);
  const warmMs: number[] = [];
  let packageBytes = 0;
  for (let i = 0; i < spec.warmup; i++) {
    const r = await signOne();
    warmMs.push(round(r.ms, 2));
    if (!packageBytes) packageBytes = await check(r.requestId);
    tooManyFailures();
  }
  if (failures.length) throw new Error(`sealing: warm-up sign() failed: ${failures[0]}`);

  let nodeRsa: SealResult['nodeRsa'];
  if (spec.nodeRsaSeconds > 0) {
    const data = crypto.getRandomValues(new Uint8Array(32));
    const alg = { name: 'RSASSA-PKCS1-v1_5' };
    for (let i = 0; i < 20; i++) await crypto.subtle.sign(alg, keys.privateKey, data);
    let signs = 0;
    const t = performance.now();
    const end = t + spec.nodeRsaSeconds * 1000;
    while (performance.now() < end) {
      await crypto.subtle.sign(alg, keys.privateKey, data);
      signs++;
    }
    const s = (performance.now() - t) / 1000;
    nodeRsa = { seconds: round(s, 3), signs, signsPerSec: round(signs / s, 1) };
  }

  const estimateMs = Math.max(
    0.5,
    percentile(
      [...warmMs].sort((a, b) => a - b),
      50,
    ),
  );
  // Generous: the warm-up pace may be far slower than the measured one (a loaded machine, a cold JIT).
  const needed = Math.ceil((((spec.seconds + spec.profileSeconds) * 1000) / estimateMs) * 5) + 50;
  if (pool.length < needed) await createRequests(Math.min(50_000, needed - pool.length));

  // The measured run: sign() back to back, one at a time.
  const ms: number[] = [];
  const perPackage: number[] = [];
  const rsaBefore = { total: rsaCount.total, byKey: { ...rsaCount.byKey }, algorithms: { ...rsaCount.algorithms } };
  let endedBy: 'time' | 'requests' = 'time';
  const cpu0 = process.cpuUsage();
  t0 = performance.now();
  const deadline = t0 + spec.seconds * 1000;
  while (performance.now() < deadline) {
    if (!pool.length) {
      endedBy = 'requests';
      break;
    }
    const r = await signOne();
    ms.push(r.ms);
    perPackage.push(r.rsa);
    tooManyFailures();
  }
  const wallS = (performance.now() - t0) / 1000;
  const cpu = process.cpuUsage(cpu0);
  // every package of the measured run checked now, outside the timing (completed, one result)
  for (const id of signed.splice(0)) await check(id);
  tooManyFailures();
  const diff = (a: Record<string, number>, b: Record<string, number>): Record<string, number> =>
    Object.fromEntries(
      Object.entries(a)
        .map(([k, v]) => [k, v - (b[k] ?? 0)])
        .filter(([, v]) => (v as number) > 0),
    );
  const rsaTotal = rsaCount.total - rsaBefore.total;
  const rsaByKey = diff(rsaCount.byKey, rsaBefore.byKey);
  const rsaAlgorithms = diff(rsaCount.algorithms, rsaBefore.algorithms);
  const sorted = [...ms].sort((a, b) => a - b);

  let profile: SealProfile | undefined;
  if (spec.profileSeconds > 0 && pool.length) {
    const session = new Session();
    session.connect();
    try {
      const interval = 1000;
      await session.post('Profiler.enable');
      await session.post('Profiler.setSamplingInterval', { interval });
      await session.post('Profiler.start');
      let packages = 0;
      const t = performance.now();
      const end = t + spec.profileSeconds * 1000;
      while (performance.now() < end && pool.length) {
        await signOne();
        packages++;
        tooManyFailures();
      }
      const seconds = (performance.now() - t) / 1000;
      const { profile: p } = await session.post('Profiler.stop');
      await session.post('Profiler.disable');
      const root = path.resolve(__dirname, '..', '..');
      // the whole profile beside the results, for DevTools or a closer reading than the summary below
      mkdirSync(path.join(root, 'bench', 'results'), { recursive: true });
      writeFileSync(path.join(root, 'bench', 'results', 'sealing.cpuprofile.json'), JSON.stringify(p));
      profile = {
        method:
          'node:inspector Profiler (the V8 CPU profile `node --cpu-prof` writes), started after the measured run so its overhead is not in the figures; self time of each sample = time until the next sample',
        seconds: round(seconds, 3),
        packages,
        sampleIntervalUs: interval,
        ...summariseProfile(p as unknown as CpuProfile, root),
      };
    } finally {
      session.disconnect();
    }
  }

  return {
    title: spec.title,
    node: process.version,
    pid: process.pid,
    setup: {
      pkiSeconds: round(pkiSeconds, 2),
      requestsCreated: created,
      requestCreateSeconds: round(createMs / 1000, 2),
      pdfBytes: pdf.length,
      signer: certificate.subject,
      packageBytes,
    },
    warmup: { packages: warmMs.length, ms: warmMs },
    measured: {
      seconds: round(wallS, 3),
      packages: ms.length,
      packagesPerSec: round(ms.length / wallS, 2),
      p50Ms: round(percentile(sorted, 50)),
      p90Ms: round(percentile(sorted, 90)),
      p99Ms: round(percentile(sorted, 99)),
      minMs: round(sorted[0] ?? NaN),
      maxMs: round(sorted[sorted.length - 1] ?? NaN),
      meanMs: round(ms.reduce((a, b) => a + b, 0) / Math.max(1, ms.length)),
      cpuCores: round((cpu.user + cpu.system) / 1e6 / wallS, 3),
      cpuUserSeconds: round(cpu.user / 1e6, 3),
      cpuSystemSeconds: round(cpu.system / 1e6, 3),
      endedBy,
    },
    failures,
    rsaSigns: {
      total: rsaTotal,
      packages: ms.length,
      perPackage: round(rsaTotal / Math.max(1, ms.length), 3),
      perPackageMin: perPackage.length ? Math.min(...perPackage) : 0,
      perPackageMax: perPackage.length ? Math.max(...perPackage) : 0,
      byKey: rsaByKey,
      algorithms: rsaAlgorithms,
    },
    ...(nodeRsa ? { nodeRsa } : {}),
    ...(profile ? { profile } : {}),
  };
}

async function main(): Promise<void> {
  const chunks: Buffer[] = [];
  for await (const c of process.stdin) chunks.push(c as Buffer);
  const spec = JSON.parse(Buffer.concat(chunks).toString('utf8')) as SealSpec;
  try {
    const result = await runSeal(spec);
    process.stdout.write(`${JSON.stringify(result)}\n`);
  } finally {
    await cleanup();
  }
}

if (require.main === module) {
  // Stopped by the bench (interrupt, timeout): close segl (and its private Redis) and remove DATA_DIR.
  for (const sig of ['SIGTERM', 'SIGINT'] as const) {
    process.once(sig, () => {
      void cleanup().finally(() => process.exit(143));
    });
  }
  main().then(
    () => process.exit(0),
    async (e: unknown) => {
      process.stderr.write(`seal: ${(e as Error).stack ?? String(e)}\n`);
      await cleanup().catch(() => undefined);
      process.exit(1);
    },
  );
}

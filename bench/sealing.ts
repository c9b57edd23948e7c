// The sealing phase: segl's whole signing path (core's signTask, then the seal job as the worker runs it) sequentially on one core
// in a child process (bench/seal.js), against what one core can do with RSA-2048 alone
// (`openssl speed -seconds 3 rsa2048`, single-threaded without -multi, run before and after the worker;
// the higher is used, and a busy machine is warned about). Each package costs a fixed
// number of RSA private-key operations, so RSA signs/s ÷ signs per package is the ceiling a pipeline
// doing nothing but its signatures would reach; ratio = packages/s ÷ that ceiling.
import { spawn } from 'node:child_process';
import { runSealInChild } from './child';
import { cpuBusy, type Goal, type SealingTable } from './report';
import type { SealResult, SealSpec } from './seal';
import { PASSWORD, SERVICE } from './servers';

export const SEAL_TARGET = { ratio: 0.35 } as const;
export const SEAL_WARMUP = 5;
export const OPENSSL_SECONDS = 3;
/** seconds of Node WebCrypto RSA signing in the worker (informational, beside openssl) */
export const NODE_RSA_SECONDS = 2;
/** the five the packaging needs (native, signer OCSP, TSA, seal OCSP, seal); see RSA_SIGNS_FROM_CODE */
export const ASSUMED_RSA_SIGNS = 5;

/**
 * The RSA private-key operations of one SigningPipeline.sign, read from the code. All of them go
 * through Node's WebCrypto, and the worker counts the real calls (by key) to check this list.
 */
export const RSA_SIGNS_FROM_CODE: ReadonlyArray<{ key: string; what: string; where: string }> = [
  {
    key: 'signer',
    what: 'the native XAdES signature',
    where:
      'src/signing/pipeline.ts sign → src/trust/xades/native.ts createNativeSignature → src/trust/xades/signature.ts xadesSignature (crypto.subtle.sign over the canonical SignedInfo)',
  },
  {
    key: 'ocsp',
    what: 'the OCSP response for the signer certificate (initial verification)',
    where:
      'src/signing/pipeline.ts prefetchRevocation (asked when sign() starts, used by verify(native)) → src/trust/validation/revocation.ts ocspRevocationSource → TestCa.ocsp → src/trust/ocsp/responder.ts respondOcsp (crypto.subtle.sign over the DER ResponseData)',
  },
  {
    key: 'tsa',
    what: 'the RFC 3161 time-stamp token',
    where:
      'src/signing/pipeline.ts trustedTime (requested while the native signature is verified) → TestCa.timestamp → src/trust/tsp/responder.ts buildToken (SignedData.sign)',
  },
  {
    key: 'ocsp',
    what: "the OCSP response for the seal certificate, embedded in the seal's RevocationValues",
    where:
      'src/signing/pipeline.ts sealOcspP = this.trust.revocation(seal.certificate, sealChain[0]) (asked when sign() starts) → respondOcsp (also used to verify the seal)',
  },
  {
    key: 'seal',
    what: 'the seal over the LTV-SDO',
    where:
      'src/signing/pipeline.ts → src/trust/xades/seal.ts createSeal → src/trust/xades/signature.ts xadesSignature (crypto.subtle.sign over the canonical SignedInfo)',
  },
];

export interface OpensslSpeed {
  command: string;
  version: string;
  /** RSA 2048-bit private-key operations per second, one thread ("sign/s") */
  signPerSec: number;
  verifyPerSec: number | null;
  /** the result line as printed */
  line: string;
}

export type OpensslOutcome = OpensslSpeed | { failed: string };
export const isOpenssl = (o: OpensslOutcome | undefined): o is OpensslSpeed => !!o && 'signPerSec' in o;
export type SealOutcome = SealResult | { failed: string } | { skipped: string };
export const isSeal = (o: SealOutcome | undefined): o is SealResult => !!o && 'measured' in o;

function run(cmd: string, args: string[], timeoutMs: number): Promise<{ code: number | null; out: string; err: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.setEncoding('utf8').on('data', (s: string) => {
      out += s;
    });
    child.stderr.setEncoding('utf8').on('data', (s: string) => {
      err += s;
    });
    const timer = setTimeout(() => child.kill('SIGTERM'), timeoutMs);
    child.once('error', (e) => {
      clearTimeout(timer);
      reject(e);
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, out, err });
    });
  });
}

/**
 * Reads `openssl speed rsa2048` output (stdout). The columns differ between versions (3.0: sign verify
 * sign/s verify/s; 3.2+: also encrypt/decrypt), so the value is taken under the "sign/s" header.
 */
export function parseOpensslSpeed(stdout: string): { signPerSec: number; verifyPerSec: number | null; line: string } {
  const lines = stdout.split('\n');
  const i = lines.findIndex((l) => /^rsa\s+2048\s+bits\s/.test(l.trim()));
  if (i < 0) throw new Error(`no "rsa 2048 bits" line in the openssl speed output: ${stdout.slice(0, 300)}`);
  const line = lines[i]!.trim();
  const values = line.replace(/^rsa\s+2048\s+bits\s+/, '').split(/\s+/);
  let header: string[] = [];
  for (let j = i - 1; j >= 0; j--) {
    if (/\bsign\/s\b/.test(lines[j]!)) {
      header = lines[j]!.trim().split(/\s+/);
      break;
    }
  }
  const at = (name: string): number | null => {
    const k = header.indexOf(name);
    const v = k >= 0 && header.length === values.length ? Number(values[k]) : NaN;
    return Number.isFinite(v) ? v : null;
  };
  let sign = at('sign/s');
  // Without a matching header: the first value not ending in "s" is sign/s (3.0 layout).
  if (sign === null) sign = Number(values.find((v) => /^[\d.]+$/.test(v)) ?? NaN);
  if (!Number.isFinite(sign) || sign <= 0) throw new Error(`could not read sign/s from: ${line}`);
  return { signPerSec: sign, verifyPerSec: at('verify/s'), line };
}

export async function opensslSpeed(seconds = OPENSSL_SECONDS): Promise<OpensslSpeed> {
  const args = ['speed', '-seconds', String(seconds), 'rsa2048'];
  const r = await run('openssl', args, (seconds * 4 + 60) * 1000);
  if (r.code !== 0) throw new Error(`openssl ${args.join(' ')} exited with ${String(r.code)}: ${r.err.trim().slice(-300)}`);
  const v = await run('openssl', ['version'], 10_000).catch(() => ({ code: 1, out: '', err: '' }));
  return { command: `openssl ${args.join(' ')}`, version: v.out.trim().split('\n')[0] ?? 'unknown', ...parseOpensslSpeed(r.out) };
}

export interface SealingMeasurement {
  /** the higher of the two openssl runs (before and after the worker): the quieter core's figure */
  baseline: OpensslOutcome;
  /** both openssl runs and the machine's load beside them */
  baselines: {
    before: OpensslOutcome;
    after: OpensslOutcome;
    used: 'before' | 'after' | null;
    busyPercent: { before: number; after: number };
  };
  segl: SealOutcome;
  rsaSignsPerPackage: number | null;
  /** openssl RSA signs/s ÷ RSA signs per package */
  ceilingPackagesPerSec: number | null;
  ratio: number | null;
  notes: string[];
}

export interface SealingContext {
  log(msg: string): void;
  /** things that broke (exit 1) */
  problems: string[];
}

const round = (x: number, d = 3): number => Number(x.toFixed(d));

/** One openssl baseline run, with how busy the machine was just before it; a failure is recorded, not thrown. */
async function opensslRun(ctx: SealingContext, when: 'before' | 'after'): Promise<{ speed: OpensslOutcome; busy: number }> {
  const busy = await cpuBusy();
  ctx.log(`sealing: openssl speed -seconds ${OPENSSL_SECONDS} rsa2048 (one thread), ${when} the worker; machine ${busy}% busy…`);
  try {
    const speed = await opensslSpeed();
    ctx.log(`sealing: openssl ${speed.version}: ${speed.signPerSec} RSA-2048 signs/s (${when})`);
    return { speed, busy };
  } catch (e) {
    const msg = ((e as Error).message ?? String(e)).split('\n')[0]!;
    ctx.log(`sealing: openssl baseline ${when} FAILED: ${msg}`);
    return { speed: { failed: msg }, busy };
  }
}

/** A machine this busy (other work, % of all cores) or openssl runs this far apart make the ratio doubtful. */
const BUSY_PERCENT = 20;
const OPENSSL_SPREAD = 0.1;

/**
 * The whole phase: openssl, the worker, openssl again; the higher openssl figure is the baseline (the
 * crypto limit on a quiet core), and a busy machine is warned about. A failed side is recorded, not thrown.
 */
export async function measureSealing(ctx: SealingContext, o: { seconds: number; profileSeconds: number }): Promise<SealingMeasurement> {
  const notes: string[] = [];
  const before = await opensslRun(ctx, 'before');

  ctx.log(
    `sealing: signTask (core) and the seal job (SealRuns.run) in a child process: ${SEAL_WARMUP} warm-up packages, ${o.seconds} s sequential` +
      `${o.profileSeconds > 0 ? `, then ${o.profileSeconds} s profiled` : ''}…`,
  );
  const spec: SealSpec = {
    title: 'sealing',
    service: SERVICE,
    password: PASSWORD,
    seconds: o.seconds,
    warmup: SEAL_WARMUP,
    profileSeconds: o.profileSeconds,
    nodeRsaSeconds: NODE_RSA_SECONDS,
  };
  let segl: SealOutcome;
  try {
    segl = await runSealInChild(spec, (180 + 3 * (o.seconds + o.profileSeconds + NODE_RSA_SECONDS)) * 1000);
  } catch (e) {
    const msg = ((e as Error).message ?? String(e)).split('\n')[0]!;
    ctx.problems.push(msg.startsWith('sealing') ? msg : `sealing: ${msg}`);
    ctx.log(`sealing FAILED: ${(e as Error).message ?? msg}`);
    segl = { failed: msg };
  }

  const after = await opensslRun(ctx, 'after');
  const runs = { before: before.speed, after: after.speed };
  const used =
    isOpenssl(runs.before) && (!isOpenssl(runs.after) || runs.before.signPerSec >= runs.after.signPerSec)
      ? 'before'
      : isOpenssl(runs.after)
        ? 'after'
        : null;
  const baseline: OpensslOutcome = used ? runs[used] : before.speed;
  if (!used) notes.push(`sealing: no openssl baseline (${'failed' in before.speed ? before.speed.failed : '?'}), so no ratio`);
  const busy = Math.max(before.busy, after.busy);
  if (busy > BUSY_PERCENT) {
    const w = `WARNING: the machine was ${busy}% busy with other work around the sealing phase: the openssl limit and the packages/s are both pessimistic and noisy`;
    notes.push(`sealing: ${w}`);
    ctx.log(`sealing: ${w}`);
  }
  if (isOpenssl(runs.before) && isOpenssl(runs.after)) {
    const hi = Math.max(runs.before.signPerSec, runs.after.signPerSec);
    const lo = Math.min(runs.before.signPerSec, runs.after.signPerSec);
    if (hi > 0 && (hi - lo) / hi > OPENSSL_SPREAD) {
      const w = `WARNING: openssl before (${runs.before.signPerSec}/s) and after (${runs.after.signPerSec}/s) differ by ${Math.round((100 * (hi - lo)) / hi)}%: the core was not quiet; the higher is used`;
      notes.push(`sealing: ${w}`);
      ctx.log(`sealing: ${w}`);
    }
  }

  let perPackage: number | null = null;
  if (isSeal(segl)) {
    const m = segl.measured;
    ctx.log(
      `sealing: ${m.packages} packages in ${m.seconds} s: ${m.packagesPerSec} packages/s, p50 ${m.p50Ms} ms, p99 ${m.p99Ms} ms; ` +
        `${segl.rsaSigns.perPackage} RSA signs per package (${JSON.stringify(segl.rsaSigns.byKey)})`,
    );
    for (const f of segl.failures) ctx.problems.push(`sealing: ${f}`);
    if (m.packages === 0) ctx.problems.push('sealing: no package was made during the measurement');
    if (m.endedBy === 'requests')
      notes.push(`sealing: the created requests ran out after ${m.seconds} s (of ${o.seconds} s); the figures cover that time`);
    const r = segl.rsaSigns;
    if (r.packages > 0) {
      perPackage = r.perPackage;
      if (r.perPackageMin !== r.perPackageMax)
        notes.push(
          `sealing: RSA signs per package varied between ${r.perPackageMin} and ${r.perPackageMax}; the mean ${r.perPackage} is used`,
        );
      if (r.perPackage !== RSA_SIGNS_FROM_CODE.length) {
        notes.push(
          `sealing: ${r.perPackage} RSA signs per package counted, but bench/sealing.ts lists ${RSA_SIGNS_FROM_CODE.length} from the code: update RSA_SIGNS_FROM_CODE; the counted figure is used`,
        );
      }
    }
  }
  const ceiling = isOpenssl(baseline) && perPackage ? baseline.signPerSec / perPackage : null;
  const ratio = ceiling && isSeal(segl) ? round(segl.measured.packagesPerSec / ceiling) : null;
  return {
    baseline,
    baselines: { ...runs, used, busyPercent: { before: before.busy, after: after.busy } },
    segl,
    rsaSignsPerPackage: perPackage,
    ceilingPackagesPerSec: ceiling === null ? null : round(ceiling, 1),
    ratio,
    notes,
  };
}

export function sealingGoals(m: SealingMeasurement | undefined): Goal[] {
  const v = m?.ratio ?? null;
  return [
    {
      name: 'sealing ratio pkg/s ÷ RSA-op ceiling',
      target: `>= ${SEAL_TARGET.ratio}`,
      value: v,
      pass: v === null ? null : v >= SEAL_TARGET.ratio,
    },
  ];
}

/** The sealing.json document (the environment fields are added by run.ts). */
export function sealingDoc(
  m: SealingMeasurement | undefined,
  instead: string | undefined,
  o: { seconds: number; profileSeconds: number },
): Record<string, unknown> {
  const segl = m?.segl;
  const counted = m?.rsaSignsPerPackage ?? null;
  const byKeyPerPackage =
    isSeal(segl) && segl.rsaSigns.packages > 0
      ? Object.fromEntries(Object.entries(segl.rsaSigns.byKey).map(([k, n]) => [k, round(n / segl.rsaSigns.packages, 3)]))
      : null;
  return {
    operation:
      "core signTask (the task and its stored original read → SigningPipeline.nativeSignature → the act and its seal job recorded), then the seal job as the worker runs it (SealRuns.run → SigningPipeline.seal: initial verification with OCSP (segl's own responder, in process) → RFC 3161 token → LTV-SDO → seal → seal verified → the result stored and the task completed)",
    database: 'sqlite',
    ...(instead ? { outcome: instead } : {}),
    setup:
      'bench/seal.js in one child node process: its own segl runtime (startRuntime, SQLite, temp DATA_DIR, LOG_LEVEL silent, REDIS_URL or a private redis-server); ' +
      'the requests (one small hand-made PDF each, setup.pdfBytes bytes, and one task t1 signing it) created over SOAP first; one signer certificate from the test CA; ' +
      `${SEAL_WARMUP} warm-up packages, then sign() awaited back to back (one at a time) for the measured seconds`,
    measuredSeconds: o.seconds,
    warmupPackages: SEAL_WARMUP,
    ...(m
      ? {
          segl: isSeal(segl)
            ? {
                packagesPerSec: segl.measured.packagesPerSec,
                p50Ms: segl.measured.p50Ms,
                p99Ms: segl.measured.p99Ms,
                measured: segl.measured,
                warmup: segl.warmup,
                setup: segl.setup,
                failures: segl.failures,
              }
            : segl,
          baseline: isOpenssl(m.baseline)
            ? {
                ...m.baseline,
                threads: 1,
                note: 'single-threaded (no -multi); the same OpenSSL family Node links for WebCrypto; the higher of the runs before and after the worker',
              }
            : m.baseline,
          baselines: m.baselines,
          rsaSignsPerPackage: {
            used: counted,
            counted: isSeal(segl)
              ? {
                  perPackage: segl.rsaSigns.perPackage,
                  min: segl.rsaSigns.perPackageMin,
                  max: segl.rsaSigns.perPackageMax,
                  total: segl.rsaSigns.total,
                  packages: segl.rsaSigns.packages,
                  byKeyPerPackage,
                  algorithms: segl.rsaSigns.algorithms,
                }
              : null,
            how: "the worker wraps SubtleCrypto.prototype.sign (segl's XAdES writer, pkijs and @peculiar/x509 all sign through Node's WebCrypto, src/trust/crypto.ts) and counts calls with an RSA key inside each measured sign(), by whose key signed",
            fromCode: RSA_SIGNS_FROM_CODE.length,
            breakdown: RSA_SIGNS_FROM_CODE,
            assumedBefore: ASSUMED_RSA_SIGNS,
            note: `${ASSUMED_RSA_SIGNS}: native signature, OCSP for the signer, TSA token, OCSP for the seal certificate (embedded, and reused when the seal is verified), seal`,
          },
          ceilingPackagesPerSec: m.ceilingPackagesPerSec,
          ratio: m.ratio,
          ratioFormula: 'packages/s ÷ (openssl RSA-2048 sign/s ÷ RSA signs per package (counted))',
          ratioWithAssumedSigns:
            isSeal(segl) && isOpenssl(m.baseline)
              ? round(segl.measured.packagesPerSec / (m.baseline.signPerSec / ASSUMED_RSA_SIGNS))
              : null,
          nodeWebCryptoRsa:
            isSeal(segl) && segl.nodeRsa
              ? {
                  ...segl.nodeRsa,
                  what: "Node WebCrypto RSASSA-PKCS1-v1_5 SHA-256 2048-bit sign, awaited one at a time in the worker (for comparison with openssl: the pipeline's signs go this way)",
                }
              : null,
          profile: isSeal(segl)
            ? (segl.profile ?? (o.profileSeconds > 0 ? 'none: no requests left' : 'skipped: BENCH_SEAL_PROFILE_SECONDS=0'))
            : null,
          notes: m.notes,
        }
      : {}),
    targets: { ratio: `>= ${SEAL_TARGET.ratio}` },
    goals: sealingGoals(m),
  };
}

export function sealingTable(m: SealingMeasurement | undefined, instead: string | undefined, seconds: number): SealingTable {
  const segl = m?.segl;
  return {
    ...(instead ? { instead } : {}),
    seconds,
    segl: !m
      ? { failed: '-' }
      : isSeal(segl)
        ? {
            packagesPerSec: segl.measured.packagesPerSec,
            p50Ms: segl.measured.p50Ms,
            p99Ms: segl.measured.p99Ms,
            packages: segl.measured.packages,
            cpuCores: segl.measured.cpuCores,
          }
        : { failed: segl && 'failed' in segl ? segl.failed : segl && 'skipped' in segl ? segl.skipped : '-' },
    opensslSignPerSec: m && isOpenssl(m.baseline) ? m.baseline.signPerSec : null,
    nodeRsaSignPerSec: isSeal(segl) ? (segl.nodeRsa?.signsPerSec ?? null) : null,
    rsaSignsPerPackage: m?.rsaSignsPerPackage ?? null,
    rsaSignsFromCode: RSA_SIGNS_FROM_CODE.length,
    ceilingPackagesPerSec: m?.ceilingPackagesPerSec ?? null,
    ratio: m?.ratio ?? null,
    profile:
      isSeal(segl) && segl.profile
        ? { seconds: segl.profile.seconds, top: segl.profile.topSelf, byModule: segl.profile.byModule.slice(0, 3) }
        : null,
  };
}

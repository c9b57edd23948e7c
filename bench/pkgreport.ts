// The packaging phase's figures, each beside its baseline and the ratio; its goals, packaging.json and the lines
// of the printed table.
import {
  isLatency,
  isMemory,
  PACKAGE_RSA_SIGNS_FROM_CODE,
  PACKAGING_TARGET,
  SIGNERS,
  CONTRACT_PAGES,
  WORKERS,
  ONE_PAGE_SDOS,
} from './packaging';
import type { LatencyResult, MemoryRun } from './pack';
import type { PackagingMeasurement, PackagingOptions } from './packaging';
import { STEPS } from './pkgsteps';
import { lpad, num, pad, type Goal } from './report';

const MB = 2 ** 20;
const round = (x: number, d = 3): number => Number(x.toFixed(d));
const ok = <T extends object>(x: T | { failed: string } | { skipped: string } | undefined): x is T =>
  !!x && !('failed' in x) && !('skipped' in x);
const why = (x: unknown): string =>
  x && typeof x === 'object' ? ((x as { failed?: string; skipped?: string }).failed ?? (x as { skipped?: string }).skipped ?? '-') : '-';

export interface PackagingFigures {
  latency: {
    p50Ms: number | null;
    minMs: number | null;
    qpdfP50Ms: number | null;
    qpdfMinMs: number | null;
    ratioP50: number | null;
    ratioMin: number | null;
  };
  memory: { growthMb: number | null; inputMb: number | null; limitMb: number | null; growthPerInput: number | null };
  throughput: {
    packagesPerSec: number | null;
    opensslSignsPerSec: number | null;
    rsaSignsPerPackage: number | null;
    ceilingPackagesPerSec: number | null;
    ratio: number | null;
  };
}

export function packagingFigures(m: PackagingMeasurement | undefined): PackagingFigures {
  const l = m && isLatency(m.latency) ? m.latency.summary : null;
  const q = m?.qpdf.pooled ?? null;
  const mem = m && isMemory(m.memory) ? m.memory : null;
  const inputMb = mem ? mem.input.pdfBytes / MB : null;
  const t = m && ok(m.throughput) ? m.throughput : null;
  const counted = t ? t.workers.reduce((n, w) => n + w.rsa.mean, 0) / t.workers.length : null;
  const signs = m && ok(m.openssl.multi) ? m.openssl.multi.signPerSec : null;
  const ceiling = signs && counted ? signs / counted : null;
  return {
    latency: {
      p50Ms: l?.p50Ms ?? null,
      minMs: l?.minMs ?? null,
      qpdfP50Ms: q?.p50Ms ?? null,
      qpdfMinMs: q?.minMs ?? null,
      ratioP50: l && q ? round(l.p50Ms / q.p50Ms, 2) : null,
      ratioMin: l && q ? round(l.minMs / q.minMs, 2) : null,
    },
    memory: {
      growthMb: mem ? mem.measured.growthMb : null,
      inputMb: inputMb === null ? null : round(inputMb, 1),
      limitMb: inputMb === null ? null : round(PACKAGING_TARGET.rssFactor * inputMb, 1),
      growthPerInput: mem && inputMb ? round(mem.measured.growthMb / inputMb, 2) : null,
    },
    throughput: {
      packagesPerSec: t?.packagesPerSec ?? null,
      opensslSignsPerSec: signs,
      rsaSignsPerPackage: counted === null ? null : round(counted, 3),
      ceilingPackagesPerSec: ceiling === null ? null : round(ceiling, 1),
      ratio: t && ceiling ? round(t.packagesPerSec / ceiling, 4) : null,
    },
  };
}

const goal = (name: string, target: string, value: number | null, pass: (v: number) => boolean): Goal => ({
  name,
  target,
  value,
  pass: value === null ? null : pass(value),
});

export function packagingGoals(m: PackagingMeasurement | undefined): Goal[] {
  const f = packagingFigures(m);
  const T = PACKAGING_TARGET;
  return [
    goal(`packaging ${CONTRACT_PAGES} p × ${SIGNERS} SDOs p50 ms`, `< ${T.p50Ms}`, f.latency.p50Ms, (v) => v < T.p50Ms),
    goal('packaging p50 ÷ qpdf p50 (same PDF)', `<= ${T.qpdfRatio}`, f.latency.ratioP50, (v) => v <= T.qpdfRatio),
    goal(
      `packaging RSS growth MB (${f.memory.inputMb ?? '-'} MB PDF)`,
      `< ${f.memory.limitMb ?? `${T.rssFactor}× input`}`,
      f.memory.growthMb,
      (v) => f.memory.limitMb !== null && v < f.memory.limitMb,
    ),
    goal(`packaging ${WORKERS} workers pkg/s ÷ RSA ceiling`, `>= ${T.throughputRatio}`, f.throughput.ratio, (v) => v >= T.throughputRatio),
  ];
}

/** Notes for the summary: the counted RSA signs against the list from the code. */
export function packagingNotes(m: PackagingMeasurement | undefined): string[] {
  const notes = [...(m?.notes ?? [])];
  const counts = [
    ...(m && isLatency(m.latency) ? [m.latency.rsa] : []),
    ...(m && ok(m.throughput) ? m.throughput.workers.map((w) => w.rsa) : []),
  ];
  for (const c of counts)
    if (c.min !== PACKAGE_RSA_SIGNS_FROM_CODE.length || c.max !== PACKAGE_RSA_SIGNS_FROM_CODE.length)
      notes.push(
        `packaging: ${c.min}–${c.max} RSA signs per package counted, bench/packaging.ts lists ${PACKAGE_RSA_SIGNS_FROM_CODE.length} from the code; the counted mean is used`,
      );
  return notes;
}

/** packaging.json (the environment fields are added by run.ts). */
export function packagingDoc(
  m: PackagingMeasurement | undefined,
  instead: string | undefined,
  o: PackagingOptions,
): Record<string, unknown> {
  const f = packagingFigures(m);
  return {
    operation:
      'PadesMaker.make (src/packaging/maker.ts): every LTV-SDO read and verified offline → the PDF composed (@cantoo/pdf-lib) → sealed as PAdES B-LTA (CMS + signature time-stamp, DSS with OCSP for the seal and TSA chains, document time-stamp)',
    ...(instead ? { outcome: instead } : {}),
    options: o,
    setup: m
      ? {
          ...m.prepared,
          how: `bench/pack.js prepare: the built-in test PKI (src/testca/pki.ts) saved for the workers; every SDO made by SigningPipeline.sign (native XAdES → OCSP → RFC 3161 → LTV-SDO → seal) before any timing; the ${CONTRACT_PAGES}-page PDF written with @cantoo/pdf-lib, DejaVu Sans embedded (subset), 46 lines of text per page; the large PDF: pages of 1024×768 RGB noise images stored unfiltered, so its size is real`,
        }
      : null,
    loadAverage: m?.loadAverage ?? null,
    latency: m && {
      what: `one package from a ${CONTRACT_PAGES}-page PDF signed by ${SIGNERS} signers (${SIGNERS} sealed LTV-SDOs, each holding the PDF); one worker process, makes awaited one after another after 2 warm-up makes`,
      segl: isLatency(m.latency) ? { ...m.latency, stepsWhat: Object.fromEntries(STEPS.map((s) => [s.step, s.what])) } : m.latency,
      baseline: {
        ...m.qpdf,
        what: 'qpdf on the same 100-page PDF, each run timed from spawn until exit (one untimed run first); before and after the segl runs',
      },
      ratioP50: f.latency.ratioP50,
      ratioMin: f.latency.ratioMin,
      ratioFormula: 'segl make() p50 ÷ qpdf p50 (all qpdf runs, before and after, pooled); ratioMin the same with the minimums',
      packageCheck: m.packageCheck,
    },
    memory: m && {
      what: 'one package from the large PDF (1 signer, 1 SDO) in a fresh worker (node --expose-gc): one 1-page package first, then the SDO read, gc(), RSS taken, VmHWM reset, make(); growth = peak RSS during make() − RSS before',
      segl: m.memory,
      baseline: { inputMb: f.memory.inputMb, limitMb: f.memory.limitMb, what: `${PACKAGING_TARGET.rssFactor}× the input PDF` },
      growthPerInput: f.memory.growthPerInput,
    },
    throughput: m && {
      what: `${WORKERS} worker processes, each making 1-page packages (1 SDO each, ${ONE_PAGE_SDOS} distinct SDOs cycled) back to back; started together after warm-up; pkg/s = all packages ÷ (last end − first start)`,
      segl: m.throughput,
      baseline: { opensslMulti: m.openssl.multi, opensslSingle: m.openssl.single, used: `openssl -multi ${WORKERS}` },
      rsaSignsPerPackage: {
        counted: f.throughput.rsaSignsPerPackage,
        fromCode: PACKAGE_RSA_SIGNS_FROM_CODE.length,
        breakdown: PACKAGE_RSA_SIGNS_FROM_CODE,
      },
      ceilingPackagesPerSec: f.throughput.ceilingPackagesPerSec,
      ratio: f.throughput.ratio,
      ratioFormula: `packages/s ÷ (openssl -multi ${WORKERS} RSA-2048 sign/s ÷ RSA signs per package (counted))`,
    },
    targets: {
      p50Ms: `< ${PACKAGING_TARGET.p50Ms}`,
      qpdfRatio: `<= ${PACKAGING_TARGET.qpdfRatio}`,
      rssGrowth: `< ${PACKAGING_TARGET.rssFactor}× the input PDF`,
      throughputRatio: `>= ${PACKAGING_TARGET.throughputRatio}`,
    },
    notes: packagingNotes(m),
    goals: packagingGoals(m),
  };
}

const stepsLine = (steps: Record<string, number>): string =>
  Object.entries(steps)
    .map(([k, v]) => `${k} ${num(v)}`)
    .join(', ');
const profileLine = (p: NonNullable<LatencyResult['profile']>): string =>
  `${p.byModule
    .slice(0, 5)
    .map((x) => `${x.module} ${num(x.selfPercent)}%`)
    .join(', ')}; GC ${num((100 * p.other.garbageCollectorMs) / p.totalMs)}%, idle ${num((100 * p.other.idleMs) / p.totalMs)}%`;

/** The parts that raised make()'s RSS to a new high, with that high over the RSS before make(). */
const highsLine = (r: MemoryRun): string => {
  let high = r.beforeMb;
  const out: string[] = [];
  for (const p of r.parts)
    if (p.rssPeakMb !== null && p.rssPeakMb > high + 1) {
      high = p.rssPeakMb;
      out.push(`${p.part} +${num(high - r.beforeMb, 0)}`);
    }
  return out.join(', ');
};
/** Each step's own rise: its peak over the RSS at its start (in the diagnostic run, after gc). */
const risesLine = (r: MemoryRun): string =>
  r.parts
    .filter((p) => !p.part.startsWith('maker,') && p.rssPeakMb !== null && p.rssStartMb !== null)
    .map((p) => `${p.part} +${num(p.rssPeakMb! - p.rssStartMb!, 0)}`)
    .join(', ');

export function packagingLines(m: PackagingMeasurement | undefined, instead: string | undefined): string[] {
  const head = `Packaging: PadesMaker.make → PAdES B-LTA (load average ${m?.loadAverage.start?.join(' ') ?? '-'} at start)`;
  if (instead || !m) return [head, `  ${instead ?? '-'}`];
  const f = packagingFigures(m);
  const lines = [`${pad(head, 70)}${lpad('p50 ms', 9)}${lpad('min ms', 9)}${lpad('n', 5)}`];
  const row = (name: string, s: { p50Ms: number; minMs: number; count: number } | null | undefined, alt?: string): void => {
    lines.push(
      s
        ? `  ${pad(name, 68)}${lpad(num(s.p50Ms), 9)}${lpad(num(s.minMs), 9)}${lpad(String(s.count), 5)}`
        : `  ${pad(name, 68)}${alt ?? '-'}`,
    );
  };
  row(`segl, ${CONTRACT_PAGES} pages × ${SIGNERS} SDOs (1 worker)`, isLatency(m.latency) ? m.latency.summary : null, why(m.latency));
  for (const [side, q] of [
    ['before', m.qpdf.before],
    ['after', m.qpdf.after],
  ] as const)
    row(
      `qpdf --empty --pages, same PDF, ${side} (load ${'loadAverage' in q ? q.loadAverage.join(' ') : '-'})`,
      'summary' in q ? q.summary : null,
      why(q),
    );
  lines.push(`  ${pad('ratio segl ÷ qpdf (pooled)', 68)}${lpad(num(f.latency.ratioP50, 2), 9)}${lpad(num(f.latency.ratioMin, 2), 9)}`);
  if (isLatency(m.latency)) lines.push(`  steps (mean ms): ${stepsLine(m.latency.steps)}`);
  if (isLatency(m.latency) && m.latency.profile) lines.push(`  profile: ${profileLine(m.latency.profile)}`);
  if (isMemory(m.memory)) {
    const run = (label: string, r: MemoryRun): string =>
      `  ${label}: RSS ${num(r.beforeMb)} → peak ${num(r.peakMb ?? r.sampledPeakMb)} MB, growth ${num(r.growthMb)} MB, ${num(r.makeMs / 1000, 1)} s`;
    lines.push(
      `  memory, ${num(f.memory.inputMb)} MB PDF, 1 SDO (fresh worker), limit ${num(f.memory.limitMb)} MB growth (MB = 2^20 bytes):`,
    );
    lines.push(run('make()', m.memory.measured), `    new highs over before (MB): ${highsLine(m.memory.measured)}`);
    const d = m.memory.diagnostic;
    if (d)
      lines.push(run('diagnostic make() with gc() at every step boundary', d), `    each step's rise over its start (MB): ${risesLine(d)}`);
  } else lines.push(`  memory: ${why(m.memory)}`);
  const t = f.throughput;
  if (!ok(m.throughput)) lines.push(`  throughput: ${why(m.throughput)}`);
  else {
    lines.push(
      `  throughput, ${WORKERS} workers, 1-page: ${num(t.packagesPerSec, 2)} pkg/s; openssl -multi ${WORKERS}: ${num(t.opensslSignsPerSec)} signs/s ÷ ` +
        `${num(t.rsaSignsPerPackage, 2)} signs/pkg = ${num(t.ceilingPackagesPerSec)} pkg/s; ratio ${num(t.ratio, 4)}`,
    );
    for (const w of m.throughput.workers)
      lines.push(
        `    worker ${w.worker + 1}: ${w.packages} pkg, p50 ${num(w.summary.p50Ms)} ms, ${num(w.cpuCores, 2)} cores; ${stepsLine(w.steps)}`,
      );
    const p = m.throughput.workers.find((w) => w.profile)?.profile;
    if (p) lines.push(`    profile: ${profileLine(p)}`);
  }
  return lines;
}

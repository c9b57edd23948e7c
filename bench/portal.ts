// The portal phase (issue 6, "Targets"; issue 13: sealing moved to the worker): the signer's final
// "Sign" in the portal — the POST that sends in the nemid-sign confirmation — until its answer
// arrives, which is after the central key has made the native signature and the act is recorded with
// its seal job ("signed, being sealed"). The seal job then runs in the worker (in this process, as
// `segl start` runs it): the time until the task is completed is measured too (Sign → sealed).
// Driven with Node's fetch, posting exactly the forms a browser posts (hidden inputs read
// from the pages, the segl_portal cookie carried along); no browser.
//
// Per act, outside the timed span: task URL → NemID login (user, password) → key-card code → CPR
// confirmed (the task names the signer's national-id) → both documents opened → Send in → the sign
// page → sign/start. Timed: POST …/sign/confirm (password, code, challenge …) until the "signed, being
// sealed" page has arrived. Afterwards getStatus (rt.documents) must say completed with a result-uri
// for every document once the worker has sealed (polled; Sign → sealed). Sequential first (each act
// sealed before the next), then waves of P acts whose confirms are sent at the same moment.
// SigningPipeline.nativeSignature and TestIdEnvironment.authoriseSigning are timed inside the same
// requests (wrapped for the phase), so the figures say where a confirm's time goes.
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { loadConfig } from '../src/config';
import type { ServiceAccount } from '../src/core/ports';
import { keyFromSecret, open, seal } from '../src/util/secretbox';
import { SigningPipeline } from '../src/signing/pipeline';
import { startRuntime, type Runtime } from '../src/runtime';
import { hashPassword, verifyPassword } from '../src/store/services';
import { ENDPOINT_PATH, expectResponse, firstText, NS, post, SOAP11 } from './envelopes';
import { lineContent, pdfDocument } from '../src/util/pdf';
import { latencySummary, lpad, num, pad, type Goal, type LatencySummary } from './report';
import { PASSWORD, SERVICE } from './servers';
import { BrowserLike, pageText as text, prepareSigning } from '../test/support/portalflow';

export const PORTAL_TARGET = { p50Ms: 300, p99Ms: 300 } as const;
/** acts before each measured run, not counted (JIT, the trust set-up on the first signature) */
export const PORTAL_WARMUP = 3;
const COMPLETE_URL = 'https://client.example/done?request=${requestId}&task=${taskId}';

export interface PortalOptions {
  /** measured acts in each run */
  count: number;
  /** acts whose confirms are sent at once in the parallel run; < 2 skips it */
  parallel: number;
}

interface Ctx {
  log(msg: string): void;
  problems: string[];
}

/** One run's figures: the timed confirm, and the parts of it measured inside segl. */
export interface PortalRun {
  acts: number;
  /** the timed POST …/sign/confirm, client side */
  confirm: LatencySummary;
  /** SigningPipeline.nativeSignature inside those requests (all calls of one act summed) */
  pipeline: LatencySummary;
  /** from sending the confirm until getStatus says completed with result-uris (the worker sealed), polled every 20 ms */
  sealed: LatencySummary;
  /** TestIdEnvironment.authoriseSigning (password, code, the user's key decrypted, certificate status) */
  authorise: LatencySummary;
  /** confirm − pipeline − authorise: HTTP, the task look-ups, loading the documents, completing the task */
  rest: LatencySummary;
  /** the untimed steps before it (login, code, CPR, two documents, Send in, sign page, sign/start) */
  setup: LatencySummary;
  /** SigningPipeline.nativeSignature calls per act (1: bundle, both documents in one package) */
  signCallsPerAct: number;
  /** portal p50 ÷ pipeline p50, from the same requests */
  ratioP50: number | null;
  wallSeconds: number;
}

export interface PortalMeasurement {
  sequential: PortalRun;
  parallel: PortalRun | { skipped: string };
  /** acts per wave in the parallel run */
  parallelN: number;
  users: number;
  pdfBytes: number;
  /** the test users' creation (key pair, certificate, key card), not measured */
  userSetupSeconds: number;
  /** authoriseSigning's password check (scrypt) and key unwrap (HKDF key, AES-GCM) alone, one at a time, after the runs */
  kdf: { passwordCheck: LatencySummary; keyUnwrap: LatencySummary };
}

/** verifyPassword (scrypt N=2^14) and the key unwrap (AES-256-GCM under an HKDF key) as authoriseSigning calls them. */
async function kdfCosts(n = 10): Promise<PortalMeasurement['kdf']> {
  const hash = await hashPassword('bench-pw-0-123');
  const sealed = seal(keyFromSecret('bench-secret', 'segl testid private keys v1'), 'a private key', 'aad');
  const time = async (f: () => Promise<unknown>) => {
    const ms: number[] = [];
    for (let i = 0; i < n; i++) {
      const t0 = performance.now();
      await f();
      ms.push(performance.now() - t0);
    }
    return latencySummary(ms);
  };
  return {
    passwordCheck: await time(() => verifyPassword('bench-pw-0-123', hash)),
    keyUnwrap: await time(async () => open(keyFromSecret('bench-secret', 'segl testid private keys v1'), sealed, 'aad')),
  };
}

export const isPortalRun = (r: unknown): r is PortalRun => !!r && typeof r === 'object' && 'confirm' in r;
const round = (x: number, d = 1): number => (Number.isFinite(x) ? Number(x.toFixed(d)) : x);

// ---------------------------------------------------------------------------------------------
// segl, users, requests
// ---------------------------------------------------------------------------------------------

let running: { rt: Runtime; dataDir: string } | undefined;

/** Closes the phase's segl (also on SIGINT from run.ts). */
export async function stopPortalSegl(): Promise<void> {
  const r = running;
  running = undefined;
  if (!r) return;
  try {
    await r.rt.close();
  } finally {
    rmSync(r.dataDir, { recursive: true, force: true });
  }
}

interface User {
  alias: string;
  password: string;
  cpr: string;
  pid: string;
}

interface Bench {
  rt: Runtime;
  svc: ServiceAccount;
  origin: string;
  users: User[];
  pdf: Buffer;
  /** inside-segl timings by request id */
  inside: Map<string, { pipelineMs: number; signCalls: number; authoriseMs: number }>;
}

function createEnvelope(pdf: Buffer, cpr: string, ref: string): string {
  const docs =
    `<tns:document xsi:type="tns:provided-document" id="loan" mime-type="application/pdf"><tns:data>${pdf.toString('base64')}</tns:data><tns:description>Loan agreement</tns:description></tns:document>` +
    `<tns:document xsi:type="tns:provided-document" id="terms" mime-type="text/plain"><tns:data>${Buffer.from('Interest 3 %, fixed for ten years.\n').toString('base64')}</tns:data><tns:description>Terms</tns:description></tns:document>`;
  const task =
    `<tns:task id="t1"><tns:subject><tns:national-id>${cpr}</tns:national-id></tns:subject>` +
    '<tns:document-action type="sign"><tns:document-ref>loan</tns:document-ref></tns:document-action>' +
    '<tns:document-action type="sign"><tns:document-ref>terms</tns:document-ref></tns:document-action>' +
    '<tns:authentication><tns:method>nemid</tns:method></tns:authentication>' +
    `<tns:on-task-complete>${COMPLETE_URL.replace(/&/g, '&amp;')}</tns:on-task-complete>` +
    '<tns:signature><tns:method>nemid-sign</tns:method></tns:signature></tns:task>';
  return (
    '<?xml version="1.0" encoding="UTF-8"?>' +
    `<soapenv:Envelope xmlns:soapenv="${SOAP11}" xmlns:tns="${NS}" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"><soapenv:Header/><soapenv:Body>` +
    `<tns:create-request-request><tns:service>${SERVICE}</tns:service><tns:password>${PASSWORD}</tns:password>` +
    `<tns:request>${docs}${task}<tns:client-reference>${ref}</tns:client-reference></tns:request></tns:create-request-request>` +
    '</soapenv:Body></soapenv:Envelope>'
  );
}

interface Prepared {
  requestId: string;
  signer: BrowserLike;
  confirm: [string, URLSearchParams];
  setupMs: number;
}

/** createRequest, then everything the signer does before the final Sign. */
async function prepare(b: Bench, u: User, n: number): Promise<Prepared> {
  const created = await post(`${b.origin}${ENDPOINT_PATH}`, createEnvelope(b.pdf, u.cpr, `bench-portal-${n}`));
  expectResponse('portal: createRequest', created, 'create-request-response');
  const requestId = firstText(created.body, 'request-id')!;
  const t0 = performance.now();
  // a PDF counts as read when its bytes went out (what pdf.js fetches in a browser), not with its page
  const task = { service: SERVICE, requestId, taskId: 't1', documents: ['loan', 'terms'], raw: ['loan'] };
  const { browser: s, confirm } = await prepareSigning(b.origin, b.rt.testid!, u, task);
  return { requestId, signer: s, confirm, setupMs: performance.now() - t0 };
}

interface Timed {
  requestId: string;
  ms: number;
  setupMs: number;
  sealedMs: number;
}

/** The timed Sign, then the checks: the "being sealed" page; then (polled) completed with result-uris once the worker sealed. */
async function confirm(b: Bench, p: Prepared): Promise<Timed> {
  const t0 = performance.now();
  const a = await p.signer.request('POST', ...p.confirm);
  const ms = performance.now() - t0;
  if (a.status !== 200 || !a.html.includes('seal-status'))
    throw new Error(`sign/confirm for ${p.requestId}: HTTP ${a.status} ${a.location ?? ''}: ${text(a.html)}`);
  const deadline = t0 + 120_000;
  for (;;) {
    const st = await b.rt.documents.requests.getStatus(b.svc, [p.requestId]);
    const bad = st.filter((x) => x.taskStatus !== 'completed' || !x.documentStatus?.length || x.documentStatus.some((d) => !d.resultUri));
    if (st.length && !bad.length) break;
    if (performance.now() > deadline || st.some((x) => x.taskStatus !== 'created' && x.taskStatus !== 'completed'))
      throw new Error(`after sign/confirm, ${p.requestId} was not sealed (completed with result-uris): ${JSON.stringify(st)}`);
    await new Promise((r) => setTimeout(r, 20));
  }
  return { requestId: p.requestId, ms, setupMs: p.setupMs, sealedMs: performance.now() - t0 };
}

function summarise(b: Bench, timed: Timed[], wallMs: number): PortalRun {
  const rows = timed.map((t) => {
    const i = b.inside.get(t.requestId) ?? { pipelineMs: NaN, signCalls: 0, authoriseMs: NaN };
    return { ...t, ...i, rest: t.ms - i.pipelineMs - i.authoriseMs };
  });
  const confirmS = latencySummary(rows.map((r) => r.ms));
  const pipeline = latencySummary(rows.map((r) => r.pipelineMs));
  return {
    acts: rows.length,
    confirm: confirmS,
    pipeline,
    sealed: latencySummary(rows.map((r) => r.sealedMs)),
    authorise: latencySummary(rows.map((r) => r.authoriseMs)),
    rest: latencySummary(rows.map((r) => r.rest)),
    setup: latencySummary(rows.map((r) => r.setupMs)),
    signCallsPerAct: round(rows.reduce((n, r) => n + r.signCalls, 0) / Math.max(1, rows.length), 2),
    ratioP50: pipeline.p50Ms > 0 ? round(confirmS.p50Ms / pipeline.p50Ms, 2) : null,
    wallSeconds: round(wallMs / 1000, 2),
  };
}

/** The whole phase: segl with the test eID, users, a sequential run and a parallel one. */
export async function measurePortal(ctx: Ctx, o: PortalOptions): Promise<PortalMeasurement> {
  const dataDir = mkdtempSync(path.join(os.tmpdir(), 'segl-bench-portal-'));
  let rt: Runtime;
  try {
    rt = await startRuntime(
      loadConfig({
        PORT: '0',
        HOST: '127.0.0.1',
        DATA_DIR: dataDir,
        LOG_LEVEL: 'silent',
        SEGL_DEMO_PASSWORD: PASSWORD,
        SEGL_MODE: 'preprod',
        ...(process.env.REDIS_URL ? { REDIS_URL: process.env.REDIS_URL } : {}),
      }),
      { http: true, worker: true },
    );
  } catch (e) {
    rmSync(dataDir, { recursive: true, force: true });
    throw e;
  }
  running = { rt, dataDir };
  const testid = rt.testid;
  if (!testid) throw new Error('portal: segl started without the test eID (SEGL_TEST_EID)');
  const inside = new Map<string, { pipelineMs: number; signCalls: number; authoriseMs: number }>();
  const at = (id: string) => inside.get(id) ?? inside.set(id, { pipelineMs: 0, signCalls: 0, authoriseMs: 0 }).get(id)!;
  // authoriseSigning does not name the request: the confirm in flight for that challenge does.
  const byChallenge = new Map<string, string>();
  const sign = Object.getOwnPropertyDescriptor(SigningPipeline.prototype, 'nativeSignature')!;
  const authorise = testid.authoriseSigning;
  SigningPipeline.prototype.nativeSignature = async function timedSign(this: SigningPipeline, act) {
    const t0 = performance.now();
    try {
      return await (sign.value as SigningPipeline['nativeSignature']).call(this, act);
    } finally {
      const i = at(act.requestId);
      i.pipelineMs += performance.now() - t0;
      i.signCalls++;
    }
  };
  testid.authoriseSigning = async (user, password, challenge, code) => {
    const t0 = performance.now();
    try {
      return await authorise.call(testid, user, password, challenge, code);
    } finally {
      const id = byChallenge.get(challenge);
      if (id) at(id).authoriseMs += performance.now() - t0;
    }
  };
  try {
    const svc = await rt.services.find(SERVICE);
    if (!svc) throw new Error(`portal: service "${SERVICE}" not found`);
    const b: Bench = { rt, svc, origin: rt.url!, users: [], pdf: pdfDocument([lineContent('Loan agreement 42')]), inside };
    const nUsers = Math.max(4, o.parallel);
    ctx.log(`portal: ${nUsers} test users (key pair, certificate, key card each)…`);
    let t0 = performance.now();
    for (let i = 0; i < nUsers; i++) {
      const password = `bench-pw-${i}-123`;
      const u = await testid.createUser({ ...testid.autofill(), alias: `bench-signer-${i}`, password });
      b.users.push({ alias: u.alias, password, cpr: u.cpr, pid: u.pid });
    }
    const userSetupSeconds = round((performance.now() - t0) / 1000, 2);
    let n = 0;
    const userFor = () => b.users[n % b.users.length]!;
    const act = async () => {
      const u = userFor();
      const p = await prepare(b, u, n++);
      byChallenge.set(p.confirm[1].get('challenge') ?? '', p.requestId);
      return p;
    };

    ctx.log(
      `portal: ${PORTAL_WARMUP} warm-up acts, then ${o.count} sequential (login, code, CPR, read, Send in, sign/start untimed; sign/confirm timed)…`,
    );
    for (let i = 0; i < PORTAL_WARMUP; i++) await confirm(b, await act());
    const seq: Timed[] = [];
    let wall = 0;
    for (let i = 0; i < o.count; i++) {
      const p = await act();
      t0 = performance.now();
      seq.push(await confirm(b, p));
      wall += performance.now() - t0;
    }
    const sequential = summarise(b, seq, wall);
    ctx.log(
      `portal: sequential: p50 ${num(sequential.confirm.p50Ms)} ms, p99 ${num(sequential.confirm.p99Ms)} ms, max ${num(sequential.confirm.maxMs)} ms; ` +
        `native signature p50 ${num(sequential.pipeline.p50Ms)} ms (ratio ${num(sequential.ratioP50, 2)}); ` +
        `Sign → sealed p50 ${num(sequential.sealed.p50Ms)} ms, p99 ${num(sequential.sealed.p99Ms)} ms`,
    );

    let parallel: PortalRun | { skipped: string } = { skipped: `skipped: BENCH_PORTAL_PARALLEL=${o.parallel}` };
    if (o.parallel >= 2) {
      const waves = Math.ceil(o.count / o.parallel);
      ctx.log(`portal: ${waves} waves of ${o.parallel} acts, each wave's sign/confirm sent at once…`);
      const par: Timed[] = [];
      wall = 0;
      for (let w = 0; w < waves; w++) {
        const ready: Prepared[] = [];
        for (let i = 0; i < o.parallel; i++) ready.push(await act());
        t0 = performance.now();
        par.push(...(await Promise.all(ready.map((p) => confirm(b, p)))));
        wall += performance.now() - t0;
      }
      parallel = summarise(b, par, wall);
      ctx.log(
        `portal: ${o.parallel} in parallel: p50 ${num(parallel.confirm.p50Ms)} ms, p99 ${num(parallel.confirm.p99Ms)} ms, max ${num(parallel.confirm.maxMs)} ms`,
      );
    }
    const kdf = await kdfCosts();
    ctx.log(
      `portal: authoriseSigning's parts alone: password check p50 ${num(kdf.passwordCheck.p50Ms)} ms, key unwrap p50 ${num(kdf.keyUnwrap.p50Ms)} ms`,
    );
    return { sequential, parallel, parallelN: o.parallel, users: nUsers, pdfBytes: b.pdf.length, userSetupSeconds, kdf };
  } finally {
    Object.defineProperty(SigningPipeline.prototype, 'sign', sign);
    testid.authoriseSigning = authorise;
    await stopPortalSegl();
  }
}

// ---------------------------------------------------------------------------------------------
// Goals, portal.json, the table's lines
// ---------------------------------------------------------------------------------------------

export function portalGoals(m: PortalMeasurement | undefined): Goal[] {
  const goal = (name: string, target: number, v: number | null): Goal => ({
    name,
    target: `< ${target}`,
    value: v,
    pass: v === null ? null : v < target,
  });
  const s = m?.sequential.confirm;
  const p = m && isPortalRun(m.parallel) ? m.parallel.confirm : undefined;
  return [
    goal('portal Sign → response p50 ms', PORTAL_TARGET.p50Ms, s?.p50Ms ?? null),
    goal('portal Sign → response p99 ms', PORTAL_TARGET.p99Ms, s?.p99Ms ?? null),
    ...(p
      ? [
          goal(`portal p50 ms, ${m!.parallelN} at once (info)`, PORTAL_TARGET.p50Ms, p.p50Ms),
          goal(`portal p99 ms, ${m!.parallelN} at once (info)`, PORTAL_TARGET.p99Ms, p.p99Ms),
        ]
      : []),
  ];
}

/** The portal.json document (the environment fields are added by run.ts). */
export function portalDoc(
  m: PortalMeasurement | undefined,
  instead: string | undefined,
  o: PortalOptions,
  sealingP50Ms: number | null,
): Record<string, unknown> {
  return {
    operation:
      'portal "Sign" (nemid-sign confirmation, the Send in of the signature): POST /std/docaction/{service}/sign/confirm → central key makes the native signature → the act and its seal job recorded → 200 "signed, being sealed"; the worker (same process) then verifies (OCSP), time-stamps, packages and seals the LTV-SDO and completes the task (Sign → sealed, polled)',
    database: 'sqlite',
    ...(instead ? { outcome: instead } : {}),
    client:
      'Node fetch (undici, keep-alive) in the bench process, segl in the same process (startRuntime, SQLite, temp DATA_DIR, LOG_LEVEL silent); the forms a browser posts, hidden inputs read from the pages by regex, the segl_portal cookie carried; no browser',
    request:
      "one task t1 with the signer's national-id, two sign document-actions (a small PDF and a short text/plain), authentication nemid, signature nemid-sign, on-task-complete set; bundle (the default): one package for both",
    untimed:
      'createRequest over SOAP, task URL, POST login, POST login/code, POST cpr (PID-CPR match), GET document ×2, GET document/raw of the PDF, GET wizard, POST act do=sendin → GET sign, POST sign/start',
    timed:
      'POST sign/confirm (csrf, document_id ×2, user, challenge, password, code) from the call until its whole answer (the 303) has arrived',
    checked:
      'the 303 goes to on-task-complete with the ids replaced; then rt.documents.getStatus says completed with a result-uri for every document',
    inside:
      'SigningPipeline.prototype.nativeSignature and testid.authoriseSigning are wrapped for the phase and timed per request; rest = confirm − pipeline − authorise',
    warmupActs: PORTAL_WARMUP,
    count: o.count,
    parallel: o.parallel,
    ...(m
      ? {
          users: m.users,
          pdfBytes: m.pdfBytes,
          userSetupSeconds: m.userSetupSeconds,
          sequential: m.sequential,
          parallelRun: m.parallel,
          authoriseScrypts: {
            ...m.kdf,
            what: "authoriseSigning checks the password (src/store/services.ts verifyPassword: scrypt N=2^14, r=8) and then decrypts the user's private key (src/util/secretbox.ts open: AES-256-GCM under an HKDF key from SEGL_SECRET); each timed alone here, 10 times, one at a time, after the runs",
          },
          baseline: {
            pipelineP50MsSameRequests: m.sequential.pipeline.p50Ms,
            ratioPortalP50ToPipelineP50: m.sequential.ratioP50,
            sealingPhaseP50Ms: sealingP50Ms,
            ratioPortalP50ToSealingP50: sealingP50Ms ? round(m.sequential.confirm.p50Ms / sealingP50Ms, 2) : null,
            note: 'the pipeline figure is SigningPipeline.sign inside the very requests timed (2 documents, 1 package); the sealing phase (when run in the same invocation) signs 1 small PDF per package in its own process',
          },
        }
      : {}),
    targets: { p50Ms: `< ${PORTAL_TARGET.p50Ms}`, p99Ms: `< ${PORTAL_TARGET.p99Ms}` },
    goals: portalGoals(m),
  };
}

export function portalLines(
  m: PortalMeasurement | undefined,
  instead: string | undefined,
  o: PortalOptions,
  sealingP50Ms: number | null,
): string[] {
  const head = `Portal Sign (sign/confirm) → "being sealed", SQLite, ${o.count} acts`;
  if (instead || !m) return [head, `  ${instead ?? '-'}`];
  const lines = [`${pad(head, 58)}${lpad('p50 ms', 9)}${lpad('p90 ms', 9)}${lpad('p99 ms', 9)}${lpad('max ms', 9)}${lpad('n', 5)}`];
  const row = (name: string, l: LatencySummary): void => {
    lines.push(
      `  ${pad(name, 56)}${lpad(num(l.p50Ms), 9)}${lpad(num(l.p90Ms), 9)}${lpad(num(l.p99Ms), 9)}${lpad(num(l.maxMs), 9)}${lpad(String(l.count), 5)}`,
    );
  };
  const run = (label: string, r: PortalRun): void => {
    row(`${label}: HTTP confirm (the target)`, r.confirm);
    row('  of which SigningPipeline.nativeSignature', r.pipeline);
    row('  of which authoriseSigning (password, code, key)', r.authorise);
    row('  rest (HTTP, task look-ups, documents, seal job)', r.rest);
    row('  Sign → sealed by the worker (info)', r.sealed);
  };
  run('sequential', m.sequential);
  if (isPortalRun(m.parallel)) run(`${o.parallel} at once`, m.parallel);
  else lines.push(`  ${m.parallel.skipped}`);
  row('authoriseSigning alone: password check (scrypt N=2^14)', m.kdf.passwordCheck);
  row('  private-key unwrap (HKDF key, AES-GCM)', m.kdf.keyUnwrap);
  lines.push(`  ${pad('untimed steps before it (login … sign/start), sequential', 56)}${lpad(num(m.sequential.setup.p50Ms), 9)}`);
  lines.push(
    `  ratio portal p50 ÷ native signature p50 (same requests): ${num(m.sequential.ratioP50, 2)}` +
      `${sealingP50Ms ? `; ÷ sealing phase p50 (${num(sealingP50Ms)} ms): ${num(m.sequential.confirm.p50Ms / sealingP50Ms, 2)}` : ''}`,
  );
  return lines;
}

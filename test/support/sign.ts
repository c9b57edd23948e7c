// Signs a task the way the portal does once the signer has authorised it: core's signTask with the
// runtime's signing pipeline (the act recorded with its native signature), then the seal job run
// to its end (waitSealed). `act` overrides fields of what the seal maker receives (a CPR, an
// external context …) for tests that check those in the package without a portal flow to supply them.
import type { ServiceAccount } from '../../src/core/ports';
import type { SealMaker, SealRunOutcome } from '../../src/core/sealrun';
import type { Runtime } from '../../src/runtime';
import type { SignAct } from '../../src/signing/pipeline';
import type { SigningIdentity } from '../../src/trust/sources';
import { SealJobs } from '../../src/store/sealjobs';

export interface SignedTask {
  ok: true;
  resultUris: string[];
  /** the first act's sealed LTV-SDO as text */
  packageXml: string;
}

/** A seal job's row as a test reads it. */
interface SealRow {
  act: number;
  status: string;
  attempts: number;
  error: string | null;
}

/** The task's seal jobs, straight from the table. */
export async function sealRows(rt: Runtime, requestId: string, taskId: string): Promise<SealRow[]> {
  const pg = rt.db.options.type === 'postgres';
  const sql = `SELECT act, status, attempts, error FROM seal_job WHERE request_id = ${pg ? '$1' : '?'} AND task_id = ${pg ? '$2' : '?'} ORDER BY act`;
  const rows = (await rt.db.query(sql, [requestId, taskId])) as Array<Record<string, unknown>>;
  return rows.map((r) => ({
    act: Number(r.act),
    status: String(r.status),
    attempts: Number(r.attempts),
    error: (r.error as string) ?? null,
  }));
}

/**
 * Waits until the task's seal jobs have ended (done or failed). With workers in this process, the
 * worker runs them and this only watches; without, the due ones are claimed here and run in this
 * process (as a worker would) — a job due later (a retry) is waited for.
 */
export async function waitSealed(
  rt: Runtime,
  requestId: string,
  taskId: string,
  opts: { timeoutMs?: number; maker?: SealMaker } = {},
): Promise<SealRow[]> {
  const end = Date.now() + (opts.timeoutMs ?? 60_000);
  const jobs = new SealJobs(rt.db);
  for (;;) {
    const rows = await sealRows(rt, requestId, taskId);
    if (rows.length && rows.every((r) => r.status === 'done' || r.status === 'failed')) return rows;
    if (Date.now() > end) throw new Error(`the seal jobs of ${requestId}/${taskId} did not end: ${JSON.stringify(rows)}`);
    if (!rt.workers) {
      // claimed here (the relay may have claimed some already: those are run too)
      await jobs.claimDue(rt.clock.now().toISOString(), new Date().toISOString(), 100);
      const outcomes: SealRunOutcome[] = [];
      for (const r of await sealRows(rt, requestId, taskId)) {
        if (r.status === 'queued') outcomes.push(await rt.sealing.run({ requestId, taskId, act: r.act, attempts: r.attempts }, opts.maker));
      }
      if (outcomes.length) continue;
    }
    await new Promise((r) => setTimeout(r, 100));
  }
}

export async function signTask(
  rt: Runtime,
  svc: ServiceAccount,
  requestId: string,
  signer: SigningIdentity,
  opts: { taskId?: string; documentIds: string[]; audit?: Array<{ type: string; text: string }>; act?: Partial<SignAct> },
): Promise<SignedTask | { ok: false; stage: string; reason: string }> {
  const pipeline = await rt.signing();
  const taskId = opts.taskId ?? 't1';
  await rt.documents.signer.signTask(
    svc,
    requestId,
    taskId,
    {
      documentIds: opts.documentIds,
      signer,
      audit: opts.audit ?? [],
      defaultSignText: opts.act?.signText ?? 'I agree.',
      userAgent: opts.act?.userAgent,
      clientIp: opts.act?.clientIp,
    },
    pipeline,
  );
  const over = opts.act ?? {};
  const maker: SealMaker = {
    seal: (a) =>
      pipeline.seal({ ...a, nationalId: over.nationalId ?? a.nationalId, externalContext: over.externalContext ?? a.externalContext }),
  };
  const rows = await waitSealed(rt, requestId, taskId, { maker: rt.workers ? undefined : maker });
  const failed = rows.find((r) => r.status === 'failed');
  // core/sealrun.ts records a refusal as "signature not sealed at <stage>: <reason>"
  if (failed)
    return {
      ok: false,
      stage: /^signature not sealed at ([\w-]+):/.exec(failed.error ?? '')?.[1] ?? 'sealing',
      reason: failed.error ?? '',
    };
  const docs = (await rt.documents.requests.getStatus(svc, [requestId]))
    .filter((s) => s.taskId === taskId)
    .flatMap((s) => s.documentStatus ?? []);
  const resultUris = docs.filter((d) => opts.documentIds.includes(d.id) && d.resultUri).map((d) => d.resultUri!);
  const first = await rt.documents.requests.resultDocument(svc, requestId, taskId, opts.documentIds[0]!);
  return { ok: true, resultUris, packageXml: Buffer.from(await rt.blobs.getBytes(first.blobKey)).toString('utf8') };
}

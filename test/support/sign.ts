// Signs a task the way the portal does once the signer has authorised it: core's signTask with the
// runtime's signing pipeline. `act` overrides fields of what the pipeline receives (a CPR, a sign
// text …) for tests that check those in the package without a portal flow to supply them.
import type { ServiceAccount } from '../../src/core/ports';
import type { Runtime } from '../../src/runtime';
import type { SignAct } from '../../src/signing/pipeline';
import type { SigningIdentity } from '../../src/trust/sources';

export interface SignedTask {
  ok: true;
  resultUris: string[];
  /** the first act's sealed LTV-SDO as text */
  packageXml: string;
}

export async function signTask(
  rt: Runtime,
  svc: ServiceAccount,
  requestId: string,
  signer: SigningIdentity,
  opts: { taskId?: string; documentIds: string[]; audit?: Array<{ type: string; text: string }>; act?: Partial<SignAct> },
): Promise<SignedTask | { ok: false; stage: string; reason: string }> {
  const pipeline = await rt.signing();
  const out = await rt.documents.signer.signTask(
    svc,
    requestId,
    opts.taskId ?? 't1',
    {
      documentIds: opts.documentIds,
      signer,
      audit: opts.audit ?? [],
      defaultSignText: 'I agree.',
      userAgent: opts.act?.userAgent,
      clientIp: opts.act?.clientIp,
    },
    { sign: (act) => pipeline.sign({ ...act, ...opts.act }) },
  );
  if (!out.ok) return out;
  return { ok: true, resultUris: out.resultUris, packageXml: Buffer.from(out.packages[0]!).toString('utf8') };
}

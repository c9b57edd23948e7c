// Sealed LTV-SDOs made the real way for packaging tests: SigningPipeline (native XAdES → initial
// verification with OCSP → RFC 3161 time → LTV-SDO → seal) on the built-in test PKI, OCSP and
// time-stamps answered in process.
import type { Handwriting } from '../../src/core/signer';
import { SigningPipeline } from '../../src/signing/pipeline';
import { withSeals, type TrustSetup } from '../../src/signing/trust';
import { issuePersonCertificate, type TestPki } from '../../src/testca/pki';
import { TSA_POLICY } from '../../src/testca/testca';
import { generateKeys } from '../../src/trust/crypto';
import { respondOcsp } from '../../src/trust/ocsp/responder';
import { respondTimestamp } from '../../src/trust/tsp/responder';
import { ocspRevocationSource } from '../../src/trust/validation/revocation';
import { TEST_URLS } from './person';

/** The test PKI as a TrustSetup: every certificate good, the TSA and both OCSP responders in process. */
export function trustFor(pki: TestPki): TrustSetup {
  const good = async () => ({ status: 'good' as const });
  return withSeals({
    seal: pki.seal,
    sealChain: [pki.serviceCa.certificate, pki.root.certificate],
    anchors: [pki.root.certificate],
    intermediates: [pki.personCa.certificate, pki.serviceCa.certificate],
    timestamp: (req) => respondTimestamp(req, { tsa: pki.tsa, policyOid: TSA_POLICY }),
    revocation: ocspRevocationSource({
      fetch: (_url, der) =>
        respondOcsp(der, [
          { responder: pki.ocsp, issuer: pki.personCa.certificate, lookup: good },
          { responder: pki.serviceOcsp, issuer: pki.serviceCa.certificate, lookup: good },
          { responder: pki.root, issuer: pki.root.certificate, lookup: good },
        ]),
    }),
  });
}

export interface SdoDocumentInput {
  id: string;
  description: string;
  mimeType: string;
  bytes: Uint8Array;
}

/** One person (a new POCES certificate) signs `documents`; the sealed LTV-SDO's bytes. */
export async function sealedSdo(
  pki: TestPki,
  pipeline: SigningPipeline,
  o: {
    name: string;
    pid: string;
    nationalId?: string;
    taskId: string;
    signText: string;
    documents: SdoDocumentInput[];
    requestId?: string;
    /** a drawing signed with the documents (InkSign) */
    handwriting?: Handwriting;
  },
): Promise<Uint8Array> {
  const keys = await generateKeys();
  const certificate = await issuePersonCertificate(pki.personCa, {
    commonName: o.name,
    pid: o.pid,
    kind: 'POCES',
    publicKey: keys.publicKey,
    urls: TEST_URLS,
  });
  const out = await pipeline.sign({
    requestId: o.requestId ?? 'req-1',
    taskId: o.taskId,
    signer: { certificate, keys },
    signText: o.signText,
    documents: o.documents,
    audit: [],
    nationalId: o.nationalId,
    ...(o.handwriting ? { handwriting: o.handwriting } : {}),
  });
  if (!out.ok) throw new Error(`${out.stage}: ${out.reason}`);
  return out.bytes;
}

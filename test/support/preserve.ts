// Trust services as they answer at a later time (for preservation tests): a second TSA certificate made then,
// and OCSP for both service CAs (and the root's) answering with that time.
import type { RenewalTrust } from '../../src/signing/preserve';
import type { ServiceBranch, TestPki } from '../../src/testca/pki';
import { TSA_POLICY } from '../../src/testca/testca';
import { respondOcsp } from '../../src/trust/ocsp/responder';
import { respondTimestamp } from '../../src/trust/tsp/responder';
import { ocspRevocationSource } from '../../src/trust/validation/revocation';

/** What a TSA (with `branch`'s TSA certificate) and the OCSP responders answer at `at`. */
export function trustAt(p: TestPki, branch: ServiceBranch, at: Date): RenewalTrust {
  const good = async () => ({ status: 'good' as const });
  const now = () => at;
  return {
    timestamp: (req) => respondTimestamp(req, { tsa: branch.tsa, policyOid: TSA_POLICY, now }),
    revocation: ocspRevocationSource({
      now,
      fetch: (_url, der) =>
        respondOcsp(der, [
          // the delegated responder's certificate lasts 2 years; past it the CA answers itself (RFC 6960 §4.2.2.2)
          {
            responder: p.serviceOcsp.certificate.notAfter > at ? p.serviceOcsp : p.serviceCa,
            issuer: p.serviceCa.certificate,
            lookup: good,
            now,
          },
          { responder: branch.serviceOcsp, issuer: branch.serviceCa.certificate, lookup: good, now },
          { responder: p.root, issuer: p.root.certificate, lookup: good, now },
        ]),
    }),
    anchors: [p.root.certificate],
    intermediates: [p.serviceCa.certificate, branch.serviceCa.certificate],
  };
}

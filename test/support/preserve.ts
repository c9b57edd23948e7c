// Trust services as they answer at a later time (for preservation tests): a second TSA certificate made then,
// and OCSP for both service CAs (and the root's) answering with that time.
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import type { RenewalTrust } from '../../src/signing/preserve';
import {
  createServiceBranch,
  generateRsa3072Keys,
  issueOcspResponder,
  issueTsaCertificate,
  type PkiUrls,
  type ServiceBranch,
  type TestPki,
} from '../../src/testca/pki';
import { TSA_POLICY } from '../../src/testca/testca';
import { respondOcsp } from '../../src/trust/ocsp/responder';
import { respondTimestamp } from '../../src/trust/tsp/responder';
import { ocspRevocationSource } from '../../src/trust/validation/revocation';
import { BIN } from './cli';

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

/**
 * A service branch issued at `now` whose TSA and OCSP responder have RSA-3072 keys (as testca/rollover.ts issues them;
 * its CA has one too, as every test CA has, testca/pki.ts): acceptable past 2030, when RSA-2048 ends by
 * trust/algorithms.ts ALGORITHM_ENDS; a renewal with it protects the chain after that, the TSA's path and the OCSP
 * response for it included (validation/cryptoconstraints.ts judges both).
 */
export async function strongTsaBranch(p: TestPki, o: { name: string; urls: PkiUrls; now: Date }): Promise<ServiceBranch> {
  const branch = await createServiceBranch(p.root, o);
  const [tsaKeys, ocspKeys] = await Promise.all([generateRsa3072Keys(), generateRsa3072Keys()]);
  const commonName = `${o.name} Service OCSP Responder`;
  return {
    ...branch,
    tsa: await issueTsaCertificate(branch.serviceCa, tsaKeys, o),
    serviceOcsp: await issueOcspResponder(branch.serviceCa, ocspKeys, { name: o.name, commonName, now: o.now }),
  };
}

/** `segl verify FILE --anchor root.pem --at AT` (the built CLI) in `dir`: its exit code and output. */
export function seglVerifyAt(dir: string, file: string, at: Date): Promise<{ code: number; out: string }> {
  return promisify(execFile)(process.execPath, [BIN, 'verify', file, '--anchor', 'root.pem', '--at', at.toISOString()], {
    cwd: dir,
    env: { PATH: process.env.PATH, SEGL_DATA_DIR: dir },
  }).then(
    (r) => ({ code: 0, out: r.stdout }),
    (e: { code: number; stdout: string; stderr: string }) => ({ code: e.code, out: e.stdout + e.stderr }),
  );
}

// Which trust services a signature uses: segl's test CA, OCSP and TSA, or production ones — a
// PKCS#12 seal key, an external TSA, a directory of trust anchors — chosen by configuration.
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import * as x509 from '@peculiar/x509';
import type { Config } from '../config';
import { readPkcs12 } from '../trust/x509/pkcs12';
import { ocspRevocationChecker } from '../trust/validation/revocation';
import { type RevocationChecker } from '../trust/validation/report';
import { postOcsp } from './online';
import type { SigningIdentity } from '../trust/sources';
import type { TestCa } from '../testca/testca';

export interface TrustSetup {
  seal: SigningIdentity;
  /** the seal certificate's issuing CA(s) and root, for CertificateValues */
  sealChain: x509.X509Certificate[];
  anchors: x509.X509Certificate[];
  intermediates: x509.X509Certificate[];
  /** RFC 3161: a TimeStampReq in, a TimeStampResp out */
  timestamp(request: Uint8Array): Promise<Uint8Array>;
  revocation: RevocationChecker;
}

/** Every certificate in the PEM files of a directory. */
function pemCertificates(dir: string): x509.X509Certificate[] {
  return readdirSync(dir)
    .filter((f) => /\.(pem|crt|cer)$/i.test(f))
    .flatMap((f) => {
      const text = readFileSync(path.join(dir, f), 'utf8');
      return (text.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g) ?? []).map((p) => new x509.X509Certificate(p));
    });
}

/** RFC 3161 §3.4: the query POSTed as application/timestamp-query. */
async function remoteTsa(url: string, request: Uint8Array): Promise<Uint8Array> {
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/timestamp-query' },
    body: Buffer.from(request),
    signal: AbortSignal.timeout(10_000),
  });
  if (!res.ok) throw new Error(`the TSA at ${url} answered HTTP ${res.status}`);
  return new Uint8Array(await res.arrayBuffer());
}

export async function buildTrust(cfg: Config, ca: TestCa | undefined): Promise<TrustSetup> {
  const anchors = [...(ca ? [ca.pki.root.certificate] : []), ...(cfg.trustAnchorsDir ? pemCertificates(cfg.trustAnchorsDir) : [])];
  let seal: SigningIdentity;
  let sealChain: x509.X509Certificate[];
  if (cfg.sealP12) {
    const entry = await readPkcs12(readFileSync(cfg.sealP12.path), cfg.sealP12.passphrase);
    seal = { certificate: entry.certificate, keys: entry.keys };
    sealChain = entry.chain;
  } else if (ca) {
    seal = ca.pki.seal;
    sealChain = [ca.pki.serviceCa.certificate, ca.pki.root.certificate];
  } else {
    throw new Error('no seal key: configure SEGL_SEAL_P12 or keep the test CA on');
  }
  // The test CA's two issuing CAs (people sign under the one, the seal and the TSA under the other).
  const intermediates = [...(ca ? [ca.pki.personCa.certificate, ca.pki.serviceCa.certificate] : []), ...sealChain];
  // segl's own responder answers in process (the same bytes /pki/ocsp sends); others over HTTP.
  const revocation = ocspRevocationChecker({
    fetch: async (url, der) => (ca && url === ca.pki.urls.ocsp ? ca.ocsp(der) : postOcsp(url, der)),
  });
  const timestamp = cfg.tsaUrl
    ? (req: Uint8Array) => remoteTsa(cfg.tsaUrl!, req)
    : ca
      ? (req: Uint8Array) => ca.timestamp(req)
      : () => Promise.reject(new Error('no TSA: configure SEGL_TSA_URL'));
  return { seal, sealChain, anchors, intermediates, timestamp, revocation };
}

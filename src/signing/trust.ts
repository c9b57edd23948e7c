// Which trust services a signature uses: segl's test CA, OCSP and TSA, or production ones — a
// PKCS#12 seal key, an external TSA, a directory of trust anchors — chosen by configuration, each as
// one of trust/'s source interfaces (src/trust/sources.ts: SigningKeySource, TimestampSource,
// RevocationSource).
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import * as x509 from '@peculiar/x509';
import type { Config } from '../config';
import { readPkcs12 } from '../trust/x509/pkcs12';
import { ocspRevocationSource } from '../trust/validation/revocation';
import type { RevocationSource } from '../trust/sources';
import { postOcsp } from './online';
import type { SigningIdentity, SigningKeySource, TimestampSource } from '../trust/sources';
import type { TestCa } from '../testca/testca';

export interface TrustSetup {
  seal: SigningIdentity;
  /** the seal certificate's issuing CA(s) and root, for CertificateValues */
  sealChain: x509.X509Certificate[];
  anchors: x509.X509Certificate[];
  intermediates: x509.X509Certificate[];
  timestamp: TimestampSource;
  revocation: RevocationSource;
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

/** TimestampSource over HTTP: RFC 3161 §3.4, the query POSTed as application/timestamp-query. */
function httpTimestamps(url: string): TimestampSource {
  return async (request) => {
    const res = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/timestamp-query' },
      body: Buffer.from(request),
      signal: AbortSignal.timeout(10_000),
    });
    if (!res.ok) throw new Error(`the TSA at ${url} answered HTTP ${res.status}`);
    return new Uint8Array(await res.arrayBuffer());
  };
}

/** SigningKeySource from a PKCS#12 file (SEGL_SEAL_P12): the key, its certificate and the chain in the file. */
function pkcs12Key(file: string, passphrase: string): SigningKeySource {
  return {
    signingKey: async () => {
      const entry = await readPkcs12(readFileSync(file), passphrase);
      return { identity: { certificate: entry.certificate, keys: entry.keys }, chain: entry.chain };
    },
  };
}

/** SigningKeySource of the test CA: its seal, issued by the service CA under the test root. */
function testCaKey(ca: TestCa): SigningKeySource {
  return { signingKey: async () => ({ identity: ca.pki.seal, chain: [ca.pki.serviceCa.certificate, ca.pki.root.certificate] }) };
}

/**
 * RevocationSource: segl's own responder answers in process (the same bytes /pki/ocsp sends); others
 * online over HTTP (src/signing/online.ts).
 */
function revocationSource(ca: TestCa | undefined): RevocationSource {
  return ocspRevocationSource({ fetch: async (url, der) => (ca && url === ca.pki.urls.ocsp ? ca.ocsp(der) : postOcsp(url, der)) });
}

export async function buildTrust(cfg: Config, ca: TestCa | undefined): Promise<TrustSetup> {
  const anchors = [...(ca ? [ca.pki.root.certificate] : []), ...(cfg.trustAnchorsDir ? pemCertificates(cfg.trustAnchorsDir) : [])];
  const keySource = cfg.sealP12 ? pkcs12Key(cfg.sealP12.path, cfg.sealP12.passphrase) : ca ? testCaKey(ca) : undefined;
  if (!keySource) throw new Error('no seal key: configure SEGL_SEAL_P12 or keep the test CA on');
  const { identity: seal, chain: sealChain } = await keySource.signingKey();
  // The test CA's two issuing CAs (people sign under the one, the seal and the TSA under the other).
  const intermediates = [...(ca ? [ca.pki.personCa.certificate, ca.pki.serviceCa.certificate] : []), ...sealChain];
  // TimestampSource: a configured TSA over HTTP, else the test CA's in process.
  const timestamp: TimestampSource = cfg.tsaUrl
    ? httpTimestamps(cfg.tsaUrl)
    : ca
      ? (req) => ca.timestamp(req)
      : () => Promise.reject(new Error('no TSA: configure SEGL_TSA_URL'));
  return { seal, sealChain, anchors, intermediates, timestamp, revocation: revocationSource(ca) };
}

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
import type { Signer, SignerLike, SigningKeySource, TimestampSource } from '../trust/sources';
import { crypto, SIGNING_ALGORITHM } from '../trust/crypto';
import { asSigner, keySigner } from '../trust/signer';
import type { ServiceSeal } from '../store/serviceseals';
import { pkcs11KeySource } from './pkcs11';
import type { TestCa } from '../testca/testca';
import type { Clock } from '../core/ports';

/** Who seals a service's packages, and the seal certificate's issuing CA(s) up to the root. */
export interface SealKey {
  signer: Signer;
  chain: x509.X509Certificate[];
  /** the service's own seal (docs/signatures.md "Organisation seals"), or the platform's */
  own: boolean;
}

/** A service's own seal as stored (src/store/serviceseals.ts). */
export type ServiceSealLookup = (serviceId: number) => Promise<ServiceSeal | undefined>;

export interface TrustSetup {
  /** the platform's seal: the services without one of their own, and authentication-based native signatures */
  seal: SignerLike;
  /** the seal certificate's issuing CA(s) and root, for CertificateValues */
  sealChain: x509.X509Certificate[];
  anchors: x509.X509Certificate[];
  intermediates: x509.X509Certificate[];
  timestamp: TimestampSource;
  revocation: RevocationSource;
  /** the seal for a service's LTV-SDOs and PAdES: its own when it has one, else the platform's */
  sealFor(serviceId: number | undefined): Promise<SealKey>;
}

/** Every certificate in a PEM text. */
export const pems = (text: string): x509.X509Certificate[] =>
  (text.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g) ?? []).map((p) => new x509.X509Certificate(p));

/** Every certificate in the PEM files of a directory. */
function pemCertificates(dir: string): x509.X509Certificate[] {
  return readdirSync(dir)
    .filter((f) => /\.(pem|crt|cer)$/i.test(f))
    .flatMap((f) => pems(readFileSync(path.join(dir, f), 'utf8')));
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

/** SigningKeySource of a PKCS#12 (SEGL_SEAL_P12, or a service's imported one): its key, certificate and chain. */
function pkcs12Key(bytes: () => Uint8Array, passphrase: string): SigningKeySource {
  return {
    signingKey: async () => {
      const entry = await readPkcs12(bytes(), passphrase);
      return { signer: keySigner(entry.certificate, entry.keys.privateKey), chain: entry.chain };
    },
  };
}

/** SigningKeySource of the test CA: its seal, issued by the service CA under the test root. */
function testCaKey(ca: TestCa): SigningKeySource {
  return { signingKey: async () => ({ signer: asSigner(ca.pki.seal), chain: [ca.pki.serviceCa.certificate, ca.pki.root.certificate] }) };
}

/** SigningKeySource of a PKCS#8 key kept sealed in the database (a service's seal from the test CA). */
function pkcs8Key(pkcs8: Uint8Array, certificate: x509.X509Certificate, chain: x509.X509Certificate[]): SigningKeySource {
  return {
    signingKey: async () => {
      const key = await crypto.subtle.importKey('pkcs8', pkcs8, SIGNING_ALGORITHM, false, ['sign']);
      return { signer: keySigner(certificate, key), chain };
    },
  };
}

/**
 * RevocationSource: segl's own responder answers in process (the same bytes /pki/ocsp sends); others
 * online over HTTP (src/signing/online.ts).
 */
function revocationSource(ca: TestCa | undefined, clock: Clock | undefined): RevocationSource {
  return ocspRevocationSource({
    fetch: async (url, der) => (ca && url === ca.pki.urls.ocsp ? ca.ocsp(der) : postOcsp(url, der)),
    ...(clock ? { now: () => clock.now() } : {}),
  });
}

/** The key source of a stored service seal: its key sealed here (PKCS#8 or PKCS#12), or its token's. */
export function serviceSealSource(s: ServiceSeal): SigningKeySource {
  const certificate = new x509.X509Certificate(s.certificate);
  const chain = pems(s.chain);
  if (s.source === 'pkcs11') return pkcs11KeySource(s.pkcs11!, certificate, chain);
  const secret = JSON.parse(s.secret!) as { pkcs8?: string; p12?: string; passphrase?: string };
  if (s.source === 'pkcs12') return pkcs12Key(() => Buffer.from(secret.p12!, 'base64'), secret.passphrase ?? '');
  return pkcs8Key(Buffer.from(secret.pkcs8!, 'base64'), certificate, chain);
}

async function serviceSealKey(s: ServiceSeal): Promise<SealKey> {
  return { ...(await serviceSealSource(s).signingKey()), own: true };
}

/** How long a service's seal is kept opened: a replaced or removed seal is used at most this long after. */
const SEAL_CACHE_MS = 60_000;

function sealsFor(platform: SealKey, lookup: ServiceSealLookup | undefined): TrustSetup['sealFor'] {
  const cache = new Map<number, { at: number; key: Promise<SealKey> }>();
  return async (serviceId) => {
    if (serviceId === undefined || !lookup) return platform;
    const hit = cache.get(serviceId);
    if (hit && Date.now() - hit.at < SEAL_CACHE_MS) return hit.key;
    const key = lookup(serviceId).then((s) => (s ? serviceSealKey(s) : platform));
    cache.set(serviceId, { at: Date.now(), key });
    key.catch(() => cache.delete(serviceId));
    return key;
  };
}

/** The trust with its sealFor: the services' own seals from `seals`, the platform's for the rest (all without). */
export function withSeals(t: Omit<TrustSetup, 'sealFor'>, seals?: ServiceSealLookup): TrustSetup {
  return { ...t, sealFor: sealsFor({ signer: asSigner(t.seal), chain: t.sealChain, own: false }, seals) };
}

/** `clock`: the time OCSP answers are checked fresh against — segl's (the preprod test clock moves it), else real time. */
export async function buildTrust(cfg: Config, ca: TestCa | undefined, seals?: ServiceSealLookup, clock?: Clock): Promise<TrustSetup> {
  const anchors = [...(ca ? [ca.pki.root.certificate] : []), ...(cfg.trustAnchorsDir ? pemCertificates(cfg.trustAnchorsDir) : [])];
  const p12 = cfg.sealP12;
  const keySource = p12 ? pkcs12Key(() => readFileSync(p12.path), p12.passphrase) : ca ? testCaKey(ca) : undefined;
  if (!keySource) throw new Error('no seal key: configure SEGL_SEAL_P12 or keep the test CA on');
  const { signer: seal, chain: sealChain } = await keySource.signingKey();
  // The test CA's two issuing CAs (people sign under the one, the seal and the TSA under the other).
  const intermediates = [...(ca ? [ca.pki.personCa.certificate, ca.pki.serviceCa.certificate] : []), ...sealChain];
  // TimestampSource: a configured TSA over HTTP, else the test CA's in process.
  const timestamp: TimestampSource = cfg.tsaUrl
    ? httpTimestamps(cfg.tsaUrl)
    : ca
      ? (req) => ca.timestamp(req)
      : () => Promise.reject(new Error('no TSA: configure SEGL_TSA_URL'));
  return withSeals({ seal, sealChain, anchors, intermediates, timestamp, revocation: revocationSource(ca, clock) }, seals);
}

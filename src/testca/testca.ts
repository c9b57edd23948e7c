// segl's own trust services for one machine: the test PKI (kept in DATA_DIR/pki, keys encrypted
// with SEGL_SECRET), the certificate lifecycle of the test eID (issue, revoke, lock/unlock), and the
// answers OCSP, the CRLs and the TSA give. trust/ builds the structures; this wires them to storage.
//
// Two issuing CAs answer separately (see testca/pki.ts): the person CA for the test eID's people, whose
// status lives in the certificates table, and the service CA for the seal and the TSA, which segl
// never revokes by itself. Each signs its OCSP answers with its own delegated responder and its CRL
// with its own key; /pki/ocsp serves both.
import path from 'node:path';
import type * as x509 from '@peculiar/x509';
import type { Clock } from '../core/ports';
import type { CertificateRecord, CertificateRepository } from '../store/certificates';
import {
  createCrl,
  issueOrganisationSealCertificate,
  issuePersonCertificate,
  issueSamlCertificate,
  pidOf,
  serialHex,
  type Issuer,
  type PersonKind,
  type PkiUrls,
  type TestPki,
} from './pki';
import { loadOrCreateLeaf, loadOrCreateTestPki, type StoredTestPki } from './store';
import { applyRolled, rollOverDue } from './rollover';
import { respondOcsp } from '../trust/ocsp/responder';
import type { CertStatus, RevocationReason } from '../trust/sources';
import { respondTimestamp } from '../trust/tsp/responder';
import type { CryptoKey } from '../trust/crypto';

/** segl's TSA policy (a test OID under the same private arc as the test certificate policies). */
export const TSA_POLICY = '1.3.6.1.4.1.99999.2.1';

export function pkiUrls(baseUrl: string): PkiUrls {
  return {
    ocsp: `${baseUrl}/pki/ocsp`,
    crl: `${baseUrl}/pki/crl`,
    caIssuers: `${baseUrl}/pki/ca.pem`,
    rootCrl: `${baseUrl}/pki/root.crl`,
    serviceCrl: `${baseUrl}/pki/service.crl`,
    serviceCaIssuers: `${baseUrl}/pki/service-ca.pem`,
  };
}

export interface PersonRequest {
  commonName: string;
  pid: string;
  kind?: PersonKind;
  rid?: string;
  cvr?: string;
  organisation?: string;
  email?: string;
  publicKey: CryptoKey;
}

/** How long before its end the TSA certificate or an OCSP responder's is replaced (testca/rollover.ts): 730 days. */
const ROLLOVER_MARGIN_MS = 730 * 86_400_000;

export class TestCa {
  private saml?: Promise<Issuer>;
  private oidc?: Promise<Issuer>;
  private rolling?: Promise<unknown>;
  private constructor(
    readonly pki: StoredTestPki,
    private readonly certs: CertificateRepository,
    private readonly clock: Clock,
    private readonly dir: string,
    private readonly secret: string,
    private readonly rolloverMarginMs: number,
  ) {}

  /** `rolloverMarginMs`: how long before its end a TSA or OCSP responder certificate is replaced (rollover.ts). */
  static async open(
    dataDir: string,
    secret: string,
    baseUrl: string,
    certs: CertificateRepository,
    clock: Clock,
    rolloverMarginMs = ROLLOVER_MARGIN_MS,
  ): Promise<TestCa> {
    const dir = path.join(dataDir, 'pki');
    const pki = await loadOrCreateTestPki(dir, secret, pkiUrls(baseUrl));
    await applyRolled(pki, dir, secret);
    return new TestCa(pki, certs, clock, dir, secret, rolloverMarginMs);
  }

  /** The TSA and OCSP responder certificates current at the clock's time: those near their end replaced first (rollover.ts). */
  private async current(): Promise<void> {
    while (this.rolling) await this.rolling;
    const roll = rollOverDue(this.pki, this.dir, this.secret, this.clock.now(), this.rolloverMarginMs);
    this.rolling = roll;
    try {
      await roll;
    } finally {
      this.rolling = undefined;
    }
  }

  /**
   * The authentication service's SAML signing certificate and key (`CN=<host>/std`, issued by the
   * service CA on first use and kept as saml.pem / saml.key.json beside the hierarchy).
   */
  samlSigner(host: string): Promise<Issuer> {
    return (this.saml ??= loadOrCreateLeaf(this.dir, 'saml', this.secret, () =>
      issueSamlCertificate(this.pki.serviceCa, { name: this.pki.name, host, urls: this.pki.urls, now: this.clock.now() }),
    ).catch((e) => {
      this.saml = undefined;
      throw e;
    }));
  }

  /**
   * The OpenID provider's ID-token signing certificate and key (`CN=<host>/oidc`, RS256, issued by
   * the service CA on first use and kept as oidc.pem / oidc.key.json beside the hierarchy).
   */
  oidcSigner(host: string): Promise<Issuer> {
    return (this.oidc ??= loadOrCreateLeaf(this.dir, 'oidc', this.secret, () =>
      issueSamlCertificate(this.pki.serviceCa, { name: this.pki.name, host, urls: this.pki.urls, now: this.clock.now(), path: '/oidc' }),
    ).catch((e) => {
      this.oidc = undefined;
      throw e;
    }));
  }

  pem(which: keyof TestPki): string {
    return this.pki[which].certificate.toString('pem');
  }

  /** Records a certificate issued now as good: the responders answer for it from then on. */
  private async record(cert: x509.X509Certificate, kind: string, now: Date): Promise<x509.X509Certificate> {
    await this.certs.insert({
      serial: serialHex(cert),
      kind,
      subject: cert.subject,
      pid: pidOf(cert),
      status: 'good',
      notBefore: cert.notBefore.toISOString(),
      notAfter: cert.notAfter.toISOString(),
      createdAt: now.toISOString(),
      pem: cert.toString('pem'),
    });
    return cert;
  }

  /** A personal (POCES) or employee (MOCES) certificate for a test user, recorded as good. */
  async issuePerson(req: PersonRequest): Promise<x509.X509Certificate> {
    const now = this.clock.now();
    const cert = await issuePersonCertificate(this.pki.personCa, { ...req, kind: req.kind ?? 'POCES', urls: this.pki.urls, now });
    return this.record(cert, req.kind ?? 'POCES', now);
  }

  /**
   * An organisation's seal certificate (VOCES-like) from the service CA for `publicKey`, recorded so
   * the service CA's responder answers for it (good until revoked).
   */
  async issueOrganisationSeal(req: { organisation: string; cvr: string; publicKey: CryptoKey }): Promise<x509.X509Certificate> {
    const now = this.clock.now();
    return this.record(await issueOrganisationSealCertificate(this.pki.serviceCa, { ...req, urls: this.pki.urls, now }), 'VOCES', now);
  }

  revoke(serial: string, reason: RevocationReason = 'keyCompromise'): Promise<CertificateRecord | null> {
    return this.certs.setState(serial, 'revoked', reason, this.clock.now().toISOString());
  }

  /** Locks a certificate (certificateHold): OCSP answers revoked/certificateHold until unlocked. */
  lock(serial: string): Promise<CertificateRecord | null> {
    return this.certs.setState(serial, 'hold', 'certificateHold', this.clock.now().toISOString());
  }

  unlock(serial: string): Promise<CertificateRecord | null> {
    return this.certs.setState(serial, 'good', undefined, this.clock.now().toISOString());
  }

  /**
   * The status the person CA's responder reports: its own responder certificate and the seal and TSA
   * certificates it issued before the service CA existed (retired, kept good so packages sealed then
   * still validate) are good, test users' certificates as recorded, anything else unknown.
   */
  async status(serial: string): Promise<CertStatus> {
    const own = [this.pki.ocsp.certificate, ...this.pki.retired]
      .filter((c) => c.issuer === this.pki.personCa.certificate.subject)
      .map(serialHex);
    if (own.includes(serial)) return { status: 'good' };
    const rec = await this.certs.get(serial);
    if (!rec) return { status: 'unknown' };
    if (rec.status === 'good') return { status: 'good' };
    return { status: 'revoked', revokedAt: new Date(rec.revokedAt!), reason: (rec.reason ?? 'unspecified') as RevocationReason };
  }

  /** The status the service CA's responder reports: what the service CA issued is good, anything else unknown. */
  async serviceStatus(serial: string): Promise<CertStatus> {
    const saml = this.saml && (await this.saml.catch(() => undefined));
    const oidc = this.oidc && (await this.oidc.catch(() => undefined));
    const leaves = [saml, oidc].filter((i): i is Issuer => i !== undefined);
    const retired = this.pki.retired.filter((c) => c.issuer === this.pki.serviceCa.certificate.subject);
    const own = [...[this.pki.seal, this.pki.tsa, this.pki.serviceOcsp, ...leaves].map((i) => i.certificate), ...retired].map(serialHex);
    if (own.includes(serial)) return { status: 'good' };
    // organisations' seals, as recorded (revocable like a person's certificate)
    const rec = await this.certs.get(serial);
    if (rec?.kind !== 'VOCES') return { status: 'unknown' };
    if (rec.status === 'good') return { status: 'good' };
    return { status: 'revoked', revokedAt: new Date(rec.revokedAt!), reason: (rec.reason ?? 'unspecified') as RevocationReason };
  }

  /** The status the root reports for what it issued: the two issuing CAs are good, anything else unknown. */
  async rootStatus(serial: string): Promise<CertStatus> {
    const own = [this.pki.personCa, this.pki.serviceCa].map((i) => serialHex(i.certificate));
    return own.includes(serial) ? { status: 'good' } : { status: 'unknown' };
  }

  /**
   * RFC 6960 answer for the person CA's or the service CA's certificates, by the CA the request names;
   * for the issuing CAs themselves the root answers with its own key (§4.2.2.2: the CA that issued the
   * certificate may sign), so a PAdES DSS can hold evidence for every certificate of its paths.
   */
  async ocsp(requestDer: Uint8Array): Promise<Uint8Array> {
    await this.current();
    const now = () => this.clock.now();
    return respondOcsp(requestDer, [
      { responder: this.pki.root, issuer: this.pki.root.certificate, lookup: (s) => this.rootStatus(s), now },
      { responder: this.pki.ocsp, issuer: this.pki.personCa.certificate, lookup: (s) => this.status(s), now },
      { responder: this.pki.serviceOcsp, issuer: this.pki.serviceCa.certificate, lookup: (s) => this.serviceStatus(s), now },
    ]);
  }

  /** RFC 3161 answer. */
  async timestamp(requestDer: Uint8Array): Promise<Uint8Array> {
    await this.current();
    return respondTimestamp(requestDer, { tsa: this.pki.tsa, policyOid: TSA_POLICY, now: () => this.clock.now() });
  }

  /** The person CA's CRL (RFC 5280 §5): revoked and held certificates; numbered by issue time. */
  async crl(): Promise<ArrayBuffer> {
    const now = this.clock.now();
    const entries = (await this.certs.listRevoked()).map((r) => ({
      serialHex: r.serial,
      revokedAt: new Date(r.revokedAt!),
      reason: (r.status === 'hold' ? 'certificateHold' : (r.reason ?? 'unspecified')) as RevocationReason,
    }));
    return createCrl(this.pki.personCa, entries, { thisUpdate: now, crlNumber: Math.floor(now.getTime() / 1000) });
  }

  /** The service CA's CRL: segl revokes none of the platform certificates by itself, so it is empty. */
  serviceCrl(): Promise<ArrayBuffer> {
    const now = this.clock.now();
    return createCrl(this.pki.serviceCa, [], { thisUpdate: now, crlNumber: Math.floor(now.getTime() / 1000) });
  }

  /** The root's CRL: it has issued only the two issuing CAs, which are not revoked. */
  rootCrl(): Promise<ArrayBuffer> {
    const now = this.clock.now();
    return createCrl(this.pki.root, [], { thisUpdate: now, crlNumber: Math.floor(now.getTime() / 1000) });
  }
}

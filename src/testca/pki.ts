// The test PKI: a self-contained, OCES-shaped certificate hierarchy that segl issues to itself in
// preprod, so signing, OCSP, CRLs and time-stamps can be exercised offline against real validators.
//
//   root CA ──┬── person CA (issuing CA, pathLen 0) ──┬── POCES / MOCES person certificates
//             │                                       └── OCSP responder for the person CA (ocsp-nocheck)
//             │
//             └── service CA (issuing CA, pathLen 0) ─┬── platform seal certificate
//                                                     ├── TSA certificate
//                                                     └── OCSP responder for the service CA (ocsp-nocheck)
//
// People and the platform have separate issuing CAs: a certificate from the person CA names a person
// (the eID the test users log in and sign with), one from the service CA a function of segl itself, so
// a relying party that trusts the one need not trust the other, and a compromise of one issuing key
// does not let anyone mint the other kind. Each issuing CA has its own CRL and its own delegated OCSP
// responder, because RFC 6960 §4.2.2.2 lets a delegated responder answer only for certificates issued
// by the CA that issued the responder, and a CRL covers only its issuer's certificates (RFC 5280 §5):
// the person CA's responder therefore stays under the person CA. Both responders sit behind the same
// URL (`/pki/ocsp`), which picks the one whose CA a request names.
//
// Key sizes: the CAs (root, person CA, service CA) have RSA-3072 keys, the end entities RSA-2048. A CA certificate
// outlives what it signs, and every certificate it signs is judged by its key (EN 319 102-1 §5.2.8, validation/
// cryptoconstraints.ts): an RSA-2048 CA key, acceptable only through 2030 (NIST SP 800-57 Part 1 Rev. 5 §5.6.3), would
// leave no TSA certificate it issues, however strong its own key, acceptable after 2030 (testca/rollover.ts rolls TSA
// certificates with RSA-3072 keys for that reason).
import { crypto, generateKeys, SIGNING_ALGORITHM, type CryptoKey, type CryptoKeyPair } from '../trust/crypto';
import * as x509 from '@peculiar/x509';
import * as asn1js from 'asn1js';
import { normalizeSerialHex } from '../trust/x509/serial';
import type { RevocationReason } from '../trust/sources';

/** A certificate together with the key pair it certifies (the key signs what the certificate vouches for). */
export interface Issuer {
  certificate: x509.X509Certificate;
  keys: CryptoKeyPair;
}

/** Absolute URLs segl serves (`/pki/ocsp`, `/pki/crl`, `/pki/ca.pem`) and certificates point at. */
export interface PkiUrls {
  /** OCSP responder (RFC 5280 §4.2.2.1 id-ad-ocsp). */
  ocsp: string;
  /** The person CA's CRL (RFC 5280 §4.2.1.13). */
  crl: string;
  /** Issuing CA certificate (RFC 5280 §4.2.2.1 id-ad-caIssuers); omitted from AIA when unset. */
  caIssuers?: string;
  /** The root's CRL, put in the issuing CA certificates' CRL DP; defaults to `crl` (see createTestPki). */
  rootCrl?: string;
  /** The service CA's CRL, in the seal and TSA certificates' CRL DP; defaults to `crl`. */
  serviceCrl?: string;
  /** The service CA's certificate, the caIssuers of the seal and the TSA; omitted from their AIA when unset. */
  serviceCaIssuers?: string;
}

/** The whole test hierarchy (see the diagram at the top of this file). */
export interface TestPki {
  root: Issuer;
  personCa: Issuer;
  /** Delegated OCSP responder of the person CA (issued by it). */
  ocsp: Issuer;
  serviceCa: Issuer;
  /** Delegated OCSP responder of the service CA (issued by it). */
  serviceOcsp: Issuer;
  /** The platform seal, issued by the service CA. */
  seal: Issuer;
  /** The time-stamping authority, issued by the service CA. */
  tsa: Issuer;
}

/** What the service CA issues (see createServiceBranch). */
export type ServiceBranch = Pick<TestPki, 'serviceCa' | 'serviceOcsp' | 'seal' | 'tsa'>;

/**
 * Certificate policy OIDs for test person certificates. These are TEST OIDs under a private
 * enterprise arc nobody owns (99999); they deliberately do not claim any real OCES/MitID policy.
 */
export const POCES_POLICY = '1.3.6.1.4.1.99999.1.1';
export const MOCES_POLICY = '1.3.6.1.4.1.99999.1.2';
/** The test CA's organisation seal policy (VOCES-like: a company's certificate for seals, not a person's). */
export const VOCES_POLICY = '1.3.6.1.4.1.99999.1.3';

/** id-pkix-ocsp-nocheck (RFC 6960 §4.2.2.2.1). */
export const OCSP_NOCHECK_OID = '1.3.6.1.5.5.7.48.1.5';
/** X.520 serialNumber attribute, which OCES uses for PID / CVR-RID. */
export const SERIAL_NUMBER_ATTR = '2.5.4.5';
const CRL_NUMBER_OID = '2.5.29.20';

/** A DN as @peculiar/x509 takes it: one record per RDN, several keys for a multi-valued RDN. */
type JsonName = Array<Record<string, string[]>>;

// ---------------------------------------------------------------------------------------------
// Small helpers
// ---------------------------------------------------------------------------------------------

/** PEM armour (RFC 7468 §2): base64 in 64-character lines. Use label "X509 CRL" for CRLs (§5), as openssl expects. */
export function toPem(der: ArrayBuffer | Uint8Array, label: string): string {
  const b64 = Buffer.from(der instanceof Uint8Array ? der : new Uint8Array(der)).toString('base64');
  const lines = b64.match(/.{1,64}/g) ?? [];
  return `-----BEGIN ${label}-----\n${lines.join('\n')}\n-----END ${label}-----\n`;
}

/** The certificate's serial number in canonical form (see x509/serial.ts). */
export function serialHex(cert: x509.X509Certificate): string {
  return normalizeSerialHex(cert.serialNumber);
}

/**
 * A random positive 16-byte serial (RFC 5280 §4.1.2.2: positive, at most 20 octets, unique per CA;
 * CA/B BR §7.1 asks for 64+ bits of CSPRNG output). The top bit is cleared so DER needs no sign octet
 * and bit 6 is set so there is no leading zero: the encoding is always exactly 16 octets.
 */
export function randomSerial(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  bytes[0] = (bytes[0] & 0x7f) | 0x40;
  return Buffer.from(bytes).toString('hex');
}

/** `date` plus whole years, in UTC. */
function addYears(date: Date, years: number): Date {
  const d = new Date(date.getTime());
  d.setUTCFullYear(d.getUTCFullYear() + years);
  return d;
}

/** Compares DER encodings as X.690 §11.6 orders SET OF members (shorter one padded with zero octets). */
function compareDer(a: Uint8Array, b: Uint8Array): number {
  for (let i = 0; i < Math.max(a.length, b.length); i++) {
    const d = (a[i] ?? 0) - (b[i] ?? 0);
    if (d !== 0) return d;
  }
  return 0;
}

/** DER of one AttributeTypeAndValue, encoded the way x509.Name would encode it inside an RDN. */
function attributeDer(type: string, value: string): Uint8Array {
  const name = asn1js.fromBER(new x509.Name([{ [type]: [value] }]).toArrayBuffer());
  const rdn = (name.result as asn1js.Sequence).valueBlock.value[0] as asn1js.Set;
  return new Uint8Array(rdn.valueBlock.value[0].toBER());
}

/**
 * A multi-valued RDN (X.501 RelativeDistinguishedName, a SET OF) with its members in DER order
 * (X.690 §11.6), as OCES puts `CN + serialNumber` into one RDN.
 */
function multiValuedRdn(attrs: Array<[string, string]>): Record<string, string[]> {
  const sorted = attrs.map(([type, value]) => ({ type, value, der: attributeDer(type, value) })).sort((a, b) => compareDer(a.der, b.der));
  const rdn: Record<string, string[]> = {};
  for (const { type, value } of sorted) (rdn[type] ??= []).push(value);
  return rdn;
}

/** An RSA-3072 key pair (the CAs', see the top of this file). */
export function generateRsa3072Keys(): Promise<CryptoKeyPair> {
  return crypto.subtle.generateKey({ ...SIGNING_ALGORITHM, modulusLength: 3072 }, true, ['sign', 'verify']) as Promise<CryptoKeyPair>;
}

/** The key identifier of a certificate's SKI extension (RFC 5280 §4.2.1.2), for the AKI of what it signs. */
async function keyIdOf(cert: x509.X509Certificate): Promise<string> {
  const ski = cert.getExtension(x509.SubjectKeyIdentifierExtension);
  if (ski) return ski.keyId;
  // Foreign CA without an SKI: derive it with method (1) of §4.2.1.2 (SHA-1 of the public key).
  return Buffer.from(await cert.publicKey.getKeyIdentifier()).toString('hex');
}

/**
 * AuthorityInfoAccess (RFC 5280 §4.2.2.1): OCSP and, when served, caIssuers: the URL of this
 * certificate's issuer's certificate (`urls.caIssuers` for the person CA, `urls.serviceCaIssuers` for
 * the service CA). segl does not serve the root under a caIssuers URL, so what the root issues passes none.
 */
function aia(urls: PkiUrls, caIssuers: string | undefined): x509.AuthorityInfoAccessExtension {
  return new x509.AuthorityInfoAccessExtension({ ocsp: urls.ocsp, ...(caIssuers ? { caIssuers } : {}) });
}

interface IssueParams {
  /** Signing CA; absent for the self-signed root. */
  issuer?: Issuer;
  subject: JsonName;
  publicKey: CryptoKey;
  /** The root's own private key (self-signed only). */
  selfSigningKey?: CryptoKey;
  notBefore: Date;
  years: number;
  extensions: x509.Extension[];
}

/**
 * Issues one v3 certificate (RFC 5280 §4.1) with a random serial, SKI (§4.2.1.2) and, unless
 * self-signed, AKI keyIdentifier (§4.2.1.1). notAfter is clamped to the issuer's notAfter so no
 * certificate outlives its CA (the shell model validators such as pdfsig apply).
 */
async function issue(p: IssueParams): Promise<x509.X509Certificate> {
  let notAfter = addYears(p.notBefore, p.years);
  if (p.issuer && notAfter > p.issuer.certificate.notAfter) notAfter = p.issuer.certificate.notAfter;
  const signingKey = p.issuer ? p.issuer.keys.privateKey : p.selfSigningKey;
  if (!signingKey) throw new Error('issue: neither an issuer nor a self-signing key');
  const extensions = [...p.extensions, await x509.SubjectKeyIdentifierExtension.create(p.publicKey as never)];
  if (p.issuer) extensions.push(new x509.AuthorityKeyIdentifierExtension(await keyIdOf(p.issuer.certificate)));
  const subject = new x509.Name(p.subject);
  return x509.X509CertificateGenerator.create({
    serialNumber: randomSerial(),
    subject,
    // The issuer field is the CA's subject exactly as encoded (RFC 5280 §4.1.2.4 name chaining).
    issuer: p.issuer ? p.issuer.certificate.subjectName : subject,
    notBefore: p.notBefore,
    notAfter,
    publicKey: p.publicKey as never,
    signingKey: signingKey as never,
    signingAlgorithm: SIGNING_ALGORITHM as never,
    extensions,
  });
}

// ---------------------------------------------------------------------------------------------
// The hierarchy
// ---------------------------------------------------------------------------------------------

const KU = x509.KeyUsageFlags;

const dn = (name: string, cn: string): JsonName => [{ CN: [cn] }, { O: [name] }, { C: ['DK'] }];

/** An issuing CA under the root: pathLen 0 (end entities only), CRL DP at the root's CRL, AIA OCSP. */
async function issuingCa(root: Issuer, keys: CryptoKeyPair, subject: JsonName, urls: PkiUrls, now: Date): Promise<Issuer> {
  return {
    keys,
    certificate: await issue({
      issuer: root,
      subject,
      publicKey: keys.publicKey,
      notBefore: now,
      years: 10,
      extensions: [
        new x509.BasicConstraintsExtension(true, 0, true),
        new x509.KeyUsagesExtension(KU.keyCertSign | KU.cRLSign, true),
        new x509.CRLDistributionPointsExtension([urls.rootCrl ?? urls.crl]),
        aia(urls, undefined),
      ],
    }),
  };
}

const endEntity = (extra: x509.Extension[]): x509.Extension[] => [new x509.BasicConstraintsExtension(false, undefined, true), ...extra];

/**
 * A delegated OCSP responder of `ca` (RFC 6960 §4.2.2.2): EKU id-kp-OCSPSigning, id-pkix-ocsp-nocheck
 * (§4.2.2.2.1, so clients do not ask it about itself), keyUsage digitalSignature, 2 years.
 */
async function ocspResponder(ca: Issuer, keys: CryptoKeyPair, subject: JsonName, now: Date): Promise<Issuer> {
  return {
    keys,
    certificate: await issue({
      issuer: ca,
      subject,
      publicKey: keys.publicKey,
      notBefore: now,
      years: 2,
      extensions: endEntity([
        new x509.KeyUsagesExtension(KU.digitalSignature, true),
        new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.ocspSigning]),
        // The extension's value is ASN.1 NULL (RFC 6960 §4.2.2.2.1).
        new x509.Extension(OCSP_NOCHECK_OID, false, new Uint8Array([0x05, 0x00])),
      ]),
    }),
  };
}

/**
 * The service CA under `root` and what it issues, with fresh keys (RSA-3072 for the CA, RSA-2048 for the rest; also how a hierarchy made
 * before the service CA existed gets one: see store.ts).
 *
 * - serviceCa: issuing CA for segl's own functions, 10 years, pathLen 0, CRL DP at the root's CRL.
 * - serviceOcsp: its delegated OCSP responder (see ocspResponder).
 * - seal: the platform's organisation certificate (ETSI EN 319 412-3 shape: CN + O + C), keyUsage
 *   digitalSignature+nonRepudiation (critical), AIA (OCSP, caIssuers = the service CA) + CRL DP at the
 *   service CA's CRL, 3 years.
 * - tsa: RFC 3161 §2.3 TSA certificate: EKU id-kp-timeStamping only and critical, keyUsage
 *   digitalSignature+nonRepudiation, AIA + CRL DP like the seal, 5 years.
 */
export async function createServiceBranch(root: Issuer, opts: { name?: string; urls: PkiUrls; now?: Date }): Promise<ServiceBranch> {
  const name = opts.name ?? 'segl test';
  const { urls } = opts;
  const now = opts.now ?? new Date();
  const [caKeys, ocspKeys, sealKeys, tsaKeys] = await Promise.all([generateRsa3072Keys(), generateKeys(), generateKeys(), generateKeys()]);
  const serviceCa = await issuingCa(root, caKeys, dn(name, `${name} Service CA`), urls, now);
  const revocation = (): x509.Extension[] => serviceRevocation(urls);
  const [serviceOcsp, seal, tsa] = await Promise.all([
    ocspResponder(serviceCa, ocspKeys, dn(name, `${name} Service OCSP Responder`), now),
    issue({
      issuer: serviceCa,
      subject: dn(name, `${name} Seal`),
      publicKey: sealKeys.publicKey,
      notBefore: now,
      years: 3,
      extensions: endEntity([new x509.KeyUsagesExtension(KU.digitalSignature | KU.nonRepudiation, true), ...revocation()]),
    }),
    issueTsaCertificate(serviceCa, tsaKeys, { name, urls, now }),
  ]);
  return { serviceCa, serviceOcsp, seal: { certificate: seal, keys: sealKeys }, tsa };
}

/** The service CA's revocation pointers in what it issues: CRL DP at its CRL, AIA (OCSP, caIssuers = the service CA). */
const serviceRevocation = (urls: PkiUrls): x509.Extension[] => [
  new x509.CRLDistributionPointsExtension([urls.serviceCrl ?? urls.crl]),
  aia(urls, urls.serviceCaIssuers),
];

/** A TSA certificate for `keys` under the service CA (the shape createServiceBranch describes), 5 years from `now`. */
export async function issueTsaCertificate(
  serviceCa: Issuer,
  keys: CryptoKeyPair,
  o: { name: string; urls: PkiUrls; now: Date },
): Promise<Issuer> {
  const certificate = await issue({
    issuer: serviceCa,
    subject: dn(o.name, `${o.name} TSA`),
    publicKey: keys.publicKey,
    notBefore: o.now,
    years: 5,
    extensions: endEntity([
      new x509.KeyUsagesExtension(KU.digitalSignature | KU.nonRepudiation, true),
      new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.timeStamping], true),
      ...serviceRevocation(o.urls),
    ]),
  });
  return { certificate, keys };
}

/** A delegated OCSP responder certificate of `ca` for `keys` (see ocspResponder), named `commonName`, 2 years from `now`. */
export function issueOcspResponder(ca: Issuer, keys: CryptoKeyPair, o: { name: string; commonName: string; now: Date }): Promise<Issuer> {
  return ocspResponder(ca, keys, dn(o.name, o.commonName), o.now);
}

/**
 * Creates the whole test hierarchy (see the top of this file) with fresh keys (RSA-3072 for the CAs, RSA-2048 else).
 *
 * - root: self-signed CA, 20 years; basicConstraints cA (critical, RFC 5280 §4.2.1.9), keyUsage
 *   keyCertSign+cRLSign (critical, §4.2.1.3), SKI; no AKI (optional when self-signed, §4.2.1.1). It
 *   signs only CA certificates and its CRL.
 * - personCa: OCES-like issuing CA, 10 years, pathLen 0 (issues only end entities), AKI/SKI, CRL DP
 *   (`urls.rootCrl ?? urls.crl`) and AIA OCSP. Its status belongs to the root: the CRL DP should
 *   serve the root's CRL (set `rootCrl`), and the responder may answer for it only by signing with the
 *   root key itself (RFC 6960 §2.2; the delegated responders speak for the issuing CAs' certificates).
 * - ocsp: the person CA's delegated responder.
 * - serviceCa and what it issues: see createServiceBranch.
 */
export async function createTestPki(opts: { name?: string; urls: PkiUrls; now?: Date }): Promise<TestPki> {
  const name = opts.name ?? 'segl test';
  const { urls } = opts;
  const now = opts.now ?? new Date();
  const [rootKeys, caKeys, ocspKeys] = await Promise.all([generateRsa3072Keys(), generateRsa3072Keys(), generateKeys()]);
  const rootDn = dn(name, `${name} Root CA`);
  const root: Issuer = {
    keys: rootKeys,
    certificate: await issue({
      subject: rootDn,
      publicKey: rootKeys.publicKey,
      selfSigningKey: rootKeys.privateKey,
      notBefore: now,
      years: 20,
      extensions: [
        new x509.BasicConstraintsExtension(true, undefined, true),
        new x509.KeyUsagesExtension(KU.keyCertSign | KU.cRLSign, true),
      ],
    }),
  };
  const personCa = await issuingCa(root, caKeys, dn(name, `${name} Person CA`), urls, now);
  const [ocsp, service] = await Promise.all([
    ocspResponder(personCa, ocspKeys, dn(name, `${name} OCSP Responder`), now),
    createServiceBranch(root, { name, urls, now }),
  ]);
  return { root, personCa, ocsp, ...service };
}

// ---------------------------------------------------------------------------------------------
// Person certificates (OCES shape)
// ---------------------------------------------------------------------------------------------

export type PersonKind = 'POCES' | 'MOCES';

export interface PersonCertificateRequest {
  commonName: string;
  /** Personal identifier; in the subject of POCES only (MOCES identifies the employee by CVR + RID). */
  pid: string;
  kind: PersonKind;
  /** Employee number within the company (MOCES). */
  rid?: string;
  /** 8-digit Danish company number (MOCES). */
  cvr?: string;
  /** Company name (MOCES). */
  organisation?: string;
  email?: string;
  publicKey: CryptoKey;
  urls: PkiUrls;
  now?: Date;
  /** Validity in years; default 3 (OCES issued 3-year certificates). */
  years?: number;
}

const ID_PART = /^[0-9A-Za-z-]+$/;

/**
 * The OCES subject DN: `CN=<name> + serialNumber=PID:<pid>, C=DK` for POCES and
 * `CN=<name> + serialNumber=CVR:<cvr>-RID:<rid>, O=<organisation> // CVR:<cvr>, C=DK` for MOCES, as
 * OCES II employee certificates were issued (the organisation name followed by ` // CVR:` and the
 * company number). OCES predates the ETSI EN 319 412-1 §5.1.3 semantics identifiers (PNODK-…,
 * NTRDK-… in organizationIdentifier, which MitID Erhverv's OCES3 certificates use), so it keeps the
 * PID:/CVR:-RID: forms in X.520 serialNumber (ETSI EN 319 412-2 §4.2.4 requires serialNumber to
 * identify the subject).
 */
function personSubject(req: PersonCertificateRequest): JsonName {
  if (!req.commonName.trim()) throw new Error('person certificate: commonName is empty');
  if (req.kind === 'POCES') {
    if (!ID_PART.test(req.pid)) throw new Error(`person certificate: bad PID ${JSON.stringify(req.pid)}`);
    return [
      multiValuedRdn([
        ['CN', req.commonName],
        [SERIAL_NUMBER_ATTR, `PID:${req.pid}`],
      ]),
      { C: ['DK'] },
    ];
  }
  if (!req.cvr || !/^\d{8}$/.test(req.cvr)) throw new Error('MOCES certificate: cvr must be 8 digits');
  if (!req.rid || !ID_PART.test(req.rid)) throw new Error('MOCES certificate: rid is missing or malformed');
  if (!req.organisation?.trim()) throw new Error('MOCES certificate: organisation is required');
  return [
    multiValuedRdn([
      ['CN', req.commonName],
      [SERIAL_NUMBER_ATTR, `CVR:${req.cvr}-RID:${req.rid}`],
    ]),
    { O: [`${req.organisation.trim()}${MOCES_O_CVR}${req.cvr}`] },
    { C: ['DK'] },
  ];
}

/**
 * Issues a POCES (personal) or MOCES (employee) certificate: keyUsage digitalSignature+nonRepudiation
 * (critical; ETSI EN 319 412-2 §4.3.2 for signatures), certificatePolicies with POCES_POLICY or
 * MOCES_POLICY (§4.3.3), AIA OCSP + caIssuers (RFC 5280 §4.2.2.1), CRL DP (§4.2.1.13) and an rfc822Name
 * subjectAltName when an email is given (§4.2.1.6).
 */
export async function issuePersonCertificate(ca: Issuer, req: PersonCertificateRequest): Promise<x509.X509Certificate> {
  const extensions: x509.Extension[] = [
    new x509.BasicConstraintsExtension(false, undefined, true),
    new x509.KeyUsagesExtension(KU.digitalSignature | KU.nonRepudiation, true),
    new x509.CertificatePolicyExtension([req.kind === 'POCES' ? POCES_POLICY : MOCES_POLICY]),
    aia(req.urls, req.urls.caIssuers),
    new x509.CRLDistributionPointsExtension([req.urls.crl]),
  ];
  if (req.email) extensions.push(new x509.SubjectAlternativeNameExtension([{ type: 'email', value: req.email }]));
  return issue({
    issuer: ca,
    subject: personSubject(req),
    publicKey: req.publicKey,
    notBefore: req.now ?? new Date(),
    years: req.years ?? 3,
    extensions,
  });
}

/** What OCES II puts between the organisation's name and its CVR number in a MOCES subject's O. */
const MOCES_O_CVR = ' // CVR:';

/** The organisation's name from a MOCES subject's O (`<name> // CVR:<cvr>`), or undefined. */
export function organisationOf(cert: x509.X509Certificate): string | undefined {
  const o = cert.subjectName.getField('O')[0];
  return o === undefined ? undefined : o.split(MOCES_O_CVR)[0]!.trim();
}

/** The subject's X.520 serialNumber values. */
function subjectSerialNumbers(cert: x509.X509Certificate): string[] {
  return cert.subjectName.getField(SERIAL_NUMBER_ATTR);
}

/** PID from `serialNumber=PID:<pid>` (POCES), or undefined. */
export function pidOf(cert: x509.X509Certificate): string | undefined {
  for (const v of subjectSerialNumbers(cert)) {
    const m = /^PID:(.+)$/.exec(v);
    if (m) return m[1];
  }
  return undefined;
}

/** RID from `serialNumber=CVR:<cvr>-RID:<rid>` (MOCES), or undefined. */
export function ridOf(cert: x509.X509Certificate): string | undefined {
  for (const v of subjectSerialNumbers(cert)) {
    const m = /^CVR:\d+-RID:(.+)$/.exec(v);
    if (m) return m[1];
  }
  return undefined;
}

/** CVR from `serialNumber=CVR:<cvr>-RID:<rid>` (MOCES) or `CVR:<cvr>-UID:<uid>` (VOCES), or undefined. */
export function cvrOf(cert: x509.X509Certificate): string | undefined {
  for (const v of subjectSerialNumbers(cert)) {
    const m = /^CVR:(\d+)-(?:RID|UID):.+$/.exec(v);
    if (m) return m[1];
  }
  return undefined;
}

/**
 * POCES / MOCES by certificate policy (RFC 5280 §4.2.1.4) first; without a known policy, by the OCES
 * subject serialNumber form. Says nothing about trust: validate the chain separately.
 */
export function certificateKind(cert: x509.X509Certificate): PersonKind | 'other' {
  const policies = cert.getExtension(x509.CertificatePolicyExtension)?.policies ?? [];
  if (policies.includes(POCES_POLICY)) return 'POCES';
  if (policies.includes(MOCES_POLICY)) return 'MOCES';
  if (ridOf(cert) !== undefined) return 'MOCES';
  if (pidOf(cert) !== undefined) return 'POCES';
  return 'other';
}

// ---------------------------------------------------------------------------------------------
// CRLs
// ---------------------------------------------------------------------------------------------

export interface CrlEntry {
  serialHex: string;
  revokedAt: Date;
  reason: RevocationReason;
  /** Invalidity date (RFC 5280 §5.3.2), e.g. when a key was known to be compromised. */
  invalidAt?: Date;
}

/** DER INTEGER of a non-negative number (used for the CRL number, RFC 5280 §5.2.3). */
function derInteger(n: number | bigint): ArrayBuffer {
  const v = BigInt(n);
  if (v < 0n) throw new Error('CRL number must be non-negative');
  let hex = v.toString(16);
  if (hex.length % 2) hex = `0${hex}`;
  if (parseInt(hex.slice(0, 2), 16) & 0x80) hex = `00${hex}`;
  if (hex.length > 42) throw new Error('CRL number longer than 20 octets (RFC 5280 §5.2.3)');
  return new asn1js.Integer({ valueHex: Buffer.from(hex, 'hex') }).toBER();
}

/**
 * A complete v2 CRL (RFC 5280 §5.1) signed by `ca`, with the AKI (§5.2.1, required) and CRL number
 * (§5.2.3, required; the caller keeps it monotonically increasing) extensions. Reasons go in the
 * reasonCode entry extension (§5.3.1); 'unspecified' omits it, as §5.3.1 asks. 'removeFromCRL' is
 * refused: it belongs only in delta CRLs, and a held certificate is released by leaving it out.
 * nextUpdate defaults to thisUpdate + 24 h (§5.1.2.5: conforming CAs must include it).
 */
export async function createCrl(
  ca: Issuer,
  entries: CrlEntry[],
  opts: { thisUpdate?: Date; nextUpdate?: Date; crlNumber: number | bigint },
): Promise<ArrayBuffer> {
  const thisUpdate = opts.thisUpdate ?? new Date();
  const nextUpdate = opts.nextUpdate ?? new Date(thisUpdate.getTime() + 24 * 3600 * 1000);
  if (nextUpdate <= thisUpdate) throw new Error('CRL nextUpdate must be after thisUpdate');
  const crl = await x509.X509CrlGenerator.create({
    issuer: ca.certificate.subjectName,
    thisUpdate,
    nextUpdate,
    signingKey: ca.keys.privateKey as never,
    signingAlgorithm: SIGNING_ALGORITHM as never,
    extensions: [
      new x509.AuthorityKeyIdentifierExtension(await keyIdOf(ca.certificate)),
      new x509.Extension(CRL_NUMBER_OID, false, derInteger(opts.crlNumber)),
    ],
    entries: entries.map((e) => {
      if (e.reason === 'removeFromCRL') throw new Error('removeFromCRL is only for delta CRLs (RFC 5280 §5.3.1)');
      const code = x509.X509CrlReason[e.reason];
      if (code === undefined) throw new Error(`unknown CRL reason ${String(e.reason)}`);
      const hex = normalizeSerialHex(e.serialHex);
      return {
        serialNumber: hex,
        revocationDate: e.revokedAt,
        reason: e.reason === 'unspecified' ? undefined : code,
        invalidity: e.invalidAt,
      };
    }),
  });
  return crl.rawData;
}

/**
 * The authentication service's SAML signing certificate (issue 14), issued by the service CA like the
 * seal but a separate key: CN `<host>/std` as Signicat's (`CN=test.signicat.com/std`), keyUsage
 * digitalSignature (critical; it signs SAML Responses, never documents), AIA + CRL DP like the seal,
 * 3 years.
 */
export async function issueSamlCertificate(
  serviceCa: Issuer,
  opts: {
    name?: string;
    host: string;
    urls: PkiUrls;
    now?: Date;
    /** the CN's path: `/std` (SAML), `/oidc` (the OpenID provider) */ path?: string;
  },
): Promise<Issuer> {
  const keys = await generateKeys();
  const certificate = await issue({
    issuer: serviceCa,
    subject: dn(opts.name ?? 'segl test', `${opts.host}${opts.path ?? '/std'}`),
    publicKey: keys.publicKey,
    notBefore: opts.now ?? new Date(),
    years: 3,
    extensions: endEntity([
      new x509.KeyUsagesExtension(KU.digitalSignature, true),
      new x509.CRLDistributionPointsExtension([opts.urls.serviceCrl ?? opts.urls.crl]),
      aia(opts.urls, opts.urls.serviceCaIssuers),
    ]),
  });
  return { certificate, keys };
}

export interface OrganisationSealRequest {
  /** the organisation's name, as its register has it */
  organisation: string;
  /** 8-digit Danish company number */
  cvr: string;
  publicKey: CryptoKey;
  urls: PkiUrls;
  now?: Date;
}

/**
 * An organisation's seal certificate (VOCES-like, issued by the service CA): subject
 * `CN=<organisation> + serialNumber=CVR:<cvr>-UID:<random>, O=<organisation> // CVR:<cvr>, C=DK` (the OCES
 * VOCES form; the UID tells two seals of one company apart), keyUsage digitalSignature+nonRepudiation
 * (critical), VOCES_POLICY, AIA + CRL DP like the platform seal, 3 years. The key may be anywhere: the
 * caller gives the public key (of a key pair made here, or of a key in an HSM).
 */
export async function issueOrganisationSealCertificate(serviceCa: Issuer, req: OrganisationSealRequest): Promise<x509.X509Certificate> {
  const organisation = req.organisation.trim();
  if (!organisation || organisation.length > 64 || [...organisation].some((c) => c.charCodeAt(0) < 0x20))
    throw new Error('organisation seal: the organisation name must be 1 to 64 printable characters');
  if (!/^\d{8}$/.test(req.cvr)) throw new Error('organisation seal: the CVR number must be 8 digits');
  const uid = Buffer.from(crypto.getRandomValues(new Uint8Array(8))).toString('hex');
  return issue({
    issuer: serviceCa,
    subject: [
      multiValuedRdn([
        ['CN', organisation],
        [SERIAL_NUMBER_ATTR, `CVR:${req.cvr}-UID:${uid}`],
      ]),
      { O: [`${organisation}${MOCES_O_CVR}${req.cvr}`] },
      { C: ['DK'] },
    ],
    publicKey: req.publicKey,
    notBefore: req.now ?? new Date(),
    years: 3,
    extensions: endEntity([
      new x509.KeyUsagesExtension(KU.digitalSignature | KU.nonRepudiation, true),
      new x509.CertificatePolicyExtension([VOCES_POLICY]),
      new x509.CRLDistributionPointsExtension([req.urls.serviceCrl ?? req.urls.crl]),
      aia(req.urls, req.urls.serviceCaIssuers),
    ]),
  });
}

// A slice of NIST PKITS (Public Key Interoperability Test Suite, 2011) for src/trust/x509/path.ts, RFC 5280 §6.
// The PKITS certificates are not used: each case builds its chain here with @peculiar/x509 (ECDSA P-256, so
// that generation is fast), shaped like the PKITS case whose section number it carries. Cases PKITS has no
// number for (trust anchor expiry, anchor pathLenConstraint) name the path.ts policy they check.
//
// Sections covered: 4.1-4.3, 4.5-4.7, 4.16; 4.8-4.13 as far as path.ts goes: it processes no policies and no name
// constraints and accepts any policy (no initial policy set, RFC 5280 §6.1.1 (c)), so the policy and name-constraint
// extensions RFC 5280 requires to be critical make a path fail closed, which these cases pin down. Not covered, by
// design: 4.4, 4.14 and 4.15 (CRLs, distribution points, delta CRLs): path.ts checks no revocation; segl asks OCSP
// (src/trust/validation/revocation.ts, tested in test/interop/trust-ocsp-tsa.test.ts and trust-verify.test.ts).
import '../../src/trust/crypto';
import * as x509 from '@peculiar/x509';
import { webcrypto } from 'node:crypto';
import { oid, TAG, tlv } from '../../src/trust/asn1/der';
import { validatePath, type PathResult } from '../../src/trust/x509/path';

const ALG = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' } as const;
const AT = new Date('2026-06-01T00:00:00Z');
const NOT_BEFORE = new Date('2025-01-01T00:00:00Z');
const NOT_AFTER = new Date('2028-01-01T00:00:00Z');

interface Ca {
  name: string;
  keys: webcrypto.CryptoKeyPair;
  cert: x509.X509Certificate;
}

let serial = 1;

function keys(): Promise<webcrypto.CryptoKeyPair> {
  return webcrypto.subtle.generateKey(ALG, true, ['sign', 'verify']) as Promise<webcrypto.CryptoKeyPair>;
}

interface CertSpec {
  subject: string;
  /** issuer: its name and signing key (a self-signed certificate when absent) */
  issuer?: { name: string; keys: webcrypto.CryptoKeyPair };
  /** the issuer name written into the certificate, when it should differ from the issuer's own */
  issuerName?: string;
  /** the key that signs, when it should differ from the issuer's */
  signWith?: webcrypto.CryptoKey;
  keys?: webcrypto.CryptoKeyPair;
  notBefore?: Date;
  notAfter?: Date;
  /** basicConstraints: false leaves it out, 'ee' writes cA=false */
  ca?: boolean | 'ee';
  caCritical?: boolean;
  pathLength?: number;
  keyUsage?: x509.KeyUsageFlags | null;
  keyUsageCritical?: boolean;
  extra?: x509.Extension[];
}

async function issue(spec: CertSpec): Promise<{ cert: x509.X509Certificate; keys: webcrypto.CryptoKeyPair }> {
  const own = spec.keys ?? (await keys());
  const isCa = spec.ca === true;
  const extensions: x509.Extension[] = [];
  if (spec.ca !== false) {
    extensions.push(new x509.BasicConstraintsExtension(isCa, isCa ? spec.pathLength : undefined, spec.caCritical ?? true));
  }
  const ku =
    spec.keyUsage === undefined
      ? isCa
        ? x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign
        : x509.KeyUsageFlags.digitalSignature
      : spec.keyUsage;
  if (ku !== null) extensions.push(new x509.KeyUsagesExtension(ku, spec.keyUsageCritical ?? true));
  extensions.push(await x509.SubjectKeyIdentifierExtension.create(own.publicKey as never));
  extensions.push(...(spec.extra ?? []));
  const issuer = spec.issuer ?? { name: spec.subject, keys: own };
  const cert = await x509.X509CertificateGenerator.create({
    serialNumber: (serial++).toString(16).padStart(4, '0'),
    subject: spec.subject,
    issuer: spec.issuerName ?? issuer.name,
    notBefore: spec.notBefore ?? NOT_BEFORE,
    notAfter: spec.notAfter ?? NOT_AFTER,
    signingAlgorithm: ALG,
    publicKey: own.publicKey as never,
    signingKey: (spec.signWith ?? issuer.keys.privateKey) as never,
    extensions,
  });
  return { cert, keys: own };
}

async function ca(subject: string, issuer: Ca | undefined, spec: Partial<CertSpec> = {}): Promise<Ca> {
  const r = await issue({ ca: true, ...spec, subject, issuer: issuer && { name: issuer.name, keys: issuer.keys } });
  return { name: subject, keys: r.keys, cert: r.cert };
}

async function ee(subject: string, issuer: Ca, spec: Partial<CertSpec> = {}): Promise<x509.X509Certificate> {
  return (await issue({ ca: 'ee', ...spec, subject, issuer: { name: issuer.name, keys: issuer.keys } })).cert;
}

function validate(leaf: x509.X509Certificate, anchor: Ca, intermediates: Ca[], at = AT): Promise<PathResult> {
  return validatePath(leaf, { anchors: [anchor.cert], intermediates: intermediates.map((c) => c.cert), at });
}

function expectOk(r: PathResult, length: number): void {
  if (!r.ok) throw new Error(`expected a valid path, got ${r.subIndication}: ${r.message}`);
  expect(r.chain).toHaveLength(length);
}

function expectFail(r: PathResult, sub: string, message?: RegExp): void {
  expect(r.ok).toBe(false);
  if (r.ok) return;
  expect(r.subIndication).toBe(sub);
  if (message) expect(r.message).toMatch(message);
}

/** nameConstraints (RFC 5280 §4.2.1.10) permitting one directoryName subtree. */
function nameConstraints(permitted: string, critical: boolean): x509.Extension {
  const name = new Uint8Array(new x509.Name(permitted).toArrayBuffer());
  const value = tlv(TAG.sequence, tlv(0xa0, tlv(TAG.sequence, tlv(0xa4, name))));
  return new x509.Extension('2.5.29.30', critical, value);
}

let root: Ca;
let good: Ca;

beforeAll(async () => {
  root = await ca('CN=Trust Anchor,O=Test Certificates 2011,C=US', undefined);
  good = await ca('CN=Good CA,O=Test Certificates 2011,C=US', root);
});

describe('PKITS 4.1 signature verification', () => {
  it('4.1.1 Valid Signatures Test1', async () => {
    expectOk(await validate(await ee('CN=Valid Signatures EE Certificate Test1', good), root, [good]), 3);
  });

  it('4.1.2 Invalid CA Signature Test2: the intermediate is not signed by the anchor key', async () => {
    const other = await keys();
    const bad = await ca('CN=Bad Signed CA,O=Test Certificates 2011,C=US', root, { signWith: other.privateKey });
    const leaf = await ee('CN=Invalid CA Signature Test2 EE', bad);
    expectFail(await validate(leaf, root, [bad]), 'NO_CERTIFICATE_CHAIN_FOUND');
  });

  it('4.1.3 Invalid EE Signature Test3', async () => {
    const other = await keys();
    const leaf = await ee('CN=Invalid EE Signature Test3 EE', good, { signWith: other.privateKey });
    expectFail(await validate(leaf, root, [good]), 'NO_CERTIFICATE_CHAIN_FOUND');
  });
});

describe('PKITS 4.2 validity periods', () => {
  const future = new Date('2027-01-01T00:00:00Z');
  const past = new Date('2026-01-01T00:00:00Z');

  it('4.2.1 Invalid CA notBefore Date Test1', async () => {
    const c = await ca('CN=Bad notBefore Date CA,O=Test Certificates 2011,C=US', root, { notBefore: future });
    expectFail(await validate(await ee('CN=Invalid CA notBefore Date EE', c), root, [c]), 'NOT_YET_VALID', /intermediate CA/);
  });

  it('4.2.2 Invalid EE notBefore Date Test2', async () => {
    const leaf = await ee('CN=Invalid EE notBefore Date EE', good, { notBefore: future });
    expectFail(await validate(leaf, root, [good]), 'NOT_YET_VALID', /^certificate /);
  });

  it('4.2.5 Invalid CA notAfter Date Test5', async () => {
    const c = await ca('CN=Bad notAfter Date CA,O=Test Certificates 2011,C=US', root, { notAfter: past });
    expectFail(await validate(await ee('CN=Invalid CA notAfter Date EE', c), root, [c]), 'OUT_OF_BOUNDS_NO_POE', /intermediate CA/);
  });

  it('4.2.6 Invalid EE notAfter Date Test6', async () => {
    const leaf = await ee('CN=Invalid EE notAfter Date EE', good, { notAfter: past });
    expectFail(await validate(leaf, root, [good]), 'OUT_OF_BOUNDS_NO_POE', /^certificate /);
  });

  it('the validity bounds are inclusive (RFC 5280 §4.1.2.5)', async () => {
    const leaf = await ee('CN=Bounds EE', good, { notBefore: AT, notAfter: AT });
    expectOk(await validate(leaf, root, [good]), 3);
  });

  it('policy: an expired trust anchor is still an anchor (RFC 5280 §6.1.1 (d) takes its name and key only)', async () => {
    const old = await ca('CN=Expired Anchor,O=Test Certificates 2011,C=US', undefined, { notAfter: past });
    const sub = await ca('CN=Under Expired Anchor CA,O=Test Certificates 2011,C=US', old);
    expectOk(await validate(await ee('CN=Under Expired Anchor EE', sub), old, [sub]), 3);
  });
});

describe('PKITS 4.3 name chaining', () => {
  it('4.3.1 Invalid Name Chaining EE Test1: the issuer name does not match any CA', async () => {
    const leaf = (
      await issue({
        ca: 'ee',
        subject: 'CN=Invalid Name Chaining EE Test1',
        issuer: { name: good.name, keys: good.keys },
        issuerName: 'CN=Wrong CA Name,O=Test Certificates 2011,C=US',
      })
    ).cert;
    expectFail(await validate(leaf, root, [good]), 'NO_CERTIFICATE_CHAIN_FOUND');
  });

  it('4.3.2 Invalid Name Chaining Order Test2: same RDNs in another order', async () => {
    const leaf = (
      await issue({
        ca: 'ee',
        subject: 'CN=Invalid Name Chaining Order EE',
        issuer: { name: good.name, keys: good.keys },
        issuerName: 'C=US,O=Test Certificates 2011,CN=Good CA',
      })
    ).cert;
    expectFail(await validate(leaf, root, [good]), 'NO_CERTIFICATE_CHAIN_FOUND');
  });

  it('a missing intermediate: no path', async () => {
    expectFail(await validate(await ee('CN=Orphan EE', good), root, []), 'NO_CERTIFICATE_CHAIN_FOUND');
  });
});

describe('PKITS 4.5 self-issued certificates (key rollover)', () => {
  it('4.5.1 Valid Basic Self-Issued Old With New Test1', async () => {
    const oldCa = await ca('CN=Basic Self-Issued CA,O=Test Certificates 2011,C=US', root);
    const newKeys = await keys();
    // the new key certified by the old key: issuer and subject are the same name (self-issued, RFC 5280 §6.1)
    const newWithOld = (
      await issue({
        ca: true,
        subject: oldCa.name,
        keys: newKeys,
        issuer: { name: oldCa.name, keys: oldCa.keys },
      })
    ).cert;
    const newCa: Ca = { name: oldCa.name, keys: newKeys, cert: newWithOld };
    const leaf = await ee('CN=Valid Basic Self-Issued Old With New EE', newCa);
    const r = await validate(leaf, root, [oldCa, newCa]);
    expectOk(r, 4);
    if (r.ok) expect(r.chain[1]!.serialNumber).toBe(newWithOld.serialNumber);
  });
});

describe('PKITS 4.6 basic constraints', () => {
  it('4.6.1 Invalid Missing basicConstraints Test1', async () => {
    const c = await ca('CN=Missing basicConstraints CA,O=Test Certificates 2011,C=US', root, { ca: false });
    expectFail(await validate(await ee('CN=Missing bC EE', c), root, [c]), 'CHAIN_CONSTRAINTS_FAILURE', /not a CA/);
  });

  it('4.6.2 Invalid cA False Test2 (critical)', async () => {
    const c = await ca('CN=basicConstraints Critical cA False CA,O=Test Certificates 2011,C=US', root, { ca: 'ee' });
    expectFail(await validate(await ee('CN=cA False EE 2', c), root, [c]), 'CHAIN_CONSTRAINTS_FAILURE', /not a CA/);
  });

  it('4.6.3 Invalid cA False Test3 (not critical)', async () => {
    const c = await ca('CN=basicConstraints Not Critical cA False CA,O=Test Certificates 2011,C=US', root, {
      ca: 'ee',
      caCritical: false,
    });
    expectFail(await validate(await ee('CN=cA False EE 3', c), root, [c]), 'CHAIN_CONSTRAINTS_FAILURE', /not a CA/);
  });

  it('4.6.4 Valid basicConstraints Not Critical Test4', async () => {
    const c = await ca('CN=basicConstraints Not Critical CA,O=Test Certificates 2011,C=US', root, { caCritical: false });
    expectOk(await validate(await ee('CN=bC Not Critical EE', c), root, [c]), 3);
  });

  it('4.6.7 Valid pathLenConstraint Test7', async () => {
    const c = await ca('CN=pathLenConstraint0 CA,O=Test Certificates 2011,C=US', root, { pathLength: 0 });
    expectOk(await validate(await ee('CN=Valid pathLenConstraint Test7 EE', c), root, [c]), 3);
  });

  it('4.6.9 Invalid pathLenConstraint Test9', async () => {
    const c0 = await ca('CN=pathLenConstraint0 CA 9,O=Test Certificates 2011,C=US', root, { pathLength: 0 });
    const sub = await ca('CN=pathLenConstraint0 subCA,O=Test Certificates 2011,C=US', c0);
    const leaf = await ee('CN=Invalid pathLenConstraint Test9 EE', sub);
    expectFail(await validate(leaf, root, [c0, sub]), 'CHAIN_CONSTRAINTS_FAILURE', /pathLenConstraint 0/);
  });

  it('4.6.13 Valid pathLenConstraint Test13: pathLen 1 over one subCA', async () => {
    const c1 = await ca('CN=pathLenConstraint1 CA,O=Test Certificates 2011,C=US', root, { pathLength: 1 });
    const sub = await ca('CN=pathLenConstraint1 subCA,O=Test Certificates 2011,C=US', c1);
    expectOk(await validate(await ee('CN=Valid pathLenConstraint Test13 EE', sub), root, [c1, sub]), 4);
  });

  it('4.6.15 Valid Self-Issued pathLenConstraint Test15: a self-issued certificate is not counted', async () => {
    const c0 = await ca('CN=pathLenConstraint0 CA 15,O=Test Certificates 2011,C=US', root, { pathLength: 0 });
    const selfKeys = await keys();
    const self = (await issue({ ca: true, subject: c0.name, keys: selfKeys, issuer: { name: c0.name, keys: c0.keys } })).cert;
    const selfCa: Ca = { name: c0.name, keys: selfKeys, cert: self };
    const r = await validate(await ee('CN=Valid Self-Issued pathLenConstraint Test15 EE', selfCa), root, [c0, selfCa]);
    expectOk(r, 4);
  });

  it('4.6.16 Invalid Self-Issued pathLenConstraint Test16', async () => {
    const c0 = await ca('CN=pathLenConstraint0 CA 16,O=Test Certificates 2011,C=US', root, { pathLength: 0 });
    const selfKeys = await keys();
    const self = (await issue({ ca: true, subject: c0.name, keys: selfKeys, issuer: { name: c0.name, keys: c0.keys } })).cert;
    const selfCa: Ca = { name: c0.name, keys: selfKeys, cert: self };
    const sub = await ca('CN=pathLenConstraint0 subCA2,O=Test Certificates 2011,C=US', selfCa);
    const leaf = await ee('CN=Invalid Self-Issued pathLenConstraint Test16 EE', sub);
    expectFail(await validate(leaf, root, [c0, selfCa, sub]), 'CHAIN_CONSTRAINTS_FAILURE', /pathLenConstraint 0/);
  });

  it("policy: the trust anchor's own pathLenConstraint is honoured (RFC 5937 §2)", async () => {
    const anchor0 = await ca('CN=pathLen0 Anchor,O=Test Certificates 2011,C=US', undefined, { pathLength: 0 });
    const sub = await ca('CN=Under pathLen0 Anchor CA,O=Test Certificates 2011,C=US', anchor0);
    expectFail(await validate(await ee('CN=Under pathLen0 Anchor EE', sub), anchor0, [sub]), 'CHAIN_CONSTRAINTS_FAILURE', /trust anchor/);
    expectOk(await validate(await ee('CN=Directly under pathLen0 Anchor EE', anchor0), anchor0, []), 2);
  });
});

describe('PKITS 4.7 key usage', () => {
  it('4.7.1 Invalid keyUsage Critical keyCertSign False Test1', async () => {
    const c = await ca('CN=keyUsage Critical keyCertSign False CA,O=Test Certificates 2011,C=US', root, {
      keyUsage: x509.KeyUsageFlags.cRLSign,
    });
    expectFail(await validate(await ee('CN=keyCertSign False EE 1', c), root, [c]), 'CHAIN_CONSTRAINTS_FAILURE', /keyCertSign/);
  });

  it('4.7.2 Invalid keyUsage Not Critical keyCertSign False Test2', async () => {
    const c = await ca('CN=keyUsage Not Critical keyCertSign False CA,O=Test Certificates 2011,C=US', root, {
      keyUsage: x509.KeyUsageFlags.cRLSign,
      keyUsageCritical: false,
    });
    expectFail(await validate(await ee('CN=keyCertSign False EE 2', c), root, [c]), 'CHAIN_CONSTRAINTS_FAILURE', /keyCertSign/);
  });

  it('4.7.3 Valid keyUsage Not Critical Test3', async () => {
    const c = await ca('CN=keyUsage Not Critical CA,O=Test Certificates 2011,C=US', root, { keyUsageCritical: false });
    expectOk(await validate(await ee('CN=keyUsage Not Critical EE', c), root, [c]), 3);
  });

  it('RFC 5280 §6.1.4 (n): a CA without keyUsage may sign', async () => {
    const c = await ca('CN=No keyUsage CA,O=Test Certificates 2011,C=US', root, { keyUsage: null });
    expectOk(await validate(await ee('CN=No keyUsage CA EE', c), root, [c]), 3);
  });
});

const TEST_POLICY_1 = '2.16.840.1.101.3.2.1.48.1';
const TEST_POLICY_2 = '2.16.840.1.101.3.2.1.48.2';

/** policyConstraints (RFC 5280 §4.2.1.11, MUST be critical): requireExplicitPolicy [0], inhibitPolicyMapping [1]. */
function policyConstraints(require?: number, inhibit?: number): x509.Extension {
  const parts = [
    ...(require === undefined ? [] : [tlv(0x80, Uint8Array.of(require))]),
    ...(inhibit === undefined ? [] : [tlv(0x81, Uint8Array.of(inhibit))]),
  ];
  return new x509.Extension('2.5.29.36', true, tlv(TAG.sequence, ...parts));
}

describe('PKITS 4.8-4.12 certificate policies (path.ts processes none: any policy is accepted, policy constraints fail closed)', () => {
  it('4.8.1 Valid All Certificates Same Policy Test1', async () => {
    const policy = (critical: boolean) => new x509.CertificatePolicyExtension([TEST_POLICY_1], critical);
    const c = await ca('CN=Policies P12 CA,O=Test Certificates 2011,C=US', root, { extra: [policy(false)] });
    expectOk(await validate(await ee('CN=Valid All Certificates Same Policy EE', c, { extra: [policy(false)] }), root, [c]), 3);
  });

  it('4.8.x a critical certificatePolicies is recognised: any policy is acceptable without an initial policy set', async () => {
    const c = await ca('CN=Critical Policy CA,O=Test Certificates 2011,C=US', root, {
      extra: [new x509.CertificatePolicyExtension([TEST_POLICY_1], true)],
    });
    const leaf = await ee('CN=Critical Policy EE', c, { extra: [new x509.CertificatePolicyExtension([TEST_POLICY_2], true)] });
    expectOk(await validate(leaf, root, [c]), 3);
  });

  it('4.9.1 Valid RequireExplicitPolicy Test1 is refused: policyConstraints is not processed (fail closed)', async () => {
    const c = await ca('CN=requireExplicitPolicy10 CA,O=Test Certificates 2011,C=US', root, { extra: [policyConstraints(10)] });
    expectFail(await validate(await ee('CN=Valid RequireExplicitPolicy EE', c), root, [c]), 'CHAIN_CONSTRAINTS_FAILURE', /2\.5\.29\.36/);
  });

  it('4.10.1 Valid Policy Mapping Test1 is refused: a critical policyMappings is not processed (fail closed)', async () => {
    const mapping = tlv(TAG.sequence, tlv(TAG.sequence, oid(TEST_POLICY_1), oid(TEST_POLICY_2)));
    const c = await ca('CN=Mapping 1to2 CA,O=Test Certificates 2011,C=US', root, {
      extra: [new x509.Extension('2.5.29.33', true, mapping), new x509.CertificatePolicyExtension([TEST_POLICY_1], false)],
    });
    const leaf = await ee('CN=Valid Policy Mapping EE', c, { extra: [new x509.CertificatePolicyExtension([TEST_POLICY_2], false)] });
    expectFail(await validate(leaf, root, [c]), 'CHAIN_CONSTRAINTS_FAILURE', /2\.5\.29\.33/);
  });

  it('4.11.1 Invalid inhibitPolicyMapping Test1 is refused', async () => {
    const c = await ca('CN=inhibitPolicyMapping0 CA,O=Test Certificates 2011,C=US', root, { extra: [policyConstraints(undefined, 0)] });
    expectFail(await validate(await ee('CN=Invalid inhibitPolicyMapping EE', c), root, [c]), 'CHAIN_CONSTRAINTS_FAILURE', /2\.5\.29\.36/);
  });

  it('4.12.1 Invalid inhibitAnyPolicy Test1 is refused: inhibitAnyPolicy (MUST be critical) is not processed', async () => {
    const c = await ca('CN=inhibitAnyPolicy0 CA,O=Test Certificates 2011,C=US', root, {
      extra: [new x509.Extension('2.5.29.54', true, tlv(TAG.integer, Uint8Array.of(0)))],
    });
    expectFail(await validate(await ee('CN=Invalid inhibitAnyPolicy EE', c), root, [c]), 'CHAIN_CONSTRAINTS_FAILURE', /2\.5\.29\.54/);
  });
});

describe('PKITS 4.13 name constraints (not implemented by path.ts: a critical nameConstraints fails closed)', () => {
  it('4.13.1 Valid DN nameConstraints Test1 is refused, as path.ts documents (fail closed)', async () => {
    const c = await ca('CN=nameConstraints DN1 CA,O=Test Certificates 2011,C=US', root, {
      extra: [nameConstraints('OU=permittedSubtree1,O=Test Certificates 2011,C=US', true)],
    });
    const leaf = await ee('CN=Valid DN nameConstraints EE Certificate Test1,OU=permittedSubtree1,O=Test Certificates 2011,C=US', c);
    expectFail(await validate(leaf, root, [c]), 'CHAIN_CONSTRAINTS_FAILURE', /2\.5\.29\.30/);
  });

  it('4.13.2 Invalid DN nameConstraints Test2 is refused', async () => {
    const c = await ca('CN=nameConstraints DN1 CA 2,O=Test Certificates 2011,C=US', root, {
      extra: [nameConstraints('OU=permittedSubtree1,O=Test Certificates 2011,C=US', true)],
    });
    const leaf = await ee('CN=Invalid DN nameConstraints EE Certificate Test2,OU=permittedSubtree2,O=Test Certificates 2011,C=US', c);
    expectFail(await validate(leaf, root, [c]), 'CHAIN_CONSTRAINTS_FAILURE', /unrecognised critical/);
  });
});

describe('PKITS 4.16 private certificate extensions', () => {
  const unknown = (critical: boolean) => new x509.Extension('2.16.840.1.101.2.1.12.2', critical, Uint8Array.of(0x05, 0x00));

  it('4.16.1 Valid Unknown Not Critical Certificate Extension Test1', async () => {
    expectOk(await validate(await ee('CN=Unknown Not Critical EE', good, { extra: [unknown(false)] }), root, [good]), 3);
  });

  it('4.16.2 Invalid Unknown Critical Certificate Extension Test2', async () => {
    const leaf = await ee('CN=Unknown Critical EE', good, { extra: [unknown(true)] });
    expectFail(await validate(leaf, root, [good]), 'CHAIN_CONSTRAINTS_FAILURE', /unrecognised critical/);
  });

  it('an unknown critical extension on an intermediate (RFC 5280 §6.1.4 (o))', async () => {
    const c = await ca('CN=Unknown Critical CA,O=Test Certificates 2011,C=US', root, { extra: [unknown(true)] });
    expectFail(
      await validate(await ee('CN=Under Unknown Critical CA EE', c), root, [c]),
      'CHAIN_CONSTRAINTS_FAILURE',
      /intermediate CA certificate .*unrecognised critical/,
    );
  });
});

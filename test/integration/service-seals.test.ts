// Organisation seals per service (docs/signatures.md "Organisation seals") on each database: `segl seal
// issue` gives a service a VOCES-like seal from the test CA and its LTV-SDOs are sealed with it (xmlsec1
// verifies the seal against the test root; another service keeps the platform's), its PAdES too
// (pdfsig names the organisation); a key in a SoftHSM2 token that is never extractable seals the same
// way through PKCS#11; every bad input is refused with its reason and nothing is stored.
import 'reflect-metadata';
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import * as x509 from '@peculiar/x509';
import type { ServiceAccount } from '../../src/core/ports';
import { generateKeys } from '../../src/trust/crypto';
import { PKG_NS } from '../support/packaging';
import { run as runTool } from '../support/pades';
import { makePdf } from '../support/pdf';
import { runSegl } from '../support/cli';
import { signTask } from '../support/sign';
import { databases, startServer, type TestServer } from '../support/server';
import { createRequestXml, envelope, post } from '../support/soap';
import { xmlsecEachSignature } from '../support/xmlsec';

const exec = promisify(execFile);
const MODULE = '/usr/lib/softhsm/libsofthsm2.so';
const PIN = '246810';

/** The certificate of the package's seal (the root's last ds:Signature). */
function sealCertificate(xml: string): x509.X509Certificate {
  const certs = [...xml.matchAll(/<ds:X509Certificate>([^<]+)</g)].map((m) => m[1]!);
  return new x509.X509Certificate(Buffer.from(certs.at(-1)!, 'base64'));
}

describe.each(databases())('organisation seals (%s)', (db) => {
  let s: TestServer;
  let dir: string;
  let env: NodeJS.ProcessEnv;
  const services: Record<string, ServiceAccount> = {};
  const segl = (...args: string[]) => runSegl(env, ...args);
  const rows = async () =>
    JSON.stringify(await s.rt.db.query('SELECT service_id, source, certificate FROM service_seal ORDER BY service_id'));

  /** A request of `service` with a PDF, signed by a test person and sealed: its LTV-SDO. */
  async function signed(service: string, password: string): Promise<{ requestId: string; xml: string }> {
    const pdf = makePdf({ text: `Agreement of ${service}` });
    const requestId = await createRequestXml(
      s.endpoint,
      service,
      password,
      `<document xsi:type="provided-document" id="d" mime-type="application/pdf"><data>${pdf.toString('base64')}</data><description>agreement</description></document>` +
        '<task id="t1"><document-action type="sign"><document-ref>d</document-ref></document-action></task>',
    );
    const keys = await generateKeys();
    const certificate = await (
      await s.rt.ca()
    ).issuePerson({ commonName: 'Ann Berg', pid: '9208-2002-2-123456789012', publicKey: keys.publicKey });
    const r = await signTask(s.rt, services[service]!, requestId, { certificate, keys }, { documentIds: ['d'] });
    if (!r.ok) throw new Error(`not sealed: ${JSON.stringify(r)}`);
    return { requestId, xml: r.packageXml };
  }

  /** xmlsec1 verifies every signature of the package against the test root. */
  async function xmlsecVerifies(xml: string): Promise<void> {
    const ca = await s.rt.ca();
    const outs = await xmlsecEachSignature(dir, xml, ca.pem('root'), [ca.pem('personCa'), ca.pem('serviceCa')]);
    expect(outs.length).toBe(2);
    for (const o of outs) expect(o).toMatch(/^OK/m);
  }

  beforeAll(async () => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'segl-seals-'));
    // a SoftHSM2 token of this test's own, its key made inside it
    const conf = path.join(dir, 'softhsm2.conf');
    writeFileSync(conf, `directories.tokendir = ${path.join(dir, 'tokens')}\nobjectstore.backend = file\n`);
    await exec('mkdir', ['-p', path.join(dir, 'tokens')]);
    // (child processes get their environment explicitly: under Jest they would see the outer process's)
    process.env.SOFTHSM2_CONF = conf;
    process.env.ACME_HSM_PIN = PIN;
    const hsmEnv = { PATH: process.env.PATH, SOFTHSM2_CONF: conf };
    await exec('softhsm2-util', ['--init-token', '--free', '--label', 'acme-hsm', '--so-pin', '13579113', '--pin', PIN], { env: hsmEnv });
    await exec(
      'pkcs11-tool',
      [
        '--module',
        MODULE,
        '--token-label',
        'acme-hsm',
        '--login',
        '--pin',
        PIN,
        '--keypairgen',
        '--key-type',
        'rsa:2048',
        '--label',
        'seal',
        '--id',
        '01',
        '--usage-sign',
      ],
      { env: hsmEnv },
    );
    s = await startServer(db);
    for (const name of ['acme', 'hsmbank']) await s.rt.services.create(name, `${name}-password-1`);
    for (const name of ['demo', 'acme', 'hsmbank']) services[name] = (await s.rt.services.find(name))!;
    env = {
      PATH: process.env.PATH,
      HOME: process.env.HOME,
      DATA_DIR: s.dataDir,
      LOG_LEVEL: 'warn',
      SOFTHSM2_CONF: conf,
      ACME_HSM_PIN: PIN,
      ...(s.rt.config.databaseUrl ? { DATABASE_URL: s.rt.config.databaseUrl } : {}),
    };
  }, 120_000);
  afterAll(async () => {
    await s.stop();
    rmSync(dir, { recursive: true, force: true });
    delete process.env.ACME_HSM_PIN;
  });

  test('seal issue: the service gets a VOCES-like seal from the test CA, and its LTV-SDOs are sealed with it', async () => {
    const r = await segl('seal', 'issue', 'acme', '--organisation', 'Acme Bank A/S', '--cvr', '12345678');
    expect(r.stderr).toBe('');
    expect(r.stdout).toMatch(/^acme: sealed by .*CN=Acme Bank A\/S/);
    expect(r.stdout).toMatch(/key: test CA, the key sealed in the database/);
    const { xml } = await signed('acme', 'acme-password-1');
    const seal = sealCertificate(xml);
    expect(seal.subjectName.getField('CN')).toEqual(['Acme Bank A/S']);
    expect(seal.subjectName.getField('O')).toEqual(['Acme Bank A/S // CVR:12345678']);
    expect(seal.subjectName.getField('2.5.4.5')[0]).toMatch(/^CVR:12345678-UID:[0-9a-f]{16}$/);
    expect(seal.issuer).toBe((await s.rt.ca()).pki.serviceCa.certificate.subject);
    await xmlsecVerifies(xml);
    // the key is kept sealed: no PKCS#8 in clear in the row
    const [row] = (await s.rt.db.query('SELECT secret FROM service_seal WHERE service_id = ' + services.acme!.id)) as Array<{
      secret: string;
    }>;
    expect(row!.secret).toMatch(/^v1\./);
    // neither a PEM nor, decoded, a PKCS#8 key: no rsaEncryption AlgorithmIdentifier (OID 1.2.840.113549.1.1.1, DER) in
    // its bytes ("MII" in the text was a 1-in-100 chance in random ciphertext's base64url)
    expect(row!.secret).not.toContain('PRIVATE KEY');
    const bytes = Buffer.concat(
      row!.secret
        .split('.')
        .slice(1)
        .map((part) => Buffer.from(part, 'base64url')),
    );
    expect(bytes.length).toBeGreaterThan(1000);
    expect(bytes.includes(Buffer.from('06092a864886f70d010101', 'hex'))).toBe(false);
    // another service keeps the platform's seal
    const other = sealCertificate((await signed('demo', s.demoPassword)).xml);
    expect(other.serialNumber).toBe((await s.rt.ca()).pki.seal.certificate.serialNumber);
    expect((await segl('seal', 'show', 'demo')).stdout).toBe("demo: sealed by the platform's seal (no seal of its own)\n");
  });

  test("create-package: the service's PAdES is sealed by the organisation, as pdfsig shows", async () => {
    const { requestId } = await signed('acme', 'acme-password-1');
    const r = await post(
      `${s.url}/ws/packagingservice-v4`,
      envelope(
        `<create-package-request xmlns="${PKG_NS}"><version>4</version><service>acme</service><password>acme-password-1</password><validation-policy>ltvsdo-validator</validation-policy><packaging-method>pades</packaging-method><sdo><order-document-id><request-id>${requestId}</request-id><task-id>t1</task-id><document-id>d</document-id></order-document-id></sdo></create-package-request>`,
      ),
    );
    const id = /<id>([^<]+)<\/id>/.exec(r.text)?.[1];
    if (!id) throw new Error(r.text);
    const res = await fetch(`${s.url}/doc/acme/sds/${id}`, {
      headers: { authorization: `Basic ${Buffer.from('acme:acme-password-1').toString('base64')}` },
    });
    const file = path.join(dir, 'acme.pdf');
    writeFileSync(file, Buffer.from(await res.arrayBuffer()));
    const sig = await runTool('pdfsig', [file]);
    expect(sig.out).toMatch(/Signer Certificate Common Name: Acme Bank A\/S/);
    const text = await runTool('pdftotext', [file, '-']);
    // the cover page names the seal's subject: the organisation, not the platform
    expect(text.out).toMatch(/CN=Acme Bank A\/S/);
    expect(text.out).not.toMatch(/segl test Seal/);
  });

  test('seal pkcs11: a key that never leaves the SoftHSM2 token seals; xmlsec1 verifies it', async () => {
    const listed = await exec(
      'pkcs11-tool',
      ['--module', MODULE, '--token-label', 'acme-hsm', '--login', '--pin', PIN, '-O', '--type', 'privkey'],
      { env },
    );
    expect(listed.stdout).toMatch(/sensitive, always sensitive, never extractable, local/);
    const r = await segl(
      'seal',
      'pkcs11',
      'hsmbank',
      '--module',
      MODULE,
      '--token',
      'acme-hsm',
      '--key',
      'seal',
      '--pin-env',
      'ACME_HSM_PIN',
      '--organisation',
      'HSM Bank A/S',
      '--cvr',
      '87654321',
    );
    expect(r.stderr).toBe('');
    expect(r.stdout).toMatch(/key: PKCS#11 token "acme-hsm" key "seal" \(module .*libsofthsm2\.so; PIN from ACME_HSM_PIN\)/);
    const { xml } = await signed('hsmbank', 'hsmbank-password-1');
    const seal = sealCertificate(xml);
    expect(seal.subjectName.getField('CN')).toEqual(['HSM Bank A/S']);
    // the certificate carries the token's public key
    const pub = path.join(dir, 'pub.der');
    await exec(
      'pkcs11-tool',
      ['--module', MODULE, '--token-label', 'acme-hsm', '--read-object', '--type', 'pubkey', '--label', 'seal', '-o', pub],
      { env },
    );
    expect(Buffer.from(seal.publicKey.rawData).equals(readFileSync(pub))).toBe(true);
    await xmlsecVerifies(xml);
    // the PIN is not in the database
    expect(await rows()).not.toContain(PIN);
  });

  test('bad input is refused with its reason and stores nothing', async () => {
    const before = await rows();
    /** `seal pkcs11 acme` with the good options, some replaced */
    const p11 = (over: Record<string, string> = {}) => {
      const o: Record<string, string> = {
        module: MODULE,
        token: 'acme-hsm',
        key: 'seal',
        'pin-env': 'ACME_HSM_PIN',
        organisation: 'A',
        cvr: '12345678',
        ...over,
      };
      return ['seal', 'pkcs11', 'acme', ...Object.entries(o).flatMap(([k, v]) => (v ? [`--${k}`, v] : []))];
    };
    const foreign = await (
      await s.rt.ca()
    ).issuePerson({ commonName: 'Not The Key', pid: '9208-2002-2-999999999999', publicKey: (await generateKeys()).publicKey });
    writeFileSync(path.join(dir, 'foreign.pem'), foreign.toString('pem'));
    const cases: Array<[string[], RegExp, NodeJS.ProcessEnv?]> = [
      [['seal', 'issue', 'acme', '--organisation', 'Acme', '--cvr', '1234'], /the CVR number must be 8 digits/],
      [['seal', 'issue', 'nobody', '--organisation', 'Acme', '--cvr', '12345678'], /no service "nobody"/],
      [p11({ key: 'nokey' }), /no public key "nokey" in token "acme-hsm"/],
      [p11({ 'pin-env': 'NO_SUCH_PIN' }), /the environment variable NO_SUCH_PIN is empty/],
      [p11({ module: '/nonexistent/lib.so' }), /no public key "seal"/],
      [p11(), /token "acme-hsm" did not sign with key "seal": .*(PIN|CKR_)/, { ACME_HSM_PIN: '000000' }],
      [
        p11({ certificate: path.join(dir, 'foreign.pem'), organisation: '', cvr: '' }),
        /the certificate's public key is not the token's key "seal"/,
      ],
      [
        ['seal', 'import', 'acme', path.join(dir, 'missing.p12'), '--passphrase-env', 'ACME_HSM_PIN'],
        /PKCS#12 .*missing\.p12: cannot read it \(ENOENT\)/,
      ],
    ];
    for (const [args, message, over] of cases) {
      const r = await runSegl({ ...env, ...over }, ...args);
      expect(r.code).not.toBe(0);
      expect(r.stderr).toMatch(message);
    }
    expect(await rows()).toBe(before);
  });

  test('seal remove: the platform seals the service again', async () => {
    expect((await segl('seal', 'remove', 'acme')).stdout).toBe('acme: its own seal removed; the platform seals its packages again\n');
    expect((await segl('seal', 'remove', 'acme')).stderr).toMatch(/service "acme" has no seal of its own/);
  });
});

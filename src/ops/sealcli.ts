// `segl seal issue | import | pkcs11 | show | remove`: a service's own organisation seal
// (docs/signatures.md "Organisation seals"). Every key is checked before anything is stored: it
// signs, and its certificate carries its public key; nothing changes when a check fails.
import { readFileSync } from 'node:fs';
import * as x509 from '@peculiar/x509';
import type { Command } from 'commander';
import type { DataSource } from 'typeorm';
import type { Config } from '../config';
import { AtRest } from '../store/atrest';
import type { Pkcs11KeyRef, ServiceSeal, ServiceSealRepository } from '../store/serviceseals';
import type { Signer } from '../trust/sources';
import { crypto, SIGNING_ALGORITHM } from '../trust/crypto';
import { withServiceId, type WithServices } from './packagingcli';
import { pems } from '../signing/trust';

interface SealContext {
  seals: ServiceSealRepository;
  serviceId: number;
  db: DataSource;
}

async function withSeals<T>(withServices: WithServices, cfg: Config, service: string, f: (c: SealContext) => Promise<T>): Promise<T> {
  const { ServiceSealRepository } = await import('../store/serviceseals');
  const { ensureSecret } = await import('../store/datadir');
  return withServiceId(withServices, service, (db, serviceId) =>
    f({ seals: new ServiceSealRepository(db, new AtRest(ensureSecret(cfg))), serviceId, db }),
  );
}

function readFile(file: string, what: string): Buffer {
  try {
    return readFileSync(file);
  } catch (e) {
    throw new Error(`${what} ${file}: cannot read it (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
  }
}

function fromEnv(name: string, what: string): string {
  const v = process.env[name];
  if (!v) throw new Error(`${what}: the environment variable ${name} is empty`);
  return v;
}

/** The certificate may seal: it is in force, and its key usage allows signatures that prove origin. */
function checkSealCertificate(cert: x509.X509Certificate, now = new Date()): void {
  if (cert.notAfter <= now || cert.notBefore > now)
    throw new Error(`the seal certificate is not in force (valid ${cert.notBefore.toISOString()} to ${cert.notAfter.toISOString()})`);
  const ku = cert.getExtension(x509.KeyUsagesExtension);
  if (ku && !(ku.usages & (x509.KeyUsageFlags.digitalSignature | x509.KeyUsageFlags.nonRepudiation)))
    throw new Error('the seal certificate does not allow signatures (keyUsage has neither digitalSignature nor nonRepudiation)');
}

/** The key signs, and the certificate's public key verifies what it signed. */
async function proveKey(signer: Signer): Promise<void> {
  const probe = new TextEncoder().encode(`segl seal key check ${new Date().toISOString()}`);
  const signature = await signer.sign(probe);
  const publicKey = await signer.certificate.publicKey.export(SIGNING_ALGORITHM as never, ['verify'], crypto as never);
  if (!(await crypto.subtle.verify({ name: 'RSASSA-PKCS1-v1_5' }, publicKey, signature, probe)))
    throw new Error("the key does not match the certificate: a signature made with the key fails with the certificate's public key");
}

const pemOf = (certs: x509.X509Certificate[]) => certs.map((c) => c.toString('pem')).join('\n');

function describe(name: string, s: ServiceSeal): string {
  const c = new x509.X509Certificate(s.certificate);
  const where =
    s.source === 'pkcs11'
      ? `PKCS#11 token "${s.pkcs11!.token}" key "${s.pkcs11!.key}" (module ${s.pkcs11!.module}; PIN from ${s.pkcs11!.pinEnv})`
      : s.source === 'pkcs12'
        ? 'PKCS#12, sealed in the database under SEGL_SECRET'
        : 'test CA, the key sealed in the database under SEGL_SECRET';
  return `${name}: sealed by ${c.subject}\n  issuer: ${c.issuer}\n  serial: ${c.serialNumber}\n  valid until: ${c.notAfter.toISOString()}\n  key: ${where}\n`;
}

/** The test CA of this instance, for `issue` and for a token without a certificate of its own. */
async function testCa(cfg: Config, db: DataSource) {
  if (!cfg.testCa)
    throw new Error(
      'the test CA is off here (production): import a PKCS#12 (seal import) or name a certificate (seal pkcs11 --certificate)',
    );
  const [{ TestCa }, { CertificateRepository }, { ensureSecret }] = await Promise.all([
    import('../testca/testca'),
    import('../store/certificates'),
    import('../store/datadir'),
  ]);
  return TestCa.open(cfg.dataDir, ensureSecret(cfg), cfg.publicUrl, new CertificateRepository(db), { now: () => new Date() });
}

interface OrgOptions {
  organisation?: string;
  cvr?: string;
}

function requireOrg(o: OrgOptions): { organisation: string; cvr: string } {
  if (!o.organisation || !o.cvr) throw new Error('--organisation and --cvr are required for a certificate from the test CA');
  return { organisation: o.organisation, cvr: o.cvr };
}

/** `seal issue` and `seal import`: keys held by segl (sealed under SEGL_SECRET). */
function keyCommands(seal: Command, withServices: WithServices, config: () => Config): void {
  seal
    .command('issue <service>')
    .description('preprod: a seal certificate from the test CA for the organisation (VOCES-like), with a new key')
    .requiredOption('--organisation <name>', "the organisation's name")
    .requiredOption('--cvr <number>', 'its 8-digit CVR number')
    .action(async (service: string, o: OrgOptions) => {
      const cfg = config();
      const stored = await withSeals(withServices, cfg, service, async ({ seals, serviceId, db }) => {
        const ca = await testCa(cfg, db);
        const { generateKeys } = await import('../trust/crypto');
        const keys = await generateKeys();
        const certificate = await ca.issueOrganisationSeal({ ...requireOrg(o), publicKey: keys.publicKey });
        const pkcs8 = Buffer.from(await crypto.subtle.exportKey('pkcs8', keys.privateKey)).toString('base64');
        const s: ServiceSeal = {
          serviceId,
          source: 'test-ca',
          certificate: certificate.toString('pem'),
          chain: pemOf([ca.pki.serviceCa.certificate, ca.pki.root.certificate]),
          secret: JSON.stringify({ pkcs8 }),
          createdAt: new Date().toISOString(),
        };
        await seals.set(s);
        return s;
      });
      process.stdout.write(describe(service, stored));
    });
  seal
    .command('import <service> <p12>')
    .description("the organisation's own seal from a PKCS#12 file (key, certificate and chain)")
    .requiredOption('--passphrase-env <name>', 'the environment variable holding the PKCS#12 passphrase')
    .action(async (service: string, file: string, o: { passphraseEnv: string }) => {
      const cfg = config();
      const der = readFile(file, 'PKCS#12');
      const passphrase = fromEnv(o.passphraseEnv, 'PKCS#12 passphrase');
      const { readPkcs12 } = await import('../trust/x509/pkcs12');
      const { keySigner } = await import('../trust/signer');
      const entry = await readPkcs12(der, passphrase);
      checkSealCertificate(entry.certificate);
      await proveKey(keySigner(entry.certificate, entry.keys.privateKey));
      const stored = await withSeals(withServices, cfg, service, async ({ seals, serviceId }) => {
        const s: ServiceSeal = {
          serviceId,
          source: 'pkcs12',
          certificate: entry.certificate.toString('pem'),
          chain: pemOf(entry.chain),
          secret: JSON.stringify({ p12: der.toString('base64'), passphrase }),
          createdAt: new Date().toISOString(),
        };
        await seals.set(s);
        return s;
      });
      process.stdout.write(describe(service, stored));
    });
}

/** `seal pkcs11`: a key that stays in its token. */
function pkcs11Command(seal: Command, withServices: WithServices, config: () => Config): void {
  seal
    .command('pkcs11 <service>')
    .description('a seal key in a PKCS#11 token (an HSM): the key never leaves it; segl signs through OpenSC pkcs11-tool')
    .requiredOption('--module <path>', "the token's PKCS#11 library (e.g. /usr/lib/softhsm/libsofthsm2.so)")
    .requiredOption('--token <label>', "the token's label")
    .requiredOption('--key <label>', "the key's label in the token")
    .requiredOption('--pin-env <name>', 'the environment variable that holds the user PIN, here and where segl signs')
    .option('--certificate <pem>', "the key's certificate (default in preprod: one from the test CA, with --organisation and --cvr)")
    .option('--chain <pem>', "the certificate's issuing CA(s) up to the root")
    .option('--organisation <name>', "the organisation's name (test CA certificate)")
    .option('--cvr <number>', 'its CVR number (test CA certificate)')
    .action(
      async (
        service: string,
        o: { module: string; token: string; key: string; pinEnv: string; certificate?: string; chain?: string } & OrgOptions,
      ) => {
        const cfg = config();
        if (!/^[A-Za-z_][A-Za-z0-9_]{0,63}$/.test(o.pinEnv)) throw new Error(`--pin-env "${o.pinEnv}" is not an environment variable name`);
        fromEnv(o.pinEnv, 'token PIN');
        const ref: Pkcs11KeyRef = { module: o.module, token: o.token, key: o.key, pinEnv: o.pinEnv };
        const { pkcs11PublicKey, pkcs11Signer } = await import('../signing/pkcs11');
        const spki = await pkcs11PublicKey(ref);
        const stored = await withSeals(withServices, cfg, service, async ({ seals, serviceId, db }) => {
          let certificate: x509.X509Certificate;
          let chain: x509.X509Certificate[];
          if (o.certificate) {
            certificate = new x509.X509Certificate(readFile(o.certificate, 'certificate').toString('utf8'));
            chain = o.chain ? pems(readFile(o.chain, 'chain').toString('utf8')) : [];
            if (!Buffer.from(certificate.publicKey.rawData).equals(Buffer.from(spki)))
              throw new Error(`the certificate's public key is not the token's key "${o.key}"`);
          } else {
            const ca = await testCa(cfg, db);
            const publicKey = await crypto.subtle.importKey('spki', spki, SIGNING_ALGORITHM, true, ['verify']);
            certificate = await ca.issueOrganisationSeal({ ...requireOrg(o), publicKey });
            chain = [ca.pki.serviceCa.certificate, ca.pki.root.certificate];
          }
          checkSealCertificate(certificate);
          await proveKey(pkcs11Signer(ref, certificate));
          const s: ServiceSeal = {
            serviceId,
            source: 'pkcs11',
            certificate: certificate.toString('pem'),
            chain: pemOf(chain),
            pkcs11: ref,
            createdAt: new Date().toISOString(),
          };
          await seals.set(s);
          return s;
        });
        process.stdout.write(describe(service, stored));
      },
    );
}

export function sealCommands(program: Command, withServices: WithServices, config: () => Config): void {
  const seal = program.command('seal').description("a service's own organisation seal for its LTV-SDOs and PAdES");
  keyCommands(seal, withServices, config);
  pkcs11Command(seal, withServices, config);
  seal
    .command('show <service>')
    .description("the service's seal: its own, or the platform's")
    .action(async (service: string) => {
      const s = await withSeals(withServices, config(), service, ({ seals, serviceId }) => seals.get(serviceId));
      process.stdout.write(s ? describe(service, s) : `${service}: sealed by the platform's seal (no seal of its own)\n`);
    });
  seal
    .command('remove <service>')
    .description("remove the service's own seal: its packages are sealed by the platform again")
    .action(async (service: string) => {
      if (!(await withSeals(withServices, config(), service, ({ seals, serviceId }) => seals.remove(serviceId))))
        throw new Error(`service "${service}" has no seal of its own`);
      process.stdout.write(`${service}: its own seal removed; the platform seals its packages again\n`);
    });
}

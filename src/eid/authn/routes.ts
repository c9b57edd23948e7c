// The authentication service's HTTP surface as app.ts mounts it: the login core's pages and the SAML
// 1.1 front door, signing with the dedicated SAML certificate — from the test PKI in preprod
// (issued by the service CA on first use), from SEGL_SAML_P12 in production. Without either the
// service is off (`samlSigningSource` says why; the start banner shows it).
import { readFile } from 'node:fs/promises';
import express from 'express';
import type { Logger } from 'pino';
import type { DataSource } from 'typeorm';
import type { Config } from '../../config';
import type { Clock } from '../../core/ports';
import { AuthnRepository } from '../../store/authn';
import { PortalSessionRepository } from '../../store/portalsessions';
import { ProfileRepository } from '../../store/profiles';
import type { ServiceRepository } from '../../store/services';
import type { TestCa } from '../../testca/testca';
import { readPkcs12, type KeyStoreEntry } from '../../trust/x509/pkcs12';
import { mountRefusedForms } from '../../portal/pages/refused';
import type { PidCprService } from '../pidcpr';
import type { TestIdEnvironment } from '../testid/users';
import { mountStdMethod, SAML_CERTIFICATE_PATH, type SamlSigning } from '../saml/std';
import { SamlSpRepository } from '../../store/samlsps';
import { Saml2Idp } from '../saml/saml2/idp';
import { mountSaml2 } from '../saml/saml2/routes';
import { persistentNameId } from '../saml/saml2/response';
import { LoginCore } from './login';
import { mountOidcProvider, type OpSigning } from '../op/provider';
import { OidcOpRepository } from '../../store/oidcop';

type P12 = Config['samlP12'];
/** what both a PKCS#12 entry and a test PKI issuer carry */
type SigningKey = Pick<KeyStoreEntry, 'certificate' | 'keys'>;

/** Where a signing key comes from: its PKCS#12 setting, else the test PKI, else nowhere (that service is off). */
const keySource = <N extends string>(p12: P12, testCa: boolean, setting: N): N | 'test PKI' | undefined =>
  p12 ? setting : testCa ? 'test PKI' : undefined;

/** Where the SAML signing key comes from, or undefined when the authentication service is off. */
export const samlSigningSource = (cfg: Pick<Config, 'samlP12' | 'testCa'>) => keySource(cfg.samlP12, cfg.testCa, 'SEGL_SAML_P12');

/** Where the OpenID provider's signing key comes from, or undefined when the provider is off. */
export const oidcSigningSource = (cfg: Pick<Config, 'oidcP12' | 'testCa'>) => keySource(cfg.oidcP12, cfg.testCa, 'SEGL_OIDC_P12');

/** A signing key and its certificate from the PKCS#12 when set, else from the test PKI; loaded once (tried again after a failure). */
function keyOnce(p12: P12, fromTestCa: () => Promise<SigningKey>): () => Promise<SigningKey> {
  let p: Promise<SigningKey> | undefined;
  const load = async () => (p12 ? readPkcs12(await readFile(p12.path), p12.passphrase) : fromTestCa());
  return () =>
    (p ??= load().catch((e) => {
      p = undefined;
      throw e;
    }));
}

export interface AuthnDeps {
  config: Config;
  db: DataSource;
  log: Logger;
  clock: Clock;
  services: ServiceRepository;
  testid?: TestIdEnvironment;
  pidcpr: PidCprService;
  ca(): Promise<TestCa>;
  /** the public URL (with the real port) */
  url(): string;
}

/** The start banner's lines for the SAML 1.1 service and the OpenID provider. */
export function loginBanner(cfg: Pick<Config, 'samlP12' | 'oidcP12' | 'testCa'>, url: string): string[] {
  return [
    samlSigningSource(cfg)
      ? `  login (SAML 1.1):         ${url}/std/method/<service>?id=nemid&target=…  certificate ${url}${SAML_CERTIFICATE_PATH}`
      : '  login (SAML 1.1):         off (production needs SEGL_SAML_P12, the SAML signing key)',
    ...(samlSigningSource(cfg)
      ? [`  login (SAML 2.0 IdP):     metadata ${url}/saml2/metadata  (segl saml sp add <service> <metadata.xml>)`]
      : []),
    oidcSigningSource(cfg)
      ? `  login (OpenID Connect):   ${url}/oidc/.well-known/openid-configuration  (clients: segl oidc client add)`
      : '  login (OpenID Connect):   off (production needs SEGL_OIDC_P12, the ID-token signing key)',
  ];
}

/** The login pages and /std/method, or an empty router when the authentication service is off. */
export function authnRoutes(d: AuthnDeps): express.Router {
  const r = express.Router();
  const saml = !!samlSigningSource(d.config);
  const oidc = !!oidcSigningSource(d.config);
  if (!saml && !oidc) return r;
  const repo = new AuthnRepository(d.db);
  const core = new LoginCore({
    services: d.services,
    profiles: new ProfileRepository(d.db),
    sessions: new PortalSessionRepository(d.db),
    repo,
    secret: d.config.secret!,
    production: d.config.mode === 'production',
    clock: d.clock,
    log: d.log,
    testid: d.testid,
    pidcpr: d.pidcpr,
  });
  if (saml) {
    const key = keyOnce(d.config.samlP12, async () => (await d.ca()).samlSigner(new URL(d.url()).host));
    const signing = async (): Promise<SamlSigning> => {
      const e = await key();
      return {
        key: e.keys.privateKey,
        certificateDer: new Uint8Array(e.certificate.rawData),
        certificatePem: e.certificate.toString('pem'),
      };
    };
    // a production key file that cannot be read is said at start, not at the first login
    if (d.config.samlP12) signing().catch((e: unknown) => d.log.error({ err: (e as Error).message }, 'SEGL_SAML_P12 cannot be used'));
    mountStdMethod(r, { core, services: d.services, repo, signing, issuer: () => `${new URL(d.url()).host}/std` });
    // the SAML 2.0 IdP (docs/authentication.md): same core, same signing certificate
    const idp = new Saml2Idp({
      sps: new SamlSpRepository(d.db),
      entityId: () => `${d.url()}/saml2/metadata`,
      ssoUrl: () => `${d.url()}/saml2/sso`,
      wantAuthnRequestsSigned: d.config.saml2SignedRequests,
      signer: signing,
      now: () => d.clock.now(),
      persistentId: (sp, pid) => persistentNameId(d.config.secret!, sp, pid),
    });
    mountSaml2(r, { core, services: d.services, idp });
  }
  if (oidc) {
    const key = keyOnce(d.config.oidcP12, async () => (await d.ca()).oidcSigner(new URL(d.url()).host));
    const signing = async (): Promise<OpSigning> => {
      const e = await key();
      return { privateKey: e.keys.privateKey, certificateDer: new Uint8Array(e.certificate.rawData) };
    };
    if (d.config.oidcP12) signing().catch((e: unknown) => d.log.error({ err: (e as Error).message }, 'SEGL_OIDC_P12 cannot be used'));
    const opRepo = new OidcOpRepository(d.db, d.config.secret!);
    mountOidcProvider(r, {
      core,
      repo: opRepo,
      services: d.services,
      signing,
      publicUrl: d.url,
      secret: d.config.secret!,
      behindProxy: d.config.trustedProxies.length > 0,
      clock: d.clock,
      log: d.log,
    });
  }
  core.mount(r);
  mountRefusedForms(r); // a form the body parser refused: the portal's translated 400/413 page
  return r;
}

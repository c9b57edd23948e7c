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
import { readPkcs12 } from '../../trust/x509/pkcs12';
import { mountRefusedForms } from '../../portal/pages/refused';
import type { PidCprService } from '../pidcpr';
import type { TestIdEnvironment } from '../testid/users';
import { mountStdMethod, type SamlSigning } from '../saml/std';
import { SamlSpRepository } from '../../store/samlsps';
import { Saml2Idp } from '../saml/saml2/idp';
import { mountSaml2 } from '../saml/saml2/routes';
import { LoginCore } from './login';

/** Where the SAML signing key comes from, or undefined when the authentication service is off. */
export function samlSigningSource(cfg: Pick<Config, 'samlP12' | 'testCa'>): 'SEGL_SAML_P12' | 'test PKI' | undefined {
  if (cfg.samlP12) return 'SEGL_SAML_P12';
  return cfg.testCa ? 'test PKI' : undefined;
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

/** The signing key and certificate, loaded once (tried again after a failure). */
function signingOnce(d: AuthnDeps): () => Promise<SamlSigning> {
  const cfg = d.config;
  let p: Promise<SamlSigning> | undefined;
  const load = async (): Promise<SamlSigning> => {
    const entry = cfg.samlP12
      ? await readPkcs12(await readFile(cfg.samlP12.path), cfg.samlP12.passphrase)
      : await (await d.ca()).samlSigner(new URL(d.url()).host);
    return {
      key: entry.keys.privateKey,
      certificateDer: new Uint8Array(entry.certificate.rawData),
      certificatePem: entry.certificate.toString('pem'),
    };
  };
  return () =>
    (p ??= load().catch((e) => {
      p = undefined;
      throw e;
    }));
}

/** The login pages and /std/method, or an empty router when the authentication service is off. */
export function authnRoutes(d: AuthnDeps): express.Router {
  const r = express.Router();
  if (!samlSigningSource(d.config)) return r;
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
  const signing = signingOnce(d);
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
  });
  mountSaml2(r, { core, services: d.services, idp });
  core.mount(r);
  mountRefusedForms(r); // a form the body parser refused: the portal's translated 400/413 page
  return r;
}

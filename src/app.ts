// The HTTP surface of a running segl: the express app, its routes in the order they are tried, and the
// server with its `Expect: 100-continue` handling. runtime.ts starts it when the process serves HTTP.
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import path from 'node:path';
import express from 'express';
import type { Redis } from 'ioredis';
import type { Logger } from 'pino';
import type { DataSource } from 'typeorm';
import type { Config } from './config';
import type { DocumentUseCases } from './core/documents';
import { ArchiveUseCases } from './core/archive';
import { newErrorReference } from './core/ids';
import type { PackagingUseCases } from './core/packaging';
import { LoginThrottle } from './core/ratelimit';
import { SdsUploads } from './core/sds';
import { defaultRegistry } from './eid/registry';
import type { PidCprService } from './eid/pidcpr';
import { testIdToolRoutes } from './eid/testid/tool';
import { testIdMethod } from './eid/testid/steps';
import { oidcMethod } from './eid/oidc/steps';
import { OidcMethods } from './eid/oidc/methods';
import { OidcRelyingParty } from './eid/oidc/rp';
import { testIdpRoutes } from './eid/oidc/testidp/routes';
import { OidcLoginRepository, OidcMethodRepository } from './store/oidcmethods';
import { AtRest } from './store/atrest';
import type { TestIdEnvironment } from './eid/testid/users';
import { authnRoutes } from './eid/authn/routes';
import { consoleRoutes } from './console/routes';
import { eventFeedRoutes } from './api/events';
import { ApiTokenRepository, EventFeedRepository } from './store/eventfeed';
import { ConsoleSessions } from './console/session';
import { accountCheck, PendingLogins } from './console/accounts';
import { ConsoleAccountRepository } from './store/consoleaccounts';
import { ConsoleQueries } from './store/consolequeries';
import { ConsoleAuditRepository } from './store/consoleaudit';
import { adminRoutes } from './ops/admin';
import type { AdjustableClock } from './ops/clock';
import type { Metrics } from './ops/metrics';
import type { X509Certificate } from '@peculiar/x509';
import { portalRoutes } from './portal/routes';
import { viewerRoutes } from './portal/viewer/routes';
import type { Queues } from './queue/queues';
import type { RedisHandle } from './queue/redis';
import { sdsRoutes } from './sds/routes';
import type { SigningPipeline } from './signing/pipeline';
import { ARCHIVE_OPERATIONS } from './soap/archiveservice';
import { DOCUMENT_OPERATIONS } from './soap/documentservice';
import { PACKAGING_OPERATIONS } from './soap/packagingservice';
import { soapEndpoint } from './soap/endpoint';
import type { ArchiveRepository } from './store/archive';
import type { BlobStore } from './store/blobs';
import type { OutboxRepository } from './store/outbox';
import { PortalSessionRepository } from './store/portalsessions';
import { ProfileRepository } from './store/profiles';
import { SamlSpRepository } from './store/samlsps';
import { OidcOpRepository } from './store/oidcop';
import { PackagingMethodRepository } from './store/packagingmethods';
import { NotifyTextRepository } from './store/notifytexts';
import type { SdsRepository } from './store/sds';
import type { ServiceRepository } from './store/services';
import { pkiRoutes } from './testca/routes';
import type { TestCa } from './testca/testca';
import { packageRoot } from './version';

export const WSDL_DIR = path.join(packageRoot(), 'wsdl');

/** What the HTTP surface uses of the running instance; runtime.ts's Runtime extends it (so no import cycle). */
export interface HttpRuntime {
  config: Config;
  log: Logger;
  db: DataSource;
  redis: Redis;
  redisHandle: RedisHandle;
  services: ServiceRepository;
  documents: DocumentUseCases;
  /** PackagingService v4 create-package, on the PackageMaker the runtime chose */
  packaging: PackagingUseCases;
  sds: SdsRepository;
  archive: ArchiveRepository;
  blobs: BlobStore;
  /** segl's clock (movable forward in preprod with SEGL_TEST_CLOCK=1) */
  clock: AdjustableClock;
  outbox: OutboxRepository;
  queues: Queues;
  metrics: Metrics;
  /** the /admin and /metrics password (user admin), when they are on */
  adminPassword?: string;
  /** the test eID environment (test users, key cards, nemid / nemid-sign); only when SEGL_TEST_EID is on */
  testid?: TestIdEnvironment;
  /** PID-CPR: match (the user types the CPR) or lookup (public services) */
  pidcpr: PidCprService;
  /** the test CA, OCSP and TSA; created (or loaded from DATA_DIR/pki) on first use */
  ca(): Promise<TestCa>;
  /** the signing pipeline (core's SignatureMaker) on the configured trust */
  signing(): Promise<SigningPipeline>;
  /** the trust anchors signatures are verified against (the test root and/or SEGL_TRUST_ANCHORS): the viewer's */
  trustAnchors(): Promise<X509Certificate[]>;
  /** runs the timer jobs (expiry, purge, CPR) now, then a relay round; what the test clock does after moving */
  runTimers(): Promise<Record<string, number>>;
  /** set here once the server listens */
  server?: Server;
  /** set here once the server listens: PUBLIC_URL, with the real port when PORT=0 */
  url?: string;
  /** set once shutdown began: /readyz answers `draining`, responses say `Connection: close` */
  draining?: boolean;
}

/** What /healthz and /readyz look at. */
export interface HealthTarget {
  config: Pick<Config, 'mode' | 'tsaUrl'>;
  db: DataSource;
  redis: Redis;
  redisHandle?: Pick<RedisHandle, 'down'>;
  blobs: Pick<BlobStore, 'ping'>;
  /** set once SIGTERM arrived: /readyz answers 503 `draining` so load balancers send nothing new */
  draining?: boolean;
}

/** A dependency's answer within 2 s: `ok`, or `down: reason`. */
async function within2s(f: () => Promise<unknown>): Promise<string> {
  let timer: NodeJS.Timeout | undefined;
  try {
    await Promise.race([
      f(),
      new Promise((_, rej) => {
        timer = setTimeout(() => rej(new Error('timeout')), 2000);
      }),
    ]);
    return 'ok';
  } catch (e) {
    return `down: ${(e as Error).message}`;
  } finally {
    clearTimeout(timer);
  }
}

/**
 * Liveness, and readiness per dependency. The database, Redis and the blob store decide readiness;
 * an external TSA is reported but does not: it is needed only when something is sealed, and an
 * instance taken out of rotation for it would refuse SOAP calls that have nothing to do with it.
 * The TSA is asked at most every 30 s (any HTTP answer to HEAD counts as reachable).
 */
export function healthRoutes(rt: HealthTarget): express.Router {
  const r = express.Router();
  let tsa: { at: number; answer: Promise<string> } | undefined;
  const tsaAnswer = (): Promise<string> => {
    const url = rt.config.tsaUrl;
    if (!url) return Promise.resolve(rt.config.mode === 'production' ? 'not configured' : 'in process (test CA)');
    if (!tsa || Date.now() - tsa.at > 30_000)
      tsa = { at: Date.now(), answer: within2s(() => fetch(url, { method: 'HEAD', signal: AbortSignal.timeout(2000) })) };
    return tsa.answer;
  };
  r.get('/healthz', (_req, res) => {
    res.json({ status: 'ok' });
  });
  r.get('/readyz', async (_req, res) => {
    const [database, redis, blobs, timestamps] = await Promise.all([
      within2s(() => rt.db.query('SELECT 1')),
      within2s(async () => {
        const down = rt.redisHandle?.down(); // the private server is being restarted: say so
        if (down) throw new Error(down);
        return rt.redis.ping();
      }),
      within2s(() => rt.blobs.ping()),
      tsaAnswer(),
    ]);
    const ok = !rt.draining && database === 'ok' && redis === 'ok' && blobs === 'ok';
    res.status(ok ? 200 : 503).json({
      status: rt.draining ? 'draining' : ok ? 'ready' : 'not ready',
      database,
      redis,
      blobs,
      tsa: timestamps,
    });
  });
  return r;
}

/**
 * `Expect: 100-continue` (RFC 9110 §10.1.1): Node answers 100 at once unless the server listens for
 * 'checkContinue'. Here the request goes to the app without it, and `100 Continue` is written only
 * when a handler starts reading the body, so authentication and size checks (401, 413, 429) answer
 * before the client sends a byte of it; a request answered without reading never gets a 100.
 */
function deferContinue(server: Server): void {
  server.on('checkContinue', (req: IncomingMessage, res: ServerResponse) => {
    const read = req._read;
    req._read = function (this: IncomingMessage, n: number) {
      req._read = read;
      if (!res.headersSent && !res.writableEnded) res.writeContinue();
      return read.call(this, n);
    };
    server.emit('request', req, res);
  });
}

/** A router built on its first request (the test PKI costs a second or two to create). */
function lazyRouter(build: () => Promise<express.Router>): express.RequestHandler {
  let router: Promise<express.Router> | undefined;
  return (req, res, next) => {
    if (!req.path.startsWith('/pki/')) {
      next();
      return;
    }
    (router ??= build().catch((e) => {
      router = undefined;
      throw e;
    })).then((r) => r(req, res, next), next);
  };
}

/** The app listening on HOST:PORT, then its routes (the SOAP endpoints need the real URL); sets rt.url and rt.server. */
export async function startHttp(rt: HttpRuntime): Promise<void> {
  const cfg = rt.config;
  const app = express();
  app.disable('x-powered-by');
  // X-Forwarded-For only from the configured proxies (SEGL_TRUSTED_PROXIES); otherwise the socket's address is the source.
  app.set('trust proxy', cfg.trustedProxies.length ? cfg.trustedProxies : false);
  app.use(healthRoutes(rt));
  // While draining, every response closes its connection: keep-alive clients reconnect elsewhere.
  app.use((_req, res, next) => {
    if (rt.draining) res.setHeader('Connection', 'close');
    next();
  });
  const limiter = new LoginThrottle();
  const server = await new Promise<Server>((resolve, reject) => {
    const s = app.listen(cfg.port, cfg.host, () => resolve(s));
    s.once('error', reject);
  });
  const port = (server.address() as { port: number }).port;
  // With PORT=0 (tests, side-by-side runs) the real port replaces the configured one.
  rt.url = cfg.port === 0 ? cfg.publicUrl.replace(/:\d+$/, `:${port}`).replace(/^(https?:\/\/[^/:]+)$/, `$1:${port}`) : cfg.publicUrl;
  mountSoap(app, rt, rt.url, limiter);
  if (cfg.testCa) app.use(lazyRouter(async () => pkiRoutes(await rt.ca())));
  if (rt.adminPassword) app.use(adminRouter(rt, rt.adminPassword));
  app.use(portalRouter(rt));
  app.use(consoleRouter(rt, limiter));
  app.use(
    viewerRoutes({
      anchors: () => rt.trustAnchors(),
      maxBytes: cfg.sdsLimit,
      log: rt.log,
      results: { store: rt.redis, prefix: cfg.notify.queuePrefix },
      publicUrl: () => rt.url ?? cfg.publicUrl,
    }),
  );
  app.use(authnRoutes({ ...rt, url: () => rt.url ?? cfg.publicUrl }));
  if (rt.testid)
    app.use(
      testIdToolRoutes({ testid: rt.testid, secret: cfg.secret!, production: cfg.mode === 'production', log: rt.log, clock: rt.clock }),
    );
  // the test eID as an OpenID provider per broker dialect (preprod only: docs/oidc-eid.md)
  if (rt.testid && cfg.mode === 'preprod')
    app.use(testIdpRoutes({ testid: rt.testid, methods: oidcRepository(rt), publicUrl: () => rt.url!, log: rt.log }));
  app.use(
    eventFeedRoutes({
      feed: new EventFeedRepository(rt.db),
      tokens: new ApiTokenRepository(rt.db),
      services: rt.services,
      limiter,
      openapiFile: path.join(packageRoot(), 'openapi', 'segl-api-v1.json'),
      log: rt.log,
      draining: () => !!rt.draining,
    }),
  );
  app.use(sdsRouter(rt, limiter));
  mountFallbacks(app, rt.log);
  server.keepAliveTimeout = 65_000;
  deferContinue(server);
  rt.server = server;
}

/** The SOAP services, DocumentService v3, ArchiveService v3 and PackagingService v4, with their WSDLs on the public URL. */
function mountSoap(app: express.Express, rt: HttpRuntime, url: string, limiter: LoginThrottle): void {
  const cfg = rt.config;
  app.use(
    soapEndpoint({
      path: '/ws/documentservice-v3',
      wsdlFile: path.join(WSDL_DIR, 'documentservice-v3.wsdl'),
      publicUrl: url,
      operations: DOCUMENT_OPERATIONS,
      context: rt.documents.requests,
      authenticate: (s, p) => rt.services.authenticate(s, p),
      bodyLimit: cfg.bodyLimit,
      limiter,
      log: rt.log,
    }),
  );
  app.use(
    soapEndpoint({
      path: '/ws/archiveservice-v3',
      wsdlFile: path.join(WSDL_DIR, 'archiveservice-v3.wsdl'),
      publicUrl: url,
      operations: ARCHIVE_OPERATIONS,
      authenticate: (s, p) => rt.services.authenticate(s, p),
      bodyLimit: cfg.bodyLimit,
      limiter,
      log: rt.log,
      context: {
        archive: new ArchiveUseCases({ store: rt.archive }),
        blobs: rt.blobs,
        maxInlineBytes: Math.min(cfg.bodyLimit, 50 * 1024 * 1024),
        downloadUrl: (svc, id) => `${rt.url}/doc/${encodeURIComponent(svc)}/archive/${id}`,
      },
    }),
  );
  app.use(
    soapEndpoint({
      path: '/ws/packagingservice-v4',
      wsdlFile: path.join(WSDL_DIR, 'packagingservice-v4.wsdl'),
      publicUrl: url,
      operations: PACKAGING_OPERATIONS,
      context: { packaging: rt.packaging, log: rt.log },
      authenticate: (s, p) => rt.services.authenticate(s, p),
      bodyLimit: cfg.bodyLimit,
      limiter,
      log: rt.log,
    }),
  );
}

/** /admin and /metrics behind the admin password; in preprod also the development outbox. */
function adminRouter(rt: HttpRuntime, password: string): express.Router {
  const cfg = rt.config;
  const outboxDir = path.join(cfg.dataDir, 'outbox');
  return adminRoutes({
    password,
    queues: rt.queues,
    outbox: rt.outbox,
    metrics: rt.metrics,
    clock: rt.clock,
    afterClockMove: () => rt.runTimers(),
    publicUrl: () => rt.url ?? cfg.publicUrl,
    // preprod: every tenant's mails and SMS (with live task links), so behind the admin login
    devOutbox: cfg.mode === 'preprod' ? { mailDir: path.join(outboxDir, 'mail'), smsDir: path.join(outboxDir, 'sms') } : undefined,
  });
}

/** The signer portal, with the test eID's steps when it is on. */
function portalRouter(rt: HttpRuntime): express.Router {
  const cfg = rt.config;
  const eidRegistry = defaultRegistry(cfg.testEid);
  return portalRoutes({
    services: rt.services,
    signer: rt.documents.signer,
    blobs: rt.blobs,
    clock: rt.clock,
    secret: cfg.secret!,
    profiles: new ProfileRepository(rt.db),
    sessions: new PortalSessionRepository(rt.db),
    maxUploadBytes: cfg.sdsLimit,
    rootCertificateUrl: cfg.testCa ? '/pki/root.pem' : undefined,
    production: cfg.mode === 'production',
    https: cfg.publicUrl.startsWith('https:'),
    log: rt.log,
    methodName: (m) => eidRegistry.label(m),
    handwriting: async () => (await rt.signing()).handwritingOnly(),
    // the OIDC method first: its sign page answers the tasks that sign with it and passes the others on
    eidMethods: [
      oidcMethod({
        methods: new OidcMethods(oidcRepository(rt), rt.log),
        logins: new OidcLoginRepository(rt.db, cfg.secret!),
        rp: new OidcRelyingParty({ allowHttp: cfg.mode === 'preprod' }),
        publicUrl: () => rt.url!,
        signing: () => rt.signing(),
        log: rt.log,
      }),
      ...(rt.testid ? [testIdMethod({ testid: rt.testid, pidcpr: rt.pidcpr, signing: () => rt.signing() })] : []),
    ],
  });
}

/** The back-office console at /console (docs/console.md): the service's own login, under the SOAP API's throttle. */
function consoleRouter(rt: HttpRuntime, limiter: LoginThrottle): express.Router {
  const accounts = new ConsoleAccountRepository(rt.db, rt.config.secret);
  return consoleRoutes({
    services: rt.services,
    limiter,
    sessions: new ConsoleSessions(rt.redis, rt.config.notify.queuePrefix, undefined, accountCheck(accounts)),
    accounts,
    pending: new PendingLogins(rt.redis, rt.config.notify.queuePrefix),
    operatorPassword: rt.adminPassword,
    requests: rt.documents.requests,
    queries: new ConsoleQueries(rt.db),
    audit: new ConsoleAuditRepository(rt.db, rt.clock),
    clock: rt.clock,
    operatorLinks: !!rt.adminPassword,
    settings: {
      services: rt.services,
      profiles: new ProfileRepository(rt.db),
      samlSps: new SamlSpRepository(rt.db),
      oidcClients: new OidcOpRepository(rt.db, rt.config.secret!),
      packagingMethods: new PackagingMethodRepository(rt.db),
      notifyTexts: { repo: new NotifyTextRepository(rt.db), publicUrl: () => rt.url ?? rt.config.publicUrl },
    },
    outbox: rt.outbox,
    blobs: rt.blobs,
    uploads: new SdsUploads({ store: rt.sds, clock: rt.clock, ttlDays: rt.config.sdsTtlDays }),
    maxBytes: rt.config.sdsLimit,
    publicUrl: () => rt.url ?? rt.config.publicUrl,
    https: rt.config.publicUrl.startsWith('https:'),
    log: rt.log,
  });
}

const oidcRepository = (rt: HttpRuntime) => new OidcMethodRepository(rt.db, new AtRest(rt.config.secret!));

/** SDS uploads and the `/doc/{service}/…` downloads. */
function sdsRouter(rt: HttpRuntime, limiter: LoginThrottle): express.Router {
  const cfg = rt.config;
  return sdsRoutes({
    services: rt.services,
    sds: rt.sds,
    archive: rt.archive,
    blobs: rt.blobs,
    documents: rt.documents.requests,
    limiter,
    log: rt.log,
    publicUrl: () => rt.url!,
    maxBytes: cfg.sdsLimit,
    uploads: new SdsUploads({ store: rt.sds, clock: rt.clock, ttlDays: cfg.sdsTtlDays }),
  });
}

/** What no route took: 404; and the last-resort error handler. */
function mountFallbacks(app: express.Express, log: Logger): void {
  app.use((_req, res) => {
    res.status(404).type('text/plain').send('not found\n');
  });
  // Last resort: log the error with a reference; the client gets the reference, never a stack.
  app.use((err: unknown, _req: express.Request, res: express.Response, _next: express.NextFunction) => {
    const ref = newErrorReference();
    log.error({ err, ref }, 'request failed');
    if (!res.headersSent) res.status(500).type('text/plain').send(`internal error (reference ${ref})\n`);
    else res.destroy();
  });
}

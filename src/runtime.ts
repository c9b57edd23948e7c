// Wiring: database, Redis, blob store, services and the HTTP surface. main.ts (the CLI) and the
// tests start segl through here, so both run exactly the same composition.
import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import path from 'node:path';
import express from 'express';
import type { Redis } from 'ioredis';
import type { Logger } from 'pino';
import type { DataSource } from 'typeorm';
import type { Config } from './config';
import { documentUseCases, type DocumentUseCases } from './core/documents';
import { ArchiveUseCases } from './core/archive';
import { newErrorReference } from './core/ids';
import type { Clock } from './core/ports';
import { defaultRegistry } from './eid/registry';
import { createLogger } from './log';
import { packageRoot } from './version';
import { ensureRedis, redisClient, type RedisHandle } from './queue/redis';
import { DOCUMENT_OPERATIONS } from './soap/documentservice';
import { soapEndpoint } from './soap/endpoint';
import { LoginThrottle } from './core/ratelimit';
import { FsBlobStore, type BlobStore } from './store/blobs';
import { runShutdown } from './ops/shutdown';
import { secureDataDir } from './store/datadir';
import { AtRest } from './store/atrest';
import { encryptLegacyRows } from './store/migrations/encrypt';
import { SdsRepository } from './store/sds';
import { ArchiveRepository } from './store/archive';
import { ARCHIVE_OPERATIONS } from './soap/archiveservice';
import { TestCa } from './testca/testca';
import { SigningPipeline } from './signing/pipeline';
import { buildTrust, type TrustSetup } from './signing/trust';
import { pkiRoutes } from './testca/routes';
import { CertificateRepository } from './store/certificates';
import { sdsRoutes } from './sds/routes';
import { openDatabase } from './store/datasource';
import { SqlDocumentStore } from './store/documents';
import { ServiceRepository } from './store/services';
import { OutboxRepository } from './store/outbox';
import { CprRepository } from './store/cpr';
import { Queues } from './queue/queues';
import { OutboxRelay } from './queue/relay';
import { WorkerHost } from './queue/workers';
import { AdjustableClock } from './ops/clock';
import { Metrics } from './ops/metrics';
import { adminRoutes } from './ops/admin';
import { emailSenderFrom, type EmailSender } from './notify/email';
import { smsSenderFrom, type SmsSender } from './notify/sms';
import { portalRoutes } from './portal/routes';
import { testIdToolRoutes } from './eid/testid/tool';
import { testIdMethod } from './eid/testid/steps';
import { TestIdEnvironment } from './eid/testid/users';
import { PidCprService } from './eid/pidcpr';
import { ProfileRepository } from './store/profiles';
import { PortalSessionRepository } from './store/portalsessions';
import type { NotifyDeps } from './notify/delivery';
import type { Resolver } from './notify/allowlist';
import { runTimer, TIMER_JOBS, type TimerJob } from './queue/jobs/timers';
import { SdsUploads } from './core/sds';

export const WSDL_DIR = path.join(packageRoot(), 'wsdl');

export interface Runtime {
  config: Config;
  log: Logger;
  db: DataSource;
  redis: Redis;
  redisHandle: RedisHandle;
  services: ServiceRepository;
  documents: DocumentUseCases;
  sds: SdsRepository;
  archive: ArchiveRepository;
  /** the test CA, OCSP and TSA; created (or loaded from DATA_DIR/pki) on first use */
  ca(): Promise<TestCa>;
  /** native signature → verification → LTV-SDO → seal → stored result */
  signing(): Promise<SigningPipeline>;
  /** the test eID environment (test users, key cards, nemid / nemid-sign); only when SEGL_TEST_EID is on */
  testid?: TestIdEnvironment;
  /** PID-CPR: match (the user types the CPR) or lookup (public services) */
  pidcpr: PidCprService;
  blobs: BlobStore;
  /** segl's clock (movable forward in preprod with SEGL_TEST_CLOCK=1) */
  clock: AdjustableClock;
  outbox: OutboxRepository;
  cpr: CprRepository;
  queues: Queues;
  relay: OutboxRelay;
  workers?: WorkerHost;
  /** starts the queue workers in this process (once) */
  startWorkers(): Promise<void>;
  metrics: Metrics;
  email: EmailSender;
  sms: SmsSender;
  /** the /admin and /metrics password (user admin), when they are on */
  adminPassword?: string;
  /** runs the timer jobs (expiry, purge, CPR) now, then a relay round; what the test clock does after moving */
  runTimers(): Promise<Record<string, number>>;
  server?: Server;
  /** the base URL the HTTP server answers on (PUBLIC_URL, with the real port when PORT=0) */
  url?: string;
  demo?: { name: string; password: string; created: boolean };
  close(): Promise<void>;
}

export interface StartOptions {
  http: boolean;
  worker: boolean;
  log?: Logger;
  /** name resolution for callback destinations (tests map names to local receivers) */
  resolve?: Resolver;
}

/** SEGL_ADMIN_PASSWORD, or in preprod one generated once and kept in DATA_DIR/admin-password.txt; production without one has no /admin. */
function ensureAdminPassword(cfg: Config): string | undefined {
  if (cfg.notify.adminPassword) return cfg.notify.adminPassword;
  if (cfg.mode === 'production') return undefined;
  const file = path.join(cfg.dataDir, 'admin-password.txt');
  if (existsSync(file)) return readFileSync(file, 'utf8').trim();
  const password = randomBytes(12).toString('base64url');
  writeFileSync(file, `${password}\n`, { mode: 0o600 });
  return password;
}

/** The demo service (preprod only): created on first start; its password kept in DATA_DIR for the newcomer. */
async function ensureDemo(cfg: Config, services: ServiceRepository): Promise<Runtime['demo']> {
  const file = path.join(cfg.dataDir, 'demo-password.txt');
  const existing = await services.find('demo');
  if (existing) {
    if (cfg.demoPassword) {
      await services.setPassword('demo', cfg.demoPassword);
      return { name: 'demo', password: cfg.demoPassword, created: false };
    }
    const saved = existsSync(file)
      ? readFileSync(file, 'utf8').trim()
      : '(set earlier; reset with `npx segl service passwd demo --password …`)';
    return { name: 'demo', password: saved, created: false };
  }
  const password = cfg.demoPassword ?? randomBytes(12).toString('base64url');
  await services.create('demo', password, true);
  if (!cfg.demoPassword) {
    writeFileSync(file, `${password}\n`, { mode: 0o600 });
    chmodSync(file, 0o600);
  }
  return { name: 'demo', password, created: true };
}

/** SEGL_SECRET, or in preprod one generated once and kept in DATA_DIR/secret (mode 0600). The CLI uses it too. */
export function ensureSecret(cfg: Config): string {
  if (cfg.secret) return cfg.secret;
  const file = path.join(cfg.dataDir, 'secret');
  if (existsSync(file)) return readFileSync(file, 'utf8').trim();
  secureDataDir(cfg.dataDir);
  const secret = randomBytes(32).toString('base64url');
  writeFileSync(file, `${secret}\n`, { mode: 0o600 });
  return secret;
}

export function healthRoutes(rt: Pick<Runtime, 'db' | 'redis'> & { redisHandle?: Pick<RedisHandle, 'down'> }): express.Router {
  const r = express.Router();
  r.get('/healthz', (_req, res) => {
    res.json({ status: 'ok' });
  });
  r.get('/readyz', async (_req, res) => {
    const check = async (f: () => Promise<unknown>) => {
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
    };
    const [database, redis] = await Promise.all([
      check(() => rt.db.query('SELECT 1')),
      check(async () => {
        const down = rt.redisHandle?.down(); // the private server is being restarted: say so
        if (down) throw new Error(down);
        return rt.redis.ping();
      }),
    ]);
    const ok = database === 'ok' && redis === 'ok';
    res.status(ok ? 200 : 503).json({ status: ok ? 'ready' : 'not ready', database, redis });
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

export function blobStore(cfg: Config): BlobStore {
  return new FsBlobStore(path.join(cfg.dataDir, 'blobs'));
}

/** `/doc/{service}/order/{request}/{task}/{document}/{original|sdo}` (reference §4.3). */
function orderUri(base: string, ...parts: string[]): string {
  return [base, 'doc', parts[0]!, 'order', ...parts.slice(1)].map((p, i) => (i === 0 ? p : encodeURIComponent(p))).join('/');
}

/** The document use cases (integrator, signer, timers) on this database and blob store. */
export function documentService(
  cfg: Config,
  db: DataSource,
  blobs: BlobStore,
  clock: Clock,
  baseUrl: () => string,
  onOutbox?: () => void,
): DocumentUseCases {
  return documentUseCases({
    onOutbox,
    store: new SqlDocumentStore(db, blobs, new AtRest(ensureSecret(cfg))),
    blobs,
    clock,
    sds: new SdsRepository(db, blobs),
    methods: defaultRegistry(cfg.testEid).validationContext(),
    sdsTtlDays: cfg.sdsTtlDays,
    uris: {
      original: (svc, req, task, doc) => orderUri(baseUrl(), svc, req, task, doc, 'original'),
      result: (svc, req, task, doc) => orderUri(baseUrl(), svc, req, task, doc, 'sdo'),
    },
  });
}

/**
 * Housekeeping (`segl purge`; a nightly job once the workers exist): SDS uploads past their TTL
 * and requests past days-until-deletion go, with the blobs nothing else uses.
 */
export async function purge(cfg: Config, db: DataSource, clock: Clock): Promise<{ sds: number; requests: number; blobs: number }> {
  const blobs = blobStore(cfg);
  const { housekeeping } = documentService(cfg, db, blobs, clock, () => cfg.publicUrl);
  const sds = await housekeeping.purgeExpiredSds();
  const requests = await housekeeping.purgeDueRequests();
  return { sds, requests, blobs: await new SdsRepository(db, blobs).sweepOrphans() };
}

export async function startRuntime(cfg: Config, opts: StartOptions): Promise<Runtime> {
  const log = opts.log ?? createLogger(cfg.logLevel);
  // loadConfig refuses these; a Config built another way must not slip a test identity or the
  // self-made test root into production either.
  if (cfg.mode === 'production' && (cfg.testEid || cfg.testCa))
    throw new Error('production mode refuses the test eID and the test CA (see SEGL_TEST_EID, SEGL_TEST_CA)');
  secureDataDir(cfg.dataDir); // umask 0077, DATA_DIR 0700, older entries closed (src/store/datadir.ts)
  cfg.secret = ensureSecret(cfg);
  const db = await openDatabase({ databaseUrl: cfg.databaseUrl, dataDir: cfg.dataDir });
  const atRest = new AtRest(cfg.secret);
  const services = new ServiceRepository(db, atRest);
  let redisHandle: RedisHandle | undefined;
  let redis: Redis | undefined;
  try {
    const sealed = await encryptLegacyRows(db, atRest); // rows earlier versions stored in clear
    if (sealed) log.info({ rows: sealed }, 'webhook secrets and national ids stored in clear are now encrypted');
    if (cfg.mode === 'production' && (await services.find('demo'))) {
      throw new Error('production mode refuses to start while the demo service exists: remove it with `npx segl service delete demo`');
    }
    redisHandle = await ensureRedis(cfg.redisUrl, cfg.dataDir, log);
    redis = redisClient(redisHandle.url);
    redis.on('error', (e) => log.warn({ err: e.message }, 'redis connection problem'));
  } catch (e) {
    await redisHandle?.stop();
    await db.destroy();
    throw e;
  }
  const blobs = blobStore(cfg);
  const sds = new SdsRepository(db, blobs);
  const archive = new ArchiveRepository(db, blobs);
  const clock = new AdjustableClock(cfg.mode === 'preprod' && cfg.notify.testClock);
  const outbox = new OutboxRepository(db);
  const cpr = new CprRepository(db, { key: cfg.cprKey, secret: cfg.secret! });
  const queues = new Queues(redisHandle.url, cfg.notify.queuePrefix);
  const metrics = new Metrics({ outbox, queues });
  const relay = new OutboxRelay(outbox, queues, clock, log, { intervalMs: cfg.notify.relayIntervalMs, leaseMs: cfg.notify.relayLeaseMs });
  const outboxDir = path.join(cfg.dataDir, 'outbox');
  const email = emailSenderFrom({ smtpUrl: cfg.notify.smtpUrl, outboxDir: path.join(outboxDir, 'mail') });
  const sms = smsSenderFrom({ ...cfg.notify.sms, outboxDir: path.join(outboxDir, 'sms') });
  let closing = false;
  let caPromise: Promise<TestCa> | undefined;
  let trustPromise: Promise<TrustSetup> | undefined;
  const rt: Runtime = {
    config: cfg,
    log,
    db,
    redis,
    redisHandle,
    services,
    sds,
    archive,
    blobs,
    clock,
    outbox,
    cpr,
    queues,
    relay,
    metrics,
    email,
    sms,
    adminPassword: ensureAdminPassword(cfg),
    testid: cfg.testEid ? new TestIdEnvironment({ db, ca: () => rt.ca(), secret: cfg.secret!, clock }) : undefined,
    pidcpr: undefined as unknown as PidCprService,
    runTimers: async () => {
      const out: Record<string, number> = {};
      for (const name of Object.keys(TIMER_JOBS) as TimerJob[])
        Object.assign(out, await runTimer({ housekeeping: rt.documents.housekeeping, sds, cpr, clock, testid: rt.testid }, name));
      await relay.round();
      return out;
    },
    ca: () =>
      (caPromise ??= TestCa.open(cfg.dataDir, cfg.secret!, rt.url ?? cfg.publicUrl, new CertificateRepository(db), {
        now: () => new Date(),
      }).catch((e) => {
        caPromise = undefined;
        throw e;
      })),
    signing: async () =>
      new SigningPipeline(
        await (trustPromise ??= buildTrust(cfg, cfg.testCa ? await rt.ca() : undefined).catch((e) => {
          trustPromise = undefined;
          throw e;
        })),
        clock.now.bind(clock),
      ),
    documents: undefined as unknown as DocumentUseCases,
    startWorkers: async () => undefined,
    // Bounded (src/ops/shutdown.ts): at most 9.1 s in all, even with Redis dead or frozen; throws
    // naming the steps that did not finish. The workers get the most: running jobs may finish (4 s).
    close: async () => {
      closing = true;
      await runShutdown([
        { name: 'outbox relay', ms: 500, run: () => relay.stop() },
        { name: 'queue workers', ms: 5000, run: () => rt.workers?.close(4000) },
        { name: 'queues', ms: 500, run: () => queues.close() },
        { name: 'mail and SMS senders', ms: 500, run: () => Promise.all([email.close(), sms.close()]).catch(() => undefined) },
        {
          name: 'HTTP server',
          ms: 500,
          run: () =>
            rt.server &&
            new Promise<void>((resolve) => {
              rt.server!.closeAllConnections?.();
              rt.server!.close(() => resolve());
            }),
        },
        { name: 'redis connection', ms: 100, run: () => rt.redis.disconnect() },
        { name: 'private redis-server', ms: 1500, run: () => redisHandle!.stop() },
        { name: 'database', ms: 500, run: () => db.destroy() },
      ]);
    },
  };
  rt.pidcpr = new PidCprService({
    db,
    cpr,
    clock,
    secret: cfg.secret!,
    register: { cprOfPid: async (pid) => (rt.testid ? rt.testid.cprOfPid(pid) : undefined) },
  });
  rt.documents = documentService(
    cfg,
    db,
    blobs,
    clock,
    () => rt.url ?? cfg.publicUrl,
    () => relay.kick(),
  );
  if (cfg.mode === 'preprod') rt.demo = await ensureDemo(cfg, services);

  if (opts.http) {
    const app = express();
    app.disable('x-powered-by');
    // X-Forwarded-For only from the configured proxies (SEGL_TRUSTED_PROXIES); otherwise the socket's address is the source.
    app.set('trust proxy', cfg.trustedProxies.length ? cfg.trustedProxies : false);
    app.use(healthRoutes(rt));
    const limiter = new LoginThrottle();
    const mount = (publicUrl: string) =>
      soapEndpoint({
        path: '/ws/documentservice-v3',
        wsdlFile: path.join(WSDL_DIR, 'documentservice-v3.wsdl'),
        publicUrl,
        operations: DOCUMENT_OPERATIONS,
        context: rt.documents.requests,
        authenticate: (s, p) => services.authenticate(s, p),
        bodyLimit: cfg.bodyLimit,
        limiter,
        log,
      });
    const server = await new Promise<Server>((resolve, reject) => {
      const s = app.listen(cfg.port, cfg.host, () => resolve(s));
      s.once('error', reject);
    });
    const port = (server.address() as { port: number }).port;
    // With PORT=0 (tests, side-by-side runs) the real port replaces the configured one.
    rt.url = cfg.port === 0 ? cfg.publicUrl.replace(/:\d+$/, `:${port}`).replace(/^(https?:\/\/[^/:]+)$/, `$1:${port}`) : cfg.publicUrl;
    app.use(mount(rt.url));
    app.use(
      soapEndpoint({
        path: '/ws/archiveservice-v3',
        wsdlFile: path.join(WSDL_DIR, 'archiveservice-v3.wsdl'),
        publicUrl: rt.url,
        operations: ARCHIVE_OPERATIONS,
        authenticate: (s, p) => services.authenticate(s, p),
        bodyLimit: cfg.bodyLimit,
        limiter,
        log,
        context: {
          archive: new ArchiveUseCases({ store: archive }),
          blobs,
          maxInlineBytes: Math.min(cfg.bodyLimit, 50 * 1024 * 1024),
          downloadUrl: (svc, id) => `${rt.url}/doc/${encodeURIComponent(svc)}/archive/${id}`,
        },
      }),
    );
    if (cfg.testCa) app.use(lazyRouter(async () => pkiRoutes(await rt.ca())));
    if (rt.adminPassword) {
      app.use(
        adminRoutes({
          password: rt.adminPassword,
          queues,
          outbox,
          metrics,
          clock,
          afterClockMove: () => rt.runTimers(),
          publicUrl: () => rt.url ?? cfg.publicUrl,
          // preprod: every tenant's mails and SMS (with live task links), so behind the admin login
          devOutbox: cfg.mode === 'preprod' ? { mailDir: path.join(outboxDir, 'mail'), smsDir: path.join(outboxDir, 'sms') } : undefined,
        }),
      );
    }
    const eidRegistry = defaultRegistry(cfg.testEid);
    app.use(
      portalRoutes({
        services,
        documents: rt.documents.signer,
        blobs,
        clock,
        secret: cfg.secret!,
        profiles: new ProfileRepository(db),
        sessions: new PortalSessionRepository(db),
        maxUploadBytes: cfg.sdsLimit,
        production: cfg.mode === 'production',
        log,
        methodName: (m) => eidRegistry.label(m),
        eidMethods: rt.testid ? [testIdMethod({ testid: rt.testid, pidcpr: rt.pidcpr, signing: () => rt.signing() })] : [],
      }),
    );
    if (rt.testid) app.use(testIdToolRoutes({ testid: rt.testid, secret: cfg.secret!, production: cfg.mode === 'production', log, clock }));
    app.use(
      sdsRoutes({
        services,
        sds,
        archive,
        blobs,
        documents: rt.documents.requests,
        limiter,
        log,
        publicUrl: () => rt.url!,
        maxBytes: cfg.sdsLimit,
        uploads: new SdsUploads({ store: sds, clock, ttlDays: cfg.sdsTtlDays }),
      }),
    );
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
    server.keepAliveTimeout = 65_000;
    deferContinue(server);
    rt.server = server;
  }
  rt.startWorkers = async () => {
    if (rt.workers) return;
    const deps: NotifyDeps = {
      outbox,
      services,
      documents: rt.documents.requests,
      clock,
      log,
      config: cfg.notify,
      production: cfg.mode === 'production',
      publicUrl: () => rt.url ?? cfg.publicUrl,
      email,
      sms,
      metrics,
      resolve: opts.resolve,
    };
    rt.workers = new WorkerHost(
      redisHandle!.url,
      queues,
      { ...deps, housekeeping: rt.documents.housekeeping, sds, cpr, testid: rt.testid },
      log,
      {
        concurrency: cfg.notify.concurrency,
        lockMs: cfg.notify.jobLockMs,
      },
    );
    await rt.workers.start();
  };
  if (opts.worker) await rt.startWorkers();
  // After the private redis-server was restarted (empty): the timers' schedulers again, and every
  // queued delivery checked for its lost job at once rather than after the lease.
  redisHandle.onRestart(
    () =>
      void (async () => {
        let last: unknown;
        for (let i = 0; i < 20 && !closing; i++) {
          // the queues' connections come back on their own schedule
          try {
            await rt.workers?.ensureSchedulers();
            relay.start();
            return;
          } catch (e) {
            last = e;
            await new Promise((r) => setTimeout(r, 500));
          }
        }
        if (!closing) log.error({ err: (last as Error)?.message }, 'timers and relay not resumed after the redis restart');
      })(),
  );
  relay.start();
  return rt;
}

// Wiring: database, Redis, blob store, services and the HTTP surface (built in app.ts). main.ts (the CLI) and the
// tests start segl through here, so both run exactly the same composition.
import { pdfForms } from './packaging/forms';
import { randomBytes } from 'node:crypto';
import type { Server } from 'node:http';
import { chmodSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { Redis } from 'ioredis';
import type { Logger } from 'pino';
import type { DataSource } from 'typeorm';
import { ConfigError, type Config } from './config';
import { documentUseCases, type DocumentUseCases } from './core/documents';
import type { DocumentUris } from './core/usecase';
import type { Clock, ServiceAccount } from './core/ports';
import { PackagingUseCases, type PackageMaker } from './core/packaging';
import { defaultRegistry } from './eid/registry';
import { OidcMethods } from './eid/oidc/methods';
import { OidcMethodRepository } from './store/oidcmethods';
import type { ValidationContext } from './core/validate';
import { createLogger } from './log';
import { ensureRedis, redisClient, type RedisHandle } from './queue/redis';
import { BlobStoreMisconfigured, type BlobStore } from './store/blobs';
import { configuredBlobStore } from './store/blobstores/open';
import { runShutdown } from './ops/shutdown';
import { ensureSecret, secureDataDir } from './store/datadir';
import { AtRest } from './store/atrest';
import { encryptLegacyRows } from './store/migrations/encrypt';
import { SdsRepository } from './store/sds';
import { ArchiveRepository } from './store/archive';
import { TestCa } from './testca/testca';
import { SigningPipeline } from './signing/pipeline';
import { buildTrust, type ServiceSealLookup, type TrustSetup } from './signing/trust';
import { ServiceSealRepository } from './store/serviceseals';
import { PadesMaker } from './packaging/maker';
import type { PackagingMethodSource } from './core/packagingmethod';
import { PackagingMethodRepository } from './store/packagingmethods';
import { CertificateRepository } from './store/certificates';
import { openDatabase } from './store/datasource';
import { SqlDocumentStore } from './store/documents';
import { ServiceRepository } from './store/services';
import { OutboxRepository } from './store/outbox';
import { CprRepository } from './store/cpr';
import { PACKAGING_ATTEMPTS, Queues } from './queue/queues';
import { OutboxRelay, type RelayOptions } from './queue/relay';
import { WorkerHost } from './queue/workers';
import { AdjustableClock } from './ops/clock';
import { Metrics } from './ops/metrics';
import { emailSenderFrom, type EmailSender } from './notify/email';
import { smsSenderFrom, type SmsSender } from './notify/sms';
import { TestIdEnvironment } from './eid/testid/users';
import { PidCprService } from './eid/pidcpr';
import type { NotifyDeps } from './notify/delivery';
import { NotifyTextRepository, notifyTextNames } from './store/notifytexts';
import type { Resolver } from './notify/allowlist';
import { runTimer, TIMER_JOBS, type TimerDeps, type TimerJob } from './queue/jobs/timers';
import { PackagingRuns } from './core/packagingrun';
import { PackagingJobs } from './store/packagingtasks';
import { SealJobs } from './store/sealjobs';
import { SealRuns } from './core/sealrun';
import { startHttp, type HttpRuntime } from './app';
import { dailyAnchors, type AnchorTsa } from './store/auditchain';
import { timestampFor } from './trust/tsp/request';
import { preservationOn, type Preservation } from './ops/preservation';

export { WSDL_DIR } from './app';

/** The running instance: what the HTTP surface uses (app.ts) and what only the process itself needs. */
export interface Runtime extends HttpRuntime {
  cpr: CprRepository;
  /** the history's daily anchors (docs/audit.md), run by the `anchor` timer */
  audit: { anchorDue(): Promise<number> };
  /** preservation of archived evidence (queue/jobs/preserve.ts, docs/ltvsdo.md), run by the `preserve` timer */
  preservation: Preservation;
  /** packaging tasks' job (core/packagingrun.ts), run by the segl-packaging workers */
  packagingTasks: PackagingRuns;
  /** the seal job (core/sealrun.ts), run by the segl-seal workers */
  sealing: SealRuns;
  relay: OutboxRelay;
  workers?: WorkerHost;
  /** starts the queue workers in this process (once) */
  startWorkers(): Promise<void>;
  email: EmailSender;
  sms: SmsSender;
  demo?: { name: string; password: string; created: boolean };
  close(): Promise<void>;
}

export interface StartOptions {
  http: boolean;
  worker: boolean;
  log?: Logger;
  /** name resolution for callback destinations (tests map names to local receivers) */
  resolve?: Resolver;
  /** the PAdES maker behind create-package and the packaging tasks' jobs; src/packaging/maker.ts's PadesMaker when not given */
  packageMaker?: PackageMaker;
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

const blobStores = new WeakMap<Config, BlobStore>();

/** The blob store SEGL_BLOBS names (one per Config: a PostgreSQL store holds a connection pool). */
export function blobStore(cfg: Config): BlobStore {
  let store = blobStores.get(cfg);
  if (!store) blobStores.set(cfg, (store = configuredBlobStore(cfg.blobs, cfg.dataDir)));
  return store;
}

/**
 * Start-up check of the blob store: settings the store refuses (credentials, bucket, database) stop
 * the start with a configuration error; a store that does not answer is logged, and uploads answer
 * 503 until it does.
 */
async function checkBlobStore(cfg: Config, log: Logger): Promise<void> {
  const store = blobStore(cfg);
  try {
    await store.ping();
  } catch (e) {
    if (e instanceof BlobStoreMisconfigured) throw new ConfigError(`the blob store (${store.description}) refuses segl: ${e.message}`);
    log.warn({ err: (e as Error).message, blobs: store.description }, 'the blob store does not answer; uploads answer 503 until it does');
  }
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
    methodsFor: serviceMethods(cfg, db),
    sdsTtlDays: cfg.sdsTtlDays,
    uris: documentUris(baseUrl),
    pdfForms,
    templateNames: notifyTextNames(db),
  });
}

/** createRequest's eID methods for one service: segl's own and the service's OIDC methods (src/eid/oidc). */
function serviceMethods(cfg: Config, db: DataSource): (svc: ServiceAccount) => Promise<ValidationContext> {
  const base = defaultRegistry(cfg.testEid).validationContext();
  const methods = new OidcMethods(new OidcMethodRepository(db, new AtRest(ensureSecret(cfg))));
  return (svc) => methods.validationContext(svc.id, base);
}

/** The URLs of documents: an order's originals and results, SDS and the archive (`/doc/{service}/{sds|archive}/{id}`). */
function documentUris(baseUrl: () => string): DocumentUris {
  return {
    original: (svc, req, task, doc) => orderUri(baseUrl(), svc, req, task, doc, 'original'),
    result: (svc, req, task, doc) => orderUri(baseUrl(), svc, req, task, doc, 'sdo'),
    stored: (svc, kind, id) => [baseUrl(), 'doc', svc, kind, id].map((p, i) => (i === 0 ? p : encodeURIComponent(p))).join('/'),
  };
}

/** PackagingService v4 create-package on this database and blob store, with `maker` making the PAdES. */
function packagingService(
  cfg: Config,
  db: DataSource,
  blobs: BlobStore,
  clock: Clock,
  baseUrl: () => string,
  maker: PackageMaker,
): PackagingUseCases {
  return new PackagingUseCases({
    store: new SqlDocumentStore(db, blobs, new AtRest(ensureSecret(cfg))),
    blobs,
    clock,
    maker,
    publicUrl: baseUrl,
    sdsTtlDays: cfg.sdsTtlDays,
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

/** Whether close() has begun: the restart handler stops retrying once it has. */
interface Lifecycle {
  closing: boolean;
}

/** What openStores opened: the database with the services on it, and Redis. */
interface OpenStores {
  db: DataSource;
  services: ServiceRepository;
  redisHandle: RedisHandle;
  redis: Redis;
}

/** Starts segl step by step: stores and Redis, the assembled runtime, the demo service, HTTP, workers, the relay. */
export async function startRuntime(cfg: Config, opts: StartOptions): Promise<Runtime> {
  const log = opts.log ?? createLogger(cfg.logLevel);
  // loadConfig refuses these; a Config built another way must not slip a test identity or the
  // self-made test root into production either.
  if (cfg.mode === 'production' && (cfg.testEid || cfg.testCa))
    throw new Error('production mode refuses the test eID and the test CA (see SEGL_TEST_EID, SEGL_TEST_CA)');
  secureDataDir(cfg.dataDir); // umask 0077, DATA_DIR 0700, older entries closed (src/store/datadir.ts)
  cfg.secret = ensureSecret(cfg);
  await checkBlobStore(cfg, log);
  const life: Lifecycle = { closing: false };
  const rt = assembleRuntime(cfg, log, await openStores(cfg, log), life, opts.packageMaker);
  if (cfg.mode === 'preprod') rt.demo = await ensureDemo(cfg, rt.services);
  if (opts.http) await startHttp(rt);
  rt.startWorkers = () => startWorkers(rt, opts.resolve);
  if (opts.worker) await rt.startWorkers();
  resumeAfterRedisRestart(rt, life);
  rt.relay.start();
  return rt;
}

/** The database (migrated, legacy rows sealed) and Redis; on a failure what was opened is closed again. */
async function openStores(cfg: Config, log: Logger): Promise<OpenStores> {
  const db = await openDatabase({ databaseUrl: cfg.databaseUrl, dataDir: cfg.dataDir });
  const atRest = new AtRest(cfg.secret!);
  const services = new ServiceRepository(db, atRest);
  let redisHandle: RedisHandle | undefined;
  try {
    const sealed = await encryptLegacyRows(db, atRest); // rows earlier versions stored in clear
    if (sealed) log.info({ rows: sealed }, 'webhook secrets and national ids stored in clear are now encrypted');
    if (cfg.mode === 'production' && (await services.find('demo')))
      throw new Error('production mode refuses to start while the demo service exists: remove it with `npx segl service delete demo`');
    redisHandle = await ensureRedis(cfg.redisUrl, cfg.dataDir, log);
    const redis = redisClient(redisHandle.url);
    redis.on('error', (e) => log.warn({ err: e.message }, 'redis connection problem'));
    return { db, services, redisHandle, redis };
  } catch (e) {
    await redisHandle?.stop();
    await db.destroy();
    throw e;
  }
}

/** The stores, queues, relay, senders, test eID, PID-CPR and use cases on the open database and Redis. */
function assembleRuntime(
  cfg: Config,
  log: Logger,
  { db, services, redisHandle, redis }: OpenStores,
  life: Lifecycle,
  givenMaker: PackageMaker | undefined,
): Runtime {
  const serviceSeals = new ServiceSealRepository(db, new AtRest(ensureSecret(cfg)));
  const trust = trustOnce(
    cfg,
    () => rt,
    (id) => serviceSeals.get(id),
  );
  const clock = new AdjustableClock(cfg.mode === 'preprod' && cfg.notify.testClock);
  const maker = givenMaker ?? padesMakerOn(trust, () => rt.url ?? cfg.publicUrl, new PackagingMethodRepository(db), clock);
  const blobs = blobStore(cfg);
  const sds = new SdsRepository(db, blobs);
  const archive = new ArchiveRepository(db, blobs);
  const outbox = new OutboxRepository(db);
  const cpr = new CprRepository(db, { key: cfg.cprKey, secret: cfg.secret! });
  const queues = new Queues(redisHandle.url, cfg.notify.queuePrefix);
  const preservation = preservationOn(db, blobs, clock, cfg, trust, log);
  const metrics = new Metrics({ outbox, queues, preservation });
  const relay = new OutboxRelay(outbox, queues, clock, log, relayOptions(cfg), new PackagingJobs(db), new SealJobs(db));
  const outboxDir = path.join(cfg.dataDir, 'outbox');
  const email = emailSenderFrom({ smtpUrl: cfg.notify.smtpUrl, outboxDir: path.join(outboxDir, 'mail') });
  const sms = smsSenderFrom({ ...cfg.notify.sms, outboxDir: path.join(outboxDir, 'sms') });
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
    runTimers: () => runTimersNow(rt),
    ca: testCaOnce(cfg, db, () => rt.url, clock),
    signing: async () => new SigningPipeline(await trust(), () => clock.now()),
    audit: dailyAnchors(db, clock, () => anchorTsa(trust), log),
    preservation,
    trustAnchors: async () => (await trust()).anchors,
    documents: undefined as unknown as DocumentUseCases,
    packaging: packagingService(cfg, db, blobs, clock, () => rt.url ?? cfg.publicUrl, maker),
    packagingTasks: undefined as unknown as PackagingRuns,
    sealing: undefined as unknown as SealRuns,
    startWorkers: async () => undefined,
    close: () => closeRuntime(rt, life),
  };
  rt.pidcpr = new PidCprService({
    db,
    cpr,
    clock,
    secret: cfg.secret!,
    register: { cprOfPid: async (pid) => (rt.testid ? rt.testid.cprOfPid(pid) : undefined) },
  });
  const url = () => rt.url ?? cfg.publicUrl;
  const kick = () => relay.kick();
  rt.documents = documentService(cfg, db, blobs, clock, url, kick);
  rt.packagingTasks = packagingRuns(cfg, db, blobs, clock, url, maker, kick);
  rt.sealing = sealRuns(cfg, db, blobs, clock, url, rt, kick);
  return rt;
}

/** The relay's timing: a claimed delivery is given back only after its send could have timed out (e-mail and SMS: 10 s). */
function relayOptions(cfg: Config): RelayOptions {
  return {
    intervalMs: cfg.notify.relayIntervalMs,
    leaseMs: cfg.notify.relayLeaseMs,
    sendingLeaseMs: cfg.notify.relayLeaseMs + Math.max(cfg.notify.callbackTimeoutMs, 10_000),
  };
}

/** The seal job's use case (core/sealrun.ts) on the document store, sealing with the runtime's pipeline. */
function sealRuns(
  cfg: Config,
  db: DataSource,
  blobs: BlobStore,
  clock: Clock,
  baseUrl: () => string,
  rt: Pick<Runtime, 'signing'>,
  onOutbox: () => void,
): SealRuns {
  return new SealRuns({
    store: new SqlDocumentStore(db, blobs, new AtRest(ensureSecret(cfg))),
    blobs,
    clock,
    uris: documentUris(baseUrl),
    onOutbox,
    maker: () => rt.signing(),
    retrySchedule: cfg.sealRetrySchedule,
  });
}

/** The packaging job's use case on the document store, with the maker the composition chose. */
function packagingRuns(
  cfg: Config,
  db: DataSource,
  blobs: BlobStore,
  clock: Clock,
  baseUrl: () => string,
  maker: PackageMaker,
  onOutbox: () => void,
): PackagingRuns {
  return new PackagingRuns({
    store: new SqlDocumentStore(db, blobs, new AtRest(ensureSecret(cfg))),
    blobs,
    clock,
    uris: documentUris(baseUrl),
    onOutbox,
    maker,
    sdsTtlDays: cfg.sdsTtlDays,
    maxAttempts: PACKAGING_ATTEMPTS,
  });
}

/** The test CA, OCSP and TSA on segl's clock (genTime, thisUpdate, key rollover), opened on first use; tried again after a failure. */
function testCaOnce(cfg: Config, db: DataSource, url: () => string | undefined, clock: AdjustableClock): () => Promise<TestCa> {
  let caPromise: Promise<TestCa> | undefined;
  const margin = cfg.preservationMarginDays * 86_400_000;
  return () =>
    (caPromise ??= TestCa.open(cfg.dataDir, cfg.secret!, url() ?? cfg.publicUrl, new CertificateRepository(db), clock, margin).catch(
      (e) => {
        caPromise = undefined;
        throw e;
      },
    ));
}

/** The TSA of the history's daily anchors (docs/audit.md): the configured one, and the CAs that lead to its root. */
async function anchorTsa(trust: () => Promise<TrustSetup>): Promise<AnchorTsa> {
  const t = await trust();
  const certificates = t.intermediates.map((c) => new Uint8Array(c.rawData));
  return { timestamp: async (imprint) => (await timestampFor(imprint, t.timestamp)).token, certificates };
}

/** The trust (test CA or external) built on first use; tried again after a failure. */
function trustOnce(cfg: Config, rt: () => Pick<Runtime, 'ca' | 'clock'>, seals: ServiceSealLookup): () => Promise<TrustSetup> {
  let trustPromise: Promise<TrustSetup> | undefined;
  return async () =>
    (trustPromise ??= buildTrust(cfg, cfg.testCa ? await rt().ca() : undefined, seals, rt().clock).catch((e) => {
      trustPromise = undefined;
      throw e;
    }));
}

/** The PAdES maker (src/packaging/maker.ts) on that trust, with the service's packaging methods. */
function padesMakerOn(trust: () => Promise<TrustSetup>, url: () => string, methods: PackagingMethodSource, clock: Clock): PackageMaker {
  return {
    make: async (input) =>
      new PadesMaker({
        trust: await trust(),
        verificationUrl: `${url()}/verify`,
        methods: (serviceId, name) => methods.resolvePackagingMethod(serviceId, name),
        now: () => clock.now(),
      }).make(input),
  };
}

/** What the timer jobs (timers.ts) work on. */
const timerDeps = ({ documents, sds, cpr, clock, testid, audit, preservation }: Runtime): TimerDeps => {
  return { housekeeping: documents.housekeeping, sds, cpr, clock, testid, audit, preservation };
};

/** The timer jobs (expiry, purge, CPR) now, then a relay round: what the test clock does after moving. */
async function runTimersNow(rt: Runtime): Promise<Record<string, number>> {
  const out: Record<string, number> = {};
  for (const name of Object.keys(TIMER_JOBS) as TimerJob[]) Object.assign(out, await runTimer(timerDeps(rt), name));
  await rt.relay.round();
  return out;
}

/** The queue workers in this process (once): deliveries (callback, e-mail, SMS) and the timers. */
async function startWorkers(rt: Runtime, resolve: Resolver | undefined): Promise<void> {
  if (rt.workers) return;
  const cfg = rt.config;
  const deps: NotifyDeps = {
    outbox: rt.outbox,
    services: rt.services,
    documents: rt.documents.requests,
    clock: rt.clock,
    log: rt.log,
    config: cfg.notify,
    production: cfg.mode === 'production',
    publicUrl: () => rt.url ?? cfg.publicUrl,
    email: rt.email,
    sms: rt.sms,
    metrics: rt.metrics,
    resolve,
    texts: new NotifyTextRepository(rt.db),
  };
  rt.workers = new WorkerHost(
    rt.redisHandle.url,
    rt.queues,
    {
      ...deps,
      ...timerDeps(rt),
      packagingTasks: rt.packagingTasks,
      sealing: rt.sealing,
    },
    rt.log,
    {
      concurrency: cfg.notify.concurrency,
      lockMs: cfg.notify.jobLockMs,
    },
  );
  await rt.workers.start();
}

/**
 * After the private redis-server was restarted (empty): the timers' schedulers again, and every
 * queued delivery checked for its lost job at once rather than after the lease.
 */
function resumeAfterRedisRestart(rt: Runtime, life: Lifecycle): void {
  rt.redisHandle.onRestart(
    () =>
      void (async () => {
        let last: unknown;
        for (let i = 0; i < 20 && !life.closing; i++) {
          // the queues' connections come back on their own schedule
          try {
            await rt.workers?.ensureSchedulers();
            rt.relay.start();
            return;
          } catch (e) {
            last = e;
            await new Promise((r) => setTimeout(r, 500));
          }
        }
        if (!life.closing) rt.log.error({ err: (last as Error)?.message }, 'timers and relay not resumed after the redis restart');
      })(),
  );
}

/**
 * Graceful and bounded (src/ops/shutdown.ts): /readyz says `draining` at once (and for
 * SEGL_DRAIN_DELAY new requests are still taken, while load balancers notice); then the listener
 * closes, idle keep-alive connections go, and requests in progress and running jobs get
 * SEGL_SHUTDOWN_GRACE to finish before the rest is cut off (a job cut off loses its lock and is
 * taken over elsewhere; the outbox settles each attempt once). Then the queues, Redis and the
 * database close. At most drain delay + grace + 4.2 s in all, even with Redis dead or frozen;
 * throws naming the steps that did not finish.
 */
async function closeRuntime(rt: Runtime, life: Lifecycle): Promise<void> {
  life.closing = true;
  rt.draining = true;
  const { drainDelayMs, shutdownGraceMs: grace } = rt.config;
  await runShutdown([
    { name: 'drain delay', ms: drainDelayMs + 50, run: () => drainDelayMs && new Promise((r) => setTimeout(r, drainDelayMs)) },
    { name: 'outbox relay', ms: 500, run: () => rt.relay.stop() },
    {
      name: 'HTTP requests in progress and running jobs',
      ms: grace + 500,
      run: () => Promise.all([rt.server && drainHttp(rt.server, grace), rt.workers?.close(grace)]),
    },
    { name: 'queues', ms: 500, run: () => rt.queues.close() },
    { name: 'mail and SMS senders', ms: 500, run: () => Promise.all([rt.email.close(), rt.sms.close()]).catch(() => undefined) },
    { name: 'redis connection', ms: 100, run: () => rt.redis.disconnect() },
    { name: 'private redis-server', ms: 1500, run: () => rt.redisHandle.stop() },
    { name: 'database', ms: 500, run: () => rt.db.destroy() },
  ]);
}

/** The whole shutdown's bound (main.ts ends the process after it): the sum of closeRuntime's limits, and a little. */
export function shutdownBoundMs(cfg: Pick<Config, 'drainDelayMs' | 'shutdownGraceMs'>): number {
  return cfg.drainDelayMs + cfg.shutdownGraceMs + 5000;
}

/**
 * Stops taking connections, closes idle keep-alive ones, and waits up to `graceMs` for the requests
 * in progress (each response then closes its connection); whatever is still open after that is cut.
 */
function drainHttp(server: Server, graceMs: number): Promise<void> {
  return new Promise<void>((resolve) => {
    const timer = setTimeout(() => {
      server.closeAllConnections();
      resolve();
    }, graceMs);
    server.close(() => {
      clearTimeout(timer);
      resolve();
    });
    server.closeIdleConnections();
  });
}

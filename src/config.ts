// Environment → typed configuration, validated once at start. Secrets are kept out of toString/logs.
import path from 'node:path';
import { z } from 'zod';
import { parseDuration, parseRetrySchedule, DEFAULT_RETRY_SCHEDULE } from './core/outbox';
import { parseAllowPatterns } from './notify/allowlist';

const bytes = z.string().regex(/^\d+(\.\d+)?\s*(b|kb|mb|gb)?$/i, 'must be a size such as 20mb or 1048576')
  .transform((s) => {
    const m = /^(\d+(?:\.\d+)?)\s*(b|kb|mb|gb)?$/i.exec(s)!;
    const unit = { b: 1, kb: 1024, mb: 1024 ** 2, gb: 1024 ** 3 }[(m[2] ?? 'b').toLowerCase() as 'b'];
    return Math.floor(Number(m[1]) * unit);
  });

const flag = z.enum(['0', '1', 'true', 'false']).transform((v) => v === '1' || v === 'true');

const duration = z.string().refine((s) => parseDuration(s) > 0, 'must be a duration such as 500ms, 10s, 5m, 2h or 1d')
  .transform(parseDuration);
const retrySchedule = z.string().transform((s, ctx) => {
  try { return parseRetrySchedule(s); } catch (e) { ctx.addIssue({ code: 'custom', message: (e as Error).message }); return z.NEVER; }
});
const allowList = z.string().transform((s, ctx) => {
  try { return parseAllowPatterns(s).map((p) => p.text); } catch (e) { ctx.addIssue({ code: 'custom', message: (e as Error).message }); return z.NEVER; }
});

const Env = z.object({
  PORT: z.coerce.number().int().min(0).max(65535).default(8080),
  HOST: z.string().default('0.0.0.0'),
  PUBLIC_URL: z.url({ protocol: /^https?$/ }).optional(),
  DATA_DIR: z.string().default('./data'),
  DATABASE_URL: z.string().regex(/^(postgres(ql)?:\/\/|sqlite:)/, 'must start with postgres://, postgresql:// or sqlite:').optional(),
  REDIS_URL: z.string().regex(/^rediss?:\/\//, 'must start with redis:// or rediss://').optional(),
  SEGL_MODE: z.enum(['preprod', 'production']).default('preprod'),
  SEGL_DEMO_PASSWORD: z.string().min(8, 'must have at least 8 characters').optional(),
  SEGL_SECRET: z.string().min(32, 'must have at least 32 characters').optional(),
  SEGL_BODY_LIMIT: bytes.default(20 * 1024 * 1024),
  SEGL_SDS_LIMIT: bytes.default(100 * 1024 * 1024),
  SEGL_SDS_TTL_DAYS: z.coerce.number().int().min(1).max(3650).default(30),
  SEGL_TEST_EID: flag.optional(),
  SEGL_TEST_CA: flag.optional(),
  SEGL_SEAL_P12: z.string().optional(),
  SEGL_SEAL_P12_PASSPHRASE: z.string().optional(),
  SEGL_TSA_URL: z.url({ protocol: /^https?$/ }).optional(),
  SEGL_TRUST_ANCHORS: z.string().optional(),
  SEGL_CALLBACK_ALLOW: allowList.optional(),
  SEGL_CALLBACK_RETRY_SCHEDULE: retrySchedule.optional(),
  SEGL_CALLBACK_TIMEOUT: duration.optional(),
  SMTP_URL: z.string().regex(/^smtps?:\/\//, 'must start with smtp:// or smtps://').optional(),
  SEGL_MAIL_FROM: z.string().min(3).optional(),
  SEGL_SMS_URL: z.url({ protocol: /^https?$/ }).optional(),
  SEGL_SMS_METHOD: z.enum(['POST', 'GET']).optional(),
  SEGL_SMS_BODY: z.string().optional(),
  SEGL_SMS_CONTENT_TYPE: z.string().optional(),
  SEGL_SMS_AUTHORIZATION: z.string().optional(),
  SEGL_SMS_FROM: z.string().optional(),
  SEGL_ADMIN_PASSWORD: z.string().min(12, 'must have at least 12 characters').optional(),
  SEGL_TEST_CLOCK: flag.optional(),
  SEGL_WORKER_CONCURRENCY: z.coerce.number().int().min(1).max(1000).default(100),
  SEGL_RELAY_INTERVAL: duration.default(1000),
  SEGL_RELAY_LEASE: duration.default(30_000),
  SEGL_JOB_LOCK: duration.default(30_000),
  SEGL_CPR_KEY: z.string().refine((v) => Buffer.from(v, 'base64').length === 32, 'must be base64 of 32 random bytes (openssl rand -base64 32)').optional(),
  SEGL_QUEUE_PREFIX: z.string().regex(/^[A-Za-z0-9_-]{1,64}$/, 'must be 1-64 letters, digits, _ or -').default('segl'),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
});

export interface Config {
  port: number;
  host: string;
  publicUrl: string;
  dataDir: string;
  databaseUrl?: string;
  redisUrl?: string;
  mode: 'preprod' | 'production';
  demoPassword?: string;
  secret?: string;
  bodyLimit: number;
  /** largest SDS upload */
  sdsLimit: number;
  /** days an SDS upload lives after its last use by a request */
  sdsTtlDays: number;
  /** segl's own test CA, OCSP responder and TSA (/pki); on unless SEGL_TEST_CA=0 */
  testCa: boolean;
  /** a production seal key and chain (PKCS#12) instead of the test PKI's seal */
  sealP12?: { path: string; passphrase: string };
  /** an external RFC 3161 TSA instead of segl's own */
  tsaUrl?: string;
  /** a directory of PEM trust anchors (added to the test root while the test CA is on) */
  trustAnchorsDir?: string;
  /** the test eID environment (nemid / nemid-sign): on in preprod, off in production unless SEGL_TEST_EID=1 */
  testEid: boolean;
  logLevel: string;
  notify: NotifyConfig;
  /** AES-256-GCM key for remembered CPR numbers; derived from the secret when unset */
  cprKey?: Buffer;
}

export interface NotifyConfig {
  /** host[:port] patterns every service may call back (the deployment's firewall list) */
  callbackAllow: string[];
  /** waits between callback attempts; after the last, the delivery is dead-lettered */
  retrySchedule: number[];
  callbackTimeoutMs: number;
  smtpUrl?: string;
  mailFrom: string;
  sms: { url?: string; method?: 'POST' | 'GET'; bodyTemplate?: string; contentType?: string; authorization?: string; from?: string };
  /** Basic auth password of user `admin` for /admin and /metrics (preprod generates one when unset) */
  adminPassword?: string;
  /** preprod only: /admin/clock can move segl's clock forward */
  testClock: boolean;
  concurrency: number;
  /** how often the relay looks for due deliveries (it is also woken at once by each commit) */
  relayIntervalMs: number;
  /** a queued delivery unsettled this long is checked against Redis and re-queued if its job is gone */
  relayLeaseMs: number;
  /** a job whose worker stopped answering this long is taken over by another worker */
  jobLockMs: number;
  /** Redis key prefix of the queues: deployments sharing one Redis need different ones */
  queuePrefix: string;
}

export class ConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ConfigError';
  }
}

/** Reads and checks the environment. Throws ConfigError listing every bad variable. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const clean = Object.fromEntries(Object.entries(env).filter(([, v]) => v !== undefined && v !== ''));
  const parsed = Env.safeParse(clean);
  if (!parsed.success) {
    const lines = parsed.error.issues.map((i) => `  ${i.path.join('.')}: ${i.message}`);
    throw new ConfigError(`invalid configuration:\n${lines.join('\n')}`);
  }
  const e = parsed.data;
  const cfg: Config = {
    port: e.PORT,
    host: e.HOST,
    publicUrl: (e.PUBLIC_URL ?? `http://localhost:${e.PORT}`).replace(/\/+$/, ''),
    dataDir: path.resolve(e.DATA_DIR),
    databaseUrl: e.DATABASE_URL,
    redisUrl: e.REDIS_URL,
    mode: e.SEGL_MODE,
    demoPassword: e.SEGL_DEMO_PASSWORD,
    secret: e.SEGL_SECRET,
    bodyLimit: e.SEGL_BODY_LIMIT,
    sdsLimit: e.SEGL_SDS_LIMIT,
    sdsTtlDays: e.SEGL_SDS_TTL_DAYS,
    testEid: e.SEGL_TEST_EID ?? e.SEGL_MODE === 'preprod',
    testCa: e.SEGL_TEST_CA ?? true,
    sealP12: e.SEGL_SEAL_P12 ? { path: path.resolve(e.SEGL_SEAL_P12), passphrase: e.SEGL_SEAL_P12_PASSPHRASE ?? '' } : undefined,
    tsaUrl: e.SEGL_TSA_URL,
    trustAnchorsDir: e.SEGL_TRUST_ANCHORS ? path.resolve(e.SEGL_TRUST_ANCHORS) : undefined,
    logLevel: e.LOG_LEVEL,
    cprKey: e.SEGL_CPR_KEY ? Buffer.from(e.SEGL_CPR_KEY, 'base64') : undefined,
    notify: {
      callbackAllow: e.SEGL_CALLBACK_ALLOW ?? [],
      retrySchedule: e.SEGL_CALLBACK_RETRY_SCHEDULE ?? DEFAULT_RETRY_SCHEDULE,
      callbackTimeoutMs: e.SEGL_CALLBACK_TIMEOUT ?? 10_000,
      smtpUrl: e.SMTP_URL,
      mailFrom: e.SEGL_MAIL_FROM ?? 'segl <no-reply@localhost>',
      sms: {
        url: e.SEGL_SMS_URL, method: e.SEGL_SMS_METHOD, bodyTemplate: e.SEGL_SMS_BODY, contentType: e.SEGL_SMS_CONTENT_TYPE,
        authorization: e.SEGL_SMS_AUTHORIZATION, from: e.SEGL_SMS_FROM,
      },
      adminPassword: e.SEGL_ADMIN_PASSWORD,
      testClock: e.SEGL_TEST_CLOCK ?? false,
      concurrency: e.SEGL_WORKER_CONCURRENCY,
      relayIntervalMs: e.SEGL_RELAY_INTERVAL,
      relayLeaseMs: e.SEGL_RELAY_LEASE,
      jobLockMs: e.SEGL_JOB_LOCK,
      queuePrefix: e.SEGL_QUEUE_PREFIX,
    },
  };
  if (cfg.notify.testClock && cfg.mode === 'production') throw new ConfigError('SEGL_TEST_CLOCK is for preprod only; production refuses a movable clock');
  if (!cfg.testCa) {
    const missing = [!cfg.sealP12 && 'SEGL_SEAL_P12 (the seal key)', !cfg.tsaUrl && 'SEGL_TSA_URL (a time-stamping authority)', !cfg.trustAnchorsDir && 'SEGL_TRUST_ANCHORS (trust anchors)'].filter(Boolean);
    if (missing.length) throw new ConfigError(`SEGL_TEST_CA=0 needs external trust services: set ${missing.join(', ')}`);
    if (cfg.testEid) throw new ConfigError('the test eID (SEGL_TEST_EID) issues its certificates from the test CA: it needs SEGL_TEST_CA on');
  }
  if (cfg.mode === 'production') {
    const problems: string[] = [];
    if (!cfg.secret) problems.push('SEGL_SECRET must be set (32+ random characters)');
    else if (/change-me|changeme|default|secret|password/i.test(cfg.secret)) problems.push('SEGL_SECRET looks like a default; use 32+ random characters');
    if (cfg.demoPassword) problems.push('SEGL_DEMO_PASSWORD must not be set: there is no demo service in production');
    if (problems.length) throw new ConfigError(`production mode refuses to start:\n  ${problems.join('\n  ')}`);
  }
  return cfg;
}

/** What is safe to print: everything but secrets and credentials inside URLs. */
export function describeConfig(c: Config): Record<string, unknown> {
  const hide = (u?: string) => u?.replace(/\/\/([^@/]*)@/, '//***@');
  return {
    mode: c.mode, port: c.port, publicUrl: c.publicUrl, dataDir: c.dataDir,
    database: hide(c.databaseUrl) ?? 'sqlite (DATA_DIR/segl.sqlite)', redis: hide(c.redisUrl) ?? 'private redis-server',
    bodyLimit: c.bodyLimit, sdsLimit: c.sdsLimit, sdsTtlDays: c.sdsTtlDays, testCa: c.testCa, sealP12: c.sealP12 ? c.sealP12.path : 'test PKI',
    tsaUrl: c.tsaUrl ?? 'segl TSA', trustAnchorsDir: c.trustAnchorsDir, testEid: c.testEid, secret: c.secret ? 'set' : 'generated (preprod)', cprKey: c.cprKey ? 'set' : 'derived from the secret',
    callbackAllow: c.notify.callbackAllow, retrySchedule: c.notify.retrySchedule.map((ms) => `${ms / 1000}s`).join(','),
    smtp: hide(c.notify.smtpUrl) ?? 'outbox directory', sms: c.notify.sms.url ? new URL(c.notify.sms.url).origin : 'outbox directory',
    adminPassword: c.notify.adminPassword ? 'set' : 'generated (preprod) or none', testClock: c.notify.testClock,
  };
}

// Environment → typed configuration, validated once at start. Secrets are kept out of toString/logs.
import { isIP } from 'node:net';
import path from 'node:path';
import { z } from 'zod';
import { parseDuration, parseRetrySchedule, DEFAULT_RETRY_SCHEDULE } from './core/outbox';
import { DEFAULT_SEAL_RETRY_SCHEDULE } from './core/sealrun';
import { parseAllowPatterns } from './notify/allowlist';

const bytes = z
  .string()
  .regex(/^\d+(\.\d+)?\s*(b|kb|mb|gb)?$/i, 'must be a size such as 20mb or 1048576')
  .transform((s) => {
    const m = /^(\d+(?:\.\d+)?)\s*(b|kb|mb|gb)?$/i.exec(s)!;
    const unit = { b: 1, kb: 1024, mb: 1024 ** 2, gb: 1024 ** 3 }[(m[2] ?? 'b').toLowerCase() as 'b'];
    return Math.floor(Number(m[1]) * unit);
  });

const flag = z.enum(['0', '1', 'true', 'false']).transform((v) => v === '1' || v === 'true');

const duration = z
  .string()
  .refine((s) => parseDuration(s) > 0, 'must be a duration such as 500ms, 10s, 5m, 2h or 1d')
  .transform(parseDuration);
const retrySchedule = z.string().transform((s, ctx) => {
  try {
    return parseRetrySchedule(s);
  } catch (e) {
    ctx.addIssue({ code: 'custom', message: (e as Error).message });
    return z.NEVER;
  }
});
const allowList = z.string().transform((s, ctx) => {
  try {
    return parseAllowPatterns(s).map((p) => p.text);
  } catch (e) {
    ctx.addIssue({ code: 'custom', message: (e as Error).message });
    return z.NEVER;
  }
});

/** Where blobs live: files under DATA_DIR, PostgreSQL large objects, or S3-compatible object storage. */
export const BLOB_KINDS = ['fs', 'postgres', 's3'] as const;
export type BlobKind = (typeof BLOB_KINDS)[number];

const Env = z.object({
  PORT: z.coerce.number().int().min(0).max(65535).default(8080),
  HOST: z.string().default('0.0.0.0'),
  PUBLIC_URL: z.url({ protocol: /^https?$/ }).optional(),
  DATA_DIR: z.string().default('./data'),
  DATABASE_URL: z
    .string()
    .regex(/^(postgres(ql)?:\/\/|sqlite:)/, 'must start with postgres://, postgresql:// or sqlite:')
    .optional(),
  REDIS_URL: z
    .string()
    .regex(/^rediss?:\/\//, 'must start with redis:// or rediss://')
    .optional(),
  SEGL_MODE: z.enum(['preprod', 'production']).default('preprod'),
  SEGL_DEMO_PASSWORD: z.string().min(8, 'must have at least 8 characters').optional(),
  SEGL_SECRET: z.string().min(32, 'must have at least 32 characters').optional(),
  SEGL_BODY_LIMIT: bytes.default(20 * 1024 * 1024),
  SEGL_SDS_LIMIT: bytes.default(100 * 1024 * 1024),
  SEGL_SDS_TTL_DAYS: z.coerce.number().int().min(1).max(3650).default(30),
  SEGL_PRESERVATION_MARGIN_DAYS: z.coerce.number().int().min(1).max(7300).default(730),
  SEGL_TEST_EID: flag.optional(),
  SEGL_TEST_CA: flag.optional(),
  SEGL_SEAL_P12: z.string().optional(),
  SEGL_SEAL_P12_PASSPHRASE: z.string().optional(),
  SEGL_SAML_P12: z.string().optional(),
  SEGL_SAML_P12_PASSPHRASE: z.string().optional(),
  SEGL_SAML2_SIGNED_REQUESTS: flag.optional(),
  SEGL_OIDC_P12: z.string().optional(),
  SEGL_OIDC_P12_PASSPHRASE: z.string().optional(),
  SEGL_TSA_URL: z.url({ protocol: /^https?$/ }).optional(),
  SEGL_SEAL_RETRY_SCHEDULE: retrySchedule.optional(),
  SEGL_TRUST_ANCHORS: z.string().optional(),
  SEGL_CALLBACK_ALLOW: allowList.optional(),
  SEGL_CALLBACK_RETRY_SCHEDULE: retrySchedule.optional(),
  SEGL_CALLBACK_TIMEOUT: duration.optional(),
  SMTP_URL: z
    .string()
    .regex(/^smtps?:\/\//, 'must start with smtp:// or smtps://')
    .optional(),
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
  SEGL_SHUTDOWN_GRACE: duration.default(5000),
  SEGL_DRAIN_DELAY: z
    .string()
    .refine((s) => s.trim() === '0' || parseDuration(s) >= 0, 'must be 0 or a duration such as 5s')
    .transform((s) => (s.trim() === '0' ? 0 : parseDuration(s)))
    .default(0),
  SEGL_CPR_KEY: z
    .string()
    .refine((v) => Buffer.from(v, 'base64').length === 32, 'must be base64 of 32 random bytes (openssl rand -base64 32)')
    .optional(),
  SEGL_QUEUE_PREFIX: z
    .string()
    .regex(/^[A-Za-z0-9_-]{1,64}$/, 'must be 1-64 letters, digits, _ or -')
    .default('segl'),
  // Proxies whose X-Forwarded-For is believed (express 'trust proxy'): IPs, CIDRs, or loopback/linklocal/uniquelocal.
  SEGL_TRUSTED_PROXIES: z
    .string()
    .transform((s, ctx) => {
      const list = s
        .split(',')
        .map((x) => x.trim())
        .filter(Boolean);
      for (const x of list) {
        const [ip, bits, extra] = x.split('/');
        const v = isIP(ip ?? '');
        const okBits = bits === undefined || (/^\d{1,3}$/.test(bits) && Number(bits) <= (v === 6 ? 128 : 32));
        if (!['loopback', 'linklocal', 'uniquelocal'].includes(x) && (!v || !okBits || extra !== undefined)) {
          ctx.addIssue({ code: 'custom', message: `"${x}" is not an IP address or CIDR (e.g. 10.0.0.5, 10.0.0.0/8, fd00::/8)` });
        }
      }
      return list;
    })
    .optional(),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  // Blob stores (docs/operations.md, "Blob stores")
  SEGL_BLOBS: z.enum(BLOB_KINDS).default('fs'),
  SEGL_BLOBS_FALLBACK: z.enum(BLOB_KINDS).optional(),
  SEGL_BLOBS_DIR: z.string().optional(),
  SEGL_BLOBS_DATABASE_URL: z
    .string()
    .regex(/^postgres(ql)?:\/\//, 'must start with postgres:// or postgresql://')
    .optional(),
  SEGL_S3_BUCKET: z
    .string()
    .regex(/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/, 'must be an S3 bucket name (3-63 lower-case letters, digits, dots, hyphens)')
    .optional(),
  SEGL_S3_PREFIX: z
    .string()
    .regex(/^[A-Za-z0-9!_.*'()/-]*$/, "must be letters, digits and !_.*'()/- (e.g. segl/)")
    .optional(),
  SEGL_S3_ENDPOINT: z.url({ protocol: /^https?$/ }).optional(),
  SEGL_S3_REGION: z
    .string()
    .regex(/^[a-z0-9-]+$/, 'must be a region such as eu-north-1')
    .optional(),
  SEGL_S3_FORCE_PATH_STYLE: flag.optional(),
  SEGL_S3_PART_SIZE: bytes.optional(),
  AWS_REGION: z.string().optional(),
  AWS_ACCESS_KEY_ID: z.string().optional(),
  AWS_SECRET_ACCESS_KEY: z.string().optional(),
  AWS_SESSION_TOKEN: z.string().optional(),
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
  /** segl's own test CA, OCSP responder and TSA (/pki); preprod only, on unless SEGL_TEST_CA=0 */
  testCa: boolean;
  /** a production seal key and chain (PKCS#12) instead of the test PKI's seal */
  sealP12?: { path: string; passphrase: string };
  /** an external RFC 3161 TSA instead of segl's own */
  tsaUrl?: string;
  /** waits between seal attempts (TSA, OCSP or blob store away); after the last the task fails */
  sealRetrySchedule: number[];
  /** archived evidence is renewed this many days before its newest time-stamp's certificate or algorithm ends (docs/ltvsdo.md) */
  preservationMarginDays: number;
  /** a directory of PEM trust anchors (added to the test root while the test CA is on) */
  trustAnchorsDir?: string;
  /** the test eID environment (nemid / nemid-sign): preprod only (production refuses SEGL_TEST_EID=1) */
  testEid: boolean;
  logLevel: string;
  /** proxies whose X-Forwarded-For is trusted (express 'trust proxy'); empty: the socket's address is the source */
  trustedProxies: string[];
  notify: NotifyConfig;
  /** AES-256-GCM key for remembered CPR numbers; derived from the secret when unset */
  cprKey?: Buffer;
  /** after SIGTERM: how long HTTP requests in progress and running jobs get to finish */
  shutdownGraceMs: number;
  /** after SIGTERM: how long /readyz says `draining` while new requests are still taken (a load balancer's poll interval) */
  drainDelayMs: number;
  blobs: BlobsConfig;
  /** the authentication service's SAML signing key and certificate (PKCS#12); unset: the test PKI's in preprod, off in production */
  samlP12?: { path: string; passphrase: string };
  /** the SAML 2.0 IdP's WantAuthnRequestsSigned: every SP must sign its AuthnRequests (each SP's AuthnRequestsSigned applies anyway) */
  saml2SignedRequests: boolean;
  /** the OpenID provider's ID-token signing key (PKCS#12, RSA); unset: the test PKI's in preprod, off in production */
  oidcP12?: { path: string; passphrase: string };
}

/** The blob stores: the one in use, an optional read-through during a migration, and each kind's settings. */
export interface BlobsConfig {
  kind: BlobKind;
  /** the store being migrated away from: read when the primary lacks a blob, deleted from with it */
  fallback?: BlobKind;
  /** fs: the directory (DATA_DIR/blobs) */
  dir: string;
  /** postgres: the database holding the large objects (SEGL_BLOBS_DATABASE_URL, else DATABASE_URL) */
  databaseUrl?: string;
  /** s3: the bucket and how to reach it; set whenever SEGL_S3_BUCKET is */
  s3?: {
    bucket: string;
    prefix: string;
    endpoint?: string;
    region: string;
    forcePathStyle: boolean;
    partSize?: number;
    /** AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY when both are set; else the SDK's chain (profile, role) */
    credentials?: { accessKeyId: string; secretAccessKey: string; sessionToken?: string };
  };
}

/** What keeps `kind` from working with these settings, or undefined. */
export function blobKindProblem(b: BlobsConfig, kind: BlobKind): string | undefined {
  if (kind === 'postgres' && !b.databaseUrl)
    return 'the postgres blob store needs a PostgreSQL database: set SEGL_BLOBS_DATABASE_URL (or DATABASE_URL to postgres://…)';
  if (kind === 's3' && !b.s3) return 'the s3 blob store needs SEGL_S3_BUCKET (and SEGL_S3_ENDPOINT for a store other than AWS)';
  return undefined;
}

function blobsConfigFrom(e: ParsedEnv, dataDir: string): BlobsConfig {
  const pgMain = e.DATABASE_URL && /^postgres(ql)?:\/\//.test(e.DATABASE_URL) ? e.DATABASE_URL : undefined;
  const keys = e.AWS_ACCESS_KEY_ID && e.AWS_SECRET_ACCESS_KEY;
  return {
    kind: e.SEGL_BLOBS,
    fallback: e.SEGL_BLOBS_FALLBACK,
    dir: path.resolve(e.SEGL_BLOBS_DIR ?? path.join(dataDir, 'blobs')),
    databaseUrl: e.SEGL_BLOBS_DATABASE_URL ?? pgMain,
    s3: e.SEGL_S3_BUCKET
      ? {
          bucket: e.SEGL_S3_BUCKET,
          prefix: e.SEGL_S3_PREFIX ?? '',
          endpoint: e.SEGL_S3_ENDPOINT,
          region: e.SEGL_S3_REGION ?? e.AWS_REGION ?? 'us-east-1',
          forcePathStyle: e.SEGL_S3_FORCE_PATH_STYLE ?? false,
          partSize: e.SEGL_S3_PART_SIZE,
          credentials: keys
            ? { accessKeyId: e.AWS_ACCESS_KEY_ID!, secretAccessKey: e.AWS_SECRET_ACCESS_KEY!, sessionToken: e.AWS_SESSION_TOKEN }
            : undefined,
        }
      : undefined,
  };
}

/** The blob settings' problems: the chosen store and its fallback must be usable, and differ. */
function blobProblems(b: BlobsConfig): string[] {
  const out = [b.kind, ...(b.fallback ? [b.fallback] : [])].map((k) => blobKindProblem(b, k)).filter((p): p is string => !!p);
  if (b.fallback === b.kind) out.push(`SEGL_BLOBS_FALLBACK=${b.fallback} is the store in use; name the one being migrated from`);
  if (b.s3?.partSize !== undefined && b.s3.partSize < 5 * 1024 * 1024) out.push('SEGL_S3_PART_SIZE must be at least 5mb (the S3 minimum)');
  return out;
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

/**
 * Values that have stood in for a secret in segl's own files (docker-compose.yml, README, docs) or
 * look like one someone meant to replace. Refused in every mode: a secret printed in a public file
 * lets anyone forge portal sessions and derive the keys of data at rest.
 */
const PLACEHOLDER = /change.?me|replace.?me|placeholder|example|your.?(secret|password|key)|default|secret|password|passw0rd|letmein/i;

export function looksLikePlaceholder(value: string): boolean {
  return PLACEHOLDER.test(value);
}

/** Keyboard rows, forwards: two neighbours on one of them are as predictable as `ab` or `12`. */
const KEYBOARD_ROWS = ['1234567890', 'qwertyuiop', 'asdfghjkl', 'zxcvbnm', 'qwertzuiop', 'yxcvbnm', 'azertyuiop', 'qsdfghjklm', 'wxcvbn'];

/**
 * A deliberately pessimistic estimate of a secret's strength in bits, for machine-made secrets
 * (`openssl rand -base64 32`). Each character is worth log2 of the alphabet its character classes
 * span, except characters an attacker's guesser predicts: a repeat of the one before, the next or
 * previous code point (`abc`, `321`), a keyboard neighbour (`qwe`), or the end of a three-character
 * run seen earlier (`abcXabcX…`). The total is also capped by length × log2(distinct characters),
 * so a long string of few symbols (`0101…`, `abab…`) stays weak. Not a password meter (zxcvbn
 * does that with dictionaries); it refuses what people type when they mean "later".
 */
export function estimateSecretBits(value: string): number {
  const c = [...value];
  if (!c.length) return 0;
  let pool = 0;
  if (/[a-z]/.test(value)) pool += 26;
  if (/[A-Z]/.test(value)) pool += 26;
  if (/[0-9]/.test(value)) pool += 10;
  if (/[^A-Za-z0-9]/.test(value)) pool += 33;
  const seen = new Set<string>();
  let free = 0;
  for (let i = 0; i < c.length; i++) {
    const cur = c[i]!;
    const prev = c[i - 1];
    const tri = i >= 2 ? c.slice(i - 2, i + 1).join('') : undefined;
    let predictable = false;
    if (prev !== undefined) {
      const d = cur.codePointAt(0)! - prev.codePointAt(0)!;
      const pair = (prev + cur).toLowerCase();
      const rev = (cur + prev).toLowerCase();
      predictable = d === 0 || d === 1 || d === -1 || KEYBOARD_ROWS.some((r) => r.includes(pair) || r.includes(rev));
    }
    if (tri !== undefined) {
      if (seen.has(tri)) predictable = true;
      seen.add(tri);
    }
    if (!predictable) free++;
  }
  const distinct = new Set(c).size;
  return Math.min(free * Math.log2(pool), c.length * Math.log2(Math.max(distinct, 1)));
}

/** Minimum estimated strength: SEGL_SECRET (production), SEGL_ADMIN_PASSWORD (production). */
export const SECRET_MIN_BITS = 128;
export const ADMIN_PASSWORD_MIN_BITS = 80;

/** Problems with the secrets; `production` adds the strength rules. */
function secretProblems(e: { SEGL_SECRET?: string; SEGL_ADMIN_PASSWORD?: string; SEGL_CPR_KEY?: string }, production: boolean): string[] {
  const out: string[] = [];
  const how = 'make one with `openssl rand -base64 32`';
  if (e.SEGL_SECRET !== undefined) {
    if (looksLikePlaceholder(e.SEGL_SECRET))
      out.push(`SEGL_SECRET looks like a default or placeholder; it must be 32+ random characters (${how})`);
    else if (production && estimateSecretBits(e.SEGL_SECRET) < SECRET_MIN_BITS) {
      out.push(
        `SEGL_SECRET is too predictable (estimated ${Math.floor(estimateSecretBits(e.SEGL_SECRET))} bits, production needs ${SECRET_MIN_BITS}: repeated, sequential or too few distinct characters); ${how}`,
      );
    }
  }
  if (e.SEGL_ADMIN_PASSWORD !== undefined) {
    if (looksLikePlaceholder(e.SEGL_ADMIN_PASSWORD))
      out.push(`SEGL_ADMIN_PASSWORD looks like a default or placeholder; ${how.replace('32', '18')}`);
    else if (production && estimateSecretBits(e.SEGL_ADMIN_PASSWORD) < ADMIN_PASSWORD_MIN_BITS) {
      out.push(
        `SEGL_ADMIN_PASSWORD is too predictable (estimated ${Math.floor(estimateSecretBits(e.SEGL_ADMIN_PASSWORD))} bits, production needs ${ADMIN_PASSWORD_MIN_BITS}); ${how.replace('32', '18')}`,
      );
    }
  }
  if (e.SEGL_CPR_KEY !== undefined) {
    // 32 random bytes hold ~30 distinct values; fewer than 16 is a made-up key (all zeros, 0x01 …).
    if (new Set(Buffer.from(e.SEGL_CPR_KEY, 'base64')).size < 16)
      out.push('SEGL_CPR_KEY is not random (too few distinct bytes, e.g. all zeros); make one with `openssl rand -base64 32`');
  }
  return out;
}

type ParsedEnv = z.infer<typeof Env>;

/** Reads and checks the environment. Throws ConfigError listing every bad variable. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const e = parseEnv(env);
  const cfg = configFrom(e);
  if (cfg.notify.testClock && cfg.mode === 'production')
    throw new ConfigError('SEGL_TEST_CLOCK is for preprod only; production refuses a movable clock');
  if (e.SEGL_SAML_P12_PASSPHRASE && !e.SEGL_SAML_P12)
    throw new ConfigError('SEGL_SAML_P12_PASSPHRASE is set without SEGL_SAML_P12 (the PKCS#12 file with the SAML signing key)');
  if (e.SEGL_OIDC_P12_PASSPHRASE && !e.SEGL_OIDC_P12)
    throw new ConfigError('SEGL_OIDC_P12_PASSPHRASE is set without SEGL_OIDC_P12 (the PKCS#12 file with the OpenID provider signing key)');
  const blobs = blobProblems(cfg.blobs);
  if (blobs.length) throw new ConfigError(`invalid blob store configuration:\n  ${blobs.join('\n  ')}`);
  const missingTrust = missingTrustServices(cfg);
  const secrets = secretProblems(e, cfg.mode === 'production');
  if (cfg.mode === 'production') {
    const problems = productionProblems(e, cfg, missingTrust, secrets);
    if (problems.length) throw new ConfigError(`production mode refuses to start:\n  ${problems.join('\n  ')}`);
    return cfg;
  }
  if (secrets.length) throw new ConfigError(`refusing to start:\n  ${secrets.join('\n  ')}`);
  if (!cfg.testCa) {
    if (missingTrust.length) throw new ConfigError(`SEGL_TEST_CA=0 needs external trust services: set ${missingTrust.join(', ')}`);
    if (cfg.testEid)
      throw new ConfigError('the test eID (SEGL_TEST_EID) issues its certificates from the test CA: it needs SEGL_TEST_CA on');
  }
  return cfg;
}

/** The variables' syntax (empty counts as unset); a ConfigError lists every bad one. */
function parseEnv(env: NodeJS.ProcessEnv): ParsedEnv {
  const clean = Object.fromEntries(Object.entries(env).filter(([, v]) => v !== undefined && v !== ''));
  const parsed = Env.safeParse(clean);
  if (!parsed.success) {
    const lines = parsed.error.issues.map((i) => `  ${i.path.join('.')}: ${i.message}`);
    throw new ConfigError(`invalid configuration:\n${lines.join('\n')}`);
  }
  return parsed.data;
}

/** The parsed variables as a Config, with the defaults that depend on the mode. */
function configFrom(e: ParsedEnv): Config {
  return {
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
    testCa: e.SEGL_TEST_CA ?? e.SEGL_MODE === 'preprod',
    sealP12: e.SEGL_SEAL_P12 ? { path: path.resolve(e.SEGL_SEAL_P12), passphrase: e.SEGL_SEAL_P12_PASSPHRASE ?? '' } : undefined,
    tsaUrl: e.SEGL_TSA_URL,
    sealRetrySchedule: e.SEGL_SEAL_RETRY_SCHEDULE ?? DEFAULT_SEAL_RETRY_SCHEDULE,
    preservationMarginDays: e.SEGL_PRESERVATION_MARGIN_DAYS,
    trustAnchorsDir: e.SEGL_TRUST_ANCHORS ? path.resolve(e.SEGL_TRUST_ANCHORS) : undefined,
    logLevel: e.LOG_LEVEL,
    trustedProxies: e.SEGL_TRUSTED_PROXIES ?? [],
    cprKey: e.SEGL_CPR_KEY ? Buffer.from(e.SEGL_CPR_KEY, 'base64') : undefined,
    notify: notifyConfigFrom(e),
    shutdownGraceMs: e.SEGL_SHUTDOWN_GRACE,
    drainDelayMs: e.SEGL_DRAIN_DELAY,
    blobs: blobsConfigFrom(e, path.resolve(e.DATA_DIR)),
    samlP12: e.SEGL_SAML_P12 ? { path: path.resolve(e.SEGL_SAML_P12), passphrase: e.SEGL_SAML_P12_PASSPHRASE ?? '' } : undefined,
    saml2SignedRequests: e.SEGL_SAML2_SIGNED_REQUESTS ?? false,
    oidcP12: e.SEGL_OIDC_P12 ? { path: path.resolve(e.SEGL_OIDC_P12), passphrase: e.SEGL_OIDC_P12_PASSPHRASE ?? '' } : undefined,
  };
}

/** The notification section: callbacks, mail, SMS, admin, the workers and the relay. */
function notifyConfigFrom(e: ParsedEnv): NotifyConfig {
  return {
    callbackAllow: e.SEGL_CALLBACK_ALLOW ?? [],
    retrySchedule: e.SEGL_CALLBACK_RETRY_SCHEDULE ?? DEFAULT_RETRY_SCHEDULE,
    callbackTimeoutMs: e.SEGL_CALLBACK_TIMEOUT ?? 10_000,
    smtpUrl: e.SMTP_URL,
    mailFrom: e.SEGL_MAIL_FROM ?? 'segl <no-reply@localhost>',
    sms: {
      url: e.SEGL_SMS_URL,
      method: e.SEGL_SMS_METHOD,
      bodyTemplate: e.SEGL_SMS_BODY,
      contentType: e.SEGL_SMS_CONTENT_TYPE,
      authorization: e.SEGL_SMS_AUTHORIZATION,
      from: e.SEGL_SMS_FROM,
    },
    adminPassword: e.SEGL_ADMIN_PASSWORD,
    testClock: e.SEGL_TEST_CLOCK ?? false,
    concurrency: e.SEGL_WORKER_CONCURRENCY,
    relayIntervalMs: e.SEGL_RELAY_INTERVAL,
    relayLeaseMs: e.SEGL_RELAY_LEASE,
    jobLockMs: e.SEGL_JOB_LOCK,
    queuePrefix: e.SEGL_QUEUE_PREFIX,
  };
}

/** The external trust services (seal, TSA, anchors) not configured; what replaces the test CA. */
function missingTrustServices(cfg: Config): string[] {
  return [
    !cfg.sealP12 && 'SEGL_SEAL_P12 (the seal key)',
    !cfg.tsaUrl && 'SEGL_TSA_URL (a time-stamping authority)',
    !cfg.trustAnchorsDir && 'SEGL_TRUST_ANCHORS (trust anchors)',
  ].filter((x): x is string => Boolean(x));
}

/** Everything production refuses, in the order the operator reads it: test parts, trust services, secrets. */
function productionProblems(e: ParsedEnv, cfg: Config, missingTrust: string[], secrets: string[]): string[] {
  // Production uses no test parts. A test identity can be minted by anyone at /testid/, and the
  // test PKI is a self-made root: a production seal, time-stamp or trust anchor from it would
  // vouch for what nobody checked. Refused outright rather than warned about (a warning scrolls
  // away); testing belongs on a preprod instance.
  const problems: string[] = [];
  if (e.SEGL_TEST_EID) {
    problems.push(
      'SEGL_TEST_EID=1: the test eID lets anyone create a test user with any CPR and sign as that person; production never offers it (use a preprod instance for testing)',
    );
  }
  if (e.SEGL_TEST_CA) {
    problems.push(
      'SEGL_TEST_CA=1: the test CA is a self-made root; production seals, time-stamps and trusts with real trust services only (SEGL_SEAL_P12, SEGL_TSA_URL, SEGL_TRUST_ANCHORS)',
    );
  } else if (missingTrust.length) {
    problems.push(`production needs external trust services (the test CA is for preprod only): set ${missingTrust.join(', ')}`);
  }
  if (!cfg.secret) problems.push('SEGL_SECRET must be set (32+ random characters; make one with `openssl rand -base64 32`)');
  if (cfg.demoPassword) problems.push('SEGL_DEMO_PASSWORD must not be set: there is no demo service in production');
  problems.push(...secrets);
  return problems;
}

/** What is safe to print: everything but secrets and credentials inside URLs. */
export function describeConfig(c: Config): Record<string, unknown> {
  const hide = (u?: string) => u?.replace(/\/\/([^@/]*)@/, '//***@');
  return {
    mode: c.mode,
    port: c.port,
    publicUrl: c.publicUrl,
    dataDir: c.dataDir,
    database: hide(c.databaseUrl) ?? 'sqlite (DATA_DIR/segl.sqlite)',
    redis: hide(c.redisUrl) ?? 'private redis-server',
    bodyLimit: c.bodyLimit,
    sdsLimit: c.sdsLimit,
    sdsTtlDays: c.sdsTtlDays,
    testCa: c.testCa,
    sealP12: c.sealP12 ? c.sealP12.path : 'test PKI',
    tsaUrl: c.tsaUrl ?? 'segl TSA',
    sealRetrySchedule: c.sealRetrySchedule.map((ms) => `${ms / 1000}s`).join(','),
    preservationMarginDays: c.preservationMarginDays,
    trustAnchorsDir: c.trustAnchorsDir,
    testEid: c.testEid,
    secret: c.secret ? 'set' : 'generated (preprod)',
    cprKey: c.cprKey ? 'set' : 'derived from the secret',
    callbackAllow: c.notify.callbackAllow,
    retrySchedule: c.notify.retrySchedule.map((ms) => `${ms / 1000}s`).join(','),
    smtp: hide(c.notify.smtpUrl) ?? 'outbox directory',
    sms: c.notify.sms.url ? new URL(c.notify.sms.url).origin : 'outbox directory',
    adminPassword: c.notify.adminPassword ? 'set' : 'generated (preprod) or none',
    testClock: c.notify.testClock,
    trustedProxies: c.trustedProxies.length ? c.trustedProxies : 'none',
    blobs: describeBlobs(c.blobs),
    samlP12: c.samlP12 ? c.samlP12.path : c.testCa ? 'test PKI' : 'off (the authentication service needs SEGL_SAML_P12)',
    saml2SignedRequests: c.saml2SignedRequests,
    oidcP12: c.oidcP12 ? c.oidcP12.path : c.testCa ? 'test PKI' : 'off (the OpenID provider needs SEGL_OIDC_P12)',
  };
}

/** The blob store in words (bucket, endpoint, database host), without credentials. */
function describeBlobs(b: BlobsConfig): string {
  const one = (k: BlobKind) =>
    k === 'fs'
      ? `fs ${b.dir}`
      : k === 'postgres'
        ? `postgres ${b.databaseUrl?.replace(/\/\/([^@/]*)@/, '//***@')}`
        : `s3 ${b.s3?.bucket}${b.s3?.prefix ? `/${b.s3.prefix}` : ''}${b.s3?.endpoint ? ` at ${b.s3.endpoint}` : ''}`;
  return b.fallback ? `${one(b.kind)} (reading through to ${one(b.fallback)})` : one(b.kind);
}

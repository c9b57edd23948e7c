// The segl command line: `segl start | api | worker | service …`. Composition lives in runtime.ts.
import { Command } from 'commander';
import { eidCommands } from './eid/oidc/cli';
import { ConfigError, describeConfig, loadConfig, type Config } from './config';
import { ensureSecret, privateUmask } from './store/datadir';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import type { Runtime } from './runtime';
import { blobsCommands } from './ops/blobscli';
import { AtRest } from './store/atrest';
import { openDatabase } from './store/datasource';
import { ServiceRepository } from './store/services';
import type { DataSource } from 'typeorm';
import { OutboxRepository } from './store/outbox';
import { parseAllowPatterns } from './notify/allowlist';
import type { DeliveryStatus } from './core/outbox';
import { packagingCommands } from './ops/packagingcli';
import { notifyTextCommands } from './ops/notifytextcli';
import { opCommands } from './eid/op/cli';
import { authTargets, setAuthTargets } from './eid/authn/cli';
import { samlCommands } from './ops/samlcli';
import { sealCommands } from './ops/sealcli';
import { apiTokenCommands } from './ops/apitokencli';
import { frameOriginList } from './portal/embed';
import { consoleUserCommands } from './ops/consoleusercli';
import { auditCommands } from './ops/auditcli';
import {
  createDemoRequest,
  ensureDemoUsers,
  readDemoUsers,
  readInstanceInfo,
  removeInstanceInfo,
  writeInstanceInfo,
  type DemoUser,
} from './demo';

function config(): Config {
  privateUmask(); // every command may create DATA_DIR files (the SQLite database first): segl's user only
  try {
    return loadConfig();
  } catch (e) {
    if (e instanceof ConfigError) {
      process.stderr.write(`segl: ${e.message}\n`);
      process.exit(2);
    }
    throw e;
  }
}

function banner(rt: Runtime, users: DemoUser[], loginBanner: (cfg: Config, url: string) => string[]): string {
  const url = rt.url ?? rt.config.publicUrl;
  const lines = [
    '',
    `segl is running (${rt.config.mode}) at ${url}`,
    `  DocumentService v3 WSDL:  ${url}/ws/documentservice-v3?wsdl`,
    `  SOAP endpoint:            ${url}/ws/documentservice-v3`,
    `  PackagingService v4:      ${url}/ws/packagingservice-v4  (PAdES; WSDL at ?wsdl)`,
    `  health / readiness:       ${url}/healthz  ${url}/readyz`,
    ...(rt.config.testCa ? [`  test PKI (trust anchor):  ${url}/pki/root.pem  (OCSP ${url}/pki/ocsp, TSA ${url}/pki/tsa)`] : []),
    `  SDS uploads:              ${url}/doc/<service>/sds  (HTTP Basic: service and password)`,
    `  event feed:               ${url}/api/v1/services/<service>/events  (OpenAPI ${url}/api/v1/openapi.json)`,
    `  data:                     ${rt.config.dataDir}${rt.config.databaseUrl ? '' : ' (SQLite segl.sqlite)'}`,
    `  redis:                    ${rt.redisHandle.private ? `private redis-server at ${rt.redisHandle.url}` : 'REDIS_URL'}`,
    ...(rt.adminPassword
      ? [
          `  admin (user admin):       ${url}/admin/queues  ${url}/admin/deliveries  ${url}/metrics`,
          `                            password ${rt.config.notify.adminPassword ? 'from SEGL_ADMIN_PASSWORD' : `in ${rt.config.dataDir}/admin-password.txt`}`,
        ]
      : []),
    ...(rt.config.mode === 'preprod' && rt.adminPassword ? [`  dev outbox (mail, SMS):   ${url}/dev/outbox  (admin login)`] : []),
    ...(rt.clock.movable ? [`  test clock:               POST ${url}/admin/clock/advance?by=2d`] : []),
    ...loginBanner(rt.config, url),
  ];
  if (rt.testid) {
    lines.push(`  test eID (NemID-style):   ${url}/testid/  (create test users, key cards, revoke/lock certificates)`);
    for (const u of users) {
      lines.push(
        `  test user:                ${u.user.alias} / ${u.password}  key card ${url}/testid/users/${u.user.alias}/keycard  (CPR ${u.user.cpr.slice(0, 6)}-${u.user.cpr.slice(6)})`,
      );
    }
  }
  if (rt.demo) {
    lines.push(
      `  demo service:             service=demo password=${rt.demo.password}`,
      '',
      'Try it:',
      `  curl -s ${url}/ws/documentservice-v3?wsdl | head`,
      `  point a client generated from the WSDL at ${url}/ws/documentservice-v3 with service "demo".`,
      ...(rt.testid ? ["  npx segl demo     (a sample two-signer request; prints both signers' task URLs)"] : []),
    );
  }
  return lines.join('\n') + '\n';
}

async function run(mode: 'start' | 'api' | 'worker'): Promise<void> {
  const cfg = config();
  // the whole platform is loaded here, not at the top: the CLI's other commands start in a fraction of the time
  const { startRuntime, shutdownBoundMs } = await import('./runtime');
  const rt = await startRuntime(cfg, { http: mode !== 'worker', worker: mode !== 'api' });
  rt.log.info({ config: describeConfig(cfg) }, `segl ${mode} started`);
  const users = rt.testid && mode !== 'worker' ? await ensureDemoUsers(rt.testid, cfg.dataDir) : [];
  if (mode !== 'worker') process.stdout.write(banner(rt, users, (await import('./eid/authn/routes')).loginBanner));
  if (rt.server && rt.url) {
    // for `segl demo` and operators on this machine: where this instance answers (no secrets)
    const port = (rt.server.address() as { port: number }).port;
    const host = ['0.0.0.0', '::', ''].includes(cfg.host) ? '127.0.0.1' : cfg.host.includes(':') ? `[${cfg.host}]` : cfg.host;
    writeInstanceInfo(cfg.dataDir, {
      url: rt.url,
      local: `http://${host}:${port}`,
      mode: cfg.mode,
      testEid: cfg.testEid,
      database: cfg.databaseUrl && !cfg.databaseUrl.startsWith('sqlite:') ? 'postgres' : 'sqlite',
      pid: process.pid,
      startedAt: new Date().toISOString(),
    });
  }
  // Shutdown drains and is bounded: Runtime.close limits each step and this guard ends the process
  // at shutdownBoundMs (10 s with the defaults) whatever happens; an incomplete shutdown or a second
  // signal exits non-zero.
  let closing = false;
  const stop = async (signal: string) => {
    if (closing) {
      rt.log.warn({ signal }, 'second signal during shutdown: exiting now');
      process.exit(1);
    }
    closing = true;
    rt.log.info({ signal }, 'shutting down');
    const bound = shutdownBoundMs(cfg);
    setTimeout(() => {
      rt.log.error(`shutdown did not finish within ${bound / 1000} s; exiting`);
      process.exit(1);
    }, bound).unref();
    try {
      await rt.close();
    } catch (e) {
      rt.log.error({ err: (e as Error).message }, 'shutdown incomplete; exiting');
      process.exit(1);
    }
    removeInstanceInfo(cfg.dataDir, process.pid);
    rt.log.info('stopped');
    process.exit(0);
  };
  process.on('SIGINT', () => void stop('SIGINT'));
  process.on('SIGTERM', () => void stop('SIGTERM'));
}

async function withServices<T>(f: (s: ServiceRepository, db: DataSource) => Promise<T>): Promise<T> {
  const cfg = config();
  const db = await openDatabase({ databaseUrl: cfg.databaseUrl, dataDir: cfg.dataDir });
  try {
    return await f(new ServiceRepository(db, new AtRest(ensureSecret(cfg))), db);
  } finally {
    await db.destroy();
  }
}

export function cli(): Command {
  const program = new Command('segl').description('self-hostable document signing, DocumentService v3 compatible').showHelpAfterError();
  runCommands(program);
  serviceCommands(program);
  profileCommands(program);
  packagingCommands(program, withServices);
  notifyTextCommands(program, withServices, () => config().publicUrl);
  samlCommands(program, withServices);
  sealCommands(program, withServices, config);
  apiTokenCommands(program, withServices);
  consoleUserCommands(program, withServices);
  auditCommands(program, withServices, () => config().dataDir);
  deliveriesCommand(program);
  demoCommand(program);
  verifyCommand(program);
  purgeCommand(program);
  blobsCommands(program, config);
  eidCommands(program, withServices, () => ensureSecret(config()));
  opCommands(program, withServices, () => ensureSecret(config()));
  return program;
}

/** `segl start | api | worker`: the running instance, in one process or split by role. */
function runCommands(program: Command): void {
  program
    .command('start')
    .description('API, portal and workers in one process')
    .action(() => run('start'));
  program
    .command('api')
    .description('the HTTP API and portal only')
    .action(() => run('api'));
  program
    .command('worker')
    .description('the queue workers only')
    .action(() => run('worker'));
}

/** `segl service …`: the tenants, their passwords and their notification settings. */
function serviceCommands(program: Command): void {
  const service = program.command('service').description('manage services (tenants)');
  service
    .command('create <name>')
    .description('create a service')
    .requiredOption('--password <password>', 'its password (8+ characters)')
    .option('--public', 'a public service (may use PID-CPR lookup)', false)
    .action(async (name: string, o: { password: string; public: boolean }) => {
      const s = await withServices((r) => r.create(name, o.password, o.public));
      process.stdout.write(`created service ${s.name}${s.public ? ' (public)' : ''}\n`);
    });
  service
    .command('passwd <name>')
    .description("set a service's password")
    .requiredOption('--password <password>', 'the new password (8+ characters)')
    .action(async (name: string, o: { password: string }) => {
      await withServices((r) => r.setPassword(name, o.password));
      process.stdout.write(`password of ${name} changed\n`);
    });
  service
    .command('list')
    .description('list services')
    .action(async () => {
      const list = await withServices((r) => r.list());
      for (const s of list) process.stdout.write(`${s.name}\t${s.public ? 'public' : 'private'}\t${s.createdAt}\n`);
      if (!list.length) process.stdout.write('no services\n');
    });
  service
    .command('delete <name>')
    .description('delete a service that has no requests')
    .action(async (name: string) => {
      await withServices((r) => r.delete(name));
      process.stdout.write(`deleted service ${name}\n`);
    });
  serviceSettingsCommands(service);
}

/** `segl service set | show`: a service's callback allowlist, webhook secret and PID-CPR mode. */
function serviceSettingsCommands(service: Command): void {
  service
    .command('set <name>')
    .description("change a service's notification and PID-CPR settings")
    .option(
      '--callback-allow <patterns>',
      'callback allowlist: host[:port], *.domain[:port], an IP or a CIDR, comma-separated ("" clears it)',
    )
    .option('--rotate-webhook-secret', 'make a new webhook signing secret (the old one stops working)')
    .option('--pid-cpr <mode>', 'match (the user types the CPR; default) or lookup (public services only: the CPR comes from the PID)')
    .option(
      '--auth-target <url>',
      'a target logins may answer to (/std/method): origin and path prefix, e.g. https://app.example/auth/ (repeatable; "" clears them)',
      (v: string, prev: string[] = []) => [...prev, v],
    )
    .option(
      '--frame-origin <origin>',
      'an origin that may show the portal in a frame: https://host[:port] exactly (repeatable; "" clears them; docs/embedding.md)',
      (v: string, prev: string[] = []) => [...prev, v],
    )
    .action(async (name: string, o: ServiceSetOptions) => {
      if (Object.values(o).every((v) => v === undefined || v === false)) {
        throw new Error('nothing to set: give --callback-allow, --rotate-webhook-secret, --pid-cpr, --auth-target and/or --frame-origin');
      }
      const frames = o.frameOrigin && frameOriginList(o.frameOrigin); // checked before anything is written
      await withServices(async (r, db) => {
        if (o.authTarget !== undefined) await setAuthTargets(r, db, name, o.authTarget);
        if (o.pidCpr !== undefined) {
          const svc = await r.find(name);
          if (!svc) throw new Error(`no service "${name}"`);
          const { PidCprService } = await import('./eid/pidcpr');
          await new PidCprService({ db, register: { cprOfPid: async () => undefined } }).setMode(svc, o.pidCpr as 'match' | 'lookup');
          process.stdout.write(`PID-CPR of ${name}: ${o.pidCpr}\n`);
        }
        if (o.callbackAllow !== undefined) {
          const patterns = parseAllowPatterns(o.callbackAllow).map((p) => p.text);
          await r.setCallbackAllow(name, patterns);
          process.stdout.write(`callback allowlist of ${name}: ${patterns.join(',') || '(empty)'}\n`);
        }
        if (o.rotateWebhookSecret) process.stdout.write(`new webhook secret of ${name}: ${await r.rotateWebhookSecret(name)}\n`);
        if (frames) await r.setFrameOrigins(name, frames);
        if (frames) process.stdout.write(`frame origins of ${name}: ${frames.join(' ') || '(none)'}\n`);
      });
    });
  service
    .command('show <name>')
    .description("a service's callback allowlist and webhook signing secret")
    .action(async (name: string) => {
      const { s, targets, frames } = await withServices(async (r, db) => ({
        s: await r.settings(name),
        targets: await authTargets(r, db, name),
        frames: await r.frameOrigins(name),
      }));
      process.stdout.write(
        `service:         ${s.name}\ncallback-allow:  ${s.callbackAllow.join(',') || '(none; SEGL_CALLBACK_ALLOW applies)'}\nwebhook secret:  ${s.webhookSecret}\nauth-target:     ${targets.join(' ') || '(none: /std/method logins refused)'}\nframe-origin:    ${frames.join(' ') || '(none: the portal may not be framed)'}\n`,
      );
    });
}

/** The options of `segl service set`. */
interface ServiceSetOptions {
  callbackAllow?: string;
  rotateWebhookSecret?: boolean;
  pidCpr?: string;
  authTarget?: string[];
  frameOrigin?: string[];
}

/** The options of `segl profile set`. */
interface ProfileOptions {
  brand?: string;
  brandInk?: string;
  ink?: string;
  logo?: string;
  logoAlt?: string;
  displayName?: string;
  text?: string[];
}

/** `segl profile set`: a service's graphical profile for the portal. */
function profileCommands(program: Command): void {
  const profile = program.command('profile').description("the portal's graphical profiles of a service (colours, logo, texts)");
  profile
    .command('set <service> <name>')
    .description('create or replace a profile; tasks choose it with `profile`, `default` applies otherwise')
    .option('--brand <colour>', 'header and button colour, #rgb or #rrggbb')
    .option('--brand-ink <colour>', 'text on the brand colour')
    .option('--ink <colour>', 'body text colour')
    .option('--logo <file>', 'a PNG, SVG or JPEG logo for the header')
    .option('--logo-alt <text>', "the logo's text alternative (required with --logo)")
    .option('--display-name <text>', "the name shown in the header instead of the service's")
    .option('--text <lang:key=text...>', 'override a text, e.g. da:task.title="Underskriv aftalen" (repeatable)')
    .action(async (service: string, name: string, o: ProfileOptions) => {
      const texts = await profileTexts(o.text ?? []);
      const logo = o.logo ? profileLogo(o.logo, o.logoAlt) : undefined;
      await saveProfile(service, name, o, logo, texts);
    });
}

/** `--text LANG:KEY=TEXT` overrides, checked against the portal's languages and text keys. */
async function profileTexts(raws: string[]): Promise<Record<string, Record<string, string>>> {
  const { isTextKey, LANGUAGES } = await import('./portal/i18n');
  const texts: Record<string, Record<string, string>> = {};
  for (const raw of raws) {
    const m = /^([a-z]{2}):([a-zA-Z0-9.-]+)=(.*)$/s.exec(raw);
    if (!m || !(LANGUAGES as readonly string[]).includes(m[1]!) || !isTextKey(m[2]!)) {
      throw new Error(
        `--text "${raw}": must be LANG:KEY=TEXT with LANG one of ${LANGUAGES.join(', ')} and KEY a text of the portal (src/portal/i18n.ts)`,
      );
    }
    (texts[m[1]!] ??= {})[m[2]!] = m[3]!;
  }
  return texts;
}

/** The `--logo` file (PNG, SVG or JPEG, at most 256 KiB) with its required text alternative. */
function profileLogo(file: string, alt: string | undefined) {
  if (!alt) throw new Error("--logo needs --logo-alt (the logo's text alternative)");
  const ext = path.extname(file).toLowerCase();
  const mimeType = ({ '.png': 'image/png', '.svg': 'image/svg+xml', '.jpg': 'image/jpeg', '.jpeg': 'image/jpeg' } as const)[ext as '.png'];
  if (!mimeType) throw new Error('--logo must be a .png, .svg, .jpg or .jpeg file');
  const bytes = readFileSync(file);
  if (bytes.length > 256 * 1024) throw new Error('--logo must be at most 256 KiB');
  return { mimeType, base64: bytes.toString('base64'), alt };
}

/** Stores the profile for the named service (which must exist). */
async function saveProfile(
  service: string,
  name: string,
  o: ProfileOptions,
  logo: ReturnType<typeof profileLogo> | undefined,
  texts: Record<string, Record<string, string>>,
): Promise<void> {
  const { ProfileRepository } = await import('./store/profiles');
  const cfg = config();
  const db = await openDatabase({ databaseUrl: cfg.databaseUrl, dataDir: cfg.dataDir });
  try {
    const svc = await new ServiceRepository(db, new AtRest(ensureSecret(cfg))).find(service);
    if (!svc) throw new Error(`no service "${service}"`);
    await new ProfileRepository(db).set(
      svc.id,
      name,
      {
        colours: { brand: o.brand, brandInk: o.brandInk, ink: o.ink },
        logo,
        displayName: o.displayName,
        texts,
      },
      new Date().toISOString(),
    );
    process.stdout.write(`profile ${name} of ${service} saved\n`);
  } finally {
    await db.destroy();
  }
}

/** `segl deliveries`: the delivery log, newest first. */
function deliveriesCommand(program: Command): void {
  program
    .command('deliveries')
    .description('the delivery log: notifications and their outcome, newest first')
    .option('--status <status>', 'pending, queued, sending, delivered, cancelled or dead')
    .option('--request <id>', 'one request only')
    .option('--limit <n>', 'how many', '50')
    .action(async (o: { status?: string; request?: string; limit: string }) => {
      const cfg = config();
      if (o.status && !['pending', 'queued', 'sending', 'delivered', 'cancelled', 'dead'].includes(o.status)) {
        throw new Error('--status must be pending, queued, sending, delivered, cancelled or dead');
      }
      const db = await openDatabase({ databaseUrl: cfg.databaseUrl, dataDir: cfg.dataDir });
      try {
        const rows = await new OutboxRepository(db).log({
          status: o.status as DeliveryStatus | undefined,
          requestId: o.request,
          limit: Number(o.limit),
        });
        for (const d of rows) {
          process.stdout.write(
            `${d.updatedAt}\t${d.status}\t${d.channel}\t${d.service}\t${d.requestId}/${d.taskId ?? '-'}\t${d.notificationId}\tattempts=${d.attempts}${d.lastError ? `\t${d.lastError}` : ''}\n`,
          );
        }
        if (!rows.length) process.stdout.write('no deliveries\n');
      } finally {
        await db.destroy();
      }
    });
}

/** `segl demo`: a sample two-signer request on the running instance. */
function demoCommand(program: Command): void {
  program
    .command('demo')
    .description('create a sample two-signer request on the running segl (preprod, test eID) and print both task URLs')
    .option('--service <name>', 'the service to create it for', 'demo')
    .option('--password <password>', "the service's password (demo: DATA_DIR/demo-password.txt or SEGL_DEMO_PASSWORD)")
    .action(async (o: { service: string; password?: string }) => {
      // Only DATA_DIR is needed: the running segl said in DATA_DIR/instance.json where it answers, and
      // the request goes through its SOAP endpoint like any client's (src/demo.ts).
      const dataDir = config().dataDir;
      const info = readInstanceInfo(dataDir);
      if (info.mode !== 'preprod' || !info.testEid) {
        throw new Error(
          `\`segl demo\` needs a segl in preprod mode with the test eID on; the one at ${info.url} runs in ${info.mode} mode${info.testEid ? '' : ' without the test eID'}`,
        );
      }
      const password = demoServicePassword(dataDir, o);
      const users = readDemoUsers(dataDir);
      const made = await createDemoRequest(info, o.service, password, users);
      process.stdout.write(`created request ${made.requestId}\n`);
      for (const [i, t] of made.tasks.entries()) {
        const u = users[i]!;
        process.stdout.write(
          `  ${t.taskId}: ${t.url}\n    log in as ${u.alias} / ${u.password}; key card ${info.url}/testid/users/${u.alias}/keycard; CPR ${u.cpr.slice(0, 6)}-${u.cpr.slice(6)}\n`,
        );
      }
      process.stdout.write('  the buyer can sign once the seller has signed.\n');
    });
}

/** The service's password for `segl demo`: --password, or for the demo service SEGL_DEMO_PASSWORD or DATA_DIR/demo-password.txt. */
function demoServicePassword(dataDir: string, o: { service: string; password?: string }): string {
  const passwordFile = path.join(dataDir, 'demo-password.txt');
  const password =
    o.password ??
    (o.service !== 'demo'
      ? undefined
      : process.env.SEGL_DEMO_PASSWORD || (existsSync(passwordFile) ? readFileSync(passwordFile, 'utf8').trim() : undefined));
  if (!password) {
    throw new Error(
      o.service === 'demo'
        ? `the demo service's password is not in ${passwordFile} (SEGL_DEMO_PASSWORD set it at start?): give it with --password`
        : `give the password of service "${o.service}" with --password`,
    );
  }
  return password;
}

/** `segl verify`: offline verification of an LTV-SDO, or of a PAdES file and the LTV-SDOs attached to it. */
function verifyCommand(program: Command): void {
  program
    .command('verify <file>')
    .description('verify offline an LTV-SDO (the seal and the native signature) or a PAdES PDF (its signatures and attached LTV-SDOs)')
    .option('--anchor <pem>', 'trust anchor certificate (default: DATA_DIR/pki/root.pem)')
    .option('--at <dateTime>', "validation time of an LTV-SDO's newest time-stamp, or of a PDF and its attached LTV-SDOs (default: now)")
    .action(async (file: string, o: { anchor?: string; at?: string }) => {
      const now = o.at === undefined ? undefined : new Date(o.at);
      if (now && Number.isNaN(now.getTime())) throw new Error(`--at: "${o.at}" is not a date and time`);
      const x509 = await import('@peculiar/x509');
      await import('./trust/crypto');
      const anchorFile = o.anchor ?? path.join(config().dataDir, 'pki', 'root.pem');
      const anchors = [new x509.X509Certificate(readFileSync(anchorFile, 'utf8'))];
      const bytes = readFileSync(file);
      if (bytes.subarray(0, 5).toString('latin1') === '%PDF-') {
        const { verifyPadesFile, describePades } = await import('./signing/offlinepdf');
        const result = await verifyPadesFile(new Uint8Array(bytes), anchors, now ? { at: now } : {}).catch((e: unknown) => {
          throw e instanceof Error && e.name === 'CompressionBombError' ? new Error(`${file}: ${e.message}`) : e;
        });
        process.stdout.write(describePades(result));
        process.exitCode = result.indication === 'TOTAL-PASSED' ? 0 : 1;
        return;
      }
      const { verifyLtvSdo, describe } = await import('./signing/offline');
      const result = await verifyLtvSdo(bytes.toString('utf8'), anchors, undefined, { now });
      process.stdout.write(describe(result));
      process.exitCode = result.indication === 'TOTAL-PASSED' ? 0 : 1;
    });
}

/** `segl purge`: housekeeping now (expired SDS uploads, requests past deletion, orphan blobs). */
function purgeCommand(program: Command): void {
  program
    .command('purge')
    .description('remove expired SDS uploads and requests past days-until-deletion')
    .option('--as-of <dateTime>', 'act as if it were this time (preprod only; for tests and rehearsals)')
    .action(async (o: { asOf?: string }) => {
      const cfg = config();
      let now = new Date();
      if (o.asOf !== undefined) {
        if (cfg.mode !== 'preprod') throw new Error('--as-of is only available in preprod mode');
        now = new Date(o.asOf);
        if (Number.isNaN(now.getTime())) throw new Error(`--as-of: "${o.asOf}" is not a date and time`);
      }
      const db = await openDatabase({ databaseUrl: cfg.databaseUrl, dataDir: cfg.dataDir });
      try {
        const { purge } = await import('./runtime');
        const r = await purge(cfg, db, { now: () => now });
        process.stdout.write(`purged ${r.sds} SDS document(s) and ${r.requests} request(s); swept ${r.blobs} unreferenced blob(s)\n`);
      } finally {
        await db.destroy();
      }
    });
}

if (require.main === module) {
  cli()
    .parseAsync(process.argv)
    .catch((e: unknown) => {
      process.stderr.write(`segl: ${e instanceof Error ? e.message : String(e)}\n`);
      process.exit(1);
    });
}

// The segl command line: `segl start | api | worker | service …`. Composition lives in runtime.ts.
import { Command } from 'commander';
import { ConfigError, describeConfig, loadConfig, type Config } from './config';
import { purge, startRuntime, type Runtime } from './runtime';
import { openDatabase } from './store/datasource';
import { ServiceRepository } from './store/services';
import { OutboxRepository } from './store/outbox';
import { parseAllowPatterns } from './notify/allowlist';
import type { DeliveryStatus } from './core/outbox';

function config(): Config {
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

function banner(rt: Runtime): string {
  const url = rt.url ?? rt.config.publicUrl;
  const lines = [
    '',
    `segl is running (${rt.config.mode}) at ${url}`,
    `  DocumentService v3 WSDL:  ${url}/ws/documentservice-v3?wsdl`,
    `  SOAP endpoint:            ${url}/ws/documentservice-v3`,
    `  health / readiness:       ${url}/healthz  ${url}/readyz`,
    ...(rt.config.testCa ? [`  test PKI (trust anchor):  ${url}/pki/root.pem  (OCSP ${url}/pki/ocsp, TSA ${url}/pki/tsa)`] : []),
    `  SDS uploads:              ${url}/doc/<service>/sds  (HTTP Basic: service and password)`,
    `  data:                     ${rt.config.dataDir}${rt.config.databaseUrl ? '' : ' (SQLite segl.sqlite)'}`,
    `  redis:                    ${rt.redisHandle.private ? `private redis-server at ${rt.redisHandle.url}` : 'REDIS_URL'}`,
    ...(rt.adminPassword ? [
      `  admin (user admin):       ${url}/admin/queues  ${url}/admin/deliveries  ${url}/metrics`,
      `                            password ${rt.config.notify.adminPassword ? 'from SEGL_ADMIN_PASSWORD' : `in ${rt.config.dataDir}/admin-password.txt`}`,
    ] : []),
    ...(rt.config.mode === 'preprod' ? [`  dev outbox (mail, SMS):   ${url}/dev/outbox`] : []),
    ...(rt.clock.movable ? [`  test clock:               POST ${url}/admin/clock/advance?by=2d`] : []),
  ];
  if (rt.demo) {
    lines.push(
      `  demo service:             service=demo password=${rt.demo.password}`,
      '',
      'Try it:',
      `  curl -s ${url}/ws/documentservice-v3?wsdl | head`,
      `  point a client generated from the WSDL at ${url}/ws/documentservice-v3 with service "demo".`,
    );
  }
  return lines.join('\n') + '\n';
}

async function run(mode: 'start' | 'api' | 'worker'): Promise<void> {
  const cfg = config();
  const rt = await startRuntime(cfg, { http: mode !== 'worker', worker: mode !== 'api' });
  rt.log.info({ config: describeConfig(cfg) }, `segl ${mode} started`);
  if (mode !== 'worker') process.stdout.write(banner(rt));
  let closing = false;
  const stop = async (signal: string) => {
    if (closing) return;
    closing = true;
    rt.log.info({ signal }, 'shutting down');
    await rt.close();
    process.exit(0);
  };
  process.on('SIGINT', () => void stop('SIGINT'));
  process.on('SIGTERM', () => void stop('SIGTERM'));
}

async function withServices<T>(f: (s: ServiceRepository) => Promise<T>): Promise<T> {
  const cfg = config();
  const db = await openDatabase({ databaseUrl: cfg.databaseUrl, dataDir: cfg.dataDir });
  try {
    return await f(new ServiceRepository(db));
  } finally {
    await db.destroy();
  }
}

export function cli(): Command {
  const program = new Command('segl').description('self-hostable document signing, DocumentService v3 compatible')
    .showHelpAfterError();
  program.command('start').description('API, portal and workers in one process').action(() => run('start'));
  program.command('api').description('the HTTP API and portal only').action(() => run('api'));
  program.command('worker').description('the queue workers only').action(() => run('worker'));
  const service = program.command('service').description('manage services (tenants)');
  service.command('create <name>').description('create a service')
    .requiredOption('--password <password>', 'its password (8+ characters)')
    .option('--public', 'a public service (may use PID-CPR lookup)', false)
    .action(async (name: string, o: { password: string; public: boolean }) => {
      const s = await withServices((r) => r.create(name, o.password, o.public));
      process.stdout.write(`created service ${s.name}${s.public ? ' (public)' : ''}\n`);
    });
  service.command('passwd <name>').description("set a service's password")
    .requiredOption('--password <password>', 'the new password (8+ characters)')
    .action(async (name: string, o: { password: string }) => {
      await withServices((r) => r.setPassword(name, o.password));
      process.stdout.write(`password of ${name} changed\n`);
    });
  service.command('list').description('list services').action(async () => {
    const list = await withServices((r) => r.list());
    for (const s of list) process.stdout.write(`${s.name}\t${s.public ? 'public' : 'private'}\t${s.createdAt}\n`);
    if (!list.length) process.stdout.write('no services\n');
  });
  service.command('delete <name>').description('delete a service that has no requests')
    .action(async (name: string) => {
      await withServices((r) => r.delete(name));
      process.stdout.write(`deleted service ${name}\n`);
    });
  service.command('set <name>').description("change a service's notification settings")
    .option('--callback-allow <patterns>', 'callback allowlist: host[:port], *.domain[:port], an IP or a CIDR, comma-separated ("" clears it)')
    .option('--rotate-webhook-secret', 'make a new webhook signing secret (the old one stops working)')
    .action(async (name: string, o: { callbackAllow?: string; rotateWebhookSecret?: boolean }) => {
      if (o.callbackAllow === undefined && !o.rotateWebhookSecret) throw new Error('nothing to set: give --callback-allow and/or --rotate-webhook-secret');
      await withServices(async (r) => {
        if (o.callbackAllow !== undefined) {
          const patterns = parseAllowPatterns(o.callbackAllow).map((p) => p.text);
          await r.setCallbackAllow(name, patterns);
          process.stdout.write(`callback allowlist of ${name}: ${patterns.join(',') || '(empty)'}\n`);
        }
        if (o.rotateWebhookSecret) process.stdout.write(`new webhook secret of ${name}: ${await r.rotateWebhookSecret(name)}\n`);
      });
    });
  service.command('show <name>').description("a service's callback allowlist and webhook signing secret")
    .action(async (name: string) => {
      const s = await withServices((r) => r.settings(name));
      process.stdout.write(`service:         ${s.name}\ncallback-allow:  ${s.callbackAllow.join(',') || '(none; SEGL_CALLBACK_ALLOW applies)'}\nwebhook secret:  ${s.webhookSecret}\n`);
    });
  program.command('deliveries').description('the delivery log: notifications and their outcome, newest first')
    .option('--status <status>', 'pending, queued, delivered, cancelled or dead')
    .option('--request <id>', 'one request only')
    .option('--limit <n>', 'how many', '50')
    .action(async (o: { status?: string; request?: string; limit: string }) => {
      const cfg = config();
      if (o.status && !['pending', 'queued', 'delivered', 'cancelled', 'dead'].includes(o.status)) {
        throw new Error('--status must be pending, queued, delivered, cancelled or dead');
      }
      const db = await openDatabase({ databaseUrl: cfg.databaseUrl, dataDir: cfg.dataDir });
      try {
        const rows = await new OutboxRepository(db).log({ status: o.status as DeliveryStatus | undefined, requestId: o.request, limit: Number(o.limit) });
        for (const d of rows) {
          process.stdout.write(`${d.updatedAt}\t${d.status}\t${d.channel}\t${d.service}\t${d.requestId}/${d.taskId ?? '-'}\t${d.notificationId}\tattempts=${d.attempts}${d.lastError ? `\t${d.lastError}` : ''}\n`);
        }
        if (!rows.length) process.stdout.write('no deliveries\n');
      } finally {
        await db.destroy();
      }
    });
  program.command('verify <file>').description('verify an LTV-SDO offline: the seal and the native signature')
    .option('--anchor <pem>', 'trust anchor certificate (default: DATA_DIR/pki/root.pem)')
    .action(async (file: string, o: { anchor?: string }) => {
      const { readFileSync } = await import('node:fs');
      const path = await import('node:path');
      const x509 = await import('@peculiar/x509');
      await import('./trust/crypto');
      const { verifyLtvSdo, describe } = await import('./pki/offline');
      const anchorFile = o.anchor ?? path.join(config().dataDir, 'pki', 'root.pem');
      const anchors = [new x509.X509Certificate(readFileSync(anchorFile, 'utf8'))];
      const result = await verifyLtvSdo(readFileSync(file, 'utf8'), anchors);
      process.stdout.write(describe(result));
      process.exitCode = result.indication === 'TOTAL-PASSED' ? 0 : 1;
    });
  program.command('purge').description('remove expired SDS uploads and requests past days-until-deletion')
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
        const r = await purge(cfg, db, { now: () => now });
        process.stdout.write(`purged ${r.sds} SDS document(s) and ${r.requests} request(s)\n`);
      } finally {
        await db.destroy();
      }
    });
  return program;
}

if (require.main === module) {
  cli().parseAsync(process.argv).catch((e: unknown) => {
    process.stderr.write(`segl: ${e instanceof Error ? e.message : String(e)}\n`);
    process.exit(1);
  });
}

// Packaging methods per service, through the built CLI (bin/segl.js → dist/) on a DATA_DIR with
// SQLite, and on PostgreSQL when it answers: `segl packaging set | list | show | remove`, every bad
// input refused with its message and the table left as it was, the lookup the PAdES maker calls
// (PackagingMethodRepository.resolvePackagingMethod), and a stored template that composePackage then
// fills (pdftotext, qpdf --check and pdfinfo are the proof).
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { PADES_METHOD, type ResolvedPackagingMethod } from '../../src/core/packagingmethod';
import { composePackage } from '../../src/packaging/compose';
import type { PackageContent } from '../../src/packaging/types';
import { openDatabase } from '../../src/store/datasource';
import { PackagingMethodRepository } from '../../src/store/packagingmethods';
import { sqlDatabase } from '../../src/store/sql';
import { databases, freshPgDatabase } from '../support/server';
import { REPO } from '../support/soap';
import { makeTemplate } from '../support/packaging';

const exec = promisify(execFile);
const BIN = path.join(REPO, 'bin', 'segl.js');
const MIGRATION = 'PackagingMethods1765300000000';

async function run(cmd: string, args: string[], env?: NodeJS.ProcessEnv): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const r = await exec(cmd, args, { env, timeout: 60_000, encoding: 'utf8', maxBuffer: 1 << 26 });
    return { code: 0, stdout: r.stdout, stderr: r.stderr };
  } catch (e) {
    const err = e as { code: number; stdout: string; stderr: string };
    return { code: err.code, stdout: err.stdout, stderr: err.stderr };
  }
}

/** Package content built directly (no signing): one text document, one signer with a national id. */
function contentWith(m: ResolvedPackagingMethod): PackageContent {
  return {
    packageId: 'pkg-m1',
    serviceName: 'acme',
    createdAt: new Date('2025-03-01T12:00:00Z'),
    language: m.language,
    verificationUrl: 'https://segl.example/verify/pkg-m1',
    requestId: 'req-1',
    documents: [{ id: 'terms', description: 'Vilkår', mimeType: 'text/plain;charset=utf-8', bytes: Buffer.from('Vilkår for lånet.\n') }],
    signers: [
      {
        name: 'Åse Øvergård',
        nationalId: '0102031234',
        method: 'POCES',
        signedAt: new Date('2025-03-01T11:00:00Z'),
        certSubject: 'CN=Åse Øvergård',
        certIssuer: 'CN=Test Person CA',
        indication: 'TOTAL-PASSED',
        documentIds: ['terms'],
      },
    ],
    seal: { subject: 'CN=segl seal', issuer: 'CN=Test Service CA' },
    attachments: [],
    manifest: { packageId: 'pkg-m1' },
    options: { template: m.template, maskNationalId: m.maskNationalId, pdfa: m.pdfa },
  };
}

const FIELDS = ['package.id', 'service.name', 'signers.1.name', 'signers.1.nationalId'];

describe.each(databases())('segl packaging on %s', (kind) => {
  let dir: string;
  let env: NodeJS.ProcessEnv;
  let pg: { url: string; drop: () => Promise<void> } | undefined;
  let template: Uint8Array;
  const file = (name: string, bytes: Uint8Array | string) => {
    const f = path.join(dir, name);
    writeFileSync(f, bytes);
    return f;
  };
  const segl = (...args: string[]) => run(process.execPath, [BIN, ...args], env);
  /** Runs `f` on the same database the CLI uses. */
  async function withDb<T>(f: (db: Awaited<ReturnType<typeof openDatabase>>) => Promise<T>): Promise<T> {
    const db = await openDatabase({ databaseUrl: pg?.url, dataDir: dir });
    try {
      return await f(db);
    } finally {
      await db.destroy();
    }
  }
  const serviceId = (name: string) =>
    withDb(async (db) => {
      const [row] = await sqlDatabase(db).tx((q) => q.all<{ id: number }>('SELECT id FROM service WHERE name = ?', [name]));
      return Number(row!.id);
    });
  /** Every stored method row, in order: what "nothing changed" compares. */
  const rows = () =>
    withDb((db) =>
      sqlDatabase(db).tx((q) => q.all('SELECT * FROM packaging_method ORDER BY service_id, name').then((r) => JSON.stringify(r))),
    );

  beforeAll(async () => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'segl-pkgm-'));
    if (kind === 'postgres') pg = await freshPgDatabase();
    env = { PATH: process.env.PATH, HOME: process.env.HOME, DATA_DIR: dir, LOG_LEVEL: 'warn', ...(pg ? { DATABASE_URL: pg.url } : {}) };
    template = await makeTemplate(FIELDS);
    for (const s of ['acme', 'other']) expect((await segl('service', 'create', s, '--password', 'password-123')).code).toBe(0);
  }, 60_000);
  afterAll(async () => {
    await pg?.drop();
    rmSync(dir, { recursive: true, force: true });
  });

  test('the migration ran; a new service has only the built-in pades', async () => {
    const names = await withDb((db) => sqlDatabase(db).tx((q) => q.all<{ name: string }>('SELECT name FROM segl_migrations')));
    expect(names.map((r) => r.name)).toContain(MIGRATION);
    expect(await segl('packaging', 'list', 'acme')).toEqual({
      code: 0,
      stdout: 'pades\ten\tmasked\tno-pdfa\tbuilt-in cover\tbuilt in: the built-in cover in English, national ids masked, no PDF/A\n',
      stderr: '',
    });
  }, 30_000);

  test('set with a template, list, show --template-out (same bytes), resolve, compose with it, remove', async () => {
    const t = file('template.pdf', template);
    const sha = createHash('sha256').update(template).digest('hex');
    const set = await segl(
      ...['packaging', 'set', 'acme', 'contract', '--template', t, '--language', 'da', '--no-mask', '--pdfa'],
      ...['--description', 'Kontrakter på dansk'],
    );
    expect(set).toMatchObject({ code: 0, stderr: '' });
    expect(set.stdout).toMatch(/^packaging method contract of acme saved\n/);
    expect(set.stdout).toContain(`cover:       template, ${template.byteLength} bytes, SHA-256 ${sha}\n`);
    expect((await segl('packaging', 'list', 'acme')).stdout.split('\n')).toContain(
      `contract\tda\tunmasked\tpdfa\ttemplate ${template.byteLength} bytes\tKontrakter på dansk`,
    );
    // per service: the other service does not see it
    expect((await segl('packaging', 'list', 'other')).stdout).not.toContain('contract');

    const out = path.join(dir, 'back.pdf');
    const show = await segl('packaging', 'show', 'acme', 'contract', '--template-out', out);
    expect(show.code).toBe(0);
    for (const l of ['method:      contract', 'language:    da', 'national id: shown in full', 'PDF/A-3b:    yes', `SHA-256 ${sha}`])
      expect(show.stdout).toContain(l);
    expect(Buffer.compare(readFileSync(out), Buffer.from(template))).toBe(0);

    const acme = await serviceId('acme');
    const resolved = await withDb((db) => new PackagingMethodRepository(db).resolvePackagingMethod(acme, 'contract'));
    expect(resolved).toMatchObject({ name: 'contract', language: 'da', maskNationalId: false, pdfa: true });
    expect(Buffer.compare(Buffer.from(resolved!.template!), Buffer.from(template))).toBe(0);
    await withDb(async (db) => {
      const r = new PackagingMethodRepository(db);
      expect(await r.resolvePackagingMethod(acme, 'pades')).toEqual(PADES_METHOD);
      expect(await r.resolvePackagingMethod(acme, 'nope')).toBeUndefined();
      expect(await r.resolvePackagingMethod(await serviceId('other'), 'contract')).toBeUndefined();
    });

    // the template composePackage really uses: filled (national id in full), Danish headers, PDF/A-3b
    const pkg = file('package.pdf', (await composePackage(contentWith(resolved!))).pdf);
    expect((await run('qpdf', ['--check', pkg])).code).toBe(0);
    const cover = (await run('pdftotext', ['-f', '1', '-l', '1', '-enc', 'UTF-8', pkg, '-'])).stdout;
    for (const s of ['Acme forside – Ærø', 'pkg-m1', 'acme', 'Åse Øvergård', '0102031234']) expect(cover).toContain(s);
    expect((await run('pdftotext', ['-f', '2', '-enc', 'UTF-8', pkg, '-'])).stdout).toContain('Dokument: Vilkår');
    expect(readFileSync(pkg, 'latin1')).toMatch(/<pdfaid:part>3<\/pdfaid:part>/);
    // …and the built-in pades: the built-in cover, English, the national id masked
    const plain = file('pades.pdf', (await composePackage(contentWith(PADES_METHOD))).pdf);
    const builtIn = (await run('pdftotext', ['-enc', 'UTF-8', plain, '-'])).stdout;
    expect(builtIn).toContain('010203-****');
    expect(builtIn).not.toContain('0102031234');
    expect(builtIn).not.toContain('Acme forside');

    expect(await segl('packaging', 'remove', 'acme', 'contract')).toEqual({
      code: 0,
      stdout: 'packaging method contract of acme removed\n',
      stderr: '',
    });
    expect((await segl('packaging', 'list', 'acme')).stdout).not.toContain('contract');
    expect(await withDb((db) => new PackagingMethodRepository(db).resolvePackagingMethod(acme, 'contract'))).toBeUndefined();
    expect((await segl('packaging', 'show', 'acme', 'contract')).stderr).toBe('segl: service "acme" has no packaging method "contract"\n');
  }, 120_000);

  test('set replaces a method whole: what is not given goes back to the built-in values', async () => {
    expect((await segl('packaging', 'set', 'acme', 'nordic', '--template', file('t2.pdf', template), '--language', 'sv')).code).toBe(0);
    expect((await segl('packaging', 'set', 'acme', 'nordic', '--pdfa')).code).toBe(0);
    const resolved = await withDb(async (db) =>
      new PackagingMethodRepository(db).resolvePackagingMethod(await serviceId('acme'), 'nordic'),
    );
    expect(resolved).toEqual({ name: 'nordic', language: 'en', maskNationalId: true, pdfa: true });
    const noTemplate = await segl('packaging', 'show', 'acme', 'nordic', '--template-out', path.join(dir, 'none.pdf'));
    expect(noTemplate).toMatchObject({ code: 1, stderr: 'segl: packaging method "nordic" has no template (it uses the built-in cover)\n' });
    expect(existsSync(path.join(dir, 'none.pdf'))).toBe(false);
  }, 60_000);

  test('bad input is refused with a message on stderr, exit code 1, and nothing changed', async () => {
    // an existing method with a template: a refused `set` must not replace or damage it
    expect((await segl('packaging', 'set', 'acme', 'keep', '--template', file('keep.pdf', template), '--language', 'fi')).code).toBe(0);
    const before = await rows();
    const encrypted = path.join(dir, 'enc.pdf');
    expect((await run('qpdf', ['--encrypt', '', 'owner', '256', '--', file('plain.pdf', template), encrypted])).code).toBe(0);
    const keepT = ['--template', file('ok.pdf', template)];
    const cases: Array<[string[], string]> = [
      [['set', 'nope', 'keep'], 'segl: no service "nope"\n'],
      [['list', 'nope'], 'segl: no service "nope"\n'],
      [['remove', 'nope', 'keep'], 'segl: no service "nope"\n'],
      [['set', 'acme', 'bad name', ...keepT], 'segl: packaging method name "bad name" must match /^[A-Za-z0-9_-]{1,40}$/\n'],
      [['set', 'acme', 'x'.repeat(41)], `segl: packaging method name "${'x'.repeat(41)}" must match /^[A-Za-z0-9_-]{1,40}$/\n`],
      [
        ['set', 'acme', 'pades', '--language', 'da'],
        'segl: "pades" is reserved for the built-in packaging method pades; it cannot be set or removed\n',
      ],
      [['set', 'acme', 'PaDES'], 'segl: "PaDES" is reserved for the built-in packaging method pades; it cannot be set or removed\n'],
      [['remove', 'acme', 'pades'], 'segl: "pades" is reserved for the built-in packaging method pades; it cannot be set or removed\n'],
      [['remove', 'acme', 'absent'], 'segl: service "acme" has no packaging method "absent"\n'],
      [['set', 'acme', 'keep', '--language', 'de'], 'segl: language "de" must be one of en, da, nb, sv, fi\n'],
      [
        ['set', 'acme', 'keep', '--template', path.join(dir, 'missing.pdf')],
        `segl: --template ${path.join(dir, 'missing.pdf')}: cannot read it (ENOENT)\n`,
      ],
      [
        ['set', 'acme', 'keep', '--template', encrypted],
        'segl: the template PDF is encrypted (ISO 32000-1 §7.6); give an unencrypted one\n',
      ],
      [
        ['set', 'acme', 'keep', '--template', file('fieldless.pdf', await makeTemplate([], false))],
        'segl: the template needs a `seal.box` field on a page (the place of the visible seal)\n',
      ],
      [
        ['set', 'acme', 'keep', '--template', file('misspelt.pdf', await makeTemplate(['package.idd']))],
        'segl: the template has fields that are not package fields: package.idd\n',
      ],
    ];
    for (const [args, message] of cases) {
      const r = await segl('packaging', ...args);
      expect({ args, code: r.code, stderr: r.stderr, stdout: r.stdout }).toEqual({ args, code: 1, stderr: message, stdout: '' });
    }
    // not a PDF at all: pdf-lib's parse error is passed on after the template message
    const notPdf = await segl('packaging', 'set', 'acme', 'keep', '--template', file('text.pdf', 'this is not a PDF\n'));
    expect(notPdf).toMatchObject({ code: 1, stdout: '' });
    expect(notPdf.stderr).toMatch(/^segl: the template is not a readable, unencrypted PDF: /);
    expect(await rows()).toBe(before);
    const resolved = await withDb(async (db) => new PackagingMethodRepository(db).resolvePackagingMethod(await serviceId('acme'), 'keep'));
    expect(resolved).toMatchObject({ language: 'fi', maskNationalId: true, pdfa: false });
    expect(Buffer.compare(Buffer.from(resolved!.template!), Buffer.from(template))).toBe(0);
  }, 180_000);
});

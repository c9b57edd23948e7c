// `segl saml sp add | list | remove` through the built CLI (bin/segl.js → dist/), on SQLite and on
// PostgreSQL when it answers: an SP registered from the metadata node-saml generates, listed, found
// by entityID, removed; and bad metadata refused with a message naming the element while the
// saml_sp table stays as it was.
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { SAML } from '@node-saml/node-saml';
import { openDatabase } from '../../src/store/datasource';
import { SamlSpRepository } from '../../src/store/samlsps';
import { sqlDatabase } from '../../src/store/sql';
import { databases, freshPgDatabase } from '../support/server';
import { REPO } from '../support/soap';
import { keyAndCert, nodeSamlConfig } from '../support/saml2sp';

const exec = promisify(execFile);
const BIN = path.join(REPO, 'bin', 'segl.js');
const MD = 'urn:oasis:names:tc:SAML:2.0:metadata';

async function run(args: string[], env: NodeJS.ProcessEnv): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const r = await exec(process.execPath, [BIN, ...args], { env, timeout: 60_000, encoding: 'utf8' });
    return { code: 0, stdout: r.stdout, stderr: r.stderr };
  } catch (e) {
    const err = e as { code: number; stdout: string; stderr: string };
    return { code: err.code, stdout: err.stdout, stderr: err.stderr };
  }
}

/** An SP's metadata written by hand around one SPSSODescriptor body. */
const spMetadata = (
  descriptor: string,
  attrs = 'protocolSupportEnumeration="urn:oasis:names:tc:SAML:2.0:protocol"',
  entityId = 'https://hand.example/sp',
) =>
  `<?xml version="1.0"?>\n<md:EntityDescriptor xmlns:md="${MD}" xmlns:ds="http://www.w3.org/2000/09/xmldsig#" entityID="${entityId}">` +
  `<md:SPSSODescriptor ${attrs}>${descriptor}</md:SPSSODescriptor></md:EntityDescriptor>`;
const ACS =
  '<md:AssertionConsumerService Binding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST" Location="https://hand.example/acs" index="1"/>';

describe.each(databases())('segl saml sp on %s', (kind) => {
  let dir: string;
  let env: NodeJS.ProcessEnv;
  let pg: { url: string; drop: () => Promise<void> } | undefined;
  const segl = (...args: string[]) => run(args, env);
  const file = (name: string, text: string) => {
    const f = path.join(dir, name);
    writeFileSync(f, text);
    return f;
  };
  async function withDb<T>(f: (db: Awaited<ReturnType<typeof openDatabase>>) => Promise<T>): Promise<T> {
    const db = await openDatabase({ databaseUrl: pg?.url, dataDir: dir });
    try {
      return await f(db);
    } finally {
      await db.destroy();
    }
  }
  const rows = () => withDb((db) => sqlDatabase(db).tx((q) => q.all('SELECT * FROM saml_sp ORDER BY id').then((r) => JSON.stringify(r))));

  beforeAll(async () => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'segl-saml2cli-'));
    if (kind === 'postgres') pg = await freshPgDatabase();
    env = { PATH: process.env.PATH, HOME: process.env.HOME, DATA_DIR: dir, LOG_LEVEL: 'warn', ...(pg ? { DATABASE_URL: pg.url } : {}) };
    for (const s of ['acme', 'other']) expect((await segl('service', 'create', s, '--password', 'password-123')).code).toBe(0);
  }, 60_000);
  afterAll(async () => {
    await pg?.drop();
    rmSync(dir, { recursive: true, force: true });
  });

  test('add node-saml’s metadata, list it, find it by entityID, refuse it twice, remove it', async () => {
    const keys = await keyAndCert('sp.cli.example');
    const sp = new SAML({
      ...nodeSamlConfig('https://sp.cli.example/metadata', 'https://sp.cli.example/acs', 'https://segl.example/saml2/sso'),
      idpCert: 'x',
      privateKey: keys.pem,
    });
    const md = file('sp.xml', sp.generateServiceProviderMetadata(null, keys.certPem));
    const added = await segl('saml', 'sp', 'add', 'acme', md);
    expect(added).toMatchObject({ code: 0, stderr: '' });
    expect(added.stdout).toBe(
      'service provider registered\nhttps://sp.cli.example/metadata\n  service: acme\n  ACS 1 (default): https://sp.cli.example/acs\n' +
        '  signing certificates: 1\n  AuthnRequestsSigned: true\n  WantAssertionsSigned: true\n',
    );
    expect((await segl('saml', 'sp', 'list', 'acme')).stdout).toContain('https://sp.cli.example/metadata\n  service: acme\n');
    expect((await segl('saml', 'sp', 'list', 'other')).stdout).toBe('');
    const found = await withDb((db) => new SamlSpRepository(db).byEntityId('https://sp.cli.example/metadata'));
    expect(found).toMatchObject({
      service: 'acme',
      acs: [{ url: 'https://sp.cli.example/acs', index: 1, isDefault: true }],
      authnRequestsSigned: true,
    });
    expect(Buffer.from(found!.certificates[0]!).toString('base64')).toBe(keys.certPem.replace(/-----[A-Z ]+-----|\s/g, ''));

    const before = await rows();
    expect(await segl('saml', 'sp', 'add', 'other', md)).toEqual({
      code: 1,
      stdout: '',
      stderr: 'segl: entityID https://sp.cli.example/metadata is already registered for service "acme"; remove it first\n',
    });
    expect(await rows()).toBe(before);
    expect((await segl('saml', 'sp', 'remove', 'other', 'https://sp.cli.example/metadata')).stderr).toBe(
      'segl: service "other" has no service provider https://sp.cli.example/metadata\n',
    );
    expect(await segl('saml', 'sp', 'remove', 'acme', 'https://sp.cli.example/metadata')).toEqual({
      code: 0,
      stdout: 'service provider https://sp.cli.example/metadata of acme removed\n',
      stderr: '',
    });
    expect(await rows()).toBe('[]');
  }, 120_000);

  const CERT_BAD =
    '<md:KeyDescriptor use="signing"><ds:KeyInfo><ds:X509Data><ds:X509Certificate>bm90IGEgY2VydA==</ds:X509Certificate></ds:X509Data></ds:KeyInfo></md:KeyDescriptor>';
  const bad: Array<[string, string, string]> = [
    [
      'a DTD',
      `<!DOCTYPE x [<!ENTITY e "e">]>${spMetadata(ACS).replace('<?xml version="1.0"?>\n', '')}`,
      'the metadata is not well-formed XML segl accepts',
    ],
    ['not metadata', '<html xmlns="http://www.w3.org/1999/xhtml"/>', 'the root element must be md:EntityDescriptor'],
    ['no entityID', spMetadata(ACS).replace(' entityID="https://hand.example/sp"', ''), 'md:EntityDescriptor entityID must be a URI'],
    [
      'an IdP, not an SP',
      spMetadata(ACS).replace(/SPSSODescriptor/g, 'IDPSSODescriptor'),
      'must hold exactly one md:SPSSODescriptor (it holds 0)',
    ],
    [
      'SAML 1.1 only',
      spMetadata(ACS, 'protocolSupportEnumeration="urn:oasis:names:tc:SAML:1.1:protocol"'),
      'protocolSupportEnumeration must include',
    ],
    [
      'no HTTP-POST ACS',
      spMetadata(ACS.replace('HTTP-POST', 'HTTP-Artifact')),
      'has no md:AssertionConsumerService with the HTTP-POST binding',
    ],
    [
      'a javascript: ACS',
      spMetadata(ACS.replace('https://hand.example/acs', 'javascript:alert(1)')),
      'Location "javascript:alert(1)" must be an absolute http or https URL',
    ],
    ['an ACS without index', spMetadata(ACS.replace(' index="1"', '')), 'index must be an unsigned short'],
    ['two ACS with one index', spMetadata(ACS + ACS), 'index 1 is used twice'],
    [
      'a bad boolean',
      spMetadata(ACS, 'protocolSupportEnumeration="urn:oasis:names:tc:SAML:2.0:protocol" WantAssertionsSigned="yes"'),
      'WantAssertionsSigned="yes" is not an xs:boolean',
    ],
    ['a certificate that is not one', spMetadata(CERT_BAD + ACS), 'ds:X509Certificate in md:KeyDescriptor is not a DER X.509 certificate'],
    [
      'signed requests without a certificate',
      spMetadata(ACS, 'protocolSupportEnumeration="urn:oasis:names:tc:SAML:2.0:protocol" AuthnRequestsSigned="true"'),
      'AuthnRequestsSigned="true" but no md:KeyDescriptor with a signing certificate',
    ],
  ];
  test.each(bad)(
    'refused, nothing stored: %s',
    async (_what, xml, message) => {
      const before = await rows();
      const f = file('bad.xml', xml);
      const r = await segl('saml', 'sp', 'add', 'acme', f);
      expect(r.code).toBe(1);
      expect(r.stdout).toBe('');
      expect(r.stderr).toContain(`segl: ${f}: `);
      expect(r.stderr).toContain(message);
      expect(await rows()).toBe(before);
    },
    60_000,
  );

  test('the replay cache: an AuthnRequest ID is taken once per SP; an expired entry is dropped and the ID may come again', async () => {
    const r = await segl('saml', 'sp', 'add', 'other', file('replay.xml', spMetadata(ACS, undefined, 'https://replay.example/sp')));
    expect(r.code).toBe(0);
    await withDb(async (db) => {
      const repo = new SamlSpRepository(db);
      const sp = (await repo.byEntityId('https://replay.example/sp'))!;
      const t0 = new Date('2026-12-07T10:00:00Z');
      const until = new Date('2026-12-07T10:06:00Z');
      expect(await repo.takeRequestId(sp.id, '_r1', until, t0)).toBe(true);
      expect(await repo.takeRequestId(sp.id, '_r1', until, new Date('2026-12-07T10:05:00Z'))).toBe(false);
      expect(await repo.takeRequestId(sp.id, '_r2', until, t0)).toBe(true);
      // past keepUntil the entry is gone (a request that old is refused as stale before this)
      expect(await repo.takeRequestId(sp.id, '_r1', new Date('2026-12-07T10:20:00Z'), new Date('2026-12-07T10:07:00Z'))).toBe(true);
      // removing the SP removes its entries
      expect(await repo.remove(sp.serviceId, sp.entityId)).toBe(true);
      const left = await sqlDatabase(db).tx((q) => q.all('SELECT * FROM saml_request_seen WHERE sp_id = ?', [sp.id]));
      expect(left).toEqual([]);
    });
  }, 60_000);

  test('the hand-written metadata itself is accepted (the refusals above are about what each changes)', async () => {
    const r = await segl('saml', 'sp', 'add', 'acme', file('good.xml', spMetadata(ACS)));
    expect(r).toMatchObject({ code: 0, stderr: '' });
    expect(r.stdout).toContain('AuthnRequestsSigned: false\n  WantAssertionsSigned: true\n');
    expect((await segl('saml', 'sp', 'add', 'nope', file('good.xml', spMetadata(ACS)))).stderr).toBe('segl: no service "nope"\n');
  }, 60_000);
});

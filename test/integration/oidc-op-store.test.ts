// The OpenID provider's storage on segl's database (SQLite and PostgreSQL): clients with their
// secrets sealed at rest; oidc-provider's entries sealed, found by id and uid until they expire,
// consumed exactly once however many callers race, revoked by grant, and purged once expired; and
// `segl oidc client add | list | remove` (the secret printed once, bad redirect URIs refused).
import { randomBytes } from 'node:crypto';
import { Command } from 'commander';
import { opCommands } from '../../src/eid/op/cli';
import { OidcOpRepository } from '../../src/store/oidcop';
import { databases, startServer, type TestServer } from '../support/server';

jest.setTimeout(120_000);

describe.each(databases())('OIDC provider storage (%s)', (db) => {
  let s: TestServer;
  let repo: OidcOpRepository;
  let other: OidcOpRepository;
  let serviceId: number;
  const at = (offsetS: number) => new Date(Date.now() + offsetS * 1000).toISOString();

  beforeAll(async () => {
    s = await startServer(db);
    repo = new OidcOpRepository(s.rt.db, s.rt.config.secret!);
    // another process's repository: same database and secret, its own connection state
    other = new OidcOpRepository(s.rt.db, s.rt.config.secret!);
    serviceId = (await s.rt.services.find('demo'))!.id;
  });
  afterAll(async () => {
    await s?.stop();
  });

  /** SQL with `?` placeholders, in the driver's own syntax */
  const raw = async (sql: string, p: unknown[] = []) => {
    let n = 0;
    const text = db === 'postgres' ? sql.replace(/\?/g, () => `$${++n}`) : sql;
    return (await s.rt.db.query(text, p)) as Array<Record<string, unknown>>;
  };

  it('a client: its secret sealed at rest, read back opened; removed once', async () => {
    const secret = randomBytes(32).toString('base64url');
    await repo.addClient({
      clientId: 'demo-abc',
      serviceId,
      name: 'web',
      redirectUris: ['https://app.example/cb'],
      public: false,
      tokenAuth: 'client_secret_post',
      secret,
      createdAt: at(0),
    });
    const rows = await raw('SELECT secret FROM oidc_op_client WHERE client_id = ?', ['demo-abc']);
    expect(String(rows[0]!.secret)).not.toContain(secret);
    expect(await other.findClient('demo-abc')).toMatchObject({
      serviceName: 'demo',
      redirectUris: ['https://app.example/cb'],
      public: false,
      tokenAuth: 'client_secret_post',
      secret,
    });
    expect((await repo.clients(serviceId)).map((c) => c.clientId)).toEqual(['demo-abc']);
    expect(await repo.removeClient(serviceId, 'demo-abc')).toBe(true);
    expect(await repo.removeClient(serviceId, 'demo-abc')).toBe(false);
    expect(await repo.findClient('demo-abc')).toBeUndefined();
  });

  it('an entry: sealed, found by id and uid, consumed once among racing callers', async () => {
    const payload = JSON.stringify({ accountId: 'x', nin: '0101901234', grantId: 'g1' });
    await repo.upsert('AuthorizationCode', 'code1', payload, { grantId: 'g1', uid: 'u1', expiresAt: at(60), now: at(0) });
    const stored = await raw('SELECT payload FROM oidc_op_entry WHERE id = ?', ['code1']);
    expect(String(stored[0]!.payload)).not.toContain('0101901234');
    expect(await other.find('AuthorizationCode', 'code1', at(0))).toEqual({ payload });
    expect(await other.findByUid('AuthorizationCode', 'u1', at(0))).toEqual({ payload });
    expect(await other.find('AccessToken', 'code1', at(0))).toBeUndefined();
    const won = await Promise.all([repo, other, repo, other].map((r) => r.consume('AuthorizationCode', 'code1', at(1))));
    expect(won.filter(Boolean)).toHaveLength(1);
    expect((await repo.find('AuthorizationCode', 'code1', at(2)))!.consumedAt).toBeDefined();
    // an upsert keeps the mark
    await repo.upsert('AuthorizationCode', 'code1', payload, { grantId: 'g1', expiresAt: at(60), now: at(2) });
    expect(await repo.consume('AuthorizationCode', 'code1', at(3))).toBe(false);
  });

  it('revoked by grant; expired entries are not found, not consumed, and purged', async () => {
    await repo.upsert('AccessToken', 'at1', '{"grantId":"g2"}', { grantId: 'g2', expiresAt: at(300), now: at(0) });
    await repo.upsert('AccessToken', 'at2', '{"grantId":"g3"}', { grantId: 'g3', expiresAt: at(300), now: at(0) });
    await repo.revokeByGrantId('g2');
    expect(await repo.find('AccessToken', 'at1', at(0))).toBeUndefined();
    expect(await repo.find('AccessToken', 'at2', at(0))).toBeDefined();
    await repo.upsert('AuthorizationCode', 'old', '{}', { expiresAt: at(60), now: at(0) });
    expect(await repo.find('AuthorizationCode', 'old', at(61))).toBeUndefined();
    expect(await repo.consume('AuthorizationCode', 'old', at(61))).toBe(false);
    expect(await repo.purgeExpired(at(400))).toBeGreaterThanOrEqual(2);
    expect(await raw('SELECT id FROM oidc_op_entry WHERE id IN (?, ?)', ['old', 'at2'])).toEqual([]);
  });

  it('an entry sealed for another model or id does not open', async () => {
    await repo.upsert('Session', 's1', '{"a":1}', { expiresAt: at(60), now: at(0) });
    const sealed = String((await raw('SELECT payload FROM oidc_op_entry WHERE id = ?', ['s1']))[0]!.payload);
    await repo.upsert('Grant', 'gx', '{}', { expiresAt: at(60), now: at(0) });
    await raw('UPDATE oidc_op_entry SET payload = ? WHERE model = ? AND id = ?', [sealed, 'Grant', 'gx']);
    expect(await repo.find('Grant', 'gx', at(0))).toBeUndefined();
    expect(await repo.find('Session', 's1', at(0))).toEqual({ payload: '{"a":1}' });
  });

  /** `segl oidc client …` in this process: what it printed, or the error it ended with. */
  async function segl(...args: string[]): Promise<{ out: string; error?: string }> {
    const program = new Command().exitOverride();
    opCommands(
      program,
      (f) => f(s.rt.services, s.rt.db),
      () => s.rt.config.secret!,
    );
    let out = '';
    const spy = jest.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
      out += String(chunk);
      return true;
    });
    try {
      await program.parseAsync(['oidc', 'client', ...args], { from: 'user' });
      return { out };
    } catch (e) {
      return { out, error: (e as Error).message };
    } finally {
      spy.mockRestore();
    }
  }

  it('segl oidc client add | list | remove', async () => {
    const added = await segl(
      'add',
      'demo',
      '--redirect-uri',
      'https://app.example/cb',
      '--redirect-uri',
      'http://127.0.0.1:9/cb',
      '--name',
      'Shop',
    );
    expect(added.error).toBeUndefined();
    const id = /^client_id (\S+)$/m.exec(added.out)![1]!;
    const secret = /^client_secret (\S+)$/m.exec(added.out)![1]!;
    expect(id).toMatch(/^demo-[A-Za-z0-9_-]{12}$/);
    expect(await repo.findClient(id)).toMatchObject({ name: 'Shop', secret, public: false, tokenAuth: 'client_secret_basic' });
    const pub = await segl('add', 'demo', '--public', '--redirect-uri', 'http://localhost:8765/cb');
    expect(pub.out).not.toContain('client_secret');
    const listed = await segl('list', 'demo');
    expect(listed.out).toContain(`${id}\tShop\tclient_secret_basic\thttps://app.example/cb http://127.0.0.1:9/cb`);
    expect(listed.out).toContain('\tpublic\t');
    expect(listed.out).not.toContain(secret);
    expect(await segl('remove', 'demo', id)).toMatchObject({ out: `OIDC client ${id} of demo removed\n` });
    expect((await segl('remove', 'demo', id)).error).toMatch(/has no OIDC client/);
  });

  it('segl oidc client add refuses bad input and stores nothing', async () => {
    const before = (await repo.clients(serviceId)).length;
    expect((await segl('add', 'demo')).error).toMatch(/at least one --redirect-uri/);
    expect((await segl('add', 'demo', '--redirect-uri', 'http://app.example/cb')).error).toMatch(/must be https/);
    expect((await segl('add', 'demo', '--redirect-uri', 'https://app.example/cb#x')).error).toMatch(/fragment/);
    expect((await segl('add', 'demo', '--redirect-uri', 'https://app.example/cb', '--token-auth', 'private_key_jwt')).error).toMatch(
      /--token-auth must be/,
    );
    expect((await segl('add', 'nosuch', '--redirect-uri', 'https://app.example/cb')).error).toMatch(/no service "nosuch"/);
    expect((await repo.clients(serviceId)).length).toBe(before);
  });
});

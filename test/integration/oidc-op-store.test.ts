// The OpenID provider's storage on segl's database (SQLite and PostgreSQL): clients with their
// secrets sealed at rest; oidc-provider's entries sealed, found by id and uid until they expire,
// consumed exactly once however many callers race, revoked by grant, and purged once expired.
import { randomBytes } from 'node:crypto';
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
});

// The OIDC eID method's refusals, against a provider that misbehaves on demand (test/support/rogueop.ts),
// driven over plain HTTP as a browser would (cookie carried, redirects followed by hand): a replayed
// state, a state from another browser, a replayed nonce, another issuer (in the ID token or in
// discovery), another audience, HS256 / none / an alg outside the configured list, an acr outside
// acr_values, an expired token; the JWKS refetched exactly once for an unknown kid (and not at all
// within oauth4webapi's 60 s rate limit); createRequest accepts the method for its service only.
import { Writable } from 'node:stream';
import pino from 'pino';
import { parseOidcMethodConfig } from '../../src/eid/oidc/config';
import { OidcLoginError, OidcRelyingParty, type RpMethod } from '../../src/eid/oidc/rp';
import { addOidcMethod, createOidcTask } from '../support/oidc';
import { startRogueOp, type RogueOp } from '../support/rogueop';
import { databases, startServer, type TestServer } from '../support/server';
import { faultString } from '../support/soap';

const CLIENT = { clientId: 'segl-rp', clientSecret: 'rogue-secret-0123456789abcdef' };
const CPR = '0101901234';

describe.each(databases())('OIDC eID method refusals (%s)', (db) => {
  let s: TestServer;
  let op: RogueOp;
  const logLines: string[] = [];

  beforeAll(async () => {
    op = await startRogueOp({ ...CLIENT, claims: { nin: CPR, nin_issuing_country: 'DK', name: 'Rita Rogue', idp_id: 'rita-1' } });
    const sink = new Writable({
      write(chunk: Buffer, _e, done) {
        logLines.push(...chunk.toString('utf8').split('\n').filter(Boolean));
        done();
      },
    });
    s = await startServer(db, {}, { log: pino({ level: 'debug' }, sink) });
    await addOidcMethod(s.rt, 'demo', {
      name: 'rogue',
      issuer: op.issuer,
      clientAuth: 'client_secret_basic',
      ...CLIENT,
      scope: 'openid profile',
    });
  });
  afterAll(async () => {
    await s?.stop();
    await op?.close();
  });
  beforeEach(() => {
    if (!op) return;
    op.next = {};
    op.responseIss = undefined;
  });

  const taskUrl = (requestId: string) => `${s.url}/std/docaction/demo?request_id=${requestId}&task_id=t1`;
  const history = async (requestId: string) =>
    (await s.rt.documents.requests.getRequestHistory((await s.rt.services.find('demo'))!, requestId, 't1')).map(
      (e) => `${e.event} ${e.data ?? ''}`,
    );

  /** A browser's cookie jar of one: the portal session cookie. */
  function browser() {
    let cookie = '';
    return async (url: string) => {
      const r = await fetch(url, { redirect: 'manual', headers: cookie ? { cookie } : {} });
      for (const c of r.headers.getSetCookie()) if (c.startsWith('segl_portal=')) cookie = c.split(';')[0]!;
      return r;
    };
  }

  /** Task page → the method's link → the OP (which approves at once) → the callback URL the OP sends back. */
  async function toCallback(get: ReturnType<typeof browser>, requestId: string, method = 'rogue'): Promise<string> {
    const page = await (await get(taskUrl(requestId))).text();
    const href = new RegExp(`href="([^"]*oidc/start[^"]*method=${method})"`).exec(page)?.[1]?.replace(/&amp;/g, '&');
    if (!href) throw new Error(`no link to ${method} on the task page`);
    const start = await get(`${s.url}${href}`);
    expect(start.status).toBe(303);
    const authorize = new URL(start.headers.get('location')!);
    expect(authorize.origin).toBe(op.url);
    expect(authorize.searchParams.get('code_challenge_method')).toBe('S256');
    const approved = await fetch(authorize, { redirect: 'manual' });
    return approved.headers.get('location')!;
  }

  async function newTask(nationalId: string | undefined = `${CPR.slice(0, 6)}-${CPR.slice(6)}`): Promise<string> {
    const { requestId, text } = await createOidcTask(s.endpoint, s.demoPassword, { method: 'rogue', nationalId });
    if (!requestId) throw new Error(text);
    return requestId;
  }

  it('logs in; the same callback again (a replayed state) is refused and changes nothing', async () => {
    const requestId = await newTask();
    const get = browser();
    const callback = await toCallback(get, requestId);
    const done = await get(callback);
    expect([done.status, done.headers.get('location')]).toEqual([303, `/std/docaction/demo?request_id=${requestId}&task_id=t1`]);
    const replay = await get(callback);
    expect(replay.status).toBe(400);
    expect(await replay.text()).toContain('The login took too long or was already used');
    expect((await history(requestId)).filter((e) => e.startsWith('user-authenticated'))).toEqual([
      'user-authenticated rogue (OpenID Connect)',
    ]);
  });

  it('refuses a callback in another browser than the one that began the login, and uses its state up', async () => {
    const requestId = await newTask();
    const callback = await toCallback(browser(), requestId);
    const other = await browser()(callback);
    expect(other.status).toBe(400);
    expect(await history(requestId)).not.toContainEqual(expect.stringMatching(/^user-authenticated/));
  });

  const refusedWith = async (detail: RegExp, status = 401) => {
    const requestId = await newTask();
    const get = browser();
    const answer = await get(await toCallback(get, requestId));
    expect(answer.status).toBe(status);
    expect(await answer.text()).toContain('did not succeed');
    const events = await history(requestId);
    expect(events).not.toContainEqual(expect.stringMatching(/^user-authenticated/));
    expect(events).toContainEqual(expect.stringMatching(detail));
  };

  it('refuses a replayed nonce (an ID token of an earlier login)', async () => {
    const first = await newTask();
    const get = browser();
    await get(await toCallback(get, first));
    op.next = { nonce: op.lastNonce };
    await refusedWith(/^user-authentication-cancelled eid-error=broker-refused: .*claim "nonce"/);
  });

  it('refuses an ID token from another issuer', async () => {
    op.next = { iss: 'https://broker.example/other' };
    await refusedWith(/broker-refused: .*claim "iss"/);
  });

  it('refuses an authorization response whose RFC 9207 iss is another issuer, or missing though advertised', async () => {
    op.responseIss = 'https://broker.example/other';
    await refusedWith(/broker-refused: .*parameter "iss"|"iss"/);
    op.responseIss = null;
    await refusedWith(/broker-refused: .*parameter "iss"|"iss"/);
  });

  it('refuses an ID token for another audience, or for several without azp', async () => {
    op.next = { aud: 'someone-else' };
    await refusedWith(/broker-refused: .*claim "aud"/);
    op.next = { aud: [CLIENT.clientId, 'someone-else'] };
    await refusedWith(/broker-refused: .*claim "aud"/);
  });

  it('refuses alg none, HS256, and PS256 when the method accepts RS256 only', async () => {
    op.next = { alg: 'none' };
    await refusedWith(/broker-refused: .*alg|unsupported/i);
    op.next = { alg: 'HS256' };
    await refusedWith(/broker-refused: .*alg|unsupported/i);
    await addOidcMethod(s.rt, 'demo', {
      name: 'rogue',
      issuer: op.issuer,
      clientAuth: 'client_secret_basic',
      ...CLIENT,
      idTokenAlgs: ['RS256'],
    });
    op.next = { alg: 'PS256' };
    await refusedWith(/broker-refused: .*alg "PS256".*client configuration/);
    await addOidcMethod(s.rt, 'demo', { name: 'rogue', issuer: op.issuer, clientAuth: 'client_secret_basic', ...CLIENT });
  });

  it('refuses an expired ID token (beyond 60 s of skew) and an acr outside acr_values', async () => {
    const now = Math.floor(Date.now() / 1000);
    op.next = { iat: now - 600, exp: now - 90 };
    await refusedWith(/broker-refused: .*claim "exp"/);
    await addOidcMethod(s.rt, 'demo', {
      name: 'rogue',
      issuer: op.issuer,
      clientAuth: 'client_secret_basic',
      ...CLIENT,
      acrValues: ['urn:high'],
    });
    op.next = { acr: 'urn:low' };
    await refusedWith(/broker-refused: .*acr/);
    await addOidcMethod(s.rt, 'demo', { name: 'rogue', issuer: op.issuer, clientAuth: 'client_secret_basic', ...CLIENT });
  });

  it('refuses a broker whose discovery document names another issuer (the issuer is pinned)', async () => {
    await addOidcMethod(s.rt, 'demo', { name: 'rogue', issuer: op.issuer, clientAuth: 'client_secret_basic', ...CLIENT, label: 'renamed' });
    op.discoveryIssuer = 'https://broker.example/other';
    try {
      const requestId = await newTask();
      const get = browser();
      const page = await (await get(taskUrl(requestId))).text();
      const href = /href="([^"]*oidc\/start[^"]*)"/.exec(page)![1]!.replace(/&amp;/g, '&');
      const start = await get(`${s.url}${href}`);
      expect(start.status).toBe(503);
      expect(await history(requestId)).toContainEqual(
        expect.stringMatching(/^user-authentication-cancelled eid-error=method-unavailable: .*discovery/),
      );
    } finally {
      op.discoveryIssuer = undefined;
      await addOidcMethod(s.rt, 'demo', { name: 'rogue', issuer: op.issuer, clientAuth: 'client_secret_basic', ...CLIENT });
    }
  });

  it('createRequest accepts the method for its own service only, with a clear fault elsewhere', async () => {
    await s.rt.services.create('other', 'other-password-1');
    const r = await createOidcTask(s.endpoint, 'other-password-1', { method: 'rogue', service: 'other' });
    expect(r.requestId).toBeUndefined();
    expect(faultString(r.text)).toMatch(/request\[0\]\/task\[0\]\/authentication\/method\[0\]: "rogue" is not a known eID method here/);
    expect((await createOidcTask(s.endpoint, s.demoPassword, { method: 'rogue' })).requestId).toEqual(expect.any(String));
    // not as an authentication-based signature while its config's use does not say so: the task could not be signed
    const abs = await createOidcTask(s.endpoint, s.demoPassword, { method: 'rogue', signature: 'rogue' });
    expect(faultString(abs.text)).toMatch(/authentication-based-signature\[0\]\/method\[0\]: "rogue" is not a known eID method here/);
    // once it does, at once (createRequest's short cache of the names is dropped by a change in this process)
    await addOidcMethod(s.rt, 'demo', {
      name: 'rogue',
      issuer: op.issuer,
      clientAuth: 'client_secret_basic',
      ...CLIENT,
      use: ['authentication', 'authentication-based-signature'],
    });
    expect((await createOidcTask(s.endpoint, s.demoPassword, { method: 'rogue', signature: 'rogue' })).requestId).toEqual(
      expect.any(String),
    );
  });

  it('writes no national id to the log', () => {
    expect(logLines.length).toBeGreaterThan(0);
    expect(logLines.filter((l) => l.includes(CPR) || l.includes(`${CPR.slice(0, 6)}-${CPR.slice(6)}`))).toEqual([]);
  });
});

describe('the OIDC relying party and the JWKS of a broker that rotates its key', () => {
  let op: RogueOp;
  beforeAll(async () => {
    op = await startRogueOp({ ...CLIENT, claims: { nin: CPR, name: 'Rita Rogue' } });
  });
  afterAll(() => op.close());

  it('refetches the JWKS exactly once for an unknown kid (and not within 60 s of the last fetch)', async () => {
    const caches = new Map();
    const rp = new OidcRelyingParty({ allowHttp: true, jwksCaches: caches });
    const m: RpMethod = {
      key: 'rogue',
      config: parseOidcMethodConfig(JSON.stringify({ name: 'rogue', issuer: op.issuer, clientAuth: 'client_secret_basic', ...CLIENT })),
      clientSecret: CLIENT.clientSecret,
    };
    const loginWith = async (relyingParty: OidcRelyingParty) => {
      const { url, begun } = await relyingParty.begin(m, { redirectUri: 'http://127.0.0.1:9/cb', lang: 'en' });
      const back = (await fetch(url, { redirect: 'manual' })).headers.get('location')!;
      return relyingParty.finish(m, new URL(back), begun);
    };
    const login = () => loginWith(rp);
    expect((await login()).mapped.nationalId).toBe(CPR);
    expect(op.counts['/jwks']).toBe(1);
    // a kid the JWKS does not have, 0 s after the keys were fetched: refused without a refetch
    op.next = { unpublishedKey: true };
    await expect(login()).rejects.toMatchObject({ kind: 'refused', message: expect.stringMatching(/no applicable keys/) });
    expect(op.counts['/jwks']).toBe(1);
    // the keys are 2 minutes old and the broker has rotated: one refetch, and the login passes
    const cached = caches.get(op.issuer) as { uat: number };
    caches.set(op.issuer, { ...cached, uat: cached.uat - 120 });
    const aged = new OidcRelyingParty({ allowHttp: true, jwksCaches: caches });
    op.rotate();
    op.next = {};
    const again = () => loginWith(aged);
    expect((await again()).mapped.nationalId).toBe(CPR);
    expect(op.counts['/jwks']).toBe(2);
    await again();
    expect(op.counts['/jwks']).toBe(2);
    expect(OidcLoginError).toBeDefined();
  });
});

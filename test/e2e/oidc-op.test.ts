// segl's OpenID provider for integrators, end to end: openid-client (a certified relying-party
// library, not segl's code) discovers /oidc, sends headless Chromium through a real test-eID login
// (authorization code + PKCE S256, nonce, state, acr_values, ui_locales), redeems the code, validates
// the ID token (signature against the published JWKS, iss, aud, exp, nonce, RFC 9207 `iss` in the
// response) and reads userinfo. The claims follow the PID-CPR rule (the national id and birth date
// only when released); `sub` is stable per service. A second runtime on the same database redeems a
// code only once between the two. Refusals: an unregistered redirect_uri (an error page, nothing
// redirected), missing PKCE, a wrong client secret, a wrong code_verifier, a code replayed (which
// revokes what it issued), cancel and a wrong person (access_denied at the redirect_uri), a method
// segl does not run (temporarily_unavailable); with JavaScript off a link carries the answer; no
// national id in any log line.
import { randomBytes, X509Certificate } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import type { Server } from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import express from 'express';
import * as oidc from 'openid-client';
import pino from 'pino';
import type { Browser, Page } from 'playwright-core';
import { loadConfig } from '../../src/config';
import { pairwiseSub } from '../../src/eid/op/provider';
import { startRuntime, type Runtime } from '../../src/runtime';
import { OidcOpRepository } from '../../src/store/oidcop';
import type { TestUser } from '../../src/eid/testid/users';
import { launchChromium } from '../support/chromium';
import { databases, freshPgDatabase, type DbKind } from '../support/server';

jest.setTimeout(240_000);

const DB: DbKind = databases().includes('postgres') ? 'postgres' : 'sqlite';
const SECRET = randomBytes(32).toString('base64url');

describe(`segl's OpenID provider with openid-client and Chromium (${DB})`, () => {
  const logLines: string[] = [];
  let dataDir: string;
  let dropPg: (() => Promise<void>) | undefined;
  let rt: Runtime;
  let rt2: Runtime;
  let url: string;
  let browser: Browser;
  let rpServer: Server;
  let rpUrl = '';
  const rpHits: string[] = [];
  let user: TestUser & { password: string };
  let clientId = '';
  let clientSecret = '';
  let publicId = '';
  let config: oidc.Configuration;

  const env = (dbUrl?: string) => ({
    PORT: '0',
    HOST: '127.0.0.1',
    DATA_DIR: dataDir,
    LOG_LEVEL: 'silent',
    SEGL_SECRET: SECRET,
    SEGL_DEMO_PASSWORD: 'demo-password-1',
    ...(dbUrl ? { DATABASE_URL: dbUrl } : {}),
    ...(process.env.TEST_REDIS_URL ? { REDIS_URL: process.env.TEST_REDIS_URL } : {}),
    SEGL_QUEUE_PREFIX: `segl-test-${process.pid}-${Math.random().toString(36).slice(2, 8)}`,
  });

  beforeAll(async () => {
    dataDir = mkdtempSync(path.join(os.tmpdir(), 'segl-op-'));
    let dbUrl: string | undefined;
    if (DB === 'postgres') {
      const pg = await freshPgDatabase();
      dbUrl = pg.url;
      dropPg = pg.drop;
    }
    const sink = new Writable({
      write(chunk: Buffer, _enc, done) {
        logLines.push(...chunk.toString('utf8').split('\n').filter(Boolean));
        done();
      },
    });
    rt = await startRuntime(loadConfig(env(dbUrl)), { http: true, worker: false, log: pino({ level: 'debug' }, sink) });
    url = rt.url!;
    // a second api process's view: another runtime on the same database and secret
    rt2 = await startRuntime(loadConfig(env(dbUrl)), { http: true, worker: false, log: pino({ level: 'debug' }, sink) });

    const rp = express();
    rp.get(['/cb', '/evil'], (req, res) => {
      rpHits.push(req.originalUrl);
      res.type('html').send('<h1>back at the relying party</h1>');
    });
    rpServer = await new Promise<Server>((resolve) => {
      const srv = rp.listen(0, '127.0.0.1', () => resolve(srv));
    });
    rpUrl = `http://127.0.0.1:${(rpServer.address() as { port: number }).port}`;

    const password = 'pw-opuser-123';
    user = { ...(await rt.testid!.createUser({ ...rt.testid!.autofill(), alias: 'opuser', password })), password };
    const demo = (await rt.services.find('demo'))!;
    const repo = new OidcOpRepository(rt.db, rt.config.secret!);
    clientId = 'demo-test-client';
    clientSecret = 'a-client-secret-of-the-demo-service-123';
    const now = new Date().toISOString();
    await repo.addClient({
      clientId,
      serviceId: demo.id,
      name: 'demo web',
      redirectUris: [`${rpUrl}/cb`],
      public: false,
      tokenAuth: 'client_secret_basic',
      secret: clientSecret,
      createdAt: now,
    });
    publicId = 'demo-public-client';
    await repo.addClient({
      clientId: publicId,
      serviceId: demo.id,
      name: 'demo app',
      redirectUris: [`${rpUrl}/cb`],
      public: true,
      tokenAuth: 'client_secret_basic',
      createdAt: now,
    });
    config = await oidc.discovery(new URL(`${url}/oidc`), clientId, clientSecret, oidc.ClientSecretBasic(clientSecret), {
      execute: [oidc.allowInsecureRequests],
    });
    browser = await launchChromium();
  });
  afterAll(async () => {
    await browser?.close();
    if (rpServer) await new Promise((r) => rpServer.close(r));
    await rt2?.close();
    await rt?.close();
    await dropPg?.();
    rmSync(dataDir, { recursive: true, force: true });
  });

  const codeFor = async (keyNumber: string) => {
    for (const card of await rt.testid!.keyCards(user.alias))
      for (const c of card.codes) if (c.keyNumber === keyNumber && !c.used) return c.code;
    throw new Error(`no code ${keyNumber}`);
  };

  /** An authorization request with fresh PKCE, nonce and state. */
  async function authorization(extra: Record<string, string> = {}, cfg = config) {
    const verifier = oidc.randomPKCECodeVerifier();
    const nonce = oidc.randomNonce();
    const state = oidc.randomState();
    const href = oidc.buildAuthorizationUrl(cfg, {
      redirect_uri: `${rpUrl}/cb`,
      scope: 'openid profile nin',
      code_challenge: await oidc.calculatePKCECodeChallenge(verifier),
      code_challenge_method: 'S256',
      nonce,
      state,
      acr_values: 'urn:signicat:oidc:method:nemid',
      ui_locales: 'en',
      ...extra,
    });
    return { href, verifier, nonce, state };
  }

  /** Chromium from the authorization URL through the test eID; `cpr`: type it, or go on without. Returns the callback URL. */
  function login(href: URL, cpr: 'type' | 'skip'): Promise<URL> {
    return browse(href, async (tab) => {
      await eid(tab);
      await tab.locator('#cpr').waitFor();
      if (cpr === 'type') {
        await tab.fill('#cpr', user.cpr);
        await tab.click('button[value=next]');
      } else await tab.click('button[value=skip]');
    });
  }

  /** A fresh browser at `href`, `act` in it, until it is back at the relying party: that URL. */
  async function browse(href: URL, act: (tab: Page) => Promise<void>, javaScriptEnabled = true): Promise<URL> {
    const ctx = await browser.newContext({ javaScriptEnabled });
    const tab = await ctx.newPage();
    try {
      await tab.goto(href.href);
      await act(tab);
      await tab.waitForURL(`${rpUrl}/cb?**`, { timeout: 15_000 }).catch(async (e: Error) => {
        throw new Error(`${e.message}\nat ${tab.url()}: ${await tab.locator('body').innerText()}`);
      });
      return new URL(tab.url());
    } finally {
      await ctx.close();
    }
  }

  async function eid(tab: Page): Promise<void> {
    await tab.fill('#user', user.alias);
    await tab.fill('#password', user.password);
    await tab.click('button[value=next]');
    const keyNumber = /key number (\d+)/.exec(await tab.locator('main').innerText())![1]!;
    await tab.fill('#code', await codeFor(keyNumber));
    await tab.click('button[value=next]');
  }

  const tokenRequest = (base: string, form: Record<string, string>, auth = `${clientId}:${clientSecret}`) =>
    fetch(`${base}/oidc/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: `Basic ${Buffer.from(auth).toString('base64')}` },
      body: new URLSearchParams(form),
    });

  /** A login in Chromium (CPR skipped) and the token request form for its code. */
  async function codeGrantForm(): Promise<Record<string, string>> {
    const a = await authorization();
    const back = await login(a.href, 'skip');
    return {
      grant_type: 'authorization_code',
      code: back.searchParams.get('code')!,
      redirect_uri: `${rpUrl}/cb`,
      code_verifier: a.verifier,
    };
  }

  let firstSub = '';

  it('code + PKCE with the CPR released: a valid ID token and userinfo with every claim', async () => {
    const a = await authorization();
    const back = await login(a.href, 'type');
    expect(back.searchParams.get('iss')).toBe(`${url}/oidc`);
    const tokens = await oidc.authorizationCodeGrant(config, back, {
      pkceCodeVerifier: a.verifier,
      expectedNonce: a.nonce,
      expectedState: a.state,
      idTokenExpected: true,
    });
    expect(tokens.refresh_token).toBeUndefined();
    const claims = tokens.claims()!;
    const born = `${user.cpr.slice(4, 6)}`;
    expect(claims).toMatchObject({
      iss: `${url}/oidc`,
      aud: clientId,
      nonce: a.nonce,
      acr: 'urn:signicat:oidc:method:nemid',
      idp: 'nemid',
      name: user.name,
      given_name: user.firstName,
      family_name: user.lastName,
      nin: user.cpr,
      nin_type: 'PERSON',
      nin_issuing_country: 'DK',
    });
    expect(String(claims.birthdate)).toMatch(new RegExp(`^\\d\\d${born}-${user.cpr.slice(2, 4)}-${user.cpr.slice(0, 2)}$`));
    expect(claims.sub).not.toContain(user.pid);
    expect(claims.sub).toBe(pairwiseSub(SECRET, 'demo', user.pid));
    firstSub = claims.sub;
    const info = await oidc.fetchUserInfo(config, tokens.access_token, claims.sub);
    expect(info).toMatchObject({ sub: claims.sub, name: user.name, nin: user.cpr, nin_type: 'PERSON', idp: 'nemid' });
    // the ID token is RS256 by a key of the published JWKS, which carries the test PKI's certificate
    const header = JSON.parse(Buffer.from(tokens.id_token!.split('.')[0]!, 'base64url').toString()) as { alg: string; kid: string };
    expect(header.alg).toBe('RS256');
    const jwks = (await (await fetch(`${url}/oidc/jwks`)).json()) as { keys: Array<{ kid: string; x5c?: string[]; d?: string }> };
    const key = jwks.keys.find((k) => k.kid === header.kid)!;
    expect(key.d).toBeUndefined();
    expect(new X509Certificate(Buffer.from(key.x5c![0]!, 'base64')).subject).toContain(`${new URL(url).host}/oidc`);
  });

  it('the CPR not released: no nin and no birthdate; the same sub', async () => {
    const a = await authorization();
    const back = await login(a.href, 'skip');
    const tokens = await oidc.authorizationCodeGrant(config, back, {
      pkceCodeVerifier: a.verifier,
      expectedNonce: a.nonce,
      expectedState: a.state,
    });
    const claims = tokens.claims()!;
    expect(claims.sub).toBe(firstSub);
    expect(claims.name).toBe(user.name);
    for (const k of ['nin', 'nin_type', 'nin_issuing_country', 'birthdate']) expect(claims[k]).toBeUndefined();
    const info = await oidc.fetchUserInfo(config, tokens.access_token, claims.sub);
    expect(info.nin).toBeUndefined();
    expect(info.birthdate).toBeUndefined();
  });

  it('two runtimes on one database: the code is redeemed once; a replay is refused and revokes the tokens', async () => {
    const form = await codeGrantForm();
    const answers = await Promise.all([tokenRequest(url, form), tokenRequest(rt2.url!, form)]);
    const statuses = answers.map((r) => r.status).sort();
    expect(statuses).toEqual([200, 400]);
    const won = answers.find((r) => r.status === 200)!;
    const lost = answers.find((r) => r.status === 400)!;
    expect(await lost.json()).toMatchObject({ error: 'invalid_grant' });
    const access = ((await won.json()) as { access_token: string }).access_token;
    // a third try on the first runtime: refused, and what the code issued is revoked
    const replay = await tokenRequest(url, form);
    expect(replay.status).toBe(400);
    expect(await replay.json()).toMatchObject({ error: 'invalid_grant' });
    const info = await fetch(`${url}/oidc/me`, { headers: { authorization: `Bearer ${access}` } });
    expect(info.status).toBe(401);
  });

  it('a wrong client secret and a wrong code_verifier are refused; the right ones then work', async () => {
    const form = await codeGrantForm();
    const badSecret = await tokenRequest(url, form, `${clientId}:not-the-secret`);
    expect(badSecret.status).toBe(401);
    expect(await badSecret.json()).toMatchObject({ error: 'invalid_client' });
    const badVerifier = await tokenRequest(url, { ...form, code_verifier: oidc.randomPKCECodeVerifier() });
    expect(badVerifier.status).toBe(400);
    expect(await badVerifier.json()).toMatchObject({ error: 'invalid_grant' });
    const ok = await tokenRequest(url, form);
    expect(ok.status).toBe(200);
    expect(await ok.json()).toMatchObject({ token_type: 'Bearer', id_token: expect.any(String) });
  });

  it('a public client: PKCE and no secret', async () => {
    const pub = await oidc.discovery(new URL(`${url}/oidc`), publicId, undefined, oidc.None(), { execute: [oidc.allowInsecureRequests] });
    const a = await authorization({}, pub);
    const back = await login(a.href, 'skip');
    const tokens = await oidc.authorizationCodeGrant(pub, back, {
      pkceCodeVerifier: a.verifier,
      expectedNonce: a.nonce,
      expectedState: a.state,
    });
    expect(tokens.claims()!.sub).toBe(firstSub);
  });

  it('an unregistered redirect_uri: an error page at segl, nothing redirected', async () => {
    const a = await authorization({ redirect_uri: `${rpUrl}/evil` });
    const before = rpHits.length;
    const ctx = await browser.newContext();
    const tab = await ctx.newPage();
    const r = await tab.goto(a.href.href);
    expect(r!.status()).toBe(400);
    expect(tab.url().startsWith(`${url}/oidc/`)).toBe(true);
    expect(await tab.locator('h1').innerText()).toBe('This login cannot start');
    expect(await tab.locator('main').innerText()).toContain('redirect_uri');
    await ctx.close();
    expect(rpHits.length).toBe(before);
    // the same by HTTP: no Location
    const plain = await fetch(a.href, { redirect: 'manual' });
    expect(plain.status).toBe(400);
    expect(plain.headers.get('location')).toBeNull();
  });

  it('no PKCE: invalid_request at the redirect_uri, no login started', async () => {
    const a = await authorization();
    a.href.searchParams.delete('code_challenge');
    a.href.searchParams.delete('code_challenge_method');
    const r = await fetch(a.href, { redirect: 'manual' });
    expect(r.status).toBe(303);
    const to = new URL(r.headers.get('location')!);
    expect(to.origin + to.pathname).toBe(`${rpUrl}/cb`);
    expect(to.searchParams.get('error')).toBe('invalid_request');
    expect(to.searchParams.get('error_description')).toMatch(/PKCE/);
    expect(to.searchParams.get('iss')).toBe(`${url}/oidc`);
  });

  it('cancel: access_denied with the eID catalogue message at the redirect_uri', async () => {
    const a = await authorization();
    const back = await browse(a.href, (tab) => tab.click('button[value=cancel]'));
    expect(back.searchParams.get('error')).toBe('access_denied');
    expect(back.searchParams.get('error_description')).toBe('The process was aborted by the end user');
    expect(back.searchParams.get('state')).toBe(a.state);
    await expect(oidc.authorizationCodeGrant(config, back, { pkceCodeVerifier: a.verifier, expectedState: a.state })).rejects.toMatchObject(
      {
        error: 'access_denied',
      },
    );
  });

  it('with JavaScript off: the answer page has a link back to the provider, which sends the code', async () => {
    const a = await authorization();
    const back = await browse(
      a.href,
      async (tab) => {
        await eid(tab);
        await tab.click('button[value=skip]');
        const link = tab.locator('a#oidc-continue');
        await link.waitFor();
        expect(tab.url()).toContain(`${url}/std/login/demo/cpr`);
        await link.click();
      },
      false,
    );
    const tokens = await oidc.authorizationCodeGrant(config, back, {
      pkceCodeVerifier: a.verifier,
      expectedNonce: a.nonce,
      expectedState: a.state,
    });
    expect(tokens.claims()!.sub).toBe(firstSub);
  });

  it("another person's CPR number three times: access_denied (wrong-person) at the redirect_uri", async () => {
    const someone = rt.testid!.autofill().cpr;
    const a = await authorization();
    const back = await browse(a.href, async (tab) => {
      await eid(tab);
      for (let i = 0; i < 3; i++) {
        await tab.locator('#cpr').fill(someone);
        await tab.click('button[value=next]');
      }
    });
    expect(back.searchParams.get('error')).toBe('access_denied');
    expect(back.searchParams.get('error_description')).toBe('The person who logged in is not the one asked for');
    expect(back.searchParams.get('code')).toBeNull();
  });

  it('acr_values of a method segl does not run: temporarily_unavailable at the redirect_uri; ui_locales sets the language', async () => {
    const none = await authorization({ acr_values: 'urn:signicat:oidc:method:sbid' });
    const back = await browse(none.href, async () => undefined);
    expect(back.searchParams.get('error')).toBe('temporarily_unavailable');
    expect(back.searchParams.get('error_description')).toBe('The eID method is not available now');
    const da = await authorization({ ui_locales: 'da' });
    const ctx = await browser.newContext();
    const tab = await ctx.newPage();
    await tab.goto(da.href.href);
    expect(tab.url()).toContain(`${url}/std/login/demo?tx=`);
    expect(await tab.locator('html').getAttribute('lang')).toBe('da');
    await ctx.close();
  });

  it('no log line carries the national id', () => {
    expect(logLines.length).toBeGreaterThan(0);
    expect(logLines.filter((l) => l.includes(user.cpr))).toEqual([]);
    expect(logLines.some((l) => l.includes('login finished') && l.includes('"door":"oidc"'))).toBe(true);
  });
});

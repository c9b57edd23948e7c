// The authentication service over HTTP (a real segl, SQLite and PostgreSQL): /std/method/{service}
// refuses unknown services and methods and every target not on the service's allowlist with an
// error page (nothing is started, nothing is posted); a test-eID login through the login core's
// pages ends in a page that POSTs a signed SAML 1.1 Response to the target; PID-CPR decides whether
// the CPR is released (lookup for a public service; typed and matched, or skipped); cancel, a locked
// user and a wrong person end as Responder answers with their codes; a transaction answers once and
// only in the browser that started it; no log line carries a CPR.
import { execFile } from 'node:child_process';
import { X509Certificate } from 'node:crypto';
import path from 'node:path';
import { promisify } from 'node:util';
import { Writable } from 'node:stream';
import { DOMParser } from '@xmldom/xmldom';
import pino from 'pino';
import { SignedXml } from 'xml-crypto';
import { AuthnRepository } from '../../src/store/authn';
import { ProfileRepository } from '../../src/store/profiles';
import type { TestUser } from '../../src/eid/testid/users';
import { mainText, PortalClient } from '../support/portalclient';
import { databases, startServer, type TestServer } from '../support/server';
import { REPO } from '../support/soap';

const exec = promisify(execFile);

jest.setTimeout(120_000);

const TARGET = 'https://rp.example/auth/verify';

describe.each(databases())('SAML 1.1 authentication service (%s)', (db) => {
  let s: TestServer;
  const logLines: string[] = [];
  let user: TestUser & { password: string };
  let certPem: string;

  const loginCount = async () =>
    Number(((await s.rt.db.query('SELECT COUNT(*) AS n FROM login_transaction')) as Array<{ n: number | string }>)[0]!.n);

  beforeAll(async () => {
    const sink = new Writable({
      write(chunk: Buffer, _enc, done) {
        logLines.push(...chunk.toString('utf8').split('\n').filter(Boolean));
        done();
      },
    });
    s = await startServer(db, { SEGL_TEST_CLOCK: '1' }, { log: pino({ level: 'debug' }, sink) });
    const draft = { ...s.rt.testid!.autofill(), alias: 'theodora', password: 'pw-theodora-1' };
    user = { ...(await s.rt.testid!.createUser(draft)), password: draft.password };
    const demo = (await s.rt.services.find('demo'))!;
    await new AuthnRepository(s.rt.db).setTargets(demo.id, ['https://rp.example/auth/'], new Date().toISOString());
    certPem = await (await fetch(`${s.url}/std/saml-certificate.pem`)).text();
  });
  afterAll(async () => {
    await s?.stop();
  });

  const codeFor = async (alias: string, keyNumber: string) => {
    for (const card of await s.rt.testid!.keyCards(alias)) {
      const hit = card.codes.find((c) => c.keyNumber === keyNumber && !c.used);
      if (hit) return hit.code;
    }
    throw new Error(`no unused code ${keyNumber} for ${alias}`);
  };

  /** GET /std/method → the login page; returns the client and the login's path. */
  async function begin(query: string, service = 'demo'): Promise<{ c: PortalClient; path: string }> {
    const c = new PortalClient(s.url);
    const r = await c.get(`/std/method/${service}?${query}`);
    expect(r.status).toBe(303);
    const path = r.location!;
    expect(path).toMatch(/^\/std\/login\/[^?]+\?tx=[A-Za-z0-9_-]{32}$/);
    const page = await c.get(path);
    expect(page.status).toBe(200);
    return { c, path };
  }

  /** User id, password and the key-card code: the answer to the code step. */
  async function eid(c: PortalClient, path: string, alias = 'theodora', password = 'pw-theodora-1') {
    const [base, q] = path.split('?');
    const r1 = await c.post(`${base}/login?${q}`, { user: alias, password });
    expect(r1.status).toBe(200);
    const keyNumber = /(?:key number|nøgle nummer) (\d+)/.exec(mainText(r1.text))![1]!;
    const challenge = /name="challenge" value="([^"]+)"/.exec(r1.text)![1]!;
    return c.post(`${base}/login/code?${q}`, { challenge, code: await codeFor(alias, keyNumber), user: alias });
  }

  /** The SAMLResponse the final page POSTs, verified against the published certificate. */
  function answer(text: string): { xml: string; action: string; target: string } {
    const action = /<form id="samlpost" method="post" action="([^"]+)"/.exec(text)![1]!.replace(/&amp;/g, '&');
    const b64 = /name="SAMLResponse" value="([^"]+)"/.exec(text)![1]!;
    const target = /name="TARGET" value="([^"]+)"/.exec(text)![1]!.replace(/&amp;/g, '&');
    const xml = Buffer.from(b64, 'base64').toString('utf8');
    const doc = new DOMParser().parseFromString(xml, 'text/xml');
    const sx = new SignedXml({ publicCert: certPem, idAttribute: 'ResponseID' });
    sx.loadSignature(doc.getElementsByTagNameNS('http://www.w3.org/2000/09/xmldsig#', 'Signature')[0] as never);
    expect(sx.checkSignature(xml)).toBe(true);
    return { xml, action, target };
  }

  it('publishes the SAML signing certificate, issued by the test PKI for <host>/std', () => {
    expect(certPem).toMatch(/^-----BEGIN CERTIFICATE-----/);
    const host = new URL(s.url).host;
    expect(new X509Certificate(certPem).subject).toContain(`CN=${host}/std`);
  });

  const refusals: Array<[string, string, string?]> = [
    ['an unknown service', `id=nemid&target=${encodeURIComponent(TARGET)}`, 'nosuch'],
    ['an unknown method', `id=bankid&target=${encodeURIComponent(TARGET)}`],
    ['a malformed id', `id=nemid:a:b:c&target=${encodeURIComponent(TARGET)}`],
    ['no target', 'id=nemid'],
    ['two targets', `id=nemid&target=${encodeURIComponent(TARGET)}&target=${encodeURIComponent(TARGET)}`],
    ['another origin', `id=nemid&target=${encodeURIComponent('https://evil.example/auth/verify')}`],
    ['another scheme', `id=nemid&target=${encodeURIComponent('http://rp.example/auth/verify')}`],
    ['another port', `id=nemid&target=${encodeURIComponent('https://rp.example:8443/auth/verify')}`],
    ['a path outside the prefix', `id=nemid&target=${encodeURIComponent('https://rp.example/other')}`],
    ['a prefix that is not a whole segment', `id=nemid&target=${encodeURIComponent('https://rp.example/authx')}`],
    ['dot segments out of the prefix', `id=nemid&target=${encodeURIComponent('https://rp.example/auth/../evil')}`],
    ['encoded dot segments', `id=nemid&target=${encodeURIComponent('https://rp.example/auth/%2e%2e/evil')}`],
    ['a scheme-relative URL', `id=nemid&target=${encodeURIComponent('//evil.example/auth/')}`],
    ['user info', `id=nemid&target=${encodeURIComponent('https://rp.example@evil.example/auth/verify')}`],
    ['user info on the right host', `id=nemid&target=${encodeURIComponent('https://ok@rp.example/auth/verify')}`],
    ['a backslash', `id=nemid&target=${encodeURIComponent('https://rp.example\\@evil.example/auth/')}`],
    ['a tab in the host', `id=nemid&target=${encodeURIComponent('https://rp.exa\tmple/auth/verify')}`],
    ['javascript:', `id=nemid&target=${encodeURIComponent('javascript:alert(1)//https://rp.example/auth/')}`],
    ['a fragment', `id=nemid&target=${encodeURIComponent('https://rp.example/auth/verify#x')}`],
    ['a service without allowlist', `id=nemid&target=${encodeURIComponent(TARGET)}`, 'other'],
  ];
  it.each(refusals)('refuses %s with a translated error page, starting nothing', async (_what, query, service = 'demo') => {
    if (service === 'other' && !(await s.rt.services.find('other'))) await s.rt.services.create('other', 'other-password-1');
    const before = await loginCount();
    const r = await fetch(`${s.url}/std/method/${service}?${query}`, { redirect: 'manual', headers: { 'accept-language': 'da' } });
    expect(r.status).toBe(400);
    expect(r.headers.get('location')).toBeNull();
    const text = await r.text();
    expect(mainText(text)).toContain('Dette login kan ikke starte');
    expect(text).not.toContain('SAMLResponse');
    expect(await loginCount()).toBe(before);
  });

  it('takes the language from id (method::lang) and accepts a trailing slash and method:profile:lang', async () => {
    const c = new PortalClient(s.url);
    for (const [id, path, heading] of [
      ['nemid::sv', '/std/method/demo', 'Logga in'],
      ['nemid:', '/std/method/demo/', 'Log in'],
      ['nemid:default:fi', '/std/method/demo/', 'Kirjaudu sisään'],
    ]) {
      const r = await c.get(`${path}?id=${encodeURIComponent(id!)}&target=${encodeURIComponent(TARGET)}`);
      expect(r.status).toBe(303);
      expect(mainText((await c.get(r.location!)).text)).toContain(heading);
    }
  });

  it('shows the login in the graphical profile id names (stylesheet, display name, its own texts)', async () => {
    const demo = (await s.rt.services.find('demo'))!;
    await new ProfileRepository(s.rt.db).set(
      demo.id,
      'corp',
      { colours: { brand: '#123456' }, displayName: 'Corp Bank', texts: { da: { 'authn.title': 'Log ind hos Corp Bank' } } },
      new Date().toISOString(),
    );
    const { c, path } = await begin(`id=nemid:corp:da&target=${encodeURIComponent(TARGET)}`);
    const page = await c.get(path);
    expect(page.text).toContain('href="/portal/profile/demo/corp.css"');
    expect(page.text).toContain('Corp Bank');
    expect(mainText(page.text)).toContain('Log ind hos Corp Bank');
    expect(mainText(page.text)).toContain('Adgangskode');
  });

  it('logs in, asks the CPR (PID-CPR match) and POSTs a signed Response with the CPR to the target', async () => {
    const { c, path } = await begin(`id=nemid::en&target=${encodeURIComponent(`${TARGET}?state=a&b=1`)}`);
    const r2 = await eid(c, path);
    expect(r2.status).toBe(200);
    expect(mainText(r2.text)).toContain('Confirm your CPR number');
    const [base, q] = path.split('?');
    const wrong = await c.post(`${base}/cpr?${q}`, { cpr: '0101701234', do: 'next' });
    expect(wrong.status).toBe(400);
    expect(mainText(wrong.text)).toContain('The CPR number does not belong to the person who logged in. Check it and try again.');
    const done = await c.post(`${base}/cpr?${q}`, { cpr: `${user.cpr.slice(0, 6)}-${user.cpr.slice(6)}`, do: 'next' });
    expect(done.status).toBe(200);
    expect(done.res.headers.get('content-security-policy')).toContain("form-action 'self' https://rp.example");
    const { xml, action, target } = answer(done.text);
    expect(action).toBe(`${TARGET}?state=a&b=1`);
    expect(target).toBe(action);
    expect(xml).toContain(`Recipient="${TARGET}?state=a&amp;b=1"`);
    expect(xml).toContain('<StatusCode Value="samlp:Success">');
    expect(xml).toContain(`<NameIdentifier Format="urn:kantega:ksi:3.0:nameid-format:fnr">${user.cpr}</NameIdentifier>`);
    expect(xml).toContain(
      `<Attribute AttributeName="national-id" AttributeNamespace="signicat"><AttributeValue>${user.cpr}</AttributeValue>`,
    );
    expect(xml).toContain(
      `<Attribute AttributeName="unique-id" AttributeNamespace="signicat"><AttributeValue>${user.pid}</AttributeValue>`,
    );
    expect(xml).toContain(`Issuer="${new URL(s.url).host}/std"`);

    // single use: the same transaction answers no more, whatever step is tried
    for (const again of [
      await c.get(path),
      await c.post(`${base}/cpr?${q}`, { cpr: user.cpr, do: 'next' }),
      await c.post(`${base}/login?${q}`, { user: 'theodora', password: 'pw-theodora-1' }),
    ]) {
      expect(again.status).toBe(410);
      expect(mainText(again.text)).toContain('This login has ended');
      expect(again.text).not.toContain('SAMLResponse');
    }
  });

  it('without the CPR (the person goes on without it): NameIdentifier = PID, no national id attributes', async () => {
    const { c, path } = await begin(`id=nemid&target=${encodeURIComponent(TARGET)}`);
    await eid(c, path);
    const [base, q] = path.split('?');
    const done = await c.post(`${base}/cpr?${q}`, { do: 'skip' });
    const { xml } = answer(done.text);
    expect(xml).toContain(`<NameIdentifier Format="urn:kantega:ksi:3.0:nameid-format:fnr">${user.pid}</NameIdentifier>`);
    expect(xml).not.toContain('national-id');
    expect(xml).not.toContain(user.cpr);
  });

  it('a public service in PID-CPR lookup mode gets the CPR without asking', async () => {
    const svc = await s.rt.services.create('kommune', 'kommune-password-1', true);
    await s.rt.pidcpr.setMode(svc, 'lookup');
    await new AuthnRepository(s.rt.db).setTargets(svc.id, ['https://rp.example/auth/'], new Date().toISOString());
    const { c, path } = await begin(`id=nemid&target=${encodeURIComponent(TARGET)}`, 'kommune');
    const done = await eid(c, path);
    const { xml } = answer(done.text);
    expect(xml).toContain(
      `<Attribute AttributeName="dk.cpr" AttributeNamespace="national-id"><AttributeValue>${user.cpr}</AttributeValue>`,
    );
    expect(xml).toContain('<AttributeValue>kommune</AttributeValue>');
  });

  it('cancel at the password step POSTs Responder with urn:signicat:error:usercancel', async () => {
    const { c, path } = await begin(`id=nemid&target=${encodeURIComponent(TARGET)}`);
    const [base, q] = path.split('?');
    const done = await c.post(`${base}/login?${q}`, { do: 'cancel' });
    const { xml } = answer(done.text);
    expect(xml).toContain(
      '<StatusCode Value="samlp:Responder"></StatusCode><StatusMessage>urn:signicat:error:usercancel; The process was aborted by the end user</StatusMessage>',
    );
    expect(xml).not.toContain('Assertion');
  });

  it('three wrong CPR numbers end as wrong-person; each refusal is said in the login language (Danish here)', async () => {
    const { c, path } = await begin(`id=nemid::da&target=${encodeURIComponent(TARGET)}`);
    await eid(c, path);
    const [base, q] = path.split('?');
    // not a CPR number at all: said, and not counted as a try
    const malformed = await c.post(`${base}/cpr?${q}`, { cpr: '12345', do: 'next' });
    expect([malformed.status, mainText(malformed.text)]).toEqual([400, expect.stringContaining('Det er ikke et CPR-nummer: 10 cifre')]);
    for (let i = 0; i < 2; i++) {
      const r = await c.post(`${base}/cpr?${q}`, { cpr: '0101701234', do: 'next' });
      expect([r.status, mainText(r.text)]).toEqual([
        400,
        expect.stringContaining('CPR-nummeret hører ikke til den person, der loggede ind.'),
      ]);
    }
    const done = await c.post(`${base}/cpr?${q}`, { cpr: '0101701234', do: 'next' });
    expect(answer(done.text).xml).toContain('<StatusMessage>urn:signicat:error:wrong-person; ');
  });

  it('a user locked by wrong passwords ends as user-locked', async () => {
    const draft = { ...s.rt.testid!.autofill(), alias: 'locky', password: 'pw-locky-123' };
    await s.rt.testid!.createUser(draft);
    const { c, path } = await begin(`id=nemid&target=${encodeURIComponent(TARGET)}`);
    const [base, q] = path.split('?');
    for (let i = 0; i < 4; i++) {
      const r = await c.post(`${base}/login?${q}`, { user: 'locky', password: 'wrong-password' });
      expect(r.status).toBe(401);
    }
    const done = await c.post(`${base}/login?${q}`, { user: 'locky', password: 'wrong-password' });
    expect(answer(done.text).xml).toContain('<StatusMessage>urn:signicat:error:user-locked; The eID is locked</StatusMessage>');
  });

  it('a revoked eID certificate ends as certificate-revoked', async () => {
    const draft = { ...s.rt.testid!.autofill(), alias: 'revoked-rita', password: 'pw-rita-1234' };
    await s.rt.testid!.createUser(draft);
    await s.rt.testid!.certificateAction('revoked-rita', 'revoke');
    const { c, path } = await begin(`id=nemid&target=${encodeURIComponent(TARGET)}`);
    const done = await eid(c, path, 'revoked-rita', 'pw-rita-1234');
    const { xml } = answer(done.text);
    expect(xml).toContain("<StatusMessage>urn:signicat:error:certificate-revoked; The user's eID certificate is revoked</StatusMessage>");
    expect(xml).not.toContain('Assertion');
  });

  it('a login belongs to the browser that started it, and POSTs need its CSRF token', async () => {
    const { c, path } = await begin(`id=nemid&target=${encodeURIComponent(TARGET)}`);
    const other = new PortalClient(s.url);
    const r = await other.get(path);
    expect(r.status).toBe(410);
    const [base, q] = path.split('?');
    const forged = await c.post(`${base}/login?${q}`, { csrf: 'x'.repeat(43), do: 'cancel' });
    expect(forged.status).toBe(403);
    expect((await c.get(path)).status).toBe(200); // still open
  });

  it('`segl service set --auth-target` sets the allowlist (each entry checked), `segl service show` lists it', async () => {
    const env = {
      ...process.env,
      DATA_DIR: s.dataDir,
      LOG_LEVEL: 'silent',
      ...(s.rt.config.databaseUrl ? { DATABASE_URL: s.rt.config.databaseUrl } : {}),
    };
    const cli = (...args: string[]) => exec(process.execPath, [path.join(REPO, 'bin', 'segl.js'), ...args], { env });
    await s.rt.services.create('shop', 'shop-password-1');
    await expect(cli('service', 'set', 'shop', '--auth-target', 'https://ok@shop.example/cb')).rejects.toMatchObject({
      stderr: expect.stringContaining('carries user info'),
    });
    await expect(cli('service', 'set', 'shop', '--auth-target', 'https://shop.example/cb?x=1')).rejects.toMatchObject({
      stderr: expect.stringContaining('without a query'),
    });
    const set = await cli(
      'service',
      'set',
      'shop',
      '--auth-target',
      'https://Shop.example:443/cb',
      '--auth-target',
      'http://127.0.0.1:9/x/',
    );
    expect(set.stdout).toBe('auth targets of shop: https://shop.example/cb http://127.0.0.1:9/x/\n');
    expect((await cli('service', 'show', 'shop')).stdout).toContain('auth-target:     http://127.0.0.1:9/x/ https://shop.example/cb\n');
    const ok = await fetch(`${s.url}/std/method/shop?id=nemid&target=${encodeURIComponent('https://shop.example/cb/done')}`, {
      redirect: 'manual',
    });
    expect(ok.status).toBe(303);
    expect((await cli('service', 'set', 'shop', '--auth-target', '')).stdout).toBe('auth targets of shop: (none)\n');
    const none = await fetch(`${s.url}/std/method/shop?id=nemid&target=${encodeURIComponent('https://shop.example/cb/done')}`, {
      redirect: 'manual',
    });
    expect(none.status).toBe(400);
  });

  it('an oversized or malformed form changes nothing and gets a translated page', async () => {
    const { c, path } = await begin(`id=nemid&target=${encodeURIComponent(TARGET)}`);
    const [base, q] = path.split('?');
    const big = await c.raw(`${base}/login?${q}`, `csrf=${c.csrf}&user=${'x'.repeat(40_000)}`, {
      'content-type': 'application/x-www-form-urlencoded',
    });
    expect(big.status).toBe(413);
    const bad = await c.raw(`${base}/login?${q}`, '{"user":1}', { 'content-type': 'application/x-www-form-urlencoded; charset=koi8-r' });
    expect([400, 415]).toContain(bad.status);
    expect((await c.get(path)).status).toBe(200); // still open
  });

  it('a login left for more than 10 minutes answers once that it expired (Responder, expired), then has ended', async () => {
    const { c, path } = await begin(`id=nemid&target=${encodeURIComponent(TARGET)}`);
    s.rt.clock.advance(10 * 60_000 + 1000);
    const late = await c.get(path);
    expect(late.status).toBe(200);
    expect(answer(late.text).xml).toContain('<StatusMessage>urn:signicat:error:expired; The login took too long');
    const again = await c.get(path);
    expect(again.status).toBe(410);
    expect(again.text).not.toContain('SAMLResponse');
  });

  it('no log line carries a CPR number', () => {
    expect(logLines.some((l) => l.includes('login finished'))).toBe(true);
    const cpr = user.cpr;
    for (const l of logLines) {
      expect(l).not.toContain(cpr);
      expect(l).not.toContain(`${cpr.slice(0, 6)}-${cpr.slice(6)}`);
    }
  });
});
